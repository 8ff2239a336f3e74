//! Volunteer tasks from needs end to end over HTTP: the automatic offer goes to the free,
//! skilled volunteer of the community (not the busier, farther, unskilled or unavailable one);
//! a decline and a timeout move it on; nobody left → 无人接单 with staff notified; accepting,
//! the audited address and phone (only while accepted), completing with a note and the hours;
//! the claim pool (first claim wins); staff overrides; bad input; a volunteer sees only their
//! own offers; cancelling one's own booking.

use std::collections::HashSet;

use reqwest::StatusCode;
use time::Duration;
use wushe_app::jobs;
use wushe_core::Clock;
use wushe_core::actor::Role;
use wushe_core::dispatch::offers::available_at;
use wushe_core::dispatch::record::{Mode, OfferState, TaskState, VolunteerTask};
use wushe_core::ids::{NeedId, OrgId, UserId};
use wushe_core::needs::timeline::EventKind;
use wushe_core::orgs::OrgKind;
use wushe_core::volunteers::signup::SignupForm;
use wushe_core::volunteers::{Availability, service, tasks};

use crate::harness::*;
use crate::volunteers::{VPASS, actor, campaign_form, org_in};

/// A volunteer who can log in: approved from a call-up in `grant_region`, living in `home`.
pub struct Vol {
    pub id: UserId,
    pub username: String,
}

pub async fn volunteer(
    app: &TestApp,
    staff: &wushe_core::Actor,
    grant_region: &str,
    home: &str,
    skills: &[&str],
    availability: &[&str],
) -> Vol {
    let s = &app.state;
    let now = app.clock.now();
    let org = org_in(app, grant_region, OrgKind::Station).await;
    let campaign = service::publish(
        s.store.as_ref(),
        staff,
        &campaign_form(org, grant_region, now),
        now,
    )
    .await
    .expect("campaign");
    let mobile = format!(
        "137{:08}",
        u32::from_le_bytes(
            uuid::Uuid::now_v7().as_bytes()[12..16]
                .try_into()
                .expect("4")
        ) % 100_000_000
    );
    let form = SignupForm {
        role: "采样点秩序维护".into(),
        name: "李志愿".into(),
        mobile: mobile.clone(),
        age: "35".into(),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        availability: availability.iter().map(|s| s.to_string()).collect(),
        home_community: home.into(),
        privacy_consent: true,
    };
    let sid = service::sign_up(s.store.as_ref(), &s.cipher, campaign, &form, now)
        .await
        .expect("sign up");
    let ok = service::approve(
        s.store.as_ref(),
        &s.cipher,
        staff,
        sid,
        "!no-password-until-the-link-is-used",
        format!("secret-{}", uuid::Uuid::now_v7().simple()),
        now,
    )
    .await
    .expect("approve");
    let hash = wushe_core::users::password::hash(VPASS).expect("hash");
    service::set_password_by_link(s.store.as_ref(), &ok.link_secret, &hash, now)
        .await
        .expect("password");
    Vol {
        id: ok.user,
        username: ok.username,
    }
}

pub const ALWAYS: &[&str] = &[
    "weekday_mornings",
    "weekday_afternoons",
    "weekday_evenings",
    "weekends",
    "nights",
];

/// Availability windows that do not cover the app's "now".
fn never_now(app: &TestApp) -> Vec<&'static str> {
    let now = app.clock.now();
    Availability::ALL
        .into_iter()
        .filter(|w| !available_at(&[*w], now))
        .map(Availability::as_str)
        .collect()
}

pub async fn login_volunteer(app: &TestApp, v: &Vol) -> TestClient {
    let mut c = app.client();
    let res = c.login(&v.username, VPASS).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "volunteer login");
    c
}

pub async fn need_id(app: &TestApp, link: &str) -> NeedId {
    let (code, _) = crate::track::parts(link);
    crate::track::need(app, &code).await.id
}

pub async fn tasks_of(app: &TestApp, need: NeedId) -> Vec<VolunteerTask> {
    app.state
        .store
        .volunteer_tasks_of_need(need)
        .await
        .expect("tasks")
}

/// The volunteer currently offered the need's only task, and the offer id.
pub async fn open_offer(app: &TestApp, need: NeedId) -> Option<(UserId, String)> {
    let t = tasks_of(app, need).await.pop()?;
    app.state
        .store
        .offers_of_task(t.id)
        .await
        .expect("offers")
        .into_iter()
        .find(|o| o.state == OfferState::Open)
        .map(|o| (o.volunteer, o.id.to_string()))
}

async fn timeline(app: &TestApp, need: NeedId) -> Vec<(EventKind, Option<UserId>)> {
    app.state
        .store
        .need_events(need)
        .await
        .expect("events")
        .into_iter()
        .map(|e| (e.kind, e.data.user))
        .collect()
}

async fn dispatch_over_http(c: &mut TestClient, need: NeedId, kind: &str) {
    c.get(&format!("/needs/{need}")).await;
    let res = c
        .post_form(
            &format!("/needs/{need}/dispatch"),
            &[("action", "dispatch"), ("kind", kind), ("version", "0")],
        )
        .await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "dispatch: {}",
        text(res).await
    );
}

/// Run the periodic jobs once, as the worker would.
async fn run_jobs(app: &TestApp) {
    jobs::enqueue_periodic(&app.state).await.expect("enqueue");
    jobs::drain(&app.state).await.expect("drain");
}

#[tokio::test]
async fn a_medication_delivery_is_offered_to_the_free_skilled_volunteer_of_the_community_and_a_decline_and_a_timeout_move_it_on()
 {
    let app = TestApp::spawn_with(|c| c.dispatch_offer_seconds = 30).await;
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let best = volunteer(&app, &street, QIAOYI, QIAOYI, &["medical"], ALWAYS).await;
    let busier = volunteer(&app, &street, QIAOYI, QIAOYI, &["medical"], ALWAYS).await;
    let farther = volunteer(&app, &street, WULIQIAO, QIAOER, &["medical"], ALWAYS).await;
    let unskilled = volunteer(&app, &street, QIAOYI, QIAOYI, &["first_aid"], ALWAYS).await;
    let away = volunteer(
        &app,
        &street,
        QIAOYI,
        QIAOYI,
        &["medical"],
        &never_now(&app),
    )
    .await;
    let elsewhere = volunteer(&app, &street, QIAOER, QIAOER, &["medical"], ALWAYS).await;
    // The busier one already holds a task (given by name).
    let other = need_id(
        &app,
        &crate::track::submit(&app, "dispatch-busy-1", "supplies", "米").await,
    )
    .await;
    let t = tasks::dispatch(
        app.state.dispatcher(),
        &street,
        other,
        "door_visit",
        app.clock.now(),
    )
    .await
    .expect("dispatch");
    tasks::assign(
        app.state.dispatcher(),
        &street,
        t.id,
        &busier.id.to_string(),
        app.clock.now(),
    )
    .await
    .expect("assign");

    let link =
        crate::track::submit(&app, "dispatch-medicine-1", "medication", "降压药吃完了").await;
    let need = need_id(&app, &link).await;
    let before = app.state.store.need(need).await.expect("n").expect("need");
    assert_eq!(before.acknowledged_at, None, "nobody has answered yet");
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    dispatch_over_http(&mut staff, need, "deliver_medicine").await;
    let after = app.state.store.need(need).await.expect("n").expect("need");
    assert!(
        after.acknowledged_at.is_some() && after.version > before.version,
        "giving a task to volunteers stops the first-response clock"
    );
    let (first, offer) = open_offer(&app, need).await.expect("offered");
    assert_eq!(
        first,
        best.id,
        "the free, skilled volunteer of the community first; busier {} farther {} unskilled {} away {} elsewhere {}; candidates {:?}",
        busier.id,
        farther.id,
        unskilled.id,
        away.id,
        elsewhere.id,
        app.state
            .store
            .dispatch_candidates(&wushe_core::regions::RegionCode::parse(QIAOYI).expect("c"))
            .await
            .expect("c")
    );
    let page = text(staff.get(&format!("/needs/{need}")).await).await;
    assert!(page.contains("等待志愿者答复"), "{page}");

    // The volunteer sees the offer but not yet the address or phone.
    let mut v = login_volunteer(&app, &best).await;
    let mine = text(v.get("/me/tasks").await).await;
    assert!(mine.contains("送药") && mine.contains("接单"), "{mine}");
    assert!(!mine.contains("13812345678"), "no phone before accepting");
    let res = v
        .post_form(
            &format!("/me/offers/{offer}/decline"),
            &[("reason", "人在外地")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (second, _) = open_offer(&app, need).await.expect("moved on");
    assert_eq!(second, busier.id, "same community before the farther one");

    // No answer within the timeout: the job moves it on (once, however often it runs).
    app.clock.advance(Duration::seconds(29));
    run_jobs(&app).await;
    assert_eq!(open_offer(&app, need).await.expect("still").0, busier.id);
    // The sweep runs every 10 seconds: at most that long after the timeout.
    app.clock.advance(Duration::seconds(11));
    run_jobs(&app).await;
    run_jobs(&app).await;
    let (third, offer3) = open_offer(&app, need).await.expect("moved on again");
    assert_eq!(third, farther.id);

    let asked: HashSet<UserId> = app
        .state
        .store
        .offers_of_task(tasks_of(&app, need).await[0].id)
        .await
        .expect("offers")
        .into_iter()
        .map(|o| o.volunteer)
        .collect();
    for never in [&unskilled, &away, &elsewhere] {
        assert!(
            !asked.contains(&never.id),
            "never offered to {}",
            never.username
        );
    }
    let kinds: Vec<EventKind> = timeline(&app, need)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    for k in [
        EventKind::TaskAdded,
        EventKind::TaskOffered,
        EventKind::OfferDeclined,
        EventKind::OfferExpired,
    ] {
        assert!(kinds.contains(&k), "{k:?} on the timeline: {kinds:?}");
    }

    // The third accepts: the resident's page says a volunteer is on the way, nothing more.
    let mut v3 = login_volunteer(&app, &farther).await;
    let res = v3
        .post_form(&format!("/me/offers/{offer3}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let track = text(app.client().get(&link).await).await;
    assert!(
        track.contains("class=\"ok on-the-way\">志愿者正在路上"),
        "{track}"
    );
    assert!(!track.contains("李志愿") && !track.contains(&farther.username));
    assert_eq!(tasks_of(&app, need).await[0].state, TaskState::Accepted);
}

#[tokio::test]
async fn accepting_shows_the_address_and_phone_audited_until_done_and_the_hours_count() {
    let app = TestApp::spawn().await;
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let vol = volunteer(&app, &street, QIAOYI, QIAOYI, &["medical"], ALWAYS).await;
    let link = crate::track::submit(&app, "dispatch-accept-1", "medication", "需要送药").await;
    let need = need_id(&app, &link).await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    dispatch_over_http(&mut staff, need, "deliver_medicine").await;
    let (who, offer) = open_offer(&app, need).await.expect("offered");
    assert_eq!(who, vol.id);
    let mut v = login_volunteer(&app, &vol).await;
    assert_eq!(
        v.post_form(&format!("/me/offers/{offer}/accept"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let task = tasks_of(&app, need).await[0].id;
    let page = text(v.get("/me/tasks").await).await;
    assert!(page.contains("显示地址和电话") && !page.contains("13812345678"));
    let before = audit_count(&app, "task_contact_shown").await;
    let res = v.post_form(&format!("/me/tasks/{task}/contact"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = text(res).await;
    assert!(page.contains("13812345678"), "{page}");
    assert_eq!(
        audit_count(&app, "task_contact_shown").await,
        before + 2,
        "each value audited"
    );

    // Complete: a note is needed; the hours go on the record (accepted → done).
    app.clock.advance(Duration::minutes(25));
    let res = v
        .post_form(&format!("/me/tasks/{task}/complete"), &[("note", " ")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("请简单写下做了什么"));
    let res = v
        .post_form(
            &format!("/me/tasks/{task}/complete"),
            &[("note", "药已送到本人手上")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let done = tasks_of(&app, need).await.remove(0);
    assert_eq!((done.state, done.minutes), (TaskState::Done, 25));
    let res = v.post_form(&format!("/me/tasks/{task}/contact"), &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "no address after the task is done"
    );
    assert!(!text(res).await.contains("13812345678"));
    let shifts = text(v.get("/me/shifts").await).await;
    assert!(
        shifts.contains("<strong>0.4</strong>"),
        "25 minutes on the record: {shifts}"
    );
    let kinds: Vec<EventKind> = timeline(&app, need)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert!(kinds.contains(&EventKind::TaskAccepted) && kinds.contains(&EventKind::TaskDone));
    let track = text(app.client().get(&link).await).await;
    assert!(
        !track.contains("on-the-way"),
        "done: the banner is gone (the timeline keeps the line)"
    );
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    app.state
        .store
        .audit_page(0, 100_000)
        .await
        .expect("audit")
        .iter()
        .filter(|e| e.action == action)
        .count()
}

#[tokio::test]
async fn an_offer_that_ran_out_cannot_be_accepted_and_a_volunteer_cannot_answer_someone_elses() {
    let app = TestApp::spawn_with(|c| c.dispatch_offer_seconds = 30).await;
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let vol = volunteer(&app, &street, QIAOYI, QIAOYI, &[], ALWAYS).await;
    let other = volunteer(&app, &street, QIAOER, QIAOER, &[], ALWAYS).await;
    let need = need_id(
        &app,
        &crate::track::submit(&app, "dispatch-late-1", "supplies", "米").await,
    )
    .await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    dispatch_over_http(&mut staff, need, "supplies").await;
    let (_, offer) = open_offer(&app, need).await.expect("offered");
    let mut intruder = login_volunteer(&app, &other).await;
    for action in ["accept", "decline"] {
        let res = intruder
            .post_form(&format!("/me/offers/{offer}/{action}"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let res = intruder.get("/me/tasks").await;
    assert!(
        !text(res).await.contains("送物资"),
        "not someone else's offer"
    );
    let mut v = login_volunteer(&app, &vol).await;
    let long = "太".repeat(201);
    let res = v
        .post_form(&format!("/me/offers/{offer}/decline"), &[("reason", &long)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(res).await;
    assert!(
        page.contains("原因太长") && page.contains("aria-invalid"),
        "{page}"
    );
    assert!(
        open_offer(&app, need).await.is_some(),
        "a refused decline changes nothing"
    );
    app.clock.advance(Duration::seconds(31));
    let mut v = login_volunteer(&app, &vol).await;
    let res = v
        .post_form(&format!("/me/offers/{offer}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text(res).await.contains("已过期"));
    let res = v.post_form("/me/offers/not-an-id/accept", &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nobody_left_shows_wurenjiedan_and_notifies_staff_who_can_then_assign_by_name() {
    let app = TestApp::spawn().await;
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let need = need_id(
        &app,
        &crate::track::submit(&app, "dispatch-none-1", "medication", "药").await,
    )
    .await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    // Nobody has the medical skill.
    let vol = volunteer(&app, &street, QIAOYI, QIAOYI, &["first_aid"], ALWAYS).await;
    dispatch_over_http(&mut staff, need, "deliver_medicine").await;
    assert_eq!(tasks_of(&app, need).await[0].state, TaskState::Unclaimed);
    let page = text(staff.get(&format!("/needs/{need}")).await).await;
    assert!(page.contains("无人接单"), "{page}");
    let me = staff.user_id.expect("id");
    let notes = app.state.store.notifications(me, 10).await.expect("n");
    assert!(
        notes
            .iter()
            .any(|n| n.kind == EventKind::TaskUnclaimed && n.need == Some(need))
    );

    // Bad input: a kind volunteers do not take, a task of another need, someone not serving here.
    let task = tasks_of(&app, need).await[0].id.to_string();
    let res = staff
        .post_form(
            &format!("/needs/{need}/dispatch"),
            &[("action", "dispatch"), ("kind", "other")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = staff
        .post_form(
            &format!("/needs/{need}/dispatch"),
            &[
                ("action", "assign_volunteer"),
                ("task", &task),
                ("to", &me.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(res)
            .await
            .contains("请从列表中选择一位可在这里服务的志愿者")
    );
    let res = staff
        .post_form(
            &format!("/needs/{need}/dispatch"),
            &[
                ("action", "assign_volunteer"),
                ("task", "nonsense"),
                ("to", "x"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(res).await.contains("请从列表中选择"),
        "said on the page"
    );
    // Staff assign by name: the volunteer has it at once.
    let res = staff
        .post_form(
            &format!("/needs/{need}/dispatch"),
            &[
                ("action", "assign_volunteer"),
                ("task", &task),
                ("to", &vol.id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let t = tasks_of(&app, need).await.remove(0);
    assert_eq!((t.state, t.volunteer), (TaskState::Accepted, Some(vol.id)));
    let mut v = login_volunteer(&app, &vol).await;
    assert!(
        text(v.get("/me/tasks").await)
            .await
            .contains("显示地址和电话")
    );
    // Then cancel it: done with.
    let res = staff
        .post_form(
            &format!("/needs/{need}/dispatch"),
            &[("action", "cancel_task"), ("task", &task)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(tasks_of(&app, need).await[0].state, TaskState::Cancelled);
    let res = v.post_form(&format!("/me/tasks/{task}/contact"), &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn staff_withdraw_an_offer_and_it_goes_to_the_next_never_back() {
    let app = TestApp::spawn().await;
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let a = volunteer(&app, &street, QIAOYI, QIAOYI, &[], ALWAYS).await;
    let b = volunteer(&app, &street, WULIQIAO, QIAOER, &[], ALWAYS).await;
    let need = need_id(
        &app,
        &crate::track::submit(&app, "dispatch-withdraw-1", "supplies", "米").await,
    )
    .await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    dispatch_over_http(&mut staff, need, "door_visit").await;
    assert_eq!(open_offer(&app, need).await.expect("o").0, a.id);
    let task = tasks_of(&app, need).await[0].id.to_string();
    let withdraw = [("action", "withdraw"), ("task", task.as_str())];
    let url = format!("/needs/{need}/dispatch");
    assert_eq!(
        staff.post_form(&url, &withdraw).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(open_offer(&app, need).await.expect("o").0, b.id);
    assert_eq!(
        staff.post_form(&url, &withdraw).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        tasks_of(&app, need).await[0].state,
        TaskState::Unclaimed,
        "never back to a"
    );
    let res = staff.post_form(&url, &withdraw).await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "nothing left to withdraw"
    );
    let kinds: Vec<EventKind> = timeline(&app, need)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::OfferWithdrawn)
            .count(),
        2
    );
    // Someone from another street sees nothing of it.
    let mut foreign = app.login_as(Role::SocialWorker, DAPUQIAO).await;
    let res = foreign.post_form(&url, &withdraw).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn in_a_claim_pool_the_first_claim_wins() {
    let app = TestApp::spawn().await;
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let a = volunteer(&app, &street, QIAOYI, QIAOYI, &[], ALWAYS).await;
    let b = volunteer(&app, &street, QIAOYI, QIAOYI, &[], ALWAYS).await;
    let org: OrgId = org_in(&app, QIAOYI, OrgKind::Committee).await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    staff.get(&format!("/orgs/{org}")).await;
    let res = staff
        .post_form(&format!("/orgs/{org}/dispatch"), &[("mode", "juggling")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = staff
        .post_form(&format!("/orgs/{org}/dispatch"), &[("mode", "pool")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.state
            .store
            .dispatch_mode(&wushe_core::regions::RegionCode::parse(QIAOYI).expect("c"))
            .await
            .expect("m"),
        Some(Mode::Pool)
    );
    let need = need_id(
        &app,
        &crate::track::submit(&app, "dispatch-pool-1", "supplies", "米").await,
    )
    .await;
    dispatch_over_http(&mut staff, need, "supplies").await;
    let task = tasks_of(&app, need).await.remove(0);
    assert_eq!(task.state, TaskState::Pool);
    let mut va = login_volunteer(&app, &a).await;
    let mut vb = login_volunteer(&app, &b).await;
    assert!(text(vb.get("/me/tasks").await).await.contains("认领"));
    let url = format!("/me/tasks/{}/claim", task.id);
    assert_eq!(
        va.post_form(&url, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let res = vb.post_form(&url, &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text(res).await.contains("被别人接走"));
    let t = tasks_of(&app, need).await.remove(0);
    assert_eq!((t.state, t.volunteer), (TaskState::Accepted, Some(a.id)));
    // A volunteer of another community cannot claim here.
    let district = actor(&app, Role::SocialWorker, HUANGPU).await;
    let c = volunteer(
        &app,
        &district,
        DAPUQIAO_COMMUNITY,
        DAPUQIAO_COMMUNITY,
        &[],
        ALWAYS,
    )
    .await;
    let need2 = need_id(
        &app,
        &crate::track::submit(&app, "dispatch-pool-2", "supplies", "面").await,
    )
    .await;
    dispatch_over_http(&mut staff, need2, "supplies").await;
    let t2 = tasks_of(&app, need2).await.remove(0);
    let mut vc = login_volunteer(&app, &c).await;
    assert!(!text(vc.get("/me/tasks").await).await.contains("认领"));
    let res = vc
        .post_form(&format!("/me/tasks/{}/claim", t2.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_volunteer_cancels_their_own_booking_before_the_shift_starts_and_not_after() {
    let app = TestApp::spawn().await;
    let p = crate::volunteers::plant(&app, QIAOYI).await;
    let shift = app
        .state
        .store
        .shift(p.shift)
        .await
        .expect("s")
        .expect("exists");
    assert_eq!(shift.taken, 1);
    // The planted volunteer logs in through a fresh password link is not possible: book anew.
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let vol = volunteer(&app, &street, QIAOYI, QIAOYI, &[], ALWAYS).await;
    let mut v = login_volunteer(&app, &vol).await;
    v.get("/me/shifts").await;
    assert_eq!(
        v.post_form(&format!("/shifts/{}/book", p.shift), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let booking = app
        .state
        .store
        .bookings_of_user(vol.id)
        .await
        .expect("b")
        .remove(0)
        .id;
    // Someone else's booking: not found.
    let res = v
        .post_form(&format!("/me/bookings/{}/cancel", p.booking), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = v
        .post_form(&format!("/me/bookings/{booking}/cancel"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.state
            .store
            .shift(p.shift)
            .await
            .expect("s")
            .expect("e")
            .taken,
        1
    );
    assert!(app.state.store.booking(booking).await.expect("b").is_none());
    // Book again, then the shift starts: too late to cancel, with a clear message.
    v.post_form(&format!("/shifts/{}/book", p.shift), &[]).await;
    let booking = app
        .state
        .store
        .bookings_of_user(vol.id)
        .await
        .expect("b")
        .remove(0)
        .id;
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    let mut v = login_volunteer(&app, &vol).await;
    let res = v
        .post_form(&format!("/me/bookings/{booking}/cancel"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text(res).await.contains("不能再取消"));
    assert_eq!(
        app.state
            .store
            .shift(p.shift)
            .await
            .expect("s")
            .expect("e")
            .taken,
        2
    );
}

/// Volunteer tasks planted on a need for the access matrix: one with an open offer to
/// `volunteer`, one accepted by them.
pub struct PlantedTasks {
    pub offer: wushe_core::ids::OfferId,
    pub offered: wushe_core::ids::TaskId,
    pub accepted: wushe_core::ids::TaskId,
}

pub async fn plant(app: &TestApp, need: NeedId, volunteer: UserId, staff: UserId) -> PlantedTasks {
    use wushe_core::audit::{Action, AuditEvent};
    use wushe_core::dispatch::record::{DispatchChange, Offer};
    use wushe_core::ids::{OfferId, TaskId};
    use wushe_core::needs::timeline::{Task, TaskKind};
    let now = app.clock.now();
    let n = app.state.store.need(need).await.expect("n").expect("need");
    let mut ids = Vec::new();
    for accepted in [false, true] {
        let id = TaskId::new();
        let task = VolunteerTask {
            id,
            need,
            region: n.region.clone(),
            kind: TaskKind::DoorVisit,
            mode: Mode::Offers,
            state: if accepted {
                TaskState::Accepted
            } else {
                TaskState::Offered
            },
            volunteer: accepted.then_some(volunteer),
            created_by: staff,
            created_at: now,
            accepted_at: accepted.then_some(now),
            done_at: None,
            minutes: 0,
            version: 0,
        };
        let offer = (!accepted).then(|| Offer {
            id: OfferId::new(),
            task: id,
            volunteer,
            state: OfferState::Open,
            offered_at: now,
            expires_at: now + Duration::days(365),
            answered_at: None,
        });
        let change = DispatchChange {
            task,
            expected_version: None,
            need_task: Task {
                id,
                need,
                kind: TaskKind::DoorVisit,
                assignee: accepted.then_some(volunteer),
                done: false,
                created_at: now,
                done_at: None,
            },
            answer: None,
            offer: offer.clone(),
            events: Vec::new(),
            notifications: Vec::new(),
            acknowledge_need: None,
        };
        app.state
            .store
            .apply_dispatch(&change, &AuditEvent::new(Action::TaskDispatched, now))
            .await
            .expect("plant task");
        ids.push((id, offer.map(|o| o.id)));
    }
    PlantedTasks {
        offer: ids[0].1.expect("offer"),
        offered: ids[0].0,
        accepted: ids[1].0,
    }
}

/// What must not change about planted tasks.
pub async fn snapshot(app: &TestApp, p: &PlantedTasks) -> String {
    let s = &app.state.store;
    let mut out = String::new();
    for t in [p.offered, p.accepted] {
        let task = s.volunteer_task(t).await.expect("t").expect("task");
        let offers: Vec<_> = s
            .offers_of_task(t)
            .await
            .expect("o")
            .into_iter()
            .map(|o| (o.volunteer, o.state))
            .collect();
        out += &format!(
            "{:?}/{:?}/v{} {offers:?} ",
            task.state, task.volunteer, task.version
        );
    }
    out
}

#[tokio::test]
async fn when_the_resident_cancels_the_need_an_open_offer_cannot_be_accepted_and_goes_to_nobody() {
    let app = TestApp::spawn_with(|c| c.dispatch_offer_seconds = 30).await;
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let a = volunteer(&app, &street, QIAOYI, QIAOYI, &[], ALWAYS).await;
    let _b = volunteer(&app, &street, QIAOYI, QIAOYI, &[], ALWAYS).await;
    let link = crate::track::submit(&app, "dispatch-ended-1", "supplies", "米").await;
    let need = need_id(&app, &link).await;
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    dispatch_over_http(&mut staff, need, "supplies").await;
    let (who, offer) = open_offer(&app, need).await.expect("offered");
    assert_eq!(who, a.id);
    // The resident cancels on the tracking page.
    let (code, k) = crate::track::parts(&link);
    let mut resident = app.client();
    resident.get(&link).await;
    let res = resident
        .post_form(
            &format!("/t/{code}/cancel"),
            &[("k", &k), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut v = login_volunteer(&app, &a).await;
    let res = v
        .post_form(&format!("/me/offers/{offer}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text(res).await.contains("求助已经结束"));
    app.clock.advance(Duration::seconds(41));
    run_jobs(&app).await;
    assert!(
        open_offer(&app, need).await.is_none(),
        "nobody else is asked"
    );
    assert_eq!(tasks_of(&app, need).await[0].state, TaskState::Cancelled);
}

#[tokio::test]
async fn a_volunteers_task_list_hears_of_offers_where_they_serve_and_shows_only_their_own() {
    use crate::needs_work::events_within;
    let app = TestApp::spawn_with(|c| c.dispatch_offer_seconds = 30).await;
    let street = actor(&app, Role::SocialWorker, WULIQIAO).await;
    let here = volunteer(&app, &street, QIAOYI, QIAOYI, &["medical"], ALWAYS).await;
    let other = volunteer(&app, &street, QIAOYI, QIAOYI, &["medical"], ALWAYS).await;
    let away = volunteer(&app, &street, QIAOER, QIAOER, &["medical"], ALWAYS).await;
    let mut v = login_volunteer(&app, &here).await;
    let mut o = login_volunteer(&app, &other).await;
    let mut a = login_volunteer(&app, &away).await;
    let link = crate::track::submit(&app, "dispatch-live-1", "medication", "降压药吃完了").await;
    let need = need_id(&app, &link).await;

    // An offer arrives: the streams of volunteers serving there say "look again"; the
    // signal carries nothing, and the list each one then fetches is their own.
    let live = v.get("/me/tasks/live").await;
    assert_eq!(live.status(), StatusCode::OK);
    assert!(
        live.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream")
    );
    let live_other = o.get("/me/tasks/live").await;
    let live_away = a.get("/me/tasks/live").await;
    tasks::dispatch(
        app.state.dispatcher(),
        &street,
        need,
        "deliver_medicine",
        app.clock.now(),
    )
    .await
    .expect("dispatch");
    assert_eq!(
        events_within(live, std::time::Duration::from_secs(1)).await,
        1
    );
    assert_eq!(
        events_within(live_other, std::time::Duration::from_secs(1)).await,
        1
    );
    assert_eq!(
        events_within(live_away, std::time::Duration::from_millis(500)).await,
        0,
        "a volunteer of another community hears nothing"
    );
    let (first, _) = open_offer(&app, need).await.expect("offered");
    let (mut got, mut not) = if first == here.id { (v, o) } else { (o, v) };
    assert!(
        text(got.get("/me/tasks").await)
            .await
            .contains("task-offer")
    );
    assert!(
        !text(not.get("/me/tasks").await)
            .await
            .contains("task-offer")
    );

    // It runs out: the sweep moves it on, and both lists hear of it.
    let live_got = got.get("/me/tasks/live").await;
    let live_not = not.get("/me/tasks/live").await;
    app.clock.advance(Duration::seconds(31));
    run_jobs(&app).await;
    assert_eq!(
        events_within(live_got, std::time::Duration::from_secs(1)).await,
        1
    );
    assert_eq!(
        events_within(live_not, std::time::Duration::from_secs(1)).await,
        1
    );
    assert!(
        !text(got.get("/me/tasks").await)
            .await
            .contains("task-offer")
    );
    assert!(
        text(not.get("/me/tasks").await)
            .await
            .contains("task-offer")
    );

    // Staff withdraw it: heard again.
    let live_not = not.get("/me/tasks/live").await;
    tasks::withdraw(
        app.state.dispatcher(),
        &street,
        tasks_of(&app, need).await[0].id,
        app.clock.now(),
    )
    .await
    .expect("withdraw");
    assert_eq!(
        events_within(live_not, std::time::Duration::from_secs(1)).await,
        1
    );
    assert!(
        !text(not.get("/me/tasks").await)
            .await
            .contains("task-offer")
    );

    // Staff have no task list to listen to.
    let mut staff = app.login_as(Role::SocialWorker, QIAOYI).await;
    assert_eq!(
        staff.get("/me/tasks/live").await.status(),
        StatusCode::FORBIDDEN
    );
}
