//! Repositories, collaborator permissions and team memberships.

use serde_json::json;

use super::{ApiError, ApiResponse, ApiResult, repo_of};
use crate::render;
use crate::world::{Permission, World};

/// `GET /repos/{owner}/{repo}`.
pub(super) fn get_repo(world: &World, repo: &str) -> ApiResult {
    let repo = repo_of(world, repo)?;
    Ok(ApiResponse::ok(render::repository(world, repo)))
}

/// `GET /repos/{owner}/{repo}/collaborators/{username}/permission`.
///
/// `permission` is the legacy coarse value (maintain reads as write, triage
/// as read); `role_name` keeps the fine role. A login that is no account at
/// all is 404; an account without access is `none`.
pub(super) fn collaborator_permission(world: &World, repo: &str, username: &str) -> ApiResult {
    repo_of(world, repo)?;
    let account = world
        .users
        .values()
        .find(|user| user.login.eq_ignore_ascii_case(username))
        .ok_or(ApiError::NotFound)?;
    let role = world.permission_of(repo, &account.login);
    let (permission, role_name) = match role {
        Some(role) => (role.legacy_name(), role.role_name()),
        None => ("none", "none"),
    };
    let mut user = render::user(world, &account.login);
    let at_least = |wanted: Permission| role.is_some_and(|role| role >= wanted);
    user["permissions"] = json!({
        "admin": at_least(Permission::Admin),
        "maintain": at_least(Permission::Maintain),
        "push": at_least(Permission::Write),
        "triage": at_least(Permission::Triage),
        "pull": at_least(Permission::Read),
    });
    user["role_name"] = json!(role_name);
    Ok(ApiResponse::ok(json!({
        "permission": permission,
        "role_name": role_name,
        "user": user,
    })))
}

/// `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`.
pub(super) fn team_membership(world: &World, org: &str, team: &str, username: &str) -> ApiResult {
    let team_state = world
        .teams
        .get(&(org.to_string(), team.to_string()))
        .ok_or(ApiError::NotFound)?;
    let membership = team_state
        .members
        .iter()
        .find(|(login, _)| login.eq_ignore_ascii_case(username))
        .map(|(_, membership)| membership)
        .ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(json!({
        "url": world.api(&format!(
            "/organizations/{}/team/{}/memberships/{}",
            world.user(org).map(|u| u.id).unwrap_or_default(),
            team_state.id,
            render::escape(username)
        )),
        "role": membership.role,
        "state": membership.state,
    })))
}
