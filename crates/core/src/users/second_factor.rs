//! The second factor: who needs one, enrolment (secret sealed by the field cipher, confirmed
//! by a first code, ten recovery codes stored as keyed hashes), and checking a code or a
//! recovery code after the password. A login that needs a code waits as a [`PendingLogin`],
//! which is good for nothing but the code (or enrolment) page.

use time::{Duration, OffsetDateTime};

use crate::actor::{Grant, Role};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, EncryptedColumn};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::store::Store;
use crate::users::totp::{self, TotpSecret};

/// Where TOTP secrets are sealed. Listed in the store's registry of encrypted columns.
pub const TOTP_SECRET: EncryptedColumn = EncryptedColumn {
    table: "users",
    column: "totp_secret",
    id_column: "id",
};

/// Wrong codes a pending login survives; the fifth drops it.
pub const MAX_WRONG_CODES: i64 = 5;
/// How long a pending login waits for its code (or enrolment).
pub const PENDING_FOR: Duration = Duration::minutes(10);
/// Keyed-hash domain of recovery codes.
const RECOVERY_DOMAIN: &str = "recovery_code";

/// A user's second factor as stored.
#[derive(Debug, Clone, Default)]
pub struct SecondFactorState {
    /// The sealed TOTP secret (confirmed or awaiting its first code).
    pub sealed_secret: Option<Vec<u8>>,
    pub confirmed: bool,
    /// The step of the last accepted code; a code works once.
    pub last_step: Option<i64>,
    /// Demo accounts only: never asked for a second factor.
    pub exempt: bool,
}

/// What a pending login waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingStage {
    /// A code from the enrolled authenticator (or a recovery code).
    Code,
    /// Enrolment: the account must have a second factor and has none yet.
    Enrol,
}

impl PendingStage {
    pub fn as_str(self) -> &'static str {
        match self {
            PendingStage::Code => "code",
            PendingStage::Enrol => "enrol",
        }
    }

    pub fn parse(s: &str) -> Option<PendingStage> {
        match s {
            "code" => Some(PendingStage::Code),
            "enrol" => Some(PendingStage::Enrol),
            _ => None,
        }
    }
}

/// A login past its password, stored by the hash of its own cookie token.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub token_hash: String,
    pub user_id: UserId,
    pub stage: PendingStage,
    /// Local path to go to after the code.
    pub next: String,
    pub created_at: OffsetDateTime,
    pub wrong_codes: i64,
}

impl PendingLogin {
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        now - self.created_at < PENDING_FOR && self.wrong_codes < MAX_WRONG_CODES
    }
}

/// Must an account with these grants have a second factor? Admins, civil affairs and
/// supervisors always; every account when `mlps_mode` (等保 level 3) is on.
pub fn required(grants: &[Grant], mlps_mode: bool) -> bool {
    mlps_mode
        || grants
            .iter()
            .any(|g| matches!(g.role, Role::Admin | Role::CivilAffairs | Role::Supervisor))
}

/// What happens after a correct password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPassword {
    /// No second factor: the session starts now.
    SignIn,
    /// Ask for a code (or recovery code).
    AskCode,
    /// The account must enrol before it can do anything.
    MustEnrol,
}

pub async fn after_password(
    store: &dyn Store,
    user: UserId,
    mlps_mode: bool,
) -> Result<AfterPassword> {
    let state = store.second_factor(user).await?;
    if state.exempt {
        return Ok(AfterPassword::SignIn);
    }
    if state.confirmed {
        return Ok(AfterPassword::AskCode);
    }
    let grants: Vec<Grant> = store
        .grants(user)
        .await?
        .into_iter()
        .map(|g| g.grant)
        .collect();
    Ok(if required(&grants, mlps_mode) {
        AfterPassword::MustEnrol
    } else {
        AfterPassword::SignIn
    })
}

fn unix(now: OffsetDateTime) -> u64 {
    u64::try_from(now.unix_timestamp()).unwrap_or(0)
}

fn open_secret(cipher: &Cipher, user: UserId, sealed: &[u8]) -> Result<TotpSecret> {
    let field = TOTP_SECRET.field(user.0);
    cipher
        .open(field, sealed)
        .map(TotpSecret::from_bytes)
        .map_err(|e| e.into_error(&field))
}

fn wrong_code() -> Error {
    Error::invalid(
        "code",
        "验证码不正确，请输入验证器中当前显示的6位数字",
        "Wrong code: enter the 6 digits your authenticator shows now",
    )
}

/// Start (or show again) an enrolment: the secret awaiting its first code. A confirmed
/// second factor is never shown again.
pub async fn enrolment(store: &dyn Store, cipher: &Cipher, user: UserId) -> Result<TotpSecret> {
    let state = store.second_factor(user).await?;
    if state.confirmed {
        return Err(Error::Conflict("second factor already enrolled".into()));
    }
    if let Some(sealed) = &state.sealed_secret {
        return open_secret(cipher, user, sealed);
    }
    let secret = TotpSecret::generate()?;
    let sealed = cipher.seal(TOTP_SECRET.field(user.0), secret.as_bytes())?;
    if !store.set_pending_totp(user, &sealed).await? {
        return Err(Error::Conflict("second factor already enrolled".into()));
    }
    Ok(secret)
}

/// Confirm an enrolment with its first code; returns the recovery codes, to show once.
pub async fn confirm(
    store: &dyn Store,
    cipher: &Cipher,
    user: UserId,
    code: &str,
    now: OffsetDateTime,
) -> Result<Vec<String>> {
    let state = store.second_factor(user).await?;
    if state.confirmed {
        return Err(Error::Conflict("second factor already enrolled".into()));
    }
    let sealed = state.sealed_secret.ok_or_else(wrong_code)?;
    let secret = open_secret(cipher, user, &sealed)?;
    let step = secret.check(code, unix(now)).ok_or_else(wrong_code)?;
    let codes = totp::new_recovery_codes()?;
    let mut hashes = Vec::with_capacity(codes.len());
    for c in &codes {
        let n = totp::normalise_recovery_code(c).ok_or_else(|| Error::internal("recovery code"))?;
        hashes.push(cipher.keyed_hash(RECOVERY_DOMAIN, &format!("{user}:{n}"))?);
    }
    let step = i64::try_from(step).map_err(Error::internal)?;
    let mut audit =
        AuditEvent::new(Action::SecondFactorEnrolled, now).record(RecordKind::User, [user]);
    audit.actor = Some(user);
    if !store.confirm_totp(user, step, &hashes, now, &audit).await? {
        return Err(Error::Conflict("second factor already enrolled".into()));
    }
    Ok(codes)
}

/// Check a code from the authenticator or a recovery code. Each works once.
pub async fn verify(
    store: &dyn Store,
    cipher: &Cipher,
    user: UserId,
    input: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let state = store.second_factor(user).await?;
    let (true, Some(sealed)) = (state.confirmed, state.sealed_secret) else {
        return Ok(false);
    };
    if totp::looks_like_code(input) {
        let secret = open_secret(cipher, user, &sealed)?;
        let Some(step) = secret
            .check(input, unix(now))
            .and_then(|s| i64::try_from(s).ok())
        else {
            return Ok(false);
        };
        if state.last_step.is_some_and(|last| step <= last) {
            return Ok(false);
        }
        return store.use_totp_step(user, step).await;
    }
    let Some(n) = totp::normalise_recovery_code(input) else {
        return Ok(false);
    };
    let candidates = cipher.keyed_hash_candidates(RECOVERY_DOMAIN, &format!("{user}:{n}"));
    store.use_recovery_code(user, &candidates, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regions::RegionCode;

    fn grants(roles: &[Role]) -> Vec<Grant> {
        roles
            .iter()
            .map(|r| Grant {
                role: *r,
                region: RegionCode::parse("310101").expect("code"),
                org: None,
            })
            .collect()
    }

    #[test]
    fn admins_civil_affairs_and_supervisors_need_a_second_factor_and_everyone_in_mlps_mode() {
        for r in [Role::Admin, Role::CivilAffairs, Role::Supervisor] {
            assert!(required(&grants(&[r]), false), "{r:?}");
        }
        for r in [Role::SocialWorker, Role::Volunteer, Role::Counselor] {
            assert!(!required(&grants(&[r]), false), "{r:?}");
            assert!(required(&grants(&[r]), true), "{r:?} in mlps_mode");
        }
        assert!(required(
            &grants(&[Role::Volunteer, Role::Supervisor]),
            false
        ));
        assert!(!required(&[], false));
    }

    #[test]
    fn a_pending_login_lasts_ten_minutes_and_five_wrong_codes() {
        let t0 = time::macros::datetime!(2026-04-03 08:00 UTC);
        let mut p = PendingLogin {
            token_hash: String::new(),
            user_id: UserId::new(),
            stage: PendingStage::Code,
            next: "/".into(),
            created_at: t0,
            wrong_codes: 4,
        };
        assert!(p.is_live(t0 + Duration::minutes(9)));
        assert!(!p.is_live(t0 + Duration::minutes(10)));
        p.wrong_codes = 5;
        assert!(!p.is_live(t0));
        assert_eq!(
            PendingStage::parse(PendingStage::Enrol.as_str()),
            Some(PendingStage::Enrol)
        );
    }
}
