//! Routes stored work to the capability that handles it.

use serde::de::DeserializeOwned;

use super::context::Context;
use super::events::{
    CommandComment, Common, IssueCommentEvent, PullRequestEvent, ReleaseEvent, ReviewCommentEvent,
    ReviewEvent,
};
use super::train::tracking;
use super::{commands, config_check, deferral, merged_pr};
use crate::github::RepoName;
use crate::inbox::{ProcessError, Processor};
use crate::store::work::{ClaimedItem, WorkKind};

/// Jobs that only keep things up to date for people to read — dashboard refreshes, release
/// announcements — and wait for the rate-limit reset when an installation is short (version
/// polls, one global job, leave such installations out instead: `environments::poll_versions`).
pub const DEFERRABLE_JOBS: &[&str] = &[tracking::REFRESH_JOB, super::train::publish::ANNOUNCE_JOB];

/// The production [`Processor`].
pub struct Dispatcher {
    pub ctx: Context,
}

fn parse<T: DeserializeOwned>(item: &ClaimedItem) -> Result<T, ProcessError> {
    serde_json::from_slice(&item.payload)
        .map_err(|e| ProcessError::Permanent(format!("cannot read the {} payload: {e}", item.name)))
}

impl Processor for Dispatcher {
    async fn process(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        match item.kind {
            WorkKind::Webhook => self.webhook(item).await,
            WorkKind::Job => self.job(item).await,
        }
    }
}

impl Dispatcher {
    async fn job(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        let ctx = &self.ctx;
        let rate = ctx.github.rate_budget();
        if let Some(until) = deferral::deferral(rate, DEFERRABLE_JOBS, item, ctx.clock.now()) {
            return deferral::defer(&ctx.store, item, until, ctx.clock.now_ms()).await;
        }
        match item.name.as_str() {
            tracking::TICK_JOB => {
                tracking::fan_out(ctx, tracking::periodic().slot(ctx.clock.now()))
                    .await
                    .map_err(|e| ProcessError::Retryable(e.to_string()))
            }
            tracking::TRAIN_JOB | tracking::REFRESH_JOB => {
                let (Some(repo), Some(installation)) = (&item.repo, item.installation_id) else {
                    return Err(ProcessError::Permanent(format!(
                        "{} job without repository or installation",
                        item.name
                    )));
                };
                let repo: RepoName = repo
                    .parse()
                    .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
                let client = ctx.github.installation(installation as u64)?;
                if item.name == tracking::TRAIN_JOB {
                    tracking::run_train(ctx, &*client, &repo).await?;
                } else if let Some(train) =
                    super::release_facts::load_train(ctx, &*client, &repo).await?
                {
                    tracking::refresh_all(ctx, &*client, &repo, &train).await?;
                }
                Ok(())
            }
            super::train::publish::ANNOUNCE_JOB => super::train::publish::announce(ctx, item).await,
            super::monitoring::REMINDER_JOB => super::monitoring::remind(ctx, item).await,
            super::environments::POLL_JOB => super::environments::poll_versions(ctx).await,
            crate::redeliver::JOB => {
                crate::redeliver::job(
                    ctx.github.as_ref(),
                    &ctx.store,
                    ctx.clock.now(),
                    &item.payload,
                )
                .await
            }
            _ => {
                tracing::warn!(job = %item.name, "no handler for this job; dropping it");
                Ok(())
            }
        }
    }

    async fn webhook(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        let action = item.action.as_deref().unwrap_or("");
        match item.name.as_str() {
            // Commands come in issue comments, review comments and review summaries alike.
            "issue_comment" => {
                let event: IssueCommentEvent = parse(item)?;
                if let Some(comment) = CommandComment::from_issue_comment(&event) {
                    commands::handle_comment(&self.ctx, &comment).await?;
                }
            }
            "pull_request_review_comment" => {
                let event: ReviewCommentEvent = parse(item)?;
                if let Some(comment) = CommandComment::from_review_comment(&event) {
                    commands::handle_comment(&self.ctx, &comment).await?;
                }
            }
            "pull_request_review" => {
                let event: ReviewEvent = parse(item)?;
                if let Some(comment) = CommandComment::from_review(&event) {
                    commands::handle_comment(&self.ctx, &comment).await?;
                }
            }
            "pull_request" => {
                let event: PullRequestEvent = parse(item)?;
                merged_pr::handle_pull_request(&self.ctx, &event).await?;
            }
            "deployment_status" => {
                // The register stamps when a release reached staging or production; the
                // environments' versions and what follows production are tracked next.
                super::register::observe_deployment(&self.ctx, item).await?;
                let event: super::environments::DeploymentStatusEvent = parse(item)?;
                super::environments::handle_deployment_status(&self.ctx, &event).await?;
            }
            // What the tracking issues show changed: re-render them (debounced).
            "check_run" | "check_suite" | "status" => {
                let common: Common = parse(item)?;
                if let (Some(installation), Some(repository)) =
                    (&common.installation, &common.repository)
                    && let Ok(repo) = repository.full_name.parse()
                {
                    tracking::schedule_refresh(
                        &self.ctx,
                        &repo,
                        installation.id,
                        Some(repository.id),
                    )
                    .await
                    .map_err(|e| ProcessError::Retryable(e.to_string()))?;
                }
            }
            "release" => {
                let event: ReleaseEvent = parse(item)?;
                tracing::debug!(tag = %event.release.tag_name, action, "release");
                super::release_gate::handle_release(&self.ctx, &event).await?;
            }
            "deployment_protection_rule" => {
                let event: super::protection_rule::ProtectionRuleEvent = parse(item)?;
                super::protection_rule::handle(&self.ctx, &event).await?;
            }
            "push" => {
                let event: config_check::PushEvent = parse(item)?;
                config_check::handle_push(&self.ctx, &event).await?;
            }
            "installation" | "installation_repositories" => {
                let event: config_check::InstallationEvent = parse(item)?;
                config_check::handle_installation(&self.ctx, &event).await?;
            }
            _ => {
                let common: Common = parse(item)?;
                tracing::debug!(sender = %common.sender.login, action, "event recorded; relman takes no action on it");
            }
        }
        Ok(())
    }
}
