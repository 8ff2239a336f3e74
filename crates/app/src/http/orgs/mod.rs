//! The organisation directory: readable by all staff; create and edit within scope.

mod api;
mod html;

use axum::routing::{get, post};

use crate::http::routes::Routes;

pub use api::{__path_create, __path_get_one, __path_list, __path_update, OrgDto, OrgInputDto};
pub use api::{create, get_one, list, update};

pub fn router() -> Routes {
    Routes::new()
        .route("/orgs", get(html::index).post(html::create))
        .route("/orgs/new", get(html::new_form))
        .route("/orgs/{id}", get(html::show).post(html::update))
        .route("/orgs/{id}/edit", get(html::edit_form))
        .route("/orgs/{id}/dispatch", post(html::set_dispatch_mode))
        .route("/api/v1/orgs", get(api::list).post(api::create))
        .route("/api/v1/orgs/{id}", get(api::get_one).put(api::update))
}
