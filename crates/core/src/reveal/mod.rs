//! Revealing a full sensitive value: the reusable use-case every feature with sealed fields
//! calls. Values show masked by default ([`mask`]); the full value needs the
//! `RevealSensitive` permission over the record's region, a reason of at least 4 characters,
//! and an event recorded through [`RevealLog`] *before* the value is returned (if recording
//! fails, nothing is revealed).

pub mod mask;

pub use mask::{mask_id_number, mask_name, mask_phone};

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::actor::{Actor, Permission};
use crate::crypto::{Cipher, EncryptedColumn};
use crate::error::{Error, FieldError, Result};
use crate::ids::UserId;
use crate::regions::RegionCode;

/// Why a full value is needed, as the staff member wrote it: 4 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> std::result::Result<Reason, FieldError> {
        let v = raw.trim();
        let n = v.chars().count();
        if (4..=200).contains(&n) {
            Ok(Reason(v.to_string()))
        } else {
            Err(FieldError {
                field: "reason",
                zh: "请写明查看完整信息的原因（4到200个字），例如“上门核实身份”".into(),
                en: "Say why you need the full value (4 to 200 characters), e.g. \"verifying identity on a visit\"".into(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One reveal of one full value: who, when, which field of which row, why. Never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealEvent {
    pub at: OffsetDateTime,
    pub actor: UserId,
    pub region: RegionCode,
    pub table: &'static str,
    pub column: &'static str,
    pub row: Uuid,
    pub reason: Reason,
}

/// Where reveal events go. The app records them through its logger for now; the audit log
/// (built on its own branch) implements this port so reveals land in the hash-chained log.
#[async_trait]
pub trait RevealLog: Send + Sync {
    async fn record(&self, event: &RevealEvent) -> Result<()>;
}

/// What to reveal: a sealed value of one column of one row, in a region.
#[derive(Debug, Clone, Copy)]
pub struct Sealed<'a> {
    pub column: &'a EncryptedColumn,
    pub row: Uuid,
    pub region: &'a RegionCode,
    pub bytes: &'a [u8],
}

/// Reveal a full value. `seen_with` is the permission that lets the actor see the record at
/// all (outside it the record is "not found"). Order: permission, reason, audit, decrypt.
pub async fn reveal(
    cipher: &Cipher,
    log: &dyn RevealLog,
    actor: &Actor,
    seen_with: Permission,
    value: Sealed<'_>,
    reason: &str,
    now: OffsetDateTime,
) -> Result<String> {
    actor.require_at(Permission::RevealSensitive, seen_with, value.region)?;
    let reason = Reason::parse(reason).map_err(|e| {
        let mut errors = crate::error::FieldErrors::default();
        errors.0.push(e);
        Error::Invalid(errors)
    })?;
    log.record(&RevealEvent {
        at: now,
        actor: actor.user_id,
        region: value.region.clone(),
        table: value.column.table,
        column: value.column.column,
        row: value.row,
        reason,
    })
    .await?;
    cipher.open_str(value.column.field(value.row), value.bytes)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
