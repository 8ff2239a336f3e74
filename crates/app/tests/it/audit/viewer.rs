//! The audit viewer: scoped to the regions where the viewer holds `ViewAudit`, filtered by
//! user, action, record and time, itself recorded, and usable on a phone.

use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::Value;
use wushe_core::{Clock, Role};

use super::{create_org, utc_text, with_action};
use crate::browser::{fill_login, phone_browser, screenshot, scrolls_sideways};
use crate::harness::*;

#[tokio::test]
async fn the_viewer_shows_an_admin_only_entries_inside_their_region() {
    let app = TestApp::spawn().await;
    let mut here = app.login_as(Role::SocialWorker, QIAOYI).await;
    let mut there = app.login_as(Role::SocialWorker, DAPUQIAO_COMMUNITY).await;
    let near = create_org(&mut here, QIAOYI, "五里桥测试机构").await;
    let far = create_org(&mut there, DAPUQIAO_COMMUNITY, "大埔桥测试机构").await;
    let mut street = app.login_as(Role::Admin, WULIQIAO).await;
    let (status, page) = street.get_json("/api/v1/audit").await;
    assert_eq!(status, StatusCode::OK);
    let list = page["entries"].as_array().expect("entries");
    assert!(!list.is_empty());
    for e in list {
        let region = e["region"].as_str().unwrap_or("");
        assert!(region.starts_with(WULIQIAO), "outside 310101020: {e}");
    }
    let listed = page.to_string();
    assert!(
        listed.contains(&near),
        "the street's own org_created is listed"
    );
    assert!(
        !listed.contains(&far),
        "310101021 leaked to an admin of 310101020"
    );
    let html = text(street.get("/audit").await).await;
    assert!(html.contains(&near) && !html.contains(&far));
    assert!(html.contains("审计日志") && html.contains("登记机构"));

    let mut sibling = app.login_as(Role::Admin, DAPUQIAO).await;
    let listed = sibling.get_json("/api/v1/audit").await.1.to_string();
    assert!(
        listed.contains(&far) && !listed.contains(&near),
        "310101021 sees only its own"
    );
    let mut elsewhere = app.login_as(Role::Admin, XUHUI).await;
    let listed = elsewhere.get_json("/api/v1/audit").await.1.to_string();
    assert!(
        !listed.contains(&far) && !listed.contains(&near),
        "徐汇区 sees no 黄浦区 entry"
    );

    let (_, doc) = street.get_json("/api/v1/openapi.json").await;
    assert!(
        doc["paths"]["/api/v1/audit"]["get"].is_object(),
        "documented"
    );

    let mut district = app.login_as(Role::CivilAffairs, HUANGPU).await;
    let (status, page) = district.get_json("/api/v1/audit").await;
    assert_eq!(status, StatusCode::OK);
    let listed = page.to_string();
    assert!(
        listed.contains(&near) && listed.contains(&far),
        "黄浦区 sees both streets"
    );
}

#[tokio::test]
async fn the_filters_answer_whose_records_a_user_touched_between_two_times() {
    let app = TestApp::spawn().await;
    let mut worker = app.login_as(Role::SocialWorker, QIAOYI).await;
    let t0 = utc_text(app.clock.now());
    let mid = utc_text(app.clock.now() + time::Duration::minutes(10));
    let first = create_org(&mut worker, QIAOYI, "测试机构一").await;
    app.clock.advance(time::Duration::minutes(20));
    let second = create_org(&mut worker, QIAOYI, "测试机构二").await;
    let worker_id = worker.user_id.expect("id").to_string();
    let mut admin = app.login_as(Role::Admin, HUANGPU).await;
    let ids = |v: &Value| -> Vec<String> {
        v["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["record_ids"][0].as_str().unwrap_or("").to_string())
            .collect()
    };
    let q = format!("/api/v1/audit?user={worker_id}&action=org_created");
    let (_, all) = admin.get_json(&q).await;
    assert_eq!(
        ids(&all),
        vec![second.clone(), first.clone()],
        "newest first"
    );
    let (_, window) = admin.get_json(&format!("{q}&from={t0}&until={mid}")).await;
    assert_eq!(ids(&window), vec![first.clone()]);
    let (_, later) = admin.get_json(&format!("{q}&from={mid}")).await;
    assert_eq!(ids(&later), vec![second]);
    let (_, by_record) = admin
        .get_json(&format!("/api/v1/audit?record={first}"))
        .await;
    let actions: Vec<&str> = by_record["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["audit_viewed", "org_created"],
        "this very lookup names the record too"
    );
    assert_eq!(ids(&by_record), vec![first.clone(), first]);
    let (status, bad) = admin
        .get_json("/api/v1/audit?from=yesterday&action=nope")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["action", "from"]);
}

#[tokio::test]
async fn viewing_the_audit_log_is_itself_recorded() {
    let app = TestApp::spawn().await;
    let (_, watched) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut admin = app.login_as(Role::Admin, WULIQIAO).await;
    let res = admin.get(&format!("/audit?user={watched}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let viewed = with_action(&app, "audit_viewed").await;
    assert_eq!(viewed.len(), 1);
    assert_eq!(viewed[0].actor, admin.user_id.map(|u| u.to_string()));
    assert_eq!(
        viewed[0].record_ids,
        watched.to_string(),
        "whom the admin looked up"
    );
    let (_, page) = admin.get_json("/api/v1/audit?action=audit_viewed").await;
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(2), "{page}");
}

#[tokio::test]
async fn an_admin_filters_the_audit_log_on_a_phone() {
    let Some(b) = phone_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let mut worker = app.login_as(Role::SocialWorker, QIAOYI).await;
    let org = create_org(&mut worker, QIAOYI, "手机测试机构").await;
    // A denial, whose route and ids make the widest card.
    worker.get(&format!("/orgs/{org}/edit")).await;
    let (name, id) = app.create_user(Role::Admin, WULIQIAO).await;
    // The second factor has its own tests (totp.rs); this one is about the viewer.
    app.state
        .store
        .set_mfa_exempt(id, true)
        .await
        .expect("exempt");
    let c = &b.client;
    c.goto(&format!("{}/login?next=/audit", app.url))
        .await
        .expect("open");
    fill_login(&b, &name).await;
    c.wait()
        .for_element(Locator::Css("ol.audit-entries"))
        .await
        .expect("the viewer");
    let nav = c
        .find(Locator::Css("nav.nav"))
        .await
        .expect("nav")
        .text()
        .await
        .expect("text");
    assert!(nav.contains("审计日志"), "{nav}");
    assert!(
        !scrolls_sideways(&b).await,
        "the audit log scrolls sideways on a phone"
    );
    screenshot(&b, "audit-phone").await;
    c.find(Locator::Css("details.filter-box summary"))
        .await
        .expect("filters")
        .click()
        .await
        .expect("open the filters");
    c.find(Locator::Css("select#action option[value='org_created']"))
        .await
        .expect("option")
        .click()
        .await
        .expect("choose");
    c.find(Locator::Css("form.audit-filters button"))
        .await
        .expect("find")
        .click()
        .await
        .expect("click");
    let started = std::time::Instant::now();
    while !c
        .current_url()
        .await
        .expect("url")
        .as_str()
        .contains("action=org_created")
    {
        assert!(
            started.elapsed().as_secs() < 10,
            "the filter form did not submit"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    c.wait()
        .for_element(Locator::Css("ol.audit-entries"))
        .await
        .expect("results");
    let cards = c
        .find_all(Locator::Css("ol.audit-entries > li"))
        .await
        .expect("cards");
    assert_eq!(cards.len(), 1, "one org_created in 310101020");
    let text = cards[0].text().await.expect("text");
    assert!(text.contains("登记机构") && text.contains(&org), "{text}");
    assert!(!scrolls_sideways(&b).await);
    screenshot(&b, "audit-filtered-phone").await;
    c.execute(
        "document.querySelector('ol.audit-entries').scrollIntoView();",
        vec![],
    )
    .await
    .expect("scroll");
    screenshot(&b, "audit-cards-phone").await;
    b.client.clone().close().await.expect("close");
}
