//! Pull requests.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiRequest, ApiResponse, ApiResult, nullable, paginate, parse_id, repo_of};
use crate::render;
use crate::world::{
    Issue, IssueState, PullRequest, ReactionSubject, Repo, ReviewComment, World, bot_login,
};

fn pull_of<'w>(
    world: &'w World,
    repo: &str,
    number: &str,
) -> Result<(&'w Repo, &'w Issue, &'w PullRequest), ApiError> {
    let number = parse_id(number)?;
    let r = repo_of(world, repo)?;
    let (issue, pull) = r.pull(number).ok_or(ApiError::NotFound)?;
    Ok((r, issue, pull))
}

fn render_pull(world: &World, repo: &str, number: u64) -> Result<Value, ApiError> {
    let r = repo_of(world, repo)?;
    let (issue, pull) = r.pull(number).ok_or(ApiError::NotFound)?;
    Ok(render::pull(world, r, issue, pull))
}

/// `GET /repos/{owner}/{repo}/pulls/{number}`.
pub(super) fn get(world: &World, repo: &str, number: &str) -> ApiResult {
    let (r, issue, pull) = pull_of(world, repo, number)?;
    Ok(ApiResponse::ok(render::pull(world, r, issue, pull)))
}

/// `GET /repos/{owner}/{repo}/pulls`.
pub(super) fn list(world: &World, request: &ApiRequest, repo: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let state = request.query("state").unwrap_or("open");
    let head = request.query("head");
    let mut pulls: Vec<(&Issue, &PullRequest)> = r
        .issues
        .values()
        .filter_map(|issue| issue.pull_request.as_ref().map(|pull| (issue, pull)))
        .filter(|(issue, _)| match state {
            "all" => true,
            "closed" => issue.state == IssueState::Closed,
            _ => issue.state == IssueState::Open,
        })
        .filter(|(_, pull)| {
            request
                .query("base")
                .is_none_or(|base| pull.base_ref == base)
        })
        .filter(|(_, pull)| {
            head.is_none_or(|head| {
                // `user:ref`, as GitHub documents; a bare ref also matches.
                let branch = head.split_once(':').map_or(head, |(owner, branch)| {
                    if owner.eq_ignore_ascii_case(&r.owner) {
                        branch
                    } else {
                        "\u{0}"
                    }
                });
                pull.head_ref == branch
            })
        })
        .collect();
    let sort = request.query("sort").unwrap_or("created");
    match sort {
        "updated" => pulls.sort_by_key(|(issue, _)| (issue.updated_at, issue.number)),
        "long-running" => {
            pulls.sort_by_key(|(issue, _)| (std::cmp::Reverse(issue.created_at), issue.number))
        }
        _ => pulls.sort_by_key(|(issue, _)| (issue.created_at, issue.number)),
    }
    // Default direction: desc for `created` (or no sort), asc otherwise.
    let descending = match request.query("direction") {
        Some(direction) => direction == "desc",
        None => sort == "created",
    };
    if descending {
        pulls.reverse();
    }
    let items = pulls
        .into_iter()
        .map(|(issue, pull)| render::simple_pull(render::pull(world, r, issue, pull)))
        .collect();
    Ok(paginate(world, request, items))
}

#[derive(Debug, Deserialize)]
struct CreatePull {
    title: Option<String>,
    head: Option<String>,
    base: Option<String>,
    body: Option<String>,
    #[serde(default)]
    draft: bool,
}

fn custom_error(message: String) -> ApiError {
    ApiError::Unprocessable {
        message: "Validation Failed".to_string(),
        errors: vec![json!({ "resource": "PullRequest", "code": "custom", "message": message })],
    }
}

/// `POST /repos/{owner}/{repo}/pulls`.
pub(super) fn create(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let body: CreatePull = request.json()?;
    let Some(title) = body.title.filter(|t| !t.is_empty()) else {
        return Err(ApiError::validation(
            "PullRequest",
            "title",
            "missing_field",
        ));
    };
    let Some(head_spec) = body.head else {
        return Err(ApiError::validation("PullRequest", "head", "missing_field"));
    };
    let Some(base) = body.base else {
        return Err(ApiError::validation("PullRequest", "base", "missing_field"));
    };
    let head = head_spec
        .split_once(':')
        .map_or(head_spec.as_str(), |(_, branch)| branch)
        .to_string();
    let head_sha = r
        .branches
        .get(&head)
        .cloned()
        .ok_or_else(|| ApiError::validation("PullRequest", "head", "invalid"))?;
    let base_sha = r
        .branches
        .get(&base)
        .cloned()
        .ok_or_else(|| ApiError::validation("PullRequest", "base", "invalid"))?;
    if r.commits_between(&base_sha, &head_sha).is_empty() {
        return Err(custom_error(format!(
            "No commits between {base} and {head}"
        )));
    }
    let duplicate = r.issues.values().any(|issue| {
        issue.state == IssueState::Open
            && issue
                .pull_request
                .as_ref()
                .is_some_and(|pull| pull.head_ref == head && pull.base_ref == base)
    });
    if duplicate {
        return Err(custom_error(format!(
            "A pull request already exists for {}:{head}.",
            r.owner
        )));
    }
    let actor = bot_login();
    let number = world.open_pr(repo, &actor, &title, &head, &base);
    if let Some(issue) = world.repo_mut(repo).and_then(|r| r.issues.get_mut(&number)) {
        issue.body = body.body;
        issue.via_app = true;
        if let Some(pull) = issue.pull_request.as_mut() {
            pull.draft = body.draft;
        }
    }
    Ok(ApiResponse::created(render_pull(world, repo, number)?))
}

#[derive(Debug, Deserialize)]
struct UpdatePull {
    title: Option<String>,
    #[serde(default, deserialize_with = "nullable::deserialize")]
    body: Option<Option<String>>,
    state: Option<String>,
    base: Option<String>,
}

/// `PATCH /repos/{owner}/{repo}/pulls/{number}`.
pub(super) fn update(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let (r, issue, pull) = pull_of(world, repo, number)?;
    let number = issue.number;
    let merged = pull.merged();
    let body: UpdatePull = request.json()?;
    let new_base = match &body.base {
        Some(base) => Some((
            base.clone(),
            r.branches
                .get(base)
                .cloned()
                .ok_or_else(|| ApiError::validation("PullRequest", "base", "invalid"))?,
        )),
        None => None,
    };
    match body.state.as_deref() {
        None | Some("open") | Some("closed") => {}
        Some(_) => return Err(ApiError::validation("PullRequest", "state", "invalid")),
    }
    if merged && body.state.as_deref() == Some("open") {
        return Err(custom_error(
            "Cannot reopen a merged pull request".to_string(),
        ));
    }
    let now = world.now;
    let actor = bot_login();
    let issue = world
        .repo_mut(repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(ApiError::NotFound)?;
    if let Some(title) = body.title {
        issue.title = title;
    }
    if let Some(text) = body.body {
        issue.body = text;
    }
    match body.state.as_deref() {
        Some("closed") if issue.state == IssueState::Open => {
            issue.state = IssueState::Closed;
            issue.closed_at = Some(now);
            issue.closed_by = Some(actor);
        }
        Some("open") if issue.state == IssueState::Closed => {
            issue.state = IssueState::Open;
            issue.closed_at = None;
            issue.closed_by = None;
        }
        _ => {}
    }
    if let (Some((base, sha)), Some(pull)) = (new_base, issue.pull_request.as_mut()) {
        pull.base_ref = base;
        pull.base_sha = sha;
    }
    issue.updated_at = now;
    Ok(ApiResponse::ok(render_pull(world, repo, number)?))
}

/// `GET /repos/{owner}/{repo}/pulls/{number}/commits`: oldest first.
pub(super) fn commits(world: &World, request: &ApiRequest, repo: &str, number: &str) -> ApiResult {
    let (r, _, pull) = pull_of(world, repo, number)?;
    let items = r
        .commits_between(&pull.base_sha, &pull.head_sha)
        .iter()
        .filter_map(|sha| r.commit(sha))
        .map(|commit| render::commit(world, r, commit, false))
        .collect();
    Ok(paginate(world, request, items))
}

/// `GET /repos/{owner}/{repo}/commits/{sha}/pulls`: the PRs that brought the
/// commit in (merged with it, or carrying it on their head branch).
pub(super) fn for_commit(world: &World, request: &ApiRequest, repo: &str, rev: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let sha = r
        .resolve(rev)
        .ok_or_else(|| ApiError::invalid(format!("No commit found for SHA: {rev}")))?;
    let items = r
        .issues
        .values()
        .filter_map(|issue| issue.pull_request.as_ref().map(|pull| (issue, pull)))
        .filter(|(_, pull)| {
            pull.merge_commit_sha.as_deref() == Some(sha.as_str())
                || pull.head_sha == sha
                || r.commits_between(&pull.base_sha, &pull.head_sha)
                    .contains(&sha)
        })
        .map(|(issue, pull)| render::simple_pull(render::pull(world, r, issue, pull)))
        .collect();
    Ok(paginate(world, request, items))
}

fn review_comment_of<'w>(
    world: &'w World,
    repo: &str,
    id: &str,
) -> Result<(&'w Repo, &'w ReviewComment), ApiError> {
    let id = parse_id(id)?;
    let r = repo_of(world, repo)?;
    let comment = r.review_comments.get(&id).ok_or(ApiError::NotFound)?;
    Ok((r, comment))
}

/// `GET /repos/{owner}/{repo}/pulls/comments/{id}`.
pub(super) fn get_review_comment(world: &World, repo: &str, id: &str) -> ApiResult {
    let (r, comment) = review_comment_of(world, repo, id)?;
    Ok(ApiResponse::ok(render::review_comment(world, r, comment)))
}

/// `GET /repos/{owner}/{repo}/pulls/{number}/comments`: the PR's review comments, oldest first.
pub(super) fn list_review_comments(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let (r, issue, _) = pull_of(world, repo, number)?;
    let items = r
        .review_comments_on(issue.number)
        .into_iter()
        .map(|comment| render::review_comment(world, r, comment))
        .collect();
    Ok(paginate(world, request, items))
}

/// `GET /repos/{owner}/{repo}/pulls/comments/{id}/reactions`.
pub(super) fn list_review_comment_reactions(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let id = review_comment_of(world, repo, id)?.1.id;
    super::issues::list_reactions(world, request, repo, ReactionSubject::ReviewComment(id))
}

/// `POST /repos/{owner}/{repo}/pulls/comments/{id}/reactions`.
pub(super) fn react_to_review_comment(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let id = review_comment_of(world, repo, id)?.1.id;
    super::issues::react(world, request, repo, ReactionSubject::ReviewComment(id))
}
