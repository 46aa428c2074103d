//! The REST transport under the GitHub port: octocrab for auth and HTTP, plus what a
//! well-behaved App needs on top: bounded retries, rate-limit waits, pagination that keeps the
//! token on every page, conditional GETs and the rate-limit standing of installation clients
//! ([`super::conditional`], [`super::rate_budget`]), metrics, and dry-run.
//!
//! Every route is sent as a path-and-query (`/repos/o/r/issues?page=2`). octocrab joins it to
//! `GITHUB_API_URL` (keeping a GitHub Enterprise `/api/v3` prefix) and attaches the
//! installation token only to such relative routes — so absolute URLs from `Link` headers are
//! cut back to their path-and-query before they are followed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::conditional::{Cached, ResponseCache};
use super::error::{GitHubError, GitHubResult};
use super::rate_budget::RateBudget;
use super::route;

/// Where dry-run writes go instead of GitHub.
#[async_trait::async_trait]
pub trait WriteRecorder: Send + Sync {
    async fn record(&self, method: &str, route: &str, body: Option<&Value>);
}

/// How the client waits before an attempt again (a backoff, a `Retry-After`, a rate limit's
/// reset). Production sleeps on tokio's clock ([`TokioSleeper`]); a test passes one that
/// records the waits and returns at once, so it checks what relman waited for without timing
/// anything.
#[async_trait::async_trait]
pub trait Sleeper: Send + Sync {
    async fn sleep(&self, wait: Duration);
}

/// Waits on tokio's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

#[async_trait::async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, wait: Duration) {
        tokio::time::sleep(wait).await;
    }
}

/// How hard to try before giving a request up to the job's own retry.
#[derive(Clone, Copy)]
pub struct RetryBudget {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff after a 5xx or a connection error; doubles each time.
    pub base_backoff: Duration,
    /// The longest single wait a rate limit may impose before we give up (the job then retries
    /// later, rather than holding a worker for an hour).
    pub max_wait: Duration,
    /// All waiting for one request together.
    pub total_wait: Duration,
    /// What waits between attempts. `'static` so that the budget stays `Copy`: every client
    /// takes its own copy.
    pub sleeper: &'static dyn Sleeper,
}

impl std::fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryBudget")
            .field("max_attempts", &self.max_attempts)
            .field("base_backoff", &self.base_backoff)
            .field("max_wait", &self.max_wait)
            .field("total_wait", &self.total_wait)
            .finish_non_exhaustive()
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            max_attempts: 5,
            base_backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            total_wait: Duration::from_secs(120),
            sleeper: &TokioSleeper,
        }
    }
}

/// A response read in full.
#[derive(Debug)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Cheap to clone; clones share one octocrab client.
#[derive(Clone)]
pub struct RestClient {
    /// Shared, not cloned: cloning an `Octocrab` copies its cached installation token into a
    /// new cache, so clones taken before the first call (as `GitHubApp::installation` hands
    /// out) would each fetch and renew a token of their own.
    octocrab: Arc<Octocrab>,
    budget: RetryBudget,
    dry_run: Option<Arc<dyn WriteRecorder>>,
    installation: Option<InstallationScope>,
}

/// What the clients of one installation share with all the others: the stored answers
/// conditional GETs revalidate, and the rate-limit standing answers report.
#[derive(Clone)]
pub struct InstallationScope {
    pub id: u64,
    pub responses: Arc<ResponseCache>,
    pub rate: Arc<RateBudget>,
}

/// What to do after one attempt.
enum Verdict {
    Done(RawResponse),
    RetryAfter(Duration, GitHubError),
    Fail(GitHubError),
}

impl RestClient {
    pub fn new(
        octocrab: Octocrab,
        budget: RetryBudget,
        dry_run: Option<Arc<dyn WriteRecorder>>,
    ) -> Self {
        RestClient {
            octocrab: Arc::new(octocrab),
            budget,
            dry_run,
            installation: None,
        }
    }

    /// The client of one installation: GETs are conditional on the answers stored for it, and
    /// every answer's rate-limit figures are recorded.
    pub fn for_installation(mut self, scope: InstallationScope) -> Self {
        self.installation = Some(scope);
        self
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_run.is_some()
    }

    async fn send_once(
        &self,
        method: &Method,
        route: &str,
        body: Option<&Value>,
        condition: Option<(HeaderName, HeaderValue)>,
    ) -> Result<RawResponse, octocrab::Error> {
        let response = match *method {
            Method::GET => {
                let headers = condition.map(|(name, value)| HeaderMap::from_iter([(name, value)]));
                self.octocrab._get_with_headers(route, headers).await?
            }
            Method::POST => self.octocrab._post(route, body).await?,
            Method::PATCH => self.octocrab._patch(route, body).await?,
            Method::PUT => self.octocrab._put(route, body).await?,
            Method::DELETE => self.octocrab._delete(route, body).await?,
            _ => self.octocrab._get(route).await?,
        };
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(RawResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// Sends a request, retrying what may succeed later within the budget.
    pub async fn request(
        &self,
        method: Method,
        route: &str,
        body: Option<&Value>,
    ) -> GitHubResult<RawResponse> {
        if method != Method::GET
            && let Some(recorder) = &self.dry_run
        {
            tracing::info!(method = %method, route, body = %body.map(|b| b.to_string()).unwrap_or_default(), "dry run: not sent");
            recorder.record(method.as_str(), route, body).await;
            return Ok(dry_run_answer(body));
        }

        let template = route::template(route);
        let mut cached = match (&method, &self.installation) {
            (&Method::GET, Some(scope)) => scope.responses.get(scope.id, route),
            _ => None,
        };
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let condition = cached.as_ref().map(Cached::condition);
            let outcome = self.send_once(&method, route, body, condition).await;
            let elapsed = started.elapsed();
            let status_label = match &outcome {
                Ok(r) => r.status.as_u16().to_string(),
                Err(_) => "error".to_string(),
            };
            metrics::counter!("relman_github_requests_total", "method" => method.to_string(), "route" => template.clone(), "status" => status_label.clone())
                .increment(1);
            metrics::histogram!("relman_github_request_duration_seconds", "route" => template.clone())
                .record(elapsed.as_secs_f64());
            tracing::debug!(method = %method, route, status = %status_label, duration_ms = elapsed.as_millis() as u64, attempt, "GitHub call");

            let verdict = match outcome {
                Ok(response) => match self.settle(&method, route, &template, response, &cached) {
                    Some(response) => judge(route, response, attempt, &self.budget),
                    None => {
                        // The stored body of a 304 did not unpack: ask again, unconditionally.
                        cached = None;
                        Verdict::RetryAfter(
                            Duration::ZERO,
                            GitHubError::Decode {
                                route: route.to_string(),
                                message: "the stored answer of a 304 is unreadable".into(),
                            },
                        )
                    }
                },
                Err(e) => transport_verdict(route, e, attempt, &self.budget),
            };
            match verdict {
                Verdict::Done(response) => return Ok(response),
                Verdict::Fail(e) => return Err(e),
                Verdict::RetryAfter(wait, e) => {
                    if attempt >= self.budget.max_attempts
                        || wait > self.budget.max_wait
                        || waited + wait > self.budget.total_wait
                    {
                        return Err(e);
                    }
                    tracing::warn!(route, wait_ms = wait.as_millis() as u64, attempt, error = %e, "GitHub call will be retried");
                    metrics::counter!("relman_github_retries_total", "route" => template.clone())
                        .increment(1);
                    self.budget.sleeper.sleep(wait).await;
                    waited += wait;
                }
            }
        }
    }

    /// Books an installation's answer: its rate-limit figures; a `200` to a GET is stored for
    /// the next conditional request, and a `304` becomes the stored answer (`None` if that is
    /// unreadable).
    fn settle(
        &self,
        method: &Method,
        route: &str,
        template: &str,
        mut response: RawResponse,
        cached: &Option<Cached>,
    ) -> Option<RawResponse> {
        let Some(scope) = &self.installation else {
            return Some(response);
        };
        scope.rate.observe(scope.id, &response.headers);
        if *method != Method::GET {
            return Some(response);
        }
        match (response.status, cached) {
            (StatusCode::NOT_MODIFIED, Some(cached)) => {
                metrics::counter!("relman_github_not_modified_total", "route" => template.to_string())
                    .increment(1);
                response.body = cached.revive(&mut response.headers)?;
                response.status = StatusCode::OK;
            }
            (StatusCode::OK, _) => {
                scope
                    .responses
                    .store(scope.id, route, &response.headers, &response.body);
            }
            _ => {}
        }
        Some(response)
    }

    pub async fn get<T: DeserializeOwned>(&self, route: &str) -> GitHubResult<T> {
        let response = self.request(Method::GET, route, None).await?;
        decode(route, &response.body)
    }

    /// A GET where 404 means "there is none".
    pub async fn get_optional<T: DeserializeOwned>(&self, route: &str) -> GitHubResult<Option<T>> {
        match self.get(route).await {
            Ok(v) => Ok(Some(v)),
            Err(GitHubError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every page of a list endpoint. `items` picks the list out of a page (most endpoints
    /// answer a bare array; some wrap it, e.g. `{"check_runs": [...]}`).
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        route: &str,
        items: fn(Value) -> Option<Value>,
    ) -> GitHubResult<Vec<T>> {
        self.get_pages(route, items, usize::MAX).await
    }

    /// Like [`get_all`](Self::get_all) but stops after `max_items`.
    pub async fn get_pages<T: DeserializeOwned>(
        &self,
        route: &str,
        items: fn(Value) -> Option<Value>,
        max_items: usize,
    ) -> GitHubResult<Vec<T>> {
        let mut next = Some(with_per_page(route));
        let mut all = Vec::new();
        let mut pages = 0u32;
        while let Some(page_route) = next.take() {
            pages += 1;
            // A guard against a server that links pages in a circle.
            if pages > 1000 {
                return Err(GitHubError::Decode {
                    route: route.to_string(),
                    message: "more than 1000 pages".into(),
                });
            }
            let response = self.request(Method::GET, &page_route, None).await?;
            let value: Value = decode(&page_route, &response.body)?;
            let list = items(value).ok_or_else(|| GitHubError::Decode {
                route: page_route.clone(),
                message: "expected a list".into(),
            })?;
            let page: Vec<T> = serde_json::from_value(list).map_err(|e| GitHubError::Decode {
                route: page_route.clone(),
                message: e.to_string(),
            })?;
            all.extend(page);
            if all.len() >= max_items {
                all.truncate(max_items);
                break;
            }
            next = next_link(&response.headers);
        }
        Ok(all)
    }

    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        body: &impl Serialize,
    ) -> GitHubResult<T> {
        let body = to_value(route, body)?;
        let response = self.request(method, route, Some(&body)).await?;
        decode(route, &response.body)
    }

    /// A write whose answer relman does not need.
    pub async fn send(
        &self,
        method: Method,
        route: &str,
        body: Option<&impl Serialize>,
    ) -> GitHubResult<()> {
        let body = body.map(|b| to_value(route, b)).transpose()?;
        self.request(method, route, body.as_ref()).await.map(|_| ())
    }
}

fn to_value(route: &str, body: &impl Serialize) -> GitHubResult<Value> {
    serde_json::to_value(body).map_err(|e| GitHubError::Decode {
        route: route.to_string(),
        message: format!("could not encode the request: {e}"),
    })
}

pub(crate) fn decode<T: DeserializeOwned>(route: &str, body: &[u8]) -> GitHubResult<T> {
    serde_json::from_slice(body).map_err(|e| GitHubError::Decode {
        route: route.to_string(),
        message: e.to_string(),
    })
}

/// Lists are asked for in pages of 100, GitHub's maximum, to spend as few calls as possible.
fn with_per_page(route: &str) -> String {
    if route.contains("per_page=") {
        route.to_string()
    } else if route.contains('?') {
        format!("{route}&per_page=100")
    } else {
        format!("{route}?per_page=100")
    }
}

/// The `rel="next"` target of a `Link` header, as a path-and-query (see the module docs).
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            p.trim().trim_start_matches("rel=").trim_matches('"') == "next" && p.contains("rel=")
        });
        if !is_next {
            return None;
        }
        let url = url.trim().trim_start_matches('<').trim_end_matches('>');
        let uri: http::Uri = url.parse().ok()?;
        uri.path_and_query().map(|pq| pq.as_str().to_string())
    })
}

/// What a dry-run write answers: the request body, with the ids a caller reads set to 0.
fn dry_run_answer(body: Option<&Value>) -> RawResponse {
    let mut answer = match body {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        _ => Value::Object(Default::default()),
    };
    if let Value::Object(map) = &mut answer {
        for key in ["id", "number"] {
            map.entry(key).or_insert(Value::from(0));
        }
        map.entry("html_url").or_insert(Value::from("(dry run)"));
    }
    RawResponse {
        status: StatusCode::OK,
        headers: HeaderMap::new(),
        body: Bytes::from(answer.to_string()),
    }
}

fn github_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// How long GitHub asks us to wait: `Retry-After` seconds, or until `x-ratelimit-reset` when
/// the primary limit is spent.
fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(secs) = header_u64(headers, "retry-after") {
        return Some(Duration::from_secs(secs));
    }
    if header_u64(headers, "x-ratelimit-remaining") == Some(0) {
        let reset = header_u64(headers, "x-ratelimit-reset")?;
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        // One second of slack: GitHub's clock and ours are not the same clock.
        return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
    }
    None
}

fn backoff(budget: &RetryBudget, attempt: u32) -> Duration {
    budget
        .base_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
}

fn judge(route: &str, response: RawResponse, attempt: u32, budget: &RetryBudget) -> Verdict {
    let status = response.status;
    if status.is_success() || status.is_redirection() {
        return Verdict::Done(response);
    }
    let message = github_message(&response.body);
    classify(route, status, &response.headers, message, attempt, budget)
}

/// What to do about an error answer. API answers and the errors octocrab makes of a failed
/// token exchange both come here, so a 403 or a 5xx means the same wherever it came from.
fn classify(
    route: &str,
    status: StatusCode,
    headers: &HeaderMap,
    message: String,
    attempt: u32,
    budget: &RetryBudget,
) -> Verdict {
    let route = route.to_string();
    match status.as_u16() {
        404 | 410 => Verdict::Fail(GitHubError::NotFound { route }),
        401 => Verdict::Fail(GitHubError::Unauthorized { route, message }),
        403 | 429 => match rate_limit_wait(headers) {
            Some(wait) => Verdict::RetryAfter(
                wait,
                GitHubError::RateLimited {
                    route,
                    retry_in: wait,
                },
            ),
            // A secondary limit without Retry-After: GitHub asks for at least a minute.
            None if status.as_u16() == 429 || message.to_lowercase().contains("rate limit") => {
                let wait = Duration::from_secs(60);
                Verdict::RetryAfter(
                    wait,
                    GitHubError::RateLimited {
                        route,
                        retry_in: wait,
                    },
                )
            }
            None => Verdict::Fail(GitHubError::Forbidden { route, message }),
        },
        s if s >= 500 => Verdict::RetryAfter(
            backoff(budget, attempt),
            GitHubError::Server { route, status: s },
        ),
        s => Verdict::Fail(GitHubError::Rejected {
            route,
            status: s,
            message,
        }),
    }
}

fn transport_verdict(
    route: &str,
    error: octocrab::Error,
    attempt: u32,
    budget: &RetryBudget,
) -> Verdict {
    match error {
        // octocrab answers a failed installation-token request with the GitHub error. A 403
        // there is a rate limit only if GitHub says so (a suspended installation is a 403 that
        // waiting will not fix).
        octocrab::Error::GitHub { source, .. } => {
            let headers = source.headers.unwrap_or_default();
            classify(
                route,
                source.status_code,
                &headers,
                source.message,
                attempt,
                budget,
            )
        }
        octocrab::Error::Installation { .. }
        | octocrab::Error::InstallationTokenInvalidAuth { .. }
        | octocrab::Error::Uri { .. }
        | octocrab::Error::UriParse { .. }
        | octocrab::Error::InvalidHeaderValue { .. }
        | octocrab::Error::SerdeUrlEncoded { .. } => {
            Verdict::Fail(GitHubError::Setup(error.to_string()))
        }
        other => Verdict::RetryAfter(
            backoff(budget, attempt),
            GitHubError::Transport {
                route: route.to_string(),
                message: other.to_string(),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn next_link_is_cut_to_path_and_query() {
        let h = headers(&[(
            "link",
            r#"<https://ghe.example.com/api/v3/repos/o/r/issues?page=3&per_page=100>; rel="next", <https://ghe.example.com/api/v3/repos/o/r/issues?page=9&per_page=100>; rel="last""#,
        )]);
        assert_eq!(
            next_link(&h).as_deref(),
            Some("/api/v3/repos/o/r/issues?page=3&per_page=100")
        );
        let last_only = headers(&[("link", r#"<http://127.0.0.1:9/x?page=1>; rel="prev""#)]);
        assert_eq!(next_link(&last_only), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn per_page_is_added_once() {
        assert_eq!(
            with_per_page("/repos/o/r/tags"),
            "/repos/o/r/tags?per_page=100"
        );
        assert_eq!(with_per_page("/x?state=all"), "/x?state=all&per_page=100");
        assert_eq!(with_per_page("/x?per_page=5"), "/x?per_page=5");
    }

    #[test]
    fn rate_limit_waits_come_from_headers() {
        assert_eq!(
            rate_limit_wait(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        let reset = (chrono::Utc::now().timestamp() + 30).to_string();
        let wait = rate_limit_wait(&headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]))
        .unwrap();
        assert!(
            wait >= Duration::from_secs(29) && wait <= Duration::from_secs(32),
            "{wait:?}"
        );
        assert_eq!(
            rate_limit_wait(&headers(&[("x-ratelimit-remaining", "10")])),
            None
        );
    }

    #[test]
    fn verdicts_retry_only_what_can_change() {
        let budget = RetryBudget::default();
        let resp = |status: u16, h: HeaderMap, body: &str| RawResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: Bytes::from(body.to_string()),
        };
        assert!(matches!(
            judge("/r", resp(200, HeaderMap::new(), "{}"), 1, &budget),
            Verdict::Done(_)
        ));
        assert!(
            matches!(judge("/r", resp(502, HeaderMap::new(), ""), 1, &budget), Verdict::RetryAfter(d, _) if d == Duration::from_millis(500))
        );
        assert!(
            matches!(judge("/r", resp(500, HeaderMap::new(), ""), 3, &budget), Verdict::RetryAfter(d, _) if d == Duration::from_secs(2))
        );
        assert!(
            matches!(judge("/r", resp(403, headers(&[("retry-after", "3")]), r#"{"message":"You have exceeded a secondary rate limit"}"#), 1, &budget), Verdict::RetryAfter(d, _) if d == Duration::from_secs(3))
        );
        assert!(matches!(
            judge(
                "/r",
                resp(
                    403,
                    HeaderMap::new(),
                    r#"{"message":"Resource not accessible by integration"}"#
                ),
                1,
                &budget
            ),
            Verdict::Fail(GitHubError::Forbidden { .. })
        ));
        assert!(
            matches!(judge("/r", resp(429, HeaderMap::new(), "{}"), 1, &budget), Verdict::RetryAfter(d, _) if d == Duration::from_secs(60))
        );
        assert!(
            matches!(judge("/r", resp(422, HeaderMap::new(), r#"{"message":"Reference already exists"}"#), 1, &budget), Verdict::Fail(ref e) if e.is_already_exists())
        );
        assert!(matches!(
            judge("/r", resp(404, HeaderMap::new(), "{}"), 1, &budget),
            Verdict::Fail(GitHubError::NotFound { .. })
        ));
    }

    #[test]
    fn dry_run_answers_echo_the_body_with_ids() {
        let answer = dry_run_answer(Some(&serde_json::json!({"title": "t"})));
        let v: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(v["title"], "t");
        assert_eq!(v["number"], 0);
        assert_eq!(v["id"], 0);
    }
}
