//! The green channel (紧急关怀绿色通道): needs raised by residents, hotline operators or the
//! system, their categories and priorities, the state machine, SLA clocks and tracking codes.
//! The rules are pure; `intake` parses a resident's form, `service` stores and tracks needs.

pub mod draft;
pub mod escalation;
pub mod intake;
pub mod personal;
pub mod queue;
pub mod raise;
pub mod record;
pub mod red_flags;
pub mod service;
pub mod sla;
pub mod state;
pub mod timeline;
pub mod tracking;
pub mod triage;
pub mod work;

use serde::{Deserialize, Serialize};

/// What kind of help is needed (DOMAIN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    EmergencyMedical,
    CriticalTreatment,
    Prenatal,
    Medication,
    Psych,
    Supplies,
    ElderCare,
    ChildCare,
    Registration,
    DoorVisit,
    Other,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::EmergencyMedical,
        Category::CriticalTreatment,
        Category::Prenatal,
        Category::Medication,
        Category::Psych,
        Category::Supplies,
        Category::ElderCare,
        Category::ChildCare,
        Category::Registration,
        Category::DoorVisit,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::EmergencyMedical => "emergency_medical",
            Category::CriticalTreatment => "critical_treatment",
            Category::Prenatal => "prenatal",
            Category::Medication => "medication",
            Category::Psych => "psych",
            Category::Supplies => "supplies",
            Category::ElderCare => "elder_care",
            Category::ChildCare => "child_care",
            Category::Registration => "registration",
            Category::DoorVisit => "door_visit",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Plain Chinese, as residents would say it.
    pub fn zh(self) -> &'static str {
        match self {
            Category::EmergencyMedical => "紧急就医",
            Category::CriticalTreatment => "重病复查/血透/放化疗",
            Category::Prenatal => "孕产检/临产",
            Category::Medication => "配药/慢病用药",
            Category::Psych => "心理疏导/危机干预",
            Category::Supplies => "生活物资",
            Category::ElderCare => "老人照护",
            Category::ChildCare => "儿童照护",
            Category::Registration => "登记协助",
            Category::DoorVisit => "上门探视",
            Category::Other => "其他",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Category::EmergencyMedical => "Emergency medical trip",
            Category::CriticalTreatment => "Critical treatment (dialysis, chemotherapy, check-ups)",
            Category::Prenatal => "Prenatal check or labour",
            Category::Medication => "Medication",
            Category::Psych => "Psychological support or crisis",
            Category::Supplies => "Food and daily supplies",
            Category::ElderCare => "Elder care",
            Category::ChildCare => "Child care",
            Category::Registration => "Help with registration",
            Category::DoorVisit => "Door visit",
            Category::Other => "Other",
        }
    }
}

/// Priority P1 (most urgent) to P4. Ordered so that `P1 < P2`: "raise" means towards P1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The badge text: 紧急 / 加急 / 一般 / 低.
    pub fn zh(self) -> &'static str {
        match self {
            Priority::P1 => "紧急",
            Priority::P2 => "加急",
            Priority::P3 => "一般",
            Priority::P4 => "低",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Priority::P1 => "Urgent",
            Priority::P2 => "High",
            Priority::P3 => "Normal",
            Priority::P4 => "Low",
        }
    }

    /// One level more urgent (P1 stays P1).
    pub fn raised(self) -> Priority {
        match self {
            Priority::P1 | Priority::P2 => Priority::P1,
            Priority::P3 => Priority::P2,
            Priority::P4 => Priority::P3,
        }
    }

    /// One level less urgent (P4 stays P4).
    pub fn lowered(self) -> Priority {
        match self {
            Priority::P1 => Priority::P2,
            Priority::P2 => Priority::P3,
            Priority::P3 | Priority::P4 => Priority::P4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn raising_and_lowering_stop_at_the_ends() {
        assert_eq!(Priority::P1.raised(), Priority::P1);
        assert_eq!(Priority::P3.raised(), Priority::P2);
        assert_eq!(Priority::P4.lowered(), Priority::P4);
        assert_eq!(Priority::P1.lowered(), Priority::P2);
        assert!(Priority::P1 < Priority::P4);
    }
}
