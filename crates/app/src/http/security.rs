//! Security headers on every response, and request counting.

use std::sync::atomic::Ordering;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let is_tracking = req.uri().path().starts_with("/t/");
    state.metrics.requests.fetch_add(1, Ordering::Relaxed);
    let mut res = next.run(req).await;
    let status = res.status();
    if status.is_client_error() {
        state.metrics.responses_4xx.fetch_add(1, Ordering::Relaxed);
    } else if status.is_server_error() {
        state.metrics.responses_5xx.fetch_add(1, Ordering::Relaxed);
    }
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Tracking pages carry their secret in the query string: never send it anywhere.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if is_tracking {
            "no-referrer"
        } else {
            "same-origin"
        }),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
