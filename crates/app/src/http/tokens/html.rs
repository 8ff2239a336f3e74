//! The page where a user issues and revokes their API tokens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use wushe_core::tokens::service;
use wushe_core::tokens::{ApiToken, TokenForm};

use super::api::issue;
use super::parse_id;
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, field_errors, render, see_other};
use crate::http::page::Page;
use crate::http::session::CurrentActor;

#[derive(Template)]
#[template(path = "tokens/index.html")]
struct TokensPage {
    page: Page,
    tokens: Vec<ApiToken>,
    form: TokenForm,
    errors: FormErrors,
    /// The secret of a token just issued: shown on this one answer only.
    issued: Option<String>,
    now: time::OffsetDateTime,
}

impl TokensPage {
    fn live(&self, t: &ApiToken) -> bool {
        t.is_live(self.now)
    }

    fn date(&self, t: &time::OffsetDateTime) -> String {
        let t = t.to_offset(time::macros::offset!(+8));
        format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    }
}

async fn page_for(
    s: &AppState,
    a: &wushe_core::Actor,
    page: Page,
) -> Result<TokensPage, HttpError> {
    Ok(TokensPage {
        tokens: service::list_own(s.store.as_ref(), a).await?,
        page,
        form: TokenForm {
            name: String::new(),
            days: "90".into(),
        },
        errors: FormErrors::default(),
        issued: None,
        now: s.clock.now(),
    })
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    render(StatusCode::OK, &page_for(&s, &a, page).await?)
}

pub async fn create(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(f): Form<TokenForm>,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    match field_errors(issue(&s, &a, &f).await)? {
        Ok(issued) => {
            let mut p = page_for(&s, &a, page).await?;
            p.issued = Some(issued.secret);
            render(StatusCode::CREATED, &p)
        }
        Err(e) => {
            let mut p = page_for(&s, &a, page).await?;
            p.errors = FormErrors::new(e, lang);
            p.form = f;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

pub async fn revoke(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    service::revoke_own(s.store.as_ref(), &a, parse_id(&id)?, s.clock.now()).await?;
    Ok(see_other("/tokens"))
}
