//! The pure rules of offering tasks one volunteer at a time: which skills a need's task
//! asks for, who is available now by their availability windows, who is next (the engine's
//! best candidate among those never offered this task), when an offer has run out, and how
//! many service minutes a completed task earns.

use std::collections::HashSet;

use time::{Duration, OffsetDateTime, Weekday};

use super::rank::{Rank, best_candidates};
use super::record::Candidate;
use super::{Skill, Skills, Task, TaskId, Volunteer, VolunteerId};
use crate::needs::Priority;
use crate::needs::timeline::TaskKind;
use crate::regions::RegionCode;
use crate::volunteers::signup::CHINA;
use crate::volunteers::{Availability, availability_from_str};

/// How many tasks (accepted plus open offers) a volunteer holds at most at once.
pub const MAX_LOAD: u8 = 2;

/// A completed task counts at most this long on the service record, however long it
/// stayed open after it was accepted (a task left open overnight is not 12 hours served).
pub const TASK_MINUTES_CAP: i64 = 4 * 60;

/// Offer timeouts allowed in the configuration: 30 seconds to one hour.
pub const OFFER_SECONDS: std::ops::RangeInclusive<i64> = 30..=3600;

/// The engine's kind of a need's task; `None` for tasks that are not given to volunteers.
pub fn engine_kind(kind: TaskKind) -> Option<super::TaskKind> {
    match kind {
        TaskKind::DeliverMedicine => Some(super::TaskKind::DeliverMedicine),
        TaskKind::Escort => Some(super::TaskKind::EscortToHospital),
        TaskKind::Supplies => Some(super::TaskKind::BringSupplies),
        TaskKind::DoorVisit => Some(super::TaskKind::DoorVisit),
        TaskKind::Other => None,
    }
}

/// The skills a task asks for: medicine is handled by someone with medical knowledge
/// (reads names and doses back to the resident); an escort to hospital by someone with first
/// aid; supplies and door visits by anyone.
pub fn needed_skills(kind: super::TaskKind) -> Skills {
    match kind {
        super::TaskKind::DeliverMedicine => Skills::of(&[Skill::Medical]),
        super::TaskKind::EscortToHospital => Skills::of(&[Skill::FirstAid]),
        super::TaskKind::BringSupplies | super::TaskKind::DoorVisit => Skills::NONE,
    }
}

/// Is someone with these availability windows available at `now` (China time)? Weekday
/// mornings 06–12, afternoons 12–18, evenings 18–22 (Monday to Friday); weekends 06–22 on
/// Saturday and Sunday; nights 22–06 every day.
pub fn available_at(windows: &[Availability], now: OffsetDateTime) -> bool {
    let local = now.to_offset(CHINA);
    let hour = local.hour();
    let weekend = matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday);
    windows.iter().any(|w| match w {
        Availability::WeekdayMornings => !weekend && (6..12).contains(&hour),
        Availability::WeekdayAfternoons => !weekend && (12..18).contains(&hour),
        Availability::WeekdayEvenings => !weekend && (18..22).contains(&hour),
        Availability::Weekends => weekend && (6..22).contains(&hour),
        Availability::Nights => !(6..22).contains(&hour),
    })
}

/// The engine's view of the candidates at `now`; index `i` of the result is `VolunteerId(i)`.
pub fn engine_volunteers(candidates: &[Candidate], now: OffsetDateTime) -> Vec<Volunteer> {
    candidates
        .iter()
        .enumerate()
        .map(|(i, c)| Volunteer {
            id: VolunteerId(i as u64),
            home: c.home.clone(),
            coords: None,
            skills: c.skills,
            available: available_at(&availability_from_str(&c.availability), now),
            load: c.load,
            max_load: MAX_LOAD,
        })
        .collect()
}

/// Who gets the offer next: the engine's best candidate among those never offered this task
/// (whoever declined, let an offer run out or had it withdrawn is never asked again), or
/// `None` when nobody is left. Returns the index into `candidates` and the rank.
pub fn next_candidate(
    kind: super::TaskKind,
    place: &RegionCode,
    candidates: &[Candidate],
    already_offered: &HashSet<crate::ids::UserId>,
    now: OffsetDateTime,
) -> Option<(usize, Rank)> {
    let task = Task {
        id: TaskId(0),
        place: place.clone(),
        coords: None,
        needs: needed_skills(kind),
        kind,
        priority: Priority::P2,
    };
    let vols: Vec<Volunteer> = engine_volunteers(candidates, now)
        .into_iter()
        .filter(|v| !already_offered.contains(&candidates[v.id.0 as usize].user))
        .collect();
    best_candidates(&task, &vols, 1)
        .into_iter()
        .next()
        .map(|(id, rank)| (id.0 as usize, rank))
}

/// When an offer made at `at` runs out.
pub fn expires(at: OffsetDateTime, offer_seconds: i64) -> OffsetDateTime {
    at + Duration::seconds(offer_seconds)
}

/// Has an offer that runs out at `expires_at` run out at `now`?
pub fn expired(expires_at: OffsetDateTime, now: OffsetDateTime) -> bool {
    now >= expires_at
}

/// Service minutes for a task accepted at `accepted` and completed at `done`: the time
/// between, never negative, at most [`TASK_MINUTES_CAP`].
pub fn task_minutes(accepted: OffsetDateTime, done: OffsetDateTime) -> i64 {
    (done - accepted).whole_minutes().clamp(0, TASK_MINUTES_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn cand(n: u128, home: &str, skills: &[Skill], load: u8) -> Candidate {
        Candidate {
            user: UserId(uuid::Uuid::from_u128(n)),
            skills: Skills::of(skills),
            availability: "weekday_mornings,weekday_afternoons,weekday_evenings,weekends,nights"
                .into(),
            home: RegionCode(home.into()),
            load,
        }
    }

    const NOW: OffsetDateTime = datetime!(2026-11-25 10:00 +8); // a Wednesday morning

    #[test]
    fn medicine_goes_to_the_free_skilled_volunteer_of_the_community_not_the_busier_or_farther() {
        let place = RegionCode("310101020001".into());
        let c = [
            cand(1, "310101020001", &[Skill::Medical], 1), // busier, same community
            cand(2, "310101020002", &[Skill::Medical], 0), // next community
            cand(3, "310101020001", &[Skill::Medical], 0), // the one
            cand(4, "310101020001", &[], 0),               // no skill
        ];
        let kind = super::super::TaskKind::DeliverMedicine;
        let mut offered = HashSet::new();
        let order: Vec<u128> = std::iter::from_fn(|| {
            let (i, _) = next_candidate(kind, &place, &c, &offered, NOW)?;
            offered.insert(c[i].user);
            Some(c[i].user.0.as_u128())
        })
        .collect();
        assert_eq!(
            order,
            vec![3, 1, 2],
            "best first; each decline moves on; the unskilled never"
        );
    }

    #[test]
    fn a_volunteer_at_the_load_limit_or_outside_their_windows_is_not_offered() {
        let place = RegionCode("310101020001".into());
        let mut away = cand(1, "310101020001", &[], 0);
        away.availability = "weekends".into();
        let full = cand(2, "310101020001", &[], MAX_LOAD);
        let got = next_candidate(
            super::super::TaskKind::DoorVisit,
            &place,
            &[away, full],
            &HashSet::new(),
            NOW,
        );
        assert_eq!(got, None);
    }

    #[test]
    fn availability_windows_follow_china_time() {
        use Availability::*;
        let wed_10 = datetime!(2026-11-25 02:00 UTC); // 10:00 in China
        assert!(available_at(&[WeekdayMornings], wed_10));
        assert!(!available_at(&[WeekdayAfternoons, Weekends], wed_10));
        let sat_23 = datetime!(2026-11-28 15:00 UTC); // Saturday 23:00 in China
        assert!(available_at(&[Nights], sat_23));
        assert!(!available_at(&[Weekends], sat_23));
        assert!(available_at(&[Weekends], datetime!(2026-11-28 09:00 +8)));
        assert!(!available_at(&[], wed_10));
    }

    #[test]
    fn offers_run_out_exactly_at_their_timeout() {
        let at = NOW;
        let until = expires(at, 300);
        assert!(!expired(until, at + Duration::seconds(299)));
        assert!(expired(until, at + Duration::seconds(300)));
    }

    #[test]
    fn task_minutes_are_capped_and_never_negative() {
        assert_eq!(task_minutes(NOW, NOW + Duration::minutes(35)), 35);
        assert_eq!(
            task_minutes(NOW, NOW + Duration::hours(30)),
            TASK_MINUTES_CAP
        );
        assert_eq!(task_minutes(NOW, NOW - Duration::minutes(5)), 0);
    }

    #[test]
    fn only_dispatchable_kinds_map_to_the_engine() {
        assert_eq!(engine_kind(TaskKind::Other), None);
        assert_eq!(
            engine_kind(TaskKind::DeliverMedicine).map(needed_skills),
            Some(Skills::of(&[Skill::Medical]))
        );
    }

    proptest! {
        /// Offering a task again and again (each offer declined or run out) asks every
        /// able volunteer exactly once, in rank order, and never anyone twice.
        #[test]
        fn the_offer_sequence_asks_each_able_volunteer_once_in_rank_order(
            vols in proptest::collection::vec((0u8..3, 0u8..3, any::<bool>()), 0..12)
        ) {
            let homes = ["310101020001", "310101020002", "310101021001"];
            let c: Vec<Candidate> = vols.iter().enumerate().map(|(i, (h, load, medic))| {
                let skills: &[Skill] = if *medic { &[Skill::Medical] } else { &[] };
                cand(i as u128 + 1, homes[*h as usize], skills, *load)
            }).collect();
            let kind = super::super::TaskKind::DeliverMedicine;
            let place = RegionCode("310101020001".into());
            let mut offered = HashSet::new();
            let mut ranks = Vec::new();
            while let Some((i, rank)) = next_candidate(kind, &place, &c, &offered, NOW) {
                prop_assert!(offered.insert(c[i].user), "asked twice");
                prop_assert!(c[i].skills.has(Skill::Medical) && c[i].load < MAX_LOAD);
                ranks.push((rank, c[i].user));
            }
            let able = c.iter().filter(|v| v.skills.has(Skill::Medical) && v.load < MAX_LOAD).count();
            prop_assert_eq!(ranks.len(), able);
            let mut sorted = ranks.clone();
            sorted.sort();
            prop_assert_eq!(ranks, sorted);
        }
    }
}
