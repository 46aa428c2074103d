//! SQLite WAL checkpoints off the ack path.
//!
//! In WAL mode every commit appends pages to the log; a checkpoint copies them into the
//! database file and fsyncs it. Left to SQLite (`wal_autocheckpoint`), the commit that fills the
//! log does that copy before it returns, so the deliveries in that batch wait for megabytes of
//! writes and a second fsync: that set the p99 ack latency (benches/README.md). Here a task of
//! its own checkpoints on another connection while the writer goes on committing.
//!
//! A PASSIVE checkpoint never blocks the writer, but it cannot make the log start over while
//! the writer keeps appending to it, so under sustained load the log would grow without end.
//! Once it holds [`RESTART_FRAMES`] pages, this task runs a RESTART checkpoint: it takes the
//! write lock for as long as it takes to copy what the last PASSIVE one left (little) and
//! lets the next commit write the log from its start again. The connection options keep a
//! larger `wal_autocheckpoint` as a backstop for when this task is not running (`relman inbox`
//! commands) or falls behind.

use std::time::Duration;

use sqlx::Row;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::store::Store;

/// Log pages (2 KiB each) after which the log is made to start over: 8 MiB.
const RESTART_FRAMES: i64 = 4096;
/// Commits are many and a checkpoint copies whatever is there: one at most this often.
const MIN_INTERVAL: Duration = Duration::from_millis(20);

/// The writer's side: tells the checkpointer a commit happened.
#[derive(Clone)]
pub(crate) struct Checkpointer {
    tx: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the checkpoint task for `store`; it ends (with a last checkpoint) when every
    /// [`Checkpointer`] is dropped.
    pub(crate) fn spawn(store: Store) -> (Checkpointer, JoinHandle<()>) {
        // One slot: commits while a checkpoint runs fold into one more checkpoint.
        let (tx, rx) = mpsc::channel(1);
        (Checkpointer { tx }, tokio::spawn(run(store, rx)))
    }

    /// After a commit; never waits.
    pub(crate) fn committed(&self) {
        let _ = self.tx.try_send(());
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<()>) {
    while rx.recv().await.is_some() {
        let started = std::time::Instant::now();
        match checkpoint(&store, false).await {
            Ok(log) if log >= RESTART_FRAMES => {
                if let Err(e) = checkpoint(&store, true).await {
                    tracing::warn!(error = %e, "WAL checkpoint (restart) failed");
                }
            }
            Ok(_) => {}
            // Not fatal: SQLite's own autocheckpoint still bounds the log.
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
        metrics::histogram!("relman_inbox_checkpoint_seconds")
            .record(started.elapsed().as_secs_f64());
        tokio::time::sleep(MIN_INTERVAL.saturating_sub(started.elapsed())).await;
    }
    let _ = checkpoint(&store, false).await;
}

/// Runs one checkpoint, PASSIVE or RESTART; the number of pages in the log before it.
async fn checkpoint(store: &Store, restart: bool) -> Result<i64, sqlx::Error> {
    let sql = if restart {
        "PRAGMA wal_checkpoint(RESTART)"
    } else {
        "PRAGMA wal_checkpoint(PASSIVE)"
    };
    // (busy, pages in the log, pages checkpointed); -1 when the database is not in WAL mode.
    let row = sqlx::query(sql).fetch_one(store.pool()).await?;
    Ok(row.try_get::<i64, _>(1).unwrap_or(0))
}
