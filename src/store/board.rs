//! Read-only queries of the release board (src/board/): what a page shows comes from here and
//! from the other stores' readers, never from GitHub.

use sqlx::Row;

use super::repositories::RepositoryRecord;
use super::{Store, StoreError};

impl Store {
    /// Every repository relman has a stored configuration for, by name.
    pub async fn board_repositories(&self) -> Result<Vec<RepositoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT repo, private, config, holiday_ics, calendar_token FROM repositories
             WHERE config IS NOT NULL ORDER BY repo",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RepositoryRecord {
                    repo: r.try_get("repo")?,
                    private: r.try_get::<i64, _>("private")? != 0,
                    config_json: r.try_get("config")?,
                    holiday_ics: r.try_get("holiday_ics")?,
                    calendar_token: r.try_get("calendar_token")?,
                })
            })
            .collect()
    }

    /// The pull requests merged in `(after, until]` (epoch milliseconds), oldest first: the
    /// changes a release cut at `until` shipped since one cut at `after`.
    pub async fn board_merges_between(
        &self,
        repo: &str,
        after: Option<i64>,
        until: i64,
    ) -> Result<Vec<MergedPr>, StoreError> {
        let rows = sqlx::query(
            "SELECT pr_number, merged_at FROM merged_changes
             WHERE repo = $1 AND merged_at > $2 AND merged_at <= $3 ORDER BY merged_at, pr_number",
        )
        .bind(repo)
        .bind(after.unwrap_or(i64::MIN))
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MergedPr {
                    number: u64::try_from(r.try_get::<i64, _>("pr_number")?).unwrap_or(0),
                    merged_at: r.try_get("merged_at")?,
                })
            })
            .collect()
    }
}

/// A merged pull request as the register recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedPr {
    pub number: u64,
    /// Epoch milliseconds.
    pub merged_at: i64,
}
