//! The state of the fake GitHub: users, installations, repositories and
//! everything in them. Tests build it with the helpers here, the HTTP server
//! reads and changes it, and tests assert on it afterwards.
//!
//! The helpers are for test set-up: they panic with a clear message when asked
//! for something that does not exist (a repository that was never added), the
//! same way an `assert!` would. The HTTP handlers never use the panicking
//! helpers; they answer 404/422 as GitHub does.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::objects::{self, MODE_FILE, MODE_TREE, RawCommit, RawTreeEntry};
use crate::{APP_ID, APP_SLUG};

/// A point in time; every timestamp in the sim is UTC.
pub type Timestamp = DateTime<Utc>;

/// The login of the App's bot user: what comments made with an installation
/// token are authored by.
pub fn bot_login() -> String {
    format!("{APP_SLUG}[bot]")
}

/// What kind of account a login is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    User,
    Bot,
    Organization,
}

impl UserKind {
    /// The `type` GitHub puts on the account.
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::User => "User",
            UserKind::Bot => "Bot",
            UserKind::Organization => "Organization",
        }
    }
}

/// An account: a person, a bot or an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub kind: UserKind,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A repository role, weakest first so roles compare by strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Permission {
    /// The fine-grained role, as in `role_name`.
    pub fn role_name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Triage => "triage",
            Permission::Write => "write",
            Permission::Maintain => "maintain",
            Permission::Admin => "admin",
        }
    }

    /// The legacy coarse permission GitHub reports in `permission`: maintain
    /// reads as write and triage as read.
    pub fn legacy_name(self) -> &'static str {
        match self {
            Permission::Read | Permission::Triage => "read",
            Permission::Write | Permission::Maintain => "write",
            Permission::Admin => "admin",
        }
    }

    /// Parses a role name (`admin`, `maintain`, `write`, `triage`, `read`), also
    /// accepting the legacy aliases `push` and `pull`.
    pub fn parse(name: &str) -> Option<Permission> {
        match name {
            "read" | "pull" => Some(Permission::Read),
            "triage" => Some(Permission::Triage),
            "write" | "push" => Some(Permission::Write),
            "maintain" => Some(Permission::Maintain),
            "admin" => Some(Permission::Admin),
            _ => None,
        }
    }
}

/// An installation of the App on an account.
#[derive(Debug, Clone, PartialEq)]
pub struct Installation {
    pub id: u64,
    /// Login of the account the App is installed on.
    pub account: String,
    /// Full names (`owner/name`) of the repositories the installation can see.
    pub repositories: BTreeSet<String>,
    /// `all` or `selected`.
    pub repository_selection: String,
    pub permissions: BTreeMap<String, String>,
    pub events: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An installation access token handed out by the sim.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallationToken {
    pub token: String,
    pub installation_id: u64,
    /// Wall-clock expiry: the client compares it with its own clock.
    pub expires_at: Timestamp,
    /// Set by `Fault::ExpireTokens`: the token is refused from then on.
    pub revoked: bool,
    /// When the token was narrowed to some repositories at creation.
    pub repositories: Option<BTreeSet<String>>,
}

/// The author or committer of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitActor {
    /// The GitHub account the email belongs to, if any.
    pub login: Option<String>,
    pub name: String,
    pub email: String,
    pub date: Timestamp,
}

impl GitActor {
    fn signature(&self) -> String {
        format!(
            "{} <{}> {} +0000",
            self.name,
            self.email,
            self.date.timestamp()
        )
    }
}

/// A commit in a repository's graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author: GitActor,
    pub committer: GitActor,
    /// The full file set at this commit: path -> contents.
    pub tree: BTreeMap<String, String>,
    /// The git id of the root tree.
    pub tree_sha: String,
    /// What `verification.verified` says (true for commits the App made).
    pub verified: bool,
}

/// What a new commit is made of, besides its tree.
#[derive(Debug, Clone)]
pub(crate) struct NewCommit {
    pub(crate) parents: Vec<String>,
    pub(crate) message: String,
    pub(crate) author: GitActor,
    pub(crate) committer: GitActor,
    pub(crate) verified: bool,
}

impl NewCommit {
    /// An unsigned commit authored and committed by `actor`.
    fn new(parents: Vec<String>, message: &str, actor: GitActor) -> NewCommit {
        NewCommit {
            parents,
            message: message.to_string(),
            author: actor.clone(),
            committer: actor,
            verified: false,
        }
    }
}

/// One entry of a stored tree object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub name: String,
    pub mode: String,
    /// The blob id, or the sub-tree id for directories.
    pub sha: String,
}

impl TreeEntry {
    pub fn is_tree(&self) -> bool {
        self.mode == MODE_TREE
    }
}

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

/// A review comment: a comment on a line of a pull request's diff (the "Files changed" tab).
/// GitHub keeps these apart from issue comments: their own ids, routes and reactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    pub id: u64,
    pub pull_number: u64,
    /// The review the comment belongs to (a lone comment gets a review of its own).
    pub review_id: u64,
    pub user: String,
    pub body: String,
    /// The file and line (of the PR's head) the comment is on.
    pub path: String,
    pub line: u64,
    pub commit_id: String,
    /// The comment this one answers in its thread.
    pub in_reply_to: Option<u64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The verdict of a pull request review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Commented,
    Approved,
    ChangesRequested,
}

impl ReviewState {
    /// The state as webhooks write it (the REST API upper-cases it).
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Commented => "commented",
            ReviewState::Approved => "approved",
            ReviewState::ChangesRequested => "changes_requested",
        }
    }
}

/// A submitted pull request review. Its body is optional: a review without a summary (an
/// approval, or the review GitHub makes around a lone review comment) has `body: null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: u64,
    pub pull_number: u64,
    pub user: String,
    pub body: Option<String>,
    pub state: ReviewState,
    pub commit_id: String,
    pub submitted_at: Timestamp,
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

/// A GitHub release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    pub target_commitish: String,
    pub name: Option<String>,
    pub body: Option<String>,
    pub draft: bool,
    pub prerelease: bool,
    pub author: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `None` while a draft.
    pub published_at: Option<Timestamp>,
}

/// A commit status (the Statuses API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    pub id: u64,
    pub sha: String,
    pub context: String,
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    pub description: Option<String>,
    pub target_url: Option<String>,
    pub creator: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The GitHub App that owns a check run or suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckApp {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub owner: String,
}

impl CheckApp {
    /// Our App (relman).
    pub fn relman() -> CheckApp {
        CheckApp {
            id: APP_ID,
            slug: APP_SLUG.to_string(),
            name: "relman (test)".to_string(),
            owner: "relman-dev".to_string(),
        }
    }

    /// GitHub Actions, which reports most CI check runs.
    pub fn github_actions() -> CheckApp {
        CheckApp {
            id: 15368,
            slug: "github-actions".to_string(),
            name: "GitHub Actions".to_string(),
            owner: "github".to_string(),
        }
    }
}

/// The output of a check run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckOutput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    /// Every annotation sent, in order (GitHub appends them across updates).
    pub annotations: Vec<Value>,
}

/// A check run.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub id: u64,
    pub head_sha: String,
    pub name: String,
    /// `queued`, `in_progress`, `completed`, `waiting`, `requested`, `pending`.
    pub status: String,
    pub conclusion: Option<String>,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub output: CheckOutput,
    pub details_url: Option<String>,
    pub external_id: Option<String>,
    pub app: CheckApp,
    pub check_suite_id: u64,
}

/// A check suite: the check runs one App reported on one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSuite {
    pub id: u64,
    pub head_sha: String,
    pub head_branch: Option<String>,
    pub app: CheckApp,
    pub created_at: Timestamp,
}

/// A deployment status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStatus {
    pub id: u64,
    pub state: String,
    pub description: String,
    pub environment: String,
    pub target_url: String,
    pub log_url: String,
    pub environment_url: String,
    pub creator: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    /// The ref the deployment was requested for (branch, tag or sha).
    pub git_ref: String,
    pub task: String,
    pub payload: Value,
    pub environment: String,
    pub original_environment: String,
    pub description: Option<String>,
    pub creator: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub transient_environment: bool,
    pub production_environment: bool,
    pub via_app: bool,
    /// Oldest first.
    pub statuses: Vec<DeploymentStatus>,
}

/// An answer relman gave to a custom deployment protection rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionRuleReview {
    pub repo: String,
    pub run_id: u64,
    pub environment_name: String,
    /// `approved` or `rejected`.
    pub state: String,
    pub comment: Option<String>,
    pub installation_id: u64,
    pub at: Timestamp,
}

/// A team in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: u64,
    pub org: String,
    pub slug: String,
    pub name: String,
    /// login -> membership.
    pub members: BTreeMap<String, TeamMembership>,
}

/// A user's membership of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMembership {
    /// `member` or `maintainer`.
    pub role: String,
    /// `active` or `pending`.
    pub state: String,
}

/// A webhook delivery of the App, as listed by `GET /app/hook/deliveries`.
#[derive(Debug, Clone, PartialEq)]
pub struct HookDelivery {
    pub id: u64,
    pub guid: String,
    pub delivered_at: Timestamp,
    pub redelivery: bool,
    pub duration: f64,
    /// e.g. `OK`, `Invalid HTTP Response: 503`, `timed out`.
    pub status: String,
    pub status_code: u16,
    pub event: String,
    pub action: Option<String>,
    pub installation_id: Option<u64>,
    pub repository_id: Option<u64>,
    /// The payload that was sent, so a test harness can resend it.
    pub payload: Value,
}

/// The credentials GitHub hands back when an App manifest is converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestApp {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub owner: String,
    pub client_id: String,
    pub client_secret: String,
    pub webhook_secret: String,
    pub pem: String,
    pub created_at: Timestamp,
}

/// The App itself, as `GET /app` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppInfo {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub owner: String,
    pub description: String,
    pub client_id: String,
    pub permissions: BTreeMap<String, String>,
    pub events: Vec<String>,
    pub created_at: Timestamp,
}

/// A repository and everything in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub description: Option<String>,
    pub default_branch: String,
    pub created_at: Timestamp,
    pub pushed_at: Timestamp,
    pub commits: HashMap<String, Commit>,
    pub branches: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    /// Tag names in creation order (`GET /tags` lists newest first).
    pub tag_order: Vec<String>,
    pub blobs: HashMap<String, String>,
    pub trees: HashMap<String, Vec<TreeEntry>>,
    pub issues: BTreeMap<u64, Issue>,
    pub comments: BTreeMap<u64, IssueComment>,
    pub review_comments: BTreeMap<u64, ReviewComment>,
    pub reviews: BTreeMap<u64, Review>,
    pub reactions: Vec<Reaction>,
    pub labels: BTreeMap<String, Label>,
    pub releases: BTreeMap<u64, Release>,
    pub statuses: Vec<CommitStatus>,
    pub check_runs: BTreeMap<u64, CheckRun>,
    pub check_suites: BTreeMap<u64, CheckSuite>,
    pub deployments: BTreeMap<u64, Deployment>,
    pub collaborators: BTreeMap<String, Permission>,
    next_number: u64,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Points branch `name` at `sha`. Open pull requests from that branch follow it, as on
    /// GitHub, where a push (or force-push) to a PR's branch is the PR's new head.
    pub fn set_branch(&mut self, name: &str, sha: &str) {
        self.branches.insert(name.to_string(), sha.to_string());
        for issue in self.issues.values_mut() {
            if issue.state == IssueState::Open
                && let Some(pull) = issue.pull_request.as_mut()
                && pull.head_ref == name
            {
                pull.head_sha = sha.to_string();
            }
        }
    }

    /// Resolves a revision the way the REST API does: a full or abbreviated
    /// sha, a branch, a tag, or `heads/x`, `tags/x`, `refs/heads/x`, `refs/tags/x`.
    pub fn resolve(&self, rev: &str) -> Option<String> {
        if self.commits.contains_key(rev) {
            return Some(rev.to_string());
        }
        // `HEAD` is the default branch's head, as in the bare repository GitHub serves from.
        if rev == "HEAD" {
            return self.branches.get(&self.default_branch).cloned();
        }
        let rev = rev.strip_prefix("refs/").unwrap_or(rev);
        if let Some(branch) = rev.strip_prefix("heads/") {
            return self.branches.get(branch).cloned();
        }
        if let Some(tag) = rev.strip_prefix("tags/") {
            return self.tags.get(tag).cloned();
        }
        if let Some(sha) = self.branches.get(rev).or_else(|| self.tags.get(rev)) {
            return Some(sha.clone());
        }
        let is_hex = rev.len() >= 7 && rev.len() < 40 && rev.chars().all(|c| c.is_ascii_hexdigit());
        if is_hex {
            let mut matching = self.commits.keys().filter(|sha| sha.starts_with(rev));
            if let (Some(only), None) = (matching.next(), matching.next()) {
                return Some(only.clone());
            }
        }
        None
    }

    /// The commit `sha`, if it exists.
    pub fn commit(&self, sha: &str) -> Option<&Commit> {
        self.commits.get(sha)
    }

    /// Every commit reachable from `sha` (itself included).
    pub fn ancestors(&self, sha: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([sha.to_string()]);
        while let Some(next) = queue.pop_front() {
            if !seen.insert(next.clone()) {
                continue;
            }
            if let Some(commit) = self.commits.get(&next) {
                queue.extend(commit.parents.iter().cloned());
            }
        }
        seen
    }

    /// Whether `ancestor` is reachable from `descendant`.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        self.ancestors(descendant).contains(ancestor)
    }

    /// Commits reachable from `head` but not from `base`, parents before
    /// children (the order of `compare`'s `commits`).
    pub fn commits_between(&self, base: &str, head: &str) -> Vec<String> {
        let excluded = self.ancestors(base);
        let mut ordered = Vec::new();
        let mut visited = HashSet::new();
        // Iterative post-order walk from head, first parents first, so the
        // output is topological (a commit after all its parents).
        let mut stack: Vec<(String, bool)> = vec![(head.to_string(), false)];
        while let Some((sha, expanded)) = stack.pop() {
            if expanded {
                ordered.push(sha);
                continue;
            }
            if excluded.contains(&sha) || !visited.insert(sha.clone()) {
                continue;
            }
            stack.push((sha.clone(), true));
            if let Some(commit) = self.commits.get(&sha) {
                for parent in commit.parents.iter().rev() {
                    stack.push((parent.clone(), false));
                }
            }
        }
        ordered
    }

    /// The best common ancestor of two commits (the newest by committer date).
    ///
    /// Linear in the history: a common ancestor is "best" unless it is a proper ancestor of
    /// another, and every ancestor of a common ancestor is common, so the ones that are not best
    /// are exactly those reachable from a common ancestor's parents (one walk, not one per pair;
    /// a pull request is rendered with this, and a list renders each).
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let from_a = self.ancestors(a);
        let common: Vec<String> = self
            .ancestors(b)
            .into_iter()
            .filter(|sha| from_a.contains(sha))
            .collect();
        let mut below = HashSet::new();
        let mut queue: VecDeque<&String> = common
            .iter()
            .filter_map(|sha| self.commits.get(sha))
            .flat_map(|commit| commit.parents.iter())
            .collect();
        while let Some(sha) = queue.pop_front() {
            if below.insert(sha.as_str())
                && let Some(commit) = self.commits.get(sha)
            {
                queue.extend(commit.parents.iter());
            }
        }
        common
            .iter()
            .filter(|candidate| !below.contains(candidate.as_str()))
            .max_by_key(|sha| {
                self.commits
                    .get(sha.as_str())
                    .map(|commit| (commit.committer.date, (*sha).clone()))
            })
            .cloned()
    }

    /// The issue or PR `number`.
    pub fn issue(&self, number: u64) -> Option<&Issue> {
        self.issues.get(&number)
    }

    /// The PR `number` (None for a plain issue).
    pub fn pull(&self, number: u64) -> Option<(&Issue, &PullRequest)> {
        let issue = self.issues.get(&number)?;
        issue.pull_request.as_ref().map(|pull| (issue, pull))
    }

    /// The comments on issue/PR `number`, oldest first.
    pub fn comments_on(&self, number: u64) -> Vec<&IssueComment> {
        self.comments
            .values()
            .filter(|comment| comment.issue_number == number)
            .collect()
    }

    /// The review comments on PR `number`, oldest first.
    pub fn review_comments_on(&self, number: u64) -> Vec<&ReviewComment> {
        self.review_comments
            .values()
            .filter(|comment| comment.pull_number == number)
            .collect()
    }

    /// Reactions on a subject, oldest first.
    pub fn reactions_on(&self, subject: ReactionSubject) -> Vec<&Reaction> {
        self.reactions
            .iter()
            .filter(|reaction| reaction.subject == subject)
            .collect()
    }

    /// The release with tag `tag`.
    pub fn release_by_tag(&self, tag: &str) -> Option<&Release> {
        self.releases
            .values()
            .find(|release| release.tag_name == tag)
    }

    /// The annotations stored on check run `id`.
    pub fn annotations(&self, check_run_id: u64) -> &[Value] {
        self.check_runs
            .get(&check_run_id)
            .map(|run| run.output.annotations.as_slice())
            .unwrap_or(&[])
    }

    /// The next issue/PR number (one number space per repository).
    pub(crate) fn take_number(&mut self) -> u64 {
        self.next_number += 1;
        self.next_number
    }

    /// Files of `path` as a directory listing at a tree, or the tree id of a
    /// sub-directory.
    pub(crate) fn subtree_sha(&self, root: &str, dir: &str) -> Option<String> {
        let mut current = root.to_string();
        for part in dir.split('/').filter(|part| !part.is_empty()) {
            let entries = self.trees.get(&current)?;
            let entry = entries
                .iter()
                .find(|entry| entry.name == part && entry.is_tree())?;
            current = entry.sha.clone();
        }
        Some(current)
    }

    /// Flattens tree `sha` into path -> (mode, blob id).
    pub(crate) fn flatten_tree(&self, sha: &str) -> Option<BTreeMap<String, (String, String)>> {
        let mut files = BTreeMap::new();
        let mut pending = vec![(String::new(), sha.to_string())];
        while let Some((prefix, tree)) = pending.pop() {
            for entry in self.trees.get(&tree)? {
                let path = format!("{prefix}{}", entry.name);
                if entry.is_tree() {
                    pending.push((format!("{path}/"), entry.sha.clone()));
                } else {
                    files.insert(path, (entry.mode.clone(), entry.sha.clone()));
                }
            }
        }
        Some(files)
    }

    /// Stores the tree objects for a flat file set and returns the root id.
    pub(crate) fn store_tree(&mut self, files: &BTreeMap<String, (String, String)>) -> String {
        /// A file still to place: its remaining path components.
        struct Pending<'a> {
            parts: Vec<&'a str>,
            mode: &'a str,
            sha: &'a str,
        }

        // Builds the tree of `files`, storing sub-trees first (depth first).
        fn build(repo: &mut Repo, files: Vec<Pending<'_>>) -> String {
            let mut entries: Vec<TreeEntry> = Vec::new();
            let mut dirs: BTreeMap<&str, Vec<Pending<'_>>> = BTreeMap::new();
            for file in files {
                match file.parts.as_slice() {
                    [] => {}
                    [name] => entries.push(TreeEntry {
                        name: (*name).to_string(),
                        mode: file.mode.to_string(),
                        sha: file.sha.to_string(),
                    }),
                    [dir, rest @ ..] => dirs.entry(dir).or_default().push(Pending {
                        parts: rest.to_vec(),
                        mode: file.mode,
                        sha: file.sha,
                    }),
                }
            }
            for (dir, children) in dirs {
                let sha = build(repo, children);
                entries.push(TreeEntry {
                    name: dir.to_string(),
                    mode: MODE_TREE.to_string(),
                    sha,
                });
            }
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            let raw: Vec<RawTreeEntry<'_>> = entries
                .iter()
                .map(|entry| RawTreeEntry {
                    mode: &entry.mode,
                    name: &entry.name,
                    sha: &entry.sha,
                })
                .collect();
            let sha = objects::tree_sha(&raw);
            repo.trees.insert(sha.clone(), entries);
            sha
        }

        let pending = files
            .iter()
            .map(|(path, (mode, sha))| Pending {
                parts: path.split('/').filter(|part| !part.is_empty()).collect(),
                mode,
                sha,
            })
            .collect();
        build(self, pending)
    }

    /// Stores `content` as a blob and returns its id.
    pub(crate) fn store_blob(&mut self, content: &str) -> String {
        let sha = objects::blob_sha(content.as_bytes());
        self.blobs.insert(sha.clone(), content.to_string());
        sha
    }

    /// The path -> contents map of tree `sha`.
    pub(crate) fn tree_contents(&self, sha: &str) -> Option<BTreeMap<String, String>> {
        let flat = self.flatten_tree(sha)?;
        flat.into_iter()
            .map(|(path, (_, blob))| self.blobs.get(&blob).map(|content| (path, content.clone())))
            .collect()
    }
}

/// The whole fake GitHub.
#[derive(Debug, Clone)]
pub struct World {
    /// The sim's clock: every timestamp GitHub would set comes from here.
    /// JWT and token validity use the real wall clock instead (the client signs
    /// and caches with real time).
    pub now: Timestamp,
    /// Lifetime of installation tokens (GitHub: one hour).
    pub token_ttl: chrono::Duration,
    /// Base of API URLs in responses and payloads ("http://127.0.0.1:PORT"
    /// once served; "https://api.github.com" for a standalone World).
    pub api_url: String,
    /// Base of `html_url`s.
    pub html_url: String,
    pub app: AppInfo,
    pub users: BTreeMap<String, User>,
    pub installations: BTreeMap<u64, Installation>,
    pub repos: BTreeMap<String, Repo>,
    pub tokens: HashMap<String, InstallationToken>,
    /// (org, team slug) -> team.
    pub teams: BTreeMap<(String, String), Team>,
    /// Oldest first.
    pub deliveries: Vec<HookDelivery>,
    /// Delivery ids the App asked GitHub to redeliver, in order.
    pub redelivery_requests: Vec<u64>,
    /// One-time manifest codes -> the App they convert to.
    pub manifest_conversions: HashMap<String, ManifestApp>,
    pub protection_rule_reviews: Vec<ProtectionRuleReview>,
    next_id: u64,
    commit_sequence: u64,
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

/// The default clock: Monday 2026-01-05 09:00 UTC, the day before the first
/// release Tuesday of the design's example schedule.
pub fn default_now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

impl World {
    /// An empty world with the App's bot user and owner.
    pub fn new() -> World {
        let now = default_now();
        let permissions: BTreeMap<String, String> = [
            ("checks", "write"),
            ("contents", "write"),
            ("deployments", "write"),
            ("issues", "write"),
            ("members", "read"),
            ("metadata", "read"),
            ("pull_requests", "write"),
            ("statuses", "read"),
            ("actions", "read"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let events = [
            "check_run",
            "check_suite",
            "create",
            "deployment",
            "deployment_protection_rule",
            "deployment_status",
            "issue_comment",
            "issues",
            "pull_request",
            "pull_request_review",
            "pull_request_review_comment",
            "push",
            "release",
            "status",
        ]
        .into_iter()
        .map(str::to_string)
        .collect();
        let mut world = World {
            now,
            token_ttl: chrono::Duration::hours(1),
            api_url: "https://api.github.com".to_string(),
            html_url: "https://github.com".to_string(),
            app: AppInfo {
                id: APP_ID,
                slug: APP_SLUG.to_string(),
                name: "relman (test)".to_string(),
                owner: "relman-dev".to_string(),
                description: "Runs the release train.".to_string(),
                client_id: "Iv23liRelmanTest0001".to_string(),
                permissions,
                events,
                created_at: now - chrono::Duration::days(30),
            },
            users: BTreeMap::new(),
            installations: BTreeMap::new(),
            repos: BTreeMap::new(),
            tokens: HashMap::new(),
            teams: BTreeMap::new(),
            deliveries: Vec::new(),
            redelivery_requests: Vec::new(),
            manifest_conversions: HashMap::new(),
            protection_rule_reviews: Vec::new(),
            next_id: 1000,
            commit_sequence: 0,
        };
        world.add_user(&bot_login(), UserKind::Bot);
        world.add_user("relman-dev", UserKind::Organization);
        world.add_user("web-flow", UserKind::User);
        world
    }

    /// A fresh id; ids only ever increase.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, by: chrono::Duration) {
        self.now += by;
    }

    /// The absolute API URL of `path` (which starts with '/').
    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
    }

    /// The absolute web URL of `path` (which starts with '/').
    pub fn html(&self, path: &str) -> String {
        format!("{}{path}", self.html_url)
    }

    /// Adds an account (or returns the id of the existing one).
    pub fn add_user(&mut self, login: &str, kind: UserKind) -> u64 {
        if let Some(user) = self.users.get(login) {
            return user.id;
        }
        let id = self.next_id();
        self.users.insert(
            login.to_string(),
            User {
                id,
                login: login.to_string(),
                kind,
                name: None,
                email: None,
            },
        );
        id
    }

    /// Makes sure `login` exists, as a `User` if it has to be created.
    pub fn ensure_user(&mut self, login: &str) -> u64 {
        let kind = if login.ends_with("[bot]") {
            UserKind::Bot
        } else {
            UserKind::User
        };
        self.add_user(login, kind)
    }

    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.get(login)
    }

    /// Installs the App on `account` under a fresh id.
    pub fn add_installation(&mut self, account: &str) -> u64 {
        let id = self.next_id();
        self.add_installation_with_id(id, account)
    }

    /// Installs the App on `account` under `id` (e.g. 77 to match fixtures).
    /// Returns `id`. Installing again under the same id keeps its repositories.
    pub fn add_installation_with_id(&mut self, id: u64, account: &str) -> u64 {
        if !self.users.contains_key(account) {
            self.add_user(account, UserKind::Organization);
        }
        let now = self.now;
        let permissions = self.app.permissions.clone();
        let events = self.app.events.clone();
        self.installations
            .entry(id)
            .or_insert_with(|| Installation {
                id,
                account: account.to_string(),
                repositories: BTreeSet::new(),
                repository_selection: "selected".to_string(),
                permissions,
                events,
                created_at: now,
                updated_at: now,
            });
        // Keep generated ids above explicit ones so they stay unique.
        self.next_id = self.next_id.max(id);
        id
    }

    /// The installation that can see repository `full_name`.
    pub fn installation_for(&self, full_name: &str) -> Option<&Installation> {
        self.installations
            .values()
            .find(|installation| installation.repositories.contains(full_name))
    }

    /// Adds a repository with an initial commit (a README) on `main`, installs
    /// the App on it (reusing an installation on the owner, if any) and returns
    /// a handle to adjust it. Adding a repository that exists returns a handle
    /// on it unchanged.
    ///
    /// # Panics
    /// If `full_name` is not `owner/name`.
    pub fn add_repo(&mut self, full_name: &str) -> RepoHandle<'_> {
        let Some((owner, name)) = full_name.split_once('/') else {
            panic!("add_repo: {full_name:?} is not owner/name");
        };
        if self.repos.contains_key(full_name) {
            return RepoHandle {
                world: self,
                full_name: full_name.to_string(),
            };
        }
        if !self.users.contains_key(owner) {
            self.add_user(owner, UserKind::Organization);
        }
        let id = self.next_id();
        let now = self.now;
        let repo = Repo {
            id,
            owner: owner.to_string(),
            name: name.to_string(),
            private: false,
            description: None,
            default_branch: "main".to_string(),
            created_at: now,
            pushed_at: now,
            commits: HashMap::new(),
            branches: BTreeMap::new(),
            tags: BTreeMap::new(),
            tag_order: Vec::new(),
            blobs: HashMap::new(),
            trees: HashMap::new(),
            issues: BTreeMap::new(),
            comments: BTreeMap::new(),
            review_comments: BTreeMap::new(),
            reviews: BTreeMap::new(),
            reactions: Vec::new(),
            labels: BTreeMap::new(),
            releases: BTreeMap::new(),
            statuses: Vec::new(),
            check_runs: BTreeMap::new(),
            check_suites: BTreeMap::new(),
            deployments: BTreeMap::new(),
            collaborators: BTreeMap::new(),
            next_number: 0,
        };
        self.repos.insert(full_name.to_string(), repo);
        let installation = match self
            .installations
            .values()
            .find(|installation| installation.account == owner)
        {
            Some(installation) => installation.id,
            None => self.add_installation(owner),
        };
        if let Some(installation) = self.installations.get_mut(&installation) {
            installation.repositories.insert(full_name.to_string());
        }
        self.commit(
            full_name,
            "main",
            "Initial commit",
            &[("README.md", &format!("# {name}\n"))],
        );
        RepoHandle {
            world: self,
            full_name: full_name.to_string(),
        }
    }

    /// The repository `full_name`.
    pub fn repo(&self, full_name: &str) -> Option<&Repo> {
        self.repos.get(full_name)
    }

    pub fn repo_mut(&mut self, full_name: &str) -> Option<&mut Repo> {
        self.repos.get_mut(full_name)
    }

    fn repo_or_panic(&mut self, full_name: &str) -> &mut Repo {
        match self.repos.get_mut(full_name) {
            Some(repo) => repo,
            None => panic!("github-sim: no repository {full_name:?}; add it with add_repo"),
        }
    }

    /// Resolves `rev` in `repo` (see [`Repo::resolve`]).
    pub fn resolve(&self, repo: &str, rev: &str) -> Option<String> {
        self.repos.get(repo)?.resolve(rev)
    }

    fn git_actor(&self, login: &str, date: Timestamp) -> GitActor {
        let id = self
            .users
            .get(login)
            .map(|user| user.id)
            .unwrap_or_default();
        let name = self
            .users
            .get(login)
            .and_then(|user| user.name.clone())
            .unwrap_or_else(|| login.to_string());
        GitActor {
            login: Some(login.to_string()),
            name,
            email: format!("{id}+{login}@users.noreply.github.com"),
            date,
        }
    }

    /// Commits `files` (path, contents) on top of `branch` (creating the branch
    /// if it does not exist yet), authored by "octocat". Returns the sha.
    ///
    /// # Panics
    /// If the repository does not exist.
    pub fn commit(
        &mut self,
        repo: &str,
        branch: &str,
        message: &str,
        files: &[(&str, &str)],
    ) -> String {
        self.commit_as(repo, branch, "octocat", message, files)
    }

    /// Like [`World::commit`], authored and committed by `author`.
    pub fn commit_as(
        &mut self,
        repo: &str,
        branch: &str,
        author: &str,
        message: &str,
        files: &[(&str, &str)],
    ) -> String {
        self.ensure_user(author);
        let actor = self.git_actor(author, self.now);
        let parent = self.repo_or_panic(repo).branches.get(branch).cloned();
        let mut tree = match &parent {
            Some(parent) => self.repo_or_panic(repo).commits[parent].tree.clone(),
            None => BTreeMap::new(),
        };
        for (path, content) in files {
            tree.insert((*path).to_string(), (*content).to_string());
        }
        let sha = self.write_commit(
            repo,
            tree,
            NewCommit::new(parent.into_iter().collect(), message, actor),
        );
        let now = self.now;
        let repo = self.repo_or_panic(repo);
        repo.set_branch(branch, &sha);
        repo.pushed_at = now;
        sha
    }

    /// Deletes `paths` on `branch` in a new commit. Returns the sha.
    pub fn delete_files(
        &mut self,
        repo: &str,
        branch: &str,
        message: &str,
        paths: &[&str],
    ) -> String {
        let actor = self.git_actor("octocat", self.now);
        self.ensure_user("octocat");
        let parent = self.repo_or_panic(repo).branches.get(branch).cloned();
        let mut tree = match &parent {
            Some(parent) => self.repo_or_panic(repo).commits[parent].tree.clone(),
            None => BTreeMap::new(),
        };
        for path in paths {
            tree.remove(*path);
        }
        let sha = self.write_commit(
            repo,
            tree,
            NewCommit::new(parent.into_iter().collect(), message, actor),
        );
        self.repo_or_panic(repo)
            .branches
            .insert(branch.to_string(), sha.clone());
        sha
    }

    /// Writes a commit object with the given file set. Does not move any
    /// branch.
    pub(crate) fn write_commit(
        &mut self,
        repo: &str,
        tree: BTreeMap<String, String>,
        commit: NewCommit,
    ) -> String {
        let r = self.repo_or_panic(repo);
        let mut flat = BTreeMap::new();
        for (path, content) in &tree {
            let blob = r.store_blob(content);
            flat.insert(path.clone(), (MODE_FILE.to_string(), blob));
        }
        let tree_sha = r.store_tree(&flat);
        self.insert_commit(repo, tree, tree_sha, commit)
    }

    /// Writes a commit object for an existing tree (the Git data API), keeping
    /// that tree id as is.
    pub(crate) fn write_commit_for_tree(
        &mut self,
        repo: &str,
        tree_sha: &str,
        commit: NewCommit,
    ) -> Option<String> {
        let contents = self.repos.get(repo)?.tree_contents(tree_sha)?;
        Some(self.insert_commit(repo, contents, tree_sha.to_string(), commit))
    }

    fn insert_commit(
        &mut self,
        repo: &str,
        tree: BTreeMap<String, String>,
        tree_sha: String,
        commit: NewCommit,
    ) -> String {
        self.commit_sequence += 1;
        let sequence = self.commit_sequence;
        let sha = objects::commit_sha(&RawCommit {
            tree: &tree_sha,
            parents: &commit.parents,
            author: &commit.author.signature(),
            committer: &commit.committer.signature(),
            message: &commit.message,
            sequence,
        });
        self.repo_or_panic(repo).commits.insert(
            sha.clone(),
            Commit {
                sha: sha.clone(),
                parents: commit.parents,
                message: commit.message,
                author: commit.author,
                committer: commit.committer,
                tree,
                tree_sha,
                verified: commit.verified,
            },
        );
        sha
    }

    /// The git identity of the App's bot, for commits it makes.
    pub(crate) fn bot_actor(&self) -> GitActor {
        self.git_actor(&bot_login(), self.now)
    }

    /// Creates (or moves) branch `name` to `rev`. Returns the sha.
    ///
    /// # Panics
    /// If the repository or `rev` does not exist.
    pub fn create_branch(&mut self, repo: &str, name: &str, rev: &str) -> String {
        let Some(sha) = self.resolve(repo, rev) else {
            panic!("create_branch: {rev:?} does not resolve in {repo}");
        };
        self.repo_or_panic(repo)
            .branches
            .insert(name.to_string(), sha.clone());
        sha
    }

    /// Creates (or moves) lightweight tag `tag` to `rev`. Returns the sha.
    ///
    /// # Panics
    /// If the repository or `rev` does not exist.
    pub fn add_tag(&mut self, repo: &str, tag: &str, rev: &str) -> String {
        let Some(sha) = self.resolve(repo, rev) else {
            panic!("add_tag: {rev:?} does not resolve in {repo}");
        };
        self.repo_or_panic(repo).set_tag(tag, &sha);
        sha
    }

    /// Grants `login` a role on `repo` (creating the user if needed).
    pub fn add_collaborator(&mut self, repo: &str, login: &str, permission: Permission) {
        self.ensure_user(login);
        self.repo_or_panic(repo)
            .collaborators
            .insert(login.to_string(), permission);
    }

    /// The role `login` has on `repo`: explicit collaborators, and the owner
    /// account itself as admin.
    pub fn permission_of(&self, repo: &str, login: &str) -> Option<Permission> {
        let repo = self.repos.get(repo)?;
        if repo.owner == login {
            return Some(Permission::Admin);
        }
        repo.collaborators.get(login).copied()
    }

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

    /// Opens a PR from `head` into `base`. When branch `head` does not exist
    /// yet it is created from `base` with one commit adding `changes/<head>.md`,
    /// so a test can write `open_pr(repo, "alice", "Fix", "fix", "main")` and
    /// get a mergeable PR. Returns the PR number.
    ///
    /// # Panics
    /// If the repository or branch `base` does not exist.
    pub fn open_pr(
        &mut self,
        repo: &str,
        author: &str,
        title: &str,
        head: &str,
        base: &str,
    ) -> u64 {
        self.ensure_user(author);
        let Some(base_sha) = self.repo_or_panic(repo).branches.get(base).cloned() else {
            panic!("open_pr: no base branch {base:?} in {repo}");
        };
        if !self.repo_or_panic(repo).branches.contains_key(head) {
            self.create_branch(repo, head, &base_sha);
            let path = format!("changes/{}.md", head.replace('/', "-"));
            self.commit_as(repo, head, author, title, &[(&path, &format!("{title}\n"))]);
        }
        let head_sha = self.repo_or_panic(repo).branches[head].clone();
        let number = self.open_issue(repo, author, title, "");
        let pull_id = self.next_id();
        if let Some(issue) = self.repo_or_panic(repo).issues.get_mut(&number) {
            issue.pull_request = Some(PullRequest {
                id: pull_id,
                head_ref: head.to_string(),
                head_sha,
                base_ref: base.to_string(),
                base_sha,
                draft: false,
                merged_at: None,
                merged_by: None,
                merge_commit_sha: None,
            });
        }
        number
    }

    /// Merges PR `number` with a merge commit on its base branch, as the
    /// "Create a merge commit" button does: sets merged/merged_at/merged_by/
    /// merge_commit_sha and closes the PR. Returns the merge commit sha.
    ///
    /// # Panics
    /// If the PR does not exist or is already closed.
    pub fn merge_pr(&mut self, repo: &str, number: u64, merged_by: &str) -> String {
        self.ensure_user(merged_by);
        let (head_sha, head_ref, base_ref, title) = {
            let r = self.repo_or_panic(repo);
            let Some((issue, pull)) = r.pull(number) else {
                panic!("merge_pr: #{number} is not a PR of {repo}");
            };
            assert!(
                issue.state == IssueState::Open,
                "merge_pr: #{number} of {repo} is not open"
            );
            (
                pull.head_sha.clone(),
                pull.head_ref.clone(),
                pull.base_ref.clone(),
                issue.title.clone(),
            )
        };
        let base_sha = self.repo_or_panic(repo).branches[&base_ref].clone();
        // Three-way merge of file sets: the head's changes since the merge
        // base win over the base branch's tip.
        let merged_tree = {
            let r = self.repo_or_panic(repo);
            let merge_base = r.merge_base(&base_sha, &head_sha);
            let ancestor_tree = merge_base
                .and_then(|sha| r.commits.get(&sha).map(|c| c.tree.clone()))
                .unwrap_or_default();
            let mut tree = r.commits[&base_sha].tree.clone();
            let head_tree = &r.commits[&head_sha].tree;
            for (path, content) in head_tree {
                if ancestor_tree.get(path) != Some(content) {
                    tree.insert(path.clone(), content.clone());
                }
            }
            for path in ancestor_tree.keys() {
                if !head_tree.contains_key(path) {
                    tree.remove(path);
                }
            }
            tree
        };
        let owner = self.repo_or_panic(repo).owner.clone();
        let message = format!("Merge pull request #{number} from {owner}/{head_ref}\n\n{title}");
        // Merges made on github.com are committed by the `web-flow` account.
        let committer = GitActor {
            login: Some("web-flow".to_string()),
            name: "GitHub".to_string(),
            email: "noreply@github.com".to_string(),
            date: self.now,
        };
        let author_actor = self.git_actor(merged_by, self.now);
        let merge_sha = self.write_commit(
            repo,
            merged_tree,
            NewCommit {
                parents: vec![base_sha, head_sha],
                message,
                author: author_actor,
                committer,
                // github.com signs the merge commits it creates.
                verified: true,
            },
        );
        let now = self.now;
        let r = self.repo_or_panic(repo);
        r.branches.insert(base_ref, merge_sha.clone());
        r.pushed_at = now;
        if let Some(issue) = r.issues.get_mut(&number) {
            issue.state = IssueState::Closed;
            issue.closed_at = Some(now);
            issue.closed_by = Some(merged_by.to_string());
            issue.updated_at = now;
            if let Some(pull) = issue.pull_request.as_mut() {
                pull.merged_at = Some(now);
                pull.merged_by = Some(merged_by.to_string());
                pull.merge_commit_sha = Some(merge_sha.clone());
            }
        }
        merge_sha
    }

    /// Closes PR `number` without merging it, as `by` does with the "Close pull request"
    /// button.
    ///
    /// # Panics
    /// If the PR does not exist or is not open.
    pub fn close_pr(&mut self, repo: &str, number: u64, by: &str) {
        self.ensure_user(by);
        let now = self.now;
        let r = self.repo_or_panic(repo);
        let Some(issue) = r.issues.get_mut(&number) else {
            panic!("close_pr: no #{number} in {repo}");
        };
        assert!(
            issue.pull_request.is_some() && issue.state == IssueState::Open,
            "close_pr: #{number} of {repo} is not an open PR"
        );
        issue.state = IssueState::Closed;
        issue.closed_at = Some(now);
        issue.closed_by = Some(by.to_string());
        issue.updated_at = now;
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

    /// `author` comments `body` on line `line` of `path` in PR `number`'s diff, as "Add single
    /// comment" does: GitHub wraps the comment in a review of its own (state `commented`, no
    /// body). Returns `(comment id, review id)`.
    ///
    /// # Panics
    /// If the repository does not exist or `number` is not one of its PRs.
    pub fn add_review_comment(
        &mut self,
        repo: &str,
        number: u64,
        author: &str,
        path: &str,
        line: u64,
        body: &str,
    ) -> (u64, u64) {
        self.ensure_user(author);
        let Some(commit_id) = self
            .repo_or_panic(repo)
            .pull(number)
            .map(|(_, pull)| pull.head_sha.clone())
        else {
            panic!("add_review_comment: #{number} is not a PR of {repo}");
        };
        let review_id = self.next_id();
        let id = self.next_id();
        let now = self.now;
        let r = self.repo_or_panic(repo);
        r.reviews.insert(
            review_id,
            Review {
                id: review_id,
                pull_number: number,
                user: author.to_string(),
                body: None,
                state: ReviewState::Commented,
                commit_id: commit_id.clone(),
                submitted_at: now,
            },
        );
        r.review_comments.insert(
            id,
            ReviewComment {
                id,
                pull_number: number,
                review_id,
                user: author.to_string(),
                body: body.to_string(),
                path: path.to_string(),
                line,
                commit_id,
                in_reply_to: None,
                created_at: now,
                updated_at: now,
            },
        );
        (id, review_id)
    }

    /// Edits review comment `id`'s body (as its author would). Returns the old body.
    ///
    /// # Panics
    /// If the review comment does not exist.
    pub fn edit_review_comment(&mut self, repo: &str, id: u64, body: &str) -> String {
        let now = self.now;
        let Some(comment) = self.repo_or_panic(repo).review_comments.get_mut(&id) else {
            panic!("edit_review_comment: no review comment {id} in {repo}");
        };
        comment.updated_at = now;
        std::mem::replace(&mut comment.body, body.to_string())
    }

    /// `author` submits a review of PR `number` with `state` and an optional summary `body`.
    /// Returns the review id.
    ///
    /// # Panics
    /// If the repository does not exist or `number` is not one of its PRs.
    pub fn submit_review(
        &mut self,
        repo: &str,
        number: u64,
        author: &str,
        state: ReviewState,
        body: Option<&str>,
    ) -> u64 {
        self.ensure_user(author);
        let Some(commit_id) = self
            .repo_or_panic(repo)
            .pull(number)
            .map(|(_, pull)| pull.head_sha.clone())
        else {
            panic!("submit_review: #{number} is not a PR of {repo}");
        };
        let id = self.next_id();
        let now = self.now;
        self.repo_or_panic(repo).reviews.insert(
            id,
            Review {
                id,
                pull_number: number,
                user: author.to_string(),
                body: body.map(str::to_string),
                state,
                commit_id,
                submitted_at: now,
            },
        );
        id
    }

    /// Edits review `id`'s summary. Returns the old one (`None`: it had none).
    ///
    /// # Panics
    /// If the review does not exist.
    pub fn edit_review(&mut self, repo: &str, id: u64, body: &str) -> Option<String> {
        let Some(review) = self.repo_or_panic(repo).reviews.get_mut(&id) else {
            panic!("edit_review: no review {id} in {repo}");
        };
        review.body.replace(body.to_string())
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

    /// Sets a commit status on `sha`. Returns the status id.
    pub fn set_status(&mut self, repo: &str, sha: &str, context: &str, state: &str) -> u64 {
        let id = self.next_id();
        let now = self.now;
        self.ensure_user("ci-bot");
        self.repo_or_panic(repo).statuses.push(CommitStatus {
            id,
            sha: sha.to_string(),
            context: context.to_string(),
            state: state.to_string(),
            description: None,
            target_url: None,
            creator: "ci-bot".to_string(),
            created_at: now,
            updated_at: now,
        });
        id
    }

    /// Creates or updates the GitHub Actions check run `name` on `sha`.
    /// `conclusion` set means completed. Returns the check run id.
    pub fn set_check_run(
        &mut self,
        repo: &str,
        sha: &str,
        name: &str,
        status: &str,
        conclusion: Option<&str>,
    ) -> u64 {
        let app = CheckApp::github_actions();
        let now = self.now;
        let existing = self
            .repo_or_panic(repo)
            .check_runs
            .values()
            .rev()
            .find(|run| run.head_sha == sha && run.name == name && run.app == app)
            .map(|run| run.id);
        if let Some(id) = existing {
            if let Some(run) = self.repo_or_panic(repo).check_runs.get_mut(&id) {
                run.status = status.to_string();
                run.conclusion = conclusion.map(str::to_string);
                run.completed_at = conclusion.map(|_| now);
            }
            return id;
        }
        let suite = self.check_suite_for(repo, sha, &app);
        let id = self.next_id();
        self.repo_or_panic(repo).check_runs.insert(
            id,
            CheckRun {
                id,
                head_sha: sha.to_string(),
                name: name.to_string(),
                status: status.to_string(),
                conclusion: conclusion.map(str::to_string),
                started_at: Some(now),
                completed_at: conclusion.map(|_| now),
                output: CheckOutput::default(),
                details_url: None,
                external_id: None,
                app,
                check_suite_id: suite,
            },
        );
        id
    }

    /// The check suite of `app` on `sha`, created if needed.
    pub(crate) fn check_suite_for(&mut self, repo: &str, sha: &str, app: &CheckApp) -> u64 {
        let existing = self
            .repo_or_panic(repo)
            .check_suites
            .values()
            .find(|suite| suite.head_sha == sha && &suite.app == app)
            .map(|suite| suite.id);
        if let Some(id) = existing {
            return id;
        }
        let id = self.next_id();
        let now = self.now;
        let r = self.repo_or_panic(repo);
        let head_branch = r
            .branches
            .iter()
            .find(|(_, tip)| tip.as_str() == sha)
            .map(|(name, _)| name.clone());
        r.check_suites.insert(
            id,
            CheckSuite {
                id,
                head_sha: sha.to_string(),
                head_branch,
                app: app.clone(),
                created_at: now,
            },
        );
        id
    }

    /// Publishes a release of `tag` at `target` (creating the tag if needed),
    /// by `author`. Returns the release id.
    pub fn add_release(&mut self, repo: &str, tag: &str, target: &str, author: &str) -> u64 {
        self.ensure_user(author);
        if !self.repo_or_panic(repo).tags.contains_key(tag) {
            self.add_tag(repo, tag, target);
        }
        let id = self.next_id();
        let now = self.now;
        self.repo_or_panic(repo).releases.insert(
            id,
            Release {
                id,
                tag_name: tag.to_string(),
                target_commitish: target.to_string(),
                name: Some(tag.to_string()),
                body: Some(String::new()),
                draft: false,
                prerelease: false,
                author: author.to_string(),
                created_at: now,
                updated_at: now,
                published_at: Some(now),
            },
        );
        id
    }

    /// Creates a deployment of `rev` to `environment` by `creator`. Returns
    /// the deployment id.
    ///
    /// # Panics
    /// If `rev` does not resolve.
    pub fn add_deployment(
        &mut self,
        repo: &str,
        rev: &str,
        environment: &str,
        creator: &str,
    ) -> u64 {
        self.ensure_user(creator);
        let Some(sha) = self.resolve(repo, rev) else {
            panic!("add_deployment: {rev:?} does not resolve in {repo}");
        };
        let id = self.next_id();
        let now = self.now;
        self.repo_or_panic(repo).deployments.insert(
            id,
            Deployment {
                id,
                sha,
                git_ref: rev.to_string(),
                task: "deploy".to_string(),
                payload: Value::Object(Default::default()),
                environment: environment.to_string(),
                original_environment: environment.to_string(),
                description: None,
                creator: creator.to_string(),
                created_at: now,
                updated_at: now,
                transient_environment: false,
                production_environment: environment == "production",
                via_app: false,
                statuses: Vec::new(),
            },
        );
        id
    }

    /// Adds a status to deployment `id`. Returns the status id.
    ///
    /// # Panics
    /// If the deployment does not exist.
    pub fn add_deployment_status(
        &mut self,
        repo: &str,
        deployment: u64,
        state: &str,
        creator: &str,
    ) -> u64 {
        self.ensure_user(creator);
        let id = self.next_id();
        let now = self.now;
        let Some(d) = self.repo_or_panic(repo).deployments.get_mut(&deployment) else {
            panic!("add_deployment_status: no deployment {deployment} in {repo}");
        };
        let environment = d.environment.clone();
        d.updated_at = now;
        d.statuses.push(DeploymentStatus {
            id,
            state: state.to_string(),
            description: String::new(),
            environment,
            target_url: String::new(),
            log_url: String::new(),
            environment_url: String::new(),
            creator: creator.to_string(),
            created_at: now,
            updated_at: now,
        });
        id
    }

    /// Adds team `slug` to `org`. Returns the team id.
    pub fn add_team(&mut self, org: &str, slug: &str) -> u64 {
        if let Some(team) = self.teams.get(&(org.to_string(), slug.to_string())) {
            return team.id;
        }
        if !self.users.contains_key(org) {
            self.add_user(org, UserKind::Organization);
        }
        let id = self.next_id();
        self.teams.insert(
            (org.to_string(), slug.to_string()),
            Team {
                id,
                org: org.to_string(),
                slug: slug.to_string(),
                name: slug.to_string(),
                members: BTreeMap::new(),
            },
        );
        id
    }

    /// Adds `login` to team `org/slug` (created if needed) as an active
    /// `member` or `maintainer`.
    pub fn add_team_member(&mut self, org: &str, slug: &str, login: &str, role: &str) {
        self.ensure_user(login);
        self.add_team(org, slug);
        if let Some(team) = self.teams.get_mut(&(org.to_string(), slug.to_string())) {
            team.members.insert(
                login.to_string(),
                TeamMembership {
                    role: role.to_string(),
                    state: "active".to_string(),
                },
            );
        }
    }

    /// Records an App webhook delivery (for the deliveries API). Returns its id.
    pub fn add_delivery(&mut self, event: &str, payload: Value, status_code: u16) -> u64 {
        let id = self.next_id();
        let action = payload
            .get("action")
            .and_then(Value::as_str)
            .map(str::to_string);
        let installation_id = payload.pointer("/installation/id").and_then(Value::as_u64);
        let repository_id = payload.pointer("/repository/id").and_then(Value::as_u64);
        self.deliveries.push(HookDelivery {
            id,
            guid: guid(id),
            delivered_at: self.now,
            redelivery: false,
            duration: 0.12,
            status: delivery_status(status_code),
            status_code,
            event: event.to_string(),
            action,
            installation_id,
            repository_id,
            payload,
        });
        id
    }

    /// Records a later attempt of delivery `of` (GitHub's redelivery: same GUID, same payload,
    /// `redelivery: true`), answered with `status_code`. Returns its id, or `None` when `of` is
    /// unknown.
    pub fn add_delivery_attempt(&mut self, of: u64, status_code: u16) -> Option<u64> {
        let original = self.deliveries.iter().find(|d| d.id == of)?.clone();
        let id = self.next_id();
        self.deliveries.push(HookDelivery {
            id,
            delivered_at: self.now,
            redelivery: true,
            status: delivery_status(status_code),
            status_code,
            ..original
        });
        Some(id)
    }

    /// Registers a one-time manifest code that converts into a new App.
    pub fn add_manifest_code(&mut self, code: &str, owner: &str) -> ManifestApp {
        if !self.users.contains_key(owner) {
            self.add_user(owner, UserKind::Organization);
        }
        let id = self.next_id();
        let app = ManifestApp {
            id,
            slug: "relman-manifest".to_string(),
            name: "relman".to_string(),
            owner: owner.to_string(),
            client_id: format!("Iv23li{id:014}"),
            client_secret: format!("{:040x}", u128::from(id) * 7919),
            webhook_secret: format!("whsec-{id}"),
            pem: crate::PRIVATE_KEY_PKCS1_PEM.to_string(),
            created_at: self.now,
        };
        self.manifest_conversions
            .insert(code.to_string(), app.clone());
        app
    }

    /// Marks every installation token as expired (`Fault::ExpireTokens`).
    pub fn expire_all_tokens(&mut self) {
        for token in self.tokens.values_mut() {
            token.revoked = true;
        }
    }
}

impl Repo {
    /// Points tag `tag` at `sha`, remembering creation order.
    pub(crate) fn set_tag(&mut self, tag: &str, sha: &str) {
        if self.tags.insert(tag.to_string(), sha.to_string()).is_none() {
            self.tag_order.push(tag.to_string());
        }
    }

    pub(crate) fn remove_tag(&mut self, tag: &str) -> Option<String> {
        self.tag_order.retain(|name| name != tag);
        self.tags.remove(tag)
    }
}

/// How GitHub's delivery log describes an answer.
fn delivery_status(status_code: u16) -> String {
    match status_code {
        0 => "timed out".to_string(),
        200..=299 => "OK".to_string(),
        _ => format!("Invalid HTTP Response: {status_code}"),
    }
}

/// A delivery GUID derived from its id (GitHub's are UUIDs).
pub(crate) fn guid(id: u64) -> String {
    let hex = format!(
        "{:032x}",
        u128::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A handle on a repository just added with [`World::add_repo`]; each method
/// applies at once and returns the handle for chaining.
pub struct RepoHandle<'a> {
    world: &'a mut World,
    full_name: String,
}

impl RepoHandle<'_> {
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    pub fn id(&self) -> u64 {
        self.world
            .repos
            .get(&self.full_name)
            .map(|repo| repo.id)
            .unwrap_or_default()
    }

    pub fn private(self, private: bool) -> Self {
        if let Some(repo) = self.world.repos.get_mut(&self.full_name) {
            repo.private = private;
        }
        self
    }

    pub fn description(self, description: &str) -> Self {
        if let Some(repo) = self.world.repos.get_mut(&self.full_name) {
            repo.description = Some(description.to_string());
        }
        self
    }

    /// Renames the initial branch and makes it the default.
    pub fn default_branch(self, name: &str) -> Self {
        if let Some(repo) = self.world.repos.get_mut(&self.full_name) {
            let old = repo.default_branch.clone();
            if let Some(sha) = repo.branches.remove(&old) {
                repo.branches.insert(name.to_string(), sha);
            }
            repo.default_branch = name.to_string();
        }
        self
    }

    /// Moves the repository to installation `id` (created on the owner if it
    /// does not exist), e.g. 77 to match the fixtures. An installation the
    /// move leaves without repositories (the one `add_repo` made) is removed.
    pub fn installation(self, id: u64) -> Self {
        let owner = self
            .full_name
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let emptied: Vec<u64> = self
            .world
            .installations
            .values_mut()
            .filter(|installation| installation.id != id)
            .filter_map(|installation| {
                let removed = installation.repositories.remove(&self.full_name);
                (removed && installation.repositories.is_empty()).then_some(installation.id)
            })
            .collect();
        for emptied in emptied {
            self.world.installations.remove(&emptied);
        }
        self.world.add_installation_with_id(id, &owner);
        if let Some(installation) = self.world.installations.get_mut(&id) {
            installation.repositories.insert(self.full_name.clone());
        }
        self
    }

    /// Removes the App from this repository.
    pub fn not_installed(self) -> Self {
        for installation in self.world.installations.values_mut() {
            installation.repositories.remove(&self.full_name);
        }
        self
    }

    pub fn collaborator(self, login: &str, permission: Permission) -> Self {
        self.world
            .add_collaborator(&self.full_name, login, permission);
        self
    }

    /// Commits `path` with `contents` on the default branch.
    pub fn file(self, path: &str, contents: &str) -> Self {
        let branch = self
            .world
            .repos
            .get(&self.full_name)
            .map(|repo| repo.default_branch.clone())
            .unwrap_or_default();
        self.world.commit(
            &self.full_name,
            &branch,
            &format!("Add {path}"),
            &[(path, contents)],
        );
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_trees_hash_like_git() {
        let mut world = World::new();
        world.add_repo("o/r");
        let repo = world.repo_mut("o/r").unwrap();
        let mut flat = BTreeMap::new();
        let hello = repo.store_blob("hello\n");
        let a = repo.store_blob("x");
        flat.insert("hello".to_string(), (MODE_FILE.to_string(), hello));
        flat.insert("d/a".to_string(), (MODE_FILE.to_string(), a));
        // `git write-tree` of the same files.
        assert_eq!(
            repo.store_tree(&flat),
            "55b7c7e95f24cf351de17177aa4457acbd1c1fbe"
        );
    }

    #[test]
    fn resolve_understands_refs_and_short_shas() {
        let mut world = World::new();
        world.add_repo("o/r");
        let sha = world.commit("o/r", "main", "second", &[("a", "1")]);
        world.add_tag("o/r", "v1.0.0", "main");
        let repo = world.repo("o/r").unwrap();
        for rev in [
            "main",
            "heads/main",
            "refs/heads/main",
            "v1.0.0",
            "tags/v1.0.0",
            &sha,
            &sha[..7],
        ] {
            assert_eq!(repo.resolve(rev).as_deref(), Some(sha.as_str()), "{rev}");
        }
        assert_eq!(repo.resolve("nope"), None);
    }

    #[test]
    fn ids_increase_and_explicit_installation_ids_are_respected() {
        let mut world = World::new();
        world.add_repo("acme/web").installation(77);
        assert_eq!(world.installation_for("acme/web").map(|i| i.id), Some(77));
        let a = world.next_id();
        let b = world.next_id();
        assert!(b > a && a > 77);
    }

    #[test]
    fn permissions_map_to_legacy_names() {
        assert_eq!(Permission::Maintain.legacy_name(), "write");
        assert_eq!(Permission::Triage.legacy_name(), "read");
        assert_eq!(Permission::Admin.legacy_name(), "admin");
        assert!(Permission::Maintain > Permission::Write);
        assert_eq!(Permission::parse("push"), Some(Permission::Write));
    }
}
