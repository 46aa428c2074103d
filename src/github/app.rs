//! The GitHub App: its JWT identity and one authenticated client per installation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use octocrab::Octocrab;
use octocrab::jsonwebtoken::EncodingKey;
use octocrab::models::{AppId, InstallationId};

use super::client::GitHubClient;
use super::conditional::ResponseCache;
use super::error::{GitHubError, GitHubResult};
use super::rate_budget::RateBudget;
use super::rest::{InstallationScope, RestClient, RetryBudget, WriteRecorder};
use crate::config::settings::AppCredentials;

/// Builds and caches installation clients. Each octocrab installation client caches its token
/// and renews it shortly before it expires (and once on a 401), so keeping one client per
/// installation means one token request per installation per hour, not one per call.
///
/// The App's own HTTP client (hyper, rustls and the system's trust roots) is built when a worker
/// first calls GitHub, not at start-up: ingress never calls GitHub, and a replica that only
/// receives webhooks then never loads that code or the roots (benches/README.md, round 9). What
/// can be wrong in the settings (the key, the API URL) is still checked by [`GitHubApp::new`].
pub struct GitHubApp {
    app: OnceLock<Result<Octocrab, String>>,
    app_id: u64,
    key: EncodingKey,
    api_url: String,
    budget: RetryBudget,
    dry_run: Option<Arc<dyn WriteRecorder>>,
    installations: Mutex<HashMap<u64, GitHubClient>>,
    responses: Arc<ResponseCache>,
    rate: Arc<RateBudget>,
}

impl GitHubApp {
    pub fn new(
        credentials: &AppCredentials,
        api_url: &str,
        budget: RetryBudget,
        dry_run: Option<Arc<dyn WriteRecorder>>,
    ) -> GitHubResult<GitHubApp> {
        let key =
            EncodingKey::from_rsa_pem(credentials.private_key_pem.as_bytes()).map_err(|e| {
                GitHubError::Setup(format!(
                    "the App private key is not a usable RSA PEM key: {e}"
                ))
            })?;
        // The same check the client's builder makes, without building the client.
        Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| GitHubError::Setup(format!("GITHUB_API_URL {api_url:?}: {e}")))?;
        Ok(GitHubApp {
            app: OnceLock::new(),
            app_id: credentials.app_id,
            key,
            api_url: api_url.to_string(),
            budget,
            dry_run,
            installations: Mutex::new(HashMap::new()),
            responses: Arc::new(ResponseCache::default()),
            rate: Arc::new(RateBudget::default()),
        })
    }

    /// Keeps at most `capacity_bytes` of answers for conditional GETs instead of
    /// [`super::conditional::DEFAULT_CAPACITY_BYTES`]; 0 makes every GET unconditional.
    pub fn with_response_cache(mut self, capacity_bytes: usize) -> Self {
        self.responses = Arc::new(ResponseCache::new(capacity_bytes));
        self
    }

    /// Defers deferrable work when less than `reserve_percent` of an installation's rate
    /// limit is left, instead of [`super::rate_budget::DEFAULT_RESERVE_PERCENT`].
    pub fn with_rate_reserve(mut self, reserve_percent: u8) -> Self {
        self.rate = Arc::new(RateBudget::new(reserve_percent));
        self
    }

    /// What is left of each installation's rate limit, as GitHub last reported it.
    pub fn rate_budget(&self) -> &RateBudget {
        &self.rate
    }

    /// The App's client (JWT), built on first use. Building fails only where the machine's TLS
    /// setup does (no trust roots): that is reported on the first item that calls GitHub, as
    /// "GitHub client setup: …", rather than at start-up. The answer does not change while
    /// relman runs, so it is kept either way.
    fn app(&self) -> GitHubResult<&Octocrab> {
        self.app
            .get_or_init(|| {
                Octocrab::builder()
                    .base_uri(self.api_url.as_str())
                    .map_err(|e| format!("GITHUB_API_URL {:?}: {e}", self.api_url))?
                    .app(AppId(self.app_id), self.key.clone())
                    .set_connect_timeout(Some(Duration::from_secs(10)))
                    .set_read_timeout(Some(Duration::from_secs(30)))
                    .set_write_timeout(Some(Duration::from_secs(30)))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| GitHubError::Setup(e.clone()))
    }

    /// The port for one installation.
    pub fn installation(&self, id: u64) -> GitHubResult<GitHubClient> {
        let mut clients = self
            .installations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = clients.get(&id) {
            return Ok(client.clone());
        }
        let octocrab = self
            .app()?
            .installation(InstallationId(id))
            .map_err(|e| GitHubError::Setup(e.to_string()))?;
        let client = GitHubClient::new(
            RestClient::new(octocrab, self.budget, self.dry_run.clone()).for_installation(
                InstallationScope {
                    id,
                    responses: self.responses.clone(),
                    rate: self.rate.clone(),
                },
            ),
        );
        clients.insert(id, client.clone());
        Ok(client)
    }

    /// The installation of the App on `repo` (`GET /repos/{owner}/{repo}/installation`, as the App).
    pub async fn installation_id_for(&self, repo: &super::RepoName) -> GitHubResult<u64> {
        #[derive(serde::Deserialize)]
        struct Installation {
            id: u64,
        }
        let found: Installation = self
            .app_rest()?
            .get(&format!("/repos/{}/{}/installation", repo.owner, repo.name))
            .await?;
        Ok(found.id)
    }

    /// Calls as the App itself (JWT): `/app/...` endpoints such as webhook deliveries.
    pub fn app_rest(&self) -> GitHubResult<RestClient> {
        Ok(RestClient::new(
            self.app()?.clone(),
            self.budget,
            self.dry_run.clone(),
        ))
    }
}

#[async_trait::async_trait]
impl super::app_port::GitHubAppPort for GitHubApp {
    fn installation(&self, id: u64) -> GitHubResult<Arc<dyn super::GitHubPort>> {
        Ok(Arc::new(GitHubApp::installation(self, id)?))
    }

    fn rate_budget(&self) -> &RateBudget {
        GitHubApp::rate_budget(self)
    }

    async fn installation_id_for(&self, repo: &super::RepoName) -> GitHubResult<u64> {
        GitHubApp::installation_id_for(self, repo).await
    }

    fn app_rest(&self) -> GitHubResult<RestClient> {
        GitHubApp::app_rest(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(pem: &str) -> AppCredentials {
        AppCredentials {
            app_id: 42,
            private_key_pem: pem.to_string(),
        }
    }

    #[test]
    fn a_key_that_is_no_rsa_key_is_refused_before_anything_is_built() {
        let refused = GitHubApp::new(
            &credentials(
                "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n",
            ),
            "https://api.github.com",
            RetryBudget::default(),
            None,
        );
        let Err(GitHubError::Setup(message)) = refused else {
            panic!("a broken key was accepted");
        };
        assert!(message.contains("not a usable RSA PEM key"), "{message}");
    }

    #[tokio::test]
    async fn the_http_client_is_built_on_first_use_and_kept() {
        let app = GitHubApp::new(
            &credentials(github_sim::PRIVATE_KEY_PKCS1_PEM),
            "http://127.0.0.1:9",
            RetryBudget::default(),
            None,
        )
        .unwrap();
        assert!(app.app.get().is_none(), "built at start-up");
        app.installation(7).unwrap();
        assert!(matches!(app.app.get(), Some(Ok(_))));
        app.app_rest().unwrap();
        assert_eq!(app.installations.lock().unwrap().len(), 1);
    }
}
