//! The dispatch index: volunteers sorted by place key, so a building, grid, community,
//! street or district is one contiguous slice: districts, streets and communities are
//! looked up in small prefix tables, grids and buildings by binary search inside the community.
//!
//! A search scans the task's own building first, then the rest of its grid, community,
//! street and district, and everything else last, and stops as soon as it holds `n`
//! candidates of a class no worse than the ring just scanned: every volunteer not yet seen
//! is in a worse class. Blocks of 64 volunteers carry the union of the skills of those who
//! can still take a task, so exhausted or unskilled stretches are skipped 64 at a time.
//! Answers are exactly those of [`super::best_candidates`] (tested in `equivalence`).

use std::collections::HashMap;

use super::rank::{Origin, PER_COMMUNITY, PER_DISTRICT, PER_GRID, PER_STREET, Place, Rank};
use super::{DistanceClass, Task, Volunteer, VolunteerId};

/// The class of each ring of [`Index::rings`].
const CLASSES: [DistanceClass; 6] = [
    DistanceClass::SameBuilding,
    DistanceClass::SameGrid,
    DistanceClass::SameCommunity,
    DistanceClass::SameStreet,
    DistanceClass::SameDistrict,
    DistanceClass::Farther,
];

pub(super) const BLOCK: usize = 64;
/// Set in a block's union when anyone in the block can take a task at all.
const HAS_CAPACITY: u16 = 1 << 15;

/// Volunteers prepared for repeated searches. Loads and availability change in place
/// ([`Index::set_load`], [`Index::set_available`]); rebuild when homes, skills or limits change.
#[derive(Debug, Clone)]
pub struct Index {
    ids: Vec<VolunteerId>,
    places: Vec<Place>,
    keys: Vec<u64>,
    /// Per volunteer, what the hot loop checks in one load: skills in the low 16 bits,
    /// the load limit in the next 8 (0 while unavailable).
    gate: Vec<u32>,
    coords: Vec<Option<(f64, f64)>>,
    max_loads: Vec<u8>,
    /// For each district, street and community present: (prefix, start, end), sorted. Small
    /// enough to stay in cache, unlike a binary search over every key.
    regions: [Vec<(u64, usize, usize)>; 3],
    /// Position of each volunteer in the sorted arrays, for live updates.
    positions: HashMap<VolunteerId, usize>,
    pub(super) state: Loads,
}

fn gate(skills: u16, available: bool, max_load: u8) -> u32 {
    u32::from(skills) | u32::from(if available { max_load } else { 0 }) << 16
}

/// The key units of the [`Index::regions`] tables: district, street, community.
const REGION_UNITS: [u64; 3] = [PER_DISTRICT, PER_STREET, PER_COMMUNITY];

/// Consecutive runs of `keys` sharing `key / unit`.
fn runs(keys: &[u64], unit: u64) -> Vec<(u64, usize, usize)> {
    let mut out: Vec<(u64, usize, usize)> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        match out.last_mut() {
            Some(last) if last.0 == k / unit => last.2 = i + 1,
            _ => out.push((k / unit, i, i + 1)),
        }
    }
    out
}

/// The part of the index that assignments change.
#[derive(Debug, Clone)]
pub(super) struct Loads {
    pub(super) loads: Vec<u8>,
    blocks: Vec<u16>,
}

/// A candidate while searching: rank, id, position in the index.
pub(super) type Found = (Rank, VolunteerId, usize);

impl Index {
    /// Prepare `volunteers` (ids unique) for searching: sorted by place, O(n log n).
    pub fn new(volunteers: &[Volunteer]) -> Index {
        let mut sorted: Vec<(Place, &Volunteer)> =
            volunteers.iter().map(|v| (Place::of(&v.home), v)).collect();
        sorted.sort_unstable_by_key(|(p, v)| (p.key, v.id));
        let mut index = Index {
            ids: sorted.iter().map(|(_, v)| v.id).collect(),
            places: sorted.iter().map(|(p, _)| *p).collect(),
            keys: sorted.iter().map(|(p, _)| p.key).collect(),
            gate: sorted
                .iter()
                .map(|(_, v)| gate(v.skills.0, v.available, v.max_load))
                .collect(),
            coords: sorted.iter().map(|(_, v)| v.coords).collect(),
            max_loads: sorted.iter().map(|(_, v)| v.max_load).collect(),
            regions: [vec![], vec![], vec![]],
            positions: sorted
                .iter()
                .enumerate()
                .map(|(i, (_, v))| (v.id, i))
                .collect(),
            state: Loads {
                loads: sorted.iter().map(|(_, v)| v.load).collect(),
                blocks: vec![0; sorted.len().div_ceil(BLOCK)],
            },
        };
        let mut state = std::mem::replace(
            &mut index.state,
            Loads {
                loads: vec![],
                blocks: vec![],
            },
        );
        for b in 0..state.blocks.len() {
            index.refresh_block(&mut state, b);
        }
        index.state = state;
        index.regions = REGION_UNITS.map(|unit| runs(&index.keys, unit));
        index
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Record a volunteer's open-task count after an acceptance, a completion or a staff
    /// override, so the next search sees it without a rebuild. False for an unknown id.
    pub fn set_load(&mut self, id: VolunteerId, load: u8) -> bool {
        self.update(id, |index, i| index.state.loads[i] = load)
    }

    /// Record that a volunteer became available or unavailable (a shift starts or ends).
    pub fn set_available(&mut self, id: VolunteerId, available: bool) -> bool {
        self.update(id, |index, i| {
            index.gate[i] = gate(index.gate[i] as u16, available, index.max_loads[i]);
        })
    }

    fn update(&mut self, id: VolunteerId, change: impl FnOnce(&mut Index, usize)) -> bool {
        let Some(&i) = self.positions.get(&id) else {
            return false;
        };
        change(self, i);
        let mut state = std::mem::replace(
            &mut self.state,
            Loads {
                loads: vec![],
                blocks: vec![],
            },
        );
        self.refresh_block(&mut state, i / BLOCK);
        self.state = state;
        true
    }

    /// The best `n` volunteers for `task`, best first.
    pub fn best(&self, task: &Task, n: usize) -> Vec<(VolunteerId, Rank)> {
        self.best_excluding(task, n, &[])
    }

    /// The next volunteer to offer `task` to, skipping those who already declined it or let
    /// an offer time out. `None` when nobody is left: the task goes to the claim pool or staff.
    pub fn offer_next(&self, task: &Task, declined: &[VolunteerId]) -> Option<(VolunteerId, Rank)> {
        self.best_excluding(task, 1, declined).into_iter().next()
    }

    /// The best `n` volunteers for `task`, leaving out `excluded`.
    pub fn best_excluding(
        &self,
        task: &Task,
        n: usize,
        excluded: &[VolunteerId],
    ) -> Vec<(VolunteerId, Rank)> {
        let mut out = Vec::new();
        self.search(&self.state, task, n, excluded, &mut out);
        out.into_iter().map(|(r, id, _)| (id, r)).collect()
    }

    /// The reference for benchmarks: the same data and checks, every volunteer visited.
    pub fn brute_best(&self, task: &Task, n: usize) -> Vec<(VolunteerId, Rank)> {
        let mut out = Vec::new();
        self.brute(&self.state, task, n, &mut out);
        out.into_iter().map(|(r, id, _)| (id, r)).collect()
    }

    fn can_take(&self, state: &Loads, i: usize, needs: u16) -> bool {
        let g = self.gate[i];
        g as u16 & needs == needs && state.loads[i] < (g >> 16) as u8
    }

    /// Is volunteer `i` at their limit (or unavailable)?
    pub(super) fn is_full(&self, state: &Loads, i: usize) -> bool {
        state.loads[i] >= (self.gate[i] >> 16) as u8
    }

    pub(super) fn refresh_block(&self, state: &mut Loads, b: usize) {
        let r = b * BLOCK..((b + 1) * BLOCK).min(self.ids.len());
        state.blocks[b] = self.gate[r.clone()]
            .iter()
            .zip(&state.loads[r])
            .filter(|(g, load)| **load < (**g >> 16) as u8)
            .fold(0, |acc, (g, _)| acc | *g as u16 | HAS_CAPACITY);
    }

    fn rank(&self, state: &Loads, origin: &Origin, i: usize) -> Rank {
        origin.rank(&self.places[i], self.coords[i], state.loads[i])
    }

    /// The nested position ranges around `place`, finest first (building, grid,
    /// community, street, district, everyone); `None` where the place has no such level.
    /// Each range is searched for inside the next coarser one.
    fn rings(&self, place: &Place) -> [Option<(usize, usize)>; 6] {
        let k = place.key;
        let levels = [
            (place.digits >= 6, PER_DISTRICT),
            (place.digits >= 9, PER_STREET),
            (place.digits >= 12, PER_COMMUNITY),
            (place.grid, PER_GRID),
            (place.building, 1),
        ];
        let mut rings = [None; 6];
        let mut outer = (0, self.ids.len());
        rings[5] = Some(outer);
        for (slot, (present, unit)) in (0..5).rev().zip(levels) {
            if !present {
                continue;
            }
            outer = match self.regions.get(4 - slot) {
                // District, street, community: look the prefix up in its small table.
                Some(table) => match table.binary_search_by_key(&(k / unit), |r| r.0) {
                    Ok(at) => (table[at].1, table[at].2),
                    Err(_) => (outer.0, outer.0),
                },
                // Grid and building: inside the community's few positions.
                None => {
                    let (lo, hi) = (k / unit * unit, (k / unit + 1) * unit);
                    let within = &self.keys[outer.0..outer.1];
                    (
                        outer.0 + within.partition_point(|&x| x < lo),
                        outer.0 + within.partition_point(|&x| x < hi),
                    )
                }
            };
            rings[slot] = Some(outer);
        }
        rings
    }

    pub(super) fn search(
        &self,
        state: &Loads,
        task: &Task,
        n: usize,
        excluded: &[VolunteerId],
        out: &mut Vec<Found>,
    ) {
        out.clear();
        if n == 0 {
            return;
        }
        let origin = Origin::of(task);
        let needs = task.needs.0 | HAS_CAPACITY;
        let mut top = Top { out, n, bar: None };
        let mut done: Option<(usize, usize)> = None;
        for (class, ring) in CLASSES.into_iter().zip(self.rings(&origin.place)) {
            let Some((lo, hi)) = ring else { continue };
            let parts = match done {
                Some((dlo, dhi)) => [(lo, dlo), (dhi, hi)],
                None => [(lo, hi), (hi, hi)],
            };
            for (a, b) in parts {
                self.scan(state, &origin, task, needs, excluded, a, b, &mut top);
            }
            done = Some((lo, hi));
            // A volunteer of `class` or better shares the ring's region, so has been seen.
            if top.out.iter().filter(|f| f.0.class <= class).count() >= n {
                break;
            }
        }
        keep_best(top.out, n);
    }

    #[allow(clippy::too_many_arguments)]
    fn scan(
        &self,
        state: &Loads,
        origin: &Origin,
        task: &Task,
        needs: u16,
        excluded: &[VolunteerId],
        lo: usize,
        hi: usize,
        top: &mut Top,
    ) {
        let mut i = lo;
        while i < hi {
            let block_end = ((i / BLOCK + 1) * BLOCK).min(hi);
            if state.blocks[i / BLOCK] & needs == needs {
                for j in i..block_end {
                    if self.can_take(state, j, task.needs.0) && !excluded.contains(&self.ids[j]) {
                        top.offer((self.rank(state, origin, j), self.ids[j], j));
                    }
                }
            }
            i = block_end;
        }
    }

    pub(super) fn brute(&self, state: &Loads, task: &Task, n: usize, out: &mut Vec<Found>) {
        out.clear();
        let origin = Origin::of(task);
        let mut top = Top { out, n, bar: None };
        for j in 0..self.ids.len() {
            if self.can_take(state, j, task.needs.0) {
                top.offer((self.rank(state, &origin, j), self.ids[j], j));
            }
        }
        keep_best(top.out, n);
    }
}

/// The best `n` candidates seen so far; once it holds `n`, the worst of them is the bar a
/// newcomer must beat to be kept at all.
struct Top<'a> {
    out: &'a mut Vec<Found>,
    n: usize,
    bar: Option<(Rank, VolunteerId)>,
}

impl Top<'_> {
    fn offer(&mut self, found: Found) {
        if self.bar.is_some_and(|bar| (found.0, found.1) >= bar) {
            return;
        }
        self.out.push(found);
        if self.out.len() >= 2 * self.n + 16 {
            keep_best(self.out, self.n);
            self.bar = self.out.last().map(|f| (f.0, f.1));
        }
    }
}

/// Keep the best `n` of `out`, sorted best first.
fn keep_best(out: &mut Vec<Found>, n: usize) {
    if out.len() > n && n > 0 {
        out.select_nth_unstable(n - 1);
    }
    out.truncate(n);
    out.sort_unstable();
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
