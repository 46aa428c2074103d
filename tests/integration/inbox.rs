//! The durable inbox: claiming, ordering, retries, leases and replicas, on every back-end.

use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relman::clock::{Clock, SystemClock};
use relman::inbox::retry::RetryPolicy;
use relman::inbox::worker::{WorkerConfig, spawn_workers};
use relman::inbox::{ProcessError, Processor};
use relman::store::Store;
use relman::store::work::{ClaimedItem, Enqueued, NewWorkItem, WorkKind, WorkStatus};
use support::TestDb;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

fn item(key: &str, queue: &str) -> NewWorkItem {
    support::work_item(key, queue)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Records what ran, when, and how many ran at once per queue.
#[derive(Default)]
struct Recorder {
    ran: Mutex<Vec<(String, String)>>,
    in_flight: Mutex<HashMap<String, usize>>,
    max_in_flight_per_queue: Mutex<usize>,
    fail_always: bool,
    /// Each item's first attempt fails (retryably), so that it holds its queue as a retry.
    fail_first_attempt: bool,
    delay: Duration,
}

impl Processor for Recorder {
    async fn process(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        {
            let mut flying = self.in_flight.lock().unwrap();
            let n = flying.entry(item.queue_key.clone()).or_default();
            *n += 1;
            let mut max = self.max_in_flight_per_queue.lock().unwrap();
            *max = (*max).max(*n);
        }
        tokio::time::sleep(self.delay).await;
        *self
            .in_flight
            .lock()
            .unwrap()
            .get_mut(&item.queue_key)
            .unwrap() -= 1;
        if self.fail_always || (self.fail_first_attempt && item.attempts == 1) {
            return Err(ProcessError::Retryable("GitHub is down".into()));
        }
        self.ran
            .lock()
            .unwrap()
            .push((item.queue_key.clone(), item.dedupe_key.clone()));
        Ok(())
    }
}

/// Asserts that `queue`'s items ran in the order they were stored (their keys sort that way);
/// returns how many ran.
fn ran_in_order(ran: &[(String, String)], queue: &str, label: &str) -> usize {
    let order: Vec<&str> = ran
        .iter()
        .filter(|(q, _)| q == queue)
        .map(|(_, k)| k.as_str())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "{queue} on {label}");
    order.len()
}

fn fast_config(workers: usize) -> WorkerConfig {
    WorkerConfig {
        workers,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(20),
        shutdown_grace: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
        owner_prefix: "test".into(),
    }
}

async fn wait_until(mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn count(store: &Store, status: WorkStatus) -> usize {
    store.list_work(Some(status), 100_000).await.unwrap().len()
}

#[tokio::test]
async fn duplicates_are_stored_once_and_dead_ones_come_back() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let out = store
            .enqueue_batch(&[item("a", "q"), item("a", "q"), item("b", "q")], now())
            .await
            .unwrap();
        assert!(matches!(out[0], Enqueued::Accepted { .. }), "{}", db.label);
        assert_eq!(out[1], Enqueued::Duplicate);
        assert!(matches!(out[2], Enqueued::Accepted { .. }));

        let claimed = store
            .claim("w", now(), now() + 60_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(claimed.dedupe_key, "a");
        assert!(
            store
                .fail(claimed.id, "w", now(), "boom", None)
                .await
                .unwrap()
        );
        assert_eq!(
            store.work_status("a").await.unwrap(),
            Some(WorkStatus::Dead)
        );
        // GitHub redelivers a delivery that died: it is queued again.
        assert_eq!(
            store.enqueue_batch(&[item("a", "q")], now()).await.unwrap(),
            vec![Enqueued::Revived]
        );
        assert_eq!(
            store.work_status("a").await.unwrap(),
            Some(WorkStatus::Pending)
        );
    }
}

#[tokio::test]
async fn failures_retry_with_backoff_then_park_as_dead_with_the_error() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .enqueue_batch(&[item("doomed", "q")], now())
            .await
            .unwrap();
        let recorder = Arc::new(Recorder {
            fail_always: true,
            ..Default::default()
        });
        let stop = CancellationToken::new();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let mut workers = spawn_workers(
            store.clone(),
            recorder,
            clock,
            Arc::new(Notify::new()),
            fast_config(2),
            stop.clone(),
        );
        wait_until(async || count(&store, WorkStatus::Dead).await == 1).await;
        stop.cancel();
        while workers.join_next().await.is_some() {}

        let dead = store.list_work(Some(WorkStatus::Dead), 10).await.unwrap();
        assert_eq!(dead[0].attempts, 3, "{}", db.label);
        assert_eq!(dead[0].last_error.as_deref(), Some("GitHub is down"));

        // `relman inbox retry ID`
        assert!(store.retry_dead(dead[0].id, now()).await.unwrap());
        assert!(
            !store.retry_dead(dead[0].id, now()).await.unwrap(),
            "only dead items"
        );
        let again = store.list_work(None, 10).await.unwrap();
        assert_eq!(
            (again[0].status, again[0].attempts),
            (WorkStatus::Pending, 0)
        );
    }
}

#[tokio::test]
async fn one_repository_in_order_and_one_at_a_time_others_in_parallel() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let mut batch = Vec::new();
        for n in 0..15 {
            for repo in ["web", "api", "ops"] {
                batch.push(item(&format!("{repo}-{n:02}"), repo));
            }
        }
        store.enqueue_batch(&batch, now()).await.unwrap();
        let recorder = Arc::new(Recorder {
            delay: Duration::from_millis(3),
            ..Default::default()
        });
        let stop = CancellationToken::new();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let mut workers = spawn_workers(
            store.clone(),
            recorder.clone(),
            clock,
            Arc::new(Notify::new()),
            fast_config(4),
            stop.clone(),
        );
        wait_until(async || count(&store, WorkStatus::Done).await == 45).await;
        stop.cancel();
        while workers.join_next().await.is_some() {}

        assert_eq!(
            *recorder.max_in_flight_per_queue.lock().unwrap(),
            1,
            "{}",
            db.label
        );
        let ran = recorder.ran.lock().unwrap().clone();
        for repo in ["web", "api", "ops"] {
            assert_eq!(ran_in_order(&ran, repo, db.label), 15);
        }
    }
}

#[tokio::test]
async fn a_retry_holds_its_queue_but_a_future_job_does_not() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let t = now();
    let mut later = item("job-next-tuesday", "web");
    later.kind = WorkKind::Job;
    later.run_at = t + 3_600_000;
    store
        .enqueue_batch(&[later, item("first", "web"), item("second", "web")], t)
        .await
        .unwrap();

    // The job booked for later does not block today's events.
    let first = store.claim("w", t, t + 60_000).await.unwrap().unwrap();
    assert_eq!(first.dedupe_key, "first");
    // While `first` runs, `second` (same repository) waits.
    assert!(store.claim("w2", t, t + 60_000).await.unwrap().is_none());
    // `first` fails and will retry in a minute: `second` still waits, order is kept.
    store
        .fail(first.id, "w", t, "502", Some(t + 60_000))
        .await
        .unwrap();
    assert!(
        store
            .claim("w2", t + 1, t + 60_000)
            .await
            .unwrap()
            .is_none()
    );
    let retried = store
        .claim("w2", t + 60_001, t + 120_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (retried.dedupe_key.as_str(), retried.attempts),
        ("first", 2)
    );
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish_it() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let t = now();
        store.enqueue_batch(&[item("slow", "q")], t).await.unwrap();
        let a = store
            .claim("worker-a", t, t + 1_000)
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .claim("worker-b", t + 500, t + 1_500)
                .await
                .unwrap()
                .is_none()
        );
        let b = store
            .claim("worker-b", t + 1_001, t + 61_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((a.id, b.attempts), (b.id, 2), "{}", db.label);
        assert!(!store.complete(a.id, "worker-a", t + 1_002).await.unwrap());
        assert!(store.complete(b.id, "worker-b", t + 1_003).await.unwrap());
        assert_eq!(
            store.work_status("slow").await.unwrap(),
            Some(WorkStatus::Done)
        );
    }
}

/// A replica that dies is recognised by its heartbeat, not by its items' leases: while its
/// heartbeat holds, its item is not taken over; once it lapses (10 s after the last beat), the
/// next claim takes it, however long the lease had to run. Another replica's items are not
/// touched. A process that signs off is taken over at once. Times are injected.
#[tokio::test]
async fn a_dead_replicas_items_are_taken_over_when_its_heartbeat_lapses() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let label = db.label;
        let t = 1_000_000;
        let hour = 3_600_000;
        store
            .enqueue_batch(&[item("a", "qa"), item("b", "qb"), item("c", "qc")], t)
            .await
            .unwrap();
        store.beat("dead", t).await.unwrap();
        store.beat("alive", t).await.unwrap();
        store.beat("leaving", t).await.unwrap();
        let a = store.claim("dead:w0", t, t + hour).await.unwrap().unwrap();
        let b = store.claim("alive:w0", t, t + hour).await.unwrap().unwrap();
        let c = store
            .claim("leaving:w0", t, t + hour)
            .await
            .unwrap()
            .unwrap();
        let alive_for = relman::store::processes::ALIVE_FOR.as_millis() as i64;

        // `alive` beats on, `dead` stops; `leaving` signs off.
        store.sign_off("leaving").await.unwrap();
        let taken = store.claim("other:w0", t + 1, t + hour).await.unwrap();
        assert_eq!(taken.map(|i| i.id), Some(c.id), "{label}");
        store.beat("alive", t + alive_for - 1).await.unwrap();
        assert!(
            store
                .claim("other:w0", t + alive_for - 1, t + hour)
                .await
                .unwrap()
                .is_none(),
            "{label}: within the heartbeat nothing is taken over"
        );
        let taken = store
            .claim("other:w0", t + alive_for + 1, t + hour)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((taken.id, taken.attempts), (a.id, 2), "{label}");
        assert!(
            store
                .claim("other:w0", t + alive_for + 2, t + hour)
                .await
                .unwrap()
                .is_none(),
            "{label}: the living replica keeps its item"
        );
        // The dead worker, were it only slow, can no longer record an outcome.
        assert!(
            !store
                .complete(a.id, "dead:w0", t + alive_for + 3)
                .await
                .unwrap()
        );
        assert!(
            store
                .complete(b.id, "alive:w0", t + alive_for + 3)
                .await
                .unwrap()
        );
        store.close().await;
    }
}

/// A process that owns its SQLite file takes back every lease at start: the items run again
/// at once, their crashed attempt counted, in their queues' order.
#[tokio::test]
async fn leases_left_by_a_crash_are_taken_back_at_once() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let t = now();
    let hour = 3_600_000;
    store
        .enqueue_batch(&[item("a1", "a"), item("a2", "a"), item("b1", "b")], t)
        .await
        .unwrap();
    let a1 = store.claim("gone:w0", t, t + hour).await.unwrap().unwrap();
    let b1 = store.claim("gone:w1", t, t + hour).await.unwrap().unwrap();
    assert!(store.claim("new:w0", t, t + hour).await.unwrap().is_none());

    assert_eq!(store.take_back_leases().await.unwrap(), 2);
    assert_eq!(count(&store, WorkStatus::Running).await, 0);
    let again = store
        .claim("new:w0", t + 1, t + hour)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempts), (a1.id, 2));
    let again = store
        .claim("new:w0", t + 1, t + hour)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, b1.id);
    // a2 waits behind a1 as before.
    assert!(
        store
            .claim("new:w0", t + 1, t + hour)
            .await
            .unwrap()
            .is_none()
    );
}

/// Two replicas (separate pools, separate worker sets) on one database: every item is handled
/// exactly once, and a repository's items never run at the same time.
#[tokio::test]
async fn two_replicas_share_one_inbox_and_handle_each_item_exactly_once() {
    for db in TestDb::all().await {
        let replica_a = db.store().await;
        let replica_b = db.store().await;
        let mut batch = Vec::new();
        for n in 0..120 {
            batch.push(item(&format!("d{n:03}"), &format!("repo{}", n % 8)));
        }
        replica_a.enqueue_batch(&batch, now()).await.unwrap();

        let recorder = Arc::new(Recorder {
            delay: Duration::from_millis(2),
            ..Default::default()
        });
        let stop = CancellationToken::new();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let mut a = spawn_workers(
            replica_a.clone(),
            recorder.clone(),
            clock.clone(),
            Arc::new(Notify::new()),
            fast_config(3),
            stop.clone(),
        );
        let mut b = spawn_workers(
            replica_b.clone(),
            recorder.clone(),
            clock,
            Arc::new(Notify::new()),
            fast_config(3),
            stop.clone(),
        );
        wait_until(async || count(&replica_a, WorkStatus::Done).await == 120).await;
        stop.cancel();
        while a.join_next().await.is_some() {}
        while b.join_next().await.is_some() {}

        let ran = recorder.ran.lock().unwrap().clone();
        assert_eq!(ran.len(), 120, "each item once on {}", db.label);
        let mut keys: Vec<_> = ran.iter().map(|(_, k)| k.clone()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 120);
        assert_eq!(*recorder.max_in_flight_per_queue.lock().unwrap(), 1);
    }
}

/// A queue whose first item waits for a retry holds its backlog back without costing other
/// queues anything; when the retry falls due its items come in order, one at a time, and an
/// item that dies ends too.
#[tokio::test]
async fn a_held_queues_backlog_waits_and_comes_back_in_order() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let label = db.label;
        // a0 fails and waits for its retry, with 600 of its queue behind it; b0 is another
        // repository's.
        store.enqueue_batch(&[item("a0", "a")], 1).await.unwrap();
        let a0 = store.claim("w", 2, 100).await.unwrap().unwrap();
        assert!(
            store
                .fail(a0.id, "w", 3, "GitHub is down", Some(1_000))
                .await
                .unwrap()
        );
        let mut later: Vec<NewWorkItem> = (1..=600).map(|n| item(&format!("a{n}"), "a")).collect();
        later.push(item("b0", "b"));
        store.enqueue_batch(&later, 4).await.unwrap();

        let b0 = store.claim("w", 5, 100).await.unwrap().unwrap();
        assert_eq!(b0.dedupe_key, "b0", "{label}");
        assert!(store.complete(b0.id, "w", 6).await.unwrap());
        assert!(store.claim("w", 7, 100).await.unwrap().is_none());

        // The retry falls due: a0 first, then the rest of its queue, each when the one before
        // it ends.
        let mut now = 1_000;
        for n in 0..=3 {
            let claimed = store.claim("w", now, now + 100).await.unwrap().unwrap();
            assert_eq!(claimed.dedupe_key, format!("a{n}"), "{label}");
            assert!(
                store
                    .claim("w", now + 1, now + 100)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(store.complete(claimed.id, "w", now + 2).await.unwrap());
            now += 10;
        }
        let a4 = store.claim("w", now, now + 100).await.unwrap().unwrap();
        assert_eq!(a4.dedupe_key, "a4", "{label}");
        assert!(
            store
                .fail(a4.id, "w", now, "bad payload", None)
                .await
                .unwrap()
        );
        let a5 = store.claim("w", now + 1, now + 100).await.unwrap().unwrap();
        assert_eq!(a5.dedupe_key, "a5", "{label}");
        store.close().await;
    }
}

/// Replicas claim and finish side by side while every item's first attempt fails, so each queue
/// is held by a retry again and again: the per-queue order and one-at-a-time rule hold
/// throughout, and nothing is left behind.
#[tokio::test]
async fn replicas_claiming_and_retrying_side_by_side_keep_each_queues_order() {
    for db in TestDb::all().await {
        let replicas = [db.store().await, db.store().await, db.store().await];
        let mut batch = Vec::new();
        for n in 0..90 {
            batch.push(item(&format!("d{n:03}"), &format!("repo{}", n % 3)));
        }
        replicas[0].enqueue_batch(&batch, now()).await.unwrap();

        let recorder = Arc::new(Recorder {
            fail_first_attempt: true,
            ..Default::default()
        });
        let stop = CancellationToken::new();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let mut workers = tokio::task::JoinSet::new();
        for replica in &replicas {
            let mut set = spawn_workers(
                replica.clone(),
                recorder.clone(),
                clock.clone(),
                Arc::new(Notify::new()),
                fast_config(3),
                stop.clone(),
            );
            workers.spawn(async move { while set.join_next().await.is_some() {} });
        }
        wait_until(async || count(&replicas[0], WorkStatus::Done).await == 90).await;
        stop.cancel();
        while workers.join_next().await.is_some() {}

        assert_eq!(
            count(&replicas[0], WorkStatus::Running).await,
            0,
            "{}",
            db.label
        );
        assert_eq!(*recorder.max_in_flight_per_queue.lock().unwrap(), 1);
        let ran = recorder.ran.lock().unwrap().clone();
        assert_eq!(ran.len(), 90, "{}", db.label);
        for repo in ["repo0", "repo1", "repo2"] {
            ran_in_order(&ran, repo, db.label);
        }
    }
}
