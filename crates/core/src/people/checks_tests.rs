use super::*;
use crate::needs::Priority;
use crate::needs::triage::triage;

fn reached(d: CheckDetails) -> CheckInput {
    CheckInput {
        method: Method::Phone,
        reached: true,
        details: d,
    }
}

fn missed() -> CheckInput {
    CheckInput {
        method: Method::Phone,
        reached: false,
        details: CheckDetails::default(),
    }
}

const MISS: PriorCheck = PriorCheck {
    reached: false,
    raised_door_visit: false,
};
const MISS_RAISED: PriorCheck = PriorCheck {
    reached: false,
    raised_door_visit: true,
};
const HIT: PriorCheck = PriorCheck {
    reached: true,
    raised_door_visit: false,
};

fn cats(f: &Findings) -> Vec<Category> {
    f.needs.iter().map(|n| n.category).collect()
}

#[test]
fn a_calm_stable_well_supplied_person_raises_nothing() {
    let f = findings(
        &reached(CheckDetails {
            food_days_left: Some(7),
            medication_days_left: Some(3),
            physical: Some(Physical::Stable),
            mental: Some(Mental::Calm),
            ..CheckDetails::default()
        }),
        CareLevel::A,
        &[MISS, MISS],
    );
    assert!(f.needs.is_empty());
    assert_eq!(f.door_visit, DoorVisit::NotDue);
    assert_eq!(f.misses_in_a_row, 0, "reaching the person ends the run");
}

#[test]
fn each_finding_maps_to_its_need_category() {
    let f = findings(
        &reached(CheckDetails {
            food_days_left: Some(2),
            medication_days_left: Some(1),
            physical: Some(Physical::Emergency),
            mental: Some(Mental::Crisis),
            ..CheckDetails::default()
        }),
        CareLevel::C,
        &[],
    );
    assert_eq!(
        cats(&f),
        vec![
            Category::EmergencyMedical,
            Category::Psych,
            Category::Medication,
            Category::Supplies
        ]
    );
    assert!(f.needs[1].crisis, "mental crisis carries the crisis flag");
    assert!(!f.needs[0].crisis && !f.needs[2].crisis);
    assert_eq!(f.needs[2].medication_days_left, Some(1));
    assert_eq!(f.needs[3].food_days_left, Some(2));
    for n in &f.needs {
        assert!(!n.reason.zh.is_empty() && !n.reason.en.is_empty());
    }
}

#[test]
fn days_left_limits_are_inclusive_at_two_and_unknown_days_raise_nothing() {
    for (days, raised) in [(0, true), (1, true), (2, true), (3, false), (30, false)] {
        let f = findings(
            &reached(CheckDetails {
                medication_days_left: Some(days),
                food_days_left: Some(days),
                ..CheckDetails::default()
            }),
            CareLevel::B,
            &[],
        );
        assert_eq!(!f.needs.is_empty(), raised, "{days} days");
    }
    let f = findings(&reached(CheckDetails::default()), CareLevel::B, &[]);
    assert!(f.needs.is_empty());
    // Unwell, anxious or low raise nothing by themselves.
    for (p, m) in [
        (Physical::Unwell, Mental::Anxious),
        (Physical::Stable, Mental::Low),
    ] {
        let f = findings(
            &reached(CheckDetails {
                physical: Some(p),
                mental: Some(m),
                ..CheckDetails::default()
            }),
            CareLevel::A,
            &[],
        );
        assert!(f.needs.is_empty());
    }
}

#[test]
fn two_misses_in_a_row_raise_one_door_visit_for_level_b_and_the_third_raises_nothing() {
    let first = findings(&missed(), CareLevel::B, &[HIT]);
    assert_eq!(first.door_visit, DoorVisit::NotDue);
    assert!(first.needs.is_empty());
    assert_eq!(first.misses_in_a_row, 1);

    let second = findings(&missed(), CareLevel::B, &[MISS, HIT]);
    assert_eq!(second.door_visit, DoorVisit::Raise);
    assert_eq!(cats(&second), vec![Category::DoorVisit]);
    assert_eq!(second.misses_in_a_row, 2);

    // The second check was stored with `raised_door_visit`; the third miss sees it.
    let third = findings(&missed(), CareLevel::B, &[MISS_RAISED, MISS, HIT]);
    assert_eq!(third.door_visit, DoorVisit::AlreadyRaised);
    assert!(third.needs.is_empty(), "not a second door visit");
    assert_eq!(third.misses_in_a_row, 3);
    let fourth = findings(&missed(), CareLevel::B, &[MISS, MISS_RAISED, MISS, HIT]);
    assert_eq!(fourth.door_visit, DoorVisit::AlreadyRaised);
}

#[test]
fn level_a_raises_on_the_first_miss_and_level_c_needs_two() {
    let a = findings(&missed(), CareLevel::A, &[HIT]);
    assert_eq!(a.door_visit, DoorVisit::Raise);
    let a2 = findings(&missed(), CareLevel::A, &[MISS_RAISED, HIT]);
    assert_eq!(a2.door_visit, DoorVisit::AlreadyRaised);
    let c = findings(&missed(), CareLevel::C, &[]);
    assert_eq!(
        c.door_visit,
        DoorVisit::NotDue,
        "never checked before: one miss"
    );
    let c2 = findings(&missed(), CareLevel::C, &[MISS]);
    assert_eq!(c2.door_visit, DoorVisit::Raise);
}

#[test]
fn reaching_the_person_starts_a_new_run() {
    // Raised in an earlier run, then reached: a new run may raise again.
    let prev = [MISS, HIT, MISS_RAISED, MISS];
    let f = findings(&missed(), CareLevel::B, &prev);
    assert_eq!(f.door_visit, DoorVisit::Raise);
    assert_eq!(f.misses_in_a_row, 2);
}

#[test]
fn an_unreached_check_ignores_any_findings_and_the_parser_drops_them() {
    let form = CheckForm {
        method: "phone".into(),
        reached: "no".into(),
        medication_days_left: "0".into(),
        physical: "emergency".into(),
        notes: "无人接听".into(),
        ..CheckForm::default()
    };
    let c = form.parse().expect("valid");
    assert!(!c.reached);
    assert_eq!(c.details.medication_days_left, None);
    assert_eq!(c.details.notes.as_deref(), Some("无人接听"));
}

#[test]
fn the_check_form_explains_every_bad_field() {
    let form = CheckForm {
        method: "fax".into(),
        reached: "maybe".into(),
        ..CheckForm::default()
    };
    let Err(crate::Error::Invalid(e)) = form.parse() else {
        panic!()
    };
    assert!(e.get("method").is_some() && e.get("reached").is_some());
    let form = CheckForm {
        method: "visit".into(),
        reached: "yes".into(),
        food_days_left: "-1".into(),
        medication_days_left: "many".into(),
        physical: "".into(),
        mental: "happy".into(),
        phq2_1: "4".into(),
        gad2_1: "1".into(),
        ..CheckForm::default()
    };
    let Err(crate::Error::Invalid(e)) = form.parse() else {
        panic!()
    };
    for f in [
        "food_days_left",
        "medication_days_left",
        "physical",
        "mental",
        "phq2",
        "gad2",
    ] {
        assert!(e.get(f).is_some(), "{f}");
    }
    let ok = CheckForm {
        method: "video".into(),
        reached: "yes".into(),
        physical: "unwell".into(),
        mental: "low".into(),
        phq2_1: "2".into(),
        phq2_2: "3".into(),
        ..CheckForm::default()
    }
    .parse()
    .expect("valid");
    assert_eq!(ok.details.phq2, Some([2, 3]));
    assert_eq!(ok.details.gad2, None);
}

#[test]
fn findings_feed_the_green_channel_triage() {
    let f = findings(
        &reached(CheckDetails {
            medication_days_left: Some(1),
            ..CheckDetails::default()
        }),
        CareLevel::B,
        &[],
    );
    let t = triage(&f.needs[0].triage_input(false));
    assert_eq!(t.priority, Priority::P2, "medicine for 1 day: P2");
    let dv = findings(&missed(), CareLevel::B, &[MISS]);
    let t = triage(&dv.needs[0].triage_input(false));
    assert_eq!(t.priority, Priority::P2, "door visit: P2");
    let em = findings(
        &reached(CheckDetails {
            physical: Some(Physical::Emergency),
            ..CheckDetails::default()
        }),
        CareLevel::C,
        &[],
    );
    assert_eq!(
        triage(&em.needs[0].triage_input(false)).priority,
        Priority::P1
    );
}
