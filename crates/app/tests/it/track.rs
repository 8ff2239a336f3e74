//! The resident's tracking page through real HTTP: the timeline with staff messages (never
//! internal notes or staff names), adding information (a red flag raises the priority and
//! shows 120), cancelling only with the confirmation box and only while open, 404 for a wrong
//! secret on every route, live updates over SSE, the rate limit and the language switch.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use wushe_core::Role;
use wushe_core::ids::NeedId;
use wushe_core::needs::record::Need;
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::needs::work::{Command, act};
use wushe_core::users::service::load_actor;

use crate::harness::*;

/// A need sent like the phone app does; its tracking link `/t/{code}?k={secret}`.
pub async fn submit(app: &TestApp, key: &str, category: &str, description: &str) -> String {
    let res = crate::harness::http_client()
        .post(format!("{}/api/v1/needs", app.url))
        .header("idempotency-key", key)
        .json(&json!({
            "category": category,
            "description": description,
            "who_for": "self",
            "community": QIAOYI,
            "building": "12号",
            "contact_name": "王小明",
            "mobile": "13812345678",
            "privacy_consent": true,
            "health_consent": true,
        }))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    v["tracking_link"].as_str().expect("link").to_string()
}

/// `(code, secret)` of a link.
pub fn parts(link: &str) -> (String, String) {
    let (path, k) = link.split_once("?k=").expect("secret");
    (path.trim_start_matches("/t/").to_string(), k.to_string())
}

pub async fn need(app: &TestApp, code: &str) -> Need {
    let code = TrackingCode::parse(code).expect("code");
    app.state
        .store
        .need_by_code(&code)
        .await
        .expect("need")
        .expect("exists")
}

/// A social worker of the need's community does `cmd` through the core, as the staff pages will.
pub async fn staff_does(app: &TestApp, code: &str, cmd: Command) -> NeedId {
    let (_, user) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let actor = load_actor(app.state.store.as_ref(), user)
        .await
        .expect("actor")
        .expect("enabled");
    let n = need(app, code).await;
    act(
        app.state.desk(),
        &actor,
        n.id,
        n.version,
        cmd,
        OffsetDateTime::now_utc(),
    )
    .await
    .expect("act");
    n.id
}

#[tokio::test]
async fn the_timeline_shows_staff_messages_in_order_but_never_internal_notes_or_staff_names() {
    let app = TestApp::spawn().await;
    let link = submit(&app, "track-timeline-1", "supplies", "菜不够了").await;
    let (code, _) = parts(&link);
    staff_does(
        &app,
        &code,
        Command::Note {
            text: "INTERNAL-CANARY 家属情绪激动".into(),
        },
    )
    .await;
    staff_does(
        &app,
        &code,
        Command::Message {
            text: "明天上午10点送菜上门".into(),
        },
    )
    .await;
    let mut c = app.client();
    let res = c.get(&link).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = text(res).await;
    let received = page.find("我们已收到您的求助").expect("created line");
    let message = page
        .find("明天上午10点送菜上门")
        .expect("the staff message");
    assert!(received < message, "newest last");
    assert!(page.contains("工作人员给您留言"));
    assert!(!page.contains("INTERNAL-CANARY"), "an internal note leaked");
    assert!(!page.contains("内部备注"));
    assert!(!page.contains("测试 社工"), "a staff name leaked");
    assert!(!page.contains("13812345678") && !page.contains("王小明"));
    // The live region, its stream and the script are there; the script file is served.
    assert!(page.contains(&format!("data-live-src=\"/t/{code}/live?k=")));
    assert!(page.contains("data-live-refresh=\"/t/"));
    assert!(page.contains("<script src=\"/static/live.js\" defer></script>"));
    let js = c.get("/static/live.js").await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/javascript")
    );
    assert!(text(js).await.contains("EventSource"));
}

#[tokio::test]
async fn added_words_with_a_red_flag_raise_the_priority_and_the_page_says_call_120() {
    let app = TestApp::spawn().await;
    let link = submit(&app, "track-info-1", "supplies", "菜不够了").await;
    let (code, k) = parts(&link);
    let mut c = app.client();
    let page = text(c.get(&link).await).await;
    assert!(!page.contains("class=\"urgent-line\""));
    // Too long: the field's message, the typed text kept, nothing stored.
    let long = format!("LONG-TEXT-{}", "很".repeat(1000));
    let path = format!("/t/{code}/info");
    let res = c.post_form(&path, &[("k", &k), ("info", &long)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = text(res).await;
    assert!(again.contains("aria-invalid=\"true\" aria-describedby=\"info-err\""));
    assert!(again.contains(&long), "the typed text is kept");
    let before = need(&app, &code).await;
    // Empty: a message too.
    let res = c.post_form(&path, &[("k", &k), ("info", "   ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("请填写要补充的情况"));
    let res = c
        .post_form(&path, &[("k", &k), ("info", "老人突然胸痛，呼吸困难")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("{link}#timeline-h").as_str()
    );
    let after = need(&app, &code).await;
    assert_eq!(before.version, after.version - 1, "one change");
    assert_eq!(after.priority.as_str(), "P1");
    let page = text(c.get(&link).await).await;
    assert!(
        page.contains("<p class=\"urgent-line\">请立即拨打120</p>"),
        "the advice at once, in large type"
    );
    assert!(page.contains("紧急"), "the P1 badge");
    assert!(
        page.contains("老人突然胸痛，呼吸困难"),
        "the resident's own words"
    );
    assert!(page.contains("您补充了信息"));
}

#[tokio::test]
async fn cancelling_needs_the_confirmation_box_and_an_open_need() {
    let app = TestApp::spawn().await;
    let link = submit(&app, "track-cancel-1", "supplies", "菜不够了").await;
    let (code, k) = parts(&link);
    let mut c = app.client();
    let page = text(c.get(&link).await).await;
    assert!(page.contains("确认取消"), "the confirmation box is shown");
    let path = format!("/t/{code}/cancel");
    let res = c.post_form(&path, &[("k", &k)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = text(res).await;
    assert!(again.contains("请先勾选“确认取消”"), "says what to do");
    assert!(again.contains("<details id=\"cancel-box\" class=\"cancel-box\" open>"));
    assert_eq!(
        need(&app, &code).await.state.as_str(),
        "new",
        "one tap cancels nothing"
    );
    let res = c.post_form(&path, &[("k", &k), ("confirm", "yes")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(need(&app, &code).await.state.as_str(), "cancelled");
    let page = text(c.get(&link).await).await;
    assert!(page.contains("求助已取消"), "on the timeline");
    assert!(page.contains("已经结束"));
    assert!(
        !page.contains("name=\"confirm\""),
        "no forms on an ended need"
    );
    assert!(!page.contains("name=\"info\""));
    // From a page left open: cancelling or adding again is refused in plain words.
    let res = c.post_form(&path, &[("k", &k), ("confirm", "yes")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text(res).await.contains("不能这样操作"));
    let res = c
        .post_form(&format!("/t/{code}/info"), &[("k", &k), ("info", "还在吗")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = text(res).await;
    assert!(page.contains("这条求助已结束") && page.contains("还在吗"));
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_a_404_on_every_tracking_route() {
    let app = TestApp::spawn().await;
    let link = submit(&app, "track-secret-1", "supplies", "菜不够了").await;
    let (code, k) = parts(&link);
    let mut c = app.client();
    c.get(&link).await;
    let flip = if k.starts_with('0') { "1" } else { "0" };
    let wrong_k = format!("{flip}{}", &k[1..]);
    for secret in [None, Some(""), Some("0000"), Some(wrong_k.as_str())] {
        let q = secret.map(|s| format!("?k={s}")).unwrap_or_default();
        for path in [format!("/t/{code}{q}"), format!("/t/{code}/live{q}")] {
            let res = c.get(&path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        }
        let mut fields = vec![("info", "老人胸痛"), ("confirm", "yes")];
        if let Some(s) = secret {
            fields.push(("k", s));
        }
        for what in ["info", "cancel"] {
            let res = c.post_form(&format!("/t/{code}/{what}"), &fields).await;
            assert_eq!(
                res.status(),
                StatusCode::NOT_FOUND,
                "{what} with {secret:?}"
            );
        }
    }
    for path in ["/t/23456789A/live?k=x", "/t/nonsense/live"] {
        assert_eq!(c.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let n = need(&app, &code).await;
    assert_eq!((n.version, n.state.as_str()), (1, "new"), "nothing changed");
}

/// Read the stream until `want` arrives or `wait` passes; what was read.
async fn read_until(res: &mut reqwest::Response, want: &str, wait: Duration) -> String {
    let mut got = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !got.contains(want) {
        match tokio::time::timeout_at(deadline, res.chunk()).await {
            Ok(Ok(Some(bytes))) => got.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    got
}

#[tokio::test]
async fn the_live_stream_says_changed_after_a_change_of_this_need_only() {
    let app = TestApp::spawn().await;
    let link = submit(&app, "track-live-1", "supplies", "菜不够了").await;
    let other = submit(&app, "track-live-2", "supplies", "米不够了").await;
    let (code, k) = parts(&link);
    let mut c = app.client();
    let mut res = c.get(&format!("/t/{code}/live?k={k}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/event-stream")
    );
    assert_eq!(res.headers()["x-accel-buffering"], "no");
    let hello = read_until(&mut res, "retry:", Duration::from_secs(5)).await;
    assert!(hello.contains("retry: 1000"), "{hello}");
    // Someone else's need changes: nothing for this page.
    staff_does(
        &app,
        &parts(&other).0,
        Command::Message {
            text: "别人的消息".into(),
        },
    )
    .await;
    let quiet = read_until(&mut res, "event:", Duration::from_millis(500)).await;
    assert!(!quiet.contains("event:"), "{quiet}");
    staff_does(
        &app,
        &code,
        Command::Message {
            text: "我们马上到".into(),
        },
    )
    .await;
    let got = read_until(&mut res, "event: changed", Duration::from_secs(5)).await;
    assert!(got.contains("event: changed"), "{got}");
    assert!(!got.contains("我们马上到"), "the stream carries no content");
}

#[tokio::test]
async fn the_resident_forms_are_rate_limited_with_the_intake_limiter() {
    let app = TestApp::spawn_with(|c| {
        c.intake_per_ip_per_minute = 2;
        c.intake_global_per_second = 0;
    })
    .await;
    let link = submit(&app, "track-limit-1", "supplies", "菜不够了").await;
    let (code, k) = parts(&link);
    let mut c = app.client();
    c.get(&link).await;
    let path = format!("/t/{code}/info");
    let res = c
        .post_form(&path, &[("k", &k), ("info", "还要两瓶水")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = c.post_form(&path, &[("k", &k), ("info", "还要米")]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let res = c
        .post_form(
            &format!("/t/{code}/cancel"),
            &[("k", &k), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(need(&app, &code).await.state.as_str(), "new");
    // Reading the page is never limited.
    assert_eq!(c.get(&link).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn switching_the_language_comes_back_to_the_same_tracking_page() {
    let app = TestApp::spawn().await;
    let link = submit(&app, "track-lang-1", "supplies", "菜不够了").await;
    let mut c = app.client();
    let page = text(c.get(&link).await).await;
    let back = between(&page, "name=\"back\" value=\"", "\"").expect("back");
    assert_eq!(back, link, "the switch keeps the secret");
    let res = c
        .post_form("/lang", &[("lang", "en"), ("back", &back)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], link.as_str());
    let page = text(c.get(&link).await).await;
    assert!(page.contains("What has happened") && page.contains("We received your request"));
    let csp = c.get(&link).await.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"));
}

#[tokio::test]
async fn a_new_red_flag_on_a_need_already_urgent_still_adds_its_advice() {
    let app = TestApp::spawn().await;
    let link = submit(&app, "track-info-2", "other", "邻居家暴，孩子在哭").await;
    let (code, k) = parts(&link);
    assert_eq!(need(&app, &code).await.priority.as_str(), "P1");
    let mut c = app.client();
    let page = text(c.get(&link).await).await;
    assert!(page.contains("<p class=\"urgent-line\">请立即拨打110</p>"));
    assert!(!page.contains("<p class=\"urgent-line\">请立即拨打120</p>"));
    let res = c
        .post_form(
            &format!("/t/{code}/info"),
            &[("k", &k), ("info", "孩子被打得昏迷了")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = text(c.get(&link).await).await;
    assert!(
        page.contains("<p class=\"urgent-line\">请立即拨打120</p>"),
        "120 although the priority stayed P1"
    );
    assert!(page.contains("<p class=\"urgent-line\">请立即拨打110</p>"));
}
