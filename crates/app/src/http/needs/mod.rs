//! The green channel's public side: residents raise a need without an account (`/help`,
//! `POST /api/v1/needs`) and follow it on the tracking page (`/t/{tracking}?k=…`).

mod api;
mod html;
mod track;
mod view;

use axum::routing::{get, post};

use crate::http::routes::Routes;

pub use api::{__path_submit, NeedReceiptDto, NeedRequestDto, submit};

pub fn router() -> Routes {
    Routes::new()
        .route("/help", get(html::form).post(html::submit))
        .route("/t/{tracking}", get(track::track))
        .route("/t/{tracking}/live", get(track::live))
        .route("/t/{tracking}/info", post(track::add_info))
        .route("/t/{tracking}/cancel", post(track::cancel))
        .route("/api/v1/needs", post(api::submit))
}
