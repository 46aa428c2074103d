//! The webhook payloads relman acts on, as small lenient serde types of its own.
//!
//! Only the fields relman reads are declared; GitHub sends many more. Nothing here is stricter
//! than GitHub's documentation: optional or nullable fields are `Option` or defaulted.

use serde::Deserialize;

use crate::github::types::{Comment, Issue, PullRequest, Release, Repository, User, null_default};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstallationRef {
    pub id: u64,
}

/// Fields every repository event carries.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Common {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub installation: Option<InstallationRef>,
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default, deserialize_with = "null_default")]
    pub sender: User,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BodyChange {
    #[serde(default)]
    pub from: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommentChanges {
    #[serde(default)]
    pub body: Option<BodyChange>,
}

/// `issue_comment` (created, edited, deleted).
#[derive(Debug, Clone, Deserialize)]
pub struct IssueCommentEvent {
    #[serde(flatten)]
    pub common: Common,
    pub issue: Issue,
    pub comment: Comment,
    #[serde(default)]
    pub changes: Option<CommentChanges>,
}

/// `pull_request`.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestEvent {
    #[serde(flatten)]
    pub common: Common,
    #[serde(default)]
    pub number: u64,
    pub pull_request: PullRequest,
}

/// `release`.
#[derive(Debug, Clone, Deserialize)]
pub struct ReleaseEvent {
    #[serde(flatten)]
    pub common: Common,
    pub release: Release,
}
