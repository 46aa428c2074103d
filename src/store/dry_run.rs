//! Writes a dry run did not send, kept so a team can read what relman would have done.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;

use super::{Store, StoreError};
use crate::github::rest::WriteRecorder;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRunWrite {
    pub id: i64,
    pub at: i64,
    pub method: String,
    pub route: String,
    pub body: Option<String>,
}

impl Store {
    pub async fn record_dry_run_write(
        &self,
        at_ms: i64,
        method: &str,
        route: &str,
        body: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO dry_run_writes (at, method, route, body) VALUES ($1, $2, $3, $4)")
            .bind(at_ms)
            .bind(method)
            .bind(route)
            .bind(body)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn dry_run_writes(&self, limit: i64) -> Result<Vec<DryRunWrite>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, method, route, body FROM dry_run_writes ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DryRunWrite {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    method: r.try_get("method")?,
                    route: r.try_get("route")?,
                    body: r.try_get("body")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl WriteRecorder for Store {
    async fn record(&self, method: &str, route: &str, body: Option<&Value>) {
        let body = body.map(Value::to_string);
        let now = chrono::Utc::now().timestamp_millis();
        if let Err(e) = self
            .record_dry_run_write(now, method, route, body.as_deref())
            .await
        {
            tracing::warn!(error = %e, method, route, "could not record a dry-run write");
        }
    }
}
