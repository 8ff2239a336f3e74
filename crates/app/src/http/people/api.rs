//! JSON API of the registry and welfare checks. People come masked; full values only
//! through the audited reveal on the person page or the audited export.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use wushe_core::ids::PersonId;
use wushe_core::people::checks::CheckForm;
use wushe_core::people::form::PersonForm;
use wushe_core::people::schedule::{DueGroup, PeopleFilter};
use wushe_core::people::service::{self, Duplicate, PersonRow, Saved};
use wushe_core::regions::RegionCode;

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::session::CurrentActor;

/// A registry person, masked (name 王*, phone 138****5678, ID 310***********1234).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonDto {
    pub id: String,
    /// The community code.
    pub region: String,
    /// A, B or C.
    pub care_level: String,
    /// active, closed or anonymised
    pub status: String,
    pub worker: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub address: String,
    /// Category codes (dibao, aged_80_plus, living_alone, …).
    pub categories: Vec<String>,
    pub child_under_14: bool,
    /// RFC 3339.
    pub next_due_at: String,
    pub days_overdue: i64,
    /// Send back on update; a stale version is refused with 409.
    pub version: i64,
}

impl From<PersonRow> for PersonDto {
    fn from(r: PersonRow) -> Self {
        PersonDto {
            id: r.id.to_string(),
            region: r.region.0,
            care_level: format!("{:?}", r.care_level),
            status: r.status.as_str().into(),
            worker: r.worker.map(|w| w.to_string()),
            name: r.masked.name,
            phone: r.masked.phone,
            id_number: r.masked.id_number,
            address: r.masked.address,
            categories: r
                .masked
                .categories
                .iter()
                .map(|c| c.as_str().into())
                .collect(),
            child_under_14: r.masked.child_under_14,
            next_due_at: r
                .next_due_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            days_overdue: r.days_overdue,
            version: r.version,
        }
    }
}

/// Fields to register or edit a person.
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct PersonInputDto {
    pub name: String,
    /// 18-character resident ID number (optional).
    pub id_number: String,
    pub phone: String,
    /// YYYY-MM-DD (taken from the ID number when given).
    pub birth_date: String,
    pub address: String,
    /// The community (12-digit code).
    pub region: String,
    pub categories: Vec<String>,
    /// A, B or C.
    pub care_level: String,
    /// The responsible worker's user id.
    pub worker: String,
    /// consent, statutory_duty or emergency
    pub basis: String,
    /// YYYY-MM-DD
    pub basis_date: String,
    pub notice_version: String,
    pub sensitive_consent: bool,
    pub guardian_consent: bool,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_relation: String,
    pub health_notes: String,
    /// Save even though another person has the same ID number or phone.
    pub allow_duplicate: bool,
    /// Required on update: the version you read.
    pub version: Option<i64>,
}

impl PersonInputDto {
    fn form(&self) -> PersonForm {
        PersonForm {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            phone: self.phone.clone(),
            birth_date: self.birth_date.clone(),
            address: self.address.clone(),
            region: self.region.clone(),
            categories: self.categories.clone(),
            care_level: self.care_level.clone(),
            worker: self.worker.clone(),
            basis: self.basis.clone(),
            basis_date: self.basis_date.clone(),
            notice_version: self.notice_version.clone(),
            sensitive_consent: self.sensitive_consent,
            guardian_consent: self.guardian_consent,
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            contact_relation: self.contact_relation.clone(),
            health_notes: self.health_notes.clone(),
        }
    }
}

/// Another person with the same ID number or phone (nothing was saved).
#[derive(Serialize, utoipa::ToSchema)]
pub struct DuplicateDto {
    pub id: String,
    pub name: String,
    pub region: String,
    /// id_number and/or phone
    pub matched: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DuplicatesDto {
    pub error: String,
    pub message: String,
    pub duplicates: Vec<DuplicateDto>,
}

fn duplicates_response(d: Vec<Duplicate>) -> Response {
    (
        StatusCode::CONFLICT,
        Json(DuplicatesDto {
            error: "possible_duplicate".into(),
            message: "已有相同身份证号或电话的服务对象，请核对；确认是不同的人后加 allow_duplicate 再提交 / Someone with this ID number or phone is registered: check, then send allow_duplicate to save anyway".into(),
            duplicates: d
                .into_iter()
                .map(|d| DuplicateDto {
                    id: d.id.to_string(),
                    name: d.masked_name,
                    region: d.region.0,
                    matched: d.matched.iter().map(|m| m.to_string()).collect(),
                })
                .collect(),
        }),
    )
        .into_response()
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct PeopleQuery {
    /// Only people in this region (code prefix).
    pub region: Option<String>,
    /// Exact search by a full ID number or phone (the page posts it instead, to keep the
    /// number out of URLs).
    pub find: Option<String>,
    /// Only people this worker (user id) follows.
    pub worker: Option<String>,
    /// Include closed records.
    pub closed: Option<bool>,
    pub offset: Option<u32>,
}

impl PeopleQuery {
    pub fn filter(&self) -> PeopleFilter {
        PeopleFilter {
            region: self
                .region
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .and_then(|r| RegionCode::parse(r.trim()).ok()),
            worker: self.worker.as_deref().and_then(|w| w.trim().parse().ok()),
            include_closed: self.closed.unwrap_or(false),
            limit: 50,
            offset: self.offset.unwrap_or(0).min(1_000_000),
        }
    }
}

pub(super) fn parse_id(raw: &str) -> Result<PersonId, HttpError> {
    raw.parse()
        .map_err(|_| HttpError::Core(wushe_core::Error::NotFound))
}

/// Registry people in your scope, masked, 50 at a time.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(PeopleQuery),
    responses((status = 200, body = [PersonDto]), (status = 403)))]
pub async fn list(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Query(q): Query<PeopleQuery>,
) -> Result<Json<Vec<PersonDto>>, HttpError> {
    let now = s.clock.now();
    let rows = match q.find.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(f) => service::find(s.store.as_ref(), &s.cipher, &a, f, now).await?,
        None => service::list(s.store.as_ref(), &s.cipher, &a, &q.filter(), now).await?,
    };
    Ok(Json(rows.into_iter().map(PersonDto::from).collect()))
}

/// One person, masked.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = String, Path)),
    responses((status = 200, body = PersonDto), (status = 404)))]
pub async fn get_one(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<PersonDto>, HttpError> {
    let v = service::view(
        s.store.as_ref(),
        &s.cipher,
        &a,
        parse_id(&id)?,
        s.clock.now(),
    )
    .await?;
    Ok(Json(v.row.into()))
}

/// Register a person in a community you work in. 409 with the matches when the ID number
/// or phone is already registered (send `allow_duplicate` to save anyway).
#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = PersonInputDto,
    responses((status = 201, body = PersonDto), (status = 403), (status = 409, body = DuplicatesDto), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Json(b): Json<PersonInputDto>,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    match service::create(
        s.store.as_ref(),
        &s.cipher,
        &a,
        &b.form(),
        b.allow_duplicate,
        now,
    )
    .await?
    {
        Saved::Saved(p) => {
            let v = service::view(s.store.as_ref(), &s.cipher, &a, p.id, now).await?;
            Ok((StatusCode::CREATED, Json(PersonDto::from(v.row))).into_response())
        }
        Saved::Duplicates(d) => Ok(duplicates_response(d)),
    }
}

/// Edit a person (every field; send the version you read).
#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "people", params(("id" = String, Path)), request_body = PersonInputDto,
    responses((status = 200, body = PersonDto), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Json(b): Json<PersonInputDto>,
) -> Result<Response, HttpError> {
    let id = parse_id(&id)?;
    let Some(version) = b.version else {
        return Err(
            wushe_core::Error::invalid("version", "缺少版本号", "version is required").into(),
        );
    };
    let now = s.clock.now();
    match service::update(
        s.store.as_ref(),
        &s.cipher,
        &a,
        id,
        &b.form(),
        version,
        b.allow_duplicate,
        &s.config.cadence(),
        now,
    )
    .await?
    {
        Saved::Saved(p) => {
            let v = service::view(s.store.as_ref(), &s.cipher, &a, p.id, now).await?;
            Ok(Json(PersonDto::from(v.row)).into_response())
        }
        Saved::Duplicates(d) => Ok(duplicates_response(d)),
    }
}

/// A welfare check to record.
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct CheckInputDto {
    /// phone, video or visit
    pub method: String,
    pub reached: bool,
    pub food_days_left: Option<u32>,
    pub medication_days_left: Option<u32>,
    /// stable, unwell or emergency (when reached)
    pub physical: String,
    /// calm, anxious, low or crisis (when reached)
    pub mental: String,
    /// PHQ-2 items, each 0–3 (optional)
    pub phq2: Option<[u8; 2]>,
    /// GAD-2 items, each 0–3 (optional)
    pub gad2: Option<[u8; 2]>,
    pub notes: String,
}

impl CheckInputDto {
    fn form(&self) -> CheckForm {
        let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        let i = |v: Option<[u8; 2]>, k: usize| v.map(|v| v[k].to_string()).unwrap_or_default();
        CheckForm {
            method: self.method.clone(),
            reached: if self.reached { "yes" } else { "no" }.into(),
            food_days_left: n(self.food_days_left),
            medication_days_left: n(self.medication_days_left),
            physical: self.physical.clone(),
            mental: self.mental.clone(),
            phq2_1: i(self.phq2, 0),
            phq2_2: i(self.phq2, 1),
            gad2_1: i(self.gad2, 0),
            gad2_2: i(self.gad2, 1),
            notes: self.notes.clone(),
        }
    }
}

/// A need the check should raise.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FindingDto {
    /// emergency_medical, psych, medication, supplies or door_visit
    pub category: String,
    pub crisis: bool,
    pub reason_zh: String,
    pub reason_en: String,
}

/// A recorded check and what it found.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckRecordedDto {
    pub check: String,
    pub person: String,
    pub region: String,
    pub reached: bool,
    pub misses_in_a_row: u32,
    /// not_due, raise or already_raised
    pub door_visit: String,
    pub findings: Vec<FindingDto>,
}

/// Record a welfare check of a person in your scope.
#[utoipa::path(post, path = "/api/v1/people/{id}/checks", tag = "people", params(("id" = String, Path)), request_body = CheckInputDto,
    responses((status = 201, body = CheckRecordedDto), (status = 404), (status = 409), (status = 422)))]
pub async fn record_check(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Json(b): Json<CheckInputDto>,
) -> Result<(StatusCode, Json<CheckRecordedDto>), HttpError> {
    let r = super::record_and_raise(&s, &a, parse_id(&id)?, &b.form()).await?;
    let door = match r.findings.door_visit {
        wushe_core::people::checks::DoorVisit::NotDue => "not_due",
        wushe_core::people::checks::DoorVisit::Raise => "raise",
        wushe_core::people::checks::DoorVisit::AlreadyRaised => "already_raised",
    };
    Ok((
        StatusCode::CREATED,
        Json(CheckRecordedDto {
            check: r.check.id.to_string(),
            person: r.check.person.to_string(),
            region: r.check.region.0.clone(),
            reached: r.check.reached,
            misses_in_a_row: r.findings.misses_in_a_row,
            door_visit: door.into(),
            findings: r
                .findings
                .needs
                .iter()
                .map(|f| FindingDto {
                    category: f.category.as_str().into(),
                    crisis: f.crisis,
                    reason_zh: f.reason.zh.clone(),
                    reason_en: f.reason.en.clone(),
                })
                .collect(),
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct DueQuery {
    /// Only the people you follow.
    pub mine: Option<bool>,
}

/// People due for a check by the end of today (China time) in your scope: most overdue
/// first, then care level A before B before C. Masked.
#[utoipa::path(get, path = "/api/v1/checks/due", tag = "people", params(DueQuery),
    responses((status = 200, body = [PersonDto]), (status = 403)))]
pub async fn due(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Query(q): Query<DueQuery>,
) -> Result<Json<Vec<PersonDto>>, HttpError> {
    let items = service::today_list(
        s.store.as_ref(),
        &s.cipher,
        &a,
        q.mine.unwrap_or(false),
        false,
        s.clock.now(),
    )
    .await?;
    Ok(Json(items.into_iter().map(|i| i.row.into()).collect()))
}

/// Due and overdue counts of one group.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DueCountDto {
    /// The worker's user id (empty: nobody assigned), community code or street code.
    pub key: String,
    pub active: i64,
    /// Due by the end of today (overdue included).
    pub due: i64,
    /// Due on an earlier day and not yet checked.
    pub overdue: i64,
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct CountsQuery {
    /// worker, community (default), street or district
    pub by: Option<String>,
}

/// Due and overdue counts per worker, community, street or district (figures only).
#[utoipa::path(get, path = "/api/v1/checks/counts", tag = "people", params(CountsQuery),
    responses((status = 200, body = [DueCountDto]), (status = 403)))]
pub async fn counts(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Query(q): Query<CountsQuery>,
) -> Result<Json<Vec<DueCountDto>>, HttpError> {
    let group =
        q.by.as_deref()
            .and_then(DueGroup::parse)
            .unwrap_or(DueGroup::Community);
    let v = service::counts(s.store.as_ref(), &a, group, s.clock.now()).await?;
    Ok(Json(
        v.into_iter()
            .map(|c| DueCountDto {
                key: c.key,
                active: c.active,
                due: c.due,
                overdue: c.overdue,
            })
            .collect(),
    ))
}
