//! JSON API for personal API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use wushe_core::tokens::service::{self, IssuedToken};
use wushe_core::tokens::{ApiToken, TokenForm};

use super::parse_id;
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::session::{CurrentActor, random_token};

/// A token as listed (never its secret).
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenDto {
    pub id: String,
    pub name: String,
    /// The first characters of the secret.
    pub hint: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        TokenDto {
            id: t.id.to_string(),
            name: t.name,
            hint: t.hint,
            created_at: rfc3339(t.created_at),
            expires_at: rfc3339(t.expires_at),
            last_used_at: t.last_used_at.map(rfc3339),
            revoked: t.revoked_at.is_some(),
        }
    }
}

/// A new token: the secret appears here once and is never shown again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedTokenDto {
    #[serde(flatten)]
    pub token: TokenDto,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// What to issue.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewTokenDto {
    pub name: String,
    /// Days until expiry, 1 to 365 (default 90).
    #[serde(default)]
    pub days: Option<i64>,
}

/// Issue a token for the signed-in user (it can do exactly what they can, no more).
pub(super) async fn issue(
    s: &AppState,
    a: &wushe_core::Actor,
    form: &TokenForm,
) -> wushe_core::Result<IssuedToken> {
    let random = random_token().map_err(wushe_core::Error::internal)?;
    service::issue(s.store.as_ref(), a, form, &random, s.clock.now()).await
}

/// Your tokens, newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = [TokenDto])))]
pub async fn list(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
) -> Result<Json<Vec<TokenDto>>, HttpError> {
    let tokens = service::list_own(s.store.as_ref(), &a).await?;
    Ok(Json(tokens.into_iter().map(TokenDto::from).collect()))
}

/// Issue a personal token; the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenDto,
    responses((status = 201, body = IssuedTokenDto), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Json(b): Json<NewTokenDto>,
) -> Result<(StatusCode, Json<IssuedTokenDto>), HttpError> {
    let form = TokenForm {
        name: b.name,
        days: b.days.map(|d| d.to_string()).unwrap_or_default(),
    };
    let issued = issue(&s, &a, &form).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenDto {
            token: issued.token.into(),
            secret: issued.secret,
        }),
    ))
}

/// Revoke one of your tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn revoke(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    service::revoke_own(s.store.as_ref(), &a, parse_id(&id)?, s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
