//! World objects rendered in GitHub's REST shapes. The server and the webhook
//! payload builders share these, so an issue looks the same in
//! `GET /issues/1` and in an `issues` webhook.

use std::collections::BTreeMap;

use base64::Engine;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Value, json};

use crate::world::{
    CheckRun, CheckSuite, Commit, CommitStatus, Deployment, DeploymentStatus, HookDelivery,
    Installation, Issue, IssueComment, IssueState, PullRequest, Reaction, ReactionSubject, Release,
    Repo, Review, ReviewComment, Timestamp, UserKind, World,
};

/// Characters escaped in one URL path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `segment` escaped for use in a URL path.
pub fn escape(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// A timestamp as GitHub writes it: `2026-01-05T09:00:00Z`.
pub fn ts(at: Timestamp) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn ts_opt(at: Option<Timestamp>) -> Value {
    at.map(|at| Value::String(ts(at))).unwrap_or(Value::Null)
}

/// A legacy-style global node id: base64 of "<len>:<Type><id>".
pub fn node_id(kind: &str, id: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{:02}:{kind}{id}", kind.len()))
}

/// The simple-user shape of `login`. Logins the world does not know render as
/// GitHub's `ghost` (a deleted account).
pub fn user(world: &World, login: &str) -> Value {
    let Some(account) = world.user(login) else {
        return ghost(world);
    };
    let id = account.id;
    let escaped = escape(login);
    let api = world.api(&format!("/users/{escaped}"));
    let html_url = match account.kind {
        UserKind::Bot => world.html(&format!(
            "/apps/{}",
            escape(login.trim_end_matches("[bot]"))
        )),
        _ => world.html(&format!("/{escaped}")),
    };
    let mut value = json!({
        "login": login,
        "id": id,
        "node_id": node_id(account.kind.as_str(), id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": html_url,
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": account.kind.as_str(),
        "user_view_type": "public",
        "site_admin": false,
    });
    if let Some(name) = &account.name {
        value["name"] = json!(name);
    }
    if let Some(email) = &account.email {
        value["email"] = json!(email);
    }
    value
}

fn ghost(world: &World) -> Value {
    let api = world.api("/users/ghost");
    json!({
        "login": "ghost",
        "id": 10137,
        "node_id": "MDQ6VXNlcjEwMTM3",
        "avatar_url": "https://avatars.githubusercontent.com/u/10137?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": world.html("/ghost"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "User",
        "user_view_type": "public",
        "site_admin": false,
    })
}

fn user_opt(world: &World, login: Option<&str>) -> Value {
    login.map(|login| user(world, login)).unwrap_or(Value::Null)
}

/// The App, as `GET /app` and `performed_via_github_app` show it.
pub fn app(world: &World) -> Value {
    let info = &world.app;
    json!({
        "id": info.id,
        "client_id": info.client_id,
        "slug": info.slug,
        "node_id": node_id("App", info.id),
        "owner": user(world, &info.owner),
        "name": info.name,
        "description": info.description,
        "external_url": "https://relman.example.net",
        "html_url": world.html(&format!("/apps/{}", info.slug)),
        "created_at": ts(info.created_at),
        "updated_at": ts(info.created_at),
        "permissions": info.permissions,
        "events": info.events,
        "installations_count": world.installations.len(),
    })
}

/// An installation of the App.
pub fn installation(world: &World, installation: &Installation) -> Value {
    let account = world.user(&installation.account);
    let target_type = account.map(|a| a.kind.as_str()).unwrap_or("Organization");
    let settings = if target_type == "Organization" {
        format!(
            "/organizations/{}/settings/installations/{}",
            installation.account, installation.id
        )
    } else {
        format!("/settings/installations/{}", installation.id)
    };
    json!({
        "id": installation.id,
        "client_id": world.app.client_id,
        "account": user(world, &installation.account),
        "repository_selection": installation.repository_selection,
        "access_tokens_url": world.api(&format!("/app/installations/{}/access_tokens", installation.id)),
        "repositories_url": world.api("/installation/repositories"),
        "html_url": world.html(&settings),
        "app_id": world.app.id,
        "app_slug": world.app.slug,
        "target_id": account.map(|a| a.id).unwrap_or_default(),
        "target_type": target_type,
        "permissions": installation.permissions,
        "events": installation.events,
        "created_at": ts(installation.created_at),
        "updated_at": ts(installation.updated_at),
        "single_file_name": null,
        "has_multiple_single_files": false,
        "single_file_paths": [],
        "suspended_by": null,
        "suspended_at": null,
    })
}

/// The full repository shape of `GET /repos/{owner}/{repo}`.
pub fn repository(world: &World, repo: &Repo) -> Value {
    let full = repo.full_name();
    let api = world.api(&format!("/repos/{full}"));
    let html = world.html(&format!("/{full}"));
    let open_issues = repo
        .issues
        .values()
        .filter(|issue| issue.state == IssueState::Open)
        .count();
    let mut value = json!({
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": full,
        "private": repo.private,
        "owner": user(world, &repo.owner),
        "html_url": html,
        "description": repo.description,
        "fork": false,
        "url": api,
        "forks_url": format!("{api}/forks"),
        "keys_url": format!("{api}/keys{{/key_id}}"),
        "collaborators_url": format!("{api}/collaborators{{/collaborator}}"),
        "teams_url": format!("{api}/teams"),
        "hooks_url": format!("{api}/hooks"),
    });
    // Several `json!` blocks: one would exceed the macro recursion limit.
    let urls = json!({
        "issue_events_url": format!("{api}/issues/events{{/number}}"),
        "events_url": format!("{api}/events"),
        "assignees_url": format!("{api}/assignees{{/user}}"),
        "branches_url": format!("{api}/branches{{/branch}}"),
        "tags_url": format!("{api}/tags"),
        "blobs_url": format!("{api}/git/blobs{{/sha}}"),
        "git_tags_url": format!("{api}/git/tags{{/sha}}"),
        "git_refs_url": format!("{api}/git/refs{{/sha}}"),
        "trees_url": format!("{api}/git/trees{{/sha}}"),
        "statuses_url": format!("{api}/statuses/{{sha}}"),
        "languages_url": format!("{api}/languages"),
        "stargazers_url": format!("{api}/stargazers"),
        "contributors_url": format!("{api}/contributors"),
        "subscribers_url": format!("{api}/subscribers"),
        "subscription_url": format!("{api}/subscription"),
        "commits_url": format!("{api}/commits{{/sha}}"),
        "git_commits_url": format!("{api}/git/commits{{/sha}}"),
        "comments_url": format!("{api}/comments{{/number}}"),
        "issue_comment_url": format!("{api}/issues/comments{{/number}}"),
        "contents_url": format!("{api}/contents/{{+path}}"),
        "compare_url": format!("{api}/compare/{{base}}...{{head}}"),
        "merges_url": format!("{api}/merges"),
        "archive_url": format!("{api}/{{archive_format}}{{/ref}}"),
        "downloads_url": format!("{api}/downloads"),
        "issues_url": format!("{api}/issues{{/number}}"),
        "pulls_url": format!("{api}/pulls{{/number}}"),
        "milestones_url": format!("{api}/milestones{{/number}}"),
        "notifications_url": format!("{api}/notifications{{?since,all,participating}}"),
        "labels_url": format!("{api}/labels{{/name}}"),
        "releases_url": format!("{api}/releases{{/id}}"),
        "deployments_url": format!("{api}/deployments"),
    });
    let rest = json!({
        "created_at": ts(repo.created_at),
        "updated_at": ts(repo.pushed_at),
        "pushed_at": ts(repo.pushed_at),
        "git_url": format!("git://github.com/{full}.git"),
        "ssh_url": format!("git@github.com:{full}.git"),
        "clone_url": format!("{html}.git"),
        "svn_url": html,
        "homepage": null,
        "size": repo.commits.len(),
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": "Rust",
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": false,
        "has_pages": false,
        "has_discussions": false,
        "forks_count": 0,
        "mirror_url": null,
        "archived": false,
        "disabled": false,
        "open_issues_count": open_issues,
        "license": null,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": [],
    });
    let settings = json!({
        "visibility": if repo.private { "private" } else { "public" },
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": repo.default_branch,
        "permissions": {
            "admin": false,
            "maintain": false,
            "push": true,
            "triage": true,
            "pull": true,
        },
        "allow_squash_merge": true,
        "allow_merge_commit": true,
        "allow_rebase_merge": true,
        "allow_auto_merge": false,
        "delete_branch_on_merge": false,
        "allow_update_branch": false,
        "use_squash_pr_title_as_default": false,
        "squash_merge_commit_message": "COMMIT_MESSAGES",
        "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
        "merge_commit_message": "PR_TITLE",
        "merge_commit_title": "MERGE_MESSAGE",
        "network_count": 0,
        "subscribers_count": 0,
    });
    if let Some(object) = value.as_object_mut() {
        for part in [urls, rest, settings] {
            if let Value::Object(part) = part {
                object.extend(part);
            }
        }
    }
    value
}

/// How `login` relates to `repo`, as `author_association`.
pub fn author_association(world: &World, repo: &Repo, login: &str) -> &'static str {
    if login == repo.owner {
        return "OWNER";
    }
    let is_member = world
        .teams
        .values()
        .any(|team| team.org == repo.owner && team.members.contains_key(login));
    if is_member {
        return "MEMBER";
    }
    if repo.collaborators.contains_key(login) {
        return "COLLABORATOR";
    }
    let contributed = repo.issues.values().any(|issue| {
        issue.user == login && issue.pull_request.as_ref().is_some_and(PullRequest::merged)
    });
    if contributed { "CONTRIBUTOR" } else { "NONE" }
}

/// A repository label.
pub fn label(world: &World, repo: &Repo, name: &str) -> Value {
    let full = repo.full_name();
    match repo.labels.get(name) {
        Some(label) => json!({
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": world.api(&format!("/repos/{full}/labels/{}", escape(name))),
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }),
        // Labels on an issue always exist in the repository (the server
        // creates them); keep the shape anyway.
        None => json!({
            "id": 0,
            "node_id": node_id("Label", 0),
            "url": world.api(&format!("/repos/{full}/labels/{}", escape(name))),
            "name": name,
            "color": "ededed",
            "default": false,
            "description": null,
        }),
    }
}

/// The `reactions` rollup on issues and comments.
pub fn reaction_rollup(repo: &Repo, subject: ReactionSubject, url: &str) -> Value {
    let reactions = repo.reactions_on(subject);
    let count = |content: &str| reactions.iter().filter(|r| r.content == content).count();
    json!({
        "url": format!("{url}/reactions"),
        "total_count": reactions.len(),
        "+1": count("+1"),
        "-1": count("-1"),
        "laugh": count("laugh"),
        "hooray": count("hooray"),
        "confused": count("confused"),
        "heart": count("heart"),
        "rocket": count("rocket"),
        "eyes": count("eyes"),
    })
}

/// A reaction.
pub fn reaction(world: &World, reaction: &Reaction) -> Value {
    json!({
        "id": reaction.id,
        "node_id": node_id("Reaction", reaction.id),
        "user": user(world, &reaction.user),
        "content": reaction.content,
        "created_at": ts(reaction.created_at),
    })
}

/// An issue (or a PR seen through the Issues API).
pub fn issue(world: &World, repo: &Repo, issue: &Issue) -> Value {
    let full = repo.full_name();
    let url = world.api(&format!("/repos/{full}/issues/{}", issue.number));
    let kind = if issue.pull_request.is_some() {
        "pull"
    } else {
        "issues"
    };
    let html_url = world.html(&format!("/{full}/{kind}/{}", issue.number));
    let comments = repo.comments_on(issue.number).len();
    let mut value = json!({
        "url": url,
        "repository_url": world.api(&format!("/repos/{full}")),
        "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"),
        "html_url": html_url,
        "id": issue.id,
        "node_id": node_id("Issue", issue.id),
        "number": issue.number,
        "title": issue.title,
        "user": user(world, &issue.user),
        "labels": issue.labels.iter().map(|name| label(world, repo, name)).collect::<Vec<_>>(),
        "state": issue.state.as_str(),
        "locked": issue.locked,
        "assignee": issue.assignees.first().map(|login| user(world, login)),
        "assignees": issue.assignees.iter().map(|login| user(world, login)).collect::<Vec<_>>(),
        "milestone": null,
        "comments": comments,
        "created_at": ts(issue.created_at),
        "updated_at": ts(issue.updated_at),
        "closed_at": ts_opt(issue.closed_at),
        "author_association": author_association(world, repo, &issue.user),
        "type": null,
        "active_lock_reason": null,
        "sub_issues_summary": { "total": 0, "completed": 0, "percent_completed": 0 },
        "body": issue.body,
        "closed_by": user_opt(world, issue.closed_by.as_deref()),
        "reactions": reaction_rollup(repo, ReactionSubject::Issue(issue.number), &url),
        "timeline_url": format!("{url}/timeline"),
        "performed_via_github_app": if issue.via_app { app(world) } else { Value::Null },
        "state_reason": issue.state_reason,
    });
    if let Some(pull) = &issue.pull_request {
        let pulls = world.api(&format!("/repos/{full}/pulls/{}", issue.number));
        value["draft"] = json!(pull.draft);
        value["pull_request"] = json!({
            "url": pulls,
            "html_url": html_url,
            "diff_url": format!("{html_url}.diff"),
            "patch_url": format!("{html_url}.patch"),
            "merged_at": ts_opt(pull.merged_at),
        });
    }
    value
}

/// Line additions and deletions between two versions of a file (LCS based,
/// falling back to a line multiset for very large files).
pub fn line_changes(old: &str, new: &str) -> (usize, usize) {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let common = if old.len().saturating_mul(new.len()) <= 4_000_000 {
        let mut previous = vec![0usize; new.len() + 1];
        for old_line in &old {
            let mut current = vec![0usize; new.len() + 1];
            for (j, new_line) in new.iter().enumerate() {
                current[j + 1] = if old_line == new_line {
                    previous[j] + 1
                } else {
                    current[j].max(previous[j + 1])
                };
            }
            previous = current;
        }
        previous[new.len()]
    } else {
        let mut counts: BTreeMap<&str, isize> = BTreeMap::new();
        for line in &old {
            *counts.entry(line).or_default() += 1;
        }
        new.iter()
            .filter(|line| {
                let count = counts.entry(line).or_default();
                *count -= 1;
                *count >= 0
            })
            .count()
    };
    (new.len() - common, old.len() - common)
}

/// The `files` of a diff between two file sets.
pub fn diff_files(
    world: &World,
    repo: &Repo,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    at: &str,
) -> Vec<Value> {
    let full = repo.full_name();
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let (status, additions, deletions, content) = match (old.get(path), new.get(path)) {
                (None, Some(content)) => ("added", content.lines().count(), 0, content),
                (Some(content), None) => ("removed", 0, content.lines().count(), content),
                (Some(before), Some(after)) if before != after => {
                    let (additions, deletions) = line_changes(before, after);
                    ("modified", additions, deletions, after)
                }
                _ => return None,
            };
            let escaped: String = path.split('/').map(escape).collect::<Vec<_>>().join("/");
            Some(json!({
                "sha": crate::objects::blob_sha(content.as_bytes()),
                "filename": path,
                "status": status,
                "additions": additions,
                "deletions": deletions,
                "changes": additions + deletions,
                "blob_url": world.html(&format!("/{full}/blob/{at}/{escaped}")),
                "raw_url": world.html(&format!("/{full}/raw/{at}/{escaped}")),
                "contents_url": world.api(&format!("/repos/{full}/contents/{escaped}?ref={at}")),
            }))
        })
        .collect()
}

fn sum_changes(files: &[Value]) -> (u64, u64) {
    files.iter().fold((0, 0), |(a, d), file| {
        (
            a + file["additions"].as_u64().unwrap_or_default(),
            d + file["deletions"].as_u64().unwrap_or_default(),
        )
    })
}

/// A pull request.
pub fn pull(world: &World, repo: &Repo, issue: &Issue, pull: &PullRequest) -> Value {
    let full = repo.full_name();
    let number = issue.number;
    let url = world.api(&format!("/repos/{full}/pulls/{number}"));
    let issue_url = world.api(&format!("/repos/{full}/issues/{number}"));
    let html_url = world.html(&format!("/{full}/pull/{number}"));
    let statuses_url = world.api(&format!("/repos/{full}/statuses/{}", pull.head_sha));
    let commits = repo.commits_between(&pull.base_sha, &pull.head_sha).len();
    let base_tree = repo
        .merge_base(&pull.base_sha, &pull.head_sha)
        .and_then(|sha| repo.commit(&sha).map(|c| c.tree.clone()))
        .unwrap_or_default();
    let head_tree = repo
        .commit(&pull.head_sha)
        .map(|c| c.tree.clone())
        .unwrap_or_default();
    let files = diff_files(world, repo, &base_tree, &head_tree, &pull.head_sha);
    let (additions, deletions) = sum_changes(&files);
    let repo_json = repository(world, repo);
    let branch = |git_ref: &str, sha: &str| {
        json!({
            "label": format!("{}:{git_ref}", repo.owner),
            "ref": git_ref,
            "sha": sha,
            "user": user(world, &repo.owner),
            "repo": repo_json,
        })
    };
    let open = issue.state == IssueState::Open;
    let links = json!({
        "self": { "href": url },
        "html": { "href": html_url },
        "issue": { "href": issue_url },
        "comments": { "href": format!("{issue_url}/comments") },
        "review_comments": { "href": format!("{url}/comments") },
        "review_comment": { "href": world.api(&format!("/repos/{full}/pulls/comments{{/number}}")) },
        "commits": { "href": format!("{url}/commits") },
        "statuses": { "href": statuses_url },
    });
    let mut value = json!({
        "url": url,
        "id": pull.id,
        "node_id": node_id("PullRequest", pull.id),
        "html_url": html_url,
        "diff_url": format!("{html_url}.diff"),
        "patch_url": format!("{html_url}.patch"),
        "issue_url": issue_url,
        "number": number,
        "state": issue.state.as_str(),
        "locked": issue.locked,
        "title": issue.title,
        "user": user(world, &issue.user),
        "body": issue.body,
        "created_at": ts(issue.created_at),
        "updated_at": ts(issue.updated_at),
        "closed_at": ts_opt(issue.closed_at),
        "merged_at": ts_opt(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": issue.assignees.first().map(|login| user(world, login)),
        "assignees": issue.assignees.iter().map(|login| user(world, login)).collect::<Vec<_>>(),
        "requested_reviewers": [],
        "requested_teams": [],
        "labels": issue.labels.iter().map(|name| label(world, repo, name)).collect::<Vec<_>>(),
        "milestone": null,
        "draft": pull.draft,
        "commits_url": format!("{url}/commits"),
        "review_comments_url": format!("{url}/comments"),
        "review_comment_url": world.api(&format!("/repos/{full}/pulls/comments{{/number}}")),
        "comments_url": format!("{issue_url}/comments"),
        "statuses_url": statuses_url,
        "head": branch(&pull.head_ref, &pull.head_sha),
        "base": branch(&pull.base_ref, &pull.base_sha),
        "_links": links,
    });
    // Split in two: one `json!` would exceed the macro recursion limit.
    let state = json!({
        "author_association": author_association(world, repo, &issue.user),
        "auto_merge": null,
        "active_lock_reason": null,
        "merged": pull.merged(),
        "mergeable": if open { json!(true) } else { Value::Null },
        "rebaseable": if open { json!(true) } else { Value::Null },
        "mergeable_state": if open { "clean" } else { "unknown" },
        "merged_by": user_opt(world, pull.merged_by.as_deref()),
        "comments": repo.comments_on(number).len(),
        "review_comments": repo.review_comments_on(number).len(),
        "maintainer_can_modify": false,
        "commits": commits,
        "additions": additions,
        "deletions": deletions,
        "changed_files": files.len(),
    });
    if let (Some(object), Value::Object(state)) = (value.as_object_mut(), state) {
        object.extend(state);
    }
    value
}

/// An issue comment.
pub fn comment(world: &World, repo: &Repo, comment: &IssueComment) -> Value {
    let full = repo.full_name();
    let url = world.api(&format!("/repos/{full}/issues/comments/{}", comment.id));
    let kind = match repo.issue(comment.issue_number) {
        Some(issue) if issue.pull_request.is_some() => "pull",
        _ => "issues",
    };
    json!({
        "url": url,
        "html_url": world.html(&format!("/{full}/{kind}/{}#issuecomment-{}", comment.issue_number, comment.id)),
        "issue_url": world.api(&format!("/repos/{full}/issues/{}", comment.issue_number)),
        "id": comment.id,
        "node_id": node_id("IssueComment", comment.id),
        "user": user(world, &comment.user),
        "created_at": ts(comment.created_at),
        "updated_at": ts(comment.updated_at),
        "author_association": author_association(world, repo, &comment.user),
        "body": comment.body,
        "reactions": reaction_rollup(repo, ReactionSubject::Comment(comment.id), &url),
        "performed_via_github_app": if comment.via_app { app(world) } else { Value::Null },
    })
}

/// Fields of the full PR that `pull-request-simple` (list endpoints, review webhooks) leaves out.
const NOT_IN_SIMPLE_PULL: [&str; 13] = [
    "merged",
    "mergeable",
    "rebaseable",
    "mergeable_state",
    "merged_by",
    "comments",
    "review_comments",
    "maintainer_can_modify",
    "commits",
    "additions",
    "deletions",
    "changed_files",
    "auto_merge_state",
];

/// A full PR rendering cut down to the `pull-request-simple` shape.
pub fn simple_pull(mut full: Value) -> Value {
    if let Some(object) = full.as_object_mut() {
        for key in NOT_IN_SIMPLE_PULL {
            object.remove(key);
        }
    }
    full
}

/// A pull request review comment (REST `pull-request-review-comment`, which webhooks share).
pub fn review_comment(world: &World, repo: &Repo, comment: &ReviewComment) -> Value {
    let full = repo.full_name();
    let url = world.api(&format!("/repos/{full}/pulls/comments/{}", comment.id));
    let pull_url = world.api(&format!("/repos/{full}/pulls/{}", comment.pull_number));
    let html_url = world.html(&format!(
        "/{full}/pull/{}#discussion_r{}",
        comment.pull_number, comment.id
    ));
    let mut value = json!({
        "url": url,
        "pull_request_review_id": comment.review_id,
        "id": comment.id,
        "node_id": node_id("PullRequestReviewComment", comment.id),
        "diff_hunk": format!("@@ -{0},1 +{0},1 @@", comment.line),
        "path": comment.path,
        "position": 1,
        "original_position": 1,
        "commit_id": comment.commit_id,
        "original_commit_id": comment.commit_id,
        "user": user(world, &comment.user),
        "body": comment.body,
        "created_at": ts(comment.created_at),
        "updated_at": ts(comment.updated_at),
        "html_url": html_url,
        "pull_request_url": pull_url,
        "author_association": author_association(world, repo, &comment.user),
        "_links": {
            "self": { "href": url },
            "html": { "href": html_url },
            "pull_request": { "href": pull_url },
        },
        "reactions": reaction_rollup(repo, ReactionSubject::ReviewComment(comment.id), &url),
        "start_line": null,
        "original_start_line": null,
        "start_side": null,
        "line": comment.line,
        "original_line": comment.line,
        "side": "RIGHT",
        "subject_type": "line",
    });
    // GitHub leaves `in_reply_to_id` out of comments that start a thread.
    if let Some(parent) = comment.in_reply_to {
        value["in_reply_to_id"] = json!(parent);
    }
    value
}

/// A pull request review as webhooks show it (state in lower case; `body` null when the review
/// has no summary).
pub fn review(world: &World, repo: &Repo, review: &Review) -> Value {
    let full = repo.full_name();
    let pull_url = world.api(&format!("/repos/{full}/pulls/{}", review.pull_number));
    let html_url = world.html(&format!(
        "/{full}/pull/{}#pullrequestreview-{}",
        review.pull_number, review.id
    ));
    json!({
        "id": review.id,
        "node_id": node_id("PullRequestReview", review.id),
        "user": user(world, &review.user),
        "body": review.body,
        "commit_id": review.commit_id,
        "submitted_at": ts(review.submitted_at),
        "state": review.state.as_str(),
        "html_url": html_url,
        "pull_request_url": pull_url,
        "author_association": author_association(world, repo, &review.user),
        "_links": {
            "html": { "href": html_url },
            "pull_request": { "href": pull_url },
        },
    })
}

/// A release.
pub fn release(world: &World, repo: &Repo, release: &Release) -> Value {
    let full = repo.full_name();
    let url = world.api(&format!("/repos/{full}/releases/{}", release.id));
    // Drafts have no public tag page yet.
    let html_url = if release.draft {
        world.html(&format!(
            "/{full}/releases/tag/untagged-{:020x}",
            release.id
        ))
    } else {
        world.html(&format!(
            "/{full}/releases/tag/{}",
            escape(&release.tag_name)
        ))
    };
    json!({
        "url": url,
        "assets_url": format!("{url}/assets"),
        "upload_url": format!("https://uploads.github.com/repos/{full}/releases/{}/assets{{?name,label}}", release.id),
        "html_url": html_url,
        "id": release.id,
        "author": user(world, &release.author),
        "node_id": node_id("Release", release.id),
        "tag_name": release.tag_name,
        "target_commitish": release.target_commitish,
        "name": release.name,
        "draft": release.draft,
        "immutable": false,
        "prerelease": release.prerelease,
        "created_at": ts(release.created_at),
        "updated_at": ts(release.updated_at),
        "published_at": ts_opt(release.published_at),
        "assets": [],
        "tarball_url": world.api(&format!("/repos/{full}/tarball/{}", escape(&release.tag_name))),
        "zipball_url": world.api(&format!("/repos/{full}/zipball/{}", escape(&release.tag_name))),
        "body": release.body,
    })
}

fn verification(commit: &Commit) -> Value {
    if commit.verified {
        json!({
            "verified": true,
            "reason": "valid",
            "signature": "-----BEGIN PGP SIGNATURE-----\n\nwsBcBAABCAAQBQJ(sim)\n-----END PGP SIGNATURE-----\n",
            "payload": format!("tree {}\n", commit.tree_sha),
            "verified_at": ts(commit.committer.date),
        })
    } else {
        json!({
            "verified": false,
            "reason": "unsigned",
            "signature": null,
            "payload": null,
            "verified_at": null,
        })
    }
}

fn git_actor(actor: &crate::world::GitActor) -> Value {
    json!({ "name": actor.name, "email": actor.email, "date": ts(actor.date) })
}

/// A commit as the Git data API shows it (`/git/commits/{sha}`).
pub fn git_commit(world: &World, repo: &Repo, commit: &Commit) -> Value {
    let full = repo.full_name();
    json!({
        "sha": commit.sha,
        "node_id": node_id("Commit", commit_number(&commit.sha)),
        "url": world.api(&format!("/repos/{full}/git/commits/{}", commit.sha)),
        "html_url": world.html(&format!("/{full}/commit/{}", commit.sha)),
        "author": git_actor(&commit.author),
        "committer": git_actor(&commit.committer),
        "tree": {
            "sha": commit.tree_sha,
            "url": world.api(&format!("/repos/{full}/git/trees/{}", commit.tree_sha)),
        },
        "message": commit.message,
        "parents": commit.parents.iter().map(|sha| json!({
            "sha": sha,
            "url": world.api(&format!("/repos/{full}/git/commits/{sha}")),
            "html_url": world.html(&format!("/{full}/commit/{sha}")),
        })).collect::<Vec<_>>(),
        "verification": verification(commit),
    })
}

/// A number derived from a sha, for node ids.
fn commit_number(sha: &str) -> u64 {
    u64::from_str_radix(sha.get(..12).unwrap_or("0"), 16).unwrap_or_default()
}

/// A commit as the Commits API shows it; `detailed` adds `stats` and `files`
/// (the single-commit endpoint).
pub fn commit(world: &World, repo: &Repo, commit: &Commit, detailed: bool) -> Value {
    let full = repo.full_name();
    let url = world.api(&format!("/repos/{full}/commits/{}", commit.sha));
    let mut value = json!({
        "sha": commit.sha,
        "node_id": node_id("Commit", commit_number(&commit.sha)),
        "commit": {
            "author": git_actor(&commit.author),
            "committer": git_actor(&commit.committer),
            "message": commit.message,
            "tree": {
                "sha": commit.tree_sha,
                "url": world.api(&format!("/repos/{full}/git/trees/{}", commit.tree_sha)),
            },
            "url": world.api(&format!("/repos/{full}/git/commits/{}", commit.sha)),
            "comment_count": 0,
            "verification": verification(commit),
        },
        "url": url,
        "html_url": world.html(&format!("/{full}/commit/{}", commit.sha)),
        "comments_url": format!("{url}/comments"),
        "author": user_opt(world, commit.author.login.as_deref()),
        "committer": user_opt(world, commit.committer.login.as_deref()),
        "parents": commit.parents.iter().map(|sha| json!({
            "sha": sha,
            "url": world.api(&format!("/repos/{full}/commits/{sha}")),
            "html_url": world.html(&format!("/{full}/commit/{sha}")),
        })).collect::<Vec<_>>(),
    });
    if detailed {
        let parent_tree = commit
            .parents
            .first()
            .and_then(|sha| repo.commit(sha))
            .map(|parent| parent.tree.clone())
            .unwrap_or_default();
        let files = diff_files(world, repo, &parent_tree, &commit.tree, &commit.sha);
        let (additions, deletions) = sum_changes(&files);
        value["stats"] = json!({
            "total": additions + deletions,
            "additions": additions,
            "deletions": deletions,
        });
        value["files"] = json!(files);
    }
    value
}

/// A git reference (`refs/heads/main`, `refs/tags/v1.0.0`).
pub fn git_ref(world: &World, repo: &Repo, full_ref: &str, sha: &str) -> Value {
    let full = repo.full_name();
    let escaped: String = full_ref
        .split('/')
        .map(escape)
        .collect::<Vec<_>>()
        .join("/");
    json!({
        "ref": full_ref,
        "node_id": base64::engine::general_purpose::STANDARD.encode(format!("{}:{full_ref}", repo.id)),
        "url": world.api(&format!("/repos/{full}/git/{escaped}")),
        "object": {
            "sha": sha,
            "type": "commit",
            "url": world.api(&format!("/repos/{full}/git/commits/{sha}")),
        },
    })
}

/// A commit status.
pub fn status(world: &World, repo: &Repo, status: &CommitStatus) -> Value {
    let full = repo.full_name();
    let creator_id = world
        .user(&status.creator)
        .map(|u| u.id)
        .unwrap_or_default();
    json!({
        "url": world.api(&format!("/repos/{full}/statuses/{}", status.sha)),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{creator_id}?v=4"),
        "id": status.id,
        "node_id": node_id("StatusContext", status.id),
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": ts(status.created_at),
        "updated_at": ts(status.updated_at),
        "creator": user(world, &status.creator),
    })
}

fn check_app(world: &World, app: &crate::world::CheckApp) -> Value {
    if app.id == world.app.id {
        return self::app(world);
    }
    json!({
        "id": app.id,
        "client_id": format!("Iv1.{:016x}", app.id),
        "slug": app.slug,
        "node_id": node_id("App", app.id),
        "owner": user(world, &app.owner),
        "name": app.name,
        "description": "",
        "external_url": world.html("/"),
        "html_url": world.html(&format!("/apps/{}", app.slug)),
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2024-04-10T20:33:16Z",
        "permissions": { "checks": "write", "contents": "write", "metadata": "read" },
        "events": ["check_run", "check_suite"],
    })
}

/// A check run.
pub fn check_run(world: &World, repo: &Repo, run: &CheckRun) -> Value {
    let full = repo.full_name();
    let url = world.api(&format!("/repos/{full}/check-runs/{}", run.id));
    json!({
        "id": run.id,
        "name": run.name,
        "node_id": node_id("CheckRun", run.id),
        "head_sha": run.head_sha,
        "external_id": run.external_id.clone().unwrap_or_default(),
        "url": url,
        "html_url": world.html(&format!("/{full}/runs/{}", run.id)),
        "details_url": run.details_url,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": ts_opt(run.started_at),
        "completed_at": ts_opt(run.completed_at),
        "output": {
            "title": run.output.title,
            "summary": run.output.summary,
            "text": run.output.text,
            "annotations_count": run.output.annotations.len(),
            "annotations_url": format!("{url}/annotations"),
        },
        "check_suite": { "id": run.check_suite_id },
        "app": check_app(world, &run.app),
        "pull_requests": pulls_for_head(world, repo, &run.head_sha),
    })
}

/// The minimal PR references check runs and suites carry.
fn pulls_for_head(world: &World, repo: &Repo, sha: &str) -> Vec<Value> {
    let full = repo.full_name();
    let repo_ref = json!({
        "id": repo.id,
        "url": world.api(&format!("/repos/{full}")),
        "name": repo.name,
    });
    repo.issues
        .values()
        .filter_map(|issue| issue.pull_request.as_ref().map(|pull| (issue, pull)))
        .filter(|(issue, pull)| issue.state == IssueState::Open && pull.head_sha == sha)
        .map(|(issue, pull)| {
            json!({
                "url": world.api(&format!("/repos/{full}/pulls/{}", issue.number)),
                "id": pull.id,
                "number": issue.number,
                "head": { "ref": pull.head_ref, "sha": pull.head_sha, "repo": repo_ref },
                "base": { "ref": pull.base_ref, "sha": pull.base_sha, "repo": repo_ref },
            })
        })
        .collect()
}

/// A check suite, with status and conclusion rolled up from its runs.
pub fn check_suite(world: &World, repo: &Repo, suite: &CheckSuite) -> Value {
    let full = repo.full_name();
    let runs: Vec<&CheckRun> = repo
        .check_runs
        .values()
        .filter(|run| run.check_suite_id == suite.id)
        .collect();
    let completed = runs.iter().all(|run| run.status == "completed");
    let status = if runs.is_empty() {
        "queued"
    } else if completed {
        "completed"
    } else {
        "in_progress"
    };
    let conclusion = completed.then(|| suite_conclusion(&runs)).flatten();
    let updated_at = runs
        .iter()
        .filter_map(|run| run.completed_at.or(run.started_at))
        .max()
        .unwrap_or(suite.created_at);
    let head_commit = repo.commit(&suite.head_sha);
    json!({
        "id": suite.id,
        "node_id": node_id("CheckSuite", suite.id),
        "head_branch": suite.head_branch,
        "head_sha": suite.head_sha,
        "status": status,
        "conclusion": conclusion,
        "url": world.api(&format!("/repos/{full}/check-suites/{}", suite.id)),
        "before": head_commit.and_then(|c| c.parents.first().cloned()),
        "after": suite.head_sha,
        "pull_requests": pulls_for_head(world, repo, &suite.head_sha),
        "app": check_app(world, &suite.app),
        "created_at": ts(suite.created_at),
        "updated_at": ts(updated_at),
        "rerequestable": true,
        "runs_rerequestable": false,
        "latest_check_runs_count": runs.len(),
        "check_runs_url": world.api(&format!("/repos/{full}/check-suites/{}/check-runs", suite.id)),
        "head_commit": head_commit.map(|c| json!({
            "id": c.sha,
            "tree_id": c.tree_sha,
            "message": c.message,
            "timestamp": ts(c.committer.date),
            "author": { "name": c.author.name, "email": c.author.email },
            "committer": { "name": c.committer.name, "email": c.committer.email },
        })),
    })
}

/// The conclusion of a finished suite: the worst of its runs.
fn suite_conclusion(runs: &[&CheckRun]) -> Option<String> {
    const ORDER: [&str; 8] = [
        "action_required",
        "failure",
        "timed_out",
        "cancelled",
        "stale",
        "neutral",
        "success",
        "skipped",
    ];
    runs.iter()
        .filter_map(|run| run.conclusion.as_deref())
        .min_by_key(|c| ORDER.iter().position(|o| o == c).unwrap_or(ORDER.len()))
        .map(str::to_string)
}

/// A deployment.
pub fn deployment(world: &World, repo: &Repo, deployment: &Deployment) -> Value {
    let full = repo.full_name();
    let url = world.api(&format!("/repos/{full}/deployments/{}", deployment.id));
    json!({
        "url": url,
        "id": deployment.id,
        "node_id": node_id("Deployment", deployment.id),
        "sha": deployment.sha,
        "ref": deployment.git_ref,
        "task": deployment.task,
        "payload": deployment.payload,
        "original_environment": deployment.original_environment,
        "environment": deployment.environment,
        "description": deployment.description,
        "creator": user(world, &deployment.creator),
        "created_at": ts(deployment.created_at),
        "updated_at": ts(deployment.updated_at),
        "statuses_url": format!("{url}/statuses"),
        "repository_url": world.api(&format!("/repos/{full}")),
        "transient_environment": deployment.transient_environment,
        "production_environment": deployment.production_environment,
        "performed_via_github_app": if deployment.via_app { app(world) } else { Value::Null },
    })
}

/// A deployment status.
pub fn deployment_status(
    world: &World,
    repo: &Repo,
    deployment: &Deployment,
    status: &DeploymentStatus,
) -> Value {
    let full = repo.full_name();
    let deployment_url = world.api(&format!("/repos/{full}/deployments/{}", deployment.id));
    json!({
        "url": format!("{deployment_url}/statuses/{}", status.id),
        "id": status.id,
        "node_id": node_id("DeploymentStatus", status.id),
        "state": status.state,
        "creator": user(world, &status.creator),
        "description": status.description,
        "environment": status.environment,
        "target_url": status.target_url,
        "created_at": ts(status.created_at),
        "updated_at": ts(status.updated_at),
        "deployment_url": deployment_url,
        "repository_url": world.api(&format!("/repos/{full}")),
        "environment_url": status.environment_url,
        "log_url": status.log_url,
        "performed_via_github_app": if status.creator == crate::world::bot_login() { app(world) } else { Value::Null },
    })
}

/// An App webhook delivery; `detailed` adds the request and response.
pub fn delivery(delivery: &HookDelivery, detailed: bool) -> Value {
    let mut value = json!({
        "id": delivery.id,
        "guid": delivery.guid,
        "delivered_at": ts(delivery.delivered_at),
        "redelivery": delivery.redelivery,
        "duration": delivery.duration,
        "status": delivery.status,
        "status_code": delivery.status_code,
        "event": delivery.event,
        "action": delivery.action,
        "installation_id": delivery.installation_id,
        "repository_id": delivery.repository_id,
        "throttled_at": null,
    });
    if detailed {
        value["url"] = json!("https://relman.example.net/api/github/webhooks");
        value["request"] = json!({
            "headers": {
                "Accept": "*/*",
                "Content-Type": "application/json",
                "User-Agent": "GitHub-Hookshot/sim",
                "X-GitHub-Delivery": delivery.guid,
                "X-GitHub-Event": delivery.event,
                "X-GitHub-Hook-ID": "424242",
                "X-GitHub-Hook-Installation-Target-ID": crate::APP_ID.to_string(),
                "X-GitHub-Hook-Installation-Target-Type": "integration",
            },
            "payload": delivery.payload,
        });
        value["response"] = json!({
            "headers": { "Content-Type": "application/json" },
            "payload": "",
        });
    }
    value
}
