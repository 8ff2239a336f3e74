//! The green channel's public intake and tracking page, through real HTTP: triage and the
//! safety advice, field errors, idempotency under concurrent replays, the honeypot, the
//! tracking secret, and no personal value in the database file.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use time::OffsetDateTime;
use wushe_core::needs::intake::{IntakeForm, NOTICE_VERSION};
use wushe_core::needs::record::IdempotencyClaim;

use crate::harness::{QIAOYI, TestApp, between, postgres_url, text};

fn body(category: &str, description: &str, mobile: &str) -> Value {
    json!({
        "category": category,
        "description": description,
        "who_for": "family",
        "age": 78,
        "community": QIAOYI,
        "building": "12号",
        "room": "402室",
        "contact_name": "王小明",
        "mobile": mobile,
        "privacy_consent": true,
        "health_consent": true,
    })
}

/// POST /api/v1/needs like a phone app: no cookies, an Idempotency-Key header.
async fn post(app: &TestApp, key: Option<&str>, body: &Value) -> (StatusCode, Value) {
    let mut req = crate::harness::http_client()
        .post(format!("{}/api/v1/needs", app.url))
        .header("accept-language", "zh-CN")
        .json(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.expect("send");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// How many needs exist: each is created with exactly one `need_created` audit entry in the
/// same transaction.
async fn needs_count(app: &TestApp) -> usize {
    let page = app.state.store.audit_page(0, 100_000).await.expect("audit");
    page.iter().filter(|e| e.action == "need_created").count()
}

#[tokio::test]
async fn chest_pain_and_breathlessness_come_out_p1_and_the_answer_says_call_120() {
    let app = TestApp::spawn().await;
    let (status, v) = post(
        &app,
        Some("key-chest-pain-1"),
        &body(
            "emergency_medical",
            "我母亲在家胸痛，呼吸困难",
            "13812345678",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["priority"], "P1");
    assert_eq!(v["call_120"], true);
    assert!(v["urgent"].to_string().contains("请立即拨打120"), "{v}");
    assert!(v["reasons"].to_string().contains("胸痛"), "{v}");
    assert!(v["notice"].as_str().unwrap_or("").contains("不能代替"));
    let link = v["tracking_link"].as_str().expect("link");
    assert!(link.starts_with("/t/") && link.contains("?k="), "{link}");
    assert_eq!(needs_count(&app).await, 1);
}

#[tokio::test]
async fn a_negated_chest_pain_with_too_few_vegetables_is_p3_and_says_nothing_of_120() {
    let app = TestApp::spawn().await;
    let (status, v) = post(
        &app,
        Some("key-vegetables-1"),
        &body("supplies", "家里没有胸痛，就是菜不够了", "13912345678"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["priority"], "P3");
    assert_eq!(v["call_120"], false);
    assert!(!v["urgent"].to_string().contains("120"), "{v}");
}

#[tokio::test]
async fn bad_input_names_every_bad_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let mut b = body("flying_saucer", "", "12345");
    b["community"] = json!("310101020");
    b["privacy_consent"] = json!(false);
    b["age"] = json!(300);
    let (status, v) = post(&app, Some("key-bad-input-1"), &b).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = v["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for want in [
        "category",
        "description",
        "mobile",
        "community",
        "privacy_consent",
        "age",
    ] {
        assert!(fields.contains(&want), "{want} missing from {fields:?}");
    }
    assert!(
        v.to_string().contains("请输入11位手机号，例如 13812345678"),
        "{v}"
    );
    // A well-formed code that is not a community is refused too.
    let mut b = body("supplies", "菜不够了", "13812345678");
    b["community"] = json!("310101020999");
    let (status, v) = post(&app, Some("key-bad-input-2"), &b).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("community"), "{v}");
    assert_eq!(needs_count(&app).await, 0);
}

#[tokio::test]
async fn a_missing_or_malformed_idempotency_key_is_a_400() {
    let app = TestApp::spawn().await;
    let b = body("supplies", "菜不够了", "13812345678");
    for key in [
        None,
        Some("short"),
        Some("has spaces in it"),
        Some(&*"x".repeat(101)),
    ] {
        let (status, _) = post(&app, key, &b).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key:?}");
    }
    assert_eq!(needs_count(&app).await, 0);
}

#[tokio::test]
async fn a_thousand_replays_of_one_key_fifty_at_a_time_make_exactly_one_need() {
    let app = Arc::new(TestApp::spawn().await);
    let b = Arc::new(body("medication", "降压药只剩一天", "13712345678"));
    let gate = Arc::new(Semaphore::new(50));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let (app, b, gate) = (app.clone(), b.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("permit");
            post(&app, Some("replayed-key-0001"), &b).await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "exactly one 201");
    let first = &answers
        .iter()
        .find(|(s, _)| *s == StatusCode::CREATED)
        .expect("201")
        .1;
    for (status, v) in &answers {
        assert!(
            matches!(*status, StatusCode::OK | StatusCode::CREATED),
            "{status} {v}"
        );
        assert_eq!(v, first, "every replay gets the same answer");
    }
    assert_eq!(needs_count(&app).await, 1);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_refused_and_reveals_nothing() {
    let app = TestApp::spawn().await;
    let (status, first) = post(
        &app,
        Some("shared-key-0001"),
        &body("supplies", "菜不够了", "13812345678"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, v) = post(
        &app,
        Some("shared-key-0001"),
        &body("supplies", "米不够了", "13612345678"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let code = first["tracking_code"].as_str().expect("code");
    assert!(!v.to_string().contains(code), "{v}");
    assert_eq!(needs_count(&app).await, 1);
}

#[tokio::test]
async fn a_filled_honeypot_answers_like_a_success_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let mut b = body("supplies", "菜不够了", "13812345678");
    b["website"] = json!("http://spam.example");
    let (status, v) = post(&app, Some("honeypot-key-1"), &b).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert!(v["tracking_code"].is_string());
    assert_eq!(needs_count(&app).await, 0);
}

#[tokio::test]
async fn the_tracking_page_shows_the_status_with_the_secret_and_404_without_it() {
    let app = TestApp::spawn().await;
    let (_, v) = post(
        &app,
        Some("tracking-key-1"),
        &body("supplies", "菜不够了", "13812345678"),
    )
    .await;
    let link = v["tracking_link"].as_str().expect("link").to_string();
    let http = crate::harness::http_client();
    let res = http
        .get(format!("{}{link}", app.url))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let page = text(res).await;
    assert!(page.contains("已收到"), "the state in plain words");
    assert!(page.contains("一般"), "the priority badge");
    assert!(page.contains(v["tracking_code"].as_str().expect("code")));
    assert!(
        !page.contains("王小明") && !page.contains("13812345678") && !page.contains("菜不够了")
    );
    let (path, _) = link.split_once("?k=").expect("secret");
    let unknown = format!("{}/t/23456789A?k=x", app.url);
    for wrong in [
        format!("{}{path}", app.url),
        format!("{}{path}?k=", app.url),
        format!("{}{path}?k=0000", app.url),
        format!("{}{}", app.url, link.replace("?k=", "?k=0")),
        unknown,
    ] {
        let res = http.get(&wrong).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{wrong}");
        assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    }
}

#[tokio::test]
async fn the_help_page_keeps_typed_values_on_error_and_a_double_tap_makes_one_need() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let page = text(c.get("/help").await).await;
    assert!(page.contains("class=\"public\""));
    let key = between(&page, "name=\"idempotency_key\" value=\"", "\"").expect("key");
    c.csrf = between(&page, "name=\"_csrf\" value=\"", "\"").expect("csrf");
    let mut fields = vec![
        ("idempotency_key", key.as_str()),
        ("category", "psych"),
        ("description", "我不想活了"),
        ("who_for", "self"),
        ("community", QIAOYI),
        ("building", "5号"),
        ("contact_name", "李四"),
        ("mobile", "1381234"),
        ("privacy_consent", "on"),
        ("health_consent", "on"),
    ];
    let res = c.post_form("/help", &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = text(res).await;
    assert!(again.contains("请输入11位手机号，例如 13812345678"));
    assert!(
        again.contains("我不想活了") && again.contains("李四"),
        "keeps what was typed"
    );
    assert_eq!(needs_count(&app).await, 0);
    fields.retain(|(k, _)| *k != "mobile");
    fields.push(("mobile", "13812345678"));
    let first = text(c.post_form("/help", &fields).await).await;
    let second = text(c.post_form("/help", &fields).await).await;
    assert!(first.contains("心理援助热线 12356"), "the crisis hotline");
    assert!(first.contains("tracking-code"));
    let code = |p: &str| between(p, "<p class=\"tracking-code\">", "<").expect("code");
    assert_eq!(code(&first), code(&second));
    assert_eq!(needs_count(&app).await, 1);
}

#[tokio::test]
async fn a_help_form_changed_after_sending_makes_a_second_need_only_when_sent_again() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let page = text(c.get("/help").await).await;
    let key = between(&page, "name=\"idempotency_key\" value=\"", "\"").expect("key");
    c.csrf = between(&page, "name=\"_csrf\" value=\"", "\"").expect("csrf");
    let send = async |c: &mut crate::harness::TestClient, key: &str, description: &str| {
        let fields = [
            ("idempotency_key", key),
            ("category", "supplies"),
            ("description", description),
            ("who_for", "self"),
            ("community", QIAOYI),
            ("building", "5号"),
            ("contact_name", "李四"),
            ("mobile", "13812345678"),
            ("privacy_consent", "on"),
            ("health_consent", "on"),
        ];
        c.post_form("/help", &fields).await
    };
    assert_eq!(
        send(&mut c, &key, "菜不够了").await.status(),
        StatusCode::OK
    );
    let res = send(&mut c, &key, "米也不够了").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = text(res).await;
    assert!(again.contains("已经提交过"), "says why");
    let fresh = between(&again, "name=\"idempotency_key\" value=\"", "\"").expect("key");
    assert_ne!(fresh, key, "a new key for the next press");
    assert_eq!(needs_count(&app).await, 1);
    assert_eq!(
        send(&mut c, &fresh, "米也不够了").await.status(),
        StatusCode::OK
    );
    assert_eq!(needs_count(&app).await, 2);
}

#[tokio::test]
async fn the_phone_number_and_description_never_reach_the_database_file_in_clear() {
    let app = TestApp::spawn().await;
    let phone = "13898765432";
    let canary = "CANARY描述-绿色通道-7731";
    let (status, _) = post(
        &app,
        Some("canary-key-0001"),
        &body("supplies", canary, phone),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    if postgres_url().is_none() {
        let db = std::fs::read(app.data_dir.join("wushe.db")).unwrap_or_default();
        let wal = std::fs::read(app.data_dir.join("wushe.db-wal")).unwrap_or_default();
        assert!(!db.is_empty() || !wal.is_empty(), "the database was read");
        for needle in [phone.as_bytes(), canary.as_bytes(), "王小明".as_bytes()] {
            for bytes in [&db, &wal] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{} is in the database file",
                    String::from_utf8_lossy(needle)
                );
            }
        }
    }
}

/// A resident's need in the foreign community, with canaries in its personal fields.
pub async fn plant_need(app: &TestApp, code: &str, now: OffsetDateTime) -> String {
    let form = IntakeForm {
        category: "supplies".into(),
        description: format!("CANARY-NEED-{code}"),
        who_for: "self".into(),
        community: code.into(),
        building: "1号".into(),
        contact_name: format!("CANARY-RESIDENT-{code}"),
        mobile: "13800009999".into(),
        privacy_consent: true,
        health_consent: true,
        notice_version: NOTICE_VERSION.into(),
        ..IntakeForm::default()
    };
    let claim = IdempotencyClaim {
        key: format!("matrix-{code}"),
        body_hash: "0".repeat(64),
    };
    let bytes = *uuid::Uuid::now_v7().as_bytes();
    let mut random = [0u8; 8];
    random.copy_from_slice(&bytes[8..16]);
    let r = wushe_core::needs::service::submit(
        app.state.desk(),
        wushe_core::needs::service::Submission {
            form: &form,
            claim: &claim,
            code_random: random,
            by: None,
        },
        now,
    )
    .await
    .expect("need");
    r.code.as_str().to_string()
}

#[tokio::test]
async fn the_public_intake_answers_429_with_retry_after_past_its_limits() {
    let app = TestApp::spawn_with(|c| {
        c.intake_per_ip_per_minute = 3;
        c.intake_global_per_second = 0;
    })
    .await;
    for i in 0..3 {
        let (status, _) = post(
            &app,
            Some(&format!("limit-key-{i:04}")),
            &body("supplies", "米不够了", "13812345678"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "request {i}");
    }
    let res = crate::harness::http_client()
        .post(format!("{}/api/v1/needs", app.url))
        .header("idempotency-key", "limit-key-9999")
        .json(&body("supplies", "米不够了", "13812345678"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["error"], "too_many_requests");
    assert_eq!(needs_count(&app).await, 3, "nothing stored past the limit");
    app.clock.advance(time::Duration::seconds(61));
    let (status, _) = post(
        &app,
        Some("limit-key-9999"),
        &body("supplies", "米不够了", "13812345678"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "the next minute is open again");
}

#[tokio::test]
async fn the_help_form_warns_of_danger_while_the_resident_types_before_anything_is_sent() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    c.get("/help").await;
    let ask = |description: &'static str| (("description", description), ("category", "other"));
    for (text, expect) in [
        ("我母亲在家胸痛，呼吸困难", Some("请立即拨打120")),
        ("我不想活了", Some("12356")),
        ("家里没有胸痛，就是菜不够了", None),
    ] {
        let (d, k) = ask(text);
        let res = c.post_form("/help/advice", &[d, k]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let v: Value = res.json().await.expect("json");
        let urgent = v["urgent"].to_string();
        match expect {
            Some(words) => assert!(urgent.contains(words), "{text}: {v}"),
            None => assert_eq!(v["urgent"], json!([]), "{text}: {v}"),
        }
    }
    assert_eq!(needs_count(&app).await, 0, "nothing is stored");
    let page = text(c.get("/help").await).await;
    assert!(page.contains("data-advice=\"/help/advice\"") && page.contains("/static/help.js"));
    let js = c.get("/static/help.js").await;
    assert_eq!(js.status(), StatusCode::OK);
}
