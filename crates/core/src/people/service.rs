//! Use-cases of the registry and the welfare-check schedule. Every one starts with the
//! actor's permission over the person's region (outside scope: not found); personal values
//! are sealed before they reach the store and shown masked; full values only through the
//! audited reveal or the audited export.

use serde::Serialize;
use time::OffsetDateTime;

use super::checks::{self, Check, CheckDetails, CheckForm, Findings, PriorCheck};
use super::form::{PersonForm, PersonInput};
use super::record::{self, Contact, LawfulBasis, Person, PersonDetails, PersonStatus};
use super::schedule::{self, DueCount, DueGroup, PeopleFilter};
use super::{Cadence, CareLevel, PersonCategory};
use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, EncryptedColumn, Lookup};
use crate::error::{Error, Result};
use crate::ids::{CheckId, PersonId, UserId};
use crate::regions::RegionCode;
use crate::reveal::{self, RevealLog, Sealed, mask_id_number, mask_name, mask_phone};
use crate::store::Store;

/// Another registry person with the same ID number or phone: shown as a warning, never
/// merged silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    pub id: PersonId,
    pub masked_name: String,
    pub region: RegionCode,
    /// `id_number` and/or `phone`.
    pub matched: Vec<&'static str>,
}

/// The result of a create or edit.
#[derive(Debug)]
pub enum Saved {
    Saved(Box<Person>),
    /// Nothing was saved: these people share the ID number or phone. Send again with
    /// `allow_duplicate` to save anyway.
    Duplicates(Vec<Duplicate>),
}

/// A person's values as shown by default: masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Masked {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: String,
    /// Category codes (the people who follow the person need them to do the work).
    pub categories: Vec<PersonCategory>,
    pub has_health_notes: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_relation: Option<String>,
    pub child_under_14: bool,
}

/// One row of the registry list or the today list.
#[derive(Debug, Clone, Serialize)]
pub struct PersonRow {
    pub id: PersonId,
    pub region: RegionCode,
    pub care_level: CareLevel,
    pub status: PersonStatus,
    pub worker: Option<UserId>,
    pub masked: Masked,
    #[serde(with = "time::serde::rfc3339")]
    pub next_due_at: OffsetDateTime,
    pub days_overdue: i64,
    /// Send back on edit; a stale version is refused.
    pub version: i64,
}

fn mask_address(a: &str) -> String {
    let keep: String = a.chars().take(4).collect();
    if a.chars().count() <= 4 {
        "****".into()
    } else {
        format!("{keep}****")
    }
}

/// Mask opened details.
pub fn mask(d: &PersonDetails, today: time::Date) -> Masked {
    Masked {
        name: mask_name(&d.name),
        id_number: d.id_number.as_ref().map(|i| mask_id_number(i.as_str())),
        phone: d.phone.as_deref().map(mask_phone),
        address: mask_address(&d.address),
        categories: d.categories.clone(),
        has_health_notes: d.health_notes.is_some(),
        contact_name: d.contact.as_ref().map(|c| mask_name(&c.name)),
        contact_phone: d.contact.as_ref().map(|c| mask_phone(&c.phone)),
        contact_relation: d.contact.as_ref().map(|c| c.relation.clone()),
        child_under_14: d.is_child_on(today),
    }
}

fn today(now: OffsetDateTime) -> time::Date {
    now.to_offset(schedule::CST).date()
}

/// Today in China (the date the form rules use).
pub fn today_of(now: OffsetDateTime) -> time::Date {
    today(now)
}

/// A new active person from a parsed input, sealed: the one sealing path of the form and
/// the import. Due for a first check at once.
pub fn new_person(cipher: &Cipher, input: &PersonInput, now: OffsetDateTime) -> Result<Person> {
    let id = PersonId::new();
    Ok(Person {
        id,
        region: input.region.clone(),
        care_level: input.care_level,
        worker: input.worker,
        basis: input.basis.clone(),
        status: PersonStatus::Active,
        sealed: record::seal(cipher, id, &input.details)?,
        next_due_at: now,
        last_check_at: None,
        closed_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

fn row(cipher: &Cipher, p: &Person, now: OffsetDateTime) -> Result<PersonRow> {
    let d = record::open(cipher, p)?;
    Ok(PersonRow {
        id: p.id,
        region: p.region.clone(),
        care_level: p.care_level,
        status: p.status,
        worker: p.worker,
        masked: mask(&d, today(now)),
        next_due_at: p.next_due_at,
        days_overdue: schedule::days_overdue(p.next_due_at, now),
        version: p.version,
    })
}

impl Cadence {
    /// When the next check is due after a check at `at`: a full interval after reaching the
    /// person; after a miss, try again within a day.
    pub fn after_check(
        &self,
        level: CareLevel,
        at: OffsetDateTime,
        reached: bool,
    ) -> OffsetDateTime {
        let i = self.interval(level);
        if reached {
            at + i
        } else {
            at + i.min(time::Duration::days(1))
        }
    }
}

/// The person, if the actor holds `p` over their region (else not found / forbidden).
async fn load(store: &dyn Store, actor: &Actor, id: PersonId, p: Permission) -> Result<Person> {
    let person = store.person(id).await?.ok_or(Error::NotFound)?;
    actor.require_at(p, Permission::ViewPeople, &person.region)?;
    Ok(person)
}

async fn duplicates(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    d: &PersonDetails,
    except: Option<PersonId>,
) -> Result<Vec<Duplicate>> {
    let id_idx = d
        .id_number
        .as_ref()
        .and_then(|i| cipher.blind_index(Lookup::IdNumber, i.as_str()));
    let phone_idx = d
        .phone
        .as_deref()
        .and_then(|p| cipher.blind_index(Lookup::Phone, p));
    if id_idx.is_none() && phone_idx.is_none() {
        return Ok(Vec::new());
    }
    let scope = actor.scope(Permission::ViewPeople);
    let found = store
        .people_by_index(&scope, id_idx.as_deref(), phone_idx.as_deref())
        .await?;
    let mut out = Vec::new();
    for p in found.into_iter().filter(|p| Some(p.id) != except) {
        let mut matched = Vec::new();
        if id_idx.is_some() && p.sealed.id_number_index == id_idx {
            matched.push("id_number");
        }
        if phone_idx.is_some() && p.sealed.phone_index == phone_idx {
            matched.push("phone");
        }
        let name = record::open(cipher, &p)?.name;
        out.push(Duplicate {
            id: p.id,
            masked_name: mask_name(&name),
            region: p.region,
            matched,
        });
    }
    Ok(out)
}

async fn check_worker(store: &dyn Store, worker: Option<UserId>) -> Result<()> {
    if let Some(w) = worker
        && store.user(w).await?.is_none()
    {
        return Err(Error::invalid(
            "worker",
            "请从列表中选择责任社工",
            "Choose the responsible worker from the list",
        ));
    }
    Ok(())
}

fn outside_region() -> Error {
    Error::invalid(
        "region",
        "只能登记您负责的社区的居民",
        "You can only register residents of communities you work in",
    )
}

/// Register a person. Due for a first check at once.
pub async fn create(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    form: &PersonForm,
    allow_duplicate: bool,
    now: OffsetDateTime,
) -> Result<Saved> {
    actor.require(Permission::ManagePeople)?;
    let input = form.parse(today(now))?;
    if !actor.can_at(Permission::ManagePeople, &input.region) {
        return Err(outside_region());
    }
    check_worker(store, input.worker).await?;
    if !allow_duplicate {
        let d = duplicates(store, cipher, actor, &input.details, None).await?;
        if !d.is_empty() {
            return Ok(Saved::Duplicates(d));
        }
    }
    let person = new_person(cipher, &input, now)?;
    let event = AuditEvent::new(Action::PersonCreated, now)
        .by(actor)
        .region(&person.region)
        .record(RecordKind::Person, [person.id]);
    store.insert_person(&person, &event).await?;
    Ok(Saved::Saved(Box::new(person)))
}

/// Edit a person if `version` is still current.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: PersonId,
    form: &PersonForm,
    version: i64,
    allow_duplicate: bool,
    cadence: &Cadence,
    now: OffsetDateTime,
) -> Result<Saved> {
    let old = load(store, actor, id, Permission::ManagePeople).await?;
    if old.status == PersonStatus::Anonymised {
        return Err(Error::Conflict("anonymised".into()));
    }
    let input = form.parse(today(now))?;
    if !actor.can_at(Permission::ManagePeople, &input.region) {
        return Err(outside_region());
    }
    check_worker(store, input.worker).await?;
    if !allow_duplicate {
        let d = duplicates(store, cipher, actor, &input.details, Some(id)).await?;
        if !d.is_empty() {
            return Ok(Saved::Duplicates(d));
        }
    }
    let next_due_at = match (old.last_check_at, input.care_level != old.care_level) {
        (Some(last), true) => cadence.after_check(input.care_level, last, true),
        _ => old.next_due_at,
    };
    let person = Person {
        region: input.region,
        care_level: input.care_level,
        worker: input.worker,
        basis: input.basis,
        sealed: record::seal(cipher, id, &input.details)?,
        next_due_at,
        updated_at: now,
        version: version + 1,
        ..old.clone()
    };
    let event = AuditEvent::new(Action::PersonUpdated, now)
        .by(actor)
        .region(&old.region)
        .record(RecordKind::Person, [id]);
    store.update_person(&person, version, &event).await?;
    Ok(Saved::Saved(Box::new(person)))
}

/// A person as stored, if in the actor's view scope.
pub async fn get(store: &dyn Store, actor: &Actor, id: PersonId) -> Result<Person> {
    load(store, actor, id, Permission::ViewPeople).await
}

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

/// How many of a person's latest checks the person page shows (and whose notes it can reveal).
pub const SHOWN_CHECKS: u32 = 30;

/// The person page: the masked record and the latest checks.
pub struct PersonView {
    pub person: Person,
    pub row: PersonRow,
    pub checks: Vec<CheckView>,
}

pub async fn view(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: PersonId,
    now: OffsetDateTime,
) -> Result<PersonView> {
    let person = get(store, actor, id).await?;
    let row = row(cipher, &person, now)?;
    let mut out = Vec::new();
    for c in store.checks_of(id, SHOWN_CHECKS).await? {
        let d = open_check(cipher, &c)?;
        out.push(CheckView {
            id: c.id,
            at: c.at,
            worker: c.worker,
            method: c.method,
            reached: c.reached,
            food_days_left: d.food_days_left,
            medication_days_left: d.medication_days_left,
            physical: d.physical,
            mental: d.mental,
            has_notes: d.notes.is_some(),
            raised_door_visit: c.raised_door_visit,
        });
    }
    Ok(PersonView {
        person,
        row,
        checks: out,
    })
}

/// The registry list, masked.
pub async fn list(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    filter: &PeopleFilter,
    now: OffsetDateTime,
) -> Result<Vec<PersonRow>> {
    actor.require(Permission::ViewPeople)?;
    let scope = actor.scope(Permission::ViewPeople);
    let people = store.list_people(&scope, filter).await?;
    people.iter().map(|p| row(cipher, p, now)).collect()
}

/// Exact search by ID number or phone through the blind index, in scope.
pub async fn find(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    raw: &str,
    now: OffsetDateTime,
) -> Result<Vec<PersonRow>> {
    actor.require(Permission::ViewPeople)?;
    let id_idx = cipher.blind_index(Lookup::IdNumber, raw);
    let phone_idx = cipher.blind_index(Lookup::Phone, raw);
    if id_idx.is_none() && phone_idx.is_none() {
        return Err(Error::invalid(
            "find",
            "请输入完整的身份证号或电话号码",
            "Enter a full ID number or phone number",
        ));
    }
    let scope = actor.scope(Permission::ViewPeople);
    let people = store
        .people_by_index(&scope, id_idx.as_deref(), phone_idx.as_deref())
        .await?;
    people.iter().map(|p| row(cipher, p, now)).collect()
}

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

/// For the green channel (issue 6, linking): the active registry person with this phone in
/// the district of `region` (the need's community), if exactly one matches. No actor: the
/// caller links the need for staff and raises its priority; nothing is shown to a resident.
pub async fn match_phone(
    store: &dyn Store,
    cipher: &Cipher,
    region: &RegionCode,
    phone: &str,
) -> Result<Option<(PersonId, CareLevel)>> {
    let Some(idx) = cipher.blind_index(Lookup::Phone, phone) else {
        return Ok(None);
    };
    let district = RegionCode(region.0.chars().take(6).collect());
    let found: Vec<Person> = store
        .people_by_index(&[district], None, Some(&idx))
        .await?
        .into_iter()
        .filter(|p| p.status == PersonStatus::Active)
        .collect();
    Ok(match found.as_slice() {
        [p] => Some((p.id, p.care_level)),
        _ => None,
    })
}
