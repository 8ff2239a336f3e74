//! SQL for the vulnerable-people registry and welfare checks. Personal values arrive sealed;
//! anonymising sets them (and the blind indexes) to NULL in one transaction.

mod stored;

use stored::{COLS, CheckRow, PersonRow, UPDATE, insert_checks, insert_people, level_str};

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{PersonId, UserId};
use wushe_core::people::checks::Check;
use wushe_core::people::record::{Person, format_date};
use wushe_core::people::schedule::{DueCount, DueGroup, PeopleFilter, day_number};
use wushe_core::regions::RegionCode;
use wushe_core::store::PeopleStore;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{Db, SqlStore, db_err, fetch, ms, on_pool};

impl SqlStore {
    /// SQLite keeps the page images a transaction replaced in the write-ahead log until a
    /// checkpoint: after removing personal values, copy the log into the (securely deleted)
    /// file and empty it, so the old values are gone from both. PostgreSQL: nothing to do
    /// here (its WAL and dead tuples are the server's, vacuumed by autovacuum).
    async fn forget_old_pages(&self) -> Result<()> {
        if let Db::Sqlite(p) = &self.db {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
}

/// Inside one of `n` region prefixes bound from placeholder `first`: a range on `region_code`
/// (`>= p` and `< p || 'Z'`), which an index serves on both backends, unlike `LIKE p || '%'`.
/// Region codes hold digits and the upper-case `G`/`B` segment letters, all sorting before `Z`
/// in every collation, so the range holds exactly the codes starting with `p`.
/// `column IN ($first, …)` for `n` values; never true for none.
fn one_of(column: &str, n: usize, first: usize) -> String {
    if n == 0 {
        return "1 = 0".into();
    }
    let list: Vec<String> = (first..first + n).map(|k| format!("${k}")).collect();
    format!("{column} IN ({})", list.join(", "))
}

fn in_scope(n: usize, first: usize) -> String {
    in_scope_on("region_code", n, first)
}

/// `in_scope` over another column holding region codes.
fn in_scope_on(column: &str, n: usize, first: usize) -> String {
    if n == 0 {
        return "1 = 0".into();
    }
    let parts: Vec<String> = (0..n)
        .map(|i| {
            let k = first + i;
            format!("({column} >= ${k} AND {column} < ${k} || 'Z')")
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

fn rows(v: Vec<PersonRow>) -> Result<Vec<Person>> {
    v.into_iter().map(Person::try_from).collect()
}

impl SqlStore {
    /// Due counts by region from the per-day counters the triggers of `people_due_days` keep
    /// (a few rows per region and day instead of every person). The counters read are the
    /// group's level, or a finer one when the scope is narrower than the group (a street's
    /// district count reads that street's counters).
    async fn counted_due(
        &self,
        scope: &[RegionCode],
        len: usize,
        due_day: i64,
        overdue_day: i64,
    ) -> Result<Vec<DueCount>> {
        let widest = scope.iter().map(|s| s.0.len()).max().unwrap_or(0);
        let Some(level) = [6, 9, 12].into_iter().find(|l| *l >= len.max(widest)) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT substr(prefix, 1, {len}) AS k, CAST(SUM(n) AS BIGINT), \
             CAST(SUM(CASE WHEN due_day < $1 THEN n ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN due_day < $2 THEN n ELSE 0 END) AS BIGINT) \
             FROM people_due_days WHERE level = {level} AND {} GROUP BY k ORDER BY k",
            in_scope_on("prefix", scope.len(), 3)
        );
        self.counts_by_key(&sql, due_day, overdue_day, scope).await
    }

    /// Runs a count query of `(key, active, due, overdue)` rows whose bounds are `$1`, `$2`
    /// and whose scope codes follow from `$3`.
    async fn counts_by_key(
        &self,
        sql: &str,
        due: i64,
        overdue: i64,
        scope: &[RegionCode],
    ) -> Result<Vec<DueCount>> {
        let v: Vec<(String, i64, i64, i64)> = on_pool!(&self.db, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string())).bind(due).bind(overdue);
            for s in scope {
                q = q.bind(s.0.clone());
            }
            q.fetch_all(p).await
        })
        .map_err(db_err)?;
        Ok(v.into_iter()
            .map(|(key, active, due, overdue)| DueCount {
                key,
                active,
                due,
                overdue,
            })
            .collect())
    }
}

#[async_trait]
impl PeopleStore for SqlStore {
    async fn insert_person(&self, p: &Person, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            insert_people!(tx, std::slice::from_ref(p));
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn insert_people_batch(
        &self,
        people: &[Person],
        checks: &[Check],
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            insert_people!(tx, people);
            insert_checks!(tx, checks);
            let audit = audit.with_record_id(format!("count:{}", people.len()));
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn update_person(&self, p: &Person, version: i64, audit: &AuditEvent) -> Result<()> {
        let s = &p.sealed;
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(UPDATE)
                .bind(p.id.0).bind(&p.region.0).bind(level_str(p.care_level))
                .bind(p.worker.map(|w| w.0)).bind(p.basis.kind.as_str())
                .bind(format_date(p.basis.date)).bind(&p.basis.notice_version)
                .bind(p.basis.sensitive_consent).bind(p.basis.guardian_consent)
                .bind(&s.name).bind(&s.id_number).bind(&s.phone).bind(&s.address)
                .bind(&s.categories).bind(&s.health_notes).bind(&s.contact).bind(&s.birth_date)
                .bind(&s.id_number_index).bind(&s.phone_index)
                .bind(ms(p.next_due_at)).bind(ms(p.updated_at)).bind(version)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n == 0 {
                return Err(Error::Conflict("changed meanwhile".into()));
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn person(&self, id: PersonId) -> Result<Option<Person>> {
        let sql = format!("SELECT {COLS} FROM people WHERE id = $1");
        let row: Option<PersonRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Person::try_from).transpose()
    }

    async fn list_people(&self, scope: &[RegionCode], f: &PeopleFilter) -> Result<Vec<Person>> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        let n = scope.len();
        let sql = format!(
            "SELECT {COLS} FROM people WHERE {} \
             AND (status = 'active' OR ($1 AND status = 'closed')) \
             AND ($2 IS NULL OR region_code LIKE $2 || '%') \
             AND ($3 IS NULL OR worker_id = $3) \
             ORDER BY region_code, id LIMIT $4 OFFSET $5",
            in_scope(n, 6)
        );
        let region = f.region.as_ref().map(|r| r.0.clone());
        let worker = f.worker.map(|w| w.0);
        let v: Vec<PersonRow> = fetch!(all, &self.db, sql, [f.include_closed, region.clone(), worker, i64::from(f.limit), i64::from(f.offset)], in scope)?;
        rows(v)
    }

    async fn people_by_index(
        &self,
        scope: &[RegionCode],
        id_number_indexes: &[&str],
        phone_indexes: &[&str],
    ) -> Result<Vec<Person>> {
        let (ids, phones) = (id_number_indexes.len(), phone_indexes.len());
        if scope.is_empty() || ids + phones == 0 {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLS} FROM people WHERE status <> 'anonymised' \
             AND ({} OR {}) AND {} ORDER BY region_code, id LIMIT {}",
            one_of("id_number_index", ids, 1),
            one_of("phone_index", phones, 1 + ids),
            in_scope(scope.len(), 1 + ids + phones),
            50 * (ids + phones)
        );
        let values = id_number_indexes.iter().chain(phone_indexes);
        let v: Vec<PersonRow> = fetch!(all, &self.db, sql, [], each values, in scope)?;
        rows(v)
    }

    async fn due_people(
        &self,
        scope: &[RegionCode],
        worker: Option<UserId>,
        due_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Person>> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        // Two texts rather than `($2 IS NULL OR worker_id = $2)`, which no index can serve.
        let by_worker = if worker.is_some() {
            "worker_id = $2"
        } else {
            "$2 IS NULL"
        };
        // One community or one street is read in due order from its index (region, or the
        // street expression of `people_street_due`) and the walk stops at the limit. A wider
        // scope (a district, a city) is read in due order from the due-time index. Several
        // communities or streets, or one worker, hold few people: they are read by region and
        // sorted (`+next_due_at` keeps the planner off the due-time index, which it would
        // otherwise walk to save the sort).
        let (due, region) = match scope {
            [one] if worker.is_none() && one.0.len() == 12 => {
                ("next_due_at", "region_code = $4".into())
            }
            [one] if worker.is_none() && one.0.len() == 9 => {
                ("next_due_at", "substr(region_code, 1, 9) = $4".into())
            }
            _ if worker.is_none() && scope.iter().all(|s| s.0.len() >= 9) => {
                ("+next_due_at", in_scope(scope.len(), 4))
            }
            _ => ("next_due_at", in_scope(scope.len(), 4)),
        };
        // Only the keys are sorted; the full rows (their sealed values are most of a row) are
        // read for the chosen few.
        let key = match self.db {
            Db::Sqlite(_) => "rowid",
            Db::Pg(_) => "id",
        };
        let sql = format!(
            "SELECT {COLS} FROM people WHERE {key} IN (\
             SELECT {key} FROM people WHERE status = 'active' AND {due} < $1 \
             AND {by_worker} AND {region} ORDER BY {due} LIMIT $3) \
             ORDER BY next_due_at, care_level"
        );
        let v: Vec<PersonRow> = fetch!(all, &self.db, sql, [ms(due_before), worker.map(|w| w.0), i64::from(limit)], in scope)?;
        rows(v)
    }

    async fn due_counts(
        &self,
        scope: &[RegionCode],
        group: DueGroup,
        due_before: OffsetDateTime,
        overdue_before: OffsetDateTime,
    ) -> Result<Vec<DueCount>> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        if let (Some(len), Some(due_day), Some(overdue_day)) = (
            group.code_len(),
            day_number(due_before),
            day_number(overdue_before),
        ) {
            return self.counted_due(scope, len, due_day, overdue_day).await;
        }
        // Workers, or bounds that are not day starts: count the people themselves.
        let tail = format!(
            "COUNT(*), \
             SUM(CASE WHEN next_due_at < $1 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN next_due_at < $2 THEN 1 ELSE 0 END) \
             FROM people WHERE status = 'active' AND {}",
            in_scope(scope.len(), 3)
        );
        let (due, over) = (ms(due_before), ms(overdue_before));
        match group {
            DueGroup::Worker => {
                let sql = format!("SELECT worker_id, {tail} GROUP BY worker_id ORDER BY 3 DESC");
                let v: Vec<(Option<Uuid>, i64, i64, i64)> =
                    fetch!(all, &self.db, sql, [due, over], in scope)?;
                Ok(v.into_iter()
                    .map(|(k, active, due, overdue)| DueCount {
                        key: k.map(|u| u.to_string()).unwrap_or_default(),
                        active,
                        due,
                        overdue,
                    })
                    .collect())
            }
            DueGroup::Community | DueGroup::Street | DueGroup::District => {
                let key = match group {
                    DueGroup::Street => "substr(region_code, 1, 9)",
                    DueGroup::District => "substr(region_code, 1, 6)",
                    _ => "region_code",
                };
                let sql = format!("SELECT {key} AS k, {tail} GROUP BY k ORDER BY k");
                self.counts_by_key(&sql, due, over, scope).await
            }
        }
    }

    async fn insert_check(
        &self,
        c: &Check,
        next_due_at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE people SET last_check_at = $1, next_due_at = $2 \
                 WHERE id = $3 AND status = 'active'",
            )
            .bind(ms(c.at)).bind(ms(next_due_at)).bind(c.person.0)
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n == 0 {
                return Err(Error::Conflict("record closed".into()));
            }
            insert_checks!(tx, std::slice::from_ref(c));
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn checks_of(&self, person: PersonId, limit: u32) -> Result<Vec<Check>> {
        let v: Vec<CheckRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, person_id, region_code, worker_id, at, method, reached, details, \
             raised_door_visit FROM checks WHERE person_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(person.0).bind(i64::from(limit)).fetch_all(p).await)
        .map_err(db_err)?;
        v.into_iter().map(Check::try_from).collect()
    }

    async fn checks_in_scope(
        &self,
        scope: &[RegionCode],
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Check>> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, person_id, region_code, worker_id, at, method, reached, details, \
             raised_door_visit FROM checks WHERE {} AND at >= $1 \
             ORDER BY at DESC, id DESC LIMIT $2",
            in_scope(scope.len(), 3)
        );
        let v: Vec<CheckRow> = fetch!(all, &self.db, sql, [ms(since), i64::from(limit)], in scope)?;
        v.into_iter().map(Check::try_from).collect()
    }

    async fn set_person_closed(
        &self,
        id: PersonId,
        closed_at: Option<OffsetDateTime>,
        version: i64,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        let status = if closed_at.is_some() {
            "closed"
        } else {
            "active"
        };
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE people SET status = $1, closed_at = $2, updated_at = $3, \
                 version = version + 1 WHERE id = $4 AND version = $5 AND status <> 'anonymised'",
            )
            .bind(status).bind(closed_at.map(ms)).bind(ms(now)).bind(id.0).bind(version)
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n == 0 {
                return Err(Error::Conflict("changed meanwhile".into()));
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn anonymise_person(
        &self,
        id: PersonId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE people SET status = 'anonymised', name = NULL, id_number = NULL, \
                 phone = NULL, address = NULL, categories = NULL, health_notes = NULL, \
                 contact = NULL, birth_date = NULL, id_number_index = NULL, phone_index = NULL, \
                 worker_id = NULL, closed_at = COALESCE(closed_at, $1), updated_at = $1, \
                 version = version + 1 WHERE id = $2",
            )
            .bind(ms(now)).bind(id.0)
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n == 0 {
                return Err(Error::NotFound);
            }
            sqlx::query("UPDATE checks SET details = NULL WHERE person_id = $1")
                .bind(id.0).execute(&mut *tx).await.map_err(db_err)?;
            // Needs about the person keep their figures (category, times, states) and lose
            // every personal value and the link.
            let empty: &[u8] = &[];
            sqlx::query(
                "UPDATE needs SET contact_name = $1, mobile = $1, address = $1, description = $1, \
                 subject = $1, mobile_index = '', person_id = NULL WHERE person_id = $2",
            )
            .bind(empty).bind(id.0)
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<(), Error>(())
        })?;
        self.forget_old_pages().await
    }

    async fn purge_closed_people(
        &self,
        closed_before: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<u64> {
        let n = on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "UPDATE needs SET person_id = NULL WHERE person_id IN (SELECT id FROM people \
                 WHERE status = 'closed' AND closed_at IS NOT NULL AND closed_at < $1)",
            )
            .bind(ms(closed_before))
            .execute(&mut *tx).await.map_err(db_err)?;
            let n = sqlx::query(
                "DELETE FROM people WHERE status = 'closed' \
                 AND closed_at IS NOT NULL AND closed_at < $1",
            )
            .bind(ms(closed_before))
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n == 0 {
                // Nothing purged: nothing to record.
                return Ok(0);
            }
            let audit = audit.with_record_id(format!("count:{n}"));
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok::<u64, Error>(n)
        })?;
        if n > 0 {
            self.forget_old_pages().await?;
        }
        Ok(n)
    }
}
