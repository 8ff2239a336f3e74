//! Staff accounts and their grants, scoped by region.

mod api;
mod html;

use axum::routing::{get, post};

use crate::http::routes::Routes;

pub use api::{
    __path_add_grant, __path_create, __path_disable, __path_enable, __path_get_one, __path_list,
    __path_revoke_grant, __path_unlock, NewUserDto, UserDto,
};
pub use api::{add_grant, create, disable, enable, get_one, list, revoke_grant, unlock};

pub fn router() -> Routes {
    Routes::new()
        .route("/users", get(html::index).post(html::create))
        .route("/users/new", get(html::new_form))
        .route("/users/{id}", get(html::show))
        .route("/users/{id}/grants", post(html::add_grant))
        .route(
            "/users/{id}/grants/{grant}/delete",
            post(html::revoke_grant),
        )
        .route("/users/{id}/disable", post(html::disable))
        .route("/users/{id}/enable", post(html::enable))
        .route("/users/{id}/unlock", post(html::unlock))
        .route("/api/v1/users", get(api::list).post(api::create))
        .route("/api/v1/users/{id}", get(api::get_one))
        .route("/api/v1/users/{id}/grants", post(api::add_grant))
        .route("/api/v1/users/{id}/disable", post(api::disable))
        .route("/api/v1/users/{id}/enable", post(api::enable))
        .route("/api/v1/users/{id}/unlock", post(api::unlock))
        .route(
            "/api/v1/users/{id}/grants/{grant}",
            axum::routing::delete(api::revoke_grant),
        )
}
