//! Volunteers (志愿者): call-ups (召集令) with sign-ups and organisations' commitments,
//! volunteer profiles, posts (岗位) with shifts and bookings, check-in and check-out, and the
//! service record (志愿服务记录证明). The rules are pure (`booking`, `certificate`, `signup`);
//! `service` holds the use-cases over the store.

pub mod booking;
pub mod certificate;
pub mod record;
pub mod service;
pub mod signup;
pub mod tasks;

use serde::{Deserialize, Serialize};

use crate::dispatch::{Skill, Skills};
use crate::error::FieldError;

/// The privacy notice volunteers consent to when signing up; stored with each sign-up.
pub const NOTICE_VERSION: &str = "2026-11-volunteers";

/// The kinds of post (岗位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    Checkpoint,
    TestingSite,
    SupplyPoint,
    HotlineDesk,
}

impl PostKind {
    pub const ALL: [PostKind; 4] = [
        PostKind::Checkpoint,
        PostKind::TestingSite,
        PostKind::SupplyPoint,
        PostKind::HotlineDesk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Checkpoint => "checkpoint",
            PostKind::TestingSite => "testing_site",
            PostKind::SupplyPoint => "supply_point",
            PostKind::HotlineDesk => "hotline_desk",
        }
    }

    pub fn parse(s: &str) -> Option<PostKind> {
        PostKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            PostKind::Checkpoint => "卡口",
            PostKind::TestingSite => "采样点",
            PostKind::SupplyPoint => "物资点",
            PostKind::HotlineDesk => "热线席位",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            PostKind::Checkpoint => "Checkpoint",
            PostKind::TestingSite => "Testing site",
            PostKind::SupplyPoint => "Supply point",
            PostKind::HotlineDesk => "Hotline desk",
        }
    }
}

/// A skill by its stored name (the dispatch module's names).
pub fn parse_skill(s: &str) -> Option<Skill> {
    Skill::ALL.into_iter().find(|k| k.as_str() == s.trim())
}

/// The English name of a skill (the dispatch module carries the Chinese one).
pub fn skill_en(s: Skill) -> &'static str {
    match s {
        Skill::DriverWithVehicle => "Driver with a vehicle",
        Skill::Medical => "Medical",
        Skill::Counselling => "Counselling",
        Skill::FirstAid => "First aid",
        Skill::Dialect => "Dialects",
        Skill::Language => "Foreign languages",
    }
}

/// Skills as stored: their names joined by commas, in `Skill::ALL` order.
pub fn skills_to_str(s: Skills) -> String {
    s.iter().map(Skill::as_str).collect::<Vec<_>>().join(",")
}

/// Skills from their stored form; unknown names are dropped.
pub fn skills_from_str(s: &str) -> Skills {
    Skills::of(&s.split(',').filter_map(parse_skill).collect::<Vec<_>>())
}

/// Skills ticked in a form (by name); an unknown name is an error on `field`.
pub fn parse_skills(field: &'static str, names: &[String]) -> Result<Skills, FieldError> {
    let mut out = Vec::new();
    for n in names.iter().filter(|n| !n.trim().is_empty()) {
        match parse_skill(n) {
            Some(s) => out.push(s),
            None => {
                return Err(FieldError {
                    field,
                    zh: "请从列表中选择技能".into(),
                    en: "Choose skills from the list".into(),
                });
            }
        }
    }
    Ok(Skills::of(&out))
}

/// When someone can serve: parts of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    WeekdayMornings,
    WeekdayAfternoons,
    WeekdayEvenings,
    Weekends,
    Nights,
}

impl Availability {
    pub const ALL: [Availability; 5] = [
        Availability::WeekdayMornings,
        Availability::WeekdayAfternoons,
        Availability::WeekdayEvenings,
        Availability::Weekends,
        Availability::Nights,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::WeekdayMornings => "weekday_mornings",
            Availability::WeekdayAfternoons => "weekday_afternoons",
            Availability::WeekdayEvenings => "weekday_evenings",
            Availability::Weekends => "weekends",
            Availability::Nights => "nights",
        }
    }

    pub fn parse(s: &str) -> Option<Availability> {
        Availability::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            Availability::WeekdayMornings => "工作日上午",
            Availability::WeekdayAfternoons => "工作日下午",
            Availability::WeekdayEvenings => "工作日晚上",
            Availability::Weekends => "周末",
            Availability::Nights => "夜班",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Availability::WeekdayMornings => "Weekday mornings",
            Availability::WeekdayAfternoons => "Weekday afternoons",
            Availability::WeekdayEvenings => "Weekday evenings",
            Availability::Weekends => "Weekends",
            Availability::Nights => "Night shifts",
        }
    }
}

/// Availability windows as stored (names joined by commas).
pub fn availability_to_str(a: &[Availability]) -> String {
    Availability::ALL
        .into_iter()
        .filter(|x| a.contains(x))
        .map(Availability::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

pub fn availability_from_str(s: &str) -> Vec<Availability> {
    s.split(',').filter_map(Availability::parse).collect()
}

/// Availability ticked in a form; at least one window is required.
pub fn parse_availability(
    field: &'static str,
    names: &[String],
) -> Result<Vec<Availability>, FieldError> {
    let mut out = Vec::new();
    for n in names.iter().filter(|n| !n.trim().is_empty()) {
        match Availability::parse(n) {
            Some(a) if !out.contains(&a) => out.push(a),
            Some(_) => {}
            None => {
                return Err(FieldError {
                    field,
                    zh: "请从列表中选择可服务时间".into(),
                    en: "Choose when you can serve from the list".into(),
                });
            }
        }
    }
    if out.is_empty() {
        return Err(FieldError {
            field,
            zh: "请至少选择一个可服务时间".into(),
            en: "Choose at least one time you can serve".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in PostKind::ALL {
            assert_eq!(PostKind::parse(k.as_str()), Some(k));
        }
        for a in Availability::ALL {
            assert_eq!(Availability::parse(a.as_str()), Some(a));
        }
        let all = Skills::of(&Skill::ALL);
        assert_eq!(skills_from_str(&skills_to_str(all)), all);
        assert_eq!(skills_from_str(""), Skills::NONE);
    }

    #[test]
    fn unknown_skills_and_empty_availability_are_refused() {
        assert!(parse_skills("skills", &["juggling".into()]).is_err());
        assert!(parse_skills("skills", &[]).is_ok());
        assert!(parse_availability("availability", &[]).is_err());
        assert!(
            parse_availability("availability", &["weekends".into(), "weekends".into()]).is_ok()
        );
    }
}
