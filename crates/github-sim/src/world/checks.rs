//! Commit statuses, check runs and check suites.

use serde_json::Value;

use super::{Repo, Timestamp, World};
use crate::{APP_ID, APP_SLUG};

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

impl Repo {
    /// The annotations stored on check run `id`.
    pub fn annotations(&self, check_run_id: u64) -> &[Value] {
        self.check_runs
            .get(&check_run_id)
            .map(|run| run.output.annotations.as_slice())
            .unwrap_or(&[])
    }
}

impl World {
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
}
