//! `/help/recover`: a resident who lost their tracking link enters their phone number (and,
//! if they have it, the code). Every open need whose number matches gets its link texted. The
//! page answers the same words whether or not anything matched, so it cannot be used to find
//! out whether a number asked for help. Rate-limited like the intake; a honeypot field.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use wushe_core::FieldErrors;
use wushe_core::needs::intake::mobile;
use wushe_core::notify::service::request_tracking_links;

use crate::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, render};
use crate::http::page::Page;

#[derive(Template)]
#[template(path = "notify/recover.html")]
struct RecoverPage {
    page: Page,
    phone: String,
    code: String,
    errors: FormErrors,
    done: bool,
}

pub async fn form(page: Page) -> Result<Response, HttpError> {
    render(
        StatusCode::OK,
        &RecoverPage {
            page,
            phone: String::new(),
            code: String::new(),
            errors: FormErrors::default(),
            done: false,
        },
    )
}

fn done(page: Page) -> Result<Response, HttpError> {
    render(
        StatusCode::OK,
        &RecoverPage {
            page,
            phone: String::new(),
            code: String::new(),
            errors: FormErrors::default(),
            done: true,
        },
    )
}

pub async fn submit(
    State(s): State<AppState>,
    client: ClientIp,
    page: Page,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    s.recover_limit
        .check(client.limit_key(), now)
        .map_err(HttpError::TooManyRequests)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !one("website").trim().is_empty() {
        // A bot filled the hidden field: the same answer, nothing sent.
        return done(page);
    }
    let (phone, code) = (one("phone"), one("code"));
    let parsed = match mobile(&phone) {
        Ok(p) => p,
        Err(e) => {
            let lang = page.lang;
            let mut errors = FieldErrors::default();
            errors.0.push(wushe_core::error::FieldError {
                field: "phone",
                ..e
            });
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RecoverPage {
                    page,
                    phone,
                    code,
                    errors: FormErrors::new(errors, lang),
                    done: false,
                },
            );
        }
    };
    // Per-address caps count a keyed hash of the address, never the address.
    let origin = client.sms_origin(&s.cipher)?;
    let sent = request_tracking_links(
        s.store.as_ref(),
        &s.cipher,
        &parsed,
        Some(code.as_str()),
        &origin,
        now,
    )
    .await?;
    tracing::debug!(queued = sent, "tracking-link recovery asked for");
    done(page)
}
