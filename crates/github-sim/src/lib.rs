//! A fake GitHub for relman's tests and demo.
//!
//! [`GitHubSim::start`] serves a model of GitHub state ([`World`]) over real
//! HTTP on `127.0.0.1:<random port>`. relman's octocrab client talks to it as
//! it talks to api.github.com: App JWTs are verified, installation tokens are
//! issued and required, and answers have GitHub's documented shapes, status
//! codes and pagination. Tests arrange the world, run relman, then assert on
//! the world and on the request log; [`Fault`]s make the next requests fail
//! the ways GitHub fails. [`events`] builds webhook payloads from the world.
//! Installations have a rate-limit budget; GET answers carry ETags and
//! conditional requests get `304`s that cost nothing ([`GitHubSim::usage`]
//! counts requests and points apart). "Sign in with GitHub" works too: the OAuth web flow
//! signs in whoever a test chose with [`World::sign_in`], and user access tokens see only
//! what their user can read.
//!
//! Modelled on rust-lang/bors' test harness (a GitHub state model behind a
//! server), with the routing, auth and rendering written for relman's needs.

pub mod events;
mod fault;
mod objects;
mod rate;
pub mod render;
mod server;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fault::{Fault, FaultKind, Matcher};
pub use rate::{RateLimit, Usage};
pub use world::{Permission, UserKind, World};

use server::{Shared, lock};

/// The App id the sim's App has (and JWTs must carry as `iss`).
pub const APP_ID: u64 = 4242;
/// The App's slug; its bot user is `relman-test[bot]`.
pub const APP_SLUG: &str = "relman-test";
/// The App's OAuth client id (`GITHUB_CLIENT_ID`), for signing in with GitHub.
pub const CLIENT_ID: &str = "Iv23liRelmanTest0001";
/// The App's OAuth client secret in a fresh sim (`GITHUB_CLIENT_SECRET`).
pub const CLIENT_SECRET: &str = "relman-test-client-secret-0000000000000";
/// The App's private key, PKCS#1 PEM (test-only key).
pub const PRIVATE_KEY_PKCS1_PEM: &str = include_str!("../keys/test-app-key.pkcs1.pem");
/// The same private key, PKCS#8 PEM.
pub const PRIVATE_KEY_PKCS8_PEM: &str = include_str!("../keys/test-app-key.pkcs8.pem");
/// The public key the sim verifies App JWTs with.
pub const PUBLIC_KEY_PEM: &str = include_str!("../keys/test-app-key.pub.pem");

/// One request the sim answered (or faulted), in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// The path only, undecoded (`/repos/acme/web/issues/1`).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The raw `Authorization` header.
    pub authorization: Option<String>,
    /// The body, when it was JSON.
    pub body: Option<Value>,
    /// The status the sim answered with.
    pub status: u16,
}

/// Why the sim could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot bind 127.0.0.1:0: {0}")]
    Bind(#[source] std::io::Error),
}

/// A running fake GitHub. Dropping it stops the server.
#[derive(Debug)]
pub struct GitHubSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl GitHubSim {
    /// Starts a sim with an empty [`World`].
    ///
    /// # Panics
    /// If no loopback port can be bound (see [`GitHubSim::try_start`]).
    pub async fn start() -> GitHubSim {
        match GitHubSim::try_start().await {
            Ok(sim) => sim,
            Err(error) => panic!("github-sim: {error}"),
        }
    }

    /// Starts a sim with an empty [`World`], serving on 127.0.0.1 in a tokio
    /// task.
    pub async fn try_start() -> Result<GitHubSim, SimError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(SimError::Bind)?;
        let addr = listener.local_addr().map_err(SimError::Bind)?;
        let shared = Arc::new(Shared::default());
        lock(&shared.world).api_url = format!("http://{addr}");
        let (stop, stopped) = oneshot::channel::<()>();
        let app = server::router(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                // Either an explicit stop or the handle being dropped.
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "github-sim server stopped with an error");
            }
        });
        Ok(GitHubSim {
            shared,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The API base URL, e.g. `http://127.0.0.1:PORT` (no trailing slash).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the sim listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Reads or changes the world under its lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut lock(&self.shared.world))
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// Makes the next `fault.times` matching requests fail as `fault.kind`
    /// says. Faults are consumed in the order they were injected.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault);
    }

    /// Sets every installation's rate-limit budget (default: 5,000 points an hour).
    pub fn set_rate_limit(&self, limit: RateLimit) {
        lock(&self.shared.rates).limit = limit;
    }

    /// Leaves `remaining` points in `installation`'s current window, which then resets at
    /// `reset` (on the sim's clock, [`World::now`]).
    pub fn set_rate_remaining(
        &self,
        installation: u64,
        remaining: u64,
        reset: chrono::DateTime<chrono::Utc>,
    ) {
        lock(&self.shared.rates).set_remaining(installation, remaining, reset);
    }

    /// What `installation`'s requests have cost since the start or [`GitHubSim::clear_usage`]:
    /// requests, `304`s and rate-limit points.
    pub fn usage(&self, installation: u64) -> Usage {
        lock(&self.shared.rates).usage(installation)
    }

    /// Forgets the usage counts (budgets are kept).
    pub fn clear_usage(&self) {
        lock(&self.shared.rates).clear_usage();
    }

    /// Stops the server (dropping the sim does the same).
    pub fn shutdown(mut self) {
        self.stop_server();
    }

    fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // In-flight connections finish on their own; the listener is closed
        // by the graceful shutdown above.
        self.task.take();
    }
}

impl Drop for GitHubSim {
    fn drop(&mut self) {
        self.stop_server();
    }
}
