//! Account control through real HTTP: administrators disable and re-enable accounts in their
//! scope (never their own, never a mightier one), which ends the account's sessions at once.

use reqwest::StatusCode;
use serde_json::json;
use time::OffsetDateTime;
use wushe_core::Role;
use wushe_core::actor::Grant;
use wushe_core::regions::RegionCode;
use wushe_core::users::{NewUser, password};

use crate::harness::*;
use wushe_core::audit::{Action, AuditEvent};

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once_and_stops_their_login() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let mut worker = app.login_as(Role::SocialWorker, QIAOYI).await;
    let worker_id = worker.user_id.expect("id");
    let page = text(admin.get(&format!("/users/{worker_id}")).await).await;
    assert!(
        page.contains(&format!("/users/{worker_id}/disable")),
        "{page}"
    );
    let res = admin
        .post_form(&format!("/users/{worker_id}/disable"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = worker.get("/orgs").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap_or("")
            .starts_with("/login")
    );
    let (status, me) = worker.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{me}");
    let res = admin
        .post_form(&format!("/users/{worker_id}/enable"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        worker.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "the sessions were deleted, not just suspended: enabling does not revive them"
    );

    let mut other = app.login_as(Role::Volunteer, QIAOYI).await;
    let other_id = other.user_id.expect("id");
    let res = admin
        .post_json(&format!("/api/v1/users/{other_id}/disable"), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let dto: serde_json::Value = res.json().await.expect("json");
    assert_eq!(dto["disabled"], true);
    assert_eq!(other.get("/").await.status(), StatusCode::SEE_OTHER);
    let res = admin
        .post_json(&format!("/api/v1/users/{other_id}/enable"), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let name = dto["username"].as_str().expect("name").to_string();
    assert_eq!(
        other.login(&name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, doc) = admin.get_json("/api/v1/openapi.json").await;
    for action in ["disable", "enable", "unlock"] {
        let path = format!("/api/v1/users/{{id}}/{action}");
        assert!(doc["paths"][&path]["post"].is_object(), "{path} documented");
    }
}

#[tokio::test]
async fn only_an_admin_of_the_users_region_may_disable_and_never_themselves() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let admin_id = admin.user_id.expect("id");
    let (_, worker) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let (_, district_admin) = app.create_user(Role::Admin, HUANGPU).await;
    let path = |id| format!("/api/v1/users/{id}/disable");
    let res = admin.post_json(&path(admin_id), &json!({})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "not yourself");
    let res = admin.post_json(&path(district_admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "outside the street");
    let (_, over_the_road) = app
        .create_user(Role::SocialWorker, DAPUQIAO_COMMUNITY)
        .await;
    let res = admin.post_json(&path(over_the_road), &json!({})).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "a sibling street's worker"
    );
    // Living in the street does not make a district administrator manageable from it.
    let region = RegionCode::parse(QIAOYI).expect("region");
    let mightier = NewUser {
        username: "mightier".into(),
        display_name: "区管理员".into(),
        region,
        grants: vec![Grant {
            role: Role::Admin,
            region: RegionCode::parse(HUANGPU).expect("region"),
            org: None,
        }],
    };
    let hash = password::hash(PASSWORD).expect("hash");
    let mightier = app
        .state
        .store
        .insert_user(
            &mightier,
            &hash,
            OffsetDateTime::now_utc(),
            &AuditEvent::new(Action::UserCreated, OffsetDateTime::now_utc()),
        )
        .await
        .expect("insert");
    let res = admin.post_json(&path(mightier), &json!({})).await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "holds more than the admin"
    );
    for place in [XUHUI, DAPUQIAO] {
        let mut foreign = app.login_as(Role::Admin, place).await;
        let res = foreign.post_json(&path(worker), &json!({})).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "admin of {place}");
    }
    let mut next_door = app.login_as(Role::SocialWorker, QIAOER).await;
    let res = next_door.post_json(&path(worker), &json!({})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another community");
    let mut colleague = app.login_as(Role::SocialWorker, QIAOYI).await;
    let res = colleague.post_json(&path(worker), &json!({})).await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "social workers only see accounts"
    );
    let u = app
        .state
        .store
        .user(worker)
        .await
        .expect("user")
        .expect("exists");
    assert!(!u.disabled);
}
