//! Small volunteers and tasks for the dispatch unit tests (medical skill, no coordinates).

use super::{Skill, Skills, Task, TaskId, TaskKind, Volunteer, VolunteerId};
use crate::needs::Priority;
use crate::regions::RegionCode;

pub fn volunteer(id: u64, home: &str, load: u8, max_load: u8) -> Volunteer {
    Volunteer {
        id: VolunteerId(id),
        home: RegionCode(home.into()),
        coords: None,
        skills: Skills::of(&[Skill::Medical]),
        available: true,
        load,
        max_load,
    }
}

pub fn task(id: u64, place: &str, priority: Priority) -> Task {
    Task {
        id: TaskId(id),
        place: RegionCode(place.into()),
        coords: None,
        needs: Skills::of(&[Skill::Medical]),
        kind: TaskKind::DeliverMedicine,
        priority,
    }
}
