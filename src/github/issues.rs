//! Idempotent bot issues: an issue relman opens starts with a hidden marker
//! (`<!-- relman:KIND:KEY -->`), so a retry after a crash between creating it and recording its
//! number finds it again instead of opening a second one.

use super::error::GitHubResult;
use super::port::GitHubPort;
use super::types::{Issue, IssueFilter, IssuePatch, NewIssue, RepoName};

/// What to do with an issue that is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFound {
    /// Write the new body into it (a dashboard).
    Refresh,
    /// Leave it as it is (a request someone may have edited).
    Keep,
}

/// The issue with `marker` among the issues labelled `label` (all issues when `None`; open or
/// closed), else `new` created. `new.body` must start with `marker`.
pub async fn find_or_create_issue(
    github: &dyn GitHubPort,
    repo: &RepoName,
    marker: &str,
    label: Option<&str>,
    new: &NewIssue,
    when_found: WhenFound,
) -> GitHubResult<Issue> {
    let existing = github
        .list_issues(
            repo,
            &IssueFilter {
                state: Some("all".into()),
                labels: label.map(str::to_string).into_iter().collect(),
                creator: None,
            },
        )
        .await?
        .into_iter()
        .find(|i| i.body.starts_with(marker));
    match (existing, when_found) {
        (Some(issue), WhenFound::Keep) => Ok(issue),
        (Some(issue), WhenFound::Refresh) => {
            github
                .update_issue(
                    repo,
                    issue.number,
                    &IssuePatch {
                        body: Some(new.body.clone()),
                        ..IssuePatch::default()
                    },
                )
                .await
        }
        (None, _) => github.create_issue(repo, new).await,
    }
}
