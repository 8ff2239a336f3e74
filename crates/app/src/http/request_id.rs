//! Request ids. Every request gets one: a sane incoming `X-Request-Id` (at most 64 of
//! `A-Z a-z 0-9 -`) when it comes from a configured trusted proxy, so the proxy's id carries
//! through, or else a new UUIDv7 (a client cannot write its own text into the audit log). It is echoed in the
//! response header, kept in the request extensions for handlers ([`RequestId`] is also an
//! extractor), copied onto the actor by `audit::context` so every audit event names it, and
//! set on a tracing span so each log line of the request — a 5xx cause included — names it.

use std::convert::Infallible;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::AppState;

pub const HEADER: &str = "x-request-id";

/// The id of the request being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    fn fresh() -> RequestId {
        RequestId(uuid::Uuid::now_v7().to_string())
    }
}

/// Is an incoming id short and plain enough to keep?
pub fn acceptable(raw: &str) -> bool {
    (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The outermost middleware: assign the id, run the request inside its span, echo the id.
pub async fn assign(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let from_proxy = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| state.config.trusted_proxies.contains(&peer.ip()));
    let id = req
        .headers()
        .get(HEADER)
        .filter(|_| from_proxy)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(|v| RequestId(v.to_string()))
        .unwrap_or_else(RequestId::fresh);
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("request", id = %id.0);
    let mut res = next.run(req).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        res.headers_mut().insert(HEADER, v);
    }
    res
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::fresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(acceptable("abc-123-DEF"));
        assert!(acceptable(&"a".repeat(64)));
        for bad in ["", "a b", "a_b", "王", "x;y", "a\nb", &"a".repeat(65)] {
            assert!(!acceptable(bad), "{bad:?}");
        }
    }
}
