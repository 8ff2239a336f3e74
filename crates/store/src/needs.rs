//! SQL for needs of the green channel and the idempotency keys of their intake.
//!
//! Insert-first idempotency: inside one transaction (which starts with the audit head lock,
//! so concurrent intakes queue), the key row is inserted with `ON CONFLICT DO NOTHING`
//! *before* the need. If another request already claimed the key, nothing is inserted and
//! the transaction rolls back; the primary key on `idempotency.key` makes a second claim
//! impossible even if two transactions raced past the lock. The need id in the key row is a
//! deferred foreign key, checked at commit once the need exists.

use async_trait::async_trait;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::NeedId;
use wushe_core::ids::UserId;
use wushe_core::needs::record::{IdempotencyClaim, Inserted, Need, SealedFields, Source};
use wushe_core::needs::state::State;
use wushe_core::needs::timeline::NeedEvent;
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::needs::triage::{Reason, SafetyAdvice};
use wushe_core::needs::{Category, Priority};
use wushe_core::regions::RegionCode;
use wushe_core::store::NeedStore;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::live::{Announce, NeedSignal};
use crate::need_work::insert_event;
use crate::{SqlStore, at, db_err, ms, on_pool};

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
    duplicate_of, sla_next_at, created_at, updated_at, version";

const INSERT: &str =
    "INSERT INTO needs (id, code, link_hash, category, priority, reasons, advice, \
    state, escalation, region_code, who_for, basis, notice_version, contact_name, mobile, address, \
    description, subject, mobile_index, source, sla_next_at, created_at, updated_at, version)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
    $20, $21, $22, $23, $24)";

const CLAIM: &str = "INSERT INTO idempotency (key, body_hash, need_id, created_at)
    VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING";

const CLAIMED: &str = "SELECT body_hash, need_id FROM idempotency WHERE key = $1";

#[async_trait]
impl NeedStore for SqlStore {
    async fn insert_need(
        &self,
        n: &Need,
        created: &NeedEvent,
        claim: &IdempotencyClaim,
        audit: &AuditEvent,
    ) -> Result<Inserted> {
        let reasons = serde_json::to_string(&n.reasons).map_err(Error::internal)?;
        let advice = serde_json::to_string(&n.advice).map_err(Error::internal)?;
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let claimed = sqlx::query(CLAIM)
                .bind(&claim.key).bind(&claim.body_hash).bind(n.id.0).bind(ms(n.created_at))
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if claimed != 1 {
                let (body_hash, first): (String, Uuid) = sqlx::query_as(CLAIMED)
                    .bind(&claim.key).fetch_one(&mut *tx).await.map_err(db_err)?;
                // Nothing was written: the transaction rolls back on drop.
                return Ok(if body_hash == claim.body_hash {
                    Inserted::Replay(NeedId(first))
                } else {
                    Inserted::Mismatch
                });
            }
            let s = &n.sealed;
            sqlx::query(INSERT)
                .bind(n.id.0).bind(n.code.as_str()).bind(&n.link_hash)
                .bind(n.category.as_str()).bind(n.priority.as_str()).bind(&reasons).bind(&advice)
                .bind(n.state.as_str()).bind(n.escalation).bind(&n.region.0)
                .bind(&n.who_for).bind(&n.basis).bind(&n.notice_version)
                .bind(&s.contact_name).bind(&s.mobile).bind(&s.address).bind(&s.description)
                .bind(&s.subject).bind(&s.mobile_index)
                .bind(n.source.as_str()).bind(n.sla_next_at.map(ms))
                .bind(ms(n.created_at)).bind(ms(n.updated_at)).bind(n.version)
                .execute(&mut *tx).await.map_err(db_err)?;
            insert_event!(tx, created);
            append_entry!(tx, head, audit);
            let signal = NeedSignal { id: n.id, region: n.region.clone() };
            let announced = tx.announce(&signal).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            if !announced {
                self.live.send(signal);
            }
            Ok(Inserted::New)
        })
    }

    async fn need(&self, id: NeedId) -> Result<Option<Need>> {
        let sql = format!("SELECT {COLS} FROM needs WHERE id = $1");
        let row: Option<NeedRow> =
            on_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id.0).fetch_optional(p).await)
            .map_err(db_err)?;
        row.map(Need::try_from).transpose()
    }

    async fn need_by_code(&self, code: &TrackingCode) -> Result<Option<Need>> {
        let sql = format!("SELECT {COLS} FROM needs WHERE code = $1");
        let row: Option<NeedRow> =
            on_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(code.as_str()).fetch_optional(p).await)
            .map_err(db_err)?;
        row.map(Need::try_from).transpose()
    }
}
