//! Welfare checks: recording one, the checks on the person page, today's list and the counts.

use serde::Serialize;
use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::Cipher;
use crate::error::{Error, Result};
use crate::ids::{CheckId, PersonId, UserId};
use crate::people::checks::{self, Check, CheckDetails, CheckForm, Findings, PriorCheck};
use crate::people::record::{self, PersonStatus};
use crate::people::schedule::{self, DueCount, DueGroup};
use crate::people::{Cadence, CareLevel};
use crate::store::Store;

use super::{PersonRow, load, mask, today};

/// A check as shown on the person page: what was found, never the notes.
#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub id: CheckId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub worker: UserId,
    pub method: checks::Method,
    pub reached: bool,
    pub food_days_left: Option<u32>,
    pub medication_days_left: Option<u32>,
    pub physical: Option<checks::Physical>,
    pub mental: Option<checks::Mental>,
    pub has_notes: bool,
    pub raised_door_visit: bool,
}

pub(crate) fn open_check(cipher: &Cipher, c: &Check) -> Result<CheckDetails> {
    match &c.details {
        Some(b) => {
            let json = cipher.open_str(checks::DETAILS.field(c.id.0), b)?;
            serde_json::from_str(&json).map_err(Error::internal)
        }
        None => Ok(CheckDetails::default()),
    }
}

/// A check as recorded, with what the lead's needs workflow must raise from it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub check: Check,
    /// The person's care level at the time.
    pub care_level: CareLevel,
    pub findings: Findings,
}

/// Record a welfare check; moves the person's next due time by the cadence. Returns the
/// stored check (person id and community inside) and its findings for the green channel.
pub async fn record_check(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: PersonId,
    form: &CheckForm,
    cadence: &Cadence,
    now: OffsetDateTime,
) -> Result<Recorded> {
    let person = load(store, actor, id, Permission::RecordChecks).await?;
    if person.status != PersonStatus::Active {
        return Err(Error::Conflict("record closed".into()));
    }
    let input = form.parse()?;
    let previous: Vec<PriorCheck> = store
        .checks_of(id, 50)
        .await?
        .iter()
        .map(PriorCheck::from)
        .collect();
    let findings = checks::findings(&input, person.care_level, &previous);
    let check_id = CheckId::new();
    let json = serde_json::to_string(&input.details).map_err(Error::internal)?;
    let check = Check {
        id: check_id,
        person: id,
        region: person.region.clone(),
        worker: actor.user_id,
        at: now,
        method: input.method,
        reached: input.reached,
        details: Some(cipher.seal_str(checks::DETAILS.field(check_id.0), &json)?),
        raised_door_visit: findings.door_visit == checks::DoorVisit::Raise,
    };
    let next = cadence.after_check(person.care_level, now, input.reached);
    let event = AuditEvent::new(Action::CheckRecorded, now)
        .by(actor)
        .region(&person.region)
        .record(RecordKind::Check, [id.0, check_id.0]);
    store.insert_check(&check, next, &event).await?;
    Ok(Recorded {
        check,
        care_level: person.care_level,
        findings,
    })
}

/// One person on the today list: masked, with the full phone for a tap-to-call link when
/// the actor may see it (that showing is audited once per list).
#[derive(Debug, Clone, Serialize)]
pub struct TodayItem {
    pub row: PersonRow,
    /// Full phone for `tel:`; `None` without `RevealSensitive` there or without a phone.
    pub call: Option<String>,
}

/// The people due by the end of today in the actor's scope (only theirs with `mine`),
/// most overdue first, then most vulnerable.
pub async fn today_list(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    mine: bool,
    with_phones: bool,
    now: OffsetDateTime,
) -> Result<Vec<TodayItem>> {
    actor.require(Permission::RecordChecks)?;
    let scope = actor.scope(Permission::RecordChecks);
    let (due_before, _) = schedule::due_limits(now);
    let people = store
        .due_people(&scope, mine.then_some(actor.user_id), due_before, 500)
        .await?;
    let mut items = Vec::with_capacity(people.len());
    let mut shown = Vec::new();
    for p in &people {
        let d = record::open(cipher, p)?;
        let call = d
            .phone
            .clone()
            .filter(|_| with_phones && actor.can_at(Permission::RevealSensitive, &p.region));
        if call.is_some() {
            shown.push(p.id.to_string());
        }
        items.push(TodayItem {
            row: PersonRow {
                id: p.id,
                region: p.region.clone(),
                care_level: p.care_level,
                status: p.status,
                worker: p.worker,
                masked: mask(&d, today(now)),
                next_due_at: p.next_due_at,
                days_overdue: schedule::days_overdue(p.next_due_at, now),
                version: p.version,
            },
            call,
        });
    }
    if !shown.is_empty() {
        // Recorded before the page is returned: nothing is shown unrecorded.
        let event = AuditEvent::new(Action::CheckPhonesShown, now)
            .by(actor)
            .record(RecordKind::Person, shown);
        store.append_audit(&event).await?;
    }
    schedule::sort_today(&mut items, now, |i| (i.row.next_due_at, i.row.care_level));
    Ok(items)
}

/// Due and overdue counts per worker, community or street (figures only).
pub async fn counts(
    store: &dyn Store,
    actor: &Actor,
    group: DueGroup,
    now: OffsetDateTime,
) -> Result<Vec<DueCount>> {
    actor.require(Permission::ViewPeopleCounts)?;
    let scope = actor.scope(Permission::ViewPeopleCounts);
    let (due_before, overdue_before) = schedule::due_limits(now);
    store
        .due_counts(&scope, group, due_before, overdue_before)
        .await
}
