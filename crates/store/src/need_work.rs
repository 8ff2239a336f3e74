//! SQL for work on needs: one change per transaction (version check first, then the timeline
//! events, referral, task, escalation steps and notifications), the timeline and the lists
//! behind the staff queue, the SLA sweep and notifications.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::actor::Role;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{NeedEventId, NeedId, NotificationId, OrgId, ReferralId, TaskId, UserId};
use wushe_core::needs::queue::NeedQuery;
use wushe_core::needs::record::Need;
use wushe_core::needs::timeline::{
    EventData, EventKind, NeedChange, NeedEvent, Notification, Referral, ReferralState, Task,
    TaskKind,
};
use wushe_core::regions::RegionCode;
use wushe_core::store::NeedWorkStore;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::live::{Announce, NeedSignal};
use crate::needs::{COLS, NeedRow};
use crate::{SqlStore, at, db_err, ms, on_pool};

pub(crate) const INSERT_EVENTS: &str =
    "INSERT INTO need_events (id, need_id, at, kind, actor_id, data, note) ";

/// Insert timeline events (`&[&NeedEvent]`) in the open transaction `$tx`, and queue the
/// notifications they cause in the same transaction (see outbox/queue.rs): two reads (the events'
/// needs, unless `$needs` has them in hand as `outbox::to_tell` gives them, and the webhooks)
/// and the two inserts, joined on SQLite (see statements.rs).
macro_rules! insert_events {
    ($tx:ident, $events:expr) => {{
        let events: &[&wushe_core::needs::timeline::NeedEvent] = $events;
        let needs = $crate::outbox::needs_to_tell!($tx, events);
        $crate::need_work::insert_events!($tx, events, &needs);
    }};
    ($tx:ident, $events:expr, $needs:expr) => {{
        let events: &[&wushe_core::needs::timeline::NeedEvent] = $events;
        if !events.is_empty() {
            let hooks = $crate::outbox::hooks_for!($tx, events);
            let mut q = sqlx::QueryBuilder::new("");
            $crate::need_work::push_events!($tx, q, events);
            $crate::outbox::push_outbox!($tx, q, $crate::outbox::queued(events, $needs, &hooks));
            $crate::statements::run_statements!($tx, q);
        }
    }};
}
pub(crate) use insert_events;

/// Push the insert of timeline events `$events` (`&[&NeedEvent]`, not empty) into `$q` as one
/// statement (see statements.rs; `$tx` is the open transaction).
macro_rules! push_events {
    ($tx:ident, $q:ident, $events:expr) => {{
        let events: &[&wushe_core::needs::timeline::NeedEvent] = $events;
        let data = events
            .iter()
            .map(|e| serde_json::to_string(&e.data))
            .collect::<Result<Vec<_>, _>>()
            .map_err(wushe_core::Error::internal)?;
        $crate::statements::next_statement!($tx, $q);
        $q.push($crate::need_work::INSERT_EVENTS);
        $q.push_values(events.iter().zip(data), |mut b, (e, data)| {
            b.push_bind(e.id.0)
                .push_bind(e.need.0)
                .push_bind($crate::ms(e.at))
                .push_bind(e.kind.as_str())
                .push_bind(e.actor.map(|a| a.0))
                .push_bind(data)
                .push_bind(e.note.as_deref());
        });
    }};
}
pub(crate) use push_events;

const UPDATE_NEED: &str = "UPDATE needs SET priority = $1, reasons = $2, advice = $3, state = $4,
    escalation = $5, assignee_id = $6, acknowledged_at = $7, reviewed = $8, duplicate_of = $9,
    sla_next_at = $10, updated_at = $11, version = $12
    WHERE id = $13 AND version = $14";

const UPSERT_REFERRAL: &str =
    "INSERT INTO need_referrals (id, need_id, org_id, state, created_at, decided_at)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, decided_at = excluded.decided_at";

const UPSERT_TASK: &str =
    "INSERT INTO need_tasks (id, need_id, kind, assignee_id, created_at, done_at)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (id) DO UPDATE SET assignee_id = excluded.assignee_id, done_at = excluded.done_at";

const INSERT_ESCALATION: &str =
    "INSERT INTO need_escalations (need_id, level, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

const INSERT_NOTIFICATION: &str =
    "INSERT INTO notifications (id, user_id, need_id, kind, level, at, read_at)
    VALUES ($1, $2, $3, $4, $5, $6, NULL)";

fn bad(what: &str) -> Error {
    Error::internal(format!("stored need record has a bad {what}"))
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    need_id: Uuid,
    at: i64,
    kind: String,
    actor_id: Option<Uuid>,
    data: String,
    note: Option<Vec<u8>>,
}

impl TryFrom<EventRow> for NeedEvent {
    type Error = Error;
    fn try_from(r: EventRow) -> Result<NeedEvent> {
        let data: EventData = serde_json::from_str(&r.data).map_err(|_| bad("event data"))?;
        Ok(NeedEvent {
            id: NeedEventId(r.id),
            need: NeedId(r.need_id),
            at: at(r.at),
            kind: EventKind::parse(&r.kind).ok_or_else(|| bad("event kind"))?,
            actor: r.actor_id.map(UserId),
            data,
            note: r.note,
        })
    }
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: Uuid,
    user_id: Uuid,
    need_id: Option<Uuid>,
    kind: String,
    level: Option<i16>,
    at: i64,
    read_at: Option<i64>,
}

fn changed_meanwhile() -> Error {
    wushe_core::needs::work::changed_meanwhile()
}

#[async_trait]
impl NeedWorkStore for SqlStore {
    async fn apply_need_change(&self, c: &NeedChange, audit: &AuditEvent) -> Result<()> {
        let n: &Need = &c.need;
        let reasons = serde_json::to_string(&n.reasons).map_err(Error::internal)?;
        let advice = serde_json::to_string(&n.advice).map_err(Error::internal)?;
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let updated = sqlx::query(UPDATE_NEED)
                .bind(n.priority.as_str()).bind(&reasons).bind(&advice).bind(n.state.as_str())
                .bind(n.escalation).bind(n.assignee.map(|u| u.0))
                .bind(n.acknowledged_at.map(ms)).bind(n.reviewed)
                .bind(n.duplicate_of.map(|d| d.0)).bind(n.sla_next_at.map(ms))
                .bind(ms(n.updated_at)).bind(n.version)
                .bind(n.id.0).bind(c.expected_version)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if updated != 1 {
                return Err(changed_meanwhile());
            }
            let events: Vec<&NeedEvent> = c.events.iter().collect();
            let told = [crate::outbox::to_tell(n)];
            insert_events!(tx, &events, &told);
            if let Some(r) = &c.referral {
                sqlx::query(UPSERT_REFERRAL)
                    .bind(r.id.0).bind(r.need.0).bind(r.org.0).bind(r.state.as_str())
                    .bind(ms(r.created_at)).bind(r.decided_at.map(ms))
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            if let Some(t) = &c.task {
                sqlx::query(UPSERT_TASK)
                    .bind(t.id.0).bind(t.need.0).bind(t.kind.as_str()).bind(t.assignee.map(|a| a.0))
                    .bind(ms(t.created_at)).bind(t.done_at.map(ms))
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            for level in &c.escalations {
                let inserted = sqlx::query(INSERT_ESCALATION)
                    .bind(n.id.0).bind(i16::from(*level)).bind(ms(n.updated_at))
                    .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                if inserted != 1 {
                    // This level was recorded before: notify nobody twice.
                    return Err(changed_meanwhile());
                }
            }
            for x in &c.notifications {
                sqlx::query(INSERT_NOTIFICATION)
                    .bind(x.id.0).bind(x.user.0).bind(x.need.map(|n| n.0)).bind(x.kind.as_str())
                    .bind(x.level.map(i16::from)).bind(ms(x.at))
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            append_entry!(tx, head, audit);
            let signal = NeedSignal { id: n.id, region: n.region.clone() };
            let announced = tx.announce(std::slice::from_ref(&signal)).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            if !announced {
                self.live.send(signal);
            }
            Ok::<(), Error>(())
        })
    }

    async fn need_events(&self, id: NeedId) -> Result<Vec<NeedEvent>> {
        let rows: Vec<EventRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, need_id, at, kind, actor_id, data, note FROM need_events
             WHERE need_id = $1 ORDER BY at, id")
            .bind(id.0).fetch_all(p).await)
        .map_err(db_err)?;
        rows.into_iter().map(NeedEvent::try_from).collect()
    }

    async fn need_referrals(&self, id: NeedId) -> Result<Vec<Referral>> {
        let rows: Vec<(Uuid, Uuid, String, i64, Option<i64>)> =
            on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, org_id, state, created_at, decided_at FROM need_referrals
             WHERE need_id = $1 ORDER BY created_at, id")
            .bind(id.0).fetch_all(p).await)
            .map_err(db_err)?;
        rows.into_iter()
            .map(|(rid, org, state, created, decided)| {
                Ok(Referral {
                    id: ReferralId(rid),
                    need: id,
                    org: OrgId(org),
                    state: ReferralState::parse(&state).ok_or_else(|| bad("referral state"))?,
                    created_at: at(created),
                    decided_at: decided.map(at),
                })
            })
            .collect()
    }

    async fn need_tasks(&self, id: NeedId) -> Result<Vec<Task>> {
        let rows: Vec<(Uuid, String, Option<Uuid>, i64, Option<i64>)> =
            on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, kind, assignee_id, created_at, done_at FROM need_tasks
             WHERE need_id = $1 ORDER BY created_at, id")
            .bind(id.0).fetch_all(p).await)
            .map_err(db_err)?;
        rows.into_iter()
            .map(|(tid, kind, assignee, created, done)| {
                Ok(Task {
                    id: TaskId(tid),
                    need: id,
                    kind: TaskKind::parse(&kind).ok_or_else(|| bad("task kind"))?,
                    assignee: assignee.map(UserId),
                    done: done.is_some(),
                    created_at: at(created),
                    done_at: done.map(at),
                })
            })
            .collect()
    }

    async fn list_needs(&self, q: &NeedQuery) -> Result<Vec<Need>> {
        if q.states.is_empty() || (q.scope.is_empty() && q.orgs.is_empty()) {
            return Ok(Vec::new());
        }
        // Placeholders are numbered in the order the values are bound below.
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let states: Vec<String> = q.states.iter().map(|_| next()).collect();
        let mut seen: Vec<String> = q
            .scope
            .iter()
            .map(|_| format!("region_code LIKE {}", next()))
            .collect();
        if !q.orgs.is_empty() {
            let orgs: Vec<String> = q.orgs.iter().map(|_| next()).collect();
            seen.push(format!(
                "id IN (SELECT need_id FROM need_referrals WHERE state IN ('pending', 'accepted') AND org_id IN ({}))",
                orgs.join(", ")
            ));
        }
        let mut sql = format!(
            "SELECT {COLS} FROM needs WHERE state IN ({}) AND ({})",
            states.join(", "),
            seen.join(" OR ")
        );
        if q.category.is_some() {
            sql += &format!(" AND category = {}", next());
        }
        if q.priority.is_some() {
            sql += &format!(" AND priority = {}", next());
        }
        if q.assignee.is_some() {
            sql += &format!(" AND assignee_id = {}", next());
        }
        if q.escalated {
            sql += " AND escalation > 0";
        }
        if q.unassigned {
            sql += " AND assignee_id IS NULL";
        }
        sql += &format!(" ORDER BY created_at DESC LIMIT {}", next());
        let rows: Vec<NeedRow> = on_pool!(&self.db, p => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for s in &q.states {
                query = query.bind(s.as_str());
            }
            for r in &q.scope {
                query = query.bind(format!("{}%", r.as_str()));
            }
            for o in &q.orgs {
                query = query.bind(o.0);
            }
            if let Some(c) = q.category {
                query = query.bind(c.as_str());
            }
            if let Some(pr) = q.priority {
                query = query.bind(pr.as_str());
            }
            if let Some(a) = q.assignee {
                query = query.bind(a.0);
            }
            query.bind(i64::from(q.limit)).fetch_all(p).await
        })
        .map_err(db_err)?;
        rows.into_iter().map(Need::try_from).collect()
    }

    async fn needs_due_for_sla(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<NeedId>> {
        let rows: Vec<(Uuid,)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id FROM needs WHERE sla_next_at IS NOT NULL AND sla_next_at <= $1
             ORDER BY sla_next_at LIMIT $2")
            .bind(ms(now)).bind(i64::from(limit)).fetch_all(p).await)
        .map_err(db_err)?;
        Ok(rows.into_iter().map(|(id,)| NeedId(id)).collect())
    }

    async fn notifications(&self, user: UserId, limit: u32) -> Result<Vec<Notification>> {
        let rows: Vec<NotificationRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, user_id, need_id, kind, level, at, read_at FROM notifications
             WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
            .bind(user.0).bind(i64::from(limit)).fetch_all(p).await)
        .map_err(db_err)?;
        rows.into_iter()
            .map(|r| {
                Ok(Notification {
                    id: NotificationId(r.id),
                    user: UserId(r.user_id),
                    need: r.need_id.map(NeedId),
                    kind: EventKind::parse(&r.kind).ok_or_else(|| bad("notification kind"))?,
                    level: r.level.and_then(|l| u8::try_from(l).ok()),
                    at: at(r.at),
                    read: r.read_at.is_some(),
                })
            })
            .collect()
    }

    async fn unread_notifications(&self, user: UserId) -> Result<i64> {
        let (n,): (i64,) = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user.0).fetch_one(p).await)
        .map_err(db_err)?;
        Ok(n)
    }

    async fn mark_notifications_read(&self, user: UserId, now: OffsetDateTime) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(ms(now)).bind(user.0).execute(p).await.map(|_| ()))
        .map_err(db_err)
    }

    async fn grant_holders(
        &self,
        role: Role,
        region: &RegionCode,
    ) -> Result<Vec<(UserId, RegionCode)>> {
        let rows: Vec<(Uuid, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT g.user_id, g.region_code FROM grants g JOIN users u ON u.id = g.user_id
             WHERE g.role = $1 AND u.disabled = FALSE
               AND substr($2, 1, length(g.region_code)) = g.region_code
             ORDER BY g.user_id")
            .bind(role.as_str()).bind(region.as_str()).fetch_all(p).await)
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(u, r)| (UserId(u), RegionCode(r)))
            .collect())
    }
}
