//! A stored need: what staff and the tracking page may see in plain form (category,
//! priority with reasons, state, region, times), and the resident's personal fields, which
//! are only ever stored sealed by the field cipher (the columns are listed here and
//! registered in the store's `ENCRYPTED_COLUMNS`).

use time::OffsetDateTime;

use super::state::State;
use super::tracking::TrackingCode;
use super::triage::{Reason, SafetyAdvice};
use super::{Category, Priority};
use crate::crypto::EncryptedColumn;
use crate::ids::{NeedId, PersonId, UserId};
use crate::regions::RegionCode;

const fn sealed(column: &'static str) -> EncryptedColumn {
    EncryptedColumn {
        table: "needs",
        column,
        id_column: "id",
    }
}

pub const CONTACT_NAME: EncryptedColumn = sealed("contact_name");
pub const MOBILE: EncryptedColumn = sealed("mobile");
pub const ADDRESS: EncryptedColumn = sealed("address");
pub const DESCRIPTION: EncryptedColumn = sealed("description");
pub const SUBJECT: EncryptedColumn = sealed("subject");

/// Every sealed column of `needs`.
pub const SEALED_COLUMNS: [EncryptedColumn; 5] =
    [CONTACT_NAME, MOBILE, ADDRESS, DESCRIPTION, SUBJECT];

/// The resident's personal fields, sealed (AEAD bound to table, column and row id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedFields {
    pub contact_name: Vec<u8>,
    pub mobile: Vec<u8>,
    pub address: Vec<u8>,
    pub description: Vec<u8>,
    /// The subject facts as JSON.
    pub subject: Vec<u8>,
    /// Keyed blind index of the mobile number (exact lookup without decrypting).
    pub mobile_index: String,
}

/// A need as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub id: NeedId,
    pub code: TrackingCode,
    /// SHA-256 (hex) of the secret in the tracking link.
    pub link_hash: String,
    pub category: Category,
    pub priority: Priority,
    pub reasons: Vec<Reason>,
    pub advice: SafetyAdvice,
    pub state: State,
    /// 0–3, orthogonal to the state.
    pub escalation: i16,
    /// The community.
    pub region: RegionCode,
    /// `self`, `family` or `neighbour`.
    pub who_for: String,
    /// `consent` or `vital_interests`.
    pub basis: String,
    pub notice_version: String,
    pub sealed: SealedFields,
    /// Who raised it.
    pub source: Source,
    /// The worker it is given to.
    pub assignee: Option<UserId>,
    /// The first response by staff (stops the first-response clock).
    pub acknowledged_at: Option<OffsetDateTime>,
    /// A person has reviewed the priority the rules gave.
    pub reviewed: bool,
    /// The need this one was merged into.
    pub duplicate_of: Option<NeedId>,
    /// The registry person it concerns (raised by a welfare check, or matched by phone).
    pub person: Option<PersonId>,
    /// When the SLA clocks must next be looked at (`None`: no further escalation can come).
    pub sla_next_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// Who raised a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The resident, on the public page or the API.
    Resident,
    /// A hotline operator or other staff member, for a caller.
    Staff,
    /// wushe itself (a failed welfare check, a survey finding).
    System,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Resident => "resident",
            Source::Staff => "staff",
            Source::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        [Source::Resident, Source::Staff, Source::System]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Source::Resident => "居民自助提交",
            Source::Staff => "工作人员代录",
            Source::System => "系统生成",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Source::Resident => "Sent by the resident",
            Source::Staff => "Entered by staff",
            Source::System => "Raised by wushe",
        }
    }
}

/// An idempotency key claimed together with a new need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub key: String,
    /// SHA-256 (hex) of the request body: never the body itself.
    pub body_hash: String,
}

/// What happened to an insert with an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The need was stored.
    New,
    /// The key was used before with the same body for this need; nothing was stored.
    Replay(NeedId),
    /// The key was used before with a different body; nothing was stored.
    Mismatch,
}
