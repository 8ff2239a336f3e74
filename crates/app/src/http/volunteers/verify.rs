//! Certificate verification (`/verify`): anyone can check a service certificate's code.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use wushe_core::volunteers::booking::hours_text;
use wushe_core::volunteers::service;

use super::day;
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::render;
use crate::http::page::Page;

#[derive(Deserialize)]
pub struct VerifyQuery {
    #[serde(default)]
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "volunteers/verify.html")]
struct VerifyPage {
    page: Page,
    code: String,
    checked: bool,
    /// (display name, hours, issued on)
    found: Option<(String, String, String)>,
}

/// Anyone can check a certificate's code: a good one shows the name chosen and the hours.
pub async fn verify_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, HttpError> {
    let code = q.code.unwrap_or_default();
    if code.trim().is_empty() {
        let p = VerifyPage {
            page,
            code,
            checked: false,
            found: None,
        };
        return render(StatusCode::OK, &p);
    }
    let found = match service::verify_certificate(s.store.as_ref(), &s.cipher, &code).await {
        Ok(c) => Some((
            c.display_name,
            hours_text(c.minutes),
            day(c.issued_at, page.lang),
        )),
        Err(wushe_core::Error::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let p = VerifyPage {
        page,
        code,
        checked: true,
        found,
    };
    render(status, &p)
}
