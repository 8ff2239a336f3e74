//! Passwords through real HTTP: the strength rules on every form that sets a password, hash
//! upgrades at login, the change-password page, and the MLPS rules (character classes, 90-day
//! rotation).

use reqwest::StatusCode;
use serde_json::json;
use time::OffsetDateTime;
use wushe_core::actor::Grant;
use wushe_core::regions::RegionCode;
use wushe_core::users::{NewUser, password};
use wushe_core::{Clock, Role};

use crate::harness::*;
use wushe_core::audit::{Action, AuditEvent};

const STRONG: &str = "tiger lamp orchard river";
const STRONG_MLPS: &str = "Tiger-lamp-orchard-7";

fn new_user_form<'a>(username: &'a str, pw: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("username", username),
        ("display_name", "李 测试"),
        ("password", pw),
        ("role", "social_worker"),
        ("region", QIAOYI),
    ]
}

#[tokio::test]
async fn weak_passwords_are_refused_on_create_user_with_a_message_on_the_field() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let res = admin
        .post_form("/users", &new_user_form("li.test", "password123"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = text(res).await;
    assert!(body.contains("id=\"password-err\""), "{body}");
    assert!(body.contains("密码太容易被猜到"), "{body}");
    let res = admin
        .post_form("/users", &new_user_form("li.test", "li.test2024!"))
        .await;
    assert!(text(res).await.contains("不要在密码里用自己的姓名或用户名"));
    let res = admin
        .post_json(
            "/api/v1/users",
            &json!({"username": "li.test", "display_name": "李", "password": "short",
                    "region": QIAOYI, "role": "social_worker"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["fields"][0]["field"], "password");
    assert!(
        body["fields"][0]["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("至少需要10个字符")),
        "{body}"
    );
    let res = admin
        .post_form("/users", &new_user_form("li.test", STRONG))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a strong password is taken"
    );
}

#[tokio::test]
async fn a_hash_with_old_parameters_is_upgraded_at_the_next_login() {
    let app = TestApp::spawn().await;
    let old = password::hash_with_cost(PASSWORD, 8 * 1024, 1, 1).expect("hash");
    let region = RegionCode::parse(QIAOYI).expect("region");
    let user = NewUser {
        username: "old.hash".into(),
        display_name: "旧哈希".into(),
        region: region.clone(),
        grants: vec![Grant {
            role: Role::SocialWorker,
            region,
            org: None,
        }],
    };
    let store = &app.state.store;
    let id = store
        .insert_user(
            &user,
            &old,
            OffsetDateTime::now_utc(),
            &AuditEvent::new(Action::UserCreated, OffsetDateTime::now_utc()),
        )
        .await
        .expect("insert");
    let mut c = app.client();
    assert_eq!(
        c.login("old.hash", "wrong-password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        store.password_hash(id).await.expect("hash"),
        Some(old.clone()),
        "not on failure"
    );
    assert_eq!(
        c.login("old.hash", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let new = store
        .password_hash(id)
        .await
        .expect("hash")
        .expect("a hash");
    assert_ne!(new, old);
    assert!(new.contains("$m=19456,t=2,p=1$"), "{new}");
    assert!(!password::needs_rehash(&new) && password::verify(PASSWORD, &new));
    let mut again = app.client();
    assert_eq!(
        again.login("old.hash", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn changing_the_password_checks_each_field_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut here = app.client();
    assert_eq!(
        here.login(&name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let mut phone = app.client();
    assert_eq!(
        phone.login(&name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(here.get("/account/password").await.status(), StatusCode::OK);

    let res = here
        .post_form(
            "/account/password",
            &[
                ("current_password", "not-the-password"),
                ("new_password", "qwertyuiop"),
                ("new_password_again", "qwertyuiopx"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = text(res).await;
    for field in ["current_password", "new_password", "new_password_again"] {
        assert!(
            body.contains(&format!("id=\"{field}-err\"")),
            "{field}: {body}"
        );
    }
    assert!(body.contains("当前密码不正确") && body.contains("两次输入的新密码不一致"));
    assert_eq!(
        phone.get("/").await.status(),
        StatusCode::OK,
        "nothing changed yet"
    );

    let res = here
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", STRONG),
                ("new_password_again", STRONG),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        text(here.get("/account/password?done=1").await)
            .await
            .contains("密码已修改")
    );
    assert_eq!(
        here.get("/").await.status(),
        StatusCode::OK,
        "this session goes on"
    );
    let res = phone.get("/").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap_or("")
            .starts_with("/login")
    );
    let mut fresh = app.client();
    assert_eq!(
        fresh.login(&name, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh.login(&name, STRONG).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn mlps_mode_asks_for_three_character_classes_when_a_password_is_set() {
    let app = TestApp::spawn_with(|c| c.mlps_mode = true).await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let res = admin
        .post_form("/users", &new_user_form("li.test", STRONG))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("至少三类"));
    let res = admin
        .post_form("/users", &new_user_form("li.test", STRONG_MLPS))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = admin
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", STRONG),
                ("new_password_again", STRONG),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("请加上：大写字母、数字"));
}

#[tokio::test]
async fn in_mlps_mode_a_password_older_than_90_days_must_be_changed_before_anything_else() {
    let app = TestApp::spawn_with(|c| c.mlps_mode = true).await;
    let (name, id) = app.create_user(Role::SocialWorker, QIAOYI).await;
    // MLPS mode also asks everyone for a second factor (tested in totp.rs); here only the expiry.
    app.state
        .store
        .set_mfa_exempt(id, true)
        .await
        .expect("exempt");
    let mut c = app.client();
    app.clock.advance(time::Duration::days(89));
    assert_eq!(
        c.login(&name, PASSWORD).await.headers()["location"],
        "/",
        "not yet"
    );
    c.post_form("/logout", &[]).await;
    // The harness stamps the user with the wall clock, a moment after the test clock's start.
    app.clock
        .advance(time::Duration::days(1) + time::Duration::minutes(1));
    let res = c.login(&name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/account/password",
        "right after login"
    );
    for path in ["/", "/orgs", "/users"] {
        let res = c.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], "/account/password", "{path}");
    }
    let (status, body) = c.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "password_expired");
    assert!(
        text(c.get("/account/password").await)
            .await
            .contains("超过90天")
    );
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", STRONG_MLPS),
                ("new_password_again", STRONG_MLPS),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get("/orgs").await.status(), StatusCode::OK);
    let u = app
        .state
        .store
        .user_by_name(&name)
        .await
        .expect("user")
        .expect("exists");
    assert!(app.clock.now() - u.password_changed_at < time::Duration::seconds(1));
}
