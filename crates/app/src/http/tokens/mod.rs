//! Personal API tokens: each user issues, lists and revokes their own.

mod api;
mod html;

use axum::routing::{delete, get, post};

use crate::http::routes::Routes;

pub use api::{__path_create, __path_list, __path_revoke, create, list, revoke};

pub fn router() -> Routes {
    Routes::new()
        .route("/tokens", get(html::index).post(html::create))
        .route("/tokens/{id}/revoke", post(html::revoke))
        .route("/api/v1/tokens", get(api::list).post(api::create))
        .route("/api/v1/tokens/{id}", delete(api::revoke))
}

/// Parse a token id from a path; a malformed id is simply not found.
fn parse_id(raw: &str) -> Result<wushe_core::ids::TokenId, crate::http::error::HttpError> {
    raw.parse()
        .map_err(|_| crate::http::error::HttpError::Core(wushe_core::Error::NotFound))
}
