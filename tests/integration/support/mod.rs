//! Shared test helpers: stores on every back-end, and a router wired like production.
#![allow(dead_code)]

pub mod browser;
pub mod github;
pub mod scenario;
pub mod serve;

use std::sync::Arc;

use relman::clock::{Clock, SystemClock};
use relman::config::settings::Secret;
use relman::inbox::writer::InboxWriter;
use relman::server::{AppState, router};
use relman::store::Store;
use tokio::sync::Notify;

/// A webhook delivery for the inbox: an `issue_comment` with key `key` in queue `queue`, due at
/// once (`run_at` 0).
pub fn work_item(key: &str, queue: &str) -> relman::store::work::NewWorkItem {
    relman::store::work::NewWorkItem {
        kind: relman::store::work::WorkKind::Webhook,
        dedupe_key: key.to_string(),
        name: "issue_comment".into(),
        action: Some("created".into()),
        queue_key: queue.to_string(),
        repo: Some(format!("acme/{queue}")),
        installation_id: Some(77),
        payload: br#"{"x":1}"#.to_vec(),
        run_at: 0,
    }
}

/// The PostgreSQL server tests may use: `RELMAN_TEST_DATABASE_URL`, else a `postgres://`
/// `DATABASE_URL`. Unset, PostgreSQL variants do not run (SQLite ones always do), except under
/// `CI=true`, where CI promised a server: there the test fails rather than pass untried. (A
/// server that is named but unreachable fails the test everywhere: see [`TestDb::postgres`].)
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("RELMAN_TEST_DATABASE_URL")
        .ok()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
    if url.is_none() && running_in_ci() {
        panic!(
            "CI=true but RELMAN_TEST_DATABASE_URL is unset: the PostgreSQL variant of this test \
             cannot run. Set it to a server the tests may create databases on, e.g. \
             postgres://postgres@127.0.0.1:5432/test"
        );
    }
    url
}

/// Whether the tests run in CI (`CI=true`), where every variant must run.
pub fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A database of its own for one test, dropped afterwards.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("relman.db").display());
        TestDb {
            url,
            label: "sqlite",
            _dir: Some(dir),
            pg: None,
        }
    }

    pub async fn postgres(admin_url: &str) -> TestDb {
        use sqlx::Connection;
        let name = format!("relman_test_{}", rand_suffix());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("the PostgreSQL server at {admin_url} is unreachable: {e} (start it, or unset RELMAN_TEST_DATABASE_URL outside CI)")
            });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        TestDb {
            url: format!("{base}/{name}"),
            label: "postgres",
            _dir: None,
            pg: Some((admin_url.to_string(), name)),
        }
    }

    /// SQLite, plus PostgreSQL when one is configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        if let Some(admin) = postgres_admin_url() {
            dbs.push(TestDb::postgres(&admin).await);
        }
        dbs
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.url).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn rand_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

pub const SECRET: &str = "test-secret";
pub const WEBHOOK_PATH: &str = "/api/github/webhooks";

/// The production router on `store`, with its writer; returns the notify workers would wait on.
pub fn app(store: &Store) -> (axum::Router, Arc<Notify>) {
    let stored = Arc::new(Notify::new());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (writer, _task) = InboxWriter::spawn(store.clone(), clock, stored.clone());
    let state = AppState {
        secrets: vec![Secret::new("old-secret"), Secret::new(SECRET)].into(),
        writer,
        store: store.clone(),
    };
    (router(state, WEBHOOK_PATH), stored)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `GET path` through a router; the status and the body as text.
pub async fn http_get(router: &axum::Router, path: &str) -> (http::StatusCode, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// A port nothing listens on at the moment of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The lines a child process writes, as they come (read on a thread of their own).
pub fn lines_of(output: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(output)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
