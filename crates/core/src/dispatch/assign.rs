//! Assigning many open tasks at once: a greedy pass in a documented order, each task taking
//! its best candidate given the loads so far, so nobody is given more than `max_load`.
//! Greedy is not a global optimum; it is predictable, explainable on the need's timeline,
//! and puts the most urgent tasks first, which is what matters in an emergency.

use super::index::{BLOCK, Found, Index, Loads};
use super::{Task, TaskId, VolunteerId};

/// The order in which [`assign_all`] serves tasks: most urgent priority first (P1 before
/// P4), then the earliest (lower task id, as ids are allocated in arrival order).
pub fn assignment_order(tasks: &[Task]) -> Vec<&Task> {
    let mut order: Vec<&Task> = tasks.iter().collect();
    order.sort_by_key(|t| (t.priority, t.id));
    order
}

/// Greedy assignment of many open tasks: in [`assignment_order`], each task gets its best
/// candidate given the loads so far, and that volunteer's load rises by one, so nobody is
/// given more than `max_load`. Tasks nobody can take are left out. `index` is not changed.
pub fn assign_all(tasks: &[Task], index: &Index) -> Vec<(TaskId, VolunteerId)> {
    greedy(tasks, index, |state, task, out| {
        index.search(state, task, 1, &[], out)
    })
}

/// [`assign_all`] by brute force (every volunteer checked per task): the benchmark reference.
pub fn assign_all_brute(tasks: &[Task], index: &Index) -> Vec<(TaskId, VolunteerId)> {
    greedy(tasks, index, |state, task, out| {
        index.brute(state, task, 1, out)
    })
}

fn greedy(
    tasks: &[Task],
    index: &Index,
    find: impl Fn(&Loads, &Task, &mut Vec<Found>),
) -> Vec<(TaskId, VolunteerId)> {
    let mut state = index.state.clone();
    let mut out = Vec::with_capacity(256);
    let mut assigned = Vec::with_capacity(tasks.len());
    for task in assignment_order(tasks) {
        find(&state, task, &mut out);
        if let Some(&(_, id, i)) = out.first() {
            state.loads[i] += 1;
            if index.is_full(&state, i) {
                index.refresh_block(&mut state, i / BLOCK);
            }
            assigned.push((task.id, id));
        }
    }
    assigned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::fixtures::{task, volunteer};
    use crate::needs::Priority;

    #[test]
    fn assigning_many_tasks_never_exceeds_a_volunteers_load_limit() {
        let index = Index::new(&[
            volunteer(1, "310101002001", 1, 3),
            volunteer(2, "310101002002", 0, 1),
        ]);
        let tasks: Vec<Task> = (1..=5)
            .map(|i| task(i, "310101002001", Priority::P3))
            .collect();
        let got = assign_all(&tasks, &index);
        let ids: Vec<u64> = got.iter().map(|(_, v)| v.0).collect();
        assert_eq!(
            ids,
            vec![1, 1, 2],
            "two more for the near one, one for the other, then none"
        );
        assert_eq!(got, assign_all_brute(&tasks, &index));
    }

    #[test]
    fn the_most_urgent_task_is_served_first_even_when_it_arrived_later() {
        let index = Index::new(&[volunteer(1, "310101002001", 0, 1)]);
        let tasks = [
            task(1, "310101002001", Priority::P3),
            task(2, "310101002001", Priority::P1),
        ];
        assert_eq!(
            assign_all(&tasks, &index),
            vec![(TaskId(2), VolunteerId(1))]
        );
    }
}
