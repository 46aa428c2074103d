//! relman's GitHub port on the fake GitHub: a sim with one installed repository, the App and
//! installation client relman would build on it, a counter of API calls, and a proxy that puts
//! the sim behind a GitHub Enterprise style `/api/v3` base path.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use github_sim::{APP_ID, GitHubSim, PRIVATE_KEY_PKCS1_PEM, RecordedRequest};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use relman::config::settings::AppCredentials;
use relman::github::RepoName;
use relman::github::app::GitHubApp;
use relman::github::client::GitHubClient;
use relman::github::rest::{RetryBudget, Sleeper, WriteRecorder};
use tokio::sync::oneshot;

/// The installation id the webhook fixtures use.
pub const INSTALLATION: u64 = 77;
/// The repository every helper here installs.
pub const REPO: &str = "acme/web";

pub fn repo_name() -> RepoName {
    REPO.parse().unwrap()
}

/// The sim's App, as relman reads it from `APP_ID` / `PRIVATE_KEY`.
pub fn credentials() -> AppCredentials {
    AppCredentials {
        app_id: APP_ID,
        private_key_pem: PRIVATE_KEY_PKCS1_PEM.to_string(),
    }
}

/// Retries as production does them, but with backoffs short enough for a test: 5 attempts,
/// 10 ms doubling, rate-limit waits up to 5 s.
pub fn fast_budget() -> RetryBudget {
    RetryBudget {
        max_attempts: 5,
        base_backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(5),
        total_wait: Duration::from_secs(10),
        ..RetryBudget::default()
    }
}

/// A sleeper for relman's client that records each wait it is asked for and returns at once:
/// a test reads what relman waited for (a backoff, a `Retry-After`) instead of timing it.
#[derive(Debug, Default)]
pub struct RecordedWaits(Mutex<Vec<Duration>>);

impl RecordedWaits {
    /// A new recorder for one test (leaked: a budget holds its sleeper for `'static`).
    pub fn leaked() -> &'static RecordedWaits {
        Box::leak(Box::default())
    }

    /// The waits so far, in order, and forgets them.
    pub fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[async_trait::async_trait]
impl Sleeper for RecordedWaits {
    async fn sleep(&self, wait: Duration) {
        self.0.lock().unwrap().push(wait);
    }
}

/// A running sim with [`REPO`] under installation [`INSTALLATION`], and relman's client on it.
pub struct SimRepo {
    pub sim: GitHubSim,
    pub app: GitHubApp,
    pub github: GitHubClient,
    pub repo: RepoName,
}

impl SimRepo {
    pub async fn start() -> SimRepo {
        SimRepo::start_with(fast_budget(), None).await
    }

    pub async fn start_with(
        budget: RetryBudget,
        dry_run: Option<Arc<dyn WriteRecorder>>,
    ) -> SimRepo {
        let sim = sim_with_repo().await;
        let app = GitHubApp::new(&credentials(), &sim.api_url(), budget, dry_run).unwrap();
        let github = app.installation(INSTALLATION).unwrap();
        SimRepo {
            sim,
            app,
            github,
            repo: repo_name(),
        }
    }

    /// Counts the API calls made from now on.
    pub fn counter(&self) -> CallCounter<'_> {
        CallCounter::start(&self.sim)
    }
}

/// A sim with [`REPO`] installed under [`INSTALLATION`].
pub async fn sim_with_repo() -> GitHubSim {
    let sim = GitHubSim::start().await;
    sim.with(|world| {
        world.add_repo(REPO).installation(INSTALLATION);
    });
    sim
}

/// Whether a recorded request is the installation-token exchange rather than an API call.
pub fn is_token_request(request: &RecordedRequest) -> bool {
    request.method == "POST"
        && request.path.starts_with("/app/installations/")
        && request.path.ends_with("/access_tokens")
}

/// API calls per operation, read from the sim's request log. Token exchanges are not API calls
/// an operation makes (octocrab makes them once per token), so they are counted apart.
pub struct CallCounter<'a> {
    sim: &'a GitHubSim,
    from: usize,
}

impl<'a> CallCounter<'a> {
    /// Counts from the current end of the log.
    pub fn start(sim: &'a GitHubSim) -> CallCounter<'a> {
        CallCounter {
            sim,
            from: sim.requests().len(),
        }
    }

    /// Everything the sim answered since the start (or the last [`reset`](Self::reset)).
    pub fn all(&self) -> Vec<RecordedRequest> {
        self.sim.requests().split_off(self.from)
    }

    /// The API calls since the start, token exchanges left out.
    pub fn calls(&self) -> Vec<RecordedRequest> {
        self.all()
            .into_iter()
            .filter(|r| !is_token_request(r))
            .collect()
    }

    pub fn count(&self) -> usize {
        self.calls().len()
    }

    /// Token exchanges since the start.
    pub fn token_requests(&self) -> usize {
        self.all().iter().filter(|r| is_token_request(r)).count()
    }

    /// The calls as `METHOD /path`, for readable assertions.
    pub fn lines(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// Starts counting again from now.
    pub fn reset(&mut self) {
        self.from = self.sim.requests().len();
    }
}

/// A loopback reverse proxy that serves the sim under a base path, as GitHub Enterprise Server
/// serves its REST API under `https://HOST/api/v3`. The sim itself routes from `/`; this strips
/// the prefix on the way in and answers 404 to anything outside it, so a client that dropped
/// the base path fails instead of passing by accident.
pub struct PrefixProxy {
    addr: SocketAddr,
    prefix: &'static str,
    stop: Option<oneshot::Sender<()>>,
}

impl PrefixProxy {
    pub async fn start(upstream: &str, prefix: &'static str) -> PrefixProxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let client: Client<HttpConnector, Body> =
            Client::builder(TokioExecutor::new()).build_http();
        let upstream = upstream.trim_end_matches('/').to_string();
        let router = axum::Router::new().fallback(move |request: Request<Body>| {
            forward(client.clone(), upstream.clone(), prefix, request)
        });
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        PrefixProxy {
            addr,
            prefix,
            stop: Some(stop),
        }
    }

    /// The API base a GitHub Enterprise user would configure: `http://127.0.0.1:PORT/api/v3`.
    pub fn api_url(&self) -> String {
        format!("http://{}{}", self.addr, self.prefix)
    }
}

impl Drop for PrefixProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn forward(
    client: Client<HttpConnector, Body>,
    upstream: String,
    prefix: &'static str,
    mut request: Request<Body>,
) -> Response {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_default();
    let Some(rest) = path_and_query
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'))
    else {
        return (StatusCode::NOT_FOUND, format!("not under {prefix}")).into_response();
    };
    let uri: Uri = match format!("{upstream}{rest}").parse() {
        Ok(uri) => uri,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    *request.uri_mut() = uri;
    // The client sets the upstream's Host from the URI.
    request.headers_mut().remove(header::HOST);
    match client.request(request).await {
        Ok(response) => response.map(Body::new),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
