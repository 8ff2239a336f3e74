//! Login, logout, the language switch, the home page and `/api/v1/me`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use wushe_core::users::login::AlertKind;
use wushe_core::users::{User, account, password, service as users};

use crate::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::form::{render, see_other};
use crate::http::login_defence::{Defence, Refused};
use crate::http::page::Page;
use crate::http::request_id::RequestId;
use crate::http::routes::Routes;
use crate::http::second_factor;
use crate::http::session::{self, CurrentActor, SessionHash, session_cookie_name, set_cookie};

pub fn router() -> Routes {
    Routes::new()
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
    /// Why the last attempt was refused, in the page's language (empty: it was not).
    error: String,
    /// Texts can be sent: volunteers may log in with a code (`/login/sms`).
    sms: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_page(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<NextQuery>,
) -> Result<Response, HttpError> {
    if page.actor.is_some() {
        return Ok(see_other(&safe_next(&q.next)));
    }
    render(
        StatusCode::OK,
        &LoginPage {
            page,
            username: String::new(),
            next: q.next,
            error: String::new(),
            sms: sms_login(&state),
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

/// Whether volunteers may log in with a text code here.
fn sms_login(state: &AppState) -> bool {
    state.config.notify.sms.mode != crate::notify::SmsMode::Off
}

/// Only local paths are followed after login (no open redirect).
pub(crate) fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".into()
    }
}

/// The login page again, saying why the attempt was refused: the same answer for known and
/// unknown names, and for right and wrong passwords while a lock holds.
fn refuse(state: &AppState, page: Page, f: LoginForm, why: Refused) -> Result<Response, HttpError> {
    let (zh, en) = why.message();
    let error = page.t(&zh, &en).to_string();
    let p = LoginPage {
        page,
        username: f.username,
        next: f.next,
        error,
        sms: sms_login(state),
    };
    match why {
        Refused::Throttled { retry_after } => {
            let mut res = render(StatusCode::TOO_MANY_REQUESTS, &p)?;
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.whole_seconds().into());
            Ok(res)
        }
        Refused::Login(_) => render(StatusCode::UNAUTHORIZED, &p),
    }
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: RequestId,
    page: Page,
    Form(f): Form<LoginForm>,
) -> Result<Response, HttpError> {
    let name = f.username.trim().to_lowercase();
    let defence = Defence::new(&state, &name, ip);
    if let Some(why) = defence.gate().await? {
        return refuse(&state, page, f, why);
    }
    let user = state.store.user_by_name(&name).await?;
    let stored = match &user {
        Some(u) if !u.disabled => state.store.password_hash(u.id).await?,
        _ => None,
    };
    // Unknown and disabled users are checked against a decoy hash: same answer, same cost.
    let hash = stored.unwrap_or_else(|| password::decoy_hash().to_string());
    let (given, old_hash) = (f.password.clone(), hash.clone());
    let (ok, upgraded) =
        session::hashing(&state, move || password::verify_and_upgrade(&given, &hash)).await?;
    let user = match (ok, user) {
        (true, Some(u)) if !u.disabled => u,
        (_, user) => {
            let now = state.clock.now();
            users::record_failed_login(
                state.store.as_ref(),
                user.as_ref(),
                Some(request.0.clone()),
                now,
            )
            .await?;
            state
                .metrics
                .logins_failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let why = defence
                .failed(user.as_ref().filter(|u| !u.disabled))
                .await?;
            tracing::info!("login failed");
            return refuse(&state, page, f, why);
        }
    };
    defence.succeeded(&user, &old_hash, upgraded).await?;
    let rules = state.config.password_rules();
    let to = if rules.is_expired(user.password_changed_at, state.clock.now()) {
        crate::http::account::PASSWORD_PATH.to_string()
    } else {
        safe_next(&f.next)
    };
    // The session starts now, or after the second factor (a pending login until then).
    second_factor::after_password(&state, &user, &to, Some(request.0)).await
}

/// Start a session for `user` (audited as a login) and add its cookies (and the user's
/// language) to `res`.
pub(crate) async fn signed_in(
    state: &AppState,
    user: &User,
    mut res: Response,
    request_id: Option<String>,
) -> Result<Response, HttpError> {
    let audit =
        users::login_event(state.store.as_ref(), user.id, request_id, state.clock.now()).await?;
    let token = session::start(state, user.id, &audit).await?;
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
    actor: Option<CurrentActor>,
) -> Result<Response, HttpError> {
    if let (Some(axum::Extension(h)), Some(CurrentActor(a))) = (hash, actor) {
        users::logout(state.store.as_ref(), &a, &h.0, state.clock.now()).await?;
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
        users::set_lang(state.store.as_ref(), &a, lang, state.clock.now()).await?;
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

/// An open alert as shown to administrators.
pub struct AlertLine {
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Page,
    grants: Vec<GrantLine>,
    alerts: Vec<AlertLine>,
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
    let alerts = account::alerts(state.store.as_ref(), &actor)
        .await?
        .into_iter()
        .filter_map(|a| {
            let (id, name) = a.user?;
            let text = match a.kind {
                AlertKind::LoginLocked => page.t(
                    "一小时内登录失败100次以上，账号已在所有地方锁定：",
                    "100 failed logins within an hour; locked everywhere: ",
                ),
            };
            Some(AlertLine {
                href: format!("/users/{id}"),
                text: format!("{text}{name}"),
            })
        })
        .collect();
    render(
        StatusCode::OK,
        &HomePage {
            page,
            grants,
            alerts,
        },
    )
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
