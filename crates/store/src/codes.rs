//! SQL for one-time codes (`sms_codes`): issuing one replaces the live code of the same
//! purpose and number and queues its text in the same transaction; a try is counted by the
//! statement that fetches the code, so no comparison happens without its count.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::SmsCodeId;
use wushe_core::notify::OutboxMessage;
use wushe_core::notify::codes::{Purpose, SmsCode};
use wushe_core::regions::RegionCode;
use wushe_core::store::CodeStore;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::outbox::{INSERT_OUTBOX, bind_outbox};
use crate::{SqlStore, at, db_err, fetch, ms, on_pool};

const COLS: &str =
    "id, purpose, phone_index, phone, code, region_code, created_at, expires_at, tries, used_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    purpose: String,
    phone_index: String,
    phone: Vec<u8>,
    code: Vec<u8>,
    region_code: String,
    created_at: i64,
    expires_at: i64,
    tries: i64,
    used_at: Option<i64>,
}

impl TryFrom<Row> for SmsCode {
    type Error = Error;
    fn try_from(r: Row) -> Result<SmsCode> {
        Ok(SmsCode {
            id: SmsCodeId(r.id),
            purpose: Purpose::parse(&r.purpose)
                .ok_or_else(|| Error::internal("stored code has a bad purpose"))?,
            phone_index: r.phone_index,
            phone: r.phone,
            code: r.code,
            region: RegionCode(r.region_code),
            created_at: at(r.created_at),
            expires_at: at(r.expires_at),
            tries: r.tries,
            used_at: r.used_at.map(at),
        })
    }
}

#[async_trait]
impl CodeStore for SqlStore {
    async fn issue_sms_code(
        &self,
        c: &SmsCode,
        message: &OutboxMessage,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query("UPDATE sms_codes SET used_at = $1
                WHERE purpose = $2 AND phone_index = $3 AND used_at IS NULL")
                .bind(ms(c.created_at)).bind(c.purpose.as_str()).bind(&c.phone_index)
                .execute(&mut *tx).await.map_err(db_err)?;
            sqlx::query("INSERT INTO sms_codes
                (id, purpose, phone_index, phone, code, region_code, created_at, expires_at, tries, used_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(c.id.0).bind(c.purpose.as_str()).bind(&c.phone_index).bind(&c.phone)
                .bind(&c.code).bind(c.region.as_str()).bind(ms(c.created_at))
                .bind(ms(c.expires_at)).bind(c.tries).bind(c.used_at.map(ms))
                .execute(&mut *tx).await.map_err(db_err)?;
            bind_outbox!(sqlx::query(INSERT_OUTBOX), message)
                .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<(), Error>(())
        })
    }

    async fn sms_code(&self, id: SmsCodeId) -> Result<Option<SmsCode>> {
        let sql = format!("SELECT {COLS} FROM sms_codes WHERE id = $1");
        let row: Option<Row> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(SmsCode::try_from).transpose()
    }

    async fn try_sms_code(
        &self,
        purpose: Purpose,
        candidates: &[String],
        max_tries: i64,
        now: OffsetDateTime,
    ) -> Result<Option<SmsCode>> {
        let sql = format!(
            "UPDATE sms_codes SET tries = tries + 1
             WHERE purpose = $1 AND phone_index = $2 AND used_at IS NULL
               AND expires_at > $3 AND tries < $4
             RETURNING {COLS}"
        );
        for idx in candidates {
            let row: Option<Row> = fetch!(
                optional,
                &self.db,
                sql.clone(),
                [purpose.as_str(), idx, ms(now), max_tries]
            )?;
            if let Some(r) = row {
                return SmsCode::try_from(r).map(Some);
            }
        }
        Ok(None)
    }

    async fn use_sms_code(&self, id: SmsCodeId, now: OffsetDateTime) -> Result<bool> {
        let n = on_pool!(&self.db, p => sqlx::query(
            "UPDATE sms_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(ms(now)).bind(id.0).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(n == 1)
    }

    async fn purge_sms_codes(
        &self,
        issued_before: OffsetDateTime,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<u64> {
        // Children first: the record of the texts points at the outbox rows, which point at
        // the codes (an outbox row about a code has no need, so it goes rather than be nulled).
        const OLD: &str = "SELECT id FROM sms_codes WHERE created_at < $1 \
                           AND (used_at IS NOT NULL OR expires_at <= $2)";
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let texts = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM sms_sent WHERE outbox_id IN \
                 (SELECT id FROM outbox WHERE code_id IN ({OLD}))"
            )))
            .bind(ms(issued_before)).bind(ms(now))
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            let outbox = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM outbox WHERE code_id IN ({OLD})"
            )))
            .bind(ms(issued_before)).bind(ms(now))
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM sms_codes WHERE id IN ({OLD})"
            )))
            .bind(ms(issued_before)).bind(ms(now))
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n == 0 && outbox == 0 && texts == 0 {
                // Nothing purged: nothing to record.
                return Ok(0);
            }
            let audit = audit
                .with_record_id(format!("count:{n}"))
                .with_record_id(format!("outbox:{outbox}"))
                .with_record_id(format!("texts:{texts}"));
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<u64, Error>(n)
        })
    }
}
