//! Knowing what runs where: each environment's version from `deployment_status` success
//! events; on a fresh install, from the Deployments API; and, when an environment has a
//! `version_url`, from its Dockerflow `/__version__` polled on a schedule.
//!
//! What to record is decided in `domain::environments` and written by `effects::apply`.

use serde::Deserialize;

use super::context::Context;
use super::effects::apply;
use super::error::HandlerError;
use super::events::Common;
use super::production::tag_of_deployment;
use super::release_facts::load_train;
use super::train::tracking::{TICK_EVERY, schedule_refresh};
use crate::domain::environments::{deployed, followed, polled};
use crate::github::types::null_default;
use crate::github::{GitHubPort, RepoName};
use crate::inbox::ProcessError;
use crate::inbox::scheduler::Periodic;

/// Polls every environment's `/__version__`.
pub const POLL_JOB: &str = "version-poll";

pub fn poll_periodic() -> Periodic {
    Periodic {
        name: POLL_JOB,
        every: TICK_EVERY / 2,
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatusBody {
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
    #[serde(default, deserialize_with = "null_default")]
    pub environment: String,
    /// When the status was given: when the deployment reached its environment.
    #[serde(default)]
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeploymentBody {
    #[serde(default)]
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub sha: String,
    #[serde(rename = "ref", default, deserialize_with = "null_default")]
    pub git_ref: String,
    #[serde(default, deserialize_with = "null_default")]
    pub environment: String,
}

/// `deployment_status`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeploymentStatusEvent {
    #[serde(flatten)]
    pub common: Common,
    #[serde(default, deserialize_with = "null_default")]
    pub deployment_status: StatusBody,
    #[serde(default, deserialize_with = "null_default")]
    pub deployment: DeploymentBody,
}

pub async fn handle_deployment_status(
    ctx: &Context,
    event: &DeploymentStatusEvent,
) -> Result<(), ProcessError> {
    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Ok(());
    };
    let Ok(repo) = repository.full_name.parse::<RepoName>() else {
        return Ok(());
    };
    if event.deployment_status.state == "success" {
        let client = ctx.github.installation(installation.id)?;
        record_success(ctx, &*client, &repo, event).await?;
    }
    schedule_refresh(ctx, &repo, installation.id, Some(repository.id))
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))
}

async fn record_success(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    event: &DeploymentStatusEvent,
) -> Result<(), HandlerError> {
    let Some(train) = load_train(ctx, github, repo).await? else {
        return Ok(());
    };
    // Only the environments relman is configured for: others cost nothing.
    let Some((environment, production)) = followed(
        &train.config.environments,
        &event.deployment.environment,
        &event.deployment_status.environment,
    ) else {
        return Ok(());
    };
    let d = &event.deployment;
    let tag = tag_of_deployment(
        github,
        repo,
        &train.config.versioning.tag_prefix,
        &d.git_ref,
        &d.sha,
    )
    .await?;
    let effects = [deployed(
        &environment,
        &d.sha,
        tag.as_deref(),
        d.id,
        ctx.clock.now(),
    )];
    apply(ctx, github, repo, &effects).await?;
    tracing::info!(repo = %repo, environment = %environment, version = ?tag, sha = %d.sha, "deployed");
    if production && let Some(tag) = &tag {
        super::monitoring::after_production(ctx, github, repo, &train, tag).await?;
    }
    Ok(())
}

/// The poll job: each configured `version_url` of each repository.
pub async fn poll_versions(ctx: &Context) -> Result<(), ProcessError> {
    let repos = ctx
        .store
        .train_repositories()
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    for target in repos {
        let Ok(repo) = target.repo.parse::<RepoName>() else {
            continue;
        };
        // The next poll comes soon enough: an installation short of its rate limit is left
        // out of this one.
        let rate = ctx.github.rate_budget();
        if rate
            .defer_until(target.installation_id, ctx.clock.now())
            .is_some()
        {
            super::deferral::count_deferred(POLL_JOB);
            continue;
        }
        let client = ctx.github.installation(target.installation_id)?;
        let Some(train) = load_train(ctx, &*client, &repo).await? else {
            continue;
        };
        for env in [
            &train.config.environments.staging,
            &train.config.environments.production,
        ] {
            let Some(url) = &env.version_url else {
                continue;
            };
            match super::version_poll::fetch_version(url, super::version_poll::TIMEOUT).await {
                Ok(reported) => {
                    let known = ctx
                        .store
                        .environment_version(&target.repo, &env.name)
                        .await
                        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
                    let change = polled(
                        &env.name,
                        known
                            .as_ref()
                            .map(|k| (k.version.as_deref(), k.sha.as_deref())),
                        &reported.version,
                        reported.commit.as_deref(),
                        ctx.clock.now(),
                    );
                    if let Some(change) = change {
                        super::effects::record(ctx, &target.repo, &[change])
                            .await
                            .map_err(|e| ProcessError::Retryable(e.to_string()))?;
                    }
                }
                // One environment's endpoint being down must not stop the others, nor retry
                // the job: the next poll tries again.
                Err(e) => {
                    tracing::warn!(repo = %repo, environment = %env.name, url = %url, error = %e, "could not read the version")
                }
            }
        }
    }
    Ok(())
}
