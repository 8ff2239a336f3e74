//! Staff entering a need for someone who phoned or came in (`/needs/new`): the resident's
//! form, posted by a hotline operator or community worker with `EnterNeeds` over the
//! community; the need records who entered it, and the same idempotency key makes a double
//! press one need.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use wushe_core::needs::record::IdempotencyClaim;
use wushe_core::needs::service::{self, sha256_hex};
use wushe_core::{FieldErrors, Permission};

use super::api::{code_random, valid_key};
use super::html::{DonePage, HelpForm, blank, help_page};
use super::view::ReceiptView;
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{field_errors, render};
use crate::http::page::Page;
use crate::http::session::{CurrentActor, random_token};

pub async fn form(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    a.require(Permission::EnterNeeds)?;
    help_page(&s, page, blank()?, FieldErrors::default(), StatusCode::OK).await
}

pub async fn submit(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(f): Form<HelpForm>,
) -> Result<Response, HttpError> {
    a.require(Permission::EnterNeeds)?;
    if !valid_key(&f.idempotency_key) {
        return Err(HttpError::BadRequest(
            "the form is missing its key; reload the page".into(),
        ));
    }
    let body = serde_json::to_vec(&f).map_err(wushe_core::Error::internal)?;
    let claim = IdempotencyClaim {
        key: format!("staff:{}:{}", a.user_id, f.idempotency_key),
        body_hash: sha256_hex(&body),
    };
    let intake = f.intake();
    let result = service::submit(
        s.desk(),
        service::Submission {
            form: &intake,
            claim: &claim,
            code_random: code_random()?,
            by: Some(&a),
        },
        s.clock.now(),
    )
    .await;
    match field_errors(result)? {
        Ok(r) => {
            let r = ReceiptView::new(&r, page.lang);
            render(
                StatusCode::OK,
                &DonePage {
                    page,
                    r,
                    staff: true,
                },
            )
        }
        Err(errors) => {
            let mut f = f;
            if errors.get("idempotency_key").is_some() {
                f.idempotency_key = random_token()?;
            }
            help_page(&s, page, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
