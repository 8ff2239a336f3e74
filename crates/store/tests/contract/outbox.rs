//! The contract of the outbox: rows are written in the same transaction as the need change
//! (a change that fails writes none), texts only for a need with a number and a kind worth a
//! text, one webhook row per active subscriber whose region covers the need, claims that
//! count attempts and skip rows already held, finishing with the text's record in the same
//! transaction, retries of dead letters, counts.

use time::Duration;
use wushe_core::ids::{SmsId, UserId, WebhookId};
use wushe_core::needs::state::State;
use wushe_core::needs::timeline::EventKind;
use wushe_core::notify::sms::SmsRecord;
use wushe_core::notify::webhook::Webhook;
use wushe_core::notify::{Channel, Finish, OutboxState};
use wushe_core::store::{NeedStore, NeedWorkStore, NotifyStore};

use super::need_work::{change, insert, need};
use super::*;

async fn all_rows(f: &Fixture) -> Vec<wushe_core::notify::OutboxMessage> {
    f.store
        .list_outbox(&[code("31")], &OutboxState::ALL, 1000)
        .await
        .expect("outbox")
}

fn hook(region: &str, kinds: Vec<EventKind>, active: bool) -> Webhook {
    Webhook {
        id: WebhookId::new(),
        url: "https://hook.example.org/x".into(),
        kinds,
        region: code(region),
        secret: vec![1, 2, 3],
        active,
        created_by: None::<UserId>,
        created_at: T0,
    }
}

#[tokio::test]
async fn outbox_rows_are_written_with_the_change_or_not_at_all() {
    for f in backends().await {
        seed_regions(&f).await;
        let subscribed = hook("310101", vec![EventKind::Assigned], true);
        let elsewhere = hook("310104", vec![EventKind::Assigned], true);
        let removed = hook("310101", vec![EventKind::Assigned], false);
        let other_kind = hook("310101", vec![EventKind::Resolved], true);
        for h in [&subscribed, &elsewhere, &removed, &other_kind] {
            f.store.insert_webhook(h, &ev()).await.expect("hook");
        }
        let n = need("310101020001", 1);
        insert(&f, &n).await;
        let created = all_rows(&f).await;
        assert_eq!(
            created.len(),
            1,
            "{}: the intake queued the 'received' text",
            f.backend
        );
        assert_eq!(
            (created[0].channel, created[0].kind.as_str()),
            (Channel::Sms, "created")
        );

        // A change that fails (stale version) writes no outbox row.
        let mut ok = change(&n, EventKind::Assigned);
        ok.need.state = State::Assigned;
        let mut stale = ok.clone();
        stale.expected_version = 7;
        stale.need.version = 8;
        f.store
            .apply_need_change(&stale, &ev())
            .await
            .expect_err("stale");
        assert_eq!(
            all_rows(&f).await.len(),
            1,
            "{}: nothing from a failed change",
            f.backend
        );

        f.store.apply_need_change(&ok, &ev()).await.expect("assign");
        let rows = all_rows(&f).await;
        let assigned: Vec<_> = rows.iter().filter(|m| m.kind == "assigned").collect();
        assert_eq!(assigned.len(), 2, "{}: one text, one webhook", f.backend);
        let hook_row = assigned
            .iter()
            .find(|m| m.channel == Channel::Webhook)
            .expect("webhook row");
        assert_eq!(hook_row.webhook, Some(subscribed.id));
        assert_eq!(hook_row.event, Some(ok.events[0].id));
        assert_eq!(hook_row.region.as_str(), "310101020001");
        assert!(
            assigned
                .iter()
                .all(|m| m.state == OutboxState::Pending && m.attempts == 0)
        );

        // An internal note causes nothing.
        let current = f.store.need(n.id).await.expect("need").expect("exists");
        f.store
            .apply_need_change(&change(&current, EventKind::Note), &ev())
            .await
            .expect("note");
        assert_eq!(all_rows(&f).await.len(), 3, "{}", f.backend);
    }
}

#[tokio::test]
async fn a_need_without_a_number_gets_no_text() {
    for f in backends().await {
        seed_regions(&f).await;
        let mut n = need("310101020001", 2);
        n.sealed.mobile_index = String::new();
        insert(&f, &n).await;
        assert!(all_rows(&f).await.is_empty(), "{}", f.backend);
    }
}

#[tokio::test]
async fn claims_count_attempts_skip_held_rows_and_finishing_records_the_text() {
    for f in backends().await {
        seed_regions(&f).await;
        let n = need("310101020001", 3);
        insert(&f, &n).await;
        let now = T0 + Duration::seconds(1);
        let claimed = f
            .store
            .claim_outbox(now, now + Duration::minutes(2), 10)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 1, "{}", f.backend);
        assert_eq!(claimed[0].attempts, 1);
        let again = f
            .store
            .claim_outbox(now, now + Duration::minutes(2), 10)
            .await
            .expect("claim");
        assert!(
            again.is_empty(),
            "{}: a held row is not claimed twice",
            f.backend
        );
        let id = claimed[0].id;
        let retry_at = now + Duration::seconds(30);
        f.store
            .finish_outbox(
                id,
                &Finish::Retry {
                    at: retry_at,
                    error: "gateway answered 503".into(),
                },
                None,
                now,
            )
            .await
            .expect("retry");
        assert!(
            f.store
                .claim_outbox(now, now, 10)
                .await
                .expect("claim")
                .is_empty()
        );
        let later = f
            .store
            .claim_outbox(retry_at, retry_at + Duration::minutes(2), 10)
            .await
            .expect("claim");
        assert_eq!(later[0].attempts, 2, "{}", f.backend);
        f.store
            .finish_outbox(
                id,
                &Finish::Dead("gateway answered 503".into()),
                None,
                retry_at,
            )
            .await
            .expect("dead");
        let dead = f
            .store
            .outbox_message(id)
            .await
            .expect("row")
            .expect("exists");
        assert_eq!(dead.state, OutboxState::Dead);
        assert_eq!(dead.last_error.as_deref(), Some("gateway answered 503"));
        assert!(
            f.store
                .claim_outbox(
                    retry_at + Duration::days(1),
                    retry_at + Duration::days(2),
                    10
                )
                .await
                .expect("claim")
                .is_empty(),
            "{}: a dead letter waits for a person",
            f.backend
        );
        f.store
            .retry_outbox(id, retry_at, &ev())
            .await
            .expect("send again");
        assert!(
            f.store.retry_outbox(id, retry_at, &ev()).await.is_err(),
            "only dead rows"
        );
        let back = f
            .store
            .claim_outbox(retry_at, retry_at + Duration::minutes(2), 10)
            .await
            .expect("claim");
        assert_eq!(back[0].attempts, 1, "{}: attempts start over", f.backend);
        let sent = SmsRecord {
            id: SmsId::new(),
            outbox: id,
            phone_index: "1:00".into(),
            origin: Some("origin-hash".into()),
            outcome: "sent",
            mode: "http",
            phone: None,
            body: None,
            at: retry_at,
        };
        f.store
            .finish_outbox(id, &Finish::Delivered, Some(&sent), retry_at)
            .await
            .expect("delivered");
        let counts = f
            .store
            .sms_counts(
                &["1:00".into()],
                Some("origin-hash"),
                retry_at + Duration::minutes(1),
            )
            .await
            .expect("counts");
        assert_eq!(
            (counts.phone_hour, counts.phone_day, counts.origin_hour),
            (1, 1, 1)
        );
        let later = f
            .store
            .sms_counts(
                &["1:00".into()],
                Some("origin-hash"),
                retry_at + Duration::hours(2),
            )
            .await
            .expect("counts");
        assert_eq!(
            (later.phone_hour, later.phone_day, later.origin_hour),
            (0, 1, 0)
        );
        let counts = f.store.outbox_counts().await.expect("counts");
        assert_eq!(
            counts,
            vec![("sms".into(), "delivered".into(), 1)],
            "{}",
            f.backend
        );
    }
}

#[tokio::test]
async fn open_needs_are_found_by_the_blind_index_of_their_number() {
    for f in backends().await {
        seed_regions(&f).await;
        let open = need("310101020001", 4);
        insert(&f, &open).await;
        let mut done = need("310101020001", 5);
        done.state = State::Cancelled;
        insert(&f, &done).await;
        let found = f
            .store
            .open_needs_by_mobile(&["1:00".into()])
            .await
            .expect("find");
        assert_eq!(found.len(), 1, "{}", f.backend);
        assert_eq!(found[0].0, open.id);
        assert!(
            f.store
                .open_needs_by_mobile(&["1:ff".into()])
                .await
                .expect("find")
                .is_empty()
        );
    }
}
