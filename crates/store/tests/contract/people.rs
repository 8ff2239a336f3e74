//! The store contract of the registry and welfare checks (`PeopleStore`).

use time::macros::date;
use wushe_core::ids::{CheckId, PersonId};
use wushe_core::people::CareLevel;
use wushe_core::people::checks::{Check, Method};
use wushe_core::people::record::{BasisKind, LawfulBasis, Person, PersonSealed, PersonStatus};
use wushe_core::people::schedule::{DueGroup, PeopleFilter};
use wushe_core::store::PeopleStore;

use super::*;

fn person(region: &str, level: CareLevel, due: OffsetDateTime, tag: &str) -> Person {
    Person {
        id: PersonId::new(),
        region: code(region),
        care_level: level,
        worker: None,
        basis: LawfulBasis {
            kind: BasisKind::Consent,
            date: date!(2026 - 04 - 03),
            notice_version: "v1".into(),
            sensitive_consent: true,
            guardian_consent: false,
        },
        status: PersonStatus::Active,
        sealed: PersonSealed {
            name: Some(format!("sealed-name-{tag}").into_bytes()),
            id_number: Some(b"sealed-id".to_vec()),
            phone: Some(b"sealed-phone".to_vec()),
            address: Some(b"sealed-address".to_vec()),
            categories: Some(b"sealed-cats".to_vec()),
            health_notes: None,
            contact: Some(b"sealed-contact".to_vec()),
            birth_date: Some(b"sealed-birth".to_vec()),
            id_number_index: Some(format!("idx-id-{tag}")),
            phone_index: Some(format!("idx-phone-{tag}")),
        },
        next_due_at: to_ms(due),
        last_check_at: None,
        closed_at: None,
        created_at: to_ms(T0),
        updated_at: to_ms(T0),
        version: 1,
    }
}

fn scope(codes: &[&str]) -> Vec<RegionCode> {
    codes.iter().map(|c| code(c)).collect()
}

fn all(limit: u32) -> PeopleFilter {
    PeopleFilter {
        limit,
        ..PeopleFilter::default()
    }
}

fn check(p: &Person, at: OffsetDateTime, reached: bool) -> Check {
    Check {
        id: CheckId::new(),
        person: p.id,
        region: p.region.clone(),
        worker: UserId::new(),
        at: to_ms(at),
        method: Method::Phone,
        reached,
        details: Some(b"sealed-details".to_vec()),
        raised_door_visit: !reached,
    }
}

#[tokio::test]
async fn a_person_round_trips_every_field_and_a_stale_update_is_a_conflict() {
    for f in backends().await {
        let s = &f.store;
        let mut p = person("310101020001", CareLevel::B, T0, "a");
        p.worker = Some(UserId::new());
        s.insert_person(&p, &ev()).await.expect("insert");
        let got = s.person(p.id).await.expect("read").expect("found");
        assert_eq!(got, p, "{}", f.backend);

        let mut changed = p.clone();
        changed.care_level = CareLevel::A;
        changed.sealed.health_notes = Some(b"sealed-notes".to_vec());
        changed.version = 2;
        s.update_person(&changed, 1, &ev()).await.expect("update");
        assert_eq!(
            s.person(p.id).await.expect("read").expect("found"),
            changed,
            "{}",
            f.backend
        );
        assert!(
            matches!(
                s.update_person(&changed, 1, &ev()).await,
                Err(Error::Conflict(_))
            ),
            "{}",
            f.backend
        );
    }
}

#[tokio::test]
async fn lists_and_lookups_stay_inside_the_scope() {
    for f in backends().await {
        let s = &f.store;
        let here = person("310101020001", CareLevel::A, T0, "here");
        let sibling = person("310101020002", CareLevel::A, T0, "sib");
        let other_street = person("310101021001", CareLevel::A, T0, "other");
        for p in [&here, &sibling, &other_street] {
            s.insert_person(p, &ev()).await.expect("insert");
        }
        let got = s
            .list_people(&scope(&["310101020001"]), &all(50))
            .await
            .expect("list");
        assert_eq!(
            got.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![here.id],
            "{}",
            f.backend
        );
        let got = s
            .list_people(&scope(&["310101020"]), &all(50))
            .await
            .expect("list");
        assert_eq!(
            got.len(),
            2,
            "{}: a street covers its communities",
            f.backend
        );
        assert!(
            s.list_people(&[], &all(50)).await.expect("list").is_empty(),
            "no scope, nothing"
        );

        let found = s
            .people_by_index(&scope(&["310101020"]), Some("idx-id-sib"), None)
            .await
            .expect("lookup");
        assert_eq!(
            found.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![sibling.id]
        );
        let found = s
            .people_by_index(&scope(&["310101020001"]), None, Some("idx-phone-sib"))
            .await
            .expect("lookup");
        assert!(
            found.is_empty(),
            "{}: outside scope stays unknown",
            f.backend
        );
        let found = s
            .people_by_index(
                &scope(&["310101"]),
                Some("nothing"),
                Some("idx-phone-other"),
            )
            .await
            .expect("lookup");
        assert_eq!(found.len(), 1, "{}: either index matches", f.backend);
    }
}

#[tokio::test]
async fn due_lists_come_earliest_first_and_counts_add_up_per_group() {
    for f in backends().await {
        let s = &f.store;
        let now = T0 + Duration::days(10);
        let worker = UserId::new();
        let mut late = person(
            "310101020001",
            CareLevel::C,
            now - Duration::days(3),
            "late",
        );
        late.worker = Some(worker);
        let today = person(
            "310101020002",
            CareLevel::A,
            now - Duration::hours(1),
            "today",
        );
        let later = person(
            "310101021001",
            CareLevel::B,
            now + Duration::days(2),
            "later",
        );
        for p in [&late, &today, &later] {
            s.insert_person(p, &ev()).await.expect("insert");
        }
        let due = s
            .due_people(&scope(&["310101"]), None, now, 100)
            .await
            .expect("due");
        assert_eq!(
            due.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![late.id, today.id],
            "{}",
            f.backend
        );
        let mine = s
            .due_people(&scope(&["310101"]), Some(worker), now, 100)
            .await
            .expect("due");
        assert_eq!(mine.len(), 1, "{}", f.backend);

        let by_street = s
            .due_counts(
                &scope(&["310101"]),
                DueGroup::Street,
                now,
                now - Duration::days(1),
            )
            .await
            .expect("counts");
        let wq = by_street
            .iter()
            .find(|c| c.key == "310101020")
            .expect("street");
        assert_eq!((wq.active, wq.due, wq.overdue), (2, 2, 1), "{}", f.backend);
        let dp = by_street
            .iter()
            .find(|c| c.key == "310101021")
            .expect("street");
        assert_eq!((dp.active, dp.due, dp.overdue), (1, 0, 0), "{}", f.backend);
        let by_worker = s
            .due_counts(&scope(&["310101020"]), DueGroup::Worker, now, now)
            .await
            .expect("counts");
        assert_eq!(by_worker.len(), 2, "{}: the worker and nobody", f.backend);
        let by_community = s
            .due_counts(&scope(&["310101020001"]), DueGroup::Community, now, now)
            .await
            .expect("counts");
        assert_eq!(by_community.len(), 1, "{}", f.backend);
        assert!(
            s.due_counts(&[], DueGroup::Street, now, now)
                .await
                .expect("c")
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_check_moves_the_due_time_and_a_closed_record_takes_no_check() {
    for f in backends().await {
        let s = &f.store;
        let p = person("310101020001", CareLevel::B, T0, "c");
        s.insert_person(&p, &ev()).await.expect("insert");
        let c1 = check(&p, T0 + Duration::hours(1), false);
        let c2 = check(&p, T0 + Duration::hours(2), true);
        s.insert_check(&c1, T0 + Duration::days(1), &ev())
            .await
            .expect("check");
        s.insert_check(&c2, T0 + Duration::days(3), &ev())
            .await
            .expect("check");
        let got = s.person(p.id).await.expect("read").expect("found");
        assert_eq!(
            got.next_due_at,
            to_ms(T0 + Duration::days(3)),
            "{}",
            f.backend
        );
        assert_eq!(got.last_check_at, Some(c2.at), "{}", f.backend);
        let checks = s.checks_of(p.id, 10).await.expect("checks");
        assert_eq!(
            checks,
            vec![c2.clone(), c1.clone()],
            "{}: newest first",
            f.backend
        );
        assert_eq!(
            s.checks_in_scope(&scope(&["310101020"]), T0, 10)
                .await
                .expect("in scope"),
            vec![c2.clone(), c1.clone()],
            "{}",
            f.backend
        );
        assert_eq!(
            s.checks_in_scope(&scope(&["310101020"]), T0 + Duration::minutes(90), 10)
                .await
                .expect("since"),
            vec![c2.clone()],
            "{}: since",
            f.backend
        );
        for outside in [scope(&["310101021"]), scope(&[])] {
            assert!(
                s.checks_in_scope(&outside, T0, 10)
                    .await
                    .expect("outside")
                    .is_empty(),
                "{}",
                f.backend
            );
        }

        s.set_person_closed(p.id, Some(T0), 1, T0, &ev())
            .await
            .expect("close");
        let r = s.insert_check(&check(&p, T0, true), T0, &ev()).await;
        assert!(matches!(r, Err(Error::Conflict(_))), "{}", f.backend);
        assert!(
            s.list_people(&scope(&["310101"]), &all(10))
                .await
                .expect("l")
                .is_empty()
        );
        let with_closed = PeopleFilter {
            include_closed: true,
            ..all(10)
        };
        assert_eq!(
            s.list_people(&scope(&["310101"]), &with_closed)
                .await
                .expect("l")
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn anonymising_clears_every_personal_value_and_purging_removes_old_closed_records() {
    for f in backends().await {
        let s = &f.store;
        let p = person("310101020001", CareLevel::A, T0, "anon");
        s.insert_person(&p, &ev()).await.expect("insert");
        s.insert_check(&check(&p, T0, true), T0, &ev())
            .await
            .expect("check");
        s.anonymise_person(p.id, T0, &ev())
            .await
            .expect("anonymise");
        let got = s
            .person(p.id)
            .await
            .expect("read")
            .expect("kept for counts");
        assert_eq!(got.status, PersonStatus::Anonymised);
        assert_eq!(got.sealed, PersonSealed::default(), "{}", f.backend);
        assert_eq!(got.region, p.region);
        assert!(
            s.checks_of(p.id, 10)
                .await
                .expect("c")
                .iter()
                .all(|c| c.details.is_none())
        );
        assert!(
            s.people_by_index(
                &scope(&["310101"]),
                Some("idx-id-anon"),
                Some("idx-phone-anon")
            )
            .await
            .expect("lookup")
            .is_empty()
        );

        let old = person("310101020001", CareLevel::C, T0, "old");
        let recent = person("310101020001", CareLevel::C, T0, "recent");
        for x in [&old, &recent] {
            s.insert_person(x, &ev()).await.expect("insert");
        }
        s.insert_check(&check(&old, T0, true), T0, &ev())
            .await
            .expect("check");
        s.set_person_closed(old.id, Some(T0), 1, T0, &ev())
            .await
            .expect("close");
        s.set_person_closed(recent.id, Some(T0 + Duration::days(400)), 1, T0, &ev())
            .await
            .expect("close");
        let n = s
            .purge_closed_people(T0 + Duration::days(365), &ev())
            .await
            .expect("purge");
        assert_eq!(n, 1, "{}", f.backend);
        assert!(s.person(old.id).await.expect("r").is_none());
        assert!(
            s.checks_of(old.id, 10).await.expect("c").is_empty(),
            "checks go too"
        );
        assert!(s.person(recent.id).await.expect("r").is_some());
        assert!(
            s.person(p.id).await.expect("r").is_some(),
            "anonymised rows stay for counts"
        );
    }
}
