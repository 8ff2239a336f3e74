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
            .people_by_index(&scope(&["310101020"]), &["idx-id-sib"], &[])
            .await
            .expect("lookup");
        assert_eq!(
            found.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![sibling.id]
        );
        let found = s
            .people_by_index(&scope(&["310101020001"]), &[], &["idx-phone-sib"])
            .await
            .expect("lookup");
        assert!(
            found.is_empty(),
            "{}: outside scope stays unknown",
            f.backend
        );
        let found = s
            .people_by_index(&scope(&["310101"]), &["nothing"], &["idx-phone-other"])
            .await
            .expect("lookup");
        assert_eq!(found.len(), 1, "{}: either index matches", f.backend);
        let found = s
            .people_by_index(
                &scope(&["310101"]),
                &["idx-id-sib", "nothing"],
                &["idx-phone-other", "idx-phone-sib"],
            )
            .await
            .expect("lookup");
        assert_eq!(
            found.len(),
            2,
            "{}: a batch finds each person once, whichever of its indexes match",
            f.backend
        );
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
        // One street, one community, several places: each read its own way, same answers.
        for (codes, before, want) in [
            (&["310101020"][..], now, vec![late.id, today.id]),
            (&["310101020002"][..], now, vec![today.id]),
            (&["310101020001"][..], now, vec![late.id]),
            (
                &["310101020001", "310101021"][..],
                now + Duration::days(3),
                vec![late.id, later.id],
            ),
        ] {
            let got = s
                .due_people(&scope(codes), None, before, 100)
                .await
                .expect("due");
            let got: Vec<_> = got.iter().map(|p| p.id).collect();
            assert_eq!(got, want, "{}: {codes:?}", f.backend);
        }
        let first = s
            .due_people(&scope(&["310101020"]), None, now, 1)
            .await
            .expect("due");
        assert_eq!(first.len(), 1, "{}: the limit holds", f.backend);
        assert_eq!(first[0].id, late.id, "{}: earliest first", f.backend);
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
            s.people_by_index(&scope(&["310101"]), &["idx-id-anon"], &["idx-phone-anon"])
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

/// Counts the people themselves, as the counters must: active people under `scope` per group.
fn counted_by_hand(
    people: &[Person],
    scope: &[&str],
    len: usize,
    due_before: OffsetDateTime,
    overdue_before: OffsetDateTime,
) -> Vec<(String, i64, i64, i64)> {
    let mut groups = std::collections::BTreeMap::<String, (i64, i64, i64)>::new();
    for p in people {
        if !scope.iter().any(|s| p.region.0.starts_with(s)) {
            continue;
        }
        let g = groups.entry(p.region.0[..len].to_string()).or_default();
        g.0 += 1;
        g.1 += i64::from(p.next_due_at < due_before);
        g.2 += i64::from(p.next_due_at < overdue_before);
    }
    groups
        .into_iter()
        .map(|(k, (a, d, o))| (k, a, d, o))
        .collect()
}

#[tokio::test]
async fn day_counts_kept_by_the_database_match_the_people_after_every_kind_of_change() {
    use wushe_core::people::schedule::due_limits;
    let communities = [
        "310101020001",
        "310101020002",
        "310101021001",
        "310104003001",
    ];
    // Just after midnight in Beijing, so due times an hour apart fall on different days.
    let now = datetime!(2026-11-28 16:30 UTC);
    let (due_before, overdue_before) = due_limits(now);
    for f in backends().await {
        let s = &f.store;
        let mut batch = Vec::new();
        for i in 0..60_i64 {
            let due = now + Duration::hours(i * 7 - 200);
            let level = [CareLevel::A, CareLevel::B, CareLevel::C][(i % 3) as usize];
            let region = communities[(i % 4) as usize];
            batch.push(person(region, level, due, &format!("count-{i}")));
        }
        let (single, many) = batch.split_at(10);
        for p in single {
            s.insert_person(p, &ev()).await.expect("insert");
        }
        s.insert_people_batch(many, &[], &ev())
            .await
            .expect("batch");
        // A check moves one due time; an edit moves another person and their due time;
        // one record is closed, another closed and reopened, one anonymised, one purged.
        s.insert_check(&check(&batch[0], now, true), now + Duration::days(3), &ev())
            .await
            .expect("check");
        let mut moved = batch[1].clone();
        moved.region = code("310104003001");
        moved.next_due_at = to_ms(now - Duration::days(2));
        s.update_person(&moved, 1, &ev()).await.expect("move");
        s.set_person_closed(batch[2].id, Some(now), 1, now, &ev())
            .await
            .expect("close");
        s.set_person_closed(batch[3].id, Some(now), 1, now, &ev())
            .await
            .expect("close");
        s.set_person_closed(batch[3].id, None, 2, now, &ev())
            .await
            .expect("reopen");
        s.anonymise_person(batch[4].id, now, &ev())
            .await
            .expect("anonymise");
        s.set_person_closed(batch[5].id, Some(T0), 1, now, &ev())
            .await
            .expect("close");
        s.purge_closed_people(now, &ev()).await.expect("purge");

        let stored = s
            .list_people(&scope(&["31"]), &all(1000))
            .await
            .expect("list");
        assert_eq!(
            stored.len(),
            60 - 3,
            "{}: one closed, one anonymised, one purged",
            f.backend
        );
        for (scope_codes, group, len) in [
            (&["31"][..], DueGroup::District, 6),
            (&["31"][..], DueGroup::Street, 9),
            (&["310101"][..], DueGroup::Community, 12),
            (&["310101020"][..], DueGroup::District, 6),
            (&["310101020001", "310104"][..], DueGroup::Street, 9),
        ] {
            let got: Vec<_> = s
                .due_counts(&scope(scope_codes), group, due_before, overdue_before)
                .await
                .expect("counts")
                .into_iter()
                .map(|c| (c.key, c.active, c.due, c.overdue))
                .collect();
            let want = counted_by_hand(&stored, scope_codes, len, due_before, overdue_before);
            assert_eq!(got, want, "{}: {scope_codes:?} by {group:?}", f.backend);
        }
    }
}
