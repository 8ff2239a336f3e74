//! JSON API of the audit viewer.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use wushe_core::audit::{AuditEntry, AuditQuery, service};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::session::CurrentActor;

/// Filters of the audit viewer. Times are UTC: `2026-04-03`, `2026-04-03T08:00` or RFC 3339.
#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct AuditParams {
    /// A user name or user id: entries by that user
    pub user: Option<String>,
    /// An action such as `login`, `org_created` or `denied`
    pub action: Option<String>,
    /// Entries naming this record id (a UUID or a place code)
    pub record: Option<String>,
    /// At or after this time
    pub from: Option<String>,
    /// Up to this time (a date includes the whole day)
    pub until: Option<String>,
    /// Only entries older than this `seq` (from `next_before` of the previous page)
    pub before: Option<i64>,
}

impl AuditParams {
    pub fn query(&self) -> AuditQuery {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        AuditQuery {
            user: s(&self.user),
            action: s(&self.action),
            record: s(&self.record),
            from: s(&self.from),
            until: s(&self.until),
            before: self.before.map(|b| b.to_string()).unwrap_or_default(),
        }
    }
}

/// One audit entry, as stored and hash-chained. Carries ids, never field values.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEntryDto {
    pub seq: i64,
    /// UTC, RFC 3339
    pub at: String,
    /// The acting user's id; absent for the command line and unauthenticated requests
    pub actor: Option<String>,
    pub roles: Vec<String>,
    /// The region the entry is filed under
    pub region: Option<String>,
    pub action: String,
    /// ok, failed, forbidden or not_found
    pub outcome: String,
    /// org, user, grant, place, route or audit
    pub record_kind: Option<String>,
    pub record_ids: Vec<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryDto {
    fn from(e: AuditEntry) -> Self {
        AuditEntryDto {
            seq: e.seq,
            at: e.at().format(&Rfc3339).unwrap_or_default(),
            roles: e.role_names().map(str::to_string).collect(),
            record_ids: e.ids().map(str::to_string).collect(),
            actor: e.actor,
            region: e.region,
            action: e.action,
            outcome: e.outcome,
            record_kind: e.record_kind,
            request_id: e.request_id,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// A page of entries, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPageDto {
    pub entries: Vec<AuditEntryDto>,
    /// Pass as `before` for the next, older page; absent on the last page
    pub next_before: Option<i64>,
}

/// Audit entries filed under regions where you may read the audit log (admins and civil
/// affairs). Each call is itself recorded as `audit_viewed`.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditPageDto), (status = 403), (status = 422)))]
pub async fn list(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditPageDto>, HttpError> {
    let page = service::list(s.store.as_ref(), &a, &p.query(), s.clock.now()).await?;
    Ok(Json(AuditPageDto {
        entries: page.entries.into_iter().map(AuditEntryDto::from).collect(),
        next_before: page.next_before,
    }))
}
