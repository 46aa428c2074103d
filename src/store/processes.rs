//! Which processes are alive, so that a dead one's work is taken over at once.
//!
//! A lease says how long an item may run before another worker takes it over; it has to be
//! long enough for a slow GitHub call. When the process holding it dies (`kill -9`, a lost
//! node), waiting that long holds up the item and every later item of its repository.
//!
//! On PostgreSQL, where replicas share the inbox, each `relman serve` beats every
//! [`HEARTBEAT_EVERY`]: its row in `inbox_processes` says it is alive for [`ALIVE_FOR`] more.
//! Its workers' lease owners start with its name and a `:`, and the claim treats a running item
//! whose process's heartbeat lapsed as one whose lease ran out (`lease_ran_out` in
//! [`super::work`]). A replica's death is recognised within [`ALIVE_FOR`] plus a poll, while
//! the others go on working.
//!
//! On SQLite one process owns the file: at start it takes back every lease at once
//! ([`Store::take_back_leases`]), since whoever held them is gone.

use std::time::Duration;

use super::{Store, StoreError};

/// How often a process says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(3);

/// How long one heartbeat holds: three beats, so that one slow write does not look like death.
pub const ALIVE_FOR: Duration = Duration::from_secs(10);

/// Rows of processes silent this long are removed: any lease they held has long run out.
const FORGOTTEN_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

impl Store {
    /// Records that `process` is alive until `now_ms` + [`ALIVE_FOR`], and forgets processes
    /// silent for a day.
    pub async fn beat(&self, process: &str, now_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO inbox_processes (process, alive_until) VALUES ($1, $2)
             ON CONFLICT (process) DO UPDATE SET alive_until = excluded.alive_until",
        )
        .bind(process)
        .bind(now_ms + ALIVE_FOR.as_millis() as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM inbox_processes WHERE alive_until < $1")
            .bind(now_ms - FORGOTTEN_AFTER_MS)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that `process` stopped: anything it still holds is taken over at the next claim.
    pub async fn sign_off(&self, process: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE inbox_processes SET alive_until = 0 WHERE process = $1")
            .bind(process)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Gives every running item back to the queue, its attempt counted: for a process that owns
    /// its SQLite file, at start, when whoever held the leases is gone. Returns how many.
    pub async fn take_back_leases(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE work_items SET status = 'pending', lease_owner = NULL, lease_until = NULL
             WHERE status = 'running'",
        )
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
