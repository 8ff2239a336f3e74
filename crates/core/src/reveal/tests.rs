//! Tests of the reveal use-case: permission, reason, audit first, tampering.

use std::sync::Mutex;

use super::*;
use crate::actor::{Grant, Role};
use crate::crypto::Keyring;

const PHONE: EncryptedColumn = EncryptedColumn {
    table: "people",
    column: "phone",
    id_column: "id",
};

#[derive(Default)]
struct MemoryLog {
    events: Mutex<Vec<RevealEvent>>,
    fail: bool,
}

#[async_trait]
impl RevealLog for MemoryLog {
    async fn record(&self, event: &RevealEvent) -> Result<()> {
        if self.fail {
            return Err(Error::internal("audit log unavailable"));
        }
        self.events.lock().expect("lock").push(event.clone());
        Ok(())
    }
}

fn actor(role: Role, code: &str) -> Actor {
    Actor {
        user_id: UserId::new(),
        username: "a".into(),
        display_name: "a".into(),
        grants: vec![Grant {
            role,
            region: RegionCode::parse(code).expect("code"),
            org: None,
        }],
        region: RegionCode::parse(code).expect("code"),
        request_id: None,
    }
}

struct Fixture {
    cipher: Cipher,
    row: Uuid,
    region: RegionCode,
    sealed: Vec<u8>,
}

fn fixture() -> Fixture {
    let cipher = Cipher::new(&Keyring::generate().expect("ring"));
    let row = Uuid::now_v7();
    let sealed = cipher
        .seal_str(PHONE.field(row), "13812345678")
        .expect("seal");
    Fixture {
        cipher,
        row,
        region: RegionCode::parse("310101020001").expect("code"),
        sealed,
    }
}

impl Fixture {
    fn value(&self) -> Sealed<'_> {
        Sealed {
            column: &PHONE,
            row: self.row,
            region: &self.region,
            bytes: &self.sealed,
        }
    }
}

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-04-03 08:00 UTC)
}

#[tokio::test]
async fn a_social_worker_with_a_reason_sees_the_value_and_the_reveal_is_recorded() {
    let f = fixture();
    let log = MemoryLog::default();
    let a = actor(Role::SocialWorker, "310101020001");
    let got = reveal(
        &f.cipher,
        &log,
        &a,
        Permission::ViewPlaces,
        f.value(),
        " 上门核实身份 ",
        now(),
    )
    .await
    .expect("revealed");
    assert_eq!(got, "13812345678");
    let events = log.events.lock().expect("lock");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.actor, e.table, e.column, e.row),
        (a.user_id, "people", "phone", f.row)
    );
    assert_eq!(e.reason.as_str(), "上门核实身份");
    assert!(
        !format!("{e:?}").contains("13812345678"),
        "the event never holds the value"
    );
}

#[tokio::test]
async fn a_reason_shorter_than_four_characters_reveals_nothing_and_records_nothing() {
    let f = fixture();
    let log = MemoryLog::default();
    let a = actor(Role::Supervisor, "310101020");
    for short in ["", "   ", "核实", "abc"] {
        let err = reveal(
            &f.cipher,
            &log,
            &a,
            Permission::ViewPlaces,
            f.value(),
            short,
            now(),
        )
        .await
        .expect_err("refused");
        assert!(
            matches!(err, Error::Invalid(ref e) if e.get("reason").is_some()),
            "{short}"
        );
    }
    assert!(log.events.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn roles_without_the_reveal_permission_or_outside_the_region_are_refused() {
    let f = fixture();
    let log = MemoryLog::default();
    for a in [
        actor(Role::Volunteer, "310101020001"),
        actor(Role::CharityStaff, "310101"),
        actor(Role::CivilAffairs, "310101"),
        actor(Role::SocialWorker, "310101020002"),
    ] {
        let err = reveal(
            &f.cipher,
            &log,
            &a,
            Permission::ViewPlaces,
            f.value(),
            "家访核实",
            now(),
        )
        .await
        .expect_err("refused");
        assert!(
            matches!(err, Error::Forbidden | Error::NotFound),
            "{:?}",
            a.grants
        );
    }
    assert!(log.events.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn when_the_reveal_cannot_be_recorded_the_value_stays_hidden() {
    let f = fixture();
    let log = MemoryLog {
        fail: true,
        ..MemoryLog::default()
    };
    let a = actor(Role::SocialWorker, "310101020001");
    let err = reveal(
        &f.cipher,
        &log,
        &a,
        Permission::ViewPlaces,
        f.value(),
        "家访核实",
        now(),
    )
    .await
    .expect_err("not revealed");
    assert!(matches!(err, Error::Internal(_)));
}

#[tokio::test]
async fn a_tampered_value_is_reported_as_tampering_not_shown() {
    let mut f = fixture();
    let last = f.sealed.len() - 1;
    f.sealed[last] ^= 0x40;
    let log = MemoryLog::default();
    let a = actor(Role::SocialWorker, "310101020001");
    let err = reveal(
        &f.cipher,
        &log,
        &a,
        Permission::ViewPlaces,
        f.value(),
        "家访核实",
        now(),
    )
    .await
    .expect_err("tampered");
    assert!(
        matches!(err, Error::Tampered(ref what) if what.contains("people.phone")),
        "{err:?}"
    );
}
