//! Unit tests of intake parsing: every field, every error, in both languages.

use super::*;
use crate::Error;
use crate::needs::Priority;
use crate::needs::triage::triage;

pub(crate) fn good() -> IntakeForm {
    IntakeForm {
        category: "emergency_medical".into(),
        description: "我母亲在家胸痛，呼吸困难".into(),
        who_for: "family".into(),
        age: "78".into(),
        community: "310101020001".into(),
        building: "12号".into(),
        unit: "3单元".into(),
        room: "402室".into(),
        contact_name: "王小明".into(),
        mobile: "138 1234 5678".into(),
        privacy_consent: true,
        health_consent: true,
        notice_version: NOTICE_VERSION.into(),
        ..IntakeForm::default()
    }
}

fn fields(form: &IntakeForm) -> Vec<&'static str> {
    match form.parse() {
        Err(Error::Invalid(f)) => f.0.iter().map(|e| e.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[test]
fn a_complete_form_parses_and_joins_the_address() {
    let n = good().parse().expect("parses");
    assert_eq!(n.category, Category::EmergencyMedical);
    assert_eq!(n.who_for, WhoFor::Family);
    assert_eq!(n.mobile, "13812345678");
    assert_eq!(n.address, "12号 3单元 402室");
    assert_eq!(n.subject.age, Some(78));
    assert_eq!(triage(&n.triage_input()).priority, Priority::P1);
}

#[test]
fn an_empty_form_names_every_required_field() {
    let f = fields(&IntakeForm::default());
    for want in [
        "category",
        "description",
        "who_for",
        "community",
        "building",
        "contact_name",
        "mobile",
        "privacy_consent",
        "health_consent",
        "notice_version",
    ] {
        assert!(f.contains(&want), "{want} missing from {f:?}");
    }
    assert!(!f.contains(&"age"));
}

#[test]
fn mobile_numbers_must_be_mainland_mobiles_and_say_how_to_fix_it() {
    for ok in ["13812345678", "+86 139-1234-5678", "19912345678"] {
        assert!(mobile(ok).is_ok(), "{ok}");
    }
    for bad in [
        "12812345678",
        "1381234567",
        "138123456789",
        "021-12345678",
        "1381234567x",
        "",
    ] {
        let e = mobile(bad).expect_err(bad);
        assert_eq!(e.field, "mobile");
        assert_eq!(e.zh, "请输入11位手机号，例如 13812345678");
        assert!(e.en.contains("11-digit"));
    }
}

#[test]
fn numbers_dates_and_codes_are_checked() {
    let mut f = good();
    f.age = "200".into();
    f.medication_days_left = "-1".into();
    f.food_days_left = "两天".into();
    f.due_date = "2026-02-30".into();
    f.community = "310101020".into();
    let got = fields(&f);
    for want in [
        "age",
        "medication_days_left",
        "food_days_left",
        "due_date",
        "community",
    ] {
        assert!(got.contains(&want), "{want} missing from {got:?}");
    }
    assert_eq!(got.len(), 5, "{got:?}");
}

#[test]
fn descriptions_over_the_limit_and_missing_consents_are_refused() {
    let mut f = good();
    f.description = "字".repeat(DESCRIPTION_MAX + 1);
    f.privacy_consent = false;
    f.health_consent = false;
    assert_eq!(
        fields(&f),
        vec!["description", "privacy_consent", "health_consent"]
    );
    f.description = "字".repeat(DESCRIPTION_MAX);
    f.privacy_consent = true;
    f.health_consent = true;
    assert!(f.parse().is_ok());
}

#[test]
fn who_for_decides_the_recorded_basis() {
    assert_eq!(WhoFor::Myself.basis(), "consent");
    assert_eq!(WhoFor::Family.basis(), "vital_interests");
    assert_eq!(WhoFor::parse("self"), Some(WhoFor::Myself));
    assert_eq!(WhoFor::parse("stranger"), None);
}
