//! JSON API for organisations.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use wushe_core::ids::OrgId;
use wushe_core::orgs::{Org, OrgFilter, OrgForm, OrgKind, service};
use wushe_core::regions::RegionCode;

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::session::CurrentActor;

/// An organisation with its public contact details.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgDto {
    pub id: String,
    pub name: String,
    /// committee, social_org, station, volunteer_team, charity, provider or government
    pub kind: String,
    pub region: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    /// Send back on update; a stale version is refused with 409.
    pub version: i64,
}

impl From<Org> for OrgDto {
    fn from(o: Org) -> Self {
        OrgDto {
            id: o.id.to_string(),
            name: o.name,
            kind: o.kind.as_str().into(),
            region: o.region.0,
            phone: o.phone,
            address: o.address,
            description: o.description,
            version: o.version,
        }
    }
}

/// Fields to create or edit an organisation.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct OrgInputDto {
    pub name: String,
    pub kind: String,
    pub region: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Required on update: the version you read.
    #[serde(default)]
    pub version: Option<i64>,
}

impl OrgInputDto {
    fn form(&self) -> OrgForm {
        OrgForm {
            name: self.name.clone(),
            kind: self.kind.clone(),
            region: self.region.clone(),
            phone: self.phone.clone().unwrap_or_default(),
            address: self.address.clone().unwrap_or_default(),
            description: self.description.clone().unwrap_or_default(),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct OrgQuery {
    /// Kind of organisation
    pub kind: Option<String>,
    /// Only organisations inside this region code
    pub region: Option<String>,
    /// Name contains
    pub q: Option<String>,
}

impl OrgQuery {
    pub fn filter(&self) -> OrgFilter {
        OrgFilter {
            kind: self.kind.as_deref().and_then(OrgKind::parse),
            region: self
                .region
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .and_then(|r| RegionCode::parse(r).ok()),
            query: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(|q| q.chars().take(50).collect()),
            limit: 200,
        }
    }
}

pub(super) fn parse_id(raw: &str) -> Result<OrgId, HttpError> {
    raw.parse()
        .map_err(|_| HttpError::Core(wushe_core::Error::NotFound))
}

/// The directory: every organisation, readable by all staff.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(OrgQuery), responses((status = 200, body = [OrgDto])))]
pub async fn list(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Vec<OrgDto>>, HttpError> {
    let orgs = service::list(s.store.as_ref(), &a, q.filter()).await?;
    Ok(Json(orgs.into_iter().map(OrgDto::from).collect()))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)),
    responses((status = 200, body = OrgDto), (status = 404)))]
pub async fn get_one(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<OrgDto>, HttpError> {
    Ok(Json(
        service::get(s.store.as_ref(), &a, parse_id(&id)?)
            .await?
            .into(),
    ))
}

/// Register an organisation in a region you manage.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = OrgInputDto,
    responses((status = 201, body = OrgDto), (status = 403), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Json(b): Json<OrgInputDto>,
) -> Result<(StatusCode, Json<OrgDto>), HttpError> {
    let org = service::create(s.store.as_ref(), &a, &b.form(), s.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// Edit an organisation in a region you manage.
#[utoipa::path(put, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)), request_body = OrgInputDto,
    responses((status = 200, body = OrgDto), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Json(b): Json<OrgInputDto>,
) -> Result<Json<OrgDto>, HttpError> {
    let Some(version) = b.version else {
        return Err(
            wushe_core::Error::invalid("version", "缺少版本号", "version is required").into(),
        );
    };
    let org = service::update(
        s.store.as_ref(),
        &a,
        parse_id(&id)?,
        &b.form(),
        version,
        s.clock.now(),
    )
    .await?;
    Ok(Json(org.into()))
}
