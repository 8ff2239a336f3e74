//! `TestApp`: a wushe server on a random port with a fresh database, plus typed helpers.
//! Helpers and places are shared by every test file; not each one uses all of them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;
use wushe_app::config::Config;
use wushe_app::regions_file::{ImportOutcome, import_text};
use wushe_app::{App, AppState};
use wushe_core::actor::{Grant, Role};
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::ids::UserId;
use wushe_core::regions::RegionCode;
use wushe_core::users::totp::TotpSecret;
use wushe_core::users::{NewUser, password};
use wushe_core::{Clock, TestClock};

pub const PASSWORD: &str = "test-password-绿色通道";

/// Places used by tests (all real codes).
pub const HUANGPU: &str = "310101";
pub const WULIQIAO: &str = "310101020";
pub const QIAOYI: &str = "310101020001";
pub const QIAOER: &str = "310101020002";
pub const DAPUQIAO: &str = "310101021";
pub const DAPUQIAO_COMMUNITY: &str = "310101021001";
pub const XUHUI: &str = "310104";

/// A running test server.
pub struct TestApp {
    pub url: String,
    pub state: AppState,
    pub clock: Arc<TestClock>,
    pub data_dir: PathBuf,
    /// Dropped with the app, which drops the PostgreSQL test database.
    _pg: Option<PgDatabase>,
}

/// The Shanghai rows the tests need: the city, 黄浦区 and 徐汇区 down to communities.
fn test_regions() -> String {
    let all = include_str!("../../regions/shanghai.csv");
    all.lines()
        .filter(|l| {
            let code = l.split(',').next().unwrap_or("");
            code == "code"
                || code == "31"
                || code == "3101"
                || code.starts_with("310101")
                || code.starts_with("310104")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A throwaway PostgreSQL database, dropped with the app.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// The PostgreSQL server for tests, if configured. With CI=true a missing one is an error.
pub fn postgres_url() -> Option<String> {
    std::env::var("WUSHE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((url, None));
    let cut = base.rfind('/').unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A plain HTTP client for tests (the process's rustls provider installed first: reqwest is
/// built without one).
pub fn http_client() -> Client {
    client_builder().build().expect("client")
}

/// A client builder for tests: TLS set up once per process (reqwest would otherwise build it,
/// roots and all, for every client, which is slow in a debug build).
pub fn client_builder() -> reqwest::ClientBuilder {
    static TLS: std::sync::OnceLock<rustls::ClientConfig> = std::sync::OnceLock::new();
    let tls = TLS.get_or_init(|| wushe_app::notify::tls_config().expect("tls"));
    Client::builder().tls_backend_preconfigured(tls.clone())
}

impl TestApp {
    /// Start a server with a fresh database and the test places loaded.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with a change to the configuration.
    pub async fn spawn_with(change: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir =
            std::env::temp_dir().join(format!("wushe-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&data_dir).expect("temp dir");
        let (database_url, pg, secret_key_file) = match postgres_url() {
            Some(admin_url) => {
                let name = format!("wushe_t_{}", uuid::Uuid::now_v7().simple());
                let pool = sqlx::PgPool::connect(&admin_url)
                    .await
                    .expect("connect to WUSHE_TEST_POSTGRES_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&pool)
                    .await
                    .expect("create test database");
                pool.close().await;
                // PostgreSQL never creates a key file: give it one, as an operator would.
                let key_file = data_dir.join("secret.key");
                let ring = wushe_core::crypto::Keyring::generate().expect("keyring");
                wushe_app::keys::write_new_key_file(&key_file, &ring).expect("key file");
                (
                    replace_db_name(&admin_url, &name),
                    Some(PgDatabase { admin_url, name }),
                    Some(key_file),
                )
            }
            None => (
                format!("sqlite://{}", data_dir.join("wushe.db").display()),
                None,
                None,
            ),
        };
        let mut config = Config {
            bind: "127.0.0.1:0".into(),
            data_dir: data_dir.clone(),
            database_url,
            https: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            metrics_token: Some("metrics-secret".into()),
            // Lifted: the replay tests send a thousand requests; intake_limit.rs sets its own.
            intake_per_ip_per_minute: 0,
            intake_global_per_second: 0,
            run_worker: false,
            demo: false,
            trusted_proxies: Vec::new(),
            secret_key_file,
            mlps_mode: false,
            sla: wushe_core::needs::sla::SlaPolicy::default(),
            durable_commits: true,
            check_days: [1, 3, 7],
            people_retention_days: 3 * 365,
            dispatch_offer_seconds: 300,
            notify: Default::default(),
        };
        change(&mut config);
        let clock = Arc::new(TestClock::new(OffsetDateTime::now_utc()));
        let app = App::build_with_clock(config, clock.clone())
            .await
            .expect("build app");
        let state = app.state().clone();
        let event = AuditEvent::new(Action::RegionsImported, OffsetDateTime::now_utc());
        match import_text(state.store.as_ref(), &test_regions(), event)
            .await
            .expect("import")
        {
            ImportOutcome::Imported { .. } => {}
            ImportOutcome::Rejected(e) => panic!("test regions rejected: {e:?}"),
        }
        let url = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until(std::future::pending()));
        TestApp {
            url,
            state,
            clock,
            data_dir,
            _pg: pg,
        }
    }

    /// A browser-like client: cookies kept, redirects not followed.
    pub fn client(&self) -> TestClient {
        let http = client_builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestClient {
            http,
            base: self.url.clone(),
            csrf: String::new(),
            user_id: None,
        }
    }

    /// Create a user with one role over one region (directly in the store).
    pub async fn create_user(&self, role: Role, region: &str) -> (String, UserId) {
        let username = format!(
            "{}-{}",
            role.as_str().replace('_', "-"),
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let region = RegionCode::parse(region).expect("region");
        let user = NewUser {
            username: username.clone(),
            display_name: format!("测试 {}", role.zh()),
            region: region.clone(),
            grants: vec![Grant {
                role,
                region,
                org: None,
            }],
        };
        let hash = password::hash(PASSWORD).expect("hash");
        let now = OffsetDateTime::now_utc();
        let event = AuditEvent::new(Action::UserCreated, now)
            .region(&user.region)
            .record(RecordKind::User, Vec::<String>::new());
        let id = self
            .state
            .store
            .insert_user(&user, &hash, now, &event)
            .await
            .expect("insert user");
        (username, id)
    }

    /// A logged-in client for a new user with `role` over `region`.
    pub async fn login_as(&self, role: Role, region: &str) -> TestClient {
        let (username, id) = self.create_user(role, region).await;
        let mut c = self.client();
        let res = c.login(&username, PASSWORD).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "login of {username} failed"
        );
        // Roles that must have a second factor enrol through the real pages first.
        if res.headers()["location"] == "/totp/enrol" {
            c.enrol_totp(self).await;
        }
        c.user_id = Some(id);
        c
    }

    /// Seconds since the epoch on the app's clock (for computing TOTP codes).
    pub fn unix_now(&self) -> u64 {
        u64::try_from(self.clock.now().unix_timestamp()).expect("after 1970")
    }
}

/// An HTTP client with cookies and the CSRF token of its session.
pub struct TestClient {
    pub http: Client,
    pub base: String,
    pub csrf: String,
    pub user_id: Option<UserId>,
}

impl TestClient {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET a page, remembering the CSRF cookie it sets.
    pub async fn get(&mut self, path: &str) -> Response {
        let res = self.http.get(self.url(path)).send().await.expect("GET");
        self.remember_csrf(&res);
        res
    }

    fn remember_csrf(&mut self, res: &Response) {
        for v in res.headers().get_all("set-cookie") {
            if let Some(rest) = v.to_str().ok().and_then(|s| s.strip_prefix("wushe_csrf=")) {
                self.csrf = rest.split(';').next().unwrap_or("").to_string();
            }
        }
    }

    async fn ensure_csrf(&mut self) {
        if self.csrf.is_empty() {
            self.get("/login").await;
        }
    }

    /// POST a form with the CSRF field added.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.ensure_csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).expect("form");
        self.http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// Send JSON with the CSRF header.
    pub async fn send_json(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Response {
        self.ensure_csrf().await;
        self.http
            .request(method, self.url(path))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .expect("send")
    }

    pub async fn post_json(&mut self, path: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn get_json(&mut self, path: &str) -> (StatusCode, Value) {
        let res = self.get(path).await;
        let status = res.status();
        let v = res.json::<Value>().await.unwrap_or(Value::Null);
        (status, v)
    }

    /// Enrol a second factor through `/totp/enrol`: read the manual key off the page, send
    /// the code for the app's clock. Returns the secret and the recovery codes shown.
    pub async fn enrol_totp(&mut self, app: &TestApp) -> (TotpSecret, Vec<String>) {
        let page = text(self.get("/totp/enrol").await).await;
        let key = between(&page, "<code class=\"totp-key\">", "</code>").expect("manual key shown");
        let secret = TotpSecret::from_base32(&key).expect("base32 key");
        let code = secret.code_at(app.unix_now()).expect("code");
        let res = self.post_form("/totp/enrol", &[("code", &code)]).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "enrolment refused the first code"
        );
        let page = text(res).await;
        let codes = page
            .split("<li><code>")
            .skip(1)
            .filter_map(|s| s.split("</code>").next())
            .map(str::to_string)
            .collect();
        (secret, codes)
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Response {
        self.get("/login").await;
        self.post_form(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }
}

/// The text between two markers, if both occur.
pub fn between(haystack: &str, start: &str, end: &str) -> Option<String> {
    let from = haystack.find(start)? + start.len();
    let len = haystack[from..].find(end)?;
    Some(haystack[from..from + len].to_string())
}

/// Body text of a response.
pub async fn text(res: Response) -> String {
    res.text().await.expect("body")
}
