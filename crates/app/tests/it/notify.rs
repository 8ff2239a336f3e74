//! Notifications that leave wushe, through real HTTP: a fake SMS gateway and a fake webhook
//! receiver (axum servers started here) driven through the real adapters. A status change
//! makes exactly one text and one signed webhook; a gateway that is down is retried with
//! backoff, then the dead letter shows on the admin page and "send again" works; destinations
//! outside the allow-list (and redirects) are refused; caps per number and per address; the
//! recovery form answers the same whether or not a number matched; no number or name in the
//! outbox table or a webhook body.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use reqwest::StatusCode;
use time::{Duration, OffsetDateTime};
use wushe_core::Role;
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::ids::{NeedId, OutboxId, WebhookId};
use wushe_core::needs::timeline::EventKind;
use wushe_core::needs::work::Command;
use wushe_core::notify::webhook::{Webhook, verify};
use wushe_core::notify::{Channel, Finish, OutboxMessage, OutboxState};
use wushe_core::regions::RegionCode;

use crate::harness::*;
use crate::track::{need, parts, staff_does, submit};

/// What a fake server received: headers and body of every request.
#[derive(Clone)]
pub(crate) struct Fake {
    hits: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    status: Arc<AtomicU16>,
    url: String,
}

impl Fake {
    /// A server answering every request with the current status (200 to start with);
    /// `redirect_to` makes it answer 302 with that location instead.
    pub(crate) async fn start(redirect_to: Option<String>) -> Fake {
        let hits: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let (h, s) = (hits.clone(), status.clone());
        let router = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let (h, s, to) = (h.clone(), s.clone(), redirect_to.clone());
            async move {
                h.lock().expect("lock").push((headers, body));
                match to {
                    Some(to) => (
                        axum::http::StatusCode::FOUND,
                        [(axum::http::header::LOCATION, to)],
                    )
                        .into_response(),
                    None => axum::http::StatusCode::from_u16(s.load(Ordering::SeqCst))
                        .expect("status")
                        .into_response(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Fake { hits, status, url }
    }

    pub(crate) fn count(&self) -> usize {
        self.hits.lock().expect("lock").len()
    }

    pub(crate) fn bodies(&self) -> Vec<(HeaderMap, String)> {
        self.hits
            .lock()
            .expect("lock")
            .iter()
            .map(|(h, b)| (h.clone(), String::from_utf8_lossy(b).to_string()))
            .collect()
    }
}

/// A worker of the community is assigned; the test clock catches up with the event's time
/// (staff act at the real time, the test clock started when the app did).
async fn assign(app: &TestApp, code: &str) -> NeedId {
    let (_, worker) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let id = staff_does(app, code, Command::Assign { to: worker }).await;
    app.clock.advance(Duration::seconds(30));
    id
}

async fn deliver(app: &TestApp) -> usize {
    wushe_app::notify::deliver(&app.state)
        .await
        .expect("deliver")
}

async fn rows(app: &TestApp, need: NeedId) -> Vec<OutboxMessage> {
    let all = app
        .state
        .store
        .list_outbox(
            &[RegionCode::parse(HUANGPU).expect("code")],
            &OutboxState::ALL,
            1000,
        )
        .await
        .expect("outbox");
    all.into_iter().filter(|m| m.need == Some(need)).collect()
}

pub(crate) async fn sms_app(
    gateway: &Fake,
    change: impl FnOnce(&mut wushe_app::config::Config),
) -> TestApp {
    let url = format!("{}/send", gateway.url);
    TestApp::spawn_with(move |c| {
        c.notify.sms.mode = wushe_app::notify::SmsMode::Http;
        c.notify.sms.url = url;
        c.notify.sms.key = Some("gateway-key".into());
        c.notify.public_url = "https://wushe.example.org".into();
        change(c);
    })
    .await
}

#[tokio::test]
async fn a_status_change_sends_exactly_one_text_through_the_http_gateway() {
    let gateway = Fake::start(None).await;
    let app = sms_app(&gateway, |_| {}).await;
    let link = submit(&app, "notify-sms-1", "supplies", "家里没有米了").await;
    let (code, secret) = parts(&link);
    assert_eq!(
        deliver(&app).await,
        1,
        "the intake queued the 'received' text"
    );
    assert_eq!(gateway.count(), 1);
    assign(&app, &code).await;
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(deliver(&app).await, 0, "nothing is sent twice");
    let hits = gateway.bodies();
    assert_eq!(hits.len(), 2);
    let (headers, body) = &hits[1];
    let req: wushe_app::notify::SmsRequest = serde_json::from_str(body).expect("json");
    assert_eq!(req.to, "13812345678");
    assert!(req.text.contains("已安排工作人员"), "{}", req.text);
    assert!(req.text.starts_with("【五社联动】"));
    assert!(
        req.text
            .contains(&format!("https://wushe.example.org/t/{code}?k={secret}"))
    );
    assert!(!req.text.contains("王小明"), "no name in a text");
    assert_eq!(headers["authorization"], "Bearer gateway-key");
    assert_eq!(headers["idempotency-key"].to_str().expect("key"), req.id);
    let n = need(&app, &code).await;
    let out = rows(&app, n.id).await;
    assert_eq!(out.len(), 2);
    assert!(
        out.iter()
            .all(|m| m.state == OutboxState::Delivered && m.channel == Channel::Sms)
    );
    // A change that is not worth a text (an internal note) queues none.
    staff_does(
        &app,
        &code,
        Command::Note {
            text: "内部".into(),
        },
    )
    .await;
    assert_eq!(rows(&app, n.id).await.len(), 2);
}

#[tokio::test]
async fn texts_are_off_by_default_and_recorded_as_not_sent() {
    let app = TestApp::spawn().await;
    let link = submit(&app, "notify-sms-off", "supplies", "需要物资").await;
    let (code, _) = parts(&link);
    assert_eq!(deliver(&app).await, 1);
    let n = need(&app, &code).await;
    let out = rows(&app, n.id).await;
    assert_eq!(out[0].state, OutboxState::Skipped);
}

/// The fake receivers listen on 127.0.0.1, which is not a public address: webhooks may go
/// there only because it is allowed exactly (and ::1, should `localhost` resolve to it too).
fn allow_loopback(c: &mut wushe_app::config::Config) {
    c.notify.webhook_allow_private =
        vec!["127.0.0.1".parse().expect("ip"), "::1".parse().expect("ip")];
}

async fn admin(app: &TestApp) -> TestClient {
    app.login_as(Role::Admin, HUANGPU).await
}

/// Register a destination through the page; its secret.
async fn register(c: &mut TestClient, url: &str, kinds: &[&str]) -> (StatusCode, String) {
    let mut fields = vec![("url", url), ("region", HUANGPU)];
    for k in kinds {
        fields.push(("kinds", k));
    }
    let res = c.post_form("/admin/webhooks", &fields).await;
    let status = res.status();
    let html = text(res).await;
    let secret = between(&html, "<code class=\"secret\">", "</code>").unwrap_or_default();
    (status, secret)
}

#[tokio::test]
async fn a_status_change_sends_one_signed_webhook_with_ids_only() {
    let receiver = Fake::start(None).await;
    let origin = receiver.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.notify.webhook_allow = vec![origin];
        allow_loopback(c);
    })
    .await;
    let mut a = admin(&app).await;
    let (status, secret) = register(&mut a, &format!("{}/hook", receiver.url), &["assigned"]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(secret.len(), 64, "the secret is shown once");
    let page = text(a.get("/admin/webhooks").await).await;
    assert!(
        page.contains("/hook") && !page.contains(&secret),
        "never shown again"
    );

    let link = submit(&app, "notify-hook-1", "supplies", "家里没有米了").await;
    let (code, _) = parts(&link);
    deliver(&app).await;
    assert_eq!(receiver.count(), 0, "not subscribed to 'created'");
    let id = assign(&app, &code).await;
    deliver(&app).await;
    deliver(&app).await;
    let hits = receiver.bodies();
    assert_eq!(hits.len(), 1, "exactly one webhook");
    let (headers, body) = &hits[0];
    let sig = headers["x-wushe-signature"].to_str().expect("sig");
    assert!(
        verify(secret.as_bytes(), sig, body.as_bytes()),
        "the receiver checks the HMAC"
    );
    assert!(!verify(b"wrong", sig, body.as_bytes()));
    let ts = headers["x-wushe-timestamp"].to_str().expect("ts");
    assert!(sig.starts_with(&format!("t={ts},")));
    let v: serde_json::Value = serde_json::from_str(body).expect("json");
    assert_eq!(v["kind"], "assigned");
    assert_eq!(v["need"], id.to_string());
    assert_eq!(
        headers["idempotency-key"].to_str().expect("key"),
        v["id"].as_str().expect("id")
    );
    for canary in ["13812345678", "王小明", "家里没有米了", "12号"] {
        assert!(!body.contains(canary), "webhook body holds {canary}");
    }
}

#[tokio::test]
async fn a_new_signing_secret_signs_everything_from_then_on_and_the_old_one_stops() {
    let receiver = Fake::start(None).await;
    let origin = receiver.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.notify.webhook_allow = vec![origin];
        allow_loopback(c);
    })
    .await;
    let mut a = admin(&app).await;
    let (_, old) = register(&mut a, &format!("{}/hook", receiver.url), &["assigned"]).await;
    let page = text(a.get("/admin/webhooks").await).await;
    let id = between(&page, "/admin/webhooks/", "/secret").expect("a button for a new secret");

    let res = a
        .post_form(&format!("/admin/webhooks/{id}/secret"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    let new = between(&html, "<code class=\"secret\">", "</code>").unwrap_or_default();
    assert_eq!(new.len(), 64, "the new secret is shown once");
    assert_ne!(new, old);
    assert!(html.contains("/hook"), "says which address it is for");
    let page = text(a.get("/admin/webhooks").await).await;
    assert!(!page.contains(&new), "never shown again");
    assert!(
        raw_rows(&app, "SELECT action FROM audit_log")
            .await
            .contains("webhook_secret_replaced"),
        "audited"
    );

    let link = submit(&app, "notify-hook-secret", "supplies", "家里没有米了").await;
    let (code, _) = parts(&link);
    assign(&app, &code).await;
    deliver(&app).await;
    let hits = receiver.bodies();
    assert_eq!(hits.len(), 1);
    let (headers, body) = &hits[0];
    let sig = headers["x-wushe-signature"].to_str().expect("sig");
    assert!(
        verify(new.as_bytes(), sig, body.as_bytes()),
        "signed with the new secret"
    );
    assert!(
        !verify(old.as_bytes(), sig, body.as_bytes()),
        "the old one no longer verifies"
    );

    // A removed address gets no new secret, and nothing is recorded for the attempt.
    let res = a
        .post_form(&format!("/admin/webhooks/{id}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let before = raw_rows(&app, "SELECT action FROM audit_log").await;
    let res = a
        .post_form(&format!("/admin/webhooks/{id}/secret"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(raw_rows(&app, "SELECT action FROM audit_log").await, before);
}

#[tokio::test]
async fn the_outbox_table_holds_no_number_name_or_words() {
    let receiver = Fake::start(None).await;
    let origin = receiver.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.notify.webhook_allow = vec![origin];
        allow_loopback(c);
        c.notify.sms.mode = wushe_app::notify::SmsMode::Demo;
    })
    .await;
    let mut a = admin(&app).await;
    register(
        &mut a,
        &format!("{}/hook", receiver.url),
        &["created", "assigned"],
    )
    .await;
    let link = submit(
        &app,
        "notify-canary-1",
        "supplies",
        "CANARY-WORDS-家里没有米了",
    )
    .await;
    let (code, _) = parts(&link);
    assign(&app, &code).await;
    deliver(&app).await;
    let n = need(&app, &code).await;
    assert_eq!(
        rows(&app, n.id).await.len(),
        4,
        "two texts and two webhooks"
    );
    let dump = raw_rows(&app, "SELECT * FROM outbox").await
        + &raw_rows(
            &app,
            "SELECT id, outbox_id, phone_index, origin, outcome, mode, at FROM sms_sent",
        )
        .await;
    assert!(dump.contains("assigned"), "the dump reads the rows: {dump}");
    for canary in ["13812345678", "王小明", "CANARY-WORDS", "12号"] {
        assert!(!dump.contains(canary), "outbox holds {canary}");
    }
    // Demo texts are sealed too: the words are on the admin page, the number masked.
    let page = text(a.get("/admin/sms").await).await;
    assert!(
        page.contains("138****5678") && page.contains(&code),
        "{page}"
    );
    assert!(!page.contains("13812345678"));
}

/// Every column of every row as text (both backends).
async fn raw_rows(app: &TestApp, sql: &'static str) -> String {
    use sqlx::Row;
    let url = app.state.config.database_url.clone();
    let mut out = String::new();
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        for r in sqlx::query(sql).fetch_all(&pool).await.expect("rows") {
            for i in 0..r.columns().len() {
                let v: Option<Vec<u8>> = r.try_get_unchecked(i).ok();
                out.push_str(&String::from_utf8_lossy(&v.unwrap_or_default()));
                out.push(' ');
            }
        }
    } else {
        let pool = sqlx::PgPool::connect(&url).await.expect("pg");
        let sql = format!("SELECT row_to_json(x)::text FROM ({sql}) x");
        for (s,) in sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
            .fetch_all(&pool)
            .await
            .expect("rows")
        {
            out.push_str(&s);
        }
    }
    out
}

#[tokio::test]
async fn a_gateway_that_is_down_is_retried_with_backoff_then_dead_lettered_and_sent_again() {
    let gateway = Fake::start(None).await;
    gateway.status.store(503, Ordering::SeqCst);
    let app = sms_app(&gateway, |c| c.notify.retry.max_attempts = 3).await;
    let link = submit(&app, "notify-down-1", "supplies", "需要物资").await;
    let (code, _) = parts(&link);
    let n = need(&app, &code).await;
    assert_eq!(deliver(&app).await, 1);
    let first = rows(&app, n.id).await.remove(0);
    assert_eq!(first.state, OutboxState::Pending);
    assert_eq!(first.attempts, 1);
    let wait = first.next_at - app.state.clock.now();
    assert!(
        wait >= Duration::seconds(14) && wait <= Duration::seconds(31),
        "{wait}"
    );
    assert_eq!(deliver(&app).await, 0, "not before its time");
    app.clock.advance(Duration::minutes(1));
    assert_eq!(deliver(&app).await, 1);
    let second = rows(&app, n.id).await.remove(0);
    assert_eq!(second.attempts, 2);
    assert!(
        second.next_at - app.state.clock.now() >= Duration::seconds(29),
        "backoff grows"
    );
    app.clock.advance(Duration::minutes(5));
    assert_eq!(deliver(&app).await, 1);
    let dead = rows(&app, n.id).await.remove(0);
    assert_eq!(dead.state, OutboxState::Dead);
    assert_eq!(gateway.count(), 3);
    app.clock.advance(Duration::hours(2));
    assert_eq!(deliver(&app).await, 0, "a dead letter waits for a person");

    let mut a = admin(&app).await;
    let page = text(a.get("/admin/outbox").await).await;
    assert!(
        page.contains("发送失败") && page.contains("gateway answered 503"),
        "{page}"
    );
    let metrics = text(a.get("/metrics").await).await;
    assert!(
        metrics.contains("wushe_outbox_messages{channel=\"sms\",state=\"dead\"} 1"),
        "{metrics}"
    );
    gateway.status.store(200, Ordering::SeqCst);
    let res = a
        .post_form(&format!("/admin/outbox/{}/retry", dead.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(rows(&app, n.id).await[0].state, OutboxState::Delivered);
    assert_eq!(gateway.count(), 4);
    let again = a
        .post_form(&format!("/admin/outbox/{}/retry", dead.id), &[])
        .await;
    assert_eq!(
        again.status(),
        StatusCode::CONFLICT,
        "only failed messages are sent again"
    );
}

#[tokio::test]
async fn destinations_outside_the_allow_list_are_refused_and_redirects_not_followed() {
    let internal = Fake::start(None).await;
    let bouncer = Fake::start(Some(format!("{}/latest/meta-data", internal.url))).await;
    let origin = bouncer.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.notify.webhook_allow = vec![origin, "https://hook.example.org".into()];
        allow_loopback(c);
    })
    .await;
    let mut a = admin(&app).await;
    for url in [
        "http://127.0.0.1/hook".to_string(),
        format!("{}/x", internal.url),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://hook.example.org/wushe".into(),
        "https://hook.example.org:8443/wushe".into(),
        "https://hook.example.org@127.0.0.1/".into(),
        "file:///etc/passwd".into(),
    ] {
        let (status, secret) = register(&mut a, &url, &["assigned"]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(secret.is_empty());
    }
    let scope = [RegionCode::parse(HUANGPU).expect("code")];
    assert!(
        app.state
            .store
            .webhooks(&scope)
            .await
            .expect("hooks")
            .is_empty()
    );
    // An allowed destination that answers with a redirect: wushe does not follow it.
    let (status, _) = register(&mut a, &format!("{}/hook", bouncer.url), &["assigned"]).await;
    assert_eq!(status, StatusCode::CREATED);
    let link = submit(&app, "notify-redirect-1", "supplies", "需要物资").await;
    let (code, _) = parts(&link);
    let id = assign(&app, &code).await;
    deliver(&app).await;
    assert_eq!(bouncer.count(), 1);
    assert_eq!(internal.count(), 0, "the redirect was not followed");
    let hook = rows(&app, id)
        .await
        .into_iter()
        .find(|m| m.channel == Channel::Webhook)
        .expect("webhook row");
    assert_eq!(hook.state, OutboxState::Pending);
    assert!(
        hook.last_error
            .as_deref()
            .unwrap_or("")
            .contains("redirects are not followed")
    );
}

/// An allowed origin whose name resolves to 127.0.0.1: without the exact permission the
/// delivery is refused before any request and dead-lettered with the reason; with it, sent.
#[tokio::test]
async fn a_name_that_resolves_to_an_internal_address_is_dead_lettered_unless_that_address_is_allowed()
 {
    for allowed in [false, true] {
        let receiver = Fake::start(None).await;
        let port = receiver.url.rsplit(':').next().expect("port").to_string();
        let origin = format!("http://localhost:{port}");
        let o = origin.clone();
        let app = TestApp::spawn_with(move |c| {
            c.notify.webhook_allow = vec![o];
            if allowed {
                allow_loopback(c);
            }
        })
        .await;
        let mut a = admin(&app).await;
        let (status, _) = register(&mut a, &format!("{origin}/hook"), &["assigned"]).await;
        assert_eq!(status, StatusCode::CREATED, "the origin is allowed");
        let link = submit(
            &app,
            &format!("notify-dns-{allowed}"),
            "supplies",
            "需要物资",
        )
        .await;
        let (code, _) = parts(&link);
        let id = assign(&app, &code).await;
        deliver(&app).await;
        let hook = rows(&app, id)
            .await
            .into_iter()
            .find(|m| m.channel == Channel::Webhook)
            .expect("webhook row");
        if allowed {
            assert_eq!(hook.state, OutboxState::Delivered, "{:?}", hook.last_error);
            assert_eq!(receiver.count(), 1);
        } else {
            assert_eq!(receiver.count(), 0, "no request was made");
            assert_eq!(hook.state, OutboxState::Dead, "never retried");
            let why = hook.last_error.clone().unwrap_or_default();
            assert!(
                why.contains("localhost resolves to") && why.contains("not a public address"),
                "{why}"
            );
            let page = text(a.get("/admin/outbox").await).await;
            assert!(page.contains("not a public address"), "the reason is shown");
        }
    }
}

#[tokio::test]
async fn texts_are_capped_per_number_and_per_address_and_capped_texts_are_recorded() {
    let gateway = Fake::start(None).await;
    let app = sms_app(&gateway, |c| {
        c.notify.caps.per_phone_hour = 3;
        c.notify.caps.per_origin_hour = 100;
    })
    .await;
    let link = submit(&app, "notify-cap-1", "supplies", "需要物资").await;
    let (code, _) = parts(&link);
    let n = need(&app, &code).await;
    let mut resident = app.client();
    resident.get("/help/recover").await;
    for _ in 0..4 {
        let res = resident
            .post_form("/help/recover", &[("phone", "13812345678"), ("code", "")])
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    deliver(&app).await;
    assert_eq!(gateway.count(), 3, "three texts an hour to one number");
    let out = rows(&app, n.id).await;
    assert_eq!(out.len(), 5);
    assert_eq!(
        out.iter()
            .filter(|m| m.state == OutboxState::Capped)
            .count(),
        2
    );
    let mut a = admin(&app).await;
    let page = text(a.get("/admin/outbox").await).await;
    assert!(page.contains("超出限额"), "capped texts are shown");
    // An hour later the number may be texted again.
    app.clock.advance(Duration::minutes(61));
    resident
        .post_form("/help/recover", &[("phone", "13812345678")])
        .await;
    deliver(&app).await;
    assert_eq!(gateway.count(), 4);
}

#[tokio::test]
async fn texts_asked_for_from_one_address_are_capped() {
    let gateway = Fake::start(None).await;
    let app = sms_app(&gateway, |c| c.notify.caps.per_origin_hour = 2).await;
    for (key, phone) in [
        ("notify-ip-1", "13812345678"),
        ("notify-ip-2", "13912345678"),
        ("notify-ip-3", "13712345678"),
    ] {
        let res = crate::harness::http_client()
            .post(format!("{}/api/v1/needs", app.url))
            .header("idempotency-key", key)
            .json(&serde_json::json!({
                "category": "supplies", "description": "需要物资", "who_for": "self",
                "community": QIAOYI, "building": "1号", "contact_name": "张三", "mobile": phone,
                "privacy_consent": true, "health_consent": true,
            }))
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    deliver(&app).await;
    assert_eq!(gateway.count(), 3, "staff-caused texts have no address cap");
    let mut someone = app.client();
    for phone in ["13812345678", "13912345678", "13712345678"] {
        someone
            .post_form("/help/recover", &[("phone", phone)])
            .await;
    }
    deliver(&app).await;
    assert_eq!(
        gateway.count(),
        5,
        "two texts an hour asked for from one address"
    );
}

#[tokio::test]
async fn recovery_answers_the_same_whether_or_not_a_number_matched() {
    let app = TestApp::spawn_with(|c| c.notify.sms.mode = wushe_app::notify::SmsMode::Demo).await;
    let link = submit(&app, "notify-recover-1", "supplies", "需要物资").await;
    let (code, _) = parts(&link);
    deliver(&app).await;
    let mut c = app.client();
    c.get("/help/recover").await;
    let known = c
        .post_form("/help/recover", &[("phone", "13812345678")])
        .await;
    let (s1, b1) = (known.status(), text(known).await);
    let unknown = c
        .post_form("/help/recover", &[("phone", "13899998888")])
        .await;
    let (s2, b2) = (unknown.status(), text(unknown).await);
    let wrong_code = c
        .post_form(
            "/help/recover",
            &[("phone", "13812345678"), ("code", "ZZZZ-ZZZZ")],
        )
        .await;
    let (s3, b3) = (wrong_code.status(), text(wrong_code).await);
    assert_eq!(
        (s1, s2, s3),
        (StatusCode::OK, StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(
        b1, b2,
        "the same words for a number that matched and one that did not"
    );
    assert_eq!(b1, b3);
    assert!(b1.contains("如果这个手机号有正在处理的求助"));
    let bot = c
        .post_form(
            "/help/recover",
            &[("phone", "13812345678"), ("website", "x")],
        )
        .await;
    assert_eq!(text(bot).await, b1, "the honeypot gets the same answer");
    deliver(&app).await;
    let n = need(&app, &code).await;
    let texts: Vec<OutboxMessage> = rows(&app, n.id)
        .await
        .into_iter()
        .filter(|m| m.kind == wushe_core::notify::TRACKING_LINK)
        .collect();
    assert_eq!(
        texts.len(),
        1,
        "only the matching number with no code or the right code"
    );
    let mut a = admin(&app).await;
    let page = text(a.get("/admin/sms").await).await;
    assert!(page.contains("这是您求助的查询链接"), "{page}");
    // A malformed number is a form error (it says nothing about any need).
    let bad = c.post_form("/help/recover", &[("phone", "12345")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn recovery_is_rate_limited_like_the_intake() {
    let app = TestApp::spawn_with(|c| c.intake_per_ip_per_minute = 2).await;
    let mut c = app.client();
    c.get("/help/recover").await;
    for _ in 0..2 {
        let res = c
            .post_form("/help/recover", &[("phone", "13812345678")])
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = c
        .post_form("/help/recover", &[("phone", "13812345678")])
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
}

/// POST the recovery form as if from `from`, through a trusted proxy (the test client
/// connects from 127.0.0.1).
async fn recover_from(c: &mut TestClient, from: &str, phone: &str) -> StatusCode {
    let body =
        serde_urlencoded::to_string([("_csrf", c.csrf.as_str()), ("phone", phone)]).expect("form");
    c.http
        .post(c.url("/help/recover"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", from)
        .body(body)
        .send()
        .await
        .expect("POST /help/recover")
        .status()
}

fn behind_proxy(c: &mut wushe_app::config::Config) {
    c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
}

#[tokio::test]
async fn two_addresses_in_one_ipv6_64_share_the_rate_limit_and_another_64_does_not() {
    let app = TestApp::spawn_with(|c| {
        behind_proxy(c);
        c.intake_per_ip_per_minute = 2;
    })
    .await;
    let mut c = app.client();
    c.get("/help/recover").await;
    assert_eq!(
        recover_from(&mut c, "2001:db8:1:2::1", "13812345678").await,
        StatusCode::OK
    );
    assert_eq!(
        recover_from(&mut c, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "13812345678").await,
        StatusCode::OK
    );
    assert_eq!(
        recover_from(&mut c, "2001:db8:1:2::99", "13812345678").await,
        StatusCode::TOO_MANY_REQUESTS,
        "a third address of the same /64 is the same client"
    );
    assert_eq!(
        recover_from(&mut c, "2001:db8:1:3::1", "13812345678").await,
        StatusCode::OK,
        "the next /64 is another client"
    );
    assert_eq!(
        recover_from(&mut c, "203.0.113.7", "13812345678").await,
        StatusCode::OK
    );
    assert_eq!(
        recover_from(&mut c, "203.0.113.8", "13812345678").await,
        StatusCode::OK,
        "IPv4 addresses are counted one by one"
    );
}

#[tokio::test]
async fn texts_asked_for_from_one_ipv6_64_are_capped_together() {
    let gateway = Fake::start(None).await;
    let app = sms_app(&gateway, |c| {
        behind_proxy(c);
        c.notify.caps.per_origin_hour = 2;
    })
    .await;
    let phones = ["13812345678", "13912345678", "13712345678", "13612345678"];
    for (i, phone) in phones.iter().enumerate() {
        let key = format!("notify-v6-{i}");
        let res = crate::harness::http_client()
            .post(format!("{}/api/v1/needs", app.url))
            .header("idempotency-key", key)
            .json(&serde_json::json!({
                "category": "supplies", "description": "需要物资", "who_for": "self",
                "community": QIAOYI, "building": "1号", "contact_name": "张三", "mobile": phone,
                "privacy_consent": true, "health_consent": true,
            }))
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    deliver(&app).await;
    assert_eq!(gateway.count(), 4, "staff-caused texts have no address cap");
    let mut c = app.client();
    c.get("/help/recover").await;
    for (from, phone) in [
        ("2001:db8:1:2::1", phones[0]),
        ("2001:db8:1:2::2", phones[1]),
        ("2001:db8:1:2:ffff::3", phones[2]),
    ] {
        assert_eq!(recover_from(&mut c, from, phone).await, StatusCode::OK);
    }
    deliver(&app).await;
    assert_eq!(
        gateway.count(),
        6,
        "two texts an hour asked for from one /64, whichever address in it"
    );
    assert_eq!(
        recover_from(&mut c, "2001:db8:1:3::1", phones[3]).await,
        StatusCode::OK
    );
    deliver(&app).await;
    assert_eq!(gateway.count(), 7, "another /64 has its own cap");
}

#[tokio::test]
async fn only_administrators_reach_the_notification_pages() {
    let app = TestApp::spawn().await;
    for role in [Role::SocialWorker, Role::CivilAffairs, Role::Supervisor] {
        let mut c = app.login_as(role, HUANGPU).await;
        for path in ["/admin/outbox", "/admin/webhooks", "/admin/sms"] {
            assert_eq!(
                c.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "{role:?} {path}"
            );
        }
    }
    let mut a = admin(&app).await;
    for path in ["/admin/outbox", "/admin/webhooks", "/admin/sms"] {
        assert_eq!(a.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

/// A webhook and a dead outbox row of a need in a foreign community (for the access matrix).
pub async fn plant(app: &TestApp, code: &str, need: NeedId) -> (WebhookId, OutboxId) {
    let now = OffsetDateTime::now_utc();
    let region = RegionCode::parse(code).expect("code");
    let id = WebhookId::new();
    let w = Webhook {
        id,
        url: "https://hook.example.org/foreign".into(),
        kinds: vec![EventKind::Assigned],
        region: region.clone(),
        secret: app
            .state
            .cipher
            .seal_str(wushe_core::notify::webhook::SECRET.field(id.0), "secret")
            .expect("seal"),
        active: true,
        created_by: None,
        created_at: now,
    };
    let event = AuditEvent::new(Action::WebhookCreated, now)
        .region(&region)
        .record(RecordKind::Webhook, [id]);
    app.state
        .store
        .insert_webhook(&w, &event)
        .await
        .expect("webhook");
    let m = OutboxMessage::new(Channel::Webhook, "assigned", need, &region, now);
    let event = AuditEvent::new(Action::TrackingLinkRequested, now).region(&region);
    app.state
        .store
        .enqueue_outbox(std::slice::from_ref(&m), &event)
        .await
        .expect("outbox");
    app.state
        .store
        .finish_outbox(m.id, &Finish::Dead("foreign".into()), None, now)
        .await
        .expect("dead");
    (id, m.id)
}

/// What the matrix checks did not change: the webhook's state and the row's.
pub async fn snapshot(app: &TestApp, hook: WebhookId, row: OutboxId) -> String {
    let w = app
        .state
        .store
        .webhook(hook)
        .await
        .expect("hook")
        .expect("exists");
    let m = app
        .state
        .store
        .outbox_message(row)
        .await
        .expect("row")
        .expect("exists");
    format!("hook={} row={:?}/{}", w.active, m.state, m.attempts)
}
