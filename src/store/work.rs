//! The inbox table: durable webhook deliveries and jobs, claimed by workers under a lease.
//!
//! Life of an item: `pending` → (claimed) `running` → `done`, or back to `pending` with a later
//! `run_at` after a failure, or `dead` once retries are spent. A `running` item whose lease has
//! expired (its worker died, e.g. `kill -9`) is claimable again. Items that share a `queue_key`
//! (one repository) run in id order, one at a time: an item is claimable only when no earlier item
//! of its queue is running or waiting to run.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Backend, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkKind {
    Webhook,
    Job,
}

impl WorkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::Webhook => "webhook",
            WorkKind::Job => "job",
        }
    }

    fn parse(s: &str) -> Result<WorkKind, StoreError> {
        match s {
            "webhook" => Ok(WorkKind::Webhook),
            "job" => Ok(WorkKind::Job),
            other => Err(StoreError::Corrupt {
                table: "work_items",
                detail: format!("unknown kind {other:?}"),
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkStatus {
    Pending,
    Running,
    Done,
    Dead,
}

impl WorkStatus {
    pub const ALL: [WorkStatus; 4] = [
        WorkStatus::Pending,
        WorkStatus::Running,
        WorkStatus::Done,
        WorkStatus::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkStatus::Pending => "pending",
            WorkStatus::Running => "running",
            WorkStatus::Done => "done",
            WorkStatus::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Result<WorkStatus, StoreError> {
        WorkStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt {
                table: "work_items",
                detail: format!("unknown status {s:?}"),
            })
    }
}

/// A delivery or job to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkItem {
    pub kind: WorkKind,
    pub dedupe_key: String,
    pub name: String,
    pub action: Option<String>,
    pub queue_key: String,
    pub repo: Option<String>,
    pub installation_id: Option<i64>,
    pub payload: Vec<u8>,
    /// Unix ms; the item is not claimed before.
    pub run_at: i64,
}

/// What storing an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Stored as new work.
    Accepted { id: i64 },
    /// Already known and not dead: not run again.
    Duplicate,
    /// Known but dead: queued again, as a redelivery asks.
    Revived,
}

/// An item a worker holds under a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedItem {
    pub id: i64,
    pub kind: WorkKind,
    pub dedupe_key: String,
    pub name: String,
    pub action: Option<String>,
    pub queue_key: String,
    pub repo: Option<String>,
    pub installation_id: Option<i64>,
    pub payload: Vec<u8>,
    /// Including this one.
    pub attempts: i64,
    pub created_at: i64,
}

/// An item as `relman inbox list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkSummary {
    pub id: i64,
    pub kind: WorkKind,
    pub dedupe_key: String,
    pub name: String,
    pub action: Option<String>,
    pub repo: Option<String>,
    pub status: WorkStatus,
    pub attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const CLAIMED_COLUMNS: &str = "id, kind, dedupe_key, name, action, queue_key, repo, installation_id, payload, attempts, created_at";

// An item is claimable when it is due (or its lease ran out) and nothing earlier in its queue is
// running or due. A pending item scheduled for later that has never run does not hold its queue:
// a job booked for next Tuesday must not stop today's webhooks. One that is waiting for a retry
// does, so a repository's events are never applied out of order.
const CLAIMABLE: &str = "
    ((w.status = 'pending' AND w.run_at <= $3) OR (w.status = 'running' AND w.lease_until < $3))
    AND NOT EXISTS (
        SELECT 1 FROM work_items p
        WHERE p.queue_key = w.queue_key AND p.id < w.id
          AND (p.status = 'running' OR (p.status = 'pending' AND (p.run_at <= $3 OR p.attempts > 0)))
    )";

impl Store {
    /// Stores a batch in one transaction (one fsync for all: group commit).
    pub async fn enqueue_batch(
        &self,
        items: &[NewWorkItem],
        now_ms: i64,
    ) -> Result<Vec<Enqueued>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut outcomes = Vec::with_capacity(items.len());
        for item in items {
            let inserted = sqlx::query(
                "INSERT INTO work_items
                    (kind, dedupe_key, name, action, queue_key, repo, installation_id, payload,
                     status, attempts, run_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10)
                 ON CONFLICT (dedupe_key) DO NOTHING
                 RETURNING id",
            )
            .bind(item.kind.as_str())
            .bind(&item.dedupe_key)
            .bind(&item.name)
            .bind(&item.action)
            .bind(&item.queue_key)
            .bind(&item.repo)
            .bind(item.installation_id)
            .bind(&item.payload)
            .bind(item.run_at)
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match inserted {
                Some(row) => Enqueued::Accepted {
                    id: row.try_get(0)?,
                },
                None => {
                    let revived = sqlx::query(
                        "UPDATE work_items
                         SET status = 'pending', attempts = 0, run_at = $2, last_error = NULL,
                             lease_owner = NULL, lease_until = NULL, finished_at = NULL
                         WHERE dedupe_key = $1 AND status = 'dead'",
                    )
                    .bind(&item.dedupe_key)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                    if revived.rows_affected() > 0 {
                        Enqueued::Revived
                    } else {
                        Enqueued::Duplicate
                    }
                }
            };
            outcomes.push(outcome);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// Claims the next claimable item for `owner` until `lease_until_ms`.
    pub async fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<ClaimedItem>, StoreError> {
        // PostgreSQL: SKIP LOCKED lets replicas claim side by side without waiting on each other;
        // SQLite has one writer at a time, so the UPDATE is atomic on its own.
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE work_items
             SET status = 'running', attempts = attempts + 1, lease_owner = $1, lease_until = $2,
                 started_at = $3
             WHERE id = (
                 SELECT w.id FROM work_items w
                 WHERE {CLAIMABLE}
                 ORDER BY w.id
                 LIMIT 1
                 {lock}
             )
             RETURNING {CLAIMED_COLUMNS}"
        );
        // The only dynamic part is the lock clause chosen above from two constants.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(lease_until_ms)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| claimed_from_row(&r)).transpose()
    }

    /// Keeps a long-running item's lease alive. False when the lease was lost.
    pub async fn extend_lease(
        &self,
        id: i64,
        owner: &str,
        lease_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE work_items SET lease_until = $3
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(lease_until_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks an item done. Only its current lease holder may: a worker whose lease expired and
    /// was taken over must not overwrite the new holder's outcome. False when the lease was lost.
    pub async fn complete(&self, id: i64, owner: &str, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE work_items
             SET status = 'done', finished_at = $3, lease_owner = NULL, lease_until = NULL,
                 last_error = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failure: retried at `retry_at_ms`, or parked as dead when `None`.
    pub async fn fail(
        &self,
        id: i64,
        owner: &str,
        now_ms: i64,
        error: &str,
        retry_at_ms: Option<i64>,
    ) -> Result<bool, StoreError> {
        let (status, run_at, finished_at) = match retry_at_ms {
            Some(at) => ("pending", Some(at), None),
            None => ("dead", None, Some(now_ms)),
        };
        let done = sqlx::query(
            "UPDATE work_items
             SET status = $3, run_at = COALESCE($4, run_at), finished_at = $5, last_error = $6,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(status)
        .bind(run_at)
        .bind(finished_at)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives an item back unfinished (graceful shutdown): the attempt does not count.
    pub async fn release(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE work_items
             SET status = 'pending', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Queues a dead item again with fresh attempts (`relman inbox retry ID`).
    pub async fn retry_dead(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE work_items
             SET status = 'pending', attempts = 0, run_at = $2, finished_at = NULL
             WHERE id = $1 AND status = 'dead'",
        )
        .bind(id)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Items, newest first, optionally of one status.
    pub async fn list_work(
        &self,
        status: Option<WorkStatus>,
        limit: i64,
    ) -> Result<Vec<WorkSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, dedupe_key, name, action, repo, status, attempts, run_at, last_error,
                    created_at, finished_at
             FROM work_items
             WHERE ($1 IS NULL OR status = $1)
             ORDER BY id DESC
             LIMIT $2",
        )
        .bind(status.map(WorkStatus::as_str))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WorkSummary {
                    id: r.try_get("id")?,
                    kind: WorkKind::parse(&r.try_get::<String, _>("kind")?)?,
                    dedupe_key: r.try_get("dedupe_key")?,
                    name: r.try_get("name")?,
                    action: r.try_get("action")?,
                    repo: r.try_get("repo")?,
                    status: WorkStatus::parse(&r.try_get::<String, _>("status")?)?,
                    attempts: r.try_get("attempts")?,
                    run_at: r.try_get("run_at")?,
                    last_error: r.try_get("last_error")?,
                    created_at: r.try_get("created_at")?,
                    finished_at: r.try_get("finished_at")?,
                })
            })
            .collect()
    }

    /// How many items are in each status (for `/metrics`).
    pub async fn work_counts(&self) -> Result<Vec<(WorkStatus, i64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM work_items GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        let mut counts: Vec<(WorkStatus, i64)> =
            WorkStatus::ALL.into_iter().map(|s| (s, 0)).collect();
        for r in rows {
            let status = WorkStatus::parse(&r.try_get::<String, _>("status")?)?;
            let n: i64 = r.try_get("n")?;
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == status) {
                slot.1 = n;
            }
        }
        Ok(counts)
    }

    /// The status of a delivery or job by its dedupe key (delivery id), if known.
    pub async fn work_status(&self, dedupe_key: &str) -> Result<Option<WorkStatus>, StoreError> {
        let row = sqlx::query("SELECT status FROM work_items WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| WorkStatus::parse(&r.try_get::<String, _>(0)?))
            .transpose()
    }
}

fn claimed_from_row(r: &AnyRow) -> Result<ClaimedItem, StoreError> {
    Ok(ClaimedItem {
        id: r.try_get("id")?,
        kind: WorkKind::parse(&r.try_get::<String, _>("kind")?)?,
        dedupe_key: r.try_get("dedupe_key")?,
        name: r.try_get("name")?,
        action: r.try_get("action")?,
        queue_key: r.try_get("queue_key")?,
        repo: r.try_get("repo")?,
        installation_id: r.try_get("installation_id")?,
        payload: r.try_get("payload")?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
    })
}
