//! The HTTP face of the sim: one axum fallback handler that records the
//! request, applies injected faults, authenticates, routes on the path
//! segments and renders GitHub-shaped answers.
//!
//! Handlers are synchronous functions over `&mut World`, run under the world
//! lock; nothing awaits while the lock is held.

mod access;
mod app;
mod auth;
mod checks;
mod deployments;
mod git;
mod issues;
mod oauth;
mod pulls;
mod releases;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::RecordedRequest;
use crate::fault::{FaultKind, FaultQueue};
use crate::rate::{self, Quota, RateBook};
use crate::world::World;

/// State shared by the server task and the `GitHubSim` handle.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) world: Mutex<World>,
    pub(crate) log: Mutex<Vec<RecordedRequest>>,
    pub(crate) faults: Mutex<FaultQueue>,
    pub(crate) rates: Mutex<RateBook>,
}

/// Locks `mutex`, carrying on after a panic in another holder: the sim's state
/// is plain data, and a test that panicked mid-update should still be able to
/// inspect it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One request, as the handlers see it.
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) raw_query: Option<String>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) authorization: Option<String>,
    /// The raw `Accept` header (the OAuth token exchange answers in the format it asks for).
    pub(crate) accept: Option<String>,
    /// The raw `Content-Type` header (the OAuth token exchange takes a form or JSON).
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
}

impl ApiRequest {
    /// The first value of query parameter `key`.
    pub(crate) fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as `T`: 400 for malformed JSON, 422 for JSON of the
    /// wrong shape, as GitHub answers.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let body: &[u8] = if self.body.is_empty() {
            b"{}"
        } else {
            &self.body
        };
        let value: Value = serde_json::from_slice(body).map_err(|_| ApiError::BadJson)?;
        serde_json::from_value(value)
            .map_err(|error| ApiError::invalid(format!("Invalid request.\n\n{error}")))
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct ApiResponse {
    pub(crate) status: StatusCode,
    pub(crate) body: Option<Value>,
    /// A body that is not JSON (a form-encoded token, a web page); its `Content-Type` is in
    /// `headers`. Used only when `body` is `None`.
    pub(crate) text: Option<String>,
    pub(crate) headers: Vec<(HeaderName, String)>,
}

impl ApiResponse {
    pub(crate) fn ok(body: Value) -> ApiResponse {
        ApiResponse {
            status: StatusCode::OK,
            body: Some(body),
            text: None,
            headers: Vec::new(),
        }
    }

    /// 201 with a `Location` header pointing at the new resource's `url`.
    pub(crate) fn created(body: Value) -> ApiResponse {
        let location = body.get("url").and_then(Value::as_str).map(str::to_string);
        let mut response = ApiResponse {
            status: StatusCode::CREATED,
            body: Some(body),
            text: None,
            headers: Vec::new(),
        };
        if let Some(location) = location {
            response.headers.push((header::LOCATION, location));
        }
        response
    }

    pub(crate) fn accepted(body: Value) -> ApiResponse {
        ApiResponse {
            status: StatusCode::ACCEPTED,
            body: Some(body),
            text: None,
            headers: Vec::new(),
        }
    }

    pub(crate) fn no_content() -> ApiResponse {
        ApiResponse {
            status: StatusCode::NO_CONTENT,
            body: None,
            text: None,
            headers: Vec::new(),
        }
    }
}

const DOCS: &str = "https://docs.github.com/rest";

/// An error answer, with GitHub's body for it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("Not Found")]
    NotFound,
    #[error("Bad credentials")]
    BadCredentials,
    /// 401 with a specific message (JWT problems).
    #[error("{0}")]
    Unauthorized(String),
    #[error("Problems parsing JSON")]
    BadJson,
    /// 422 with a message and GitHub's `errors` array.
    #[error("{message}")]
    Unprocessable { message: String, errors: Vec<Value> },
    #[error("{0}")]
    Conflict(String),
    /// Any other status with a message.
    #[error("{1}")]
    Other(StatusCode, String),
}

impl ApiError {
    /// 422 "Validation Failed" for one field.
    pub(crate) fn validation(resource: &str, field: &str, code: &str) -> ApiError {
        ApiError::Unprocessable {
            message: "Validation Failed".to_string(),
            errors: vec![json!({ "resource": resource, "field": field, "code": code })],
        }
    }

    /// 422 with only a message.
    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable {
            message: message.into(),
            errors: Vec::new(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::BadCredentials | ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::BadJson => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Other(status, _) => *status,
        }
    }

    fn into_api_response(self) -> ApiResponse {
        let status = self.status();
        let mut body = json!({
            "message": self.to_string(),
            "documentation_url": DOCS,
            "status": status.as_u16().to_string(),
        });
        if let ApiError::Unprocessable { errors, .. } = &self
            && !errors.is_empty()
        {
            body["errors"] = json!(errors);
        }
        ApiResponse {
            status,
            body: Some(body),
            text: None,
            headers: Vec::new(),
        }
    }
}

pub(crate) type ApiResult = Result<ApiResponse, ApiError>;

/// The axum router: everything goes through [`handle`].
pub(crate) fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(shared)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ApiRequest {
        method,
        path: uri.path().to_string(),
        raw_query: uri.query().map(str::to_string),
        query: uri.query().map(form_urlencoded_pairs).unwrap_or_default(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string),
        accept: header_text(&headers, header::ACCEPT),
        content_type: header_text(&headers, header::CONTENT_TYPE),
        body,
    };
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok());

    let fault = lock(&shared.faults).take(request.method.as_str(), &request.path);
    let faulted = match fault {
        Some(kind) => apply_fault(&shared, kind).await,
        None => None,
    };
    let response = match faulted {
        Some(response) => response,
        None => answer(&shared, &request, if_none_match),
    };

    lock(&shared.log).push(RecordedRequest {
        method: request.method.to_string(),
        path: request.path.clone(),
        query: request.raw_query.clone(),
        authorization: request.authorization.clone(),
        body: serde_json::from_slice(&request.body).ok(),
        status: response.status.as_u16(),
    });
    into_http(response)
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

pub(crate) fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_query(key), decode_query(value))
        })
        .collect()
}

fn decode_query(part: &str) -> String {
    percent_decode_str(&part.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Answers a request and charges it to the installation whose token it carries (see
/// [`crate::rate`]).
fn answer(shared: &Shared, request: &ApiRequest, if_none_match: Option<&str>) -> ApiResponse {
    let mut world = lock(&shared.world);
    let now = world.now;
    let installation = auth::installation_of(&world, request);
    let mut rates = lock(&shared.rates);
    if let Some(id) = installation
        && let Err(quota) = rates.admit(id, now)
    {
        return primary_rate_limit_answer(quota);
    }
    let mut response = dispatch(&mut world, request).unwrap_or_else(ApiError::into_api_response);
    if request.method == Method::GET {
        revalidate(&mut response, if_none_match);
    }
    if let Some(id) = installation {
        let quota = rates.charge(id, now, response.status == StatusCode::NOT_MODIFIED);
        push_quota(&mut response, quota);
    }
    response
}

/// Gives a successful GET answer its `ETag`, and turns it into `304 Not Modified` (no body,
/// no `Link`, as GitHub answers) when the request already holds that version.
fn revalidate(response: &mut ApiResponse, if_none_match: Option<&str>) {
    if response.status != StatusCode::OK {
        return;
    }
    let Some(body) = &response.body else {
        return;
    };
    let tag = rate::etag(body.to_string().as_bytes());
    if if_none_match.is_some_and(|wanted| rate::none_match(wanted, &tag)) {
        response.status = StatusCode::NOT_MODIFIED;
        response.body = None;
        response.headers.retain(|(name, _)| name != header::LINK);
    }
    response.headers.push((header::ETAG, tag));
}

fn push_quota(response: &mut ApiResponse, quota: Quota) {
    for (name, value) in quota.headers() {
        response
            .headers
            .push((HeaderName::from_static(name), value));
    }
}

/// Applies a fault: either the error answer the request gets instead of the
/// real one, or `None` to answer normally (after a delay, or with every token
/// expired).
async fn apply_fault(shared: &Shared, kind: FaultKind) -> Option<ApiResponse> {
    match kind {
        FaultKind::Delay(delay) => {
            tokio::time::sleep(delay).await;
            None
        }
        FaultKind::ExpireTokens => {
            lock(&shared.world).expire_all_tokens();
            None
        }
        FaultKind::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = match status {
                StatusCode::UNAUTHORIZED => "Bad credentials",
                StatusCode::NOT_FOUND => "Not Found",
                StatusCode::INTERNAL_SERVER_ERROR => "Server Error",
                other => other.canonical_reason().unwrap_or("Error"),
            };
            Some(error_answer(status, message, DOCS))
        }
        FaultKind::SecondaryRateLimit { retry_after_secs } => Some(secondary_rate_limit(
            StatusCode::FORBIDDEN,
            retry_after_secs,
        )),
        FaultKind::TooManyRequests { retry_after_secs } => Some(secondary_rate_limit(
            StatusCode::TOO_MANY_REQUESTS,
            retry_after_secs,
        )),
        FaultKind::RateLimited { reset_in_secs } => Some(primary_rate_limit(reset_in_secs)),
    }
}

fn error_answer(status: StatusCode, message: &str, docs: &str) -> ApiResponse {
    ApiResponse {
        status,
        body: Some(json!({
            "message": message,
            "documentation_url": docs,
            "status": status.as_u16().to_string(),
        })),
        text: None,
        headers: Vec::new(),
    }
}

/// GitHub's secondary rate limit answer (403 or 429) with `Retry-After`.
fn secondary_rate_limit(status: StatusCode, retry_after_secs: u64) -> ApiResponse {
    let mut response = error_answer(
        status,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:SIM.",
        "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
    );
    response
        .headers
        .push((header::RETRY_AFTER, retry_after_secs.to_string()));
    response
}

/// GitHub's primary rate limit answer: 403 with the quota exhausted and the
/// reset time (Unix seconds, wall clock) in `x-ratelimit-reset`.
fn primary_rate_limit(reset_in_secs: u64) -> ApiResponse {
    let reset = chrono::Utc::now()
        .timestamp()
        .saturating_add_unsigned(reset_in_secs);
    primary_rate_limit_answer(Quota {
        limit: 5000,
        remaining: 0,
        used: 5000,
        reset,
    })
}

/// The 403 of a spent budget, with its quota in the `x-ratelimit-*` headers.
fn primary_rate_limit_answer(quota: Quota) -> ApiResponse {
    let mut response = error_answer(
        StatusCode::FORBIDDEN,
        "API rate limit exceeded for installation.",
        "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
    );
    push_quota(&mut response, quota);
    response
}

fn into_http(response: ApiResponse) -> Response {
    let mut http = match response.body {
        Some(body) => (
            response.status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body.to_string(),
        )
            .into_response(),
        None => match response.text {
            Some(text) => (response.status, text).into_response(),
            None => response.status.into_response(),
        },
    };
    let headers = http.headers_mut();
    headers.insert(
        HeaderName::from_static("x-github-api-version-selected"),
        HeaderValue::from_static("2022-11-28"),
    );
    headers.insert(
        HeaderName::from_static("x-github-media-type"),
        HeaderValue::from_static("github.v3; format=json"),
    );
    // The normal rate-limit headers, unless a fault already set them.
    if !response
        .headers
        .iter()
        .any(|(name, _)| name.as_str() == "x-ratelimit-remaining")
    {
        let reset = (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp();
        for (name, value) in [
            ("x-ratelimit-limit", "5000".to_string()),
            ("x-ratelimit-remaining", "4999".to_string()),
            ("x-ratelimit-used", "1".to_string()),
            ("x-ratelimit-reset", reset.to_string()),
            ("x-ratelimit-resource", "core".to_string()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
    for (name, value) in response.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    http
}

/// Routes a request on its decoded path segments.
fn dispatch(world: &mut World, request: &ApiRequest) -> ApiResult {
    let decoded: Vec<String> = request
        .path
        .trim_start_matches('/')
        .split('/')
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let method = request.method.as_str();

    match (method, segments.as_slice()) {
        // App-level routes, JWT-authenticated.
        ("POST", ["app", "installations", id, "access_tokens"]) => {
            auth::require_app(request)?;
            app::create_access_token(world, request, id)
        }
        ("GET", ["app"]) => {
            // GitHub also lets installation tokens read their App.
            if auth::require_app(request).is_err() {
                auth::require_installation(world, request)?;
            }
            Ok(ApiResponse::ok(crate::render::app(world)))
        }
        ("GET", ["app", "installations"]) => {
            auth::require_app(request)?;
            app::list_installations(world, request)
        }
        ("GET", ["app", "installations", id]) => {
            auth::require_app(request)?;
            app::get_installation(world, id)
        }
        ("GET", ["repos", owner, repo, "installation"]) => {
            auth::require_app(request)?;
            app::repo_installation(world, &format!("{owner}/{repo}"))
        }
        ("GET", ["app", "hook", "deliveries"]) => {
            auth::require_app(request)?;
            app::list_deliveries(world, request)
        }
        ("GET", ["app", "hook", "deliveries", id]) => {
            auth::require_app(request)?;
            app::get_delivery(world, id)
        }
        ("POST", ["app", "hook", "deliveries", id, "attempts"]) => {
            auth::require_app(request)?;
            app::redeliver(world, id)
        }
        ("POST", ["app-manifests", code, "conversions"]) => app::convert_manifest(world, code),
        ("GET", ["installation", "repositories"]) => {
            let installation = auth::require_installation(world, request)?;
            app::installation_repositories(world, request, installation)
        }
        ("GET", ["orgs", org, "teams", team, "memberships", username]) => {
            auth::require_installation_on_account(world, request, org)?;
            access::team_membership(world, org, team, username)
        }
        // Signing in with GitHub: github.com's web flow, then the API with a user token.
        ("GET", ["login", "oauth", "authorize"]) => oauth::authorize(world, request),
        ("POST", ["login", "oauth", "access_token"]) => oauth::access_token(world, request),
        ("GET", ["user"]) => oauth::authenticated_user(world, request),
        ("GET", ["user", "installations"]) => oauth::user_installations(world, request),
        ("GET", ["user", "installations", id, "repositories"]) => {
            oauth::user_installation_repositories(world, request, id)
        }
        (_, ["repos", owner, name, rest @ ..]) => {
            let full = format!("{owner}/{name}");
            let installation = auth::require_repo_access(world, request, &full)?;
            repo_routes(world, request, &full, installation, rest)
        }
        _ => Err(ApiError::NotFound),
    }
}

/// Everything under `/repos/{owner}/{repo}/`.
fn repo_routes(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    installation: u64,
    rest: &[&str],
) -> ApiResult {
    let method = request.method.as_str();
    match (method, rest) {
        ("GET", []) => access::get_repo(world, repo),
        ("GET", ["contents", path @ ..]) if !path.is_empty() => {
            git::get_contents(world, request, repo, &path.join("/"))
        }
        ("GET", ["collaborators", username, "permission"]) => {
            access::collaborator_permission(world, repo, username)
        }

        // Issues.
        ("GET", ["issues"]) => issues::list(world, request, repo),
        ("POST", ["issues"]) => issues::create(world, request, repo),
        ("GET", ["issues", "comments", id]) => issues::get_comment(world, repo, id),
        ("PATCH", ["issues", "comments", id]) => issues::update_comment(world, request, repo, id),
        ("DELETE", ["issues", "comments", id]) => issues::delete_comment(world, repo, id),
        ("GET", ["issues", "comments", id, "reactions"]) => {
            issues::list_comment_reactions(world, request, repo, id)
        }
        ("POST", ["issues", "comments", id, "reactions"]) => {
            issues::react_to_comment(world, request, repo, id)
        }
        ("GET", ["issues", number]) => issues::get(world, repo, number),
        ("PATCH", ["issues", number]) => issues::update(world, request, repo, number),
        ("GET", ["issues", number, "comments"]) => {
            issues::list_comments(world, request, repo, number)
        }
        ("POST", ["issues", number, "comments"]) => {
            issues::create_comment(world, request, repo, number)
        }
        ("GET", ["issues", number, "labels"]) => issues::list_labels(world, repo, number),
        ("POST", ["issues", number, "labels"]) => issues::add_labels(world, request, repo, number),
        ("PUT", ["issues", number, "labels"]) => issues::set_labels(world, request, repo, number),
        ("DELETE", ["issues", number, "labels", name]) => {
            issues::remove_label(world, repo, number, name)
        }
        ("POST", ["issues", number, "assignees"]) => {
            issues::add_assignees(world, request, repo, number)
        }
        ("DELETE", ["issues", number, "assignees"]) => {
            issues::remove_assignees(world, request, repo, number)
        }
        ("GET", ["issues", number, "reactions"]) => {
            issues::list_issue_reactions(world, request, repo, number)
        }
        ("POST", ["issues", number, "reactions"]) => {
            issues::react_to_issue(world, request, repo, number)
        }

        // Pull requests. Review comments first: `pulls/comments/…` is not a PR number.
        ("GET", ["pulls", "comments", id]) => pulls::get_review_comment(world, repo, id),
        ("GET", ["pulls", "comments", id, "reactions"]) => {
            pulls::list_review_comment_reactions(world, request, repo, id)
        }
        ("POST", ["pulls", "comments", id, "reactions"]) => {
            pulls::react_to_review_comment(world, request, repo, id)
        }
        ("GET", ["pulls", number, "comments"]) => {
            pulls::list_review_comments(world, request, repo, number)
        }
        ("GET", ["pulls"]) => pulls::list(world, request, repo),
        ("POST", ["pulls"]) => pulls::create(world, request, repo),
        ("GET", ["pulls", number]) => pulls::get(world, repo, number),
        ("PATCH", ["pulls", number]) => pulls::update(world, request, repo, number),
        ("GET", ["pulls", number, "commits"]) => pulls::commits(world, request, repo, number),
        ("GET", ["commits", sha, "pulls"]) => pulls::for_commit(world, request, repo, sha),

        // Commits, statuses and checks on a ref. Refs may contain slashes
        // (`heads/main`, `feature/x`), as GitHub accepts.
        ("GET", ["commits"]) => git::list_commits(world, request, repo),
        ("GET", ["commits", rev @ .., "status"]) if !rev.is_empty() => {
            checks::combined_status(world, repo, &rev.join("/"))
        }
        ("GET", ["commits", rev @ .., "statuses"]) if !rev.is_empty() => {
            checks::list_statuses(world, request, repo, &rev.join("/"))
        }
        ("GET", ["commits", rev @ .., "check-runs"]) if !rev.is_empty() => {
            checks::list_check_runs(world, request, repo, &rev.join("/"))
        }
        ("GET", ["commits", rev @ .., "check-suites"]) if !rev.is_empty() => {
            checks::list_check_suites(world, request, repo, &rev.join("/"))
        }
        ("GET", ["commits", rev @ ..]) if !rev.is_empty() => {
            git::get_commit(world, repo, &rev.join("/"))
        }
        ("GET", ["compare", spec @ ..]) if !spec.is_empty() => {
            git::compare(world, request, repo, &spec.join("/"))
        }
        ("POST", ["statuses", sha]) => checks::create_status(world, request, repo, sha),
        ("POST", ["check-runs"]) => checks::create_check_run(world, request, repo),
        ("GET", ["check-runs", id]) => checks::get_check_run(world, repo, id),
        ("PATCH", ["check-runs", id]) => checks::update_check_run(world, request, repo, id),
        ("GET", ["check-runs", id, "annotations"]) => {
            checks::list_annotations(world, request, repo, id)
        }

        // Git data.
        ("GET", ["git", "ref", reference @ ..]) if !reference.is_empty() => {
            git::get_ref(world, repo, &reference.join("/"))
        }
        ("GET", ["git", "matching-refs", reference @ ..]) => {
            git::matching_refs(world, repo, &reference.join("/"))
        }
        ("POST", ["git", "refs"]) => git::create_ref(world, request, repo),
        ("PATCH", ["git", "refs", reference @ ..]) if !reference.is_empty() => {
            git::update_ref(world, request, repo, &reference.join("/"))
        }
        ("DELETE", ["git", "refs", reference @ ..]) if !reference.is_empty() => {
            git::delete_ref(world, repo, &reference.join("/"))
        }
        ("GET", ["tags"]) => git::list_tags(world, request, repo),
        ("POST", ["git", "blobs"]) => git::create_blob(world, request, repo),
        ("GET", ["git", "blobs", sha]) => git::get_blob(world, repo, sha),
        ("GET", ["git", "trees", sha]) => git::get_tree(world, request, repo, sha),
        ("POST", ["git", "trees"]) => git::create_tree(world, request, repo),
        ("POST", ["git", "commits"]) => git::create_git_commit(world, request, repo),
        ("GET", ["git", "commits", sha]) => git::get_git_commit(world, repo, sha),

        // Releases.
        ("GET", ["releases"]) => releases::list(world, request, repo),
        ("POST", ["releases"]) => releases::create(world, request, repo),
        ("GET", ["releases", "latest"]) => releases::latest(world, repo),
        ("GET", ["releases", "tags", tag @ ..]) if !tag.is_empty() => {
            releases::by_tag(world, repo, &tag.join("/"))
        }
        ("GET", ["releases", id]) => releases::get(world, repo, id),
        ("PATCH", ["releases", id]) => releases::update(world, request, repo, id),
        ("DELETE", ["releases", id]) => releases::delete(world, repo, id),

        // Deployments.
        ("GET", ["deployments"]) => deployments::list(world, request, repo),
        ("POST", ["deployments"]) => deployments::create(world, request, repo),
        ("GET", ["deployments", id]) => deployments::get(world, repo, id),
        ("GET", ["deployments", id, "statuses"]) => {
            deployments::list_statuses(world, request, repo, id)
        }
        ("POST", ["deployments", id, "statuses"]) => {
            deployments::create_status(world, request, repo, id)
        }
        ("POST", ["actions", "runs", run_id, "deployment_protection_rule"]) => {
            deployments::review_protection_rule(world, request, repo, run_id, installation)
        }
        _ => Err(ApiError::NotFound),
    }
}

/// Parses a numeric path parameter; a non-number is a missing resource.
pub(crate) fn parse_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// The repository, or 404.
pub(crate) fn repo_of<'w>(
    world: &'w World,
    repo: &str,
) -> Result<&'w crate::world::Repo, ApiError> {
    world.repo(repo).ok_or(ApiError::NotFound)
}

/// Returns the requested page of `items` as a JSON array, with GitHub's
/// `Link` header.
pub(crate) fn paginate(world: &World, request: &ApiRequest, items: Vec<Value>) -> ApiResponse {
    let page = Page::of(request, items.len());
    let link = page.link(world, request);
    let body: Vec<Value> = items
        .into_iter()
        .skip(page.offset())
        .take(page.per_page)
        .collect();
    let mut response = ApiResponse::ok(Value::Array(body));
    if let Some(link) = link {
        response.headers.push((header::LINK, link));
    }
    response
}

/// Like [`paginate`] for the endpoints that wrap their list in an object
/// (`{"total_count": n, "<key>": [...]}`).
pub(crate) fn paginate_wrapped(
    world: &World,
    request: &ApiRequest,
    key: &str,
    items: Vec<Value>,
) -> ApiResponse {
    let total = items.len();
    let mut response = paginate(world, request, items);
    let page = response.body.take().unwrap_or(Value::Array(Vec::new()));
    response.body = Some(json!({ "total_count": total, key: page }));
    response
}

/// Page arithmetic for `per_page` (default 30, at most 100) and `page`.
pub(crate) struct Page {
    pub(crate) page: usize,
    pub(crate) per_page: usize,
    pub(crate) last: usize,
}

impl Page {
    pub(crate) fn of(request: &ApiRequest, total: usize) -> Page {
        let per_page = request
            .query("per_page")
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(30)
            .min(100);
        let page = request
            .query("page")
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(1);
        let last = total.div_ceil(per_page).max(1);
        Page {
            page,
            per_page,
            last,
        }
    }

    pub(crate) fn offset(&self) -> usize {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// The `Link` header (None when everything fits on one page).
    pub(crate) fn link(&self, world: &World, request: &ApiRequest) -> Option<String> {
        if self.last == 1 && self.page == 1 {
            return None;
        }
        let url = |page: usize| {
            let mut pairs: Vec<(String, String)> = request
                .query
                .iter()
                .filter(|(key, _)| key != "page")
                .cloned()
                .collect();
            pairs.push(("page".to_string(), page.to_string()));
            let query = pairs
                .iter()
                .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v)))
                .collect::<Vec<_>>()
                .join("&");
            format!("<{}?{query}>", world.api(&request.path))
        };
        let mut links = Vec::new();
        if self.page > 1 {
            links.push(format!(
                "{}; rel=\"prev\"",
                url((self.page - 1).min(self.last))
            ));
        }
        if self.page < self.last {
            links.push(format!("{}; rel=\"next\"", url(self.page + 1)));
            links.push(format!("{}; rel=\"last\"", url(self.last)));
        }
        if self.page > 1 {
            links.push(format!("{}; rel=\"first\"", url(1)));
        }
        Some(links.join(", "))
    }
}

pub(crate) fn encode_query(part: &str) -> String {
    percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%5F", "_")
        .replace("%2E", ".")
        .replace("%7E", "~")
}

/// Deserializes a field that may be absent, null or a value, keeping the
/// three apart (GitHub treats `"body": null` as "clear" and absent as "keep").
pub(crate) mod nullable {
    use serde::{Deserialize, Deserializer};

    pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}
