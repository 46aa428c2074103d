//! The inbox table: durable webhook deliveries and jobs, claimed by workers under a lease.
//!
//! Life of an item: `pending` → (claimed) `running` → `done`, or back to `pending` with a later
//! `run_at` after a failure, or `dead` once retries are spent. A `running` item whose lease has
//! expired (its worker died, e.g. `kill -9`) is claimable again. Items that share a `queue_key`
//! (one repository) run in id order, one at a time: an item is claimable only when no earlier item
//! of its queue is running or waiting to run.

use std::collections::HashMap;

use sqlx::AnyConnection;
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

    pub(super) fn parse(s: &str) -> Result<WorkKind, StoreError> {
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

// The payload lives in its own table (migration 0010): the claim reads it with the row it takes.
const CLAIMED_COLUMNS: &str =
    "id, kind, dedupe_key, name, action, queue_key, repo, installation_id, attempts, created_at,
    (SELECT p.payload FROM work_payloads p WHERE p.id = work_items.id) AS payload";

/// The claim, built once per back-end. It holds the ordering rule by construction: it only ever
/// looks at the head of each queue.
///
/// A queue's head is its first item, in id order, that holds the queue: one that is running, or
/// pending and due, or pending and waiting for a retry (it has run before). A pending item booked
/// for later that has never run does not hold its queue (a job booked for next Tuesday must not
/// stop today's webhooks) and is not a head until it is due. The claim takes a head that is due
/// or whose lease ran out (its worker died): an expired lease first, then the lowest id. Nothing
/// behind a head is ever a candidate, so a repository's items run in id order, one at a time.
///
/// The heads are found per queue, not per item: `queues` walks the distinct queues that have open
/// items (one probe of `work_items_open` each, a loose index scan), `heads` takes each queue's
/// first holder from the same index. A backlog of a thousand items behind a queue waiting for a
/// retry costs the claim nothing; a claim costs a few probes per open queue.
///
/// PostgreSQL: `SKIP LOCKED` lets replicas claim side by side. A replica that skips a head
/// another is taking does not take the item behind it: that item is not a head in its snapshot.
pub(super) fn claim_statement(backend: Backend) -> &'static str {
    static SQLITE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static POSTGRES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let (cell, lock) = match backend {
        Backend::Postgres => (&POSTGRES, "FOR UPDATE OF w SKIP LOCKED"),
        // One writer at a time: the UPDATE is atomic on its own.
        Backend::Sqlite => (&SQLITE, ""),
    };
    cell.get_or_init(|| {
        // `status IN (...)` is word for word the condition of the partial index
        // `work_items_open`, so that both planners see it applies.
        format!(
            "WITH RECURSIVE queues(k) AS (
                 SELECT (SELECT o.queue_key FROM work_items o
                         WHERE o.status IN ('pending', 'running')
                         ORDER BY o.queue_key LIMIT 1)
                 UNION ALL
                 SELECT (SELECT o.queue_key FROM work_items o
                         WHERE o.status IN ('pending', 'running') AND o.queue_key > queues.k
                         ORDER BY o.queue_key LIMIT 1)
                 FROM queues WHERE queues.k IS NOT NULL
             ),
             heads(id) AS (
                 SELECT (SELECT h.id FROM work_items h
                         WHERE h.status IN ('pending', 'running') AND h.queue_key = queues.k
                           AND (h.status = 'running' OR h.run_at <= $3 OR h.attempts > 0)
                         ORDER BY h.id LIMIT 1)
                 FROM queues WHERE queues.k IS NOT NULL
             )
             UPDATE work_items
             SET status = 'running', attempts = attempts + 1, lease_owner = $1, lease_until = $2,
                 started_at = $3
             WHERE id = (
                 SELECT w.id FROM heads JOIN work_items w ON w.id = heads.id
                 WHERE (w.status = 'pending' AND w.run_at <= $3)
                    OR (w.status = 'running' AND ({expired}))
                 ORDER BY CASE WHEN w.status = 'running' THEN 0 ELSE 1 END, w.id
                 LIMIT 1 {lock}
             )
             RETURNING {CLAIMED_COLUMNS}",
            expired = lease_ran_out("w", "$1", "$3"),
        )
    })
}

/// Whether the lease of the running item `w` ran out at `now`: its time is up, or the process
/// that holds it stopped beating ([`super::processes`]). A dead replica's items are taken over
/// once its heartbeat lapses, without waiting out their leases. An owner that never registered
/// a heartbeat (a `relman inbox` command, a test) has only the lease's time.
///
/// The claiming worker's own process is alive whatever its last heartbeat says (`claimer`, its
/// lease owner, starts with the process name): a clock that jumps ahead of the heartbeat (a
/// test's, a suspended VM's) must not make a process take over its own running items.
fn lease_ran_out(w: &str, claimer: &str, now: &str) -> String {
    format!(
        "{w}.lease_until < {now} OR EXISTS (
             SELECT 1 FROM inbox_processes gone
             WHERE gone.alive_until < {now}
               AND substr({w}.lease_owner, 1, length(gone.process) + 1) = gone.process || ':'
               AND substr({claimer}, 1, length(gone.process) + 1) <> gone.process || ':'
         )"
    )
}

/// A known item that is dead is queued again, as a redelivery asks (`$1` its key, `$2` now).
pub(super) const REVIVE_DEAD: &str = "UPDATE work_items
     SET status = 'pending', attempts = 0, run_at = $2, last_error = NULL,
         lease_owner = NULL, lease_until = NULL, finished_at = NULL
     WHERE dedupe_key = $1 AND status = 'dead'";

/// Only the lease holder may extend its lease (`$1` id, `$2` owner, `$3` until).
pub(super) const EXTEND_LEASE: &str = "UPDATE work_items SET lease_until = $3
     WHERE id = $1 AND lease_owner = $2 AND status = 'running'";

/// Most rows in one INSERT statement: 10 parameters a row stays far below SQLite's limit of
/// 32,766 bound parameters and PostgreSQL's 65,535.
const MAX_ROWS_PER_INSERT: usize = 256;

/// The multi-row INSERTs for each power-of-two row count up to [`MAX_ROWS_PER_INSERT`]: of items
/// and of their payloads. A batch is split into such chunks, so the database prepares (and
/// caches) at most nine statements of each kind however the batch sizes vary.
pub(super) fn insert_statement(rows: usize) -> &'static str {
    static STATEMENTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    values_statement(
        &STATEMENTS,
        "INSERT INTO work_items
            (kind, dedupe_key, name, action, queue_key, repo, installation_id,
             status, attempts, run_at, created_at)
         VALUES ",
        "($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9)",
        9,
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key",
        rows,
    )
}

pub(super) fn insert_payloads_statement(rows: usize) -> &'static str {
    static STATEMENTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    values_statement(
        &STATEMENTS,
        "INSERT INTO work_payloads (id, payload) VALUES ",
        "($1, $2)",
        2,
        "",
        rows,
    )
}

/// `head` + `rows` copies of `row` (whose `$1`…`$params` are renumbered per row) + `tail`.
fn values_statement(
    cache: &'static std::sync::OnceLock<Vec<String>>,
    head: &str,
    row: &str,
    params: usize,
    tail: &str,
    rows: usize,
) -> &'static str {
    let statements = cache.get_or_init(|| {
        (0..=MAX_ROWS_PER_INSERT.trailing_zeros())
            .map(|power| {
                let mut sql = String::from(head);
                for n in 0..1usize << power {
                    if n > 0 {
                        sql.push(',');
                    }
                    // Highest first, so `$1` is not rewritten inside `$10`.
                    let mut values = row.to_string();
                    for p in (1..=params).rev() {
                        values = values.replace(&format!("${p}"), &format!("#{}", n * params + p));
                    }
                    sql.push_str(&values.replace('#', "$"));
                }
                sql.push_str(tail);
                sql
            })
            .collect()
    });
    debug_assert!(rows.is_power_of_two() && rows <= MAX_ROWS_PER_INSERT);
    &statements[rows.trailing_zeros() as usize]
}

/// Payload bytes one INSERT carries at most, unless a single item is larger. The driver copies
/// every bound value while the statement runs, so a statement of sixteen 1 MiB pushes would
/// hold tens of MiB at once where one row at a time holds a few.
const MAX_PAYLOAD_BYTES_PER_INSERT: usize = 1024 * 1024;

/// How many of `items` (at least one, if any) the next INSERT stores: the largest power of two
/// that fits within [`MAX_ROWS_PER_INSERT`] and [`MAX_PAYLOAD_BYTES_PER_INSERT`].
fn rows_in_next_insert(items: &[NewWorkItem]) -> usize {
    let mut rows = items.len().min(MAX_ROWS_PER_INSERT);
    if rows == 0 {
        return 0;
    }
    rows = 1 << rows.ilog2();
    let bytes = |n: usize| items[..n].iter().map(|i| i.payload.len()).sum::<usize>();
    while rows > 1 && bytes(rows) > MAX_PAYLOAD_BYTES_PER_INSERT {
        rows /= 2;
    }
    rows
}

/// How a claimed item's run ended, as [`Store::finish`] records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The processor succeeded.
    Done,
    /// It failed and is tried again at `at` (unix ms).
    Retry { error: String, at: i64 },
    /// It failed for good: parked as dead with the error kept for a human.
    Dead { error: String },
    /// Given back unfinished (graceful shutdown): the attempt does not count.
    Released,
}

/// A write transaction on the inbox. For SQLite it is `BEGIN IMMEDIATE`: it takes the write lock
/// up front, so it waits (busy_timeout) at `begin` rather than failing later with a stale
/// snapshot. The inbox writer runs everything one batch changes (deliveries stored, items
/// claimed and finished by workers) in one of these: one commit, one fsync. Each method does
/// what the [`Store`] method of the same name does.
pub struct WorkTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
}

impl WorkTx {
    pub async fn enqueue(
        &mut self,
        items: &[NewWorkItem],
        now_ms: i64,
    ) -> Result<Vec<Enqueued>, StoreError> {
        enqueue_on(&mut self.tx, items, now_ms).await
    }

    pub async fn claim(
        &mut self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<ClaimedItem>, StoreError> {
        claim_on(&mut self.tx, self.backend, owner, now_ms, lease_until_ms).await
    }

    pub async fn finish(
        &mut self,
        id: i64,
        owner: &str,
        now_ms: i64,
        outcome: &Outcome,
    ) -> Result<bool, StoreError> {
        finish_on(&mut self.tx, id, owner, now_ms, outcome).await
    }

    pub async fn extend_lease(
        &mut self,
        id: i64,
        owner: &str,
        lease_until_ms: i64,
    ) -> Result<bool, StoreError> {
        extend_lease_on(&mut self.tx, id, owner, lease_until_ms).await
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Starts a write transaction on the inbox (see [`WorkTx`]).
    pub async fn begin_work(&self) -> Result<WorkTx, StoreError> {
        Ok(WorkTx {
            tx: self.begin_write().await?,
            backend: self.backend,
        })
    }

    /// A write transaction: `BEGIN IMMEDIATE` on SQLite (see [`WorkTx`]).
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Stores a batch in one transaction (one fsync for all: group commit).
    ///
    /// Outcomes are as if the items were stored one after another in order: the first of
    /// several items with one dedupe key is accepted (or revives a dead one), the others are
    /// duplicates; ids increase in item order, which is the order items of a queue run in.
    pub async fn enqueue_batch(
        &self,
        items: &[NewWorkItem],
        now_ms: i64,
    ) -> Result<Vec<Enqueued>, StoreError> {
        let mut tx = self.begin_work().await?;
        let outcomes = tx.enqueue(items, now_ms).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    /// Claims the next claimable item for `owner` until `lease_until_ms` (see
    /// [`claim_statement`]).
    pub async fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<ClaimedItem>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        claim_on(&mut conn, self.backend, owner, now_ms, lease_until_ms).await
    }

    /// Keeps a long-running item's lease alive. False when the lease was lost.
    pub async fn extend_lease(
        &self,
        id: i64,
        owner: &str,
        lease_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        extend_lease_on(&mut conn, id, owner, lease_until_ms).await
    }

    /// Records how a claimed item's run ended. Only its current lease holder may: a worker whose
    /// lease expired and was taken over must not overwrite the new holder's outcome. False when
    /// the lease was lost.
    pub async fn finish(
        &self,
        id: i64,
        owner: &str,
        now_ms: i64,
        outcome: &Outcome,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        finish_on(&mut conn, id, owner, now_ms, outcome).await
    }

    /// Marks an item done (see [`Store::finish`]).
    pub async fn complete(&self, id: i64, owner: &str, now_ms: i64) -> Result<bool, StoreError> {
        self.finish(id, owner, now_ms, &Outcome::Done).await
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
        let error = error.to_string();
        let outcome = match retry_at_ms {
            Some(at) => Outcome::Retry { error, at },
            None => Outcome::Dead { error },
        };
        self.finish(id, owner, now_ms, &outcome).await
    }

    /// Gives an item back unfinished (graceful shutdown): the attempt does not count.
    pub async fn release(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        self.finish(id, owner, 0, &Outcome::Released).await
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

async fn enqueue_on(
    conn: &mut AnyConnection,
    items: &[NewWorkItem],
    now_ms: i64,
) -> Result<Vec<Enqueued>, StoreError> {
    let mut outcomes: Vec<Option<Enqueued>> = vec![None; items.len()];
    // Few statements rather than one per item: each statement is a round trip to the
    // database (for SQLite, to its connection's thread) that costs more than the row itself.
    let mut start = 0;
    while start < items.len() {
        let rows = rows_in_next_insert(&items[start..]);
        let chunk = &items[start..start + rows];
        let mut insert = sqlx::query(insert_statement(rows));
        for item in chunk {
            insert = insert
                .bind(item.kind.as_str())
                .bind(&item.dedupe_key)
                .bind(&item.name)
                .bind(&item.action)
                .bind(&item.queue_key)
                .bind(&item.repo)
                .bind(item.installation_id)
                .bind(item.run_at)
                .bind(now_ms);
        }
        // Rows come back in no guaranteed order, and only for keys that were new.
        let mut inserted: HashMap<String, i64> = HashMap::with_capacity(rows);
        for row in insert.fetch_all(&mut *conn).await? {
            inserted.insert(row.try_get(1)?, row.try_get(0)?);
        }
        let mut new_payloads: Vec<(i64, &[u8])> = Vec::with_capacity(inserted.len());
        for (item, outcome) in chunk.iter().zip(&mut outcomes[start..]) {
            // `remove`: a second item with the same key in this chunk was not inserted.
            if let Some(id) = inserted.remove(&item.dedupe_key) {
                *outcome = Some(Enqueued::Accepted { id });
                new_payloads.push((id, &item.payload));
            }
        }
        // Payloads of the new items only: a duplicate's is never written.
        let mut from = 0;
        while from < new_payloads.len() {
            let n = 1usize << (new_payloads.len() - from).ilog2();
            let mut insert = sqlx::query(insert_payloads_statement(n));
            for (id, payload) in &new_payloads[from..from + n] {
                insert = insert.bind(*id).bind(*payload);
            }
            insert.execute(&mut *conn).await?;
            from += n;
        }
        start += rows;
    }
    // The rest were known already: a dead one is queued again, as a redelivery asks. Rare
    // (GitHub redelivers on request), so one statement each, in item order, keeps the
    // first-wins rule simple.
    for (item, outcome) in items.iter().zip(&mut outcomes) {
        if outcome.is_some() {
            continue;
        }
        let revived = sqlx::query(REVIVE_DEAD)
            .bind(&item.dedupe_key)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?;
        *outcome = Some(if revived.rows_affected() > 0 {
            Enqueued::Revived
        } else {
            Enqueued::Duplicate
        });
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Enqueued::Duplicate))
        .collect())
}

async fn claim_on(
    conn: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    now_ms: i64,
    lease_until_ms: i64,
) -> Result<Option<ClaimedItem>, StoreError> {
    let row = sqlx::query(claim_statement(backend))
        .bind(owner)
        .bind(lease_until_ms)
        .bind(now_ms)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(claimed_from_row).transpose()
}

async fn extend_lease_on(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    lease_until_ms: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(EXTEND_LEASE)
        .bind(id)
        .bind(owner)
        .bind(lease_until_ms)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

async fn finish_on(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    now_ms: i64,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let (sql, time, error) = finish_statement(outcome, now_ms);
    let mut query = sqlx::query(sql).bind(id).bind(owner);
    if let Some(time) = time {
        query = query.bind(time);
    }
    if let Some(error) = error {
        query = query.bind(error);
    }
    Ok(query.execute(&mut *conn).await?.rows_affected() == 1)
}

/// The statement that records `outcome`, with what it binds after `$1` (id) and `$2` (owner):
/// `$3` a time, when it takes one, and `$4` the error, when it keeps one.
pub(super) fn finish_statement(
    outcome: &Outcome,
    now_ms: i64,
) -> (&'static str, Option<i64>, Option<&str>) {
    match outcome {
        Outcome::Done => (
            "UPDATE work_items
             SET status = 'done', finished_at = $3, lease_owner = NULL, lease_until = NULL,
                 last_error = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
            Some(now_ms),
            None,
        ),
        Outcome::Retry { error, at } => (
            "UPDATE work_items
             SET status = 'pending', run_at = $3, last_error = $4,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
            Some(*at),
            Some(error.as_str()),
        ),
        Outcome::Dead { error } => (
            "UPDATE work_items
             SET status = 'dead', finished_at = $3, last_error = $4,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
            Some(now_ms),
            Some(error.as_str()),
        ),
        Outcome::Released => (
            "UPDATE work_items
             SET status = 'pending', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
            None,
            None,
        ),
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
        payload: stored_payload(r.try_get("payload")?)?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The JSON of a claimed item from its `work_payloads` row (see [`super::payload`]).
pub(super) fn stored_payload(stored: Option<Vec<u8>>) -> Result<Vec<u8>, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        table: "work_payloads",
        detail,
    };
    let stored = stored.ok_or_else(|| corrupt("an item without its payload".into()))?;
    super::payload::decode(stored).map_err(|e| corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str) -> NewWorkItem {
        NewWorkItem {
            kind: WorkKind::Webhook,
            dedupe_key: key.to_string(),
            name: "issue_comment".into(),
            action: Some("created".into()),
            queue_key: format!("repo:{}", key.len()),
            repo: Some("acme/web".into()),
            installation_id: Some(7),
            payload: key.as_bytes().to_vec(),
            run_at: 0,
        }
    }

    #[test]
    fn multi_row_statements_number_their_parameters_per_row() {
        assert_eq!(
            insert_payloads_statement(4),
            "INSERT INTO work_payloads (id, payload) VALUES ($1, $2),($3, $4),($5, $6),($7, $8)"
        );
        let items = insert_statement(2);
        assert!(items.contains("($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9),"));
        assert!(items.contains("($10, $11, $12, $13, $14, $15, $16, 'pending', 0, $17, $18) ON"));
        assert_eq!(insert_statement(256).matches("'pending'").count(), 256);
    }

    #[test]
    fn inserts_are_powers_of_two_bounded_by_rows_and_bytes() {
        let sized = |n: usize, bytes: usize| -> Vec<NewWorkItem> {
            (0..n)
                .map(|i| NewWorkItem {
                    payload: vec![b'x'; bytes],
                    ..item(&format!("k{i}"))
                })
                .collect()
        };
        assert_eq!(rows_in_next_insert(&sized(0, 10)), 0);
        assert_eq!(rows_in_next_insert(&sized(1, 10)), 1);
        assert_eq!(rows_in_next_insert(&sized(31, 2048)), 16);
        assert_eq!(rows_in_next_insert(&sized(600, 2048)), 256);
        // 30 KiB deliveries: 32 fit in 1 MiB.
        assert_eq!(rows_in_next_insert(&sized(40, 30 * 1024)), 32);
        // 1 MiB deliveries go one per statement, as does one larger than the cap.
        assert_eq!(rows_in_next_insert(&sized(16, 1024 * 1024)), 1);
        assert_eq!(rows_in_next_insert(&sized(3, 5 * 1024 * 1024)), 1);
    }

    /// Keys of a 600-item batch (chunks of 256, 256, 64, 16 and 8 rows on the sqlx path) with
    /// repeats inside a chunk, across chunks and of rows stored before (one of them dead).
    fn large_batch_keys() -> Vec<String> {
        let mut keys: Vec<String> = (0..595).map(|n| format!("k{n}")).collect();
        keys.insert(3, "k1".into()); // repeat inside the first chunk
        keys.insert(300, "k2".into()); // repeat in a later chunk
        keys.insert(400, "old".into()); // stored before, not dead
        keys.insert(500, "dead".into()); // stored before, dead: revived once
        keys.insert(590, "dead".into());
        keys
    }

    async fn sqlite_store(dir: &tempfile::TempDir) -> Store {
        Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap()
    }

    /// A store with `old` done and `dead` dead; the dead item's id.
    async fn store_with_old_and_dead(dir: &tempfile::TempDir) -> (Store, i64) {
        let store = sqlite_store(dir).await;
        let earlier = store
            .enqueue_batch(&[item("old"), item("dead")], 1)
            .await
            .unwrap();
        let Enqueued::Accepted { id: dead_id } = earlier[1] else {
            panic!("{earlier:?}")
        };
        let claimed = store.claim("w", 2, 100).await.unwrap().unwrap();
        // The payload, stored apart from the row, comes back with the claim.
        assert_eq!(claimed.payload, b"old");
        assert!(store.complete(claimed.id, "w", 3).await.unwrap());
        let claimed = store.claim("w", 4, 100).await.unwrap().unwrap();
        assert_eq!(claimed.id, dead_id);
        assert!(store.fail(dead_id, "w", 5, "boom", None).await.unwrap());
        (store, dead_id)
    }

    /// The steps of `backend`'s plan for the claim statement, bound as a claim at time 1.
    async fn claim_plan(store: &Store) -> Vec<String> {
        let sql = format!("EXPLAIN QUERY PLAN {}", claim_statement(Backend::Sqlite));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind("w")
            .bind(2_i64)
            .bind(1_i64)
            .fetch_all(store.pool())
            .await
            .unwrap();
        rows.iter().map(|r| r.get("detail")).collect()
    }

    /// SQLite finds the queues and their heads through the partial index of open items, by key:
    /// it never reads the items behind a head, nor sorts the open items. (That the claim keeps
    /// the rule is `tests/integration/inbox_claim_rule.rs`'s to check.)
    #[tokio::test]
    async fn sqlite_claims_walk_queues_not_items() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let steps = claim_plan(&store).await;
        let through_open = steps
            .iter()
            .filter(|s| s.contains(" USING INDEX work_items_open"))
            .count();
        // The first queue, each next queue, each queue's head.
        assert_eq!(through_open, 3, "{steps:#?}");
        // No step reads the inbox without an index (a full scan shows as a bare `SCAN o`).
        assert!(
            !steps
                .iter()
                .any(|s| ["SCAN o", "SCAN h", "SCAN w"].contains(&s.as_str())),
            "{steps:#?}"
        );
        store.close().await;
    }

    /// A batch larger than one INSERT gives what storing the items one by one would.
    #[tokio::test]
    async fn a_large_batch_is_stored_as_if_item_by_item() {
        let dir = tempfile::tempdir().unwrap();
        let (store, dead_id) = store_with_old_and_dead(&dir).await;
        let keys = large_batch_keys();
        let items: Vec<NewWorkItem> = keys.iter().map(|k| item(k)).collect();
        assert_eq!(items.len(), 600);
        let outcomes = store.enqueue_batch(&items, 10).await.unwrap();

        let mut seen = std::collections::HashSet::new();
        let mut last_id = dead_id;
        for (key, outcome) in keys.iter().zip(&outcomes) {
            let first = seen.insert(key.as_str());
            match (key.as_str(), first) {
                ("dead", true) => assert_eq!(*outcome, Enqueued::Revived),
                ("old", _) | (_, false) => assert_eq!(*outcome, Enqueued::Duplicate, "{key}"),
                _ => match outcome {
                    // Ids follow item order: the order a queue's items run in.
                    Enqueued::Accepted { id } => {
                        assert!(*id > last_id, "{key}: {id} after {last_id}");
                        last_id = *id;
                    }
                    other => panic!("{key}: {other:?}"),
                },
            }
        }
        assert_eq!(
            store.work_status("dead").await.unwrap(),
            Some(WorkStatus::Pending)
        );
        let stored = store.list_work(None, 10_000).await.unwrap();
        assert_eq!(stored.len(), 595 + 2);
        store.close().await;
    }
}
