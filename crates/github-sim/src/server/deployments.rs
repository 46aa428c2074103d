//! Deployments, deployment statuses and custom deployment protection rules.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiRequest, ApiResponse, ApiResult, paginate, parse_id, repo_of};
use crate::render;
use crate::world::{Deployment, DeploymentStatus, ProtectionRuleReview, Repo, World, bot_login};

const STATUS_STATES: [&str; 7] = [
    "error",
    "failure",
    "inactive",
    "in_progress",
    "queued",
    "pending",
    "success",
];

fn deployment_of<'w>(
    world: &'w World,
    repo: &str,
    id: &str,
) -> Result<(&'w Repo, &'w Deployment), ApiError> {
    let id = parse_id(id)?;
    let r = repo_of(world, repo)?;
    let deployment = r.deployments.get(&id).ok_or(ApiError::NotFound)?;
    Ok((r, deployment))
}

/// `GET /repos/{owner}/{repo}/deployments?sha=&ref=&task=&environment=`:
/// newest first.
pub(super) fn list(world: &World, request: &ApiRequest, repo: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let items = r
        .deployments
        .values()
        .rev()
        .filter(|d| request.query("sha").is_none_or(|sha| d.sha == sha))
        .filter(|d| {
            request
                .query("ref")
                .is_none_or(|git_ref| d.git_ref == git_ref)
        })
        .filter(|d| request.query("task").is_none_or(|task| d.task == task))
        .filter(|d| {
            request
                .query("environment")
                .is_none_or(|env| d.environment == env)
        })
        .map(|d| render::deployment(world, r, d))
        .collect();
    Ok(paginate(world, request, items))
}

/// `GET /repos/{owner}/{repo}/deployments/{id}`.
pub(super) fn get(world: &World, repo: &str, id: &str) -> ApiResult {
    let (r, deployment) = deployment_of(world, repo, id)?;
    Ok(ApiResponse::ok(render::deployment(world, r, deployment)))
}

#[derive(Debug, Deserialize)]
struct CreateDeployment {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    task: Option<String>,
    required_contexts: Option<Vec<String>>,
    payload: Option<Value>,
    environment: Option<String>,
    description: Option<String>,
    #[serde(default)]
    transient_environment: bool,
    production_environment: Option<bool>,
}

/// `POST /repos/{owner}/{repo}/deployments`. As on GitHub, every commit
/// status context (or those in `required_contexts`) must be `success`, else
/// 409. (`auto_merge` is not modelled.)
pub(super) fn create(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    let body: CreateDeployment = request.json()?;
    let Some(git_ref) = body.git_ref else {
        return Err(ApiError::validation("Deployment", "ref", "missing_field"));
    };
    let r = repo_of(world, repo)?;
    let sha = r
        .resolve(&git_ref)
        .ok_or_else(|| ApiError::invalid(format!("No ref found for: {git_ref}")))?;
    let mut latest: std::collections::BTreeMap<&str, &str> = Default::default();
    for status in r.statuses.iter().filter(|s| s.sha == sha) {
        latest.insert(&status.context, &status.state);
    }
    let failing: Vec<String> = match &body.required_contexts {
        Some(required) => required
            .iter()
            .filter(|context| latest.get(context.as_str()) != Some(&"success"))
            .cloned()
            .collect(),
        None => latest
            .iter()
            .filter(|(_, state)| **state != "success")
            .map(|(context, _)| (*context).to_string())
            .collect(),
    };
    if !failing.is_empty() {
        return Err(ApiError::Conflict(format!(
            "Conflict: Commit status checks failed for {git_ref}."
        )));
    }
    let environment = body.environment.unwrap_or_else(|| "production".to_string());
    let id = world.next_id();
    let now = world.now;
    let deployment = Deployment {
        id,
        sha,
        git_ref,
        task: body.task.unwrap_or_else(|| "deploy".to_string()),
        payload: body.payload.unwrap_or_else(|| json!({})),
        original_environment: environment.clone(),
        production_environment: body
            .production_environment
            .unwrap_or(environment == "production"),
        environment,
        description: body.description,
        creator: bot_login(),
        created_at: now,
        updated_at: now,
        transient_environment: body.transient_environment,
        via_app: true,
        statuses: Vec::new(),
    };
    world
        .repo_mut(repo)
        .ok_or(ApiError::NotFound)?
        .deployments
        .insert(id, deployment);
    let (r, deployment) = deployment_of(world, repo, &id.to_string())?;
    Ok(ApiResponse::created(render::deployment(
        world, r, deployment,
    )))
}

/// `GET /repos/{owner}/{repo}/deployments/{id}/statuses`: newest first.
pub(super) fn list_statuses(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let (r, deployment) = deployment_of(world, repo, id)?;
    let items = deployment
        .statuses
        .iter()
        .rev()
        .map(|status| render::deployment_status(world, r, deployment, status))
        .collect();
    Ok(paginate(world, request, items))
}

#[derive(Debug, Deserialize)]
struct CreateDeploymentStatus {
    state: Option<String>,
    target_url: Option<String>,
    log_url: Option<String>,
    description: Option<String>,
    environment: Option<String>,
    environment_url: Option<String>,
    auto_inactive: Option<bool>,
}

/// `POST /repos/{owner}/{repo}/deployments/{id}/statuses`. A `success` makes
/// earlier deployments to the same environment `inactive` unless
/// `auto_inactive` is false.
pub(super) fn create_status(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    id: &str,
) -> ApiResult {
    let deployment_id = deployment_of(world, repo, id)?.1.id;
    let body: CreateDeploymentStatus = request.json()?;
    let Some(state) = body.state.filter(|s| STATUS_STATES.contains(&s.as_str())) else {
        return Err(ApiError::validation("DeploymentStatus", "state", "invalid"));
    };
    let environment = match &body.environment {
        Some(environment) => environment.clone(),
        None => deployment_of(world, repo, id)?.1.environment.clone(),
    };
    // Earlier deployments to this environment that a success supersedes.
    let superseded: Vec<u64> = if state == "success" && body.auto_inactive != Some(false) {
        repo_of(world, repo)?
            .deployments
            .values()
            .filter(|d| d.id != deployment_id && d.environment == environment)
            .filter(|d| d.statuses.last().is_some_and(|s| s.state == "success"))
            .map(|d| d.id)
            .collect()
    } else {
        Vec::new()
    };
    let status_id = world.next_id();
    let inactive_ids: Vec<u64> = superseded.iter().map(|_| world.next_id()).collect();
    let now = world.now;
    let log_url = body.log_url.or(body.target_url).unwrap_or_default();
    let new_status = |id: u64, state: &str| DeploymentStatus {
        id,
        state: state.to_string(),
        description: String::new(),
        environment: environment.clone(),
        target_url: log_url.clone(),
        log_url: log_url.clone(),
        environment_url: String::new(),
        creator: bot_login(),
        created_at: now,
        updated_at: now,
    };
    let mut status = new_status(status_id, &state);
    status.description = body.description.unwrap_or_default();
    status.environment_url = body.environment_url.unwrap_or_default();
    let inactive: Vec<(u64, DeploymentStatus)> = superseded
        .iter()
        .zip(inactive_ids)
        .map(|(deployment, id)| {
            let mut inactive = new_status(id, "inactive");
            inactive.target_url = String::new();
            inactive.log_url = String::new();
            (*deployment, inactive)
        })
        .collect();
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    let deployment = r
        .deployments
        .get_mut(&deployment_id)
        .ok_or(ApiError::NotFound)?;
    deployment.environment = environment.clone();
    deployment.updated_at = now;
    deployment.statuses.push(status);
    for (older, inactive) in inactive {
        if let Some(older) = r.deployments.get_mut(&older) {
            older.updated_at = now;
            older.statuses.push(inactive);
        }
    }
    let (r, deployment) = deployment_of(world, repo, &deployment_id.to_string())?;
    let status = deployment
        .statuses
        .iter()
        .find(|s| s.id == status_id)
        .ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::created(render::deployment_status(
        world, r, deployment, status,
    )))
}

#[derive(Debug, Deserialize)]
struct ProtectionRuleAnswer {
    environment_name: Option<String>,
    state: Option<String>,
    comment: Option<String>,
}

/// `POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`:
/// recorded in `World::protection_rule_reviews`; 204.
pub(super) fn review_protection_rule(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    run_id: &str,
    installation: u64,
) -> ApiResult {
    let run_id = parse_id(run_id)?;
    let body: ProtectionRuleAnswer = request.json()?;
    let Some(environment_name) = body.environment_name.filter(|e| !e.is_empty()) else {
        return Err(ApiError::validation(
            "DeploymentProtectionRule",
            "environment_name",
            "missing_field",
        ));
    };
    let Some(state) = body
        .state
        .filter(|state| state == "approved" || state == "rejected")
    else {
        return Err(ApiError::validation(
            "DeploymentProtectionRule",
            "state",
            "invalid",
        ));
    };
    let at = world.now;
    world.protection_rule_reviews.push(ProtectionRuleReview {
        repo: repo.to_string(),
        run_id,
        environment_name,
        state,
        comment: body.comment,
        installation_id: installation,
        at,
    });
    Ok(ApiResponse::no_content())
}
