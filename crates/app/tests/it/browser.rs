//! Browser tests in headless Chromium (Debian's chromium + chromedriver), on a phone-sized
//! viewport. Without chromedriver they print a notice and skip, unless CI=true: then they fail.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use wushe_core::Role;

use crate::harness::*;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver on a free port and a browser session; both end when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole process group: chromedriver and the Chromium it started, which would
        // outlive a test that panicked before closing its session.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Processes whose command line names `profile` (the browser's own user-data-dir).
fn processes_of(profile: &std::path::Path) -> usize {
    let needle = profile.display().to_string();
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
                .filter(|c| String::from_utf8_lossy(c).contains(&needle))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_browser_dropped_without_closing_its_session_leaves_no_chromium_behind() {
    let Some(b) = phone_browser().await else {
        return;
    };
    b.client.goto("about:blank").await.expect("goto");
    let profile = b.profile.clone();
    assert!(processes_of(&profile) > 0, "Chromium runs with its profile");
    drop(b);
    let started = Instant::now();
    while processes_of(&profile) > 0 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(processes_of(&profile), 0, "as after a test that panicked");
}

/// Start a phone-sized browser, or `None` (with a notice) when Chromium is not installed here.
pub async fn phone_browser() -> Option<Browser> {
    browser(390, 844).await
}

pub async fn browser(width: u32, height: u32) -> Option<Browser> {
    let present =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "CI=true but {CHROMEDRIVER} or {CHROMIUM} is missing: install chromium and chromium-driver"
            );
        }
        eprintln!(
            "NOTICE: skipping browser test: install Debian's chromium and chromium-driver to run it"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let driver = Command::new(CHROMEDRIVER)
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile =
        std::env::temp_dir().join(format!("wushe-chrome-{}", uuid::Uuid::now_v7().simple()));
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "mobileEmulation": { "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 } },
            // A phone set to Chinese: Accept-Language follows this, not --lang, when headless.
            "prefs": { "intl.accept_languages": "zh-CN,zh" },
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--lang=zh-CN", format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("a JSON object"),
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let started = Instant::now();
    let client = loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a browser session: {e}"),
        }
    };
    Some(Browser {
        client,
        driver,
        profile,
    })
}

/// Type the user name and the test password into the login form shown and submit it.
pub async fn fill_login(b: &Browser, name: &str) {
    let c = &b.client;
    c.find(Locator::Id("username"))
        .await
        .expect("username")
        .send_keys(name)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    c.find(Locator::Css("button.primary"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
}

/// Save a screenshot under target/screenshots for people to look at.
pub async fn screenshot(b: &Browser, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(png) = b.client.screenshot().await {
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

/// True when the page is wider than the viewport (horizontal scrolling on a phone).
pub async fn scrolls_sideways(b: &Browser) -> bool {
    let v = b
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .expect("script");
    v.as_bool().unwrap_or(true)
}

#[tokio::test]
async fn a_social_worker_logs_in_on_a_phone_and_sees_the_home_page() {
    let Some(b) = phone_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let c = &b.client;
    c.goto(&format!("{}/", app.url)).await.expect("open");
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/login")
    );
    screenshot(&b, "login-phone").await;
    assert!(
        !scrolls_sideways(&b).await,
        "the login page scrolls sideways on a phone"
    );
    fill_login(&b, &name).await;
    c.wait()
        .for_element(Locator::Id("grants-h"))
        .await
        .expect("the home page after login");
    let h1 = c
        .find(Locator::Css("h1"))
        .await
        .expect("heading")
        .text()
        .await
        .expect("text");
    assert!(h1.contains("测试 社工"), "{h1}");
    assert_eq!(c.current_url().await.expect("url").path(), "/");
    let nav = c
        .find(Locator::Css("nav.nav"))
        .await
        .expect("nav")
        .text()
        .await
        .expect("text");
    assert!(nav.contains("机构名录") && nav.contains("地区"), "{nav}");
    assert!(
        !scrolls_sideways(&b).await,
        "the home page scrolls sideways on a phone"
    );
    screenshot(&b, "home-phone").await;
    c.goto(&format!("{}/orgs", app.url)).await.expect("orgs");
    assert!(
        !scrolls_sideways(&b).await,
        "the directory scrolls sideways on a phone"
    );
    screenshot(&b, "orgs-phone").await;
    c.goto(&format!("{}/places/310101020", app.url))
        .await
        .expect("places");
    screenshot(&b, "places-phone").await;
    for (path, name) in [
        ("/tokens", "tokens-phone"),
        ("/account/password", "password-phone"),
    ] {
        c.goto(&format!("{}{path}", app.url)).await.expect(path);
        assert!(
            !scrolls_sideways(&b).await,
            "{path} scrolls sideways on a phone"
        );
        screenshot(&b, name).await;
    }
    b.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn a_resident_asks_for_help_on_a_phone_and_is_told_to_call_120() {
    let Some(b) = phone_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let c = &b.client;
    c.goto(&format!("{}/help", app.url)).await.expect("open");
    let size = c
        .execute(
            "return parseFloat(getComputedStyle(document.body).fontSize);",
            vec![],
        )
        .await
        .expect("script");
    assert!(size.as_f64().unwrap_or(0.0) >= 18.0, "body font {size}");
    assert!(!scrolls_sideways(&b).await, "/help scrolls sideways");
    screenshot(&b, "help-phone").await;
    for css in [
        "#category option[value=emergency_medical]",
        &format!("#community option[value='{QIAOYI}']"),
        "input[name=privacy_consent]",
        "input[name=health_consent]",
    ] {
        // The submit button stays in view at the bottom: bring each control to the middle.
        let e = c.find(Locator::Css(css)).await.expect(css);
        c.execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![json!(e)],
        )
        .await
        .expect("scroll");
        e.click().await.expect("click");
    }
    c.find(Locator::Id("description"))
        .await
        .expect("description")
        .send_keys("我母亲在家胸痛，呼吸困难")
        .await
        .expect("type");
    // Before anything is sent, the page already says to call 120.
    let early = c
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("#advice .urgent-line"))
        .await
        .expect("the advice while typing")
        .text()
        .await
        .expect("text");
    assert!(
        early == "请立即拨打120" || early == "Call 120 now",
        "{early}"
    );
    screenshot(&b, "help-advice-phone").await;
    for (id, value) in [
        ("building", "12号"),
        ("contact_name", "王小明"),
        ("mobile", "13812345678"),
    ] {
        c.find(Locator::Id(id))
            .await
            .expect(id)
            .send_keys(value)
            .await
            .expect("type");
    }
    c.find(Locator::Css("button.big"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Css(".tracking-code"))
        .await
        .expect("the confirmation");
    let urgent = c
        .find(Locator::Css(".urgent-line"))
        .await
        .expect("the urgent advice")
        .text()
        .await
        .expect("text");
    // The browser asks for Chinese; English is accepted too should a driver ignore the preference.
    assert!(
        urgent == "请立即拨打120" || urgent == "Call 120 now",
        "{urgent}"
    );
    assert!(
        !scrolls_sideways(&b).await,
        "the confirmation scrolls sideways"
    );
    screenshot(&b, "help-done-phone").await;
    b.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn a_residents_open_tracking_page_changes_without_reload_when_staff_act() {
    let Some(b) = phone_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let link = crate::track::submit(&app, "browser-track-1", "medication", "降压药只剩一天").await;
    let (code, _) = crate::track::parts(&link);
    let c = &b.client;
    c.goto(&format!("{}{link}", app.url)).await.expect("open");
    // A marker only this page load has, and a half-typed note outside the live region.
    c.execute("window.liveMarker = 'same page';", vec![])
        .await
        .expect("marker");
    c.find(Locator::Id("info"))
        .await
        .expect("info")
        .send_keys("正在打字")
        .await
        .expect("type");
    let status = |c: &Client| {
        let c = c.clone();
        async move {
            c.find(Locator::Css(".live-status"))
                .await
                .expect("status")
                .text()
                .await
                .expect("text")
        }
    };
    let started = Instant::now();
    while !status(c).await.contains("实时") && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(status(c).await.contains("实时"), "the live indicator");
    crate::track::staff_does(
        &app,
        &code,
        wushe_core::needs::work::Command::Message {
            text: "药今天下午送到".into(),
        },
    )
    .await;
    let started = Instant::now();
    let region = || async {
        c.find(Locator::Id("track-live"))
            .await
            .expect("live region")
            .text()
            .await
            .expect("text")
    };
    while !region().await.contains("药今天下午送到") && started.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        region().await.contains("药今天下午送到"),
        "the message appeared in place"
    );
    let marker = c
        .execute("return window.liveMarker || null;", vec![])
        .await
        .expect("marker");
    assert_eq!(marker, json!("same page"), "the page was not reloaded");
    let typed = c
        .execute("return document.getElementById('info').value;", vec![])
        .await
        .expect("typed");
    assert_eq!(typed, json!("正在打字"), "the half-typed note is kept");
    let started = Instant::now();
    while !status(c).await.contains("有新进展") && started.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        status(c).await.contains("有新进展"),
        "the update is announced"
    );
    assert!(
        !scrolls_sideways(&b).await,
        "the tracking page scrolls sideways"
    );
    screenshot(&b, "track-phone").await;
    // One tap on "取消求助" cancels nothing: the box must be ticked first.
    c.find(Locator::Css(".cancel-box summary"))
        .await
        .expect("cancel box")
        .click()
        .await
        .expect("open");
    let button = c
        .find(Locator::Css(".cancel-box button"))
        .await
        .expect("cancel button");
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![json!(button)],
    )
    .await
    .expect("scroll");
    button.click().await.expect("click");
    c.wait()
        .for_element(Locator::Id("confirm-err"))
        .await
        .expect("asked to tick the box");
    let state = crate::track::need(&app, &code).await.state;
    assert_eq!(state.as_str(), "new", "one tap cancelled");
    screenshot(&b, "track-cancel-phone").await;
    let urgent = crate::track::submit(&app, "browser-track-2", "psych", "我不想活了").await;
    c.goto(&format!("{}{urgent}", app.url)).await.expect("open");
    let line = c
        .find(Locator::Css(".urgent"))
        .await
        .expect("the crisis hotline")
        .text()
        .await
        .expect("text");
    assert!(line.contains("12356"), "{line}");
    assert!(
        !scrolls_sideways(&b).await,
        "the urgent page scrolls sideways"
    );
    screenshot(&b, "track-urgent-phone").await;
    b.client.clone().close().await.expect("close");
}

/// Wait until the page's body text contains `words`, for up to `secs` seconds.
async fn wait_for_text(b: &Browser, words: &str, secs: u64) -> bool {
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        // While a page loads or a form posts, the body may not be there yet: look again.
        let body = match b.client.find(Locator::Css("body")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if body.contains(words) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Mark the page with a script value: it survives only as long as the page is not reloaded.
async fn mark(b: &Browser) {
    b.client
        .execute("window.wusheMarker = 'still here';", vec![])
        .await
        .expect("mark");
}

async fn still_marked(b: &Browser) -> bool {
    b.client
        .execute("return window.wusheMarker === 'still here';", vec![])
        .await
        .expect("script")
        .as_bool()
        .unwrap_or(false)
}

#[tokio::test]
async fn a_need_goes_from_a_residents_phone_to_a_live_queue_and_back_to_the_tracking_page_without_reloads()
 {
    let Some(resident) = phone_browser().await else {
        return;
    };
    let Some(staff) = phone_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (worker, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    // The social worker has the queue open on their phone.
    let s = &staff.client;
    s.goto(&format!("{}/login", app.url)).await.expect("login");
    fill_login(&staff, &worker).await;
    s.wait()
        .for_element(Locator::Id("grants-h"))
        .await
        .expect("home");
    s.goto(&format!("{}/needs", app.url)).await.expect("queue");
    assert!(
        wait_for_text(&staff, "目前没有待处理的求助", 5).await,
        "an empty queue"
    );
    mark(&staff).await;
    // A resident asks for medicine on their phone.
    let r = &resident.client;
    r.goto(&format!("{}/help", app.url)).await.expect("help");
    for css in [
        "#category option[value=medication]",
        &format!("#community option[value='{QIAOYI}']"),
        "input[name=privacy_consent]",
        "input[name=health_consent]",
    ] {
        let e = r.find(Locator::Css(css)).await.expect(css);
        r.execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![json!(e)],
        )
        .await
        .expect("scroll");
        e.click().await.expect("click");
    }
    for (id, value) in [
        ("description", "母亲独居，降压药只剩一天"),
        ("building", "8号"),
        ("contact_name", "李女士"),
        ("mobile", "13900002222"),
    ] {
        r.find(Locator::Id(id))
            .await
            .expect(id)
            .send_keys(value)
            .await
            .expect("type");
    }
    r.find(Locator::Css("button.big"))
        .await
        .expect("send")
        .click()
        .await
        .expect("click");
    let link = r
        .wait()
        .for_element(Locator::Css(".ids a"))
        .await
        .expect("the tracking link")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    let sent = Instant::now();
    // The need appears in the open queue by itself, within a second or two.
    assert!(
        wait_for_text(&staff, "配药/慢病用药", 3).await,
        "the queue did not update"
    );
    assert!(sent.elapsed() < Duration::from_secs(3));
    assert!(still_marked(&staff).await, "the queue page was reloaded");
    screenshot(&staff, "queue-live-phone").await;
    // The resident keeps the tracking page open.
    r.goto(&format!("{}{link}", app.url))
        .await
        .expect("tracking");
    assert!(wait_for_text(&resident, "已收到", 5).await);
    mark(&resident).await;
    // The worker takes it and resolves it.
    s.find(Locator::Css("a.need-link"))
        .await
        .expect("the need")
        .click()
        .await
        .expect("open");
    s.wait()
        .for_element(Locator::Css("h1"))
        .await
        .expect("need page");
    let take = s
        .find(Locator::XPath("//button[contains(., '由我负责')]"))
        .await
        .expect("take it");
    s.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![json!(take)],
    )
    .await
    .expect("scroll");
    take.click().await.expect("take");
    assert!(wait_for_text(&staff, "分派给工作人员", 5).await);
    screenshot(&staff, "need-page-phone").await;
    assert!(
        !scrolls_sideways(&staff).await,
        "the need page scrolls sideways"
    );
    let outcome = s
        .wait()
        .for_element(Locator::Id("resolve-outcome"))
        .await
        .expect("outcome field");
    s.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![json!(outcome)],
    )
    .await
    .expect("scroll");
    outcome
        .send_keys("药已送到，老人已服药")
        .await
        .expect("type");
    let resolve = s
        .find(Locator::XPath("//button[contains(., '标记为已解决')]"))
        .await
        .expect("resolve");
    resolve.click().await.expect("resolve");
    assert!(wait_for_text(&staff, "已解决", 5).await);
    // The resident's open page follows, without a reload.
    assert!(
        wait_for_text(&resident, "已解决", 5).await,
        "the tracking page did not update"
    );
    assert!(
        still_marked(&resident).await,
        "the tracking page was reloaded"
    );
    let forms_shown = resident
        .client
        .execute(
            "return document.querySelector('.resident-forms').offsetParent !== null;",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        forms_shown,
        json!(false),
        "the ended need's forms went away"
    );
    screenshot(&resident, "tracking-live-phone").await;
    staff.client.clone().close().await.expect("close");
    resident.client.clone().close().await.expect("close");
}

async fn type_into(b: &Browser, id: &str, value: &str) {
    let e = b
        .client
        .wait()
        .for_element(Locator::Id(id))
        .await
        .expect(id);
    b.client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![json!(e)],
        )
        .await
        .expect("scroll");
    e.send_keys(value).await.expect("type");
}

async fn click(b: &Browser, css: &str) {
    let e = b
        .client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .expect(css);
    b.client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![json!(e)],
        )
        .await
        .expect("scroll");
    e.click().await.expect("click");
}

#[tokio::test]
async fn a_volunteer_signs_up_on_a_phone_is_approved_sets_a_password_books_and_checks_in() {
    use wushe_core::Clock;
    use wushe_core::audit::{Action, AuditEvent};
    use wushe_core::ids::ShiftId;
    use wushe_core::orgs::OrgKind;
    use wushe_core::regions::RegionCode;
    use wushe_core::volunteers::booking::Window;
    use wushe_core::volunteers::record::Shift;
    use wushe_core::volunteers::service;
    use wushe_core::volunteers::signup::PostForm;

    let Some(b) = phone_browser().await else {
        return;
    };
    // Texts in demo mode: the sign-up proves its number with the code from the demo outbox.
    let app = TestApp::spawn_with(|c| c.notify.sms.mode = wushe_app::notify::SmsMode::Demo).await;
    let s = &app.state;
    let now = app.clock.now();
    let staff = crate::volunteers::actor(&app, Role::SocialWorker, WULIQIAO).await;
    let org = crate::volunteers::org_in(&app, WULIQIAO, OrgKind::Station).await;
    let cid = service::publish(
        s.store.as_ref(),
        &staff,
        &crate::volunteers::campaign_form(org, WULIQIAO, now),
        now,
    )
    .await
    .expect("campaign");
    let post = service::create_post(
        s.store.as_ref(),
        &staff,
        &PostForm {
            kind: "testing_site".into(),
            name: "桥一小区采样点".into(),
            region: QIAOYI.into(),
        },
        now,
    )
    .await
    .expect("post");
    let shift = Shift {
        id: ShiftId::new(),
        post,
        region: RegionCode::parse(QIAOYI).expect("code"),
        window: Window {
            start: now + time::Duration::minutes(10),
            end: now + time::Duration::hours(4),
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
    let c = &b.client;

    // 1. A person finds the call-up and signs up.
    c.goto(&format!("{}/callups", app.url)).await.expect("open");
    assert!(!scrolls_sideways(&b).await, "/callups scrolls sideways");
    screenshot(&b, "callups-phone").await;
    click(&b, "a.button.primary").await;
    c.wait()
        .for_element(Locator::Id("name"))
        .await
        .expect("the sign-up form");
    assert!(
        !scrolls_sideways(&b).await,
        "the call-up page scrolls sideways"
    );
    screenshot(&b, "callup-signup-phone").await;
    type_into(&b, "name", "周强").await;
    type_into(&b, "mobile", "13912345678").await;
    type_into(&b, "age", "34").await;
    click(&b, "input[name=skills][value=first_aid]").await;
    click(&b, "input[name=availability][value=weekends]").await;
    click(&b, &format!("#home_community option[value='{QIAOER}']")).await;
    click(&b, "input[name=privacy_consent]").await;
    // 发送验证码 is a second submit button: the form comes back filled in, saying where the
    // code went; the code is read from the demo outbox, never from the page.
    click(&b, "button[formaction]").await;
    assert!(
        wait_for_text(&b, "验证码已发送到 139****5678", 10).await,
        "the code was sent"
    );
    assert!(
        !scrolls_sideways(&b).await,
        "the form with the code field scrolls sideways"
    );
    screenshot(&b, "callup-code-sent-phone").await;
    let texts = s.store.demo_texts(1).await.expect("texts");
    let sms = s
        .cipher
        .open_str(
            wushe_core::notify::sms::DEMO_BODY.field(texts[0].id.0),
            texts[0].body.as_deref().expect("body"),
        )
        .expect("open");
    let at = sms.find("验证码是 ").expect("code text") + "验证码是 ".len();
    let code = sms[at..at + 6].to_string();
    let page = c.source().await.expect("source");
    assert!(
        page.contains("value=\"周强\"") && !page.contains(&code),
        "kept what was typed; no code on the page"
    );
    type_into(&b, "code", &code).await;
    click(&b, "button.big").await;
    assert!(wait_for_text(&b, "已收到您的报名", 10).await, "thanks");
    screenshot(&b, "callup-done-phone").await;

    // 2. Staff approve it on the phone and read the one-time link.
    let (worker, _) = app.create_user(Role::SocialWorker, WULIQIAO).await;
    c.goto(&format!("{}/login", app.url)).await.expect("login");
    fill_login(&b, &worker).await;
    c.wait()
        .for_element(Locator::Css("nav.nav"))
        .await
        .expect("signed in");
    c.goto(&format!("{}/volunteers/campaigns/{cid}", app.url))
        .await
        .expect("campaign");
    assert!(
        !scrolls_sideways(&b).await,
        "the staff call-up page scrolls sideways"
    );
    screenshot(&b, "campaign-staff-phone").await;
    let page = c.source().await.expect("source");
    assert!(
        page.contains("139****5678") && !page.contains("未短信验证"),
        "the number was verified by the code"
    );
    click(&b, "li.signup button.primary").await;
    let link = c
        .wait()
        .for_element(Locator::Css("code.set-password-link"))
        .await
        .expect("the link")
        .text()
        .await
        .expect("text");
    assert!(!scrolls_sideways(&b).await, "the approval scrolls sideways");
    screenshot(&b, "campaign-approved-phone").await;
    click(&b, "form.logout button").await;
    c.wait()
        .for_element(Locator::Id("username"))
        .await
        .expect("logged out");

    // 3. The volunteer sets a password through the link and logs in with the phone number.
    c.goto(&link).await.expect("link");
    screenshot(&b, "set-password-phone").await;
    type_into(&b, "password", crate::volunteers::VPASS).await;
    type_into(&b, "password_again", crate::volunteers::VPASS).await;
    click(&b, "button.big").await;
    c.wait()
        .for_element(Locator::Css("p.ok"))
        .await
        .expect("password set");
    screenshot(&b, "set-password-done-phone").await;
    click(&b, "a.button.primary").await;
    type_into(&b, "username", "13912345678").await;
    type_into(&b, "password", crate::volunteers::VPASS).await;
    click(&b, "button.primary").await;
    c.wait()
        .for_element(Locator::Css("nav.nav"))
        .await
        .expect("signed in as the volunteer");

    // 4. Books a shift and checks in by opening the post's QR link.
    c.goto(&format!("{}/me/shifts", app.url))
        .await
        .expect("mine");
    assert!(!scrolls_sideways(&b).await, "/me/shifts scrolls sideways");
    screenshot(&b, "me-shifts-phone").await;
    click(&b, "li.open-shift button.primary").await;
    c.wait()
        .for_element(Locator::Css("li.mine"))
        .await
        .expect("booked");
    screenshot(&b, "me-booked-phone").await;
    let token = service::post_token(&s.cipher, post).expect("token");
    c.goto(&format!("{}/posts/{post}/scan?t={token}", app.url))
        .await
        .expect("scan");
    screenshot(&b, "scan-phone").await;
    click(&b, "button.big").await;
    let ok = c
        .wait()
        .for_element(Locator::Css("p.ok"))
        .await
        .expect("checked in")
        .text()
        .await
        .expect("text");
    assert!(ok.contains("签到成功") || ok.contains("Checked in"), "{ok}");
    assert!(
        !scrolls_sideways(&b).await,
        "the scan page scrolls sideways"
    );
    screenshot(&b, "scan-done-phone").await;
    let b2 = app
        .state
        .store
        .bookings_of_user(
            app.state
                .store
                .user_by_name("13912345678")
                .await
                .expect("u")
                .expect("e")
                .id,
        )
        .await
        .expect("bookings");
    assert_eq!(b2.len(), 1);
    assert_eq!(
        b2[0].state,
        wushe_core::volunteers::booking::BookingState::CheckedIn
    );
    b.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn the_volunteer_pages_fit_a_phone_and_a_desk() {
    use wushe_core::Clock;
    use wushe_core::volunteers::service;

    let app = TestApp::spawn().await;
    let p = crate::volunteers::plant(&app, QIAOYI).await;
    let s = &app.state;
    // A certificate of the planted volunteer, to show and verify.
    let v = wushe_core::users::service::load_actor(s.store.as_ref(), p.volunteer)
        .await
        .expect("a")
        .expect("v");
    let (cert, code) = service::issue_certificate(
        s.store.as_ref(),
        &s.cipher,
        &v,
        "周同学",
        [7, 7, 7, 7, 7],
        app.clock.now(),
    )
    .await
    .expect("certificate");
    let (worker, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mobile = s
        .store
        .user(p.volunteer)
        .await
        .expect("u")
        .expect("e")
        .username;
    let hash = wushe_core::users::password::hash(PASSWORD).expect("hash");
    s.store
        .change_password(
            p.volunteer,
            &hash,
            app.clock.now(),
            None,
            &wushe_core::audit::AuditEvent::new(
                wushe_core::audit::Action::PasswordChanged,
                app.clock.now(),
            ),
        )
        .await
        .expect("password");
    for (w, h, size) in [(390, 844, "phone"), (1280, 800, "desk")] {
        let Some(b) = browser(w, h).await else {
            return;
        };
        let c = &b.client;
        let public = [
            ("/callups".to_string(), "callups"),
            (format!("/callups/{}", p.campaign), "callup"),
            (format!("/verify?code={code}"), "verify-ok"),
            ("/verify?code=0000-0000-0000-0000".to_string(), "verify-bad"),
        ];
        for (path, name) in &public {
            c.goto(&format!("{}{path}", app.url)).await.expect("open");
            assert!(
                !scrolls_sideways(&b).await,
                "{path} scrolls sideways at {w}px"
            );
            screenshot(&b, &format!("{name}-{size}")).await;
        }
        c.goto(&format!("{}/login", app.url)).await.expect("login");
        fill_login(&b, &worker).await;
        c.wait()
            .for_element(Locator::Css("nav.nav"))
            .await
            .expect("signed in");
        let staff = [
            ("/volunteers".to_string(), "campaigns"),
            (format!("/volunteers/campaigns/{}", p.campaign), "campaign"),
            ("/posts".to_string(), "posts"),
            (format!("/posts/{}", p.post), "roster"),
            (format!("/shifts/{}/assign", p.shift), "assign"),
        ];
        for (path, name) in &staff {
            c.goto(&format!("{}{path}", app.url)).await.expect("open");
            assert!(
                !scrolls_sideways(&b).await,
                "{path} scrolls sideways at {w}px"
            );
            screenshot(&b, &format!("{name}-{size}")).await;
        }
        click(&b, "form.logout button").await;
        c.wait()
            .for_element(Locator::Id("username"))
            .await
            .expect("logged out");
        fill_login(&b, &mobile).await;
        c.wait()
            .for_element(Locator::Css("nav.nav"))
            .await
            .expect("signed in");
        let mine = [
            ("/me/shifts".to_string(), "me-shifts"),
            ("/me/profile".to_string(), "profile"),
            (format!("/me/certificates/{}", cert.id), "certificate"),
        ];
        for (path, name) in &mine {
            c.goto(&format!("{}{path}", app.url)).await.expect("open");
            assert!(
                !scrolls_sideways(&b).await,
                "{path} scrolls sideways at {w}px"
            );
            screenshot(&b, &format!("{name}-{size}")).await;
        }
        click(&b, "form.logout button").await;
        b.client.clone().close().await.expect("close");
    }
}

#[tokio::test]
async fn a_social_worker_does_todays_checks_on_a_phone() {
    let Some(b) = phone_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    let mut api = app.login_as(Role::SocialWorker, QIAOYI).await;
    let first = crate::people::register(
        &mut api,
        &crate::people::person_json("王阿婆", "13812345678", "", "A", QIAOYI),
    )
    .await;
    crate::people::register(
        &mut api,
        &crate::people::person_json("李老伯", "021-63011234", "", "B", QIAOYI),
    )
    .await;
    crate::people::register(
        &mut api,
        &crate::people::person_json("张奶奶", "13900001111", "", "C", QIAOYI),
    )
    .await;
    let c = &b.client;
    c.goto(&format!("{}/login", app.url)).await.expect("open");
    fill_login(&b, &name).await;
    c.wait()
        .for_element(Locator::Id("grants-h"))
        .await
        .expect("home");
    let nav = c
        .find(Locator::Css("nav.nav"))
        .await
        .expect("nav")
        .text()
        .await
        .expect("text");
    assert!(
        nav.contains("今日探访") && nav.contains("服务对象"),
        "{nav}"
    );
    c.goto(&format!("{}/checks/today", app.url))
        .await
        .expect("today");
    let cards = c
        .find_all(Locator::Css("ul.today > li"))
        .await
        .expect("cards");
    assert_eq!(cards.len(), 3);
    let first_card = cards[0].text().await.expect("text");
    assert!(
        first_card.contains("王**") && first_card.contains("A 级"),
        "care level A first: {first_card}"
    );
    assert!(!first_card.contains("王阿婆"), "names stay masked");
    let tel = c
        .find(Locator::Css("ul.today > li a.call"))
        .await
        .expect("call link")
        .attr("href")
        .await
        .expect("href");
    assert_eq!(tel.as_deref(), Some("tel:13812345678"));
    assert!(
        !scrolls_sideways(&b).await,
        "today's checks scroll sideways on a phone"
    );
    screenshot(&b, "checks-today-phone").await;
    c.find(Locator::Css(&format!("a[href='/people/{first}/check']")))
        .await
        .expect("record link")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Id("food_days_left"))
        .await
        .expect("the check form");
    c.find(Locator::Css("input[name=reached][value=yes]"))
        .await
        .expect("reached")
        .click()
        .await
        .expect("click");
    for (id, v) in [("food_days_left", "5"), ("medication_days_left", "1")] {
        c.find(Locator::Id(id))
            .await
            .expect(id)
            .send_keys(v)
            .await
            .expect("type");
    }
    for (id, v) in [("physical", "stable"), ("mental", "calm")] {
        c.find(Locator::Id(id))
            .await
            .expect(id)
            .select_by_value(v)
            .await
            .expect("select");
    }
    assert!(
        !scrolls_sideways(&b).await,
        "the check form scrolls sideways on a phone"
    );
    screenshot(&b, "check-form-phone").await;
    c.find(Locator::Css("button.primary"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Css("p.ok"))
        .await
        .expect("back on today's list");
    let left = c
        .find_all(Locator::Css("ul.today > li"))
        .await
        .expect("cards");
    assert_eq!(left.len(), 2, "the checked person left today's list");
    screenshot(&b, "checks-today-after-phone").await;
    c.goto(&format!("{}/people/{first}", app.url))
        .await
        .expect("person");
    let page = c.source().await.expect("source");
    assert!(page.contains("药够 1 天") && !page.contains("13812345678"));
    assert!(
        !scrolls_sideways(&b).await,
        "the person page scrolls sideways"
    );
    screenshot(&b, "person-phone").await;
    for (path, shot) in [
        ("/people", "people-phone"),
        ("/people/new", "person-new-phone"),
        ("/checks/schedule?by=worker", "schedule-phone"),
    ] {
        c.goto(&format!("{}{path}", app.url)).await.expect(path);
        assert!(
            !scrolls_sideways(&b).await,
            "{path} scrolls sideways on a phone"
        );
        screenshot(&b, shot).await;
    }
    b.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn a_volunteer_accepts_and_completes_a_task_on_a_phone_and_the_residents_page_changes_live() {
    use wushe_core::Clock;
    use wushe_core::volunteers::tasks;

    let Some(resident) = phone_browser().await else {
        return;
    };
    let Some(b) = phone_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let staff = crate::volunteers::actor(&app, Role::SocialWorker, WULIQIAO).await;
    let vol = crate::dispatch::volunteer(
        &app,
        &staff,
        QIAOYI,
        QIAOYI,
        &["medical"],
        crate::dispatch::ALWAYS,
    )
    .await;
    let link = crate::track::submit(&app, "browser-dispatch-1", "medication", "降压药吃完了").await;
    let need = crate::dispatch::need_id(&app, &link).await;

    // The resident's page is open, live.
    let r = &resident.client;
    r.goto(&format!("{}{link}", app.url)).await.expect("open");
    r.execute("window.wusheMarker = 'still here';", vec![])
        .await
        .expect("mark");
    assert!(wait_for_text(&resident, "实时", 5).await, "live indicator");
    assert!(!wait_for_text(&resident, "志愿者正在路上", 1).await);

    // The volunteer signs in on the phone and sees the offer with its countdown.
    let c = &b.client;
    c.goto(&format!("{}/login", app.url)).await.expect("login");
    type_into(&b, "username", &vol.username).await;
    type_into(&b, "password", crate::volunteers::VPASS).await;
    click(&b, "button.primary").await;
    assert!(wait_for_text(&b, "退出", 5).await || wait_for_text(&b, "我的", 5).await);
    c.goto(&format!("{}/me/tasks", app.url))
        .await
        .expect("tasks");
    assert!(wait_for_text(&b, "请您答复的任务", 5).await);
    assert!(wait_for_text(&b, "现在没有新任务", 2).await);
    assert!(
        wait_for_text(&b, "新任务会自动出现", 5).await,
        "the list is live"
    );
    mark(&b).await;

    // Staff give the need's task to volunteers while the volunteer's list is open: the
    // offer appears in place, without a reload, and its countdown ticks.
    tasks::dispatch(
        app.state.dispatcher(),
        &staff,
        need,
        "deliver_medicine",
        app.clock.now(),
    )
    .await
    .expect("dispatch");
    assert!(
        wait_for_text(&b, "接单", 5).await,
        "the offer appeared without a reload"
    );
    assert!(still_marked(&b).await, "the task list was not reloaded");
    assert!(wait_for_text(&b, "还剩 4:", 3).await, "the countdown ticks");
    let body = c
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(
        body.contains("送药") && !body.contains("13812345678"),
        "{body}"
    );
    assert!(
        !scrolls_sideways(&b).await,
        "the task page scrolls sideways"
    );
    screenshot(&b, "dispatch-offer-phone").await;
    click(&b, "form[action$='/accept'] button").await;
    assert!(wait_for_text(&b, "我已接的任务", 5).await);
    assert!(wait_for_text(&b, "显示地址和电话", 5).await);

    // The resident's page says a volunteer is on the way, without a reload and without a name.
    let on_the_way = || async {
        r.execute(
            "return document.querySelector('.on-the-way') !== null;",
            vec![],
        )
        .await
        .expect("script")
        .as_bool()
        .unwrap_or(false)
    };
    let started = Instant::now();
    while !on_the_way().await && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(on_the_way().await, "志愿者正在路上 appeared in place");
    let still = r
        .execute("return window.wusheMarker === 'still here';", vec![])
        .await
        .expect("marker");
    assert_eq!(still, json!(true), "the resident's page was not reloaded");
    assert!(
        !wait_for_text(&resident, "李志愿", 1).await,
        "no volunteer name"
    );
    screenshot(&resident, "dispatch-track-on-the-way-phone").await;

    // The volunteer asks for the address and phone, then completes with a note.
    click(&b, "form[action$='/contact'] button").await;
    assert!(
        wait_for_text(&b, "13812345678", 5).await,
        "the phone after accepting"
    );
    screenshot(&b, "dispatch-accepted-phone").await;
    let note = c
        .find(Locator::Css("textarea[name='note']"))
        .await
        .expect("note");
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![json!(note)],
    )
    .await
    .expect("scroll");
    note.send_keys("药已送到老人手上").await.expect("type");
    click(&b, "form[action$='/complete'] button").await;
    assert!(wait_for_text(&b, "任务已完成", 5).await);
    let body = c
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(!body.contains("13812345678"), "no phone once done");
    assert!(!scrolls_sideways(&b).await);
    screenshot(&b, "dispatch-done-phone").await;

    // And the resident's page changes again in place: the banner goes, the line stays.
    let started = Instant::now();
    while on_the_way().await && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !on_the_way().await,
        "the banner left once the task was done"
    );
    assert!(!scrolls_sideways(&resident).await);
    screenshot(&resident, "dispatch-track-done-phone").await;

    // Staff see the task and its whole story on the need page (on a phone too).
    let (worker, _) = app.create_user(Role::SocialWorker, QIAOYI).await;
    r.goto(&format!("{}/login", app.url)).await.expect("login");
    fill_login(&resident, &worker).await;
    assert!(wait_for_text(&resident, "退出", 5).await);
    r.goto(&format!("{}/needs/{need}", app.url))
        .await
        .expect("need");
    assert!(wait_for_text(&resident, "志愿者任务", 5).await);
    for words in ["已完成", "任务邀请志愿者", "志愿者已接单", "任务完成"] {
        assert!(wait_for_text(&resident, words, 2).await, "{words}");
    }
    assert!(!scrolls_sideways(&resident).await);
    screenshot(&resident, "dispatch-need-page-phone").await;
    b.client.clone().close().await.expect("close");
    resident.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn the_notification_pages_fit_a_phone_and_a_desk() {
    let app = TestApp::spawn_with(|c| {
        c.notify.sms.mode = wushe_app::notify::SmsMode::Demo;
        c.notify.webhook_allow = vec!["https://hook.example.org".into()];
    })
    .await;
    let link = crate::track::submit(&app, "browser-notify-1", "supplies", "家里没有米了").await;
    let (code, _) = crate::track::parts(&link);
    let (_, worker) = app.create_user(Role::SocialWorker, QIAOYI).await;
    crate::track::staff_does(
        &app,
        &code,
        wushe_core::needs::work::Command::Assign { to: worker },
    )
    .await;
    app.clock.advance(time::Duration::seconds(30));
    wushe_app::notify::deliver(&app.state)
        .await
        .expect("deliver");
    let (admin, admin_id) = app.create_user(Role::Admin, HUANGPU).await;
    app.state
        .store
        .set_mfa_exempt(admin_id, true)
        .await
        .expect("exempt");
    for (w, h, size) in [(390, 844, "phone"), (1280, 800, "desk")] {
        let Some(b) = browser(w, h).await else {
            return;
        };
        let c = &b.client;
        c.goto(&format!("{}/help/recover", app.url))
            .await
            .expect("open");
        assert!(!scrolls_sideways(&b).await, "/help/recover at {w}px");
        screenshot(&b, &format!("recover-{size}")).await;
        type_into(&b, "phone", "13812345678").await;
        click(&b, "form.public-form button.primary").await;
        assert!(
            wait_for_text(&b, "如果这个手机号有正在处理的求助", 10).await,
            "the recovery answer"
        );
        screenshot(&b, &format!("recover-done-{size}")).await;
        c.goto(&format!("{}/login", app.url)).await.expect("login");
        fill_login(&b, &admin).await;
        c.wait()
            .for_element(Locator::Css("nav.nav"))
            .await
            .expect("signed in");
        for (path, name) in [
            ("/admin/outbox", "outbox"),
            ("/admin/webhooks", "webhooks"),
            ("/admin/sms", "sms-demo"),
        ] {
            c.goto(&format!("{}{path}", app.url)).await.expect("open");
            assert!(
                !scrolls_sideways(&b).await,
                "{path} scrolls sideways at {w}px"
            );
            screenshot(&b, &format!("{name}-{size}")).await;
        }
        click(&b, "form.logout button").await;
        b.client.clone().close().await.expect("close");
    }
}

/// A spreadsheet file on disk for the browser's file picker.
fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wushe-upload-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

async fn upload_file(b: &Browser, path: &std::path::Path) {
    let e = b
        .client
        .wait()
        .for_element(Locator::Id("file"))
        .await
        .expect("file input");
    e.send_keys(&path.display().to_string())
        .await
        .expect("choose file");
    click(b, "form[action='/people/import'] button[type=submit]").await;
}

#[tokio::test]
async fn a_committee_worker_imports_a_spreadsheet_on_a_phone_fixing_the_dry_runs_errors() {
    let Some(b) = phone_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (name, _) = app.create_user(Role::CommitteeStaff, WULIQIAO).await;
    let c = &b.client;
    c.goto(&format!("{}/login", app.url)).await.expect("open");
    fill_login(&b, &name).await;
    c.wait()
        .for_element(Locator::Id("grants-h"))
        .await
        .expect("home");
    c.goto(&format!("{}/people", app.url))
        .await
        .expect("people");
    click(&b, "a[href='/people/import']").await;
    assert!(wait_for_text(&b, "下载 Excel 模板", 5).await);
    assert!(!scrolls_sideways(&b).await, "the upload page fits a phone");
    screenshot(&b, "import-upload-phone").await;

    // A file with two mistakes, as Excel would have saved it.
    let mut rows: Vec<Vec<String>> = (0..8_000)
        .map(|i| crate::excel::good_row(i, if i % 2 == 0 { QIAOYI } else { QIAOER }))
        .collect();
    crate::excel::set_cell(&mut rows[1], "id_number", "3.10101E+17");
    crate::excel::set_cell(&mut rows[2], "care_level", "D");
    let bad = temp_file("名单.csv", &crate::excel::csv_of(&rows));
    upload_file(&b, &bad).await;
    assert!(
        wait_for_text(&b, "没有导入任何人", 60).await,
        "the dry run's report"
    );
    let body = c
        .find(Locator::Css("main"))
        .await
        .expect("main")
        .text()
        .await
        .expect("text");
    assert!(
        body.contains("第 4 行") && body.contains("科学计数法"),
        "{body}"
    );
    assert!(
        body.contains("第 5 行") && body.contains("关爱等级"),
        "{body}"
    );
    assert!(!scrolls_sideways(&b).await, "the report fits a phone");
    screenshot(&b, "import-dry-run-errors-phone").await;

    // Fixed and uploaded again: checked, then imported with a live progress bar.
    crate::excel::set_cell(&mut rows[1], "id_number", "");
    crate::excel::set_cell(&mut rows[2], "care_level", "A");
    let good = temp_file("名单.csv", &crate::excel::csv_of(&rows));
    c.goto(&format!("{}/people/import", app.url))
        .await
        .expect("upload page");
    upload_file(&b, &good).await;
    if c.find(Locator::Css("progress")).await.is_ok() {
        screenshot(&b, "import-checking-progress-phone").await;
    }
    assert!(wait_for_text(&b, "确认导入", 60).await, "importable");
    screenshot(&b, "import-checked-phone").await;
    click(&b, "form[action$='/commit'] button[type=submit]").await;
    // The progress page (if the commit is still running when it loads) moves by itself.
    if c.find(Locator::Css("progress")).await.is_ok() {
        screenshot(&b, "import-progress-phone").await;
    }
    assert!(wait_for_text(&b, "导入完成", 120).await, "imported");
    let body = c
        .find(Locator::Css("main"))
        .await
        .expect("main")
        .text()
        .await
        .expect("text");
    assert!(body.contains("8000"), "{body}");
    screenshot(&b, "import-done-phone").await;
    // The exports page: masked downloads, the full export folded away behind its reason.
    c.goto(&format!("{}/exports", app.url))
        .await
        .expect("exports");
    assert!(wait_for_text(&b, "完整导出", 5).await);
    click(&b, "details summary").await;
    assert!(!scrolls_sideways(&b).await, "the exports page fits a phone");
    screenshot(&b, "exports-phone").await;
    b.client.clone().close().await.expect("close");
    let _ = std::fs::remove_dir_all(bad.parent().expect("dir"));
    let _ = std::fs::remove_dir_all(good.parent().expect("dir"));
}
