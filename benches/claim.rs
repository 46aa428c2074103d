//! A claim when every queue is held: GitHub is down, each repository's first item waits for its
//! retry, and the deliveries keep coming. On SQLite the claim runs in the inbox writer's
//! transaction, which the acks wait for, so what it costs is added to their latency. The claim
//! looks at each queue's head only, so it costs a few index probes per open queue whatever the
//! backlog behind them.
//!
//! `cargo bench --bench claim`. The store is SQLite on a temporary directory, and PostgreSQL too when
//! `RELMAN_TEST_DATABASE_URL` names a server (a database of its own is made and dropped; there
//! workers claim through the pool, as here). 1,000 repositories, each with its first item
//! failed and booked for a retry an hour later, then `BACKLOG` due items spread over them in
//! arrival order. Groups:
//! - `claim/every_queue_held`: a claim that finds nothing, as workers poll.
//! - `claim/one_free_queue`: the same backlog and one more repository with a due item, stored
//!   last: the claim must find it behind everything that is held. Each iteration also gives the
//!   item back, so it includes two commits (two `fsync`s of the disk the temporary directory is on).
//!
//! The first claim over the backlog is timed once and printed.

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use relman::store::Store;
use relman::store::work::{NewWorkItem, WorkKind};
use tokio::runtime::Runtime;

const QUEUES: usize = 1_000;
const BACKLOG: usize = 100_000;
const NOW: i64 = 1_700_000_000_000;
const HOUR: i64 = 3_600_000;

fn item(n: usize, queue: usize) -> NewWorkItem {
    NewWorkItem {
        kind: WorkKind::Webhook,
        dedupe_key: format!("delivery-{n}"),
        name: "issue_comment".into(),
        action: Some("created".into()),
        queue_key: format!("repo:{queue}"),
        repo: Some(format!("acme/repo-{queue}")),
        installation_id: Some(7),
        payload: br#"{"action":"created"}"#.to_vec(),
        run_at: NOW,
    }
}

/// A store whose every queue is held by a first item waiting for its retry, with `BACKLOG` due
/// items behind them.
fn held_backlog(runtime: &Runtime, url: &str) -> Store {
    runtime.block_on(async {
        let store = Store::connect(url).await.expect("store");
        let heads: Vec<NewWorkItem> = (0..QUEUES).map(|q| item(q, q)).collect();
        store.enqueue_batch(&heads, NOW).await.expect("heads");
        for _ in 0..QUEUES {
            let head = store
                .claim("bench", NOW, NOW + HOUR)
                .await
                .expect("claim")
                .expect("every head is claimable");
            store
                .fail(head.id, "bench", NOW, "GitHub is down", Some(NOW + HOUR))
                .await
                .expect("retry");
        }
        let backlog: Vec<NewWorkItem> = (QUEUES..QUEUES + BACKLOG)
            .map(|n| item(n, n % QUEUES))
            .collect();
        for chunk in backlog.chunks(1_000) {
            store.enqueue_batch(chunk, NOW).await.expect("backlog");
        }
        store
    })
}

/// A PostgreSQL database of the bench's own on the server `admin_url` names, dropped with it.
struct PostgresDb {
    admin_url: String,
    name: String,
}

impl PostgresDb {
    async fn create(admin_url: &str) -> PostgresDb {
        use sqlx::Connection;
        let name = format!("relman_bench_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("PostgreSQL server");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the bench's database");
        PostgresDb {
            admin_url: admin_url.to_string(),
            name,
        }
    }

    fn url(&self) -> String {
        let base = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(base, _)| base);
        format!("{base}/{}", self.name)
    }

    async fn drop(self) {
        use sqlx::Connection;
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

fn claims(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite = format!("sqlite://{}", dir.path().join("relman.db").display());
    claims_on(c, &runtime, "sqlite", &sqlite);
    let postgres = std::env::var("RELMAN_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
    if let Some(admin_url) = postgres {
        let db = runtime.block_on(PostgresDb::create(&admin_url));
        claims_on(c, &runtime, "postgres", &db.url());
        runtime.block_on(db.drop());
    }
}

fn claims_on(c: &mut Criterion, runtime: &Runtime, backend: &str, url: &str) {
    let store = held_backlog(runtime, url);
    // The first claim over the backlog, once: it parks what is held back (migration 0102), which
    // is what the first poll after the outage began costs.
    let first = Instant::now();
    let claimed = runtime
        .block_on(store.claim("bench", NOW + 1, NOW + HOUR))
        .expect("claim");
    assert!(claimed.is_none(), "every queue is held");
    eprintln!(
        "claim/{backend}/first over {BACKLOG} held items: {:?}",
        first.elapsed()
    );
    let mut group = c.benchmark_group(format!("claim/{backend}"));
    group.sample_size(10);
    group.bench_function("every_queue_held", |b| {
        b.iter(|| {
            let claimed = runtime
                .block_on(store.claim("bench", NOW + 1, NOW + HOUR))
                .expect("claim");
            assert!(claimed.is_none(), "every queue is held");
        })
    });
    // One free repository, stored after the backlog; its item is given back after each claim
    // (a release does not count as an attempt), so every iteration finds it behind the rest.
    runtime
        .block_on(store.enqueue_batch(&[item(usize::MAX, QUEUES)], NOW))
        .expect("free item");
    group.bench_function("one_free_queue", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let claimed = store
                    .claim("bench", NOW + 1, NOW + HOUR)
                    .await
                    .expect("claim")
                    .expect("the free repository's item");
                assert!(store.release(claimed.id, "bench").await.expect("release"));
            })
        })
    });
    group.finish();
    runtime.block_on(store.close());
}

criterion_group!(benches, claims);
criterion_main!(benches);
