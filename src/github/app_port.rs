//! The App side of the port: what handlers ask of the GitHub App itself rather than of one
//! installation. Kept apart from [`super::port::GitHubPort`], whose operations are the ones the
//! App's permissions are granted for.

use std::sync::Arc;

use async_trait::async_trait;

use super::error::GitHubResult;
use super::port::GitHubPort;
use super::rate_budget::RateBudget;
use super::rest::RestClient;
use super::types::RepoName;

/// What handlers ask of the GitHub App itself: a port on one installation, what is left of each
/// installation's rate limit, and the App's own client for `/app` endpoints. The real one is
/// [`super::app::GitHubApp`]; a handler's unit test gives an in-memory fake, so no server runs.
#[async_trait]
pub trait GitHubAppPort: Send + Sync {
    /// The port for one installation (built once and kept by the real App).
    fn installation(&self, id: u64) -> GitHubResult<Arc<dyn GitHubPort>>;
    /// Each installation's rate-limit standing, as GitHub last reported it.
    fn rate_budget(&self) -> &RateBudget;
    /// The installation of the App on `repo`.
    async fn installation_id_for(&self, repo: &RepoName) -> GitHubResult<u64>;
    /// Calls as the App itself (JWT), for `/app/...` endpoints such as webhook deliveries.
    fn app_rest(&self) -> GitHubResult<RestClient>;
}
