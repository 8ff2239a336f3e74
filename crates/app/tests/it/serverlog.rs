//! The server log of a real `wushe serve`, at debug level: passwords and the names people type
//! at the login never appear in it, nor a tracking link's secret, a resident's words or the
//! protected fields of registry people and their checks.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use crate::cli::{Running, free_port, temp_dir, wushe};

const REGIONS: &str = "code,name,parent_code,level\n31,上海市,,province\n3101,市辖区,31,city\n310101,黄浦区,3101,district\n310101020,五里桥街道,310101,street\n310101020001,桥一居委会,310101020,community\n";
const PASSWORD: &str = "canary-password-日志里不能有";
const WRONG: &str = "canary-wrong-password-不能有";

/// The CSRF token a fresh client gets with the login page.
async fn csrf_token(http: &reqwest::Client, url: &str) -> String {
    let page = http
        .get(format!("{url}/login"))
        .send()
        .await
        .expect("login page");
    page.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("wushe_csrf="))
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .expect("a CSRF cookie")
}

async fn login(
    http: &reqwest::Client,
    url: &str,
    csrf: &str,
    name: &str,
    password: &str,
) -> reqwest::Response {
    let body =
        serde_urlencoded::to_string([("_csrf", csrf), ("username", name), ("password", password)])
            .expect("form");
    http.post(format!("{url}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("login")
}

/// A `wushe serve` whose output is read as it is written (at debug level it soon writes more
/// than a pipe holds, and a server blocked on a full pipe answers nothing).
struct Served {
    child: Running,
    readers: Vec<std::thread::JoinHandle<String>>,
}

fn read_all(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = from.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// `wushe serve` at debug level in `dir`, its output captured; the base URL once it answers.
async fn serve(dir: &std::path::Path) -> (Served, String) {
    let port = free_port();
    let mut child = Running(
        wushe()
            .current_dir(dir)
            .env("WUSHE_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "debug")
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve"),
    );
    let readers = vec![
        read_all(child.0.stderr.take().expect("stderr")),
        read_all(child.0.stdout.take().expect("stdout")),
    ];
    let child = Served { child, readers };
    let url = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if crate::harness::http_client()
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not start");
    (child, url)
}

/// Stop the server and return everything it wrote.
fn stop(served: Served) -> String {
    let Served { mut child, readers } = served;
    let _ = child.0.kill();
    let _ = child.0.wait();
    let mut log = String::new();
    for r in readers {
        log.push_str(&r.join().expect("log reader"));
    }
    assert!(
        log.contains("wushe listening"),
        "the log was captured: {log}"
    );
    log
}

#[tokio::test]
async fn the_server_log_never_holds_passwords_or_typed_login_names() {
    let dir = temp_dir();
    std::fs::write(dir.join("r.csv"), REGIONS).expect("write");
    assert!(
        wushe()
            .current_dir(&dir)
            .args(["regions", "import", "r.csv"])
            .status()
            .expect("import")
            .success()
    );
    let ok = wushe()
        .current_dir(&dir)
        .env("WUSHE_NEW_PASSWORD", PASSWORD)
        .args([
            "user",
            "add",
            "canary.worker",
            "--role",
            "social_worker",
            "--region",
            "310101020001",
        ])
        .status()
        .expect("user add");
    assert!(ok.success());
    let (child, url) = serve(&dir).await;
    let http = crate::harness::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let csrf = csrf_token(&http, &url).await;
    let typed_name = "canary-typed-name-张三";
    assert_eq!(
        login(&http, &url, &csrf, typed_name, WRONG).await.status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&http, &url, &csrf, "canary.worker", WRONG)
            .await
            .status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&http, &url, &csrf, "canary.worker", PASSWORD)
            .await
            .status(),
        reqwest::StatusCode::SEE_OTHER
    );
    assert_eq!(
        http.get(format!("{url}/api/v1/me"))
            .send()
            .await
            .expect("me")
            .status(),
        reqwest::StatusCode::OK
    );
    // A registry person and a check with canaries in every protected field, then a reveal.
    let person = serde_json::json!({
        "name": "CANARY-LOG-NAME", "phone": "13766660001",
        "id_number": crate::people::id_number("19360606", 606),
        "address": "CANARY-LOG-ADDRESS", "region": "310101020001",
        "categories": ["living_alone"], "care_level": "A", "basis": "statutory_duty",
        "basis_date": "2026-04-03", "notice_version": "v1",
        "health_notes": "CANARY-LOG-HEALTH",
    });
    let res = http
        .post(format!("{url}/api/v1/people"))
        .header("x-csrf-token", &csrf)
        .json(&person)
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let id = res.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let res = http
        .post(format!("{url}/api/v1/people/{id}/checks"))
        .header("x-csrf-token", &csrf)
        .json(
            &serde_json::json!({"method": "phone", "reached": true, "physical": "stable",
            "mental": "crisis", "medication_days_left": 0, "notes": "CANARY-LOG-NOTES"}),
        )
        .send()
        .await
        .expect("check");
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let body = serde_urlencoded::to_string([
        ("_csrf", csrf.as_str()),
        ("field", "phone"),
        ("reason", "电话回访"),
    ])
    .expect("form");
    let res = http
        .post(format!("{url}/people/{id}/reveal"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("reveal");
    assert!(res.text().await.expect("page").contains("13766660001"));
    http.get(format!("{url}/checks/today"))
        .send()
        .await
        .expect("today");
    let log = stop(child);
    assert!(
        log.contains("wushe listening"),
        "the log was captured: {log}"
    );
    assert!(
        log.contains("full sensitive value revealed"),
        "the reveal was logged"
    );
    for canary in [
        PASSWORD,
        WRONG,
        typed_name,
        "CANARY-LOG-NAME",
        "13766660001",
        "CANARY-LOG-ADDRESS",
        "CANARY-LOG-HEALTH",
        "CANARY-LOG-NOTES",
    ] {
        assert!(!log.contains(canary), "the server log holds {canary}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A form POST with the CSRF token.
async fn post_form(
    http: &reqwest::Client,
    url: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::StatusCode {
    let mut all = vec![("_csrf", csrf)];
    all.extend_from_slice(fields);
    http.post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&all).expect("form"))
        .send()
        .await
        .expect("post")
        .status()
}

#[tokio::test]
async fn the_server_log_never_holds_a_tracking_secret_or_the_residents_words() {
    let dir = temp_dir();
    std::fs::write(dir.join("r.csv"), REGIONS).expect("write");
    assert!(
        wushe()
            .current_dir(&dir)
            .args(["regions", "import", "r.csv"])
            .status()
            .expect("import")
            .success()
    );
    let (child, url) = serve(&dir).await;
    let description = "canary-description-菜不够了";
    let res = crate::harness::http_client()
        .post(format!("{url}/api/v1/needs"))
        .header("idempotency-key", "serverlog-key-0001")
        .json(&serde_json::json!({
            "category": "supplies",
            "description": description,
            "who_for": "self",
            "community": "310101020001",
            "building": "1号",
            "contact_name": "canary-name-王五",
            "mobile": "13812345678",
            "privacy_consent": true,
            "health_consent": true,
        }))
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let v: serde_json::Value = res.json().await.expect("json");
    let link = v["tracking_link"].as_str().expect("link").to_string();
    let (path, secret) = link.split_once("?k=").expect("secret");
    let http = crate::harness::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let csrf = csrf_token(&http, &url).await;
    let page = http.get(format!("{url}{link}")).send().await.expect("page");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let mut live = http
        .get(format!("{url}{path}/live?k={secret}"))
        .send()
        .await
        .expect("live");
    assert_eq!(live.status(), reqwest::StatusCode::OK);
    let _ = tokio::time::timeout(Duration::from_secs(2), live.chunk()).await;
    drop(live);
    let info = "canary-info-老人发烧了";
    let wrong = "canary0wrong0secret";
    for (to, fields, want) in [
        ("info", vec![("k", secret), ("info", info)], 303),
        ("info", vec![("k", wrong), ("info", info)], 404),
        ("cancel", vec![("k", secret)], 422),
        ("cancel", vec![("k", secret), ("confirm", "yes")], 303),
    ] {
        let status = post_form(&http, &format!("{url}{path}/{to}"), &csrf, &fields).await;
        assert_eq!(status.as_u16(), want, "{to} {fields:?}");
    }
    for bad in [
        format!("{path}?k={wrong}"),
        format!("{path}/live?k={wrong}"),
    ] {
        let res = http.get(format!("{url}{bad}")).send().await.expect("get");
        assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);
    }
    let back = format!("{path}?k={secret}");
    let status = post_form(
        &http,
        &format!("{url}/lang"),
        &csrf,
        &[("lang", "en"), ("back", &back)],
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::SEE_OTHER);
    let log = stop(child);
    for canary in [secret, wrong, info, description, "canary-name-王五"] {
        assert!(!log.contains(canary), "the server log holds {canary}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
