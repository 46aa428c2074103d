//! Deployments, deployment statuses and answers to deployment protection rules.

use serde_json::Value;

use super::{Timestamp, World};

/// A deployment status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStatus {
    pub id: u64,
    pub state: String,
    pub description: String,
    pub environment: String,
    pub target_url: String,
    pub log_url: String,
    pub environment_url: String,
    pub creator: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    /// The ref the deployment was requested for (branch, tag or sha).
    pub git_ref: String,
    pub task: String,
    pub payload: Value,
    pub environment: String,
    pub original_environment: String,
    pub description: Option<String>,
    pub creator: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub transient_environment: bool,
    pub production_environment: bool,
    pub via_app: bool,
    /// Oldest first.
    pub statuses: Vec<DeploymentStatus>,
}

/// An answer relman gave to a custom deployment protection rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionRuleReview {
    pub repo: String,
    pub run_id: u64,
    pub environment_name: String,
    /// `approved` or `rejected`.
    pub state: String,
    pub comment: Option<String>,
    pub installation_id: u64,
    pub at: Timestamp,
}

impl World {
    /// Creates a deployment of `rev` to `environment` by `creator`. Returns
    /// the deployment id.
    ///
    /// # Panics
    /// If `rev` does not resolve.
    pub fn add_deployment(
        &mut self,
        repo: &str,
        rev: &str,
        environment: &str,
        creator: &str,
    ) -> u64 {
        self.ensure_user(creator);
        let Some(sha) = self.resolve(repo, rev) else {
            panic!("add_deployment: {rev:?} does not resolve in {repo}");
        };
        let id = self.next_id();
        let now = self.now;
        self.repo_or_panic(repo).deployments.insert(
            id,
            Deployment {
                id,
                sha,
                git_ref: rev.to_string(),
                task: "deploy".to_string(),
                payload: Value::Object(Default::default()),
                environment: environment.to_string(),
                original_environment: environment.to_string(),
                description: None,
                creator: creator.to_string(),
                created_at: now,
                updated_at: now,
                transient_environment: false,
                production_environment: environment == "production",
                via_app: false,
                statuses: Vec::new(),
            },
        );
        id
    }

    /// Adds a status to deployment `id`. Returns the status id.
    ///
    /// # Panics
    /// If the deployment does not exist.
    pub fn add_deployment_status(
        &mut self,
        repo: &str,
        deployment: u64,
        state: &str,
        creator: &str,
    ) -> u64 {
        self.ensure_user(creator);
        let id = self.next_id();
        let now = self.now;
        let Some(d) = self.repo_or_panic(repo).deployments.get_mut(&deployment) else {
            panic!("add_deployment_status: no deployment {deployment} in {repo}");
        };
        let environment = d.environment.clone();
        d.updated_at = now;
        d.statuses.push(DeploymentStatus {
            id,
            state: state.to_string(),
            description: String::new(),
            environment,
            target_url: String::new(),
            log_url: String::new(),
            environment_url: String::new(),
            creator: creator.to_string(),
            created_at: now,
            updated_at: now,
        });
        id
    }
}
