//! Workers: claim an item under a lease, run it, record the outcome.
//!
//! An item is marked done only after its processor succeeded. A worker that dies (kill -9)
//! leaves its item `running` with a lease that expires; any worker, in this process or
//! another replica, claims it again then. While an item runs its lease is renewed, so a slow
//! but healthy item is never taken over.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rand::Rng;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::retry::RetryPolicy;
use super::{ProcessError, Processor};
use crate::clock::Clock;
use crate::store::Store;
use crate::store::work::ClaimedItem;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub workers: usize,
    /// How long a claim holds before another worker may take the item over.
    pub lease: Duration,
    /// How often an idle worker looks for work it was not woken for (other replicas' writes,
    /// retries coming due, scheduled jobs).
    pub poll_interval: Duration,
    /// How long shutdown waits for running items before giving them back.
    pub shutdown_grace: Duration,
    pub retry: RetryPolicy,
    /// Identifies this process in lease owners (`host:pid`), for people reading the table.
    pub owner_prefix: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            workers: 4,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(20),
            retry: RetryPolicy::default(),
            owner_prefix: format!("pid{}", std::process::id()),
        }
    }
}

/// Starts `config.workers` workers; they stop when `shutdown` is cancelled.
pub fn spawn_workers<P: Processor>(
    store: Store,
    processor: Arc<P>,
    clock: Arc<dyn Clock>,
    stored: Arc<Notify>,
    config: WorkerConfig,
    shutdown: CancellationToken,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for n in 0..config.workers {
        let worker = Worker {
            owner: format!(
                "{}:w{n}:{}",
                config.owner_prefix,
                rand::rng().random::<u32>()
            ),
            store: store.clone(),
            processor: processor.clone(),
            clock: clock.clone(),
            stored: stored.clone(),
            config: config.clone(),
            shutdown: shutdown.clone(),
        };
        set.spawn(worker.run());
    }
    set
}

struct Worker<P> {
    owner: String,
    store: Store,
    processor: Arc<P>,
    clock: Arc<dyn Clock>,
    stored: Arc<Notify>,
    config: WorkerConfig,
    shutdown: CancellationToken,
}

impl<P: Processor> Worker<P> {
    async fn run(self) {
        let mut store_errors: u32 = 0;
        while !self.shutdown.is_cancelled() {
            // Register for the wake-up before looking, so a commit between an empty claim and
            // the wait is not missed.
            let woken = self.stored.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();

            let now = self.clock.now_ms();
            let lease_until = now + self.config.lease.as_millis() as i64;
            match self.store.claim(&self.owner, now, lease_until).await {
                Ok(Some(item)) => {
                    store_errors = 0;
                    self.run_item(item).await;
                }
                Ok(None) => {
                    store_errors = 0;
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(self.config.poll_interval) => {}
                        _ = self.shutdown.cancelled() => {}
                    }
                }
                Err(e) => {
                    // The database is unreachable: back off (capped) rather than spin.
                    store_errors = store_errors.saturating_add(1);
                    let pause = Duration::from_millis(200 * 2u64.pow(store_errors.min(6)));
                    tracing::warn!(error = %e, worker = %self.owner, "could not claim work");
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = self.shutdown.cancelled() => {}
                    }
                }
            }
        }
    }

    async fn run_item(&self, item: ClaimedItem) {
        let span = tracing::info_span!(
            "work",
            id = item.id,
            delivery = %item.dedupe_key,
            event = %item.name,
            action = item.action.as_deref().unwrap_or(""),
            repo = item.repo.as_deref().unwrap_or(""),
            installation = item.installation_id.unwrap_or_default(),
            attempt = item.attempts,
        );
        self.run_item_in_span(item).instrument(span).await
    }

    async fn run_item_in_span(&self, item: ClaimedItem) {
        let started = Instant::now();
        let queued_ms = (self.clock.now_ms() - item.created_at).max(0);
        metrics::histogram!("relman_work_queue_delay_seconds", "kind" => item.kind.as_str())
            .record(queued_ms as f64 / 1000.0);

        // A panic in a handler is a bug, but it must not take the worker down with it, nor
        // lose the item: it counts as a failed attempt.
        let processing = AssertUnwindSafe(self.processor.process(&item)).catch_unwind();
        tokio::pin!(processing);
        let mut renew = tokio::time::interval(self.config.lease / 3);
        renew.tick().await; // the first tick is immediate

        let outcome = loop {
            tokio::select! {
                result = &mut processing => break Some(result),
                _ = renew.tick() => {
                    let until = self.clock.now_ms() + self.config.lease.as_millis() as i64;
                    match self.store.extend_lease(item.id, &self.owner, until).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!("lease lost; another worker may run this item"),
                        Err(e) => tracing::warn!(error = %e, "could not renew lease"),
                    }
                }
                _ = self.shutdown.cancelled() => {
                    match tokio::time::timeout(self.config.shutdown_grace, &mut processing).await {
                        Ok(result) => break Some(result),
                        Err(_) => break None,
                    }
                }
            }
        };

        let elapsed = started.elapsed().as_secs_f64();
        let now = self.clock.now_ms();
        let result = match outcome {
            None => {
                tracing::warn!("shutting down: item given back unfinished");
                if let Err(e) = self.store.release(item.id, &self.owner).await {
                    tracing::error!(error = %e, "could not give the item back; its lease will expire");
                }
                return;
            }
            Some(Ok(result)) => result,
            Some(Err(panic)) => Err(ProcessError::Retryable(format!(
                "handler panicked: {}",
                panic_message(&panic)
            ))),
        };
        metrics::histogram!("relman_work_duration_seconds", "name" => item.name.clone())
            .record(elapsed);

        let recorded = match result {
            Ok(()) => {
                metrics::counter!("relman_work_total", "name" => item.name.clone(), "outcome" => "done")
                    .increment(1);
                tracing::info!(elapsed_ms = (elapsed * 1000.0) as u64, "done");
                self.store.complete(item.id, &self.owner, now).await
            }
            Err(error) => {
                let attempts = u32::try_from(item.attempts).unwrap_or(u32::MAX);
                let retry_in = match &error {
                    ProcessError::Retryable(_) => self
                        .config
                        .retry
                        .next_delay(attempts, rand::rng().random::<f64>()),
                    ProcessError::Permanent(_) => None,
                };
                let message = error.to_string();
                match retry_in {
                    Some(delay) => {
                        metrics::counter!("relman_work_retries_total", "name" => item.name.clone())
                            .increment(1);
                        tracing::warn!(error = %message, retry_in_s = delay.as_secs(), "failed; will retry");
                        let at = now + delay.as_millis() as i64;
                        self.store
                            .fail(item.id, &self.owner, now, &message, Some(at))
                            .await
                    }
                    None => {
                        metrics::counter!("relman_work_total", "name" => item.name.clone(), "outcome" => "dead")
                            .increment(1);
                        tracing::error!(error = %message, "failed for good; parked as dead");
                        self.store
                            .fail(item.id, &self.owner, now, &message, None)
                            .await
                    }
                }
            }
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!("outcome not recorded: the lease was taken over"),
            Err(e) => {
                tracing::error!(error = %e, "outcome not recorded; the item will run again after its lease")
            }
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
