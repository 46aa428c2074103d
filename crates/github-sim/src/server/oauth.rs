//! Signing in with GitHub: the web flow (`/login/oauth/authorize`, `/login/oauth/access_token`)
//! and what a user access token can ask (`/user`, `/user/installations`,
//! `/user/installations/{id}/repositories`).
//!
//! The sim answers as a GitHub App that opted out of expiring user tokens: the exchange gives
//! `access_token`, `token_type=bearer` and an empty `scope` (GitHub Apps use permissions, not
//! scopes), with no refresh token. Token-exchange errors are `200`s carrying `error`, as
//! GitHub answers them.

use axum::http::{StatusCode, header};
use chrono::TimeZone;
use serde_json::{Value, json};

use super::{
    ApiError, ApiRequest, ApiResponse, ApiResult, auth, encode_query, form_urlencoded_pairs,
    paginate_wrapped, parse_id,
};
use crate::render::{self, ts};
use crate::world::{OAuthError, Permission, World};

const AUTHORIZE_ERRORS: &str =
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors";
const TOKEN_ERRORS: &str = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";
/// What GitHub answers a user-token route called with an installation token.
const NOT_FOR_INSTALLATIONS: &str = "You must authenticate with an access token authorized to a GitHub App in order to list installations";

/// `GET /login/oauth/authorize`: the signed-in user authorizes the App and is sent to the
/// callback with `code` and the given `state`.
pub(super) fn authorize(world: &mut World, request: &ApiRequest) -> ApiResult {
    if request.query("client_id") != Some(world.app.client_id.as_str()) {
        return Err(ApiError::NotFound);
    }
    let state = request.query("state");
    let asked = request.query("redirect_uri");
    let registered = &world.oauth.callback_urls;
    let callback = match asked {
        Some(uri) if registered.is_empty() || registered.iter().any(|url| url == uri) => {
            uri.to_string()
        }
        // GitHub sends the user to the first registered callback URL with the error.
        Some(_) => {
            let first = registered.first().ok_or(ApiError::NotFound)?;
            return Ok(redirect(
                first,
                &error_params(
                    "redirect_uri_mismatch",
                    "The redirect_uri MUST match the registered callback URL for this application.",
                    &format!("{AUTHORIZE_ERRORS}#redirect-uri-mismatch"),
                    state,
                ),
            ));
        }
        None => registered.first().cloned().ok_or(ApiError::NotFound)?,
    };
    let Some(login) = world.oauth.signed_in.clone() else {
        return Ok(sign_in_page());
    };
    if world.oauth.denies {
        return Ok(redirect(
            &callback,
            &error_params(
                "access_denied",
                "The user has denied your application access.",
                &format!("{AUTHORIZE_ERRORS}#access-denied"),
                state,
            ),
        ));
    }
    let code = world.grant_oauth_code(&login, asked);
    let mut params = vec![("code", code)];
    if let Some(state) = state {
        params.push(("state", state.to_string()));
    }
    Ok(redirect(&callback, &params))
}

/// `POST /login/oauth/access_token`: exchanges a code for a user access token. Parameters come
/// in the query string, a form or a JSON body; the answer is form-encoded unless the client
/// accepts `application/json`.
pub(super) fn access_token(world: &mut World, request: &ApiRequest) -> ApiResult {
    let params = token_params(request);
    let param = |key: &str| {
        params
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    };
    let json = request
        .accept
        .as_deref()
        .is_some_and(|accept| accept.contains("application/json"));
    if param("client_id") != Some(world.app.client_id.as_str())
        || param("client_secret") != Some(world.oauth.client_secret.as_str())
    {
        return Ok(token_error(
            json,
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
            "incorrect-client-credentials",
        ));
    }
    match world.redeem_oauth_code(param("code").unwrap_or_default(), param("redirect_uri")) {
        Ok(token) => {
            let fields = [
                ("access_token", token.as_str()),
                ("scope", ""),
                ("token_type", "bearer"),
            ];
            Ok(answer(json, &fields))
        }
        Err(OAuthError::BadVerificationCode) => Ok(token_error(
            json,
            "bad_verification_code",
            "The code passed is incorrect or expired.",
            "bad-verification-code",
        )),
        Err(OAuthError::RedirectUriMismatch) => Ok(token_error(
            json,
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
            "redirect-uri-mismatch2",
        )),
    }
}

/// `GET /user`: the account a user access token acts for.
pub(super) fn authenticated_user(world: &World, request: &ApiRequest) -> ApiResult {
    let login = auth::require_user(world, request, "Resource not accessible by integration")?;
    let account = world.user(&login).ok_or(ApiError::BadCredentials)?;
    let public_repos = world
        .repos
        .values()
        .filter(|repo| repo.owner == login && !repo.private)
        .count();
    // Accounts in the sim have no history; they all date from a year before the clock's
    // default start.
    let created = chrono::Utc
        .with_ymd_and_hms(2025, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let mut body = render::user(world, &login);
    let private = json!({
        "name": account.name,
        "company": null,
        "blog": "",
        "location": null,
        "email": account.email,
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": ts(created),
        "updated_at": ts(created),
    });
    if let (Some(body), Value::Object(private)) = (body.as_object_mut(), private) {
        body.extend(private);
    }
    Ok(ApiResponse::ok(body))
}

/// `GET /user/installations`: the App's installations in which the user can read at least
/// one repository.
pub(super) fn user_installations(world: &World, request: &ApiRequest) -> ApiResult {
    let login = auth::require_user(world, request, NOT_FOR_INSTALLATIONS)?;
    let items = world
        .installations_of_user(&login)
        .into_iter()
        .map(|installation| render::installation(world, installation))
        .collect();
    Ok(paginate_wrapped(world, request, "installations", items))
}

/// `GET /user/installations/{id}/repositories`: the repositories of the installation the user
/// can read, each with the user's `permissions`. An installation in which the user can read
/// nothing is 404.
pub(super) fn user_installation_repositories(
    world: &World,
    request: &ApiRequest,
    id: &str,
) -> ApiResult {
    let login = auth::require_user(world, request, NOT_FOR_INSTALLATIONS)?;
    let installation = world
        .installations
        .get(&parse_id(id)?)
        .ok_or(ApiError::NotFound)?;
    let readable = world.readable_repositories(installation, &login);
    if readable.is_empty() {
        return Err(ApiError::NotFound);
    }
    let items = readable
        .iter()
        .filter_map(|full| world.repo(full))
        .map(|repo| {
            let mut value = render::repository(world, repo);
            let role = world.access_of(&repo.full_name(), &login);
            let at_least = |wanted: Permission| role.is_some_and(|role| role >= wanted);
            value["permissions"] = json!({
                "admin": at_least(Permission::Admin),
                "maintain": at_least(Permission::Maintain),
                "push": at_least(Permission::Write),
                "triage": at_least(Permission::Triage),
                "pull": at_least(Permission::Read),
            });
            value
        })
        .collect();
    let mut response = paginate_wrapped(world, request, "repositories", items);
    if let Some(body) = response.body.as_mut() {
        body["repository_selection"] = json!(installation.repository_selection);
    }
    Ok(response)
}

/// The token request's parameters: the query string, then a form or JSON body.
fn token_params(request: &ApiRequest) -> Vec<(String, String)> {
    let mut params = request.query.clone();
    let is_json = request
        .content_type
        .as_deref()
        .is_some_and(|kind| kind.contains("json"));
    if is_json {
        if let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&request.body) {
            params.extend(fields.into_iter().filter_map(|(key, value)| match value {
                Value::String(text) => Some((key, text)),
                Value::Number(number) => Some((key, number.to_string())),
                _ => None,
            }));
        }
    } else if let Ok(form) = std::str::from_utf8(&request.body) {
        params.extend(form_urlencoded_pairs(form));
    }
    params
}

/// `fields` as JSON or as a form, as the client asked.
fn answer(json: bool, fields: &[(&str, &str)]) -> ApiResponse {
    if json {
        let body: serde_json::Map<String, Value> = fields
            .iter()
            .map(|(key, value)| ((*key).to_string(), json!(value)))
            .collect();
        return ApiResponse::ok(Value::Object(body));
    }
    ApiResponse {
        status: StatusCode::OK,
        body: None,
        text: Some(form(fields)),
        headers: vec![(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )],
    }
}

/// A token-exchange error: `200` with `error`, `error_description` and `error_uri`.
fn token_error(json: bool, error: &str, description: &str, anchor: &str) -> ApiResponse {
    let uri = format!("{TOKEN_ERRORS}/#{anchor}");
    answer(
        json,
        &[
            ("error", error),
            ("error_description", description),
            ("error_uri", &uri),
        ],
    )
}

fn error_params<'a>(
    error: &'a str,
    description: &'a str,
    uri: &str,
    state: Option<&str>,
) -> Vec<(&'a str, String)> {
    let mut params = vec![
        ("error", error.to_string()),
        ("error_description", description.to_string()),
        ("error_uri", uri.to_string()),
    ];
    if let Some(state) = state {
        params.push(("state", state.to_string()));
    }
    params
}

fn form<V: AsRef<str>>(fields: &[(&str, V)]) -> String {
    fields
        .iter()
        .map(|(key, value)| format!("{}={}", encode_query(key), encode_query(value.as_ref())))
        .collect::<Vec<_>>()
        .join("&")
}

/// `302 Found` to `url` with `params` added to its query.
fn redirect(url: &str, params: &[(&str, String)]) -> ApiResponse {
    let separator = if url.contains('?') { '&' } else { '?' };
    ApiResponse {
        status: StatusCode::FOUND,
        body: None,
        text: None,
        headers: vec![(
            header::LOCATION,
            format!("{url}{separator}{}", form(params)),
        )],
    }
}

/// What GitHub shows a browser that is not signed in (the sim has no sign-in form: a test
/// signs someone in with `World::sign_in`).
fn sign_in_page() -> ApiResponse {
    ApiResponse {
        status: StatusCode::OK,
        body: None,
        text: Some(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Sign in to GitHub · GitHub</title></head>\n<body><h1>Sign in to GitHub</h1><p>github-sim: nobody is signed in (World::sign_in).</p></body></html>\n"
                .to_string(),
        ),
        headers: vec![(header::CONTENT_TYPE, "text/html; charset=utf-8".to_string())],
    }
}
