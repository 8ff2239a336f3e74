//! Crash safety of the intake: the `wushe` binary is killed with SIGKILL while residents'
//! needs pour in, restarted, again and again. Every submission that was answered must still
//! be there (a replay of its key answers with the same tracking code), no key made two needs,
//! the database and the audit chain check out, and the server is healthy within 5 s of each
//! start. On SQLite always; on PostgreSQL too when WUSHE_TEST_POSTGRES_URL is set.
//! 20 cycles by default (QUALITY.md); `WUSHE_CRASH_CYCLES=200` for the extended run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{Running, free_port, temp_dir, wushe};
use crate::harness::{QIAOYI, postgres_url, replace_db_name};

/// A database for the binary: its URL and, for PostgreSQL, the key file every start uses.
struct Target {
    name: &'static str,
    url: String,
    key_file: Option<PathBuf>,
}

fn body(key: &str) -> Value {
    json!({
        "category": "supplies",
        "description": format!("家里菜不够了 {key}"),
        "who_for": "self",
        "community": QIAOYI,
        "building": "1号",
        "contact_name": "测试",
        "mobile": "13800001111",
        "privacy_consent": true,
        "health_consent": true,
    })
}

fn command(t: &Target, dir: &Path, port: u16) -> std::process::Command {
    let mut c = wushe();
    c.current_dir(dir)
        .env("WUSHE_DATA_DIR", dir.join("data"))
        .env("WUSHE_DATABASE_URL", &t.url)
        .env("WUSHE_BIND", format!("127.0.0.1:{port}"))
        .env("WUSHE_INTAKE_PER_IP_PER_MINUTE", "0")
        .env("WUSHE_INTAKE_GLOBAL_PER_SECOND", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(k) = &t.key_file {
        c.env("WUSHE_SECRET_KEY_FILE", k);
    }
    c
}

/// Start the server and wait until `/healthz` answers; the time it took.
async fn start(t: &Target, dir: &Path, port: u16) -> (Running, Duration) {
    let began = Instant::now();
    let child = Running(
        command(t, dir, port)
            .arg("serve")
            .spawn()
            .expect("start wushe"),
    );
    let http = crate::harness::http_client();
    loop {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            && r.status().is_success()
        {
            return (child, began.elapsed());
        }
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "wushe did not start"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Submit with `key`; `Some(tracking code)` when the server answered 200/201.
async fn submit(http: &reqwest::Client, port: u16, key: &str) -> Option<String> {
    let res = http
        .post(format!("http://127.0.0.1:{port}/api/v1/needs"))
        .header("idempotency-key", key)
        .json(&body(key))
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    let v: Value = res.json().await.ok()?;
    v["tracking_code"].as_str().map(str::to_string)
}

async fn crash_cycles(t: Target) {
    let cycles: usize = std::env::var("WUSHE_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = temp_dir();
    let prepare = command(&t, &dir, 0)
        .args(["regions", "import"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("regions/shanghai.csv"))
        .status()
        .expect("import regions");
    assert!(prepare.success(), "{}: region import", t.name);
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    for cycle in 0..cycles {
        let port = free_port();
        let (mut child, took) = start(&t, &dir, port).await;
        assert!(
            took < Duration::from_secs(5),
            "{}: healthy after {took:?}",
            t.name
        );
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut clients = Vec::new();
        for client in 0..16 {
            let (acked, stop) = (acked.clone(), stop.clone());
            clients.push(tokio::spawn(async move {
                let http = crate::harness::http_client();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let key = format!("crash-{cycle}-{client}-{n}");
                    if let Some(code) = submit(&http, port, &key).await {
                        acked.lock().expect("lock").insert(key, code);
                    }
                    n += 1;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(400 + 150 * (cycle as u64 % 4))).await;
        child.0.kill().expect("SIGKILL");
        child.0.wait().expect("reap");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for c in clients {
            c.await.expect("client");
        }
    }
    // After the last crash: every answered submission is there, once.
    let port = free_port();
    let (child, took) = start(&t, &dir, port).await;
    assert!(
        took < Duration::from_secs(5),
        "{}: healthy after {took:?}",
        t.name
    );
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() > 20 * cycles,
        "{}: only {} submissions answered",
        t.name,
        acked.len()
    );
    let http = crate::harness::http_client();
    let mut lost = Vec::new();
    for (key, code) in &acked {
        if submit(&http, port, key).await.as_deref() != Some(code.as_str()) {
            lost.push(key.clone());
        }
    }
    assert!(
        lost.is_empty(),
        "{}: {} answered submissions lost: {lost:?}",
        t.name,
        lost.len()
    );
    drop(child);
    let (needs, keys, integrity) = inspect(&t.url).await;
    eprintln!(
        "{}: {cycles} SIGKILLs, {} answered submissions all found, {needs} needs stored",
        t.name,
        acked.len()
    );
    assert_eq!(
        needs, keys,
        "{}: a need without its key, or a key with two needs",
        t.name
    );
    assert!(needs >= acked.len() as i64, "{}", t.name);
    assert_eq!(integrity, "ok", "{}: integrity check", t.name);
    let verify = command(&t, &dir, 0)
        .args(["audit", "verify"])
        .status()
        .expect("verify");
    assert!(verify.success(), "{}: the audit chain is damaged", t.name);
    let _ = std::fs::remove_dir_all(&dir);
}

/// (needs, idempotency keys, integrity check) read straight from the database.
async fn inspect(url: &str) -> (i64, i64, String) {
    use sqlx::Connection;
    const COUNTS: &str = "SELECT (SELECT COUNT(*) FROM needs), (SELECT COUNT(*) FROM idempotency)";
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        let (n, k): (i64, i64) = sqlx::query_as(COUNTS)
            .fetch_one(&mut c)
            .await
            .expect("count");
        let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut c)
            .await
            .expect("check");
        (n, k, check)
    } else {
        // PostgreSQL keeps its own integrity: the counts are what can go wrong here.
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        let (n, k): (i64, i64) = sqlx::query_as(COUNTS)
            .fetch_one(&mut c)
            .await
            .expect("count");
        (n, k, "ok".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_intake_load_loses_no_answered_need_and_duplicates_none_on_sqlite() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("crash.db").display());
    crash_cycles(Target {
        name: "SQLite",
        url,
        key_file: None,
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_intake_load_loses_no_answered_need_and_duplicates_none_on_postgresql() {
    let Some(admin) = postgres_url() else {
        eprintln!("NOTICE: set WUSHE_TEST_POSTGRES_URL to run the crash test on PostgreSQL");
        return;
    };
    let name = format!("wushe_crash_{}", uuid::Uuid::now_v7().simple());
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&pool)
        .await
        .expect("create");
    let dir = temp_dir();
    let key = dir.join("secret.key");
    assert!(
        wushe()
            .arg("keys")
            .arg("new")
            .arg(&key)
            .status()
            .expect("keys new")
            .success()
    );
    crash_cycles(Target {
        name: "PostgreSQL",
        url: replace_db_name(&admin, &name),
        key_file: Some(key),
    })
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE \"{name}\" WITH (FORCE)"
    )))
    .execute(&pool)
    .await
    .expect("drop");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client that has fetched the login page (so it holds the CSRF cookie) and can post.
async fn login_client(port: u16) -> (reqwest::Client, String) {
    let http = crate::harness::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = http
        .get(format!("http://127.0.0.1:{port}/login"))
        .send()
        .await
        .expect("login page");
    let csrf = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("wushe_csrf="))
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .expect("csrf cookie");
    (http, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_every_request_in_flight_finish_and_exits_cleanly() {
    let dir = temp_dir();
    let t = Target {
        name: "SQLite",
        url: format!("sqlite://{}", dir.join("term.db").display()),
        key_file: None,
    };
    let port = free_port();
    let (mut child, _) = start(&t, &dir, port).await;
    // Logins are slow on purpose (Argon2, two at a time): eight of them are still being
    // worked on when SIGTERM arrives.
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(login_client(port).await);
    }
    let mut in_flight = Vec::new();
    for (i, (http, csrf)) in clients.into_iter().enumerate() {
        in_flight.push(tokio::spawn(async move {
            let form = [
                ("_csrf", csrf.as_str()),
                ("username", &format!("nobody-{i}")),
                ("password", "not-the-password-2026"),
            ];
            http.post(format!("http://127.0.0.1:{port}/login"))
                .form(&form)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let pid = child.0.id().to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(term.expect("kill").success());
    for r in in_flight {
        let status = r
            .await
            .expect("task")
            .expect("an answer, not a cut connection");
        assert!(status.as_u16() < 500, "{status}");
    }
    let began = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "wushe did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
