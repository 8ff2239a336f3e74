//! Reading needs of the green channel. New needs are written by the intake's group commit
//! (`intake.rs`), changes by `need_work.rs`.

use async_trait::async_trait;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::UserId;
use wushe_core::ids::{NeedId, PersonId};
use wushe_core::needs::record::{IdempotencyClaim, Inserted, Need, SealedFields, Source};
use wushe_core::needs::state::State;
use wushe_core::needs::timeline::NeedEvent;
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::needs::triage::{Reason, SafetyAdvice};
use wushe_core::needs::{Category, Priority};
use wushe_core::regions::RegionCode;
use wushe_core::store::NeedStore;
use wushe_core::{Error, Result};

use crate::{SqlStore, at, fetch};

#[derive(sqlx::FromRow)]
pub(crate) struct NeedRow {
    id: Uuid,
    code: String,
    link_hash: String,
    category: String,
    priority: String,
    reasons: String,
    advice: String,
    state: String,
    escalation: i16,
    region_code: String,
    who_for: String,
    basis: String,
    notice_version: String,
    contact_name: Vec<u8>,
    mobile: Vec<u8>,
    address: Vec<u8>,
    description: Vec<u8>,
    subject: Vec<u8>,
    mobile_index: String,
    source: String,
    assignee_id: Option<Uuid>,
    acknowledged_at: Option<i64>,
    reviewed: bool,
    duplicate_of: Option<Uuid>,
    person_id: Option<Uuid>,
    sla_next_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

fn bad(what: &str) -> Error {
    Error::internal(format!("stored need has a bad {what}"))
}

impl TryFrom<NeedRow> for Need {
    type Error = Error;

    fn try_from(r: NeedRow) -> Result<Need> {
        let reasons: Vec<Reason> = serde_json::from_str(&r.reasons).map_err(|_| bad("reasons"))?;
        let advice: SafetyAdvice = serde_json::from_str(&r.advice).map_err(|_| bad("advice"))?;
        Ok(Need {
            id: NeedId(r.id),
            code: TrackingCode::parse(&r.code).map_err(|_| bad("code"))?,
            link_hash: r.link_hash,
            category: Category::parse(&r.category).ok_or_else(|| bad("category"))?,
            priority: Priority::parse(&r.priority).ok_or_else(|| bad("priority"))?,
            reasons,
            advice,
            state: State::parse(&r.state).ok_or_else(|| bad("state"))?,
            escalation: r.escalation,
            region: RegionCode(r.region_code),
            who_for: r.who_for,
            basis: r.basis,
            notice_version: r.notice_version,
            sealed: SealedFields {
                contact_name: r.contact_name,
                mobile: r.mobile,
                address: r.address,
                description: r.description,
                subject: r.subject,
                mobile_index: r.mobile_index,
            },
            source: Source::parse(&r.source).ok_or_else(|| bad("source"))?,
            assignee: r.assignee_id.map(UserId),
            acknowledged_at: r.acknowledged_at.map(at),
            reviewed: r.reviewed,
            duplicate_of: r.duplicate_of.map(NeedId),
            person: r.person_id.map(PersonId),
            sla_next_at: r.sla_next_at.map(at),
            created_at: at(r.created_at),
            updated_at: at(r.updated_at),
            version: r.version,
        })
    }
}

pub(crate) const COLS: &str = "id, code, link_hash, category, priority, reasons, advice, state, \
    escalation, region_code, who_for, basis, notice_version, contact_name, mobile, address, \
    description, subject, mobile_index, source, assignee_id, acknowledged_at, reviewed, \
    duplicate_of, person_id, sla_next_at, created_at, updated_at, version";

#[async_trait]
impl NeedStore for SqlStore {
    async fn insert_need(
        &self,
        n: &Need,
        created: &NeedEvent,
        claim: &IdempotencyClaim,
        audit: &AuditEvent,
    ) -> Result<Inserted> {
        self.intake.insert(n, created, claim, audit).await
    }

    async fn need(&self, id: NeedId) -> Result<Option<Need>> {
        let sql = format!("SELECT {COLS} FROM needs WHERE id = $1");
        let row: Option<NeedRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Need::try_from).transpose()
    }

    async fn need_by_code(&self, code: &TrackingCode) -> Result<Option<Need>> {
        let sql = format!("SELECT {COLS} FROM needs WHERE code = $1");
        let row: Option<NeedRow> = fetch!(optional, &self.db, sql, [code.as_str()])?;
        row.map(Need::try_from).transpose()
    }
}
