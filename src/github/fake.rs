//! An in-memory GitHub for handlers' unit tests: comments and refs are kept, every other call
//! fails with "not faked", so a test sees at once when a handler reaches further than it says.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::app_port::GitHubAppPort;
use super::error::{GitHubError, GitHubResult};
use super::port::GitHubPort;
use super::rate_budget::RateBudget;
use super::rest::RestClient;
use super::types::*;

fn unfaked<T>(what: &str) -> GitHubResult<T> {
    Err(GitHubError::Setup(format!(
        "fake GitHub: {what} is not faked"
    )))
}

/// What the fake holds: comments by id (with the issue they are on) and refs by name.
#[derive(Debug, Default)]
pub struct FakeState {
    pub comments: BTreeMap<u64, (u64, Comment)>,
    pub refs: BTreeMap<String, String>,
    /// Each call, by method name, in order.
    pub calls: Vec<String>,
}

/// One repository's worth of GitHub, shared by every installation of [`FakeApp`].
#[derive(Debug, Clone, Default)]
pub struct FakeGitHub(pub Arc<Mutex<FakeState>>);

impl FakeGitHub {
    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn call(&self, name: &str) -> std::sync::MutexGuard<'_, FakeState> {
        let mut s = self.state();
        s.calls.push(name.to_string());
        s
    }

    /// The comments on `issue`, oldest first.
    pub fn comments_on(&self, issue: u64) -> Vec<Comment> {
        self.state()
            .comments
            .values()
            .filter(|(on, _)| *on == issue)
            .map(|(_, c)| c.clone())
            .collect()
    }
}

/// The App side of the fake: every installation is the same [`FakeGitHub`].
pub struct FakeApp {
    pub github: FakeGitHub,
    rate: RateBudget,
}

impl FakeApp {
    pub fn new(github: FakeGitHub) -> Self {
        FakeApp {
            github,
            rate: RateBudget::new(10),
        }
    }
}

#[async_trait]
impl GitHubAppPort for FakeApp {
    fn installation(&self, _id: u64) -> GitHubResult<Arc<dyn GitHubPort>> {
        Ok(Arc::new(self.github.clone()))
    }

    fn rate_budget(&self) -> &RateBudget {
        &self.rate
    }

    async fn installation_id_for(&self, _repo: &RepoName) -> GitHubResult<u64> {
        Ok(1)
    }

    fn app_rest(&self) -> GitHubResult<RestClient> {
        unfaked("app_rest")
    }
}

#[async_trait]
impl GitHubPort for FakeGitHub {
    async fn create_comment(
        &self,
        _repo: &RepoName,
        issue: u64,
        body: &str,
    ) -> GitHubResult<Comment> {
        let mut s = self.call("create_comment");
        let id = s.comments.keys().next_back().map_or(1, |k| k + 1);
        let comment = Comment {
            id,
            body: body.to_string(),
            user: User {
                login: "relman[bot]".into(),
                id: 1,
                kind: "Bot".into(),
            },
            html_url: format!("https://github.test/comments/{id}"),
            created_at: None,
            updated_at: None,
        };
        s.comments.insert(id, (issue, comment.clone()));
        Ok(comment)
    }

    async fn update_comment(
        &self,
        _repo: &RepoName,
        comment_id: u64,
        body: &str,
    ) -> GitHubResult<Comment> {
        let mut s = self.call("update_comment");
        match s.comments.get_mut(&comment_id) {
            Some((_, c)) => {
                c.body = body.to_string();
                Ok(c.clone())
            }
            None => Err(GitHubError::NotFound {
                route: format!("comments/{comment_id}"),
            }),
        }
    }

    async fn get_comment(
        &self,
        _repo: &RepoName,
        comment_id: u64,
    ) -> GitHubResult<Option<Comment>> {
        Ok(self
            .call("get_comment")
            .comments
            .get(&comment_id)
            .map(|(_, c)| c.clone()))
    }

    async fn list_comments(&self, _repo: &RepoName, issue: u64) -> GitHubResult<Vec<Comment>> {
        drop(self.call("list_comments"));
        Ok(self.comments_on(issue))
    }

    async fn create_ref(&self, _repo: &RepoName, full_ref: &str, sha: &str) -> GitHubResult<()> {
        let mut s = self.call("create_ref");
        let name = full_ref.trim_start_matches("refs/").to_string();
        if s.refs.contains_key(&name) {
            return Err(GitHubError::Rejected {
                route: format!("git/refs/{name}"),
                status: 422,
                message: "Reference already exists".into(),
            });
        }
        s.refs.insert(name, sha.to_string());
        Ok(())
    }

    async fn get_ref(&self, _repo: &RepoName, git_ref: &str) -> GitHubResult<Option<GitRef>> {
        Ok(self.call("get_ref").refs.get(git_ref).map(|sha| GitRef {
            name: format!("refs/{git_ref}"),
            sha: sha.clone(),
            object_type: "commit".into(),
        }))
    }

    async fn get_repo(&self, _repo: &RepoName) -> GitHubResult<Repository> {
        unfaked("get_repo")
    }

    async fn get_file(
        &self,
        _repo: &RepoName,
        _path: &str,
        _git_ref: Option<&str>,
    ) -> GitHubResult<Option<FileContent>> {
        unfaked("get_file")
    }

    async fn create_issue(&self, _repo: &RepoName, _issue: &NewIssue) -> GitHubResult<Issue> {
        unfaked("create_issue")
    }

    async fn get_issue(&self, _repo: &RepoName, _number: u64) -> GitHubResult<Issue> {
        unfaked("get_issue")
    }

    async fn update_issue(
        &self,
        _repo: &RepoName,
        _number: u64,
        _patch: &IssuePatch,
    ) -> GitHubResult<Issue> {
        unfaked("update_issue")
    }

    async fn list_issues(
        &self,
        _repo: &RepoName,
        _filter: &IssueFilter,
    ) -> GitHubResult<Vec<Issue>> {
        unfaked("list_issues")
    }

    async fn add_labels(
        &self,
        _repo: &RepoName,
        _number: u64,
        _labels: &[String],
    ) -> GitHubResult<()> {
        unfaked("add_labels")
    }

    async fn remove_label(&self, _repo: &RepoName, _number: u64, _label: &str) -> GitHubResult<()> {
        unfaked("remove_label")
    }

    async fn add_assignees(
        &self,
        _repo: &RepoName,
        _number: u64,
        _assignees: &[String],
    ) -> GitHubResult<()> {
        unfaked("add_assignees")
    }

    async fn add_comment_reaction(
        &self,
        _repo: &RepoName,
        _comment_id: u64,
        _reaction: Reaction,
    ) -> GitHubResult<()> {
        unfaked("add_comment_reaction")
    }

    async fn add_review_comment_reaction(
        &self,
        _repo: &RepoName,
        _comment_id: u64,
        _reaction: Reaction,
    ) -> GitHubResult<()> {
        unfaked("add_review_comment_reaction")
    }

    async fn create_release(
        &self,
        _repo: &RepoName,
        _release: &NewRelease,
    ) -> GitHubResult<Release> {
        unfaked("create_release")
    }

    async fn update_release(
        &self,
        _repo: &RepoName,
        _id: u64,
        _patch: &ReleasePatch,
    ) -> GitHubResult<Release> {
        unfaked("update_release")
    }

    async fn get_release_by_tag(
        &self,
        _repo: &RepoName,
        _tag: &str,
    ) -> GitHubResult<Option<Release>> {
        unfaked("get_release_by_tag")
    }

    async fn latest_release(&self, _repo: &RepoName) -> GitHubResult<Option<Release>> {
        unfaked("latest_release")
    }

    async fn list_releases(&self, _repo: &RepoName, _max: usize) -> GitHubResult<Vec<Release>> {
        unfaked("list_releases")
    }

    async fn commit_sha(&self, _repo: &RepoName, _rev: &str) -> GitHubResult<Option<String>> {
        unfaked("commit_sha")
    }

    async fn list_tags(&self, _repo: &RepoName, _max: usize) -> GitHubResult<Vec<Tag>> {
        unfaked("list_tags")
    }

    async fn compare(
        &self,
        _repo: &RepoName,
        _base: &str,
        _head: &str,
    ) -> GitHubResult<Comparison> {
        unfaked("compare")
    }

    async fn pulls_for_commit(
        &self,
        _repo: &RepoName,
        _sha: &str,
    ) -> GitHubResult<Vec<PullRequest>> {
        unfaked("pulls_for_commit")
    }

    async fn get_pull(&self, _repo: &RepoName, _number: u64) -> GitHubResult<PullRequest> {
        unfaked("get_pull")
    }

    async fn list_closed_pulls(
        &self,
        _repo: &RepoName,
        _base: &str,
        _max: usize,
    ) -> GitHubResult<Vec<PullRequest>> {
        unfaked("list_closed_pulls")
    }

    async fn combined_status(
        &self,
        _repo: &RepoName,
        _git_ref: &str,
    ) -> GitHubResult<CombinedStatus> {
        unfaked("combined_status")
    }

    async fn check_runs(&self, _repo: &RepoName, _git_ref: &str) -> GitHubResult<Vec<CheckRun>> {
        unfaked("check_runs")
    }

    async fn create_check_run(
        &self,
        _repo: &RepoName,
        _run: &NewCheckRun,
    ) -> GitHubResult<CheckRun> {
        unfaked("create_check_run")
    }

    async fn update_check_run(
        &self,
        _repo: &RepoName,
        _id: u64,
        _run: &NewCheckRun,
    ) -> GitHubResult<CheckRun> {
        unfaked("update_check_run")
    }

    async fn list_deployments(
        &self,
        _repo: &RepoName,
        _environment: Option<&str>,
        _max: usize,
    ) -> GitHubResult<Vec<Deployment>> {
        unfaked("list_deployments")
    }

    async fn deployment_statuses(
        &self,
        _repo: &RepoName,
        _deployment_id: u64,
    ) -> GitHubResult<Vec<DeploymentStatus>> {
        unfaked("deployment_statuses")
    }

    async fn review_deployment_protection_rule(
        &self,
        _repo: &RepoName,
        _run_id: u64,
        _environment: &str,
        _approved: bool,
        _comment: &str,
    ) -> GitHubResult<()> {
        unfaked("review_deployment_protection_rule")
    }

    async fn collaborator_permission(
        &self,
        _repo: &RepoName,
        _login: &str,
    ) -> GitHubResult<CollaboratorPermission> {
        unfaked("collaborator_permission")
    }

    async fn team_membership(
        &self,
        _org: &str,
        _team_slug: &str,
        _login: &str,
    ) -> GitHubResult<bool> {
        unfaked("team_membership")
    }

    async fn get_git_commit(
        &self,
        _repo: &RepoName,
        _sha: &str,
    ) -> GitHubResult<Option<GitCommit>> {
        unfaked("get_git_commit")
    }

    async fn get_tree(
        &self,
        _repo: &RepoName,
        _sha: &str,
        _recursive: bool,
    ) -> GitHubResult<GitTree> {
        unfaked("get_tree")
    }

    async fn create_tree(
        &self,
        _repo: &RepoName,
        _base_tree: &str,
        _entries: &[NewTreeEntry],
    ) -> GitHubResult<String> {
        unfaked("create_tree")
    }

    async fn create_git_commit(
        &self,
        _repo: &RepoName,
        _message: &str,
        _tree: &str,
        _parents: &[String],
    ) -> GitHubResult<GitCommit> {
        unfaked("create_git_commit")
    }

    async fn update_ref(
        &self,
        _repo: &RepoName,
        _git_ref: &str,
        _sha: &str,
        _force: bool,
    ) -> GitHubResult<()> {
        unfaked("update_ref")
    }

    async fn create_blob(&self, _repo: &RepoName, _content: &str) -> GitHubResult<String> {
        unfaked("create_blob")
    }

    async fn delete_ref(&self, _repo: &RepoName, _git_ref: &str) -> GitHubResult<()> {
        unfaked("delete_ref")
    }

    async fn create_pull(&self, _repo: &RepoName, _pull: &NewPull) -> GitHubResult<PullRequest> {
        unfaked("create_pull")
    }

    async fn update_pull(
        &self,
        _repo: &RepoName,
        _number: u64,
        _patch: &PullPatch,
    ) -> GitHubResult<PullRequest> {
        unfaked("update_pull")
    }
}
