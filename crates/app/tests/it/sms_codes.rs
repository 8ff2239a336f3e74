//! One-time codes by text, through real HTTP, in demo mode (the code read back from the
//! 短信发件箱) and against the local fake gateway (the code read from the posted JSON): a
//! sign-up with the right code is recorded verified; wrong, expired, sixth-try and reused
//! codes are refused with the same field error and record nothing; caps per number and per
//! address answer with a clear message; a volunteer logs in with a code, while a staff number
//! and an unknown number get a byte-identical page and no text; wrong login codes count in
//! the login defences. With texts off the form is as before.

use reqwest::StatusCode;
use time::Duration;
use wushe_core::Clock;
use wushe_core::actor::{Grant, Role};
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::ids::{CampaignId, UserId};
use wushe_core::orgs::OrgKind;
use wushe_core::users::{NewUser, password};
use wushe_core::volunteers::service;

use crate::harness::*;
use crate::notify::{Fake, sms_app};
use crate::volunteers::{actor, campaign_form, org_in};
use wushe_app::jobs;

fn demo(c: &mut wushe_app::config::Config) {
    c.notify.sms.mode = wushe_app::notify::SmsMode::Demo;
}

/// A call-up open for sign-ups in the street of 五里桥.
async fn callup(app: &TestApp) -> CampaignId {
    let now = app.clock.now();
    let staff = actor(app, Role::SocialWorker, WULIQIAO).await;
    let org = org_in(app, WULIQIAO, OrgKind::Station).await;
    service::publish(
        app.state.store.as_ref(),
        &staff,
        &campaign_form(org, WULIQIAO, now),
        now,
    )
    .await
    .expect("campaign")
}

fn fields<'a>(mobile: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("role", "采样点秩序维护"),
        ("name", "周强"),
        ("mobile", mobile),
        ("age", "35"),
        ("skills", "first_aid"),
        ("availability", "weekends"),
        ("home_community", QIAOER),
        ("privacy_consent", "on"),
        ("code", code),
    ]
}

/// The six digits after "验证码是 " in a text.
fn code_in(text: &str) -> String {
    let at = text.find("验证码是 ").expect("a code text") + "验证码是 ".len();
    text[at..at + 6].to_string()
}

/// The newest text in the demo outbox, opened.
async fn newest_demo_text(app: &TestApp) -> String {
    let texts = app.state.store.demo_texts(1).await.expect("texts");
    let t = texts.first().expect("a demo text");
    app.state
        .cipher
        .open_str(
            wushe_core::notify::sms::DEMO_BODY.field(t.id.0),
            t.body.as_deref().expect("body"),
        )
        .expect("open")
}

async fn demo_count(app: &TestApp) -> usize {
    app.state.store.demo_texts(1000).await.expect("texts").len()
}

/// The gateway's `n`th text (0-based), waiting for it (login codes leave after the answer).
async fn gateway_text(app: &TestApp, gateway: &Fake, n: usize) -> String {
    for _ in 0..200 {
        if gateway.count() > n {
            let (_, body) = &gateway.bodies()[n];
            let req: wushe_app::notify::SmsRequest = serde_json::from_str(body).expect("json");
            return req.text;
        }
        wushe_app::notify::deliver(&app.state)
            .await
            .expect("deliver");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no text number {n} reached the gateway");
}

async fn verified(app: &TestApp, c: CampaignId) -> Vec<bool> {
    app.state
        .store
        .signups_of(c)
        .await
        .expect("signups")
        .iter()
        .map(|s| s.phone_verified)
        .collect()
}

#[tokio::test]
async fn a_sign_up_with_the_texted_code_is_recorded_verified_and_staff_see_no_warning() {
    let app = TestApp::spawn_with(demo).await;
    let c = callup(&app).await;
    let path = format!("/callups/{c}");
    let mut public = app.client();
    let page = text(public.get(&path).await).await;
    assert!(page.contains("发送验证码") && page.contains("name=\"code\""));
    assert!(page.contains(&format!("formaction=\"/callups/{c}/code#send-code\"")));
    assert!(!page.contains("暂未通过短信验证"));
    // Without a code the sign-up is refused, and nothing is recorded.
    let res = public.post_form(&path, &fields("13812345678", "")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("请填写短信里的6位验证码"));
    assert!(verified(&app, c).await.is_empty());
    // 发送验证码: the form comes back with everything typed and where the code went.
    let res = public
        .post_form(&format!("{path}/code"), &fields("138 1234 5678", ""))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(html.contains("验证码已发送到 138****5678"), "{html}");
    assert!(html.contains("短信发件箱 (演示)"), "demo mode says where");
    assert!(html.contains("value=\"周强\"") && html.contains("value=\"138 1234 5678\""));
    let sms = newest_demo_text(&app).await;
    assert!(sms.starts_with("【五社联动】您的验证码是 "), "{sms}");
    assert!(
        sms.ends_with("，10分钟内有效。如非本人操作请忽略。"),
        "{sms}"
    );
    let code = code_in(&sms);
    assert!(
        !html.contains(&code),
        "the public page never shows the code"
    );
    // The outbox row holds ids only.
    let outbox = app
        .state
        .store
        .list_outbox(
            &[wushe_core::regions::RegionCode::parse(HUANGPU).expect("r")],
            &wushe_core::notify::OutboxState::ALL,
            10,
        )
        .await
        .expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].kind, "sms_code");
    assert!(outbox[0].need.is_none() && outbox[0].code.is_some());
    let row = format!("{:?}", outbox[0]);
    assert!(!row.contains(&code) && !row.contains("13812345678"));
    // The right code: signed up, verified.
    let res = public.post_form(&path, &fields("13812345678", &code)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(text(res).await.contains("已收到您的报名"));
    assert_eq!(verified(&app, c).await, vec![true]);
    let mut staff = app.login_as(Role::SocialWorker, WULIQIAO).await;
    let page = text(staff.get(&format!("/volunteers/campaigns/{c}")).await).await;
    assert!(page.contains("138****5678"), "{page}");
    assert!(
        !page.contains("未短信验证"),
        "a verified number has no warning"
    );
    // The code was texted once and is on the staff's demo page.
    assert_eq!(demo_count(&app).await, 1);
    let mut admin = app.login_as(Role::Admin, HUANGPU).await;
    let page = text(admin.get("/admin/sms").await).await;
    assert!(page.contains("您的验证码是"), "{page}");
}

/// 发送验证码 for 13812345678 on a call-up's form.
async fn send_code(c: &mut TestClient, callup: &str) {
    let res = c
        .post_form(&format!("{callup}/code"), &fields("13812345678", ""))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(text(res).await.contains("验证码已发送到 138****5678"));
}

#[tokio::test]
async fn wrong_expired_sixth_try_and_reused_codes_are_refused_alike_and_record_nothing() {
    let gateway = Fake::start(None).await;
    let app = sms_app(&gateway, |_| {}).await;
    let (a, b) = (callup(&app).await, callup(&app).await);
    let (pa, pb) = (format!("/callups/{a}"), format!("/callups/{b}"));
    let mut public = app.client();
    public.get(&pa).await;
    let refused = |html: &str| html.contains("验证码不对或已过期") && html.contains("code-err");

    // Wrong code.
    send_code(&mut public, &pa).await;
    let code = code_in(&gateway_text(&app, &gateway, 0).await);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let res = public.post_form(&pa, &fields("13812345678", wrong)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused(&text(res).await));
    // Expired: the right code after ten minutes.
    app.clock.advance(Duration::minutes(10));
    let res = public.post_form(&pa, &fields("13812345678", &code)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let expired = text(res).await;
    assert!(refused(&expired));
    assert!(verified(&app, a).await.is_empty());

    // Five wrong tries, then the right code is the sixth and refused.
    send_code(&mut public, &pa).await;
    let code = code_in(&gateway_text(&app, &gateway, 1).await);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let res = public.post_form(&pa, &fields("13812345678", wrong)).await;
        assert!(refused(&text(res).await));
    }
    let res = public.post_form(&pa, &fields("13812345678", &code)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let sixth = text(res).await;
    assert!(refused(&sixth));
    assert_eq!(
        between(&sixth, "id=\"code-err\"", "</p>"),
        between(&expired, "id=\"code-err\"", "</p>"),
        "the same words whatever the reason"
    );
    assert!(verified(&app, a).await.is_empty());

    // A new code replaces the old one: the older is refused, the newer works once.
    send_code(&mut public, &pa).await;
    let old = code_in(&gateway_text(&app, &gateway, 2).await);
    send_code(&mut public, &pa).await;
    let new = code_in(&gateway_text(&app, &gateway, 3).await);
    if old != new {
        let res = public.post_form(&pa, &fields("13812345678", &old)).await;
        assert!(refused(&text(res).await), "a replaced code");
    }
    let res = public.post_form(&pa, &fields("13812345678", &new)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(verified(&app, a).await, vec![true]);
    // Used: the same code on another call-up is refused.
    public.get(&pb).await;
    let res = public.post_form(&pb, &fields("13812345678", &new)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused(&text(res).await));
    assert!(verified(&app, b).await.is_empty());
    assert_eq!(gateway.count(), 4, "one text per code asked for");
}

#[tokio::test]
async fn sign_up_codes_are_capped_per_number_and_per_address_with_a_clear_message() {
    let app = TestApp::spawn_with(|c| {
        demo(c);
        c.notify.caps.per_phone_hour = 2;
        c.notify.caps.per_origin_hour = 3;
    })
    .await;
    let c = callup(&app).await;
    let path = format!("/callups/{c}/code");
    let mut public = app.client();
    public.get(&format!("/callups/{c}")).await;
    for _ in 0..2 {
        let res = public.post_form(&path, &fields("13812345678", "")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = public.post_form(&path, &fields("13812345678", "")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = text(res).await;
    assert!(
        html.contains("这个手机号或网络收到的验证码太多了"),
        "{html}"
    );
    assert!(
        html.contains("value=\"周强\""),
        "the form keeps what was typed"
    );
    assert!(!html.contains("验证码已发送到"));
    assert_eq!(demo_count(&app).await, 2, "nothing sent past the cap");
    // Another number from the same address: one more, then the address's cap.
    let res = public.post_form(&path, &fields("13912345678", "")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = public.post_form(&path, &fields("13712345678", "")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        text(res)
            .await
            .contains("这个手机号或网络收到的验证码太多了")
    );
    assert_eq!(demo_count(&app).await, 3);
    // A bad number is the only other error.
    let res = public.post_form(&path, &fields("12345", "")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("请输入11位手机号"));
}

#[tokio::test]
async fn with_texts_off_the_form_is_as_before_and_there_is_no_code_login() {
    let app = TestApp::spawn().await;
    let c = callup(&app).await;
    let mut public = app.client();
    let page = text(public.get(&format!("/callups/{c}")).await).await;
    assert!(!page.contains("发送验证码") && !page.contains("name=\"code\""));
    assert!(page.contains("暂未通过短信验证"));
    let res = public
        .post_form(&format!("/callups/{c}/code"), &fields("13812345678", ""))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = public
        .post_form(&format!("/callups/{c}"), &fields("13812345678", ""))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(verified(&app, c).await, vec![false], "recorded unverified");
    assert!(
        !text(public.get("/login").await)
            .await
            .contains("/login/sms")
    );
    assert_eq!(
        public.get("/login/sms").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// An approved volunteer of a fresh call-up: (user id, mobile).
async fn volunteer(app: &TestApp, mobile: &str) -> UserId {
    let s = &app.state;
    let c = callup(app).await;
    let form = wushe_core::volunteers::signup::SignupForm {
        role: "采样点秩序维护".into(),
        name: "李志愿".into(),
        mobile: mobile.into(),
        age: "30".into(),
        skills: vec![],
        availability: vec!["weekends".into()],
        home_community: QIAOYI.into(),
        privacy_consent: true,
    };
    let sid = service::sign_up(s.store.as_ref(), &s.cipher, c, &form, app.clock.now())
        .await
        .expect("sign up");
    let staff = actor(app, Role::SocialWorker, WULIQIAO).await;
    service::approve(
        s.store.as_ref(),
        &s.cipher,
        &staff,
        sid,
        "!no-password-until-the-link-is-used",
        format!("secret-{}", uuid::Uuid::now_v7().simple()),
        app.clock.now(),
    )
    .await
    .expect("approve")
    .user
}

/// A staff account whose user name is a mobile number.
async fn staff_with_number(app: &TestApp, mobile: &str) -> UserId {
    let now = app.clock.now();
    let region = wushe_core::regions::RegionCode::parse(QIAOYI).expect("r");
    let user = NewUser {
        username: mobile.into(),
        display_name: "社工小张".into(),
        region: region.clone(),
        grants: vec![Grant {
            role: Role::SocialWorker,
            region: region.clone(),
            org: None,
        }],
    };
    let event = AuditEvent::new(Action::UserCreated, now)
        .region(&region)
        .record(RecordKind::User, Vec::<String>::new());
    app.state
        .store
        .insert_user(&user, &password::hash(PASSWORD).expect("hash"), now, &event)
        .await
        .expect("user")
}

async fn audit_actions(app: &TestApp, action: Action) -> Vec<wushe_core::audit::AuditEntry> {
    app.state
        .store
        .audit_page(0, 100_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == action.as_str())
        .collect()
}

#[tokio::test]
async fn a_volunteer_logs_in_with_a_texted_code_and_staff_and_unknown_numbers_get_the_same_page() {
    let gateway = Fake::start(None).await;
    let app = sms_app(&gateway, |_| {}).await;
    let vol = volunteer(&app, "13612345678").await;
    staff_with_number(&app, "13512345678").await;
    let mut c = app.client();
    let login = text(c.get("/login").await).await;
    assert!(login.contains("href=\"/login/sms\"") && login.contains("用短信验证码登录"));
    let page = text(c.get("/login/sms").await).await;
    assert!(page.contains("只适用于志愿者账号") && page.contains("formaction=\"/login/sms/send\""));

    // Staff, unknown and volunteer numbers: the same status and the same words.
    let mut answers = Vec::new();
    for number in ["13512345678", "13412345678", "13612345678"] {
        let res = c
            .post_form(
                "/login/sms/send",
                &[("phone", number), ("next", "/me/shifts")],
            )
            .await;
        answers.push((res.status(), text(res).await.replace(number, "NUMBER")));
    }
    assert_eq!(answers[0], answers[1], "staff number and unknown number");
    assert_eq!(
        answers[1], answers[2],
        "unknown number and volunteer number"
    );
    assert_eq!(answers[0].0, StatusCode::OK);
    assert!(
        answers[0]
            .1
            .contains("如果这个手机号是志愿者账号，验证码已用短信发出")
    );
    // Only the volunteer's number got a text.
    let sms = gateway_text(&app, &gateway, 0).await;
    wushe_app::notify::deliver(&app.state)
        .await
        .expect("deliver");
    assert_eq!(gateway.count(), 1, "no text for staff or unknown numbers");
    let (_, body) = &gateway.bodies()[0];
    assert!(body.contains("\"to\":\"13612345678\""), "{body}");
    let code = code_in(&sms);

    // A staff number with any code is refused like a wrong code.
    let res = c
        .post_form("/login/sms", &[("phone", "13512345678"), ("code", &code)])
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(text(res).await.contains("验证码不对或已过期"));
    assert_eq!(c.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);

    // The volunteer's code signs the volunteer in, once.
    let res = c
        .post_form(
            "/login/sms",
            &[
                ("phone", "136 1234 5678"),
                ("code", &code),
                ("next", "/me/shifts"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/me/shifts");
    let (status, me) = c.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], vol.to_string());
    let logins = audit_actions(&app, Action::Login).await;
    assert!(
        logins
            .iter()
            .any(|e| e.actor.as_deref() == Some(vol.to_string().as_str())),
        "the login is audited"
    );
    assert_eq!(audit_actions(&app, Action::LoginFailed).await.len(), 1);
    assert_eq!(audit_actions(&app, Action::SmsCodeSent).await.len(), 1);
    let mut other = app.client();
    other.get("/login/sms").await;
    let res = other
        .post_form("/login/sms", &[("phone", "13612345678"), ("code", &code)])
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a code works once");
}

#[tokio::test]
async fn wrong_login_codes_count_in_the_login_defences_like_wrong_passwords() {
    let app = TestApp::spawn_with(demo).await;
    volunteer(&app, "13612345678").await;
    let mut c = app.client();
    c.get("/login/sms").await;
    let res = c
        .post_form("/login/sms/send", &[("phone", "13612345678")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut code = None;
    for _ in 0..200 {
        wushe_app::notify::deliver(&app.state)
            .await
            .expect("deliver");
        if demo_count(&app).await == 1 {
            code = Some(code_in(&newest_demo_text(&app).await));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let code = code.expect("the demo outbox has the code");
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let res = c
            .post_form("/login/sms", &[("phone", "13612345678"), ("code", wrong)])
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked here after five failures, like the password login: even the right code.
    let res = c
        .post_form("/login/sms", &[("phone", "13612345678"), ("code", &code)])
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(text(res).await.contains("登录失败次数过多"));
    let res = c.login("13612345678", "whatever-password-1").await;
    assert!(
        text(res).await.contains("登录失败次数过多"),
        "the same lock"
    );
    assert_eq!(audit_actions(&app, Action::LoginFailed).await.len(), 5);
    assert_eq!(c.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
}

/// A login code for `phone`, queued.
async fn login_code(app: &TestApp, phone: &str) -> wushe_core::ids::SmsCodeId {
    use wushe_core::notify::codes::{self, Issued, Purpose};
    let s = &app.state;
    match codes::issue(
        s.store.as_ref(),
        &s.cipher,
        Purpose::Login,
        phone,
        &wushe_core::regions::RegionCode(WULIQIAO.into()),
        None,
        &s.config.notify.caps,
        app.clock.now(),
    )
    .await
    .expect("issue")
    {
        Issued::Queued { code, .. } => code,
        Issued::Capped => panic!("capped"),
    }
}

#[tokio::test]
async fn the_daily_job_deletes_codes_and_their_texts_a_week_old_and_keeps_newer_ones() {
    let app = TestApp::spawn_with(demo).await;
    let s = &app.state;
    let old = login_code(&app, "13812340001").await;
    wushe_app::notify::deliver(s).await.expect("deliver");
    assert_eq!(demo_count(&app).await, 1);
    app.clock.advance(Duration::days(7) + Duration::minutes(1));
    let new = login_code(&app, "13812340002").await;
    wushe_app::notify::deliver(s).await.expect("deliver");
    let before = s.store.audit_head().await.expect("head").seq;
    jobs::enqueue_periodic(s).await.expect("enqueue");
    jobs::drain(s).await.expect("drain");
    assert!(s.store.sms_code(old).await.expect("read").is_none());
    assert!(s.store.sms_code(new).await.expect("read").is_some());
    assert_eq!(
        demo_count(&app).await,
        1,
        "the old code's text went with it"
    );
    let purges: Vec<_> = s
        .store
        .audit_page(before, 1000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == Action::SmsCodesPurged.as_str())
        .collect();
    assert_eq!(purges.len(), 1, "one entry");
    assert!(purges[0].record_ids.contains("count:1"));
}
