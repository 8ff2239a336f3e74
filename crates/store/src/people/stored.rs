//! The registry's rows as stored and the statements that insert them: people and checks a
//! thousand to a statement, for one record and for batches alike.

use uuid::Uuid;
use wushe_core::ids::{CheckId, PersonId, UserId};
use wushe_core::people::CareLevel;
use wushe_core::people::checks::{Check, Method};
use wushe_core::people::record::{
    BasisKind, LawfulBasis, Person, PersonSealed, PersonStatus, parse_date,
};
use wushe_core::regions::RegionCode;
use wushe_core::{Error, Result};

use crate::at;

#[derive(sqlx::FromRow)]
pub(super) struct PersonRow {
    pub(super) id: Uuid,
    pub(super) region_code: String,
    pub(super) care_level: String,
    pub(super) worker_id: Option<Uuid>,
    pub(super) basis: String,
    pub(super) basis_date: String,
    pub(super) notice_version: String,
    pub(super) sensitive_consent: bool,
    pub(super) guardian_consent: bool,
    pub(super) status: String,
    pub(super) name: Option<Vec<u8>>,
    pub(super) id_number: Option<Vec<u8>>,
    pub(super) phone: Option<Vec<u8>>,
    pub(super) address: Option<Vec<u8>>,
    pub(super) categories: Option<Vec<u8>>,
    pub(super) health_notes: Option<Vec<u8>>,
    pub(super) contact: Option<Vec<u8>>,
    pub(super) birth_date: Option<Vec<u8>>,
    pub(super) id_number_index: Option<String>,
    pub(super) phone_index: Option<String>,
    pub(super) next_due_at: i64,
    pub(super) last_check_at: Option<i64>,
    pub(super) closed_at: Option<i64>,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
    pub(super) version: i64,
}

fn bad(what: &str) -> Error {
    Error::internal(format!("stored person has a bad {what}"))
}

pub(super) fn level_str(l: CareLevel) -> &'static str {
    match l {
        CareLevel::A => "A",
        CareLevel::B => "B",
        CareLevel::C => "C",
    }
}

impl TryFrom<PersonRow> for Person {
    type Error = Error;

    fn try_from(r: PersonRow) -> Result<Person> {
        Ok(Person {
            id: PersonId(r.id),
            region: RegionCode(r.region_code),
            care_level: CareLevel::parse(&r.care_level).ok_or_else(|| bad("care level"))?,
            worker: r.worker_id.map(UserId),
            basis: LawfulBasis {
                kind: BasisKind::parse(&r.basis).ok_or_else(|| bad("basis"))?,
                date: parse_date(&r.basis_date).ok_or_else(|| bad("basis date"))?,
                notice_version: r.notice_version,
                sensitive_consent: r.sensitive_consent,
                guardian_consent: r.guardian_consent,
            },
            status: PersonStatus::parse(&r.status).ok_or_else(|| bad("status"))?,
            sealed: PersonSealed {
                name: r.name,
                id_number: r.id_number,
                phone: r.phone,
                address: r.address,
                categories: r.categories,
                health_notes: r.health_notes,
                contact: r.contact,
                birth_date: r.birth_date,
                id_number_index: r.id_number_index,
                phone_index: r.phone_index,
            },
            next_due_at: at(r.next_due_at),
            last_check_at: r.last_check_at.map(at),
            closed_at: r.closed_at.map(at),
            created_at: at(r.created_at),
            updated_at: at(r.updated_at),
            version: r.version,
        })
    }
}

pub(super) const COLS: &str = "id, region_code, care_level, worker_id, basis, basis_date, notice_version, \
    sensitive_consent, guardian_consent, status, name, id_number, phone, address, categories, \
    health_notes, contact, birth_date, id_number_index, phone_index, next_due_at, last_check_at, \
    closed_at, created_at, updated_at, version";

pub(super) const INSERT_PEOPLE: &str = "INSERT INTO people (id, region_code, care_level, worker_id, basis, \
    basis_date, notice_version, sensitive_consent, guardian_consent, status, name, id_number, \
    phone, address, categories, health_notes, contact, birth_date, id_number_index, phone_index, \
    next_due_at, last_check_at, closed_at, created_at, updated_at, version) ";

/// Most rows in one insert: 26 values a person (9 a check), under SQLite's 32,766 a statement.
pub(super) const ROWS_PER_INSERT: usize = 1000;

/// Insert `$people` (`&[Person]`) in the open transaction `$tx`, a thousand to a statement.
macro_rules! insert_people {
    ($tx:ident, $people:expr) => {{
        let people: &[wushe_core::people::record::Person] = $people;
        for chunk in people.chunks($crate::people::stored::ROWS_PER_INSERT) {
            let mut q = sqlx::QueryBuilder::new($crate::people::stored::INSERT_PEOPLE);
            q.push_values(chunk, |mut b, p| {
                let s = &p.sealed;
                b.push_bind(p.id.0)
                    .push_bind(p.region.0.as_str())
                    .push_bind($crate::people::stored::level_str(p.care_level))
                    .push_bind(p.worker.map(|w| w.0))
                    .push_bind(p.basis.kind.as_str())
                    .push_bind(wushe_core::people::record::format_date(p.basis.date))
                    .push_bind(p.basis.notice_version.as_str())
                    .push_bind(p.basis.sensitive_consent)
                    .push_bind(p.basis.guardian_consent)
                    .push_bind(p.status.as_str())
                    .push_bind(s.name.as_deref())
                    .push_bind(s.id_number.as_deref())
                    .push_bind(s.phone.as_deref())
                    .push_bind(s.address.as_deref())
                    .push_bind(s.categories.as_deref())
                    .push_bind(s.health_notes.as_deref())
                    .push_bind(s.contact.as_deref())
                    .push_bind(s.birth_date.as_deref())
                    .push_bind(s.id_number_index.as_deref())
                    .push_bind(s.phone_index.as_deref())
                    .push_bind($crate::ms(p.next_due_at))
                    .push_bind(p.last_check_at.map($crate::ms))
                    .push_bind(p.closed_at.map($crate::ms))
                    .push_bind($crate::ms(p.created_at))
                    .push_bind($crate::ms(p.updated_at))
                    .push_bind(p.version);
            });
            q.build().execute(&mut *$tx).await.map_err($crate::db_err)?;
        }
    }};
}

pub(super) const UPDATE: &str =
    "UPDATE people SET region_code = $2, care_level = $3, worker_id = $4, \
    basis = $5, basis_date = $6, notice_version = $7, sensitive_consent = $8, \
    guardian_consent = $9, name = $10, id_number = $11, phone = $12, address = $13, \
    categories = $14, health_notes = $15, contact = $16, birth_date = $17, \
    id_number_index = $18, phone_index = $19, next_due_at = $20, updated_at = $21, \
    version = version + 1
    WHERE id = $1 AND version = $22 AND status <> 'anonymised'";

pub(super) const INSERT_CHECKS: &str = "INSERT INTO checks (id, person_id, region_code, worker_id, at, \
    method, reached, details, raised_door_visit) ";

/// Insert `$checks` (`&[Check]`) in the open transaction `$tx`, a thousand to a statement.
macro_rules! insert_checks {
    ($tx:ident, $checks:expr) => {{
        let checks: &[wushe_core::people::checks::Check] = $checks;
        for chunk in checks.chunks($crate::people::stored::ROWS_PER_INSERT) {
            let mut q = sqlx::QueryBuilder::new($crate::people::stored::INSERT_CHECKS);
            q.push_values(chunk, |mut b, c| {
                b.push_bind(c.id.0)
                    .push_bind(c.person.0)
                    .push_bind(c.region.0.as_str())
                    .push_bind(c.worker.0)
                    .push_bind($crate::ms(c.at))
                    .push_bind(c.method.as_str())
                    .push_bind(c.reached)
                    .push_bind(c.details.as_deref())
                    .push_bind(c.raised_door_visit);
            });
            q.build().execute(&mut *$tx).await.map_err($crate::db_err)?;
        }
    }};
}

#[derive(sqlx::FromRow)]
pub(super) struct CheckRow {
    pub(super) id: Uuid,
    pub(super) person_id: Uuid,
    pub(super) region_code: String,
    pub(super) worker_id: Uuid,
    pub(super) at: i64,
    pub(super) method: String,
    pub(super) reached: bool,
    pub(super) details: Option<Vec<u8>>,
    pub(super) raised_door_visit: bool,
}

impl TryFrom<CheckRow> for Check {
    type Error = Error;

    fn try_from(r: CheckRow) -> Result<Check> {
        Ok(Check {
            id: CheckId(r.id),
            person: PersonId(r.person_id),
            region: RegionCode(r.region_code),
            worker: UserId(r.worker_id),
            at: at(r.at),
            method: Method::parse(&r.method)
                .ok_or_else(|| Error::internal("stored check has a bad method"))?,
            reached: r.reached,
            details: r.details,
            raised_door_visit: r.raised_door_visit,
        })
    }
}
pub(super) use {insert_checks, insert_people};
