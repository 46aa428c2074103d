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
}
