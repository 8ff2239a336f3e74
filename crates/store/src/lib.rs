//! wushe-store: one implementation of the core's `Store` ports over two native sqlx pools,
//! SQLite for the community office and PostgreSQL for districts and cities.
//!
//! Each method writes one SQL text where both dialects agree and runs it on whichever pool
//! is open ([`on_pool!`] expands the same body for each); where the dialects differ, a
//! `match` shows both side by side.

mod audit;
mod codes;
mod connect;
mod dispatch;
mod intake;
mod jobs;
mod keys;
mod live;
mod login;
mod migrations;
mod need_work;
mod needs;
mod orgs;
mod outbox;
mod people;
mod regions;
mod second_factor;
mod statements;
mod tokens;
mod users;
mod volunteers;

use time::OffsetDateTime;
use wushe_core::Error;

pub use connect::{Backend, backend_of};
pub use intake::IntakeStats;
pub use keys::ENCRYPTED_COLUMNS;
pub use live::{Live, NeedSignal};
pub use migrations::{MIGRATION_NAMES, migrator_for};

/// The open database.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

/// The store: implements every port of `wushe_core::store`.
#[derive(Clone, Debug)]
pub struct SqlStore {
    db: Db,
    live: Live,
    intake: intake::Intake,
    places: std::sync::Arc<regions::PlaceCache>,
}

impl SqlStore {
    /// The fan-out of need signals sent after each committed change.
    pub fn live(&self) -> Live {
        self.live.clone()
    }

    /// Commits and rows of the intake's group commit.
    pub fn intake_stats(&self) -> std::sync::Arc<IntakeStats> {
        self.intake.stats.clone()
    }
}

/// Run the same body against whichever pool is open. `$pool` is bound to the native pool.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Pg($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Run a query that returns rows, on the pool: bind `[$bind, …]` in order, then with
/// `each $values` every value of that iterator (for an `IN` list), then with `in $scope` each
/// region code of `$scope` (for a [`scope_clause`] after them), and fetch `all` (a `Vec`),
/// `optional` (an `Option`) or `one` row, of the type the caller asks for. `$sql` is a `String`
/// built from constants (column lists, placeholders), never from input.
///
/// ```ignore
/// let sql = format!("SELECT {COLS} FROM users WHERE id = $1");
/// let row: Option<UserRow> = fetch!(optional, &self.db, sql, [id.0])?;
/// let sql = format!("SELECT {COLS} FROM users WHERE {}", scope_clause("region_code", scope.len(), 1));
/// let rows: Vec<UserRow> = fetch!(all, &self.db, sql, [], in scope)?;
/// ```
macro_rules! fetch {
    (all, $($rest:tt)*) => { $crate::fetch!(@fetch_all, $($rest)*) };
    (optional, $($rest:tt)*) => { $crate::fetch!(@fetch_optional, $($rest)*) };
    (one, $($rest:tt)*) => { $crate::fetch!(@fetch_one, $($rest)*) };
    (@$fetch:ident, $db:expr, $sql:expr, [$($bind:expr),* $(,)?] $(, each $each:expr)? $(, in $scope:expr)?) => {{
        let sql: String = $sql;
        $crate::on_pool!($db, p => {
            #[allow(unused_mut)]
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))$(.bind($bind))*;
            $(for value in $each {
                q = q.bind(value);
            })?
            $(for region in $scope {
                q = q.bind(region.0.as_str());
            })?
            q.$fetch(p).await
        })
        .map_err($crate::db_err)
    }};
}
pub(crate) use fetch;

impl SqlStore {
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    /// Close the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        on_pool!(&self.db, p => p.close().await)
    }
}

/// Timestamps are stored as milliseconds since the Unix epoch on both backends.
pub(crate) fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Map a database error: unique violations become conflicts, the rest is internal.
pub(crate) fn db_err(e: sqlx::Error) -> Error {
    if let Some(d) = e.as_database_error()
        && d.is_unique_violation()
    {
        return Error::Conflict("already exists".into());
    }
    Error::internal(e)
}

/// `(col LIKE $n || '%' OR …)` for a list of region prefixes starting at placeholder `first`.
/// Region codes are parsed to digits and `G`/`B` only, so they carry no LIKE wildcards.
pub(crate) fn scope_clause(col: &str, n: usize, first: usize) -> String {
    if n == 0 {
        return "1 = 0".into();
    }
    let parts: Vec<String> = (0..n)
        .map(|i| format!("{col} LIKE ${} || '%'", first + i))
        .collect();
    format!("({})", parts.join(" OR "))
}

/// Escape `%`, `_` and `\` for a LIKE pattern used with `ESCAPE '\'`.
pub(crate) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[async_trait::async_trait]
impl wushe_core::store::HealthStore for SqlStore {
    async fn ping(&self) -> wushe_core::Result<()> {
        on_pool!(&self.db, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected())).map_err(db_err)?;
        Ok(())
    }
}
