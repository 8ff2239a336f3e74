//! `/login/sms`: a volunteer logs in with a one-time code texted to the account's number,
//! where texts can be sent (`[sms] mode` demo or http). Only enabled accounts whose every
//! role is `volunteer` get a code; staff keep their password and second factor. Asking for a
//! code answers the same words with the same status whether or not the number belongs to such
//! an account (the text, when there is one, leaves after the answer), and is rate-limited
//! like the intake. Wrong codes count in the login defences like wrong passwords, and every
//! attempt is audited as a login or a failed login.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use wushe_core::needs::intake::mobile;
use wushe_core::notify::codes::{self, Issued, Purpose};
use wushe_core::users::login::Refusal;
use wushe_core::users::service as users;
use wushe_core::{Error, FieldErrors};

use crate::AppState;
use crate::http::auth::safe_next;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, render, see_other};
use crate::http::login_defence::{Defence, Refused};
use crate::http::page::Page;
use crate::http::request_id::RequestId;
use crate::http::routes::Routes;
use crate::http::second_factor;
use crate::notify::SmsMode;

pub fn router() -> Routes {
    Routes::new()
        .route("/login/sms", get(form).post(verify))
        .route("/login/sms/send", post(send))
}

#[derive(Template)]
#[template(path = "sms_login.html")]
struct SmsLoginPage {
    page: Page,
    phone: String,
    next: String,
    errors: FormErrors,
    /// A lock or throttle, in the page's language (empty: none).
    error: String,
    /// A code was asked for: the page says where it may have gone, whoever asked.
    asked: bool,
    demo: bool,
}

impl SmsLoginPage {
    fn new(s: &AppState, page: Page, phone: String, next: String) -> SmsLoginPage {
        SmsLoginPage {
            errors: FormErrors::new(FieldErrors::default(), page.lang),
            page,
            phone,
            next,
            error: String::new(),
            asked: false,
            demo: s.config.notify.sms.mode == SmsMode::Demo,
        }
    }
}

/// Texts off: there is no such page.
fn available(s: &AppState) -> Result<(), HttpError> {
    if s.config.notify.sms.mode == SmsMode::Off {
        Err(HttpError::Core(Error::NotFound))
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn form(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<NextQuery>,
) -> Result<Response, HttpError> {
    available(&s)?;
    if page.actor.is_some() {
        return Ok(see_other(&safe_next(&q.next)));
    }
    let p = SmsLoginPage::new(&s, page, String::new(), q.next);
    render(StatusCode::OK, &p)
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

/// The page again with the number's field error (the same for every number).
fn bad_number(
    s: &AppState,
    page: Page,
    f: &CodeForm,
    e: wushe_core::error::FieldError,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let mut p = SmsLoginPage::new(s, page, f.phone.clone(), f.next.clone());
    p.errors = FormErrors::new(
        FieldErrors(vec![wushe_core::error::FieldError {
            field: "phone",
            ..e
        }]),
        lang,
    );
    render(StatusCode::UNPROCESSABLE_ENTITY, &p)
}

/// 发送验证码: a code is made and texted only for a volunteer account's number; the answer
/// is the same either way.
async fn send(
    State(s): State<AppState>,
    client: ClientIp,
    page: Page,
    Form(f): Form<CodeForm>,
) -> Result<Response, HttpError> {
    available(&s)?;
    let now = s.clock.now();
    s.code_limit
        .check(client.limit_key(), now)
        .map_err(HttpError::TooManyRequests)?;
    let phone = match mobile(&f.phone) {
        Ok(p) => p,
        Err(e) => return bad_number(&s, page, &f, e),
    };
    if let Some(user) = codes::login_account(s.store.as_ref(), &phone).await? {
        let origin = client.sms_origin(&s.cipher)?;
        let issued = codes::issue(
            s.store.as_ref(),
            &s.cipher,
            Purpose::Login,
            &phone,
            &user.region,
            Some(&origin),
            &s.config.notify.caps,
            now,
        )
        .await?;
        match issued {
            Issued::Queued { outbox, .. } => {
                // Delivered after the answer, so the answer takes as long for any number.
                let state = s.clone();
                tokio::spawn(async move {
                    if let Err(e) = crate::notify::deliver_row(&state, outbox).await {
                        tracing::warn!(error = %e, "login code could not be delivered now");
                    }
                });
            }
            Issued::Capped => tracing::info!("login code held back by a cap"),
        }
    }
    let mut p = SmsLoginPage::new(&s, page, f.phone, f.next);
    p.asked = true;
    render(StatusCode::OK, &p)
}

/// 登录: the code for the number signs in its volunteer account (then the second factor,
/// if the account has one). Wrong codes count like wrong passwords.
async fn verify(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    request: RequestId,
    page: Page,
    Form(f): Form<CodeForm>,
) -> Result<Response, HttpError> {
    available(&s)?;
    let phone = match mobile(&f.phone) {
        Ok(p) => p,
        Err(e) => return bad_number(&s, page, &f, e),
    };
    let defence = Defence::new(&s, &phone, ip);
    if let Some(why) = defence.gate().await? {
        return refuse(&s, page, f, why);
    }
    if codes::typed(&f.code).is_empty() {
        let lang = page.lang;
        let mut p = SmsLoginPage::new(&s, page, f.phone, f.next);
        if let Error::Invalid(e) = codes::missing() {
            p.errors = FormErrors::new(e, lang);
        }
        return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    let now = s.clock.now();
    let user = codes::login_account(s.store.as_ref(), &phone).await?;
    let ok = match &user {
        Some(_) => match codes::check(
            s.store.as_ref(),
            &s.cipher,
            Purpose::Login,
            &phone,
            &f.code,
            now,
        )
        .await
        {
            Ok(()) => true,
            Err(Error::Invalid(_)) => false,
            Err(e) => return Err(e.into()),
        },
        None => false,
    };
    let user = match (ok, user) {
        (true, Some(u)) => u,
        (_, user) => {
            users::record_failed_login(s.store.as_ref(), user.as_ref(), Some(request.0), now)
                .await?;
            s.metrics
                .logins_failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let why = defence.failed(user.as_ref()).await?;
            tracing::info!("login by text code failed");
            return refuse(&s, page, f, why);
        }
    };
    defence.succeeded(&user, "", None).await?;
    second_factor::after_password(&s, &user, &safe_next(&f.next), Some(request.0)).await
}

/// The page again after a refused code: a wrong code is the code field's error; a lock or a
/// throttle says so, as on the password login.
fn refuse(s: &AppState, page: Page, f: CodeForm, why: Refused) -> Result<Response, HttpError> {
    let lang = page.lang;
    let mut p = SmsLoginPage::new(s, page, f.phone, f.next);
    match why {
        Refused::Login(Refusal::WrongPassword) => {
            if let Error::Invalid(e) = codes::refused() {
                p.errors = FormErrors::new(e, lang);
            }
            render(StatusCode::UNAUTHORIZED, &p)
        }
        Refused::Login(_) => {
            let (zh, en) = why.message();
            p.error = p.page.t(&zh, &en).to_string();
            render(StatusCode::UNAUTHORIZED, &p)
        }
        Refused::Throttled { retry_after } => {
            let (zh, en) = why.message();
            p.error = p.page.t(&zh, &en).to_string();
            let mut res = render(StatusCode::TOO_MANY_REQUESTS, &p)?;
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.whole_seconds().into());
            Ok(res)
        }
    }
}
