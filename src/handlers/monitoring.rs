//! After production: when a release reaches production, the tracking issue gets the monitoring
//! checklist with the dashboards, the deployment request is marked deployed, and after
//! `monitoring.watch_hours` the release manager is reminded to confirm the release is healthy
//! (`/release healthy`), which closes the tracking issue.
//!
//! The facts are read here, `domain::monitoring` decides, `effects::apply` acts.

use serde::Deserialize;

use super::context::Context;
use super::effects::{apply, view};
use super::error::HandlerError;
use super::follow_up::outcome;
use super::invocation::{Invocation, Outcome};
use super::release_facts::Train;
use crate::domain::monitoring::{Arrival, HealthyFacts, NextFacts, decide_healthy};
use crate::github::{GitHubPort, RepoName};
use crate::inbox::ProcessError;
use crate::store::releases::{LogKind, ReleaseRecord, ReleaseState};
use crate::store::work::ClaimedItem;

/// Reminds the release manager to confirm production is healthy.
pub const REMINDER_JOB: &str = super::effects::REMINDER_JOB;

#[derive(Debug, Deserialize)]
struct Reminder {
    tag: String,
}

/// `tag` reached production.
pub async fn after_production(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    tag: &str,
) -> Result<(), HandlerError> {
    let key = repo.to_string();
    let request = ctx.store.deployment_request(&key, tag).await?.map(|r| {
        // A target that is not a repository name gets no comment.
        let target = r
            .target_repo
            .parse::<RepoName>()
            .ok()
            .map(|t| t.to_string());
        (target, r.issue_number)
    });
    let release = ctx.store.release_by_tag(&key, tag).await?.map(|r| view(&r));
    let queue = match release.as_ref().and_then(|r| r.issue_number) {
        Some(_) => ctx
            .store
            .repository_installation(&key)
            .await?
            .map(|t| (t.queue_key(), t.installation_id)),
        None => None,
    };
    let arrival = Arrival {
        tag,
        request,
        release: release.as_ref(),
        watch_hours: train.config.monitoring.watch_hours,
        dashboards: &train.config.dashboards,
        queue,
    };
    let effects = crate::domain::monitoring::after_production(&arrival, ctx.clock.now());
    apply(ctx, github, repo, &effects).await?;
    Ok(())
}

/// The reminder job: once, unless the release was confirmed healthy meanwhile.
pub async fn remind(ctx: &Context, item: &ClaimedItem) -> Result<(), ProcessError> {
    let retry = |e: HandlerError| ProcessError::Retryable(e.to_string());
    let reminder: Reminder = serde_json::from_slice(&item.payload)
        .map_err(|e| ProcessError::Permanent(format!("bad {REMINDER_JOB} payload: {e}")))?;
    let (Some(repo), Some(installation)) = (&item.repo, item.installation_id) else {
        return Err(ProcessError::Permanent(format!(
            "{REMINDER_JOB} job without repository or installation"
        )));
    };
    let release = ctx
        .store
        .release_by_tag(repo, &reminder.tag)
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    let confirmed = match &release {
        Some(rec) => ctx
            .store
            .release_log(repo, &rec.key)
            .await
            .map_err(|e| ProcessError::Retryable(e.to_string()))?
            .iter()
            .any(|e| e.entry == LogKind::Healthy),
        None => false,
    };
    let release = release.as_ref().map(view);
    let effects = crate::domain::monitoring::remind(&reminder.tag, release.as_ref(), confirmed);
    if effects.is_empty() {
        return Ok(());
    }
    let repo_name: RepoName = repo
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation as u64)?;
    apply(ctx, &*client, &repo_name, &effects)
        .await
        .map_err(retry)?;
    Ok(())
}

/// What comes next for a released release that is not confirmed healthy yet, in a sentence.
pub async fn next_step(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    rec: &ReleaseRecord,
) -> Result<String, HandlerError> {
    let tag = rec.tag.clone().unwrap_or_default();
    let Some(train) = super::release_facts::load_train(ctx, github, repo).await? else {
        return Ok(String::new());
    };
    let state = super::production::production_state(ctx, github, repo, &train).await?;
    // The request is only asked after when production does not run the release.
    let request_url = match state.runs(&tag) {
        true => None,
        false => ctx
            .store
            .deployment_request(&repo.to_string(), &tag)
            .await?
            .and_then(|r| r.issue_url),
    };
    Ok(crate::domain::monitoring::next_step(&NextFacts {
        tag: &tag,
        kind: rec.kind,
        running: state.running.as_deref(),
        plan: &state.plan,
        request_url: request_url.as_deref(),
    }))
}

/// `/release healthy`: recorded, and the tracking issue closes as completed.
pub async fn healthy(at: &Invocation<'_>) -> Result<Outcome, HandlerError> {
    let key = at.repo.to_string();
    let rec = match at.ctx.store.release_by_issue(&key, at.issue_number).await? {
        Some(rec) => Some(rec),
        None => at
            .ctx
            .store
            .active_releases(&key, at.ctx.clock.now_ms() - 30 * 24 * 3600 * 1000)
            .await?
            .into_iter()
            .rev()
            .find(|r| r.state == ReleaseState::Released),
    };
    let rec = rec.filter(|r| r.state == ReleaseState::Released);
    let release = rec.as_ref().map(view);
    let mut next = None;
    let facts = match (&rec, &release) {
        (Some(rec), Some(release)) => {
            match super::release_facts::load_train(at.ctx, at.github, at.repo).await? {
                None => HealthyFacts::NoTrain,
                Some(train) => {
                    let tag = rec.tag.clone().unwrap_or_default();
                    let production = at
                        .ctx
                        .store
                        .environment_version(&key, &train.config.environments.production.name)
                        .await?;
                    let in_production = production.as_ref().and_then(|p| p.version.as_deref())
                        == Some(tag.as_str());
                    if !in_production {
                        next = Some(next_step(at.ctx, at.github, at.repo, rec).await?);
                    }
                    HealthyFacts::Released {
                        release,
                        in_production,
                        next_step: next.as_deref(),
                    }
                }
            }
        }
        _ => HealthyFacts::NothingReleased,
    };
    let (effects, reply) =
        decide_healthy(&facts, &at.actor.login, at.comment_id, at.ctx.clock.now());
    apply(at.ctx, at.github, at.repo, &effects).await?;
    Ok(outcome(reply))
}
