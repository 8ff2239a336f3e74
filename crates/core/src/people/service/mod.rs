//! Use-cases of the registry and the welfare-check schedule. Every one starts with the
//! actor's permission over the person's region (outside scope: not found); personal values
//! are sealed before they reach the store and shown masked; full values only through the
//! audited reveal or the audited export.

mod lifecycle;
mod revealing;
mod welfare;

pub use lifecycle::{ExportedCheck, PersonExport, anonymise, close, export, purge_expired, reopen};
pub use revealing::{reveal_field, revealable};
pub(crate) use welfare::open_check;
pub use welfare::{CheckView, Recorded, TodayItem, counts, record_check, today_list};

use serde::Serialize;
use time::OffsetDateTime;

use super::form::{PersonForm, PersonInput};
use super::record::{self, Person, PersonDetails, PersonStatus};
use super::schedule::{self, PeopleFilter};
use super::{Cadence, CareLevel, PersonCategory};
use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, Lookup};
use crate::error::{Error, Result};
use crate::ids::{PersonId, UserId};
use crate::regions::RegionCode;
use crate::reveal::{mask_id_number, mask_name, mask_phone};
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
        .people_by_index(&scope, &listed(&id_idx), &listed(&phone_idx))
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
        .people_by_index(&scope, &listed(&id_idx), &listed(&phone_idx))
        .await?;
    people.iter().map(|p| row(cipher, p, now)).collect()
}

/// An index to look up, as a list of none or one.
fn listed(index: &Option<String>) -> Vec<&str> {
    index.as_deref().into_iter().collect()
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
        .people_by_index(&[district], &[], &[idx.as_str()])
        .await?
        .into_iter()
        .filter(|p| p.status == PersonStatus::Active)
        .collect();
    Ok(match found.as_slice() {
        [p] => Some((p.id, p.care_level)),
        _ => None,
    })
}
