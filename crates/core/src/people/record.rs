//! A registry person as stored: plain scheduling facts (community, care level, worker, lawful
//! basis, status, due time) and every personal value sealed by the field cipher. The sealed
//! columns are listed here and registered in the store's `ENCRYPTED_COLUMNS`.
//!
//! What is sealed: name, ID number, phones (own and the guardian's or emergency contact's),
//! address, the registry categories themselves, health notes and the birth date. The plain
//! columns say nothing about the person beyond where they live (the community), how often
//! they are called and on what legal basis, so everything about a child under 14 is sealed
//! too.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::id_number::IdNumber;
use super::{CareLevel, PersonCategory};
use crate::crypto::{Cipher, EncryptedColumn, Lookup};
use crate::error::{Error, Result};
use crate::ids::{PersonId, UserId};
use crate::regions::RegionCode;

const fn sealed(column: &'static str) -> EncryptedColumn {
    EncryptedColumn {
        table: "people",
        column,
        id_column: "id",
    }
}

pub const NAME: EncryptedColumn = sealed("name");
pub const ID_NUMBER: EncryptedColumn = sealed("id_number");
pub const PHONE: EncryptedColumn = sealed("phone");
pub const ADDRESS: EncryptedColumn = sealed("address");
pub const CATEGORIES: EncryptedColumn = sealed("categories");
pub const HEALTH_NOTES: EncryptedColumn = sealed("health_notes");
pub const CONTACT: EncryptedColumn = sealed("contact");
pub const BIRTH_DATE: EncryptedColumn = sealed("birth_date");

/// Every sealed column of `people`.
pub const SEALED_COLUMNS: [EncryptedColumn; 8] = [
    NAME,
    ID_NUMBER,
    PHONE,
    ADDRESS,
    CATEGORIES,
    HEALTH_NOTES,
    CONTACT,
    BIRTH_DATE,
];

/// The legal ground for keeping the record (PIPL Art. 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasisKind {
    /// 同意: the person's (or guardian's) consent.
    Consent,
    /// 法定职责: a statutory duty of the committee or civil affairs.
    StatutoryDuty,
    /// 紧急情况: protecting life and health in an emergency.
    Emergency,
}

impl BasisKind {
    pub const ALL: [BasisKind; 3] = [
        BasisKind::Consent,
        BasisKind::StatutoryDuty,
        BasisKind::Emergency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BasisKind::Consent => "consent",
            BasisKind::StatutoryDuty => "statutory_duty",
            BasisKind::Emergency => "emergency",
        }
    }

    pub fn parse(s: &str) -> Option<BasisKind> {
        BasisKind::ALL.into_iter().find(|b| b.as_str() == s.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            BasisKind::Consent => "本人或监护人同意",
            BasisKind::StatutoryDuty => "履行法定职责",
            BasisKind::Emergency => "紧急情况下保护生命健康",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            BasisKind::Consent => "Consent",
            BasisKind::StatutoryDuty => "Statutory duty",
            BasisKind::Emergency => "Emergency (life and health)",
        }
    }
}

/// The lawful basis with its date and the version of the notice the person was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LawfulBasis {
    pub kind: BasisKind,
    pub date: Date,
    pub notice_version: String,
    /// Separate consent for sensitive data (Art. 29).
    pub sensitive_consent: bool,
    /// A guardian's consent for a child under 14 (Art. 31).
    pub guardian_consent: bool,
}

/// Where the record stands. Closed records are purged after the retention period;
/// anonymised ones keep only what statistics count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    Active,
    Closed,
    Anonymised,
}

impl PersonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::Closed => "closed",
            PersonStatus::Anonymised => "anonymised",
        }
    }

    pub fn parse(s: &str) -> Option<PersonStatus> {
        [
            PersonStatus::Active,
            PersonStatus::Closed,
            PersonStatus::Anonymised,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A guardian or emergency contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    /// 关系, e.g. 女儿, 监护人.
    pub relation: String,
}

/// A person's personal values in the clear: exist only in memory, never stored like this.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetails {
    pub name: String,
    pub id_number: Option<IdNumber>,
    pub phone: Option<String>,
    pub address: String,
    pub categories: Vec<PersonCategory>,
    pub health_notes: Option<String>,
    pub contact: Option<Contact>,
    pub birth_date: Option<Date>,
}

/// Never prints a personal value.
impl std::fmt::Debug for PersonDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonDetails(…)")
    }
}

impl PersonDetails {
    /// Full years of age on `today`, when the birth date is known.
    pub fn age_on(&self, today: Date) -> Option<i32> {
        let b = self.birth_date?;
        let mut age = today.year() - b.year();
        if (today.month() as u8, today.day()) < (b.month() as u8, b.day()) {
            age -= 1;
        }
        Some(age)
    }

    /// Under 14 on `today` (PIPL Art. 31: a guardian consents).
    pub fn is_child_on(&self, today: Date) -> bool {
        self.age_on(today).is_some_and(|a| a < 14)
    }
}

/// The sealed values of a person (`None` once anonymised, or when not given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonSealed {
    pub name: Option<Vec<u8>>,
    pub id_number: Option<Vec<u8>>,
    pub phone: Option<Vec<u8>>,
    pub address: Option<Vec<u8>>,
    /// JSON list of category codes.
    pub categories: Option<Vec<u8>>,
    pub health_notes: Option<Vec<u8>>,
    /// JSON [`Contact`].
    pub contact: Option<Vec<u8>>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<Vec<u8>>,
    /// Keyed blind index of the ID number (exact lookup).
    pub id_number_index: Option<String>,
    /// Keyed blind index of the person's phone (exact lookup).
    pub phone_index: Option<String>,
}

/// A registry person as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    /// The community of the household address.
    pub region: RegionCode,
    pub care_level: CareLevel,
    /// The responsible worker.
    pub worker: Option<UserId>,
    pub basis: LawfulBasis,
    pub status: PersonStatus,
    pub sealed: PersonSealed,
    /// When the next welfare check is due.
    pub next_due_at: OffsetDateTime,
    pub last_check_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

fn date_str(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Parse `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut p = s.trim().split('-');
    let (Some(y), Some(m), Some(d), None) = (p.next(), p.next(), p.next(), p.next()) else {
        return None;
    };
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// Format a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    date_str(d)
}

fn seal_opt(
    cipher: &Cipher,
    col: &EncryptedColumn,
    id: PersonId,
    v: Option<&str>,
) -> Result<Option<Vec<u8>>> {
    v.map(|v| cipher.seal_str(col.field(id.0), v)).transpose()
}

fn open_opt(
    cipher: &Cipher,
    col: &EncryptedColumn,
    id: PersonId,
    v: &Option<Vec<u8>>,
) -> Result<Option<String>> {
    v.as_deref()
        .map(|b| cipher.open_str(col.field(id.0), b))
        .transpose()
}

/// Seal a person's details for row `id`, with blind indexes for ID number and phone.
pub fn seal(cipher: &Cipher, id: PersonId, d: &PersonDetails) -> Result<PersonSealed> {
    let cats: Vec<&str> = d.categories.iter().map(|c| c.as_str()).collect();
    let cats = serde_json::to_string(&cats).map_err(Error::internal)?;
    let contact = d
        .contact
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(Error::internal)?;
    Ok(PersonSealed {
        name: seal_opt(cipher, &NAME, id, Some(&d.name))?,
        id_number: seal_opt(
            cipher,
            &ID_NUMBER,
            id,
            d.id_number.as_ref().map(|i| i.as_str()),
        )?,
        phone: seal_opt(cipher, &PHONE, id, d.phone.as_deref())?,
        address: seal_opt(cipher, &ADDRESS, id, Some(&d.address))?,
        categories: seal_opt(cipher, &CATEGORIES, id, Some(&cats))?,
        health_notes: seal_opt(cipher, &HEALTH_NOTES, id, d.health_notes.as_deref())?,
        contact: seal_opt(cipher, &CONTACT, id, contact.as_deref())?,
        birth_date: seal_opt(
            cipher,
            &BIRTH_DATE,
            id,
            d.birth_date.map(date_str).as_deref(),
        )?,
        id_number_index: d
            .id_number
            .as_ref()
            .and_then(|i| cipher.blind_index(Lookup::IdNumber, i.as_str())),
        phone_index: d
            .phone
            .as_deref()
            .and_then(|p| cipher.blind_index(Lookup::Phone, p)),
    })
}

/// Open every sealed value of a person. An anonymised person opens to empty values.
pub fn open(cipher: &Cipher, p: &Person) -> Result<PersonDetails> {
    let s = &p.sealed;
    let id = p.id;
    let categories: Vec<PersonCategory> = match open_opt(cipher, &CATEGORIES, id, &s.categories)? {
        Some(json) => {
            let codes: Vec<String> = serde_json::from_str(&json).map_err(Error::internal)?;
            codes
                .iter()
                .filter_map(|c| PersonCategory::parse(c))
                .collect()
        }
        None => Vec::new(),
    };
    let contact = open_opt(cipher, &CONTACT, id, &s.contact)?
        .map(|j| serde_json::from_str(&j).map_err(Error::internal))
        .transpose()?;
    let id_number = open_opt(cipher, &ID_NUMBER, id, &s.id_number)?
        .map(|v| IdNumber::parse(&v).map_err(|_| Error::internal("stored ID number invalid")))
        .transpose()?;
    Ok(PersonDetails {
        name: open_opt(cipher, &NAME, id, &s.name)?.unwrap_or_default(),
        id_number,
        phone: open_opt(cipher, &PHONE, id, &s.phone)?,
        address: open_opt(cipher, &ADDRESS, id, &s.address)?.unwrap_or_default(),
        categories,
        health_notes: open_opt(cipher, &HEALTH_NOTES, id, &s.health_notes)?,
        contact,
        birth_date: open_opt(cipher, &BIRTH_DATE, id, &s.birth_date)?.and_then(|d| parse_date(&d)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keyring;
    use time::macros::date;

    fn details() -> PersonDetails {
        PersonDetails {
            name: "王阿婆".into(),
            id_number: Some(IdNumber::parse("11010519491231002X").expect("id")),
            phone: Some("13812345678".into()),
            address: "丽园路 100 弄".into(),
            categories: vec![PersonCategory::Aged80Plus, PersonCategory::Pregnant],
            health_notes: Some("高血压".into()),
            contact: Some(Contact {
                name: "王小明".into(),
                phone: "02163011234".into(),
                relation: "儿子".into(),
            }),
            birth_date: Some(date!(1949 - 12 - 31)),
        }
    }

    #[test]
    fn every_value_is_sealed_bound_to_its_row_and_opens_again() {
        let c = Cipher::new(&Keyring::generate().expect("ring"));
        let id = PersonId::new();
        let d = details();
        let s = seal(&c, id, &d).expect("seal");
        for (plain, bytes) in [
            ("王阿婆", &s.name),
            ("13812345678", &s.phone),
            ("11010519491231002X", &s.id_number),
            ("高血压", &s.health_notes),
            ("aged_80_plus", &s.categories),
        ] {
            let b = bytes.as_ref().expect("sealed");
            assert!(!b.windows(plain.len()).any(|w| w == plain.as_bytes()));
        }
        assert_eq!(
            s.phone_index,
            c.blind_index(Lookup::Phone, "+86 138-1234-5678"),
            "the index matches other spellings"
        );
        let person = Person {
            id,
            region: RegionCode("310101020001".into()),
            care_level: CareLevel::A,
            worker: None,
            basis: LawfulBasis {
                kind: BasisKind::Emergency,
                date: date!(2026 - 04 - 03),
                notice_version: "v1".into(),
                sensitive_consent: false,
                guardian_consent: false,
            },
            status: PersonStatus::Active,
            sealed: s.clone(),
            next_due_at: OffsetDateTime::UNIX_EPOCH,
            last_check_at: None,
            closed_at: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            version: 1,
        };
        assert!(open(&c, &person).expect("open") == d);
        // Moved to another row: refused as tampering.
        let moved = Person {
            id: PersonId::new(),
            ..person.clone()
        };
        assert!(matches!(open(&c, &moved), Err(Error::Tampered(_))));
        // Anonymised: opens to nothing.
        let gone = Person {
            sealed: PersonSealed::default(),
            ..person
        };
        let e = open(&c, &gone).expect("open");
        assert!(e.name.is_empty() && e.phone.is_none() && e.categories.is_empty());
        assert!(d.is_child_on(date!(1960 - 01 - 01)) && !d.is_child_on(date!(1963 - 12 - 31)));
    }
}
