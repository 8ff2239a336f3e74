//! Tests: places — browsing the division tree, finding a place by name, and adding grids and
//! buildings below a community, on the pages and through the JSON API.

use reqwest::StatusCode;
use serde_json::{Value, json};
use wushe_core::Role;
use wushe_core::regions::RegionCode;

use crate::harness::*;

/// `path?q=<query>`, with the query percent-encoded.
fn with_query(path: &str, q: &str) -> String {
    format!(
        "{path}?{}",
        serde_urlencoded::to_string([("q", q)]).expect("query")
    )
}

/// The `code` of every place in a JSON list.
fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|p| p["code"].as_str().expect("code").to_string())
        .collect()
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

/// Codes of the places stored directly below `code`.
async fn stored_children(app: &TestApp, code: &str) -> Vec<String> {
    let code = RegionCode::parse(code).expect("code");
    app.state
        .store
        .region_children(Some(&code))
        .await
        .expect("children")
        .into_iter()
        .map(|r| r.code.0)
        .collect()
}

/// Is `needles` found in `haystack` in this order?
fn in_order(haystack: &str, needles: &[&str]) -> bool {
    let mut rest = haystack;
    for n in needles {
        match rest.find(n) {
            Some(i) => rest = &rest[i + n.len()..],
            None => return false,
        }
    }
    true
}

#[tokio::test]
async fn the_tree_starts_at_shanghai_and_the_placeholder_city_row_shows_as_shanghai() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::Volunteer, QIAOYI).await;

    let (status, roots) = c.get_json("/api/v1/regions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&roots), vec!["31"]);
    assert_eq!(roots[0]["display_name"], "上海市");
    assert_eq!(roots[0]["level"], "province");

    let (status, cities) = c.get_json("/api/v1/regions/31/children").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&cities), vec!["3101"]);
    assert_eq!(cities[0]["name"], "市辖区", "the official name is kept");
    assert_eq!(cities[0]["display_name"], "上海市");
    assert_eq!(cities[0]["parent"], "31");
    assert_eq!(cities[0]["level"], "city");

    let (status, city) = c.get_json("/api/v1/regions/3101").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(city["display_name"], "上海市");
    let (_, districts) = c.get_json("/api/v1/regions/3101/children").await;
    assert_eq!(codes(&districts), vec![HUANGPU, XUHUI]);
    assert_eq!(districts[0]["display_name"], "黄浦区");

    let res = c.get("/places").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(
        html.contains(r#"<a href="/places/31"><strong>上海市</strong></a>"#),
        "{html}"
    );

    let html = text(c.get("/places/31").await).await;
    assert!(
        html.contains(r#"<a href="/places/3101"><strong>上海市</strong></a>"#),
        "{html}"
    );
    assert!(
        !html.contains("市辖区"),
        "the placeholder name must not be shown: {html}"
    );

    let html = text(c.get("/places/3101").await).await;
    assert!(html.contains("<h1>上海市</h1>"), "{html}");
    assert!(!html.contains("市辖区"), "{html}");
    assert!(html.contains(r#"<a href="/places/310101"><strong>黄浦区</strong></a>"#));
    assert!(html.contains(r#"<a href="/places/310104"><strong>徐汇区</strong></a>"#));
}

#[tokio::test]
async fn a_street_lists_its_communities_under_the_path_above_it() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;

    let (status, list) = c.get_json("/api/v1/regions/310101020/children").await;
    assert_eq!(status, StatusCode::OK);
    let found = codes(&list);
    assert!(found.len() > 2, "{found:?}");
    assert!(
        found.contains(&QIAOYI.to_string()) && found.contains(&QIAOER.to_string()),
        "{found:?}"
    );
    assert!(
        !found.contains(&DAPUQIAO_COMMUNITY.to_string()),
        "a sibling street's community: {found:?}"
    );
    for p in list.as_array().expect("array") {
        assert_eq!(p["parent"], WULIQIAO);
        assert_eq!(p["level"], "community");
    }
    let mut sorted = found.clone();
    sorted.sort();
    assert_eq!(found, sorted, "children come in code order");
    let first = &list[0];
    assert_eq!(first["code"], QIAOYI);
    assert_eq!(first["display_name"], "桥一居委会");

    let html = text(c.get("/places/310101020").await).await;
    assert!(html.contains("<h1>五里桥街道</h1>"), "{html}");
    assert!(
        html.contains(r#"<a href="/places/310101020001"><strong>桥一居委会</strong></a>"#),
        "{html}"
    );
    assert!(!html.contains("/places/310101021001"), "{html}");

    // The breadcrumb runs from the top down to the place itself; 上海市 › 上海市 (the city
    // and its placeholder row) reads as one step.
    let html = text(c.get("/places/310101020001").await).await;
    assert!(
        in_order(
            &html,
            &[
                r#"<a href="/places">全部</a>"#,
                r#"<a href="/places/3101">上海市</a>"#,
                r#"<a href="/places/310101">黄浦区</a>"#,
                r#"<a href="/places/310101020">五里桥街道</a>"#,
                r#"<span aria-current="page">桥一居委会</span>"#,
            ]
        ),
        "breadcrumb: {html}"
    );
    assert!(
        html.contains("下面没有地区"),
        "a community starts empty: {html}"
    );
}

#[tokio::test]
async fn a_place_is_found_by_part_of_its_name_widest_first() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::HotlineOperator, XUHUI).await;

    let (status, found) = c
        .get_json(&with_query("/api/v1/regions/search", "五里桥"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&found), vec![WULIQIAO]);
    assert_eq!(found[0]["display_name"], "五里桥街道");
    assert_eq!(found[0]["level"], "street");

    let (_, found) = c
        .get_json(&with_query("/api/v1/regions/search", "桥"))
        .await;
    let list = codes(&found);
    assert!(list.len() > 3, "{list:?}");
    assert_eq!(
        list[0], WULIQIAO,
        "streets come before communities: {list:?}"
    );
    assert!(
        list.contains(&DAPUQIAO.to_string()) && list.contains(&QIAOYI.to_string()),
        "{list:?}"
    );
    assert!(
        found
            .as_array()
            .expect("array")
            .iter()
            .all(|p| p["display_name"].as_str().is_some_and(|n| n.contains('桥')))
    );
    let lens: Vec<usize> = list.iter().map(String::len).collect();
    let mut sorted = lens.clone();
    sorted.sort();
    assert_eq!(lens, sorted, "widest first");

    let res = c.get(&with_query("/places/search", "五里桥")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(
        html.contains(r#"<a href="/places/310101020"><strong>五里桥街道</strong></a>"#),
        "{html}"
    );
    assert!(
        !html.contains("/places/310101021"),
        "打浦桥 does not match 五里桥: {html}"
    );
    assert!(
        html.contains(r#"value="五里桥""#),
        "the query stays in the box: {html}"
    );
}

#[tokio::test]
async fn percent_and_underscore_in_a_search_are_taken_literally() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    for q in ["%", "_", "%%", "五%桥", "五_桥", "\\", "桥一居委会_"] {
        let (status, found) = c.get_json(&with_query("/api/v1/regions/search", q)).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert_eq!(
            codes(&found),
            Vec::<String>::new(),
            "{q} must not act as a wildcard"
        );
    }
    let res = c.get(&with_query("/places/search", "%")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(html.contains("没有找到。"), "{html}");
    assert!(!html.contains(r#"<li class="card">"#), "{html}");
}

#[tokio::test]
async fn an_empty_search_is_refused_with_a_message_for_the_query_field() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    for q in ["", "   "] {
        let (status, body) = c.get_json(&with_query("/api/v1/regions/search", q)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q:?}");
        assert_eq!(body["error"], "invalid");
        assert_eq!(error_fields(&body), vec!["q"]);
    }
    let res = c.get("/places/search?q=").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains(r#"<p class="field-error" id="q-err">必填</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"aria-invalid="true" aria-describedby="q-err""#),
        "{html}"
    );
}

#[tokio::test]
async fn an_unknown_place_is_not_found() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    // 310101099 does not exist; 3101010200 is a prefix of real codes but not a place; the rest are not codes.
    for code in [
        "310101099",
        "3101010200",
        "310101020001G01",
        "not-a-code",
        "31%25",
    ] {
        let (status, body) = c.get_json(&format!("/api/v1/regions/{code}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{code}");
        assert_eq!(body["error"], "not_found", "{code}");
        let (status, _) = c
            .get_json(&format!("/api/v1/regions/{code}/children"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{code}");
        let res = c.get(&format!("/places/{code}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{code}");
        assert!(text(res).await.contains("返回首页"));
    }
}

#[tokio::test]
async fn a_social_worker_adds_a_grid_to_their_community_and_a_building_to_the_grid() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;

    let res = c
        .post_json(
            "/api/v1/regions/310101020001/children",
            &json!({"level": "grid", "name": " 第一网格 "}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let grid: Value = res.json().await.expect("json");
    assert_eq!(grid["code"], "310101020001G01");
    assert_eq!(grid["name"], "第一网格", "the name is trimmed");
    assert_eq!(grid["display_name"], "第一网格");
    assert_eq!(grid["parent"], QIAOYI);
    assert_eq!(grid["level"], "grid");

    let res = c
        .post_json(
            "/api/v1/regions/310101020001/children",
            &json!({"level": "grid", "name": "第二网格"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let second: Value = res.json().await.expect("json");
    assert_eq!(second["code"], "310101020001G02");

    let res = c
        .post_json(
            "/api/v1/regions/310101020001G01/children",
            &json!({"level": "building", "name": "5号楼"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let building: Value = res.json().await.expect("json");
    assert_eq!(building["code"], "310101020001G01B001");
    assert_eq!(building["parent"], "310101020001G01");
    assert_eq!(building["level"], "building");

    // A building may also stand directly in the community.
    let res = c
        .post_json(
            "/api/v1/regions/310101020001/children",
            &json!({"level": "building", "name": "社区活动中心"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let direct: Value = res.json().await.expect("json");
    assert_eq!(direct["code"], "310101020001B001");

    let (status, read) = c.get_json("/api/v1/regions/310101020001G01B001").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["display_name"], "5号楼");
    let (_, kids) = c.get_json("/api/v1/regions/310101020001/children").await;
    assert_eq!(
        codes(&kids),
        vec!["310101020001B001", "310101020001G01", "310101020001G02"]
    );

    // The page form adds the next grid and goes back to the community.
    let page = text(c.get("/places/310101020001").await).await;
    assert!(
        page.contains(r#"action="/places/310101020001/children""#),
        "the add form is offered: {page}"
    );
    let res = c
        .post_form(
            "/places/310101020001/children",
            &[("level", "grid"), ("name", "第三网格")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/places/310101020001");
    let page = text(c.get("/places/310101020001").await).await;
    assert!(
        page.contains(r#"<a href="/places/310101020001G03"><strong>第三网格</strong></a>"#),
        "{page}"
    );

    let page = text(c.get("/places/310101020001G01B001").await).await;
    assert!(
        in_order(
            &page,
            &[
                r#"<a href="/places/310101020001">桥一居委会</a>"#,
                r#"<a href="/places/310101020001G01">第一网格</a>"#,
                r#"<span aria-current="page">5号楼</span>"#,
            ]
        ),
        "{page}"
    );

    assert_eq!(
        stored_children(&app, QIAOYI).await,
        vec![
            "310101020001B001",
            "310101020001G01",
            "310101020001G02",
            "310101020001G03"
        ]
    );
    assert_eq!(
        stored_children(&app, "310101020001G01").await,
        vec!["310101020001G01B001"]
    );
}

#[tokio::test]
async fn bad_place_input_is_refused_field_by_field_and_nothing_is_added() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, WULIQIAO).await;
    let communities_before = stored_children(&app, WULIQIAO).await;

    let cases = [
        (
            QIAOYI,
            json!({"level": "grid", "name": "   "}),
            vec!["name"],
        ),
        (
            QIAOYI,
            json!({"level": "grid", "name": "格".repeat(61)}),
            vec!["name"],
        ),
        (
            QIAOYI,
            json!({"level": "street", "name": "新街道"}),
            vec!["level"],
        ),
        (
            QIAOYI,
            json!({"level": "community", "name": "新社区"}),
            vec!["level"],
        ),
        (
            QIAOYI,
            json!({"level": "", "name": ""}),
            vec!["name", "level"],
        ),
        (
            WULIQIAO,
            json!({"level": "grid", "name": "街道网格"}),
            vec!["parent"],
        ),
        (
            WULIQIAO,
            json!({"level": "building", "name": "街道楼栋"}),
            vec!["parent"],
        ),
    ];
    for (parent, body, fields) in cases {
        let res = c
            .post_json(&format!("/api/v1/regions/{parent}/children"), &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let answer: Value = res.json().await.expect("json");
        assert_eq!(answer["error"], "invalid");
        assert_eq!(error_fields(&answer), fields, "{body}");
    }

    // A building cannot hold anything.
    let res = c
        .post_json(
            "/api/v1/regions/310101020001/children",
            &json!({"level": "building", "name": "1号楼"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = c
        .post_json(
            "/api/v1/regions/310101020001B001/children",
            &json!({"level": "building", "name": "楼中楼"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = res.json().await.expect("json");
    assert_eq!(error_fields(&answer), vec!["parent"]);

    // The page form shows each message next to its field and keeps what was typed.
    let res = c
        .post_form(
            "/places/310101020001/children",
            &[("level", "grid"), ("name", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains(r#"<p class="field-error" id="name-err">必填</p>"#),
        "{html}"
    );
    assert!(!html.contains(r#"id="level-err""#), "{html}");
    let res = c
        .post_form(
            "/places/310101020001/children",
            &[("level", "street"), ("name", "新街道")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains(r#"<p class="field-error" id="level-err">只能添加网格或楼栋</p>"#),
        "{html}"
    );
    assert!(html.contains(r#"value="新街道""#), "{html}");
    let res = c
        .post_form(
            "/places/310101020/children",
            &[("level", "grid"), ("name", "街道网格")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // On a grid's page the form offers "grid" too; choosing it explains where grids go.
    let res = c
        .post_json(
            "/api/v1/regions/310101020001/children",
            &json!({"level": "grid", "name": "第一网格"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = c
        .post_form(
            "/places/310101020001G01/children",
            &[("level", "grid"), ("name", "网格中的网格")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(html.contains("网格只能建在社区下"), "{html}");

    assert_eq!(
        stored_children(&app, QIAOYI).await,
        vec!["310101020001B001", "310101020001G01"],
        "only the good ones"
    );
    assert!(stored_children(&app, "310101020001B001").await.is_empty());
    assert!(stored_children(&app, "310101020001G01").await.is_empty());
    assert_eq!(stored_children(&app, WULIQIAO).await, communities_before);
}

#[tokio::test]
async fn a_social_worker_cannot_add_a_grid_outside_their_community_and_is_told_not_found() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;

    // The tree itself is public: the other community can be browsed, but offers no add form.
    let res = c.get("/places/310101021001").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(html.contains("<h1>大同居委会</h1>"), "{html}");
    assert!(
        !html.contains("/children\""),
        "no add form outside scope: {html}"
    );

    for other in [DAPUQIAO_COMMUNITY, QIAOER] {
        let res = c
            .post_json(
                &format!("/api/v1/regions/{other}/children"),
                &json!({"level": "grid", "name": "越界网格"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{other}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "not_found");
        let res = c
            .post_form(
                &format!("/places/{other}/children"),
                &[("level", "grid"), ("name", "越界网格")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{other}");
        assert!(stored_children(&app, other).await.is_empty(), "{other}");
    }
    let (_, found) = c
        .get_json(&with_query("/api/v1/regions/search", "越界网格"))
        .await;
    assert_eq!(codes(&found), Vec::<String>::new());
}

#[tokio::test]
async fn a_volunteer_can_browse_places_but_is_forbidden_to_add_one() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::Volunteer, QIAOYI).await;

    let (status, place) = c.get_json("/api/v1/regions/310101020001").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(place["display_name"], "桥一居委会");
    let html = text(c.get("/places/310101020001").await).await;
    assert!(html.contains("<h1>桥一居委会</h1>"), "{html}");
    assert!(
        !html.contains(r#"action="/places/310101020001/children""#),
        "no add form for volunteers: {html}"
    );

    // Inside their own community the place is known to them, so the answer is 403, not 404.
    let res = c
        .post_json(
            "/api/v1/regions/310101020001/children",
            &json!({"level": "grid", "name": "志愿者网格"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "forbidden");
    let res = c
        .post_form(
            "/places/310101020001/children",
            &[("level", "grid"), ("name", "志愿者网格")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Outside their community it is not found, as for everyone else.
    let res = c
        .post_json(
            "/api/v1/regions/310101021001/children",
            &json!({"level": "grid", "name": "志愿者网格"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    assert!(stored_children(&app, QIAOYI).await.is_empty());
    assert!(stored_children(&app, DAPUQIAO_COMMUNITY).await.is_empty());
}
