//! The administrators' pages of notifications: the outbox, webhook destinations and the demo
//! text outbox.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use wushe_core::actor::Permission;
use wushe_core::notify::service::{self, WebhookForm};
use wushe_core::notify::webhook::{KINDS, Webhook};
use wushe_core::notify::{OutboxMessage, OutboxState};
use wushe_core::reveal::mask_phone;
use wushe_core::{Error, FieldErrors};

use super::parse;
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, field_errors, render, see_other};
use crate::http::page::Page;
use crate::http::session::CurrentActor;
use crate::notify::SmsMode;

fn when(t: &time::OffsetDateTime) -> String {
    let t = t.to_offset(time::macros::offset!(+8));
    format!(
        "{}月{}日 {:02}:{:02}",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// One row of the outbox as the page shows it.
struct Line {
    id: String,
    channel: &'static str,
    kind: &'static str,
    need: String,
    state: &'static str,
    attempts: i64,
    at: String,
    error: String,
    retry: bool,
}

fn line(page: &Page, m: &OutboxMessage) -> Line {
    Line {
        id: m.id.to_string(),
        channel: page.t(m.channel.zh(), m.channel.en()),
        kind: page.t(m.kind_zh(), m.kind_en()),
        need: m.need.map(|n| n.to_string()).unwrap_or_default(),
        state: page.t(m.state.zh(), m.state.en()),
        attempts: m.attempts,
        at: when(m.done_at.as_ref().unwrap_or(&m.created_at)),
        error: m.last_error.clone().unwrap_or_default(),
        retry: matches!(m.state, OutboxState::Dead | OutboxState::Capped),
    }
}

#[derive(Template)]
#[template(path = "notify/outbox.html")]
struct OutboxPage {
    page: Page,
    dead: Vec<Line>,
    recent: Vec<Line>,
    pending: usize,
    mode: &'static str,
}

pub async fn outbox(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    let store = s.store.as_ref();
    let dead = service::outbox(store, &a, &[OutboxState::Dead, OutboxState::Capped], 100).await?;
    let recent = service::outbox(
        store,
        &a,
        &[OutboxState::Delivered, OutboxState::Skipped],
        50,
    )
    .await?;
    let pending = service::outbox(store, &a, &[OutboxState::Pending], 500)
        .await?
        .len();
    let mode = match s.config.notify.sms.mode {
        SmsMode::Off => page.t("短信：未开启", "Texts: off"),
        SmsMode::Demo => page.t("短信：演示（不真正发送）", "Texts: demo (never sent)"),
        SmsMode::Http => page.t("短信：通过短信网关发送", "Texts: sent through the gateway"),
    };
    render(
        StatusCode::OK,
        &OutboxPage {
            dead: dead.iter().map(|m| line(&page, m)).collect(),
            recent: recent.iter().map(|m| line(&page, m)).collect(),
            pending,
            mode,
            page,
        },
    )
}

pub async fn retry(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    service::retry(s.store.as_ref(), &a, parse(&id)?, s.clock.now()).await?;
    Ok(see_other("/admin/outbox"))
}

struct HookLine {
    id: String,
    url: String,
    kinds: String,
    region: String,
    active: bool,
    created: String,
}

#[derive(Template)]
#[template(path = "notify/webhooks.html")]
struct HooksPage {
    page: Page,
    hooks: Vec<HookLine>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    url: String,
    region: String,
    errors: FormErrors,
    allow: Vec<String>,
    /// The secret of a destination just registered or given a new one, and its address:
    /// shown on this one answer only.
    secret: Option<(String, String)>,
}

async fn hooks_page(
    s: &AppState,
    a: &wushe_core::Actor,
    page: Page,
    form: &WebhookForm,
) -> Result<HooksPage, HttpError> {
    let hooks: Vec<Webhook> = service::webhooks(s.store.as_ref(), a).await?;
    let hooks = hooks
        .iter()
        .map(|w| HookLine {
            id: w.id.to_string(),
            url: w.url.clone(),
            kinds: w
                .kinds
                .iter()
                .map(|k| page.t(k.zh(), k.en()))
                .collect::<Vec<_>>()
                .join("、"),
            region: w.region.as_str().to_string(),
            active: w.active,
            created: when(&w.created_at),
        })
        .collect();
    let kinds = KINDS
        .iter()
        .map(|k| {
            (
                k.as_str(),
                page.t(k.zh(), k.en()),
                form.kinds.iter().any(|x| x == k.as_str()),
            )
        })
        .collect();
    let region = if form.region.is_empty() {
        a.scope(Permission::ManageNotifications)
            .first()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default()
    } else {
        form.region.clone()
    };
    Ok(HooksPage {
        hooks,
        kinds,
        url: form.url.clone(),
        region,
        errors: FormErrors::default(),
        allow: s.config.notify.webhook_allow.clone(),
        secret: None,
        page,
    })
}

pub async fn webhooks(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    let p = hooks_page(&s, &a, page, &WebhookForm::default()).await?;
    render(StatusCode::OK, &p)
}

pub async fn register(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| {
        HttpError::Core(Error::invalid(
            "url",
            "表单无法读取",
            "The form could not be read",
        ))
    })?;
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let form = WebhookForm {
        url: one("url"),
        region: one("region"),
        kinds: pairs
            .iter()
            .filter(|(n, _)| n == "kinds")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    if a.scope(Permission::ManageNotifications).is_empty() {
        return Err(HttpError::Core(Error::Forbidden));
    }
    let secret = new_secret()?;
    let lang = page.lang;
    let result = service::register_webhook(
        s.store.as_ref(),
        &s.cipher,
        &a,
        &form,
        &s.config.notify.webhook_allow,
        secret,
        s.clock.now(),
    )
    .await;
    match field_errors(result)? {
        Ok(done) => {
            let mut p = hooks_page(&s, &a, page, &WebhookForm::default()).await?;
            p.secret = Some((done.webhook.url, done.secret));
            render(StatusCode::CREATED, &p)
        }
        Err(errors) => {
            let errors: FieldErrors = errors;
            let mut p = hooks_page(&s, &a, page, &form).await?;
            p.errors = FormErrors::new(errors, lang);
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

pub async fn remove(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    service::remove_webhook(s.store.as_ref(), &a, parse(&id)?, s.clock.now()).await?;
    Ok(see_other("/admin/webhooks"))
}

/// 32 random bytes for a signing secret.
fn new_secret() -> Result<[u8; 32], HttpError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| HttpError::Core(Error::internal(e)))?;
    Ok(secret)
}

/// A new signing secret for a destination: the page again, the new secret shown this once.
pub async fn replace_secret(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let done = service::replace_webhook_secret(
        s.store.as_ref(),
        &s.cipher,
        &a,
        parse(&id)?,
        new_secret()?,
        s.clock.now(),
    )
    .await?;
    let mut p = hooks_page(&s, &a, page, &WebhookForm::default()).await?;
    p.secret = Some((done.webhook.url, done.secret));
    render(StatusCode::OK, &p)
}

struct Text {
    at: String,
    to: String,
    body: String,
    capped: bool,
}

#[derive(Template)]
#[template(path = "notify/sms.html")]
struct SmsPage {
    page: Page,
    texts: Vec<Text>,
    demo: bool,
}

/// 短信发件箱 (演示): what demo mode "sent". Needs the same permission as the outbox; numbers
/// are masked, the words (with the tracking link) shown so the demo can be followed.
pub async fn sms(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    if a.scope(Permission::ManageNotifications).is_empty() {
        return Err(HttpError::Core(Error::Forbidden));
    }
    use wushe_core::notify::sms::{DEMO_BODY, DEMO_PHONE};
    let mut texts = Vec::new();
    for r in s.store.demo_texts(100).await? {
        let open = |col: &wushe_core::crypto::EncryptedColumn, v: &Option<Vec<u8>>| {
            v.as_deref()
                .map(|v| s.cipher.open_str(col.field(r.id.0), v))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        texts.push(Text {
            at: when(&r.at),
            to: mask_phone(&open(&DEMO_PHONE, &r.phone)?),
            body: open(&DEMO_BODY, &r.body)?,
            capped: r.outcome == "capped",
        });
    }
    render(
        StatusCode::OK,
        &SmsPage {
            texts,
            demo: s.config.notify.sms.mode == SmsMode::Demo,
            page,
        },
    )
}
