//! The safety check while a resident types (`POST /help/advice`): the same triage rules as
//! the intake, answering only the lines to show in large type ("请立即拨打120"…) — before
//! anything is submitted. Nothing is stored or logged; rate-limited per address.

use axum::Form;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use wushe_core::needs::Category;
use wushe_core::needs::triage::{TriageInput, triage};

use super::view::urgent_lines;
use crate::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::page::Page;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdviceForm {
    pub description: String,
    pub category: String,
}

#[derive(Debug, Serialize)]
pub struct AdviceDto {
    /// Lines to show at once in large type; empty when nothing suggests danger.
    pub urgent: Vec<String>,
    /// That wushe does not replace emergency services.
    pub notice: String,
}

/// Longest description the check reads (the form allows 1000 characters).
const MAX_CHARS: usize = 1000;

pub async fn advice(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    page: Page,
    Form(f): Form<AdviceForm>,
) -> Result<Json<AdviceDto>, HttpError> {
    s.advice_limit
        .check(ip, s.clock.now())
        .map_err(HttpError::TooManyRequests)?;
    let description: String = f.description.chars().take(MAX_CHARS).collect();
    let t = triage(&TriageInput {
        category: Category::parse(&f.category),
        description,
        ..TriageInput::default()
    });
    Ok(Json(AdviceDto {
        urgent: urgent_lines(&t.advice, page.lang),
        notice: page
            .t(
                "本平台不能代替急救和报警，请先打电话，再继续填写。",
                "wushe does not replace emergency services: call first, then finish the form.",
            )
            .to_string(),
    }))
}
