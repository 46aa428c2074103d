//! Per-repository state relman keeps: the last good config and the calendar-feed token.

use sqlx::Row;

use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRecord {
    pub repo: String,
    pub private: bool,
    pub config_json: Option<String>,
    pub holiday_ics: Option<String>,
    pub calendar_token: Option<String>,
}

impl Store {
    /// Records the last good configuration of a repository.
    pub async fn save_repo_config(
        &self,
        repo: &str,
        private: bool,
        config_json: &str,
        holiday_ics: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repositories (repo, private, config, holiday_ics, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (repo) DO UPDATE SET private = excluded.private, config = excluded.config,
                 holiday_ics = excluded.holiday_ics, updated_at = excluded.updated_at",
        )
        .bind(repo)
        .bind(i64::from(private))
        .bind(config_json)
        .bind(holiday_ics)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Sets a new calendar token (the row is created, as private, if relman has not seen the
    /// repository yet).
    pub async fn set_calendar_token(
        &self,
        repo: &str,
        token: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repositories (repo, private, calendar_token, updated_at)
             VALUES ($1, 1, $2, $3)
             ON CONFLICT (repo) DO UPDATE SET calendar_token = excluded.calendar_token,
                 updated_at = excluded.updated_at",
        )
        .bind(repo)
        .bind(token)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn repository(&self, repo: &str) -> Result<Option<RepositoryRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT repo, private, config, holiday_ics, calendar_token FROM repositories WHERE repo = $1",
        )
        .bind(repo)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(RepositoryRecord {
                repo: r.try_get("repo")?,
                private: r.try_get::<i64, _>("private")? != 0,
                config_json: r.try_get("config")?,
                holiday_ics: r.try_get("holiday_ics")?,
                calendar_token: r.try_get("calendar_token")?,
            })
        })
        .transpose()
    }
}
