//! SQL for key fingerprints and for rotating sealed columns, and **the** registry of
//! encrypted columns: every column that holds sealed values is listed here, so key rotation
//! and the canary tests find them all. SQL is built only from these static names.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::crypto::{EncryptedColumn, KeyId};
use wushe_core::needs::{record, timeline};
use wushe_core::people::{checks as people_checks, record as people};
use wushe_core::store::KeyStore;
use wushe_core::users::second_factor;
use wushe_core::volunteers::record as volunteers;
use wushe_core::{Error, Result};

use crate::{SqlStore, db_err, ms, on_pool};

/// Every column holding values sealed by the field cipher.
pub const ENCRYPTED_COLUMNS: &[EncryptedColumn] = &[
    second_factor::TOTP_SECRET,
    record::CONTACT_NAME,
    record::MOBILE,
    record::ADDRESS,
    record::DESCRIPTION,
    record::SUBJECT,
    timeline::NOTE,
    volunteers::SIGNUP_NAME,
    volunteers::SIGNUP_MOBILE,
    people::NAME,
    people::ID_NUMBER,
    people::PHONE,
    people::ADDRESS,
    people::CATEGORIES,
    people::HEALTH_NOTES,
    people::CONTACT,
    people::BIRTH_DATE,
    people_checks::DETAILS,
    wushe_core::notify::webhook::SECRET,
    wushe_core::notify::sms::DEMO_PHONE,
    wushe_core::notify::sms::DEMO_BODY,
    wushe_core::notify::codes::PHONE,
    wushe_core::notify::codes::CODE,
];

/// Refuse any column not in the registry (the names go into SQL text).
fn registered(col: &EncryptedColumn) -> Result<&'static EncryptedColumn> {
    ENCRYPTED_COLUMNS.iter().find(|c| *c == col).ok_or_else(|| {
        Error::internal(format!(
            "{}.{} is not a registered encrypted column",
            col.table, col.column
        ))
    })
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn key_fingerprints(&self) -> Result<Vec<(KeyId, String)>> {
        let rows: Vec<(i64, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT key_id, fingerprint FROM key_fingerprints ORDER BY key_id"
        ).fetch_all(p).await)
        .map_err(db_err)?;
        rows.into_iter()
            .map(|(id, fp)| Ok((KeyId::try_from(id).map_err(Error::internal)?, fp)))
            .collect()
    }

    async fn add_key_fingerprint(
        &self,
        id: KeyId,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query(
            "INSERT INTO key_fingerprints (key_id, fingerprint, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (key_id) DO NOTHING"
        ).bind(i64::from(id)).bind(fingerprint).bind(ms(now))
        .execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(())
    }

    fn encrypted_columns(&self) -> &'static [EncryptedColumn] {
        ENCRYPTED_COLUMNS
    }

    async fn sealed_batch(
        &self,
        column: &EncryptedColumn,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Uuid, Vec<u8>)>> {
        let c = registered(column)?;
        let (id, col, table) = (c.id_column, c.column, c.table);
        let sql = match after {
            Some(_) => format!(
                "SELECT {id}, {col} FROM {table} WHERE {col} IS NOT NULL AND {id} > $2 ORDER BY {id} LIMIT $1"
            ),
            None => format!(
                "SELECT {id}, {col} FROM {table} WHERE {col} IS NOT NULL ORDER BY {id} LIMIT $1"
            ),
        };
        let rows: Vec<(Uuid, Vec<u8>)> = on_pool!(&self.db, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(i64::from(limit));
            if let Some(a) = after {
                q = q.bind(a);
            }
            q.fetch_all(p).await
        })
        .map_err(db_err)?;
        Ok(rows)
    }

    async fn replace_sealed(
        &self,
        column: &EncryptedColumn,
        row: Uuid,
        old: &[u8],
        new: &[u8],
    ) -> Result<bool> {
        let c = registered(column)?;
        let (id, col, table) = (c.id_column, c.column, c.table);
        let sql = format!("UPDATE {table} SET {col} = $1 WHERE {id} = $2 AND {col} = $3");
        let n = on_pool!(&self.db, p => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(new).bind(row).bind(old)
            .execute(p).await.map(|r| r.rows_affected()))
        .map_err(db_err)?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_registered_encrypted_column_exists_and_a_foreign_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("wushe-keys-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let store = SqlStore::open(&url, false).await.expect("open");
        for c in ENCRYPTED_COLUMNS {
            let rows = store
                .sealed_batch(c, None, 10)
                .await
                .expect("column exists");
            assert!(rows.is_empty());
            assert!(
                !store
                    .replace_sealed(c, Uuid::now_v7(), b"a", b"b")
                    .await
                    .expect("update")
            );
        }
        let foreign = EncryptedColumn {
            table: "users",
            column: "password_hash",
            id_column: "id",
        };
        assert!(store.sealed_batch(&foreign, None, 10).await.is_err());
        assert!(
            store
                .replace_sealed(&foreign, Uuid::now_v7(), b"a", b"b")
                .await
                .is_err()
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
