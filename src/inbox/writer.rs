//! Group commit: ingress hands items to one writer task that stores whatever has queued up in a
//! single transaction. Each delivery is still on disk before its 202, but concurrent deliveries
//! share one commit (one fsync) instead of paying for one each.
//!
//! On SQLite the writer is also where workers claim and finish items (see [`super::worker`]):
//! SQLite has one write lock per database, and when every claim and completion was its own
//! transaction, ingress's commits queued behind the workers' in SQLite's busy handler (which
//! sleeps between tries), and a busy worker pool starved ingress. With one writer there is no lock to wait for: a batch applies the workers' outcomes, stores
//! the new deliveries, then claims items for the workers that asked, and commits once. Every
//! answer is sent only after that commit, so nothing is acknowledged that is not on disk.
//!
//! The writer is a task on the store's pool, one transaction per batch, on both back-ends.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::store::work::{ClaimedItem, Enqueued, NewWorkItem, Outcome, WorkTx};
use crate::store::{Backend, Store, StoreError};

/// Most requests handled in one transaction; bounds the latency of the first one in a batch.
const MAX_BATCH: usize = 512;
/// Requests waiting for the writer before ingress is pushed back on.
const QUEUE_CAPACITY: usize = 8192;

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("the store rejected the write: {0}")]
    Store(Arc<StoreError>),
    #[error("the inbox writer has stopped")]
    Closed,
}

type Reply<T> = oneshot::Sender<Result<T, Arc<StoreError>>>;

/// A lease to take: claim the next claimable item for `owner`, held until `until` (unix ms).
#[derive(Debug, Clone)]
pub(crate) struct LeaseRequest {
    pub owner: String,
    pub now: i64,
    pub until: i64,
}

enum Request {
    Enqueue {
        item: NewWorkItem,
        reply: Reply<Enqueued>,
    },
    /// A worker's outcome for `id`, and optionally its next claim in the same transaction.
    Finish {
        id: i64,
        owner: String,
        now: i64,
        outcome: Outcome,
        then_claim: Option<LeaseRequest>,
        reply: Reply<(bool, Option<ClaimedItem>)>,
    },
    Claim {
        lease: LeaseRequest,
        reply: Reply<Option<ClaimedItem>>,
    },
    ExtendLease {
        id: i64,
        owner: String,
        until: i64,
        reply: Reply<bool>,
    },
}

/// The sending side, held by ingress, the scheduler and (on SQLite) workers; cheap to clone.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Request>,
    store: Store,
}

impl InboxWriter {
    /// Starts the writer task. `stored` is notified whenever new work was committed, so idle
    /// workers wake at once instead of at their next poll.
    pub fn spawn(
        store: Store,
        clock: Arc<dyn Clock>,
        stored: Arc<Notify>,
    ) -> (InboxWriter, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let task = tokio::spawn(run(store.clone(), clock, stored, rx));
        (InboxWriter { tx, store }, task)
    }

    /// The store this writer writes to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stores one item durably; returns once it is committed.
    pub async fn enqueue(&self, item: NewWorkItem) -> Result<Enqueued, EnqueueError> {
        self.call(|reply| Request::Enqueue { item, reply }).await
    }

    pub(crate) async fn claim(
        &self,
        lease: LeaseRequest,
    ) -> Result<Option<ClaimedItem>, EnqueueError> {
        self.call(|reply| Request::Claim { lease, reply }).await
    }

    pub(crate) async fn finish(
        &self,
        id: i64,
        owner: String,
        now: i64,
        outcome: Outcome,
        then_claim: Option<LeaseRequest>,
    ) -> Result<(bool, Option<ClaimedItem>), EnqueueError> {
        self.call(|reply| Request::Finish {
            id,
            owner,
            now,
            outcome,
            then_claim,
            reply,
        })
        .await
    }

    pub(crate) async fn extend_lease(
        &self,
        id: i64,
        owner: String,
        until: i64,
    ) -> Result<bool, EnqueueError> {
        self.call(|reply| Request::ExtendLease {
            id,
            owner,
            until,
            reply,
        })
        .await
    }

    async fn call<T>(&self, request: impl FnOnce(Reply<T>) -> Request) -> Result<T, EnqueueError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(request(reply))
            .await
            .map_err(|_| EnqueueError::Closed)?;
        match answer.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(EnqueueError::Store(e)),
            Err(_) => Err(EnqueueError::Closed),
        }
    }
}

/// What one request's part of a batch produced, held until the commit.
enum Done {
    Enqueue(Reply<Enqueued>),
    Finish(
        Reply<(bool, Option<ClaimedItem>)>,
        Result<bool, StoreError>,
        ClaimResult,
    ),
    Claim(Reply<Option<ClaimedItem>>, ClaimResult),
    ExtendLease(Reply<bool>, Result<bool, StoreError>),
}

type ClaimResult = Result<Option<ClaimedItem>, StoreError>;

async fn run(
    store: Store,
    clock: Arc<dyn Clock>,
    stored: Arc<Notify>,
    mut rx: mpsc::Receiver<Request>,
) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    let mut items: Vec<NewWorkItem> = Vec::with_capacity(MAX_BATCH);
    // recv_many takes what is queued (at least one); whatever arrives while this batch commits
    // forms the next one. Ends when every sender is dropped and the queue is drained.
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        items.clear();
        let started = std::time::Instant::now();
        let result = match store.begin_work().await {
            Ok(mut tx) => match apply_batch(&mut tx, &clock, &mut batch, &mut items).await {
                (done, Ok(enqueued)) => match tx.commit().await {
                    Ok(()) => Ok((done, enqueued)),
                    Err(e) => Err((e, done)),
                },
                // Dropping the transaction rolls it back: none of the batch happened.
                (done, Err(e)) => Err((e, done)),
            },
            Err(e) => Err((e, unanswered(&mut batch, &mut items))),
        };
        answer(result, started, &items, &stored);
    }
}

type BatchResult = Result<(Vec<Done>, Vec<Enqueued>), (StoreError, Vec<Done>)>;

/// Sends every request in a batch its answer, once the batch committed (or failed).
fn answer(
    result: BatchResult,
    started: std::time::Instant,
    items: &[NewWorkItem],
    stored: &Notify,
) {
    // How long a batch takes to reach the disk: with the batch size, where ack latency goes.
    metrics::histogram!("relman_inbox_commit_seconds").record(started.elapsed().as_secs_f64());
    if !items.is_empty() {
        metrics::histogram!("relman_inbox_commit_batch_size").record(items.len() as f64);
    }
    match result {
        Ok((done, enqueued)) => {
            let mut any_new = false;
            let mut enqueued = enqueued.into_iter();
            for done in done {
                match done {
                    Done::Enqueue(reply) => {
                        let outcome = enqueued.next().unwrap_or(Enqueued::Duplicate);
                        any_new |= !matches!(outcome, Enqueued::Duplicate);
                        // The requester may have gone (client hung up): the item is stored.
                        let _ = reply.send(Ok(outcome));
                    }
                    Done::Finish(reply, recorded, claimed) => {
                        // The outcome stands even if the next claim failed: the worker
                        // just looks for work again.
                        let claimed = claimed.unwrap_or_else(|e| {
                            tracing::warn!(error = %e, "could not claim work");
                            None
                        });
                        let _ = reply.send(recorded.map(|r| (r, claimed)).map_err(Arc::new));
                    }
                    Done::Claim(reply, claimed) => {
                        let _ = reply.send(claimed.map_err(Arc::new));
                    }
                    Done::ExtendLease(reply, extended) => {
                        let _ = reply.send(extended.map_err(Arc::new));
                    }
                }
            }
            if any_new {
                stored.notify_waiters();
            }
        }
        Err((e, done)) => {
            tracing::error!(error = %e, requests = done.len(), "inbox write failed");
            let e = Arc::new(e);
            for done in done {
                let _ = match done {
                    Done::Enqueue(reply) => reply.send(Err(e.clone())).is_ok(),
                    Done::Finish(reply, ..) => reply.send(Err(e.clone())).is_ok(),
                    Done::Claim(reply, _) => reply.send(Err(e.clone())).is_ok(),
                    Done::ExtendLease(reply, _) => reply.send(Err(e.clone())).is_ok(),
                };
            }
        }
    }
}

/// Runs one batch inside `tx`: workers' outcomes first (so the next item of a finished queue
/// can be claimed in this same batch), then the new items, then the claims. A database error
/// anywhere fails the whole batch (the caller then does not commit); a row that cannot be read
/// fails only the request it was for.
async fn apply_batch(
    tx: &mut WorkTx,
    clock: &Arc<dyn Clock>,
    batch: &mut Vec<Request>,
    items: &mut Vec<NewWorkItem>,
) -> (Vec<Done>, Result<Vec<Enqueued>, StoreError>) {
    let mut done: Vec<Done> = Vec::with_capacity(batch.len());
    let mut failed: Option<StoreError> = None;
    let mut claims: Vec<(usize, LeaseRequest)> = Vec::new();

    // Split without copying: payloads can be megabytes.
    for request in batch.drain(..) {
        match request {
            Request::Enqueue { item, reply } => {
                items.push(item);
                done.push(Done::Enqueue(reply));
            }
            Request::Finish {
                id,
                owner,
                now,
                outcome,
                then_claim,
                reply,
            } => {
                let recorded = if failed.is_none() {
                    fatal(tx.finish(id, &owner, now, &outcome).await, &mut failed)
                } else {
                    Ok(false)
                };
                if let Some(lease) = then_claim {
                    claims.push((done.len(), lease));
                }
                done.push(Done::Finish(reply, recorded, Ok(None)));
            }
            Request::Claim { lease, reply } => {
                claims.push((done.len(), lease));
                done.push(Done::Claim(reply, Ok(None)));
            }
            Request::ExtendLease {
                id,
                owner,
                until,
                reply,
            } => {
                let extended = if failed.is_none() {
                    fatal(tx.extend_lease(id, &owner, until).await, &mut failed)
                } else {
                    Ok(false)
                };
                done.push(Done::ExtendLease(reply, extended));
            }
        }
    }

    let mut enqueued = Vec::new();
    if failed.is_none() && !items.is_empty() {
        match tx.enqueue(items, clock.now_ms()).await {
            Ok(outcomes) => enqueued = outcomes,
            Err(e) => failed = Some(e),
        }
    }
    for (index, lease) in claims {
        if failed.is_some() {
            break;
        }
        let claimed = fatal(
            tx.claim(&lease.owner, lease.now, lease.until).await,
            &mut failed,
        );
        match &mut done[index] {
            Done::Finish(_, _, slot) | Done::Claim(_, slot) => *slot = claimed,
            Done::Enqueue(_) | Done::ExtendLease(..) => {}
        }
    }

    match failed {
        Some(e) => (done, Err(e)),
        None => (done, Ok(enqueued)),
    }
}

/// A statement's result for its request, except that a database error (the connection or the
/// transaction is broken) is kept to fail the batch. A row that cannot be read is the
/// request's own failure: it must not stop everyone else's writes.
fn fatal<T: Default>(
    result: Result<T, StoreError>,
    failed: &mut Option<StoreError>,
) -> Result<T, StoreError> {
    match result {
        Err(e @ StoreError::Database(_)) if !is_row_error(&e) => {
            if failed.is_none() {
                *failed = Some(e);
            }
            Ok(T::default())
        }
        other => other,
    }
}

fn is_row_error(e: &StoreError) -> bool {
    match e {
        StoreError::Database(e) => matches!(
            e,
            sqlx::Error::ColumnDecode { .. }
                | sqlx::Error::ColumnNotFound(_)
                | sqlx::Error::ColumnIndexOutOfBounds { .. }
                | sqlx::Error::Decode(_)
        ),
        _ => false,
    }
}

/// A batch that never reached the database: every request is answered with the error.
fn unanswered(batch: &mut Vec<Request>, items: &mut Vec<NewWorkItem>) -> Vec<Done> {
    let mut done = Vec::with_capacity(batch.len());
    for request in batch.drain(..) {
        done.push(match request {
            Request::Enqueue { item, reply } => {
                items.push(item);
                Done::Enqueue(reply)
            }
            Request::Finish { reply, .. } => Done::Finish(reply, Ok(false), Ok(None)),
            Request::Claim { reply, .. } => Done::Claim(reply, Ok(None)),
            Request::ExtendLease { reply, .. } => Done::ExtendLease(reply, Ok(false)),
        });
    }
    done
}

/// Whether worker state changes for `store` should go through a writer (one writer of the
/// database) rather than straight to the store.
pub(crate) fn single_writer(store: &Store) -> bool {
    store.backend() == Backend::Sqlite
}
