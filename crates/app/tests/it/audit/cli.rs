//! `wushe audit verify` against a SQLite file: an intact log verifies (exit 0); after an
//! entry is edited, deleted, reordered or the newest entries are truncated together with the
//! head row — the triggers dropped first, as an attacker with the file would — it exits
//! non-zero naming the first bad entry.

use std::path::PathBuf;
use std::process::{Command, Output};

use time::OffsetDateTime;
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::regions::RegionCode;
use wushe_core::store::AuditStore;
use wushe_store::SqlStore;

const REGIONS: &str = "code,name,parent_code,level\n31,上海市,,province\n3101,市辖区,31,city\n310101,黄浦区,3101,district\n310101020,五里桥街道,310101,street\n";

/// A data directory whose log holds 8 entries and a checkpoint at entry 8.
struct Fixture {
    dir: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Fixture {
    fn wushe(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wushe"));
        for (k, _) in std::env::vars() {
            if k.starts_with("WUSHE_") {
                c.env_remove(k);
            }
        }
        c.current_dir(&self.dir)
            .env("WUSHE_NEW_PASSWORD", "a-long-enough-password")
            .args(args)
            .output()
            .expect("run wushe")
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.join("data/wushe.db").display())
    }

    async fn new() -> Fixture {
        let dir =
            std::env::temp_dir().join(format!("wushe-audit-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("r.csv"), REGIONS).expect("write");
        let f = Fixture { dir };
        ok(&f.wushe(&["regions", "import", "r.csv"]));
        ok(&f.wushe(&[
            "user",
            "add",
            "wang.li",
            "--role",
            "admin",
            "--region",
            "310101020",
        ]));
        let store = SqlStore::open(&f.url(), true).await.expect("open");
        for _ in 0..6 {
            let e = AuditEvent::new(Action::Denied, OffsetDateTime::now_utc())
                .region(&RegionCode("310101020".into()))
                .record(RecordKind::Route, ["GET:/audit"]);
            store.append_audit(&e).await.expect("append");
        }
        store.close().await;
        let out = f.wushe(&["audit", "checkpoint"]);
        ok(&out);
        assert!(stdout(&out).contains("8 entries"), "{}", stdout(&out));
        f
    }

    /// Run SQL straight on the file, as someone with access to it could.
    async fn tamper(&self, statements: &[&str]) {
        let pool = sqlx::SqlitePool::connect(&self.url())
            .await
            .expect("connect");
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        pool.close().await;
    }

    /// `wushe audit verify` must fail; returns what it said.
    fn verify_fails(&self) -> String {
        let out = self.wushe(&["audit", "verify"]);
        assert!(!out.status.success(), "verify passed: {}", stdout(&out));
        String::from_utf8_lossy(&out.stderr).to_string()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}{}",
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn verify_passes_an_intact_log_and_refuses_a_damaged_checkpoint_file() {
    let f = Fixture::new().await;
    for args in [
        ["audit", "verify", "--help"],
        ["audit", "checkpoint", "--help"],
    ] {
        let out = f.wushe(&args);
        ok(&out);
        assert!(stdout(&out).contains("Usage:"), "{args:?}");
    }
    let out = f.wushe(&["audit", "verify"]);
    ok(&out);
    assert!(
        stdout(&out).contains("audit log intact: 8 entries"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("checked against 1 checkpoints"));
    let file = f.dir.join("data/audit-checkpoints.log");
    let good = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, format!("{good}garbage\n")).expect("write");
    let err = f.verify_fails();
    assert!(err.contains("audit-checkpoints.log:2"), "{err}");
}

#[tokio::test]
async fn verify_names_an_edited_entry() {
    let f = Fixture::new().await;
    f.tamper(&[
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET action = 'login' WHERE seq = 3",
    ])
    .await;
    let err = f.verify_fails();
    assert!(err.contains("first bad entry 3: altered"), "{err}");
}

#[tokio::test]
async fn verify_names_a_deleted_entry() {
    let f = Fixture::new().await;
    f.tamper(&[
        "DROP TRIGGER audit_log_no_delete",
        "DELETE FROM audit_log WHERE seq = 4",
    ])
    .await;
    let err = f.verify_fails();
    assert!(err.contains("first bad entry 4: missing"), "{err}");
}

#[tokio::test]
async fn verify_names_the_first_of_two_reordered_entries() {
    let f = Fixture::new().await;
    f.tamper(&[
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET seq = -2 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = -2",
    ])
    .await;
    let err = f.verify_fails();
    assert!(err.contains("first bad entry 2:"), "{err}");
}

#[tokio::test]
async fn verify_names_the_first_truncated_entry_even_with_the_head_row_back_dated() {
    let f = Fixture::new().await;
    f.tamper(&[
        "DROP TRIGGER audit_log_no_delete",
        "DROP TRIGGER audit_head_forward_only",
        "DELETE FROM audit_log WHERE seq > 6",
        "UPDATE audit_head SET seq = 6, hash = (SELECT hash FROM audit_log WHERE seq = 6)",
    ])
    .await;
    let err = f.verify_fails();
    assert!(
        err.contains("first bad entry 7: missing: the log ends at entry 6 but the checkpoint records 8 entries"),
        "{err}"
    );
}
