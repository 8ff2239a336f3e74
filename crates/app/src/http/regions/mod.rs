//! Places: browse the tree, find a place by name, add grids and buildings.

mod api;
mod html;

use axum::routing::{get, post};

use crate::http::routes::Routes;

pub use api::{
    __path_add_child, __path_children, __path_place, __path_roots, __path_search, PlaceDto,
};
pub use api::{add_child, children, place, roots, search};

pub fn router() -> Routes {
    Routes::new()
        .route("/places", get(html::index))
        .route("/places/search", get(html::search))
        .route("/places/{code}", get(html::show))
        .route("/places/{code}/children", post(html::add_child))
        .route("/api/v1/regions", get(api::roots))
        .route("/api/v1/regions/search", get(api::search))
        .route("/api/v1/regions/{code}", get(api::place))
        .route(
            "/api/v1/regions/{code}/children",
            get(api::children).post(api::add_child),
        )
}
