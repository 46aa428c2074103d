//! Where relman's own comments are: (repo, issue, marker) → comment id.
//!
//! This is a cache of GitHub's truth, not the truth: when it is missing or stale (a crash between
//! posting a comment and recording it), the comment is found again by its hidden marker.

use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    pub async fn bot_comment_id(
        &self,
        repo: &str,
        issue_number: u64,
        marker: &str,
    ) -> Result<Option<u64>, StoreError> {
        let row = sqlx::query(
            "SELECT comment_id FROM bot_comments WHERE repo = $1 AND issue_number = $2 AND marker = $3",
        )
        .bind(repo)
        .bind(issue_number as i64)
        .bind(marker)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get::<i64, _>(0).map(|id| id as u64))
            .transpose()
            .map_err(Into::into)
    }

    pub async fn remember_bot_comment(
        &self,
        repo: &str,
        issue_number: u64,
        marker: &str,
        comment_id: u64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO bot_comments (repo, issue_number, marker, comment_id, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (repo, issue_number, marker)
             DO UPDATE SET comment_id = excluded.comment_id, updated_at = excluded.updated_at",
        )
        .bind(repo)
        .bind(issue_number as i64)
        .bind(marker)
        .bind(comment_id as i64)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn forget_bot_comment(
        &self,
        repo: &str,
        issue_number: u64,
        marker: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM bot_comments WHERE repo = $1 AND issue_number = $2 AND marker = $3",
        )
        .bind(repo)
        .bind(issue_number as i64)
        .bind(marker)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
