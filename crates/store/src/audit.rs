//! SQL for the audit log. Every audited transaction starts with [`lock_head!`] (an update of
//! the one-row `audit_head`: the write lock on SQLite, the row lock on PostgreSQL), makes its
//! change, then [`append_entry!`] seals the event onto the head, stores it with its record
//! ids and moves the head — so concurrent appends queue up and never fork the chain. The
//! macros expand inside `on_pool!` bodies, once per backend, like the rest of the SQL.

use async_trait::async_trait;
use wushe_core::Result;
use wushe_core::audit::{Anchor, AuditEntry, AuditEvent, AuditFilter};
use wushe_core::regions::RegionCode;
use wushe_core::store::AuditStore;

use crate::{SqlStore, db_err, fetch, ms, on_pool, scope_clause};

/// Takes the lock and reads the head. `SET seq = seq` changes nothing but is a write.
pub(crate) const LOCK_HEAD: &str =
    "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash";
pub(crate) const INSERT_ENTRIES: &str = "INSERT INTO audit_log
    (seq, at, actor_id, roles, region_code, action, record_kind, record_ids, request_id, outcome, prev_hash, hash) ";
pub(crate) const INSERT_REFS: &str = "INSERT INTO audit_refs (record_id, seq) ";

const COLS: &str = "seq, at, actor_id, roles, region_code, action, record_kind, record_ids, request_id, outcome, prev_hash, hash";

/// Lock the audit head in the open transaction `$tx` and return it as an `Anchor`. Must be
/// the transaction's first statement (on SQLite a read first would make the later upgrade
/// to a writer fail instead of wait).
macro_rules! lock_head {
    ($tx:ident) => {{
        let (seq, hash): (i64, String) = sqlx::query_as($crate::audit::LOCK_HEAD)
            .fetch_one(&mut *$tx)
            .await
            .map_err($crate::db_err)?;
        wushe_core::audit::Anchor { seq, hash }
    }};
}
pub(crate) use lock_head;

/// Seal `$event` onto `$head` and write it, its record ids and the new head in `$tx`.
/// Evaluates to the stored `AuditEntry`.
macro_rules! append_entry {
    ($tx:ident, $head:expr, $event:expr) => {{
        let mut entries = $crate::audit::append_entries!($tx, $head, [$event]);
        entries.pop().expect("one event makes one entry")
    }};
}
pub(crate) use append_entry;

/// Seal `events` one after the other onto `head`: the entries, and the head after them.
pub(crate) fn seal_entries<'a>(
    head: &Anchor,
    events: impl IntoIterator<Item = &'a AuditEvent>,
) -> (Vec<AuditEntry>, Anchor) {
    let mut head = head.clone();
    let entries = events
        .into_iter()
        .map(|e| {
            let entry = AuditEntry::seal(&head, e);
            head = entry.anchor();
            entry
        })
        .collect();
    (entries, head)
}

/// Push the statements that store sealed `$entries` (`&[AuditEntry]`), their record ids and
/// the new head `$head` into `$q` (see statements.rs; `$tx` is the open transaction).
macro_rules! push_entries {
    ($tx:ident, $q:ident, $entries:expr, $head:expr) => {{
        let entries: &[wushe_core::audit::AuditEntry] = $entries;
        let head: &wushe_core::audit::Anchor = $head;
        if !entries.is_empty() {
            $crate::statements::next_statement!($tx, $q);
            $q.push($crate::audit::INSERT_ENTRIES);
            $q.push_values(entries.iter(), |mut b, entry| {
                b.push_bind(entry.seq)
                    .push_bind(entry.at_ms)
                    .push_bind(entry.actor.as_deref())
                    .push_bind(entry.roles.as_str())
                    .push_bind(entry.region.as_deref())
                    .push_bind(entry.action.as_str())
                    .push_bind(entry.record_kind.as_deref())
                    .push_bind(entry.record_ids.as_str())
                    .push_bind(entry.request_id.as_deref())
                    .push_bind(entry.outcome.as_str())
                    .push_bind(entry.prev_hash.as_str())
                    .push_bind(entry.hash.as_str());
            });
            let refs: Vec<(&str, i64)> = entries
                .iter()
                .flat_map(|entry| entry.ids().map(move |id| (id, entry.seq)))
                .collect();
            if !refs.is_empty() {
                $crate::statements::next_statement!($tx, $q);
                $q.push($crate::audit::INSERT_REFS);
                $q.push_values(refs, |mut b, (id, seq)| {
                    b.push_bind(id).push_bind(seq);
                });
                $q.push(" ON CONFLICT DO NOTHING");
            }
            $crate::statements::next_statement!($tx, $q);
            $q.push("UPDATE audit_head SET seq = ")
                .push_bind(head.seq)
                .push(", hash = ")
                .push_bind(head.hash.as_str())
                .push(" WHERE id = 1");
        }
    }};
}
pub(crate) use push_entries;

/// Seal the events of `$events` (an array or vector of `&AuditEvent`) one after the other onto
/// `$head`, and write them, their record ids and the new head in `$tx` with one statement per
/// table. Evaluates to the stored entries (a `Vec`).
macro_rules! append_entries {
    ($tx:ident, $head:expr, $events:expr) => {{
        let (entries, head) = $crate::audit::seal_entries(&$head, $events);
        let mut q = sqlx::QueryBuilder::new("");
        $crate::audit::push_entries!($tx, q, &entries, &head);
        $crate::statements::run_statements!($tx, q);
        entries
    }};
}
pub(crate) use append_entries;

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    at: i64,
    actor_id: Option<String>,
    roles: String,
    region_code: Option<String>,
    action: String,
    record_kind: Option<String>,
    record_ids: String,
    request_id: Option<String>,
    outcome: String,
    prev_hash: String,
    hash: String,
}

impl From<EntryRow> for AuditEntry {
    fn from(r: EntryRow) -> AuditEntry {
        AuditEntry {
            seq: r.seq,
            at_ms: r.at,
            actor: r.actor_id,
            roles: r.roles,
            region: r.region_code,
            action: r.action,
            record_kind: r.record_kind,
            record_ids: r.record_ids,
            request_id: r.request_id,
            outcome: r.outcome,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<AuditEntry> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let entry = append_entry!(tx, head, event);
            tx.commit().await.map_err(db_err)?;
            Ok(entry)
        })
    }

    async fn list_audit(
        &self,
        scope: &[RegionCode],
        f: &AuditFilter,
        viewed: &AuditEvent,
    ) -> Result<Vec<AuditEntry>> {
        self.append_audit(viewed).await?;
        // Each filter is a fixed clause skipped when its value is NULL; scope placeholders first.
        let n = scope.len();
        let sql = format!(
            "SELECT {COLS} FROM audit_log WHERE {}
               AND (${a} IS NULL OR actor_id = ${a})
               AND (${b} IS NULL OR action = ${b})
               AND (${c} IS NULL OR seq IN (SELECT seq FROM audit_refs WHERE record_id = ${c}))
               AND (${d} IS NULL OR at >= ${d})
               AND (${e} IS NULL OR at < ${e})
               AND (${g} IS NULL OR seq < ${g})
             ORDER BY seq DESC LIMIT ${h}",
            scope_clause("region_code", n, 1),
            a = n + 1,
            b = n + 2,
            c = n + 3,
            d = n + 4,
            e = n + 5,
            g = n + 6,
            h = n + 7,
        );
        let actor = f.actor.map(|a| a.to_string());
        let action = f.action.map(|a| a.as_str());
        let rows: Vec<EntryRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for c in scope {
                q = q.bind(c.0.as_str());
            }
            q.bind(actor.as_deref())
                .bind(action)
                .bind(f.record.as_deref())
                .bind(f.from.map(ms))
                .bind(f.until.map(ms))
                .bind(f.before)
                .bind(i64::from(f.limit))
                .fetch_all(p)
                .await
        })
        .map_err(db_err)?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql = format!("SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows: Vec<EntryRow> = fetch!(all, &self.db, sql, [after, i64::from(limit)])?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn audit_head(&self) -> Result<Anchor> {
        let (seq, hash): (i64, String) = on_pool!(&self.db, p => sqlx::query_as(
            "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash"
        ).fetch_one(p).await)
        .map_err(db_err)?;
        Ok(Anchor { seq, hash })
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
pub(crate) mod tests;
