//! The contract of one-time codes (`sms_codes`): a code and its outbox row (naming the code,
//! no need) are written together; a newer code of the same purpose and number replaces the
//! live one; a try is counted by the statement that fetches the code, never past the limit,
//! never on an expired, used or replaced code, and not across purposes; a code is used once;
//! the text's row can be claimed on its own and finished with its record.

use time::Duration;
use wushe_core::ids::{OutboxId, SmsCodeId, SmsId};
use wushe_core::notify::codes::{MAX_TRIES, Purpose, SmsCode, VALID_FOR};
use wushe_core::notify::sms::SmsRecord;
use wushe_core::notify::{Channel, Finish, OutboxMessage, OutboxState, SMS_CODE};
use wushe_core::store::{CodeStore, NotifyStore};

use super::*;

fn sms_code(purpose: Purpose, index: &str, now: OffsetDateTime) -> SmsCode {
    SmsCode {
        id: SmsCodeId::new(),
        purpose,
        phone_index: index.into(),
        phone: vec![1, 2, 3],
        code: vec![4, 5, 6],
        region: code("310101020001"),
        created_at: now,
        expires_at: now + VALID_FOR,
        tries: 0,
        used_at: None,
    }
}

fn message(c: &SmsCode) -> OutboxMessage {
    OutboxMessage {
        id: OutboxId::new(),
        channel: Channel::Sms,
        kind: SMS_CODE.into(),
        need: None,
        code: Some(c.id),
        event: None,
        webhook: None,
        region: c.region.clone(),
        origin: Some("origin-hash".into()),
        state: OutboxState::Pending,
        attempts: 0,
        next_at: c.created_at,
        last_error: None,
        created_at: c.created_at,
        done_at: None,
    }
}

#[tokio::test]
async fn a_code_and_its_text_are_written_together_and_a_newer_code_replaces_the_live_one() {
    for f in backends().await {
        seed_regions(&f).await;
        let first = sms_code(Purpose::Login, "idx-a", T0);
        let m1 = message(&first);
        f.store
            .issue_sms_code(&first, &m1, &ev())
            .await
            .expect("issue");
        let back = f
            .store
            .sms_code(first.id)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(back.phone, first.phone, "{}", f.backend);
        assert_eq!(back.code, first.code);
        assert_eq!(back.purpose, Purpose::Login);
        assert_eq!(back.expires_at, to_ms(T0 + VALID_FOR));
        assert_eq!(back.used_at, None);
        let row = f
            .store
            .outbox_message(m1.id)
            .await
            .expect("outbox")
            .expect("row");
        assert_eq!(
            (row.need, row.code),
            (None, Some(first.id)),
            "{}",
            f.backend
        );
        assert_eq!(row.kind, SMS_CODE);
        assert_eq!(row.origin.as_deref(), Some("origin-hash"));

        // The same number for the other purpose is another code; the same purpose replaces.
        let signup = sms_code(Purpose::Signup, "idx-a", T0 + Duration::seconds(1));
        f.store
            .issue_sms_code(&signup, &message(&signup), &ev())
            .await
            .expect("issue");
        let second = sms_code(Purpose::Login, "idx-a", T0 + Duration::seconds(2));
        f.store
            .issue_sms_code(&second, &message(&second), &ev())
            .await
            .expect("issue");
        let old = f.store.sms_code(first.id).await.expect("r").expect("row");
        assert!(old.used_at.is_some(), "{}: replaced", f.backend);
        let now = T0 + Duration::seconds(3);
        let tried = f
            .store
            .try_sms_code(Purpose::Login, &["idx-a".into()], MAX_TRIES, now)
            .await
            .expect("try")
            .expect("the live code");
        assert_eq!(tried.id, second.id, "{}", f.backend);
        assert_eq!(tried.tries, 1, "the try is counted before it is returned");
        let s = f.store.sms_code(signup.id).await.expect("r").expect("row");
        assert_eq!((s.tries, s.used_at), (0, None), "other purposes untouched");
    }
}

#[tokio::test]
async fn tries_stop_at_the_limit_expiry_and_use_and_a_code_is_used_once() {
    for f in backends().await {
        seed_regions(&f).await;
        let c = sms_code(Purpose::Signup, "idx-b", T0);
        f.store
            .issue_sms_code(&c, &message(&c), &ev())
            .await
            .expect("issue");
        let now = T0 + Duration::minutes(1);
        let idx = vec!["other".to_string(), "idx-b".to_string()];
        for n in 1..=MAX_TRIES {
            let got = f
                .store
                .try_sms_code(Purpose::Signup, &idx, MAX_TRIES, now)
                .await
                .expect("try")
                .expect("live");
            assert_eq!(got.tries, n, "{}", f.backend);
        }
        assert!(
            f.store
                .try_sms_code(Purpose::Signup, &idx, MAX_TRIES, now)
                .await
                .expect("try")
                .is_none(),
            "{}: no try past the limit",
            f.backend
        );
        assert!(
            f.store
                .try_sms_code(Purpose::Login, &idx, MAX_TRIES, now)
                .await
                .expect("try")
                .is_none(),
            "not for another purpose"
        );

        let d = sms_code(Purpose::Signup, "idx-c", T0);
        f.store
            .issue_sms_code(&d, &message(&d), &ev())
            .await
            .expect("issue");
        let expired = T0 + VALID_FOR;
        assert!(
            f.store
                .try_sms_code(Purpose::Signup, &["idx-c".into()], MAX_TRIES, expired)
                .await
                .expect("try")
                .is_none(),
            "{}: expired",
            f.backend
        );
        assert!(f.store.use_sms_code(d.id, now).await.expect("use"));
        assert!(
            !f.store.use_sms_code(d.id, now).await.expect("use"),
            "{}: once",
            f.backend
        );
        assert!(
            f.store
                .try_sms_code(Purpose::Signup, &["idx-c".into()], MAX_TRIES, now)
                .await
                .expect("try")
                .is_none(),
            "a used code is not tried"
        );
    }
}

#[tokio::test]
async fn a_code_text_is_claimed_on_its_own_and_finished_with_its_record() {
    for f in backends().await {
        seed_regions(&f).await;
        let c = sms_code(Purpose::Login, "idx-d", T0);
        let m = message(&c);
        f.store.issue_sms_code(&c, &m, &ev()).await.expect("issue");
        let lease = T0 + Duration::minutes(2);
        let claimed = f
            .store
            .claim_outbox_row(m.id, T0, lease)
            .await
            .expect("claim")
            .expect("claimable");
        assert_eq!(
            (claimed.attempts, claimed.code),
            (1, Some(c.id)),
            "{}",
            f.backend
        );
        assert!(
            f.store
                .claim_outbox_row(m.id, T0, lease)
                .await
                .expect("claim")
                .is_none(),
            "{}: held by the first claim",
            f.backend
        );
        assert!(
            f.store
                .claim_outbox(T0, lease, 10)
                .await
                .expect("claim")
                .is_empty(),
            "the worker does not take it either"
        );
        let rec = SmsRecord {
            id: SmsId::new(),
            outbox: m.id,
            phone_index: "idx-d".into(),
            origin: Some("origin-hash".into()),
            outcome: "sent",
            mode: "demo",
            phone: Some(vec![7]),
            body: Some(vec![8]),
            at: T0,
        };
        f.store
            .finish_outbox(m.id, &Finish::Delivered, Some(&rec), T0)
            .await
            .expect("finish");
        let row = f.store.outbox_message(m.id).await.expect("r").expect("row");
        assert_eq!(row.state, OutboxState::Delivered, "{}", f.backend);
        let counts = f
            .store
            .sms_counts(
                &["idx-d".into()],
                Some("origin-hash"),
                T0 + Duration::seconds(1),
            )
            .await
            .expect("counts");
        assert_eq!(
            (counts.phone_hour, counts.origin_hour),
            (1, 1),
            "{}: code texts count in the caps",
            f.backend
        );
        assert!(
            f.store
                .claim_outbox_row(m.id, lease, lease + Duration::minutes(2))
                .await
                .expect("claim")
                .is_none(),
            "a finished row is not claimed again"
        );
    }
}
