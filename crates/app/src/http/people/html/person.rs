//! One person's page: the record, revealing a protected value, the JSON export, closing,
//! reopening and anonymising.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wushe_core::people::record::{self, PersonStatus};
use wushe_core::people::service::{self};
use wushe_core::{Actor, Permission};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, field_errors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::people::api::parse_id;
use crate::http::session::CurrentActor;

use super::{RowView, field_label, row_view, when};

/// One check on the person page.
pub struct CheckLine {
    pub id: String,
    pub at: String,
    pub method: String,
    pub reached: bool,
    pub summary: String,
    pub has_notes: bool,
    pub door_visit: bool,
}

#[derive(Template)]
#[template(path = "people/show.html")]
struct ShowPage {
    page: Page,
    row: RowView,
    address: String,
    id_number: String,
    contact: String,
    basis: String,
    has_health_notes: bool,
    status: String,
    active: bool,
    anonymised: bool,
    version: i64,
    checks: Vec<CheckLine>,
    can_manage: bool,
    can_check: bool,
    can_reveal: bool,
    revealed: Option<(String, String)>,
    reveal_error: String,
}

async fn show_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    id: wushe_core::ids::PersonId,
    revealed: Option<(String, String)>,
    reveal_error: String,
) -> Result<ShowPage, HttpError> {
    let now = s.clock.now();
    let v = service::view(s.store.as_ref(), &s.cipher, a, id, now).await?;
    let lang = page.lang;
    let m = &v.row.masked;
    let b = &v.person.basis;
    let basis = format!(
        "{} · {} · {} {}{}{}",
        lang.pick(b.kind.zh(), b.kind.en()),
        record::format_date(b.date),
        lang.pick("告知书版本", "notice"),
        b.notice_version,
        if b.sensitive_consent {
            lang.pick(" · 已单独同意敏感信息", " · separate sensitive consent")
        } else {
            ""
        },
        if b.guardian_consent {
            lang.pick(" · 监护人同意", " · guardian consent")
        } else {
            ""
        },
    );
    let contact = match (&m.contact_name, &m.contact_phone) {
        (Some(n), Some(p)) => format!("{} {n} {p}", m.contact_relation.clone().unwrap_or_default()),
        _ => "—".into(),
    };
    let checks = v
        .checks
        .iter()
        .map(|c| {
            let mut parts = Vec::new();
            if let Some(p) = c.physical {
                parts.push(format!(
                    "{}{}",
                    lang.pick("身体", "Body: "),
                    lang.pick(p.zh(), p.en())
                ));
            }
            if let Some(m) = c.mental {
                parts.push(format!(
                    "{}{}",
                    lang.pick("心理", "Mind: "),
                    lang.pick(m.zh(), m.en())
                ));
            }
            if let Some(d) = c.food_days_left {
                parts.push(match lang {
                    Lang::Zh => format!("食物够 {d} 天"),
                    Lang::En => format!("food {d} d"),
                });
            }
            if let Some(d) = c.medication_days_left {
                parts.push(match lang {
                    Lang::Zh => format!("药够 {d} 天"),
                    Lang::En => format!("medicine {d} d"),
                });
            }
            CheckLine {
                id: c.id.to_string(),
                at: when(lang, c.at),
                method: lang.pick(c.method.zh(), c.method.en()).into(),
                reached: c.reached,
                summary: parts.join(" · "),
                has_notes: c.has_notes,
                door_visit: c.raised_door_visit,
            }
        })
        .collect();
    let status = match v.person.status {
        PersonStatus::Active => lang.pick("在册", "Active"),
        PersonStatus::Closed => lang.pick("已结案", "Closed"),
        PersonStatus::Anonymised => lang.pick("已匿名化", "Anonymised"),
    }
    .into();
    let region = &v.person.region;
    Ok(ShowPage {
        address: m.address.clone(),
        id_number: m.id_number.clone().unwrap_or_else(|| "—".into()),
        contact,
        basis,
        has_health_notes: m.has_health_notes,
        status,
        active: v.person.status == PersonStatus::Active,
        anonymised: v.person.status == PersonStatus::Anonymised,
        version: v.person.version,
        checks,
        can_manage: a.can_at(Permission::ManagePeople, region),
        can_check: a.can_at(Permission::RecordChecks, region),
        can_reveal: a.can_at(Permission::RevealSensitive, region),
        row: row_view(lang, &v.row, None),
        revealed,
        reveal_error,
        page,
    })
}

pub async fn show(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let p = show_page(&s, &a, page, parse_id(&id)?, None, String::new()).await?;
    render(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    field: String,
    #[serde(default)]
    reason: String,
}

/// Show one full value, with a reason; audited before it is decrypted.
pub async fn reveal(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<RevealForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    let lang = page.lang;
    let r = service::reveal_field(
        s.store.as_ref(),
        &s.cipher,
        s.reveal_log.as_ref(),
        &a,
        pid,
        &f.field,
        &f.reason,
        s.clock.now(),
    )
    .await;
    match field_errors(r)? {
        Ok(v) => {
            let p = show_page(
                &s,
                &a,
                page,
                pid,
                Some((field_label(lang, &f.field), v)),
                String::new(),
            )
            .await?;
            render(StatusCode::OK, &p)
        }
        Err(e) => {
            let msg = FormErrors::new(e, lang).of("reason");
            let p = show_page(&s, &a, page, pid, None, msg).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

/// The full record as a JSON file (audited).
pub async fn export(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    let e = service::export(s.store.as_ref(), &s.cipher, &a, pid, s.clock.now()).await?;
    let body = serde_json::to_vec_pretty(&e).map_err(wushe_core::Error::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"person-{pid}.json\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    confirm: String,
}

pub async fn close(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    service::close(s.store.as_ref(), &a, pid, f.version, s.clock.now()).await?;
    Ok(see_other(&format!("/people/{id}")))
}

pub async fn reopen(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    service::reopen(s.store.as_ref(), &a, pid, f.version, s.clock.now()).await?;
    Ok(see_other(&format!("/people/{id}")))
}

pub async fn anonymise(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    // Load first: outside scope stays "not found" whatever was posted.
    service::get(s.store.as_ref(), &a, pid).await?;
    if f.confirm != "on" {
        return Err(wushe_core::Error::invalid(
            "confirm",
            "请勾选确认：匿名化后无法恢复",
            "Tick to confirm: anonymising cannot be undone",
        )
        .into());
    }
    service::anonymise(s.store.as_ref(), &a, pid, s.clock.now()).await?;
    Ok(see_other(&format!("/people/{id}")))
}
