//! The key file through the built binary: created 0600 on SQLite, required on PostgreSQL,
//! a node with another key refused, and `wushe keys rotate` re-encrypting (and resuming).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use wushe_core::crypto::{Cipher, Keyring};
use wushe_core::store::{KeyStore, UserStore};
use wushe_core::users::second_factor::{self, TOTP_SECRET};
use wushe_core::users::totp::TotpSecret;
use wushe_store::SqlStore;

use crate::cli::{GOOD, Running, free_port, temp_dir, wushe};
use crate::harness::{postgres_url, replace_db_name};

/// Run the binary to its end; a run that does not end within a minute (a node that should
/// have refused to start is serving) is killed and fails the test.
fn run(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = wushe();
    c.current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("WUSHE_BIND", "127.0.0.1:0");
    for (k, v) in envs {
        c.env(k, v);
    }
    let child = c.spawn().expect("run wushe");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
            panic!("wushe {args:?} did not exit within 60 s");
        }
    }
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("key file")
        .permissions()
        .mode()
        & 0o777
}

fn read_ring(path: &Path) -> Keyring {
    Keyring::parse(&std::fs::read_to_string(path).expect("read")).expect("key file")
}

#[tokio::test]
async fn on_sqlite_the_first_start_creates_the_key_file_with_mode_0600_in_the_data_dir() {
    let dir = temp_dir();
    let port = free_port();
    let key = dir.join("d/secret.key");
    let server = Running(
        wushe()
            .current_dir(&dir)
            .env("WUSHE_BIND", format!("127.0.0.1:{port}"))
            .env("WUSHE_DATA_DIR", dir.join("d"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start"),
    );
    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/healthz");
    while !crate::harness::http_client()
        .get(&url)
        .send()
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);
    assert_eq!(mode(&key), 0o600);
    let ring = read_ring(&key);
    assert_eq!(ring.ids(), vec![1]);
    let check = run(&dir, &[("WUSHE_DATA_DIR", "d")], &["keys", "check"]);
    assert!(check.status.success(), "{}", err(&check));
    assert!(out(&check).contains("fits the database"), "{}", out(&check));
    assert_eq!(read_ring(&key), ring, "a later start keeps the same key");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_node_with_another_key_refuses_to_start_and_a_lost_key_is_not_replaced() {
    let dir = temp_dir();
    let first = run(&dir, &[], &["keys", "check"]);
    assert!(first.status.success(), "{}", err(&first));
    let made = run(&dir, &[], &["keys", "new", "other.key"]);
    assert!(made.status.success(), "{}", err(&made));
    assert_eq!(mode(&dir.join("other.key")), 0o600);
    let wrong = run(&dir, &[("WUSHE_SECRET_KEY_FILE", "other.key")], &["serve"]);
    assert!(!wrong.status.success());
    let e = err(&wrong);
    assert!(
        e.contains("wrong key") && e.contains("WUSHE_SECRET_KEY_FILE"),
        "{e}"
    );
    assert!(e.contains("refuses to start"), "{e}");

    std::fs::remove_file(dir.join("data/secret.key")).expect("remove");
    let lost = run(&dir, &[], &["serve"]);
    assert!(!lost.status.success());
    assert!(err(&lost).contains("is missing"), "{}", err(&lost));
    assert!(
        !dir.join("data/secret.key").exists(),
        "no new key replaces a lost one"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgresql_without_a_key_file_refuses_to_start_and_says_what_to_do() {
    // .ci/run runs the whole suite twice, the second time with WUSHE_TEST_POSTGRES_URL set:
    // this test runs in that pass.
    let Some(admin) = postgres_url() else {
        eprintln!(
            "NOTICE: skipped: WUSHE_TEST_POSTGRES_URL is not set (the PostgreSQL pass runs it)"
        );
        return;
    };
    let name = format!("wushe_k_{}", uuid::Uuid::now_v7().simple());
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&pool)
        .await
        .expect("create database");
    let db = replace_db_name(&admin, &name);
    let dir = temp_dir();
    let env = [("WUSHE_DATABASE_URL", db.as_str())];
    let none = run(&dir, &env, &["serve"]);
    assert_eq!(none.status.code(), Some(2), "a configuration error");
    let e = err(&none);
    assert!(
        e.contains("WUSHE_SECRET_KEY_FILE") && e.contains("wushe keys new"),
        "{e}"
    );
    let missing = run(
        &dir,
        &[env[0], ("WUSHE_SECRET_KEY_FILE", "missing.key")],
        &["serve"],
    );
    assert!(!missing.status.success());
    assert!(
        err(&missing).contains("does not exist"),
        "{}",
        err(&missing)
    );
    assert!(
        !dir.join("missing.key").exists(),
        "never created on PostgreSQL"
    );

    assert!(run(&dir, &[], &["keys", "new", "a.key"]).status.success());
    assert!(run(&dir, &[], &["keys", "new", "b.key"]).status.success());
    let a = run(
        &dir,
        &[env[0], ("WUSHE_SECRET_KEY_FILE", "a.key")],
        &["keys", "check"],
    );
    assert!(a.status.success(), "{}", err(&a));
    let b = run(
        &dir,
        &[env[0], ("WUSHE_SECRET_KEY_FILE", "b.key")],
        &["serve"],
    );
    assert!(!b.status.success());
    assert!(err(&b).contains("wrong key"), "{}", err(&b));

    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&pool)
    .await;
    pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh SQLite setup with places, its key file, and admins `names` enrolled in TOTP
/// (through the core use-cases, as the enrolment page does). Returns their secrets.
async fn setup(dir: &Path, names: &[&str]) -> Vec<(TotpSecret, Vec<String>)> {
    std::fs::write(dir.join("good.csv"), GOOD).expect("write");
    assert!(
        run(dir, &[], &["regions", "import", "good.csv"])
            .status
            .success()
    );
    assert!(run(dir, &[], &["keys", "check"]).status.success());
    let store = SqlStore::open(
        &format!("sqlite://{}", dir.join("data/wushe.db").display()),
        true,
    )
    .await
    .expect("open");
    let cipher = Cipher::new(&read_ring(&dir.join("data/secret.key")));
    let mut out = Vec::new();
    for name in names {
        let add = run(
            dir,
            &[("WUSHE_NEW_PASSWORD", "a-long-enough-password")],
            &[
                "user",
                "add",
                name,
                "--role",
                "admin",
                "--region",
                "310101020",
            ],
        );
        assert!(add.status.success(), "{}", err(&add));
        let id = store
            .user_by_name(name)
            .await
            .expect("read")
            .expect("user")
            .id;
        let secret = second_factor::enrolment(&store, &cipher, id)
            .await
            .expect("enrol");
        let now = time::OffsetDateTime::now_utc();
        let code = secret.code_at(now.unix_timestamp() as u64).expect("code");
        let codes = second_factor::confirm(&store, &cipher, id, &code, now)
            .await
            .expect("confirm");
        out.push((secret, codes));
    }
    store.close().await;
    out
}

async fn key_ids(dir: &Path) -> Vec<u32> {
    let store = SqlStore::open(
        &format!("sqlite://{}", dir.join("data/wushe.db").display()),
        true,
    )
    .await
    .expect("open");
    let rows = store
        .sealed_batch(&TOTP_SECRET, None, 100)
        .await
        .expect("rows");
    store.close().await;
    rows.iter()
        .map(|(_, s)| Cipher::key_id_of(s).expect("key id"))
        .collect()
}

/// Log in through a running server with password and then `code`; true if signed in.
async fn logs_in(base: &str, name: &str, code: &str) -> bool {
    let http = crate::harness::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page");
    let csrf = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("wushe_csrf="))
        .and_then(|c| c.split(';').next())
        .expect("csrf")
        .to_string();
    let post = |path: &str, body: Vec<(&str, &str)>| {
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend(body);
        http.post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(all).expect("form"))
            .send()
    };
    let res = post(
        "/login",
        vec![("username", name), ("password", "a-long-enough-password")],
    )
    .await
    .expect("login");
    assert_eq!(res.headers()["location"], "/login/totp");
    let res = post("/login/totp", vec![("code", code)])
        .await
        .expect("code");
    let me = http
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .expect("me");
    res.status() == StatusCode::SEE_OTHER && me.status() == StatusCode::OK
}

#[tokio::test]
async fn keys_rotate_re_encrypts_every_sealed_value_and_codes_still_work() {
    let dir = temp_dir();
    let enrolled = setup(&dir, &["boss"]).await;
    assert_eq!(key_ids(&dir).await, vec![1]);
    let rotate = run(&dir, &[], &["keys", "rotate", "--batch", "1"]);
    assert!(rotate.status.success(), "{}", err(&rotate));
    let o = out(&rotate);
    assert!(o.contains("added key 2"), "{o}");
    assert!(
        o.contains("users.totp_secret: 1 checked, 1 re-encrypted"),
        "progress: {o}"
    );
    assert!(o.contains("every sealed value is under key 2"), "{o}");
    let key = dir.join("data/secret.key");
    assert_eq!(read_ring(&key).ids(), vec![1, 2], "old keys are kept");
    assert_eq!(read_ring(&key).current(), 2);
    assert_eq!(mode(&key), 0o600);
    assert_eq!(
        key_ids(&dir).await,
        vec![2],
        "the stored ciphertext names the new key"
    );

    let port = free_port();
    let server = Running(
        wushe()
            .current_dir(&dir)
            .env("WUSHE_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while crate::harness::http_client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(started.elapsed() < Duration::from_secs(30), "no server");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The code for the next step (the enrolment used the current one; codes work once).
    let (secret, codes) = &enrolled[0];
    let next = time::OffsetDateTime::now_utc().unix_timestamp() as u64 + 30;
    let code = secret.code_at(next).expect("code");
    assert!(logs_in(&base, "boss", &code).await, "a code after rotation");
    assert!(
        logs_in(&base, "boss", &codes[0]).await,
        "a recovery code hashed under the old key"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_interrupted_rotation_continues_where_it_stopped() {
    let dir = temp_dir();
    setup(&dir, &["boss", "deputy"]).await;
    let part = run(&dir, &[], &["keys", "rotate", "--limit", "1"]);
    assert!(part.status.success(), "{}", err(&part));
    assert!(out(&part).contains("stopped after 1"), "{}", out(&part));
    let mut ids = key_ids(&dir).await;
    ids.sort();
    assert_eq!(ids, vec![1, 2], "one value moved, one left");
    let rest = run(&dir, &[], &["keys", "rotate"]);
    assert!(rest.status.success(), "{}", err(&rest));
    let o = out(&rest);
    assert!(o.contains("continued the earlier rotation to key 2"), "{o}");
    assert!(
        o.contains("1 re-encrypted"),
        "the finished row is skipped: {o}"
    );
    assert_eq!(key_ids(&dir).await, vec![2, 2]);
    assert_eq!(
        read_ring(&dir.join("data/secret.key")).ids(),
        vec![1, 2],
        "no extra key"
    );
    let again = run(&dir, &[], &["keys", "rotate"]);
    assert!(out(&again).contains("added key 3"), "{}", out(&again));
    assert_eq!(key_ids(&dir).await, vec![3, 3]);
    let _ = std::fs::remove_dir_all(&dir);
}
