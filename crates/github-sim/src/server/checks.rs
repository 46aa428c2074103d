//! Commit statuses, check runs and check suites.

use std::collections::BTreeMap;

use chrono::DateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ApiError, ApiRequest, ApiResponse, ApiResult, paginate, paginate_wrapped, parse_id, repo_of,
};
use crate::render;
use crate::world::{CheckApp, CheckOutput, CheckRun, CommitStatus, Repo, World, bot_login};

const STATUS_STATES: [&str; 4] = ["error", "failure", "pending", "success"];
const CHECK_STATUSES: [&str; 6] = [
    "queued",
    "in_progress",
    "completed",
    "waiting",
    "requested",
    "pending",
];
const CONCLUSIONS: [&str; 8] = [
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
];
/// GitHub accepts at most 50 annotations per create/update request.
const MAX_ANNOTATIONS_PER_REQUEST: usize = 50;

fn resolve(r: &Repo, rev: &str) -> Result<String, ApiError> {
    r.resolve(rev)
        .ok_or_else(|| ApiError::invalid(format!("No commit found for SHA: {rev}")))
}

/// The latest status of each context on `sha`, newest first.
fn latest_statuses<'r>(r: &'r Repo, sha: &str) -> Vec<&'r CommitStatus> {
    let mut latest: BTreeMap<&str, &CommitStatus> = BTreeMap::new();
    for status in r.statuses.iter().filter(|s| s.sha == sha) {
        latest.insert(status.context.as_str(), status);
    }
    let mut statuses: Vec<&CommitStatus> = latest.into_values().collect();
    statuses.sort_by_key(|status| std::cmp::Reverse(status.id));
    statuses
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/status`: failure beats pending
/// beats success; no statuses at all reads as pending.
pub(super) fn combined_status(world: &World, repo: &str, rev: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let sha = resolve(r, rev)?;
    let statuses = latest_statuses(r, &sha);
    let state = if statuses
        .iter()
        .any(|s| s.state == "error" || s.state == "failure")
    {
        "failure"
    } else if statuses.is_empty() || statuses.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    };
    let full = r.full_name();
    let repository = render::repository(world, r);
    Ok(ApiResponse::ok(json!({
        "state": state,
        "statuses": statuses.iter().map(|s| render::status(world, r, s)).collect::<Vec<_>>(),
        "sha": sha,
        "total_count": statuses.len(),
        "repository": repository,
        "commit_url": world.api(&format!("/repos/{full}/commits/{sha}")),
        "url": world.api(&format!("/repos/{full}/commits/{sha}/status")),
    })))
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/statuses`: newest first.
pub(super) fn list_statuses(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    rev: &str,
) -> ApiResult {
    let r = repo_of(world, repo)?;
    let sha = resolve(r, rev)?;
    let items = r
        .statuses
        .iter()
        .rev()
        .filter(|s| s.sha == sha)
        .map(|s| render::status(world, r, s))
        .collect();
    Ok(paginate(world, request, items))
}

#[derive(Debug, Deserialize)]
struct CreateStatus {
    state: Option<String>,
    target_url: Option<String>,
    description: Option<String>,
    context: Option<String>,
}

/// `POST /repos/{owner}/{repo}/statuses/{sha}`.
pub(super) fn create_status(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    sha: &str,
) -> ApiResult {
    let body: CreateStatus = request.json()?;
    let Some(state) = body.state.filter(|s| STATUS_STATES.contains(&s.as_str())) else {
        return Err(ApiError::validation("Status", "state", "invalid"));
    };
    let r = repo_of(world, repo)?;
    if !r.commits.contains_key(sha) {
        return Err(ApiError::invalid(format!("No commit found for SHA: {sha}")));
    }
    let id = world.next_id();
    let now = world.now;
    let status = CommitStatus {
        id,
        sha: sha.to_string(),
        context: body.context.unwrap_or_else(|| "default".to_string()),
        state,
        description: body.description,
        target_url: body.target_url,
        creator: bot_login(),
        created_at: now,
        updated_at: now,
    };
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    r.statuses.push(status.clone());
    let r = repo_of(world, repo)?;
    Ok(ApiResponse::created(render::status(world, r, &status)))
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/check-runs?check_name=&status=&filter=&app_id=`.
pub(super) fn list_check_runs(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    rev: &str,
) -> ApiResult {
    let r = repo_of(world, repo)?;
    let sha = resolve(r, rev)?;
    let app_id: Option<u64> = request.query("app_id").and_then(|id| id.parse().ok());
    let mut runs: Vec<&CheckRun> = r
        .check_runs
        .values()
        .filter(|run| run.head_sha == sha)
        .filter(|run| {
            request
                .query("check_name")
                .is_none_or(|name| run.name == name)
        })
        .filter(|run| {
            request
                .query("status")
                .is_none_or(|status| run.status == status)
        })
        .filter(|run| app_id.is_none_or(|id| run.app.id == id))
        .collect();
    // `filter=latest` (the default) keeps the most recent run of each name.
    if request.query("filter") != Some("all") {
        let mut latest: BTreeMap<(u64, &str), &CheckRun> = BTreeMap::new();
        for run in runs {
            latest.insert((run.app.id, run.name.as_str()), run);
        }
        runs = latest.into_values().collect();
    }
    runs.sort_by_key(|run| std::cmp::Reverse(run.id));
    let items = runs
        .iter()
        .map(|run| render::check_run(world, r, run))
        .collect();
    Ok(paginate_wrapped(world, request, "check_runs", items))
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/check-suites`.
pub(super) fn list_check_suites(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    rev: &str,
) -> ApiResult {
    let r = repo_of(world, repo)?;
    let sha = resolve(r, rev)?;
    let items = r
        .check_suites
        .values()
        .filter(|suite| suite.head_sha == sha)
        .map(|suite| render::check_suite(world, r, suite))
        .collect();
    Ok(paginate_wrapped(world, request, "check_suites", items))
}

#[derive(Debug, Deserialize)]
struct OutputArg {
    title: Option<String>,
    summary: Option<String>,
    text: Option<String>,
    #[serde(default)]
    annotations: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct CheckRunArgs {
    name: Option<String>,
    head_sha: Option<String>,
    details_url: Option<String>,
    external_id: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    started_at: Option<String>,
    completed_at: Option<String>,
    output: Option<OutputArg>,
}

fn parse_time(raw: &str, field: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.to_utc())
        .map_err(|_| ApiError::validation("CheckRun", field, "invalid"))
}

/// An annotation in GitHub's stored shape; 422 when a required key is missing.
fn normalize_annotation(annotation: &Value) -> Result<Value, ApiError> {
    for key in [
        "path",
        "start_line",
        "end_line",
        "annotation_level",
        "message",
    ] {
        if annotation.get(key).is_none_or(Value::is_null) {
            return Err(ApiError::validation(
                "CheckRun",
                &format!("annotations.{key}"),
                "missing_field",
            ));
        }
    }
    let level = annotation["annotation_level"].as_str().unwrap_or_default();
    if !["notice", "warning", "failure"].contains(&level) {
        return Err(ApiError::validation(
            "CheckRun",
            "annotations.annotation_level",
            "invalid",
        ));
    }
    let field = |key: &str| annotation.get(key).cloned().unwrap_or(Value::Null);
    Ok(json!({
        "path": field("path"),
        "start_line": field("start_line"),
        "end_line": field("end_line"),
        "start_column": field("start_column"),
        "end_column": field("end_column"),
        "annotation_level": level,
        "title": field("title"),
        "message": field("message"),
        "raw_details": field("raw_details"),
        "blob_href": "",
    }))
}

/// Applies create/update arguments to a run.
fn apply(world: &World, run: &mut CheckRun, args: CheckRunArgs) -> Result<(), ApiError> {
    if let Some(name) = args.name {
        run.name = name;
    }
    if let Some(url) = args.details_url {
        run.details_url = Some(url);
    }
    if let Some(id) = args.external_id {
        run.external_id = Some(id);
    }
    if let Some(started) = args.started_at {
        run.started_at = Some(parse_time(&started, "started_at")?);
    }
    if let Some(status) = args.status {
        if !CHECK_STATUSES.contains(&status.as_str()) {
            return Err(ApiError::validation("CheckRun", "status", "invalid"));
        }
        run.status = status;
    }
    if let Some(conclusion) = args.conclusion {
        if !CONCLUSIONS.contains(&conclusion.as_str()) {
            return Err(ApiError::validation("CheckRun", "conclusion", "invalid"));
        }
        run.conclusion = Some(conclusion);
        // A conclusion completes the run, as on GitHub.
        run.status = "completed".to_string();
    }
    if let Some(completed) = args.completed_at {
        run.completed_at = Some(parse_time(&completed, "completed_at")?);
    }
    if run.status == "completed" {
        if run.conclusion.is_none() {
            return Err(ApiError::validation(
                "CheckRun",
                "conclusion",
                "missing_field",
            ));
        }
        run.completed_at.get_or_insert(world.now);
    }
    if let Some(output) = args.output {
        let (Some(title), Some(summary)) = (output.title, output.summary) else {
            return Err(ApiError::validation("CheckRun", "output", "missing_field"));
        };
        if output.annotations.len() > MAX_ANNOTATIONS_PER_REQUEST {
            return Err(ApiError::invalid(
                "Only 50 annotations may be sent per request",
            ));
        }
        let mut annotations = output
            .annotations
            .iter()
            .map(normalize_annotation)
            .collect::<Result<Vec<_>, _>>()?;
        // Annotations accumulate across updates.
        let mut all = std::mem::take(&mut run.output.annotations);
        all.append(&mut annotations);
        run.output = CheckOutput {
            title: Some(title),
            summary: Some(summary),
            text: output.text,
            annotations: all,
        };
    }
    Ok(())
}

/// `POST /repos/{owner}/{repo}/check-runs`.
pub(super) fn create_check_run(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    let mut args: CheckRunArgs = request.json()?;
    let Some(name) = args.name.take().filter(|n| !n.is_empty()) else {
        return Err(ApiError::validation("CheckRun", "name", "missing_field"));
    };
    let Some(head_sha) = args.head_sha.take() else {
        return Err(ApiError::validation(
            "CheckRun",
            "head_sha",
            "missing_field",
        ));
    };
    let r = repo_of(world, repo)?;
    if !r.commits.contains_key(&head_sha) {
        return Err(ApiError::invalid(format!(
            "No commit found for SHA: {head_sha}"
        )));
    }
    let app = CheckApp::relman();
    let mut run = CheckRun {
        id: 0,
        head_sha: head_sha.clone(),
        name,
        status: "queued".to_string(),
        conclusion: None,
        started_at: Some(world.now),
        completed_at: None,
        output: CheckOutput::default(),
        details_url: None,
        external_id: None,
        app: app.clone(),
        check_suite_id: 0,
    };
    apply(world, &mut run, args)?;
    run.check_suite_id = world.check_suite_for(repo, &head_sha, &app);
    run.id = world.next_id();
    let id = run.id;
    world
        .repo_mut(repo)
        .ok_or(ApiError::NotFound)?
        .check_runs
        .insert(id, run);
    let r = repo_of(world, repo)?;
    let run = r.check_runs.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::created(render::check_run(world, r, run)))
}

/// `GET /repos/{owner}/{repo}/check-runs/{id}`.
pub(super) fn get_check_run(world: &World, repo: &str, id: &str) -> ApiResult {
    let id = parse_id(id)?;
    let r = repo_of(world, repo)?;
    let run = r.check_runs.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::check_run(world, r, run)))
}

/// `PATCH /repos/{owner}/{repo}/check-runs/{id}`.
pub(super) fn update_check_run(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let id = parse_id(id)?;
    let mut run = repo_of(world, repo)?
        .check_runs
        .get(&id)
        .cloned()
        .ok_or(ApiError::NotFound)?;
    let mut args: CheckRunArgs = request.json()?;
    // The commit of a run cannot change.
    args.head_sha = None;
    apply(world, &mut run, args)?;
    world
        .repo_mut(repo)
        .ok_or(ApiError::NotFound)?
        .check_runs
        .insert(id, run);
    let r = repo_of(world, repo)?;
    let run = r.check_runs.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::check_run(world, r, run)))
}

/// `GET /repos/{owner}/{repo}/check-runs/{id}/annotations`.
pub(super) fn list_annotations(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let id = parse_id(id)?;
    let r = repo_of(world, repo)?;
    let run = r.check_runs.get(&id).ok_or(ApiError::NotFound)?;
    Ok(paginate(world, request, run.output.annotations.clone()))
}
