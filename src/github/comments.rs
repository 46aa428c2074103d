//! Idempotent bot comments: one comment per (issue, KIND, KEY), edited in place.
//!
//! Every bot comment starts with a hidden marker `<!-- relman:KIND:KEY -->`. The store remembers
//! which comment carries it; if the store does not know (a crash between posting and recording,
//! or a fresh database), the marker is looked for on the issue. Either way a retry or a
//! redelivery edits the comment rather than posting a second one.

use super::GitHubError;
use super::port::GitHubPort;
use super::types::{Comment, RepoName};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum UpsertError {
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The hidden marker of a bot comment. KIND and KEY must not contain `-->`; they are relman's
/// own identifiers (e.g. `checklist`, `pr-12`).
pub fn marker(kind: &str, key: &str) -> String {
    format!("<!-- relman:{kind}:{key} -->")
}

pub fn with_marker(kind: &str, key: &str, body: &str) -> String {
    format!("{}\n{body}", marker(kind, key))
}

/// Creates or updates the comment of `kind`/`key` on `issue` so that it reads `body`.
#[allow(clippy::too_many_arguments)]
pub async fn upsert_comment(
    github: &dyn GitHubPort,
    store: &Store,
    repo: &RepoName,
    issue: u64,
    kind: &str,
    key: &str,
    body: &str,
    now_ms: i64,
) -> Result<Comment, UpsertError> {
    let mark = marker(kind, key);
    let full = with_marker(kind, key, body);
    let repo_key = repo.to_string();

    // Fast path: one PATCH to the comment we remember.
    if let Some(id) = store.bot_comment_id(&repo_key, issue, &mark).await? {
        match github.update_comment(repo, id, &full).await {
            Ok(comment) => return Ok(comment),
            // Deleted by someone: forget it and look again.
            Err(GitHubError::NotFound { .. }) => {
                store.forget_bot_comment(&repo_key, issue, &mark).await?
            }
            Err(e) => return Err(e.into()),
        }
    }

    // Recovery path: find the marker on the issue.
    let existing = github
        .list_comments(repo, issue)
        .await?
        .into_iter()
        .find(|c| c.user.is_bot() && c.body.starts_with(&mark));
    let comment = match existing {
        Some(c) if c.body == full => c,
        Some(c) => github.update_comment(repo, c.id, &full).await?,
        None => github.create_comment(repo, issue, &full).await?,
    };
    store
        .remember_bot_comment(&repo_key, issue, &mark, comment.id, now_ms)
        .await?;
    Ok(comment)
}
