//! The `wushe` binary: configuration errors, region import, user creation and the demo.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wushe_core::regions::RegionCode;
use wushe_core::store::{RegionStore, UserStore};
use wushe_store::SqlStore;

pub fn wushe() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wushe"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WUSHE_") {
            c.env_remove(k);
        }
    }
    c
}

pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("wushe-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into())
        .collect();
    v.sort();
    v
}

#[test]
fn an_unknown_database_scheme_exits_2_and_creates_nothing() {
    let dir = temp_dir();
    let out = wushe()
        .current_dir(&dir)
        .env("WUSHE_DATABASE_URL", "postgre://x")
        .env("WUSHE_DATA_DIR", dir.join("data"))
        .arg("serve")
        .output()
        .expect("run wushe");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("postgre") && err.contains("sqlite://"),
        "{err}"
    );
    assert!(entries(&dir).is_empty(), "created {:?}", entries(&dir));
    // The same with the default data dir relative to the working directory.
    let out = wushe()
        .current_dir(&dir)
        .env("WUSHE_DATABASE_URL", "mysql://x")
        .output()
        .expect("run wushe");
    assert_eq!(out.status.code(), Some(2));
    assert!(entries(&dir).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_subcommand_explains_itself_in_english() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "add", "--help"],
        vec!["regions", "import", "--help"],
    ] {
        let out = wushe().args(&args).output().expect("run wushe");
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
    let out = wushe()
        .args(["regions", "import", "--help"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("code,name,parent_code,level"));
}

pub const GOOD: &str = "code,name,parent_code,level\n31,上海市,,province\n3101,市辖区,31,city\n310101,黄浦区,3101,district\n310101020,五里桥街道,310101,street\n310101020001,桥一居委会,310101020,community\n";

#[tokio::test]
async fn a_region_file_with_bad_lines_is_reported_line_by_line_and_nothing_is_written() {
    let dir = temp_dir();
    let bad = "code,name,parent_code,level\n31,上海市,,province\n3101,市辖区,32,city\n310101,黄浦区,3101,district\n31010102,x,310101,street\n";
    std::fs::write(dir.join("bad.csv"), bad).expect("write");
    let out = wushe()
        .current_dir(&dir)
        .args(["regions", "import", "bad.csv"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3:") && err.contains("does not start with its parent code"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:5:") && err.contains("9 digits"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    let store = SqlStore::open(
        &format!("sqlite://{}", dir.join("data/wushe.db").display()),
        true,
    )
    .await
    .expect("open");
    assert!(
        store.region_index().await.expect("index").is_empty(),
        "a rejected file wrote rows"
    );
    store.close().await;

    std::fs::write(dir.join("good.csv"), GOOD).expect("write");
    let out = wushe()
        .current_dir(&dir)
        .args(["regions", "import", "good.csv"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 places added or changed"));
    let again = wushe()
        .current_dir(&dir)
        .args(["regions", "import", "good.csv"])
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 places added or changed"),
        "import is idempotent"
    );
    let store = SqlStore::open(
        &format!("sqlite://{}", dir.join("data/wushe.db").display()),
        true,
    )
    .await
    .expect("open");
    let city = store
        .region(&RegionCode::parse("3101").expect("code"))
        .await
        .expect("read")
        .expect("city");
    assert_eq!(city.display_name, "上海市");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn user_add_creates_an_account_and_refuses_a_bad_one() {
    let dir = temp_dir();
    std::fs::write(dir.join("good.csv"), GOOD).expect("write");
    assert!(
        wushe()
            .current_dir(&dir)
            .args(["regions", "import", "good.csv"])
            .status()
            .expect("run")
            .success()
    );
    let out = wushe()
        .current_dir(&dir)
        .env("WUSHE_NEW_PASSWORD", "a-long-enough-password")
        .args([
            "user",
            "add",
            "wang.li",
            "--role",
            "admin",
            "--region",
            "310101020",
            "--name",
            "王丽",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = wushe()
        .current_dir(&dir)
        .args([
            "user",
            "add",
            "x",
            "--role",
            "king",
            "--region",
            "310101020",
            "--password",
            "short",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("username:") && err.contains("password:") && err.contains("role:"),
        "{err}"
    );
    let store = SqlStore::open(
        &format!("sqlite://{}", dir.join("data/wushe.db").display()),
        true,
    )
    .await
    .expect("open");
    let u = store
        .user_by_name("wang.li")
        .await
        .expect("read")
        .expect("created");
    assert_eq!(u.display_name, "王丽");
    assert_eq!(store.grants(u.id).await.expect("grants").len(), 1);
    assert!(store.user_by_name("x").await.expect("read").is_none());
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Kills the child process when dropped, so a failing test leaves nothing running.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_demo_serves_within_a_minute_and_its_printed_accounts_log_in() {
    let dir = temp_dir();
    let port = free_port();
    let started = Instant::now();
    let mut child = Running(
        wushe()
            .current_dir(&dir)
            .env("WUSHE_BIND", format!("127.0.0.1:{port}"))
            .env("WUSHE_DATA_DIR", dir.join("d"))
            .arg("demo")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start demo"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut url = None;
    let mut password = None;
    let mut accounts = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.split("serving at ").nth(1) {
            url = Some(rest.trim().trim_end_matches('/').to_string());
        } else if let Some(rest) = line.split("password ").nth(1) {
            password = Some(rest.trim_end_matches("):").trim().to_string());
        } else if line.starts_with("  ") && !line.trim().is_empty() {
            accounts.push(line.split_whitespace().next().expect("name").to_string());
        } else if url.is_some() && line.trim().is_empty() && !accounts.is_empty() {
            break;
        }
    }
    let url = url.expect("the demo printed its URL");
    assert_eq!(url, format!("http://127.0.0.1:{port}"));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let password = password.expect("printed password");
    assert_eq!(
        accounts.len(),
        10,
        "one account per role and one of the demo volunteers: {accounts:?}"
    );
    for name in &accounts {
        let http = crate::harness::client_builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let login = http
            .get(format!("{url}/login"))
            .send()
            .await
            .expect("login page");
        let csrf = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("wushe_csrf="))
            .map(|c| c.split(';').next().unwrap_or("").to_string())
            .expect("csrf cookie");
        let body = serde_urlencoded::to_string([
            ("_csrf", csrf.as_str()),
            ("username", name),
            ("password", &password),
        ])
        .expect("form");
        let res = http
            .post(format!("{url}/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("login");
        assert_eq!(
            res.status(),
            reqwest::StatusCode::SEE_OTHER,
            "{name} could not log in"
        );
        let home = http
            .get(format!("{url}/"))
            .send()
            .await
            .expect("home")
            .text()
            .await
            .expect("body");
        assert!(
            home.contains("演示账号免二次验证"),
            "the demo banner (saying demo accounts skip the second factor) is missing for {name}"
        );
        if name == "zhiyuan" {
            // The demo volunteer has a task under way and a completed one (with its minutes).
            let mine = http
                .get(format!("{url}/me/tasks"))
                .send()
                .await
                .expect("tasks")
                .text()
                .await
                .expect("body");
            assert!(
                mine.contains("card task-accepted\"><h3>上门探视")
                    && mine.contains("card task-done\"><h3>送物资"),
                "{mine}"
            );
        }
    }
    drop(child);
    let files = entries(&dir.join("d"));
    assert!(files.iter().any(|f| f == "demo.db"), "{files:?}");
    assert!(
        !files.iter().any(|f| f.starts_with("wushe.db")),
        "the demo touched wushe.db: {files:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_trusted_proxy_that_is_not_an_ip_address_exits_2_and_creates_nothing() {
    let dir = temp_dir();
    let out = wushe()
        .current_dir(&dir)
        .env("WUSHE_DATA_DIR", dir.join("data"))
        .env("WUSHE_TRUSTED_PROXIES", "10.0.0.5,proxy.internal")
        .arg("migrate")
        .output()
        .expect("run wushe");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("trusted_proxies") && err.contains("proxy.internal"),
        "{err}"
    );
    assert!(entries(&dir).is_empty(), "created {:?}", entries(&dir));
    let out = wushe()
        .current_dir(&dir)
        .env("WUSHE_DATA_DIR", dir.join("data"))
        .env("WUSHE_TRUSTED_PROXIES", "10.0.0.5, ::1")
        .env("WUSHE_MLPS_MODE", "true")
        .arg("migrate")
        .output()
        .expect("run wushe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
