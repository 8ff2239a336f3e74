//! Intake of a need from a resident (no account): the fields as typed ([`IntakeForm`]),
//! parsed field by field with bilingual messages ([`IntakeForm::parse`] → [`NeedInput`]), and
//! what triage looks at. Personal fields leave this module only to be sealed (see `service`).

use serde::{Deserialize, Serialize};
use time::Date;

use super::Category;
use super::triage::{Subject, TriageInput};
use crate::error::{FieldError, FieldErrors, Result};
use crate::regions::RegionCode;
use crate::text;

/// The privacy notice residents consent to; stored with each need.
pub const NOTICE_VERSION: &str = "2026-11";

/// Longest description.
pub const DESCRIPTION_MAX: usize = 1000;

/// Who the need is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhoFor {
    #[serde(rename = "self")]
    Myself,
    Family,
    Neighbour,
}

impl WhoFor {
    pub const ALL: [WhoFor; 3] = [WhoFor::Myself, WhoFor::Family, WhoFor::Neighbour];

    pub fn as_str(self) -> &'static str {
        match self {
            WhoFor::Myself => "self",
            WhoFor::Family => "family",
            WhoFor::Neighbour => "neighbour",
        }
    }

    pub fn parse(s: &str) -> Option<WhoFor> {
        WhoFor::ALL.into_iter().find(|w| w.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            WhoFor::Myself => "我自己",
            WhoFor::Family => "家人",
            WhoFor::Neighbour => "邻居",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            WhoFor::Myself => "Myself",
            WhoFor::Family => "A family member",
            WhoFor::Neighbour => "A neighbour",
        }
    }

    /// The lawful basis recorded: the resident's own consent, or for someone else protecting
    /// their life and health (PIPL Art. 13(4)).
    pub fn basis(self) -> &'static str {
        match self {
            WhoFor::Myself => "consent",
            WhoFor::Family | WhoFor::Neighbour => "vital_interests",
        }
    }
}

/// The fields as typed into `/help` or sent to `POST /api/v1/needs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IntakeForm {
    pub category: String,
    pub description: String,
    pub who_for: String,
    pub age: String,
    pub lives_alone: bool,
    pub disabled: bool,
    pub child: bool,
    pub no_carer: bool,
    pub pregnant: bool,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// The community's 12-digit region code.
    pub community: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub contact_name: String,
    pub mobile: String,
    pub medication_days_left: String,
    pub food_days_left: String,
    pub privacy_consent: bool,
    pub health_consent: bool,
    pub notice_version: String,
}

/// Facts about the person the need is for (sealed as one value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectFacts {
    pub age: Option<u32>,
    pub lives_alone: bool,
    pub disabled: bool,
    pub child: bool,
    pub no_carer: bool,
    pub pregnant: bool,
    pub due_date: Option<Date>,
}

/// A parsed intake: every field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedInput {
    pub category: Category,
    pub description: String,
    pub who_for: WhoFor,
    pub subject: SubjectFacts,
    pub community: RegionCode,
    /// Building, unit and room, joined for sealing (`12号 3单元 402室`).
    pub address: String,
    pub contact_name: String,
    /// 11 digits.
    pub mobile: String,
    pub medication_days_left: Option<u32>,
    pub food_days_left: Option<u32>,
    pub notice_version: String,
}

impl NeedInput {
    /// What the triage rules look at.
    pub fn triage_input(&self) -> TriageInput {
        TriageInput {
            category: Some(self.category),
            description: self.description.clone(),
            medication_days_left: self.medication_days_left,
            food_days_left: self.food_days_left,
            subject: Subject {
                age: self.subject.age,
                lives_alone: self.subject.lives_alone,
                disabled: self.subject.disabled,
                child: self.subject.child,
                no_carer: self.subject.no_carer,
            },
            known_vulnerable: false,
        }
    }
}

fn err(field: &'static str, zh: &str, en: &str) -> FieldError {
    FieldError {
        field,
        zh: zh.into(),
        en: en.into(),
    }
}

/// A mainland mobile number: `1[3-9]` and nine more digits (spaces, dashes and +86 allowed).
pub fn mobile(raw: &str) -> std::result::Result<String, FieldError> {
    let v: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let v = v
        .strip_prefix("+86")
        .or_else(|| v.strip_prefix("0086"))
        .unwrap_or(&v);
    let b = v.as_bytes();
    if b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && v.bytes().all(|c| c.is_ascii_digit())
    {
        Ok(v.to_string())
    } else {
        Err(err(
            "mobile",
            "请输入11位手机号，例如 13812345678",
            "Enter an 11-digit mobile number, e.g. 13812345678",
        ))
    }
}

fn number(
    field: &'static str,
    raw: &str,
    max: u32,
) -> std::result::Result<Option<u32>, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u32>() {
        Ok(n) if n <= max => Ok(Some(n)),
        _ => Err(FieldError {
            field,
            zh: format!("请填写 0 到 {max} 之间的数字"),
            en: format!("Enter a number from 0 to {max}"),
        }),
    }
}

fn date(field: &'static str, raw: &str) -> std::result::Result<Option<Date>, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let bad = || err(field, "日期格式：2026-04-03", "Date as 2026-04-03");
    let mut parts = v.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return Err(bad());
    };
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    Date::from_calendar_date(y, month, d)
        .map(Some)
        .map_err(|_| bad())
}

impl IntakeForm {
    /// Parse every field, collecting every problem.
    pub fn parse(&self) -> Result<NeedInput> {
        let mut e = FieldErrors::default();
        let category = e.take(Category::parse(self.category.trim()).ok_or_else(|| {
            err(
                "category",
                "请选择需要帮助的事",
                "Choose what you need help with",
            )
        }));
        let description = e.take(text::required(
            "description",
            &self.description,
            DESCRIPTION_MAX,
        ));
        let who_for = e.take(
            WhoFor::parse(self.who_for.trim())
                .ok_or_else(|| err("who_for", "请选择为谁求助", "Choose who needs the help")),
        );
        let age = e.take(number("age", &self.age, 130));
        let due_date = e.take(date("due_date", &self.due_date));
        let community = e.take(
            RegionCode::parse(&self.community)
                .and_then(|c| {
                    if c.0.len() == 12 && c.0.bytes().all(|b| b.is_ascii_digit()) {
                        Ok(c)
                    } else {
                        Err(err(
                            "community",
                            "请选择所在社区（12位社区代码）",
                            "Choose your community (12-digit code)",
                        ))
                    }
                })
                .map_err(|mut f| {
                    f.field = "community";
                    f
                }),
        );
        let building = e.take(text::required("building", &self.building, 40));
        let unit = e.take(text::optional("unit", &self.unit, 20));
        let room = e.take(text::optional("room", &self.room, 20));
        let contact_name = e.take(text::required("contact_name", &self.contact_name, 40));
        let mobile = e.take(mobile(&self.mobile));
        let medication = e.take(number(
            "medication_days_left",
            &self.medication_days_left,
            365,
        ));
        let food = e.take(number("food_days_left", &self.food_days_left, 365));
        if !self.privacy_consent {
            e.add(
                "privacy_consent",
                "请阅读并同意隐私说明",
                "Please read and agree to the privacy notice",
            );
        }
        if !self.health_consent {
            e.add(
                "health_consent",
                "请同意我们使用您填写的健康情况来安排帮助",
                "Please agree that we use the health details you give to arrange help",
            );
        }
        let notice_version = e.take(text::required("notice_version", &self.notice_version, 20));
        e.into_result()?;
        let (
            Some(category),
            Some(description),
            Some(who_for),
            Some(age),
            Some(due_date),
            Some(community),
            Some(building),
            Some(unit),
            Some(room),
            Some(contact_name),
            Some(mobile),
            Some(medication_days_left),
            Some(food_days_left),
            Some(notice_version),
        ) = (
            category,
            description,
            who_for,
            age,
            due_date,
            community,
            building,
            unit,
            room,
            contact_name,
            mobile,
            medication,
            food,
            notice_version,
        )
        else {
            return Err(crate::Error::internal("parsed fields missing"));
        };
        let address = [Some(building), unit, room]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(NeedInput {
            category,
            description,
            who_for,
            subject: SubjectFacts {
                age,
                lives_alone: self.lives_alone,
                disabled: self.disabled,
                child: self.child,
                no_carer: self.no_carer,
                pregnant: self.pregnant,
                due_date,
            },
            community,
            address,
            contact_name,
            mobile,
            medication_days_left,
            food_days_left,
            notice_version,
        })
    }
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
