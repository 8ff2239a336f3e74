//! Server-side sessions: a random token in a cookie, its SHA-256 in the store. The
//! middleware here turns a live session into an `Actor` in the request extensions;
//! [`CurrentActor`] requires one.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use wushe_core::Actor;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::UserId;
use wushe_core::tokens::service as tokens;
use wushe_core::users::{Session, service as users};

use crate::AppState;
use crate::http::error::HttpError;

/// The session cookie's name: `__Host-` prefixed when served over HTTPS.
pub fn session_cookie_name(state: &AppState) -> &'static str {
    if state.config.https {
        "__Host-wushe_session"
    } else {
        "wushe_session"
    }
}

/// A `Set-Cookie` value with the right attributes for this deployment.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: &str,
) -> HeaderValue {
    let secure = if state.config.https { "; Secure" } else { "" };
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}{secure}{age}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Value of one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> Result<String, wushe_core::Error> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(wushe_core::Error::internal)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Start a session for a user, recording `audit` (the login) with it; returns the cookie token.
pub async fn start(
    state: &AppState,
    user: UserId,
    audit: &AuditEvent,
) -> Result<String, HttpError> {
    let token = random_token()?;
    let now = state.clock.now();
    let session = Session {
        token_hash: token_hash(&token),
        user_id: user,
        created_at: now,
        last_seen_at: now,
    };
    state.store.insert_session(&session, audit).await?;
    Ok(token)
}

/// Marks a request authenticated by a bearer token: no cookie is involved, so no CSRF check.
#[derive(Clone, Copy)]
pub struct BearerAuth;

/// Load the actor of a bearer token or a live session into the request extensions.
/// A bearer token that is present but not valid is refused outright (never a fallback).
pub async fn load_actor(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, HttpError> {
    if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
        let secret = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        if !tokens::looks_like_token(secret) {
            return Err(HttpError::Unauthenticated);
        }
        let now = state.clock.now();
        let token = state
            .store
            .token_by_hash(&tokens::hash_secret(secret))
            .await?;
        let Some(token) = token.filter(|t| t.is_live(now)) else {
            return Err(HttpError::Unauthenticated);
        };
        let Some(actor) = users::load_actor(state.store.as_ref(), token.user_id).await? else {
            return Err(HttpError::Unauthenticated);
        };
        state.store.touch_token(token.id, now).await?;
        req.extensions_mut().insert(actor);
        req.extensions_mut().insert(BearerAuth);
        return Ok(next.run(req).await);
    }
    if let Some(token) = cookie(req.headers(), session_cookie_name(&state)) {
        let hash = token_hash(&token);
        if let Some(s) = state.store.session(&hash).await? {
            let now = state.clock.now();
            if state.sessions.is_live(&s, now) {
                if now - s.last_seen_at > time::Duration::seconds(30) {
                    state.store.touch_session(&hash, now).await?;
                }
                if let Some(actor) = users::load_actor(state.store.as_ref(), s.user_id).await? {
                    req.extensions_mut().insert(SessionHash(hash));
                    req.extensions_mut().insert(actor);
                }
            } else {
                state.store.delete_session(&hash, None).await?;
            }
        }
    }
    Ok(next.run(req).await)
}

/// The hash of the current session's token (for logout).
#[derive(Clone)]
pub struct SessionHash(pub String);

/// The signed-in staff member; rejects with 401 (or a redirect to the login page).
pub struct CurrentActor(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for CurrentActor {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .map(CurrentActor)
            .ok_or(HttpError::Unauthenticated)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentActor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Actor>().cloned().map(CurrentActor))
    }
}

/// Run password hashing off the async threads, at most two at once (see `AppState::hashing`).
pub async fn hashing<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HttpError> {
    let permit = state
        .hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(wushe_core::Error::internal)?;
    let out = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    })
    .await
    .map_err(wushe_core::Error::internal)?;
    Ok(out)
}
