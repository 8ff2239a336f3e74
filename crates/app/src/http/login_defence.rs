//! The login defences as the login handler uses them: one [`Defence`] per attempt checks the
//! gate before any password is hashed, then records the failure (logging when an account gets
//! locked everywhere) or the success (storing an upgraded password hash).
//!
//! Counts live in the store, not in this process: several nodes share one PostgreSQL, so a
//! count kept in memory (as tower_governor keeps it) would let an attacker multiply the limit
//! by the number of nodes and start again at every restart. A login is rare enough that one
//! indexed query before it costs nothing that matters.

use std::net::IpAddr;

use time::Duration;
use wushe_core::users::User;
use wushe_core::users::login::{self, Gate, LoginPolicy, Refusal};

use crate::AppState;
use crate::http::error::HttpError;

/// Why a login attempt was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Too many failures from this address: 429 with `Retry-After`.
    Throttled { retry_after: Duration },
    /// Wrong password or a lock: 401.
    Login(Refusal),
}

impl Refused {
    /// The message shown on the login page, Chinese and English.
    pub fn message(self) -> (String, String) {
        let (zh, en) = match self {
            Refused::Throttled { retry_after } => {
                let minutes = (retry_after.whole_seconds() + 59) / 60;
                return (
                    format!("这个网络的登录失败次数过多，请{minutes}分钟后再试。"),
                    format!(
                        "Too many failed logins from this network; try again in {minutes} minutes."
                    ),
                );
            }
            Refused::Login(Refusal::WrongPassword) => (
                "用户名或密码不正确，请再试一次",
                "Wrong user name or password; please try again",
            ),
            Refused::Login(Refusal::LockedHere) => (
                "登录失败次数过多，此账号在这台设备或网络上暂停登录15分钟。请稍后再试，或换一台设备登录。",
                "Too many failed attempts: this account is paused on this device or network for 15 minutes. Try again later, or from another device.",
            ),
            Refused::Login(Refusal::LockedEverywhere) => (
                "此账号因登录失败次数过多已被暂时锁定，管理员已收到提醒。请联系管理员解锁，或一小时后再试。",
                "This account is locked for now after too many failed attempts, and its administrators have been alerted. Ask an administrator to unlock it, or try again in an hour.",
            ),
        };
        (zh.into(), en.into())
    }
}

/// The defences for one login attempt.
pub struct Defence<'a> {
    state: &'a AppState,
    policy: LoginPolicy,
    key: String,
    address: String,
}

impl<'a> Defence<'a> {
    /// For an attempt at `typed_name` (known or not) from `ip`.
    pub fn new(state: &'a AppState, typed_name: &str, ip: IpAddr) -> Self {
        Defence {
            state,
            policy: LoginPolicy::STANDARD,
            key: login::account_key(typed_name),
            address: login::address_key(ip),
        }
    }

    /// `Some` when the attempt must be refused without looking at the password.
    pub async fn gate(&self) -> Result<Option<Refused>, HttpError> {
        let now = self.state.clock.now();
        let gate = login::check(
            self.state.store.as_ref(),
            &self.policy,
            &self.key,
            &self.address,
            now,
        )
        .await?;
        Ok(match gate {
            Gate::Open => None,
            Gate::Throttled { retry_after } => Some(Refused::Throttled { retry_after }),
            Gate::LockedHere { .. } => Some(Refused::Login(Refusal::LockedHere)),
            Gate::LockedEverywhere { .. } => Some(Refused::Login(Refusal::LockedEverywhere)),
        })
    }

    /// Record a failed attempt. `user` is the enabled account behind the name, if any.
    pub async fn failed(&self, user: Option<&User>) -> Result<Refused, HttpError> {
        let now = self.state.clock.now();
        let out = login::record_failure(
            self.state.store.as_ref(),
            &self.policy,
            &self.key,
            &self.address,
            user,
            now,
        )
        .await?;
        if out.newly_locked_everywhere {
            // Never the typed name: it may be a password typed into the wrong field.
            let account = user.map(|u| u.id.to_string());
            tracing::warn!(
                account = account.as_deref().unwrap_or("unknown name"),
                key = &self.key[..12],
                failures = self.policy.lock_everywhere_after,
                "account locked everywhere after too many failed logins; administrators alerted"
            );
        }
        Ok(Refused::Login(out.refusal))
    }

    /// Record a successful login; store `upgraded` in place of `old_hash` if given.
    pub async fn succeeded(
        &self,
        user: &User,
        old_hash: &str,
        upgraded: Option<String>,
    ) -> Result<(), HttpError> {
        let store = self.state.store.as_ref();
        login::record_success(store, &self.key, &self.address).await?;
        if let Some(new) = upgraded
            && store.upgrade_password_hash(user.id, old_hash, &new).await?
        {
            tracing::info!(user = %user.id, "password hash upgraded to the current parameters");
        }
        Ok(())
    }
}
