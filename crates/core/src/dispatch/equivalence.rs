//! The fast path is trusted because it agrees with the plain one: on many random cases
//! (a seeded xorshift generator, so a failure is reproducible), [`Index`] returns exactly
//! what [`best_candidates`] returns, and [`assign_all`] exactly what brute force assigns.

use super::assign::{assign_all, assign_all_brute};
use super::*;

/// xorshift64*: small, seeded, good enough to spread test cases.
pub(crate) struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A place from a small tree (2 districts × 2 streets × 3 communities × grids × buildings),
/// now and then a bare street, district or province code, so every ring and class occurs.
fn place(rng: &mut XorShift) -> RegionCode {
    let district = ["310101", "310104"][rng.below(2) as usize];
    let street = format!("{district}00{}", 2 + rng.below(2));
    let community = format!("{street}00{}", 1 + rng.below(3));
    let code = match rng.below(20) {
        0 => "31".to_string(),
        1 => district.to_string(),
        2 => street,
        3..=6 => community,
        7..=9 => format!("{community}B00{}", 1 + rng.below(2)),
        10..=12 => format!("{community}G0{}", 1 + rng.below(2)),
        _ => format!("{community}G0{}B00{}", 1 + rng.below(2), 1 + rng.below(3)),
    };
    RegionCode(code)
}

fn coords(rng: &mut XorShift) -> Option<(f64, f64)> {
    (rng.below(3) == 0).then(|| {
        let lat = 31.20 + rng.below(1_000) as f64 / 50_000.0;
        let lon = 121.45 + rng.below(1_000) as f64 / 50_000.0;
        (lat, lon)
    })
}

fn volunteers(rng: &mut XorShift, count: u64) -> Vec<Volunteer> {
    (0..count)
        .map(|i| {
            let max_load = 1 + rng.below(3) as u8;
            Volunteer {
                id: VolunteerId(rng.below(1_000_000) * 1_000 + i),
                home: place(rng),
                coords: coords(rng),
                skills: Skills(rng.below(64) as u16),
                available: rng.below(5) != 0,
                load: rng.below(u64::from(max_load) + 1) as u8,
                max_load,
            }
        })
        .collect()
}

fn task(rng: &mut XorShift, id: u64) -> Task {
    let kinds = [
        TaskKind::DeliverMedicine,
        TaskKind::EscortToHospital,
        TaskKind::BringSupplies,
        TaskKind::DoorVisit,
    ];
    Task {
        id: TaskId(id),
        place: place(rng),
        coords: coords(rng),
        // Mostly one skill or none, now and then two.
        needs: match rng.below(10) {
            0..=2 => Skills::NONE,
            3..=8 => Skills(1 << rng.below(6)),
            _ => Skills(1 << rng.below(6) | 1 << rng.below(6)),
        },
        kind: kinds[rng.below(4) as usize],
        priority: crate::needs::Priority::ALL[rng.below(4) as usize],
    }
}

#[test]
fn the_index_returns_exactly_what_brute_force_returns_on_random_data() {
    let mut rng = XorShift(0x5eed_0001);
    let mut compared = 0;
    for case in 0..400 {
        let count = 1 + rng.below(150);
        let vols = volunteers(&mut rng, count);
        let index = Index::new(&vols);
        for t in 0..10 {
            let task = task(&mut rng, t);
            let n = 1 + rng.below(6) as usize;
            let declined: Vec<VolunteerId> = vols
                .iter()
                .filter(|_| rng.below(8) == 0)
                .map(|v| v.id)
                .collect();
            let rest: Vec<Volunteer> = vols
                .iter()
                .filter(|v| !declined.contains(&v.id))
                .cloned()
                .collect();
            let expected = best_candidates(&task, &rest, n);
            assert_eq!(
                index.best_excluding(&task, n, &declined),
                expected,
                "case {case}, task {t}"
            );
            assert_eq!(
                index.best(&task, n),
                best_candidates(&task, &vols, n),
                "case {case}"
            );
            assert_eq!(
                index.brute_best(&task, n),
                index.best(&task, n),
                "case {case}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 4_000);
}

#[test]
fn assigning_all_with_the_index_matches_brute_force_on_random_data() {
    let mut rng = XorShift(0x5eed_0002);
    let mut assigned = 0;
    for case in 0..200 {
        let count = 1 + rng.below(200);
        let vols = volunteers(&mut rng, count);
        let tasks: Vec<Task> = (0..rng.below(120)).map(|i| task(&mut rng, i)).collect();
        let index = Index::new(&vols);
        let fast = assign_all(&tasks, &index);
        assert_eq!(fast, assign_all_brute(&tasks, &index), "case {case}");
        for v in &vols {
            let given = fast.iter().filter(|(_, id)| *id == v.id).count();
            let room = if v.available {
                v.max_load.saturating_sub(v.load)
            } else {
                0
            };
            assert!(given <= usize::from(room), "case {case}: {v:?} got {given}");
        }
        assigned += fast.len();
    }
    assert!(
        assigned > 1_000,
        "the random cases assign something ({assigned})"
    );
}
