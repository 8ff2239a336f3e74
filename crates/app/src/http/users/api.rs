//! JSON API for staff accounts and grants.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use wushe_core::ids::{GrantId, UserId};
use wushe_core::users::service::{self, GrantForm, NewUserForm};
use wushe_core::users::{StoredGrant, User, account, password};

use crate::AppState;
use crate::http::auth::GrantDto;
use crate::http::error::HttpError;
use crate::http::session::{CurrentActor, hashing};

/// A staff account.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserDto {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub region: String,
    pub disabled: bool,
    pub grants: Vec<StoredGrantDto>,
}

/// A grant with its id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StoredGrantDto {
    pub id: String,
    #[serde(flatten)]
    pub grant: GrantDto,
}

pub(super) fn dto(u: User, grants: Vec<StoredGrant>) -> UserDto {
    UserDto {
        id: u.id.to_string(),
        username: u.username,
        display_name: u.display_name,
        region: u.region.0,
        disabled: u.disabled,
        grants: grants
            .into_iter()
            .map(|g| StoredGrantDto {
                id: g.id.to_string(),
                grant: GrantDto {
                    role: g.grant.role.as_str().into(),
                    region: g.grant.region.0,
                    org: g.grant.org.map(|o| o.to_string()),
                },
            })
            .collect(),
    }
}

/// A new staff account with its first role.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewUserDto {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// The account's home region; also the region of its first role.
    pub region: String,
    pub role: String,
    #[serde(default)]
    pub org: Option<String>,
}

/// One more role for a user.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct GrantInputDto {
    pub role: String,
    pub region: String,
    #[serde(default)]
    pub org: Option<String>,
}

pub(super) fn parse_user(raw: &str) -> Result<UserId, HttpError> {
    raw.parse()
        .map_err(|_| HttpError::Core(wushe_core::Error::NotFound))
}

pub(super) fn parse_grant(raw: &str) -> Result<GrantId, HttpError> {
    raw.parse()
        .map_err(|_| HttpError::Core(wushe_core::Error::NotFound))
}

/// Create an account from a checked form: the password is hashed off the async threads.
pub(super) async fn create_user(
    s: &AppState,
    a: &wushe_core::Actor,
    form: NewUserForm,
) -> wushe_core::Result<UserId> {
    let new = service::parse_new_user(Some(a), &form, &s.config.password_rules())?;
    let pw = form.password;
    let hash = hashing(s, move || password::hash(&pw))
        .await
        .map_err(|_| wushe_core::Error::internal("hashing failed"))??;
    service::create(s.store.as_ref(), Some(a), &new, &hash, s.clock.now()).await
}

/// Staff accounts in your scope.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = [UserDto]), (status = 403)))]
pub async fn list(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
) -> Result<Json<Vec<UserDto>>, HttpError> {
    let users = service::list(s.store.as_ref(), &a).await?;
    let mut out = Vec::with_capacity(users.len());
    for u in users {
        let grants = s.store.grants(u.id).await?;
        out.push(dto(u, grants));
    }
    Ok(Json(out))
}

/// One staff account (404 outside your scope).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserDto), (status = 404)))]
pub async fn get_one(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<UserDto>, HttpError> {
    let (u, g) = service::get(s.store.as_ref(), &a, parse_user(&id)?).await?;
    Ok(Json(dto(u, g)))
}

/// Create a staff account with a role you may grant.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserDto,
    responses((status = 201, body = UserDto), (status = 403), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Json(b): Json<NewUserDto>,
) -> Result<(StatusCode, Json<UserDto>), HttpError> {
    let form = NewUserForm {
        username: b.username,
        display_name: b.display_name,
        password: b.password,
        region: b.region,
        role: b.role,
        org: b.org.unwrap_or_default(),
    };
    let id = create_user(&s, &a, form).await?;
    let (u, g) = service::get(s.store.as_ref(), &a, id).await?;
    Ok((StatusCode::CREATED, Json(dto(u, g))))
}

/// Grant a role over a region (never to yourself, never beyond your own).
#[utoipa::path(post, path = "/api/v1/users/{id}/grants", tag = "users", params(("id" = String, Path)), request_body = GrantInputDto,
    responses((status = 201, body = UserDto), (status = 403), (status = 404), (status = 422)))]
pub async fn add_grant(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Json(b): Json<GrantInputDto>,
) -> Result<(StatusCode, Json<UserDto>), HttpError> {
    let user = parse_user(&id)?;
    let form = GrantForm {
        role: b.role,
        region: b.region,
        org: b.org.unwrap_or_default(),
    };
    service::add_grant(s.store.as_ref(), &a, user, &form, s.clock.now()).await?;
    let (u, g) = service::get(s.store.as_ref(), &a, user).await?;
    Ok((StatusCode::CREATED, Json(dto(u, g))))
}

/// Remove a grant.
#[utoipa::path(delete, path = "/api/v1/users/{id}/grants/{grant}", tag = "users",
    params(("id" = String, Path), ("grant" = String, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn revoke_grant(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path((id, grant)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    service::revoke_grant(
        s.store.as_ref(),
        &a,
        parse_user(&id)?,
        parse_grant(&grant)?,
        s.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable an account in your scope: it cannot log in any more and its sessions end at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserDto), (status = 403), (status = 404)))]
pub async fn disable(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<UserDto>, HttpError> {
    set_disabled(&s, &a, &id, true).await
}

/// Enable a disabled account in your scope again.
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserDto), (status = 403), (status = 404)))]
pub async fn enable(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<UserDto>, HttpError> {
    set_disabled(&s, &a, &id, false).await
}

async fn set_disabled(
    s: &AppState,
    a: &wushe_core::Actor,
    id: &str,
    disabled: bool,
) -> Result<Json<UserDto>, HttpError> {
    let user = parse_user(id)?;
    account::set_disabled(s.store.as_ref(), a, user, disabled, s.clock.now()).await?;
    tracing::info!(user = %user, by = %a.user_id, disabled, "account disabled or enabled");
    let (u, g) = service::get(s.store.as_ref(), a, user).await?;
    Ok(Json(dto(u, g)))
}

/// Lift the login locks of an account in your scope and resolve the alerts about it.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn unlock(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    let user = parse_user(&id)?;
    account::unlock_login(s.store.as_ref(), &a, user, s.clock.now()).await?;
    tracing::info!(user = %user, by = %a.user_id, "login lock lifted");
    Ok(StatusCode::NO_CONTENT)
}
