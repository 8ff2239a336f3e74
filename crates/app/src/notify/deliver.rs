//! One delivery pass: claim due outbox rows, render each message at the last moment (the
//! phone is opened from the need's sealed column now; the outbox holds only ids), hand it to
//! its adapter, and record the outcome: delivered, not sent, capped, or a retry with backoff
//! and jitter — the dead letter after the last attempt.

use time::OffsetDateTime;
use wushe_core::crypto::Lookup;
use wushe_core::ids::SmsId;
use wushe_core::needs::record::{self, Need};
use wushe_core::needs::service::stored_link_secret;
use wushe_core::notify::sms::{self as rules, SmsRecord};
use wushe_core::notify::webhook::{SECRET, check_url};
use wushe_core::notify::{Channel, Finish, OutboxMessage};
use wushe_core::{Error, Result};

use super::{SmsMode, sms, webhook};
use crate::AppState;

const TEXTS_OFF: &str = "texts are off ([sms] mode = \"off\")";

/// Rows claimed at once, and how long a claim holds.
const BATCH: u32 = 20;
const LEASE: time::Duration = time::Duration::minutes(2);

/// Deliver every due row; returns how many were handled.
pub async fn deliver(state: &AppState) -> Result<usize> {
    let mut n = 0;
    if state.config.notify.sms.mode == SmsMode::Off {
        // One statement for all of them, so an intake surge costs the writer nothing extra.
        let skipped = state
            .store
            .skip_outbox(Channel::Sms, TEXTS_OFF, state.clock.now())
            .await?;
        n += usize::try_from(skipped).unwrap_or(usize::MAX);
    }
    loop {
        let now = state.clock.now();
        let rows = state.store.claim_outbox(now, now + LEASE, BATCH).await?;
        if rows.is_empty() {
            return Ok(n);
        }
        for m in rows {
            let (finish, sms) = match attempt(state, &m).await {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(outbox = %m.id, error = %e, "notification could not be prepared");
                    (failure(state, &m, "internal error"), None)
                }
            };
            if let Finish::Dead(e) = &finish {
                tracing::warn!(outbox = %m.id, channel = m.channel.as_str(), error = %e, "notification moved to the dead letter");
            }
            state
                .store
                .finish_outbox(m.id, &finish, sms.as_ref(), state.clock.now())
                .await?;
            n += 1;
        }
    }
}

fn jitter() -> u32 {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
}

fn failure(state: &AppState, m: &OutboxMessage, error: &str) -> Finish {
    state
        .config
        .notify
        .retry
        .after_failure(m.attempts, error, state.clock.now(), jitter())
}

async fn attempt(state: &AppState, m: &OutboxMessage) -> Result<(Finish, Option<SmsRecord>)> {
    match m.channel {
        Channel::Sms => text(state, m).await,
        Channel::Webhook => Ok((hook(state, m).await?, None)),
    }
}

fn skipped(why: &str) -> (Finish, Option<SmsRecord>) {
    (Finish::Skipped(why.into()), None)
}

/// The number of a need, opened now; `None` when there is none (or it was anonymised).
fn phone_of(state: &AppState, need: &Need) -> Result<Option<String>> {
    if need.sealed.contact_name.is_empty() || need.sealed.mobile.is_empty() {
        return Ok(None);
    }
    let phone = state
        .cipher
        .open_str(record::MOBILE.field(need.id.0), &need.sealed.mobile)?;
    Ok(Some(phone).filter(|p| !p.trim().is_empty()))
}

async fn text(state: &AppState, m: &OutboxMessage) -> Result<(Finish, Option<SmsRecord>)> {
    let cfg = &state.config.notify;
    if cfg.sms.mode == SmsMode::Off {
        return Ok(skipped(TEXTS_OFF));
    }
    let Some(need) = state.store.need(m.need).await? else {
        return Ok(skipped("the need is gone"));
    };
    let Some(phone) = phone_of(state, &need)? else {
        return Ok(skipped("no number"));
    };
    let secret = stored_link_secret(&state.cipher, need.id, &need.link_hash)?;
    let link = format!("{}/t/{}?k={secret}", cfg.public_url, need.code.as_str());
    let Some(body) = rules::text(&cfg.sms.sender, &m.kind, &need.code.display(), &link) else {
        return Ok(skipped("not a kind that is texted"));
    };
    let now = state.clock.now();
    let candidates = state.cipher.blind_index_candidates(Lookup::Phone, &phone);
    let phone_index = state
        .cipher
        .blind_index(Lookup::Phone, &phone)
        .unwrap_or_else(|| need.sealed.mobile_index.clone());
    let counts = state
        .store
        .sms_counts(&candidates, m.origin.as_deref(), now)
        .await?;
    let id = SmsId::new();
    let mut rec = SmsRecord {
        id,
        outbox: m.id,
        phone_index,
        origin: m.origin.clone(),
        outcome: "sent",
        mode: if cfg.sms.mode == SmsMode::Demo {
            "demo"
        } else {
            "http"
        },
        phone: None,
        body: None,
        at: now,
    };
    if let Some(why) = cfg.caps.refuse(counts) {
        rec.outcome = "capped";
        return Ok((Finish::Capped(why.into()), Some(rec)));
    }
    match cfg.sms.mode {
        SmsMode::Off => Ok(skipped("texts are off")),
        SmsMode::Demo => {
            rec.phone = Some(
                state
                    .cipher
                    .seal_str(rules::DEMO_PHONE.field(id.0), &phone)?,
            );
            rec.body = Some(state.cipher.seal_str(rules::DEMO_BODY.field(id.0), &body)?);
            Ok((Finish::Delivered, Some(rec)))
        }
        SmsMode::Http => {
            let req = sms::SmsRequest {
                id: m.id.to_string(),
                to: phone,
                sender: cfg.sms.sender.clone(),
                text: body,
            };
            match sms::post(&state.outbound, &cfg.sms, &req).await {
                Ok(()) => Ok((Finish::Delivered, Some(rec))),
                Err(e) => Ok((failure(state, m, &e), None)),
            }
        }
    }
}

async fn hook(state: &AppState, m: &OutboxMessage) -> Result<Finish> {
    let Some(id) = m.webhook else {
        return Ok(Finish::Skipped("no destination".into()));
    };
    let Some(w) = state.store.webhook(id).await? else {
        return Ok(Finish::Skipped("the destination is gone".into()));
    };
    if !w.active {
        return Ok(Finish::Skipped("the destination was removed".into()));
    }
    // The allow-list may have shrunk since the destination was registered.
    if let Err(Error::Invalid(_)) = check_url(&w.url, &state.config.notify.webhook_allow) {
        return Ok(Finish::Dead(
            "the destination is no longer in webhook_allow".into(),
        ));
    }
    let secret = state.cipher.open_str(SECRET.field(w.id.0), &w.secret)?;
    let now: OffsetDateTime = state.clock.now();
    Ok(
        match webhook::post(&state.outbound, &w.url, secret.as_bytes(), m, now).await {
            Ok(()) => Finish::Delivered,
            Err(e) => failure(state, m, &e),
        },
    )
}
