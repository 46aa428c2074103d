//! The real GitHub port: routes and shapes of GitHub's REST API (see docs.github.com/rest).

use async_trait::async_trait;
use base64::Engine;
use http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{GitHubError, GitHubResult};
use super::port::GitHubPort;
use super::rest::{RestClient, decode};
use super::types::*;

/// Characters kept as they are in a path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment (a tag, a label, a login): `/` is encoded too.
fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A multi-segment value (a file path, a ref): each segment encoded, `/` kept.
fn path(s: &str) -> String {
    s.split('/').map(seg).collect::<Vec<_>>().join("/")
}

fn query(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

fn repo_route(repo: &RepoName) -> String {
    format!("/repos/{}/{}", seg(&repo.owner), seg(&repo.name))
}

fn bare_list(v: Value) -> Option<Value> {
    v.is_array().then_some(v)
}

fn check_runs_list(v: Value) -> Option<Value> {
    match v {
        Value::Object(mut map) => map.remove("check_runs"),
        _ => None,
    }
}

fn statuses_of_combined(v: Value) -> Option<Value> {
    match v {
        Value::Object(mut map) => map.remove("statuses"),
        _ => None,
    }
}

/// The port on one installation's token.
#[derive(Clone)]
pub struct GitHubClient {
    rest: RestClient,
}

impl GitHubClient {
    pub fn new(rest: RestClient) -> Self {
        GitHubClient { rest }
    }

    pub fn rest(&self) -> &RestClient {
        &self.rest
    }
}

#[derive(Deserialize)]
struct ContentEntry {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    sha: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct TagEntry {
    name: String,
    commit: ShaOnly,
}

#[derive(Deserialize)]
struct ShaOnly {
    sha: String,
}

#[derive(Deserialize)]
struct RefEntry {
    #[serde(rename = "ref")]
    name: String,
    object: RefObject,
}

#[derive(Deserialize)]
struct RefObject {
    sha: String,
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct CompareCommit {
    sha: String,
    commit: CompareCommitInner,
    #[serde(default)]
    author: Option<User>,
    #[serde(default)]
    parents: Vec<ShaOnly>,
}

#[derive(Deserialize)]
struct CompareCommitInner {
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ComparePage {
    #[serde(default)]
    status: String,
    #[serde(default)]
    ahead_by: u64,
    #[serde(default)]
    behind_by: u64,
    #[serde(default)]
    total_commits: u64,
    #[serde(default)]
    commits: Vec<CompareCommit>,
}

#[derive(Deserialize)]
struct PermissionAnswer {
    permission: Permission,
    #[serde(default)]
    role_name: Option<String>,
}

#[derive(Deserialize)]
struct MembershipAnswer {
    #[serde(default)]
    state: String,
}

#[derive(Deserialize)]
struct GitCommitEntry {
    sha: String,
    tree: ShaOnly,
    #[serde(default)]
    parents: Vec<ShaOnly>,
    #[serde(default)]
    message: String,
}

impl GitCommitEntry {
    fn into_commit(self) -> GitCommit {
        GitCommit {
            sha: self.sha,
            tree_sha: self.tree.sha,
            parents: self.parents.into_iter().map(|p| p.sha).collect(),
            message: self.message,
        }
    }
}

#[async_trait]
impl GitHubPort for GitHubClient {
    async fn get_repo(&self, repo: &RepoName) -> GitHubResult<Repository> {
        self.rest.get(&repo_route(repo)).await
    }

    async fn get_file(
        &self,
        repo: &RepoName,
        file: &str,
        git_ref: Option<&str>,
    ) -> GitHubResult<Option<FileContent>> {
        let mut route = format!(
            "{}/contents/{}",
            repo_route(repo),
            path(file.trim_start_matches('/'))
        );
        if let Some(r) = git_ref {
            route.push_str(&format!("?ref={}", query(r)));
        }
        // A directory answers with a list: that is "no such file" for relman.
        let Some(value) = self.rest.get_optional::<Value>(&route).await? else {
            return Ok(None);
        };
        if value.is_array() {
            return Ok(None);
        }
        let entry: ContentEntry =
            serde_json::from_value(value).map_err(|e| GitHubError::Decode {
                route: route.clone(),
                message: e.to_string(),
            })?;
        if entry.kind != "file" {
            return Ok(None);
        }
        let raw = entry.content.unwrap_or_default();
        let text = match entry.encoding.as_deref() {
            Some("base64") | None => {
                let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|e| GitHubError::Decode {
                        route: route.clone(),
                        message: format!("file content is not base64: {e}"),
                    })?;
                String::from_utf8(bytes).map_err(|_| GitHubError::Decode {
                    route: route.clone(),
                    message: "file is not UTF-8 text".into(),
                })?
            }
            Some("utf-8") => raw,
            Some(other) => {
                return Err(GitHubError::Decode {
                    route,
                    message: format!("unsupported content encoding {other:?} (file over 1 MB?)"),
                });
            }
        };
        Ok(Some(FileContent {
            path: entry.path,
            sha: entry.sha,
            text,
        }))
    }

    async fn create_issue(&self, repo: &RepoName, issue: &NewIssue) -> GitHubResult<Issue> {
        self.rest
            .send_json(Method::POST, &format!("{}/issues", repo_route(repo)), issue)
            .await
    }

    async fn get_issue(&self, repo: &RepoName, number: u64) -> GitHubResult<Issue> {
        self.rest
            .get(&format!("{}/issues/{number}", repo_route(repo)))
            .await
    }

    async fn update_issue(
        &self,
        repo: &RepoName,
        number: u64,
        patch: &IssuePatch,
    ) -> GitHubResult<Issue> {
        self.rest
            .send_json(
                Method::PATCH,
                &format!("{}/issues/{number}", repo_route(repo)),
                patch,
            )
            .await
    }

    async fn list_issues(&self, repo: &RepoName, filter: &IssueFilter) -> GitHubResult<Vec<Issue>> {
        let mut route = format!(
            "{}/issues?state={}",
            repo_route(repo),
            query(filter.state.as_deref().unwrap_or("open"))
        );
        if !filter.labels.is_empty() {
            route.push_str(&format!("&labels={}", query(&filter.labels.join(","))));
        }
        if let Some(creator) = &filter.creator {
            route.push_str(&format!("&creator={}", query(creator)));
        }
        let all: Vec<Issue> = self.rest.get_all(&route, bare_list).await?;
        Ok(all.into_iter().filter(|i| !i.is_pull_request()).collect())
    }

    async fn add_labels(
        &self,
        repo: &RepoName,
        number: u64,
        labels: &[String],
    ) -> GitHubResult<()> {
        self.rest
            .send(
                Method::POST,
                &format!("{}/issues/{number}/labels", repo_route(repo)),
                Some(&json!({ "labels": labels })),
            )
            .await
    }

    async fn remove_label(&self, repo: &RepoName, number: u64, label: &str) -> GitHubResult<()> {
        let route = format!("{}/issues/{number}/labels/{}", repo_route(repo), seg(label));
        match self.rest.send(Method::DELETE, &route, None::<&Value>).await {
            Err(GitHubError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    async fn add_assignees(
        &self,
        repo: &RepoName,
        number: u64,
        assignees: &[String],
    ) -> GitHubResult<()> {
        self.rest
            .send(
                Method::POST,
                &format!("{}/issues/{number}/assignees", repo_route(repo)),
                Some(&json!({ "assignees": assignees })),
            )
            .await
    }

    async fn create_comment(
        &self,
        repo: &RepoName,
        issue: u64,
        body: &str,
    ) -> GitHubResult<Comment> {
        self.rest
            .send_json(
                Method::POST,
                &format!("{}/issues/{issue}/comments", repo_route(repo)),
                &json!({ "body": body }),
            )
            .await
    }

    async fn update_comment(
        &self,
        repo: &RepoName,
        comment_id: u64,
        body: &str,
    ) -> GitHubResult<Comment> {
        self.rest
            .send_json(
                Method::PATCH,
                &format!("{}/issues/comments/{comment_id}", repo_route(repo)),
                &json!({ "body": body }),
            )
            .await
    }

    async fn get_comment(&self, repo: &RepoName, comment_id: u64) -> GitHubResult<Option<Comment>> {
        self.rest
            .get_optional(&format!(
                "{}/issues/comments/{comment_id}",
                repo_route(repo)
            ))
            .await
    }

    async fn list_comments(&self, repo: &RepoName, issue: u64) -> GitHubResult<Vec<Comment>> {
        self.rest
            .get_all(
                &format!("{}/issues/{issue}/comments", repo_route(repo)),
                bare_list,
            )
            .await
    }

    async fn add_comment_reaction(
        &self,
        repo: &RepoName,
        comment_id: u64,
        reaction: Reaction,
    ) -> GitHubResult<()> {
        self.rest
            .send(
                Method::POST,
                &format!(
                    "{}/issues/comments/{comment_id}/reactions",
                    repo_route(repo)
                ),
                Some(&json!({ "content": reaction.as_str() })),
            )
            .await
    }

    async fn create_release(&self, repo: &RepoName, release: &NewRelease) -> GitHubResult<Release> {
        self.rest
            .send_json(
                Method::POST,
                &format!("{}/releases", repo_route(repo)),
                release,
            )
            .await
    }

    async fn update_release(
        &self,
        repo: &RepoName,
        id: u64,
        patch: &ReleasePatch,
    ) -> GitHubResult<Release> {
        self.rest
            .send_json(
                Method::PATCH,
                &format!("{}/releases/{id}", repo_route(repo)),
                patch,
            )
            .await
    }

    async fn get_release_by_tag(
        &self,
        repo: &RepoName,
        tag: &str,
    ) -> GitHubResult<Option<Release>> {
        self.rest
            .get_optional(&format!("{}/releases/tags/{}", repo_route(repo), seg(tag)))
            .await
    }

    async fn latest_release(&self, repo: &RepoName) -> GitHubResult<Option<Release>> {
        self.rest
            .get_optional(&format!("{}/releases/latest", repo_route(repo)))
            .await
    }

    async fn list_releases(&self, repo: &RepoName, max: usize) -> GitHubResult<Vec<Release>> {
        self.rest
            .get_pages(&format!("{}/releases", repo_route(repo)), bare_list, max)
            .await
    }

    async fn create_ref(&self, repo: &RepoName, full_ref: &str, sha: &str) -> GitHubResult<()> {
        self.rest
            .send(
                Method::POST,
                &format!("{}/git/refs", repo_route(repo)),
                Some(&json!({ "ref": full_ref, "sha": sha })),
            )
            .await
    }

    async fn get_ref(&self, repo: &RepoName, git_ref: &str) -> GitHubResult<Option<GitRef>> {
        let route = format!(
            "{}/git/ref/{}",
            repo_route(repo),
            path(git_ref.trim_start_matches("refs/"))
        );
        let entry: Option<RefEntry> = self.rest.get_optional(&route).await?;
        Ok(entry.map(|e| GitRef {
            name: e.name,
            sha: e.object.sha,
            object_type: e.object.kind,
        }))
    }

    async fn list_tags(&self, repo: &RepoName, max: usize) -> GitHubResult<Vec<Tag>> {
        let tags: Vec<TagEntry> = self
            .rest
            .get_pages(&format!("{}/tags", repo_route(repo)), bare_list, max)
            .await?;
        Ok(tags
            .into_iter()
            .map(|t| Tag {
                name: t.name,
                sha: t.commit.sha,
            })
            .collect())
    }

    async fn compare(&self, repo: &RepoName, base: &str, head: &str) -> GitHubResult<Comparison> {
        // The commit list of a comparison is paginated like any list; the counts come with
        // every page.
        let mut next = Some(format!(
            "{}/compare/{}...{}?per_page=100",
            repo_route(repo),
            path(base),
            path(head)
        ));
        let mut comparison: Option<Comparison> = None;
        let mut pages = 0;
        while let Some(route) = next.take() {
            pages += 1;
            let response = self.rest.request(Method::GET, &route, None).await?;
            let page: ComparePage = decode(&route, &response.body)?;
            let commits = page.commits.into_iter().map(|c| CommitSummary {
                sha: c.sha,
                message: c.commit.message,
                author_login: c.author.map(|a| a.login).filter(|l| !l.is_empty()),
                parents: c.parents.into_iter().map(|p| p.sha).collect(),
            });
            match &mut comparison {
                Some(acc) => acc.commits.extend(commits),
                None => {
                    comparison = Some(Comparison {
                        status: page.status,
                        ahead_by: page.ahead_by,
                        behind_by: page.behind_by,
                        total_commits: page.total_commits,
                        commits: commits.collect(),
                    })
                }
            }
            if pages < 100 {
                next = super::rest::next_link(&response.headers);
            }
        }
        comparison.ok_or_else(|| GitHubError::Decode {
            route: format!("{}/compare", repo_route(repo)),
            message: "empty comparison".into(),
        })
    }

    async fn pulls_for_commit(&self, repo: &RepoName, sha: &str) -> GitHubResult<Vec<PullRequest>> {
        self.rest
            .get_all(
                &format!("{}/commits/{}/pulls", repo_route(repo), seg(sha)),
                bare_list,
            )
            .await
    }

    async fn get_pull(&self, repo: &RepoName, number: u64) -> GitHubResult<PullRequest> {
        self.rest
            .get(&format!("{}/pulls/{number}", repo_route(repo)))
            .await
    }

    async fn list_closed_pulls(
        &self,
        repo: &RepoName,
        base: &str,
        max: usize,
    ) -> GitHubResult<Vec<PullRequest>> {
        let base: String = url::form_urlencoded::byte_serialize(base.as_bytes()).collect();
        self.rest
            .get_pages(
                &format!(
                    "{}/pulls?state=closed&base={base}&sort=updated&direction=desc",
                    repo_route(repo)
                ),
                bare_list,
                max,
            )
            .await
    }

    async fn combined_status(
        &self,
        repo: &RepoName,
        git_ref: &str,
    ) -> GitHubResult<CombinedStatus> {
        // Statuses are paginated inside the combined object; the overall state is on each page.
        let route = format!("{}/commits/{}/status", repo_route(repo), path(git_ref));
        let first: CombinedStatus = self.rest.get(&format!("{route}?per_page=100")).await?;
        if first.statuses.len() < 100 {
            return Ok(first);
        }
        let statuses: Vec<CommitStatus> = self.rest.get_all(&route, statuses_of_combined).await?;
        Ok(CombinedStatus {
            state: first.state,
            statuses,
        })
    }

    async fn check_runs(&self, repo: &RepoName, git_ref: &str) -> GitHubResult<Vec<CheckRun>> {
        self.rest
            .get_all(
                &format!(
                    "{}/commits/{}/check-runs?filter=latest",
                    repo_route(repo),
                    path(git_ref)
                ),
                check_runs_list,
            )
            .await
    }

    async fn create_check_run(&self, repo: &RepoName, run: &NewCheckRun) -> GitHubResult<CheckRun> {
        self.rest
            .send_json(
                Method::POST,
                &format!("{}/check-runs", repo_route(repo)),
                run,
            )
            .await
    }

    async fn update_check_run(
        &self,
        repo: &RepoName,
        id: u64,
        run: &NewCheckRun,
    ) -> GitHubResult<CheckRun> {
        self.rest
            .send_json(
                Method::PATCH,
                &format!("{}/check-runs/{id}", repo_route(repo)),
                run,
            )
            .await
    }

    async fn list_deployments(
        &self,
        repo: &RepoName,
        environment: Option<&str>,
        max: usize,
    ) -> GitHubResult<Vec<Deployment>> {
        let mut route = format!("{}/deployments", repo_route(repo));
        if let Some(env) = environment {
            route.push_str(&format!("?environment={}", query(env)));
        }
        self.rest.get_pages(&route, bare_list, max).await
    }

    async fn deployment_statuses(
        &self,
        repo: &RepoName,
        deployment_id: u64,
    ) -> GitHubResult<Vec<DeploymentStatus>> {
        self.rest
            .get_all(
                &format!("{}/deployments/{deployment_id}/statuses", repo_route(repo)),
                bare_list,
            )
            .await
    }

    async fn review_deployment_protection_rule(
        &self,
        repo: &RepoName,
        run_id: u64,
        environment: &str,
        approved: bool,
        comment: &str,
    ) -> GitHubResult<()> {
        self.rest
            .send(
                Method::POST,
                &format!(
                    "{}/actions/runs/{run_id}/deployment_protection_rule",
                    repo_route(repo)
                ),
                Some(&json!({
                    "environment_name": environment,
                    "state": if approved { "approved" } else { "rejected" },
                    "comment": comment,
                })),
            )
            .await
    }

    async fn collaborator_permission(
        &self,
        repo: &RepoName,
        login: &str,
    ) -> GitHubResult<CollaboratorPermission> {
        let route = format!(
            "{}/collaborators/{}/permission",
            repo_route(repo),
            seg(login)
        );
        // 404: no such user — nobody we should take orders from.
        let answer: Option<PermissionAnswer> = self.rest.get_optional(&route).await?;
        Ok(match answer {
            Some(a) => CollaboratorPermission {
                role_name: a.role_name.unwrap_or_else(|| {
                    match a.permission {
                        Permission::Admin => "admin",
                        Permission::Write => "write",
                        Permission::Read => "read",
                        Permission::None => "none",
                    }
                    .to_string()
                }),
                permission: a.permission,
            },
            None => CollaboratorPermission {
                permission: Permission::None,
                role_name: "none".into(),
            },
        })
    }

    async fn team_membership(&self, org: &str, team_slug: &str, login: &str) -> GitHubResult<bool> {
        let route = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            seg(org),
            seg(team_slug),
            seg(login)
        );
        let answer: Option<MembershipAnswer> = self.rest.get_optional(&route).await?;
        Ok(answer.is_some_and(|m| m.state == "active"))
    }

    async fn get_git_commit(&self, repo: &RepoName, sha: &str) -> GitHubResult<Option<GitCommit>> {
        let entry: Option<GitCommitEntry> = self
            .rest
            .get_optional(&format!("{}/git/commits/{}", repo_route(repo), seg(sha)))
            .await?;
        Ok(entry.map(GitCommitEntry::into_commit))
    }

    async fn get_tree(&self, repo: &RepoName, sha: &str, recursive: bool) -> GitHubResult<GitTree> {
        let route = format!("{}/git/trees/{}", repo_route(repo), seg(sha));
        let route = if recursive {
            format!("{route}?recursive=1")
        } else {
            route
        };
        self.rest.get(&route).await
    }

    async fn create_tree(
        &self,
        repo: &RepoName,
        base_tree: &str,
        entries: &[NewTreeEntry],
    ) -> GitHubResult<String> {
        let created: ShaOnly = self
            .rest
            .send_json(
                Method::POST,
                &format!("{}/git/trees", repo_route(repo)),
                &json!({ "base_tree": base_tree, "tree": entries }),
            )
            .await?;
        Ok(created.sha)
    }

    async fn create_git_commit(
        &self,
        repo: &RepoName,
        message: &str,
        tree: &str,
        parents: &[String],
    ) -> GitHubResult<GitCommit> {
        let created: GitCommitEntry = self
            .rest
            .send_json(
                Method::POST,
                &format!("{}/git/commits", repo_route(repo)),
                &json!({ "message": message, "tree": tree, "parents": parents }),
            )
            .await?;
        Ok(created.into_commit())
    }

    async fn update_ref(
        &self,
        repo: &RepoName,
        git_ref: &str,
        sha: &str,
        force: bool,
    ) -> GitHubResult<()> {
        self.rest
            .send(
                Method::PATCH,
                &format!(
                    "{}/git/refs/{}",
                    repo_route(repo),
                    path(git_ref.trim_start_matches("refs/"))
                ),
                Some(&json!({ "sha": sha, "force": force })),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_per_segment() {
        assert_eq!(path(".github/relman.yml"), ".github/relman.yml");
        assert_eq!(path("docs/a b#c.md"), "docs/a%20b%23c.md");
        assert_eq!(seg("release/1.2"), "release%2F1.2");
        assert_eq!(seg("needs qa"), "needs%20qa");
        assert_eq!(query("a,b"), "a%2Cb");
    }
}
