//! The signed-in user's own account: the change-password page, and in MLPS mode the gate that
//! sends a user whose password has expired there before anything else is reachable.

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Form};
use serde::Deserialize;
use wushe_core::Actor;
use wushe_core::users::account::{self, PasswordChangeForm};
use wushe_core::users::login::Refusal;
use wushe_core::users::{User, password};

use crate::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::error::{ErrorInfo, HttpError};
use crate::http::form::{FormErrors, render, see_other};
use crate::http::login_defence::{Defence, Refused};
use crate::http::page::Page;
use crate::http::routes::Routes;
use crate::http::session::{CurrentActor, SessionHash, hashing};

/// Where a user changes their password.
pub const PASSWORD_PATH: &str = "/account/password";

pub fn router() -> Routes {
    Routes::new().route(PASSWORD_PATH, get(form).post(change))
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    page: Page,
    errors: FormErrors,
    expired: bool,
    done: bool,
    mlps: bool,
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn me(s: &AppState, a: &Actor) -> Result<User, HttpError> {
    s.store
        .user(a.user_id)
        .await?
        .ok_or(HttpError::Unauthenticated)
}

fn password_page(
    s: &AppState,
    user: &User,
    page: Page,
    errors: FormErrors,
    done: bool,
) -> PasswordPage {
    let rules = s.config.password_rules();
    PasswordPage {
        page,
        errors,
        expired: rules.is_expired(user.password_changed_at, s.clock.now()),
        done,
        mlps: rules.mlps,
    }
}

async fn form(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<DoneQuery>,
) -> Result<Response, HttpError> {
    let user = me(&s, &a).await?;
    let p = password_page(&s, &user, page, FormErrors::default(), q.done.is_some());
    render(StatusCode::OK, &p)
}

async fn change(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    ClientIp(ip): ClientIp,
    session: Option<Extension<SessionHash>>,
    page: Page,
    Form(f): Form<PasswordChangeForm>,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let user = me(&s, &a).await?;
    let mut errors = account::check_password_change(&user, &s.config.password_rules(), &f);
    if !f.current_password.is_empty() {
        // Guesses at the current password count like failed logins, so a stolen session
        // cannot be used to find the password by trying.
        let defence = Defence::new(&s, &user.username, ip);
        let refused = match defence.gate().await? {
            Some(why) => Some(why),
            None => {
                let stored = s
                    .store
                    .password_hash(user.id)
                    .await?
                    .unwrap_or_else(|| password::decoy_hash().to_string());
                let current = f.current_password.clone();
                if hashing(&s, move || password::verify(&current, &stored)).await? {
                    None
                } else {
                    Some(defence.failed(Some(&user)).await?)
                }
            }
        };
        match refused {
            Some(Refused::Login(Refusal::WrongPassword)) => {
                let (field, zh, en) = account::wrong_current_password();
                errors.add(field, zh, en);
            }
            Some(why) => {
                let (zh, en) = why.message();
                errors.add("current_password", zh, en);
            }
            None => {}
        }
    }
    if !errors.is_empty() {
        let p = password_page(&s, &user, page, FormErrors::new(errors, lang), false);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    let new = f.new_password.clone();
    let new_hash = hashing(&s, move || password::hash(&new)).await??;
    let keep = session.map(|Extension(h)| h.0);
    account::set_password(
        s.store.as_ref(),
        &a,
        &new_hash,
        s.clock.now(),
        keep.as_deref(),
    )
    .await?;
    tracing::info!(user = %user.id, "password changed; the user's other sessions ended");
    Ok(see_other(&format!("{PASSWORD_PATH}?done=1")))
}

/// Paths a user with an expired password may still reach.
fn allowed_while_expired(path: &str) -> bool {
    matches!(
        path,
        PASSWORD_PATH | "/login" | "/logout" | "/lang" | "/healthz" | "/metrics"
    ) || path.starts_with("/static/")
}

/// In MLPS mode, a signed-in user whose password has expired reaches nothing but the
/// change-password page (pages redirect there; the API answers 403 `password_expired`).
pub async fn password_gate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let rules = s.config.password_rules();
    let Some(actor) = req.extensions().get::<Actor>().filter(|_| rules.mlps) else {
        return next.run(req).await;
    };
    if allowed_while_expired(req.uri().path()) {
        return next.run(req).await;
    }
    let user = match s.store.user(actor.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return HttpError::Unauthenticated.into_response(),
        Err(e) => return HttpError::from(e).into_response(),
    };
    if !rules.is_expired(user.password_changed_at, s.clock.now()) {
        return next.run(req).await;
    }
    if req.uri().path().starts_with("/api/") {
        let mut res = StatusCode::FORBIDDEN.into_response();
        res.extensions_mut().insert(ErrorInfo {
            status: StatusCode::FORBIDDEN,
            code: "password_expired",
            zh: "密码已过期，请先在网页上修改密码".into(),
            en: "Your password has expired; change it in the web app first".into(),
            fields: Vec::new(),
        });
        return res;
    }
    see_other(PASSWORD_PATH)
}
