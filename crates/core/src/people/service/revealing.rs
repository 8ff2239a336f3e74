//! Revealing one full value of a person or the notes of a check: audited, with a reason.

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::crypto::{Cipher, EncryptedColumn};
use crate::error::{Error, Result};
use crate::ids::PersonId;
use crate::people::checks::{self, CheckDetails};
use crate::people::record::{self, Contact, Person};
use crate::reveal::{self, RevealLog, Sealed};
use crate::store::Store;

use super::{SHOWN_CHECKS, get};

/// A field whose full value may be revealed.
pub fn revealable(field: &str) -> Option<EncryptedColumn> {
    Some(match field {
        "name" => record::NAME,
        "id_number" => record::ID_NUMBER,
        "phone" => record::PHONE,
        "address" => record::ADDRESS,
        "health_notes" => record::HEALTH_NOTES,
        "contact" => record::CONTACT,
        _ => return None,
    })
}

/// Reveal one full value of a person (audited, with a reason).
#[allow(clippy::too_many_arguments)]
pub async fn reveal_field(
    store: &dyn Store,
    cipher: &Cipher,
    log: &dyn RevealLog,
    actor: &Actor,
    id: PersonId,
    field: &str,
    reason: &str,
    now: OffsetDateTime,
) -> Result<String> {
    let person = get(store, actor, id).await?;
    if let Some(check) = field.strip_prefix("check:") {
        return reveal_check_notes(store, cipher, log, actor, &person, check, reason, now).await;
    }
    let column = revealable(field).ok_or(Error::NotFound)?;
    let s = &person.sealed;
    let bytes = match field {
        "name" => &s.name,
        "id_number" => &s.id_number,
        "phone" => &s.phone,
        "address" => &s.address,
        "health_notes" => &s.health_notes,
        _ => &s.contact,
    };
    let Some(bytes) = bytes else {
        return Err(Error::NotFound);
    };
    let value = reveal::reveal(
        cipher,
        log,
        actor,
        Permission::ViewPeople,
        Sealed {
            column: &column,
            row: id.0,
            region: &person.region,
            bytes,
        },
        reason,
        now,
    )
    .await?;
    if field == "contact" {
        let c: Contact = serde_json::from_str(&value).map_err(Error::internal)?;
        return Ok(format!("{} {} {}", c.relation, c.name, c.phone));
    }
    Ok(value)
}

/// Reveal the notes of one of the checks the person page shows (audited, with a reason).
#[allow(clippy::too_many_arguments)]
async fn reveal_check_notes(
    store: &dyn Store,
    cipher: &Cipher,
    log: &dyn RevealLog,
    actor: &Actor,
    person: &Person,
    check: &str,
    reason: &str,
    now: OffsetDateTime,
) -> Result<String> {
    let id = uuid::Uuid::parse_str(check).map_err(|_| Error::NotFound)?;
    let checks = store.checks_of(person.id, SHOWN_CHECKS).await?;
    let c = checks
        .iter()
        .find(|c| c.id.0 == id)
        .ok_or(Error::NotFound)?;
    let Some(bytes) = &c.details else {
        return Err(Error::NotFound);
    };
    let json = reveal::reveal(
        cipher,
        log,
        actor,
        Permission::ViewPeople,
        Sealed {
            column: &checks::DETAILS,
            row: c.id.0,
            region: &person.region,
            bytes,
        },
        reason,
        now,
    )
    .await?;
    let d: CheckDetails = serde_json::from_str(&json).map_err(Error::internal)?;
    d.notes.ok_or(Error::NotFound)
}
