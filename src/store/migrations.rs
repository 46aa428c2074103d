//! The schema migrations: `migrations/<backend>/*.sql`, embedded at build time by `build.rs` and
//! run by sqlx's migrator, with the versions, descriptions and checksums `sqlx::migrate!` gives
//! them (a database migrated by either sees no change).

use std::borrow::Cow;
use std::sync::LazyLock;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

pub(super) static SQLITE: LazyLock<Migrator> = LazyLock::new(|| migrator(embedded::SQLITE));
pub(super) static POSTGRES: LazyLock<Migrator> = LazyLock::new(|| migrator(embedded::POSTGRES));

fn migrator(files: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        files
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    // sqlx's marker for a migration that must run outside a transaction.
                    sql.starts_with("-- no-transaction"),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The embedded migrations are the directories' as sqlx reads them at run time, which is how
    /// `sqlx::migrate!` reads them at build time: same versions, descriptions, checksums and
    /// transaction mode, so databases migrated before the switch are not seen as changed.
    #[tokio::test]
    async fn the_embedded_migrations_are_what_sqlx_reads_from_the_directories() {
        for (embedded, dir) in [(&*SQLITE, "sqlite"), (&*POSTGRES, "postgres")] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let read = Migrator::new(path.as_path()).await.unwrap();
            let summary = |m: &Migrator| {
                m.iter()
                    .map(|m| {
                        (
                            m.version,
                            m.description.to_string(),
                            m.migration_type,
                            m.checksum.to_vec(),
                            m.no_tx,
                            m.sql.as_str().to_string(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert!(embedded.iter().count() >= 11, "{dir}: migrations missing");
            assert_eq!(summary(embedded), summary(&read), "{dir}");
            assert_eq!(embedded.table_name, read.table_name);
            assert_eq!(embedded.locking, read.locking);
            assert_eq!(embedded.no_tx, read.no_tx);
        }
    }
}
