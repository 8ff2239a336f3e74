//! JSON API for places.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use wushe_core::regions::{Region, RegionCode, service};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::session::CurrentActor;

/// A place in the division tree.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlaceDto {
    pub code: String,
    /// Official name (Shanghai's city row stays 市辖区 here).
    pub name: String,
    /// The name to show (市辖区 shows as 上海市).
    pub display_name: String,
    pub parent: Option<String>,
    /// province, city, district, street, community, grid or building
    pub level: String,
}

impl From<Region> for PlaceDto {
    fn from(r: Region) -> Self {
        PlaceDto {
            code: r.code.0,
            name: r.name,
            display_name: r.display_name,
            parent: r.parent.map(|p| p.0),
            level: r.level.as_str().into(),
        }
    }
}

fn dtos(v: Vec<Region>) -> Json<Vec<PlaceDto>> {
    Json(v.into_iter().map(PlaceDto::from).collect())
}

pub(super) fn parse_code(raw: &str) -> Result<RegionCode, HttpError> {
    RegionCode::parse(raw).map_err(|_| HttpError::Core(wushe_core::Error::NotFound))
}

/// Top-level places.
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", responses((status = 200, body = [PlaceDto])))]
pub async fn roots(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
) -> Result<Json<Vec<PlaceDto>>, HttpError> {
    let (_, children) = service::browse(s.store.as_ref(), &a, None).await?;
    Ok(dtos(children))
}

/// One place.
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions", params(("code" = String, Path)),
    responses((status = 200, body = PlaceDto), (status = 404)))]
pub async fn place(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(code): Path<String>,
) -> Result<Json<PlaceDto>, HttpError> {
    let v = service::view(s.store.as_ref(), &a, &parse_code(&code)?).await?;
    Ok(Json(v.place.into()))
}

/// The places directly below one place.
#[utoipa::path(get, path = "/api/v1/regions/{code}/children", tag = "regions", params(("code" = String, Path)),
    responses((status = 200, body = [PlaceDto]), (status = 404)))]
pub async fn children(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(code): Path<String>,
) -> Result<Json<Vec<PlaceDto>>, HttpError> {
    let (_, children) = service::browse(s.store.as_ref(), &a, Some(&parse_code(&code)?)).await?;
    Ok(dtos(children))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Part of a place name, e.g. 五里桥
    pub q: String,
}

/// Find places by part of their name (at most 50, widest first).
#[utoipa::path(get, path = "/api/v1/regions/search", tag = "regions", params(SearchQuery),
    responses((status = 200, body = [PlaceDto]), (status = 422)))]
pub async fn search(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<PlaceDto>>, HttpError> {
    Ok(dtos(service::find(s.store.as_ref(), &a, &q.q).await?))
}

/// A grid or building to add.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewPlaceDto {
    /// `grid` or `building`
    pub level: String,
    pub name: String,
}

/// Add a grid below a community, or a building below a community or grid.
#[utoipa::path(post, path = "/api/v1/regions/{code}/children", tag = "regions", params(("code" = String, Path)),
    request_body = NewPlaceDto, responses((status = 201, body = PlaceDto), (status = 404), (status = 422)))]
pub async fn add_child(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(code): Path<String>,
    Json(b): Json<NewPlaceDto>,
) -> Result<(StatusCode, Json<PlaceDto>), HttpError> {
    let r = service::add_place(
        s.store.as_ref(),
        &a,
        &code,
        &b.level,
        &b.name,
        s.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}
