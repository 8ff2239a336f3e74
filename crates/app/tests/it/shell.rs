//! The web shell: login and logout, sessions, CSRF, security headers, language, error pages,
//! health, metrics and the OpenAPI document.

use reqwest::StatusCode;
use wushe_core::Role;

use crate::harness::*;

#[tokio::test]
async fn the_home_page_needs_a_login_and_redirects_back_after_it() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let res = c.get("/orgs?kind=provider").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/login?next=%2Forgs%3Fkind%3Dprovider"
    );
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    c.get("/login").await;
    let res = c
        .post_form(
            "/login",
            &[
                ("username", &name),
                ("password", PASSWORD),
                ("next", "/orgs?kind=provider"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/orgs?kind=provider");
    let home = text(c.get("/").await).await;
    assert!(home.contains("测试 社工"), "{home}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    let wrong = c.login(&name, "not-the-password").await;
    let status_wrong = wrong.status();
    let body_wrong = text(wrong).await.replace(&name, "NAME");
    let unknown = c.login("nobody-here", "not-the-password").await;
    let status_unknown = unknown.status();
    let body_unknown = text(unknown).await.replace("nobody-here", "NAME");
    assert_eq!(status_wrong, StatusCode::UNAUTHORIZED);
    assert_eq!(status_unknown, StatusCode::UNAUTHORIZED);
    assert_eq!(body_wrong, body_unknown);
    assert!(body_wrong.contains("用户名或密码不正确"));
}

#[tokio::test]
async fn login_issues_a_new_http_only_session_cookie_and_logout_ends_it() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    let res = c.login(&name, PASSWORD).await;
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or("").to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("wushe_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(
        !session.contains("Secure"),
        "plain HTTP deployments need a non-Secure cookie"
    );
    let first = session.split(';').next().unwrap_or("").to_string();
    // A second login gets a different session id.
    let res = c.login(&name, PASSWORD).await;
    let again = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("wushe_session="))
        .map(|c| c.split(';').next().unwrap_or("").to_string());
    assert_ne!(Some(first), again);
    assert_eq!(c.get("/").await.status(), StatusCode::OK);
    let res = c.post_form("/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get("/").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_end_after_30_idle_minutes_and_after_12_hours() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    app.clock.advance(time::Duration::minutes(29));
    assert_eq!(c.get("/").await.status(), StatusCode::OK);
    app.clock.advance(time::Duration::minutes(31));
    assert_eq!(
        c.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "idle timeout"
    );

    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    for _ in 0..25 {
        app.clock.advance(time::Duration::minutes(29));
        if c.get("/").await.status() != StatusCode::OK {
            break;
        }
    }
    assert_eq!(
        c.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "absolute timeout"
    );
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::Admin, HUANGPU).await;
    let res = c
        .http
        .post(c.url("/orgs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=x&kind=provider&region=310101")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .http
        .post(c.url("/api/v1/orgs"))
        .json(&serde_json::json!({"name": "x", "kind": "provider", "region": HUANGPU}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["error"], "csrf");
    let res = c
        .post_form(
            "/orgs",
            &[("name", "x"), ("kind", "bogus"), ("region", HUANGPU)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "with the token the form is processed"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    for path in ["/", "/login", "/orgs", "/api/v1/me", "/nope", "/healthz"] {
        let res = c.get(path).await;
        let h = res.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap_or("")
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn pages_speak_chinese_first_and_english_on_request() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    assert!(text(c.get("/login").await).await.contains("<h1>登录</h1>"));
    let en = c
        .http
        .get(c.url("/login"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .expect("get");
    assert!(text(en).await.contains("<h1>Log in</h1>"));
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let res = c.post_form("/lang", &[("lang", "en"), ("back", "/")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(text(c.get("/").await).await.contains("My roles"));
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404_and_the_api_gets_json() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let res = c.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(text(res).await.contains("返回首页"));
    let (status, body) = c.get_json("/api/v1/orgs/not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
    let mut anon = app.client();
    let (status, body) = anon.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");
}

#[tokio::test]
async fn health_and_metrics_answer_and_the_openapi_document_lists_the_api() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let res = c.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let metrics = text(c.get("/metrics").await).await;
    assert!(
        metrics.contains("wushe_http_requests_total"),
        "loopback may read metrics"
    );
    let (status, doc) = c.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/me",
        "/api/v1/regions/search",
        "/api/v1/orgs/{id}",
        "/api/v1/users/{id}/grants",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}

#[tokio::test]
async fn over_https_the_session_cookie_is_host_prefixed_and_secure() {
    let app = TestApp::spawn_with(|c| c.https = true).await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    let res = c.login(&name, PASSWORD).await;
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-wushe_session="))
        .expect("a __Host- session cookie")
        .to_string();
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly") && session.contains("Path=/"),
        "{session}"
    );
    assert!(!session.contains("Domain="), "{session}");
}
