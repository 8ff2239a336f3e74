//! Store-level tests of the audit log, on a SQLite file always and on PostgreSQL when
//! `WUSHE_TEST_POSTGRES_URL` is set: the database itself refuses to change or remove entries,
//! concurrent appends keep one chain, and a change and its entry commit or fail together.

use time::OffsetDateTime;
use wushe_core::audit::{self, Action, AuditEvent, AuditFilter, RecordKind};
use wushe_core::ids::{OrgId, UserId};
use wushe_core::orgs::{Org, OrgKind};
use wushe_core::regions::{Level, Region, RegionCode};
use wushe_core::store::{AuditStore, OrgStore, RegionStore};

use crate::{Db, SqlStore};

/// A fresh database on one backend; `close` removes it.
pub(crate) struct TestDb {
    pub(crate) store: SqlStore,
    pub(crate) name: &'static str,
    cleanup: Option<(String, String)>,
    dir: Option<std::path::PathBuf>,
}

impl TestDb {
    pub(crate) async fn close(self) {
        self.store.close().await;
        if let Some((admin, db)) = self.cleanup
            && let Ok(pool) = sqlx::PgPool::connect(&admin).await
        {
            let sql = format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)");
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
            pool.close().await;
        }
        if let Some(d) = self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// SQLite always; PostgreSQL too when configured.
pub(crate) async fn databases() -> Vec<TestDb> {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let dir = std::env::temp_dir().join(format!("wushe-store-audit-{tag}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("audit.db").display());
    let mut out = vec![TestDb {
        store: SqlStore::open(&url, true).await.expect("open sqlite"),
        name: "sqlite",
        cleanup: None,
        dir: Some(dir),
    }];
    if let Some(admin) = std::env::var("WUSHE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let db = format!("wushe_audit_{tag}");
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect pg");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
            .execute(&pool)
            .await
            .expect("create db");
        pool.close().await;
        let cut = admin.rfind('/').expect("database in url");
        let url = format!("{}/{db}", &admin[..cut]);
        out.push(TestDb {
            store: SqlStore::open(&url, true).await.expect("open pg"),
            name: "postgres",
            cleanup: Some((admin, db)),
            dir: None,
        });
    }
    out
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn event(action: Action, region: &str) -> AuditEvent {
    AuditEvent::new(action, now())
        .region(&RegionCode(region.into()))
        .record(RecordKind::Org, [OrgId::new()])
}

/// Run one statement directly on the pool; `Err` carries the database's message.
async fn raw(store: &SqlStore, sql: &str) -> Result<u64, String> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match store.db() {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        Db::Pg(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    }
    .map_err(|e| e.to_string())
}

pub(super) async fn seed_regions(store: &SqlStore) {
    let r = |code: &str, parent: Option<&str>, level| Region {
        code: RegionCode(code.into()),
        name: code.into(),
        display_name: code.into(),
        parent: parent.map(|p| RegionCode(p.into())),
        level,
    };
    let regions = [
        r("31", None, Level::Province),
        r("3101", Some("31"), Level::City),
        r("310101", Some("3101"), Level::District),
        r("310101020", Some("310101"), Level::Street),
        r("310101021", Some("310101"), Level::Street),
    ];
    store
        .upsert_regions(&regions, &event(Action::RegionsImported, "31"))
        .await
        .expect("regions");
}

#[tokio::test]
async fn appended_entries_form_one_chain_that_the_head_row_follows() {
    for db in databases().await {
        let s = &db.store;
        assert_eq!(
            s.audit_head().await.expect("head"),
            audit::Anchor::genesis()
        );
        let mut last = None;
        for _ in 0..3 {
            last = Some(
                s.append_audit(&event(Action::Login, "310101020"))
                    .await
                    .expect("append"),
            );
        }
        let last = last.expect("appended");
        assert_eq!(last.seq, 3, "{}", db.name);
        assert_eq!(s.audit_head().await.expect("head"), last.anchor());
        let all = s.audit_page(0, 100).await.expect("page");
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(all[2], last, "{}: stored exactly as sealed", db.name);
        assert_eq!(s.audit_page(1, 1).await.expect("page")[0].seq, 2);
        assert!(audit::verify(&all, &last.anchor(), &[]).is_ok());
        db.close().await;
    }
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_entries() {
    for db in databases().await {
        let s = &db.store;
        s.append_audit(&event(Action::Login, "310101020"))
            .await
            .expect("append");
        s.append_audit(&event(Action::Logout, "310101020"))
            .await
            .expect("append");
        let before = s.audit_page(0, 10).await.expect("page");
        for sql in [
            "UPDATE audit_log SET action = 'logout' WHERE seq = 1",
            "UPDATE audit_log SET seq = 5 WHERE seq = 2",
            "DELETE FROM audit_log WHERE seq = 2",
            "DELETE FROM audit_log",
            "UPDATE audit_refs SET record_id = 'x'",
            "DELETE FROM audit_refs",
            "DELETE FROM audit_head",
            "UPDATE audit_head SET seq = 1",
        ] {
            let res = raw(s, sql).await;
            assert!(res.is_err(), "{}: {sql} was allowed", db.name);
            let msg = res.err().unwrap_or_default();
            assert!(
                msg.contains("append-only") || msg.contains("audit_head"),
                "{}: {sql}: {msg}",
                db.name
            );
        }
        if db.name == "postgres" {
            assert!(
                raw(s, "TRUNCATE audit_log").await.is_err(),
                "TRUNCATE was allowed"
            );
        }
        assert_eq!(
            s.audit_page(0, 10).await.expect("page"),
            before,
            "{}",
            db.name
        );
        db.close().await;
    }
}

#[tokio::test]
async fn concurrent_appends_never_fork_the_chain() {
    for db in databases().await {
        let started = std::time::Instant::now();
        let mut tasks = Vec::new();
        for t in 0..8 {
            let s = db.store.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..25 {
                    let region = if t % 2 == 0 { "310101020" } else { "310101021" };
                    s.append_audit(&event(Action::Denied, region))
                        .await
                        .expect("append");
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let elapsed = started.elapsed();
        let s = &db.store;
        let all = s.audit_page(0, 1000).await.expect("page");
        let head = s.audit_head().await.expect("head");
        assert_eq!(head.seq, 200, "{}", db.name);
        let summary = audit::verify(&all, &head, &[]).expect("one intact chain");
        assert_eq!(summary.entries, 200);
        println!("{}: 200 appends from 8 tasks in {elapsed:?}", db.name);
        db.close().await;
    }
}

#[tokio::test]
async fn a_change_that_fails_leaves_no_entry_and_one_that_succeeds_leaves_exactly_one() {
    for db in databases().await {
        let s = &db.store;
        seed_regions(s).await;
        let t = now();
        let org = Org {
            id: OrgId::new(),
            name: "桥一居委会".into(),
            kind: OrgKind::Committee,
            region: RegionCode("310101020".into()),
            phone: Some("021-63000000".into()),
            address: None,
            description: None,
            version: 1,
            created_at: t,
            updated_at: t,
        };
        let created = AuditEvent::new(Action::OrgCreated, t)
            .region(&org.region)
            .record(RecordKind::Org, [org.id]);
        s.insert_org(&org, &created).await.expect("insert");
        let head = s.audit_head().await.expect("head");
        // The same id again violates the primary key: the entry goes with the failed insert.
        assert!(s.insert_org(&org, &created).await.is_err());
        let input = wushe_core::orgs::OrgInput {
            name: org.name.clone(),
            kind: org.kind,
            region: org.region.clone(),
            phone: None,
            address: None,
            description: None,
        };
        let stale = s
            .update_org(
                org.id,
                &input,
                7,
                t,
                &event(Action::OrgUpdated, "310101020"),
            )
            .await;
        assert!(
            matches!(stale, Err(wushe_core::Error::Conflict(_))),
            "{}",
            db.name
        );
        assert_eq!(
            s.audit_head().await.expect("head"),
            head,
            "{}: nothing appended",
            db.name
        );
        let entries = s.audit_page(0, 10).await.expect("page");
        let created: Vec<_> = entries
            .iter()
            .filter(|e| e.action == "org_created")
            .collect();
        assert_eq!(created.len(), 1, "{}", db.name);
        assert_eq!(created[0].record_ids, org.id.to_string());
        db.close().await;
    }
}

#[tokio::test]
async fn the_viewer_query_keeps_to_the_scope_and_applies_every_filter() {
    for db in databases().await {
        let s = &db.store;
        let t0 = now();
        let alice = UserId::new();
        let record = OrgId::new();
        let mut e = event(Action::OrgCreated, "310101020001");
        e.actor = Some(alice);
        e.at = t0;
        e.record_ids = vec![record.to_string()];
        s.append_audit(&e).await.expect("append");
        let later = t0 + time::Duration::hours(1);
        s.append_audit(&AuditEvent {
            at: later,
            ..event(Action::Login, "310101020")
        })
        .await
        .expect("append");
        s.append_audit(&event(Action::OrgCreated, "310101021001"))
            .await
            .expect("append");
        s.append_audit(&AuditEvent::new(Action::LoginFailed, t0))
            .await
            .expect("append");
        let street = [RegionCode("310101020".into())];
        let scope = &street[..];
        let viewed = event(Action::AuditViewed, "310101020");
        let list = |f: AuditFilter| {
            let viewed = viewed.clone();
            async move {
                let f = AuditFilter { limit: 50, ..f };
                s.list_audit(scope, &f, &viewed).await.expect("list")
            }
        };
        let all = list(AuditFilter::default()).await;
        assert!(
            all.iter().all(|e| e
                .region
                .as_deref()
                .is_some_and(|r| r.starts_with("310101020"))),
            "{}: out of scope: {all:?}",
            db.name
        );
        assert_eq!(all[0].action, "audit_viewed", "the view itself comes first");
        let seqs = |v: Vec<audit::AuditEntry>| v.into_iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(
            seqs(
                list(AuditFilter {
                    actor: Some(alice),
                    ..Default::default()
                })
                .await
            ),
            vec![1]
        );
        let by_record = AuditFilter {
            record: Some(record.to_string()),
            ..Default::default()
        };
        assert_eq!(seqs(list(by_record).await), vec![1]);
        let by_action = AuditFilter {
            action: Some(Action::Login),
            ..Default::default()
        };
        assert_eq!(seqs(list(by_action).await), vec![2]);
        let window = AuditFilter {
            from: Some(t0 + time::Duration::minutes(30)),
            until: Some(t0 + time::Duration::minutes(90)),
            ..Default::default()
        };
        assert_eq!(seqs(list(window).await), vec![2]);
        let page = list(AuditFilter {
            before: Some(3),
            ..Default::default()
        })
        .await;
        assert_eq!(seqs(page), vec![2, 1]);
        assert!(list(AuditFilter::default()).await.len() >= 2);
        let any = AuditFilter {
            limit: 50,
            ..Default::default()
        };
        let none = s.list_audit(&[], &any, &viewed).await.expect("list");
        assert!(none.is_empty(), "no scope, no entries");
        db.close().await;
    }
}
