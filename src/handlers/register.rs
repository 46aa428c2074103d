//! The release register as statistics: `/stats` (and `relman stats`) read it; successful
//! deployments to the staging and production environments stamp when each release got there
//! (the lead times start from the merges relman records as they happen).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::context::Context;
use super::environments::DeploymentStatusEvent;
use super::error::HandlerError;
use super::invocation::{Invocation, Outcome};
use super::release_facts::load_train;
use crate::config::repo::parse_repo_config;
use crate::domain::environments::{Released, followed, register_stamps};
use crate::domain::stats::{Stats, compute, render_chart, render_table};
use crate::inbox::ProcessError;
use crate::store::releases::ReleaseState;
use crate::store::{Store, StoreError, from_millis};

/// How many months `/stats` shows (the chart shows as many).
const MONTHS_SHOWN: usize = 12;

/// The time zone of a repository's stored config (UTC when relman has none).
pub async fn stored_timezone(store: &Store, repo: &str) -> Result<Tz, StoreError> {
    Ok(store
        .repository(repo)
        .await?
        .and_then(|r| r.config_json)
        .and_then(|json| parse_repo_config("stored", &json).ok())
        .map_or(Tz::UTC, |c| c.timezone.0))
}

/// The statistics of `repo` from `since` (or its first recorded month) to now.
pub async fn stats_for(
    store: &Store,
    repo: &str,
    tz: Tz,
    since: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Stats, StoreError> {
    let entries = super::release_facts::register_entries(store, repo).await?;
    let merges: Vec<DateTime<Utc>> = store
        .merge_times(repo)
        .await?
        .into_iter()
        .map(from_millis)
        .collect();
    Ok(compute(repo, &entries, &merges, tz, since, now))
}

/// `/stats`: the last twelve months as a table and a chart.
pub async fn stats(at: &Invocation<'_>) -> Result<Outcome, HandlerError> {
    let (ctx, repo) = (at.ctx, at.repo);
    let tz = match load_train(ctx, at.github, repo).await? {
        Some(train) => train.calendar.timezone(),
        None => Tz::UTC,
    };
    let key = repo.to_string();
    let now = ctx.clock.now();
    let mut stats = stats_for(&ctx.store, &key, tz, None, now).await?;
    if stats.months.len() > MONTHS_SHOWN {
        let first = &stats.months[stats.months.len() - MONTHS_SHOWN].month;
        let since = NaiveDate::parse_from_str(&format!("{first}-01"), "%Y-%m-%d").ok();
        stats = stats_for(&ctx.store, &key, tz, since, now).await?;
    }
    let total = stats.total.regular + stats.total.warmfix + stats.total.hotfix;
    if total == 0 && stats.total.skips.is_empty() {
        return Ok(Outcome::Done(Some(format!(
            "relman has recorded no releases of {repo} yet: the register fills as tracking issues are released or skipped and as `/hotfix` and `/warmfix` releases are cut."
        ))));
    }
    Ok(Outcome::Done(Some(format!(
        "{}\n{}",
        render_table(&stats),
        render_chart(&stats)
    ))))
}

/// Stamps when releases reached staging or production from a successful deployment: staging
/// gets the deployed release; production gets it and every earlier release not stamped yet
/// (their changes arrive with it). No API call: the stored config names the environments.
pub async fn observe_deployment(
    ctx: &Context,
    event: &DeploymentStatusEvent,
) -> Result<(), ProcessError> {
    if event.deployment_status.state != "success" {
        return Ok(());
    }
    let Some(repository) = &event.common.repository else {
        return Ok(());
    };
    let key = repository.full_name.clone();
    let retry = |e: StoreError| ProcessError::Retryable(e.to_string());
    let Some(config) = ctx
        .store
        .repository(&key)
        .await
        .map_err(retry)?
        .and_then(|r| r.config_json)
        .and_then(|json| parse_repo_config("stored", &json).ok())
    else {
        return Ok(());
    };
    let Some((environment, production)) = followed(
        &config.environments,
        &event.deployment.environment,
        &event.deployment_status.environment,
    ) else {
        return Ok(());
    };
    let at = event
        .deployment_status
        .created_at
        .unwrap_or_else(|| ctx.clock.now());
    let released: Vec<Released> = ctx
        .store
        .register(&key)
        .await
        .map_err(retry)?
        .into_iter()
        .filter(|r| r.state == ReleaseState::Released)
        .map(|r| Released {
            id: r.id,
            tag: r.tag,
            version: r.version,
            sha: r.sha,
            production_at: r.production_at,
        })
        .collect();
    let git_ref = &event.deployment.git_ref;
    let Some(stamps) = register_stamps(
        &released,
        production,
        git_ref,
        &event.deployment.sha,
        &config.versioning.tag_prefix,
        at,
    ) else {
        return Ok(());
    };
    tracing::debug!(repo = %key, environment = %environment, git_ref = %git_ref, "stamping the register");
    super::effects::record(ctx, &key, &[stamps])
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    Ok(())
}
