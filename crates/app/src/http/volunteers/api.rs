//! `GET /api/v1/certificates/{code}`: public verification of a 志愿服务记录证明. A good code
//! answers with the name the volunteer chose to show and the hours, nothing else; a tampered
//! or unknown code is 404.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;
use wushe_core::volunteers::booking::hours_text;
use wushe_core::volunteers::service;

use crate::AppState;
use crate::http::error::HttpError;

/// What a verified certificate shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateDto {
    /// Always `true` (a bad code is a 404).
    pub valid: bool,
    /// The name the volunteer chose to show.
    pub display_name: String,
    /// Hours served, one decimal.
    pub hours: String,
    /// The date it was issued (`YYYY-MM-DD`, Beijing time).
    pub issued_on: String,
}

/// Verify a service record certificate by its code (no account needed).
#[utoipa::path(get, path = "/api/v1/certificates/{code}", tag = "volunteers",
    params(("code" = String, Path, description = "the code on the certificate, e.g. ABCD-EFGH-JKMN-PQRS (case and dashes ignored)")),
    responses((status = 200, body = CertificateDto), (status = 404, description = "unknown or altered code")),
    security(()))]
pub async fn verify(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<CertificateDto>, HttpError> {
    let c = service::verify_certificate(s.store.as_ref(), &s.cipher, &code).await?;
    let d = c
        .issued_at
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC))
        .date();
    Ok(Json(CertificateDto {
        valid: true,
        display_name: c.display_name,
        hours: hours_text(c.minutes),
        issued_on: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
    }))
}
