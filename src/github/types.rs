//! The GitHub objects relman works with, in relman's own types.
//!
//! Deserialized from GitHub's REST answers, leniently: only what relman reads is declared, and
//! everything not essential has a default, so a field GitHub adds, drops or nulls does not turn
//! into a failed delivery. octocrab's models are not used here on purpose (they are stricter
//! than GitHub on some payloads, and the domain must not depend on a client library).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

impl RepoName {
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            owner: owner.into(),
            name: name.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a repository name {0:?}: expected owner/name")]
pub struct BadRepoName(pub String);

fn valid_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s != "."
        && s != ".."
}

impl FromStr for RepoName {
    type Err = BadRepoName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((owner, name)) if valid_name_part(owner) && valid_name_part(name) => {
                Ok(RepoName::new(owner, name))
            }
            _ => Err(BadRepoName(s.to_string())),
        }
    }
}

impl TryFrom<String> for RepoName {
    type Error = BadRepoName;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RepoName> for String {
    fn from(r: RepoName) -> String {
        r.to_string()
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// `null` → the type's default. GitHub sends `null` for many absent values.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    #[serde(default, deserialize_with = "null_default")]
    pub login: String,
    #[serde(default, deserialize_with = "null_default")]
    pub id: u64,
    /// `User`, `Bot` or `Organization`.
    #[serde(default, rename = "type", deserialize_with = "null_default")]
    pub kind: String,
}

impl User {
    pub fn is_bot(&self) -> bool {
        self.kind == "Bot" || self.login.ends_with("[bot]")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    #[serde(default)]
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub full_name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub default_branch: String,
    #[serde(default)]
    pub private: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub html_url: String,
}

/// A label as GitHub returns it on issues and PRs; relman only needs the name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    #[default]
    Open,
    Closed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub number: u64,
    #[serde(default)]
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub title: String,
    #[serde(default, deserialize_with = "null_default")]
    pub body: String,
    #[serde(default, deserialize_with = "null_default")]
    pub state: IssueState,
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Vec<Label>,
    #[serde(default, deserialize_with = "null_default")]
    pub assignees: Vec<User>,
    #[serde(default, deserialize_with = "null_default")]
    pub user: User,
    #[serde(default, deserialize_with = "null_default")]
    pub html_url: String,
    /// Present (with links) when the issue is a pull request.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

impl Issue {
    pub fn has_label(&self, name: &str) -> bool {
        self.labels
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(name))
    }

    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewIssue {
    pub title: String,
    pub body: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assignees: Vec<String>,
}

/// A partial update: only the fields that are `Some` are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IssuePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<IssueState>,
    /// `completed` or `not_planned` when closing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueFilter {
    /// `open`, `closed` or `all`.
    pub state: Option<String>,
    pub labels: Vec<String>,
    pub creator: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub body: String,
    #[serde(default, deserialize_with = "null_default")]
    pub user: User,
    #[serde(default, deserialize_with = "null_default")]
    pub html_url: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Reactions GitHub accepts on comments and issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reaction {
    PlusOne,
    MinusOne,
    Laugh,
    Confused,
    Heart,
    Hooray,
    Rocket,
    Eyes,
}

impl Reaction {
    pub fn as_str(self) -> &'static str {
        match self {
            Reaction::PlusOne => "+1",
            Reaction::MinusOne => "-1",
            Reaction::Laugh => "laugh",
            Reaction::Confused => "confused",
            Reaction::Heart => "heart",
            Reaction::Hooray => "hooray",
            Reaction::Rocket => "rocket",
            Reaction::Eyes => "eyes",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub tag_name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub target_commitish: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub body: String,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub html_url: String,
    #[serde(default, deserialize_with = "null_default")]
    pub author: User,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewRelease {
    pub tag_name: String,
    pub target_commitish: String,
    pub name: String,
    pub body: String,
    pub draft: bool,
    pub prerelease: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReleasePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prerelease: Option<bool>,
}

/// A tag with the commit it points at (`GET /repos/{o}/{r}/tags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub sha: String,
}

/// A git reference (`refs/heads/main`, `refs/tags/v1.2.0`) and the object it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRef {
    pub name: String,
    pub sha: String,
    /// `commit` or `tag` (an annotated tag object).
    pub object_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSummary {
    pub sha: String,
    /// The full message; the first line is the subject.
    pub message: String,
    /// The GitHub account of the author, when GitHub could match one.
    pub author_login: Option<String>,
    pub parents: Vec<String>,
}

/// `GET /repos/{o}/{r}/compare/{base}...{head}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// `ahead`, `behind`, `identical` or `diverged`.
    pub status: String,
    pub ahead_by: u64,
    pub behind_by: u64,
    pub total_commits: u64,
    /// Oldest first.
    pub commits: Vec<CommitSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchRef {
    #[serde(rename = "ref", default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub sha: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    #[serde(default)]
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub title: String,
    #[serde(default, deserialize_with = "null_default")]
    pub body: String,
    #[serde(default, deserialize_with = "null_default")]
    pub state: IssueState,
    #[serde(default, deserialize_with = "null_default")]
    pub user: User,
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Vec<Label>,
    #[serde(default, deserialize_with = "null_default")]
    pub html_url: String,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub merged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub base: BranchRef,
    #[serde(default, deserialize_with = "null_default")]
    pub head: BranchRef,
}

impl PullRequest {
    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.labels.iter().map(|l| l.name.as_str())
    }
}

/// One commit status (`POST /repos/{o}/{r}/statuses/{sha}`), by context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitStatus {
    #[serde(default, deserialize_with = "null_default")]
    pub context: String,
    /// `error`, `failure`, `pending` or `success`.
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub target_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombinedStatus {
    /// `failure`, `pending` or `success` (`pending` also when nothing reported).
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
    #[serde(default, deserialize_with = "null_default")]
    pub statuses: Vec<CommitStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRunApp {
    #[serde(default, deserialize_with = "null_default")]
    pub slug: String,
    #[serde(default)]
    pub id: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub head_sha: String,
    /// `queued`, `in_progress`, `completed` (and `waiting`, `requested`, `pending`).
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    /// Set once completed: `success`, `failure`, `neutral`, `cancelled`, `skipped`,
    /// `timed_out`, `action_required`, `stale`.
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub html_url: String,
    #[serde(default)]
    pub app: Option<CheckRunApp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckAnnotation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    /// `notice`, `warning` or `failure`.
    pub annotation_level: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutput {
    pub title: String,
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<CheckAnnotation>,
}

/// A check run to create, or the new state of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCheckRun {
    pub name: String,
    pub head_sha: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<CheckOutput>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub sha: String,
    #[serde(rename = "ref", default, deserialize_with = "null_default")]
    pub git_ref: String,
    #[serde(default, deserialize_with = "null_default")]
    pub environment: String,
    #[serde(default, deserialize_with = "null_default")]
    pub creator: User,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentStatus {
    pub id: u64,
    /// `error`, `failure`, `inactive`, `in_progress`, `queued`, `pending` or `success`.
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
    #[serde(default, deserialize_with = "null_default")]
    pub environment: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// The `permission` of the collaborator-permission API. GitHub answers exactly
/// `admin`, `write`, `read` or `none` here; the finer role (maintain, triage, custom roles) is in
/// `role_name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    None,
    Read,
    Write,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollaboratorPermission {
    pub permission: Permission,
    pub role_name: String,
}

/// A file read at a ref, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    pub path: String,
    /// The blob sha.
    pub sha: String,
    pub text: String,
}

/// A commit of the Git data API (`GET /repos/{o}/{r}/git/commits/{sha}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCommit {
    pub sha: String,
    pub tree_sha: String,
    pub parents: Vec<String>,
    pub message: String,
}

/// One entry of a git tree.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GitTreeEntry {
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub mode: String,
    /// `blob`, `tree` or `commit` (a submodule).
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub sha: String,
}

/// A git tree (`GET /repos/{o}/{r}/git/trees/{sha}`); `truncated` when GitHub did not list all
/// of a recursive tree.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GitTree {
    pub sha: String,
    #[serde(default, deserialize_with = "null_default")]
    pub tree: Vec<GitTreeEntry>,
    #[serde(default)]
    pub truncated: bool,
}

/// An entry of a tree to create: `sha: None` deletes the path from the base tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTreeEntry {
    pub path: String,
    pub mode: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names_parse_strictly() {
        assert_eq!(
            "acme/web".parse::<RepoName>().unwrap(),
            RepoName::new("acme", "web")
        );
        assert_eq!(
            "a-b/c.d_e".parse::<RepoName>().unwrap().to_string(),
            "a-b/c.d_e"
        );
        for bad in ["acme", "acme/", "/web", "a/b/c", "a b/c", "../x", "acme/.."] {
            assert!(bad.parse::<RepoName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn permission_accepts_exactly_githubs_values() {
        for (text, p) in [
            ("admin", Permission::Admin),
            ("write", Permission::Write),
            ("read", Permission::Read),
            ("none", Permission::None),
        ] {
            assert_eq!(
                serde_json::from_str::<Permission>(&format!("\"{text}\"")).unwrap(),
                p
            );
        }
        assert!(serde_json::from_str::<Permission>("\"maintain\"").is_err());
        assert!(Permission::Admin > Permission::Write && Permission::Write > Permission::Read);
    }

    #[test]
    fn nulls_where_github_sends_them_are_tolerated() {
        let issue: Issue = serde_json::from_str(
            r#"{"number": 3, "title": "t", "body": null, "labels": null, "assignees": [], "user": null, "state": "closed"}"#,
        )
        .unwrap();
        assert_eq!(issue.body, "");
        assert_eq!(issue.state, IssueState::Closed);
        assert!(!issue.is_pull_request());
    }
}
