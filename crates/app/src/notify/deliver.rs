//! One delivery pass: claim due outbox rows, render each message at the last moment (the
//! phone is opened from the need's sealed column now; the outbox holds only ids), hand it to
//! its adapter, and record the outcome: delivered, not sent, capped, or a retry with backoff
//! and jitter — the dead letter after the last attempt.

use time::OffsetDateTime;
use wushe_core::crypto::Lookup;
use wushe_core::ids::{OutboxId, SmsId};
use wushe_core::needs::record::{self, Need};
use wushe_core::needs::service::stored_link_secret;
use wushe_core::notify::codes;
use wushe_core::notify::sms::{self as rules, SmsRecord};
use wushe_core::notify::webhook::{SECRET, check_url};
use wushe_core::notify::{Channel, Finish, OutboxMessage, SMS_CODE};
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
            handle(state, &m).await?;
            n += 1;
        }
    }
}

/// Deliver one row now if it is due and nobody holds it (a code's text, from the request
/// that asked for it); how that attempt ended, or `None` when the row was not claimable.
pub async fn deliver_row(state: &AppState, id: OutboxId) -> Result<Option<Finish>> {
    let now = state.clock.now();
    match state.store.claim_outbox_row(id, now, now + LEASE).await? {
        Some(m) => handle(state, &m).await.map(Some),
        None => Ok(None),
    }
}

/// Attempt one claimed row and record the outcome.
async fn handle(state: &AppState, m: &OutboxMessage) -> Result<Finish> {
    let (finish, sms) = match attempt(state, m).await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(outbox = %m.id, error = %e, "notification could not be prepared");
            (failure(state, m, "internal error"), None)
        }
    };
    if let Finish::Dead(e) = &finish {
        tracing::warn!(outbox = %m.id, channel = m.channel.as_str(), error = %e, "notification moved to the dead letter");
    }
    state
        .store
        .finish_outbox(m.id, &finish, sms.as_ref(), state.clock.now())
        .await?;
    Ok(finish)
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

/// The number and words of a text, made now from the row's ids; `Err` with why it is not
/// sent (the need is gone, no number, the code was replaced …).
async fn compose(
    state: &AppState,
    m: &OutboxMessage,
) -> Result<std::result::Result<(String, String, String), &'static str>> {
    let cfg = &state.config.notify;
    if m.kind == SMS_CODE {
        let Some(id) = m.code else {
            return Ok(Err("no code"));
        };
        let Some(c) = state.store.sms_code(id).await? else {
            return Ok(Err("the code is gone"));
        };
        if !c.live(state.clock.now()) {
            return Ok(Err("the code was replaced, used or has expired"));
        }
        let phone = state.cipher.open_str(codes::PHONE.field(id.0), &c.phone)?;
        let code = state.cipher.open_str(codes::CODE.field(id.0), &c.code)?;
        return Ok(Ok((
            phone,
            codes::text(&cfg.sms.sender, &code),
            c.phone_index,
        )));
    }
    let Some(need_id) = m.need else {
        return Ok(Err("no need"));
    };
    let Some(need) = state.store.need(need_id).await? else {
        return Ok(Err("the need is gone"));
    };
    let Some(phone) = phone_of(state, &need)? else {
        return Ok(Err("no number"));
    };
    let secret = stored_link_secret(&state.cipher, need.id, &need.link_hash)?;
    let link = format!("{}/t/{}?k={secret}", cfg.public_url, need.code.as_str());
    let Some(body) = rules::text(&cfg.sms.sender, &m.kind, &need.code.display(), &link) else {
        return Ok(Err("not a kind that is texted"));
    };
    Ok(Ok((phone, body, need.sealed.mobile_index.clone())))
}

async fn text(state: &AppState, m: &OutboxMessage) -> Result<(Finish, Option<SmsRecord>)> {
    let cfg = &state.config.notify;
    if cfg.sms.mode == SmsMode::Off {
        return Ok(skipped(TEXTS_OFF));
    }
    let (phone, body, stored_index) = match compose(state, m).await? {
        Ok(x) => x,
        Err(why) => return Ok(skipped(why)),
    };
    let now = state.clock.now();
    let candidates = state.cipher.blind_index_candidates(Lookup::Phone, &phone);
    let phone_index = state
        .cipher
        .blind_index(Lookup::Phone, &phone)
        .unwrap_or(stored_index);
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
    // The name is resolved now; an internal address (not allowed exactly) is never sent to,
    // and the request goes only to the addresses checked.
    let cfg = &state.config.notify;
    let target = match webhook::target(&w.url, &cfg.webhook_allow_private).await {
        Ok(t) => t,
        Err(webhook::Blocked::Refused(why)) => return Ok(Finish::Dead(why)),
        Err(webhook::Blocked::Unresolved(why)) => return Ok(failure(state, m, &why)),
    };
    let http = webhook::pinned_client(cfg, &target).map_err(Error::internal)?;
    let secret = state.cipher.open_str(SECRET.field(w.id.0), &w.secret)?;
    let now: OffsetDateTime = state.clock.now();
    Ok(
        match webhook::post(&http, &w.url, secret.as_bytes(), m, now).await {
            Ok(()) => Finish::Delivered,
            Err(e) => failure(state, m, &e),
        },
    )
}
