//! The vulnerable-people registry and welfare checks through real HTTP: registering with
//! field errors and duplicate warnings, masking and the audited reveal, who sees what, the
//! today list and its order, check findings (medication, door visit once), the export,
//! anonymisation with no personal value left in the database file, and the retention job.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wushe_app::jobs;
use wushe_core::people::id_number::check_char;
use wushe_core::{Clock, Role};

use crate::harness::*;

/// A valid ID number (GB 11643 check character) born on the given date.
pub fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("310101{birth}{:03}", seq % 1000);
    let c = check_char(first17.as_bytes()).expect("17 digits") as char;
    format!("{first17}{c}")
}

pub fn person_json(name: &str, phone: &str, id: &str, level: &str, region: &str) -> Value {
    json!({
        "name": name,
        "id_number": id,
        "phone": phone,
        "address": "丽园路 100 弄 3 号 201 室",
        "region": region,
        "categories": ["aged_80_plus", "living_alone"],
        "care_level": level,
        "basis": "consent",
        "basis_date": "2026-04-03",
        "notice_version": "v1",
        "sensitive_consent": true,
        "contact_name": "王小明",
        "contact_phone": "021-63011234",
        "contact_relation": "儿子",
        "health_notes": "高血压 CANARY-HEALTH",
    })
}

/// Register a person through the API; returns the id.
pub async fn register(c: &mut TestClient, body: &Value) -> String {
    let res = c.post_json("/api/v1/people", body).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_str().expect("id").to_string()
}

async fn actions(app: &TestApp, action: &str) -> Vec<String> {
    app.state
        .store
        .audit_page(0, 100_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| e.record_ids)
        .collect()
}

async fn check(c: &mut TestClient, id: &str, body: Value) -> (StatusCode, Value) {
    let res = c
        .post_json(&format!("/api/v1/people/{id}/checks"), &body)
        .await;
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_worker_registers_a_person_through_the_form_and_sees_them_masked() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let id = id_number("19400101", 123);
    let res = c
        .post_form(
            "/people",
            &[
                ("name", "王阿婆"),
                ("id_number", &id),
                ("phone", "13812345678"),
                ("address", "丽园路 100 弄 3 号 201 室"),
                ("region", QIAOYI),
                ("categories", "aged_80_plus"),
                ("categories", "living_alone"),
                ("care_level", "A"),
                ("basis", "consent"),
                ("basis_date", "2026-04-03"),
                ("notice_version", "v1"),
                ("sensitive_consent", "on"),
                ("health_notes", "每日服降压药"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().expect("loc").to_string();
    assert!(location.starts_with("/people/"));
    let page = text(c.get(&location).await).await;
    assert!(page.contains("王**"), "masked name");
    assert!(page.contains("138****5678"), "masked phone");
    assert!(page.contains("310***********"), "masked ID");
    assert!(page.contains("高龄") && page.contains("独居"), "categories");
    for full in [
        "王阿婆",
        "13812345678",
        id.as_str(),
        "每日服降压药",
        "丽园路 100 弄",
    ] {
        assert!(!page.contains(full), "{full} shown unmasked");
    }
    let list = text(c.get("/people").await).await;
    assert!(list.contains("王**") && !list.contains("13812345678"));
    assert_eq!(actions(&app, "person_created").await.len(), 1);
}

#[tokio::test]
async fn bad_input_names_every_field_keeps_what_was_typed_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::CommitteeStaff, QIAOYI).await;
    let res = c
        .post_form(
            "/people",
            &[
                ("name", "李老伯"),
                ("id_number", "110105194912310021"),
                ("phone", "12345"),
                ("address", ""),
                ("region", QIAOYI),
                ("care_level", "Z"),
                ("basis", "consent"),
                ("basis_date", "2099-01-01"),
                ("notice_version", "v1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(res).await;
    for msg in [
        "校验码",
        "请输入11位手机号",
        "必填",
        "请至少选择一个类别",
        "请选择关爱等级",
        "不能晚于今天",
        "单独同意",
    ] {
        assert!(page.contains(msg), "missing message {msg}");
    }
    assert!(page.contains("value=\"李老伯\""), "typed name kept");
    let (s, v) = c
        .send_json(Method::POST, "/api/v1/people", &json!({"name": ""}))
        .await
        .json::<Value>()
        .await
        .map(|v| (StatusCode::UNPROCESSABLE_ENTITY, v))
        .expect("json");
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v.to_string().contains("name"), "{v}");
    let (_, list) = c.get_json("/api/v1/people").await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing stored");
    // A child under 14 registered on consent needs the guardian's consent and a guardian.
    let mut child = person_json("小明", "", "", "A", QIAOYI);
    child["birth_date"] = json!("2018-05-01");
    child["contact_name"] = json!("");
    child["contact_phone"] = json!("");
    let res = c.post_json("/api/v1/people", &child).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = text(res).await;
    assert!(
        body.contains("guardian_consent") && body.contains("contact_name"),
        "{body}"
    );
}

#[tokio::test]
async fn the_same_id_number_or_phone_warns_and_is_saved_only_when_confirmed() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, WULIQIAO).await;
    let id = id_number("19380505", 7);
    let first = register(
        &mut c,
        &person_json("赵奶奶", "13900001111", &id, "B", QIAOYI),
    )
    .await;
    // Same ID number, other spelling of the phone: a 409 naming the match, nothing saved.
    let res = c
        .post_json(
            "/api/v1/people",
            &person_json("赵奶奶", "139-0000-2222", &id, "B", QIAOER),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["duplicates"][0]["id"], json!(first));
    assert_eq!(v["duplicates"][0]["matched"], json!(["id_number"]));
    assert_eq!(v["duplicates"][0]["name"], json!("赵**"));
    // Same phone via the form: the warning, the typed values, a box to save anyway.
    let fields = [
        ("name", "钱爷爷"),
        ("phone", "+86 139 0000 1111"),
        ("address", "瞿溪路 8 号"),
        ("region", QIAOER),
        ("categories", "disability"),
        ("care_level", "C"),
        ("basis", "statutory_duty"),
        ("basis_date", "2026-04-03"),
        ("notice_version", "v1"),
    ];
    let res = c.post_form("/people", &fields).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = text(res).await;
    assert!(page.contains("已有相同身份证号或电话") && page.contains("allow_duplicate"));
    assert!(page.contains(&format!("/people/{first}")));
    let (_, list) = c.get_json("/api/v1/people").await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "no silent merge, no save"
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("allow_duplicate", "on"));
    let res = c.post_form("/people", &confirmed).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = c.get_json("/api/v1/people").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    // Exact search by phone finds both; by ID number the first; a partial number is refused.
    let (_, found) = c.get_json("/api/v1/people?find=13900001111").await;
    assert_eq!(found.as_array().map(Vec::len), Some(2));
    let (_, found) = c.get_json(&format!("/api/v1/people?find={id}")).await;
    assert_eq!(found[0]["id"], json!(first));
    let (_, found) = c.get_json("/api/v1/people?find=1390000").await;
    assert_eq!(found, json!([]), "exact search only");
    let (s, _) = c.get_json("/api/v1/people?find=abc").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(
        c.post_form("/people/find", &[("find", "13900001111")])
            .await,
    )
    .await;
    assert!(page.contains("赵**") && page.contains("钱**"));
    let res = c.post_form("/people/find", &[("find", "王")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("请输入完整的身份证号或电话号码"));
}

#[tokio::test]
async fn edits_need_the_current_version_and_stay_inside_the_scope() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::Supervisor, QIAOYI).await;
    let id = register(
        &mut c,
        &person_json("孙阿姨", "13700001111", "", "C", QIAOYI),
    )
    .await;
    let (_, p) = c.get_json(&format!("/api/v1/people/{id}")).await;
    let version = p["version"].as_i64().expect("version");
    let mut body = person_json("孙阿姨", "13700001111", "", "A", QIAOYI);
    body["version"] = json!(version);
    let res = c
        .send_json(Method::PUT, &format!("/api/v1/people/{id}"), &body)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["care_level"], json!("A"));
    let res = c
        .send_json(Method::PUT, &format!("/api/v1/people/{id}"), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "stale version");
    // Moving the person to a community outside the scope is refused on the field.
    body["version"] = json!(version + 1);
    body["region"] = json!(QIAOER);
    let res = c
        .send_json(Method::PUT, &format!("/api/v1/people/{id}"), &body)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("region"));
    let res = c
        .post_json(
            "/api/v1/people",
            &person_json("周", "13700002222", "", "C", QIAOER),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "outside scope"
    );
    // The edit page shows the full values (audited) and saves through the form.
    let page = text(c.get(&format!("/people/{id}/edit")).await).await;
    assert!(page.contains("value=\"孙阿姨\""));
    assert!(
        !actions(&app, "sensitive_revealed").await.is_empty(),
        "edit page audited"
    );
    // A worker of the sibling community does not know the person exists.
    let mut other = app.login_as(Role::SocialWorker, QIAOER).await;
    for path in [
        format!("/people/{id}"),
        format!("/people/{id}/edit"),
        format!("/people/{id}/check"),
        format!("/people/{id}/export"),
        format!("/api/v1/people/{id}"),
    ] {
        assert_eq!(
            other.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let res = other
        .send_json(Method::PUT, &format!("/api/v1/people/{id}"), &body)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_full_value_needs_a_reason_and_every_reveal_is_audited() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let id = register(
        &mut c,
        &person_json("吴老师", "13600001111", "", "B", QIAOYI),
    )
    .await;
    let res = c
        .post_form(
            &format!("/people/{id}/reveal"),
            &[("field", "phone"), ("reason", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text(res).await.contains("13600001111"));
    assert!(actions(&app, "sensitive_revealed").await.is_empty());
    let res = c
        .post_form(
            &format!("/people/{id}/reveal"),
            &[("field", "health_notes"), ("reason", "电话回访前核对病情")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(text(res).await.contains("CANARY-HEALTH"));
    let revealed = actions(&app, "sensitive_revealed").await;
    assert_eq!(revealed.len(), 1);
    assert!(revealed[0].contains("people.health_notes") && revealed[0].contains(&id));
    let res = c
        .post_form(
            &format!("/people/{id}/reveal"),
            &[("field", "password"), ("reason", "想看看密码")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "not a revealable field"
    );
}

#[tokio::test]
async fn volunteers_charity_and_hotline_staff_see_no_registry_person_and_civil_affairs_sees_counts()
{
    let app = TestApp::spawn().await;
    let mut worker = app.login_as(Role::SocialWorker, QIAOYI).await;
    let id = register(
        &mut worker,
        &person_json("CANARY-NAME", "13500001111", "", "A", QIAOYI),
    )
    .await;
    for role in [
        Role::Volunteer,
        Role::CharityStaff,
        Role::HotlineOperator,
        Role::Counselor,
        Role::CivilAffairs,
    ] {
        let mut c = app.login_as(role, QIAOYI).await;
        for path in [
            "/people",
            "/api/v1/people",
            "/checks/today",
            "/api/v1/checks/due",
            "/people/new",
        ] {
            let res = c.get(path).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?} {path}");
            let body = text(res).await;
            assert!(
                !body.contains("CANARY") && !body.contains("5000"),
                "{role:?} {path}"
            );
        }
        for path in [format!("/people/{id}"), format!("/api/v1/people/{id}")] {
            assert_eq!(
                c.get(&path).await.status(),
                StatusCode::NOT_FOUND,
                "{role:?}"
            );
        }
        let (s, _) = check(&mut c, &id, json!({"method": "phone", "reached": false})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{role:?} records no check");
        let counts = c.get("/api/v1/checks/counts?by=street").await.status();
        let expected = if role == Role::CivilAffairs {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(counts, expected, "{role:?} counts");
    }
    let mut ca = app.login_as(Role::CivilAffairs, HUANGPU).await;
    let (_, v) = ca.get_json("/api/v1/checks/counts?by=street").await;
    assert_eq!(v[0]["key"], json!(WULIQIAO));
    assert_eq!(
        (v[0]["active"].as_i64(), v[0]["due"].as_i64()),
        (Some(1), Some(1))
    );
    let page = text(ca.get("/checks/schedule?by=community").await).await;
    assert!(page.contains("桥一") && !page.contains("CANARY"));
}

#[tokio::test]
async fn the_today_list_follows_the_cadence_most_overdue_first_then_most_vulnerable() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, WULIQIAO).await;
    let a = register(&mut c, &person_json("甲", "13100000001", "", "A", QIAOYI)).await;
    let b = register(&mut c, &person_json("乙", "13100000002", "", "B", QIAOYI)).await;
    let cc = register(&mut c, &person_json("丙", "13100000003", "", "C", QIAOER)).await;
    let order = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap_or_else(|| panic!("list: {v}"))
            .iter()
            .map(|p| p["id"].as_str().expect("id").to_string())
            .collect()
    };
    let (_, due) = c.get_json("/api/v1/checks/due").await;
    assert_eq!(
        order(&due),
        vec![a.clone(), b.clone(), cc.clone()],
        "all new: A, B, C"
    );
    let reached =
        json!({"method": "phone", "reached": true, "physical": "stable", "mental": "calm"});
    for id in [&a, &b, &cc] {
        let (s, v) = check(&mut c, id, reached.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (_, due) = c.get_json("/api/v1/checks/due").await;
    assert_eq!(order(&due), Vec::<String>::new(), "all checked");
    app.clock.advance(time::Duration::days(1));
    c = app.login_as(Role::SocialWorker, WULIQIAO).await;
    let (_, due) = c.get_json("/api/v1/checks/due").await;
    assert_eq!(order(&due), vec![a.clone()], "a day later: only A");
    app.clock.advance(time::Duration::days(2));
    c = app.login_as(Role::SocialWorker, WULIQIAO).await;
    let (_, due) = c.get_json("/api/v1/checks/due").await;
    assert_eq!(
        order(&due),
        vec![a.clone(), b.clone()],
        "A overdue 2 days, B due today"
    );
    app.clock.advance(time::Duration::days(5));
    c = app.login_as(Role::SocialWorker, WULIQIAO).await;
    let (_, due) = c.get_json("/api/v1/checks/due").await;
    assert_eq!(order(&due), vec![a.clone(), b.clone(), cc.clone()]);
    // The phone page: tap-to-call links with the full number, masked text, one audit entry.
    let before = actions(&app, "check_phones_shown").await.len();
    let page = text(c.get("/checks/today").await).await;
    assert!(page.contains("href=\"tel:13100000001\""));
    assert!(page.contains("131****0001"));
    assert!(page.contains("超期"));
    assert_eq!(actions(&app, "check_phones_shown").await.len(), before + 1);
    let (_, mine) = c.get_json("/api/v1/checks/due?mine=true").await;
    assert_eq!(order(&mine), Vec::<String>::new(), "nobody assigned to me");
    // Counts per community: both communities, with overdue people.
    let (_, counts) = c.get_json("/api/v1/checks/counts?by=community").await;
    let qiaoyi = counts
        .as_array()
        .expect("counts")
        .iter()
        .find(|x| x["key"] == json!(QIAOYI))
        .expect("qiaoyi");
    assert_eq!(qiaoyi["active"], json!(2));
    assert_eq!(qiaoyi["overdue"], json!(2));
}

#[tokio::test]
async fn findings_raise_the_right_needs_and_two_misses_raise_one_door_visit_not_two() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let id = register(&mut c, &person_json("郑", "13200000001", "", "B", QIAOYI)).await;
    let (s, v) = check(
        &mut c,
        &id,
        json!({"method": "video", "reached": true, "physical": "stable", "mental": "low",
               "medication_days_left": 1, "food_days_left": 5, "notes": "CANARY-NOTES"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["person"], json!(id));
    assert_eq!(v["region"], json!(QIAOYI));
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["findings"][0]["category"], json!("medication"));
    let missed = json!({"method": "phone", "reached": false});
    let (_, first) = check(&mut c, &id, missed.clone()).await;
    assert_eq!(first["door_visit"], json!("not_due"));
    let (_, second) = check(&mut c, &id, missed.clone()).await;
    assert_eq!(second["door_visit"], json!("raise"));
    assert_eq!(second["findings"][0]["category"], json!("door_visit"));
    let (_, third) = check(&mut c, &id, missed.clone()).await;
    assert_eq!(third["door_visit"], json!("already_raised"));
    assert_eq!(third["findings"], json!([]), "no second door visit");
    assert_eq!(actions(&app, "check_recorded").await.len(), 4);
    // The person page lists the checks without the notes.
    let page = text(c.get(&format!("/people/{id}")).await).await;
    assert!(page.contains("未联系上") && page.contains("已提出上门探视"));
    assert!(!page.contains("CANARY-NOTES"));
    // The notes of a check shown on the page can be revealed, with a reason, audited.
    let option = page
        .split("value=\"check:")
        .nth(1)
        .expect("a check with notes");
    let check_id = &option[..36];
    let field = format!("check:{check_id}");
    let res = c
        .post_form(
            &format!("/people/{id}/reveal"),
            &[("field", &field), ("reason", "回访前查看上次备注")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(text(res).await.contains("CANARY-NOTES"));
    let revealed = actions(&app, "sensitive_revealed").await;
    assert!(
        revealed
            .iter()
            .any(|e| e.contains("checks.details") && e.contains(check_id))
    );
    let res = c
        .post_form(
            &format!("/people/{id}/reveal"),
            &[
                ("field", "check:00000000-0000-7000-8000-000000000000"),
                ("reason", "试试"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "not one of this person's checks"
    );
    // Bad check input: each field named, nothing stored.
    let (s, v) = check(
        &mut c,
        &id,
        json!({"method": "fax", "reached": true, "physical": "great", "phq2": [4, 1]}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["method", "physical", "mental", "phq2"] {
        assert!(v.to_string().contains(f), "{f}: {v}");
    }
    let res = c
        .post_form(
            &format!("/people/{id}/check"),
            &[
                ("method", "phone"),
                ("reached", "yes"),
                ("food_days_left", "many"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(res).await;
    assert!(page.contains("请填写 0 到 365 之间的天数") && page.contains("value=\"many\""));
    assert_eq!(actions(&app, "check_recorded").await.len(), 4);
    let res = c
        .post_form(
            &format!("/people/{id}/check"),
            &[
                ("method", "visit"),
                ("reached", "yes"),
                ("physical", "unwell"),
                ("mental", "anxious"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A closed record takes no more checks.
    let (_, p) = c.get_json(&format!("/api/v1/people/{id}")).await;
    let v = p["version"].as_i64().expect("version").to_string();
    let res = c
        .post_form(&format!("/people/{id}/close"), &[("version", &v)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, _) = check(&mut c, &id, missed.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Reopened, the record takes checks again; reopening an open record is refused.
    let (_, p) = c.get_json(&format!("/api/v1/people/{id}")).await;
    let v = p["version"].as_i64().expect("version").to_string();
    let res = c
        .post_form(&format!("/people/{id}/reopen"), &[("version", &v)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(actions(&app, "person_reopened").await.len(), 1);
    let (s, _) = check(&mut c, &id, missed).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, p) = c.get_json(&format!("/api/v1/people/{id}")).await;
    let v = p["version"].as_i64().expect("version").to_string();
    let res = c
        .post_form(&format!("/people/{id}/reopen"), &[("version", &v)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_full_record_downloads_as_an_audited_file_for_staff_who_may_see_it() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::CommitteeStaff, QIAOYI).await;
    let idn = id_number("19450315", 42);
    let id = register(
        &mut c,
        &person_json("冯爷爷", "13300000001", &idn, "A", QIAOYI),
    )
    .await;
    check(
        &mut c,
        &id,
        json!({"method": "visit", "reached": true, "physical": "stable", "mental": "calm", "notes": "一切安好"}),
    )
    .await;
    let res = c.get(&format!("/people/{id}/export")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .expect("header")
            .contains("attachment")
    );
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["details"]["name"], json!("冯爷爷"));
    assert_eq!(v["details"]["id_number"], json!(idn));
    assert_eq!(v["checks"][0]["details"]["notes"], json!("一切安好"));
    assert_eq!(actions(&app, "person_exported").await.len(), 1);
}

#[tokio::test]
async fn anonymising_leaves_no_personal_value_in_the_database_file_or_wal() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let name = "CANARY姓名-匿名";
    let phone = "13777700001";
    let idn = id_number("19300101", 901);
    let id = register(&mut c, &person_json(name, phone, &idn, "A", QIAOYI)).await;
    check(
        &mut c,
        &id,
        json!({"method": "phone", "reached": true, "physical": "stable", "mental": "calm", "notes": "CANARY-CHECK-NOTE"}),
    )
    .await;
    let stored = app
        .state
        .store
        .person(id.parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let phone_index = stored.sealed.phone_index.clone().expect("phone index");
    let sealed_name = stored.sealed.name.clone().expect("sealed name");
    let res = c.post_form(&format!("/people/{id}/anonymise"), &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "needs the confirmation"
    );
    let res = c
        .post_form(&format!("/people/{id}/anonymise"), &[("confirm", "on")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, v) = c.get_json(&format!("/api/v1/people/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], json!("anonymised"));
    let (_, found) = c.get_json(&format!("/api/v1/people?find={phone}")).await;
    assert_eq!(found, json!([]));
    assert_eq!(actions(&app, "person_anonymised").await.len(), 1);
    if postgres_url().is_none() {
        let db = std::fs::read(app.data_dir.join("wushe.db")).unwrap_or_default();
        let wal = std::fs::read(app.data_dir.join("wushe.db-wal")).unwrap_or_default();
        assert!(!db.is_empty(), "the database was read");
        let needles: [&[u8]; 7] = [
            name.as_bytes(),
            phone.as_bytes(),
            idn.as_bytes(),
            "CANARY-HEALTH".as_bytes(),
            "CANARY-CHECK-NOTE".as_bytes(),
            phone_index.as_bytes(),
            &sealed_name,
        ];
        for needle in needles {
            for (what, bytes) in [("database", &db), ("WAL", &wal)] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{} is still in the {what}",
                    String::from_utf8_lossy(needle)
                );
            }
        }
    }
}

#[tokio::test]
async fn the_retention_job_purges_records_closed_long_ago_and_keeps_the_audit_log() {
    let app = TestApp::spawn_with(|c| c.people_retention_days = 30).await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let old = register(&mut c, &person_json("褚", "13400000001", "", "C", QIAOYI)).await;
    let kept = register(&mut c, &person_json("卫", "13400000002", "", "C", QIAOYI)).await;
    let (_, p) = c.get_json(&format!("/api/v1/people/{old}")).await;
    let v = p["version"].as_i64().expect("version").to_string();
    assert_eq!(
        c.post_form(&format!("/people/{old}/close"), &[("version", &v)])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.clock.advance(time::Duration::days(31));
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    jobs::enqueue_periodic(&app.state).await.expect("enqueue");
    jobs::drain(&app.state).await.expect("drain");
    assert_eq!(
        c.get(&format!("/api/v1/people/{old}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(&format!("/api/v1/people/{kept}")).await.status(),
        StatusCode::OK
    );
    let purged = actions(&app, "people_purged").await;
    assert_eq!(purged.len(), 1);
    assert!(purged[0].contains("count:1"));
    assert_eq!(actions(&app, "person_created").await.len(), 2, "audit kept");
    let _ = app.clock.now();
}

#[tokio::test]
async fn a_phone_matches_one_active_registry_person_in_the_district_for_linking_needs() {
    use wushe_core::people::service::match_phone;
    use wushe_core::regions::RegionCode;
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, HUANGPU).await;
    let id = register(&mut c, &person_json("韩", "13500002222", "", "A", QIAOER)).await;
    let (store, cipher) = (app.state.store.as_ref(), app.state.cipher.as_ref());
    let here = RegionCode(QIAOYI.into());
    let m = match_phone(store, cipher, &here, "+86 135 0000 2222")
        .await
        .expect("match");
    assert_eq!(
        m.map(|(p, _)| p.to_string()),
        Some(id.clone()),
        "same district"
    );
    let abroad = RegionCode("310104003001".into());
    assert_eq!(
        match_phone(store, cipher, &abroad, "13500002222")
            .await
            .expect("m"),
        None
    );
    assert_eq!(
        match_phone(store, cipher, &here, "13500003333")
            .await
            .expect("m"),
        None
    );
    register(&mut c, &{
        let mut b = person_json("韩二", "13500002222", "", "B", QIAOYI);
        b["allow_duplicate"] = json!(true);
        b
    })
    .await;
    assert_eq!(
        match_phone(store, cipher, &here, "13500002222")
            .await
            .expect("m"),
        None,
        "two people share the phone: no guess"
    );
}
