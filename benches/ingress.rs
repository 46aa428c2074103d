//! The ingress path in-process: the production router (via tower `oneshot`) on an SQLite store
//! in a temporary directory, with the production pragmas (WAL, synchronous=FULL), so every
//! accepted delivery is fsynced before its 202 exactly as under `relman serve`.
//!
//! `cargo bench --bench ingress`. Groups:
//! - `ingress/not_stored`: headers, body, signature and envelope parsing of a delivery relman does
//!   not subscribe to — the CPU of the path without the store.
//! - `ingress/one_at_a_time`: one delivery, stored and fsynced alone (a quiet installation).
//! - `ingress/32_concurrent`: 32 deliveries in flight, sharing group commits (a busy one);
//!   reported per delivery.
//! - `store/enqueue_batch`: the inbox insert alone, per batch size, to split the commit (fsync)
//!   from the per-row cost.

#[path = "support/payloads.rs"]
mod payloads;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures::future::join_all;
use http::{Request, StatusCode};
use relman::clock::{Clock, SystemClock};
use relman::config::settings::Secret;
use relman::inbox::writer::InboxWriter;
use relman::server::signature::sign;
use relman::server::{AppState, router};
use relman::store::Store;
use relman::store::work::{NewWorkItem, WorkKind};
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tower::ServiceExt;

use payloads::PayloadSize;

const SECRET: &str = "bench-webhook-secret";
const WEBHOOK_PATH: &str = "/api/github/webhooks";
/// Distinct bodies per size; delivery ids are fresh on every request regardless.
const BODIES: u64 = 64;

struct Bench {
    runtime: Runtime,
    router: Router,
    store: Store,
    _dir: tempfile::TempDir,
    next_delivery: AtomicU64,
}

impl Bench {
    fn new() -> Bench {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("relman.db").display());
        let store = runtime
            .block_on(Store::connect(&url))
            .expect("SQLite store in a temporary directory");
        let router = runtime.block_on(async {
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let (writer, _task) = InboxWriter::spawn(store.clone(), clock, Arc::new(Notify::new()));
            let state = AppState {
                secrets: vec![Secret::new(SECRET)].into(),
                writer,
                store: store.clone(),
            };
            router(state, WEBHOOK_PATH)
        });
        Bench {
            runtime,
            router,
            store,
            _dir: dir,
            next_delivery: AtomicU64::new(0),
        }
    }

    fn request(&self, event: &str, body: &SignedBody) -> Request<Body> {
        let n = self.next_delivery.fetch_add(1, Ordering::Relaxed);
        Request::post(WEBHOOK_PATH)
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", format!("bench-{n:012}"))
            .header("x-hub-signature-256", &body.signature)
            .body(Body::from(body.body.clone()))
            .expect("a valid request")
    }
}

struct SignedBody {
    body: bytes::Bytes,
    signature: String,
}

fn bodies(size: PayloadSize) -> Vec<SignedBody> {
    (0..BODIES)
        .map(|seq| {
            let body = payloads::payload(size, seq, 1000);
            SignedBody {
                signature: sign(SECRET.as_bytes(), &body),
                body: body.into(),
            }
        })
        .collect()
}

async fn send(router: Router, request: Request<Body>) -> StatusCode {
    match router.oneshot(request).await {
        Ok(response) => response.status(),
        Err(infallible) => match infallible {},
    }
}

fn ingress(c: &mut Criterion) {
    let bench = Bench::new();
    let mut group = c.benchmark_group("ingress");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    for size in [PayloadSize::Small2k, PayloadSize::Medium30k] {
        let signed = bodies(size);
        let pick = |i: u64| &signed[(i % BODIES) as usize];

        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("not_stored", size.label()), |b| {
            let mut i = 0;
            b.to_async(&bench.runtime).iter(|| {
                i += 1;
                // `star` passes every check but is not subscribed: acknowledged, not stored.
                let request = bench.request("star", pick(i));
                async {
                    assert_eq!(
                        send(bench.router.clone(), request).await,
                        StatusCode::ACCEPTED
                    );
                }
            })
        });

        group.bench_function(BenchmarkId::new("one_at_a_time", size.label()), |b| {
            let mut i = 0;
            b.to_async(&bench.runtime).iter(|| {
                i += 1;
                let request = bench.request(size.event(), pick(i));
                async {
                    assert_eq!(
                        send(bench.router.clone(), request).await,
                        StatusCode::ACCEPTED
                    );
                }
            })
        });

        const IN_FLIGHT: u64 = 32;
        group.throughput(Throughput::Elements(IN_FLIGHT));
        group.bench_function(BenchmarkId::new("32_concurrent", size.label()), |b| {
            let mut i = 0;
            b.to_async(&bench.runtime).iter(|| {
                let requests: Vec<_> = (0..IN_FLIGHT)
                    .map(|_| {
                        i += 1;
                        bench.request(size.event(), pick(i))
                    })
                    .collect();
                let router = bench.router.clone();
                async move {
                    // Spawned, as hyper runs each connection as a task of its own.
                    let answers = join_all(
                        requests
                            .into_iter()
                            .map(|r| tokio::spawn(send(router.clone(), r))),
                    )
                    .await;
                    for answer in answers {
                        assert_eq!(answer.expect("request task"), StatusCode::ACCEPTED);
                    }
                }
            })
        });
    }
    group.finish();
}

fn enqueue_batch(c: &mut Criterion) {
    let bench = Bench::new();
    let clock = SystemClock;
    let mut group = c.benchmark_group("store/enqueue_batch");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    let body = payloads::payload(PayloadSize::Small2k, 7, 1000);
    for batch in [1u64, 32, 256] {
        group.throughput(Throughput::Elements(batch));
        group.bench_function(BenchmarkId::new("2k", batch), |b| {
            b.to_async(&bench.runtime).iter_custom(|iterations| {
                let items: Vec<Vec<NewWorkItem>> = (0..iterations)
                    .map(|_| {
                        (0..batch)
                            .map(|_| {
                                let n = bench.next_delivery.fetch_add(1, Ordering::Relaxed);
                                NewWorkItem {
                                    kind: WorkKind::Webhook,
                                    dedupe_key: format!("batch-{n:012}"),
                                    name: "issue_comment".into(),
                                    action: Some("created".into()),
                                    queue_key: format!("repo:{}", n % 1000),
                                    repo: Some(format!("acme/service-{}", n % 1000)),
                                    installation_id: Some(1),
                                    payload: body.clone(),
                                    run_at: 0,
                                }
                            })
                            .collect()
                    })
                    .collect();
                let store = bench.store.clone();
                let now = clock.now_ms();
                async move {
                    let started = Instant::now();
                    for batch in &items {
                        store.enqueue_batch(batch, now).await.expect("enqueue");
                    }
                    started.elapsed()
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ingress, enqueue_batch);
criterion_main!(benches);
