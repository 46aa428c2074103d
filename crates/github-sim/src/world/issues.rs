//! Issues (a PR is an issue with a pull-request half), comments, reactions and labels.

use super::{Repo, Timestamp, World, bot_login};

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    Open,
    Closed,
}

impl IssueState {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Open => "open",
            IssueState::Closed => "closed",
        }
    }
}

/// The pull-request half of an issue that is a PR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// PRs have their own id, distinct from the issue id.
    pub id: u64,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub draft: bool,
    pub merged_at: Option<Timestamp>,
    pub merged_by: Option<String>,
    pub merge_commit_sha: Option<String>,
}

impl PullRequest {
    pub fn merged(&self) -> bool {
        self.merged_at.is_some()
    }
}

/// An issue, or a pull request (which is an issue with `pull_request` set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    /// Login of the author.
    pub user: String,
    pub state: IssueState,
    pub state_reason: Option<String>,
    /// Label names, in the order they were added.
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    pub locked: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<String>,
    /// Whether the App created it (sets `performed_via_github_app`).
    pub via_app: bool,
    pub pull_request: Option<PullRequest>,
}

/// A comment on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComment {
    pub id: u64,
    pub issue_number: u64,
    pub user: String,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub via_app: bool,
}

/// What a reaction is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReactionSubject {
    Issue(u64),
    Comment(u64),
    /// A pull request review comment (`/pulls/comments/{id}/reactions`). Reviews themselves
    /// take no reactions on GitHub.
    ReviewComment(u64),
}

/// A reaction (`+1`, `eyes`, ...) on an issue or a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub id: u64,
    pub subject: ReactionSubject,
    pub user: String,
    pub content: String,
    pub created_at: Timestamp,
}

/// The reaction contents GitHub accepts.
pub const REACTION_CONTENTS: [&str; 8] = [
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

/// A repository label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub default: bool,
}

impl Repo {
    /// The issue or PR `number`.
    pub fn issue(&self, number: u64) -> Option<&Issue> {
        self.issues.get(&number)
    }

    /// The comments on issue/PR `number`, oldest first.
    pub fn comments_on(&self, number: u64) -> Vec<&IssueComment> {
        self.comments
            .values()
            .filter(|comment| comment.issue_number == number)
            .collect()
    }

    /// Reactions on a subject, oldest first.
    pub fn reactions_on(&self, subject: ReactionSubject) -> Vec<&Reaction> {
        self.reactions
            .iter()
            .filter(|reaction| reaction.subject == subject)
            .collect()
    }

    /// The next issue/PR number (one number space per repository).
    pub(crate) fn take_number(&mut self) -> u64 {
        self.next_number += 1;
        self.next_number
    }
}

impl World {
    /// Opens issue in `repo` by `author`. Returns its number.
    pub fn open_issue(&mut self, repo: &str, author: &str, title: &str, body: &str) -> u64 {
        self.ensure_user(author);
        let id = self.next_id();
        let now = self.now;
        let repo = self.repo_or_panic(repo);
        let number = repo.take_number();
        repo.issues.insert(
            number,
            Issue {
                id,
                number,
                title: title.to_string(),
                body: Some(body.to_string()),
                user: author.to_string(),
                state: IssueState::Open,
                state_reason: None,
                labels: Vec::new(),
                assignees: Vec::new(),
                locked: false,
                created_at: now,
                updated_at: now,
                closed_at: None,
                closed_by: None,
                via_app: false,
                pull_request: None,
            },
        );
        number
    }

    /// Comments on issue/PR `number` as `author`. Returns the comment id.
    ///
    /// # Panics
    /// If the repository or issue does not exist.
    pub fn add_comment(&mut self, repo: &str, number: u64, author: &str, body: &str) -> u64 {
        self.ensure_user(author);
        let id = self.next_id();
        let now = self.now;
        let via_app = author == bot_login();
        let r = self.repo_or_panic(repo);
        assert!(
            r.issues.contains_key(&number),
            "add_comment: no issue #{number} in {repo}"
        );
        r.comments.insert(
            id,
            IssueComment {
                id,
                issue_number: number,
                user: author.to_string(),
                body: body.to_string(),
                created_at: now,
                updated_at: now,
                via_app,
            },
        );
        id
    }

    /// Edits comment `id`'s body (as its author would). Returns the old body.
    ///
    /// # Panics
    /// If the comment does not exist.
    pub fn edit_comment(&mut self, repo: &str, id: u64, body: &str) -> String {
        let now = self.now;
        let Some(comment) = self.repo_or_panic(repo).comments.get_mut(&id) else {
            panic!("edit_comment: no comment {id} in {repo}");
        };
        comment.updated_at = now;
        std::mem::replace(&mut comment.body, body.to_string())
    }

    /// Adds labels to issue/PR `number`, creating missing repository labels.
    pub fn add_labels(&mut self, repo: &str, number: u64, labels: &[&str]) {
        for label in labels {
            self.ensure_label(repo, label);
        }
        let now = self.now;
        if let Some(issue) = self.repo_or_panic(repo).issues.get_mut(&number) {
            for label in labels {
                if !issue.labels.iter().any(|existing| existing == label) {
                    issue.labels.push((*label).to_string());
                }
            }
            issue.updated_at = now;
        }
    }

    /// Creates repository label `name` if it does not exist.
    pub fn ensure_label(&mut self, repo: &str, name: &str) -> u64 {
        if let Some(label) = self.repo_or_panic(repo).labels.get(name) {
            return label.id;
        }
        let id = self.next_id();
        self.repo_or_panic(repo).labels.insert(
            name.to_string(),
            Label {
                id,
                name: name.to_string(),
                color: "ededed".to_string(),
                description: None,
                default: false,
            },
        );
        id
    }
}
