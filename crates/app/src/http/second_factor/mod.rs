//! The second step of a login and TOTP enrolment. After a correct password an account with
//! a second factor (or one that must enrol) gets a *pending login*: its own cookie, good for
//! nothing but `/login/totp` or `/totp/enrol`. The real session, with a new id, starts only
//! after the code; five wrong codes drop the pending login.

mod html;

use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;
use wushe_core::users::User;
use wushe_core::users::second_factor::{self, AfterPassword, PendingLogin, PendingStage};

use crate::AppState;
use crate::http::auth::signed_in;
use crate::http::error::HttpError;
use crate::http::form::see_other;
use crate::http::routes::Routes;
use crate::http::session::{cookie, random_token, set_cookie, token_hash};

pub fn router() -> Routes {
    Routes::new()
        .route("/login/totp", get(html::code_page).post(html::check_code))
        .route("/totp/enrol", get(html::enrol_page).post(html::confirm))
}

/// The pending login's cookie: `__Host-`-prefixed over HTTPS, like the session cookie.
fn cookie_name(state: &AppState) -> &'static str {
    if state.config.https {
        "__Host-wushe_pending"
    } else {
        "wushe_pending"
    }
}

/// Route a login past its password: sign in, ask for a code, or send to enrolment.
pub async fn after_password(
    state: &AppState,
    user: &User,
    next: &str,
    request_id: Option<String>,
) -> Result<Response, HttpError> {
    let stage =
        match second_factor::after_password(state.store.as_ref(), user.id, state.config.mlps_mode)
            .await?
        {
            AfterPassword::SignIn => {
                return signed_in(state, user, see_other(next), request_id).await;
            }
            AfterPassword::AskCode => PendingStage::Code,
            AfterPassword::MustEnrol => PendingStage::Enrol,
        };
    let token = random_token()?;
    state
        .store
        .insert_pending_login(&PendingLogin {
            token_hash: token_hash(&token),
            user_id: user.id,
            stage,
            next: next.to_string(),
            created_at: state.clock.now(),
            wrong_codes: 0,
        })
        .await?;
    let to = match stage {
        PendingStage::Code => "/login/totp",
        PendingStage::Enrol => "/totp/enrol",
    };
    let mut res = see_other(to);
    let max_age = second_factor::PENDING_FOR.whole_seconds();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, cookie_name(state), &token, Some(max_age), "Lax"),
    );
    tracing::info!(user = %user.id, stage = stage.as_str(), "password accepted; second factor pending");
    Ok(res)
}

/// The live pending login of this request, if any (an expired one is removed).
async fn pending(state: &AppState, headers: &HeaderMap) -> Result<Option<PendingLogin>, HttpError> {
    let Some(token) = cookie(headers, cookie_name(state)) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let Some(p) = state.store.pending_login(&hash).await? else {
        return Ok(None);
    };
    if p.is_live(state.clock.now()) {
        Ok(Some(p))
    } else {
        state.store.delete_pending_login(&hash).await?;
        Ok(None)
    }
}

/// Count a wrong code; true when that was one too many and the pending login is gone.
async fn wrong_code(state: &AppState, p: &PendingLogin) -> Result<bool, HttpError> {
    let n = state.store.count_wrong_code(&p.token_hash).await?;
    if n >= second_factor::MAX_WRONG_CODES {
        state.store.delete_pending_login(&p.token_hash).await?;
        tracing::warn!(user = %p.user_id, "too many wrong second-factor codes; pending login dropped");
        return Ok(true);
    }
    Ok(false)
}

/// End a pending login and start the real session (a new id) with `res`.
async fn complete(
    state: &AppState,
    p: &PendingLogin,
    res: Response,
    request_id: Option<String>,
) -> Result<Response, HttpError> {
    state.store.delete_pending_login(&p.token_hash).await?;
    let user = state
        .store
        .user(p.user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(HttpError::Unauthenticated)?;
    let mut res = signed_in(state, &user, res, request_id).await?;
    res.headers_mut()
        .append(header::SET_COOKIE, clear_cookie(state));
    Ok(res)
}

fn clear_cookie(state: &AppState) -> axum::http::HeaderValue {
    set_cookie(state, cookie_name(state), "", Some(0), "Lax")
}
