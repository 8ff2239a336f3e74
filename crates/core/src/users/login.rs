//! Login defences: the policy (thresholds and windows, a pure function of the counts the
//! store keeps and the time) and the use-cases that consult and update those counts.
//!
//! Everything is keyed by the *typed* account name, never by user id, so an unknown name is
//! throttled, counted and locked exactly like a real one and the answers cannot tell them
//! apart. The name is stored only as a SHA-256 key: people type passwords into the name field.
//!
//! Why the per-address lock comes first. A lock on the whole account is what an attacker wants
//! in an emergency: lock every worker out and the city's social work stops. So the first line
//! is per (account, address): five consecutive failures lock the account *for that address
//! only*, for 15 minutes, while the worker signs in from anywhere else. Attempts refused by a
//! lock or by the throttle are not counted and cost no password hashing, so one address adds
//! at most 5 failures per account per 15 minutes (20 an hour), and the per-address throttle
//! caps it at 30 failures per 10 minutes over all accounts. Reaching the account-wide limit
//! (100 failures in an hour) therefore takes at least five addresses working on one account
//! for an hour, and locking N accounts needs about N/2 addresses busy for that hour — a
//! distributed, visible attack (each lock alerts the account's administrators, who unlock it in
//! one click), not one laptop. Were the account-wide count first, that laptop could lock every
//! worker out in minutes.

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::error::Result;
use crate::ids::{AlertId, UserId};
use crate::regions::RegionCode;
use crate::store::Store;
use crate::users::User;

/// Thresholds and windows of the login defences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Consecutive failures of one account from one address that lock it there…
    pub lock_here_after: u32,
    /// …for this long.
    pub lock_here_for: Duration,
    /// A streak of failures is forgotten after this long without another one.
    pub streak_forgotten_after: Duration,
    /// Failures of one account from anywhere within `account_window` that lock it everywhere…
    pub lock_everywhere_after: u32,
    pub account_window: Duration,
    /// …for this long, or until an administrator unlocks it.
    pub lock_everywhere_for: Duration,
    /// Failures from one address (all accounts) within `address_window` that throttle it.
    pub throttle_after: u32,
    pub address_window: Duration,
}

impl LoginPolicy {
    pub const STANDARD: LoginPolicy = LoginPolicy {
        lock_here_after: 5,
        lock_here_for: Duration::minutes(15),
        streak_forgotten_after: Duration::hours(24),
        lock_everywhere_after: 100,
        account_window: Duration::hours(1),
        lock_everywhere_for: Duration::hours(1),
        throttle_after: 30,
        address_window: Duration::minutes(10),
    };
}

/// What the store knows about an account name and an address before an attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginState {
    /// The per-address lock of this account, if one was ever set (it may have expired).
    pub locked_here_until: Option<OffsetDateTime>,
    /// The account-wide lock, if one was ever set (it may have expired).
    pub locked_everywhere_until: Option<OffsetDateTime>,
    /// Failures from this address, all accounts, within the throttle window…
    pub address_failures: u32,
    /// …and the oldest of them.
    pub oldest_address_failure: Option<OffsetDateTime>,
}

/// May an attempt go ahead?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Too many failures from this address: answer 429 with `Retry-After`.
    Throttled {
        retry_after: Duration,
    },
    /// This account is locked for this address.
    LockedHere {
        until: OffsetDateTime,
    },
    /// This account is locked everywhere.
    LockedEverywhere {
        until: OffsetDateTime,
    },
}

/// One failed attempt to record, with the windows the policy counts over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailure {
    pub account_key: String,
    pub address: String,
    pub at: OffsetDateTime,
    /// The streak continues only if its last failure is after this.
    pub streak_since: OffsetDateTime,
    /// Account-wide failures are counted from this time.
    pub account_since: OffsetDateTime,
}

/// The counts right after a failure was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCounts {
    /// Consecutive failures of this account from this address, this one included.
    pub streak: u32,
    /// Failures of this account from anywhere within the account window, this one included.
    pub account_recent: u32,
}

/// The locks a failure calls for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    pub lock_here_until: Option<OffsetDateTime>,
    pub lock_everywhere_until: Option<OffsetDateTime>,
}

impl LoginPolicy {
    /// Decide whether an attempt may be checked at all. The throttle covers the whole address;
    /// then the per-address lock; then the account-wide lock.
    pub fn gate(&self, now: OffsetDateTime, s: &LoginState) -> Gate {
        if s.address_failures >= self.throttle_after {
            let oldest = s.oldest_address_failure.unwrap_or(now);
            let left = oldest + self.address_window - now;
            // Whole seconds, rounded up: a client that waits that long is let through.
            let up = i64::from(left.subsec_nanoseconds() > 0);
            let retry_after = Duration::seconds((left.whole_seconds() + up).max(1));
            return Gate::Throttled { retry_after };
        }
        match (s.locked_here_until, s.locked_everywhere_until) {
            (Some(until), _) if until > now => Gate::LockedHere { until },
            (_, Some(until)) if until > now => Gate::LockedEverywhere { until },
            _ => Gate::Open,
        }
    }

    /// The failure record for an attempt at `now`.
    pub fn failure(&self, account_key: &str, address: &str, now: OffsetDateTime) -> LoginFailure {
        LoginFailure {
            account_key: account_key.to_string(),
            address: address.to_string(),
            at: now,
            streak_since: now - self.streak_forgotten_after,
            account_since: now - self.account_window,
        }
    }

    /// The locks called for by the counts after a failure.
    pub fn verdict(&self, now: OffsetDateTime, c: &FailureCounts) -> Verdict {
        Verdict {
            lock_here_until: (c.streak >= self.lock_here_after).then(|| now + self.lock_here_for),
            lock_everywhere_until: (c.account_recent >= self.lock_everywhere_after)
                .then(|| now + self.lock_everywhere_for),
        }
    }
}

/// The key an account name is counted under: SHA-256 of the trimmed, lower-cased name.
pub fn account_key(typed_name: &str) -> String {
    hex::encode(Sha256::digest(typed_name.trim().to_lowercase().as_bytes()))
}

/// The key a client address is counted under: [`crate::net::limit_key_text`] (an IPv6 client
/// counts as its /64, an IPv4-mapped address as IPv4), like every other per-address limit.
pub fn address_key(ip: IpAddr) -> String {
    crate::net::limit_key_text(ip)
}

/// An alert for the administrators of a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub id: AlertId,
    pub kind: AlertKind,
    pub region: RegionCode,
    pub user: Option<UserId>,
    pub created_at: OffsetDateTime,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// An account was locked everywhere after too many failed logins.
    LoginLocked,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::LoginLocked => "login_locked",
        }
    }

    pub fn parse(s: &str) -> Option<AlertKind> {
        (s == "login_locked").then_some(AlertKind::LoginLocked)
    }
}

/// An open alert, with the account it concerns.
#[derive(Debug, Clone)]
pub struct Alert {
    pub id: AlertId,
    pub kind: AlertKind,
    pub region: RegionCode,
    pub user: Option<(UserId, String)>,
    pub created_at: OffsetDateTime,
}

/// Why an attempt was refused (the same answers for known and unknown names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    WrongPassword,
    LockedHere,
    LockedEverywhere,
}

/// What recording a failure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureOutcome {
    pub refusal: Refusal,
    /// This failure locked the account everywhere (it was not locked before): log and alert.
    pub newly_locked_everywhere: bool,
}

/// May an attempt for `account_key` from `address` go ahead?
pub async fn check(
    store: &dyn Store,
    policy: &LoginPolicy,
    account_key: &str,
    address: &str,
    now: OffsetDateTime,
) -> Result<Gate> {
    let s = store
        .login_state(account_key, address, now - policy.address_window)
        .await?;
    Ok(policy.gate(now, &s))
}

/// Record a failed attempt and apply the locks it calls for. `user` is the account behind the
/// name when there is one: its administrators are alerted when it is locked everywhere.
pub async fn record_failure(
    store: &dyn Store,
    policy: &LoginPolicy,
    account_key: &str,
    address: &str,
    user: Option<&User>,
    now: OffsetDateTime,
) -> Result<FailureOutcome> {
    let counts = store
        .record_login_failure(&policy.failure(account_key, address, now))
        .await?;
    let verdict = policy.verdict(now, &counts);
    let mut refusal = Refusal::WrongPassword;
    if let Some(until) = verdict.lock_here_until {
        store.lock_login_here(account_key, address, until).await?;
        refusal = Refusal::LockedHere;
    }
    let mut newly_locked_everywhere = false;
    if let Some(until) = verdict.lock_everywhere_until {
        let alert = user.map(|u| NewAlert {
            id: AlertId::new(),
            kind: AlertKind::LoginLocked,
            region: u.region.clone(),
            user: Some(u.id),
            created_at: now,
        });
        newly_locked_everywhere = store
            .lock_login_everywhere(account_key, now, until, alert.as_ref())
            .await?;
        refusal = Refusal::LockedEverywhere;
    }
    Ok(FailureOutcome {
        refusal,
        newly_locked_everywhere,
    })
}

/// A successful login ends the streak of failures from that address.
pub async fn record_success(store: &dyn Store, account_key: &str, address: &str) -> Result<()> {
    store.clear_login_streak(account_key, address).await
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
