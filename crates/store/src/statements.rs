//! Writes that read nothing back, sent with as few trips to the database as it allows.
//!
//! A transaction often ends with several inserts and updates in a row (the timeline events,
//! the outbox rows, the audit entries, their record ids, the audit head). Each statement sent
//! on its own is a round trip: for SQLite one to the connection's thread and back, about a
//! tenth of a millisecond here, which is most of a lone intake batch; for PostgreSQL one to the
//! server. So they are built into one query: SQLite runs a query of several statements with
//! their parameters in one go; PostgreSQL takes one statement per message, so there they
//! become one statement, each a data-modifying `WITH` part of it (`WITH s0 AS (INSERT …),
//! s9 AS (UPDATE …) SELECT 1`). The parts run on one snapshot and do not see each other's
//! rows, which these writes never need (each writes rows of its own table, and foreign keys
//! are checked at the end of the statement). Callers write the same code for both:
//!
//! ```ignore
//! let mut q = sqlx::QueryBuilder::new("");
//! next_statement!(tx, q);   // before each statement
//! q.push(INSERT_NEEDS);     // …and its values
//! next_statement!(tx, q);
//! q.push(INSERT_EVENTS);    // …
//! run_statements!(tx, q);   // run them (nothing when none was pushed)
//! ```
//!
//! The `push_…!` macros of the features (`push_events!`, `push_outbox!`, `push_entries!`) call
//! `next_statement!` before each statement they push.

/// Placeholders a PostgreSQL query may already hold for the next statement to join it; past
/// this it runs first. PostgreSQL takes at most 65,535 in one statement, and a statement
/// pushed after this many has the rest of that room.
const JOIN_UP_TO: usize = 16_384;

/// How statements join into one query.
pub(crate) trait Joins {
    /// Whether what the query holds must run before another statement is pushed.
    fn full(&self) -> bool;
    /// Make room for the next statement (the query must not be full).
    fn open_next(&mut self);
    /// Finish the query so that it can run (it must not be empty).
    fn close(&mut self);
}

impl Joins for sqlx::QueryBuilder<sqlx::Sqlite> {
    fn full(&self) -> bool {
        false
    }

    fn open_next(&mut self) {
        if !self.sql().as_str().is_empty() {
            self.push("; ");
        }
    }

    fn close(&mut self) {}
}

impl Joins for sqlx::QueryBuilder<sqlx::Postgres> {
    fn full(&self) -> bool {
        self.sql().as_str().bytes().filter(|b| *b == b'$').count() > JOIN_UP_TO
    }

    fn open_next(&mut self) {
        // Each part is named by where it starts in the query, which no other part shares.
        let at = self.sql().as_str().len();
        if at == 0 {
            self.push("WITH s0 AS (");
        } else {
            self.push(format_args!("), s{at} AS ("));
        }
    }

    fn close(&mut self) {
        self.push(") SELECT 1");
    }
}

/// Make room in `$q` for one more statement, before pushing it (see [`Joins`]); when `$q` is
/// full, what it holds runs first in the open transaction `$tx`.
/// `$q` must have been made with `QueryBuilder::new("")`: running it empties it back to that.
macro_rules! next_statement {
    ($tx:ident, $q:ident) => {{
        use $crate::statements::Joins as _;
        if $q.full() {
            $crate::statements::run_statements!($tx, $q);
        }
        $q.open_next();
    }};
}
pub(crate) use next_statement;

/// Run what `$q` holds in the open transaction `$tx` (nothing when it is empty).
macro_rules! run_statements {
    ($tx:ident, $q:ident) => {{
        use $crate::statements::Joins as _;
        if !$q.sql().as_str().is_empty() {
            $q.close();
            $q.build()
                .execute(&mut *$tx)
                .await
                .map_err($crate::db_err)?;
            $q.reset();
        }
    }};
}
pub(crate) use run_statements;

#[cfg(test)]
mod tests {
    use crate::audit::tests::databases;
    use crate::{Db, on_pool};

    /// Statements of 20,000 placeholders each, four of them: 80,000 in all, more than
    /// PostgreSQL takes in one statement, so what is held must run before the limit.
    #[tokio::test]
    async fn joined_statements_all_run_and_never_pass_the_placeholder_limit() {
        for db in databases().await {
            let rows = async |d: &Db| -> wushe_core::Result<i64> {
                on_pool!(d, p => {
                    sqlx::query("CREATE TABLE joined (n BIGINT NOT NULL, part BIGINT NOT NULL)")
                        .execute(p)
                        .await
                        .map_err(crate::db_err)?;
                    let mut tx = p.begin().await.map_err(crate::db_err)?;
                    let mut q = sqlx::QueryBuilder::new("");
                    for part in 0..4i64 {
                        next_statement!(tx, q);
                        q.push("INSERT INTO joined (n, part) ");
                        q.push_values(0..10_000i64, |mut b, n| {
                            b.push_bind(n).push_bind(part);
                        });
                    }
                    run_statements!(tx, q);
                    tx.commit().await.map_err(crate::db_err)?;
                    let (count,): (i64,) =
                        sqlx::query_as("SELECT COUNT(DISTINCT n * 4 + part) FROM joined")
                            .fetch_one(p)
                            .await
                            .map_err(crate::db_err)?;
                    Ok(count)
                })
            };
            let count = rows(db.store.db()).await;
            assert_eq!(count.ok(), Some(40_000), "{}", db.name);
            db.close().await;
        }
    }
}
