//! The volunteer's tasks on the phone (`/me/tasks`): offers with accept and decline and the
//! time left, tasks to claim from the pool, accepted tasks (address and the resident's phone
//! on request while accepted, each view audited; complete with a short note) and done tasks.
//! The offers update by themselves (`/me/tasks/live`): a change of a need where the volunteer
//! serves makes the page fetch its own list again; the signal itself carries nothing.
//! Also cancelling one's own shift booking.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wushe_core::actor::Permission;
use wushe_core::dispatch::record::VolunteerTask;
use wushe_core::ids::{BookingId, OfferId, TaskId};
use wushe_core::volunteers::tasks;
use wushe_core::{Actor, Error, FieldErrors, Store};

use super::{id, when};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::session::CurrentActor;

/// One task as a card.
pub struct Card {
    pub id: String,
    pub kind: &'static str,
    pub place: String,
    pub when: String,
}

/// An open offer: the task and its deadline.
pub struct OfferCard {
    pub offer: String,
    pub task: Card,
    pub until: String,
    /// Milliseconds since the epoch (the countdown in `live.js`).
    pub deadline_ms: i64,
    pub minutes_left: i64,
}

/// An accepted task, with its address and phone if the volunteer asked to see them.
pub struct AcceptedCard {
    pub task: Card,
    pub contact: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "volunteers/tasks.html")]
struct TasksPage {
    page: Page,
    offers: Vec<OfferCard>,
    pool: Vec<Card>,
    accepted: Vec<AcceptedCard>,
    /// Done tasks and the minutes they counted for.
    done: Vec<(Card, i64)>,
    message: String,
    ok: String,
    /// The task whose form failed, and its field errors.
    failed: String,
    errors: FormErrors,
    note: String,
}

/// What the page shows besides the lists.
#[derive(Default)]
struct Shown {
    message: String,
    ok: String,
    failed: String,
    errors: FieldErrors,
    note: String,
    contact: Option<(TaskId, String, String)>,
}

async fn card(store: &dyn Store, t: &VolunteerTask, lang: Lang) -> Result<Card, HttpError> {
    let place = store
        .region(&t.region)
        .await?
        .map(|r| r.display_name)
        .unwrap_or_else(|| t.region.0.clone());
    Ok(Card {
        id: t.id.to_string(),
        kind: lang.pick(t.kind.zh(), t.kind.en()),
        place,
        when: when(t.created_at, lang),
    })
}

async fn tasks_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let now = s.clock.now();
    let store = s.store.as_ref();
    let mine = tasks::my_tasks(store, a, now).await?;
    let mut offers = Vec::new();
    for (o, t) in &mine.offers {
        let left = (o.expires_at - now).whole_seconds().max(0);
        offers.push(OfferCard {
            offer: o.id.to_string(),
            task: card(store, t, lang).await?,
            until: super::clock(o.expires_at),
            deadline_ms: (o.expires_at.unix_timestamp_nanos() / 1_000_000) as i64,
            minutes_left: (left + 59) / 60,
        });
    }
    let mut pool = Vec::new();
    for t in &mine.pool {
        pool.push(card(store, t, lang).await?);
    }
    let mut accepted = Vec::new();
    for t in &mine.accepted {
        accepted.push(AcceptedCard {
            task: card(store, t, lang).await?,
            contact: shown
                .contact
                .as_ref()
                .filter(|(id, _, _)| *id == t.id)
                .map(|(_, addr, phone)| (addr.clone(), phone.clone())),
        });
    }
    let mut done = Vec::new();
    for t in mine.done.iter().take(30) {
        done.push((card(store, t, lang).await?, t.minutes));
    }
    let p = TasksPage {
        offers,
        pool,
        accepted,
        done,
        message: shown.message,
        ok: shown.ok,
        failed: shown.failed,
        errors: FormErrors::new(shown.errors, lang),
        note: shown.note,
        page,
    };
    render(status, &p)
}

pub async fn list(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    tasks_page(&s, &a, page, Shown::default(), StatusCode::OK).await
}

/// A refused action: a bad field next to its form (422), a lost race or an ended task as a
/// message (409); anything else is an error page.
async fn refused(
    s: &AppState,
    a: &Actor,
    page: Page,
    e: Error,
    failed: String,
    note: String,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let (status, shown) = match e {
        Error::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Shown {
                failed,
                errors,
                note,
                ..Shown::default()
            },
        ),
        Error::Conflict(msg) => (
            StatusCode::CONFLICT,
            Shown {
                message: bilingual(&msg, lang),
                ..Shown::default()
            },
        ),
        e => return Err(e.into()),
    };
    tasks_page(s, a, page, shown, status).await
}

/// `中文 / English` messages: the half in the page language.
fn bilingual(msg: &str, lang: Lang) -> String {
    match msg.split_once(" / ") {
        Some((zh, en)) => lang.pick(zh, en).to_string(),
        None => msg.to_string(),
    }
}

pub async fn accept(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let oid: OfferId = id(&raw)?;
    match tasks::accept(s.dispatcher(), &a, oid, s.clock.now()).await {
        Ok(_) => Ok(see_other("/me/tasks")),
        Err(e) => refused(&s, &a, page, e, String::new(), String::new()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

pub async fn decline(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, HttpError> {
    let oid: OfferId = id(&raw)?;
    match tasks::decline(s.dispatcher(), &a, oid, &f.reason, s.clock.now()).await {
        Ok(_) => Ok(see_other("/me/tasks")),
        Err(e) => refused(&s, &a, page, e, raw, f.reason).await,
    }
}

pub async fn claim(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let tid: TaskId = id(&raw)?;
    match tasks::claim(s.dispatcher(), &a, tid, s.clock.now()).await {
        Ok(_) => Ok(see_other("/me/tasks")),
        Err(e) => refused(&s, &a, page, e, String::new(), String::new()).await,
    }
}

/// Show the address and the resident's phone of one accepted task (each value audited).
pub async fn contact(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let tid: TaskId = id(&raw)?;
    match tasks::contact(s.dispatcher(), &a, tid, s.clock.now()).await {
        Ok((address, phone)) => {
            let shown = Shown {
                contact: Some((tid, address, phone)),
                ..Shown::default()
            };
            tasks_page(&s, &a, page, shown, StatusCode::OK).await
        }
        Err(e) => refused(&s, &a, page, e, String::new(), String::new()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    note: String,
}

pub async fn complete(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<NoteForm>,
) -> Result<Response, HttpError> {
    let tid: TaskId = id(&raw)?;
    match tasks::complete(s.dispatcher(), &a, tid, &f.note, s.clock.now()).await {
        Ok(_) => {
            let shown = Shown {
                ok: page
                    .t(
                        "任务已完成，谢谢您！服务时长已记入您的服务记录。",
                        "Task done, thank you! The time is on your service record.",
                    )
                    .into(),
                ..Shown::default()
            };
            tasks_page(&s, &a, page, shown, StatusCode::OK).await
        }
        Err(e) => refused(&s, &a, page, e, raw, f.note).await,
    }
}

/// Cancel one's own shift booking before the shift starts.
pub async fn cancel_booking(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let bid: BookingId = id(&raw)?;
    match tasks::cancel_booking(s.store.as_ref(), &a, bid, s.clock.now()).await {
        Ok(()) => Ok(see_other("/me/shifts?cancelled=1")),
        Err(Error::Conflict(msg)) => {
            let m = bilingual(&msg, page.lang);
            super::me::shifts_with_message(&s, &a, page, m).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `changed` whenever a need where the volunteer may serve changes (an offer made to someone,
/// run out or withdrawn there); the page then fetches `/me/tasks`, which shows only their own.
pub async fn live(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
) -> Result<Response, HttpError> {
    let scope = a.scope(Permission::ServeTasks);
    if scope.is_empty() {
        return Err(Error::Forbidden.into());
    }
    let rx = s.live.subscribe();
    Ok(
        crate::http::live::changes(rx, move |sig| scope.iter().any(|c| c.covers(&sig.region)))
            .into_response(),
    )
}
