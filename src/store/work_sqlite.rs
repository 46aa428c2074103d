//! The inbox writer's own SQLite connection (rusqlite), held by one thread for its lifetime.
//!
//! Everything else in the store goes through sqlx's `Any` pool, where each statement is a round
//! trip to the connection's worker thread (a channel send and a futex wake-up each way) and every
//! bound value and row is converted through `Any`. On the ack path that was the largest cost
//! after the disk (benches/README.md): a batch of 16 deliveries is a dozen statements. The inbox
//! writer is a single long-lived writer, so here it owns a plain connection on a thread of its
//! own: statements are prepared once and run in place, and the thread pays one wake-up per batch.
//!
//! The SQL is [`super::work`]'s, so both back-ends and both drivers store, claim and finish items
//! by the same rules; this file only runs it. Parameters are bound by name: SQLite reads `$1` as
//! a name, and a statement may use `$3` before `$1` (the sqlx driver maps the names to
//! positions).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql};

use super::work::{
    Claim, ClaimedItem, EXTEND_LEASE, Enqueued, InboxTx, NewWorkItem, Outcome, PARK_PASSES,
    REVIVE_DEAD, UNPARK_NEXT, WorkKind, claim_statement, ends_the_item, finish_statement,
    insert_payloads_statement, insert_statement, next_parking_pass, park_statement, stored_payload,
};
use super::{Backend, StoreError, WAL_AUTOCHECKPOINT_PAGES};

/// A connection for the inbox writer, opened on the file the store migrated.
pub struct SqliteInbox {
    conn: Connection,
}

impl SqliteInbox {
    /// Opens `path` with the same settings as the store's pool (`Store::connect`): WAL,
    /// `synchronous=FULL` (a commit is on disk when it returns), statement journals in memory,
    /// and a busy handler for the moments another connection holds the write lock.
    ///
    /// The connection writes through [`super::wal_gather`], which hands the log each commit's
    /// frames in one write; that is only sound with `synchronous=FULL`, checked here.
    pub fn open(path: &Path) -> Result<SqliteInbox, StoreError> {
        let vfs = super::wal_gather::register().map_err(|code| StoreError::Corrupt {
            table: "(database)",
            detail: format!("could not register the inbox writer's VFS (SQLite error {code})"),
        })?;
        let conn = Connection::open_with_flags_and_vfs(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            vfs,
        )?;
        conn.busy_handler(Some(wait_for_the_lock))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt {
                table: "(database)",
                detail: format!("journal_mode is {mode}, not wal"),
            });
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
        )?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        // 2 = FULL: the log is synced before a commit's frames are published to other
        // connections, which is when wal_gather has written them.
        let synchronous: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        if synchronous != 2 {
            return Err(StoreError::Corrupt {
                table: "(database)",
                detail: format!("synchronous is {synchronous}, not FULL (2)"),
            });
        }
        Ok(SqliteInbox { conn })
    }

    /// `BEGIN IMMEDIATE`: the write lock is taken up front (see `WorkTx`).
    pub fn begin(&mut self) -> Result<SqliteWorkTx<'_>, StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(SqliteWorkTx {
            conn: &mut self.conn,
            open: true,
        })
    }

    /// A PASSIVE checkpoint on this connection; the number of pages in the log before it.
    pub fn checkpoint(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?)
    }
}

/// Tries of [`wait_for_the_lock`] before giving up: 10 s, the pool's `busy_timeout`.
const BUSY_TRIES: i32 = 40_000;

/// When another connection (a handler writing its own tables) holds the write lock. SQLite's own
/// busy handler sleeps 1, 2, 5, … up to 100 ms between tries, so a batch of acks behind a write
/// of a millisecond could wait a hundred; with four busy workers that made a 1.8 s stall in a
/// 30 s run. Short sleeps cost a few wake-ups instead.
fn wait_for_the_lock(tries: i32) -> bool {
    if tries >= BUSY_TRIES {
        return false;
    }
    std::thread::sleep(Duration::from_micros(250));
    true
}

/// One writer batch's transaction; rolled back when dropped without [`SqliteWorkTx::commit`].
/// (Not `rusqlite::Transaction`, which borrows the connection shared: the batch's futures must
/// be `Send`, and a shared `Connection` is not.)
pub struct SqliteWorkTx<'c> {
    conn: &'c mut Connection,
    open: bool,
}

impl SqliteWorkTx<'_> {
    /// On disk when it returns (`synchronous=FULL`).
    pub fn commit(mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    /// One item, as the multi-row insert of the sqlx path treats it: new (with its payload),
    /// a dead one revived, or a duplicate.
    fn enqueue_one(&self, item: &NewWorkItem, now_ms: i64) -> Result<Enqueued, StoreError> {
        let id: Option<i64> = self
            .conn
            // The one-row form of the sqlx path's INSERT: `RETURNING id, dedupe_key`, no row
            // when the key is known.
            .prepare_cached(insert_statement(1))?
            .query_row(
                &[
                    ("$1", &item.kind.as_str() as &dyn ToSql),
                    ("$2", &item.dedupe_key),
                    ("$3", &item.name),
                    ("$4", &item.action),
                    ("$5", &item.queue_key),
                    ("$6", &item.repo),
                    ("$7", &item.installation_id),
                    ("$8", &item.run_at),
                    ("$9", &now_ms),
                ][..],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = id {
            self.conn
                .prepare_cached(insert_payloads_statement(1))?
                .execute(&[("$1", &id as &dyn ToSql), ("$2", &item.payload)][..])?;
            return Ok(Enqueued::Accepted { id });
        }
        let revived = self
            .conn
            .prepare_cached(REVIVE_DEAD)?
            .execute(&[("$1", &item.dedupe_key as &dyn ToSql), ("$2", &now_ms)][..])?;
        Ok(if revived > 0 {
            Enqueued::Revived
        } else {
            Enqueued::Duplicate
        })
    }
}

impl Drop for SqliteWorkTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Fails only when SQLite already rolled back (e.g. after an I/O error); either way
            // nothing of the batch remains.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl InboxTx for SqliteWorkTx<'_> {
    async fn enqueue(
        &mut self,
        items: &[NewWorkItem],
        now_ms: i64,
    ) -> Result<Vec<Enqueued>, StoreError> {
        items
            .iter()
            .map(|item| self.enqueue_one(item, now_ms))
            .collect()
    }

    async fn claim(
        &mut self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Claim, StoreError> {
        let mut park = self.conn.prepare_cached(park_statement(Backend::Sqlite))?;
        let mut after = 0;
        let mut finished = false;
        for _ in 0..PARK_PASSES {
            let parked = park
                .query_map(&[("$1", &now_ms as &dyn ToSql), ("$2", &after)][..], |r| {
                    r.get::<_, i64>(0)
                })?
                .collect::<Result<Vec<i64>, _>>()?;
            match next_parking_pass(&parked, after) {
                Some(last) => after = last,
                None => {
                    finished = true;
                    break;
                }
            }
        }
        if !finished {
            return Ok(Claim::Unfinished);
        }
        let mut statement = self.conn.prepare_cached(claim_statement(Backend::Sqlite))?;
        let mut rows = statement.query(
            &[
                ("$1", &owner as &dyn ToSql),
                ("$2", &lease_until_ms),
                ("$3", &now_ms),
            ][..],
        )?;
        let Some(row) = rows.next()? else {
            return Ok(Claim::Nothing);
        };
        let kind: String = row.get("kind")?;
        let payload: Option<Vec<u8>> = row.get("payload")?;
        Ok(Claim::Taken(ClaimedItem {
            id: row.get("id")?,
            kind: WorkKind::parse(&kind)?,
            dedupe_key: row.get("dedupe_key")?,
            name: row.get("name")?,
            action: row.get("action")?,
            queue_key: row.get("queue_key")?,
            repo: row.get("repo")?,
            installation_id: row.get("installation_id")?,
            payload: stored_payload(payload)?,
            attempts: row.get("attempts")?,
            created_at: row.get("created_at")?,
        }))
    }

    async fn finish(
        &mut self,
        id: i64,
        owner: &str,
        now_ms: i64,
        outcome: &Outcome,
    ) -> Result<bool, StoreError> {
        let (sql, time, error) = finish_statement(outcome, now_ms);
        // As the sqlx path binds them: `$3` and `$4` only when the statement takes them.
        let mut params: Vec<(&str, &dyn ToSql)> = vec![("$1", &id), ("$2", &owner)];
        if let Some(time) = &time {
            params.push(("$3", time));
        }
        if let Some(error) = &error {
            params.push(("$4", error));
        }
        let recorded = self.conn.prepare_cached(sql)?.execute(params.as_slice())? == 1;
        if recorded && ends_the_item(outcome) {
            self.conn
                .prepare_cached(UNPARK_NEXT)?
                .execute(&[("$1", &id)][..])?;
        }
        Ok(recorded)
    }

    async fn extend_lease(
        &mut self,
        id: i64,
        owner: &str,
        lease_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.prepare_cached(EXTEND_LEASE)?.execute(
            &[
                ("$1", &id as &dyn ToSql),
                ("$2", &owner),
                ("$3", &lease_until_ms),
            ][..],
        )?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The settings the writer's durability rests on: a 202 means the delivery is in a synced
    /// log (`synchronous=FULL` in WAL mode), and the log is checkpointed at the store's size.
    #[tokio::test]
    async fn the_writers_connection_syncs_each_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        let inbox = SqliteInbox::open(store.sqlite_file().unwrap()).unwrap();
        let pragma = |name: &str| -> String {
            inbox
                .conn
                .query_row(&format!("PRAGMA {name}"), [], |r| {
                    r.get::<_, rusqlite::types::Value>(0)
                })
                .map(|v| match v {
                    rusqlite::types::Value::Integer(n) => n.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    other => format!("{other:?}"),
                })
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "wal");
        assert_eq!(pragma("synchronous"), "2");
        assert_eq!(
            pragma("wal_autocheckpoint"),
            WAL_AUTOCHECKPOINT_PAGES.to_string()
        );
        drop(inbox);
        store.close().await;
    }
}
