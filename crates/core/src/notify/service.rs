//! Use-cases of notifications: administrators register and remove webhook destinations, read
//! the outbox (dead letters and recent deliveries) and send a dead letter again; residents ask
//! for their tracking links by phone number (the answer never says whether anything matched).

use time::OffsetDateTime;

use super::webhook::{self, KINDS, Webhook};
use super::{Channel, OutboxMessage, OutboxState, TRACKING_LINK};
use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, Lookup};
use crate::error::{Error, Result};
use crate::ids::{OutboxId, WebhookId};
use crate::needs::timeline::EventKind;
use crate::needs::tracking::TrackingCode;
use crate::regions::RegionCode;
use crate::store::Store;

/// What an administrator typed to register a destination.
#[derive(Debug, Clone, Default)]
pub struct WebhookForm {
    pub url: String,
    pub kinds: Vec<String>,
    pub region: String,
}

/// A destination just registered or given a new secret, with that secret (shown this once).
pub struct Registered {
    pub webhook: Webhook,
    pub secret: String,
}

/// Register a destination: the URL's origin must be in `allow`, at least one kind, a region
/// where the actor holds `ManageNotifications`.
pub async fn register_webhook(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    form: &WebhookForm,
    allow: &[String],
    secret_bytes: [u8; 32],
    now: OffsetDateTime,
) -> Result<Registered> {
    let mut errors = crate::FieldErrors::default();
    let url = match webhook::check_url(&form.url, allow) {
        Ok(u) => Some(u),
        Err(Error::Invalid(f)) => {
            errors.0.extend(f.0);
            None
        }
        Err(e) => return Err(e),
    };
    let kinds: Vec<EventKind> = KINDS
        .into_iter()
        .filter(|k| form.kinds.iter().any(|x| x == k.as_str()))
        .collect();
    if kinds.is_empty() {
        errors.add(
            "kinds",
            "请至少选择一种要推送的事件",
            "Choose at least one kind of event",
        );
    }
    let region = match RegionCode::parse(form.region.trim()) {
        Ok(r) if actor.can_at(Permission::ManageNotifications, &r) => Some(r),
        _ => {
            errors.add(
                "region",
                "请填写您负责的区划代码",
                "Enter a region code you are responsible for",
            );
            None
        }
    };
    let (Some(url), Some(region), true) = (url, region, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    let id = WebhookId::new();
    let secret = hex::encode(secret_bytes);
    let w = Webhook {
        id,
        url,
        kinds,
        region: region.clone(),
        secret: cipher.seal_str(webhook::SECRET.field(id.0), &secret)?,
        active: true,
        created_by: Some(actor.user_id),
        created_at: now,
    };
    let audit = AuditEvent::new(Action::WebhookCreated, now)
        .by(actor)
        .region(&region)
        .record(RecordKind::Webhook, [id]);
    store.insert_webhook(&w, &audit).await?;
    Ok(Registered { webhook: w, secret })
}

/// Destinations in the actor's scope.
pub async fn webhooks(store: &dyn Store, actor: &Actor) -> Result<Vec<Webhook>> {
    let scope = actor.scope(Permission::ManageNotifications);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    store.webhooks(&scope).await
}

/// Stop sending to a destination (kept for the record of what was sent there).
pub async fn remove_webhook(
    store: &dyn Store,
    actor: &Actor,
    id: WebhookId,
    now: OffsetDateTime,
) -> Result<()> {
    let w = store.webhook(id).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageNotifications,
        Permission::ManageNotifications,
        &w.region,
    )?;
    let audit = AuditEvent::new(Action::WebhookRemoved, now)
        .by(actor)
        .region(&w.region)
        .record(RecordKind::Webhook, [id]);
    store.deactivate_webhook(id, &audit).await
}

/// Give an active destination a new secret (returned with the destination, to be shown this
/// once), for when the old one may have leaked or its keeper changed. Every delivery from now on is signed with it,
/// retries of earlier ones too: the receiving system needs the new secret at once.
pub async fn replace_webhook_secret(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: WebhookId,
    secret_bytes: [u8; 32],
    now: OffsetDateTime,
) -> Result<Registered> {
    let mut w = store.webhook(id).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageNotifications,
        Permission::ManageNotifications,
        &w.region,
    )?;
    let secret = hex::encode(secret_bytes);
    let sealed = cipher.seal_str(webhook::SECRET.field(id.0), &secret)?;
    let audit = AuditEvent::new(Action::WebhookSecretReplaced, now)
        .by(actor)
        .region(&w.region)
        .record(RecordKind::Webhook, [id]);
    if !store.set_webhook_secret(id, &sealed, &audit).await? {
        return Err(Error::Conflict(
            "这个推送地址已停用 / This address has been removed".into(),
        ));
    }
    w.secret = sealed;
    Ok(Registered { webhook: w, secret })
}

/// Outbox rows of needs in the actor's scope, newest first.
pub async fn outbox(
    store: &dyn Store,
    actor: &Actor,
    states: &[OutboxState],
    limit: u32,
) -> Result<Vec<OutboxMessage>> {
    let scope = actor.scope(Permission::ManageNotifications);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    store.list_outbox(&scope, states, limit).await
}

/// Send a dead letter (or a capped text) again: attempts start over, due now.
pub async fn retry(
    store: &dyn Store,
    actor: &Actor,
    id: OutboxId,
    now: OffsetDateTime,
) -> Result<()> {
    let m = store.outbox_message(id).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageNotifications,
        Permission::ManageNotifications,
        &m.region,
    )?;
    if !matches!(m.state, OutboxState::Dead | OutboxState::Capped) {
        return Err(Error::Conflict(
            "只能重新发送失败或超出限额的通知 / Only failed or capped messages can be sent again"
                .into(),
        ));
    }
    let audit = AuditEvent::new(Action::OutboxRetried, now)
        .by(actor)
        .region(&m.region)
        .record(RecordKind::OutboxMessage, [id]);
    store.retry_outbox(id, now, &audit).await
}

/// A resident asks for their tracking links: every open need whose number matches (and, when
/// given, whose code matches) gets a text with its link. The caller answers the same words
/// whatever happened; `origin` is a keyed hash of the client address (caps per address).
/// Returns how many texts were queued (for tests and logs only, never for the page).
pub async fn request_tracking_links(
    store: &dyn Store,
    cipher: &Cipher,
    phone: &str,
    code: Option<&str>,
    origin: &str,
    now: OffsetDateTime,
) -> Result<usize> {
    let candidates = cipher.blind_index_candidates(Lookup::Phone, phone);
    if candidates.is_empty() {
        return Ok(0);
    }
    let code = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => match TrackingCode::parse(c) {
            Ok(c) => Some(c),
            Err(_) => return Ok(0),
        },
        None => None,
    };
    let mut found = store.open_needs_by_mobile(&candidates).await?;
    if let Some(c) = &code {
        found.retain(|(_, code, _)| code == c);
    }
    found.truncate(5);
    if found.is_empty() {
        return Ok(0);
    }
    let messages: Vec<OutboxMessage> = found
        .iter()
        .map(|(need, _, region)| {
            let mut m = OutboxMessage::new(Channel::Sms, TRACKING_LINK, *need, region, now);
            m.origin = Some(origin.to_string());
            m
        })
        .collect();
    let mut audit = AuditEvent::new(Action::TrackingLinkRequested, now)
        .record(RecordKind::Need, found.iter().map(|(n, _, _)| *n));
    if let Some((_, _, region)) = found.first() {
        audit = audit.region(region);
    }
    store.enqueue_outbox(&messages, &audit).await?;
    Ok(messages.len())
}
