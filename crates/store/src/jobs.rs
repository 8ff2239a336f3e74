//! SQL for durable jobs. Claiming is one statement: SQLite serialises writers, PostgreSQL
//! skips rows another node has locked.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::Result;
use wushe_core::ids::JobId;
use wushe_core::jobs::{Job, NewJob};
use wushe_core::store::JobStore;

use crate::{Db, SqlStore, db_err, ms, on_pool};

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    kind: String,
    payload: String,
    attempts: i32,
}

const CLAIM_SQLITE: &str = "UPDATE jobs SET locked_until = $1, attempts = attempts + 1
    WHERE id = (SELECT id FROM jobs WHERE done_at IS NULL AND dead = FALSE AND run_at <= $2
                  AND (locked_until IS NULL OR locked_until <= $2) ORDER BY run_at LIMIT 1)
    RETURNING id, kind, payload, attempts";

const CLAIM_PG: &str = "UPDATE jobs SET locked_until = $1, attempts = attempts + 1
    WHERE id = (SELECT id FROM jobs WHERE done_at IS NULL AND dead = FALSE AND run_at <= $2
                  AND (locked_until IS NULL OR locked_until <= $2) ORDER BY run_at LIMIT 1
                  FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, payload, attempts";

#[async_trait]
impl JobStore for SqlStore {
    async fn enqueue(&self, j: &NewJob) -> Result<bool> {
        let res = on_pool!(&self.db, p => sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, unique_key) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (unique_key) DO NOTHING"
        ).bind(j.id.0).bind(&j.kind).bind(&j.payload).bind(ms(j.run_at)).bind(&j.unique_key)
        .execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(res == 1)
    }

    async fn claim_job(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Job>> {
        let row: Option<JobRow> = match &self.db {
            Db::Sqlite(p) => {
                sqlx::query_as(CLAIM_SQLITE)
                    .bind(ms(lease_until))
                    .bind(ms(now))
                    .fetch_optional(p)
                    .await
            }
            Db::Pg(p) => {
                sqlx::query_as(CLAIM_PG)
                    .bind(ms(lease_until))
                    .bind(ms(now))
                    .fetch_optional(p)
                    .await
            }
        }
        .map_err(db_err)?;
        Ok(row.map(|r| Job {
            id: JobId(r.id),
            kind: r.kind,
            payload: r.payload,
            attempts: r.attempts,
        }))
    }

    async fn complete_job(&self, id: JobId, now: OffsetDateTime) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query("UPDATE jobs SET done_at = $1, locked_until = NULL WHERE id = $2")
            .bind(ms(now)).bind(id.0).execute(p).await.map(|r| r.rows_affected())).map_err(db_err)?;
        Ok(())
    }

    async fn fail_job(
        &self,
        id: JobId,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        let short: String = error.chars().take(500).collect();
        match retry_at {
            Some(t) => on_pool!(&self.db, p => sqlx::query(
                "UPDATE jobs SET last_error = $1, run_at = $2, locked_until = NULL WHERE id = $3"
            ).bind(&short).bind(ms(t)).bind(id.0).execute(p).await.map(|r| r.rows_affected())),
            None => on_pool!(&self.db, p => sqlx::query(
                "UPDATE jobs SET last_error = $1, dead = TRUE, locked_until = NULL WHERE id = $2"
            ).bind(&short).bind(id.0).execute(p).await.map(|r| r.rows_affected())),
        }
        .map_err(db_err)?;
        Ok(())
    }
}
