//! Personal API tokens: shown once, stored as a hash, scoped exactly like their owner,
//! with an expiry, revocable.

pub mod service;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{FieldError, FieldErrors, Result};
use crate::ids::{TokenId, UserId};
use crate::text;

/// Every token starts with this, so leaked tokens are easy to recognise and scan for.
pub const PREFIX: &str = "wst_";

/// A stored token (never the secret itself).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub hint: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiToken {
    /// Usable at `now`?
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// What a user asks for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenForm {
    pub name: String,
    /// Days until expiry, 1 to 365 (default 90).
    #[serde(default)]
    pub days: String,
}

/// The parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub days: i64,
}

impl TokenForm {
    pub fn parse(&self) -> Result<TokenRequest> {
        let mut e = FieldErrors::default();
        let name = e.take(text::required("name", &self.name, 60));
        let days = e.take(parse_days(&self.days));
        e.into_result()?;
        match (name, days) {
            (Some(name), Some(days)) => Ok(TokenRequest { name, days }),
            _ => Err(crate::Error::internal("parsed fields missing")),
        }
    }
}

fn parse_days(raw: &str) -> std::result::Result<i64, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(90);
    }
    match v.parse::<i64>() {
        Ok(d) if (1..=365).contains(&d) => Ok(d),
        _ => Err(FieldError {
            field: "days",
            zh: "有效期为1到365天".into(),
            en: "Validity: 1 to 365 days".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_request_needs_a_name_and_sane_validity() {
        let ok = TokenForm {
            name: " 区平台对接 ".into(),
            days: "".into(),
        }
        .parse()
        .expect("valid");
        assert_eq!(
            ok,
            TokenRequest {
                name: "区平台对接".into(),
                days: 90
            }
        );
        for days in ["0", "366", "-1", "ten"] {
            let Err(crate::Error::Invalid(e)) = (TokenForm {
                name: "x".into(),
                days: days.into(),
            })
            .parse() else {
                panic!("{days} accepted")
            };
            assert!(e.get("days").is_some());
        }
        assert!(
            TokenForm {
                name: "".into(),
                days: "30".into()
            }
            .parse()
            .is_err()
        );
    }

    #[test]
    fn revoked_or_expired_tokens_are_not_live() {
        let t0 = time::macros::datetime!(2026-04-03 08:00 UTC);
        let mut t = ApiToken {
            id: TokenId::new(),
            user_id: UserId::new(),
            name: "x".into(),
            hint: "wst_abcd".into(),
            created_at: t0,
            expires_at: t0 + time::Duration::days(1),
            last_used_at: None,
            revoked_at: None,
        };
        assert!(t.is_live(t0));
        assert!(!t.is_live(t0 + time::Duration::days(1)));
        t.revoked_at = Some(t0);
        assert!(!t.is_live(t0));
    }
}
