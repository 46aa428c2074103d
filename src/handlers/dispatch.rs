//! Routes stored work to the capability that handles it.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::events::{Common, IssueCommentEvent, PullRequestEvent, ReleaseEvent};
use crate::clock::Clock;
use crate::github::GitHubError;
use crate::github::app::GitHubApp;
use crate::inbox::{ProcessError, Processor};
use crate::store::Store;
use crate::store::work::{ClaimedItem, WorkKind};

/// What handlers share: the GitHub App, the store and the clock.
pub struct Context {
    pub github: Arc<GitHubApp>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
}

/// The production [`Processor`].
pub struct Dispatcher {
    pub ctx: Context,
}

impl From<GitHubError> for ProcessError {
    fn from(e: GitHubError) -> Self {
        if e.is_transient() {
            ProcessError::Retryable(e.to_string())
        } else {
            // Not found, forbidden, rejected: retrying the same request will not help, but
            // state on GitHub may change (a permission granted), so give it the retry budget
            // anyway; handlers turn user-caused failures into replies before this point.
            ProcessError::Retryable(e.to_string())
        }
    }
}

fn parse<T: DeserializeOwned>(item: &ClaimedItem) -> Result<T, ProcessError> {
    serde_json::from_slice(&item.payload)
        .map_err(|e| ProcessError::Permanent(format!("cannot read the {} payload: {e}", item.name)))
}

impl Processor for Dispatcher {
    async fn process(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        match item.kind {
            WorkKind::Webhook => self.webhook(item).await,
            WorkKind::Job => {
                tracing::warn!(job = %item.name, "no handler for this job; dropping it");
                Ok(())
            }
        }
    }
}

impl Dispatcher {
    async fn webhook(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        let action = item.action.as_deref().unwrap_or("");
        match item.name.as_str() {
            "issue_comment" => {
                let event: IssueCommentEvent = parse(item)?;
                tracing::debug!(issue = event.issue.number, sender = %event.common.sender.login, action, "comment");
            }
            "pull_request" => {
                let event: PullRequestEvent = parse(item)?;
                tracing::debug!(
                    pr = event.pull_request.number,
                    merged = event.pull_request.merged,
                    action,
                    "pull request"
                );
            }
            "release" => {
                let event: ReleaseEvent = parse(item)?;
                tracing::debug!(tag = %event.release.tag_name, action, "release");
            }
            _ => {
                let common: Common = parse(item)?;
                tracing::debug!(sender = %common.sender.login, action, "event recorded; relman takes no action on it");
            }
        }
        Ok(())
    }
}
