//! The store: what only relman knows (deliveries, jobs, bot comments, audit), in SQLite or PostgreSQL.
//!
//! One set of queries serves both back-ends through sqlx's `Any` driver: queries use `$N`
//! placeholders (SQLite accepts them too) and portable types only (integers, text, bytes), times
//! are unix milliseconds. Where the dialects differ (claiming work with `SKIP LOCKED`) the
//! [`Backend`] says which text to send. Migrations are kept per back-end in `migrations/`.

pub mod audit;
pub mod comments;
pub mod deliveries;
pub mod dry_run;
pub mod environments;
mod migrations;
pub mod payload;
pub mod register;
pub mod releases;
pub mod repositories;
pub mod wal_gather;
pub mod work;
pub mod work_sqlite;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the inbox writer's own SQLite connection ([`work_sqlite`]).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL (expected sqlite: or postgres://)")]
    UnsupportedUrl,
    #[error("corrupt row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
}

/// Pages in the WAL after which a commit checkpoints by itself (SQLite's `wal_autocheckpoint`).
/// Far above where `relman serve`'s checkpoint task starts the log over
/// (`inbox::checkpoint`), so that in `serve` no commit ever does; it bounds the log when that
/// task is not running (the `relman inbox` commands, a crashed task).
pub(crate) const WAL_AUTOCHECKPOINT_PAGES: i64 = 131_072;

const SQLITE_POOL_PRAGMAS: &str = "PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 131072; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;";

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite: the database file, for connections outside the pool (the inbox writer's);
    /// `None` for an in-memory database, which no other connection can open.
    sqlite_file: Option<Arc<PathBuf>>,
}

impl Store {
    /// Connects (creating an SQLite file if absent) and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let pool = match backend {
            Backend::Sqlite => {
                // `mode=rwc` creates the file. Pragmas are per connection: WAL lets readers run
                // beside the writer; synchronous=FULL makes every commit durable (a 202 means
                // the delivery is on disk), which group commit in the inbox writer pays for once
                // per batch; busy_timeout makes concurrent writers wait instead of failing.
                // temp_store=MEMORY keeps statement journals (a multi-row INSERT that may hit a
                // duplicate key needs one) off the file system; they only undo a statement and
                // play no part in crash recovery, so durability is unchanged.
                //
                // page_size=2048 (it applies only when the file is created, so it comes before
                // journal_mode, which creates it): every commit writes each page it touched
                // whole to the WAL, and then again to the database at checkpoint. An inbox
                // insert touches one data page and a leaf of each of three indexes; at 4 KiB a
                // 2 KiB delivery cost 27 KiB of disk writes, at 2 KiB 20 KiB (benches/README.md).
                // wal_autocheckpoint (256 MiB of 2 KiB pages) is only a backstop: `relman
                // serve` checkpoints from a task of its own (src/inbox/checkpoint.rs) so that no
                // commit, and no 202 waiting on one, pays for copying the log into the database.
                let url = sqlite_url_with_create(url);
                let options = AnyConnectOptions::from_str(&url)?;
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    // A local file does not drop connections the way a server does: pinging each
                    // connection on every acquire would only add a round trip to its thread.
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(SQLITE_POOL_PRAGMAS).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                let options = AnyConnectOptions::from_str(url)?;
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?
            }
        };
        let sqlite_file = match backend {
            Backend::Sqlite => main_database_file(&pool).await?,
            Backend::Postgres => None,
        };
        let store = Store {
            pool,
            backend,
            sqlite_file,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a database that must exist already (SQLite in `mode=rw`): the offline commands
    /// read the store, and a mistyped path must be an error, not a new empty database.
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
            let separator = if url.contains('?') { '&' } else { '?' };
            return Store::connect(&format!("{url}{separator}mode=rw")).await;
        }
        Store::connect(url).await
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => migrations::SQLITE.run(&self.pool).await?,
            Backend::Postgres => migrations::POSTGRES.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The SQLite database file, when the store is one on disk.
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref().map(PathBuf::as_path)
    }

    /// Whether the database answers (`/__heartbeat__`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file SQLite opened for the URL, as SQLite resolved it (relative paths, URI parameters):
/// empty for an in-memory database.
async fn main_database_file(pool: &AnyPool) -> Result<Option<Arc<PathBuf>>, StoreError> {
    let rows = sqlx::query("PRAGMA database_list").fetch_all(pool).await?;
    for row in rows {
        let name: String = row.try_get(1)?;
        let file: Option<String> = row.try_get(2)?;
        if name == "main" {
            return Ok(file
                .filter(|f| !f.is_empty())
                .map(|f| Arc::new(PathBuf::from(f))));
        }
    }
    Ok(None)
}

/// `sqlite://relman.db` → `sqlite://relman.db?mode=rwc`, unless the URL already says a mode.
fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Milliseconds since the Unix epoch, the store's unit of time.
pub fn to_millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_connections_are_durable_and_use_small_pages() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("relman.db").display());
        let store = Store::connect(&url).await.unwrap();
        let pragma = |name: &'static str| {
            let pool = store.pool().clone();
            async move {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                sqlx::Row::try_get::<String, _>(&row, 0)
                    .or_else(|_| sqlx::Row::try_get::<i64, _>(&row, 0).map(|n| n.to_string()))
                    .unwrap()
            }
        };
        assert_eq!(pragma("journal_mode").await, "wal");
        // 2 = FULL: every commit is fsynced before the 202 that depends on it.
        assert_eq!(pragma("synchronous").await, "2");
        assert_eq!(pragma("page_size").await, "2048");
        assert_eq!(
            pragma("wal_autocheckpoint").await,
            WAL_AUTOCHECKPOINT_PAGES.to_string()
        );
        assert!(
            SQLITE_POOL_PRAGMAS
                .contains(&format!("wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"))
        );
        store.close().await;
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(
            sqlite_url_with_create("sqlite://relman.db"),
            "sqlite://relman.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite://x.db?cache=shared"),
            "sqlite://x.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite://x.db?mode=ro"),
            "sqlite://x.db?mode=ro"
        );
    }
}
