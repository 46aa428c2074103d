//! Routes stored work to the capability that handles it: the item is typed once
//! ([`Event`], [`Job`]), then matched.

use super::context::Context;
use super::events::CommandComment;
use super::inbound::{Event, Job};
use super::train::tracking;
use super::{commands, config_check, deferral, merged_pr};
use crate::github::RepoName;
use crate::inbox::{ProcessError, Processor};
use crate::store::work::{ClaimedItem, WorkKind};

/// The production [`Processor`].
pub struct Dispatcher {
    pub ctx: Context,
}

impl Processor for Dispatcher {
    async fn process(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        match item.kind {
            WorkKind::Webhook => self.webhook(item).await,
            WorkKind::Job => self.job(item).await,
        }?;
        super::config_report::after(&self.ctx, item).await
    }
}

impl Dispatcher {
    async fn job(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        let ctx = &self.ctx;
        let job = Job::of(&item.name);
        let rate = ctx.github.rate_budget();
        if let Some(until) = deferral::deferral(rate, job.deferrable(), item, ctx.clock.now()) {
            return deferral::defer(&ctx.store, item, until, ctx.clock.now_ms()).await;
        }
        match job {
            Job::TrainTick => tracking::fan_out(ctx, tracking::periodic().slot(ctx.clock.now()))
                .await
                .map_err(|e| ProcessError::Retryable(e.to_string())),
            Job::Train | Job::TrackingRefresh => {
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
                if job == Job::Train {
                    tracking::run_train(ctx, &*client, &repo).await?;
                } else if let Some(train) =
                    super::release_facts::load_train(ctx, &*client, &repo).await?
                {
                    tracking::refresh_all(ctx, &*client, &repo, &train).await?;
                }
                Ok(())
            }
            Job::Announce => super::train::publish::announce(ctx, item).await,
            Job::MonitoringReminder => super::monitoring::remind(ctx, item).await,
            Job::VersionPoll => super::environments::poll_versions(ctx).await,
            Job::Redeliver => {
                crate::redeliver::job(
                    ctx.github.as_ref(),
                    &ctx.store,
                    ctx.clock.now(),
                    &item.payload,
                )
                .await
            }
            Job::Unknown => {
                tracing::warn!(job = %item.name, "no handler for this job; dropping it");
                Ok(())
            }
        }
    }

    async fn webhook(&self, item: &ClaimedItem) -> Result<(), ProcessError> {
        let action = item.action.as_deref().unwrap_or("");
        let event = Event::parse(&item.name, &item.payload).map_err(|e| {
            ProcessError::Permanent(format!("cannot read the {} payload: {e}", item.name))
        })?;
        let ctx = &self.ctx;
        match event {
            // Commands come in issue comments, review comments and review summaries alike.
            Event::IssueComment(event) => {
                if let Some(comment) = CommandComment::from_issue_comment(&event) {
                    commands::handle_comment(ctx, &comment).await?;
                }
            }
            Event::ReviewComment(event) => {
                if let Some(comment) = CommandComment::from_review_comment(&event) {
                    commands::handle_comment(ctx, &comment).await?;
                }
            }
            Event::Review(event) => {
                if let Some(comment) = CommandComment::from_review(&event) {
                    commands::handle_comment(ctx, &comment).await?;
                }
            }
            Event::PullRequest(event) => merged_pr::handle_pull_request(ctx, &event).await?,
            Event::DeploymentStatus(event) => {
                // The register stamps when a release reached staging or production; the
                // environments' versions and what follows production are tracked next.
                super::register::observe_deployment(ctx, &event).await?;
                super::environments::handle_deployment_status(ctx, &event).await?;
            }
            // What the tracking issues show changed: re-render them (debounced).
            Event::ChecksChanged(common) => {
                if let (Some(installation), Some(repository)) =
                    (&common.installation, &common.repository)
                    && let Ok(repo) = repository.full_name.parse::<RepoName>()
                {
                    tracking::schedule_refresh(ctx, &repo, installation.id, Some(repository.id))
                        .await
                        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
                }
            }
            Event::Release(event) => {
                tracing::debug!(tag = %event.release.tag_name, action, "release");
                super::release_gate::handle_release(ctx, &event).await?;
            }
            Event::ProtectionRule(event) => super::protection_rule::handle(ctx, &event).await?,
            Event::Push(event) => config_check::handle_push(ctx, &event).await?,
            Event::Installation(event) => config_check::handle_installation(ctx, &event).await?,
            Event::Other(common) => {
                tracing::debug!(sender = %common.sender.login, action, "event recorded; relman takes no action on it");
            }
        }
        Ok(())
    }
}
