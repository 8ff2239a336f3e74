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
    for (id, value) in [
        ("description", "我母亲在家胸痛，呼吸困难"),
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
    let urgent = c
        .wait()
        .for_element(Locator::Css(".urgent-line"))
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
