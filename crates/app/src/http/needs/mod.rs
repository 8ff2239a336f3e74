//! The green channel. Public side: residents raise a need without an account (`/help`,
//! `POST /api/v1/needs`) and follow it on the tracking page (`/t/{tracking}?k=…`). Staff
//! side: the live queue (`/needs`), one need with its actions (`/needs/{id}`), entering a
//! need for a caller (`/needs/new`) and notifications.

mod advice;
mod api;
mod case;
mod case_form;
mod dispatch;
mod enter;
mod html;
mod notices;
mod queue;
mod track;
mod view;

use axum::routing::{get, post};

use crate::http::routes::Routes;

pub use api::{__path_submit, NeedReceiptDto, NeedRequestDto, submit};

pub fn router() -> Routes {
    Routes::new()
        .route("/help", get(html::form).post(html::submit))
        .route("/help/advice", post(advice::advice))
        .route("/t/{tracking}", get(track::track))
        .route("/t/{tracking}/live", get(track::live))
        .route("/t/{tracking}/info", post(track::add_info))
        .route("/t/{tracking}/cancel", post(track::cancel))
        .route("/api/v1/needs", post(api::submit))
        .route("/needs", get(queue::index))
        .route("/needs/live", get(queue::live))
        .route("/needs/new", get(enter::form).post(enter::submit))
        .route("/needs/{id}", get(case::show))
        .route("/needs/{id}/act", post(case::act))
        .route("/needs/{id}/dispatch", post(case::dispatch))
        .route("/notifications", get(notices::index))
}
