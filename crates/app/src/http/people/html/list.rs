//! The registry's list and search.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use wushe_core::people::service::{self};
use wushe_core::{Actor, Permission};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, field_errors, render};
use crate::http::page::Page;
use crate::http::people::api::PeopleQuery;
use crate::http::session::CurrentActor;

use super::{RowView, row_view};

#[derive(Template)]
#[template(path = "people/index.html")]
struct IndexPage {
    page: Page,
    rows: Vec<RowView>,
    find: String,
    find_error: String,
    can_create: bool,
    can_import: bool,
    next_offset: Option<u32>,
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<PeopleQuery>,
) -> Result<Response, HttpError> {
    let find = q.find.clone().unwrap_or_default();
    list_page(&s, &a, page, &q, find).await
}

#[derive(Deserialize)]
pub struct FindForm {
    #[serde(default)]
    find: String,
}

/// Exact search by a full ID number or phone, posted so the number stays out of URLs (browser
/// history, proxy logs).
pub async fn find(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(f): Form<FindForm>,
) -> Result<Response, HttpError> {
    list_page(&s, &a, page, &PeopleQuery::default(), f.find).await
}

async fn list_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    q: &PeopleQuery,
    find: String,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    let mut find_error = String::new();
    let rows = if find.trim().is_empty() {
        service::list(s.store.as_ref(), &s.cipher, a, &q.filter(), now).await?
    } else {
        match field_errors(service::find(s.store.as_ref(), &s.cipher, a, &find, now).await)? {
            Ok(r) => r,
            Err(e) => {
                find_error = FormErrors::new(e, page.lang).of("find");
                Vec::new()
            }
        }
    };
    let full = rows.len() == 50 && find.trim().is_empty();
    let status = if find_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = IndexPage {
        rows: rows.iter().map(|r| row_view(page.lang, r, None)).collect(),
        find,
        find_error,
        can_create: a.can(Permission::ManagePeople),
        can_import: a.can(Permission::ImportPeople),
        next_offset: full.then(|| q.offset.unwrap_or(0) + 50),
        page,
    };
    render(status, &p)
}
