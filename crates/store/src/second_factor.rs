//! SQL for the second factor: the sealed TOTP secret on `users`, recovery-code hashes and
//! logins waiting for their code.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::UserId;
use wushe_core::store::SecondFactorStore;
use wushe_core::users::second_factor::{PendingLogin, PendingStage, SecondFactorState};
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, ms, on_pool};

type StateRow = (Option<Vec<u8>>, Option<i64>, Option<i64>, bool);

#[derive(sqlx::FromRow)]
struct PendingRow {
    token_hash: String,
    user_id: Uuid,
    stage: String,
    next: String,
    created_at: i64,
    wrong_codes: i64,
}

#[async_trait]
impl SecondFactorStore for SqlStore {
    async fn second_factor(&self, user: UserId) -> Result<SecondFactorState> {
        let row: Option<StateRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT totp_secret, totp_confirmed_at, totp_last_step, mfa_exempt FROM users WHERE id = $1"
        ).bind(user.0).fetch_optional(p).await).map_err(db_err)?;
        let (sealed_secret, confirmed_at, last_step, exempt) = row.ok_or(Error::NotFound)?;
        Ok(SecondFactorState {
            sealed_secret,
            confirmed: confirmed_at.is_some(),
            last_step,
            exempt,
        })
    }

    async fn set_pending_totp(&self, user: UserId, sealed: &[u8]) -> Result<bool> {
        let n = on_pool!(&self.db, p => sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2 AND totp_confirmed_at IS NULL"
        ).bind(sealed).bind(user.0).execute(p).await.map(|r| r.rows_affected())).map_err(db_err)?;
        Ok(n == 1)
    }

    async fn confirm_totp(
        &self,
        user: UserId,
        step: i64,
        recovery_hashes: &[String],
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE users SET totp_confirmed_at = $1, totp_last_step = $2
                 WHERE id = $3 AND totp_confirmed_at IS NULL AND totp_secret IS NOT NULL",
            )
            .bind(ms(now)).bind(step).bind(user.0)
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user.0).execute(&mut *tx).await.map_err(db_err)?;
            for h in recovery_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)")
                    .bind(user.0).bind(h).execute(&mut *tx).await.map_err(db_err)?;
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let n = on_pool!(&self.db, p => sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_confirmed_at IS NOT NULL
             AND (totp_last_step IS NULL OR totp_last_step < $1)"
        ).bind(step).bind(user.0).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(n == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        candidates: &[String],
        now: OffsetDateTime,
    ) -> Result<bool> {
        for h in candidates {
            let n = on_pool!(&self.db, p => sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL"
            ).bind(ms(now)).bind(user.0).bind(h).execute(p).await.map(|r| r.rows_affected())).map_err(db_err)?;
            if n == 1 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn set_mfa_exempt(&self, user: UserId, exempt: bool) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query("UPDATE users SET mfa_exempt = $1 WHERE id = $2")
            .bind(exempt).bind(user.0).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(())
    }

    async fn insert_pending_login(&self, l: &PendingLogin) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query(
            "INSERT INTO pending_logins (token_hash, user_id, stage, next, created_at, wrong_codes)
             VALUES ($1, $2, $3, $4, $5, $6)"
        ).bind(&l.token_hash).bind(l.user_id.0).bind(l.stage.as_str()).bind(&l.next)
        .bind(ms(l.created_at)).bind(l.wrong_codes)
        .execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(())
    }

    async fn pending_login(&self, token_hash: &str) -> Result<Option<PendingLogin>> {
        let row: Option<PendingRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT token_hash, user_id, stage, next, created_at, wrong_codes FROM pending_logins WHERE token_hash = $1"
        ).bind(token_hash).fetch_optional(p).await).map_err(db_err)?;
        row.map(|r| {
            Ok(PendingLogin {
                stage: PendingStage::parse(&r.stage)
                    .ok_or_else(|| Error::internal(format!("bad pending stage {}", r.stage)))?,
                token_hash: r.token_hash,
                user_id: UserId(r.user_id),
                next: r.next,
                created_at: at(r.created_at),
                wrong_codes: r.wrong_codes,
            })
        })
        .transpose()
    }

    async fn count_wrong_code(&self, token_hash: &str) -> Result<i64> {
        let row: Option<(i64,)> = on_pool!(&self.db, p => sqlx::query_as(
            "UPDATE pending_logins SET wrong_codes = wrong_codes + 1 WHERE token_hash = $1 RETURNING wrong_codes"
        ).bind(token_hash).fetch_optional(p).await).map_err(db_err)?;
        Ok(row.map(|r| r.0).unwrap_or(i64::MAX))
    }

    async fn purge_pending_logins(&self, before: OffsetDateTime) -> Result<u64> {
        on_pool!(&self.db, p => sqlx::query("DELETE FROM pending_logins WHERE created_at < $1")
            .bind(ms(before)).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)
    }

    async fn delete_pending_login(&self, token_hash: &str) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query("DELETE FROM pending_logins WHERE token_hash = $1")
            .bind(token_hash).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(())
    }
}
