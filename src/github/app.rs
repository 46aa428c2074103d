//! The GitHub App: its JWT identity and one authenticated client per installation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId};

use super::client::GitHubClient;
use super::error::{GitHubError, GitHubResult};
use super::rest::{RestClient, RetryBudget, WriteRecorder};
use crate::config::settings::AppCredentials;

/// Builds and caches installation clients. Each octocrab installation client caches its token
/// and renews it shortly before it expires (and once on a 401), so keeping one client per
/// installation means one token request per installation per hour, not one per call.
pub struct GitHubApp {
    app: Octocrab,
    budget: RetryBudget,
    dry_run: Option<Arc<dyn WriteRecorder>>,
    installations: Mutex<HashMap<u64, GitHubClient>>,
}

impl GitHubApp {
    pub fn new(
        credentials: &AppCredentials,
        api_url: &str,
        budget: RetryBudget,
        dry_run: Option<Arc<dyn WriteRecorder>>,
    ) -> GitHubResult<GitHubApp> {
        let key = octocrab::jsonwebtoken::EncodingKey::from_rsa_pem(
            credentials.private_key_pem.as_bytes(),
        )
        .map_err(|e| {
            GitHubError::Setup(format!(
                "the App private key is not a usable RSA PEM key: {e}"
            ))
        })?;
        let app = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| GitHubError::Setup(format!("GITHUB_API_URL {api_url:?}: {e}")))?
            .app(AppId(credentials.app_id), key)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .set_write_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| GitHubError::Setup(e.to_string()))?;
        Ok(GitHubApp {
            app,
            budget,
            dry_run,
            installations: Mutex::new(HashMap::new()),
        })
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
            .app
            .installation(InstallationId(id))
            .map_err(|e| GitHubError::Setup(e.to_string()))?;
        let client =
            GitHubClient::new(RestClient::new(octocrab, self.budget, self.dry_run.clone()));
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
            .app_rest()
            .get(&format!("/repos/{}/{}/installation", repo.owner, repo.name))
            .await?;
        Ok(found.id)
    }

    /// Calls as the App itself (JWT): `/app/...` endpoints such as webhook deliveries.
    pub fn app_rest(&self) -> RestClient {
        RestClient::new(self.app.clone(), self.budget, self.dry_run.clone())
    }
}
