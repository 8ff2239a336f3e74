//! The contract of `NeedWorkStore`: version-checked changes that write all or nothing, each
//! escalation level once, the scoped queue query, the SLA sweep's selection, grant holders,
//! and live signals only after a commit.

use wushe_core::ids::{NeedEventId, NeedId, NotificationId, ReferralId};
use wushe_core::needs::queue::NeedQuery;
use wushe_core::needs::record::{IdempotencyClaim, Inserted, Need, SealedFields, Source};
use wushe_core::needs::state::State;
use wushe_core::needs::timeline::{
    EventData, EventKind, NeedChange, NeedEvent, Notification, Referral, ReferralState,
};
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::needs::triage::SafetyAdvice;
use wushe_core::needs::{Category, Priority};
use wushe_core::store::{NeedStore, NeedWorkStore};

use super::*;

pub(super) fn need(region: &str, n: u8) -> Need {
    Need {
        id: NeedId::new(),
        code: TrackingCode::from_random([n, 1, 2, 3, 4, 5, 6, n]),
        link_hash: "0".repeat(64),
        category: Category::Supplies,
        priority: Priority::P3,
        reasons: Vec::new(),
        advice: SafetyAdvice::default(),
        state: State::New,
        escalation: 0,
        region: code(region),
        who_for: "self".into(),
        basis: "consent".into(),
        notice_version: "test".into(),
        sealed: SealedFields {
            contact_name: vec![1],
            mobile: vec![2],
            address: vec![3],
            description: vec![4],
            subject: vec![5],
            mobile_index: "1:00".into(),
        },
        source: Source::Resident,
        assignee: None,
        acknowledged_at: None,
        reviewed: false,
        duplicate_of: None,
        person: None,
        sla_next_at: Some(T0 + Duration::hours(4)),
        created_at: T0,
        updated_at: T0,
        version: 1,
    }
}

pub(super) fn event(n: &Need, kind: EventKind) -> NeedEvent {
    NeedEvent {
        id: NeedEventId::new(),
        need: n.id,
        at: T0,
        kind,
        actor: None,
        data: EventData::default(),
        note: Some(vec![9, 9]),
    }
}

pub(super) async fn insert(f: &Fixture, n: &Need) {
    let claim = IdempotencyClaim {
        key: format!("k-{}", n.id),
        body_hash: "h".into(),
    };
    let r = f
        .store
        .insert_need(n, &event(n, EventKind::Created), &claim, &ev())
        .await
        .expect("insert need");
    assert_eq!(r, Inserted::New, "{}", f.backend);
}

/// A change of `n` from its current version, with one event.
pub(super) fn change(n: &Need, kind: EventKind) -> NeedChange {
    let mut next = n.clone();
    next.version += 1;
    next.updated_at = T0 + Duration::minutes(1);
    NeedChange {
        events: vec![event(&next, kind)],
        need: next,
        expected_version: n.version,
        referral: None,
        task: None,
        escalations: Vec::new(),
        notifications: Vec::new(),
    }
}

fn query(scope: &[&str]) -> NeedQuery {
    NeedQuery {
        scope: scope.iter().map(|s| code(s)).collect(),
        orgs: Vec::new(),
        states: State::ALL.iter().copied().filter(|s| s.is_open()).collect(),
        category: None,
        priority: None,
        escalated: false,
        unassigned: false,
        assignee: None,
        limit: 100,
    }
}

async fn ids(f: &Fixture, q: &NeedQuery) -> BTreeSet<NeedId> {
    f.store
        .list_needs(q)
        .await
        .expect("list")
        .into_iter()
        .map(|n| n.id)
        .collect()
}

#[tokio::test]
async fn a_change_from_a_stale_version_is_a_conflict_and_writes_nothing() {
    for f in backends().await {
        seed_regions(&f).await;
        let n = need("310101020001", 1);
        insert(&f, &n).await;
        let mut first = change(&n, EventKind::Triaged);
        first.need.state = State::Triaged;
        f.store
            .apply_need_change(&first, &ev())
            .await
            .expect("first");
        let mut stale = change(&n, EventKind::MessageToResident);
        stale.need.state = State::Cancelled;
        let err = f
            .store
            .apply_need_change(&stale, &ev())
            .await
            .expect_err("stale");
        assert!(matches!(err, Error::Conflict(_)), "{}: {err:?}", f.backend);
        let stored = f.store.need(n.id).await.expect("need").expect("exists");
        assert_eq!(
            (stored.state, stored.version),
            (State::Triaged, 2),
            "{}",
            f.backend
        );
        let kinds: Vec<EventKind> = f
            .store
            .need_events(n.id)
            .await
            .expect("events")
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![EventKind::Created, EventKind::Triaged],
            "{}",
            f.backend
        );
    }
}

#[tokio::test]
async fn of_two_concurrent_changes_from_one_version_exactly_one_lands() {
    for f in backends().await {
        seed_regions(&f).await;
        let n = need("310101020001", 2);
        insert(&f, &n).await;
        let store = Arc::new(f.store.clone());
        let barrier = Arc::new(Barrier::new(8));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (store, barrier, c) = (store.clone(), barrier.clone(), change(&n, EventKind::Note));
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                store.apply_need_change(&c, &ev()).await.is_ok()
            }));
        }
        let mut landed = 0;
        for t in tasks {
            landed += usize::from(t.await.expect("task"));
        }
        assert_eq!(landed, 1, "{}", f.backend);
        assert_eq!(
            f.store.need_events(n.id).await.expect("events").len(),
            2,
            "{}",
            f.backend
        );
    }
}

#[tokio::test]
async fn an_escalation_level_is_recorded_once_and_its_notifications_with_it() {
    for f in backends().await {
        seed_regions(&f).await;
        let user = f
            .store
            .insert_user(
                &new_user(
                    "sup",
                    "310101020001",
                    vec![grant(Role::Supervisor, "310101020001", None)],
                ),
                "x",
                T0,
                &ev(),
            )
            .await
            .expect("user");
        let n = need("310101020001", 3);
        insert(&f, &n).await;
        let notify = |c: &mut NeedChange| {
            c.escalations = vec![1];
            c.need.escalation = 1;
            c.notifications = vec![Notification {
                id: NotificationId::new(),
                user,
                need: Some(n.id),
                kind: EventKind::Escalated,
                level: Some(1),
                at: T0,
                read: false,
            }];
        };
        let mut first = change(&n, EventKind::Escalated);
        notify(&mut first);
        f.store
            .apply_need_change(&first, &ev())
            .await
            .expect("first");
        // Another node read the same need a moment later and raced to the same level.
        let mut again = change(&first.need, EventKind::Escalated);
        notify(&mut again);
        let err = f
            .store
            .apply_need_change(&again, &ev())
            .await
            .expect_err("twice");
        assert!(matches!(err, Error::Conflict(_)), "{}", f.backend);
        assert_eq!(
            f.store.notifications(user, 10).await.expect("n").len(),
            1,
            "{}",
            f.backend
        );
        assert_eq!(
            f.store.unread_notifications(user).await.expect("n"),
            1,
            "{}",
            f.backend
        );
        f.store
            .mark_notifications_read(user, T0)
            .await
            .expect("read");
        assert_eq!(
            f.store.unread_notifications(user).await.expect("n"),
            0,
            "{}",
            f.backend
        );
    }
}

#[tokio::test]
async fn the_queue_query_keeps_to_its_scope_and_live_referrals_and_filters() {
    for f in backends().await {
        seed_regions(&f).await;
        let provider = org("血透中心", OrgKind::Provider, "310101");
        f.store.insert_org(&provider, &ev()).await.expect("org");
        let here = need("310101020001", 4);
        let sibling = need("310101020002", 5);
        let abroad = need("310104003001", 6);
        for n in [&here, &sibling, &abroad] {
            insert(&f, n).await;
        }
        assert_eq!(
            ids(&f, &query(&["310101020001"])).await,
            BTreeSet::from([here.id]),
            "{}",
            f.backend
        );
        assert_eq!(
            ids(&f, &query(&["310101020"])).await,
            BTreeSet::from([here.id, sibling.id]),
            "{}",
            f.backend
        );
        assert!(
            ids(&f, &query(&[])).await.is_empty(),
            "{}: no scope, nothing",
            f.backend
        );
        // A referral of the foreign need makes it visible to the organisation while live.
        let mut referred = change(&abroad, EventKind::Referred);
        let r = Referral {
            id: ReferralId::new(),
            need: abroad.id,
            org: provider.id,
            state: ReferralState::Pending,
            created_at: T0,
            decided_at: None,
        };
        referred.referral = Some(r.clone());
        f.store
            .apply_need_change(&referred, &ev())
            .await
            .expect("refer");
        let mut q = query(&[]);
        q.orgs = vec![provider.id];
        assert_eq!(
            ids(&f, &q).await,
            BTreeSet::from([abroad.id]),
            "{}",
            f.backend
        );
        let mut declined = change(&referred.need, EventKind::ReferralDeclined);
        declined.referral = Some(Referral {
            state: ReferralState::Declined,
            decided_at: Some(T0),
            ..r
        });
        f.store
            .apply_need_change(&declined, &ev())
            .await
            .expect("decline");
        assert!(
            ids(&f, &q).await.is_empty(),
            "{}: declined, gone",
            f.backend
        );
        // Filters.
        let mut q = query(&["310101"]);
        q.category = Some(Category::Medication);
        assert!(ids(&f, &q).await.is_empty(), "{}", f.backend);
        let mut q = query(&["310101"]);
        q.escalated = true;
        assert!(ids(&f, &q).await.is_empty(), "{}", f.backend);
        let mut q = query(&["310101"]);
        q.unassigned = true;
        q.states = vec![State::New];
        assert_eq!(
            ids(&f, &q).await,
            BTreeSet::from([here.id, sibling.id]),
            "{}: 徐汇 stays outside 黄浦",
            f.backend
        );
    }
}

#[tokio::test]
async fn the_sla_sweep_selects_only_due_needs_and_grant_holders_cover_the_region() {
    for f in backends().await {
        seed_regions(&f).await;
        let due = need("310101020001", 7);
        let mut later = need("310101020001", 8);
        later.sla_next_at = Some(T0 + Duration::hours(9));
        insert(&f, &due).await;
        insert(&f, &later).await;
        let got = f
            .store
            .needs_due_for_sla(T0 + Duration::hours(5), 10)
            .await
            .expect("due");
        assert_eq!(got, vec![due.id], "{}", f.backend);
        let street = f
            .store
            .insert_user(
                &new_user(
                    "street",
                    "310101020",
                    vec![grant(Role::Supervisor, "310101020", None)],
                ),
                "x",
                T0,
                &ev(),
            )
            .await
            .expect("user");
        let _beside = f
            .store
            .insert_user(
                &new_user(
                    "beside",
                    "310101021",
                    vec![grant(Role::Supervisor, "310101021", None)],
                ),
                "x",
                T0,
                &ev(),
            )
            .await
            .expect("user");
        let gone = f
            .store
            .insert_user(
                &new_user(
                    "gone",
                    "310101",
                    vec![grant(Role::Supervisor, "310101", None)],
                ),
                "x",
                T0,
                &ev(),
            )
            .await
            .expect("user");
        f.store
            .set_user_disabled(gone, true, T0, &ev())
            .await
            .expect("disable");
        let holders = f
            .store
            .grant_holders(Role::Supervisor, &code("310101020001"))
            .await
            .expect("holders");
        assert_eq!(holders, vec![(street, code("310101020"))], "{}", f.backend);
        assert!(
            f.store
                .grant_holders(Role::CivilAffairs, &code("310101020001"))
                .await
                .expect("h")
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_live_signal_follows_a_commit_and_never_a_conflict() {
    use tokio::sync::broadcast::Receiver;
    use wushe_store::NeedSignal;
    // On PostgreSQL the signal comes back through NOTIFY, a moment after the commit.
    async fn next(mut rx: Receiver<NeedSignal>) -> Option<NeedSignal> {
        tokio::time::timeout(std::time::Duration::from_secs(2), rx.recv())
            .await
            .ok()?
            .ok()
    }
    let audit = ev();
    for f in backends().await {
        seed_regions(&f).await;
        let live = f.store.live();
        let n = need("310101020001", 9);
        let (got, ()) = tokio::join!(next(live.subscribe()), insert(&f, &n));
        assert_eq!(got.map(|s| s.id), Some(n.id), "{}", f.backend);
        let stale = change(&need("310101020001", 10), EventKind::Note);
        let (got, applied) = tokio::join!(
            next(live.subscribe()),
            f.store.apply_need_change(&stale, &audit)
        );
        assert!(applied.is_err());
        assert_eq!(
            got, None,
            "{}: no signal for what did not happen",
            f.backend
        );
        let c = change(&n, EventKind::Note);
        let (got, applied) = tokio::join!(
            next(live.subscribe()),
            f.store.apply_need_change(&c, &audit)
        );
        applied.expect("change");
        assert_eq!(
            got.map(|s| s.region),
            Some(code("310101020001")),
            "{}",
            f.backend
        );
    }
}
