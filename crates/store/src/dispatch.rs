//! SQL for volunteer tasks and their offers (migration 0012): one dispatch step per
//! transaction (task version check, the answered offer still open, the new offer, the need
//! task, timeline events, notifications, audit entry, then the need's live signal), the
//! lists behind the volunteer's phone view and the need page, the candidates the engine
//! ranks, organisations' dispatch mode, task minutes and cancelling one's own booking.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::dispatch::record::{
    Candidate, DispatchChange, Mode, Offer, OfferState, TaskMinutes, TaskState, VolunteerTask,
};
use wushe_core::ids::{BookingId, NeedId, OfferId, OrgId, TaskId, UserId};
use wushe_core::needs::timeline::TaskKind;
use wushe_core::regions::RegionCode;
use wushe_core::store::DispatchStore;
use wushe_core::volunteers::skills_from_str;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::live::{Announce, NeedSignal};
use crate::need_work::insert_events;
use crate::{SqlStore, at, db_err, fetch, ms, on_pool, scope_clause};

/// The tasks whose minutes count as service: completed ones (their minutes were fixed on
/// completion by `offers::task_minutes`). One condition for the record and the export.
const DONE_TASKS: &str = "t.state = 'done'";

const TASK_COLS: &str = "id, need_id, region_code, kind, mode, state, volunteer_id, created_by,
    created_at, accepted_at, done_at, minutes, version";

const OFFER_COLS: &str = "id, task_id, volunteer_id, state, offered_at, expires_at, answered_at";

fn bad(what: &str) -> Error {
    Error::internal(format!("stored volunteer task has a bad {what}"))
}

fn lost_race() -> Error {
    Error::Conflict(
        "这个任务刚有变化（被接走、已过期或已被处理），请看最新情况 / This task changed meanwhile (taken, run out or answered); see the latest state".into(),
    )
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    need_id: Uuid,
    region_code: String,
    kind: String,
    mode: String,
    state: String,
    volunteer_id: Option<Uuid>,
    created_by: Uuid,
    created_at: i64,
    accepted_at: Option<i64>,
    done_at: Option<i64>,
    minutes: i64,
    version: i64,
}

impl TryFrom<TaskRow> for VolunteerTask {
    type Error = Error;
    fn try_from(r: TaskRow) -> Result<VolunteerTask> {
        Ok(VolunteerTask {
            id: TaskId(r.id),
            need: NeedId(r.need_id),
            region: RegionCode(r.region_code),
            kind: TaskKind::parse(&r.kind).ok_or_else(|| bad("kind"))?,
            mode: Mode::parse(&r.mode).ok_or_else(|| bad("mode"))?,
            state: TaskState::parse(&r.state).ok_or_else(|| bad("state"))?,
            volunteer: r.volunteer_id.map(UserId),
            created_by: UserId(r.created_by),
            created_at: at(r.created_at),
            accepted_at: r.accepted_at.map(at),
            done_at: r.done_at.map(at),
            minutes: r.minutes,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OfferRow {
    id: Uuid,
    task_id: Uuid,
    volunteer_id: Uuid,
    state: String,
    offered_at: i64,
    expires_at: i64,
    answered_at: Option<i64>,
}

impl TryFrom<OfferRow> for Offer {
    type Error = Error;
    fn try_from(r: OfferRow) -> Result<Offer> {
        Ok(Offer {
            id: OfferId(r.id),
            task: TaskId(r.task_id),
            volunteer: UserId(r.volunteer_id),
            state: OfferState::parse(&r.state).ok_or_else(|| bad("offer state"))?,
            offered_at: at(r.offered_at),
            expires_at: at(r.expires_at),
            answered_at: r.answered_at.map(at),
        })
    }
}

fn tasks(rows: Vec<TaskRow>) -> Result<Vec<VolunteerTask>> {
    rows.into_iter().map(VolunteerTask::try_from).collect()
}

fn offers(rows: Vec<OfferRow>) -> Result<Vec<Offer>> {
    rows.into_iter().map(Offer::try_from).collect()
}

#[async_trait]
impl DispatchStore for SqlStore {
    async fn apply_dispatch(&self, c: &DispatchChange, audit: &AuditEvent) -> Result<()> {
        let t = &c.task;
        let nt = &c.need_task;
        let region = self.need_region(t.need).await?.ok_or(Error::NotFound)?;
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            match c.expected_version {
                None => {
                    sqlx::query(
                        "INSERT INTO need_tasks (id, need_id, kind, assignee_id, created_at, done_at)
                         VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(nt.id.0).bind(nt.need.0).bind(nt.kind.as_str())
                        .bind(nt.assignee.map(|a| a.0)).bind(ms(nt.created_at))
                        .bind(nt.done_at.map(ms))
                        .execute(&mut *tx).await.map_err(db_err)?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO volunteer_tasks ({TASK_COLS})
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")))
                        .bind(t.id.0).bind(t.need.0).bind(t.region.as_str()).bind(t.kind.as_str())
                        .bind(t.mode.as_str()).bind(t.state.as_str()).bind(t.volunteer.map(|v| v.0))
                        .bind(t.created_by.0).bind(ms(t.created_at)).bind(t.accepted_at.map(ms))
                        .bind(t.done_at.map(ms)).bind(t.minutes).bind(t.version)
                        .execute(&mut *tx).await.map_err(db_err)?;
                }
                Some(expected) => {
                    let n = sqlx::query(
                        "UPDATE volunteer_tasks SET state = $1, volunteer_id = $2, accepted_at = $3,
                         done_at = $4, minutes = $5, version = $6 WHERE id = $7 AND version = $8")
                        .bind(t.state.as_str()).bind(t.volunteer.map(|v| v.0))
                        .bind(t.accepted_at.map(ms)).bind(t.done_at.map(ms)).bind(t.minutes)
                        .bind(t.version).bind(t.id.0).bind(expected)
                        .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                    if n != 1 {
                        return Err(lost_race());
                    }
                    sqlx::query("UPDATE need_tasks SET assignee_id = $1, done_at = $2 WHERE id = $3")
                        .bind(nt.assignee.map(|a| a.0)).bind(nt.done_at.map(ms)).bind(nt.id.0)
                        .execute(&mut *tx).await.map_err(db_err)?;
                }
            }
            if let Some(a) = &c.answer {
                let n = sqlx::query(
                    "UPDATE task_offers SET state = $1, answered_at = $2
                     WHERE id = $3 AND state = 'open' AND ($4 IS NULL OR expires_at > $4)")
                    .bind(a.to.as_str()).bind(ms(a.at)).bind(a.offer.0)
                    .bind(a.unexpired_at.map(ms))
                    .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                if n != 1 {
                    return Err(lost_race());
                }
            }
            if let Some(o) = &c.offer {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO task_offers ({OFFER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)")))
                    .bind(o.id.0).bind(o.task.0).bind(o.volunteer.0).bind(o.state.as_str())
                    .bind(ms(o.offered_at)).bind(ms(o.expires_at)).bind(o.answered_at.map(ms))
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            let events: Vec<&wushe_core::needs::timeline::NeedEvent> = c.events.iter().collect();
            insert_events!(tx, &events);
            for x in &c.notifications {
                sqlx::query(
                    "INSERT INTO notifications (id, user_id, need_id, kind, level, at, read_at)
                     VALUES ($1, $2, $3, $4, $5, $6, NULL)")
                    .bind(x.id.0).bind(x.user.0).bind(x.need.map(|n| n.0)).bind(x.kind.as_str())
                    .bind(x.level.map(i16::from)).bind(ms(x.at))
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            if let Some(at) = c.acknowledge_need {
                sqlx::query(
                    "UPDATE needs SET acknowledged_at = $1, updated_at = $1, version = version + 1
                     WHERE id = $2 AND acknowledged_at IS NULL")
                    .bind(ms(at)).bind(t.need.0)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            append_entry!(tx, head, audit);
            let signal = NeedSignal { id: t.need, region: region.clone() };
            let announced = tx.announce(std::slice::from_ref(&signal)).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            if !announced {
                self.live.send(signal);
            }
            Ok::<(), Error>(())
        })
    }

    async fn volunteer_task(&self, id: TaskId) -> Result<Option<VolunteerTask>> {
        let sql = format!("SELECT {TASK_COLS} FROM volunteer_tasks WHERE id = $1");
        let row: Option<TaskRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(VolunteerTask::try_from).transpose()
    }

    async fn volunteer_tasks_of_need(&self, need: NeedId) -> Result<Vec<VolunteerTask>> {
        let sql = format!(
            "SELECT {TASK_COLS} FROM volunteer_tasks WHERE need_id = $1 ORDER BY created_at, id"
        );
        let rows: Vec<TaskRow> = fetch!(all, &self.db, sql, [need.0])?;
        tasks(rows)
    }

    async fn offer(&self, id: OfferId) -> Result<Option<Offer>> {
        let sql = format!("SELECT {OFFER_COLS} FROM task_offers WHERE id = $1");
        let row: Option<OfferRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Offer::try_from).transpose()
    }

    async fn offers_of_task(&self, task: TaskId) -> Result<Vec<Offer>> {
        let sql = format!(
            "SELECT {OFFER_COLS} FROM task_offers WHERE task_id = $1 ORDER BY offered_at, id"
        );
        let rows: Vec<OfferRow> = fetch!(all, &self.db, sql, [task.0])?;
        offers(rows)
    }

    async fn offers_of_volunteer(&self, user: UserId) -> Result<Vec<Offer>> {
        let sql = format!(
            "SELECT {OFFER_COLS} FROM task_offers WHERE volunteer_id = $1 AND state = 'open'
             ORDER BY expires_at, id"
        );
        let rows: Vec<OfferRow> = fetch!(all, &self.db, sql, [user.0])?;
        offers(rows)
    }

    async fn tasks_of_volunteer(&self, user: UserId) -> Result<Vec<VolunteerTask>> {
        let sql = format!(
            "SELECT {TASK_COLS} FROM volunteer_tasks WHERE volunteer_id = $1
             AND state IN ('accepted', 'done') ORDER BY created_at DESC, id LIMIT 200"
        );
        let rows: Vec<TaskRow> = fetch!(all, &self.db, sql, [user.0])?;
        tasks(rows)
    }

    async fn pool_tasks(&self, scope: &[RegionCode]) -> Result<Vec<VolunteerTask>> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {TASK_COLS} FROM volunteer_tasks WHERE state = 'pool' AND {}
             ORDER BY created_at, id LIMIT 100",
            scope_clause("region_code", scope.len(), 1)
        );
        let rows: Vec<TaskRow> = fetch!(all, &self.db, sql, [], in scope)?;
        tasks(rows)
    }

    async fn expired_offers(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<OfferId>> {
        let rows: Vec<(Uuid,)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id FROM task_offers WHERE state = 'open' AND expires_at <= $1
             ORDER BY expires_at, id LIMIT $2")
            .bind(ms(now)).bind(i64::from(limit)).fetch_all(p).await)
        .map_err(db_err)?;
        Ok(rows.into_iter().map(|(id,)| OfferId(id)).collect())
    }

    async fn dispatch_candidates(&self, region: &RegionCode) -> Result<Vec<Candidate>> {
        let rows: Vec<(Uuid, String, String, String, i64)> =
            on_pool!(&self.db, p => sqlx::query_as(
            "SELECT v.user_id, v.skills, v.availability, v.home_community,
                (SELECT COUNT(*) FROM volunteer_tasks t
                  WHERE t.volunteer_id = v.user_id AND t.state = 'accepted')
              + (SELECT COUNT(*) FROM task_offers o
                  WHERE o.volunteer_id = v.user_id AND o.state = 'open') AS load
             FROM volunteer_profiles v JOIN users u ON u.id = v.user_id
             WHERE u.disabled = $1 AND substr($2, 1, length(v.region_code)) = v.region_code
             ORDER BY v.user_id LIMIT 5000")
            .bind(false).bind(region.as_str()).fetch_all(p).await)
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(user, skills, availability, home, load)| Candidate {
                user: UserId(user),
                skills: skills_from_str(&skills),
                availability,
                home: RegionCode(home),
                load: u8::try_from(load).unwrap_or(u8::MAX),
            })
            .collect())
    }

    async fn dispatch_mode(&self, region: &RegionCode) -> Result<Option<Mode>> {
        let row: Option<(String,)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT dispatch_mode FROM orgs WHERE dispatch_mode IS NOT NULL
               AND substr($1, 1, length(region_code)) = region_code
             ORDER BY length(region_code) DESC, id LIMIT 1")
            .bind(region.as_str()).fetch_optional(p).await)
        .map_err(db_err)?;
        Ok(row.and_then(|(m,)| Mode::parse(&m)))
    }

    async fn org_dispatch_mode(&self, org: OrgId) -> Result<Option<Mode>> {
        let row: Option<(Option<String>,)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT dispatch_mode FROM orgs WHERE id = $1")
            .bind(org.0).fetch_optional(p).await)
        .map_err(db_err)?;
        Ok(row.and_then(|(m,)| m).and_then(|m| Mode::parse(&m)))
    }

    async fn set_dispatch_mode(
        &self,
        org: OrgId,
        mode: Option<Mode>,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query("UPDATE orgs SET dispatch_mode = $1 WHERE id = $2")
                .bind(mode.map(Mode::as_str)).bind(org.0)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Err(Error::NotFound);
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<(), Error>(())
        })
    }

    async fn task_minutes(&self, user: UserId) -> Result<i64> {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(t.minutes), 0) AS BIGINT) FROM volunteer_tasks t
             WHERE t.volunteer_id = $1 AND {DONE_TASKS}"
        );
        let (n,): (i64,) = fetch!(one, &self.db, sql, [user.0])?;
        Ok(n)
    }

    async fn task_minutes_in_scope(&self, scope: &[RegionCode]) -> Result<Vec<TaskMinutes>> {
        let sql = format!(
            "SELECT u.username, u.display_name, CAST(COUNT(*) AS BIGINT),
                    CAST(COALESCE(SUM(t.minutes), 0) AS BIGINT)
             FROM volunteer_tasks t JOIN users u ON u.id = t.volunteer_id
             JOIN volunteer_profiles v ON v.user_id = t.volunteer_id
             WHERE {DONE_TASKS} AND {}
             GROUP BY u.username, u.display_name ORDER BY u.username LIMIT 100000",
            scope_clause("v.region_code", scope.len(), 1)
        );
        let rows: Vec<(String, String, i64, i64)> = fetch!(all, &self.db, sql, [], in scope)?;
        Ok(rows
            .into_iter()
            .map(|(username, display_name, tasks, minutes)| TaskMinutes {
                username,
                display_name,
                tasks,
                minutes,
            })
            .collect())
    }

    async fn cancel_booking(
        &self,
        id: BookingId,
        user: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let shift: Option<(Uuid,)> = sqlx::query_as(
                "DELETE FROM shift_bookings WHERE id = $1 AND user_id = $2 AND state = 'booked'
                 AND starts_at > $3 RETURNING shift_id")
                .bind(id.0).bind(user.0).bind(ms(now))
                .fetch_optional(&mut *tx).await.map_err(db_err)?;
            let Some((shift,)) = shift else {
                return Ok(false);
            };
            sqlx::query("UPDATE shifts SET taken = taken - 1 WHERE id = $1")
                .bind(shift).execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<bool, Error>(true)
        })
    }
}

impl SqlStore {
    async fn need_region(&self, need: NeedId) -> Result<Option<RegionCode>> {
        let row: Option<(String,)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT region_code FROM needs WHERE id = $1")
            .bind(need.0).fetch_optional(p).await)
        .map_err(db_err)?;
        Ok(row.map(|(r,)| RegionCode(r)))
    }
}
