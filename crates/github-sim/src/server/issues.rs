//! Issues (and PRs seen as issues), comments, labels, assignees, reactions.
//!
//! Everything written through these endpoints with an installation token is
//! done by the App's bot user, as on GitHub.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;

use super::{ApiError, ApiRequest, ApiResponse, ApiResult, nullable, paginate, parse_id, repo_of};
use crate::render;
use crate::world::{
    Issue, IssueComment, IssueState, REACTION_CONTENTS, Reaction, ReactionSubject, World, bot_login,
};

/// A label given by name or as `{"name": ...}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum LabelArg {
    Name(String),
    Object { name: String },
}

impl LabelArg {
    fn into_name(self) -> String {
        match self {
            LabelArg::Name(name) | LabelArg::Object { name } => name,
        }
    }
}

fn issue_of<'w>(world: &'w World, repo: &str, number: &str) -> Result<&'w Issue, ApiError> {
    let number = parse_id(number)?;
    repo_of(world, repo)?
        .issue(number)
        .ok_or(ApiError::NotFound)
}

fn issue_mut<'w>(world: &'w mut World, repo: &str, number: u64) -> Result<&'w mut Issue, ApiError> {
    world
        .repo_mut(repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(ApiError::NotFound)
}

fn render_issue(world: &World, repo: &str, number: u64) -> Result<Value, ApiError> {
    let r = repo_of(world, repo)?;
    let issue = r.issue(number).ok_or(ApiError::NotFound)?;
    Ok(render::issue(world, r, issue))
}

/// Whether `login` can be assigned on `repo`: an account with any role on it
/// (collaborators, the owner, members of the owning organization's teams).
fn assignable(world: &World, repo: &str, login: &str) -> bool {
    if world.user(login).is_none() {
        return false;
    }
    if world.permission_of(repo, login).is_some() {
        return true;
    }
    let owner = repo.split('/').next().unwrap_or_default();
    world
        .teams
        .values()
        .any(|team| team.org == owner && team.members.contains_key(login))
}

fn check_assignees(world: &World, repo: &str, logins: &[String]) -> Result<(), ApiError> {
    match logins.iter().find(|login| !assignable(world, repo, login)) {
        Some(_) => Err(ApiError::validation("Issue", "assignees", "invalid")),
        None => Ok(()),
    }
}

fn parse_time(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.to_utc())
        .map_err(|_| ApiError::invalid(format!("Invalid value for `since`: {raw}")))
}

/// `GET /repos/{owner}/{repo}/issues`.
pub(super) fn list(world: &World, request: &ApiRequest, repo: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let state = request.query("state").unwrap_or("open");
    let labels: Vec<&str> = request
        .query("labels")
        .map(|labels| {
            labels
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let since = request.query("since").map(parse_time).transpose()?;
    let mut issues: Vec<&Issue> = r
        .issues
        .values()
        .filter(|issue| match state {
            "all" => true,
            "closed" => issue.state == IssueState::Closed,
            _ => issue.state == IssueState::Open,
        })
        .filter(|issue| {
            labels
                .iter()
                .all(|label| issue.labels.iter().any(|l| l == label))
        })
        .filter(|issue| {
            request
                .query("creator")
                .is_none_or(|creator| issue.user == creator)
        })
        .filter(|issue| match request.query("assignee") {
            None => true,
            Some("*") => !issue.assignees.is_empty(),
            Some("none") => issue.assignees.is_empty(),
            Some(login) => issue.assignees.iter().any(|a| a == login),
        })
        .filter(|issue| since.is_none_or(|since| issue.updated_at >= since))
        .collect();
    let comments = |issue: &Issue| r.comments_on(issue.number).len();
    match request.query("sort").unwrap_or("created") {
        "updated" => issues.sort_by_key(|issue| (issue.updated_at, issue.number)),
        "comments" => issues.sort_by_key(|issue| (comments(issue), issue.number)),
        _ => issues.sort_by_key(|issue| (issue.created_at, issue.number)),
    }
    if request.query("direction") != Some("asc") {
        issues.reverse();
    }
    let items = issues
        .into_iter()
        .map(|issue| render::issue(world, r, issue))
        .collect();
    Ok(paginate(world, request, items))
}

#[derive(Debug, Deserialize)]
struct CreateIssue {
    title: Option<Value>,
    body: Option<String>,
    labels: Option<Vec<LabelArg>>,
    assignees: Option<Vec<String>>,
    assignee: Option<String>,
}

/// `POST /repos/{owner}/{repo}/issues`.
pub(super) fn create(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    repo_of(world, repo)?;
    let body: CreateIssue = request.json()?;
    let title = match body.title {
        Some(Value::String(title)) if !title.is_empty() => title,
        Some(Value::Number(number)) => number.to_string(),
        _ => return Err(ApiError::validation("Issue", "title", "missing_field")),
    };
    let mut assignees = body.assignees.unwrap_or_default();
    if let Some(assignee) = body.assignee {
        assignees.insert(0, assignee);
    }
    assignees.dedup();
    check_assignees(world, repo, &assignees)?;
    let labels: Vec<String> = body
        .labels
        .unwrap_or_default()
        .into_iter()
        .map(LabelArg::into_name)
        .collect();
    let actor = bot_login();
    let number = world.open_issue(
        repo,
        &actor,
        &title,
        body.body.as_deref().unwrap_or_default(),
    );
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    world.add_labels(repo, number, &label_refs);
    let issue = issue_mut(world, repo, number)?;
    issue.body = body.body;
    issue.assignees = assignees;
    issue.via_app = true;
    Ok(ApiResponse::created(render_issue(world, repo, number)?))
}

/// `GET /repos/{owner}/{repo}/issues/{number}`.
pub(super) fn get(world: &World, repo: &str, number: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let issue = issue_of(world, repo, number)?;
    Ok(ApiResponse::ok(render::issue(world, r, issue)))
}

#[derive(Debug, Deserialize)]
struct UpdateIssue {
    title: Option<String>,
    #[serde(default, deserialize_with = "nullable::deserialize")]
    body: Option<Option<String>>,
    state: Option<String>,
    #[serde(default, deserialize_with = "nullable::deserialize")]
    state_reason: Option<Option<String>>,
    labels: Option<Vec<LabelArg>>,
    assignees: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable::deserialize")]
    assignee: Option<Option<String>>,
}

/// `PATCH /repos/{owner}/{repo}/issues/{number}`.
pub(super) fn update(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    let body: UpdateIssue = request.json()?;
    if let Some(state) = &body.state
        && state != "open"
        && state != "closed"
    {
        return Err(ApiError::validation("Issue", "state", "invalid"));
    }
    if let Some(Some(reason)) = &body.state_reason
        && !["completed", "not_planned", "reopened", "duplicate"].contains(&reason.as_str())
    {
        return Err(ApiError::validation("Issue", "state_reason", "invalid"));
    }
    let assignees = match (body.assignees, body.assignee) {
        (Some(assignees), _) => Some(assignees),
        (None, Some(assignee)) => Some(assignee.into_iter().collect()),
        (None, None) => None,
    };
    if let Some(assignees) = &assignees {
        check_assignees(world, repo, assignees)?;
    }
    if let Some(labels) = body.labels {
        let names: Vec<String> = labels.into_iter().map(LabelArg::into_name).collect();
        for name in &names {
            world.ensure_label(repo, name);
        }
        let issue = issue_mut(world, repo, number)?;
        issue.labels.clear();
        for name in names {
            if !issue.labels.contains(&name) {
                issue.labels.push(name);
            }
        }
    }
    let now = world.now;
    let actor = bot_login();
    let issue = issue_mut(world, repo, number)?;
    if let Some(title) = body.title {
        issue.title = title;
    }
    if let Some(text) = body.body {
        issue.body = text;
    }
    if let Some(assignees) = assignees {
        issue.assignees = assignees;
    }
    match body.state.as_deref() {
        Some("closed") if issue.state == IssueState::Open => {
            issue.state = IssueState::Closed;
            issue.closed_at = Some(now);
            issue.closed_by = Some(actor);
            issue.state_reason = Some(
                body.state_reason
                    .clone()
                    .flatten()
                    .unwrap_or_else(|| "completed".to_string()),
            );
        }
        Some("open") if issue.state == IssueState::Closed => {
            if issue
                .pull_request
                .as_ref()
                .is_some_and(|pull| pull.merged())
            {
                return Err(ApiError::validation("Issue", "state", "invalid"));
            }
            issue.state = IssueState::Open;
            issue.closed_at = None;
            issue.closed_by = None;
            issue.state_reason = Some("reopened".to_string());
        }
        _ => {
            if let Some(reason) = body.state_reason {
                issue.state_reason = reason;
            }
        }
    }
    issue.updated_at = now;
    Ok(ApiResponse::ok(render_issue(world, repo, number)?))
}

/// `GET /repos/{owner}/{repo}/issues/{number}/comments`.
pub(super) fn list_comments(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let r = repo_of(world, repo)?;
    let issue = issue_of(world, repo, number)?;
    let since = request.query("since").map(parse_time).transpose()?;
    let items = r
        .comments_on(issue.number)
        .into_iter()
        .filter(|comment| since.is_none_or(|since| comment.updated_at >= since))
        .map(|comment| render::comment(world, r, comment))
        .collect();
    Ok(paginate(world, request, items))
}

#[derive(Debug, Deserialize)]
struct CommentBody {
    body: Option<String>,
}

/// `POST /repos/{owner}/{repo}/issues/{number}/comments`.
pub(super) fn create_comment(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    let Some(body) = request.json::<CommentBody>()?.body else {
        return Err(ApiError::validation(
            "IssueComment",
            "body",
            "missing_field",
        ));
    };
    let id = world.add_comment(repo, number, &bot_login(), &body);
    let now = world.now;
    issue_mut(world, repo, number)?.updated_at = now;
    let r = repo_of(world, repo)?;
    let comment = r.comments.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::created(render::comment(world, r, comment)))
}

fn comment_of<'w>(world: &'w World, repo: &str, id: &str) -> Result<&'w IssueComment, ApiError> {
    let id = parse_id(id)?;
    repo_of(world, repo)?
        .comments
        .get(&id)
        .ok_or(ApiError::NotFound)
}

/// `GET /repos/{owner}/{repo}/issues/comments/{id}`.
pub(super) fn get_comment(world: &World, repo: &str, id: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let comment = comment_of(world, repo, id)?;
    Ok(ApiResponse::ok(render::comment(world, r, comment)))
}

/// `PATCH /repos/{owner}/{repo}/issues/comments/{id}`.
pub(super) fn update_comment(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let id = comment_of(world, repo, id)?.id;
    let Some(body) = request.json::<CommentBody>()?.body else {
        return Err(ApiError::validation(
            "IssueComment",
            "body",
            "missing_field",
        ));
    };
    world.edit_comment(repo, id, &body);
    let r = repo_of(world, repo)?;
    let comment = r.comments.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::comment(world, r, comment)))
}

/// `DELETE /repos/{owner}/{repo}/issues/comments/{id}`.
pub(super) fn delete_comment(world: &mut World, repo: &str, id: &str) -> ApiResult {
    let id = comment_of(world, repo, id)?.id;
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    r.comments.remove(&id);
    r.reactions
        .retain(|reaction| reaction.subject != ReactionSubject::Comment(id));
    Ok(ApiResponse::no_content())
}

/// Label names from a labels request body: `{"labels": [...]}` or a bare array,
/// of names or `{"name": ...}` objects.
fn label_names(request: &ApiRequest) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Body {
        Wrapped { labels: Vec<LabelArg> },
        Bare(Vec<LabelArg>),
    }
    let labels = match request.json::<Body>()? {
        Body::Wrapped { labels } | Body::Bare(labels) => labels,
    };
    Ok(labels.into_iter().map(LabelArg::into_name).collect())
}

fn issue_labels(world: &World, repo: &str, number: u64) -> Result<Value, ApiError> {
    let r = repo_of(world, repo)?;
    let issue = r.issue(number).ok_or(ApiError::NotFound)?;
    Ok(Value::Array(
        issue
            .labels
            .iter()
            .map(|name| render::label(world, r, name))
            .collect(),
    ))
}

/// `GET /repos/{owner}/{repo}/issues/{number}/labels`.
pub(super) fn list_labels(world: &World, repo: &str, number: &str) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    Ok(ApiResponse::ok(issue_labels(world, repo, number)?))
}

/// `POST /repos/{owner}/{repo}/issues/{number}/labels`: adds, creating
/// repository labels that do not exist yet.
pub(super) fn add_labels(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    let names = label_names(request)?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    world.add_labels(repo, number, &refs);
    Ok(ApiResponse::ok(issue_labels(world, repo, number)?))
}

/// `PUT /repos/{owner}/{repo}/issues/{number}/labels`: replaces.
pub(super) fn set_labels(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    let names = label_names(request)?;
    issue_mut(world, repo, number)?.labels.clear();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    world.add_labels(repo, number, &refs);
    Ok(ApiResponse::ok(issue_labels(world, repo, number)?))
}

/// `DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}`.
pub(super) fn remove_label(world: &mut World, repo: &str, number: &str, name: &str) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    let now = world.now;
    let issue = issue_mut(world, repo, number)?;
    let before = issue.labels.len();
    issue
        .labels
        .retain(|label| !label.eq_ignore_ascii_case(name));
    if issue.labels.len() == before {
        return Err(ApiError::Other(
            axum::http::StatusCode::NOT_FOUND,
            "Label does not exist".to_string(),
        ));
    }
    issue.updated_at = now;
    Ok(ApiResponse::ok(issue_labels(world, repo, number)?))
}

#[derive(Debug, Deserialize)]
struct AssigneesBody {
    #[serde(default)]
    assignees: Vec<String>,
}

/// `POST /repos/{owner}/{repo}/issues/{number}/assignees`: logins that cannot
/// be assigned are ignored silently, as GitHub does.
pub(super) fn add_assignees(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    let body: AssigneesBody = request.json()?;
    let accepted: Vec<String> = body
        .assignees
        .into_iter()
        .filter(|login| assignable(world, repo, login))
        .collect();
    let now = world.now;
    let issue = issue_mut(world, repo, number)?;
    for login in accepted {
        // GitHub allows at most ten assignees.
        if !issue.assignees.contains(&login) && issue.assignees.len() < 10 {
            issue.assignees.push(login);
        }
    }
    issue.updated_at = now;
    Ok(ApiResponse::created(render_issue(world, repo, number)?))
}

/// `DELETE /repos/{owner}/{repo}/issues/{number}/assignees`.
pub(super) fn remove_assignees(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    let body: AssigneesBody = request.json()?;
    let now = world.now;
    let issue = issue_mut(world, repo, number)?;
    issue
        .assignees
        .retain(|login| !body.assignees.contains(login));
    issue.updated_at = now;
    Ok(ApiResponse::ok(render_issue(world, repo, number)?))
}

pub(super) fn list_reactions(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    subject: ReactionSubject,
) -> ApiResult {
    let r = repo_of(world, repo)?;
    let content = request.query("content");
    let items = r
        .reactions_on(subject)
        .into_iter()
        .filter(|reaction| content.is_none_or(|content| reaction.content == content))
        .map(|reaction| render::reaction(world, reaction))
        .collect();
    Ok(paginate(world, request, items))
}

#[derive(Debug, Deserialize)]
struct ReactionBody {
    content: Option<String>,
}

/// Adds the bot's reaction: 201 when new, 200 with the existing one when the
/// bot already reacted with that content.
pub(super) fn react(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    subject: ReactionSubject,
) -> ApiResult {
    let content = request.json::<ReactionBody>()?.content;
    let Some(content) = content.filter(|c| REACTION_CONTENTS.contains(&c.as_str())) else {
        return Err(ApiError::validation("Reaction", "content", "invalid"));
    };
    let actor = bot_login();
    let existing = repo_of(world, repo)?
        .reactions
        .iter()
        .find(|r| r.subject == subject && r.user == actor && r.content == content)
        .cloned();
    if let Some(existing) = existing {
        return Ok(ApiResponse::ok(render::reaction(world, &existing)));
    }
    let reaction = Reaction {
        id: world.next_id(),
        subject,
        user: actor,
        content,
        created_at: world.now,
    };
    world
        .repo_mut(repo)
        .ok_or(ApiError::NotFound)?
        .reactions
        .push(reaction.clone());
    Ok(ApiResponse::created(render::reaction(world, &reaction)))
}

/// `GET /repos/{owner}/{repo}/issues/{number}/reactions`.
pub(super) fn list_issue_reactions(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    list_reactions(world, request, repo, ReactionSubject::Issue(number))
}

/// `POST /repos/{owner}/{repo}/issues/{number}/reactions`.
pub(super) fn react_to_issue(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    number: &str,
) -> ApiResult {
    let number = issue_of(world, repo, number)?.number;
    react(world, request, repo, ReactionSubject::Issue(number))
}

/// `GET /repos/{owner}/{repo}/issues/comments/{id}/reactions`.
pub(super) fn list_comment_reactions(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let id = comment_of(world, repo, id)?.id;
    list_reactions(world, request, repo, ReactionSubject::Comment(id))
}

/// `POST /repos/{owner}/{repo}/issues/comments/{id}/reactions`.
pub(super) fn react_to_comment(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let id = comment_of(world, repo, id)?.id;
    react(world, request, repo, ReactionSubject::Comment(id))
}
