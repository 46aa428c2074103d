//! What the store knows about webhook deliveries by GUID, for the redelivery of missed ones:
//! which GUIDs the inbox holds (a delivery is stored under its `X-GitHub-Delivery` id, the
//! `guid` of GitHub's delivery log) and which relman already asked GitHub to redeliver.

use std::collections::HashSet;

use sqlx::Row;

use super::{Store, StoreError};

/// GUIDs per `IN (…)` query: far below both back-ends' limits on bound parameters.
const GUIDS_PER_QUERY: usize = 500;

impl Store {
    /// The GUIDs among `guids` that the inbox holds, whatever their status.
    pub async fn known_deliveries(&self, guids: &[String]) -> Result<HashSet<String>, StoreError> {
        self.present_in(
            "SELECT dedupe_key FROM work_items WHERE dedupe_key IN",
            guids,
        )
        .await
    }

    /// The GUIDs among `guids` that relman already asked GitHub to redeliver.
    pub async fn redelivery_requested(
        &self,
        guids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        self.present_in("SELECT guid FROM redelivery_requests WHERE guid IN", guids)
            .await
    }

    async fn present_in(
        &self,
        select: &str,
        guids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let mut found = HashSet::new();
        for chunk in guids.chunks(GUIDS_PER_QUERY) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("{select} ({})", placeholders.join(", "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for guid in chunk {
                query = query.bind(guid);
            }
            for row in query.fetch_all(self.pool()).await? {
                found.insert(row.try_get::<String, _>(0)?);
            }
        }
        Ok(found)
    }

    /// Records that relman is asking for a redelivery of `guid`; `false` when it (or another
    /// replica) already did, in which case it must not ask again.
    pub async fn claim_redelivery(
        &self,
        guid: &str,
        delivery_id: i64,
        event: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO redelivery_requests (guid, delivery_id, event, requested_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (guid) DO NOTHING",
        )
        .bind(guid)
        .bind(delivery_id)
        .bind(event)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Forgets a claim whose request GitHub did not take, so a later run asks again.
    pub async fn release_redelivery(&self, guid: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM redelivery_requests WHERE guid = $1")
            .bind(guid)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops the records of requests made before `before_ms`; returns how many.
    pub async fn prune_redeliveries(&self, before_ms: i64) -> Result<u64, StoreError> {
        let deleted = sqlx::query("DELETE FROM redelivery_requests WHERE requested_at < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?;
        Ok(deleted.rows_affected())
    }
}
