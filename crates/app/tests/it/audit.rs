//! The audit log through real HTTP: every change writes exactly one entry with the actor,
//! region, record ids and request id and no field values; logins, failed logins, logouts
//! and denials are recorded; the viewer is scoped, filtered and itself audited; the hourly
//! checkpoint anchors the head. The viewer is tested in `audit/viewer.rs`, the command-line
//! verifier in `audit/cli.rs`.

mod cli;
mod viewer;

use reqwest::StatusCode;
use serde_json::{Value, json};
use wushe_app::{checkpoints, jobs};
use wushe_core::Role;
use wushe_core::audit::{AuditEntry, service};

use crate::harness::*;

fn utc_text(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

async fn entries(app: &TestApp) -> Vec<AuditEntry> {
    app.state
        .store
        .audit_page(0, 10_000)
        .await
        .expect("audit page")
}

async fn with_action(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    entries(app)
        .await
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

async fn assert_chain_intact(app: &TestApp) {
    let checked = service::verify_store(app.state.store.as_ref(), &[])
        .await
        .expect("read");
    assert!(checked.is_ok(), "chain broken: {checked:?}");
}

/// Create an organisation through the API; returns its id.
async fn create_org(c: &mut TestClient, region: &str, name: &str) -> String {
    let res = c
        .post_json(
            "/api/v1/orgs",
            &json!({"name": name, "kind": "social_org", "region": region, "phone": "021-61234567"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn creating_an_org_writes_exactly_one_entry_with_ids_and_no_field_values() {
    // Behind a trusted proxy, the proxy's request id is kept.
    let app =
        TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")]).await;
    let c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (name, phone) = ("金色年华测试机构", "021-61239876");
    let (address, description) = ("幸福路88号测试地址", "测试描述金丝雀");
    let res = c
        .http
        .post(c.url("/api/v1/orgs"))
        .header("x-csrf-token", &c.csrf)
        .header("x-request-id", "test-req-0001")
        .json(
            &json!({"name": name, "kind": "charity", "region": QIAOYI, "phone": phone,
            "address": address, "description": description}),
        )
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["x-request-id"], "test-req-0001");
    let org: Value = res.json().await.expect("json");
    let created = with_action(&app, "org_created").await;
    assert_eq!(created.len(), 1, "exactly one entry: {created:?}");
    let e = &created[0];
    assert_eq!(e.actor, c.user_id.map(|u| u.to_string()));
    assert_eq!(e.roles, "social_worker");
    assert_eq!(e.region.as_deref(), Some(QIAOYI));
    assert_eq!(e.record_kind.as_deref(), Some("org"));
    assert_eq!(e.record_ids, org["id"].as_str().expect("id"));
    assert_eq!(e.request_id.as_deref(), Some("test-req-0001"));
    assert_eq!(e.outcome, "ok");
    for e in entries(&app).await {
        let columns = format!("{e:?}");
        for value in [name, phone, address, description, "61239876"] {
            assert!(!columns.contains(value), "{value} leaked into {columns}");
        }
    }
    assert_chain_intact(&app).await;
}

#[tokio::test]
async fn every_change_through_the_web_records_its_own_entry() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let res = admin
        .post_json(
            "/api/v1/users",
            &json!({"username": "audit-new-user", "display_name": "测试用户甲", "password": PASSWORD,
                "region": QIAOYI, "role": "social_worker"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let user: Value = res.json().await.expect("json");
    let uid = user["id"].as_str().expect("id").to_string();
    let created = with_action(&app, "user_created").await;
    let last = created.last().expect("user_created");
    assert_eq!(last.record_ids, uid, "the store adds the new account's id");
    assert_eq!(last.actor, admin.user_id.map(|u| u.to_string()));

    let res = admin
        .post_json(
            &format!("/api/v1/users/{uid}/grants"),
            &json!({"role": "volunteer", "region": QIAOER}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let user: Value = res.json().await.expect("json");
    let grant = user["grants"][1]["id"]
        .as_str()
        .expect("grant id")
        .to_string();
    let added = with_action(&app, "grant_added").await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].record_ids, format!("{uid} {grant}"));
    assert_eq!(added[0].region.as_deref(), Some(QIAOER));

    let res = admin
        .send_json(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{uid}/grants/{grant}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let revoked = with_action(&app, "grant_revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].record_ids, format!("{uid} {grant}"));

    let res = admin
        .post_json(
            &format!("/api/v1/regions/{QIAOYI}/children"),
            &json!({"level": "grid", "name": "第一网格"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let place: Value = res.json().await.expect("json");
    let added = with_action(&app, "place_added").await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].record_ids, place["code"].as_str().expect("code"));
    assert_eq!(added[0].region.as_deref(), Some(QIAOYI));

    let res = admin
        .post_form("/lang", &[("lang", "en"), ("back", "/")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(with_action(&app, "lang_changed").await.len(), 1);

    let org = create_org(&mut admin, QIAOYI, "测试机构乙").await;
    let res = admin
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{org}"),
            &json!({"name": "测试机构丙", "kind": "charity", "region": QIAOYI, "version": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated = with_action(&app, "org_updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].record_ids, org);
    // A stale version changes nothing and records nothing.
    let stale = admin
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{org}"),
            &json!({"name": "测试机构丁", "kind": "charity", "region": QIAOYI, "version": 1}),
        )
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert_eq!(with_action(&app, "org_updated").await.len(), 1);
    assert_chain_intact(&app).await;
}

#[tokio::test]
async fn logins_failed_logins_and_logouts_are_recorded_without_the_name_typed() {
    let app = TestApp::spawn().await;
    let (name, id) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    let res = c.login(&name, "wrong-password-金丝雀").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = c
        .login("canary-unknown-name", "wrong-password-金丝雀")
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let failed = with_action(&app, "login_failed").await;
    assert_eq!(failed.len(), 2);
    let (known, unknown) = (&failed[0], &failed[1]);
    assert_eq!(
        (known.actor.as_deref(), known.outcome.as_str()),
        (None, "failed")
    );
    assert_eq!(
        known.record_ids,
        id.to_string(),
        "a known account is named by its id"
    );
    assert_eq!(known.region.as_deref(), Some(QIAOYI));
    assert_eq!(
        (unknown.record_ids.as_str(), unknown.region.as_deref()),
        ("", None)
    );
    assert!(unknown.request_id.is_some());

    let res = c.login(&name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let request_id = res.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    let login = with_action(&app, "login").await;
    assert_eq!(login.len(), 1);
    assert_eq!(login[0].actor, Some(id.to_string()));
    assert_eq!(login[0].roles, "social_worker");
    assert_eq!(login[0].region.as_deref(), Some(QIAOYI));
    assert_eq!(
        login[0].request_id,
        Some(request_id),
        "the response names the request"
    );

    let res = c.post_form("/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let logout = with_action(&app, "logout").await;
    assert_eq!(logout.len(), 1);
    assert_eq!(logout[0].actor, Some(id.to_string()));
    for e in entries(&app).await {
        let columns = format!("{e:?}");
        for secret in [name.as_str(), "canary-unknown-name", "金丝雀", PASSWORD] {
            assert!(!columns.contains(secret), "{secret} in {columns}");
        }
    }
}

#[tokio::test]
async fn a_denied_edit_and_a_forbidden_page_are_recorded_with_their_routes() {
    let app = TestApp::spawn().await;
    let mut other = app.login_as(Role::SocialWorker, DAPUQIAO_COMMUNITY).await;
    let org = create_org(&mut other, DAPUQIAO_COMMUNITY, "大埔桥测试机构").await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let res = c
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{org}"),
            &json!({"name": "改名", "kind": "charity", "region": QIAOYI, "version": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let request_id = res.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    assert_eq!(c.get("/audit").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(c.get("/no-such-page").await.status(), StatusCode::NOT_FOUND);
    let denied = with_action(&app, "denied").await;
    assert_eq!(denied.len(), 2, "the unknown path is no denial: {denied:?}");
    let me = c.user_id.map(|u| u.to_string());
    assert_eq!(denied[0].actor, me);
    assert_eq!(denied[0].outcome, "not_found");
    assert_eq!(denied[0].record_kind.as_deref(), Some("route"));
    assert_eq!(
        denied[0].record_ids,
        format!("PUT:/api/v1/orgs/{{id}} {org}")
    );
    assert_eq!(
        denied[0].region.as_deref(),
        Some(QIAOYI),
        "filed under the actor's home"
    );
    assert_eq!(denied[0].request_id, Some(request_id));
    assert_eq!(denied[1].outcome, "forbidden");
    assert_eq!(denied[1].record_ids, "GET:/audit");
    let unchanged: Value = other.get_json(&format!("/api/v1/orgs/{org}")).await.1;
    assert_eq!(unchanged["name"], "大埔桥测试机构");
}

#[tokio::test]
async fn request_ids_are_kept_only_from_a_trusted_proxy_and_when_short_and_plain() {
    let direct = TestApp::spawn().await;
    let res = direct
        .client()
        .http
        .get(direct.client().url("/login"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("GET");
    assert_ne!(
        res.headers()["x-request-id"],
        "abc-123",
        "a client's own id is replaced"
    );
    let app =
        TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")]).await;
    let c = app.client();
    let long = "x".repeat(65);
    for (sent, kept) in [
        ("abc-123", true),
        ("has space", false),
        (long.as_str(), false),
    ] {
        let res = c
            .http
            .get(c.url("/login"))
            .header("x-request-id", sent)
            .send()
            .await
            .expect("GET");
        let got = res.headers()["x-request-id"]
            .to_str()
            .expect("id")
            .to_string();
        assert_eq!(got == sent, kept, "{sent} -> {got}");
        assert!(got.len() <= 64 && got.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    }
}

#[tokio::test]
async fn the_hourly_checkpoint_writes_the_head_to_the_data_dir() {
    let app = TestApp::spawn().await;
    let _c = app.login_as(Role::SocialWorker, QIAOYI).await;
    jobs::enqueue_periodic(&app.state).await.expect("enqueue");
    jobs::drain(&app.state).await.expect("drain");
    let cps = checkpoints::read(&app.data_dir).expect("read");
    let head = app.state.store.audit_head().await.expect("head");
    assert_eq!(cps.len(), 1);
    assert_eq!(cps[0].head, head);
    assert!(head.seq >= 3, "import, user, login");
    jobs::enqueue_periodic(&app.state).await.expect("enqueue");
    jobs::drain(&app.state).await.expect("drain");
    assert_eq!(
        checkpoints::read(&app.data_dir).expect("read").len(),
        1,
        "once an hour"
    );
    let heads = [head];
    let checked = service::verify_store(app.state.store.as_ref(), &heads)
        .await
        .expect("read");
    assert_eq!(checked.map(|s| s.checkpoints_matched), Ok(1));
}
