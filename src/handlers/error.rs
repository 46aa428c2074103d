//! The error a handler returns when it cannot finish its work, and how the inbox treats it.

use crate::github::GitHubError;
use crate::inbox::ProcessError;

/// Why a handler could not do its work through no fault of the user's: GitHub or the store
/// failed, or something it read made no sense. User mistakes are answered, not raised.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Other(String),
}

impl From<crate::github::comments::UpsertError> for HandlerError {
    fn from(e: crate::github::comments::UpsertError) -> Self {
        match e {
            crate::github::comments::UpsertError::GitHub(e) => HandlerError::GitHub(e),
            crate::github::comments::UpsertError::Store(e) => HandlerError::Store(e),
        }
    }
}

impl From<HandlerError> for ProcessError {
    fn from(e: HandlerError) -> Self {
        match e {
            HandlerError::GitHub(e) => e.into(),
            other => ProcessError::Retryable(other.to_string()),
        }
    }
}

impl From<GitHubError> for ProcessError {
    fn from(e: GitHubError) -> Self {
        // Even a 403 or 404 may pass (a permission granted, a repository transferred back), so
        // GitHub failures get the retry budget; handlers turn what the user caused into replies
        // before this point, and what is left parks as dead for a human to look at.
        ProcessError::Retryable(e.to_string())
    }
}
