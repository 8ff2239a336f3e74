//! SQL for staff accounts, grants and sessions.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::actor::{Grant, Role};
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{GrantId, OrgId, UserId};
use wushe_core::regions::RegionCode;
use wushe_core::store::{SessionStore, UserStore};
use wushe_core::users::{NewUser, Session, StoredGrant, User};
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, fetch, ms, on_pool, scope_clause};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    username: String,
    display_name: String,
    region_code: String,
    lang: String,
    disabled: bool,
    created_at: i64,
    password_changed_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: UserId(r.id),
            username: r.username,
            display_name: r.display_name,
            region: RegionCode(r.region_code),
            lang: r.lang,
            disabled: r.disabled,
            created_at: at(r.created_at),
            password_changed_at: at(r.password_changed_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: Uuid,
    role: String,
    region_code: String,
    org_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    token_hash: String,
    user_id: Uuid,
    created_at: i64,
    last_seen_at: i64,
}

const USER_COLS: &str =
    "id, username, display_name, region_code, lang, disabled, created_at, password_changed_at";

/// Revoke every live API token of a user (password changed, account disabled).
const REVOKE_TOKENS: &str =
    "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL";

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(
        &self,
        u: &NewUser,
        password_hash: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<UserId> {
        let id = UserId::new();
        let audit = audit.with_record_id(id);
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO users (id, username, display_name, region_code, password_hash, lang, disabled, created_at, password_changed_at)
                 VALUES ($1, $2, $3, $4, $5, 'zh', $6, $7, $7)",
            )
            .bind(id.0).bind(&u.username).bind(&u.display_name).bind(&u.region.0)
            .bind(password_hash).bind(false).bind(ms(now))
            .execute(&mut *tx).await
            .map_err(|e| match db_err(e) {
                Error::Conflict(_) => Error::invalid("username", "用户名已被使用", "User name already taken"),
                other => other,
            })?;
            for g in &u.grants {
                sqlx::query(
                    "INSERT INTO grants (id, user_id, role, region_code, org_id, granted_by, created_at)
                     VALUES ($1, $2, $3, $4, $5, NULL, $6)",
                )
                .bind(GrantId::new().0).bind(id.0).bind(g.role.as_str()).bind(&g.region.0)
                .bind(g.org.map(|o| o.0)).bind(ms(now))
                .execute(&mut *tx).await.map_err(db_err)?;
            }
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        let row: Option<UserRow> = fetch!(optional, &self.db, sql, [id.0])?;
        Ok(row.map(User::from))
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE username = $1");
        let row: Option<UserRow> = fetch!(optional, &self.db, sql, [username])?;
        Ok(row.map(User::from))
    }

    async fn password_hash(&self, id: UserId) -> Result<Option<String>> {
        let row: Option<(String,)> =
            on_pool!(&self.db, p => sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
            .bind(id.0).fetch_optional(p).await)
            .map_err(db_err)?;
        Ok(row.map(|r| r.0))
    }

    async fn list_users(&self, scope: &[RegionCode]) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE {} ORDER BY region_code, username LIMIT 500",
            scope_clause("region_code", scope.len(), 1)
        );
        let rows: Vec<UserRow> = fetch!(all, &self.db, sql, [], in scope)?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    async fn grants(&self, user: UserId) -> Result<Vec<StoredGrant>> {
        let rows: Vec<GrantRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, role, region_code, org_id FROM grants WHERE user_id = $1 ORDER BY created_at, id"
        ).bind(user.0).fetch_all(p).await).map_err(db_err)?;
        rows.into_iter()
            .map(|r| {
                let role = Role::parse(&r.role)
                    .ok_or_else(|| Error::internal(format!("bad role {}", r.role)))?;
                Ok(StoredGrant {
                    id: GrantId(r.id),
                    grant: Grant {
                        role,
                        region: RegionCode(r.region_code),
                        org: r.org_id.map(OrgId),
                    },
                })
            })
            .collect()
    }

    async fn insert_grant(
        &self,
        user: UserId,
        g: &Grant,
        by: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<GrantId> {
        let id = GrantId::new();
        let audit = audit.with_record_id(id);
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO grants (id, user_id, role, region_code, org_id, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            )
            .bind(id.0).bind(user.0).bind(g.role.as_str()).bind(&g.region.0).bind(g.org.map(|o| o.0)).bind(by.0).bind(ms(now))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }

    async fn delete_grant(&self, user: UserId, grant: GrantId, audit: &AuditEvent) -> Result<bool> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let res = sqlx::query("DELETE FROM grants WHERE id = $1 AND user_id = $2")
                .bind(grant.0).bind(user.0).execute(&mut *tx).await.map_err(db_err)?;
            if res.rows_affected() != 1 {
                return Ok(false);
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn set_user_lang(&self, user: UserId, lang: &str, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
                .bind(lang).bind(user.0).execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn upgrade_password_hash(&self, user: UserId, old: &str, new: &str) -> Result<bool> {
        let n = on_pool!(&self.db, p => sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3"
        ).bind(new).bind(user.0).bind(old).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(n == 1)
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        now: OffsetDateTime,
        keep_session: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
            )
            .bind(password_hash).bind(ms(now)).bind(user.0)
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Err(Error::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user.0).bind(keep_session.unwrap_or(""))
                .execute(&mut *tx).await.map_err(db_err)?;
            sqlx::query(REVOKE_TOKENS).bind(ms(now)).bind(user.0).execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn set_user_disabled(
        &self,
        user: UserId,
        disabled: bool,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(disabled).bind(user.0)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Err(Error::NotFound);
            }
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user.0).execute(&mut *tx).await.map_err(db_err)?;
                sqlx::query(REVOKE_TOKENS).bind(ms(now)).bind(user.0).execute(&mut *tx).await.map_err(db_err)?;
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, s: &Session, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)"
            ).bind(&s.token_hash).bind(s.user_id.0).bind(ms(s.created_at)).bind(ms(s.last_seen_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row: Option<SessionRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT token_hash, user_id, created_at, last_seen_at FROM sessions WHERE token_hash = $1"
        ).bind(token_hash).fetch_optional(p).await).map_err(db_err)?;
        Ok(row.map(|r| Session {
            token_hash: r.token_hash,
            user_id: UserId(r.user_id),
            created_at: at(r.created_at),
            last_seen_at: at(r.last_seen_at),
        }))
    }

    async fn touch_session(&self, token_hash: &str, now: OffsetDateTime) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(ms(now)).bind(token_hash).execute(p).await.map(|r| r.rows_affected())).map_err(db_err)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str, audit: Option<&AuditEvent>) -> Result<()> {
        const SQL: &str = "DELETE FROM sessions WHERE token_hash = $1";
        let Some(audit) = audit else {
            on_pool!(&self.db, p => sqlx::query(SQL).bind(token_hash).execute(p).await.map(|r| r.rows_affected()))
                .map_err(db_err)?;
            return Ok(());
        };
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(SQL).bind(token_hash).execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn purge_sessions(
        &self,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> Result<u64> {
        let res = on_pool!(&self.db, p => sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(ms(idle_before)).bind(ms(created_before)).execute(p).await.map(|r| r.rows_affected())).map_err(db_err)?;
        Ok(res)
    }
}
