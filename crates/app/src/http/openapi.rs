//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use crate::http::{audit, auth, needs, orgs, people, regions, tokens, users, volunteers};

#[derive(OpenApi)]
#[openapi(
    info(title = "wushe API", description = "五社联动 — JSON API. Authenticate with a personal API token (Authorization: Bearer wst_…) or the session cookie (then send X-CSRF-Token on changes)."),
    paths(
        auth::me,
        regions::roots, regions::place, regions::children, regions::search, regions::add_child,
        orgs::list, orgs::get_one, orgs::create, orgs::update,
        users::list, users::get_one, users::create, users::add_grant, users::revoke_grant,
        tokens::list, tokens::create, tokens::revoke,
        users::disable, users::enable, users::unlock,
        audit::list,
        needs::submit,
        volunteers::verify,
        people::list, people::get_one, people::create, people::update, people::record_check,
        people::due, people::counts,
    ),
    tags((name = "auth"), (name = "regions"), (name = "orgs"), (name = "users"), (name = "tokens"), (name = "audit"), (name = "needs"), (name = "volunteers"), (name = "people")),
    modifiers(&BearerScheme),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme (personal API tokens, `Authorization: Bearer wst_…`).
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
