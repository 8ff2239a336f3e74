//! Tests: users — staff lists scoped by region, creating accounts, granting and revoking
//! roles (never to oneself, never beyond one's own scope), and the new-account form's errors,
//! on the pages and through the JSON API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wushe_core::Role;
use wushe_core::ids::UserId;
use wushe_core::regions::RegionCode;

use crate::harness::*;

/// A password that passes the policy, different from the harness's.
const NEW_PASSWORD: &str = "Qiao1-绿色-通道-2026";

/// The body of a new account.
fn new_user(username: &str, region: &str, role: &str) -> Value {
    json!({
        "username": username,
        "display_name": "王丽",
        "password": NEW_PASSWORD,
        "region": region,
        "role": role,
    })
}

/// The field names of a 422 answer.
fn error_fields(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["field"].as_str().expect("field").to_string())
        .collect()
}

/// Usernames in a JSON list of users, sorted.
fn usernames(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_string())
        .collect();
    v.sort();
    v
}

/// (role, region) of each grant in a JSON list, sorted.
fn grant_pairs(grants: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = grants
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| {
            (
                g["role"].as_str().expect("role").to_string(),
                g["region"].as_str().expect("region").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// (role, region) of each stored grant of a user, sorted.
async fn stored_grants(app: &TestApp, id: UserId) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = app
        .state
        .store
        .grants(id)
        .await
        .expect("grants")
        .into_iter()
        .map(|g| (g.grant.role.as_str().to_string(), g.grant.region.0))
        .collect();
    v.sort();
    v
}

/// Every username in the store.
async fn all_usernames(app: &TestApp) -> Vec<String> {
    let everywhere = [RegionCode::parse("31").expect("code")];
    let mut v: Vec<String> = app
        .state
        .store
        .list_users(&everywhere)
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.username)
        .collect();
    v.sort();
    v
}

fn pair(role: &str, region: &str) -> (String, String) {
    (role.to_string(), region.to_string())
}

/// A logged-in client for an account created through the API.
async fn log_in(app: &TestApp, username: &str, password: &str) -> TestClient {
    let mut c = app.client();
    let res = c.login(username, password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {username}");
    c
}

async fn username_of(app: &TestApp, id: UserId) -> String {
    app.state
        .store
        .user(id)
        .await
        .expect("read user")
        .expect("user exists")
        .username
}

#[tokio::test]
async fn a_community_social_worker_lists_only_the_staff_of_their_own_community() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let me = username_of(&app, c.user_id.expect("id")).await;
    let (colleague, _) = app.create_user(Role::Volunteer, QIAOYI).await;
    let (sibling, _) = app.create_user(Role::SocialWorker, QIAOER).await;
    let (street, _) = app.create_user(Role::Admin, WULIQIAO).await;
    let (other_street, _) = app
        .create_user(Role::SocialWorker, DAPUQIAO_COMMUNITY)
        .await;
    let (xuhui, _) = app.create_user(Role::SocialWorker, XUHUI).await;

    let (status, list) = c.get_json("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    let mut expected = vec![me.clone(), colleague.clone()];
    expected.sort();
    assert_eq!(usernames(&list), expected);
    for u in list.as_array().expect("array") {
        assert_eq!(u["region"], QIAOYI);
    }

    let res = c.get("/users").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(html.contains(&colleague) && html.contains(&me), "{html}");
    for outsider in [&sibling, &street, &other_street, &xuhui] {
        assert!(
            !html.contains(outsider.as_str()),
            "{outsider} must not be listed: {html}"
        );
    }
    assert!(
        !html.contains(r#"href="/users/new""#),
        "social workers do not create accounts: {html}"
    );

    // The street admin sees the whole street, but nothing of the other street or district.
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let admin_name = username_of(&app, admin.user_id.expect("id")).await;
    let (_, list) = admin.get_json("/api/v1/users").await;
    let mut expected = vec![me, colleague, sibling, street, admin_name];
    expected.sort();
    assert_eq!(usernames(&list), expected);
}

#[tokio::test]
async fn another_communitys_account_is_not_found_for_a_community_social_worker() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (colleague, colleague_id) = app.create_user(Role::Volunteer, QIAOYI).await;
    let (_, sibling_id) = app.create_user(Role::SocialWorker, QIAOER).await;
    let (_, street_id) = app.create_user(Role::Admin, WULIQIAO).await;

    for id in [sibling_id, street_id] {
        let (status, body) = c.get_json(&format!("/api/v1/users/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "not_found");
        assert!(body.get("username").is_none());
        let res = c.get(&format!("/users/{id}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(text(res).await.contains("返回首页"));
    }
    // A made-up id answers the same.
    let (status, _) = c
        .get_json(&format!("/api/v1/users/{}", UserId::new()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = c.get_json(&format!("/api/v1/users/{colleague_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["username"], colleague.as_str());
    assert_eq!(
        grant_pairs(&body["grants"]),
        vec![pair("volunteer", QIAOYI)]
    );
    let html = text(c.get(&format!("/users/{colleague_id}")).await).await;
    assert!(html.contains(&colleague), "{html}");
    assert!(
        !html.contains("/grants"),
        "no grant or revoke forms for a social worker: {html}"
    );
}

#[tokio::test]
async fn only_admins_create_accounts_or_grant_roles() {
    let app = TestApp::spawn().await;
    let (_, colleague_id) = app.create_user(Role::Volunteer, QIAOYI).await;
    let before = all_usernames(&app).await;
    for role in [Role::SocialWorker, Role::CivilAffairs, Role::Supervisor] {
        let mut c = app.login_as(role, QIAOYI).await;
        let before = all_usernames(&app).await;
        let res = c
            .post_json(
                "/api/v1/users",
                &new_user("new.worker", QIAOYI, "volunteer"),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "forbidden");
        // Even a half-filled body is refused as forbidden, not checked field by field.
        let res = c.post_json("/api/v1/users", &new_user("x", "", "")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?}");

        assert_eq!(
            c.get("/users/new").await.status(),
            StatusCode::FORBIDDEN,
            "{role:?}"
        );
        let res = c
            .post_form(
                "/users",
                &[
                    ("username", "new.worker"),
                    ("display_name", "王丽"),
                    ("password", NEW_PASSWORD),
                    ("region", QIAOYI),
                    ("role", "volunteer"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?}");

        let grant = json!({"role": "social_worker", "region": QIAOYI});
        let res = c
            .post_json(&format!("/api/v1/users/{colleague_id}/grants"), &grant)
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?}");
        let res = c
            .post_json(
                &format!("/api/v1/users/{colleague_id}/grants"),
                &json!({"role": "", "region": ""}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?}");
        let res = c
            .post_form(
                &format!("/users/{colleague_id}/grants"),
                &[("role", "social_worker"), ("region", QIAOYI)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?}");

        assert_eq!(
            all_usernames(&app).await.len(),
            before.len(),
            "{role:?} created nobody"
        );
        assert!(
            app.state
                .store
                .user_by_name("new.worker")
                .await
                .expect("lookup")
                .is_none()
        );
        assert_eq!(
            stored_grants(&app, colleague_id).await,
            vec![pair("volunteer", QIAOYI)]
        );
    }
    assert_eq!(
        all_usernames(&app).await.len(),
        before.len() + 3,
        "only the three logins were added"
    );

    // A volunteer cannot even read the staff list.
    let mut v = app.login_as(Role::Volunteer, QIAOYI).await;
    let (status, _) = v.get_json("/api/v1/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v.get("/users").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_street_admin_creates_an_account_and_grants_roles_inside_their_street() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;

    let res = admin
        .post_json(
            "/api/v1/users",
            &new_user(" Wang.Li ", QIAOYI, "social_worker"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body["username"], "wang.li",
        "user names are trimmed and lower-cased"
    );
    assert_eq!(body["display_name"], "王丽");
    assert_eq!(body["region"], QIAOYI);
    assert_eq!(body["disabled"], false);
    assert!(body.get("password").is_none() && body.get("password_hash").is_none());
    assert_eq!(
        grant_pairs(&body["grants"]),
        vec![pair("social_worker", QIAOYI)]
    );
    let id: UserId = body["id"].as_str().expect("id").parse().expect("user id");

    let path = format!("/api/v1/users/{id}/grants");
    let res = admin
        .post_json(&path, &json!({"role": "volunteer", "region": QIAOER}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        grant_pairs(&body["grants"]),
        vec![pair("social_worker", QIAOYI), pair("volunteer", QIAOER)]
    );
    // As wide as their own grant, but no wider.
    let res = admin
        .post_json(&path, &json!({"role": "admin", "region": WULIQIAO}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // The same through the pages.
    let res = admin
        .post_form(
            &format!("/users/{id}/grants"),
            &[("role", "counselor"), ("region", QIAOYI)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("/users/{id}").as_str());
    let res = admin
        .post_form(
            "/users",
            &[
                ("username", "zhang.wei"),
                ("display_name", "张伟"),
                ("password", NEW_PASSWORD),
                ("region", QIAOER),
                ("role", "committee_staff"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let zhang: UserId = location
        .strip_prefix("/users/")
        .expect("/users/{id}")
        .parse()
        .expect("user id");
    let html = text(admin.get(&location).await).await;
    assert!(
        html.contains("<h1>张伟</h1>") && html.contains("zhang.wei"),
        "{html}"
    );
    assert!(html.contains("社区工作者"), "the role in Chinese: {html}");
    assert!(
        html.contains(&format!(r#"action="/users/{zhang}/grants""#)),
        "{html}"
    );

    assert_eq!(
        stored_grants(&app, id).await,
        vec![
            pair("admin", WULIQIAO),
            pair("counselor", QIAOYI),
            pair("social_worker", QIAOYI),
            pair("volunteer", QIAOER),
        ]
    );
    assert_eq!(
        stored_grants(&app, zhang).await,
        vec![pair("committee_staff", QIAOER)]
    );

    // The new accounts can log in with their password and see their roles. Holding admin,
    // wang.li would also need a second factor, which totp.rs tests; not here.
    app.state
        .store
        .set_mfa_exempt(id, true)
        .await
        .expect("exempt");
    let mut wang = log_in(&app, "wang.li", NEW_PASSWORD).await;
    let (status, me) = wang.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "wang.li");
    assert_eq!(grant_pairs(&me["grants"]).len(), 4);
    let mut zhang_client = log_in(&app, "zhang.wei", NEW_PASSWORD).await;
    let (_, me) = zhang_client.get_json("/api/v1/me").await;
    assert_eq!(
        grant_pairs(&me["grants"]),
        vec![pair("committee_staff", QIAOER)]
    );
}

#[tokio::test]
async fn a_street_admin_cannot_grant_in_another_street_or_above_their_own() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let res = admin
        .post_json(
            "/api/v1/users",
            &new_user("wang.li", QIAOYI, "social_worker"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    let id: UserId = body["id"].as_str().expect("id").parse().expect("user id");
    let users_before = all_usernames(&app).await;

    for region in [DAPUQIAO_COMMUNITY, DAPUQIAO, HUANGPU, "31", XUHUI] {
        for role in ["volunteer", "social_worker", "admin"] {
            let res = admin
                .post_json(
                    &format!("/api/v1/users/{id}/grants"),
                    &json!({"role": role, "region": region}),
                )
                .await;
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{role} at {region}"
            );
            let answer: Value = res.json().await.expect("json");
            assert_eq!(error_fields(&answer), vec!["region"], "{role} at {region}");
        }
        let res = admin
            .post_json(
                "/api/v1/users",
                &new_user(&format!("outside.{region}"), region, "volunteer"),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "new account at {region}"
        );
        let answer: Value = res.json().await.expect("json");
        assert_eq!(
            error_fields(&answer),
            vec!["region"],
            "new account at {region}"
        );
    }

    // The pages say so next to the region field.
    let res = admin
        .post_form(
            &format!("/users/{id}/grants"),
            &[("role", "volunteer"), ("region", HUANGPU)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains(r#"<p class="field-error" id="region-err">只能在您管理的地区内授权</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"value="310101""#),
        "what was typed stays: {html}"
    );
    let res = admin
        .post_form(
            "/users",
            &[
                ("username", "outside.form"),
                ("display_name", "越界"),
                ("password", NEW_PASSWORD),
                ("region", DAPUQIAO_COMMUNITY),
                ("role", "volunteer"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains(r#"<p class="field-error" id="region-err">只能在您管理的地区内授权</p>"#),
        "{html}"
    );

    assert_eq!(
        stored_grants(&app, id).await,
        vec![pair("social_worker", QIAOYI)]
    );
    assert_eq!(
        all_usernames(&app).await,
        users_before,
        "no account was created"
    );
    let (_, read) = admin.get_json(&format!("/api/v1/users/{id}")).await;
    assert_eq!(
        grant_pairs(&read["grants"]),
        vec![pair("social_worker", QIAOYI)]
    );
}

#[tokio::test]
async fn nobody_can_grant_themselves_a_role_or_revoke_their_own() {
    let app = TestApp::spawn().await;
    for (role, region) in [(Role::Admin, WULIQIAO), (Role::Admin, HUANGPU)] {
        let mut me = app.login_as(role, region).await;
        let my_id = me.user_id.expect("id");
        let my_grant = app.state.store.grants(my_id).await.expect("grants")[0].id;

        let res = me
            .post_json(
                &format!("/api/v1/users/{my_id}/grants"),
                &json!({"role": "volunteer", "region": QIAOYI}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "forbidden");
        let res = me
            .post_form(
                &format!("/users/{my_id}/grants"),
                &[("role", "volunteer"), ("region", QIAOYI)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        let res = me
            .send_json(
                Method::DELETE,
                &format!("/api/v1/users/{my_id}/grants/{my_grant}"),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = me
            .post_form(&format!("/users/{my_id}/grants/{my_grant}/delete"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // Their own page offers neither form.
        let html = text(me.get(&format!("/users/{my_id}")).await).await;
        assert!(!html.contains("/grants"), "{html}");

        assert_eq!(
            stored_grants(&app, my_id).await,
            vec![pair("admin", region)]
        );
        let (_, who) = me.get_json("/api/v1/me").await;
        assert_eq!(grant_pairs(&who["grants"]), vec![pair("admin", region)]);
    }
}

#[tokio::test]
async fn a_revoked_grant_takes_its_access_away_at_once() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let res = admin
        .post_json(
            "/api/v1/users",
            &new_user("wang.li", QIAOYI, "social_worker"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    let id: UserId = body["id"].as_str().expect("id").parse().expect("user id");
    let social_worker_grant = body["grants"][0]["id"]
        .as_str()
        .expect("grant id")
        .to_string();
    let res = admin
        .post_json(
            &format!("/api/v1/users/{id}/grants"),
            &json!({"role": "volunteer", "region": QIAOER}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    let volunteer_grant = body["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .find(|g| g["role"] == "volunteer")
        .and_then(|g| g["id"].as_str())
        .expect("volunteer grant")
        .to_string();

    let mut wang = log_in(&app, "wang.li", NEW_PASSWORD).await;
    let (_, me) = wang.get_json("/api/v1/me").await;
    assert_eq!(
        grant_pairs(&me["grants"]),
        vec![pair("social_worker", QIAOYI), pair("volunteer", QIAOER)]
    );
    let (status, _) = wang.get_json("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    let res = wang
        .post_json(
            "/api/v1/regions/310101020001/children",
            &json!({"level": "grid", "name": "第一网格"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let res = admin
        .send_json(
            Method::DELETE,
            &format!("/api/v1/users/{id}/grants/{social_worker_grant}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Revoking it again: it is gone.
    let res = admin
        .send_json(
            Method::DELETE,
            &format!("/api/v1/users/{id}/grants/{social_worker_grant}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The same session loses the role on its next request.
    let (_, me) = wang.get_json("/api/v1/me").await;
    assert_eq!(grant_pairs(&me["grants"]), vec![pair("volunteer", QIAOER)]);
    let (status, _) = wang.get_json("/api/v1/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = wang
        .post_json(
            "/api/v1/regions/310101020001/children",
            &json!({"level": "grid", "name": "第二网格"}),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "QIAOYI is outside the remaining grant"
    );

    // The revoke button on the user's page removes the last one.
    let html = text(admin.get(&format!("/users/{id}")).await).await;
    let action = format!("/users/{id}/grants/{volunteer_grant}/delete");
    assert!(html.contains(&action), "{html}");
    let res = admin.post_form(&action, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("/users/{id}").as_str());
    let html = text(admin.get(&format!("/users/{id}")).await).await;
    assert!(html.contains("没有角色。"), "{html}");

    let (_, me) = wang.get_json("/api/v1/me").await;
    assert_eq!(me["grants"], json!([]));
    let (status, _) = wang.get_json("/api/v1/regions").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(stored_grants(&app, id).await.is_empty());
}

#[tokio::test]
async fn a_bad_new_account_form_gets_field_messages_and_never_shows_the_password_again() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let res = admin
        .post_json(
            "/api/v1/users",
            &new_user("wang.li", QIAOYI, "social_worker"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let original = app
        .state
        .store
        .user_by_name("wang.li")
        .await
        .expect("lookup")
        .expect("user");
    let before = all_usernames(&app).await;

    let cases: [(&str, &str, &[&str]); 5] = [
        ("li.na", "Xq7!short", &["password"]),
        ("li.na", "aaaaaaaaaaaaaaaa", &["password"]),
        ("Li Na", "Tall-Password-2026-丽娜", &["username"]),
        ("王丽", "Tall-Password-2026-丽娜", &["username"]),
        ("WANG.LI", "Other-Password-2026-王", &["username"]),
    ];
    for (username, password, fields) in cases {
        let res = admin
            .post_form(
                "/users",
                &[
                    ("username", username),
                    ("display_name", "李娜"),
                    ("password", password),
                    ("region", QIAOYI),
                    ("role", "volunteer"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{username} / {password}"
        );
        let html = text(res).await;
        for f in fields {
            assert!(
                html.contains(&format!(r#"<p class="field-error" id="{f}-err">"#)),
                "{f}: {html}"
            );
        }
        assert!(
            !html.contains(password),
            "the password must not come back: {html}"
        );
        assert!(
            html.contains(r#"value="李娜""#),
            "other fields are kept: {html}"
        );
        assert!(html.contains("请修改标出的内容"), "{html}");

        let mut body = new_user(username, QIAOYI, "volunteer");
        body["password"] = json!(password);
        let res = admin.post_json("/api/v1/users", &body).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{username} / {password}"
        );
        let answer = text(res).await;
        assert!(!answer.contains(password), "{answer}");
        let answer: Value = serde_json::from_str(&answer).expect("json");
        assert_eq!(
            error_fields(&answer),
            fields.to_vec(),
            "{username} / {password}"
        );
    }
    // The messages say what to do.
    let res = admin
        .post_form(
            "/users",
            &[
                ("username", "Wang.Li"),
                ("display_name", "李娜"),
                ("password", "Xq7!short"),
                ("region", QIAOYI),
                ("role", "volunteer"),
            ],
        )
        .await;
    let html = text(res).await;
    assert!(html.contains("密码至少需要10个字符"), "{html}");
    let res = admin
        .post_form(
            "/users",
            &[
                ("username", "Wang.Li"),
                ("display_name", "李娜"),
                ("password", NEW_PASSWORD),
                ("region", QIAOYI),
                ("role", "volunteer"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains(r#"<p class="field-error" id="username-err">用户名已被使用</p>"#),
        "{html}"
    );
    assert!(!html.contains(NEW_PASSWORD), "{html}");
    let res = admin
        .post_form(
            "/users",
            &[
                ("username", ""),
                ("display_name", ""),
                ("password", ""),
                ("region", ""),
                ("role", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    for f in ["username", "display_name", "password", "region", "role"] {
        assert!(html.contains(&format!(r#"id="{f}-err""#)), "{f}: {html}");
    }

    assert_eq!(all_usernames(&app).await, before, "no account was created");
    let still = app
        .state
        .store
        .user_by_name("wang.li")
        .await
        .expect("lookup")
        .expect("user");
    assert_eq!(still.id, original.id);
    assert_eq!(still.display_name, "王丽");
    log_in(&app, "wang.li", NEW_PASSWORD).await;
}

#[tokio::test]
async fn a_grant_names_an_existing_organisation_or_gets_a_field_error() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let (_, id) = app.create_user(Role::Volunteer, QIAOYI).await;
    let before = all_usernames(&app).await;
    let ghost = uuid::Uuid::now_v7().to_string();
    let res = admin
        .post_json(
            &format!("/api/v1/users/{id}/grants"),
            &json!({"role": "charity_staff", "region": QIAOYI, "org": ghost}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.expect("json");
    assert_eq!(error_fields(&body), vec!["org"]);
    let mut account = new_user("org.less", QIAOYI, "charity_staff");
    account["org"] = json!(ghost);
    let res = admin.post_json("/api/v1/users", &account).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.expect("json");
    assert_eq!(error_fields(&body), vec!["org"]);

    assert_eq!(
        stored_grants(&app, id).await,
        vec![pair("volunteer", QIAOYI)]
    );
    assert_eq!(all_usernames(&app).await, before);

    // With a real organisation the grant is stored with it.
    let res = admin
        .post_json(
            "/api/v1/orgs",
            &json!({"name": "桥一公益基金会", "kind": "charity", "region": QIAOYI}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let org: Value = res.json().await.expect("json");
    let res = admin
        .post_json(
            &format!("/api/v1/users/{id}/grants"),
            &json!({"role": "charity_staff", "region": QIAOYI, "org": org["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    let with_org = body["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .find(|g| g["role"] == "charity_staff")
        .expect("the new grant");
    assert_eq!(with_org["org"], org["id"]);
    assert_eq!(
        stored_grants(&app, id).await,
        vec![pair("charity_staff", QIAOYI), pair("volunteer", QIAOYI)]
    );
}
