//! Staff work on the green channel through real HTTP: the scoped queue and its live stream,
//! the need page and every action, "changed meanwhile", referrals across organisations,
//! escalation on the test clock (each level once, the right people notified), staff intake.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use wushe_core::Clock;
use wushe_core::actor::{Grant, Role};
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::ids::{NeedId, OrgId, UserId};
use wushe_core::needs::queue::NeedQuery;
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::orgs::{Org, OrgKind};
use wushe_core::regions::RegionCode;
use wushe_core::users::{NewUser, password};

use crate::harness::*;

fn body(category: &str, description: &str, community: &str) -> Value {
    json!({
        "category": category,
        "description": description,
        "who_for": "family",
        "age": 78,
        "community": community,
        "building": "12号",
        "room": "402室",
        "contact_name": "王小明",
        "mobile": "13812345678",
        "privacy_consent": true,
        "health_consent": true,
    })
}

/// A resident's need through the public API: (need id, tracking link).
async fn submit(
    app: &TestApp,
    category: &str,
    description: &str,
    community: &str,
) -> (NeedId, String) {
    let res = crate::harness::http_client()
        .post(format!("{}/api/v1/needs", app.url))
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(&body(category, description, community))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    let link = v["tracking_link"].as_str().expect("link").to_string();
    let code = link[3..].split('?').next().expect("code").to_string();
    let need = app
        .state
        .store
        .need_by_code(&TrackingCode::parse(&code).expect("code"))
        .await
        .expect("need")
        .expect("stored");
    (need.id, link)
}

/// The need as stored now.
async fn stored(app: &TestApp, id: NeedId) -> wushe_core::needs::record::Need {
    app.state
        .store
        .need(id)
        .await
        .expect("need")
        .expect("exists")
}

async fn version(app: &TestApp, id: NeedId) -> i64 {
    stored(app, id).await.version
}

async fn act(
    c: &mut TestClient,
    app: &TestApp,
    id: NeedId,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let v = version(app, id).await.to_string();
    let mut all = vec![("version", v.as_str())];
    all.extend_from_slice(fields);
    c.post_form(&format!("/needs/{id}/act"), &all).await
}

/// A staff account of `role` over `region` working for `org`, signed in.
async fn org_member(app: &TestApp, role: Role, region: &str, org: OrgId) -> TestClient {
    let username = format!("org-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let region = RegionCode::parse(region).expect("region");
    let user = NewUser {
        username: username.clone(),
        display_name: "慈善机构 员工".into(),
        region: region.clone(),
        grants: vec![Grant {
            role,
            region,
            org: Some(org),
        }],
    };
    let now = OffsetDateTime::now_utc();
    let event =
        AuditEvent::new(Action::UserCreated, now).record(RecordKind::User, Vec::<String>::new());
    let hash = password::hash(PASSWORD).expect("hash");
    let id = app
        .state
        .store
        .insert_user(&user, &hash, now, &event)
        .await
        .expect("user");
    let mut c = app.client();
    assert_eq!(
        c.login(&username, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    c.user_id = Some(id);
    c
}

async fn org(app: &TestApp, name: &str, region: &str) -> OrgId {
    let now = OffsetDateTime::now_utc();
    let o = Org {
        id: OrgId::new(),
        name: name.into(),
        kind: OrgKind::Charity,
        region: RegionCode::parse(region).expect("region"),
        phone: None,
        address: None,
        description: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let event = AuditEvent::new(Action::OrgCreated, now).record(RecordKind::Org, [o.id]);
    app.state.store.insert_org(&o, &event).await.expect("org");
    o.id
}

#[tokio::test]
async fn a_need_appears_in_its_communitys_queue_with_priority_and_reasons_and_nowhere_else() {
    let app = TestApp::spawn().await;
    let mut here = app.login_as(Role::SocialWorker, QIAOYI).await;
    let mut street = app.login_as(Role::CommitteeStaff, WULIQIAO).await;
    let mut sibling = app.login_as(Role::SocialWorker, QIAOER).await;
    let mut volunteer = app.login_as(Role::Volunteer, QIAOYI).await;
    let (id, _) = submit(
        &app,
        "emergency_medical",
        "我母亲在家胸痛，呼吸困难",
        QIAOYI,
    )
    .await;
    let page = text(here.get("/needs").await).await;
    assert!(page.contains(&format!("/needs/{id}")), "{page}");
    assert!(
        page.contains("P1") && page.contains("胸痛"),
        "priority and the reason shown"
    );
    assert!(
        page.contains("首次响应 还剩 15 分钟"),
        "the countdown: {page}"
    );
    assert!(
        text(street.get("/needs").await)
            .await
            .contains(&format!("/needs/{id}"))
    );
    let other = text(sibling.get("/needs").await).await;
    assert!(
        !other.contains(&id.to_string()),
        "a sibling community's staff never see it"
    );
    assert_eq!(
        sibling.get(&format!("/needs/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        volunteer.get("/needs").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        volunteer.get(&format!("/needs/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    // The need page shows the resident's words to a handler, and the view is audited.
    let page = text(here.get(&format!("/needs/{id}")).await).await;
    assert!(
        page.contains("我母亲在家胸痛") && page.contains("tel:13812345678"),
        "{page}"
    );
    assert!(
        page.contains("请立即拨打120"),
        "the page repeats the advice given"
    );
    let audit = app.state.store.audit_page(0, 10_000).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.action == "need_viewed" && e.record_ids.contains(&id.to_string()))
    );
}

#[tokio::test]
async fn breached_needs_come_first_then_by_priority() {
    let app = TestApp::spawn().await;
    let (old_p3, _) = submit(&app, "supplies", "家里菜不够了", QIAOYI).await;
    app.clock.advance(time::Duration::hours(5));
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (p1, _) = submit(&app, "emergency_medical", "昏迷了", QIAOYI).await;
    let (p2, _) = submit(&app, "medication", "药只剩一天了", QIAOYI).await;
    let page = text(c.get("/needs").await).await;
    let at = |id: NeedId| page.find(&format!("/needs/{id}")).expect("listed");
    assert!(
        at(old_p3) < at(p1),
        "the breached P3 comes before a fresh P1"
    );
    assert!(at(p1) < at(p2), "then P1 before P2");
    assert!(page.contains("已超时"), "the breach is said in words");
    let mine = text(c.get("/needs?priority=P1").await).await;
    assert!(mine.contains(&p1.to_string()) && !mine.contains(&p2.to_string()));
}

/// Read SSE events from a response for up to `wait`, returning how many `changed` arrived.
pub async fn events_within(res: reqwest::Response, wait: Duration) -> usize {
    let mut res = res;
    let mut seen = String::new();
    let _ = tokio::time::timeout(wait, async {
        while let Ok(Some(chunk)) = res.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: changed") {
                break;
            }
        }
    })
    .await;
    seen.matches("event: changed").count()
}

#[tokio::test]
async fn the_live_stream_tells_staff_of_their_community_within_a_second_and_not_others() {
    let app = TestApp::spawn().await;
    let mut here = app.login_as(Role::SocialWorker, QIAOYI).await;
    let mut elsewhere = app.login_as(Role::SocialWorker, DAPUQIAO_COMMUNITY).await;
    let live_here = here.get("/needs/live").await;
    assert_eq!(live_here.status(), StatusCode::OK);
    assert!(
        live_here.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream")
    );
    let live_elsewhere = elsewhere.get("/needs/live").await;
    let started = std::time::Instant::now();
    submit(&app, "supplies", "家里菜不够了", QIAOYI).await;
    assert_eq!(events_within(live_here, Duration::from_secs(1)).await, 1);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        events_within(live_elsewhere, Duration::from_millis(500)).await,
        0,
        "another street's staff hear nothing"
    );
}

#[tokio::test]
async fn a_worker_takes_starts_messages_and_resolves_and_the_resident_reads_the_message() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (id, link) = submit(&app, "medication", "降压药只剩一天", QIAOYI).await;
    assert_eq!(
        act(&mut c, &app, id, &[("action", "assign"), ("to", "me")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        act(&mut c, &app, id, &[("action", "start")]).await.status(),
        StatusCode::SEE_OTHER
    );
    act(
        &mut c,
        &app,
        id,
        &[("action", "message"), ("text", "今天下午三点送药上门")],
    )
    .await;
    act(
        &mut c,
        &app,
        id,
        &[("action", "note"), ("note", "INTERNAL-NOTE-CANARY")],
    )
    .await;
    act(
        &mut c,
        &app,
        id,
        &[("action", "contact"), ("reached", "yes"), ("note", "")],
    )
    .await;
    let need = stored(&app, id).await;
    assert_eq!(need.state.as_str(), "in_progress");
    assert_eq!(need.assignee, c.user_id);
    assert!(
        need.acknowledged_at.is_some(),
        "the first response stopped the clock"
    );
    // A resolution without an outcome is a field error; the page keeps the rest.
    let res = act(&mut c, &app, id, &[("action", "resolve"), ("outcome", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("请写明处理结果"));
    assert_eq!(
        act(
            &mut c,
            &app,
            id,
            &[("action", "resolve"), ("outcome", "药已送到")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        act(&mut c, &app, id, &[("action", "close")]).await.status(),
        StatusCode::SEE_OTHER
    );
    let tracking = text(app.client().get(&link).await).await;
    assert!(
        tracking.contains("今天下午三点送药上门"),
        "the resident reads the message"
    );
    assert!(
        !tracking.contains("INTERNAL-NOTE-CANARY"),
        "never an internal note"
    );
    assert!(!tracking.contains("测试 社工"), "never a staff name");
    let page = text(c.get(&format!("/needs/{id}")).await).await;
    for words in [
        "分派给工作人员",
        "开始处理",
        "给求助人的消息",
        "内部备注",
        "联系求助人",
        "已解决",
        "已结束",
    ] {
        assert!(page.contains(words), "timeline lacks {words}");
    }
    // Closed is final.
    let res = act(
        &mut c,
        &app,
        id,
        &[("action", "cancel"), ("reason", "试试看")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn two_people_acting_at_once_one_is_told_it_changed_meanwhile_and_keeps_what_they_typed() {
    let app = TestApp::spawn().await;
    let mut a = app.login_as(Role::SocialWorker, QIAOYI).await;
    let mut b = app.login_as(Role::CommitteeStaff, QIAOYI).await;
    let (id, _) = submit(&app, "supplies", "家里菜不够了", QIAOYI).await;
    let seen = version(&app, id).await.to_string();
    let first = a
        .post_form(
            &format!("/needs/{id}/act"),
            &[("version", &seen), ("action", "assign"), ("to", "me")],
        )
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = b
        .post_form(
            &format!("/needs/{id}/act"),
            &[
                ("version", &seen),
                ("action", "message"),
                ("text", "我们马上安排送菜"),
            ],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let page = text(second).await;
    assert!(page.contains("刚被别人更新过"), "{page}");
    assert!(
        page.contains("我们马上安排送菜"),
        "the typed message is kept"
    );
    let events = app.state.store.need_events(id).await.expect("events");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind.as_str() == "message")
            .count(),
        0
    );
}

#[tokio::test]
async fn triage_overrides_need_a_reason_and_are_audited_and_bad_actions_are_refused() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::Supervisor, QIAOYI).await;
    let (id, _) = submit(&app, "supplies", "家里菜不够了", QIAOYI).await;
    let res = act(
        &mut c,
        &app,
        id,
        &[("action", "triage"), ("priority", "P2"), ("reason", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("请写明原因"));
    let res = act(
        &mut c,
        &app,
        id,
        &[
            ("action", "triage"),
            ("priority", "P2"),
            ("reason", "独居老人，家中无人"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let need = stored(&app, id).await;
    assert_eq!(
        (need.priority.as_str(), need.state.as_str(), need.reviewed),
        ("P2", "triaged", true)
    );
    let audit = app.state.store.audit_page(0, 10_000).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.action == "need_triaged" && e.record_ids.contains(&id.to_string()))
    );
    for (fields, status) in [
        (
            vec![("action", "explode")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![("action", "assign"), ("to", "not-an-id")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (vec![("action", "start")], StatusCode::CONFLICT),
        (vec![("action", "close")], StatusCode::CONFLICT),
        (
            vec![("action", "duplicate"), ("of", "ZZZZ")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![("action", "message"), ("text", "   ")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let res = act(&mut c, &app, id, &fields).await;
        assert_eq!(res.status(), status, "{fields:?}");
    }
    // Assigning to someone who does not handle this community is refused.
    let (_, outsider) = app
        .create_user(Role::SocialWorker, DAPUQIAO_COMMUNITY)
        .await;
    let res = act(
        &mut c,
        &app,
        id,
        &[("action", "assign"), ("to", &outsider.to_string())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_duplicate_is_merged_and_a_cancelled_need_can_be_told_apart_from_a_reopened_one() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (first, _) = submit(&app, "supplies", "家里菜不够了", QIAOYI).await;
    let (second, _) = submit(&app, "supplies", "菜不够了，再说一次", QIAOYI).await;
    let code = stored(&app, first).await.code;
    let res = act(
        &mut c,
        &app,
        second,
        &[("action", "duplicate"), ("of", code.as_str())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let merged = stored(&app, second).await;
    assert_eq!(
        (merged.state.as_str(), merged.duplicate_of),
        ("duplicate", Some(first))
    );
    act(&mut c, &app, first, &[("action", "assign"), ("to", "me")]).await;
    let res = act(
        &mut c,
        &app,
        first,
        &[("action", "resolve"), ("outcome", "已送菜")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "resolved");
    let res = act(
        &mut c,
        &app,
        first,
        &[("action", "reopen"), ("reason", "又缺了")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, first).await.state.as_str(), "in_progress");
    let res = act(
        &mut c,
        &app,
        first,
        &[("action", "cancel"), ("reason", "居民已自行解决")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, first).await.state.as_str(), "cancelled");
}

#[tokio::test]
async fn a_referred_organisation_sees_the_need_while_the_referral_is_live_and_may_decline_with_a_reason()
 {
    let app = TestApp::spawn().await;
    let charity = org(&app, "爱心慈善会", HUANGPU).await;
    let other = org(&app, "另一家基金会", HUANGPU).await;
    let mut worker = app.login_as(Role::SocialWorker, QIAOYI).await;
    // Charity staff sit in another street: without the referral they see nothing.
    let mut member = org_member(&app, Role::CharityStaff, DAPUQIAO, charity).await;
    let mut outsider = org_member(&app, Role::CharityStaff, DAPUQIAO, other).await;
    let (id, _) = submit(&app, "critical_treatment", "需要每周三次血透", QIAOYI).await;
    assert_eq!(
        member.get(&format!("/needs/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        !text(member.get("/needs").await)
            .await
            .contains(&id.to_string())
    );
    let res = act(
        &mut worker,
        &app,
        id,
        &[("action", "refer"), ("org", &charity.to_string())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        text(member.get("/needs").await)
            .await
            .contains(&id.to_string()),
        "it is in their queue"
    );
    let page = text(member.get(&format!("/needs/{id}")).await).await;
    assert!(page.contains("是否接受这个转介"), "{page}");
    assert!(
        !page.contains("需要每周三次血透"),
        "before accepting they see no personal details"
    );
    assert_eq!(
        outsider.get(&format!("/needs/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    // They may not act as if they owned it.
    let res = act(
        &mut member,
        &app,
        id,
        &[("action", "message"), ("text", "你好")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = act(
        &mut member,
        &app,
        id,
        &[
            ("action", "decide_referral"),
            ("accept", "no"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = act(
        &mut member,
        &app,
        id,
        &[
            ("action", "decide_referral"),
            ("accept", "no"),
            ("reason", "本周透析床位已满"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        member.get(&format!("/needs/{id}")).await.status(),
        StatusCode::NOT_FOUND,
        "declined: gone"
    );
    let page = text(worker.get(&format!("/needs/{id}")).await).await;
    assert!(
        page.contains("转介被婉拒") && page.contains("本周透析床位已满"),
        "the reason is on the timeline"
    );
    // Referred again and accepted: they work on it.
    act(
        &mut worker,
        &app,
        id,
        &[("action", "refer"), ("org", &charity.to_string())],
    )
    .await;
    let res = act(
        &mut member,
        &app,
        id,
        &[("action", "decide_referral"), ("accept", "yes")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        text(member.get(&format!("/needs/{id}")).await)
            .await
            .contains("需要每周三次血透")
    );
    let res = act(
        &mut member,
        &app,
        id,
        &[
            ("action", "link_resource"),
            ("org", &charity.to_string()),
            ("gives", "周三透析床位"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = act(
        &mut worker,
        &app,
        id,
        &[("action", "refer"), ("org", &charity.to_string())],
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "one live referral per organisation"
    );
}

async fn notified(app: &TestApp, user: UserId) -> Vec<(String, Option<u8>)> {
    app.state
        .store
        .notifications(user, 100)
        .await
        .expect("notifications")
        .into_iter()
        .map(|n| (n.kind.as_str().to_string(), n.level))
        .collect()
}

#[tokio::test]
async fn an_unanswered_p1_escalates_level_by_level_and_each_audience_is_notified_once() {
    let app = TestApp::spawn().await;
    let (_, supervisor) = app.create_user(Role::Supervisor, QIAOYI).await;
    let (_, street) = app.create_user(Role::CommitteeStaff, WULIQIAO).await;
    let (_, district) = app.create_user(Role::CivilAffairs, HUANGPU).await;
    let (_, other_supervisor) = app.create_user(Role::Supervisor, DAPUQIAO_COMMUNITY).await;
    let (id, _) = submit(
        &app,
        "emergency_medical",
        "我母亲在家胸痛，呼吸困难",
        QIAOYI,
    )
    .await;
    let sweep = || async {
        wushe_app::jobs::enqueue_periodic(&app.state)
            .await
            .expect("enqueue");
        wushe_app::jobs::drain(&app.state).await.expect("drain");
    };
    app.clock.advance(time::Duration::minutes(14));
    sweep().await;
    assert!(notified(&app, supervisor).await.is_empty(), "not yet");
    app.clock.advance(time::Duration::minutes(1));
    sweep().await;
    sweep().await;
    assert_eq!(
        notified(&app, supervisor).await,
        vec![("escalated".to_string(), Some(1))]
    );
    assert!(notified(&app, street).await.is_empty());
    assert!(
        notified(&app, other_supervisor).await.is_empty(),
        "another community's supervisor"
    );
    // Running the handler again, directly, changes nothing: each level happens once.
    let again = wushe_core::needs::escalation::escalate(app.state.desk(), id, app.clock.now())
        .await
        .expect("escalate");
    assert!(again.is_empty());
    app.clock.advance(time::Duration::minutes(15));
    sweep().await;
    assert_eq!(
        notified(&app, street).await,
        vec![("escalated".to_string(), Some(2))]
    );
    app.clock.advance(time::Duration::minutes(15));
    sweep().await;
    assert_eq!(
        notified(&app, district).await,
        vec![("escalated".to_string(), Some(3))]
    );
    let need = stored(&app, id).await;
    assert_eq!(need.escalation, 3);
    assert_eq!(need.sla_next_at, None, "nothing further can come");
    let steps = app
        .state
        .store
        .need_events(id)
        .await
        .expect("events")
        .iter()
        .filter(|e| e.kind.as_str() == "escalated")
        .count();
    assert_eq!(steps, 3, "one timeline entry per level");
}

#[tokio::test]
async fn an_acknowledged_p1_does_not_escalate_at_fifteen_minutes() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (_, sup) = app.create_user(Role::Supervisor, QIAOYI).await;
    let (id, _) = submit(&app, "emergency_medical", "昏迷了", QIAOYI).await;
    app.clock.advance(time::Duration::minutes(5));
    act(&mut c, &app, id, &[("action", "assign"), ("to", "me")]).await;
    app.clock.advance(time::Duration::minutes(20));
    wushe_app::jobs::enqueue_periodic(&app.state)
        .await
        .expect("enqueue");
    wushe_app::jobs::drain(&app.state).await.expect("drain");
    assert!(notified(&app, sup).await.is_empty());
    assert_eq!(stored(&app, id).await.escalation, 0);
}

#[tokio::test]
async fn the_notifications_page_lists_alerts_and_marks_them_read() {
    let app = TestApp::spawn().await;
    let mut sup = app.login_as(Role::Supervisor, QIAOYI).await;
    let mut worker = app.login_as(Role::SocialWorker, QIAOYI).await;
    let (id, _) = submit(&app, "supplies", "家里菜不够了", QIAOYI).await;
    let to = worker.user_id.expect("id").to_string();
    act(&mut sup, &app, id, &[("action", "assign"), ("to", &to)]).await;
    let home = text(worker.get("/").await).await;
    assert!(home.contains("class=\"count\""), "the bell shows a count");
    let page = text(worker.get("/notifications").await).await;
    assert!(
        page.contains("分派给工作人员") && page.contains(&format!("/needs/{id}")),
        "{page}"
    );
    assert_eq!(
        app.state
            .store
            .unread_notifications(worker.user_id.expect("id"))
            .await
            .expect("n"),
        0
    );
}

#[tokio::test]
async fn a_hotline_operator_enters_a_phoned_in_need_once_and_a_volunteer_cannot() {
    let app = TestApp::spawn().await;
    let mut op = app.login_as(Role::HotlineOperator, WULIQIAO).await;
    let form = text(op.get("/needs/new").await).await;
    assert!(
        form.contains("来电人"),
        "the consent is worded for a caller"
    );
    let key = between(&form, "name=\"idempotency_key\" value=\"", "\"").expect("key");
    let fields = [
        ("idempotency_key", key.as_str()),
        ("category", "medication"),
        ("description", "独居老人，胰岛素只剩两天"),
        ("who_for", "neighbour"),
        ("community_code", QIAOYI),
        ("building", "5号"),
        ("contact_name", "李阿姨"),
        ("mobile", "13900001111"),
        ("privacy_consent", "on"),
        ("health_consent", "on"),
    ];
    let res = op.post_form("/needs/new", &fields).await;
    assert_eq!(res.status(), StatusCode::OK);
    let done = text(res).await;
    assert!(done.contains("请把查询码读给来电人"), "{done}");
    assert_eq!(
        op.post_form("/needs/new", &fields).await.status(),
        StatusCode::OK,
        "a double press"
    );
    let audit = app.state.store.audit_page(0, 10_000).await.expect("audit");
    let created: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "need_created")
        .collect();
    assert_eq!(created.len(), 1, "one need");
    assert_eq!(
        created[0].actor.as_deref(),
        Some(op.user_id.expect("id").to_string().as_str()),
        "entered by the operator"
    );
    // Outside the operator's street: refused as unknown.
    let mut far = fields.to_vec();
    let key2 = uuid::Uuid::now_v7().simple().to_string();
    far[0] = ("idempotency_key", key2.as_str());
    far[4] = ("community_code", DAPUQIAO_COMMUNITY);
    assert_eq!(
        op.post_form("/needs/new", &far).await.status(),
        StatusCode::NOT_FOUND
    );
    let mut volunteer = app.login_as(Role::Volunteer, QIAOYI).await;
    assert_eq!(
        volunteer.get("/needs/new").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn civil_affairs_oversee_the_queue_without_the_residents_details() {
    let app = TestApp::spawn().await;
    let mut ca = app.login_as(Role::CivilAffairs, HUANGPU).await;
    let (id, _) = submit(&app, "medication", "降压药只剩一天", QIAOYI).await;
    let page = text(ca.get(&format!("/needs/{id}")).await).await;
    assert!(
        !page.contains("降压药只剩一天") && !page.contains("13812345678"),
        "{page}"
    );
    assert!(page.contains("138****5678"), "masked phone");
    let res = act(&mut ca, &app, id, &[("action", "assign"), ("to", "me")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn on_postgresql_a_need_sent_to_one_node_shows_live_on_another_and_escalates_once() {
    if postgres_url().is_none() {
        eprintln!(
            "NOTICE: two nodes share a database only on PostgreSQL; set WUSHE_TEST_POSTGRES_URL"
        );
        return;
    }
    let a = TestApp::spawn().await;
    let url = a.state.config.database_url.clone();
    let key = a.state.config.secret_key_file.clone();
    let b = TestApp::spawn_with(move |c| {
        c.database_url = url;
        c.secret_key_file = key;
    })
    .await;
    let mut on_b = b.login_as(Role::SocialWorker, QIAOYI).await;
    let live = on_b.get("/needs/live").await;
    assert_eq!(live.status(), StatusCode::OK);
    let started = std::time::Instant::now();
    let (id, _) = submit(&a, "emergency_medical", "我母亲在家胸痛，呼吸困难", QIAOYI).await;
    assert_eq!(
        events_within(live, Duration::from_secs(2)).await,
        1,
        "node B heard of it"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        text(on_b.get("/needs").await)
            .await
            .contains(&id.to_string())
    );
    // Both nodes run their sweep when the first response is missed: the supervisor hears once.
    let (_, supervisor) = a.create_user(Role::Supervisor, QIAOYI).await;
    for app in [&a, &b] {
        app.clock.advance(time::Duration::minutes(16));
    }
    let (ra, rb) = tokio::join!(
        wushe_core::needs::escalation::escalate(a.state.desk(), id, a.clock.now()),
        wushe_core::needs::escalation::escalate(b.state.desk(), id, b.clock.now()),
    );
    let levels = [ra.expect("a"), rb.expect("b")].concat();
    assert_eq!(levels, vec![1], "level 1 happened once, on one node");
    assert_eq!(
        notified(&a, supervisor).await,
        vec![("escalated".to_string(), Some(1))]
    );
}

#[tokio::test]
async fn a_welfare_check_finding_raises_a_linked_need_that_appears_live_and_missed_checks_raise_one_door_visit()
 {
    use crate::people::{person_json, register};
    let app = TestApp::spawn().await;
    let mut worker = app.login_as(Role::SocialWorker, QIAOYI).await;
    let live = worker.get("/needs/live").await;
    let person = register(
        &mut worker,
        &person_json("冯", "13200000009", "", "B", QIAOYI),
    )
    .await;
    let res = worker
        .post_json(
            &format!("/api/v1/people/{person}/checks"),
            &json!({"method": "phone", "reached": true, "physical": "stable", "mental": "calm",
                    "medication_days_left": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        events_within(live, Duration::from_secs(1)).await,
        1,
        "live in the queue"
    );
    let query = |category: &str| NeedQuery {
        scope: vec![RegionCode::parse(QIAOYI).expect("code")],
        orgs: Vec::new(),
        states: vec![wushe_core::needs::state::State::New],
        category: wushe_core::needs::Category::parse(category),
        priority: None,
        escalated: false,
        unassigned: false,
        assignee: None,
        limit: 10,
    };
    let needs = app
        .state
        .store
        .list_needs(&query("medication"))
        .await
        .expect("needs");
    assert_eq!(needs.len(), 1);
    let need = &needs[0];
    assert_eq!(need.priority.as_str(), "P2", "medicine for one day: P2");
    assert_eq!(
        need.person.map(|p| p.to_string()),
        Some(person.clone()),
        "linked to the person"
    );
    assert!(
        need.reasons.iter().any(|r| r.zh.contains("探访发现")),
        "{:?}",
        need.reasons
    );
    let page = text(worker.get(&format!("/needs/{}", need.id)).await).await;
    assert!(
        page.contains(&format!("/people/{person}")),
        "the need page links the person"
    );
    // Two unreached checks of a care-level-B person raise one door visit; a third, none more.
    for _ in 0..3 {
        let res = worker
            .post_json(
                &format!("/api/v1/people/{person}/checks"),
                &json!({"method": "phone", "reached": false}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let visits = app
        .state
        .store
        .list_needs(&query("door_visit"))
        .await
        .expect("needs");
    assert_eq!(visits.len(), 1, "one door visit, not two");
    assert_eq!(visits[0].priority.as_str(), "P2");
    // A resident whose phone is in the registry: the need is linked and raised one level.
    let res = crate::harness::http_client()
        .post(format!("{}/api/v1/needs", app.url))
        .header("idempotency-key", "linked-by-phone")
        .json(
            &json!({"category": "supplies", "description": "家里菜不够了", "who_for": "self",
            "community": QIAOYI, "building": "1号", "contact_name": "冯", "mobile": "13200000009",
            "privacy_consent": true, "health_consent": true}),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::CREATED);
    let supplies = app
        .state
        .store
        .list_needs(&query("supplies"))
        .await
        .expect("needs");
    assert_eq!(supplies.len(), 1);
    assert_eq!(supplies[0].person.map(|p| p.to_string()), Some(person));
    assert_eq!(
        supplies[0].priority.as_str(),
        "P2",
        "P3 raised one level by the registry"
    );
}
