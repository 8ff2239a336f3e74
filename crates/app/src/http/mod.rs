//! The web layer: one router for pages and the JSON API under `/api/v1`, with the
//! middleware every request passes (request id → security headers → error rendering →
//! session → audit context → password expiry → CSRF).

pub mod account;
pub mod audit;
pub mod auth;
pub mod client_ip;
pub mod csrf;
pub mod error;
pub mod exports;
pub mod form;
pub mod intake_limit;
pub mod live;
pub mod login_defence;
pub mod metrics;
pub mod needs;
mod notify;
pub mod openapi;
pub mod orgs;
pub mod page;
pub mod people;
pub mod regions;
pub mod request_id;
pub mod routes;
pub mod second_factor;
pub mod security;
pub mod session;
mod sms_login;
pub mod tokens;
pub mod users;
pub mod volunteers;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

/// Every route of the application, with its paths (see [`routes::Routes`]).
pub fn routes() -> routes::Routes {
    routes::Routes::new()
        .merge(auth::router())
        .merge(account::router())
        .merge(second_factor::router())
        .merge(sms_login::router())
        .merge(regions::router())
        .merge(orgs::router())
        .merge(users::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(needs::router())
        .merge(volunteers::router())
        .merge(people::router())
        .merge(notify::router())
        .merge(exports::router())
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/static/app.css", get(css))
        .route("/static/help.js", get(help_js))
        .route("/static/live.js", get(live_js))
        .route("/static/import.js", get(import_js))
}

/// The application: every route behind the middleware every request passes.
pub fn router(state: AppState) -> Router {
    routes()
        .into_router()
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), csrf::protect))
        .layer(from_fn_with_state(state.clone(), account::password_gate))
        .layer(from_fn_with_state(state.clone(), audit::context))
        .layer(from_fn_with_state(state.clone(), session::load_actor))
        .layer(from_fn(error::render_errors))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(from_fn_with_state(state.clone(), request_id::assign))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

async fn help_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/help.js"),
    )
}

/// Live regions over Server-Sent Events (see the file for its attributes).
async fn live_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/live.js"),
    )
}

/// Live progress of a registry import.
async fn import_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/import.js"),
    )
}

async fn not_found() -> error::HttpError {
    error::HttpError::Core(wushe_core::Error::NotFound)
}
