//! The store contract: every port of `wushe_core::store` as `SqlStore` implements it.
//!
//! Every test runs on SQLite (a fresh file in a fresh temp dir) and, when
//! WUSHE_TEST_POSTGRES_URL is set, on PostgreSQL too (a fresh database `wushe_c_<uuid>`
//! created through that URL and dropped with the fixture). Assertion messages name the
//! backend.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use sqlx::Connection;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tokio::sync::Barrier;
use uuid::Uuid;
use wushe_core::actor::{Grant, Role};
use wushe_core::audit::{Action, AuditEvent};
use wushe_core::error::Error;
use wushe_core::ids::{JobId, OrgId, UserId};
use wushe_core::jobs::NewJob;
use wushe_core::orgs::{Org, OrgFilter, OrgInput, OrgKind};
use wushe_core::regions::{Level, NewPlace, Region, RegionCode};
use wushe_core::store::{HealthStore, JobStore, OrgStore, RegionStore, SessionStore, UserStore};
use wushe_core::users::{NewUser, Session};
use wushe_store::SqlStore;

// --- fixtures ------------------------------------------------------------------------

/// One open store on one backend; its database is removed when the fixture is dropped.
struct Fixture {
    backend: &'static str,
    store: SqlStore,
    /// Declared after `store`, so the pool is dropped before the database goes.
    _cleanup: Cleanup,
}

enum Cleanup {
    /// A temp dir holding the SQLite file (and its -wal/-shm companions).
    Dir(PathBuf),
    /// A throwaway PostgreSQL database and the URL it was created through.
    Pg { admin_url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Pg { admin_url, name } => {
                let admin_url = admin_url.clone();
                let db = name.clone();
                let name = name.clone();
                // Drop runs inside the test's runtime, which cannot be blocked on: use a
                // thread with its own runtime.
                let res = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    rt.block_on(async {
                        let mut conn = sqlx::PgConnection::connect(&admin_url)
                            .await
                            .map_err(|e| e.to_string())?;
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        sqlx::query(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await
                            .map_err(|e| e.to_string())?;
                        conn.close().await.map_err(|e| e.to_string())
                    })
                })
                .join();
                match res {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => eprintln!("could not drop test database {db}: {e}"),
                    Err(_) => eprintln!("dropping test database {db} panicked"),
                }
            }
        }
    }
}

/// An audit event for changes made directly through the store in these tests.
fn ev() -> AuditEvent {
    AuditEvent::new(Action::RegionsImported, T0).no_region()
}

fn postgres_url() -> Option<String> {
    std::env::var("WUSHE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// `url` with its database name replaced by `name` (query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[host_start..]
        .find('/')
        .map(|i| host_start + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn sqlite() -> Fixture {
    let dir = std::env::temp_dir().join(format!("wushe-store-c-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let url = format!("sqlite://{}", dir.join("wushe.db").display());
    let cleanup = Cleanup::Dir(dir);
    let store = SqlStore::open(&url, true).await.expect("open SQLite store");
    Fixture {
        backend: "SQLite",
        store,
        _cleanup: cleanup,
    }
}

async fn postgres(admin_url: String) -> Fixture {
    let name = format!("wushe_c_{}", Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to WUSHE_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.expect("close admin connection");
    let url = with_database(&admin_url, &name);
    let cleanup = Cleanup::Pg { admin_url, name };
    let store = SqlStore::open(&url, true)
        .await
        .expect("open PostgreSQL store");
    Fixture {
        backend: "PostgreSQL",
        store,
        _cleanup: cleanup,
    }
}

/// SQLite always; PostgreSQL too when WUSHE_TEST_POSTGRES_URL is set.
async fn backends() -> Vec<Fixture> {
    let mut all = vec![sqlite().await];
    if let Some(url) = postgres_url() {
        all.push(postgres(url).await);
    }
    all
}

// --- data ----------------------------------------------------------------------------

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).expect("valid region code")
}

fn codes(regions: &[Region]) -> Vec<&str> {
    regions.iter().map(|r| r.code.as_str()).collect()
}

fn region(c: &str, name: &str, display: &str, parent: Option<&str>, level: Level) -> Region {
    Region {
        code: code(c),
        name: name.into(),
        display_name: display.into(),
        parent: parent.map(code),
        level,
    }
}

/// Real division codes: two provinces, Shanghai's 市辖区 city row, two districts, three
/// streets and four communities. Parents come before children.
fn hierarchy() -> Vec<Region> {
    use Level::*;
    vec![
        region("31", "上海市", "上海市", None, Province),
        region("32", "江苏省", "江苏省", None, Province),
        region("3101", "市辖区", "上海市", Some("31"), City),
        region("310101", "黄浦区", "黄浦区", Some("3101"), District),
        region("310104", "徐汇区", "徐汇区", Some("3101"), District),
        region(
            "310101020",
            "五里桥街道",
            "五里桥街道",
            Some("310101"),
            Street,
        ),
        region(
            "310101021",
            "打浦桥街道",
            "打浦桥街道",
            Some("310101"),
            Street,
        ),
        region(
            "310104003",
            "天平路街道",
            "天平路街道",
            Some("310104"),
            Street,
        ),
        region(
            "310101020001",
            "桥一居委会",
            "桥一居委会",
            Some("310101020"),
            Community,
        ),
        region(
            "310101020002",
            "桥二居委会",
            "桥二居委会",
            Some("310101020"),
            Community,
        ),
        region(
            "310101021001",
            "大同居委会",
            "大同居委会",
            Some("310101021"),
            Community,
        ),
        region(
            "310104003001",
            "上海新村居委会",
            "上海新村居委会",
            Some("310104003"),
            Community,
        ),
    ]
}

async fn seed_regions(f: &Fixture) {
    let n = f
        .store
        .upsert_regions(&hierarchy(), &ev())
        .await
        .expect("seed regions");
    assert_eq!(n, hierarchy().len(), "{}: seeding regions", f.backend);
}

async fn add_place(f: &Fixture, parent: &str, level: Level, name: &str) -> Region {
    f.store
        .insert_place(
            &NewPlace {
                parent: code(parent),
                level,
                name: name.into(),
            },
            name,
            &ev(),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: insert {name} under {parent}: {e}", f.backend))
}

/// A fixed instant with sub-millisecond digits, which the store drops.
const T0: OffsetDateTime = datetime!(2025-06-02 09:30:15.123_456_789 UTC);

fn to_ms(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .expect("valid nanosecond")
}

fn org(name: &str, kind: OrgKind, region: &str) -> Org {
    Org {
        id: OrgId::new(),
        name: name.into(),
        kind,
        region: code(region),
        phone: None,
        address: None,
        description: None,
        version: 1,
        created_at: T0,
        updated_at: T0,
    }
}

fn assert_same_org(backend: &str, got: &Org, want: &Org) {
    assert_eq!(got.id, want.id, "{backend}: id");
    assert_eq!(got.name, want.name, "{backend}: name");
    assert_eq!(got.kind, want.kind, "{backend}: kind");
    assert_eq!(got.region, want.region, "{backend}: region");
    assert_eq!(got.phone, want.phone, "{backend}: phone");
    assert_eq!(got.address, want.address, "{backend}: address");
    assert_eq!(got.description, want.description, "{backend}: description");
    assert_eq!(got.version, want.version, "{backend}: version");
    assert_eq!(
        got.created_at,
        to_ms(want.created_at),
        "{backend}: created_at"
    );
    assert_eq!(
        got.updated_at,
        to_ms(want.updated_at),
        "{backend}: updated_at"
    );
}

fn names(orgs: &[Org]) -> BTreeSet<&str> {
    orgs.iter().map(|o| o.name.as_str()).collect()
}

fn new_user(username: &str, region: &str, grants: Vec<Grant>) -> NewUser {
    NewUser {
        username: username.into(),
        display_name: format!("{username} 显示名"),
        region: code(region),
        grants,
    }
}

fn grant(role: Role, region: &str, org: Option<OrgId>) -> Grant {
    Grant {
        role,
        region: code(region),
        org,
    }
}

fn job(kind: &str, run_at: OffsetDateTime) -> NewJob {
    NewJob::new(kind, format!("{{\"kind\":\"{kind}\"}}"), run_at)
}

// --- regions -------------------------------------------------------------------------

#[tokio::test]
async fn upserting_regions_counts_changed_rows_and_an_identical_upsert_changes_none() {
    for f in backends().await {
        let b = f.backend;
        let s = &f.store;
        let all = hierarchy();
        assert_eq!(
            s.upsert_regions(&all, &ev()).await.expect("upsert"),
            12,
            "{b}"
        );
        assert_eq!(
            s.upsert_regions(&all, &ev()).await.expect("upsert again"),
            0,
            "{b}: identical upsert changes nothing"
        );

        let mut renamed = all.clone();
        renamed[9].name = "桥二居民委员会".into();
        renamed[9].display_name = "桥二居民委员会".into();
        assert_eq!(
            s.upsert_regions(&renamed, &ev())
                .await
                .expect("upsert renamed"),
            1,
            "{b}: one renamed row"
        );
        let got = s
            .region(&code("310101020002"))
            .await
            .expect("region")
            .expect("renamed row exists");
        assert_eq!(got.name, "桥二居民委员会", "{b}");
        assert_eq!(got.display_name, "桥二居民委员会", "{b}");

        // Only the display name changing is a change too.
        let mut redisplayed = renamed.clone();
        redisplayed[2].display_name = "上海".into();
        assert_eq!(
            s.upsert_regions(&redisplayed, &ev()).await.expect("upsert"),
            1,
            "{b}: changed display name"
        );
        assert_eq!(
            s.upsert_regions(&[], &ev()).await.expect("empty upsert"),
            0,
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_region_reads_back_with_every_field() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let city = f
            .store
            .region(&code("3101"))
            .await
            .expect("region")
            .expect("city exists");
        assert_eq!(
            city,
            region("3101", "市辖区", "上海市", Some("31"), Level::City),
            "{b}"
        );
        let province = f
            .store
            .region(&code("31"))
            .await
            .expect("region")
            .expect("province exists");
        assert_eq!(province.parent, None, "{b}");
        assert_eq!(province.level, Level::Province, "{b}");
        assert!(
            f.store
                .region(&code("310101020003"))
                .await
                .expect("region")
                .is_none(),
            "{b}: unknown code"
        );
    }
}

#[tokio::test]
async fn region_children_of_none_are_the_roots_and_children_are_one_level_down() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let roots = s.region_children(None).await.expect("roots");
        assert_eq!(codes(&roots), ["31", "32"], "{b}: roots");
        let c = s
            .region_children(Some(&code("31")))
            .await
            .expect("children");
        assert_eq!(codes(&c), ["3101"], "{b}");
        let c = s
            .region_children(Some(&code("3101")))
            .await
            .expect("children");
        assert_eq!(codes(&c), ["310101", "310104"], "{b}");
        let c = s
            .region_children(Some(&code("310101020")))
            .await
            .expect("children");
        assert_eq!(codes(&c), ["310101020001", "310101020002"], "{b}");
        let c = s
            .region_children(Some(&code("310101020001")))
            .await
            .expect("children");
        assert!(
            c.is_empty(),
            "{b}: a community without grids has no children"
        );
    }
}

#[tokio::test]
async fn region_path_runs_from_the_province_down_to_the_place() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let path = s.region_path(&code("310101020001")).await.expect("path");
        assert_eq!(
            codes(&path),
            ["31", "3101", "310101", "310101020", "310101020001"],
            "{b}"
        );
        assert_eq!(path[1].display_name, "上海市", "{b}");
        assert_eq!(path[4].name, "桥一居委会", "{b}");

        let path = s.region_path(&code("31")).await.expect("path");
        assert_eq!(codes(&path), ["31"], "{b}: a root is its own path");

        let grid = add_place(&f, "310101020001", Level::Grid, "第一网格").await;
        let building = add_place(&f, grid.code.as_str(), Level::Building, "1号楼").await;
        let path = s.region_path(&building.code).await.expect("path");
        assert_eq!(
            codes(&path),
            [
                "31",
                "3101",
                "310101",
                "310101020",
                "310101020001",
                "310101020001G01",
                "310101020001G01B001"
            ],
            "{b}: grids and buildings sit below their community"
        );
    }
}

#[tokio::test]
async fn searching_regions_matches_display_names_widest_first() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let hits = s.search_regions("上海", 20).await.expect("search");
        assert_eq!(
            codes(&hits),
            ["31", "3101", "310104003001"],
            "{b}: the city row 市辖区 is found by its display name"
        );
        assert_eq!(hits[1].name, "市辖区", "{b}");

        let hits = s.search_regions("居委会", 2).await.expect("search");
        assert_eq!(hits.len(), 2, "{b}: limit");
        let hits = s.search_regions("桥街道", 20).await.expect("search");
        assert_eq!(codes(&hits), ["310101020", "310101021"], "{b}");
        let hits = s.search_regions("北京", 20).await.expect("search");
        assert!(hits.is_empty(), "{b}: no match");
    }
}

#[tokio::test]
async fn searching_regions_treats_percent_and_underscore_literally() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        for q in ["%", "_", "%居委会", "桥_居委会", "\\"] {
            let hits = s.search_regions(q, 20).await.expect("search");
            assert!(
                hits.is_empty(),
                "{b}: {q:?} matched {:?} though no name contains it",
                codes(&hits)
            );
        }
        let pct = add_place(&f, "310101020001", Level::Grid, "100%网格").await;
        let under = add_place(&f, "310101020001", Level::Grid, "一_二网格").await;
        let hits = s.search_regions("%", 20).await.expect("search");
        assert_eq!(codes(&hits), [pct.code.as_str()], "{b}: literal %");
        let hits = s.search_regions("_", 20).await.expect("search");
        assert_eq!(codes(&hits), [under.code.as_str()], "{b}: literal _");
        let hits = s.search_regions("一%二", 20).await.expect("search");
        assert!(hits.is_empty(), "{b}: % is not a wildcard");
    }
}

#[tokio::test]
async fn inserted_places_get_the_next_code_below_their_parent() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let g1 = add_place(&f, "310101020001", Level::Grid, "第一网格").await;
        assert_eq!(
            g1,
            region(
                "310101020001G01",
                "第一网格",
                "第一网格",
                Some("310101020001"),
                Level::Grid
            ),
            "{b}"
        );
        let g2 = add_place(&f, "310101020001", Level::Grid, "第二网格").await;
        assert_eq!(g2.code.as_str(), "310101020001G02", "{b}");
        let b1 = add_place(&f, "310101020001G01", Level::Building, "1号楼").await;
        assert_eq!(
            b1,
            region(
                "310101020001G01B001",
                "1号楼",
                "1号楼",
                Some("310101020001G01"),
                Level::Building
            ),
            "{b}"
        );
        let b2 = add_place(&f, "310101020001G01", Level::Building, "2号楼").await;
        assert_eq!(b2.code.as_str(), "310101020001G01B002", "{b}");
        let other = add_place(&f, "310101020002", Level::Grid, "桥二网格").await;
        assert_eq!(
            other.code.as_str(),
            "310101020002G01",
            "{b}: numbering is per parent"
        );

        let stored = s
            .region(&code("310101020001G01B001"))
            .await
            .expect("region")
            .expect("building stored");
        assert_eq!(stored, b1, "{b}: stored as returned");
        let c = s
            .region_children(Some(&code("310101020001")))
            .await
            .expect("children");
        assert_eq!(codes(&c), ["310101020001G01", "310101020001G02"], "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn places_inserted_concurrently_under_one_parent_all_get_distinct_codes() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let pings = tokio::join!(s.ping(), s.ping(), s.ping(), s.ping());
        assert!(pings.0.is_ok() && pings.3.is_ok(), "{b}: ping");
        let start = Arc::new(Barrier::new(4));
        let tasks: Vec<_> = (1..=4)
            .map(|i| {
                let s = s.clone();
                let start = start.clone();
                tokio::spawn(async move {
                    let place = NewPlace {
                        parent: code("310101020001"),
                        level: Level::Grid,
                        name: format!("第{i}网格"),
                    };
                    start.wait().await;
                    s.insert_place(&place, &place.name, &ev()).await
                })
            })
            .collect();
        let mut got = BTreeSet::new();
        for t in tasks {
            let place = t
                .await
                .expect("task")
                .unwrap_or_else(|e| panic!("{b}: concurrent insert_place failed: {e:?}"));
            got.insert(place.code.0);
        }
        let want: BTreeSet<String> = (1..=4).map(|i| format!("310101020001G0{i}")).collect();
        assert_eq!(got, want, "{b}");
        let children = s
            .region_children(Some(&code("310101020001")))
            .await
            .expect("children");
        assert_eq!(children.len(), 4, "{b}");
    }
}

#[tokio::test]
async fn the_region_index_holds_official_places_only() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let grid = add_place(&f, "310101020001", Level::Grid, "第一网格").await;
        add_place(&f, grid.code.as_str(), Level::Building, "1号楼").await;
        let index = f.store.region_index().await.expect("index");
        assert_eq!(index.len(), 12, "{b}: the 12 official rows");
        assert_eq!(
            index.get("3101"),
            Some(&(Level::City, "上海市".to_string())),
            "{b}: level and display name"
        );
        assert_eq!(
            index.get("310101020001"),
            Some(&(Level::Community, "桥一居委会".to_string())),
            "{b}"
        );
        assert!(
            !index.keys().any(|k| k.contains('G') || k.contains('B')),
            "{b}: no grids or buildings in {:?}",
            index.keys().collect::<Vec<_>>()
        );
    }
}

// --- orgs ----------------------------------------------------------------------------

#[tokio::test]
async fn an_org_round_trips_every_field_with_millisecond_timestamps() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let full = Org {
            phone: Some("021-6301 1234".into()),
            address: Some("上海市黄浦区瞿溪路 100 号".into()),
            description: Some("社工服务\n第二行 'quoted' \"double\"".into()),
            version: 7,
            created_at: T0,
            updated_at: T0 + Duration::milliseconds(1500) + Duration::nanoseconds(999_999),
            ..org("五里桥社工服务社", OrgKind::SocialOrg, "310101020")
        };
        s.insert_org(&full, &ev()).await.expect("insert full org");
        let got = s.org(full.id).await.expect("org").expect("stored");
        assert_same_org(b, &got, &full);
        assert_eq!(
            got.updated_at - got.created_at,
            Duration::milliseconds(1501),
            "{b}: whole milliseconds kept"
        );

        let bare = org("桥一居委会", OrgKind::Committee, "310101020001");
        s.insert_org(&bare, &ev()).await.expect("insert bare org");
        let got = s.org(bare.id).await.expect("org").expect("stored");
        assert_same_org(b, &got, &bare);
        assert_eq!(got.phone, None, "{b}");

        for kind in OrgKind::ALL {
            let o = org(kind.as_str(), kind, "310104");
            s.insert_org(&o, &ev()).await.expect("insert");
            let got = s.org(o.id).await.expect("org").expect("stored");
            assert_eq!(got.kind, kind, "{b}: kind round trip");
        }

        assert!(
            s.org(OrgId::new()).await.expect("org").is_none(),
            "{b}: unknown id"
        );
    }
}

#[tokio::test]
async fn updating_an_org_with_the_current_version_bumps_the_version() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let o = org("五里桥社工服务社", OrgKind::SocialOrg, "310101020");
        s.insert_org(&o, &ev()).await.expect("insert");
        let input = OrgInput {
            name: "黄浦区社工站".into(),
            kind: OrgKind::Station,
            region: code("310101"),
            phone: Some("13812345678".into()),
            address: Some("黄浦区某路 1 号".into()),
            description: None,
        };
        let later = T0 + Duration::minutes(5);
        s.update_org(o.id, &input, 1, later, &ev())
            .await
            .expect("update");
        let got = s.org(o.id).await.expect("org").expect("stored");
        let want = Org {
            id: o.id,
            name: input.name.clone(),
            kind: input.kind,
            region: input.region.clone(),
            phone: input.phone.clone(),
            address: input.address.clone(),
            description: None,
            version: 2,
            created_at: T0,
            updated_at: later,
        };
        assert_same_org(b, &got, &want);
    }
}

#[tokio::test]
async fn updating_an_org_with_a_stale_version_is_a_conflict_and_changes_nothing() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let o = Org {
            phone: Some("021-1234567".into()),
            ..org("五里桥社工服务社", OrgKind::SocialOrg, "310101020")
        };
        s.insert_org(&o, &ev()).await.expect("insert");
        let first = OrgInput {
            name: "第一次修改".into(),
            kind: OrgKind::Charity,
            region: code("310101020001"),
            phone: None,
            address: None,
            description: Some("first".into()),
        };
        s.update_org(o.id, &first, 1, T0 + Duration::minutes(1), &ev())
            .await
            .expect("first update");
        let stale = OrgInput {
            name: "过时的修改".into(),
            ..first.clone()
        };
        let res = s
            .update_org(o.id, &stale, 1, T0 + Duration::minutes(2), &ev())
            .await;
        assert!(
            matches!(res, Err(Error::Conflict(_))),
            "{b}: stale version gave {res:?}"
        );
        let got = s.org(o.id).await.expect("org").expect("stored");
        let want = Org {
            id: o.id,
            name: "第一次修改".into(),
            kind: OrgKind::Charity,
            region: code("310101020001"),
            phone: None,
            address: None,
            description: Some("first".into()),
            version: 2,
            created_at: T0,
            updated_at: T0 + Duration::minutes(1),
        };
        assert_same_org(b, &got, &want);
    }
}

/// Orgs for the list tests: names chosen so that unescaped `%`/`_` would match more.
async fn seed_orgs(f: &Fixture) {
    seed_regions(f).await;
    for o in [
        org("桥一居委会", OrgKind::Committee, "310101020001"),
        org("五里桥社工服务社", OrgKind::SocialOrg, "310101020"),
        org("徐汇区社工站", OrgKind::Station, "310104"),
        org("100%志愿者服务队", OrgKind::VolunteerTeam, "310101020002"),
        org("阳光_慈善基金会", OrgKind::Charity, "310101"),
        org("阳光慈善超市", OrgKind::Provider, "310104003001"),
        org("打浦桥居委会", OrgKind::Committee, "310101021001"),
    ] {
        f.store.insert_org(&o, &ev()).await.expect("insert org");
    }
}

fn filter(limit: u32) -> OrgFilter {
    OrgFilter {
        limit,
        ..Default::default()
    }
}

#[tokio::test]
async fn listing_orgs_filters_by_kind() {
    for f in backends().await {
        let b = f.backend;
        seed_orgs(&f).await;
        let got = f
            .store
            .list_orgs(&OrgFilter {
                kind: Some(OrgKind::Committee),
                ..filter(100)
            })
            .await
            .expect("list");
        assert_eq!(
            names(&got),
            BTreeSet::from(["桥一居委会", "打浦桥居委会"]),
            "{b}"
        );
        let all = f.store.list_orgs(&filter(100)).await.expect("list");
        assert_eq!(all.len(), 7, "{b}: no filter lists everything");
    }
}

#[tokio::test]
async fn listing_orgs_by_region_includes_places_below_it_and_nothing_beside_it() {
    for f in backends().await {
        let b = f.backend;
        seed_orgs(&f).await;
        let list = |region: &str| OrgFilter {
            region: Some(code(region)),
            ..filter(100)
        };
        let got = f.store.list_orgs(&list("310101")).await.expect("list");
        assert_eq!(
            names(&got),
            BTreeSet::from([
                "桥一居委会",
                "五里桥社工服务社",
                "100%志愿者服务队",
                "阳光_慈善基金会",
                "打浦桥居委会"
            ]),
            "{b}: 黄浦区 and below, not 徐汇区"
        );
        let got = f.store.list_orgs(&list("310101020")).await.expect("list");
        assert_eq!(
            names(&got),
            BTreeSet::from(["桥一居委会", "五里桥社工服务社", "100%志愿者服务队"]),
            "{b}"
        );
        let got = f
            .store
            .list_orgs(&list("310101020001"))
            .await
            .expect("list");
        assert_eq!(names(&got), BTreeSet::from(["桥一居委会"]), "{b}");
        let got = f
            .store
            .list_orgs(&OrgFilter {
                kind: Some(OrgKind::Station),
                ..list("310101")
            })
            .await
            .expect("list");
        assert!(got.is_empty(), "{b}: kind and region combine");
    }
}

#[tokio::test]
async fn listing_orgs_by_name_treats_percent_and_underscore_literally() {
    for f in backends().await {
        let b = f.backend;
        seed_orgs(&f).await;
        let by = |q: &str| OrgFilter {
            query: Some(q.into()),
            ..filter(100)
        };
        for (q, want) in [
            ("社工", vec!["五里桥社工服务社", "徐汇区社工站"]),
            ("%", vec!["100%志愿者服务队"]),
            ("_", vec!["阳光_慈善基金会"]),
            ("光_慈", vec!["阳光_慈善基金会"]),
            ("光%慈", vec![]),
            ("居委_", vec![]),
            ("\\", vec![]),
        ] {
            let got = f.store.list_orgs(&by(q)).await.expect("list");
            assert_eq!(
                names(&got),
                want.into_iter().collect::<BTreeSet<_>>(),
                "{b}: name contains {q:?}"
            );
        }
    }
}

#[tokio::test]
async fn listing_orgs_respects_the_limit() {
    for f in backends().await {
        let b = f.backend;
        seed_orgs(&f).await;
        let got = f.store.list_orgs(&filter(3)).await.expect("list");
        assert_eq!(got.len(), 3, "{b}");
        let got = f
            .store
            .list_orgs(&OrgFilter {
                region: Some(code("310101")),
                ..filter(1)
            })
            .await
            .expect("list");
        assert_eq!(got.len(), 1, "{b}");
        assert!(got[0].region.as_str().starts_with("310101"), "{b}");
    }
}

// --- users ---------------------------------------------------------------------------

#[tokio::test]
async fn a_user_is_created_with_grants_and_found_by_id_and_name() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let committee = org("桥一居委会", OrgKind::Committee, "310101020001");
        s.insert_org(&committee, &ev()).await.expect("org");
        let grants = vec![
            grant(Role::SocialWorker, "310101020", None),
            grant(Role::CommitteeStaff, "310101020001", Some(committee.id)),
        ];
        let nu = new_user("wang.li", "310101020001", grants.clone());
        let id = s
            .insert_user(&nu, "$argon2id$v=19$hash", T0, &ev())
            .await
            .expect("insert user");

        let u = s.user(id).await.expect("user").expect("stored");
        assert_eq!(u.id, id, "{b}");
        assert_eq!(u.username, "wang.li", "{b}");
        assert_eq!(u.display_name, "wang.li 显示名", "{b}");
        assert_eq!(u.region, code("310101020001"), "{b}");
        assert_eq!(u.lang, "zh", "{b}: default language");
        assert!(!u.disabled, "{b}");
        assert_eq!(u.created_at, to_ms(T0), "{b}");

        let by_name = s
            .user_by_name("wang.li")
            .await
            .expect("by name")
            .expect("found");
        assert_eq!(by_name.id, id, "{b}");
        assert!(
            s.user_by_name("wang").await.expect("by name").is_none(),
            "{b}: exact name only"
        );
        assert!(s.user(UserId::new()).await.expect("user").is_none(), "{b}");

        assert_eq!(
            s.password_hash(id).await.expect("hash").as_deref(),
            Some("$argon2id$v=19$hash"),
            "{b}"
        );
        assert_eq!(
            s.password_hash(UserId::new()).await.expect("hash"),
            None,
            "{b}"
        );

        let mut stored: Vec<Grant> = s
            .grants(id)
            .await
            .expect("grants")
            .into_iter()
            .map(|g| g.grant)
            .collect();
        stored.sort_by_key(|g| g.role);
        let mut want = grants;
        want.sort_by_key(|g| g.role);
        assert_eq!(stored, want, "{b}: grants stored with the user");
    }
}

#[tokio::test]
async fn a_duplicate_username_is_invalid_on_the_username_field() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let first = s
            .insert_user(
                &new_user("wang.li", "310101020001", vec![]),
                "h1",
                T0,
                &ev(),
            )
            .await
            .expect("first");
        let res = s
            .insert_user(
                &new_user(
                    "wang.li",
                    "310104",
                    vec![grant(Role::Admin, "310104", None)],
                ),
                "h2",
                T0,
                &ev(),
            )
            .await;
        match res {
            Err(Error::Invalid(e)) => assert!(
                e.get("username").is_some(),
                "{b}: error names the username field: {e:?}"
            ),
            other => panic!("{b}: duplicate username gave {other:?}"),
        }
        let u = s
            .user_by_name("wang.li")
            .await
            .expect("by name")
            .expect("found");
        assert_eq!(u.id, first, "{b}: the first account stays");
        assert_eq!(u.region, code("310101020001"), "{b}");
        assert_eq!(
            s.password_hash(first).await.expect("hash").as_deref(),
            Some("h1"),
            "{b}"
        );
        assert_eq!(
            s.list_users(&[code("31")]).await.expect("list").len(),
            1,
            "{b}: no second account"
        );
    }
}

#[tokio::test]
async fn listing_users_returns_only_users_at_home_under_the_scope() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        for (name, region) in [
            ("qiaoyi", "310101020001"),
            ("dapuqiao", "310101021001"),
            ("tianping", "310104003001"),
            ("huangpu", "310101"),
        ] {
            s.insert_user(&new_user(name, region, vec![]), "h", T0, &ev())
                .await
                .expect("insert user");
        }
        let list = |scope: &[&str]| {
            let scope: Vec<RegionCode> = scope.iter().map(|c| code(c)).collect();
            async move {
                let users = s.list_users(&scope).await.expect("list users");
                users
                    .into_iter()
                    .map(|u| u.username)
                    .collect::<BTreeSet<_>>()
            }
        };
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            list(&["310101"]).await,
            set(&["qiaoyi", "dapuqiao", "huangpu"]),
            "{b}"
        );
        assert_eq!(
            list(&["310101020", "310104"]).await,
            set(&["qiaoyi", "tianping"]),
            "{b}: several prefixes"
        );
        assert_eq!(list(&["310101020001"]).await, set(&["qiaoyi"]), "{b}");
        assert_eq!(
            list(&["310101020002"]).await,
            set(&[]),
            "{b}: nobody lives there"
        );
        assert_eq!(list(&[]).await, set(&[]), "{b}: empty scope sees nobody");
        assert_eq!(list(&["31"]).await.len(), 4, "{b}");
    }
}

#[tokio::test]
async fn grants_are_added_and_deleted_only_for_their_own_user() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let admin = s
            .insert_user(
                &new_user("admin", "31", vec![grant(Role::Admin, "31", None)]),
                "h",
                T0,
                &ev(),
            )
            .await
            .expect("admin");
        let worker = s
            .insert_user(&new_user("worker", "310101020001", vec![]), "h", T0, &ev())
            .await
            .expect("worker");
        assert!(s.grants(worker).await.expect("grants").is_empty(), "{b}");

        let g = grant(Role::Supervisor, "310101", None);
        let gid = s
            .insert_grant(worker, &g, admin, T0, &ev())
            .await
            .expect("insert grant");
        let got = s.grants(worker).await.expect("grants");
        assert_eq!(got.len(), 1, "{b}");
        assert_eq!(got[0].id, gid, "{b}");
        assert_eq!(got[0].grant, g, "{b}");
        assert_eq!(s.grants(admin).await.expect("grants").len(), 1, "{b}");

        assert!(
            !s.delete_grant(admin, gid, &ev()).await.expect("delete"),
            "{b}: wrong user deletes nothing"
        );
        assert_eq!(
            s.grants(worker).await.expect("grants").len(),
            1,
            "{b}: grant still there"
        );
        assert!(
            s.delete_grant(worker, gid, &ev()).await.expect("delete"),
            "{b}"
        );
        assert!(s.grants(worker).await.expect("grants").is_empty(), "{b}");
        assert!(
            !s.delete_grant(worker, gid, &ev())
                .await
                .expect("delete again"),
            "{b}: already gone"
        );
        assert_eq!(
            s.grants(admin).await.expect("grants").len(),
            1,
            "{b}: other grants untouched"
        );
    }
}

#[tokio::test]
async fn a_users_language_can_be_changed() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let s = &f.store;
        let id = s
            .insert_user(&new_user("wang.li", "310101", vec![]), "h", T0, &ev())
            .await
            .expect("insert");
        let other = s
            .insert_user(&new_user("li.wang", "310101", vec![]), "h", T0, &ev())
            .await
            .expect("insert");
        s.set_user_lang(id, "en", &ev()).await.expect("set lang");
        let u = s.user(id).await.expect("user").expect("stored");
        assert_eq!(u.lang, "en", "{b}");
        let o = s.user(other).await.expect("user").expect("stored");
        assert_eq!(o.lang, "zh", "{b}: other users keep theirs");
    }
}

// --- sessions ------------------------------------------------------------------------

async fn seed_user(f: &Fixture) -> UserId {
    seed_regions(f).await;
    f.store
        .insert_user(&new_user("wang.li", "310101020001", vec![]), "h", T0, &ev())
        .await
        .expect("user")
}

fn session(hash: &str, user: UserId, created: OffsetDateTime, seen: OffsetDateTime) -> Session {
    Session {
        token_hash: hash.into(),
        user_id: user,
        created_at: created,
        last_seen_at: seen,
    }
}

#[tokio::test]
async fn a_session_is_stored_touched_and_deleted() {
    for f in backends().await {
        let b = f.backend;
        let user = seed_user(&f).await;
        let s = &f.store;
        s.insert_session(&session("hash-1", user, T0, T0), &ev())
            .await
            .expect("insert");
        s.insert_session(&session("hash-2", user, T0, T0), &ev())
            .await
            .expect("insert");
        let got = s.session("hash-1").await.expect("session").expect("stored");
        assert_eq!(got.token_hash, "hash-1", "{b}");
        assert_eq!(got.user_id, user, "{b}");
        assert_eq!(got.created_at, to_ms(T0), "{b}");
        assert_eq!(got.last_seen_at, to_ms(T0), "{b}");

        let later = T0 + Duration::minutes(7);
        s.touch_session("hash-1", later).await.expect("touch");
        let got = s.session("hash-1").await.expect("session").expect("stored");
        assert_eq!(got.last_seen_at, to_ms(later), "{b}: touched");
        assert_eq!(got.created_at, to_ms(T0), "{b}: creation time kept");
        let other = s.session("hash-2").await.expect("session").expect("stored");
        assert_eq!(
            other.last_seen_at,
            to_ms(T0),
            "{b}: only that session touched"
        );

        s.delete_session("hash-1", None).await.expect("delete");
        assert!(s.session("hash-1").await.expect("session").is_none(), "{b}");
        assert!(s.session("hash-2").await.expect("session").is_some(), "{b}");
        assert!(s.session("nope").await.expect("session").is_none(), "{b}");
    }
}

#[tokio::test]
async fn purging_sessions_removes_idle_and_too_old_ones_and_keeps_live_ones() {
    for f in backends().await {
        let b = f.backend;
        let user = seed_user(&f).await;
        let s = &f.store;
        let now = T0 + Duration::days(1);
        let h = Duration::hours;
        let m = Duration::minutes;
        s.insert_session(&session("live", user, now - h(1), now - m(1)), &ev())
            .await
            .expect("insert");
        s.insert_session(&session("idle", user, now - h(1), now - m(31)), &ev())
            .await
            .expect("insert");
        s.insert_session(&session("old", user, now - h(13), now - m(1)), &ev())
            .await
            .expect("insert");
        let purged = s
            .purge_sessions(now - m(30), now - h(12))
            .await
            .expect("purge");
        assert_eq!(purged, 2, "{b}: idle and old purged");
        assert!(s.session("live").await.expect("session").is_some(), "{b}");
        assert!(s.session("idle").await.expect("session").is_none(), "{b}");
        assert!(s.session("old").await.expect("session").is_none(), "{b}");
        assert_eq!(
            s.purge_sessions(now - m(30), now - h(12))
                .await
                .expect("purge again"),
            0,
            "{b}"
        );
    }
}

// --- jobs ----------------------------------------------------------------------------

#[tokio::test]
async fn a_job_with_the_same_unique_key_is_queued_once() {
    for f in backends().await {
        let b = f.backend;
        let s = &f.store;
        let first = job("escalate", T0).unique("need:1:step:1");
        let second = job("escalate-again", T0).unique("need:1:step:1");
        assert!(s.enqueue(&first).await.expect("enqueue"), "{b}");
        assert!(
            !s.enqueue(&second).await.expect("enqueue again"),
            "{b}: same key refused"
        );
        let lease = T0 + Duration::minutes(1);
        let got = s
            .claim_job(T0, lease)
            .await
            .expect("claim")
            .expect("one job");
        assert_eq!(got.id, first.id, "{b}: the first one is kept");
        assert_eq!(got.kind, "escalate", "{b}");
        assert!(
            s.claim_job(T0, lease).await.expect("claim").is_none(),
            "{b}: only one row"
        );

        // Without a key, every enqueue queues.
        assert!(s.enqueue(&job("plain", T0)).await.expect("enqueue"), "{b}");
        assert!(s.enqueue(&job("plain", T0)).await.expect("enqueue"), "{b}");
        assert!(
            s.claim_job(T0, lease).await.expect("claim").is_some(),
            "{b}"
        );
        assert!(
            s.claim_job(T0, lease).await.expect("claim").is_some(),
            "{b}"
        );
        assert!(
            s.claim_job(T0, lease).await.expect("claim").is_none(),
            "{b}"
        );
    }
}

#[tokio::test]
async fn claiming_takes_only_due_jobs_and_leases_them() {
    for f in backends().await {
        let b = f.backend;
        let s = &f.store;
        let due = job("due", T0 - Duration::seconds(1));
        let exactly_now = job("now", T0);
        let future = job("future", T0 + Duration::hours(1));
        for j in [&future, &due, &exactly_now] {
            assert!(s.enqueue(j).await.expect("enqueue"), "{b}");
        }
        let lease = T0 + Duration::seconds(30);
        let got = s
            .claim_job(T0, lease)
            .await
            .expect("claim")
            .expect("due job");
        assert_eq!(got.id, due.id, "{b}: earliest first");
        assert_eq!(got.kind, "due", "{b}");
        assert_eq!(got.payload, "{\"kind\":\"due\"}", "{b}");
        assert_eq!(got.attempts, 1, "{b}");
        let got = s
            .claim_job(T0, lease)
            .await
            .expect("claim")
            .expect("job run_at == now");
        assert_eq!(got.id, exactly_now.id, "{b}: run_at == now is due");
        assert!(
            s.claim_job(T0, lease).await.expect("claim").is_none(),
            "{b}: both due jobs leased, the future one not due"
        );
        assert!(
            s.claim_job(T0 + Duration::seconds(29), lease)
                .await
                .expect("claim")
                .is_none(),
            "{b}: still leased"
        );
    }
}

#[tokio::test]
async fn a_job_whose_lease_passed_is_claimed_again_with_one_more_attempt() {
    for f in backends().await {
        let b = f.backend;
        let s = &f.store;
        let j = job("work", T0);
        s.enqueue(&j).await.expect("enqueue");
        let first = s
            .claim_job(T0, T0 + Duration::seconds(30))
            .await
            .expect("claim")
            .expect("claimed");
        assert_eq!(first.attempts, 1, "{b}");
        let t1 = T0 + Duration::seconds(31);
        let again = s
            .claim_job(t1, t1 + Duration::seconds(30))
            .await
            .expect("claim")
            .expect("lease passed");
        assert_eq!(again.id, j.id, "{b}");
        assert_eq!(again.attempts, 2, "{b}: attempts counted");
        assert!(
            s.claim_job(t1, t1 + Duration::seconds(30))
                .await
                .expect("claim")
                .is_none(),
            "{b}: leased again"
        );
    }
}

#[tokio::test]
async fn a_completed_job_is_never_claimed_again() {
    for f in backends().await {
        let b = f.backend;
        let s = &f.store;
        let done = job("done", T0);
        let other = job("other", T0 + Duration::seconds(5));
        s.enqueue(&done).await.expect("enqueue");
        s.enqueue(&other).await.expect("enqueue");
        let got = s
            .claim_job(T0, T0 + Duration::seconds(30))
            .await
            .expect("claim")
            .expect("claimed");
        assert_eq!(got.id, done.id, "{b}");
        s.complete_job(got.id, T0 + Duration::seconds(1))
            .await
            .expect("complete");
        let much_later = T0 + Duration::days(365);
        let next = s
            .claim_job(much_later, much_later + Duration::seconds(30))
            .await
            .expect("claim")
            .expect("the other job");
        assert_eq!(next.id, other.id, "{b}: the completed job is skipped");
        s.complete_job(next.id, much_later).await.expect("complete");
        assert!(
            s.claim_job(
                much_later + Duration::days(1),
                much_later + Duration::days(2)
            )
            .await
            .expect("claim")
            .is_none(),
            "{b}: nothing left"
        );
    }
}

#[tokio::test]
async fn a_failed_job_with_a_retry_time_is_due_again_at_that_time() {
    for f in backends().await {
        let b = f.backend;
        let s = &f.store;
        let j = job("flaky", T0);
        s.enqueue(&j).await.expect("enqueue");
        let got = s
            .claim_job(T0, T0 + Duration::seconds(30))
            .await
            .expect("claim")
            .expect("claimed");
        let retry_at = T0 + Duration::minutes(10);
        s.fail_job(got.id, "connection refused", Some(retry_at))
            .await
            .expect("fail");
        let before = retry_at - Duration::seconds(1);
        assert!(
            s.claim_job(before, before + Duration::seconds(30))
                .await
                .expect("claim")
                .is_none(),
            "{b}: not due before the retry time, though the lease has passed"
        );
        let again = s
            .claim_job(retry_at, retry_at + Duration::seconds(30))
            .await
            .expect("claim")
            .expect("due at the retry time");
        assert_eq!(again.id, j.id, "{b}");
        assert_eq!(again.attempts, 2, "{b}");
    }
}

#[tokio::test]
async fn a_job_failed_without_a_retry_time_is_dead_and_never_claimed() {
    for f in backends().await {
        let b = f.backend;
        let s = &f.store;
        let j = job("hopeless", T0);
        s.enqueue(&j).await.expect("enqueue");
        let got = s
            .claim_job(T0, T0 + Duration::seconds(30))
            .await
            .expect("claim")
            .expect("claimed");
        let long_error = "错".repeat(2000);
        s.fail_job(got.id, &long_error, None).await.expect("fail");
        let later = T0 + Duration::days(3650);
        assert!(
            s.claim_job(later, later + Duration::seconds(30))
                .await
                .expect("claim")
                .is_none(),
            "{b}: a dead job stays dead"
        );
        // Failing an unknown job is harmless.
        s.fail_job(JobId::new(), "gone", None)
            .await
            .expect("fail unknown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_claims_of_one_due_job_give_it_to_exactly_one() {
    for f in backends().await {
        let b = f.backend;
        let s = &f.store;
        // Open a few connections first, so that neither claim waits for one to be opened.
        let pings = tokio::join!(s.ping(), s.ping(), s.ping(), s.ping());
        assert!(pings.0.is_ok() && pings.3.is_ok(), "{b}: ping");
        for round in 0..30 {
            let now = T0 + Duration::minutes(round);
            let j = job("race", now);
            s.enqueue(&j).await.expect("enqueue");
            let lease = now + Duration::hours(1);
            // Two tasks on two worker threads, released together.
            let start = Arc::new(Barrier::new(2));
            let claim = || {
                let s = s.clone();
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    s.claim_job(now, lease).await
                })
            };
            let (x, y) = tokio::join!(claim(), claim());
            let (x, y) = (x.expect("task x"), y.expect("task y"));
            let winners: Vec<_> = [x.expect("claim x"), y.expect("claim y")]
                .into_iter()
                .flatten()
                .collect();
            assert_eq!(winners.len(), 1, "{b}: round {round}: {winners:?}");
            assert_eq!(winners[0].id, j.id, "{b}: round {round}");
            s.complete_job(j.id, now).await.expect("complete");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_concurrent_claim_loops_claim_each_of_twenty_jobs_exactly_once() {
    for f in backends().await {
        let b = f.backend;
        let mut queued = HashSet::new();
        for i in 0..20 {
            let j = job(&format!("job-{i}"), T0 - Duration::seconds(i));
            f.store.enqueue(&j).await.expect("enqueue");
            queued.insert(j.id);
        }
        let lease = T0 + Duration::hours(1);
        let s = &f.store;
        let pings = tokio::join!(s.ping(), s.ping(), s.ping(), s.ping());
        assert!(pings.0.is_ok() && pings.3.is_ok(), "{b}: ping");
        let start = Arc::new(Barrier::new(4));
        let loops: Vec<_> = (0..4)
            .map(|_| {
                let s = f.store.clone();
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    let mut got = Vec::new();
                    while let Some(j) = s.claim_job(T0, lease).await.expect("claim") {
                        got.push((j.id, j.attempts));
                        tokio::task::yield_now().await;
                    }
                    got
                })
            })
            .collect();
        let mut claimed = Vec::new();
        for l in loops {
            claimed.extend(l.await.expect("claim loop"));
        }
        assert_eq!(claimed.len(), 20, "{b}: claims {claimed:?}");
        let ids: HashSet<JobId> = claimed.iter().map(|c| c.0).collect();
        assert_eq!(ids, queued, "{b}: every job claimed exactly once");
        assert!(
            claimed.iter().all(|c| c.1 == 1),
            "{b}: first attempt each: {claimed:?}"
        );
    }
}

// --- health --------------------------------------------------------------------------

#[tokio::test]
async fn ping_reaches_the_database() {
    for f in backends().await {
        f.store
            .ping()
            .await
            .unwrap_or_else(|e| panic!("{}: ping: {e}", f.backend));
        f.store.close().await;
        assert!(
            f.store.ping().await.is_err(),
            "{}: ping on a closed pool fails",
            f.backend
        );
    }
}

#[test]
fn the_database_name_is_replaced_in_a_postgres_url() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/wushe_test", "x"),
        "postgres://u:p@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/wushe_test?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
}

#[tokio::test]
async fn postgres_honours_sslmode_in_the_url() {
    let Some(admin_url) = postgres_url() else {
        eprintln!(
            "NOTICE: WUSHE_TEST_POSTGRES_URL is not set; sslmode is checked on PostgreSQL only"
        );
        return;
    };
    let f = postgres(admin_url.clone()).await;
    let Cleanup::Pg { name, .. } = &f._cleanup else {
        panic!("a PostgreSQL fixture")
    };
    let url = with_database(&admin_url, name);
    let sep = if url.contains('?') { '&' } else { '?' };
    // The test server speaks plain TCP: `require` must fail rather than go on without TLS,
    // while `prefer` falls back and works.
    let err = SqlStore::open(&format!("{url}{sep}sslmode=require"), true)
        .await
        .expect_err("sslmode=require against a server without TLS must fail");
    // Built with TLS, the client asks for it and the server says no; built without, sqlx
    // would answer "built without TLS support" instead.
    assert!(err.contains("server does not support TLS"), "{err}");
    let store = SqlStore::open(&format!("{url}{sep}sslmode=prefer"), true)
        .await
        .expect("prefer falls back to plain TCP");
    store.ping().await.expect("ping");
    store.close().await;
}

#[path = "contract/codes.rs"]
mod codes;
#[path = "contract/dispatch.rs"]
mod dispatch;
#[path = "contract/intake.rs"]
mod intake;
#[path = "contract/need_work.rs"]
mod need_work;
#[path = "contract/outbox.rs"]
mod outbox;
// --- volunteers ----------------------------------------------------------------------

#[path = "contract/volunteers.rs"]
mod volunteers;

#[path = "contract/people.rs"]
mod people;

// --- one-time text codes ---------------------------------------------------------------

/// A code issued at `at`, valid until `until`, with its queued text.
async fn issue_code(
    f: &Fixture,
    index: &str,
    at: OffsetDateTime,
    until: OffsetDateTime,
) -> (wushe_core::ids::SmsCodeId, wushe_core::ids::OutboxId) {
    use wushe_core::ids::{OutboxId, SmsCodeId};
    use wushe_core::notify::codes::{Purpose, SmsCode};
    use wushe_core::notify::{Channel, OutboxMessage, OutboxState, SMS_CODE};
    use wushe_core::store::CodeStore;
    let id = SmsCodeId::new();
    let region = RegionCode("310101020".into());
    let code = SmsCode {
        id,
        purpose: Purpose::Login,
        phone_index: index.into(),
        phone: b"sealed-phone".to_vec(),
        code: b"sealed-code".to_vec(),
        region: region.clone(),
        created_at: at,
        expires_at: until,
        tries: 0,
        used_at: None,
    };
    let message = OutboxMessage {
        id: OutboxId::new(),
        channel: Channel::Sms,
        kind: SMS_CODE.into(),
        need: None,
        code: Some(id),
        event: None,
        webhook: None,
        region,
        origin: None,
        state: OutboxState::Pending,
        attempts: 0,
        next_at: at,
        last_error: None,
        created_at: at,
        done_at: None,
    };
    f.store
        .issue_sms_code(&code, &message, &ev())
        .await
        .expect("issue");
    (id, message.id)
}

/// The text of a code sent (demo mode: its sealed words kept).
async fn send_code(
    f: &Fixture,
    outbox: wushe_core::ids::OutboxId,
    index: &str,
    at: OffsetDateTime,
) {
    use wushe_core::notify::Finish;
    use wushe_core::notify::sms::SmsRecord;
    use wushe_core::store::NotifyStore;
    let record = SmsRecord {
        id: wushe_core::ids::SmsId::new(),
        outbox,
        phone_index: index.into(),
        origin: None,
        outcome: "sent",
        mode: "demo",
        phone: Some(b"sealed-phone".to_vec()),
        body: Some(b"sealed-words".to_vec()),
        at,
    };
    f.store
        .finish_outbox(outbox, &Finish::Delivered, Some(&record), at)
        .await
        .expect("finish");
}

#[tokio::test]
async fn used_or_expired_codes_past_a_week_go_with_their_outbox_rows_and_texts_in_one_audited_step()
{
    use wushe_core::audit::RecordKind;
    use wushe_core::store::{AuditStore, CodeStore, NotifyStore};
    for f in backends().await {
        let b = f.backend;
        let now = T0 + Duration::days(30);
        let week_ago = now - Duration::days(7);
        let old = now - Duration::days(8);
        // Old and used, its text sent: goes, with the outbox row and the record of the text.
        let (used, used_row) = issue_code(&f, "idx-a", old, old + Duration::minutes(10)).await;
        send_code(&f, used_row, "idx-a", old + Duration::seconds(1)).await;
        assert!(
            f.store
                .use_sms_code(used, old + Duration::minutes(2))
                .await
                .expect("use")
        );
        // Old, never used and expired, its text never sent: goes with its outbox row.
        let (expired, expired_row) =
            issue_code(&f, "idx-b", old, old + Duration::minutes(10)).await;
        // Old but somehow still valid and unused: stays.
        let (valid, _) = issue_code(&f, "idx-c", old, now + Duration::minutes(1)).await;
        // Used yesterday: stays, with its text.
        let recent = now - Duration::days(1);
        let (kept, kept_row) =
            issue_code(&f, "idx-d", recent, recent + Duration::minutes(10)).await;
        send_code(&f, kept_row, "idx-d", recent + Duration::seconds(1)).await;
        assert!(
            f.store
                .use_sms_code(kept, recent + Duration::minutes(1))
                .await
                .expect("use")
        );

        let head = f.store.audit_head().await.expect("head");
        let audit = AuditEvent::new(Action::SmsCodesPurged, now)
            .record(RecordKind::SmsCode, Vec::<String>::new());
        let n = f
            .store
            .purge_sms_codes(week_ago, now, &audit)
            .await
            .unwrap_or_else(|e| panic!("{b}: purge blocked: {e:?}"));
        assert_eq!(n, 2, "{b}");
        for gone in [used, expired] {
            assert!(f.store.sms_code(gone).await.expect("read").is_none(), "{b}");
        }
        for stays in [valid, kept] {
            assert!(
                f.store.sms_code(stays).await.expect("read").is_some(),
                "{b}"
            );
        }
        for gone in [used_row, expired_row] {
            assert!(
                f.store.outbox_message(gone).await.expect("read").is_none(),
                "{b}"
            );
        }
        assert!(
            f.store
                .outbox_message(kept_row)
                .await
                .expect("read")
                .is_some(),
            "{b}"
        );
        let texts: Vec<_> = f
            .store
            .demo_texts(100)
            .await
            .expect("texts")
            .into_iter()
            .map(|t| t.outbox)
            .collect();
        assert_eq!(
            texts,
            vec![kept_row],
            "{b}: only the kept code's text is left"
        );
        // One audit entry, with the counts.
        let entries = f.store.audit_page(head.seq, 100).await.expect("audit");
        assert_eq!(entries.len(), 1, "{b}: {entries:?}");
        assert_eq!(entries[0].action, "sms_codes_purged", "{b}");
        for id in ["count:2", "outbox:2", "texts:1"] {
            assert!(
                entries[0].record_ids.contains(id),
                "{b}: {}",
                entries[0].record_ids
            );
        }
        // Nothing left to purge: nothing done, nothing recorded.
        let n = f
            .store
            .purge_sms_codes(week_ago, now, &audit)
            .await
            .expect("again");
        assert_eq!(n, 0, "{b}");
        assert_eq!(
            f.store.audit_head().await.expect("head").seq,
            head.seq + 1,
            "{b}"
        );
    }
}
