//! Tests: orgs — the organisation directory (readable by all staff, across districts),
//! registering and editing organisations within scope, field errors, optimistic concurrency
//! and the directory filters, on the pages and through the JSON API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use wushe_core::Role;
use wushe_core::ids::OrgId;
use wushe_core::orgs::{Org, OrgFilter, OrgKind};
use wushe_core::regions::RegionCode;

use crate::harness::*;
use wushe_core::audit::{Action, AuditEvent};

/// Put an organisation straight into the store, as if someone with scope had registered it.
async fn seed_org(app: &TestApp, name: &str, kind: OrgKind, region: &str) -> Org {
    let now = OffsetDateTime::now_utc();
    let org = Org {
        id: OrgId::new(),
        name: name.into(),
        kind,
        region: RegionCode::parse(region).expect("region"),
        phone: Some("021-63011234".into()),
        address: Some("测试路1号".into()),
        description: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    app.state
        .store
        .insert_org(
            &org,
            &AuditEvent::new(Action::OrgCreated, OffsetDateTime::now_utc()),
        )
        .await
        .expect("insert org");
    org
}

/// Every organisation in the store.
async fn stored_orgs(app: &TestApp) -> Vec<Org> {
    app.state
        .store
        .list_orgs(&OrgFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .expect("list orgs")
}

async fn stored_org(app: &TestApp, id: OrgId) -> Org {
    app.state
        .store
        .org(id)
        .await
        .expect("read org")
        .expect("org exists")
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

/// Names in a JSON list of organisations, in order.
fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|o| o["name"].as_str().expect("name").to_string())
        .collect()
}

#[tokio::test]
async fn a_community_social_worker_finds_a_provider_registered_in_another_district() {
    let app = TestApp::spawn().await;
    let mut xuhui_admin = app.login_as(Role::Admin, XUHUI).await;
    let res = xuhui_admin
        .post_json(
            "/api/v1/orgs",
            &json!({"name": "徐汇某医院血透中心", "kind": "provider", "region": XUHUI, "phone": "021-64041990"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.expect("json");
    let id = created["id"].as_str().expect("id").to_string();

    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (status, found) = c.get_json("/api/v1/orgs?q=血透").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&found), vec!["徐汇某医院血透中心"]);
    assert_eq!(found[0]["region"], XUHUI);
    assert_eq!(found[0]["kind"], "provider");
    assert_eq!(found[0]["phone"], "021-64041990");

    let (status, one) = c.get_json(&format!("/api/v1/orgs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["name"], "徐汇某医院血透中心");

    let html = text(c.get("/orgs?q=血透").await).await;
    assert!(
        html.contains(&format!(r#"<a href="/orgs/{id}">徐汇某医院血透中心</a>"#)),
        "{html}"
    );
    assert!(
        html.contains("徐汇区"),
        "the region is shown by name: {html}"
    );
    let res = c.get(&format!("/orgs/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(html.contains("<h1>徐汇某医院血透中心</h1>"), "{html}");
    assert!(
        html.contains(r#"<a href="tel:021-64041990">021-64041990</a>"#),
        "{html}"
    );
    assert!(
        !html.contains("/edit"),
        "no edit button outside scope: {html}"
    );
}

#[tokio::test]
async fn every_staff_role_but_volunteers_reads_the_whole_directory() {
    let app = TestApp::spawn().await;
    let provider = seed_org(&app, "徐汇某药房", OrgKind::Provider, XUHUI).await;
    let committee = seed_org(&app, "大同居委会", OrgKind::Committee, DAPUQIAO_COMMUNITY).await;
    for role in Role::ALL {
        let mut c = app.login_as(role, QIAOER).await;
        let (status, list) = c.get_json("/api/v1/orgs").await;
        let res = c.get(&format!("/orgs/{}", provider.id)).await;
        if role == Role::Volunteer {
            // The permission table gives volunteers places only (no ViewOrgs).
            assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
            assert_eq!(list["error"], "forbidden");
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?}");
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{role:?}");
        let mut got = names(&list);
        got.sort();
        assert_eq!(got, vec!["大同居委会", "徐汇某药房"], "{role:?}");
        assert_eq!(res.status(), StatusCode::OK, "{role:?}");
        assert!(text(res).await.contains("徐汇某药房"), "{role:?}");
        let (status, one) = c.get_json(&format!("/api/v1/orgs/{}", committee.id)).await;
        assert_eq!(status, StatusCode::OK, "{role:?}");
        assert_eq!(one["region"], DAPUQIAO_COMMUNITY);
    }
}

#[tokio::test]
async fn a_social_worker_registers_an_organisation_in_their_community_with_the_form() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let form = text(c.get("/orgs/new").await).await;
    assert!(
        form.contains(r#"<option value="310101020001">桥一居委会</option>"#),
        "{form}"
    );
    assert!(
        !form.contains(r#"value="310101020002""#),
        "only regions in scope are offered: {form}"
    );

    // The fields the form sends, including its hidden version field.
    let res = c
        .post_form(
            "/orgs",
            &[
                ("version", "0"),
                ("name", "  桥一党员志愿服务队 "),
                ("kind", "volunteer_team"),
                ("region", QIAOYI),
                ("phone", "021-6301 1234"),
                ("address", "桥一路8号"),
                ("description", "每周三上门探访"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let id: OrgId = location
        .strip_prefix("/orgs/")
        .expect("/orgs/{id}")
        .parse()
        .expect("an org id");

    let org = stored_org(&app, id).await;
    assert_eq!(org.name, "桥一党员志愿服务队");
    assert_eq!(org.kind, OrgKind::VolunteerTeam);
    assert_eq!(org.region.0, QIAOYI);
    assert_eq!(org.phone.as_deref(), Some("021-6301 1234"));
    assert_eq!(org.address.as_deref(), Some("桥一路8号"));
    assert_eq!(org.version, 1);

    let html = text(c.get(&location).await).await;
    assert!(html.contains("<h1>桥一党员志愿服务队</h1>"), "{html}");
    assert!(html.contains("志愿服务组织"), "the kind in Chinese: {html}");
    assert!(html.contains("桥一居委会（310101020001）"), "{html}");
    assert!(
        html.contains(&format!(r#"href="/orgs/{id}/edit""#)),
        "in scope, so editable: {html}"
    );
}

#[tokio::test]
async fn the_api_registers_an_organisation_and_answers_201_with_it() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::CommitteeStaff, WULIQIAO).await;
    let res = c
        .post_json(
            "/api/v1/orgs",
            &json!({"name": "五里桥街道社工站", "kind": "station", "region": WULIQIAO, "phone": "13812345678"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["name"], "五里桥街道社工站");
    assert_eq!(body["kind"], "station");
    assert_eq!(body["region"], WULIQIAO);
    assert_eq!(body["phone"], "13812345678");
    assert_eq!(body["address"], Value::Null);
    assert_eq!(body["version"], 1);
    let id: OrgId = body["id"].as_str().expect("id").parse().expect("an org id");

    let (status, read) = c.get_json(&format!("/api/v1/orgs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, body);
    let org = stored_org(&app, id).await;
    assert_eq!(org.kind, OrgKind::Station);
    assert_eq!(org.region.0, WULIQIAO);
}

#[tokio::test]
async fn a_bad_organisation_is_refused_field_by_field_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let good = json!({"name": "桥一社工服务社", "kind": "social_org", "region": QIAOYI, "phone": "021-63011234"});
    let with = |key: &str, value: &str| {
        let mut v = good.clone();
        v[key] = json!(value);
        v
    };
    let cases = [
        (with("name", "   "), vec!["name"]),
        (with("name", &"社".repeat(81)), vec!["name"]),
        (with("kind", "bank"), vec!["kind"]),
        (with("phone", "call me"), vec!["phone"]),
        (with("phone", "12"), vec!["phone"]),
        (with("region", "31%"), vec!["region"]),
        // Another street, a sibling community and the district above: outside scope.
        (with("region", DAPUQIAO_COMMUNITY), vec!["region"]),
        (with("region", QIAOER), vec!["region"]),
        (with("region", HUANGPU), vec!["region"]),
        // Inside scope but no such place.
        (with("region", "310101020001G99"), vec!["region"]),
        (
            json!({"name": "", "kind": "bank", "region": QIAOYI, "phone": "call me"}),
            vec!["name", "kind", "phone"],
        ),
    ];
    for (body, fields) in cases {
        let res = c.post_json("/api/v1/orgs", &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let answer: Value = res.json().await.expect("json");
        assert_eq!(answer["error"], "invalid", "{body}");
        assert_eq!(error_fields(&answer), fields, "{body}");
        assert!(
            answer["fields"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }

    // The page shows each message next to its field and keeps what was typed.
    let res = c
        .post_form(
            "/orgs",
            &[
                ("version", "0"),
                ("name", ""),
                ("kind", "bank"),
                ("region", QIAOYI),
                ("phone", "call me"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains(r#"<p class="field-error" id="name-err">必填</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="field-error" id="kind-err">请选择机构类型</p>"#),
        "{html}"
    );
    assert!(html.contains(r#"id="phone-err""#), "{html}");
    assert!(html.contains(r#"value="call me""#), "{html}");
    assert!(!html.contains(r#"id="region-err""#), "{html}");
    let res = c
        .post_form(
            "/orgs",
            &[
                ("version", "0"),
                ("name", "越界机构"),
                ("kind", "provider"),
                ("region", DAPUQIAO_COMMUNITY),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains(r#"<p class="field-error" id="region-err">只能在您负责的地区内登记机构</p>"#),
        "{html}"
    );
    assert!(!html.contains(r#"id="name-err""#), "{html}");

    assert!(stored_orgs(&app).await.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn an_organisation_outside_scope_cannot_be_edited_and_stays_unchanged() {
    let app = TestApp::spawn().await;
    let theirs = seed_org(
        &app,
        "大同社工服务社",
        OrgKind::SocialOrg,
        DAPUQIAO_COMMUNITY,
    )
    .await;
    let sibling = seed_org(&app, "桥二药房", OrgKind::Provider, QIAOER).await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;

    for org in [&theirs, &sibling] {
        let id = org.id;
        // Readable in the directory, but not editable.
        let res = c.get(&format!("/orgs/{id}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(!text(res).await.contains(&format!("/orgs/{id}/edit")));

        let res = c.get(&format!("/orgs/{id}/edit")).await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "edit page of {}",
            org.name
        );
        let res = c
            .post_form(
                &format!("/orgs/{id}"),
                &[
                    ("version", "1"),
                    ("name", "被改名"),
                    ("kind", "provider"),
                    ("region", org.region.as_str()),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "form POST for {}",
            org.name
        );
        let res = c
            .send_json(
                Method::PUT,
                &format!("/api/v1/orgs/{id}"),
                &json!({"name": "被改名", "kind": "provider", "region": org.region.as_str(), "version": 1}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "API PUT for {}",
            org.name
        );
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "not_found");
        // Not even moving it into the actor's own community.
        let res = c
            .send_json(
                Method::PUT,
                &format!("/api/v1/orgs/{id}"),
                &json!({"name": "被改名", "kind": "provider", "region": QIAOYI, "version": 1}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        let now = stored_org(&app, id).await;
        assert_eq!(now.name, org.name);
        assert_eq!(now.kind, org.kind);
        assert_eq!(now.region, org.region);
        assert_eq!(now.version, 1);
    }

    // A hotline operator reads the directory but registers and edits nothing, even at home.
    let mut hotline = app
        .login_as(Role::HotlineOperator, DAPUQIAO_COMMUNITY)
        .await;
    assert_eq!(
        hotline.get("/orgs/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let res = hotline
        .post_json(
            "/api/v1/orgs",
            &json!({"name": "热线登记", "kind": "provider", "region": DAPUQIAO_COMMUNITY}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = hotline
        .send_json(
            Method::PUT,
            &format!("/api/v1/orgs/{}", theirs.id),
            &json!({"name": "被改名", "kind": "social_org", "region": DAPUQIAO_COMMUNITY, "version": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(stored_org(&app, theirs.id).await.name, "大同社工服务社");
    assert_eq!(stored_orgs(&app).await.len(), 2, "nothing registered");

    // An organisation of their own cannot be moved out of scope either.
    let mine = seed_org(&app, "桥一居委会", OrgKind::Committee, QIAOYI).await;
    let res = c
        .send_json(
            Method::PUT,
            &format!("/api/v1/orgs/{}", mine.id),
            &json!({"name": "桥一居委会", "kind": "committee", "region": DAPUQIAO_COMMUNITY, "version": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.expect("json");
    assert_eq!(error_fields(&body), vec!["region"]);
    let now = stored_org(&app, mine.id).await;
    assert_eq!(now.region.0, QIAOYI);
    assert_eq!(now.version, 1);
}

#[tokio::test]
async fn of_two_edits_from_the_same_version_the_first_is_kept_and_the_second_gets_409() {
    let app = TestApp::spawn().await;
    let mut a = app.login_as(Role::SocialWorker, QIAOYI).await;
    let mut b = app.login_as(Role::Supervisor, WULIQIAO).await;
    let res = a
        .post_json(
            "/api/v1/orgs",
            &json!({"name": "桥一居委会", "kind": "committee", "region": QIAOYI}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.expect("json");
    let id: OrgId = created["id"].as_str().expect("id").parse().expect("org id");
    let path = format!("/api/v1/orgs/{id}");

    let res = a
        .send_json(
            Method::PUT,
            &path,
            &json!({"name": "桥一居委会", "kind": "committee", "region": QIAOYI, "phone": "021-63010001", "version": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let first: Value = res.json().await.expect("json");
    assert_eq!(first["version"], 2);
    assert_eq!(first["phone"], "021-63010001");

    let res = b
        .send_json(
            Method::PUT,
            &path,
            &json!({"name": "桥一居民委员会", "kind": "committee", "region": QIAOYI, "phone": "021-63019999", "version": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "conflict");

    // The same through the edit form: a stale hidden version is refused too.
    let res = b
        .post_form(
            &format!("/orgs/{id}"),
            &[
                ("version", "1"),
                ("name", "桥一居民委员会"),
                ("kind", "committee"),
                ("region", QIAOYI),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text(res).await.contains("记录已被他人修改"));

    let (_, read) = b.get_json(&path).await;
    assert_eq!(read["name"], "桥一居委会");
    assert_eq!(read["phone"], "021-63010001");
    assert_eq!(read["version"], 2);
    let org = stored_org(&app, id).await;
    assert_eq!(org.phone.as_deref(), Some("021-63010001"));
    assert_eq!(org.version, 2);

    // A PUT without a version is refused, naming the field.
    let res = b
        .send_json(
            Method::PUT,
            &path,
            &json!({"name": "无版本", "kind": "committee", "region": QIAOYI}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.expect("json");
    assert_eq!(error_fields(&body), vec!["version"]);

    // With the current version the second editor succeeds, through the form.
    let edit = text(b.get(&format!("/orgs/{id}/edit")).await).await;
    assert!(edit.contains(r#"name="version" value="2""#), "{edit}");
    let res = b
        .post_form(
            &format!("/orgs/{id}"),
            &[
                ("version", "2"),
                ("name", "桥一居民委员会"),
                ("kind", "committee"),
                ("region", QIAOYI),
                ("phone", "021-63010001"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("/orgs/{id}").as_str());
    let org = stored_org(&app, id).await;
    assert_eq!(org.name, "桥一居民委员会");
    assert_eq!(org.version, 3);
}

#[tokio::test]
async fn the_directory_filters_by_kind_name_and_region() {
    let app = TestApp::spawn().await;
    seed_org(&app, "徐汇某医院血透中心", OrgKind::Provider, XUHUI).await;
    seed_org(&app, "五里桥社工服务社", OrgKind::SocialOrg, QIAOYI).await;
    seed_org(&app, "桥二药房", OrgKind::Provider, QIAOER).await;
    seed_org(
        &app,
        "大同党员志愿服务队",
        OrgKind::VolunteerTeam,
        DAPUQIAO_COMMUNITY,
    )
    .await;
    seed_org(&app, "100%公益基金会", OrgKind::Charity, HUANGPU).await;
    let mut c = app.login_as(Role::CharityStaff, XUHUI).await;

    let sorted = |v: &Value| {
        let mut n = names(v);
        n.sort();
        n
    };
    let cases: [(&str, &[&str]); 10] = [
        (
            "",
            &[
                "100%公益基金会",
                "五里桥社工服务社",
                "大同党员志愿服务队",
                "徐汇某医院血透中心",
                "桥二药房",
            ],
        ),
        ("kind=provider", &["徐汇某医院血透中心", "桥二药房"]),
        ("q=社工", &["五里桥社工服务社"]),
        ("q=%25", &["100%公益基金会"]),
        ("q=_", &[]),
        ("region=310101020", &["五里桥社工服务社", "桥二药房"]),
        (
            "region=310101",
            &[
                "100%公益基金会",
                "五里桥社工服务社",
                "大同党员志愿服务队",
                "桥二药房",
            ],
        ),
        ("kind=provider&region=310101", &["桥二药房"]),
        ("kind=provider&q=医院", &["徐汇某医院血透中心"]),
        ("kind=charity&region=310104", &[]),
    ];
    for (query, expected) in cases {
        let (status, list) = c.get_json(&format!("/api/v1/orgs?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(sorted(&list), expected.to_vec(), "{query}");
    }

    let html = text(c.get("/orgs?kind=provider").await).await;
    assert!(
        html.contains(">徐汇某医院血透中心</a>") && html.contains(">桥二药房</a>"),
        "{html}"
    );
    assert!(
        !html.contains("五里桥社工服务社") && !html.contains("大同党员志愿服务队"),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="provider" selected>"#),
        "the filter stays chosen: {html}"
    );
    let html = text(c.get("/orgs?q=%E7%A4%BE%E5%B7%A5").await).await; // 社工
    assert!(html.contains(">五里桥社工服务社</a>"), "{html}");
    assert!(!html.contains("桥二药房"), "{html}");
    assert!(html.contains(r#"value="社工""#), "{html}");
    let html = text(c.get("/orgs?region=310101020").await).await;
    assert!(
        html.contains(">五里桥社工服务社</a>") && html.contains(">桥二药房</a>"),
        "{html}"
    );
    assert!(!html.contains("血透") && !html.contains("大同"), "{html}");
    let html = text(c.get("/orgs?kind=government").await).await;
    assert!(html.contains("没有找到机构。"), "{html}");
}
