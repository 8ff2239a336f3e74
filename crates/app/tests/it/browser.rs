//! Browser tests in headless Chromium (Debian's chromium + chromedriver), on a phone-sized
//! viewport. Without chromedriver they print a notice and skip, unless CI=true: then they fail.

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
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
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
        let body = b
            .client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .unwrap_or_default();
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
