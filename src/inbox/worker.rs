//! Workers: claim an item under a lease, run it, record the outcome.
//!
//! On SQLite, workers claim and finish items through an [`InboxWriter`], the one writer of the
//! database, which folds them into its group commits (see [`super::writer`]); a worker records
//! its outcome and claims its next item in one request. On PostgreSQL, where replicas claim side
//! by side under row locks (`FOR UPDATE SKIP LOCKED`), they go straight to the store.
//!
//! An item is marked done only after its processor succeeded. A worker that dies (kill -9)
//! leaves its item `running`. On PostgreSQL the workers' process beats a heartbeat
//! ([`crate::store::processes`]); once it lapses, another replica claims the item again, without
//! waiting for its lease to run out. On SQLite, `relman serve` takes every lease back at start.
//! While an item runs its lease is renewed, so a slow but healthy item is never taken over.

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
use super::writer::{EnqueueError, InboxWriter, LeaseRequest, single_writer};
use super::{ProcessError, Processor};
use crate::clock::Clock;
use crate::store::processes::HEARTBEAT_EVERY;
use crate::store::work::{ClaimedItem, Outcome};
use crate::store::{Store, StoreError};

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
    /// Starts this process's name in lease owners, for people reading the table; a random
    /// suffix makes the name unique.
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

/// Where workers take their items from: a store, or the inbox writer of one (what `relman
/// serve` passes, so that ingress and workers share one writer).
#[derive(Clone)]
pub enum WorkSource {
    Store(Store),
    Writer(InboxWriter),
}

impl From<Store> for WorkSource {
    fn from(store: Store) -> Self {
        WorkSource::Store(store)
    }
}

impl From<InboxWriter> for WorkSource {
    fn from(writer: InboxWriter) -> Self {
        WorkSource::Writer(writer)
    }
}

/// How a worker reaches the inbox (see the module documentation).
#[derive(Clone)]
enum Port {
    Direct(Store),
    Writer(InboxWriter),
}

#[derive(Debug, thiserror::Error)]
enum PortError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Writer(#[from] EnqueueError),
}

impl Port {
    async fn claim(&self, lease: LeaseRequest) -> Result<Option<ClaimedItem>, PortError> {
        Ok(match self {
            Port::Direct(store) => store.claim(&lease.owner, lease.now, lease.until).await?,
            Port::Writer(writer) => writer.claim(lease).await?,
        })
    }

    /// Records `outcome`, then claims the next item when `then_claim` says so. The claim's
    /// result is `None` when no claim was asked for or nothing was claimable.
    async fn finish(
        &self,
        id: i64,
        owner: &str,
        now: i64,
        outcome: Outcome,
        then_claim: Option<LeaseRequest>,
    ) -> (Result<bool, PortError>, Option<ClaimedItem>) {
        match self {
            Port::Direct(store) => {
                let recorded = store.finish(id, owner, now, &outcome).await;
                let next = match then_claim {
                    Some(lease) => self.claim(lease).await.unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "could not claim work");
                        None
                    }),
                    None => None,
                };
                (recorded.map_err(PortError::from), next)
            }
            Port::Writer(writer) => {
                match writer
                    .finish(id, owner.to_string(), now, outcome, then_claim)
                    .await
                {
                    Ok((recorded, next)) => (Ok(recorded), next),
                    Err(e) => (Err(e.into()), None),
                }
            }
        }
    }

    async fn extend_lease(&self, id: i64, owner: &str, until: i64) -> Result<bool, PortError> {
        Ok(match self {
            Port::Direct(store) => store.extend_lease(id, owner, until).await?,
            Port::Writer(writer) => writer.extend_lease(id, owner.to_string(), until).await?,
        })
    }
}

/// Starts `config.workers` workers; they stop when `shutdown` is cancelled.
///
/// Given a store on SQLite, the workers get a writer of their own for their state changes (one
/// transaction for all of them at a time); `relman serve` passes its ingress writer instead.
pub fn spawn_workers<P: Processor>(
    source: impl Into<WorkSource>,
    processor: Arc<P>,
    clock: Arc<dyn Clock>,
    stored: Arc<Notify>,
    config: WorkerConfig,
    shutdown: CancellationToken,
) -> JoinSet<()> {
    let port = match source.into() {
        WorkSource::Store(store) if single_writer(&store) => {
            let (writer, _task) = InboxWriter::spawn(store, clock.clone(), stored.clone());
            Port::Writer(writer)
        }
        WorkSource::Store(store) => Port::Direct(store),
        WorkSource::Writer(writer) if single_writer(writer.store()) => Port::Writer(writer),
        WorkSource::Writer(writer) => Port::Direct(writer.store().clone()),
    };
    let process = format!(
        "{}-{:08x}",
        config.owner_prefix,
        rand::rng().random::<u32>()
    );
    let mut set = JoinSet::new();
    // Each worker holds a sender; the heartbeat goes on until the last one is dropped, so a
    // worker finishing its item during shutdown is never taken for dead.
    let (running, workers_gone) = tokio::sync::mpsc::channel::<()>(1);
    if let Port::Direct(store) = &port {
        set.spawn(heartbeat(
            store.clone(),
            process.clone(),
            clock.clone(),
            workers_gone,
        ));
    }
    for n in 0..config.workers {
        let worker = Worker {
            owner: format!("{process}:w{n}"),
            _running: running.clone(),
            port: port.clone(),
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

/// Beats `process`'s heartbeat until every worker has stopped, then signs it off.
async fn heartbeat(
    store: Store,
    process: String,
    clock: Arc<dyn Clock>,
    mut workers_gone: tokio::sync::mpsc::Receiver<()>,
) {
    let mut ticker = tokio::time::interval(HEARTBEAT_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = workers_gone.recv() => break,
        }
        if let Err(e) = store.beat(&process, clock.now_ms()).await {
            tracing::warn!(error = %e, %process, "could not record this process's heartbeat");
        }
    }
    if let Err(e) = store.sign_off(&process).await {
        tracing::warn!(error = %e, %process, "could not sign this process off");
    }
}

struct Worker<P> {
    owner: String,
    /// Dropped with the worker: see [`heartbeat`].
    _running: tokio::sync::mpsc::Sender<()>,
    port: Port,
    processor: Arc<P>,
    clock: Arc<dyn Clock>,
    stored: Arc<Notify>,
    config: WorkerConfig,
    shutdown: CancellationToken,
}

impl<P: Processor> Worker<P> {
    fn lease(&self) -> LeaseRequest {
        let now = self.clock.now_ms();
        LeaseRequest {
            owner: self.owner.clone(),
            now,
            until: now + self.config.lease.as_millis() as i64,
        }
    }

    async fn run(self) {
        let mut store_errors: u32 = 0;
        // An item claimed together with the previous item's outcome, not yet run.
        let mut next: Option<ClaimedItem> = None;
        while !self.shutdown.is_cancelled() {
            // Register for the wake-up before looking (or, when an item runs, before it claims
            // the next one with its outcome), so a commit between an empty claim and the wait
            // is not missed.
            let woken = self.stored.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();

            let claimed = match next.take() {
                Some(item) => {
                    store_errors = 0;
                    match self.run_item(item).await {
                        Next::Claimed(item) => next = Some(item),
                        Next::Empty => self.idle(woken).await,
                        Next::NotAsked => {}
                    }
                    continue;
                }
                None => self.port.claim(self.lease()).await,
            };
            match claimed {
                Ok(Some(item)) => {
                    store_errors = 0;
                    next = Some(item);
                }
                Ok(None) => {
                    store_errors = 0;
                    self.idle(woken).await;
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
        // Shutting down with an item claimed but not started: give it back.
        if let Some(item) = next {
            let (released, _) = self
                .port
                .finish(item.id, &self.owner, 0, Outcome::Released, None)
                .await;
            if let Err(e) = released {
                tracing::warn!(error = %e, id = item.id, "could not give an item back; its lease will expire");
            }
        }
    }

    /// Waits for new work, the poll interval or shutdown.
    async fn idle(&self, woken: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>) {
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(self.config.poll_interval) => {}
            _ = self.shutdown.cancelled() => {}
        }
    }

    async fn run_item(&self, item: ClaimedItem) -> Next {
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

    async fn run_item_in_span(&self, item: ClaimedItem) -> Next {
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
                    match self.port.extend_lease(item.id, &self.owner, until).await {
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
                let (released, _) = self
                    .port
                    .finish(item.id, &self.owner, now, Outcome::Released, None)
                    .await;
                if let Err(e) = released {
                    tracing::error!(error = %e, "could not give the item back; its lease will expire");
                }
                return Next::NotAsked;
            }
            Some(Ok(result)) => result,
            Some(Err(panic)) => Err(ProcessError::Retryable(format!(
                "handler panicked: {}",
                panic_message(&panic)
            ))),
        };
        metrics::histogram!("relman_work_duration_seconds", "name" => item.name.clone())
            .record(elapsed);

        let outcome = match result {
            Ok(()) => {
                metrics::counter!("relman_work_total", "name" => item.name.clone(), "outcome" => "done")
                    .increment(1);
                tracing::info!(elapsed_ms = (elapsed * 1000.0) as u64, "done");
                Outcome::Done
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
                let error = error.to_string();
                match retry_in {
                    Some(delay) => {
                        metrics::counter!("relman_work_retries_total", "name" => item.name.clone())
                            .increment(1);
                        tracing::warn!(error = %error, retry_in_s = delay.as_secs(), "failed; will retry");
                        Outcome::Retry {
                            error,
                            at: now + delay.as_millis() as i64,
                        }
                    }
                    None => {
                        metrics::counter!("relman_work_total", "name" => item.name.clone(), "outcome" => "dead")
                            .increment(1);
                        tracing::error!(error = %error, "failed for good; parked as dead");
                        Outcome::Dead { error }
                    }
                }
            }
        };
        // The next item is claimed in the same request (one transaction on SQLite), unless
        // relman is stopping.
        let then_claim = (!self.shutdown.is_cancelled()).then(|| self.lease());
        let asked = then_claim.is_some();
        let (recorded, next) = self
            .port
            .finish(item.id, &self.owner, now, outcome, then_claim)
            .await;
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!("outcome not recorded: the lease was taken over"),
            Err(e) => {
                tracing::error!(error = %e, "outcome not recorded; the item will run again after its lease");
                return Next::NotAsked;
            }
        }
        match next {
            Some(item) => Next::Claimed(item),
            None if asked => Next::Empty,
            None => Next::NotAsked,
        }
    }
}

/// What a worker does after an item: run the one claimed with its outcome, wait for work
/// (nothing was claimable), or look again.
enum Next {
    Claimed(ClaimedItem),
    Empty,
    NotAsked,
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
