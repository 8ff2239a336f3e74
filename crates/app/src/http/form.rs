//! Helpers shared by page handlers: rendering templates, redirects after POST, and
//! finding a field's error message for a form.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use wushe_core::{Error, FieldErrors};

use crate::http::error::HttpError;
use crate::http::page::Lang;

/// Render a template with a status.
pub fn render(status: StatusCode, t: &impl Template) -> Result<Response, HttpError> {
    Ok((status, Html(t.render()?)).into_response())
}

/// 303 See Other, the answer to a successful form POST.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Field errors of a form, shown next to each field in the page's language.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub errors: FieldErrors,
    pub lang: Option<Lang>,
}

impl FormErrors {
    pub fn new(errors: FieldErrors, lang: Lang) -> Self {
        FormErrors {
            errors,
            lang: Some(lang),
        }
    }

    /// The message for a field, or an empty string.
    pub fn of(&self, field: &str) -> String {
        match (self.errors.get(field), self.lang) {
            (Some(e), Some(Lang::En)) => e.en.clone(),
            (Some(e), _) => e.zh.clone(),
            (None, _) => String::new(),
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.errors.get(field).is_some()
    }

    pub fn any(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Split a use-case result: field errors go back to the form (422), the rest propagate.
pub fn field_errors<T>(r: wushe_core::Result<T>) -> Result<Result<T, FieldErrors>, HttpError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Error::Invalid(f)) => Ok(Err(f)),
        Err(e) => Err(e.into()),
    }
}

/// A (value, label) choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}
