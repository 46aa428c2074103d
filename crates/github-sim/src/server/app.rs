//! App endpoints: installation tokens, installations, webhook deliveries and
//! the manifest flow.

use std::collections::BTreeSet;

use axum::http::header;
use chrono::Utc;
use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiRequest, ApiResponse, ApiResult, Page, encode_query, paginate, parse_id};
use crate::render::{self, ts};
use crate::world::{InstallationToken, World};

#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    /// Repository names (without owner) to narrow the token to.
    repositories: Option<Vec<String>>,
    repository_ids: Option<Vec<u64>>,
}

/// `POST /app/installations/{id}/access_tokens`.
pub(super) fn create_access_token(world: &mut World, request: &ApiRequest, id: &str) -> ApiResult {
    let id = parse_id(id)?;
    let installation = world
        .installations
        .get(&id)
        .ok_or(ApiError::NotFound)?
        .clone();
    let body: TokenRequest = request.json()?;

    let mut narrowed: Option<BTreeSet<String>> = None;
    if body.repositories.is_some() || body.repository_ids.is_some() {
        let mut selected = BTreeSet::new();
        for name in body.repositories.unwrap_or_default() {
            let full = format!("{}/{name}", installation.account);
            if !installation.repositories.contains(&full) {
                return Err(ApiError::invalid(format!(
                    "There is at least one repository that does not exist or is not accessible to the parent installation: {name}"
                )));
            }
            selected.insert(full);
        }
        for repo_id in body.repository_ids.unwrap_or_default() {
            let full = installation
                .repositories
                .iter()
                .find(|full| world.repo(full).is_some_and(|repo| repo.id == repo_id))
                .cloned()
                .ok_or_else(|| {
                    ApiError::invalid(
                        "There is at least one repository that does not exist or is not accessible to the parent installation.",
                    )
                })?;
            selected.insert(full);
        }
        narrowed = Some(selected);
    }

    let token = format!("ghs_{}", Alphanumeric.sample_string(&mut rand::rng(), 36));
    // Token lifetime is wall-clock: the client caches the token by comparing
    // `expires_at` with its own clock.
    let expires_at = Utc::now() + world.token_ttl;
    world.tokens.insert(
        token.clone(),
        InstallationToken {
            token: token.clone(),
            installation_id: id,
            expires_at,
            revoked: false,
            repositories: narrowed.clone(),
        },
    );
    let mut body = json!({
        "token": token,
        "expires_at": ts(expires_at),
        "permissions": installation.permissions,
        "repository_selection": installation.repository_selection,
    });
    if let Some(selected) = narrowed {
        body["repositories"] = Value::Array(
            selected
                .iter()
                .filter_map(|full| world.repo(full))
                .map(|repo| render::repository(world, repo))
                .collect(),
        );
    }
    Ok(ApiResponse::created(body))
}

/// `GET /app/installations`.
pub(super) fn list_installations(world: &World, request: &ApiRequest) -> ApiResult {
    let items = world
        .installations
        .values()
        .map(|installation| render::installation(world, installation))
        .collect();
    Ok(paginate(world, request, items))
}

/// `GET /app/installations/{id}`.
pub(super) fn get_installation(world: &World, id: &str) -> ApiResult {
    let id = parse_id(id)?;
    let installation = world.installations.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::installation(world, installation)))
}

/// `GET /repos/{owner}/{repo}/installation`.
pub(super) fn repo_installation(world: &World, repo: &str) -> ApiResult {
    let installation = world.installation_for(repo).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::installation(world, installation)))
}

/// `GET /installation/repositories`.
pub(super) fn installation_repositories(
    world: &World,
    request: &ApiRequest,
    installation: u64,
) -> ApiResult {
    let installation = world
        .installations
        .get(&installation)
        .ok_or(ApiError::NotFound)?;
    let items: Vec<Value> = installation
        .repositories
        .iter()
        .filter_map(|full| world.repo(full))
        .map(|repo| render::repository(world, repo))
        .collect();
    let mut response = super::paginate_wrapped(world, request, "repositories", items);
    if let Some(body) = response.body.as_mut() {
        body["repository_selection"] = json!(installation.repository_selection);
    }
    Ok(response)
}

/// `GET /app/hook/deliveries`: newest first, cursor-paginated. As on GitHub the cursor is
/// opaque (`v1_<id>`, the id of the last delivery of the previous page): clients follow the
/// `Link` header rather than build it. `status=success` keeps deliveries answered 200-399,
/// `status=failure` those answered 400-599 (GitHub's ranges; a delivery that got no answer,
/// status code 0, is in neither).
pub(super) fn list_deliveries(world: &World, request: &ApiRequest) -> ApiResult {
    let per_page = Page::of(request, 0).per_page;
    let cursor: Option<u64> = match request.query("cursor") {
        None => None,
        Some(cursor) => Some(
            cursor
                .strip_prefix("v1_")
                .and_then(|id| id.parse().ok())
                .ok_or_else(|| ApiError::invalid(format!("Invalid cursor: {cursor}")))?,
        ),
    };
    let status: Option<std::ops::RangeInclusive<u16>> = match request.query("status") {
        None => None,
        Some("success") => Some(200..=399),
        Some("failure") => Some(400..=599),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "status must be success or failure, not {other}"
            )));
        }
    };
    let newest_first: Vec<_> = world
        .deliveries
        .iter()
        .rev()
        .filter(|delivery| cursor.is_none_or(|cursor| delivery.id < cursor))
        .filter(|delivery| {
            status
                .as_ref()
                .is_none_or(|range| range.contains(&delivery.status_code))
        })
        .collect();
    let page: Vec<Value> = newest_first
        .iter()
        .take(per_page)
        .map(|delivery| render::delivery(delivery, false))
        .collect();
    let mut response = ApiResponse::ok(Value::Array(page));
    if newest_first.len() > per_page
        && let Some(last) = newest_first.get(per_page - 1)
    {
        let mut pairs: Vec<(String, String)> = request
            .query
            .iter()
            .filter(|(key, _)| key != "cursor")
            .cloned()
            .collect();
        pairs.push(("cursor".to_string(), format!("v1_{}", last.id)));
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v)))
            .collect::<Vec<_>>()
            .join("&");
        response.headers.push((
            header::LINK,
            format!("<{}?{query}>; rel=\"next\"", world.api(&request.path)),
        ));
    }
    Ok(response)
}

/// `GET /app/hook/deliveries/{id}`.
pub(super) fn get_delivery(world: &World, id: &str) -> ApiResult {
    let id = parse_id(id)?;
    let delivery = world
        .deliveries
        .iter()
        .find(|delivery| delivery.id == id)
        .ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::delivery(delivery, true)))
}

/// `POST /app/hook/deliveries/{id}/attempts`: recorded in
/// `World::redelivery_requests`; the sim sends nothing itself (a test that wants the new attempt
/// listed adds it with `World::add_delivery_attempt`).
pub(super) fn redeliver(world: &mut World, id: &str) -> ApiResult {
    let id = parse_id(id)?;
    if !world.deliveries.iter().any(|delivery| delivery.id == id) {
        return Err(ApiError::NotFound);
    }
    world.redelivery_requests.push(id);
    Ok(ApiResponse::accepted(json!({})))
}

/// `POST /app-manifests/{code}/conversions`: codes are single-use.
pub(super) fn convert_manifest(world: &mut World, code: &str) -> ApiResult {
    let app = world
        .manifest_conversions
        .remove(code)
        .ok_or(ApiError::NotFound)?;
    let body = json!({
        "id": app.id,
        "slug": app.slug,
        "node_id": render::node_id("App", app.id),
        "client_id": app.client_id,
        "owner": render::user(world, &app.owner),
        "name": app.name,
        "description": "Runs the release train.",
        "external_url": "https://relman.example.net",
        "html_url": world.html(&format!("/apps/{}", app.slug)),
        "created_at": ts(app.created_at),
        "updated_at": ts(app.created_at),
        "permissions": world.app.permissions,
        "events": world.app.events,
        "client_secret": app.client_secret,
        "webhook_secret": app.webhook_secret,
        "pem": app.pem,
    });
    Ok(ApiResponse::created(body))
}
