//! The registry form as typed (strings), and its parser: every problem is collected with a
//! message in Chinese and English next to its field.

use serde::{Deserialize, Serialize};
use time::Date;

use super::id_number::IdNumber;
use super::record::{BasisKind, Contact, LawfulBasis, PersonDetails, format_date, parse_date};
use super::{CareLevel, PersonCategory};
use crate::error::{FieldError, FieldErrors, Result};
use crate::ids::UserId;
use crate::regions::RegionCode;
use crate::text;

/// What a worker typed. Checkbox values come as `"on"`/`"1"`/`"true"`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub birth_date: String,
    pub address: String,
    pub region: String,
    pub categories: Vec<String>,
    pub care_level: String,
    pub worker: String,
    pub basis: String,
    pub basis_date: String,
    pub notice_version: String,
    pub sensitive_consent: bool,
    pub guardian_consent: bool,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_relation: String,
    pub health_notes: String,
}

/// A parsed, valid person input.
#[derive(Debug, Clone)]
pub struct PersonInput {
    pub details: PersonDetails,
    pub region: RegionCode,
    pub care_level: CareLevel,
    pub worker: Option<UserId>,
    pub basis: LawfulBasis,
}

fn err(field: &'static str, zh: &str, en: &str) -> FieldError {
    FieldError {
        field,
        zh: zh.into(),
        en: en.into(),
    }
}

/// A phone: a mainland mobile, or a landline (area code optional), as digits.
pub fn phone(field: &'static str, raw: &str) -> std::result::Result<String, FieldError> {
    let v: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let v = v
        .strip_prefix("+86")
        .or_else(|| v.strip_prefix("0086"))
        .unwrap_or(&v)
        .to_string();
    let digits = v.bytes().all(|c| c.is_ascii_digit());
    let mobile = v.len() == 11 && v.starts_with('1') && (b'3'..=b'9').contains(&v.as_bytes()[1]);
    let landline = (v.starts_with('0') && (10..=12).contains(&v.len()))
        || (v.len() == 8 && !v.starts_with('0') && !v.starts_with('1'));
    if digits && (mobile || landline) {
        Ok(v)
    } else {
        Err(err(
            field,
            "请输入11位手机号（如 13812345678）或带区号的座机（如 021-63011234）",
            "Enter an 11-digit mobile (e.g. 13812345678) or a landline with area code (e.g. 021-63011234)",
        ))
    }
}

impl PersonForm {
    /// The form for editing a stored person.
    pub fn from_details(
        d: &PersonDetails,
        region: &RegionCode,
        care: CareLevel,
        worker: Option<UserId>,
        basis: &LawfulBasis,
    ) -> PersonForm {
        let c = d.contact.clone();
        PersonForm {
            name: d.name.clone(),
            id_number: d
                .id_number
                .as_ref()
                .map(|i| i.as_str().to_string())
                .unwrap_or_default(),
            phone: d.phone.clone().unwrap_or_default(),
            birth_date: d.birth_date.map(format_date).unwrap_or_default(),
            address: d.address.clone(),
            region: region.0.clone(),
            categories: d.categories.iter().map(|c| c.as_str().into()).collect(),
            care_level: format!("{care:?}"),
            worker: worker.map(|w| w.to_string()).unwrap_or_default(),
            basis: basis.kind.as_str().into(),
            basis_date: format_date(basis.date),
            notice_version: basis.notice_version.clone(),
            sensitive_consent: basis.sensitive_consent,
            guardian_consent: basis.guardian_consent,
            contact_name: c.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            contact_phone: c.as_ref().map(|c| c.phone.clone()).unwrap_or_default(),
            contact_relation: c.map(|c| c.relation).unwrap_or_default(),
            health_notes: d.health_notes.clone().unwrap_or_default(),
        }
    }

    /// Build from posted `(name, value)` pairs (categories repeat).
    pub fn from_pairs(pairs: &[(String, String)]) -> PersonForm {
        let mut f = PersonForm::default();
        let on = |v: &str| matches!(v, "on" | "1" | "true" | "yes");
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v.clone(),
                "id_number" => f.id_number = v.clone(),
                "phone" => f.phone = v.clone(),
                "birth_date" => f.birth_date = v.clone(),
                "address" => f.address = v.clone(),
                "region" => f.region = v.clone(),
                "categories" => f.categories.push(v.clone()),
                "care_level" => f.care_level = v.clone(),
                "worker" => f.worker = v.clone(),
                "basis" => f.basis = v.clone(),
                "basis_date" => f.basis_date = v.clone(),
                "notice_version" => f.notice_version = v.clone(),
                "sensitive_consent" => f.sensitive_consent = on(v),
                "guardian_consent" => f.guardian_consent = on(v),
                "contact_name" => f.contact_name = v.clone(),
                "contact_phone" => f.contact_phone = v.clone(),
                "contact_relation" => f.contact_relation = v.clone(),
                "health_notes" => f.health_notes = v.clone(),
                _ => {}
            }
        }
        f
    }

    pub fn has_category(&self, code: &str) -> bool {
        self.categories.iter().any(|c| c == code)
    }

    /// Parse every field, collecting every problem. `today` decides who is a child and
    /// refuses dates in the future.
    pub fn parse(&self, today: Date) -> Result<PersonInput> {
        let mut e = FieldErrors::default();
        let name = e.take(text::required("name", &self.name, 50));
        let id_number = if self.id_number.trim().is_empty() {
            None
        } else {
            e.take(IdNumber::parse(&self.id_number))
        };
        let phone_v = if self.phone.trim().is_empty() {
            None
        } else {
            e.take(phone("phone", &self.phone))
        };
        let mut birth_date = None;
        if !self.birth_date.trim().is_empty() {
            match parse_date(&self.birth_date) {
                Some(d) if d <= today && d.year() >= 1900 => birth_date = Some(d),
                _ => e.0.push(err(
                    "birth_date",
                    "出生日期格式：1950-04-03，且不能晚于今天",
                    "Birth date as 1950-04-03, not after today",
                )),
            }
        }
        if let Some(id) = &id_number {
            match birth_date {
                Some(b) if b != id.birth_date() => e.0.push(err(
                    "birth_date",
                    "出生日期与身份证号中的日期不一致",
                    "The birth date differs from the one in the ID number",
                )),
                _ => birth_date = Some(id.birth_date()),
            }
        }
        let address = e.take(text::required("address", &self.address, 200));
        let region = match RegionCode::parse(self.region.trim()) {
            Ok(r) if r.0.len() == 12 && r.0.bytes().all(|b| b.is_ascii_digit()) => Some(r),
            _ => {
                e.0.push(err(
                    "region",
                    "请选择户籍或居住地址所在的社区（居委会）",
                    "Choose the community (residents' committee) of the household address",
                ));
                None
            }
        };
        let mut categories = Vec::new();
        for c in &self.categories {
            match PersonCategory::parse(c.trim()) {
                Some(cat) if !categories.contains(&cat) => categories.push(cat),
                Some(_) => {}
                None => {
                    e.0.push(err("categories", "类别不在列表中", "Unknown category"));
                    break;
                }
            }
        }
        if self.categories.is_empty() {
            e.0.push(err(
                "categories",
                "请至少选择一个类别",
                "Choose at least one category",
            ));
        }
        let care_level = e.take(CareLevel::parse(&self.care_level).ok_or_else(|| {
            err(
                "care_level",
                "请选择关爱等级：A 每日、B 每三日、C 每周",
                "Choose a care level: A daily, B every 3 days, C weekly",
            )
        }));
        let worker = if self.worker.trim().is_empty() {
            None
        } else {
            match self.worker.trim().parse::<UserId>() {
                Ok(w) => Some(w),
                Err(_) => {
                    e.0.push(err(
                        "worker",
                        "请从列表中选择责任社工",
                        "Choose the responsible worker from the list",
                    ));
                    None
                }
            }
        };
        let kind = e.take(BasisKind::parse(&self.basis).ok_or_else(|| {
            err(
                "basis",
                "请选择处理个人信息的依据",
                "Choose the lawful basis",
            )
        }));
        let basis_date = match parse_date(&self.basis_date) {
            Some(d) if d <= today => Some(d),
            _ => {
                e.0.push(err(
                    "basis_date",
                    "请填写取得同意或依据的日期，如 2026-04-03，不能晚于今天",
                    "Date of the consent or basis, e.g. 2026-04-03, not after today",
                ));
                None
            }
        };
        let notice_version = e.take(text::required("notice_version", &self.notice_version, 20));
        let child = birth_date.is_some_and(|b| {
            let mut age = today.year() - b.year();
            if (today.month() as u8, today.day()) < (b.month() as u8, b.day()) {
                age -= 1;
            }
            age < 14
        });
        if kind == Some(BasisKind::Consent) {
            if !self.sensitive_consent {
                e.0.push(err(
                    "sensitive_consent",
                    "类别和健康信息属于敏感个人信息，需本人（或监护人）单独同意",
                    "Categories and health are sensitive data: separate consent is needed",
                ));
            }
            if child && !self.guardian_consent {
                e.0.push(err(
                    "guardian_consent",
                    "不满14周岁的儿童须由监护人同意",
                    "A child under 14 needs a guardian's consent",
                ));
            }
        }
        let contact_name = e.take(text::optional("contact_name", &self.contact_name, 50));
        let contact_relation = e.take(text::optional(
            "contact_relation",
            &self.contact_relation,
            20,
        ));
        let contact_phone = if self.contact_phone.trim().is_empty() {
            Some(None)
        } else {
            e.take(phone("contact_phone", &self.contact_phone))
                .map(Some)
        };
        let contact = match (contact_name.flatten(), contact_phone.flatten()) {
            (Some(n), Some(p)) => Some(Contact {
                name: n,
                phone: p,
                relation: contact_relation.flatten().unwrap_or_default(),
            }),
            (None, None) => None,
            (Some(_), None) => {
                e.0.push(err(
                    "contact_phone",
                    "请填写联系人的电话",
                    "Enter the contact's phone",
                ));
                None
            }
            (None, Some(_)) => {
                e.0.push(err(
                    "contact_name",
                    "请填写联系人的姓名",
                    "Enter the contact's name",
                ));
                None
            }
        };
        if child && contact.is_none() && e.get("contact_name").is_none() {
            e.0.push(err(
                "contact_name",
                "儿童须登记监护人姓名和电话",
                "A child needs a guardian's name and phone",
            ));
        }
        let health_notes = e.take(text::optional("health_notes", &self.health_notes, 2000));
        e.clone().into_result()?;
        let (Some(name), Some(address), Some(region), Some(care_level), Some(kind)) =
            (name, address, region, care_level, kind)
        else {
            return Err(crate::Error::internal("parse left a field unset"));
        };
        let (Some(basis_date), Some(notice_version), Some(health_notes)) =
            (basis_date, notice_version, health_notes)
        else {
            return Err(crate::Error::internal("parse left a field unset"));
        };
        Ok(PersonInput {
            details: PersonDetails {
                name,
                id_number,
                phone: phone_v,
                address,
                categories,
                health_notes,
                contact,
                birth_date,
            },
            region,
            care_level,
            worker,
            basis: LawfulBasis {
                kind,
                date: basis_date,
                notice_version,
                sensitive_consent: self.sensitive_consent,
                guardian_consent: self.guardian_consent,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 28);

    pub(crate) fn good() -> PersonForm {
        PersonForm {
            name: "王阿婆".into(),
            id_number: "11010519491231002X".into(),
            phone: "138 1234 5678".into(),
            address: "丽园路 100 弄 3 号 201 室".into(),
            region: "310101020001".into(),
            categories: vec!["aged_80_plus".into(), "living_alone".into()],
            care_level: "A".into(),
            basis: "consent".into(),
            basis_date: "2026-04-03".into(),
            notice_version: "v1".into(),
            sensitive_consent: true,
            contact_name: "王小明".into(),
            contact_phone: "021-63011234".into(),
            contact_relation: "儿子".into(),
            health_notes: "高血压，每日服药".into(),
            ..PersonForm::default()
        }
    }

    #[test]
    fn a_good_form_parses_with_the_birth_date_from_the_id_number() {
        let p = good().parse(TODAY).expect("valid");
        assert_eq!(p.details.birth_date, Some(date!(1949 - 12 - 31)));
        assert_eq!(p.details.phone.as_deref(), Some("13812345678"));
        assert_eq!(
            p.details.contact.as_ref().map(|c| c.phone.as_str()),
            Some("02163011234")
        );
        assert_eq!(p.care_level, CareLevel::A);
        assert_eq!(p.details.categories.len(), 2);
        assert_eq!(format!("{:?}", p.details), "PersonDetails(…)");
    }

    #[test]
    fn every_bad_field_has_its_own_bilingual_message() {
        let f = PersonForm {
            name: " ".into(),
            id_number: "110105194912310021".into(),
            phone: "12345".into(),
            birth_date: "2030-01-01".into(),
            address: "".into(),
            region: "310101020".into(),
            categories: vec!["nope".into()],
            care_level: "D".into(),
            worker: "someone".into(),
            basis: "because".into(),
            basis_date: "2099-01-01".into(),
            notice_version: "".into(),
            contact_name: "只有名字".into(),
            ..PersonForm::default()
        };
        let Err(crate::Error::Invalid(e)) = f.parse(TODAY) else {
            panic!("should fail")
        };
        for field in [
            "name",
            "id_number",
            "phone",
            "birth_date",
            "address",
            "region",
            "categories",
            "care_level",
            "worker",
            "basis",
            "basis_date",
            "notice_version",
            "contact_phone",
        ] {
            let m = e
                .get(field)
                .unwrap_or_else(|| panic!("{field} not flagged"));
            assert!(!m.zh.is_empty() && !m.en.is_empty(), "{field}");
        }
    }

    #[test]
    fn consent_needs_separate_sensitive_consent_and_a_child_needs_a_guardian() {
        let mut f = good();
        f.sensitive_consent = false;
        let Err(crate::Error::Invalid(e)) = f.parse(TODAY) else {
            panic!()
        };
        assert!(e.get("sensitive_consent").is_some());

        let mut child = good();
        child.id_number.clear();
        child.birth_date = "2016-06-01".into();
        child.categories = vec!["left_behind_child".into()];
        let Err(crate::Error::Invalid(e)) = child.parse(TODAY) else {
            panic!()
        };
        assert!(e.get("guardian_consent").is_some());
        child.guardian_consent = true;
        assert!(child.parse(TODAY).is_ok());
        child.contact_name.clear();
        child.contact_phone.clear();
        let Err(crate::Error::Invalid(e)) = child.parse(TODAY) else {
            panic!()
        };
        assert!(e.get("contact_name").is_some(), "a child needs a guardian");

        // Statutory duty needs no consent boxes.
        let mut duty = good();
        duty.basis = "statutory_duty".into();
        duty.sensitive_consent = false;
        assert!(duty.parse(TODAY).is_ok());
        // Just 14 today: no longer a child.
        let mut fourteen = good();
        fourteen.id_number.clear();
        fourteen.birth_date = "2012-11-28".into();
        assert!(fourteen.parse(TODAY).is_ok());
    }

    #[test]
    fn a_birth_date_that_contradicts_the_id_number_is_refused() {
        let mut f = good();
        f.birth_date = "1950-01-01".into();
        let Err(crate::Error::Invalid(e)) = f.parse(TODAY) else {
            panic!()
        };
        assert!(e.get("birth_date").is_some());
    }

    #[test]
    fn phones_accept_mobiles_and_landlines_only() {
        assert_eq!(
            phone("p", "+86 139-0000-1111").ok().as_deref(),
            Some("13900001111")
        );
        assert_eq!(
            phone("p", "021-6301 1234").ok().as_deref(),
            Some("02163011234")
        );
        assert_eq!(phone("p", "63011234").ok().as_deref(), Some("63011234"));
        for bad in ["", "12012345678", "1381234567", "abc", "0216301123456"] {
            assert!(phone("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn posted_pairs_keep_repeated_categories_and_checkboxes() {
        let pairs: Vec<(String, String)> = [
            ("name", "x"),
            ("categories", "dibao"),
            ("categories", "pregnant"),
            ("sensitive_consent", "on"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let f = PersonForm::from_pairs(&pairs);
        assert_eq!(f.categories, vec!["dibao", "pregnant"]);
        assert!(f.sensitive_consent);
        assert!(!f.guardian_consent);
    }
}
