//! SQL for personal API tokens.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::Result;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{TokenId, UserId};
use wushe_core::store::TokenStore;
use wushe_core::tokens::ApiToken;

use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, fetch, ms, on_pool};

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    user_id: Uuid,
    name: String,
    hint: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: TokenId(r.id),
            user_id: UserId(r.user_id),
            name: r.name,
            hint: r.hint,
            created_at: at(r.created_at),
            expires_at: at(r.expires_at),
            last_used_at: r.last_used_at.map(at),
            revoked_at: r.revoked_at.map(at),
        }
    }
}

const COLS: &str = "id, user_id, name, hint, created_at, expires_at, last_used_at, revoked_at";

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(
        &self,
        t: &ApiToken,
        secret_hash: &str,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO api_tokens (id, user_id, name, hint, secret_hash, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(t.id.0).bind(t.user_id.0).bind(&t.name).bind(&t.hint).bind(secret_hash)
            .bind(ms(t.created_at)).bind(ms(t.expires_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        let sql = format!("SELECT {COLS} FROM api_tokens WHERE secret_hash = $1");
        let row: Option<TokenRow> = fetch!(optional, &self.db, sql, [secret_hash])?;
        Ok(row.map(ApiToken::from))
    }

    async fn tokens_of(&self, user: UserId) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<TokenRow> = fetch!(all, &self.db, sql, [user.0])?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    async fn revoke_token(
        &self,
        user: UserId,
        id: TokenId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(ms(now)).bind(id.0).bind(user.0)
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                // Nothing revoked: nothing to record (the transaction rolls back).
                return Ok(false);
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn touch_token(&self, id: TokenId, now: OffsetDateTime) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)"
        ).bind(ms(now)).bind(id.0).bind(ms(now) - 60_000).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(())
    }
}
