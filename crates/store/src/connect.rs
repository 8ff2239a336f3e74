//! Choosing and opening the backend. The scheme of the URL decides, in one function; an
//! unknown scheme is an error and nothing is created.

use std::str::FromStr;
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

impl SqlStore {
    /// Open the database named by `url` (SQLite file created if missing) and run migrations.
    /// `synchronous_full` false trades the last commits before a crash for speed (SQLite
    /// `synchronous=NORMAL`, PostgreSQL `synchronous_commit=off`).
    pub async fn open(url: &str, synchronous_full: bool) -> Result<SqlStore, String> {
        let db = match backend_of(url)? {
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
                    .connect_with(opts)
                    .await
                    .map_err(|e| format!("cannot open SQLite database: {e}"))?;
                Db::Sqlite(pool)
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
                    .connect_with(opts)
                    .await
                    .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
                Db::Pg(pool)
            }
        };
        let live = Live::default();
        let store = SqlStore {
            intake: crate::intake::Intake::start(db.clone(), live.clone()),
            db,
            live,
            places: Default::default(),
        };
        store.migrate().await?;
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
