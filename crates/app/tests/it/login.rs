//! Login defences through real HTTP: the per-address lock, unknown names answered like real
//! ones, the account-wide lock with its alert, the per-address throttle, and which client
//! address counts (forwarded headers only from a trusted proxy).

use reqwest::{Response, StatusCode};
use wushe_core::Role;

use crate::harness::*;

const LOCKED_HERE: &str = "此账号在这台设备或网络上暂停登录15分钟";
const LOCKED_EVERYWHERE: &str = "此账号因登录失败次数过多已被暂时锁定";
const WRONG: &str = "用户名或密码不正确";

/// A server that believes `X-Forwarded-For` from the test client (it connects from 127.0.0.1).
async fn behind_proxy() -> TestApp {
    TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")]).await
}

/// POST the login form with an `X-Forwarded-For` header.
async fn login_from(c: &mut TestClient, from: &str, username: &str, password: &str) -> Response {
    c.get("/login").await;
    let body = serde_urlencoded::to_string([
        ("_csrf", c.csrf.as_str()),
        ("username", username),
        ("password", password),
        ("next", "/"),
    ])
    .expect("form");
    c.http
        .post(c.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", from)
        .body(body)
        .send()
        .await
        .expect("POST /login")
}

/// Status and body, with the typed user name replaced so two names can be compared.
async fn seen(res: Response, name: &str) -> (StatusCode, String) {
    let status = res.status();
    (status, text(res).await.replace(name, "NAME"))
}

#[tokio::test]
async fn the_sixth_attempt_from_one_address_is_refused_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    for i in 1..=4 {
        let (status, body) = seen(c.login(&name, "not-the-password").await, &name).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(body.contains(WRONG), "attempt {i}: {body}");
    }
    let (status, fifth) = seen(c.login(&name, "not-the-password").await, &name).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        fifth.contains(LOCKED_HERE),
        "the fifth failure locks: {fifth}"
    );
    let (status, right) = seen(c.login(&name, PASSWORD).await, &name).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the right password is refused"
    );
    let (_, wrong) = seen(c.login(&name, "not-the-password").await, &name).await;
    assert_eq!(
        right, wrong,
        "right and wrong passwords look the same while locked"
    );
    assert_eq!(
        c.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "no session"
    );
    app.clock.advance(time::Duration::minutes(15));
    assert_eq!(
        c.login(&name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the lock ends after 15 minutes"
    );
}

#[tokio::test]
async fn an_unknown_user_name_is_answered_and_locked_exactly_like_a_real_one() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let unknown = "nobody.here";
    let mut c = app.client();
    for i in 1..=6 {
        let real = seen(c.login(&name, "not-the-password").await, &name).await;
        let fake = seen(c.login(unknown, "not-the-password").await, unknown).await;
        assert_eq!(real, fake, "attempt {i}");
        let expected = if i < 5 { WRONG } else { LOCKED_HERE };
        assert!(real.1.contains(expected), "attempt {i}: {}", real.1);
    }
    let real = seen(c.login(&name, PASSWORD).await, &name).await;
    let fake = seen(c.login(unknown, PASSWORD).await, unknown).await;
    assert_eq!(real, fake);
    assert_eq!(real.0, StatusCode::UNAUTHORIZED);
    // The name is matched case-insensitively, like the account itself.
    let upper = seen(
        c.login(&name.to_uppercase(), PASSWORD).await,
        &name.to_uppercase(),
    )
    .await;
    assert_eq!(upper, real);
}

#[tokio::test]
async fn another_address_can_still_log_in_while_one_address_is_locked() {
    let app = behind_proxy().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut attacker = app.client();
    for _ in 0..5 {
        login_from(&mut attacker, "198.51.100.1", &name, "not-the-password").await;
    }
    let res = login_from(&mut attacker, "198.51.100.1", &name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(text(res).await.contains(LOCKED_HERE));
    let mut worker = app.client();
    let res = login_from(&mut worker, "203.0.113.20, 198.51.100.2", &name, PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "another address logs in"
    );
    assert_eq!(worker.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    for i in 0..5 {
        login_from(
            &mut c,
            &format!("198.51.100.{i}"),
            &name,
            "not-the-password",
        )
        .await;
    }
    let res = login_from(&mut c, "203.0.113.9", &name, PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "every attempt counted under the real peer address"
    );
    assert!(text(res).await.contains(LOCKED_HERE));
}

#[tokio::test]
async fn a_hundred_failures_from_many_addresses_lock_the_account_everywhere_and_alert_its_admins() {
    let app = behind_proxy().await;
    let (name, id) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut attacker = app.client();
    let mut last = String::new();
    for n in 0..100 {
        let from = format!("198.51.100.{}", n / 5);
        last = text(login_from(&mut attacker, &from, &name, "not-the-password").await).await;
    }
    assert!(
        last.contains(LOCKED_EVERYWHERE),
        "the 100th failure: {last}"
    );
    let mut worker = app.client();
    let res = login_from(&mut worker, "203.0.113.20", &name, PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "locked from a fresh address too"
    );
    assert!(text(res).await.contains(LOCKED_EVERYWHERE));

    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let home = text(admin.get("/").await).await;
    assert!(
        home.contains("账号已在所有地方锁定") && home.contains("测试 社工"),
        "the admin of the user's street sees the alert: {home}"
    );
    assert!(home.contains(&format!("/users/{id}")));
    let mut elsewhere = app.login_as(Role::Admin, XUHUI).await;
    assert!(
        !text(elsewhere.get("/").await)
            .await
            .contains("所有地方锁定")
    );
    let mut colleague = app.login_as(Role::SocialWorker, QIAOYI).await;
    assert!(
        !text(colleague.get("/").await)
            .await
            .contains("所有地方锁定")
    );

    let page = text(admin.get(&format!("/users/{id}")).await).await;
    assert!(page.contains("解除登录锁定"), "{page}");
    let res = admin.post_form(&format!("/users/{id}/unlock"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        !text(admin.get("/").await).await.contains("所有地方锁定"),
        "resolved"
    );
    let res = login_from(&mut worker, "203.0.113.20", &name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "unlocked by the admin");
    let entries = app.state.store.audit_page(0, 10_000).await.expect("audit");
    let id = id.to_string();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == "user_unlocked" && e.record_ids.contains(&id))
            .count(),
        1,
        "the unlock is audited once"
    );
}

#[tokio::test]
async fn the_account_wide_lock_ends_after_an_hour_without_an_admin() {
    let app = behind_proxy().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    for n in 0..100 {
        login_from(
            &mut c,
            &format!("198.51.100.{}", n / 5),
            &name,
            "nope-nope-nope",
        )
        .await;
    }
    let res = login_from(&mut c, "203.0.113.20", &name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.clock.advance(time::Duration::minutes(61));
    let res = login_from(&mut c, "203.0.113.20", &name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn thirty_failures_from_one_address_are_throttled_with_429_and_retry_after() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    for n in 0..30 {
        let res = c
            .login(&format!("guess-{}", n / 5), "not-the-password")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "failure {n}");
    }
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let res = c.login(&name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=600).contains(&retry), "Retry-After {retry}");
    assert!(text(res).await.contains("这个网络的登录失败次数过多"));
    app.clock.advance(time::Duration::seconds(retry));
    assert_eq!(
        c.login(&name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the throttle lifts when the failures leave the window"
    );
}

#[tokio::test]
async fn a_successful_login_ends_the_streak_of_failures() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut c = app.client();
    for _ in 0..4 {
        c.login(&name, "not-the-password").await;
    }
    assert_eq!(
        c.login(&name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    c.post_form("/logout", &[]).await;
    for _ in 0..4 {
        c.login(&name, "not-the-password").await;
    }
    assert_eq!(
        c.login(&name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "four failures after a success are no lock"
    );
}

#[tokio::test]
async fn guesses_at_the_current_password_on_the_change_page_count_as_failed_logins() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut stolen = app.client();
    assert_eq!(
        stolen.login(&name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let change = |current: &'static str| {
        [
            ("current_password", current),
            ("new_password", "tiger lamp orchard river"),
            ("new_password_again", "tiger lamp orchard river"),
        ]
    };
    for _ in 0..5 {
        let res = stolen
            .post_form("/account/password", &change("a-guess-at-it"))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = stolen
        .post_form("/account/password", &change(PASSWORD))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "locked: even the right one"
    );
    assert!(text(res).await.contains(LOCKED_HERE));
    let mut c = app.client();
    assert_eq!(
        c.login(&name, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the same lock as for logins from this address"
    );
}
