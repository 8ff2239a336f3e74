//! The contract of `DispatchStore`: a task step is version-checked (two volunteers taking one
//! task: one wins, the other writes nothing), an offer is answered only while open and, for
//! an acceptance, not run out; a volunteer is never offered one task twice; the sweep's
//! selection, candidates with their load, and the dispatch mode of the most local org.

use wushe_core::dispatch::record::{
    DispatchChange, Mode, Offer, OfferAnswer, OfferState, TaskState, VolunteerTask,
};
use wushe_core::ids::{OfferId, TaskId};
use wushe_core::needs::record::Need;
use wushe_core::needs::timeline::{EventKind, Task, TaskKind};
use wushe_core::store::{DispatchStore, NeedWorkStore};

use super::need_work::{event, insert, need};
use super::*;

async fn user(f: &Fixture, name: &str) -> UserId {
    f.store
        .insert_user(
            &new_user(
                name,
                "310101020001",
                vec![grant(Role::Volunteer, "310101020001", None)],
            ),
            "$argon2id$v=19$hash",
            T0,
            &ev(),
        )
        .await
        .expect("user")
}

fn task(n: &Need, state: TaskState, by: UserId) -> VolunteerTask {
    VolunteerTask {
        id: TaskId::new(),
        need: n.id,
        region: n.region.clone(),
        kind: TaskKind::DeliverMedicine,
        mode: Mode::Offers,
        state,
        volunteer: None,
        created_by: by,
        created_at: T0,
        accepted_at: None,
        done_at: None,
        minutes: 0,
        version: 0,
    }
}

fn need_task(t: &VolunteerTask) -> Task {
    Task {
        id: t.id,
        need: t.need,
        kind: t.kind,
        assignee: t.volunteer,
        done: false,
        created_at: T0,
        done_at: None,
    }
}

fn offer(t: &VolunteerTask, to: UserId) -> Offer {
    Offer {
        id: OfferId::new(),
        task: t.id,
        volunteer: to,
        state: OfferState::Open,
        offered_at: T0,
        expires_at: T0 + Duration::minutes(5),
        answered_at: None,
    }
}

fn create(t: &VolunteerTask, o: Option<Offer>) -> DispatchChange {
    DispatchChange {
        task: t.clone(),
        expected_version: None,
        need_task: need_task(t),
        answer: None,
        offer: o,
        events: Vec::new(),
        notifications: Vec::new(),
        acknowledge_need: None,
    }
}

/// `t` taken by `v` at `at` (from the stored version), answering `answer` if given.
fn take(n: &Need, t: &VolunteerTask, v: UserId, answer: Option<OfferAnswer>) -> DispatchChange {
    let mut next = t.clone();
    next.state = TaskState::Accepted;
    next.volunteer = Some(v);
    next.accepted_at = Some(T0 + Duration::minutes(1));
    next.version = t.version + 1;
    let mut e = event(n, EventKind::TaskAccepted);
    e.data.user = Some(v);
    DispatchChange {
        need_task: need_task(&next),
        task: next,
        expected_version: Some(t.version),
        answer,
        offer: None,
        events: vec![e],
        notifications: Vec::new(),
        acknowledge_need: None,
    }
}

async fn accepted_events(f: &Fixture, n: &Need) -> usize {
    f.store
        .need_events(n.id)
        .await
        .expect("events")
        .iter()
        .filter(|e| e.kind == EventKind::TaskAccepted)
        .count()
}

#[tokio::test]
async fn two_volunteers_taking_one_task_at_once_one_wins_and_the_other_writes_nothing() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let n = need("310101020001", 41);
        insert(&f, &n).await;
        let staff = user(&f, "staff").await;
        let (v1, v2) = (user(&f, "v1").await, user(&f, "v2").await);
        let t = task(&n, TaskState::Pool, staff);
        f.store
            .apply_dispatch(&create(&t, None), &ev())
            .await
            .expect("create");
        let (c1, c2) = (take(&n, &t, v1, None), take(&n, &t, v2, None));
        let (a, e1) = (ev(), ev());
        let (r1, r2) = tokio::join!(
            f.store.apply_dispatch(&c1, &a),
            f.store.apply_dispatch(&c2, &e1)
        );
        assert!(
            r1.is_ok() != r2.is_ok(),
            "{b}: exactly one wins: {r1:?} {r2:?}"
        );
        let lost = if r1.is_ok() { r2 } else { r1 };
        assert!(matches!(lost, Err(Error::Conflict(_))), "{b}: {lost:?}");
        let stored = f
            .store
            .volunteer_task(t.id)
            .await
            .expect("t")
            .expect("task");
        let winner = if stored.volunteer == Some(v1) { v1 } else { v2 };
        assert_eq!(
            (stored.state, stored.version),
            (TaskState::Accepted, 1),
            "{b}"
        );
        assert_eq!(
            accepted_events(&f, &n).await,
            1,
            "{b}: the loser's event is not written"
        );
        let nt = f.store.need_tasks(n.id).await.expect("nt");
        assert_eq!(nt[0].assignee, Some(winner), "{b}");
        assert_eq!(
            f.store.tasks_of_volunteer(winner).await.expect("m").len(),
            1,
            "{b}"
        );
    }
}

#[tokio::test]
async fn an_offer_that_ran_out_or_was_answered_cannot_be_accepted() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let n = need("310101020001", 42);
        insert(&f, &n).await;
        let staff = user(&f, "staff").await;
        let v = user(&f, "v").await;
        let t = task(&n, TaskState::Offered, staff);
        let o = offer(&t, v);
        f.store
            .apply_dispatch(&create(&t, Some(o.clone())), &ev())
            .await
            .expect("create");
        let mine = f.store.offers_of_volunteer(v).await.expect("o");
        assert_eq!(mine.len(), 1, "{b}");
        assert_eq!(
            (mine[0].id, mine[0].expires_at),
            (o.id, to_ms(o.expires_at)),
            "{b}: read back to the millisecond"
        );
        // Accepting after it ran out: refused, nothing written.
        let late = OfferAnswer {
            offer: o.id,
            to: OfferState::Accepted,
            at: T0 + Duration::minutes(6),
            unexpired_at: Some(T0 + Duration::minutes(6)),
        };
        let r = f
            .store
            .apply_dispatch(&take(&n, &t, v, Some(late.clone())), &ev())
            .await;
        assert!(matches!(r, Err(Error::Conflict(_))), "{b}: {r:?}");
        let stored = f
            .store
            .volunteer_task(t.id)
            .await
            .expect("t")
            .expect("task");
        assert_eq!(
            (stored.state, stored.version),
            (TaskState::Offered, 0),
            "{b}"
        );
        assert_eq!(
            f.store.offer(o.id).await.expect("o").expect("o").state,
            OfferState::Open
        );
        assert_eq!(accepted_events(&f, &n).await, 0, "{b}");
        // The sweep finds it from its deadline on, not before.
        assert!(
            f.store
                .expired_offers(T0 + Duration::minutes(4), 10)
                .await
                .expect("e")
                .is_empty()
        );
        assert_eq!(
            f.store
                .expired_offers(T0 + Duration::minutes(5), 10)
                .await
                .expect("e"),
            vec![o.id],
            "{b}"
        );
        // In time it is accepted once; a second answer of the same offer is refused.
        let in_time = OfferAnswer {
            unexpired_at: Some(T0 + Duration::minutes(4)),
            at: T0 + Duration::minutes(4),
            ..late.clone()
        };
        f.store
            .apply_dispatch(&take(&n, &t, v, Some(in_time.clone())), &ev())
            .await
            .expect("accept in time");
        let again = take(
            &n,
            &f.store.volunteer_task(t.id).await.expect("t").expect("t"),
            v,
            Some(in_time),
        );
        let r = f.store.apply_dispatch(&again, &ev()).await;
        assert!(matches!(r, Err(Error::Conflict(_))), "{b}: {r:?}");
        assert_eq!(
            f.store.offer(o.id).await.expect("o").expect("o").state,
            OfferState::Accepted
        );
        assert!(
            f.store
                .expired_offers(T0 + Duration::hours(1), 10)
                .await
                .expect("e")
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_volunteer_is_never_offered_one_task_twice_and_candidates_carry_their_load() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let n = need("310101020001", 43);
        insert(&f, &n).await;
        let staff = user(&f, "staff").await;
        let v = user(&f, "v").await;
        let t = task(&n, TaskState::Offered, staff);
        f.store
            .apply_dispatch(&create(&t, Some(offer(&t, v))), &ev())
            .await
            .expect("create");
        // Withdraw the first offer and offer the same person again: refused.
        let mut next = t.clone();
        next.version = 1;
        let first = f.store.offers_of_task(t.id).await.expect("o").remove(0);
        let again = DispatchChange {
            task: next,
            expected_version: Some(0),
            need_task: need_task(&t),
            answer: Some(OfferAnswer {
                offer: first.id,
                to: OfferState::Withdrawn,
                at: T0,
                unexpired_at: None,
            }),
            offer: Some(offer(&t, v)),
            events: Vec::new(),
            notifications: Vec::new(),
            acknowledge_need: None,
        };
        let r = f.store.apply_dispatch(&again, &ev()).await;
        assert!(matches!(r, Err(Error::Conflict(_))), "{b}: {r:?}");
        assert_eq!(
            f.store.offers_of_task(t.id).await.expect("o").len(),
            1,
            "{b}"
        );
        assert_eq!(
            f.store.offer(first.id).await.expect("o").expect("o").state,
            OfferState::Open,
            "{b}: all or nothing"
        );
        // No profile: not a candidate. The mode of the most local org that set one wins.
        assert!(
            f.store
                .dispatch_candidates(&code("310101020001"))
                .await
                .expect("c")
                .is_empty()
        );
        assert_eq!(
            f.store
                .dispatch_mode(&code("310101020001"))
                .await
                .expect("m"),
            None,
            "{b}"
        );
        let street = org("五里桥街道", OrgKind::Station, "310101020");
        let committee = org("桥一居委会", OrgKind::Committee, "310101020001");
        f.store.insert_org(&street, &ev()).await.expect("org");
        f.store.insert_org(&committee, &ev()).await.expect("org");
        f.store
            .set_dispatch_mode(street.id, Some(Mode::Pool), &ev())
            .await
            .expect("set");
        assert_eq!(
            f.store
                .dispatch_mode(&code("310101020001"))
                .await
                .expect("m"),
            Some(Mode::Pool),
            "{b}"
        );
        f.store
            .set_dispatch_mode(committee.id, Some(Mode::Offers), &ev())
            .await
            .expect("set");
        assert_eq!(
            f.store
                .dispatch_mode(&code("310101020001"))
                .await
                .expect("m"),
            Some(Mode::Offers),
            "{b}"
        );
        assert_eq!(
            f.store
                .dispatch_mode(&code("310101020002"))
                .await
                .expect("m"),
            Some(Mode::Pool),
            "{b}"
        );
        assert_eq!(
            f.store.org_dispatch_mode(committee.id).await.expect("m"),
            Some(Mode::Offers)
        );
    }
}
