//! The GitHub port: every operation relman performs on GitHub, in relman's types.
//!
//! Handlers depend on this trait only. The real implementation is [`super::client::GitHubClient`]
//! (octocrab underneath); tests run the same implementation against the fake GitHub.

use async_trait::async_trait;

use super::error::GitHubResult;
use super::types::*;

#[async_trait]
pub trait GitHubPort: Send + Sync {
    // Repositories and files.
    async fn get_repo(&self, repo: &RepoName) -> GitHubResult<Repository>;
    /// A file's text at a ref (the default branch when `None`); `None` if there is no such file.
    async fn get_file(
        &self,
        repo: &RepoName,
        path: &str,
        git_ref: Option<&str>,
    ) -> GitHubResult<Option<FileContent>>;

    // Issues.
    async fn create_issue(&self, repo: &RepoName, issue: &NewIssue) -> GitHubResult<Issue>;
    async fn get_issue(&self, repo: &RepoName, number: u64) -> GitHubResult<Issue>;
    async fn update_issue(
        &self,
        repo: &RepoName,
        number: u64,
        patch: &IssuePatch,
    ) -> GitHubResult<Issue>;
    /// Issues (not pull requests) matching `filter`, every page.
    async fn list_issues(&self, repo: &RepoName, filter: &IssueFilter) -> GitHubResult<Vec<Issue>>;
    async fn add_labels(&self, repo: &RepoName, number: u64, labels: &[String])
    -> GitHubResult<()>;
    /// Removing a label the issue does not have is not an error.
    async fn remove_label(&self, repo: &RepoName, number: u64, label: &str) -> GitHubResult<()>;
    async fn add_assignees(
        &self,
        repo: &RepoName,
        number: u64,
        assignees: &[String],
    ) -> GitHubResult<()>;

    // Comments and reactions.
    async fn create_comment(
        &self,
        repo: &RepoName,
        issue: u64,
        body: &str,
    ) -> GitHubResult<Comment>;
    async fn update_comment(
        &self,
        repo: &RepoName,
        comment_id: u64,
        body: &str,
    ) -> GitHubResult<Comment>;
    async fn get_comment(&self, repo: &RepoName, comment_id: u64) -> GitHubResult<Option<Comment>>;
    async fn list_comments(&self, repo: &RepoName, issue: u64) -> GitHubResult<Vec<Comment>>;
    async fn add_comment_reaction(
        &self,
        repo: &RepoName,
        comment_id: u64,
        reaction: Reaction,
    ) -> GitHubResult<()>;
    /// A reaction on a pull request review comment (a comment on a line of the diff), which has
    /// its own ids and route apart from issue comments. Reviews themselves take no reactions.
    async fn add_review_comment_reaction(
        &self,
        repo: &RepoName,
        comment_id: u64,
        reaction: Reaction,
    ) -> GitHubResult<()>;

    // Releases.
    async fn create_release(&self, repo: &RepoName, release: &NewRelease) -> GitHubResult<Release>;
    async fn update_release(
        &self,
        repo: &RepoName,
        id: u64,
        patch: &ReleasePatch,
    ) -> GitHubResult<Release>;
    async fn get_release_by_tag(&self, repo: &RepoName, tag: &str)
    -> GitHubResult<Option<Release>>;
    /// The latest published, non-draft, non-prerelease release.
    async fn latest_release(&self, repo: &RepoName) -> GitHubResult<Option<Release>>;
    /// Releases newest first, at most `max`.
    async fn list_releases(&self, repo: &RepoName, max: usize) -> GitHubResult<Vec<Release>>;

    // Refs and tags.
    /// `full_ref` like `refs/tags/v1.2.0`.
    async fn create_ref(&self, repo: &RepoName, full_ref: &str, sha: &str) -> GitHubResult<()>;
    /// `git_ref` like `tags/v1.2.0` or `heads/main`.
    async fn get_ref(&self, repo: &RepoName, git_ref: &str) -> GitHubResult<Option<GitRef>>;
    /// The commit a revision (branch, tag — annotated or not —, or sha) points at; `None` when
    /// it does not resolve.
    async fn commit_sha(&self, repo: &RepoName, rev: &str) -> GitHubResult<Option<String>>;
    /// Tags newest first, at most `max`.
    async fn list_tags(&self, repo: &RepoName, max: usize) -> GitHubResult<Vec<Tag>>;

    // Commits and pull requests.
    async fn compare(&self, repo: &RepoName, base: &str, head: &str) -> GitHubResult<Comparison>;
    async fn pulls_for_commit(&self, repo: &RepoName, sha: &str) -> GitHubResult<Vec<PullRequest>>;
    async fn get_pull(&self, repo: &RepoName, number: u64) -> GitHubResult<PullRequest>;
    /// Closed pull requests into `base`, most recently updated first, at most `max` (merged ones
    /// have `merged_at` and `merge_commit_sha`; the list form has no `merged` flag).
    async fn list_closed_pulls(
        &self,
        repo: &RepoName,
        base: &str,
        max: usize,
    ) -> GitHubResult<Vec<PullRequest>>;

    // Checks and statuses.
    async fn combined_status(&self, repo: &RepoName, git_ref: &str)
    -> GitHubResult<CombinedStatus>;
    async fn check_runs(&self, repo: &RepoName, git_ref: &str) -> GitHubResult<Vec<CheckRun>>;
    async fn create_check_run(&self, repo: &RepoName, run: &NewCheckRun) -> GitHubResult<CheckRun>;
    async fn update_check_run(
        &self,
        repo: &RepoName,
        id: u64,
        run: &NewCheckRun,
    ) -> GitHubResult<CheckRun>;

    // Deployments.
    /// Deployments newest first, optionally of one environment, at most `max`.
    async fn list_deployments(
        &self,
        repo: &RepoName,
        environment: Option<&str>,
        max: usize,
    ) -> GitHubResult<Vec<Deployment>>;
    async fn deployment_statuses(
        &self,
        repo: &RepoName,
        deployment_id: u64,
    ) -> GitHubResult<Vec<DeploymentStatus>>;
    /// Answers a custom deployment protection rule for a workflow run.
    async fn review_deployment_protection_rule(
        &self,
        repo: &RepoName,
        run_id: u64,
        environment: &str,
        approved: bool,
        comment: &str,
    ) -> GitHubResult<()>;

    // People.
    async fn collaborator_permission(
        &self,
        repo: &RepoName,
        login: &str,
    ) -> GitHubResult<CollaboratorPermission>;
    /// Whether `login` is an active member of `org`'s team `team_slug`.
    async fn team_membership(&self, org: &str, team_slug: &str, login: &str) -> GitHubResult<bool>;

    // Git data: the commits and trees an expedited release's branch is built from.
    /// A commit object; `None` if there is no such commit.
    async fn get_git_commit(&self, repo: &RepoName, sha: &str) -> GitHubResult<Option<GitCommit>>;
    /// A tree, with every file under it when `recursive`.
    async fn get_tree(&self, repo: &RepoName, sha: &str, recursive: bool) -> GitHubResult<GitTree>;
    /// A tree: `base_tree` with `entries` changed. Returns its sha.
    async fn create_tree(
        &self,
        repo: &RepoName,
        base_tree: &str,
        entries: &[NewTreeEntry],
    ) -> GitHubResult<String>;
    async fn create_git_commit(
        &self,
        repo: &RepoName,
        message: &str,
        tree: &str,
        parents: &[String],
    ) -> GitHubResult<GitCommit>;
    /// Moves `git_ref` (like `heads/hotfix/v1.2.1`) to `sha`; without `force` only forward.
    async fn update_ref(
        &self,
        repo: &RepoName,
        git_ref: &str,
        sha: &str,
        force: bool,
    ) -> GitHubResult<()>;

    // Release pull requests: the blobs of the files a release PR changes, the PR itself, and
    // the branch of a superseded one.
    /// Stores `content` as a blob; returns its sha.
    async fn create_blob(&self, repo: &RepoName, content: &str) -> GitHubResult<String>;
    /// Deletes `git_ref` (like `heads/release/1.2.0`); a ref that is already gone is not an error.
    async fn delete_ref(&self, repo: &RepoName, git_ref: &str) -> GitHubResult<()>;
    async fn create_pull(&self, repo: &RepoName, pull: &NewPull) -> GitHubResult<PullRequest>;
    async fn update_pull(
        &self,
        repo: &RepoName,
        number: u64,
        patch: &PullPatch,
    ) -> GitHubResult<PullRequest>;
}
