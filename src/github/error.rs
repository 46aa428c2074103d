//! What can go wrong talking to GitHub, and whether trying again could help.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub: not found: {route}")]
    NotFound { route: String },
    #[error("GitHub refused the App's credentials ({route}): {message}")]
    Unauthorized { route: String, message: String },
    #[error("GitHub forbids {route}: {message}")]
    Forbidden { route: String, message: String },
    #[error("GitHub rejected {route} ({status}): {message}")]
    Rejected {
        route: String,
        status: u16,
        message: String,
    },
    #[error("GitHub rate limit on {route}; try again in {retry_in:?}")]
    RateLimited { route: String, retry_in: Duration },
    #[error("GitHub server error {status} on {route}")]
    Server { route: String, status: u16 },
    #[error("could not reach GitHub ({route}): {message}")]
    Transport { route: String, message: String },
    #[error("unexpected answer from GitHub ({route}): {message}")]
    Decode { route: String, message: String },
    #[error("GitHub client setup: {0}")]
    Setup(String),
}

impl GitHubError {
    /// Worth retrying the whole job later: GitHub or the network may recover.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GitHubError::RateLimited { .. }
                | GitHubError::Server { .. }
                | GitHubError::Transport { .. }
                | GitHubError::Unauthorized { .. }
        )
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, GitHubError::NotFound { .. })
    }

    /// A 422 "already exists" (a ref, a label …): the state we wanted is already there.
    pub fn is_already_exists(&self) -> bool {
        matches!(self, GitHubError::Rejected { status: 422, message, .. } if message.contains("already exist"))
    }
}

pub type GitHubResult<T> = Result<T, GitHubError>;
