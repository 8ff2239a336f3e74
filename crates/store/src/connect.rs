//! Choosing and opening the backend. The scheme of the URL decides, in one function; an
//! unknown scheme is an error and nothing is created.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Db, Live, SqlStore};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend for a database URL, or a message saying what is accepted.
pub fn backend_of(url: &str) -> Result<Backend, String> {
    let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => Ok(Backend::Sqlite),
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        _ => Err(format!(
            "unsupported database URL scheme '{scheme}': use sqlite://PATH, postgres://… or postgresql://…"
        )),
    }
}

/// Makes the intake writer's own connection, on the writer's thread (see `intake`).
type OpenWriter = Box<dyn FnOnce() -> Db + Send>;

/// Options for a pool of one connection, opened when first used (after the migrations).
fn one_connection<D: sqlx::Database>() -> sqlx::pool::PoolOptions<D> {
    sqlx::pool::PoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
}

impl SqlStore {
    /// Open the database named by `url` (SQLite file created if missing) and run migrations.
    /// `synchronous_full` false trades the last commits before a crash for speed (SQLite
    /// `synchronous=NORMAL`, PostgreSQL `synchronous_commit=off`).
    pub async fn open(url: &str, synchronous_full: bool) -> Result<SqlStore, String> {
        let (db, writer) = match backend_of(url)? {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|e| format!("bad SQLite URL: {e}"))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(if synchronous_full {
                        SqliteSynchronous::Full
                    } else {
                        SqliteSynchronous::Normal
                    })
                    .foreign_keys(true)
                    // Deleted and overwritten content is zeroed, so an anonymised or purged
                    // value does not linger in free pages of the file.
                    .pragma("secure_delete", "on")
                    // Statement journals and sort space stay in memory: a batch of the intake
                    // writes more than SQLite keeps in memory before spilling to a temporary
                    // file, and a file that cannot be opened (descriptors run out under a
                    // surge) would fail the whole batch; nor should personal values pass
                    // through temporary files.
                    .pragma("temp_store", "memory")
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts.clone())
                    .await
                    .map_err(|e| format!("cannot open SQLite database: {e}"))?;
                let writer = move || Db::Sqlite(one_connection().connect_lazy_with(opts));
                (Db::Sqlite(pool), Box::new(writer) as OpenWriter)
            }
            Backend::Postgres => {
                let mut opts = PgConnectOptions::from_str(url)
                    .map_err(|e| format!("bad PostgreSQL URL: {e}"))?;
                if !synchronous_full {
                    // The same trade as SQLite's NORMAL: a crash may lose the last commits,
                    // never corrupt (for benchmarks and throwaway installs).
                    opts = opts.options([("synchronous_commit", "off")]);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts.clone())
                    .await
                    .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
                let writer = move || Db::Pg(one_connection().connect_lazy_with(opts));
                (Db::Pg(pool), Box::new(writer) as OpenWriter)
            }
        };
        let live = Live::default();
        let intake = crate::intake::Intake::start(writer, live.clone())
            .map_err(|e| format!("cannot start the intake writer: {e}"))?;
        let store = SqlStore {
            intake,
            db,
            live,
            places: Default::default(),
        };
        store.migrate().await?;
        if let Db::Sqlite(pool) = &store.db {
            tokio::spawn(crate::intake::checkpoints(
                pool.clone(),
                Arc::downgrade(&store.intake.stats),
            ));
        }
        if let Db::Pg(pool) = &store.db {
            crate::live::relay_postgres(pool, store.live.clone())
                .await
                .map_err(|e| format!("cannot listen for need signals on PostgreSQL: {e}"))?;
        }
        Ok(store)
    }

    /// Apply pending migrations.
    pub async fn migrate(&self) -> Result<(), String> {
        let m = crate::migrator_for(self.backend());
        match &self.db {
            Db::Sqlite(p) => m.run(p).await,
            Db::Pg(p) => m.run(p).await,
        }
        .map_err(|e| format!("migration failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_schemes_choose_a_backend() {
        assert_eq!(backend_of("sqlite://data/wushe.db"), Ok(Backend::Sqlite));
        assert_eq!(backend_of("postgres://u@h/db"), Ok(Backend::Postgres));
        assert_eq!(backend_of("postgresql://u@h/db"), Ok(Backend::Postgres));
        for bad in [
            "postgre://x",
            "mysql://x",
            "wushe.db",
            "",
            "sqlite:wushe.db",
        ] {
            assert!(backend_of(bad).is_err(), "{bad}");
        }
    }
}
