//! Tests of the index: the offer/decline cycle and live load and availability updates.

use super::*;
use crate::dispatch::fixtures::{task, volunteer};
use crate::needs::Priority;

#[test]
fn a_decline_moves_the_offer_to_the_next_candidate() {
    let index = Index::new(&[
        volunteer(1, "310101002001G01B001", 0, 2),
        volunteer(2, "310101002001G02B001", 0, 2),
        volunteer(3, "310101002002", 0, 2),
    ]);
    let t = task(1, "310101002001G01B001", Priority::P2);
    let first = index.offer_next(&t, &[]).map(|c| c.0);
    assert_eq!(first, Some(VolunteerId(1)));
    let second = index.offer_next(&t, &[VolunteerId(1)]).map(|c| c.0);
    assert_eq!(second, Some(VolunteerId(2)));
    let third = index
        .offer_next(&t, &[VolunteerId(1), VolunteerId(2)])
        .map(|c| c.0);
    assert_eq!(third, Some(VolunteerId(3)), "widens to the next community");
    assert_eq!(
        index.offer_next(&t, &[VolunteerId(1), VolunteerId(2), VolunteerId(3)]),
        None
    );
}

#[test]
fn live_load_and_availability_changes_are_seen_by_the_next_offer() {
    let mut index = Index::new(&[
        volunteer(1, "310101002001", 0, 1),
        volunteer(2, "310101002002", 0, 1),
    ]);
    let t = task(1, "310101002001", Priority::P1);
    assert_eq!(index.offer_next(&t, &[]).map(|c| c.0), Some(VolunteerId(1)));
    assert!(
        index.set_load(VolunteerId(1), 1),
        "accepted one task: now at the limit"
    );
    assert_eq!(index.offer_next(&t, &[]).map(|c| c.0), Some(VolunteerId(2)));
    assert!(index.set_available(VolunteerId(2), false));
    assert_eq!(index.offer_next(&t, &[]), None);
    assert!(index.set_load(VolunteerId(1), 0), "completed it");
    assert_eq!(index.offer_next(&t, &[]).map(|c| c.0), Some(VolunteerId(1)));
    assert!(!index.set_load(VolunteerId(9), 0), "unknown volunteer");

    let mut index = Index::new(&[volunteer(3, "310101002001", 1, 1)]);
    assert_eq!(index.offer_next(&t, &[]), None, "built at the limit");
    index.set_load(VolunteerId(3), 0);
    assert_eq!(index.offer_next(&t, &[]).map(|c| c.0), Some(VolunteerId(3)));
}
