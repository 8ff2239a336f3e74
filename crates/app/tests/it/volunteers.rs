//! Volunteers end to end over HTTP: call-ups and sign-ups (bad input, honeypot, duplicates),
//! approval with the one-time set-password link, posts and shifts (double-booking and
//! over-filling refused, also by the database and under a race), check-in by the post's QR
//! link and by the post lead, no-shows, hours, certificates and their public verification,
//! the XLSX export, and who may see what.

use reqwest::StatusCode;
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use wushe_core::Clock;
use wushe_core::actor::Role;
use wushe_core::audit::{Action, AuditEvent};
use wushe_core::ids::{BookingId, CampaignId, OrgId, PostId, ShiftId, SignupId, UserId};
use wushe_core::orgs::{Org, OrgKind};
use wushe_core::regions::RegionCode;
use wushe_core::users::service::load_actor;
use wushe_core::volunteers::booking::{BookingState, Window};
use wushe_core::volunteers::record::{Booking, Certificate, Shift};
use wushe_core::volunteers::signup::{CampaignForm, PostForm, SignupForm};
use wushe_core::volunteers::{service, tasks};

use crate::harness::*;

/// A strong password for volunteers in these tests.
pub const VPASS: &str = "orchard lantern river 2026";

/// Records planted in one community for the access matrix and these tests.
pub struct Planted {
    pub campaign: CampaignId,
    pub signup: SignupId,
    pub post: PostId,
    pub shift: ShiftId,
    pub booking: BookingId,
    pub certificate: String,
    pub volunteer: UserId,
    pub canaries: Vec<String>,
}

pub async fn org_in(app: &TestApp, region: &str, kind: OrgKind) -> OrgId {
    let now = app.clock.now();
    let org = Org {
        id: OrgId::new(),
        name: format!("测试机构-{region}-{}", uuid::Uuid::now_v7().simple()),
        kind,
        region: RegionCode::parse(region).expect("code"),
        phone: None,
        address: None,
        description: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    app.state
        .store
        .insert_org(&org, &AuditEvent::new(Action::OrgCreated, now))
        .await
        .expect("org");
    org.id
}

pub fn campaign_form(org: OrgId, region: &str, now: OffsetDateTime) -> CampaignForm {
    let d = |days: i64| {
        let t = (now + Duration::days(days))
            .to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"));
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    };
    CampaignForm {
        org: org.to_string(),
        title: "五里桥街道志愿者召集令".into(),
        description: "采样点和物资点需要志愿者".into(),
        region: region.into(),
        meeting_point: "街道社区服务中心门口".into(),
        roles: "采样点秩序维护 20\n送药司机 5 driver_with_vehicle".into(),
        min_age: "18".into(),
        max_age: "65".into(),
        start_date: d(0),
        end_date: d(14),
    }
}

fn signup_form(name: &str, mobile: &str, home: &str) -> SignupForm {
    SignupForm {
        role: "采样点秩序维护".into(),
        name: name.into(),
        mobile: mobile.into(),
        age: "35".into(),
        skills: vec!["first_aid".into()],
        availability: vec!["weekends".into()],
        home_community: home.into(),
        privacy_consent: true,
    }
}

/// A staff actor (through the store) with `role` over `region`.
pub async fn actor(app: &TestApp, role: Role, region: &str) -> wushe_core::Actor {
    let (_, id) = app.create_user(role, region).await;
    load_actor(app.state.store.as_ref(), id)
        .await
        .expect("actor")
        .expect("exists")
}

/// An approved volunteer of a call-up in `region`: (user id, mobile).
async fn volunteer(
    app: &TestApp,
    campaign: CampaignId,
    staff: &wushe_core::Actor,
    name: &str,
    home: &str,
) -> (UserId, String) {
    let s = &app.state;
    let mobile = format!(
        "139{:08}",
        u32::from_le_bytes(
            uuid::Uuid::now_v7().as_bytes()[12..16]
                .try_into()
                .expect("4")
        ) % 100_000_000
    );
    let sid = service::sign_up(
        s.store.as_ref(),
        &s.cipher,
        campaign,
        &signup_form(name, &mobile, home),
        app.clock.now(),
    )
    .await
    .expect("sign up");
    let ok = service::approve(
        s.store.as_ref(),
        &s.cipher,
        staff,
        sid,
        "!no-password-until-the-link-is-used",
        format!("secret-{}", uuid::Uuid::now_v7().simple()),
        app.clock.now(),
    )
    .await
    .expect("approve");
    (ok.user, mobile)
}

/// A call-up, sign-up, volunteer, post, shift (tomorrow), booking and certificate in `code`
/// (a community), all made through the store and use-cases.
pub async fn plant(app: &TestApp, code: &str) -> Planted {
    let s = &app.state;
    let now = app.clock.now();
    let staff = actor(app, Role::SocialWorker, code).await;
    let org = org_in(app, code, OrgKind::Station).await;
    let campaign = service::publish(
        s.store.as_ref(),
        &staff,
        &campaign_form(org, code, now),
        now,
    )
    .await
    .expect("campaign");
    let pending_canary = format!("CANARY-SIGNUP-{code}");
    let signup = service::sign_up(
        s.store.as_ref(),
        &s.cipher,
        campaign,
        &signup_form(&pending_canary, "13700001111", code),
        now,
    )
    .await
    .expect("signup");
    let vol_canary = format!("CANARY-VOLUNTEER-{code}");
    let (vid, _) = volunteer(app, campaign, &staff, &vol_canary, code).await;
    let post_canary = format!("CANARY-POST-{code}");
    let post = service::create_post(
        s.store.as_ref(),
        &staff,
        &PostForm {
            kind: "checkpoint".into(),
            name: post_canary.clone(),
            region: code.into(),
        },
        now,
    )
    .await
    .expect("post");
    let shift = Shift {
        id: ShiftId::new(),
        post,
        region: RegionCode::parse(code).expect("code"),
        window: Window {
            start: now + Duration::days(1),
            end: now + Duration::days(1) + Duration::hours(4),
        },
        slots: 3,
        taken: 0,
    };
    s.store
        .insert_shifts(
            std::slice::from_ref(&shift),
            &AuditEvent::new(Action::ShiftsAdded, now),
        )
        .await
        .expect("shift");
    let vactor = load_actor(s.store.as_ref(), vid)
        .await
        .expect("a")
        .expect("v");
    let booking = service::book(s.store.as_ref(), &vactor, shift.id, now)
        .await
        .expect("book");
    let cert = Certificate {
        id: format!("{:0>8}", &code[code.len() - 8..]).replace(['I', 'L', 'O', 'U'], "0"),
        user: vid,
        display_name: format!("CANARY-CERT-{code}"),
        minutes: 120,
        region: RegionCode::parse(code).expect("code"),
        issued_at: now,
    };
    s.store
        .insert_certificate(&cert, &AuditEvent::new(Action::CertificateIssued, now))
        .await
        .expect("certificate");
    Planted {
        campaign,
        signup,
        post,
        shift: shift.id,
        booking,
        certificate: cert.id,
        volunteer: vid,
        canaries: vec![
            pending_canary,
            vol_canary,
            post_canary,
            "13700001111".into(),
        ],
    }
}

/// Everything about planted records that must not change.
pub async fn snapshot(app: &TestApp, p: &Planted) -> String {
    let s = &app.state.store;
    let signup = s.signup(p.signup).await.expect("signup").expect("exists");
    let campaign = s.campaign(p.campaign).await.expect("c").expect("exists");
    let shift = s.shift(p.shift).await.expect("shift").expect("exists");
    let booking = s
        .booking(p.booking)
        .await
        .expect("booking")
        .expect("exists");
    let post = s.post(p.post).await.expect("post").expect("exists");
    let profile = s.profile(p.volunteer).await.expect("p").expect("exists");
    let shifts = s.shifts_of_post(p.post).await.expect("shifts").len();
    let commitments = s.commitments_of(p.campaign).await.expect("c").len();
    format!(
        "{:?} {:?} {} {:?} {} {} {:?} v{} shifts={shifts} commitments={commitments}",
        campaign.state,
        signup.state,
        shift.taken,
        booking.state,
        post.name,
        post.region,
        post.lead,
        profile.version
    )
}

async fn body(res: reqwest::Response) -> String {
    text(res).await
}

#[tokio::test]
async fn a_person_signs_up_on_the_public_page_staff_approve_and_the_link_sets_a_password_once() {
    let app = TestApp::spawn().await;
    let mut staff = app.login_as(Role::SocialWorker, WULIQIAO).await;
    let org = org_in(&app, WULIQIAO, OrgKind::Station).await;
    let f = campaign_form(org, WULIQIAO, app.clock.now());
    let res = staff
        .post_form(
            "/volunteers",
            &[
                ("org", &f.org),
                ("title", &f.title),
                ("description", &f.description),
                ("region", &f.region),
                ("meeting_point", &f.meeting_point),
                ("roles", &f.roles),
                ("min_age", "18"),
                ("max_age", "65"),
                ("start_date", &f.start_date),
                ("end_date", &f.end_date),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let staff_path = res.headers()["location"].to_str().expect("loc").to_string();
    let cid = staff_path.rsplit('/').next().expect("id").to_string();

    let mut public = app.client();
    let list = body(public.get("/callups").await).await;
    assert!(list.contains("五里桥街道志愿者召集令"), "{list}");
    let page = body(public.get(&format!("/callups/{cid}")).await).await;
    assert!(page.contains("送药司机") && page.contains("有车司机"));
    let path = format!("/callups/{cid}");
    let good: Vec<(&str, &str)> = vec![
        ("role", "采样点秩序维护"),
        ("name", "周强"),
        ("mobile", "138 1234 5678"),
        ("age", "35"),
        ("skills", "first_aid"),
        ("skills", "dialect"),
        ("availability", "weekends"),
        ("availability", "weekday_evenings"),
        ("home_community", QIAOER),
        ("privacy_consent", "on"),
    ];
    // Every bad field gets its message; what was typed comes back.
    let res = public
        .post_form(
            &path,
            &[
                ("role", "送药司机"),
                ("name", "周强"),
                ("mobile", "12345"),
                ("age", "70"),
                ("availability", "sometimes"),
                ("home_community", "310101"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    for msg in [
        "请输入11位手机号",
        "18 到 65",
        "请从列表中选择可服务时间",
        "12位社区代码",
        "请阅读并同意隐私说明",
        "这个岗位需要：有车司机",
    ] {
        assert!(html.contains(msg), "missing {msg}");
    }
    assert!(
        html.contains("value=\"周强\""),
        "the form keeps what was typed"
    );
    // The honeypot: thanked, nothing stored.
    let mut bot = good.clone();
    bot.push(("website", "http://spam"));
    let res = public.post_form(&path, &bot).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cid: CampaignId = cid.parse().expect("id");
    assert!(app.state.store.signups_of(cid).await.expect("s").is_empty());
    // The real one.
    let res = public.post_form(&path, &good).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body(res).await.contains("已收到您的报名"));
    let signups = app.state.store.signups_of(cid).await.expect("s");
    assert_eq!(signups.len(), 1);
    let s = &signups[0];
    assert!(!s.phone_verified, "no SMS adapter yet: recorded unverified");
    assert!(
        !String::from_utf8_lossy(&s.name).contains("周强"),
        "the name is sealed"
    );
    assert!(
        !String::from_utf8_lossy(&s.mobile).contains("13812345678"),
        "the mobile is sealed"
    );
    // The same mobile again is refused with a plain message.
    let res = public.post_form(&path, &good).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("这个手机号已经报名过这次召集"));

    // Staff see the sign-up masked and approve it.
    let page = body(staff.get(&staff_path).await).await;
    assert!(
        page.contains("周*") && page.contains("138****5678"),
        "masked"
    );
    assert!(!page.contains("13812345678"));
    let res = staff
        .post_form(&format!("/volunteers/signups/{}/approve", s.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    let link = between(
        &page,
        "<code class=\"secret set-password-link\">",
        "</code>",
    )
    .expect("link shown");
    let link_path = link[link.find("/volunteer/password/").expect("path")..].to_string();
    // Approving twice is refused.
    let res = staff
        .post_form(&format!("/volunteers/signups/{}/approve", s.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("已经处理过"));
    let user = app
        .state
        .store
        .user_by_name("13812345678")
        .await
        .expect("u")
        .expect("account");
    let grants = app.state.store.grants(user.id).await.expect("g");
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].grant.role, Role::Volunteer);
    assert_eq!(grants[0].grant.region.0, WULIQIAO);
    let profile = app
        .state
        .store
        .profile(user.id)
        .await
        .expect("p")
        .expect("profile");
    assert_eq!(
        profile.home_community.0, QIAOER,
        "home community kept; serves in the street"
    );

    // Before the link is used, no password works.
    let mut v = app.client();
    assert_ne!(
        v.login("13812345678", VPASS).await.status(),
        StatusCode::SEE_OTHER
    );
    // Nor the decoy password, whose text is in the source.
    assert_ne!(
        v.login("13812345678", "decoy password nobody has")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // A weak password and a mismatch are refused next to their fields.
    let res = v
        .post_form(
            &link_path,
            &[("password", "123"), ("password_again", "1234")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    assert!(html.contains("password-err") && html.contains("password_again-err"));
    let res = v
        .post_form(
            &link_path,
            &[("password", VPASS), ("password_again", VPASS)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body(res).await.contains("密码已设置"));
    // Once only.
    assert_eq!(v.get(&link_path).await.status(), StatusCode::NOT_FOUND);
    let res = v
        .post_form(
            &link_path,
            &[
                ("password", "another fine password 9"),
                ("password_again", "another fine password 9"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        v.get("/volunteer/password/not-a-link").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = v.login("13812345678", VPASS).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "logs in with phone and the new password"
    );
    assert_eq!(v.get("/me/shifts").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn declining_needs_a_reason_and_organisations_commit_people() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    // Before deciding, the worker may see the full name and mobile to call: with a reason,
    // and each value's reveal lands in the audit log first.
    let reveal = format!("/volunteers/signups/{}/reveal", p.signup);
    let res = staff.post_form(&reveal, &[("reason", "看")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("请写明查看完整信息的原因"));
    let before = app
        .state
        .store
        .audit_page(0, 10_000)
        .await
        .expect("log")
        .len();
    let res = staff
        .post_form(&reveal, &[("reason", "电话核实报名信息")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    assert!(page.contains("tel:13700001111") && page.contains(&format!("CANARY-SIGNUP-{QIAOYI}")));
    let log = app.state.store.audit_page(0, 10_000).await.expect("log");
    let reveals: Vec<_> = log[before..]
        .iter()
        .filter(|e| e.action == "sensitive_revealed")
        .collect();
    assert_eq!(reveals.len(), 2, "name and mobile, each audited");
    assert!(
        reveals
            .iter()
            .all(|e| e.record_ids.contains(&p.signup.to_string()))
    );
    assert!(
        !log.iter().any(|e| e.record_ids.contains("13700001111")),
        "never the value"
    );
    // A volunteer, or staff of another street, cannot.
    let mut far = app.login_as(Role::SocialWorker, DAPUQIAO).await;
    assert_eq!(
        far.post_form(&reveal, &[("reason", "电话核实报名信息")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let path = format!("/volunteers/signups/{}/decline", p.signup);
    let res = staff.post_form(&path, &[("reason", "  ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("请写明未通过的原因"));
    let res = staff.post_form(&path, &[("reason", "年龄不符")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let s = app
        .state
        .store
        .signup(p.signup)
        .await
        .expect("s")
        .expect("e");
    assert_eq!(s.reason.as_deref(), Some("年龄不符"));
    let org = org_in(&app, QIAOYI, OrgKind::SocialOrg).await;
    let commit = format!("/volunteers/campaigns/{}/commit", p.campaign);
    let res = staff
        .post_form(&commit, &[("org", &org.to_string()), ("people", "0")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("人数请填写"));
    let res = staff
        .post_form(
            &commit,
            &[
                ("org", &org.to_string()),
                ("people", "12"),
                ("note", "社工应急服务队"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = body(
        staff
            .get(&format!("/volunteers/campaigns/{}", p.campaign))
            .await,
    )
    .await;
    assert!(
        page.contains("社工应急服务队") && page.contains("（12 人）"),
        "{page}"
    );
    // An organisation abroad cannot be committed by this worker.
    let far = org_in(&app, DAPUQIAO_COMMUNITY, OrgKind::SocialOrg).await;
    let res = staff
        .post_form(&commit, &[("org", &far.to_string()), ("people", "3")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Closing the call-up takes it off the public pages and ends commitments.
    let mut public = app.client();
    assert_eq!(
        public
            .get(&format!("/callups/{}", p.campaign))
            .await
            .status(),
        StatusCode::OK
    );
    let close = format!("/volunteers/campaigns/{}/close", p.campaign);
    assert_eq!(
        staff.post_form(&close, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        staff.post_form(&close, &[]).await.status(),
        StatusCode::SEE_OTHER,
        "twice is fine"
    );
    assert_eq!(
        public
            .get(&format!("/callups/{}", p.campaign))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        !body(public.get("/callups").await)
            .await
            .contains(&p.campaign.to_string())
    );
    let res = staff
        .post_form(&commit, &[("org", &org.to_string()), ("people", "2")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        body(
            staff
                .get(&format!("/volunteers/campaigns/{}", p.campaign))
                .await
        )
        .await
        .contains("已结束报名")
    );
    let mut far_staff = app.login_as(Role::SocialWorker, DAPUQIAO).await;
    let far_plant = plant(&app, DAPUQIAO_COMMUNITY).await;
    assert_eq!(
        staff
            .post_form(
                &format!("/volunteers/campaigns/{}/close", far_plant.campaign),
                &[]
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        far_staff.post_form(&close, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// Log a volunteer in through the real login form (after setting the password directly).
async fn login_volunteer(app: &TestApp, user: UserId, mobile: &str) -> TestClient {
    let hash = wushe_core::users::password::hash(VPASS).expect("hash");
    app.state
        .store
        .change_password(
            user,
            &hash,
            app.clock.now(),
            None,
            &AuditEvent::new(Action::PasswordChanged, app.clock.now()),
        )
        .await
        .expect("password");
    let mut c = app.client();
    assert_eq!(c.login(mobile, VPASS).await.status(), StatusCode::SEE_OTHER);
    c.user_id = Some(user);
    c
}

#[tokio::test]
async fn booking_refuses_overlaps_and_full_shifts_with_clear_messages() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let staff_actor = actor(&app, Role::SocialWorker, QIAOYI).await;
    let (vid, mobile) = volunteer(&app, p.campaign, &staff_actor, "王芳", QIAOYI).await;
    let mut v = login_volunteer(&app, vid, &mobile).await;
    let page = body(v.get("/me/shifts").await).await;
    assert!(
        page.contains(&format!("/shifts/{}/book", p.shift)),
        "the open shift is offered"
    );
    let res = v.post_form(&format!("/shifts/{}/book", p.shift), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = v.post_form(&format!("/shifts/{}/book", p.shift), &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("您已经报名了这个班次"));
    // An overlapping shift at another post.
    let now = app.clock.now();
    let other = service::create_post(
        app.state.store.as_ref(),
        &staff_actor,
        &PostForm {
            kind: "supply_point".into(),
            name: "物资点".into(),
            region: QIAOYI.into(),
        },
        now,
    )
    .await
    .expect("post");
    let overlap = Shift {
        id: ShiftId::new(),
        post: other,
        region: RegionCode::parse(QIAOYI).expect("c"),
        window: Window {
            start: now + Duration::days(1) + Duration::hours(2),
            end: now + Duration::days(1) + Duration::hours(6),
        },
        slots: 1,
        taken: 0,
    };
    app.state
        .store
        .insert_shifts(
            std::slice::from_ref(&overlap),
            &AuditEvent::new(Action::ShiftsAdded, now),
        )
        .await
        .expect("s");
    let res = v
        .post_form(&format!("/shifts/{}/book", overlap.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    assert!(html.contains("时间重叠"), "{html}");
    // Filled by someone else: full.
    let (w2, _) = volunteer(&app, p.campaign, &staff_actor, "李雷", QIAOYI).await;
    let a2 = load_actor(app.state.store.as_ref(), w2)
        .await
        .expect("a")
        .expect("v");
    service::book(app.state.store.as_ref(), &a2, overlap.id, now)
        .await
        .expect("book");
    let (w3, m3) = volunteer(&app, p.campaign, &staff_actor, "韩梅", QIAOYI).await;
    let mut v3 = login_volunteer(&app, w3, &m3).await;
    let res = v3
        .post_form(&format!("/shifts/{}/book", overlap.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("名额已满"));
    // English too.
    v3.post_form("/lang", &[("lang", "en"), ("back", "/me/shifts")])
        .await;
    let res = v3
        .post_form(&format!("/shifts/{}/book", overlap.id), &[])
        .await;
    assert!(body(res).await.contains("This shift is full"));
    // A shift outside the volunteer's region is not found.
    let far = plant(&app, DAPUQIAO_COMMUNITY).await;
    let res = v
        .post_form(&format!("/shifts/{}/book", far.shift), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Bad ids.
    assert_eq!(
        v.post_form("/shifts/nope/book", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_database_itself_refuses_overfilling_and_overlaps() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let s = &app.state.store;
    let shift = s.shift(p.shift).await.expect("s").expect("e");
    let staff = actor(&app, Role::SocialWorker, QIAOYI).await;
    let now = app.clock.now();
    let booking = |user: UserId, window: Window, shift: ShiftId| Booking {
        id: BookingId::new(),
        shift,
        user,
        window,
        state: BookingState::Booked,
        checked_in_at: None,
        checked_out_at: None,
        booked_by: user,
        created_at: now,
    };
    // Straight to the store, past the rules in the core: 1 taken, 2 more fit, the rest fail.
    let mut ok = 0;
    let mut full = 0;
    for i in 0..5 {
        let (u, _) = volunteer(&app, p.campaign, &staff, &format!("志愿者{i}"), QIAOYI).await;
        match s
            .book_shift(
                &booking(u, shift.window, shift.id),
                &AuditEvent::new(Action::ShiftBooked, now),
            )
            .await
        {
            Ok(()) => ok += 1,
            Err(wushe_core::Error::Invalid(e)) => {
                assert!(
                    e.get("shift").is_some_and(|m| m.zh.contains("名额已满")),
                    "{e:?}"
                );
                full += 1;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((ok, full), (2, 3));
    assert_eq!(s.shift(p.shift).await.expect("s").expect("e").taken, 3);
    // Overlap: the planted volunteer on another shift at the same time.
    let other = Shift {
        id: ShiftId::new(),
        post: p.post,
        region: shift.region.clone(),
        window: Window {
            start: shift.window.start + Duration::hours(1),
            end: shift.window.end + Duration::hours(1),
        },
        slots: 5,
        taken: 0,
    };
    s.insert_shifts(
        std::slice::from_ref(&other),
        &AuditEvent::new(Action::ShiftsAdded, now),
    )
    .await
    .expect("s");
    let err = s
        .book_shift(
            &booking(p.volunteer, other.window, other.id),
            &AuditEvent::new(Action::ShiftBooked, now),
        )
        .await
        .expect_err("overlap");
    assert!(
        matches!(&err, wushe_core::Error::Invalid(e) if e.get("shift").is_some_and(|m| m.en.contains("overlaps"))),
        "{err:?}"
    );
    assert_eq!(
        s.shift(other.id).await.expect("s").expect("e").taken,
        0,
        "nothing counted"
    );
}

#[tokio::test]
async fn twenty_volunteers_racing_for_three_slots_get_exactly_three() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let staff = actor(&app, Role::SocialWorker, QIAOYI).await;
    let now = app.clock.now();
    let race = Shift {
        id: ShiftId::new(),
        post: p.post,
        region: RegionCode::parse(QIAOYI).expect("c"),
        window: Window {
            start: now + Duration::days(3),
            end: now + Duration::days(3) + Duration::hours(4),
        },
        slots: 3,
        taken: 0,
    };
    app.state
        .store
        .insert_shifts(
            std::slice::from_ref(&race),
            &AuditEvent::new(Action::ShiftsAdded, now),
        )
        .await
        .expect("s");
    let mut actors = Vec::new();
    for i in 0..20 {
        let (u, _) = volunteer(&app, p.campaign, &staff, &format!("抢班{i}"), QIAOYI).await;
        actors.push(
            load_actor(app.state.store.as_ref(), u)
                .await
                .expect("a")
                .expect("v"),
        );
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(actors.len()));
    let mut tasks = Vec::new();
    for a in actors {
        let store = app.state.store.clone();
        let b = barrier.clone();
        tasks.push(tokio::spawn(async move {
            b.wait().await;
            service::book(store.as_ref(), &a, race.id, now).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(wushe_core::Error::Invalid(e)) => assert!(e.get("shift").is_some(), "{e:?}"),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 3);
    let shift = app.state.store.shift(race.id).await.expect("s").expect("e");
    assert_eq!(shift.taken, 3);
    assert_eq!(
        app.state
            .store
            .roster(p.post)
            .await
            .expect("r")
            .iter()
            .filter(|e| e.booking.shift == race.id)
            .count(),
        3
    );
}

#[tokio::test]
async fn check_in_by_the_post_code_hours_certificate_and_public_verification() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let staff_actor = actor(&app, Role::SocialWorker, QIAOYI).await;
    let (vid, mobile) = volunteer(&app, p.campaign, &staff_actor, "赵敏", QIAOYI).await;
    let mut v = login_volunteer(&app, vid, &mobile).await;
    assert_eq!(
        v.post_form(&format!("/shifts/{}/book", p.shift), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let token = service::post_token(&app.state.cipher, p.post).expect("token");
    let scan = format!("/posts/{}/scan?t={token}", p.post);
    // The roster shows the QR code holding that link.
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    let roster = body(staff.get(&format!("/posts/{}", p.post)).await).await;
    assert!(
        roster.contains("<svg class=\"qr\"") && roster.contains(&scan),
        "QR and link"
    );
    // Too early: nothing to check into.
    let page = body(v.get(&scan).await).await;
    assert!(page.contains("没有需要签到"), "{page}");
    let res = v
        .post_form(&format!("/posts/{}/scan", p.post), &[("t", &token)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A wrong token is not found.
    assert_eq!(
        v.get(&format!("/posts/{}/scan?t=00{}", p.post, &token[2..]))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        v.post_form(&format!("/posts/{}/scan", p.post), &[("t", "x")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // At the shift: check in, then out three hours later.
    app.clock.advance(Duration::days(1) - Duration::minutes(10));
    // A day later the sessions have timed out: sign in again.
    let mut v = login_volunteer(&app, vid, &mobile).await;
    let page = body(v.get(&scan).await).await;
    assert!(page.contains("签到"));
    let res = v
        .post_form(&format!("/posts/{}/scan", p.post), &[("t", &token)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body(res).await.contains("签到成功"));
    app.clock
        .advance(Duration::hours(3) + Duration::minutes(10));
    let mut v = login_volunteer(&app, vid, &mobile).await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    assert!(body(v.get(&scan).await).await.contains("签退"));
    let res = v
        .post_form(&format!("/posts/{}/scan", p.post), &[("t", &token)])
        .await;
    let out = body(res).await;
    assert!(out.contains("签退成功"), "{out}");
    // The lead marks the planted volunteer, who never came, a no-show.
    let res = staff
        .post_form(
            &format!("/bookings/{}/attendance", p.booking),
            &[("action", "check_out")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("还没有签到"));
    let res = staff
        .post_form(
            &format!("/bookings/{}/attendance", p.booking),
            &[("action", "no_show")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let b = app
        .state
        .store
        .booking(p.booking)
        .await
        .expect("b")
        .expect("e");
    assert_eq!(b.state, BookingState::NoShow);
    assert_eq!(
        staff
            .post_form(
                &format!("/bookings/{}/attendance", p.booking),
                &[("action", "dance")]
            )
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Hours: 3 h of the 4-hour shift.
    let page = body(v.get("/me/shifts").await).await;
    assert!(page.contains("<strong>3.0</strong>"), "{page}");
    // A certificate under a chosen name; the public page and API confirm it.
    let res = v
        .post_form("/me/certificates", &[("display_name", "赵同学")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cert_path = res.headers()["location"].to_str().expect("l").to_string();
    let page = body(v.get(&cert_path).await).await;
    assert!(page.contains("志愿服务记录证明") && !page.contains("公益护照"));
    let code = between(&page, "<strong class=\"ids cert-code\">", "</strong>").expect("code");
    let mut anyone = app.client();
    let ok = body(
        anyone
            .get(&format!("/verify?code={}", code.to_lowercase()))
            .await,
    )
    .await;
    assert!(ok.contains("核验通过") && ok.contains("赵同学") && ok.contains("3.0"));
    assert!(
        !ok.contains(&mobile) && !ok.contains("赵敏"),
        "only the chosen name and hours"
    );
    let (status, json) = anyone
        .get_json(&format!("/api/v1/certificates/{code}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["display_name"], Value::from("赵同学"));
    assert_eq!(json["hours"], Value::from("3.0"));
    let keys: Vec<&String> = json.as_object().expect("obj").keys().collect();
    assert_eq!(keys.len(), 4, "nothing else: {keys:?}");
    // One changed character fails, on the page and in the API.
    let alphabet = wushe_core::volunteers::certificate::ALPHABET;
    let plain: Vec<u8> = code.bytes().filter(|b| *b != b'-').collect();
    for pos in [0, 5, 8, 15] {
        let c = alphabet.iter().find(|c| **c != plain[pos]).expect("other");
        let mut t = plain.clone();
        t[pos] = *c;
        let t = String::from_utf8(t).expect("ascii");
        assert_eq!(
            anyone.get(&format!("/verify?code={t}")).await.status(),
            StatusCode::NOT_FOUND,
            "{t}"
        );
        assert_eq!(
            anyone
                .get_json(&format!("/api/v1/certificates/{t}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        anyone.get_json("/api/v1/certificates/unknown").await.0,
        StatusCode::NOT_FOUND
    );
    // Another volunteer cannot open this certificate page.
    let (w2, m2) = volunteer(&app, p.campaign, &staff_actor, "钱七", QIAOYI).await;
    let mut v2 = login_volunteer(&app, w2, &m2).await;
    assert_eq!(v2.get(&cert_path).await.status(), StatusCode::NOT_FOUND);
    let empty = v
        .post_form("/me/certificates", &[("display_name", " ")])
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_volunteer_sees_only_their_own_shifts_and_no_staff_pages() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let staff_actor = actor(&app, Role::SocialWorker, QIAOYI).await;
    let (vid, mobile) = volunteer(&app, p.campaign, &staff_actor, "孙八", QIAOYI).await;
    let mut v = login_volunteer(&app, vid, &mobile).await;
    let page = body(v.get("/me/shifts").await).await;
    assert!(
        !page.contains("CANARY-VOLUNTEER"),
        "no other volunteer's name"
    );
    for path in [
        format!("/posts/{}", p.post),
        format!("/volunteers/campaigns/{}", p.campaign),
    ] {
        assert_eq!(v.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in ["/posts", "/volunteers", "/volunteers/hours.xlsx"] {
        assert_eq!(v.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        v.post_form(
            &format!("/bookings/{}/attendance", p.booking),
            &[("action", "no_show")]
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        v.post_form(
            &format!("/shifts/{}/assign", p.shift),
            &[("user", &vid.to_string())]
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    // Staff have no shifts of their own.
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    assert_eq!(
        staff.get("/me/shifts").await.status(),
        StatusCode::FORBIDDEN
    );
    // Staff of another street see nothing of this one.
    let mut far = app.login_as(Role::SocialWorker, DAPUQIAO).await;
    assert_eq!(
        far.get(&format!("/posts/{}", p.post)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        far.post_form(&format!("/volunteers/signups/{}/approve", p.signup), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn staff_set_up_posts_and_shifts_assign_volunteers_and_edit_profiles_are_checked() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    let res = staff
        .post_form(
            "/posts",
            &[("kind", "rocket"), ("name", ""), ("region", "3101")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    assert!(html.contains("kind-err") && html.contains("name-err") && html.contains("region-err"));
    let res = staff
        .post_form(
            "/posts",
            &[
                ("kind", "checkpoint"),
                ("name", "越界卡口"),
                ("region", QIAOER),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("只能在您负责的社区设岗"));
    let res = staff
        .post_form(
            "/posts",
            &[
                ("kind", "testing_site"),
                ("name", "桥一采样点"),
                ("region", QIAOYI),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let post = res.headers()["location"].to_str().expect("l").to_string();
    let date = (app.clock.now() + Duration::days(2))
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("o"))
        .date();
    let date = format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    let res = staff
        .post_form(
            &format!("{post}/shifts"),
            &[
                ("date", "2026-13-01"),
                ("start", "25:00"),
                ("end", "08:00"),
                ("slots", "0"),
                ("days", "40"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    for f in ["date-err", "start-err", "slots-err", "days-err"] {
        assert!(html.contains(f), "{f}");
    }
    let res = staff
        .post_form(
            &format!("{post}/shifts"),
            &[
                ("date", &date),
                ("start", "08:00"),
                ("end", "12:00"),
                ("slots", "1"),
                ("days", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let pid: PostId = post
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("post id");
    let shifts = app.state.store.shifts_of_post(pid).await.expect("s");
    assert_eq!(shifts.len(), 7, "a week of shifts");
    // The assign page lists the volunteers who may serve there, with their skills.
    let page = body(staff.get(&format!("/shifts/{}/assign", shifts[0].id)).await).await;
    assert!(
        page.contains(&format!("CANARY-VOLUNTEER-{QIAOYI}")) && page.contains("急救"),
        "{page}"
    );
    // Assign the planted volunteer; the one slot fills; a second assign is refused as full.
    let res = staff
        .post_form(
            &format!("/shifts/{}/assign", shifts[0].id),
            &[("user", &p.volunteer.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let staff_actor = actor(&app, Role::SocialWorker, QIAOYI).await;
    let (other, _) = volunteer(&app, p.campaign, &staff_actor, "周九", QIAOYI).await;
    let res = staff
        .post_form(
            &format!("/shifts/{}/assign", shifts[0].id),
            &[("user", &other.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("名额已满"));
    // Assigning a staff member (no volunteer role) or garbage is refused.
    let (sw, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    for u in [sw.to_string(), "nobody".into()] {
        let res = staff
            .post_form(&format!("/shifts/{}/assign", shifts[1].id), &[("user", &u)])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The volunteer edits the profile: bad values refused, good ones saved.
    let mobile = app
        .state
        .store
        .user(p.volunteer)
        .await
        .expect("u")
        .expect("e")
        .username;
    let mut v = login_volunteer(&app, p.volunteer, &mobile).await;
    let team = org_in(&app, WULIQIAO, OrgKind::VolunteerTeam).await;
    let not_team = org_in(&app, WULIQIAO, OrgKind::Charity).await;
    let res = v
        .post_form(
            "/me/profile",
            &[
                ("skills", "juggling"),
                ("home_community", "31"),
                ("team", &not_team.to_string()),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    assert!(html.contains("skills-err") && html.contains("availability-err"));
    let res = v
        .post_form(
            "/me/profile",
            &[
                ("skills", "medical"),
                ("skills", "driver_with_vehicle"),
                ("availability", "nights"),
                ("home_community", QIAOER),
                ("team", &team.to_string()),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let pr = app
        .state
        .store
        .profile(p.volunteer)
        .await
        .expect("p")
        .expect("e");
    assert_eq!(
        (pr.home_community.0.as_str(), pr.team, pr.version),
        (QIAOER, Some(team), 2)
    );
    let res = v
        .post_form(
            "/me/profile",
            &[
                ("availability", "nights"),
                ("home_community", QIAOER),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "a stale form");
    let res = v
        .post_form(
            "/me/profile",
            &[
                ("availability", "nights"),
                ("home_community", QIAOER),
                ("team", &not_team.to_string()),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("志愿者队"));
}

#[tokio::test]
async fn the_hours_export_is_an_xlsx_with_formula_cells_neutralised() {
    use calamine::{Reader, Xlsx};
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let staff_actor = actor(&app, Role::SocialWorker, QIAOYI).await;
    let (vid, _) = volunteer(
        &app,
        p.campaign,
        &staff_actor,
        "=HYPERLINK(\"http://x\")",
        QIAOYI,
    )
    .await;
    let v = load_actor(app.state.store.as_ref(), vid)
        .await
        .expect("a")
        .expect("v");
    let s = app.state.store.as_ref();
    let now = app.clock.now();
    let b = service::book(s, &v, p.shift, now).await.expect("book");
    app.clock.advance(Duration::days(1));
    service::attend_by_lead(s, &staff_actor, b, "check_in", app.clock.now())
        .await
        .expect("in");
    app.clock.advance(Duration::hours(2));
    service::attend_by_lead(s, &staff_actor, b, "check_out", app.clock.now())
        .await
        .expect("out");
    // A need's task given to the volunteer by name and completed 35 minutes later: its time
    // counts as on the service record (accepted → completed).
    let link = crate::track::submit(&app, "hours-export-task", "supplies", "米").await;
    let need = crate::dispatch::need_id(&app, &link).await;
    let t = tasks::dispatch(
        app.state.dispatcher(),
        &staff_actor,
        need,
        "door_visit",
        app.clock.now(),
    )
    .await
    .expect("dispatch");
    tasks::assign(
        app.state.dispatcher(),
        &staff_actor,
        t.id,
        &vid.to_string(),
        app.clock.now(),
    )
    .await
    .expect("assign");
    app.clock.advance(Duration::minutes(35));
    tasks::complete(
        app.state.dispatcher(),
        &v,
        t.id,
        "已上门看望",
        app.clock.now(),
    )
    .await
    .expect("complete");
    let (_, record) = service::my_shifts(s, &v).await.expect("record");
    assert_eq!(
        record, 155,
        "the service record: 2 h of shift and 35 min of task"
    );
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    let res = staff.get("/volunteers/hours.xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ct")
            .contains("spreadsheetml")
    );
    let bytes = res.bytes().await.expect("bytes");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let sheet = book.worksheet_range_at(0).expect("sheet").expect("range");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][1], "'=HYPERLINK(\"http://x\")");
    assert_eq!(rows[0].len(), 7, "{rows:?}");
    assert_eq!(rows[0][5], "任务时长（小时）");
    assert_eq!(
        rows[1][2..],
        ["1", "2", "1", "0.6", "2.6"],
        "shifts, shift hours, tasks, task hours, total (as the record)"
    );
    let formulas = book.worksheet_formula("Sheet1").expect("formulas");
    assert!(
        formulas.used_cells().next().is_none(),
        "no formula in the file"
    );
    // Staff of another street export nothing of this one.
    let mut far = app.login_as(Role::SocialWorker, DAPUQIAO).await;
    let bytes = far
        .get("/volunteers/hours.xlsx")
        .await
        .bytes()
        .await
        .expect("b");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    assert_eq!(
        book.worksheet_range_at(0)
            .expect("s")
            .expect("r")
            .rows()
            .count(),
        1
    );
}

#[tokio::test]
async fn public_sign_ups_are_rate_limited_like_the_intake() {
    let app = TestApp::spawn_with(|c| {
        c.intake_per_ip_per_minute = 2;
        c.intake_global_per_second = 0;
    })
    .await;
    let p = plant(&app, QIAOYI).await;
    let mut public = app.client();
    let path = format!("/callups/{}", p.campaign);
    public.get(&path).await;
    for _ in 0..2 {
        let res = public.post_form(&path, &[("name", "x")]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = public.post_form(&path, &[("name", "x")]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    // A closed or unknown call-up is not found.
    assert_eq!(
        public.get("/callups/not-an-id").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        public
            .get(&format!("/callups/{}", CampaignId::new()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn scanning_the_post_code_while_signed_out_comes_back_to_it_after_login() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let token = service::post_token(&app.state.cipher, p.post).expect("token");
    let scan = format!("/posts/{}/scan?t={token}", p.post);
    let mut v = app.client();
    let res = v.get(&scan).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().expect("l").to_string();
    assert!(to.starts_with("/login?next="), "{to}");
    let next: String = url_decode(to.trim_start_matches("/login?next="));
    assert_eq!(next, scan);
    let mobile = app
        .state
        .store
        .user(p.volunteer)
        .await
        .expect("u")
        .expect("e")
        .username;
    let hash = wushe_core::users::password::hash(VPASS).expect("hash");
    app.state
        .store
        .change_password(
            p.volunteer,
            &hash,
            app.clock.now(),
            None,
            &AuditEvent::new(Action::PasswordChanged, app.clock.now()),
        )
        .await
        .expect("password");
    v.get("/login").await;
    let res = v
        .post_form(
            "/login",
            &[("username", &mobile), ("password", VPASS), ("next", &next)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"].to_str().expect("l"), scan);
    assert_eq!(v.get(&scan).await.status(), StatusCode::OK);
}

fn url_decode(s: &str) -> String {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("x={s}")).expect("decode");
    pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default()
}

#[tokio::test]
async fn a_post_lead_runs_attendance_but_nothing_else() {
    let app = TestApp::spawn().await;
    let p = plant(&app, QIAOYI).await;
    let staff_actor = actor(&app, Role::SocialWorker, QIAOYI).await;
    let (lead, lead_mobile) = volunteer(&app, p.campaign, &staff_actor, "组长吴", QIAOYI).await;
    let (other, other_mobile) = volunteer(&app, p.campaign, &staff_actor, "组员郑", QIAOYI).await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    let path = format!("/posts/{}/lead", p.post);
    // Only a volunteer who may serve there can lead.
    let (sw, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    for bad in [sw.to_string(), "x".into()] {
        let res = staff.post_form(&path, &[("lead", &bad)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = staff.post_form(&path, &[("lead", &lead.to_string())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let roster = body(staff.get(&format!("/posts/{}", p.post)).await).await;
    assert!(roster.contains("<strong class=\"post-lead\">组长吴</strong>"));
    // The lead finds the post on their phone page and marks the planted volunteer.
    app.clock.advance(Duration::days(1) + Duration::minutes(5));
    let mut l = login_volunteer(&app, lead, &lead_mobile).await;
    let mine = body(l.get("/me/shifts").await).await;
    assert!(mine.contains(&format!("/posts/{}", p.post)), "{mine}");
    let roster = body(l.get(&format!("/posts/{}", p.post)).await).await;
    assert!(roster.contains(&format!("CANARY-VOLUNTEER-{QIAOYI}")));
    assert!(
        !roster.contains("/shifts\" class") && !roster.contains("添加班次"),
        "no shift form for a lead"
    );
    let res = l
        .post_form(
            &format!("/bookings/{}/attendance", p.booking),
            &[("action", "check_in")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // But cannot add shifts, assign or change the lead.
    for (path, fields) in [
        (
            format!("/posts/{}/shifts", p.post),
            vec![
                ("date", "2026-04-03"),
                ("start", "08:00"),
                ("end", "12:00"),
                ("slots", "2"),
            ],
        ),
        (format!("/shifts/{}/assign", p.shift), vec![("user", "x")]),
        (format!("/posts/{}/lead", p.post), vec![("lead", "")]),
    ] {
        let res = l.post_form(&path, &fields).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Another volunteer is not the lead.
    let mut o = login_volunteer(&app, other, &other_mobile).await;
    assert_eq!(
        o.get(&format!("/posts/{}", p.post)).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = o
        .post_form(
            &format!("/bookings/{}/attendance", p.booking),
            &[("action", "check_out")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let b = app
        .state
        .store
        .booking(p.booking)
        .await
        .expect("b")
        .expect("e");
    assert_eq!(b.state, BookingState::CheckedIn);
    // Clearing the lead ends it.
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    assert_eq!(
        staff.post_form(&path, &[("lead", "")]).await.status(),
        StatusCode::SEE_OTHER
    );
    let mut l = login_volunteer(&app, lead, &lead_mobile).await;
    assert_eq!(
        l.get(&format!("/posts/{}", p.post)).await.status(),
        StatusCode::NOT_FOUND
    );
}
