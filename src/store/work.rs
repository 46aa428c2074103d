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

/// What a claim inside a batch found ([`InboxTx::claim`]). The default is what a batch that
/// failed reports for its claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Claim {
    /// This item, now held under the lease.
    Taken(ClaimedItem),
    /// Nothing is claimable now.
    #[default]
    Nothing,
    /// SQLite: the claim set aside as many held-back items as one claim may ([`PARK_PASSES`])
    /// and looked no further. A claim in a later transaction goes on from there.
    Unfinished,
}

impl Claim {
    /// The item taken, if any.
    pub fn taken(self) -> Option<ClaimedItem> {
        match self {
            Claim::Taken(item) => Some(item),
            Claim::Nothing | Claim::Unfinished => None,
        }
    }
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

// An item is claimable when it is due (or its lease ran out) and it heads its queue: nothing
// earlier in its queue is running or due. A pending item scheduled for later that has never run
// does not hold its queue: a job booked for next Tuesday must not stop today's webhooks. One that
// is waiting for a retry does, so a repository's events are never applied out of order.
//
// `now` is the statement's placeholder for the current time. The rule is the same on both
// back-ends; where SQLite looks for the earlier items differs (`head_of_queue`).
fn holds_its_queue(now: &str) -> String {
    format!(
        "(p.status = 'running' OR (p.status = 'pending' AND (p.run_at <= {now} OR p.attempts > 0)))"
    )
}

/// The test that the candidate `w` heads its queue, for `backend`, with `now` the placeholder of
/// the current time.
///
/// PostgreSQL looks at every earlier item of the queue (`work_items_queue`): replicas claim side
/// by side, and one that skips a row another has locked must still see it hold the queue.
///
/// SQLite looks only at the items its partial index `work_items_holding` keeps (migration
/// 0101): running ones, and pending ones that have run before or were booked for later. The items
/// it leaves out, pending ones never run that were due when stored, hold their queue all the
/// same, by order: SQLite runs one claim at a time and each takes the first claimable item in id
/// order, so the earliest such item of a queue is reached before anything later in it, and is
/// either claimed or held back by an earlier item that holds the later ones back too. Nor can
/// one precede a running item: it would have been claimed first. Leaving them out means storing
/// a delivery writes nothing at its queue's place in an index (benches/README.md, round 6). The
/// index's condition is repeated word for word, so SQLite's planner can see the index applies.
///
/// On both, parked items (migration 0102, [`park_statement`]) are not reached by the walk. On
/// PostgreSQL each is pending and due, so it still holds the later items of its queue. On SQLite
/// the order argument still holds: each has an earlier holder in its queue, and the earliest
/// parked item's is not parked itself, so a later candidate of that queue is held by something
/// the index keeps or by an item the walk reaches first.
fn head_of_queue(backend: Backend, now: &str) -> String {
    format!("NOT {}", held_back(backend, now))
}

/// The opposite of [`head_of_queue`]: an earlier item of `w`'s queue holds it back.
fn held_back(backend: Backend, now: &str) -> String {
    match backend {
        // One search per status that can hold, each a prefix of `work_items_queue (queue_key,
        // status, id)`: the plan does not depend on the table's statistics, which lag behind a
        // backlog that built up in seconds (with one `status IN (...)` search and no statistics
        // yet, PostgreSQL intersected bitmaps of every pending item for each candidate).
        Backend::Postgres => format!(
            "(EXISTS (
                SELECT 1 FROM work_items p
                WHERE p.queue_key = w.queue_key AND p.status = 'running' AND p.id < w.id
            ) OR EXISTS (
                SELECT 1 FROM work_items p
                WHERE p.queue_key = w.queue_key AND p.status = 'pending' AND p.id < w.id
                  AND {holds}
            ))",
            holds = holds_its_queue(now)
        ),
        Backend::Sqlite => format!(
            "EXISTS (
                SELECT 1 FROM work_items p
                WHERE p.queue_key = w.queue_key AND p.id < w.id
                  AND (p.status = 'running'
                       OR (p.status = 'pending' AND (p.started_at IS NOT NULL OR p.run_at > p.created_at)))
                  AND {holds}
            )",
            holds = holds_its_queue(now)
        ),
    }
}

/// How many due items one parking pass looks at.
pub(super) const PARK_WINDOW: usize = 256;

/// Most parking passes one claim makes: on SQLite a claim runs inside the inbox writer's
/// transaction, which acks wait for, so it parks at most this many windows (about 20 ms of work
/// on round 7's machine) and leaves the rest to the next claim ([`Claim::Unfinished`]); on
/// PostgreSQL it bounds how long one claim holds [`PARKING_LOCK`].
pub(super) const PARK_PASSES: usize = 8;

/// PostgreSQL: the transaction-level advisory lock that keeps parking apart from the finishes
/// that unpark (migration 0102 for PostgreSQL). Parking takes it exclusively, a finish that ends
/// an item takes it shared. [`Store::claim`] and [`Store::finish`] ask for it before they touch
/// a row, and a holder only ever waits for rows of pending or running items, which nobody
/// waiting for the lock has locked: no deadlock goes through it. The key is arbitrary but fixed
/// (the bytes of "relmpark").
pub(super) const PARKING_LOCK: i64 = 0x7265_6c6d_7061_726b;

/// How a PostgreSQL transaction takes [`PARKING_LOCK`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParkingLock {
    /// For parking, and for a transaction that may park as well as finish (the inbox writer's
    /// batch): asking for the lock shared and later exclusively could deadlock two of them.
    Exclusive,
    /// For a finish on its own: finishes do not wait for each other.
    Shared,
}

async fn take_parking_lock(conn: &mut AnyConnection, mode: ParkingLock) -> Result<(), StoreError> {
    let sql = match mode {
        ParkingLock::Exclusive => "SELECT pg_advisory_xact_lock($1)",
        ParkingLock::Shared => "SELECT pg_advisory_xact_lock_shared($1)",
    };
    // The function returns `void`, which the `Any` driver cannot decode: run it, read nothing.
    sqlx::query(sql)
        .bind(PARKING_LOCK)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Parks the items among the first [`PARK_WINDOW`] due, unparked pending ones after id `$2` (in
/// id order, as the claim walks them) that an earlier item of their queue holds back (`$1` now),
/// and returns their ids.
///
/// A claim runs it, each pass after the last id the previous one parked, until a pass parks
/// fewer than it looked at: then the first due item the claim walk reaches heads its queue, and
/// a claim costs what was newly blocked since the last one rather than the whole blocked backlog
/// (migration 0102). Parking is only ever done for an item with an earlier holder, so it never
/// hides a claimable item; [`UNPARK_NEXT`] keeps that true when a holder ends. On PostgreSQL
/// the claims of other replicas go on meanwhile (finishes wait for [`PARKING_LOCK`]), so a
/// window item may be claimed before it is parked; see the statement.
pub(super) fn park_statement(backend: Backend) -> &'static str {
    static SQLITE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static POSTGRES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let cell = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    cell.get_or_init(|| {
        let held_back = held_back(backend, "$1");
        let window = format!(
            "SELECT w.id FROM (
                 SELECT id, queue_key FROM work_items
                 WHERE status = 'pending' AND parked = 0 AND run_at <= $1 AND id > $2
                 ORDER BY id LIMIT {PARK_WINDOW}
             ) w
             WHERE {held_back}"
        );
        match backend {
            Backend::Sqlite => format!(
                "UPDATE work_items SET parked = 1 WHERE id IN ({window}) RETURNING id"
            ),
            // The window is worked out once (MATERIALIZED), then its rows are found by id and
            // nothing else: a table whose statistics lag behind a backlog (every backlog, for
            // the first minute) otherwise got plans that scanned every pending item once per
            // window item (2.7 s a pass over 100,000, against 5 ms).
            //
            // A row a concurrent claim took after the window was read is not parked: the `SET`
            // is worked out on the row as it is once the claim committed. (Its id is returned
            // all the same, which at most costs one more pass.)
            Backend::Postgres => format!(
                "WITH held AS MATERIALIZED ({window})
                 UPDATE work_items
                 SET parked = CASE WHEN work_items.status = 'pending' THEN 1 ELSE work_items.parked END
                 FROM held
                 WHERE work_items.id = held.id
                 RETURNING work_items.id"
            ),
        }
    })
}

/// After item `$1` ended (done or dead), the first parked item of its queue goes back to
/// the claim walk. Only the first: every later one is held by it (a pending, due item holds its
/// queue), and if something else still holds it, the next claim parks it again.
pub(super) const UNPARK_NEXT: &str = "UPDATE work_items SET parked = 0
     WHERE id = (
         SELECT min(q.id) FROM work_items q
         WHERE q.parked = 1
           AND q.queue_key = (SELECT e.queue_key FROM work_items e WHERE e.id = $1)
     )";

/// Whether `outcome` ends the item, so that it no longer holds its queue (see [`UNPARK_NEXT`]).
pub(super) fn ends_the_item(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Done | Outcome::Dead { .. })
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
/// claimed and finished by workers) in one of these: one commit, one fsync.
pub struct WorkTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
}

/// The writes one inbox-writer batch makes inside one transaction (`src/inbox/writer.rs`), on
/// either driver: [`WorkTx`] (sqlx, both back-ends) or the writer's own SQLite connection
/// ([`super::work_sqlite`]). Each does what the [`Store`] method of the same name does.
pub trait InboxTx {
    /// As [`Store::enqueue_batch`].
    fn enqueue(
        &mut self,
        items: &[NewWorkItem],
        now_ms: i64,
    ) -> impl Future<Output = Result<Vec<Enqueued>, StoreError>> + Send;

    /// As [`Store::claim`], except that on SQLite one call parks a bounded number of held-back
    /// items and may end [`Claim::Unfinished`], so that one transaction stays short.
    fn claim(
        &mut self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// As [`Store::finish`].
    fn finish(
        &mut self,
        id: i64,
        owner: &str,
        now_ms: i64,
        outcome: &Outcome,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// As [`Store::extend_lease`].
    fn extend_lease(
        &mut self,
        id: i64,
        owner: &str,
        lease_until_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

impl InboxTx for WorkTx {
    async fn enqueue(
        &mut self,
        items: &[NewWorkItem],
        now_ms: i64,
    ) -> Result<Vec<Enqueued>, StoreError> {
        enqueue_on(&mut self.tx, items, now_ms).await
    }

    async fn claim(
        &mut self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Claim, StoreError> {
        claim_on(&mut self.tx, self.backend, owner, now_ms, lease_until_ms).await
    }

    async fn finish(
        &mut self,
        id: i64,
        owner: &str,
        now_ms: i64,
        outcome: &Outcome,
    ) -> Result<bool, StoreError> {
        // A batch may claim (and park) after it finishes: the lock is asked for exclusively
        // from the start, never shared first (see `ParkingLock::Exclusive`).
        finish_on(
            &mut self.tx,
            self.backend,
            ParkingLock::Exclusive,
            id,
            owner,
            now_ms,
            outcome,
        )
        .await
    }

    async fn extend_lease(
        &mut self,
        id: i64,
        owner: &str,
        lease_until_ms: i64,
    ) -> Result<bool, StoreError> {
        extend_lease_on(&mut self.tx, id, owner, lease_until_ms).await
    }
}

impl WorkTx {
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

    /// Claims the next claimable item for `owner` until `lease_until_ms`.
    pub async fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<ClaimedItem>, StoreError> {
        // Parking commits every [`PARK_PASSES`] windows here, so going on until it is done
        // holds no transaction (nor, on PostgreSQL, the parking lock) open for long.
        loop {
            let claimed = match self.backend {
                // Each statement commits on its own.
                Backend::Sqlite => {
                    let mut conn = self.pool.acquire().await?;
                    claim_on(&mut conn, self.backend, owner, now_ms, lease_until_ms).await?
                }
                // The lock lasts for a transaction; the claim after it does not need it, so
                // replicas' claims do not wait for each other.
                Backend::Postgres => {
                    let mut tx = self.pool.begin().await?;
                    let parked_all = park_on(&mut tx, self.backend, now_ms).await?;
                    tx.commit().await?;
                    if parked_all {
                        let mut conn = self.pool.acquire().await?;
                        take_on(&mut conn, self.backend, owner, now_ms, lease_until_ms).await?
                    } else {
                        Claim::Unfinished
                    }
                }
            };
            match claimed {
                Claim::Taken(item) => return Ok(Some(item)),
                Claim::Nothing => return Ok(None),
                Claim::Unfinished => {}
            }
        }
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
        // One transaction: the outcome and the unpark commit together, and PostgreSQL's parking
        // lock lasts until they have. (An outcome that does not end the item is one statement
        // in it, and takes no lock.)
        let mut tx = self.begin_write().await?;
        let recorded = finish_on(
            &mut tx,
            self.backend,
            ParkingLock::Shared,
            id,
            owner,
            now_ms,
            outcome,
        )
        .await?;
        tx.commit().await?;
        Ok(recorded)
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

/// The claim statement for a back-end, built once.
pub(super) fn claim_statement(backend: Backend) -> &'static str {
    static SQLITE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static POSTGRES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    // PostgreSQL: SKIP LOCKED lets replicas claim side by side without waiting on each other;
    // SQLite has one writer at a time, so the UPDATE is atomic on its own. Parked items
    // (migration 0102) are left out of the walk; the claim parks first.
    let (cell, lock) = match backend {
        Backend::Postgres => (&POSTGRES, "FOR UPDATE SKIP LOCKED"),
        Backend::Sqlite => (&SQLITE, ""),
    };
    cell.get_or_init(|| {
        let head_of_queue = head_of_queue(backend, "$3");
        // Two candidates, each the first in id order of one status: an item whose lease ran out
        // (its worker died), else the first due pending one. One `status = 'x'` range each walks
        // the `(status, id)` index in order and stops at the first head of a queue; a single
        // `(pending AND due) OR (running AND expired)` made SQLite collect and sort every open
        // item on every claim, which grows with the backlog.
        format!(
            "UPDATE work_items
             SET status = 'running', attempts = attempts + 1, lease_owner = $1, lease_until = $2,
                 started_at = $3
             WHERE id = COALESCE(
                 (SELECT w.id FROM work_items w
                  WHERE w.status = 'running' AND w.parked = 0 AND w.lease_until < $3 AND {head_of_queue}
                  ORDER BY w.id LIMIT 1 {lock}),
                 (SELECT w.id FROM work_items w
                  WHERE w.status = 'pending' AND w.parked = 0 AND w.run_at <= $3 AND {head_of_queue}
                  ORDER BY w.id LIMIT 1 {lock})
             )
             RETURNING {CLAIMED_COLUMNS}"
        )
    })
}

/// Parks, then claims (see [`InboxTx::claim`]); on PostgreSQL the parking lock is held until
/// `conn`'s transaction ends.
async fn claim_on(
    conn: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    now_ms: i64,
    lease_until_ms: i64,
) -> Result<Claim, StoreError> {
    if !park_on(conn, backend, now_ms).await? {
        return Ok(Claim::Unfinished);
    }
    take_on(conn, backend, owner, now_ms, lease_until_ms).await
}

/// Parks the held-back items at the front of the claim walk, at most [`PARK_PASSES`] windows:
/// true when that was all of them. On PostgreSQL `conn` must be in a transaction, which holds
/// [`PARKING_LOCK`] exclusively from here to its end.
async fn park_on(
    conn: &mut AnyConnection,
    backend: Backend,
    now_ms: i64,
) -> Result<bool, StoreError> {
    if backend == Backend::Postgres {
        take_parking_lock(conn, ParkingLock::Exclusive).await?;
    }
    let mut after = 0;
    for _ in 0..PARK_PASSES {
        let parked: Vec<i64> = sqlx::query_scalar(park_statement(backend))
            .bind(now_ms)
            .bind(after)
            .fetch_all(&mut *conn)
            .await?;
        match next_parking_pass(&parked, after) {
            Some(last) => after = last,
            None => return Ok(true),
        }
    }
    Ok(false)
}

/// The claim itself, once parking is done.
async fn take_on(
    conn: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    now_ms: i64,
    lease_until_ms: i64,
) -> Result<Claim, StoreError> {
    let row = sqlx::query(claim_statement(backend))
        .bind(owner)
        .bind(lease_until_ms)
        .bind(now_ms)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => Claim::Taken(claimed_from_row(&r)?),
        None => Claim::Nothing,
    })
}

/// After a parking pass that parked `parked`: where the next pass starts (the last id parked),
/// or `None` when this pass looked at fewer held-back items than a window and parking is done.
pub(super) fn next_parking_pass(parked: &[i64], after: i64) -> Option<i64> {
    (parked.len() >= PARK_WINDOW).then(|| parked.iter().copied().max().unwrap_or(after))
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

/// Records `outcome`; when it ends the item, gives its queue's first parked item back to the
/// walk. On PostgreSQL an ending outcome takes [`PARKING_LOCK`] in `lock` mode first, so `conn`
/// must be in a transaction that commits the outcome with the unpark.
async fn finish_on(
    conn: &mut AnyConnection,
    backend: Backend,
    lock: ParkingLock,
    id: i64,
    owner: &str,
    now_ms: i64,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let ends = ends_the_item(outcome);
    if ends && backend == Backend::Postgres {
        take_parking_lock(conn, lock).await?;
    }
    let (sql, time, error) = finish_statement(outcome, now_ms);
    let mut query = sqlx::query(sql).bind(id).bind(owner);
    if let Some(time) = time {
        query = query.bind(time);
    }
    if let Some(error) = error {
        query = query.bind(error);
    }
    let recorded = query.execute(&mut *conn).await?.rows_affected() == 1;
    if recorded && ends {
        sqlx::query(UNPARK_NEXT)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(recorded)
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

    /// SQLite's plan for `sql`, its parameters bound as the claim (`"w"`, 2, 1), parking
    /// (1, 0) or unparking (1) binds them: its steps.
    async fn plan(store: &Store, sql: &str, params: usize) -> Vec<String> {
        let query = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
        let query = match params {
            3 => query.bind("w").bind(2_i64).bind(1_i64),
            2 => query.bind(1_i64).bind(0_i64),
            _ => query.bind(1_i64),
        };
        let rows = query.fetch_all(store.pool()).await.unwrap();
        rows.iter().map(|r| r.get("detail")).collect()
    }

    /// The steps that look for an earlier item `p` (not the payload, `work_payloads p`, read by
    /// its key).
    fn searches_for_earlier_items(steps: &[String]) -> Vec<&String> {
        steps
            .iter()
            .filter(|s| s.starts_with("SEARCH p ") && !s.contains("INTEGER PRIMARY KEY"))
            .collect()
    }

    const THROUGH_THE_HOLDERS: &str =
        "SEARCH p USING INDEX work_items_holding (queue_key=? AND id<?)";

    /// SQLite finds what holds a queue through the partial index, not by reading every earlier
    /// item of the queue: the claim repeats the index's condition so that the planner uses it.
    /// It walks the candidates in id order without the parked ones. (That the rule is kept is
    /// `tests/integration/inbox_claim_rule.rs`'s to check.)
    #[tokio::test]
    async fn sqlite_claims_find_what_holds_a_queue_in_the_partial_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let steps = plan(&store, claim_statement(Backend::Sqlite), 3).await;
        // One search per candidate, each through the index and nothing else (not, say, a
        // second branch that walks every earlier pending item).
        assert_eq!(
            searches_for_earlier_items(&steps),
            [THROUGH_THE_HOLDERS; 2],
            "{steps:#?}"
        );
        assert_eq!(
            steps
                .iter()
                .filter(|s| s.contains("(status=? AND parked=?)"))
                .count(),
            2,
            "{steps:#?}"
        );
        assert!(
            !steps.iter().any(|s| s.contains("TEMP B-TREE")),
            "{steps:#?}"
        );

        // Parking walks the same way, from where its last pass stopped; unparking finds a
        // queue's first parked item by its index.
        let steps = plan(&store, park_statement(Backend::Sqlite), 2).await;
        assert_eq!(
            searches_for_earlier_items(&steps),
            ["SEARCH p EXISTS USING INDEX work_items_holding (queue_key=? AND id<?)"],
            "{steps:#?}"
        );
        assert!(
            steps.iter().any(|s| s
                == "SEARCH work_items USING INDEX work_items_claimable (status=? AND parked=? AND id>?)"),
            "{steps:#?}"
        );
        let steps = plan(&store, UNPARK_NEXT, 1).await;
        assert!(
            steps
                .iter()
                .any(|s| s.contains("USING COVERING INDEX work_items_parked (queue_key=?)")),
            "{steps:#?}"
        );
        store.close().await;
    }

    /// One claim in a batch parks a bounded number of held-back items and says it stopped
    /// short; the next goes on from there (the inbox writer runs it in a later transaction).
    #[tokio::test]
    async fn a_claim_in_a_batch_parks_a_bounded_number_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let held = PARK_PASSES * PARK_WINDOW + 10;
        let mut items = vec![item("a0")];
        items.extend((1..=held).map(|n| NewWorkItem {
            queue_key: item("a0").queue_key,
            ..item(&format!("a{n}"))
        }));
        items.push(NewWorkItem {
            queue_key: "repo:free".into(),
            ..item("free")
        });
        store.enqueue_batch(&items, 1).await.unwrap();
        // a0 runs: everything else of its queue is held back by it.
        let a0 = store.claim("w", 2, 1_000).await.unwrap().unwrap();
        assert_eq!(a0.dedupe_key, "a0");

        let mut tx = store.begin_work().await.unwrap();
        assert_eq!(tx.claim("w", 3, 1_000).await.unwrap(), Claim::Unfinished);
        let claimed = tx.claim("w", 3, 1_000).await.unwrap().taken().unwrap();
        assert_eq!(claimed.dedupe_key, "free");
        tx.commit().await.unwrap();
        let parked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM work_items WHERE parked = 1")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(parked, held as i64);
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

    /// The inbox writer's own connection (`work_sqlite`) stores, claims and finishes exactly as
    /// the sqlx path does: same outcomes, same ids, same rows.
    #[tokio::test]
    async fn the_writers_connection_stores_as_the_pool_does() {
        let pool_dir = tempfile::tempdir().unwrap();
        let native_dir = tempfile::tempdir().unwrap();
        let (pool, _) = store_with_old_and_dead(&pool_dir).await;
        let (native, _) = store_with_old_and_dead(&native_dir).await;
        let items: Vec<NewWorkItem> = large_batch_keys().iter().map(|k| item(k)).collect();

        let by_pool = pool.enqueue_batch(&items, 10).await.unwrap();
        let mut inbox =
            super::super::work_sqlite::SqliteInbox::open(native.sqlite_file().unwrap()).unwrap();
        let mut tx = inbox.begin().unwrap();
        let by_native = tx.enqueue(&items, 10).await.unwrap();
        // Claims, a lease, an outcome of each kind; an outcome or a lease by a stranger
        // changes nothing.
        let outcomes = [
            Outcome::Done,
            Outcome::Retry {
                error: "later".into(),
                at: 500,
            },
            Outcome::Dead {
                error: "boom".into(),
            },
            Outcome::Released,
        ];
        let mut claimed = Vec::new();
        for (n, outcome) in (0..).zip(&outcomes) {
            let item = tx.claim("w", 20 + n, 1000).await.unwrap().taken().unwrap();
            assert!(tx.extend_lease(item.id, "w", 2000).await.unwrap());
            assert!(!tx.extend_lease(item.id, "stranger", 3000).await.unwrap());
            assert!(!tx.finish(item.id, "stranger", 30, outcome).await.unwrap());
            assert!(tx.finish(item.id, "w", 30 + n, outcome).await.unwrap());
            claimed.push(item);
        }
        tx.commit().unwrap();
        drop(inbox);

        let mut pool_claimed = Vec::new();
        for (n, outcome) in (0..).zip(&outcomes) {
            let item = pool.claim("w", 20 + n, 1000).await.unwrap().unwrap();
            assert!(pool.extend_lease(item.id, "w", 2000).await.unwrap());
            assert!(pool.finish(item.id, "w", 30 + n, outcome).await.unwrap());
            pool_claimed.push(item);
        }

        assert_eq!(by_native, by_pool);
        assert_eq!(claimed, pool_claimed);
        assert_eq!(
            native.list_work(None, 10_000).await.unwrap(),
            pool.list_work(None, 10_000).await.unwrap()
        );
        pool.close().await;
        native.close().await;
    }
}
