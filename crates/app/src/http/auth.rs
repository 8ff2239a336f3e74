//! Login, logout, the language switch, the home page and `/api/v1/me`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use wushe_core::users::{User, password};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{render, see_other};
use crate::http::page::Page;
use crate::http::second_factor;
use crate::http::session::{self, CurrentActor, SessionHash, session_cookie_name, set_cookie};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang", post(set_lang))
        .route("/api/v1/me", get(me))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    username: String,
    next: String,
    failed: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_page(page: Page, Query(q): Query<NextQuery>) -> Result<Response, HttpError> {
    if page.actor.is_some() {
        return Ok(see_other(&safe_next(&q.next)));
    }
    render(
        StatusCode::OK,
        &LoginPage {
            page,
            username: String::new(),
            next: q.next,
            failed: false,
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only local paths are followed after login (no open redirect).
pub(crate) fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".into()
    }
}

async fn login(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<LoginForm>,
) -> Result<Response, HttpError> {
    let name = f.username.trim().to_lowercase();
    let user = state.store.user_by_name(&name).await?;
    let stored = match &user {
        Some(u) if !u.disabled => state.store.password_hash(u.id).await?,
        _ => None,
    };
    // Unknown and disabled users are checked against a decoy hash: same answer, same cost.
    let hash = stored.unwrap_or_else(|| password::decoy_hash().to_string());
    let given = f.password.clone();
    let ok = session::hashing(&state, move || password::verify(&given, &hash)).await?;
    let user = match (ok, user) {
        (true, Some(u)) if !u.disabled => u,
        _ => {
            state
                .metrics
                .logins_failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::info!("login failed");
            let p = LoginPage {
                page,
                username: f.username,
                next: f.next,
                failed: true,
            };
            return render(StatusCode::UNAUTHORIZED, &p);
        }
    };
    // The session starts now, or after the second factor (a pending login until then).
    second_factor::after_password(&state, &user, &safe_next(&f.next)).await
}

/// Start a session for `user` and add its cookies (and the user's language) to `res`.
pub(crate) async fn signed_in(
    state: &AppState,
    user: &User,
    mut res: Response,
) -> Result<Response, HttpError> {
    let token = session::start(state, user.id).await?;
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(state, session_cookie_name(state), &token, None, "Lax"),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(
            state,
            "wushe_lang",
            if user.lang == "en" { "en" } else { "zh" },
            Some(31_536_000),
            "Lax",
        ),
    );
    tracing::info!(user = %user.id, "login");
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    hash: Option<axum::Extension<SessionHash>>,
) -> Result<Response, HttpError> {
    if let Some(axum::Extension(h)) = hash {
        state.store.delete_session(&h.0).await?;
    }
    let mut res = see_other("/login");
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, session_cookie_name(&state), "", Some(0), "Lax"),
    );
    Ok(res)
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    #[serde(default)]
    back: String,
}

async fn set_lang(
    State(state): State<AppState>,
    actor: Option<CurrentActor>,
    Form(f): Form<LangForm>,
) -> Result<Response, HttpError> {
    let lang = if f.lang == "en" { "en" } else { "zh" };
    if let Some(CurrentActor(a)) = actor {
        state.store.set_user_lang(a.user_id, lang).await?;
    }
    let mut res = see_other(&safe_next(&f.back));
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, "wushe_lang", lang, Some(31_536_000), "Lax"),
    );
    Ok(res)
}

/// A grant as shown to people.
pub struct GrantLine {
    pub role: String,
    pub region: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Page,
    grants: Vec<GrantLine>,
}

async fn home(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    let mut grants = Vec::new();
    for g in &actor.grants {
        let region = state
            .store
            .region(&g.region)
            .await?
            .map(|r| r.display_name)
            .unwrap_or_else(|| g.region.0.clone());
        grants.push(GrantLine {
            role: page.t(g.role.zh(), g.role.en()).to_string(),
            region: format!("{region}（{}）", g.region),
        });
    }
    render(StatusCode::OK, &HomePage { page, grants })
}

/// The signed-in user.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeDto {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<GrantDto>,
}

/// One role over one region.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GrantDto {
    pub role: String,
    pub region: String,
    pub org: Option<String>,
}

/// Who am I, and what may I do where.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = MeDto), (status = 401)))]
pub async fn me(CurrentActor(a): CurrentActor) -> impl IntoResponse {
    Json(MeDto {
        id: a.user_id.to_string(),
        username: a.username,
        display_name: a.display_name,
        grants: a
            .grants
            .into_iter()
            .map(|g| GrantDto {
                role: g.role.as_str().into(),
                region: g.region.0,
                org: g.org.map(|o| o.to_string()),
            })
            .collect(),
    })
}
