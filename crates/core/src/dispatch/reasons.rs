//! Why a candidate was chosen, in words for the need's timeline (Chinese and English).

use super::Skills;
use super::rank::DistanceClass;

impl DistanceClass {
    pub fn zh(self) -> &'static str {
        match self {
            DistanceClass::SameBuilding => "同一楼栋",
            DistanceClass::SameGrid => "同一网格",
            DistanceClass::SameCommunity => "同一社区",
            DistanceClass::SameStreet => "同一街道",
            DistanceClass::SameDistrict => "同一区",
            DistanceClass::Farther => "区外",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            DistanceClass::SameBuilding => "same building",
            DistanceClass::SameGrid => "same grid",
            DistanceClass::SameCommunity => "same community",
            DistanceClass::SameStreet => "same street",
            DistanceClass::SameDistrict => "same district",
            DistanceClass::Farther => "outside the district",
        }
    }
}

/// One reason a candidate was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    AvailableNow,
    HasSkills(Skills),
    Near {
        class: DistanceClass,
        metres: Option<u32>,
    },
    Load {
        open: u8,
        max: u8,
    },
}

impl Reason {
    pub fn zh(&self) -> String {
        match self {
            Reason::AvailableNow => "当前可接单".into(),
            Reason::HasSkills(s) => {
                format!(
                    "具备所需技能：{}",
                    s.iter().map(|k| k.zh()).collect::<Vec<_>>().join("、")
                )
            }
            Reason::Near {
                class,
                metres: Some(m),
            } => format!("{}，约 {m} 米", class.zh()),
            Reason::Near {
                class,
                metres: None,
            } => class.zh().into(),
            Reason::Load { open, max } => format!("当前任务 {open}/{max}"),
        }
    }

    pub fn en(&self) -> String {
        match self {
            Reason::AvailableNow => "available now".into(),
            Reason::HasSkills(s) => {
                let names: Vec<_> = s.iter().map(|k| k.as_str()).collect();
                format!("has the needed skills: {}", names.join(", "))
            }
            Reason::Near {
                class,
                metres: Some(m),
            } => format!("{}, about {m} m", class.en()),
            Reason::Near {
                class,
                metres: None,
            } => class.en().into(),
            Reason::Load { open, max } => format!("{open} of {max} open tasks"),
        }
    }
}
