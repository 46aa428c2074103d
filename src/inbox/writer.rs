//! Group commit: ingress hands items to one writer task that stores whatever has queued up in a
//! single transaction. Each delivery is still on disk before its 202, but concurrent deliveries
//! share one commit (one fsync) instead of paying for one each.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::store::work::{Enqueued, NewWorkItem};
use crate::store::{Store, StoreError};

/// Most items stored in one transaction; bounds the latency of the first item in a batch.
const MAX_BATCH: usize = 512;
/// Items waiting for the writer before ingress is pushed back on.
const QUEUE_CAPACITY: usize = 8192;

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("the store rejected the write: {0}")]
    Store(Arc<StoreError>),
    #[error("the inbox writer has stopped")]
    Closed,
}

struct Request {
    item: NewWorkItem,
    reply: oneshot::Sender<Result<Enqueued, Arc<StoreError>>>,
}

/// The sending side, held by ingress and the scheduler; cheap to clone.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Request>,
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
        let task = tokio::spawn(run(store, clock, stored, rx));
        (InboxWriter { tx }, task)
    }

    /// Stores one item durably; returns once it is committed.
    pub async fn enqueue(&self, item: NewWorkItem) -> Result<Enqueued, EnqueueError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { item, reply })
            .await
            .map_err(|_| EnqueueError::Closed)?;
        match answer.await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(e)) => Err(EnqueueError::Store(e)),
            Err(_) => Err(EnqueueError::Closed),
        }
    }
}

async fn run(
    store: Store,
    clock: Arc<dyn Clock>,
    stored: Arc<Notify>,
    mut rx: mpsc::Receiver<Request>,
) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    let mut items: Vec<NewWorkItem> = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    // recv_many takes what is queued (at least one); whatever arrives while this batch commits
    // forms the next one. Ends when every sender is dropped and the queue is drained.
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Split without copying: payloads can be megabytes.
        items.clear();
        replies.clear();
        for request in batch.drain(..) {
            items.push(request.item);
            replies.push(request.reply);
        }
        let started = std::time::Instant::now();
        let result = store.enqueue_batch(&items, clock.now_ms()).await;
        // How long a batch takes to reach the disk: with the batch size, where ack latency goes.
        metrics::histogram!("relman_inbox_commit_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("relman_inbox_commit_batch_size").record(items.len() as f64);
        match result {
            Ok(outcomes) => {
                let mut any_new = false;
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    any_new |= !matches!(outcome, Enqueued::Duplicate);
                    // The requester may have gone (client hung up): the item is stored anyway.
                    let _ = reply.send(Ok(outcome));
                }
                if any_new {
                    stored.notify_waiters();
                }
            }
            Err(e) => {
                tracing::error!(error = %e, items = items.len(), "inbox write failed");
                let e = Arc::new(e);
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}
