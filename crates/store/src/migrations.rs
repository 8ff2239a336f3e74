//! Versioned migrations, embedded in the binary. Both dialect folders hold the same file
//! names (a test checks it); this list names them once.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Backend;

/// Every migration, in order: (version, file name without extension, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "0001_foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "0002_audit",
        include_str!("../migrations/sqlite/0002_audit.sql"),
        include_str!("../migrations/postgres/0002_audit.sql"),
    ),
    (
        3,
        "0003_login_defences",
        include_str!("../migrations/sqlite/0003_login_defences.sql"),
        include_str!("../migrations/postgres/0003_login_defences.sql"),
    ),
    (
        4,
        "0004_keys",
        include_str!("../migrations/sqlite/0004_keys.sql"),
        include_str!("../migrations/postgres/0004_keys.sql"),
    ),
    (
        5,
        "0005_api_tokens",
        include_str!("../migrations/sqlite/0005_api_tokens.sql"),
        include_str!("../migrations/postgres/0005_api_tokens.sql"),
    ),
    (
        6,
        "0006_needs",
        include_str!("../migrations/sqlite/0006_needs.sql"),
        include_str!("../migrations/postgres/0006_needs.sql"),
    ),
    (
        7,
        "0007_need_work",
        include_str!("../migrations/sqlite/0007_need_work.sql"),
        include_str!("../migrations/postgres/0007_need_work.sql"),
    ),
    (
        8,
        "0008_people",
        include_str!("../migrations/sqlite/0008_people.sql"),
        include_str!("../migrations/postgres/0008_people.sql"),
    ),
    (
        9,
        "0009_volunteers",
        include_str!("../migrations/sqlite/0009_volunteers.sql"),
        include_str!("../migrations/postgres/0009_volunteers.sql"),
    ),
    (
        10,
        "0010_need_person",
        include_str!("../migrations/sqlite/0010_need_person.sql"),
        include_str!("../migrations/postgres/0010_need_person.sql"),
    ),
    (
        11,
        "0011_outbox",
        include_str!("../migrations/sqlite/0011_outbox.sql"),
        include_str!("../migrations/postgres/0011_outbox.sql"),
    ),
    (
        12,
        "0012_dispatch",
        include_str!("../migrations/sqlite/0012_dispatch.sql"),
        include_str!("../migrations/postgres/0012_dispatch.sql"),
    ),
    (
        14,
        "0014_people_due_days",
        include_str!("../migrations/sqlite/0014_people_due_days.sql"),
        include_str!("../migrations/postgres/0014_people_due_days.sql"),
    ),
    (
        15,
        "0015_people_street_due",
        include_str!("../migrations/sqlite/0015_people_street_due.sql"),
        include_str!("../migrations/postgres/0015_people_street_due.sql"),
    ),
    (
        16,
        "0016_sms_codes",
        include_str!("../migrations/sqlite/0016_sms_codes.sql"),
        include_str!("../migrations/postgres/0016_sms_codes.sql"),
    ),
    (
        17,
        "0017_need_child_keys",
        include_str!("../migrations/sqlite/0017_need_child_keys.sql"),
        include_str!("../migrations/postgres/0017_need_child_keys.sql"),
    ),
    (
        18,
        "0018_people_due_days_per_statement",
        include_str!("../migrations/sqlite/0018_people_due_days_per_statement.sql"),
        include_str!("../migrations/postgres/0018_people_due_days_per_statement.sql"),
    ),
];

/// File names of the embedded migrations (for the test that compares them with the folders).
pub const MIGRATION_NAMES: &[&str] = &[
    "0001_foundation",
    "0002_audit",
    "0003_login_defences",
    "0004_keys",
    "0005_api_tokens",
    "0006_needs",
    "0007_need_work",
    "0008_people",
    "0009_volunteers",
    "0010_need_person",
    "0011_outbox",
    "0012_dispatch",
    "0014_people_due_days",
    "0015_people_street_due",
    "0016_sms_codes",
    "0017_need_child_keys",
    "0018_people_due_days_per_statement",
];

/// The migrator for one backend.
pub fn migrator_for(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, name, sqlite, pg)| {
            let sql = match backend {
                Backend::Sqlite => *sqlite,
                Backend::Postgres => *pg,
            };
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut v: Vec<String> = std::fs::read_dir(path)
            .expect("migrations folder")
            .map(|e| {
                e.expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".sql")
                    .to_string()
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn both_dialects_have_the_same_migration_files_and_all_are_embedded() {
        let sqlite = names("migrations/sqlite");
        assert_eq!(sqlite, names("migrations/postgres"));
        assert_eq!(
            sqlite,
            MIGRATION_NAMES
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        );
        let listed: Vec<&str> = MIGRATIONS.iter().map(|m| m.1).collect();
        assert_eq!(listed, MIGRATION_NAMES);
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "versions increase");
        }
        for m in MIGRATIONS {
            assert!(
                m.1.starts_with(&format!("{:04}_", m.0)),
                "{} is named after its version",
                m.1
            );
        }
    }
}
