//! Writes that read nothing back, sent with as few trips to the database as it allows.
//!
//! A transaction often ends with several inserts and updates in a row (the timeline events,
//! the outbox rows, the audit entries, their record ids, the audit head). Each statement sent
//! on its own is a round trip: for SQLite one to the connection's thread and back, about a
//! tenth of a millisecond here, which is most of a lone intake batch. SQLite runs a query of
//! several statements with their parameters in one go, so there they are built into one
//! query; PostgreSQL's protocol takes one statement with parameters at a time, so there each
//! is sent as the next one begins. Callers write the same code for both:
//!
//! ```ignore
//! let mut q = sqlx::QueryBuilder::new("");
//! next_statement!(tx, q);   // before each statement: nothing in `q` yet, so nothing to do
//! q.push(INSERT_NEEDS);     // …and its values
//! next_statement!(tx, q);   // SQLite: "; " — PostgreSQL: run the needs' insert now
//! q.push(INSERT_EVENTS);    // …
//! run_statements!(tx, q);   // run what is left
//! ```
//!
//! The `push_…!` macros of the features (`push_events!`, `push_outbox!`, `push_entries!`) call
//! `next_statement!` before each statement they push.

/// Whether a query may hold several statements with parameters.
pub(crate) trait Joins {
    const JOINS: bool;

    fn joins(&self) -> bool {
        Self::JOINS
    }
}

impl Joins for sqlx::QueryBuilder<sqlx::Sqlite> {
    const JOINS: bool = true;
}

impl Joins for sqlx::QueryBuilder<sqlx::Postgres> {
    const JOINS: bool = false;
}

/// Make room in `$q` for one more statement, before pushing it: on SQLite it joins the ones
/// already there in the same query; elsewhere those run now in the open transaction `$tx`.
/// Nothing happens when `$q` is empty.
/// `$q` must have been made with `QueryBuilder::new("")`: running it empties it back to that.
macro_rules! next_statement {
    ($tx:ident, $q:ident) => {{
        use $crate::statements::Joins as _;
        if !$q.sql().as_str().is_empty() {
            if $q.joins() {
                $q.push("; ");
            } else {
                $q.build()
                    .execute(&mut *$tx)
                    .await
                    .map_err($crate::db_err)?;
                $q.reset();
            }
        }
    }};
}
pub(crate) use next_statement;

/// Run what `$q` holds in the open transaction `$tx` (nothing when it is empty).
macro_rules! run_statements {
    ($tx:ident, $q:ident) => {{
        if !$q.sql().as_str().is_empty() {
            $q.build()
                .execute(&mut *$tx)
                .await
                .map_err($crate::db_err)?;
            $q.reset();
        }
    }};
}
pub(crate) use run_statements;
