//! One-time codes texted to a mobile number: a public sign-up proves its number with one, and
//! a volunteer may log in with one instead of a password. The rules are pure: six digits,
//! valid ten minutes, at most five wrong tries, a new code replaces the old one, a code works
//! once, and the typed code is compared in constant time. Every refusal (wrong, expired, too
//! many tries, used) is the same field error, so the answer never says which.
//!
//! The code row keeps the number and the code sealed (the outbox row names the code only; the
//! text is made when it is sent) and the number's blind index for the lookup.

use time::{Duration, OffsetDateTime};

use super::sms::{Caps, SentCounts};
use super::{Channel, OutboxMessage, OutboxState, SMS_CODE};
use crate::actor::Role;
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, EncryptedColumn, Lookup};
use crate::error::{Error, Result};
use crate::ids::{OutboxId, SmsCodeId};
use crate::regions::RegionCode;
use crate::store::Store;
use crate::users::User;

/// Digits in a code.
pub const DIGITS: usize = 6;
/// How long a code may be used.
pub const VALID_FOR: Duration = Duration::minutes(10);
/// Tries per code: after this many wrong ones the code is dead (a new one must be asked for).
pub const MAX_TRIES: i64 = 5;
/// Used or expired codes are deleted this long after they were issued, with their texts.
pub const KEEP_FOR: Duration = Duration::days(7);

/// The code, sealed (it is needed again in clear when the text is made).
pub const CODE: EncryptedColumn = EncryptedColumn {
    table: "sms_codes",
    column: "code",
    id_column: "id",
};

/// The number the code goes to, sealed.
pub const PHONE: EncryptedColumn = EncryptedColumn {
    table: "sms_codes",
    column: "phone",
    id_column: "id",
};

/// What a code is for: a code for one purpose never works for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Proving the number on a public call-up sign-up.
    Signup,
    /// Logging in to a volunteer account.
    Login,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Signup => "signup",
            Purpose::Login => "login",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        [Purpose::Signup, Purpose::Login]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// One code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCode {
    pub id: SmsCodeId,
    pub purpose: Purpose,
    /// Blind index of the number (the lookup).
    pub phone_index: String,
    /// Sealed number ([`PHONE`]).
    pub phone: Vec<u8>,
    /// Sealed code ([`CODE`]).
    pub code: Vec<u8>,
    /// The call-up's region (sign-up) or the account's (login): scopes the outbox pages.
    pub region: RegionCode,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Tries so far, right or wrong.
    pub tries: i64,
    /// When it was used or replaced by a newer code.
    pub used_at: Option<OffsetDateTime>,
}

impl SmsCode {
    /// Whether the code may still be tried (and texted).
    pub fn live(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at && self.tries < MAX_TRIES
    }
}

/// Random numbers at or above this are drawn again, so every code is equally likely.
const UNBIASED_BELOW: u32 = 4_294_000_000;

/// The code for a random number, or `None` when it must be drawn again.
pub fn from_random(r: u32) -> Option<String> {
    (r < UNBIASED_BELOW).then(|| format!("{:06}", r % 1_000_000))
}

/// A fresh random code.
pub fn generate() -> Result<String> {
    loop {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).map_err(|e| Error::internal(format!("random: {e}")))?;
        if let Some(c) = from_random(u32::from_le_bytes(b)) {
            return Ok(c);
        }
    }
}

/// The code as typed, with spaces dropped and full-width digits (from a Chinese keyboard)
/// made plain.
pub fn typed(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (u32::from(c) - u32::from('０')) as u8),
            c => c,
        })
        .collect()
}

/// Equal, in a time that depends only on the lengths.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The words of the text.
pub fn text(sender: &str, code: &str) -> String {
    format!("【{sender}】您的验证码是 {code}，10分钟内有效。如非本人操作请忽略。")
}

/// The one refusal for a wrong, expired, used or exhausted code.
pub fn refused() -> Error {
    Error::invalid(
        "code",
        "验证码不对或已过期",
        "The code is wrong or has expired",
    )
}

/// No code typed.
pub fn missing() -> Error {
    Error::invalid(
        "code",
        "请填写短信里的6位验证码；还没有收到可以点“发送验证码”",
        "Enter the 6-digit code from the text; press “Send code” if you have none",
    )
}

/// A cap held the text back.
pub fn capped() -> Error {
    Error::invalid(
        "code",
        "这个手机号或网络收到的验证码太多了，请过一小时再试",
        "Too many codes for this number or network; try again in an hour",
    )
}

/// How asking for a code ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// The code is stored and its text queued in this outbox row.
    Queued { code: SmsCodeId, outbox: OutboxId },
    /// A cap per number or per address refused it: nothing was stored.
    Capped,
}

/// Whether one more text to this number (and from this address) is within the caps.
pub fn within_caps(caps: &Caps, sent: SentCounts) -> bool {
    caps.refuse(sent).is_none()
}

/// Make a code for `phone` (already checked as a mobile number) and queue its text. A newer
/// code replaces any live one of the same purpose. `origin` is a keyed hash of the client
/// address (caps per address); `region` files the row (call-up or account region).
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    store: &dyn Store,
    cipher: &Cipher,
    purpose: Purpose,
    phone: &str,
    region: &RegionCode,
    origin: Option<&str>,
    caps: &Caps,
    now: OffsetDateTime,
) -> Result<Issued> {
    let candidates = cipher.blind_index_candidates(Lookup::Phone, phone);
    let phone_index = cipher
        .blind_index(Lookup::Phone, phone)
        .ok_or_else(|| Error::internal("mobile does not index"))?;
    let sent = store.sms_counts(&candidates, origin, now).await?;
    if !within_caps(caps, sent) {
        return Ok(Issued::Capped);
    }
    let id = SmsCodeId::new();
    let plain = generate()?;
    let code = SmsCode {
        id,
        purpose,
        phone_index,
        phone: cipher.seal_str(PHONE.field(id.0), phone)?,
        code: cipher.seal_str(CODE.field(id.0), &plain)?,
        region: region.clone(),
        created_at: now,
        expires_at: now + VALID_FOR,
        tries: 0,
        used_at: None,
    };
    let message = OutboxMessage {
        id: OutboxId::new(),
        channel: Channel::Sms,
        kind: SMS_CODE.into(),
        need: None,
        code: Some(id),
        event: None,
        webhook: None,
        region: region.clone(),
        origin: origin.map(str::to_string),
        state: OutboxState::Pending,
        attempts: 0,
        next_at: now,
        last_error: None,
        created_at: now,
        done_at: None,
    };
    let audit = AuditEvent::new(Action::SmsCodeSent, now)
        .region(region)
        .record(RecordKind::OutboxMessage, [message.id]);
    store.issue_sms_code(&code, &message, &audit).await?;
    Ok(Issued::Queued {
        code: id,
        outbox: message.id,
    })
}

/// Check a typed code for `phone`: one try is counted before the comparison (so racing
/// requests cannot get more than [`MAX_TRIES`]), and a right code is used up. Every refusal
/// is [`refused`].
pub async fn check(
    store: &dyn Store,
    cipher: &Cipher,
    purpose: Purpose,
    phone: &str,
    raw: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let given = typed(raw);
    if given.is_empty() {
        return Err(missing());
    }
    if given.len() != DIGITS || !given.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    let candidates = cipher.blind_index_candidates(Lookup::Phone, phone);
    if candidates.is_empty() {
        return Err(refused());
    }
    let Some(row) = store
        .try_sms_code(purpose, &candidates, MAX_TRIES, now)
        .await?
    else {
        return Err(refused());
    };
    let stored = cipher.open_str(CODE.field(row.id.0), &row.code)?;
    if !same(&stored, &given) {
        return Err(refused());
    }
    if !store.use_sms_code(row.id, now).await? {
        return Err(refused());
    }
    Ok(())
}

/// The account a login code is for: an enabled account named by the number whose every role
/// is `volunteer`. Staff keep their password and second factor.
pub async fn login_account(store: &dyn Store, phone: &str) -> Result<Option<User>> {
    let Some(user) = store.user_by_name(phone).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let grants = store.grants(user.id).await?;
    let volunteer_only =
        !grants.is_empty() && grants.iter().all(|g| g.grant.role == Role::Volunteer);
    Ok(volunteer_only.then_some(user))
}

/// Delete the used or expired codes issued more than [`KEEP_FOR`] ago, with the outbox rows
/// that carried them and the record of those texts (their sealed values go with the rows),
/// in one transaction audited as one entry with the counts. Returns how many codes.
pub async fn purge_old(store: &dyn Store, now: OffsetDateTime) -> Result<u64> {
    let audit = AuditEvent::new(Action::SmsCodesPurged, now)
        .record(RecordKind::SmsCode, Vec::<String>::new());
    store.purge_sms_codes(now - KEEP_FOR, now, &audit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(min)
    }

    fn code(tries: i64, used: bool) -> SmsCode {
        SmsCode {
            id: SmsCodeId::new(),
            purpose: Purpose::Login,
            phone_index: "i".into(),
            phone: vec![],
            code: vec![],
            region: RegionCode("310101".into()),
            created_at: at(0),
            expires_at: at(0) + VALID_FOR,
            tries,
            used_at: used.then(|| at(1)),
        }
    }

    #[test]
    fn codes_are_six_digits_with_leading_zeros_and_unbiased() {
        assert_eq!(from_random(0).as_deref(), Some("000000"));
        assert_eq!(from_random(42).as_deref(), Some("000042"));
        assert_eq!(from_random(1_234_567).as_deref(), Some("234567"));
        assert_eq!(
            from_random(UNBIASED_BELOW - 1).as_deref(),
            Some("999999"),
            "the last accepted draw ends a full cycle"
        );
        assert_eq!(from_random(UNBIASED_BELOW), None);
        assert_eq!(from_random(u32::MAX), None);
        for _ in 0..50 {
            let c = generate().expect("code");
            assert_eq!(c.len(), DIGITS);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn a_code_is_live_ten_minutes_for_five_tries_and_once() {
        let c = code(0, false);
        assert!(c.live(at(0)));
        assert!(c.live(at(9)));
        assert!(!c.live(at(10)), "ten minutes and no more");
        assert!(code(4, false).live(at(1)), "the fifth try is allowed");
        assert!(!code(5, false).live(at(1)), "no sixth try");
        assert!(!code(0, true).live(at(1)), "used or replaced");
    }

    #[test]
    fn typed_codes_are_compared_whole_and_full_width_digits_count() {
        assert!(same("123456", "123456"));
        assert!(!same("123456", "123457"));
        assert!(!same("123456", "12345"));
        assert!(!same("", "1"));
        assert_eq!(typed(" 123 456 "), "123456");
        assert_eq!(typed("１２３４５６"), "123456");
    }

    #[test]
    fn the_text_says_the_code_and_ten_minutes_and_nothing_else() {
        assert_eq!(
            text("五社联动", "012345"),
            "【五社联动】您的验证码是 012345，10分钟内有效。如非本人操作请忽略。"
        );
    }

    #[test]
    fn every_refusal_is_the_same_field_error_on_the_code() {
        let Error::Invalid(f) = refused() else {
            panic!("invalid")
        };
        assert_eq!(f.0.len(), 1);
        assert_eq!(f.0[0].field, "code");
        assert_eq!(f.0[0].zh, "验证码不对或已过期");
        assert!(matches!(capped(), Error::Invalid(f) if f.0[0].field == "code"));
        assert_eq!(Purpose::parse("signup"), Some(Purpose::Signup));
        assert_eq!(Purpose::parse("login"), Some(Purpose::Login));
        assert_eq!(Purpose::parse("other"), None);
    }

    #[test]
    fn caps_refuse_the_text_past_the_hour_day_or_address_limit() {
        let caps = Caps::default();
        assert!(within_caps(&caps, SentCounts::default()));
        let full = SentCounts {
            phone_hour: caps.per_phone_hour,
            ..SentCounts::default()
        };
        assert!(!within_caps(&caps, full));
        let origin = SentCounts {
            origin_hour: caps.per_origin_hour,
            ..SentCounts::default()
        };
        assert!(!within_caps(&caps, origin));
    }
}
