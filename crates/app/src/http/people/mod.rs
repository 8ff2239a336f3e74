//! The vulnerable-people registry (`/people`) and the welfare-check schedule (`/checks`):
//! pages and the JSON API, all scoped to the actor's regions.

mod api;
mod html;
pub mod import;

use axum::routing::{get, post};
use wushe_core::Actor;
use wushe_core::ids::PersonId;
use wushe_core::people::checks::CheckForm;
use wushe_core::people::service::{self, Recorded};

use crate::AppState;
use crate::http::routes::Routes;

pub use api::{
    __path_counts, __path_create, __path_due, __path_get_one, __path_list, __path_record_check,
    __path_update, CheckInputDto, CheckRecordedDto, DueCountDto, DuplicatesDto, PersonDto,
    PersonInputDto, counts, create, due, get_one, list, record_check, update,
};

pub fn router() -> Routes {
    Routes::new()
        .route("/people", get(html::index).post(html::create))
        .route("/people/new", get(html::new_form))
        .route("/people/find", post(html::find))
        .route(
            "/people/import",
            get(import::upload_form).post(import::upload).layer(
                axum::extract::DefaultBodyLimit::max(import::MAX_UPLOAD + 64 * 1024),
            ),
        )
        .route("/people/import/template.xlsx", get(import::template))
        .route("/people/import/{job}", get(import::show))
        .route("/people/import/{job}/status", get(import::status))
        .route("/people/import/{job}/report.csv", get(import::report_csv))
        .route("/people/import/{job}/commit", post(import::commit))
        .route("/people/{id}", get(html::show).post(html::update))
        .route("/people/{id}/edit", get(html::edit_form))
        .route("/people/{id}/reveal", post(html::reveal))
        .route(
            "/people/{id}/check",
            get(html::check_form).post(html::check),
        )
        .route("/people/{id}/export", get(html::export))
        .route("/people/{id}/close", post(html::close))
        .route("/people/{id}/reopen", post(html::reopen))
        .route("/people/{id}/anonymise", post(html::anonymise))
        .route("/checks/today", get(html::today))
        .route("/checks/schedule", get(html::schedule))
        .route("/api/v1/people", get(api::list).post(api::create))
        .route("/api/v1/people/{id}", get(api::get_one).put(api::update))
        .route("/api/v1/people/{id}/checks", post(api::record_check))
        .route("/api/v1/checks/due", get(api::due))
        .route("/api/v1/checks/counts", get(api::counts))
}

/// Record a check; both the page and the API come through here. After the check is stored,
/// its findings become needs of the green channel linked to the person (one per finding and
/// check, so a retry raises nothing twice); they appear live in the queue.
pub(crate) async fn record_and_raise(
    s: &AppState,
    actor: &Actor,
    person: PersonId,
    form: &CheckForm,
) -> wushe_core::Result<Recorded> {
    let recorded = service::record_check(
        s.store.as_ref(),
        &s.cipher,
        actor,
        person,
        form,
        &s.config.cadence(),
        s.clock.now(),
    )
    .await?;
    let raised =
        wushe_core::needs::raise::from_check(s.desk(), actor, &recorded, s.clock.now()).await?;
    for (f, r) in recorded.findings.needs.iter().zip(&raised) {
        tracing::info!(
            target: "wushe::checks",
            person = %recorded.check.person,
            check = %recorded.check.id,
            region = %recorded.check.region,
            category = f.category.as_str(),
            need = %r.code.as_str(),
            "welfare check raised a need"
        );
    }
    Ok(recorded)
}
