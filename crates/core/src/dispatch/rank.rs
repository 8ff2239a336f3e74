//! Ranking one volunteer for one task, and the plain reference search over every volunteer.
//!
//! A place code becomes a [`Place`]: one `u64` key in which every enclosing region is a
//! contiguous range (community digits, then grid, then building), so the index can find
//! "same street" by two binary searches. The rank order is
//! `(distance class, 100 m band, load, metres)`, then the volunteer id.

use super::reasons::Reason;
use super::{Skills, Task, Volunteer, VolunteerId};
use crate::regions::RegionCode;

/// How far a volunteer lives from the task, coarsely. Earlier variants rank first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DistanceClass {
    SameBuilding,
    SameGrid,
    SameCommunity,
    SameStreet,
    SameDistrict,
    Farther,
}

/// Key multipliers: a community's 12 digits, then 2 grid digits and 3 building digits.
pub(crate) const PER_COMMUNITY: u64 = 100_000;
pub(crate) const PER_GRID: u64 = 1_000;
pub(crate) const PER_STREET: u64 = 1_000 * PER_COMMUNITY;
pub(crate) const PER_DISTRICT: u64 = 1_000 * PER_STREET;

/// A parsed place: `key` orders places so that each region is a contiguous key range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub key: u64,
    /// How many official digits the code had (2, 4, 6, 9 or 12; 0 if unreadable).
    pub digits: u8,
    pub grid: bool,
    pub building: bool,
}

impl Place {
    /// Read a region code. Shorter official codes are padded with zeros, which no real
    /// community, street or district uses, and the missing levels are remembered.
    pub fn of(code: &RegionCode) -> Place {
        let s = code.as_str().as_bytes();
        let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
        let number = |bytes: &[u8]| bytes.iter().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        if !matches!(digits, 2 | 4 | 6 | 9 | 12) {
            return Place {
                key: u64::MAX,
                digits: 0,
                grid: false,
                building: false,
            };
        }
        let community = number(&s[..digits]) * 10u64.pow((12 - digits) as u32);
        let mut rest = &s[digits..];
        let mut segment = |letter: u8, width: usize| -> Option<u64> {
            let tail = rest.strip_prefix(&[letter])?;
            let seg = tail
                .get(..width)
                .filter(|d| d.iter().all(u8::is_ascii_digit))?;
            rest = &tail[width..];
            Some(number(seg))
        };
        let grid = segment(b'G', 2);
        let building = segment(b'B', 3);
        Place {
            key: community * PER_COMMUNITY + grid.unwrap_or(0) * PER_GRID + building.unwrap_or(0),
            digits: digits as u8,
            grid: grid.is_some(),
            building: building.is_some(),
        }
    }

    /// The distance class between two places (symmetric).
    pub fn class_to(&self, other: &Place) -> DistanceClass {
        let (a, b) = (self, other);
        let both = |d: u8| a.digits >= d && b.digits >= d;
        if a.building && b.building && a.key == b.key {
            DistanceClass::SameBuilding
        } else if a.grid && b.grid && a.key / PER_GRID == b.key / PER_GRID {
            DistanceClass::SameGrid
        } else if both(12) && a.key / PER_COMMUNITY == b.key / PER_COMMUNITY {
            DistanceClass::SameCommunity
        } else if both(9) && a.key / PER_STREET == b.key / PER_STREET {
            DistanceClass::SameStreet
        } else if both(6) && a.key / PER_DISTRICT == b.key / PER_DISTRICT {
            DistanceClass::SameDistrict
        } else {
            DistanceClass::Farther
        }
    }
}

const EARTH_RADIUS_M: f64 = 6_371_000.0;

/// Metres from `a` to `b`, (latitude, longitude) in degrees: the equirectangular
/// approximation at `a`'s latitude, well under 1% off at city distances.
pub fn metres_between(a: (f64, f64), b: (f64, f64)) -> u32 {
    metres(a, a.0.to_radians().cos(), b)
}

fn metres(a: (f64, f64), cos_lat: f64, b: (f64, f64)) -> u32 {
    let x = (b.1 - a.1).to_radians() * cos_lat;
    let y = (b.0 - a.0).to_radians();
    let m = (x * x + y * y).sqrt() * EARTH_RADIUS_M;
    m.min(f64::from(u32::MAX - 1)) as u32
}

/// The task's side of every comparison, worked out once per task.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub place: Place,
    coords: Option<(f64, f64)>,
    cos_lat: f64,
}

impl Origin {
    pub fn of(task: &Task) -> Origin {
        Origin {
            place: Place::of(&task.place),
            coords: task.coords,
            cos_lat: task.coords.map_or(1.0, |c| c.0.to_radians().cos()),
        }
    }

    /// How a volunteer living at `home` (and `coords`) with `load` open tasks ranks.
    pub fn rank(&self, home: &Place, coords: Option<(f64, f64)>, load: u8) -> Rank {
        let metres = self
            .coords
            .zip(coords)
            .map(|(a, b)| metres(a, self.cos_lat, b));
        Rank {
            class: self.place.class_to(home),
            band: metres.map_or(u32::MAX, |m| m / 100),
            load,
            metres,
        }
    }
}

/// Why a volunteer ranks where they do. Ordered: the derived `Ord` is the ranking
/// (lower is better); ties are broken by the volunteer id outside this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    pub class: DistanceClass,
    /// Metres in 100 m bands, so load can decide between near-equally near volunteers;
    /// `u32::MAX` when either side has no coordinates (such volunteers come after the
    /// measured ones of the same class).
    pub band: u32,
    pub load: u8,
    pub metres: Option<u32>,
}

impl Rank {
    /// The reasons to show on the need's timeline when this candidate is offered the task.
    pub fn reasons(&self, needs: Skills, max_load: u8) -> Vec<Reason> {
        let mut out = vec![Reason::AvailableNow];
        if needs != Skills::NONE {
            out.push(Reason::HasSkills(needs));
        }
        out.push(Reason::Near {
            class: self.class,
            metres: self.metres,
        });
        out.push(Reason::Load {
            open: self.load,
            max: max_load,
        });
        out
    }
}

/// The reference search: check every volunteer, keep those who can take the task, sort by
/// rank then id, keep the first `n`. O(volunteers) per task; [`super::Index`] answers the same.
pub fn best_candidates(
    task: &Task,
    volunteers: &[Volunteer],
    n: usize,
) -> Vec<(VolunteerId, Rank)> {
    let origin = Origin::of(task);
    let mut found: Vec<(Rank, VolunteerId)> = volunteers
        .iter()
        .filter(|v| v.can_take(task.needs))
        .map(|v| (origin.rank(&Place::of(&v.home), v.coords, v.load), v.id))
        .collect();
    found.sort_unstable();
    found.truncate(n);
    found.into_iter().map(|(r, id)| (id, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::{Skill, TaskId, TaskKind};
    use crate::needs::Priority;

    fn place(code: &str) -> Place {
        Place::of(&RegionCode(code.into()))
    }

    fn volunteer(id: u64, home: &str, skills: &[Skill], load: u8) -> Volunteer {
        Volunteer {
            id: VolunteerId(id),
            home: RegionCode(home.into()),
            coords: None,
            skills: Skills::of(skills),
            available: true,
            load,
            max_load: 3,
        }
    }

    fn medicine_task(place: &str) -> Task {
        Task {
            id: TaskId(1),
            place: RegionCode(place.into()),
            coords: None,
            needs: Skills::of(&[Skill::Medical]),
            kind: TaskKind::DeliverMedicine,
            priority: Priority::P2,
        }
    }

    #[test]
    fn places_fall_into_the_finest_region_they_share() {
        let task = place("310101002001G01B001");
        for (home, class) in [
            ("310101002001G01B001", DistanceClass::SameBuilding),
            ("310101002001G01B002", DistanceClass::SameGrid),
            ("310101002001G02B001", DistanceClass::SameCommunity),
            ("310101002001", DistanceClass::SameCommunity),
            ("310101002002G01B001", DistanceClass::SameStreet),
            ("310101003001", DistanceClass::SameDistrict),
            ("310104003001", DistanceClass::Farther),
            ("320101003001", DistanceClass::Farther),
        ] {
            assert_eq!(task.class_to(&place(home)), class, "{home}");
            assert_eq!(place(home).class_to(&task), class, "symmetric for {home}");
        }
        assert_eq!(
            place("310101002001").class_to(&place("310101002001")),
            DistanceClass::SameCommunity,
            "two community-level codes share no building"
        );
    }

    #[test]
    fn metres_between_two_points_a_kilometre_apart_are_about_a_thousand() {
        // 0.009 degrees of latitude ≈ 1,000.8 m.
        let m = metres_between((31.23, 121.47), (31.239, 121.47));
        assert!((995..=1005).contains(&m), "{m}");
    }

    #[test]
    fn a_medication_delivery_goes_to_the_available_skilled_volunteer_of_that_community() {
        let task = medicine_task("310101002001G01B003");
        let vols = [
            volunteer(1, "310101002001G02B001", &[Skill::Medical], 2), // same community, busier
            volunteer(2, "310101002002G01B001", &[Skill::Medical], 0), // next community
            volunteer(3, "310101002001G03B001", &[Skill::Medical], 0), // the one
            volunteer(4, "310101002001G01B003", &[Skill::DriverWithVehicle], 0), // no skill
        ];
        let best = best_candidates(&task, &vols, 3);
        let ids: Vec<u64> = best.iter().map(|(id, _)| id.0).collect();
        assert_eq!(
            ids,
            vec![3, 1, 2],
            "not the busier, not the farther, never the unskilled"
        );
        let reasons: Vec<String> = best[0]
            .1
            .reasons(task.needs, 3)
            .iter()
            .map(Reason::en)
            .collect();
        assert_eq!(
            reasons,
            vec![
                "available now",
                "has the needed skills: medical",
                "same community",
                "0 of 3 open tasks"
            ]
        );
    }

    #[test]
    fn a_volunteer_in_the_same_building_wins_even_over_a_closer_measured_one() {
        let task = Task {
            coords: Some((31.2300, 121.4700)),
            ..medicine_task("310101002001G01B001")
        };
        let mut same_building = volunteer(1, "310101002001G01B001", &[Skill::Medical], 2);
        same_building.coords = Some((31.2400, 121.4700));
        let mut next_door = volunteer(2, "310101002001G01B002", &[Skill::Medical], 0);
        next_door.coords = Some((31.2301, 121.4700));
        let best = best_candidates(&task, &[next_door, same_building], 2);
        assert_eq!(best[0].0, VolunteerId(1));
        assert!(
            best[0].1.metres.is_some_and(|m| m > 1_000),
            "{:?}",
            best[0].1
        );
        assert_eq!(best[1].1.class, DistanceClass::SameGrid);
    }

    #[test]
    fn unavailable_overloaded_and_unskilled_volunteers_are_never_offered() {
        let task = medicine_task("310101002001");
        let mut away = volunteer(1, "310101002001", &[Skill::Medical], 0);
        away.available = false;
        let full = volunteer(2, "310101002001", &[Skill::Medical], 3);
        let unskilled = volunteer(3, "310101002001", &[Skill::FirstAid], 0);
        let far_but_fit = volunteer(4, "310115002001", &[Skill::Medical, Skill::FirstAid], 2);
        let best = best_candidates(&task, &[away, full, unskilled, far_but_fit], 10);
        assert_eq!(best.len(), 1);
        assert_eq!(best[0].0, VolunteerId(4));
        assert_eq!(best[0].1.class, DistanceClass::Farther);
    }

    #[test]
    fn metres_decide_inside_a_class_and_load_decides_inside_a_100_m_band() {
        let at = |lat: f64| Some((lat, 121.47));
        let task = Task {
            coords: at(31.2300),
            ..medicine_task("310101002001")
        };
        let mut far = volunteer(1, "310101002001", &[Skill::Medical], 0);
        far.coords = at(31.2330); // ~334 m
        let mut near_busy = volunteer(2, "310101002001", &[Skill::Medical], 2);
        near_busy.coords = at(31.2302); // ~22 m
        let mut near_free = volunteer(3, "310101002001", &[Skill::Medical], 0);
        near_free.coords = at(31.2305); // ~56 m: same band as near_busy
        let unmeasured = volunteer(4, "310101002001", &[Skill::Medical], 0);
        let best = best_candidates(&task, &[far, near_busy, near_free, unmeasured], 4);
        let ids: Vec<u64> = best.iter().map(|(id, _)| id.0).collect();
        assert_eq!(ids, vec![3, 2, 1, 4]);
    }
}
