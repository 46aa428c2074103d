//! The store: what only relman knows (deliveries, jobs, bot comments, audit), in SQLite or PostgreSQL.
//!
//! One set of queries serves both back-ends through sqlx's `Any` driver: queries use `$N`
//! placeholders (SQLite accepts them too) and portable types only (integers, text, bytes), times
//! are unix milliseconds. Where the dialects differ (claiming work with `SKIP LOCKED`) the
//! [`Backend`] says which text to send. Migrations are kept per back-end in `migrations/`.
//! One driver serves both: every query, the inbox writer's included, goes through the pool.

pub mod audit;
pub mod board;
pub mod comments;
pub mod deliveries;
pub mod dry_run;
pub mod environments;
mod migrations;
pub mod payload;
pub mod processes;
pub mod register;
pub mod releases;
pub mod repositories;
pub mod work;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL (expected sqlite: or postgres://)")]
    UnsupportedUrl,
    #[error("corrupt row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
}

const SQLITE_POOL_PRAGMAS: &str = "PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 8192; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;";

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
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
                // play no part in crash recovery.
                //
                // page_size=2048 (it applies only when the file is created, so it comes before
                // journal_mode, which creates it): a commit logs every page it touched whole, and
                // storing a delivery touches a leaf of each inbox index at its own place, so
                // smaller pages halve the bytes each delivery costs the disk. wal_autocheckpoint
                // (16 MiB of log) lets the pages that many commits rewrite reach the database
                // file once per checkpoint instead of once every 2 MiB.
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
        let store = Store { pool, backend };
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

    /// Whether the database answers (`/__heartbeat__`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
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
        assert_eq!(pragma("wal_autocheckpoint").await, "8192");
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
