//! SQL for the login defences: failure events, per-(account, address) streaks and locks,
//! account-wide locks, and alerts for administrators. The counting windows and thresholds come
//! from the core's `LoginPolicy`; this file only counts and stores.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{AlertId, UserId};
use wushe_core::regions::RegionCode;
use wushe_core::store::LoginStore;
use wushe_core::users::login::{
    Alert, AlertKind, FailureCounts, LoginFailure, LoginState, NewAlert,
};
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, fetch, ms, on_pool, scope_clause};

#[derive(sqlx::FromRow)]
struct AlertRow {
    id: Uuid,
    kind: String,
    region_code: String,
    user_id: Option<Uuid>,
    display_name: Option<String>,
    created_at: i64,
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[async_trait]
impl LoginStore for SqlStore {
    async fn login_state(
        &self,
        account_key: &str,
        address: &str,
        address_since: OffsetDateTime,
    ) -> Result<LoginState> {
        let row: (Option<i64>, Option<i64>, i64, Option<i64>) = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT (SELECT locked_until FROM login_streaks WHERE account_key = $1 AND address = $2),
                    (SELECT locked_until FROM login_locks WHERE account_key = $1),
                    (SELECT COUNT(*) FROM login_failures WHERE address = $2 AND at > $3),
                    (SELECT MIN(at) FROM login_failures WHERE address = $2 AND at > $3)"
        ).bind(account_key).bind(address).bind(ms(address_since)).fetch_one(p).await)
        .map_err(db_err)?;
        Ok(LoginState {
            locked_here_until: row.0.map(at),
            locked_everywhere_until: row.1.map(at),
            address_failures: count(row.2),
            oldest_address_failure: row.3.map(at),
        })
    }

    async fn record_login_failure(&self, f: &LoginFailure) -> Result<FailureCounts> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("INSERT INTO login_failures (account_key, address, at) VALUES ($1, $2, $3)")
                .bind(&f.account_key).bind(&f.address).bind(ms(f.at))
                .execute(&mut *tx).await.map_err(db_err)?;
            let (streak,): (i32,) = sqlx::query_as(
                "INSERT INTO login_streaks (account_key, address, failures, last_failure_at, locked_until)
                 VALUES ($1, $2, 1, $3, NULL)
                 ON CONFLICT (account_key, address) DO UPDATE SET
                   failures = CASE WHEN login_streaks.last_failure_at > $4
                                   THEN login_streaks.failures + 1 ELSE 1 END,
                   last_failure_at = $3
                 RETURNING failures",
            )
            .bind(&f.account_key).bind(&f.address).bind(ms(f.at)).bind(ms(f.streak_since))
            .fetch_one(&mut *tx).await.map_err(db_err)?;
            let (recent,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM login_failures WHERE account_key = $1 AND at > $2",
            )
            .bind(&f.account_key).bind(ms(f.account_since))
            .fetch_one(&mut *tx).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            Ok(FailureCounts {
                streak: u32::try_from(streak).unwrap_or(0),
                account_recent: count(recent),
            })
        })
    }

    async fn lock_login_here(
        &self,
        account_key: &str,
        address: &str,
        until: OffsetDateTime,
    ) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query(
            "UPDATE login_streaks SET locked_until = $3, failures = 0 WHERE account_key = $1 AND address = $2"
        ).bind(account_key).bind(address).bind(ms(until)).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(())
    }

    async fn lock_login_everywhere(
        &self,
        account_key: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
        alert: Option<&NewAlert>,
    ) -> Result<bool> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            // A lock still in force is left alone, so only the first failure over the limit
            // locks, logs and alerts.
            let locked = sqlx::query(
                "INSERT INTO login_locks (account_key, locked_at, locked_until) VALUES ($1, $2, $3)
                 ON CONFLICT (account_key) DO UPDATE SET locked_at = $2, locked_until = $3
                 WHERE login_locks.locked_until <= $2",
            )
            .bind(account_key).bind(ms(now)).bind(ms(until))
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected() == 1;
            if let (true, Some(a)) = (locked, alert) {
                sqlx::query(
                    "INSERT INTO alerts (id, kind, region_code, user_id, created_at, resolved_at)
                     VALUES ($1, $2, $3, $4, $5, NULL)",
                )
                .bind(a.id.0).bind(a.kind.as_str()).bind(&a.region.0).bind(a.user.map(|u| u.0))
                .bind(ms(a.created_at))
                .execute(&mut *tx).await.map_err(db_err)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(locked)
        })
    }

    async fn clear_login_streak(&self, account_key: &str, address: &str) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query(
            "DELETE FROM login_streaks WHERE account_key = $1 AND address = $2"
        ).bind(account_key).bind(address).execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(())
    }

    async fn login_locked_everywhere_until(
        &self,
        account_key: &str,
    ) -> Result<Option<OffsetDateTime>> {
        let row: Option<(i64,)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT locked_until FROM login_locks WHERE account_key = $1"
        ).bind(account_key).fetch_optional(p).await)
        .map_err(db_err)?;
        Ok(row.map(|r| at(r.0)))
    }

    async fn unlock_login(
        &self,
        account_key: &str,
        user: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            for sql in [
                "DELETE FROM login_locks WHERE account_key = $1",
                "DELETE FROM login_streaks WHERE account_key = $1",
                "DELETE FROM login_failures WHERE account_key = $1",
            ] {
                sqlx::query(sql).bind(account_key).execute(&mut *tx).await.map_err(db_err)?;
            }
            sqlx::query(
                "UPDATE alerts SET resolved_at = $1 WHERE user_id = $2 AND kind = $3 AND resolved_at IS NULL",
            )
            .bind(ms(now)).bind(user.0).bind(AlertKind::LoginLocked.as_str())
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn open_alerts(&self, scope: &[RegionCode]) -> Result<Vec<Alert>> {
        let sql = format!(
            "SELECT a.id, a.kind, a.region_code, a.user_id, u.display_name, a.created_at
             FROM alerts a LEFT JOIN users u ON u.id = a.user_id
             WHERE a.resolved_at IS NULL AND {}
             ORDER BY a.created_at DESC LIMIT 100",
            scope_clause("a.region_code", scope.len(), 1)
        );
        let rows: Vec<AlertRow> = fetch!(all, &self.db, sql, [], in scope)?;
        rows.into_iter()
            .map(|r| {
                let kind = AlertKind::parse(&r.kind)
                    .ok_or_else(|| Error::internal(format!("bad alert kind {}", r.kind)))?;
                Ok(Alert {
                    id: AlertId(r.id),
                    kind,
                    region: RegionCode(r.region_code),
                    user: r
                        .user_id
                        .map(|id| (UserId(id), r.display_name.unwrap_or_default())),
                    created_at: at(r.created_at),
                })
            })
            .collect()
    }

    async fn purge_login_records(&self, before: OffsetDateTime) -> Result<u64> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let mut n = 0;
            for sql in [
                "DELETE FROM login_failures WHERE at < $1",
                "DELETE FROM login_streaks WHERE last_failure_at < $1 AND (locked_until IS NULL OR locked_until < $1)",
                "DELETE FROM login_locks WHERE locked_until < $1",
            ] {
                n += sqlx::query(sql).bind(ms(before)).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            }
            tx.commit().await.map_err(db_err)?;
            Ok(n)
        })
    }
}
