//! The second factor through real HTTP: who must have one, enrolment from the shown key,
//! the code step after the password, wrong codes, recovery codes, and the secret at rest.

use reqwest::StatusCode;
use wushe_core::users::second_factor::TOTP_SECRET;
use wushe_core::users::totp::TotpSecret;
use wushe_core::{Clock, Role};

use crate::harness::*;

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn sets_session_cookie(res: &reqwest::Response) -> bool {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("wushe_session=") && !c.starts_with("wushe_session=;"))
}

/// A civil-affairs account with an enrolled second factor: (user name, secret, recovery codes).
async fn enrolled(app: &TestApp) -> (String, TotpSecret, Vec<String>) {
    let (name, _) = app.create_user(Role::CivilAffairs, HUANGPU).await;
    let mut c = app.client();
    let res = c.login(&name, PASSWORD).await;
    assert_eq!(location(&res), "/totp/enrol");
    let (secret, codes) = c.enrol_totp(app).await;
    // Later codes belong to later steps: a code works once.
    app.clock.advance(time::Duration::seconds(30));
    (name, secret, codes)
}

#[tokio::test]
async fn a_civil_affairs_account_cannot_log_in_without_its_second_factor() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::CivilAffairs, HUANGPU).await;
    let mut c = app.client();
    let res = c.login(&name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/totp/enrol", "sent to enrolment first");
    assert!(
        !sets_session_cookie(&res),
        "no session before the second factor"
    );
    let (status, _) = c.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for path in ["/", "/users", "/orgs", "/login/totp"] {
        let res = c.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&res).starts_with("/totp/enrol") || location(&res).starts_with("/login"));
    }
    c.enrol_totp(&app).await;
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::OK);

    // Once enrolled, the password alone is still not enough.
    app.clock.advance(time::Duration::seconds(30));
    let mut other = app.client();
    let res = other.login(&name, PASSWORD).await;
    assert_eq!(location(&res), "/login/totp");
    assert!(!sets_session_cookie(&res));
    assert_eq!(
        other.get_json("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let res = other.get("/totp/enrol").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a pending login cannot re-enrol"
    );
}

#[tokio::test]
async fn enrolment_works_end_to_end_with_codes_computed_from_the_shown_key() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::Supervisor, WULIQIAO).await;
    let mut c = app.client();
    c.login(&name, PASSWORD).await;
    let page = text(c.get("/totp/enrol").await).await;
    assert!(
        page.contains("<svg class=\"qr\""),
        "the QR code is inline SVG"
    );
    assert!(
        !page.contains("<script") && !page.contains("style="),
        "nothing the CSP blocks"
    );
    let key = between(&page, "<code class=\"totp-key\">", "</code>").expect("key");
    assert_eq!(
        key.split(' ').count(),
        8,
        "32 characters in groups of four: {key}"
    );
    assert!(key.split(' ').all(|g| g.len() == 4));
    let again = text(c.get("/totp/enrol").await).await;
    assert!(
        again.contains(&key),
        "reloading shows the same key until it is confirmed"
    );
    let secret = TotpSecret::from_base32(&key).expect("base32");
    let right = secret.code_at(app.unix_now()).expect("code");
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    let res = c.post_form("/totp/enrol", &[("code", &wrong)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!sets_session_cookie(&res));
    let res = c.post_form("/totp/enrol", &[("code", &right)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        sets_session_cookie(&res),
        "the session starts with the first right code"
    );
    let body = text(res).await;
    assert_eq!(
        body.matches("<li><code>").count(),
        10,
        "ten recovery codes, shown once"
    );
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::OK);
    assert!(
        text(c.get("/totp/enrol").await)
            .await
            .contains("已启用两步验证")
    );
    let entries = app.state.store.audit_page(0, 10_000).await.expect("audit");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == "second_factor_enrolled")
            .count(),
        1,
        "the enrolment is audited once"
    );

    c.post_form("/logout", &[]).await;
    app.clock.advance(time::Duration::seconds(30));
    let res = c.login(&name, PASSWORD).await;
    assert_eq!(location(&res), "/login/totp");
    assert!(text(c.get("/login/totp").await).await.contains("6位验证码"));
    let code = secret.code_at(app.unix_now()).expect("code");
    let res = c.post_form("/login/totp", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    assert!(sets_session_cookie(&res));
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::OK);

    // The same code again (same step) is a replay and is refused.
    c.post_form("/logout", &[]).await;
    c.login(&name, PASSWORD).await;
    let res = c.post_form("/login/totp", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn five_wrong_codes_drop_the_pending_login() {
    let app = TestApp::spawn().await;
    let (name, secret, _) = enrolled(&app).await;
    let mut c = app.client();
    assert_eq!(location(&c.login(&name, PASSWORD).await), "/login/totp");
    let right = secret.code_at(app.unix_now()).expect("code");
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().expect("digits") + 7) % 1_000_000
    );
    for attempt in 1..=4 {
        let res = c.post_form("/login/totp", &[("code", &wrong)]).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert!(text(res).await.contains("验证码不正确"));
    }
    let res = c.post_form("/login/totp", &[("code", &wrong)]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(text(res).await.contains("错误次数过多"));
    let res = c.post_form("/login/totp", &[("code", &right)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login", "the pending login is gone");
    assert!(!sets_session_cookie(&res));
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // A fresh password login gets a fresh pending login, and the right code works.
    c.login(&name, PASSWORD).await;
    let res = c.post_form("/login/totp", &[("code", &right)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = TestApp::spawn().await;
    let (name, _, codes) = enrolled(&app).await;
    assert_eq!(codes.len(), 10);
    let mut c = app.client();
    c.login(&name, PASSWORD).await;
    let typed = codes[3].to_lowercase().replace('-', " ");
    let res = c.post_form("/login/totp", &[("code", &typed)]).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a recovery code replaces the code"
    );
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::OK);
    c.post_form("/logout", &[]).await;
    c.login(&name, PASSWORD).await;
    let res = c.post_form("/login/totp", &[("code", &codes[3])]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "used once already");
    let res = c.post_form("/login/totp", &[("code", &codes[4])]).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "another one still works"
    );
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_totp_secret_is_sealed_and_never_in_the_sqlite_file_or_its_wal() {
    let app = TestApp::spawn().await;
    let (_, secret, codes) = enrolled(&app).await;
    let rows = app
        .state
        .store
        .sealed_batch(&TOTP_SECRET, None, 10)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        &rows[0].1[..6],
        &[1, 1, 0, 0, 0, 1],
        "format 1, AES-256-GCM, key 1"
    );
    if postgres_url().is_some() {
        eprintln!("note: the SQLite file check is skipped on PostgreSQL");
        return;
    }
    let mut haystack = Vec::new();
    for f in ["wushe.db", "wushe.db-wal"] {
        if let Ok(b) = std::fs::read(app.data_dir.join(f)) {
            haystack.extend(b);
        }
    }
    assert!(haystack.len() > 4096, "read the database files");
    let contains = |needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    assert!(
        !contains(secret.base32().as_bytes()),
        "base32 secret in the clear"
    );
    assert!(!contains(secret.grouped().as_bytes()));
    assert!(!contains(secret.as_bytes()), "raw secret in the clear");
    for code in &codes {
        assert!(!contains(code.as_bytes()) && !contains(code.replace('-', "").as_bytes()));
    }
}

#[tokio::test]
async fn a_tampered_secret_is_reported_as_tampering_and_logs_nobody_in() {
    let app = TestApp::spawn().await;
    let (name, secret, _) = enrolled(&app).await;
    let store = &app.state.store;
    let (row, sealed) = store
        .sealed_batch(&TOTP_SECRET, None, 1)
        .await
        .expect("rows")
        .remove(0);
    let mut bad = sealed.clone();
    bad[20] ^= 0x01;
    assert!(
        store
            .replace_sealed(&TOTP_SECRET, row, &sealed, &bad)
            .await
            .expect("update")
    );
    let mut c = app.client();
    c.login(&name, PASSWORD).await;
    let code = secret.code_at(app.unix_now()).expect("code");
    let res = c.post_form("/login/totp", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        text(res).await.contains("完整性校验"),
        "reported as tampering"
    );
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_social_worker_needs_only_the_password_unless_mlps_mode_is_on() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    let res = c.login(&name, PASSWORD).await;
    assert_eq!(location(&res), "/");
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::OK);

    let strict = TestApp::spawn_with(|c| c.mlps_mode = true).await;
    let (name, _) = strict.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = strict.client();
    let res = c.login(&name, PASSWORD).await;
    assert_eq!(location(&res), "/totp/enrol");
    assert_eq!(c.get_json("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_pending_login_expires_after_ten_minutes_and_the_purge_job_removes_it() {
    let app = TestApp::spawn().await;
    let (name, secret, _) = enrolled(&app).await;
    let mut stale = app.client();
    assert_eq!(location(&stale.login(&name, PASSWORD).await), "/login/totp");
    app.clock.advance(time::Duration::minutes(11));
    let mut fresh = app.client();
    assert_eq!(location(&fresh.login(&name, PASSWORD).await), "/login/totp");
    wushe_app::jobs::enqueue_periodic(&app.state)
        .await
        .expect("enqueue");
    wushe_app::jobs::drain(&app.state).await.expect("drain");
    let later = app.clock.now() + time::Duration::minutes(1);
    let left = app
        .state
        .store
        .purge_pending_logins(later)
        .await
        .expect("purge");
    assert_eq!(
        left, 1,
        "the job removed the stale pending login, not the fresh one"
    );
    let code = secret.code_at(app.unix_now()).expect("code");
    let res = stale.post_form("/login/totp", &[("code", &code)]).await;
    assert_eq!(location(&res), "/login", "an expired pending login is gone");
    assert_eq!(
        stale.get_json("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
}
