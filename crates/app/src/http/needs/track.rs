//! The resident's tracking page `/t/{tracking}?k=…`: the status, the safety advice, a
//! plain-language timeline with the staff's messages, and two forms (add information, cancel
//! with a confirmation box). It updates in place over Server-Sent Events (`/t/{tracking}/live`,
//! read by the generic `static/live.js`). A wrong or missing secret is the same 404 as an
//! unknown code on every route. The secret travels in the query string of GETs and in the
//! hidden field `k` of the forms; nothing here logs either, and `Referrer-Policy: no-referrer`
//! is set for every `/t/` path by the security headers.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wushe_core::needs::service::{self, PublicEvent};
use wushe_core::needs::timeline::EventKind;
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::needs::triage::SafetyAdvice;
use wushe_core::{Error, FieldErrors};

use super::view::{shanghai_time, urgent_lines};
use crate::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, field_errors, render, see_other};
use crate::http::page::{Lang, Page};

#[derive(Deserialize)]
pub struct TrackQuery {
    k: Option<String>,
}

/// One line of the timeline as the resident reads it.
struct Line {
    at: String,
    what: &'static str,
    /// A message from staff or the resident's own words.
    text: Option<String>,
    from_staff: bool,
}

#[derive(Template)]
#[template(path = "needs/track.html")]
struct TrackPage {
    page: Page,
    /// The code as in the URL, and the link's secret (for the forms and the live region).
    code: String,
    k: String,
    display: String,
    state: &'static str,
    open: bool,
    priority: &'static str,
    priority_label: &'static str,
    category: &'static str,
    created: String,
    urgent: Vec<String>,
    timeline: Vec<Line>,
    /// A volunteer accepted a task and is on the way (never who).
    on_the_way: bool,
    /// What was typed into "add information" (kept on error).
    info: String,
    errors: FormErrors,
    /// A refusal for the whole page (the need ended meanwhile).
    notice: Option<String>,
}

impl TrackPage {
    fn link(&self) -> String {
        format!("/t/{}?k={}", self.code, self.k)
    }

    fn live_src(&self) -> String {
        format!("/t/{}/live?k={}", self.code, self.k)
    }
}

/// What a POST brings back to the page besides the need itself.
#[derive(Default)]
struct Echo {
    info: String,
    errors: FieldErrors,
    notice: Option<String>,
}

fn line(e: &PublicEvent, lang: Lang) -> Line {
    Line {
        at: shanghai_time(e.at, lang),
        what: lang.pick(e.kind.resident_zh(), e.kind.resident_en()),
        text: e.text.clone(),
        from_staff: e.kind == EventKind::MessageToResident,
    }
}

/// `"中文 / English"` as core messages write them, in the page's language.
fn half(message: &str, lang: Lang) -> String {
    match (message.split_once(" / "), lang) {
        (Some((zh, _)), Lang::Zh) => zh.to_string(),
        (Some((_, en)), Lang::En) => en.to_string(),
        (None, _) => message.to_string(),
    }
}

async fn show(
    s: &AppState,
    mut page: Page,
    tracking: &str,
    k: Option<&str>,
    echo: Echo,
    extra: SafetyAdvice,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let t = service::track(s.desk(), tracking, k).await?;
    let lang = page.lang;
    let code = t.code.as_str().to_string();
    let k = k.unwrap_or_default().to_string();
    // The language switch comes back here: it must keep the secret (the form posts it in its
    // body, and the answer's Location header is never logged).
    page.path = format!("/t/{code}?k={k}");
    let advice = SafetyAdvice {
        call_120: t.advice.call_120 || extra.call_120,
        call_110: t.advice.call_110 || extra.call_110,
        crisis_hotline: t.advice.crisis_hotline || extra.crisis_hotline,
    };
    let p = TrackPage {
        display: t.code.display(),
        code,
        k,
        state: lang.pick(t.state.zh(), t.state.en()),
        open: t.state.is_open(),
        priority: t.priority.as_str(),
        priority_label: lang.pick(t.priority.zh(), t.priority.en()),
        category: lang.pick(t.category.zh(), t.category.en()),
        created: shanghai_time(t.created_at, lang),
        urgent: urgent_lines(&advice, lang),
        timeline: t.timeline.iter().map(|e| line(e, lang)).collect(),
        on_the_way: t.volunteer_on_the_way,
        info: echo.info,
        errors: FormErrors::new(echo.errors, lang),
        notice: echo.notice,
        page,
    };
    render(status, &p)
}

/// The tracking page.
pub async fn track(
    State(s): State<AppState>,
    page: Page,
    Path(tracking): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Result<Response, HttpError> {
    let none = SafetyAdvice::default();
    show(
        &s,
        page,
        &tracking,
        q.k.as_deref(),
        Echo::default(),
        none,
        StatusCode::OK,
    )
    .await
}

/// Back to the page's timeline after a change (303), the code as parsed (never raw input).
/// The forms' actions end in the fragment of their own place on the page, so a page shown
/// with an error opens where the message is.
fn back(tracking: &str, k: &str) -> Result<Response, HttpError> {
    let code = TrackingCode::parse(tracking).map_err(|_| Error::NotFound)?;
    Ok(see_other(&format!("/t/{}?k={k}#timeline-h", code.as_str())))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InfoForm {
    k: String,
    info: String,
}

/// The resident adds information. Red flags in it raise the priority and the page shows the
/// advice ("请立即拨打120") from then on.
pub async fn add_info(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    page: Page,
    Path(tracking): Path<String>,
    Form(f): Form<InfoForm>,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    s.intake_limit
        .check(ip, now)
        .map_err(HttpError::TooManyRequests)?;
    let k = Some(f.k.as_str());
    match field_errors(service::add_info(s.desk(), &tracking, k, &f.info, now).await) {
        Ok(Ok(_)) => back(&tracking, &f.k),
        Ok(Err(errors)) => {
            let echo = Echo {
                info: f.info,
                errors,
                notice: None,
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show(
                &s,
                page,
                &tracking,
                k,
                echo,
                SafetyAdvice::default(),
                status,
            )
            .await
        }
        Err(HttpError::Core(Error::Conflict(why))) => {
            let echo = Echo {
                notice: Some(half(&why, page.lang)),
                info: f.info,
                errors: FieldErrors::default(),
            };
            let status = StatusCode::CONFLICT;
            show(
                &s,
                page,
                &tracking,
                k,
                echo,
                SafetyAdvice::default(),
                status,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CancelForm {
    k: String,
    confirm: Option<String>,
}

/// The resident cancels, only with the box "确认取消" ticked and only while the need is open.
pub async fn cancel(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    page: Page,
    Path(tracking): Path<String>,
    Form(f): Form<CancelForm>,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    s.intake_limit
        .check(ip, now)
        .map_err(HttpError::TooManyRequests)?;
    let k = Some(f.k.as_str());
    let none = SafetyAdvice::default();
    if f.confirm.is_none() {
        // The secret is checked before saying anything about the form.
        service::tracked_id(s.desk(), &tracking, k).await?;
        let mut errors = FieldErrors::default();
        errors.add(
            "confirm",
            "请先勾选“确认取消”，再按“取消求助”",
            "Tick “Yes, cancel” first, then press “Cancel my request”",
        );
        let echo = Echo {
            errors,
            ..Echo::default()
        };
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return show(&s, page, &tracking, k, echo, none, status).await;
    }
    match service::cancel_by_resident(s.desk(), &tracking, k, now).await {
        Ok(()) => back(&tracking, &f.k),
        Err(Error::Conflict(why)) => {
            let echo = Echo {
                notice: Some(half(&why, page.lang)),
                ..Echo::default()
            };
            show(&s, page, &tracking, k, echo, none, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Live updates for one need: a `changed` event after every committed change of it (and one
/// after missed signals); the page then looks again. Only that need's signals pass.
pub async fn live(
    State(s): State<AppState>,
    Path(tracking): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Result<impl IntoResponse, HttpError> {
    // Subscribe first: a change between the check and the subscription is not missed.
    let rx = s.live.subscribe();
    let id = service::tracked_id(s.desk(), &tracking, q.k.as_deref()).await?;
    let stream = crate::http::live::changes(rx, move |signal| signal.id == id);
    // A buffering proxy in front (nginx) would hold the events back.
    Ok((
        [(HeaderName::from_static("x-accel-buffering"), "no")],
        stream,
    ))
}
