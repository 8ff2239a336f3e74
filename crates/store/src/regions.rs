//! SQL for places.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use wushe_core::audit::AuditEvent;
use wushe_core::regions::{Level, NewPlace, Region, RegionCode};
use wushe_core::store::RegionStore;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, db_err, like_escape, on_pool};

#[derive(sqlx::FromRow)]
struct RegionRow {
    code: String,
    name: String,
    display_name: String,
    parent_code: Option<String>,
    level: String,
}

impl RegionRow {
    fn into_region(self) -> Result<Region> {
        let level = Level::parse(&self.level)
            .ok_or_else(|| Error::internal(format!("bad level {}", self.level)))?;
        Ok(Region {
            code: RegionCode(self.code),
            name: self.name,
            display_name: self.display_name,
            parent: self.parent_code.map(RegionCode),
            level,
        })
    }
}

fn regions(rows: Vec<RegionRow>) -> Result<Vec<Region>> {
    rows.into_iter().map(RegionRow::into_region).collect()
}

/// How long a place read by its code is answered from memory. Official division codes change a
/// few times a year; another process (the `regions import` command, another node) changing a
/// place is seen within this time, a change made through this store at once.
const PLACE_TTL: Duration = Duration::from_secs(60);

/// Places read by code, kept for [`PLACE_TTL`]: every intake and most pages look one up, and on
/// SQLite each query is a round trip to the connection's thread. Only found places are kept, so
/// a new place is found as soon as it exists.
#[derive(Debug, Default)]
pub(crate) struct PlaceCache(RwLock<HashMap<String, (Instant, Region)>>);

impl PlaceCache {
    fn get(&self, code: &RegionCode) -> Option<Region> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.get(&code.0)
            .filter(|(at, _)| at.elapsed() < PLACE_TTL)
            .map(|(_, r)| r.clone())
    }

    fn keep(&self, r: &Region) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.insert(r.code.0.clone(), (Instant::now(), r.clone()));
    }

    fn forget_all(&self) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[async_trait]
impl RegionStore for SqlStore {
    async fn upsert_regions(&self, list: &[Region], audit: &AuditEvent) -> Result<usize> {
        const SQL: &str = "INSERT INTO regions (code, name, display_name, parent_code, level) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, display_name = excluded.display_name,
                parent_code = excluded.parent_code, level = excluded.level
            WHERE regions.name <> excluded.name OR regions.display_name <> excluded.display_name
                OR regions.level <> excluded.level";
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let mut changed = 0usize;
            for r in list {
                let res = sqlx::query(SQL)
                    .bind(&r.code.0)
                    .bind(&r.name)
                    .bind(&r.display_name)
                    .bind(r.parent.as_ref().map(|c| c.0.as_str()))
                    .bind(r.level.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                changed += res.rows_affected() as usize;
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            self.places.forget_all();
            Ok(changed)
        })
    }

    async fn region_index(&self) -> Result<HashMap<String, (Level, String)>> {
        let rows: Vec<RegionRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT code, name, display_name, parent_code, level FROM regions WHERE level IN ('province','city','district','street','community')"
        ).fetch_all(p).await).map_err(db_err)?;
        let mut map = HashMap::with_capacity(rows.len());
        for r in regions(rows)? {
            map.insert(r.code.0, (r.level, r.display_name));
        }
        Ok(map)
    }

    async fn region(&self, code: &RegionCode) -> Result<Option<Region>> {
        if let Some(r) = self.places.get(code) {
            return Ok(Some(r));
        }
        let row: Option<RegionRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT code, name, display_name, parent_code, level FROM regions WHERE code = $1"
        ).bind(&code.0).fetch_optional(p).await)
        .map_err(db_err)?;
        let found = row.map(RegionRow::into_region).transpose()?;
        if let Some(r) = &found {
            self.places.keep(r);
        }
        Ok(found)
    }

    async fn region_children(&self, parent: Option<&RegionCode>) -> Result<Vec<Region>> {
        let rows: Vec<RegionRow> = match parent {
            Some(c) => on_pool!(&self.db, p => sqlx::query_as(
                "SELECT code, name, display_name, parent_code, level FROM regions WHERE parent_code = $1 ORDER BY code"
            ).bind(&c.0).fetch_all(p).await),
            None => on_pool!(&self.db, p => sqlx::query_as(
                "SELECT code, name, display_name, parent_code, level FROM regions WHERE parent_code IS NULL ORDER BY code"
            ).fetch_all(p).await),
        }
        .map_err(db_err)?;
        regions(rows)
    }

    async fn region_path(&self, code: &RegionCode) -> Result<Vec<Region>> {
        let rows: Vec<RegionRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT code, name, display_name, parent_code, level FROM regions
             WHERE $1 LIKE code || '%' ORDER BY length(code)"
        ).bind(&code.0).fetch_all(p).await)
        .map_err(db_err)?;
        regions(rows)
    }

    async fn search_regions(&self, query: &str, limit: u32) -> Result<Vec<Region>> {
        let pattern = format!("%{}%", like_escape(query));
        let rows: Vec<RegionRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT code, name, display_name, parent_code, level FROM regions
             WHERE display_name LIKE $1 ESCAPE '\\' ORDER BY length(code), code LIMIT $2"
        ).bind(&pattern).bind(i64::from(limit)).fetch_all(p).await)
        .map_err(db_err)?;
        regions(rows)
    }

    async fn insert_place(
        &self,
        place: &NewPlace,
        display_name: &str,
        audit: &AuditEvent,
    ) -> Result<Region> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            // Taking the audit head first serialises every audited write, so two inserts under
            // one parent never count the same number of children.
            let head = lock_head!(tx);
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM regions WHERE parent_code = $1 AND level = $2")
                .bind(&place.parent.0)
                .bind(place.level.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            let Some(code) = place.parent.child_code(place.level, n + 1) else {
                return Err(Error::invalid(
                    "parent",
                    "这里已放不下更多网格或楼栋（网格最多99个，楼栋最多999个）",
                    "No room for more here (at most 99 grids and 999 buildings per place)",
                ));
            };
            let code = code.0;
            sqlx::query("INSERT INTO regions (code, name, display_name, parent_code, level) VALUES ($1, $2, $3, $4, $5)")
                .bind(&code)
                .bind(&place.name)
                .bind(display_name)
                .bind(&place.parent.0)
                .bind(place.level.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            append_entry!(tx, head, &audit.with_record_id(&code));
            tx.commit().await.map_err(db_err)?;
            Ok(Region {
                code: RegionCode(code),
                name: place.name.clone(),
                display_name: display_name.to_string(),
                parent: Some(place.parent.clone()),
                level: place.level,
            })
        })
    }
}
