//! The state of the fake GitHub: users, installations, repositories and
//! everything in them. Tests build it with the helpers here, the HTTP server
//! reads and changes it, and tests assert on it afterwards.
//!
//! The helpers are for test set-up: they panic with a clear message when asked
//! for something that does not exist (a repository that was never added), the
//! same way an `assert!` would. The HTTP handlers never use the panicking
//! helpers; they answer 404/422 as GitHub does.
//!
//! The model is split by resource, with the same module names as the HTTP
//! routes in `server/`: this module holds [`World`] and [`Repo`] (the
//! containers), ids, the clock and accounts; each submodule holds the types of
//! one resource and the `World`/`Repo` methods that build and query them.

mod access;
mod app;
mod checks;
mod deployments;
mod git;
mod issues;
mod oauth;
mod pulls;
mod releases;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeZone, Utc};

use crate::{APP_ID, APP_SLUG, CLIENT_ID};

pub use access::{Permission, RepoHandle, Team, TeamMembership};
pub use app::{AppInfo, HookDelivery, Installation, InstallationToken, ManifestApp};
pub use checks::{CheckApp, CheckOutput, CheckRun, CheckSuite, CommitStatus};
pub use deployments::{Deployment, DeploymentStatus, ProtectionRuleReview};
pub(crate) use git::NewCommit;
pub use git::{Commit, GitActor, TreeEntry};
pub use issues::{
    Issue, IssueComment, IssueState, Label, PullRequest, REACTION_CONTENTS, Reaction,
    ReactionSubject,
};
pub use oauth::{OAuth, OAuthCode, OAuthError, UserToken};
pub use pulls::{Review, ReviewComment, ReviewState};
pub use releases::Release;

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
    /// Signing in with GitHub: the App's OAuth settings, the browser, codes and user tokens.
    pub oauth: OAuth,
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
                client_id: CLIENT_ID.to_string(),
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
            oauth: OAuth::default(),
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
}
