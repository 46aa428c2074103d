//! Pull requests (their `PullRequest` half is on the issue, in `issues`), reviews, review comments.

use super::{GitActor, Issue, IssueState, NewCommit, PullRequest, Repo, Timestamp, World};

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

impl Repo {
    /// The PR `number` (None for a plain issue).
    pub fn pull(&self, number: u64) -> Option<(&Issue, &PullRequest)> {
        let issue = self.issues.get(&number)?;
        issue.pull_request.as_ref().map(|pull| (issue, pull))
    }

    /// The review comments on PR `number`, oldest first.
    pub fn review_comments_on(&self, number: u64) -> Vec<&ReviewComment> {
        self.review_comments
            .values()
            .filter(|comment| comment.pull_number == number)
            .collect()
    }
}

impl World {
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
}
