//! The vulnerable-people registry (困难群体/服务对象): categories, care levels and the
//! welfare-check cadence they set, the record with its lawful basis and sealed fields
//! ([`record`]), the form ([`form`]), welfare checks and the needs they raise ([`checks`]),
//! the schedule ([`schedule`]) and the use-cases ([`service`]).

pub mod checks;
pub mod form;
pub mod id_number;
pub mod import;
pub mod record;
pub mod schedule;
pub mod service;

use serde::{Deserialize, Serialize};
use time::Duration;

/// Why a person is in the registry (DOMAIN.md). Sensitive in itself: encrypt before storing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonCategory {
    Dibao,
    NearDibao,
    ExtremeHardship,
    Aged80Plus,
    LivingAlone,
    DisabledCare,
    Disability,
    ChildInDifficulty,
    LeftBehindChild,
    Pregnant,
    SeriousIllness,
    MentalDisorder,
    Homeless,
    Other,
}

impl PersonCategory {
    pub const ALL: [PersonCategory; 14] = [
        PersonCategory::Dibao,
        PersonCategory::NearDibao,
        PersonCategory::ExtremeHardship,
        PersonCategory::Aged80Plus,
        PersonCategory::LivingAlone,
        PersonCategory::DisabledCare,
        PersonCategory::Disability,
        PersonCategory::ChildInDifficulty,
        PersonCategory::LeftBehindChild,
        PersonCategory::Pregnant,
        PersonCategory::SeriousIllness,
        PersonCategory::MentalDisorder,
        PersonCategory::Homeless,
        PersonCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PersonCategory::Dibao => "dibao",
            PersonCategory::NearDibao => "near_dibao",
            PersonCategory::ExtremeHardship => "extreme_hardship",
            PersonCategory::Aged80Plus => "aged_80_plus",
            PersonCategory::LivingAlone => "living_alone",
            PersonCategory::DisabledCare => "disabled_care",
            PersonCategory::Disability => "disability",
            PersonCategory::ChildInDifficulty => "child_in_difficulty",
            PersonCategory::LeftBehindChild => "left_behind_child",
            PersonCategory::Pregnant => "pregnant",
            PersonCategory::SeriousIllness => "serious_illness",
            PersonCategory::MentalDisorder => "mental_disorder",
            PersonCategory::Homeless => "homeless",
            PersonCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<PersonCategory> {
        PersonCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            PersonCategory::Dibao => "低保",
            PersonCategory::NearDibao => "低保边缘",
            PersonCategory::ExtremeHardship => "特困供养",
            PersonCategory::Aged80Plus => "高龄",
            PersonCategory::LivingAlone => "独居/空巢老人",
            PersonCategory::DisabledCare => "失能/半失能",
            PersonCategory::Disability => "残疾人",
            PersonCategory::ChildInDifficulty => "困境儿童",
            PersonCategory::LeftBehindChild => "留守儿童",
            PersonCategory::Pregnant => "孕产妇",
            PersonCategory::SeriousIllness => "重病/慢病",
            PersonCategory::MentalDisorder => "精神障碍",
            PersonCategory::Homeless => "流浪乞讨",
            PersonCategory::Other => "其他",
        }
    }
}

/// How closely a person is followed; sets the welfare-check cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CareLevel {
    A,
    B,
    C,
}

impl CareLevel {
    pub fn parse(s: &str) -> Option<CareLevel> {
        match s.trim() {
            "A" | "a" => Some(CareLevel::A),
            "B" | "b" => Some(CareLevel::B),
            "C" | "c" => Some(CareLevel::C),
            _ => None,
        }
    }

    /// Consecutive unreached checks that raise a door-visit need (DOMAIN.md: one for A, two
    /// otherwise).
    pub fn misses_before_door_visit(self) -> u32 {
        if self == CareLevel::A { 1 } else { 2 }
    }
}

/// Days between checks per care level (default A daily, B every 3 days, C weekly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    pub a: Duration,
    pub b: Duration,
    pub c: Duration,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            a: Duration::days(1),
            b: Duration::days(3),
            c: Duration::days(7),
        }
    }
}

impl Cadence {
    pub fn interval(&self, level: CareLevel) -> Duration {
        match level {
            CareLevel::A => self.a,
            CareLevel::B => self.b,
            CareLevel::C => self.c,
        }
    }

    /// When the next check is due after the last completed one (or at once if never checked).
    pub fn next_due(
        &self,
        level: CareLevel,
        last: Option<time::OffsetDateTime>,
        registered: time::OffsetDateTime,
    ) -> time::OffsetDateTime {
        match last {
            Some(t) => t + self.interval(level),
            None => registered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip_and_levels_set_the_cadence() {
        for c in PersonCategory::ALL {
            assert_eq!(PersonCategory::parse(c.as_str()), Some(c));
        }
        let c = Cadence::default();
        let t0 = time::macros::datetime!(2026-04-03 08:00 UTC);
        assert_eq!(
            c.next_due(CareLevel::A, Some(t0), t0),
            t0 + Duration::days(1)
        );
        assert_eq!(
            c.next_due(CareLevel::B, Some(t0), t0),
            t0 + Duration::days(3)
        );
        assert_eq!(
            c.next_due(CareLevel::C, None, t0),
            t0,
            "never checked: due at once"
        );
        assert_eq!(CareLevel::A.misses_before_door_visit(), 1);
        assert_eq!(CareLevel::B.misses_before_door_visit(), 2);
        assert_eq!(CareLevel::parse(" b "), Some(CareLevel::B));
    }
}
