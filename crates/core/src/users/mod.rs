//! Staff accounts, their grants and login sessions.

pub mod account;
pub mod login;
pub mod password;
pub mod rules;
pub mod second_factor;
pub mod service;
pub mod totp;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::actor::{Grant, Role};
use crate::error::FieldError;
use crate::ids::{GrantId, UserId};
use crate::regions::RegionCode;

/// A stored staff account (never carries the password hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// The region the account belongs to; staff lists are scoped by it.
    pub region: RegionCode,
    /// `zh` or `en`.
    pub lang: String,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    /// When the password was last set (MLPS mode makes it expire).
    pub password_changed_at: OffsetDateTime,
}

/// A grant as stored, with its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredGrant {
    pub id: GrantId,
    pub grant: Grant,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub region: RegionCode,
    pub grants: Vec<Grant>,
}

/// A login session, stored by the hash of its cookie token.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

/// Session limits.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

impl SessionPolicy {
    /// Is the session still usable at `now`?
    pub fn is_live(&self, s: &Session, now: OffsetDateTime) -> bool {
        now - s.last_seen_at < self.idle && now - s.created_at < self.absolute
    }
}

/// User names: 3–32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter or digit; lower-cased.
pub fn parse_username(raw: &str) -> Result<String, FieldError> {
    let v = raw.trim().to_lowercase();
    let ok = (3..=32).contains(&v.len())
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(v)
    } else {
        Err(FieldError {
            field: "username",
            zh: "用户名为3到32位小写字母、数字或 . _ -，例如 wang.li".into(),
            en: "User name: 3 to 32 lower-case letters, digits or . _ -, e.g. wang.li".into(),
        })
    }
}

/// Parse a role name from a form.
pub fn parse_role(raw: &str) -> Result<Role, FieldError> {
    Role::parse(raw.trim()).ok_or(FieldError {
        field: "role",
        zh: "请选择角色".into(),
        en: "Choose a role".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_bounded() {
        assert_eq!(
            parse_username(" Wang.Li ").ok(),
            Some("wang.li".to_string())
        );
        for bad in ["ab", "-abc", "wang li", "王丽丽", &"a".repeat(33)] {
            assert!(parse_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sessions_expire_when_idle_or_too_old() {
        let p = SessionPolicy::default();
        let t0 = time::macros::datetime!(2026-04-03 08:00 UTC);
        let mut s = Session {
            token_hash: String::new(),
            user_id: UserId::new(),
            created_at: t0,
            last_seen_at: t0,
        };
        assert!(p.is_live(&s, t0 + Duration::minutes(29)));
        assert!(!p.is_live(&s, t0 + Duration::minutes(30)));
        s.last_seen_at = t0 + Duration::hours(11) + Duration::minutes(50);
        assert!(p.is_live(&s, t0 + Duration::hours(11) + Duration::minutes(55)));
        assert!(!p.is_live(&s, t0 + Duration::hours(12)));
    }
}
