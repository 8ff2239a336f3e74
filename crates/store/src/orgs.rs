//! SQL for organisations.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::OrgId;
use wushe_core::orgs::{Org, OrgFilter, OrgInput, OrgKind};
use wushe_core::regions::RegionCode;
use wushe_core::store::OrgStore;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, fetch, like_escape, ms, on_pool};

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: Uuid,
    name: String,
    kind: String,
    region_code: String,
    phone: Option<String>,
    address: Option<String>,
    description: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl OrgRow {
    fn into_org(self) -> Result<Org> {
        Ok(Org {
            id: OrgId(self.id),
            name: self.name,
            kind: OrgKind::parse(&self.kind)
                .ok_or_else(|| Error::internal(format!("bad org kind {}", self.kind)))?,
            region: RegionCode(self.region_code),
            phone: self.phone,
            address: self.address,
            description: self.description,
            version: self.version,
            created_at: at(self.created_at),
            updated_at: at(self.updated_at),
        })
    }
}

const SELECT: &str = "SELECT id, name, kind, region_code, phone, address, description, version, created_at, updated_at FROM orgs";

#[async_trait]
impl OrgStore for SqlStore {
    async fn insert_org(&self, o: &Org, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO orgs (id, name, kind, region_code, phone, address, description, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            )
            .bind(o.id.0).bind(&o.name).bind(o.kind.as_str()).bind(&o.region.0)
            .bind(&o.phone).bind(&o.address).bind(&o.description).bind(o.version)
            .bind(ms(o.created_at)).bind(ms(o.updated_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn update_org(
        &self,
        id: OrgId,
        i: &OrgInput,
        version: i64,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let res = sqlx::query(
                "UPDATE orgs SET name = $1, kind = $2, region_code = $3, phone = $4, address = $5, description = $6,
                     version = version + 1, updated_at = $7
                 WHERE id = $8 AND version = $9"
            )
            .bind(&i.name).bind(i.kind.as_str()).bind(&i.region.0).bind(&i.phone).bind(&i.address)
            .bind(&i.description).bind(ms(now)).bind(id.0).bind(version)
            .execute(&mut *tx).await.map_err(db_err)?;
            if res.rows_affected() == 0 {
                // Dropping the transaction rolls it back: nothing changed, nothing audited.
                return Err(Error::Conflict("changed meanwhile".into()));
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn org(&self, id: OrgId) -> Result<Option<Org>> {
        const SQL: &str = "SELECT id, name, kind, region_code, phone, address, description, version, created_at, updated_at FROM orgs WHERE id = $1";
        let row: Option<OrgRow> =
            on_pool!(&self.db, p => sqlx::query_as(SQL).bind(id.0).fetch_optional(p).await)
                .map_err(db_err)?;
        row.map(OrgRow::into_org).transpose()
    }

    async fn list_orgs(&self, f: &OrgFilter) -> Result<Vec<Org>> {
        // Each filter is a fixed clause that is skipped when its value is NULL.
        let sql = format!(
            "{SELECT} WHERE ($1 IS NULL OR kind = $1)
               AND ($2 IS NULL OR region_code LIKE $2 || '%')
               AND ($3 IS NULL OR name LIKE $3 ESCAPE '\\')
             ORDER BY region_code, name LIMIT $4"
        );
        let kind = f.kind.map(|k| k.as_str());
        let region = f.region.as_ref().map(|r| r.0.as_str());
        let query = f.query.as_ref().map(|q| format!("%{}%", like_escape(q)));
        let rows: Vec<OrgRow> = fetch!(
            all,
            &self.db,
            sql,
            [kind, region, query.as_deref(), i64::from(f.limit)]
        )?;
        rows.into_iter().map(OrgRow::into_org).collect()
    }
}
