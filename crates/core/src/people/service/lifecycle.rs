//! A record's end of life: the export (copy right), closing, reopening, anonymising and the
//! retention purge.

use serde::Serialize;
use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::Cipher;
use crate::error::{Error, Result};
use crate::ids::PersonId;
use crate::people::CareLevel;
use crate::people::checks::{self, CheckDetails};
use crate::people::record::{self, LawfulBasis, PersonDetails, PersonStatus};
use crate::regions::RegionCode;
use crate::store::Store;

use super::{load, open_check};

/// A check in the export: everything recorded, notes included.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedCheck {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub method: checks::Method,
    pub reached: bool,
    pub details: CheckDetails,
}

/// A person's full record (the copy right, PIPL Art. 45).
#[derive(Debug, Clone, Serialize)]
pub struct PersonExport {
    pub id: PersonId,
    pub region: RegionCode,
    pub care_level: CareLevel,
    pub status: PersonStatus,
    pub basis: LawfulBasis,
    pub details: PersonDetails,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    pub checks: Vec<ExportedCheck>,
}

/// The full record as a file: needs `ManagePeople` and `RevealSensitive` over the region;
/// audited before anything is decrypted.
pub async fn export(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: PersonId,
    now: OffsetDateTime,
) -> Result<PersonExport> {
    let person = load(store, actor, id, Permission::ManagePeople).await?;
    actor.require_at(
        Permission::RevealSensitive,
        Permission::ViewPeople,
        &person.region,
    )?;
    let event = AuditEvent::new(Action::PersonExported, now)
        .by(actor)
        .region(&person.region)
        .record(RecordKind::Person, [id]);
    store.append_audit(&event).await?;
    let details = record::open(cipher, &person)?;
    let mut out = Vec::new();
    for c in store.checks_of(id, u32::MAX).await? {
        out.push(ExportedCheck {
            at: c.at,
            method: c.method,
            reached: c.reached,
            details: open_check(cipher, &c)?,
        });
    }
    Ok(PersonExport {
        id,
        region: person.region,
        care_level: person.care_level,
        status: person.status,
        basis: person.basis,
        details,
        registered_at: person.created_at,
        checks: out,
    })
}

/// Close a record (no more checks; purged after the retention period).
pub async fn close(
    store: &dyn Store,
    actor: &Actor,
    id: PersonId,
    version: i64,
    now: OffsetDateTime,
) -> Result<()> {
    let p = load(store, actor, id, Permission::ManagePeople).await?;
    if p.status != PersonStatus::Active {
        return Err(Error::Conflict("not active".into()));
    }
    let event = AuditEvent::new(Action::PersonClosed, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Person, [id]);
    store
        .set_person_closed(id, Some(now), version, now, &event)
        .await
}

/// Reopen a closed record: checks are due again from the time they were due (a long-closed
/// record shows as overdue, so it is checked first).
pub async fn reopen(
    store: &dyn Store,
    actor: &Actor,
    id: PersonId,
    version: i64,
    now: OffsetDateTime,
) -> Result<()> {
    let p = load(store, actor, id, Permission::ManagePeople).await?;
    if p.status != PersonStatus::Closed {
        return Err(Error::Conflict("not closed".into()));
    }
    let event = AuditEvent::new(Action::PersonReopened, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Person, [id]);
    store
        .set_person_closed(id, None, version, now, &event)
        .await
}

/// Remove every personal value of a person (deletion right, PIPL Art. 47): what stays is
/// the community, care level and status, so counts still add up.
pub async fn anonymise(
    store: &dyn Store,
    actor: &Actor,
    id: PersonId,
    now: OffsetDateTime,
) -> Result<()> {
    let p = load(store, actor, id, Permission::ManagePeople).await?;
    if p.status == PersonStatus::Anonymised {
        return Ok(());
    }
    let event = AuditEvent::new(Action::PersonAnonymised, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Person, [id]);
    store.anonymise_person(id, now, &event).await
}

/// The retention job: delete records closed more than `retention` ago (the audit log keeps
/// that they existed and were purged).
pub async fn purge_expired(
    store: &dyn Store,
    retention: time::Duration,
    now: OffsetDateTime,
) -> Result<u64> {
    let event =
        AuditEvent::new(Action::PeoplePurged, now).record(RecordKind::Person, Vec::<String>::new());
    store.purge_closed_people(now - retention, &event).await
}
