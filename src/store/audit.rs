//! The audit log of commands: who ran what, where, and what came of it.

use sqlx::Row;

use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub repo: String,
    pub issue_number: u64,
    /// `issue_comment`, `review_comment` or `review`: GitHub numbers them apart.
    pub comment_kind: String,
    pub comment_id: u64,
    pub position: u64,
    pub actor_login: String,
    pub actor_id: u64,
    pub command_text: String,
    pub command_json: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

impl Store {
    /// Records a command run. Running the same command of the same comment again (a retry, a
    /// redelivery) updates its entry rather than adding one.
    pub async fn record_command(&self, e: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO command_audit
                (at, repo, issue_number, comment_id, position, actor_login, actor_id, command_text,
                 command, outcome, detail, comment_kind)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (repo, comment_kind, comment_id, position, command_text)
             DO UPDATE SET at = excluded.at, outcome = excluded.outcome, detail = excluded.detail",
        )
        .bind(e.at)
        .bind(&e.repo)
        .bind(e.issue_number as i64)
        .bind(e.comment_id as i64)
        .bind(e.position as i64)
        .bind(&e.actor_login)
        .bind(e.actor_id as i64)
        .bind(&e.command_text)
        .bind(&e.command_json)
        .bind(&e.outcome)
        .bind(&e.detail)
        .bind(&e.comment_kind)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A repository's audit log, oldest first, the last `limit` entries.
    pub async fn audit_log(&self, repo: &str, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, repo, issue_number, comment_kind, comment_id, position, actor_login, actor_id,
                    command_text, command, outcome, detail
             FROM (SELECT * FROM command_audit WHERE repo = $1 ORDER BY id DESC LIMIT $2) AS recent
             ORDER BY at, comment_id, position",
        )
        .bind(repo)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: r.try_get("at")?,
                    repo: r.try_get("repo")?,
                    issue_number: r.try_get::<i64, _>("issue_number")? as u64,
                    comment_kind: r.try_get("comment_kind")?,
                    comment_id: r.try_get::<i64, _>("comment_id")? as u64,
                    position: r.try_get::<i64, _>("position")? as u64,
                    actor_login: r.try_get("actor_login")?,
                    actor_id: r.try_get::<i64, _>("actor_id")? as u64,
                    command_text: r.try_get("command_text")?,
                    command_json: r.try_get("command")?,
                    outcome: r.try_get("outcome")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}
