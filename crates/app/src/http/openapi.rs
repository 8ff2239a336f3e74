//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use crate::http::{audit, auth, orgs, regions, users};

#[derive(OpenApi)]
#[openapi(
    info(title = "wushe API", description = "五社联动 — JSON API. Authenticate with the session cookie (send X-CSRF-Token on changes)."),
    paths(
        auth::me,
        regions::roots, regions::place, regions::children, regions::search, regions::add_child,
        orgs::list, orgs::get_one, orgs::create, orgs::update,
        users::list, users::get_one, users::create, users::add_grant, users::revoke_grant,
        audit::list,
    ),
    tags((name = "auth"), (name = "regions"), (name = "orgs"), (name = "users"), (name = "audit"))
)]
pub struct ApiDoc;

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
