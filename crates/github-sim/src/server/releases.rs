//! Releases. Publishing a release whose tag does not exist creates the tag at
//! `target_commitish`; drafts get their tag only when published, and have no
//! `published_at`.

use serde::Deserialize;

use super::{ApiError, ApiRequest, ApiResponse, ApiResult, nullable, paginate, parse_id, repo_of};
use crate::render;
use crate::world::{Release, Repo, World, bot_login};

fn release_of<'w>(
    world: &'w World,
    repo: &str,
    id: &str,
) -> Result<(&'w Repo, &'w Release), ApiError> {
    let id = parse_id(id)?;
    let r = repo_of(world, repo)?;
    let release = r.releases.get(&id).ok_or(ApiError::NotFound)?;
    Ok((r, release))
}

fn render_release(world: &World, repo: &str, id: u64) -> Result<serde_json::Value, ApiError> {
    let r = repo_of(world, repo)?;
    let release = r.releases.get(&id).ok_or(ApiError::NotFound)?;
    Ok(render::release(world, r, release))
}

/// Newest first: by creation time, then id.
fn newest_first(r: &Repo) -> Vec<&Release> {
    let mut releases: Vec<&Release> = r.releases.values().collect();
    releases.sort_by_key(|release| std::cmp::Reverse((release.created_at, release.id)));
    releases
}

/// `GET /repos/{owner}/{repo}/releases`.
pub(super) fn list(world: &World, request: &ApiRequest, repo: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let items = newest_first(r)
        .into_iter()
        .map(|release| render::release(world, r, release))
        .collect();
    Ok(paginate(world, request, items))
}

/// `GET /repos/{owner}/{repo}/releases/{id}`.
pub(super) fn get(world: &World, repo: &str, id: &str) -> ApiResult {
    let (r, release) = release_of(world, repo, id)?;
    Ok(ApiResponse::ok(render::release(world, r, release)))
}

/// `GET /repos/{owner}/{repo}/releases/latest`: the newest published release
/// that is neither a draft nor a prerelease.
pub(super) fn latest(world: &World, repo: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let release = newest_first(r)
        .into_iter()
        .find(|release| !release.draft && !release.prerelease)
        .ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::release(world, r, release)))
}

/// `GET /repos/{owner}/{repo}/releases/tags/{tag}` (published releases only).
pub(super) fn by_tag(world: &World, repo: &str, tag: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let release = r
        .releases
        .values()
        .find(|release| release.tag_name == tag && !release.draft)
        .ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::release(world, r, release)))
}

#[derive(Debug, Deserialize)]
struct CreateRelease {
    tag_name: Option<String>,
    target_commitish: Option<String>,
    name: Option<String>,
    body: Option<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    prerelease: bool,
}

/// Creates `tag` at `target` unless it exists; 422 when `target` does not
/// resolve.
fn ensure_tag(world: &mut World, repo: &str, tag: &str, target: &str) -> Result<(), ApiError> {
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    if r.tags.contains_key(tag) {
        return Ok(());
    }
    let sha = r
        .resolve(target)
        .ok_or_else(|| ApiError::validation("Release", "target_commitish", "invalid"))?;
    r.set_tag(tag, &sha);
    Ok(())
}

/// `POST /repos/{owner}/{repo}/releases`.
pub(super) fn create(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    let body: CreateRelease = request.json()?;
    let Some(tag) = body.tag_name.filter(|tag| !tag.is_empty()) else {
        return Err(ApiError::validation("Release", "tag_name", "missing_field"));
    };
    let r = repo_of(world, repo)?;
    if r.releases.values().any(|release| release.tag_name == tag) {
        return Err(ApiError::validation(
            "Release",
            "tag_name",
            "already_exists",
        ));
    }
    let target = body
        .target_commitish
        .unwrap_or_else(|| r.default_branch.clone());
    if !r.tags.contains_key(&tag) && r.resolve(&target).is_none() {
        return Err(ApiError::validation(
            "Release",
            "target_commitish",
            "invalid",
        ));
    }
    if !body.draft {
        ensure_tag(world, repo, &tag, &target)?;
    }
    let id = world.next_id();
    let now = world.now;
    let author = bot_login();
    world
        .repo_mut(repo)
        .ok_or(ApiError::NotFound)?
        .releases
        .insert(
            id,
            Release {
                id,
                tag_name: tag,
                target_commitish: target,
                name: body.name,
                body: body.body,
                draft: body.draft,
                prerelease: body.prerelease,
                author,
                created_at: now,
                updated_at: now,
                published_at: (!body.draft).then_some(now),
            },
        );
    Ok(ApiResponse::created(render_release(world, repo, id)?))
}

#[derive(Debug, Deserialize)]
struct UpdateRelease {
    tag_name: Option<String>,
    target_commitish: Option<String>,
    #[serde(default, deserialize_with = "nullable::deserialize")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable::deserialize")]
    body: Option<Option<String>>,
    draft: Option<bool>,
    prerelease: Option<bool>,
}

/// `PATCH /repos/{owner}/{repo}/releases/{id}`. Publishing a draft creates its
/// tag; turning a published release back into a draft clears `published_at`
/// (the tag stays).
pub(super) fn update(world: &mut World, request: &ApiRequest, repo: &str, id: &str) -> ApiResult {
    let (r, release) = release_of(world, repo, id)?;
    let mut updated = release.clone();
    let body: UpdateRelease = request.json()?;
    if let Some(tag) = body.tag_name {
        let taken = r
            .releases
            .values()
            .any(|other| other.id != updated.id && other.tag_name == tag);
        if taken {
            return Err(ApiError::validation(
                "Release",
                "tag_name",
                "already_exists",
            ));
        }
        updated.tag_name = tag;
    }
    if let Some(target) = body.target_commitish {
        updated.target_commitish = target;
    }
    if let Some(name) = body.name {
        updated.name = name;
    }
    if let Some(text) = body.body {
        updated.body = text;
    }
    if let Some(prerelease) = body.prerelease {
        updated.prerelease = prerelease;
    }
    let now = world.now;
    if let Some(draft) = body.draft {
        if updated.draft && !draft {
            updated.published_at = Some(now);
        } else if draft {
            updated.published_at = None;
        }
        updated.draft = draft;
    }
    if !updated.draft {
        ensure_tag(world, repo, &updated.tag_name, &updated.target_commitish)?;
    }
    updated.updated_at = now;
    let id = updated.id;
    world
        .repo_mut(repo)
        .ok_or(ApiError::NotFound)?
        .releases
        .insert(id, updated);
    Ok(ApiResponse::ok(render_release(world, repo, id)?))
}

/// `DELETE /repos/{owner}/{repo}/releases/{id}` (the tag stays).
pub(super) fn delete(world: &mut World, repo: &str, id: &str) -> ApiResult {
    let id = release_of(world, repo, id)?.1.id;
    world
        .repo_mut(repo)
        .ok_or(ApiError::NotFound)?
        .releases
        .remove(&id);
    Ok(ApiResponse::no_content())
}
