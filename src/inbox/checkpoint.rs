//! SQLite WAL checkpoints off the ack path.
//!
//! In WAL mode every commit appends pages to the log; a checkpoint copies them into the
//! database file and fsyncs it. Left to SQLite (`wal_autocheckpoint`), the commit that fills the
//! log does that copy before it returns, so the deliveries in that batch wait for megabytes of
//! writes and a second fsync: that set the p99 ack latency (benches/README.md). Here a task of
//! its own checkpoints on another connection while the writer goes on committing.
//!
//! A PASSIVE checkpoint never blocks the writer, but the log only starts over from its beginning
//! when a write transaction begins with every frame copied, which a checkpoint racing a busy
//! writer rarely achieves: the log would grow without end. So once the log holds
//! [`RESTART_FRAMES`] pages and this task's last pass was short (it passes again at once until
//! one is), the writer, after its next commit and before its next transaction, runs one more
//! PASSIVE checkpoint itself ([`Checkpointer::catch_up`]): with the writer idle it copies the
//! few pages left, and the next commit writes the log from its start again. (A
//! RESTART checkpoint from this task did the same by taking the write lock, and cost acks up to a
//! second in SQLite's busy handler when the disk was slow.) The connection options keep a
//! larger `wal_autocheckpoint` as a backstop for when this task is not running (`relman inbox`
//! commands) or falls behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::Row;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use crate::store::Store;

/// Log pages (2 KiB each) after which the log is made to start over: 64 MiB. Each start-over
/// costs the writer a checkpoint between two batches; at 8 MiB that came every ~60 ms at
/// 15,000 deliveries/s and set the p99 (benches/README.md, round 3).
const RESTART_FRAMES: i64 = 32_768;
/// A pass this short left little behind for the writer to copy.
const SHORT_PASS: Duration = Duration::from_millis(5);
/// Passes in a row at most, before waiting for the next round.
const MAX_PASSES: u32 = 4;
/// Commits are many and a checkpoint copies whatever is there: one at most this often. A page
/// written many times between two checkpoints (an index's inner pages, the end of the table) is
/// copied once: at 1 s a 2 KiB delivery cost 14 KiB of disk writes, at 20 ms 19 KiB
/// (benches/README.md, round 3). The log grows by what is written in that second.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The writer's side: tells the checkpointer a commit happened.
#[derive(Clone)]
pub(crate) struct Checkpointer {
    tx: mpsc::Sender<()>,
    store: Store,
    /// Set when the log is long enough to be started over.
    restart_due: Arc<AtomicBool>,
    /// One checkpoint at a time: a second one at once would find SQLite's checkpoint lock
    /// taken and copy nothing.
    running: Arc<Mutex<()>>,
}

impl Checkpointer {
    /// Starts the checkpoint task for `store`; it ends when every [`Checkpointer`] is dropped.
    pub(crate) fn spawn(store: Store) -> (Checkpointer, JoinHandle<()>) {
        // One slot: commits while a checkpoint runs fold into one more checkpoint.
        let (tx, rx) = mpsc::channel(1);
        let checkpointer = Checkpointer {
            tx,
            store,
            restart_due: Arc::new(AtomicBool::new(false)),
            running: Arc::new(Mutex::new(())),
        };
        let task = tokio::spawn(run(checkpointer.clone_inner(), rx));
        (checkpointer, task)
    }

    fn clone_inner(&self) -> Inner {
        Inner {
            store: self.store.clone(),
            restart_due: self.restart_due.clone(),
            running: self.running.clone(),
        }
    }

    /// After a commit; never waits.
    pub(crate) fn committed(&self) {
        let _ = self.tx.try_send(());
    }

    /// Between two of the writer's transactions: when the log is due to start over, copies what
    /// is left of it so that the next transaction can.
    pub(crate) async fn catch_up(&self) {
        if !self.restart_due.swap(false, Ordering::Relaxed) {
            return;
        }
        let _one = self.running.lock().await;
        if let Err(e) = checkpoint(&self.store).await {
            log_failure(&e);
        }
    }

    /// [`Checkpointer::catch_up`] for a writer on a thread of its own, which checkpoints on its
    /// own connection with `checkpoint`.
    pub(crate) fn catch_up_on<E: std::fmt::Display>(
        &self,
        checkpoint: impl FnOnce() -> Result<i64, E>,
    ) {
        if !self.restart_due.swap(false, Ordering::Relaxed) {
            return;
        }
        // The task is copying the log: waiting for it would hold every ack in this batch's wake
        // for a whole checkpoint (tens of ms on a busy disk). Try again after the next commit,
        // when only what was written since is left to copy.
        let Ok(_one) = self.running.try_lock() else {
            self.restart_due.store(true, Ordering::Relaxed);
            return;
        };
        let started = std::time::Instant::now();
        if let Err(e) = checkpoint() {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
        metrics::histogram!("relman_inbox_checkpoint_seconds", "by" => "writer")
            .record(started.elapsed().as_secs_f64());
    }
}

/// What the task holds: not the sender, so that the task ends with the writer.
struct Inner {
    store: Store,
    restart_due: Arc<AtomicBool>,
    running: Arc<Mutex<()>>,
}

async fn run(inner: Inner, mut rx: mpsc::Receiver<()>) {
    while rx.recv().await.is_some() {
        let started = std::time::Instant::now();
        // Once the log is long enough to start over, the writer has to copy whatever is not
        // copied yet, between two batches, while acks wait. So pass again at once until a pass
        // is short (little was written during it): the writer's share is then a few ms. When
        // the disk cannot keep up (no pass is short), the writer is not asked: the log grows
        // until a later round converges, or until SQLite's autocheckpoint bound.
        for _ in 0..MAX_PASSES {
            let pass_started = std::time::Instant::now();
            let result = {
                let _one = inner.running.lock().await;
                checkpoint(&inner.store).await
            };
            let took = pass_started.elapsed();
            metrics::histogram!("relman_inbox_checkpoint_seconds", "by" => "task")
                .record(took.as_secs_f64());
            match result {
                Ok(log) if log >= RESTART_FRAMES => {
                    if took <= SHORT_PASS {
                        inner.restart_due.store(true, Ordering::Relaxed);
                        break;
                    }
                }
                Ok(_) => break,
                // Not fatal: SQLite's own autocheckpoint still bounds the log.
                Err(e) => {
                    log_failure(&e);
                    break;
                }
            }
        }
        tokio::time::sleep(MIN_INTERVAL.saturating_sub(started.elapsed())).await;
    }
}

fn log_failure(e: &sqlx::Error) {
    // Shutting down: the pool closes while a checkpoint is due; closing checkpoints anyway.
    if !matches!(e, sqlx::Error::PoolClosed) {
        tracing::warn!(error = %e, "WAL checkpoint failed");
    }
}

/// Runs one PASSIVE checkpoint; the number of pages in the log before it.
async fn checkpoint(store: &Store) -> Result<i64, sqlx::Error> {
    // (busy, pages in the log, pages checkpointed); -1 when the database is not in WAL mode.
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(store.pool())
        .await?;
    Ok(row.try_get::<i64, _>(1).unwrap_or(0))
}
