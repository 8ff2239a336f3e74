//! Dispatch: matching volunteer tasks (deliver medicine, escort to hospital, bring supplies,
//! door visit) to volunteers. Pure: no I/O, no clock, std only.
//!
//! Hard constraints: the volunteer has every skill the task needs, is available now and is
//! under their load limit (`load < max_load`). Among those, the ranking is (see [`rank`]):
//! distance class first (same building < same grid < same community < same street < same
//! district < farther), then metres in 100 m bands when both sides have coordinates, then
//! the lower load, then the volunteer id as a stable tie-break.
//!
//! [`rank::best_candidates`] is the plain reference (every volunteer checked); [`index::Index`]
//! gives the same answers by looking at the task's own building, grid, community, street and
//! district first and widening outward only when those cannot fill the request. The
//! equivalence of the two on random data is tested in [`equivalence`].

pub mod assign;
pub mod index;
pub mod offers;
pub mod rank;
pub mod reasons;
pub mod record;

#[cfg(test)]
mod equivalence;
#[cfg(test)]
mod fixtures;

pub use assign::{assign_all, assignment_order};
pub use index::Index;
pub use rank::{DistanceClass, Rank, best_candidates};
pub use reasons::Reason;

use crate::needs::Priority;
use crate::regions::RegionCode;

/// One skill a volunteer can offer and a task can need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skill {
    DriverWithVehicle,
    Medical,
    Counselling,
    FirstAid,
    Dialect,
    Language,
}

impl Skill {
    pub const ALL: [Skill; 6] = [
        Skill::DriverWithVehicle,
        Skill::Medical,
        Skill::Counselling,
        Skill::FirstAid,
        Skill::Dialect,
        Skill::Language,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Skill::DriverWithVehicle => "driver_with_vehicle",
            Skill::Medical => "medical",
            Skill::Counselling => "counselling",
            Skill::FirstAid => "first_aid",
            Skill::Dialect => "dialect",
            Skill::Language => "language",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Skill::DriverWithVehicle => "有车司机",
            Skill::Medical => "医护",
            Skill::Counselling => "心理疏导",
            Skill::FirstAid => "急救",
            Skill::Dialect => "方言",
            Skill::Language => "外语",
        }
    }
}

/// A set of skills as a bitset: one bit per [`Skill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Skills(pub u16);

impl Skills {
    pub const NONE: Skills = Skills(0);

    pub fn of(skills: &[Skill]) -> Skills {
        Skills(skills.iter().fold(0, |acc, s| acc | s.bit()))
    }

    pub fn with(self, skill: Skill) -> Skills {
        Skills(self.0 | skill.bit())
    }

    pub fn has(self, skill: Skill) -> bool {
        self.0 & skill.bit() != 0
    }

    /// Does this set hold every skill of `needed`?
    pub fn covers(self, needed: Skills) -> bool {
        self.0 & needed.0 == needed.0
    }

    pub fn iter(self) -> impl Iterator<Item = Skill> {
        Skill::ALL.into_iter().filter(move |s| self.has(*s))
    }
}

/// The engine's key for a volunteer; storage maps its own ids to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VolunteerId(pub u64);

/// The engine's key for a task; allocated in arrival order, so a lower id is an earlier task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u64);

/// What a task asks a volunteer to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    DeliverMedicine,
    EscortToHospital,
    BringSupplies,
    DoorVisit,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::DeliverMedicine => "deliver_medicine",
            TaskKind::EscortToHospital => "escort_to_hospital",
            TaskKind::BringSupplies => "bring_supplies",
            TaskKind::DoorVisit => "door_visit",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            TaskKind::DeliverMedicine => "送药",
            TaskKind::EscortToHospital => "陪同就医",
            TaskKind::BringSupplies => "送物资",
            TaskKind::DoorVisit => "上门探视",
        }
    }
}

/// A volunteer as the engine sees them at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Volunteer {
    pub id: VolunteerId,
    /// Home building or community.
    pub home: RegionCode,
    /// (latitude, longitude) in degrees, where known.
    pub coords: Option<(f64, f64)>,
    pub skills: Skills,
    /// Available right now (inside an availability window, not paused).
    pub available: bool,
    /// Open tasks now.
    pub load: u8,
    pub max_load: u8,
}

impl Volunteer {
    /// The hard constraints: every needed skill, available now, under the load limit.
    pub fn can_take(&self, needs: Skills) -> bool {
        self.skills.covers(needs) && self.available && self.load < self.max_load
    }
}

/// An open task waiting for a volunteer.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: TaskId,
    /// Where the help is needed: a building, grid or community.
    pub place: RegionCode,
    /// (latitude, longitude) in degrees, where known.
    pub coords: Option<(f64, f64)>,
    pub needs: Skills,
    pub kind: TaskKind,
    /// The need's priority; [`assign::assign_all`] serves P1 first.
    pub priority: Priority,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skill_set_covers_exactly_the_skills_it_holds() {
        let driver_medic = Skills::of(&[Skill::DriverWithVehicle, Skill::Medical]);
        assert!(driver_medic.covers(Skills::of(&[Skill::Medical])));
        assert!(driver_medic.covers(Skills::NONE));
        assert!(!driver_medic.covers(Skills::of(&[Skill::Medical, Skill::FirstAid])));
        assert_eq!(
            driver_medic.iter().collect::<Vec<_>>(),
            vec![Skill::DriverWithVehicle, Skill::Medical]
        );
    }

    #[test]
    fn a_volunteer_at_the_load_limit_or_unavailable_cannot_take_a_task() {
        let mut v = Volunteer {
            id: VolunteerId(1),
            home: RegionCode("310101002001".into()),
            coords: None,
            skills: Skills::of(&[Skill::Medical]),
            available: true,
            load: 1,
            max_load: 2,
        };
        assert!(v.can_take(Skills::of(&[Skill::Medical])));
        assert!(!v.can_take(Skills::of(&[Skill::FirstAid])));
        v.load = 2;
        assert!(!v.can_take(Skills::NONE));
        v.load = 0;
        v.available = false;
        assert!(!v.can_take(Skills::NONE));
    }
}
