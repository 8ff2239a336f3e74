//! Pages of the second factor: the code page after the password, enrolment (QR code as
//! inline SVG and the manual key in groups of four), and the recovery codes, shown once.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;
use wushe_core::Error;
use wushe_core::ids::UserId;
use wushe_core::users::second_factor::{self, PendingLogin, PendingStage};
use wushe_core::users::totp::TotpSecret;

use super::{clear_cookie, complete, pending, wrong_code};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{render, see_other};
use crate::http::page::Page;
use crate::http::request_id::RequestId;
use crate::http::session::CurrentActor;

#[derive(Template)]
#[template(path = "second_factor/code.html")]
struct CodePage {
    page: Page,
    error: bool,
    dropped: bool,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn code_page(
    State(s): State<AppState>,
    page: Page,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    match pending(&s, &headers).await?.map(|p| p.stage) {
        Some(PendingStage::Code) => render(
            StatusCode::OK,
            &CodePage {
                page,
                error: false,
                dropped: false,
            },
        ),
        Some(PendingStage::Enrol) => Ok(see_other("/totp/enrol")),
        None => Ok(see_other("/login")),
    }
}

/// The page shown when five wrong codes dropped the pending login.
fn dropped(s: &AppState, page: Page) -> Result<Response, HttpError> {
    let mut res = render(
        StatusCode::UNAUTHORIZED,
        &CodePage {
            page,
            error: false,
            dropped: true,
        },
    )?;
    res.headers_mut()
        .append(header::SET_COOKIE, clear_cookie(s));
    Ok(res)
}

pub async fn check_code(
    State(s): State<AppState>,
    request: RequestId,
    page: Page,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, HttpError> {
    let Some(p) = pending(&s, &headers)
        .await?
        .filter(|p| p.stage == PendingStage::Code)
    else {
        return Ok(see_other("/login"));
    };
    let now = s.clock.now();
    if second_factor::verify(s.store.as_ref(), &s.cipher, p.user_id, &f.code, now).await? {
        return complete(&s, &p, see_other(&p.next), Some(request.0)).await;
    }
    tracing::info!(user = %p.user_id, "wrong second-factor code");
    if wrong_code(&s, &p).await? {
        return dropped(&s, page);
    }
    render(
        StatusCode::UNAUTHORIZED,
        &CodePage {
            page,
            error: true,
            dropped: false,
        },
    )
}

/// Who is enrolling: a signed-in user (by choice) or a pending login that must enrol.
enum Who {
    Signed(UserId),
    Pending(PendingLogin),
}

impl Who {
    fn user(&self) -> UserId {
        match self {
            Who::Signed(u) => *u,
            Who::Pending(p) => p.user_id,
        }
    }
}

async fn who(
    s: &AppState,
    actor: Option<CurrentActor>,
    headers: &HeaderMap,
) -> Result<Who, HttpError> {
    if let Some(CurrentActor(a)) = actor {
        return Ok(Who::Signed(a.user_id));
    }
    pending(s, headers)
        .await?
        .filter(|p| p.stage == PendingStage::Enrol)
        .map(Who::Pending)
        .ok_or(HttpError::Unauthenticated)
}

#[derive(Template)]
#[template(path = "second_factor/enrol.html")]
struct EnrolPage {
    page: Page,
    qr_svg: String,
    key: String,
    error: bool,
    enrolled: bool,
}

/// The QR code of the `otpauth://` URI as inline SVG markup (no script, no style).
fn qr_svg(uri: &str) -> Result<String, HttpError> {
    let code = QrCode::new(uri.as_bytes()).map_err(Error::internal)?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg ",
        "<svg class=\"qr\" role=\"img\" aria-hidden=\"true\" ",
        1,
    ))
}

async fn enrol_view(
    s: &AppState,
    page: Page,
    user: UserId,
    status: StatusCode,
    error: bool,
) -> Result<Response, HttpError> {
    let secret: TotpSecret = match second_factor::enrolment(s.store.as_ref(), &s.cipher, user).await
    {
        Ok(secret) => secret,
        Err(Error::Conflict(_)) => {
            let p = EnrolPage {
                page,
                qr_svg: String::new(),
                key: String::new(),
                error: false,
                enrolled: true,
            };
            return render(StatusCode::OK, &p);
        }
        Err(e) => return Err(e.into()),
    };
    let username = s
        .store
        .user(user)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    let p = EnrolPage {
        page,
        qr_svg: qr_svg(&secret.otpauth_uri(&username))?,
        key: secret.grouped(),
        error,
        enrolled: false,
    };
    render(status, &p)
}

pub async fn enrol_page(
    State(s): State<AppState>,
    actor: Option<CurrentActor>,
    page: Page,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let who = who(&s, actor, &headers).await?;
    enrol_view(&s, page, who.user(), StatusCode::OK, false).await
}

#[derive(Template)]
#[template(path = "second_factor/recovery.html")]
struct RecoveryPage {
    page: Page,
    codes: Vec<String>,
    next: String,
}

pub async fn confirm(
    State(s): State<AppState>,
    request: RequestId,
    actor: Option<CurrentActor>,
    page: Page,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, HttpError> {
    let who = who(&s, actor, &headers).await?;
    let now = s.clock.now();
    match second_factor::confirm(s.store.as_ref(), &s.cipher, who.user(), &f.code, now).await {
        Ok(codes) => {
            tracing::info!(user = %who.user(), "second factor enrolled");
            let next = match &who {
                Who::Pending(p) => p.next.clone(),
                Who::Signed(_) => "/".into(),
            };
            let res = render(StatusCode::OK, &RecoveryPage { page, codes, next })?;
            match &who {
                Who::Pending(p) => complete(&s, p, res, Some(request.0)).await,
                Who::Signed(_) => Ok(res),
            }
        }
        Err(Error::Invalid(_)) => {
            if let Who::Pending(p) = &who
                && wrong_code(&s, p).await?
            {
                return dropped(&s, page);
            }
            enrol_view(&s, page, who.user(), StatusCode::UNPROCESSABLE_ENTITY, true).await
        }
        Err(Error::Conflict(_)) => {
            enrol_view(&s, page, who.user(), StatusCode::CONFLICT, false).await
        }
        Err(e) => Err(e.into()),
    }
}
