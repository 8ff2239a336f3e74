//! Personal API tokens: shown once, stored hashed, acting exactly as their owner, expiring,
//! revocable; a bad bearer token never falls back to a cookie.

use reqwest::StatusCode;
use serde_json::{Value, json};
use wushe_core::Role;

use crate::harness::*;

/// Issue a token through the API; returns (id, secret).
async fn issue(c: &mut TestClient, name: &str, days: i64) -> (String, String) {
    let res = c
        .post_json("/api/v1/tokens", &json!({"name": name, "days": days}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    (
        v["id"].as_str().expect("id").to_string(),
        v["secret"].as_str().expect("secret").to_string(),
    )
}

fn bearer(
    app: &TestApp,
    secret: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    crate::harness::http_client()
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(secret)
}

#[tokio::test]
async fn a_token_acts_as_its_owner_without_cookies_or_csrf() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let (_, secret) = issue(&mut admin, "区平台对接", 30).await;
    assert!(secret.starts_with("wst_") && secret.len() > 40, "{secret}");
    let me: Value = bearer(&app, &secret, reqwest::Method::GET, "/api/v1/me")
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["grants"][0]["role"], "admin");
    let res = bearer(&app, &secret, reqwest::Method::POST, "/api/v1/orgs")
        .json(&json!({"name": "令牌登记的药房", "kind": "provider", "region": QIAOYI}))
        .send()
        .await
        .expect("post");
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "no CSRF token is needed with a bearer token"
    );
    // Never more than the owner: outside the owner's street the token is refused like the owner.
    let res = bearer(&app, &secret, reqwest::Method::POST, "/api/v1/orgs")
        .json(&json!({"name": "越界机构", "kind": "provider", "region": DAPUQIAO_COMMUNITY}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (other_name, other_id) = app
        .create_user(Role::SocialWorker, DAPUQIAO_COMMUNITY)
        .await;
    let res = bearer(
        &app,
        &secret,
        reqwest::Method::GET,
        &format!("/api/v1/users/{other_id}"),
    )
    .send()
    .await
    .expect("get");
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "{other_name} lies outside the owner's scope"
    );
}

#[tokio::test]
async fn the_secret_is_shown_once_and_only_its_hash_is_stored() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    c.get("/tokens").await;
    let res = c
        .post_form("/tokens", &[("name", "手机脚本"), ("days", "7")])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = text(res).await;
    let secret = page
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("secret on the page")
        .to_string();
    assert!(secret.starts_with("wst_"));
    let again = text(c.get("/tokens").await).await;
    assert!(!again.contains(&secret), "the secret appears only once");
    let (_, list) = c.get_json("/api/v1/tokens").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(!list.to_string().contains(&secret));
    if postgres_url().is_none() {
        let db = std::fs::read(app.data_dir.join("wushe.db")).unwrap_or_default();
        let wal = std::fs::read(app.data_dir.join("wushe.db-wal")).unwrap_or_default();
        let needle = secret.as_bytes();
        for bytes in [db, wal] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the raw secret is in the database file"
            );
        }
    }
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (id, secret) = issue(&mut c, "临时", 1).await;
    let (_, other) = issue(&mut c, "长期", 365).await;
    let ok = bearer(&app, &secret, reqwest::Method::GET, "/api/v1/me")
        .send()
        .await
        .expect("me");
    assert_eq!(ok.status(), StatusCode::OK);
    let res = c
        .send_json(
            reqwest::Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = bearer(&app, &secret, reqwest::Method::GET, "/api/v1/me")
        .send()
        .await
        .expect("me");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.clock.advance(time::Duration::days(364));
    assert_eq!(
        bearer(&app, &other, reqwest::Method::GET, "/api/v1/me")
            .send()
            .await
            .expect("me")
            .status(),
        StatusCode::OK
    );
    app.clock.advance(time::Duration::days(2));
    assert_eq!(
        bearer(&app, &other, reqwest::Method::GET, "/api/v1/me")
            .send()
            .await
            .expect("me")
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_bad_bearer_token_is_refused_even_with_a_valid_session() {
    let app = TestApp::spawn().await;
    let c = app.login_as(Role::SocialWorker, QIAOYI).await;
    for bad in [
        "wst_not-a-real-token-at-all-000000",
        "Basic abc",
        "wst_",
        "",
    ] {
        let res = c
            .http
            .get(c.url("/api/v1/me"))
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .expect("me");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
    }
}

#[tokio::test]
async fn nobody_revokes_someone_elses_token_and_bad_requests_name_the_field() {
    let app = TestApp::spawn().await;
    let mut owner = app.login_as(Role::Admin, HUANGPU).await;
    let (id, secret) = issue(&mut owner, "owner", 30).await;
    let mut other = app.login_as(Role::Admin, HUANGPU).await;
    let res = other
        .send_json(
            reqwest::Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        bearer(&app, &secret, reqwest::Method::GET, "/api/v1/me")
            .send()
            .await
            .expect("me")
            .status(),
        StatusCode::OK
    );
    let res = other
        .post_json("/api/v1/tokens", &json!({"name": "", "days": 400}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = res.json().await.expect("json");
    let fields: Vec<&str> = v["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["name", "days"]);
    let page = other
        .post_form("/tokens", &[("name", "x"), ("days", "0")])
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(page).await.contains("有效期为1到365天"));
}

#[tokio::test]
async fn changing_the_password_or_disabling_the_account_revokes_its_tokens() {
    let app = TestApp::spawn().await;
    let mut worker = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (_, before) = issue(&mut worker, "脚本", 30).await;
    let res = worker
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "换一个更长的新密码-2026"),
                ("new_password_again", "换一个更长的新密码-2026"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "password changed");
    let me = bearer(&app, &before, reqwest::Method::GET, "/api/v1/me")
        .send()
        .await
        .expect("me");
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "a token made before the change is revoked"
    );

    let (_, after) = issue(&mut worker, "新脚本", 30).await;
    assert_eq!(
        bearer(&app, &after, reqwest::Method::GET, "/api/v1/me")
            .send()
            .await
            .expect("me")
            .status(),
        StatusCode::OK
    );
    let id = worker.user_id.expect("id");
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let res = admin
        .post_json(&format!("/api/v1/users/{id}/disable"), &json!({}))
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let res = admin
        .post_json(&format!("/api/v1/users/{id}/enable"), &json!({}))
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let me = bearer(&app, &after, reqwest::Method::GET, "/api/v1/me")
        .send()
        .await
        .expect("me");
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "re-enabling does not revive a revoked token"
    );
}

#[tokio::test]
async fn issuing_and_revoking_a_token_and_changing_the_password_are_audited_without_values() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let me = c.user_id.expect("id").to_string();
    let (id, secret) = issue(&mut c, "审计可见的名字", 30).await;
    let res = c
        .send_json(
            reqwest::Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let again = c
        .send_json(
            reqwest::Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(
        again.status(),
        StatusCode::NOT_FOUND,
        "a second revoke changes nothing"
    );
    let new = "又一个足够长的新密码-2026";
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("new_password_again", new),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let entries = app.state.store.audit_page(0, 1000).await.expect("audit");
    let mine = |action: &str| {
        entries
            .iter()
            .filter(|e| e.action == action && e.actor.as_deref() == Some(me.as_str()))
            .count()
    };
    assert_eq!(mine("token_issued"), 1);
    assert_eq!(mine("token_revoked"), 1);
    assert_eq!(mine("password_changed"), 1);
    let all = format!("{entries:?}");
    for value in ["审计可见的名字", secret.as_str(), new, PASSWORD] {
        assert!(!all.contains(value), "the audit log holds a value: {value}");
    }
}
