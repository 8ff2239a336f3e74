use time::Duration;
use time::macros::datetime;

use super::sms::{Caps, SentCounts, text};
use super::webhook::{check_url, origin, signature, verify};
use super::*;

const NOW: OffsetDateTime = datetime!(2026-04-03 08:00 UTC);

#[test]
fn backoff_doubles_with_jitter_between_half_and_all_and_is_capped() {
    let p = RetryPolicy::default();
    assert_eq!(p.backoff(1, 500), Duration::seconds(30));
    assert_eq!(p.backoff(1, 0), Duration::seconds(15));
    assert_eq!(p.backoff(2, 500), Duration::seconds(60));
    assert_eq!(p.backoff(3, 500), Duration::seconds(120));
    assert_eq!(p.backoff(30, 500), Duration::hours(1));
    for j in [0, 1, 250, 499, 500, 9999, u32::MAX] {
        let d = p.backoff(4, j);
        assert!(
            d >= Duration::seconds(120) && d <= Duration::seconds(240),
            "{d}"
        );
    }
}

#[test]
fn the_last_attempt_goes_to_the_dead_letter() {
    let p = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    assert!(matches!(p.after_failure(1, "down", NOW, 7), Finish::Retry { at, .. } if at > NOW));
    assert!(matches!(
        p.after_failure(2, "down", NOW, 7),
        Finish::Retry { .. }
    ));
    assert_eq!(
        p.after_failure(3, "down", NOW, 7),
        Finish::Dead("down".into())
    );
}

#[test]
fn texts_are_short_chinese_with_the_code_and_link_and_only_for_status_changes() {
    let t = text(
        "五社联动",
        "assigned",
        "ABCD-EFGH",
        "https://x/t/ABCDEFGH?k=1",
    )
    .expect("text");
    assert!(t.starts_with("【五社联动】"));
    assert!(t.contains("ABCD-EFGH") && t.contains("https://x/t/ABCDEFGH?k=1"));
    assert!(t.chars().count() < 120);
    assert!(text("五社联动", "note", "A", "l").is_none());
    assert!(text("五社联动", TRACKING_LINK, "A", "l").is_some());
    for k in sms::RESIDENT_KINDS {
        assert!(text("五社联动", k.as_str(), "A", "l").is_some());
    }
}

#[test]
fn caps_per_number_and_per_address() {
    let c = Caps::default();
    assert_eq!(c.refuse(SentCounts::default()), None);
    let hour = SentCounts {
        phone_hour: 5,
        phone_day: 5,
        origin_hour: 0,
    };
    assert!(c.refuse(hour).is_some());
    let day = SentCounts {
        phone_hour: 0,
        phone_day: 10,
        origin_hour: 0,
    };
    assert!(c.refuse(day).is_some());
    let origin = SentCounts {
        origin_hour: 10,
        ..SentCounts::default()
    };
    assert!(c.refuse(origin).is_some());
}

#[test]
fn origins_are_normalised_and_odd_urls_have_none() {
    assert_eq!(
        origin("https://Hook.Example.org/x?y").as_deref(),
        Some("https://hook.example.org")
    );
    assert_eq!(
        origin("https://hook.example.org:443/").as_deref(),
        Some("https://hook.example.org")
    );
    assert_eq!(
        origin("http://127.0.0.1:8081/hook").as_deref(),
        Some("http://127.0.0.1:8081")
    );
    assert_eq!(origin("http://[::1]:80/").as_deref(), Some("http://[::1]"));
    for bad in [
        "ftp://x",
        "https://user@hook.example.org/",
        "https://hook.example.org@169.254.169.254/",
        "https:///x",
        "hook.example.org",
        "https://ho st/",
        "https://x:99999/",
    ] {
        assert_eq!(origin(bad), None, "{bad}");
    }
}

#[test]
fn only_allowed_origins_are_accepted() {
    let allow = vec!["https://hook.example.org".to_string()];
    assert!(check_url("https://hook.example.org/wushe", &allow).is_ok());
    for bad in [
        "https://hook.example.org:8443/wushe",
        "http://hook.example.org/wushe",
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "https://hook.example.org.evil.net/",
        "https://hook.example.org@127.0.0.1/",
    ] {
        assert!(check_url(bad, &allow).is_err(), "{bad}");
    }
    assert!(check_url("http://127.0.0.1/", &[]).is_err());
}

#[test]
fn signatures_verify_and_any_change_breaks_them() {
    let secret = b"0123456789abcdef";
    let sig = signature(secret, 1_700_000_000, b"{\"a\":1}");
    assert!(sig.starts_with("t=1700000000,v1="));
    assert!(verify(secret, &sig, b"{\"a\":1}"));
    assert!(!verify(secret, &sig, b"{\"a\":2}"));
    assert!(!verify(b"other", &sig, b"{\"a\":1}"));
    let shifted = sig.replace("t=1700000000", "t=1700000001");
    assert!(!verify(secret, &shifted, b"{\"a\":1}"));
}
