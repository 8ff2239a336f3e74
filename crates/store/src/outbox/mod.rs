//! SQL for notifications that leave wushe: what a change queues is in `queue.rs`; here the
//! rows are claimed, finished and listed, webhooks kept and texts counted. Rows hold ids and
//! kinds only. Claiming is one statement per row: SQLite serialises writers, PostgreSQL skips
//! rows another node has locked.

mod queue;

pub(crate) use queue::*;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{NeedEventId, NeedId, OutboxId, SmsCodeId, SmsId, UserId, WebhookId};
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::notify::sms::{SentCounts, SmsRecord};
use wushe_core::notify::webhook::{self, Webhook};
use wushe_core::notify::{Channel, Finish, OutboxMessage, OutboxState};
use wushe_core::regions::RegionCode;
use wushe_core::store::NotifyStore;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{Db, SqlStore, at, db_err, ms, on_pool, scope_clause};

const COLS: &str = "id, channel, kind, need_id, code_id, event_id, webhook_id, region_code, origin, \
    state, attempts, next_at, last_error, created_at, done_at";

const CLAIM_SQLITE: &str = "UPDATE outbox SET locked_until = $1, attempts = attempts + 1
    WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_at <= $2
                   AND (locked_until IS NULL OR locked_until <= $2) ORDER BY next_at LIMIT $3)
    RETURNING id, channel, kind, need_id, code_id, event_id, webhook_id, region_code, origin,
    state, attempts, next_at, last_error, created_at, done_at";

const CLAIM_PG: &str = "UPDATE outbox SET locked_until = $1, attempts = attempts + 1
    WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_at <= $2
                   AND (locked_until IS NULL OR locked_until <= $2) ORDER BY next_at LIMIT $3
                   FOR UPDATE SKIP LOCKED)
    RETURNING id, channel, kind, need_id, code_id, event_id, webhook_id, region_code, origin,
    state, attempts, next_at, last_error, created_at, done_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    channel: String,
    kind: String,
    need_id: Option<Uuid>,
    code_id: Option<Uuid>,
    event_id: Option<Uuid>,
    webhook_id: Option<Uuid>,
    region_code: String,
    origin: Option<String>,
    state: String,
    attempts: i64,
    next_at: i64,
    last_error: Option<String>,
    created_at: i64,
    done_at: Option<i64>,
}

fn bad(what: &str) -> Error {
    Error::internal(format!("stored outbox row has a bad {what}"))
}

impl TryFrom<Row> for OutboxMessage {
    type Error = Error;
    fn try_from(r: Row) -> Result<OutboxMessage> {
        Ok(OutboxMessage {
            id: OutboxId(r.id),
            channel: Channel::parse(&r.channel).ok_or_else(|| bad("channel"))?,
            kind: r.kind,
            need: r.need_id.map(NeedId),
            code: r.code_id.map(SmsCodeId),
            event: r.event_id.map(NeedEventId),
            webhook: r.webhook_id.map(WebhookId),
            region: RegionCode(r.region_code),
            origin: r.origin,
            state: OutboxState::parse(&r.state).ok_or_else(|| bad("state"))?,
            attempts: r.attempts,
            next_at: at(r.next_at),
            last_error: r.last_error,
            created_at: at(r.created_at),
            done_at: r.done_at.map(at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct HookRow {
    id: Uuid,
    url: String,
    kinds: String,
    region_code: String,
    secret: Vec<u8>,
    active: bool,
    created_by: Option<Uuid>,
    created_at: i64,
}

impl From<HookRow> for Webhook {
    fn from(r: HookRow) -> Webhook {
        Webhook {
            id: WebhookId(r.id),
            url: r.url,
            kinds: webhook::parse_kinds_column(&r.kinds),
            region: RegionCode(r.region_code),
            secret: r.secret,
            active: r.active,
            created_by: r.created_by.map(UserId),
            created_at: at(r.created_at),
        }
    }
}

const HOOK_COLS: &str = "id, url, kinds, region_code, secret, active, created_by, created_at";

#[derive(sqlx::FromRow)]
struct SmsRow {
    id: Uuid,
    outbox_id: Uuid,
    phone_index: String,
    origin: Option<String>,
    outcome: String,
    mode: String,
    phone: Option<Vec<u8>>,
    body: Option<Vec<u8>>,
    at: i64,
}

pub(crate) const INSERT_OUTBOX: &str = "INSERT INTO outbox
    (id, channel, kind, need_id, code_id, event_id, webhook_id, region_code, origin, next_at,
     created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Bind an outbox row to [`INSERT_OUTBOX`].
macro_rules! bind_outbox {
    ($q:expr, $m:expr) => {{
        let m: &wushe_core::notify::OutboxMessage = $m;
        $q.bind(m.id.0)
            .bind(m.channel.as_str())
            .bind(m.kind.clone())
            .bind(m.need.map(|n| n.0))
            .bind(m.code.map(|c| c.0))
            .bind(m.event.map(|e| e.0))
            .bind(m.webhook.map(|w| w.0))
            .bind(m.region.as_str().to_string())
            .bind(m.origin.clone())
            .bind($crate::ms(m.next_at))
            .bind($crate::ms(m.created_at))
    }};
}
pub(crate) use bind_outbox;

const INSERT_SMS: &str = "INSERT INTO sms_sent
    (id, outbox_id, phone_index, origin, outcome, mode, phone, body, at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

fn outcome_str(o: &str) -> &'static str {
    if o == "sent" { "sent" } else { "capped" }
}

fn mode_str(m: &str) -> &'static str {
    if m == "demo" { "demo" } else { "http" }
}

#[async_trait]
impl NotifyStore for SqlStore {
    async fn enqueue_outbox(&self, messages: &[OutboxMessage], audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            for m in messages {
                bind_outbox!(sqlx::query(INSERT_OUTBOX), m)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<(), Error>(())
        })
    }

    async fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        let rows: Vec<Row> = match &self.db {
            Db::Sqlite(p) => {
                sqlx::query_as(CLAIM_SQLITE)
                    .bind(ms(lease_until))
                    .bind(ms(now))
                    .bind(i64::from(limit))
                    .fetch_all(p)
                    .await
            }
            Db::Pg(p) => {
                sqlx::query_as(CLAIM_PG)
                    .bind(ms(lease_until))
                    .bind(ms(now))
                    .bind(i64::from(limit))
                    .fetch_all(p)
                    .await
            }
        }
        .map_err(db_err)?;
        let mut v: Vec<OutboxMessage> = rows
            .into_iter()
            .map(OutboxMessage::try_from)
            .collect::<Result<_>>()?;
        v.sort_by_key(|m| (m.next_at, m.id));
        Ok(v)
    }

    async fn claim_outbox_row(
        &self,
        id: OutboxId,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<OutboxMessage>> {
        let sql = format!(
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1
             WHERE id = $2 AND state = 'pending' AND next_at <= $3
               AND (locked_until IS NULL OR locked_until <= $3)
             RETURNING {COLS}"
        );
        let row: Option<Row> =
            on_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(ms(lease_until)).bind(id.0).bind(ms(now)).fetch_optional(p).await)
            .map_err(db_err)?;
        row.map(OutboxMessage::try_from).transpose()
    }

    async fn skip_outbox(&self, channel: Channel, why: &str, now: OffsetDateTime) -> Result<u64> {
        on_pool!(&self.db, p => sqlx::query(
            "UPDATE outbox SET state = 'skipped', last_error = $1, done_at = $2, locked_until = NULL
             WHERE state = 'pending' AND channel = $3")
            .bind(why).bind(ms(now)).bind(channel.as_str())
            .execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)
    }

    async fn finish_outbox(
        &self,
        id: OutboxId,
        finish: &Finish,
        sms: Option<&SmsRecord>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let (state, next, error): (&str, Option<i64>, Option<&str>) = match finish {
            Finish::Delivered => ("delivered", None, None),
            Finish::Skipped(why) => ("skipped", None, Some(why)),
            Finish::Capped(why) => ("capped", None, Some(why)),
            Finish::Retry { at, error } => ("pending", Some(ms(*at)), Some(error)),
            Finish::Dead(error) => ("dead", None, Some(error)),
        };
        let done = if state == "pending" {
            None
        } else {
            Some(ms(now))
        };
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            if let Some(s) = sms {
                sqlx::query(INSERT_SMS)
                    .bind(s.id.0).bind(s.outbox.0).bind(&s.phone_index).bind(s.origin.as_deref())
                    .bind(s.outcome).bind(s.mode).bind(s.phone.as_deref()).bind(s.body.as_deref())
                    .bind(ms(s.at))
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            sqlx::query("UPDATE outbox SET state = $1, next_at = COALESCE($2, next_at),
                    last_error = $3, done_at = $4, locked_until = NULL WHERE id = $5")
                .bind(state).bind(next).bind(error).bind(done).bind(id.0)
                .execute(&mut *tx).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            Ok::<(), Error>(())
        })
    }

    async fn sms_counts(
        &self,
        phone_index: &[String],
        origin: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<SentCounts> {
        let hour = ms(now - time::Duration::hours(1));
        let day = ms(now - time::Duration::days(1));
        let mut c = SentCounts::default();
        for idx in phone_index {
            let (h, d): (i64, i64) = on_pool!(&self.db, p => sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN at > $2 THEN 1 ELSE 0 END), 0),
                        COUNT(*) FROM sms_sent
                 WHERE phone_index = $1 AND outcome = 'sent' AND at > $3")
                .bind(idx).bind(hour).bind(day).fetch_one(p).await)
            .map_err(db_err)?;
            c.phone_hour += h;
            c.phone_day += d;
        }
        if let Some(o) = origin {
            let (n,): (i64,) = on_pool!(&self.db, p => sqlx::query_as(
                "SELECT COUNT(*) FROM sms_sent WHERE origin = $1 AND outcome = 'sent' AND at > $2")
                .bind(o).bind(hour).fetch_one(p).await)
            .map_err(db_err)?;
            c.origin_hour = n;
        }
        Ok(c)
    }

    async fn demo_texts(&self, limit: u32) -> Result<Vec<SmsRecord>> {
        let rows: Vec<SmsRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, outbox_id, phone_index, origin, outcome, mode, phone, body, at FROM sms_sent
             WHERE mode = 'demo' ORDER BY at DESC, id DESC LIMIT $1")
            .bind(i64::from(limit)).fetch_all(p).await)
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| SmsRecord {
                id: SmsId(r.id),
                outbox: OutboxId(r.outbox_id),
                phone_index: r.phone_index,
                origin: r.origin,
                outcome: outcome_str(&r.outcome),
                mode: mode_str(&r.mode),
                phone: r.phone,
                body: r.body,
                at: at(r.at),
            })
            .collect())
    }

    async fn list_outbox(
        &self,
        scope: &[RegionCode],
        states: &[OutboxState],
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        if scope.is_empty() || states.is_empty() {
            return Ok(Vec::new());
        }
        let first_state = scope.len() + 1;
        let states_sql: Vec<String> = (0..states.len())
            .map(|i| format!("${}", first_state + i))
            .collect();
        let sql = format!(
            "SELECT {COLS} FROM outbox WHERE {} AND state IN ({}) \
             ORDER BY COALESCE(done_at, created_at) DESC, id DESC LIMIT ${}",
            scope_clause("region_code", scope.len(), 1),
            states_sql.join(", "),
            first_state + states.len()
        );
        let rows: Vec<Row> = on_pool!(&self.db, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for r in scope {
                q = q.bind(r.as_str());
            }
            for s in states {
                q = q.bind(s.as_str());
            }
            q.bind(i64::from(limit)).fetch_all(p).await
        })
        .map_err(db_err)?;
        rows.into_iter().map(OutboxMessage::try_from).collect()
    }

    async fn outbox_message(&self, id: OutboxId) -> Result<Option<OutboxMessage>> {
        let sql = format!("SELECT {COLS} FROM outbox WHERE id = $1");
        let row: Option<Row> =
            on_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id.0).fetch_optional(p).await)
            .map_err(db_err)?;
        row.map(OutboxMessage::try_from).transpose()
    }

    async fn retry_outbox(
        &self,
        id: OutboxId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query("UPDATE outbox SET state = 'pending', attempts = 0, next_at = $1,
                    done_at = NULL, locked_until = NULL
                    WHERE id = $2 AND state IN ('dead', 'capped')")
                .bind(ms(now)).bind(id.0)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Err(Error::Conflict("changed meanwhile".into()));
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<(), Error>(())
        })
    }

    async fn outbox_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows: Vec<(String, String, i64)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT channel, state, COUNT(*) FROM outbox GROUP BY channel, state ORDER BY channel, state")
            .fetch_all(p).await)
        .map_err(db_err)?;
        Ok(rows)
    }

    async fn insert_webhook(&self, w: &Webhook, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query("INSERT INTO webhooks (id, url, kinds, region_code, secret, active, created_by, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(w.id.0).bind(&w.url).bind(webhook::kinds_column(&w.kinds))
                .bind(w.region.as_str()).bind(&w.secret).bind(w.active)
                .bind(w.created_by.map(|u| u.0)).bind(ms(w.created_at))
                .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<(), Error>(())
        })
    }

    async fn webhooks(&self, scope: &[RegionCode]) -> Result<Vec<Webhook>> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {HOOK_COLS} FROM webhooks WHERE {} ORDER BY created_at DESC, id",
            scope_clause("region_code", scope.len(), 1)
        );
        let rows: Vec<HookRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for r in scope {
                q = q.bind(r.as_str());
            }
            q.fetch_all(p).await
        })
        .map_err(db_err)?;
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    async fn webhook(&self, id: WebhookId) -> Result<Option<Webhook>> {
        let sql = format!("SELECT {HOOK_COLS} FROM webhooks WHERE id = $1");
        let row: Option<HookRow> =
            on_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id.0).fetch_optional(p).await)
            .map_err(db_err)?;
        Ok(row.map(Webhook::from))
    }

    async fn deactivate_webhook(&self, id: WebhookId, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query("UPDATE webhooks SET active = FALSE WHERE id = $1")
                .bind(id.0).execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<(), Error>(())
        })
    }

    async fn set_webhook_secret(
        &self,
        id: WebhookId,
        secret: &[u8],
        audit: &AuditEvent,
    ) -> Result<bool> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let done = sqlx::query("UPDATE webhooks SET secret = $1 WHERE id = $2 AND active")
                .bind(secret).bind(id.0).execute(&mut *tx).await.map_err(db_err)?
                .rows_affected() == 1;
            if done {
                append_entry!(tx, head, audit);
            }
            tx.commit().await.map_err(db_err)?;
            Ok::<bool, Error>(done)
        })
    }

    async fn open_needs_by_mobile(
        &self,
        candidates: &[String],
    ) -> Result<Vec<(NeedId, TrackingCode, RegionCode)>> {
        let mut out = Vec::new();
        for idx in candidates {
            let rows: Vec<(Uuid, String, String)> = on_pool!(&self.db, p => sqlx::query_as(
                "SELECT id, code, region_code FROM needs
                 WHERE mobile_index = $1 AND state NOT IN ('resolved', 'closed', 'cancelled', 'duplicate')
                 ORDER BY created_at DESC LIMIT 10")
                .bind(idx).fetch_all(p).await)
            .map_err(db_err)?;
            for (id, code, region) in rows {
                let code = TrackingCode::parse(&code).map_err(|_| bad("tracking code"))?;
                out.push((NeedId(id), code, RegionCode(region)));
            }
        }
        Ok(out)
    }
}
