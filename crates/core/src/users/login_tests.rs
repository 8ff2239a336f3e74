//! Unit tests of the login policy, with an injected clock.

use super::*;
use crate::clock::{Clock, TestClock};

const P: LoginPolicy = LoginPolicy::STANDARD;

fn clock() -> TestClock {
    TestClock::new(time::macros::datetime!(2026-04-03 08:00 UTC))
}

fn counts(streak: u32, account_recent: u32) -> FailureCounts {
    FailureCounts {
        streak,
        account_recent,
    }
}

#[test]
fn the_fifth_consecutive_failure_locks_the_account_for_that_address_for_15_minutes() {
    let c = clock();
    assert_eq!(P.verdict(c.now(), &counts(4, 4)), Verdict::default());
    let v = P.verdict(c.now(), &counts(5, 5));
    let until = c.now() + Duration::minutes(15);
    assert_eq!(v.lock_here_until, Some(until));
    assert_eq!(v.lock_everywhere_until, None);
    let state = LoginState {
        locked_here_until: v.lock_here_until,
        ..Default::default()
    };
    c.advance(Duration::minutes(14));
    assert_eq!(P.gate(c.now(), &state), Gate::LockedHere { until });
    c.advance(Duration::minutes(1));
    assert_eq!(P.gate(c.now(), &state), Gate::Open, "the lock ends on time");
}

#[test]
fn a_hundred_failures_within_an_hour_lock_the_account_everywhere_for_an_hour() {
    let c = clock();
    assert_eq!(
        P.verdict(c.now(), &counts(1, 99)).lock_everywhere_until,
        None
    );
    let v = P.verdict(c.now(), &counts(1, 100));
    let until = c.now() + Duration::hours(1);
    assert_eq!(v.lock_everywhere_until, Some(until));
    assert_eq!(v.lock_here_until, None, "a first failure here is no streak");
    let state = LoginState {
        locked_everywhere_until: Some(until),
        ..Default::default()
    };
    c.advance(Duration::minutes(59));
    assert_eq!(P.gate(c.now(), &state), Gate::LockedEverywhere { until });
    c.advance(Duration::minutes(1));
    assert_eq!(P.gate(c.now(), &state), Gate::Open);
}

#[test]
fn failures_are_counted_over_the_policy_windows() {
    let c = clock();
    let f = P.failure("k", "192.0.2.1", c.now());
    assert_eq!(f.at, c.now());
    assert_eq!(f.account_since, c.now() - Duration::hours(1));
    assert_eq!(f.streak_since, c.now() - Duration::hours(24));
}

#[test]
fn thirty_failures_from_one_address_throttle_it_until_the_oldest_leaves_the_window() {
    let c = clock();
    let mut state = LoginState {
        address_failures: 29,
        oldest_address_failure: Some(c.now() - Duration::minutes(4)),
        ..Default::default()
    };
    assert_eq!(P.gate(c.now(), &state), Gate::Open);
    state.address_failures = 30;
    assert_eq!(
        P.gate(c.now(), &state),
        Gate::Throttled {
            retry_after: Duration::minutes(6)
        }
    );
    c.advance(Duration::milliseconds(5 * 60_000 + 58_500));
    assert_eq!(
        P.gate(c.now(), &state),
        Gate::Throttled {
            retry_after: Duration::seconds(2)
        },
        "rounded up to whole seconds"
    );
    c.advance(Duration::seconds(2));
    assert_eq!(
        P.gate(c.now(), &state),
        Gate::Throttled {
            retry_after: Duration::seconds(1)
        },
        "never a zero Retry-After while the store still counts 30"
    );
}

#[test]
fn the_throttle_is_checked_before_the_locks_and_the_address_lock_before_the_account_lock() {
    let c = clock();
    let later = c.now() + Duration::minutes(5);
    let mut state = LoginState {
        locked_here_until: Some(later),
        locked_everywhere_until: Some(later + Duration::minutes(30)),
        address_failures: 30,
        oldest_address_failure: Some(c.now()),
    };
    assert!(matches!(P.gate(c.now(), &state), Gate::Throttled { .. }));
    state.address_failures = 0;
    assert_eq!(P.gate(c.now(), &state), Gate::LockedHere { until: later });
    state.locked_here_until = Some(c.now() - Duration::minutes(1));
    assert!(matches!(
        P.gate(c.now(), &state),
        Gate::LockedEverywhere { .. }
    ));
}

#[test]
fn account_keys_ignore_case_and_spaces_and_do_not_contain_the_name() {
    let k = account_key(" Wang.Li ");
    assert_eq!(k, account_key("wang.li"));
    assert_ne!(k, account_key("wang.lj"));
    assert_eq!(k.len(), 64);
    assert!(!k.contains("wang"));
}

#[test]
fn ipv6_addresses_count_by_their_64_prefix_and_mapped_ipv4_as_ipv4() {
    let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
    assert_eq!(address_key(ip("192.0.2.7")), "192.0.2.7");
    assert_eq!(address_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
    assert_eq!(
        address_key(ip("2001:db8:1:2:aaaa::1")),
        address_key(ip("2001:db8:1:2:bbbb::2"))
    );
    assert_eq!(address_key(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
    assert_ne!(
        address_key(ip("2001:db8:1:2::1")),
        address_key(ip("2001:db8:1:3::1"))
    );
}

#[test]
fn alert_kinds_round_trip() {
    assert_eq!(
        AlertKind::parse(AlertKind::LoginLocked.as_str()),
        Some(AlertKind::LoginLocked)
    );
    assert_eq!(AlertKind::parse("other"), None);
}
