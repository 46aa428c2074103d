//! After production: when a release reaches production, the tracking issue gets the monitoring
//! checklist with the dashboards, the deployment request is marked deployed, and after
//! `monitoring.watch_hours` the release manager is reminded to confirm the release is healthy
//! (`/release healthy`), which closes the tracking issue.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::context::Context;
use super::error::HandlerError;
use super::invocation::{Invocation, Outcome};
use super::release_facts::Train;
use crate::domain::expedited::Kind;
use crate::github::comments::upsert_comment;
use crate::github::{GitHubPort, IssuePatch, IssueState, RepoName};
use crate::inbox::ProcessError;
use crate::inbox::scheduler::JobSpec;
use crate::store::releases::{LogKind, ReleaseRecord, ReleaseState};
use crate::store::work::ClaimedItem;

/// Reminds the release manager to confirm production is healthy.
pub const REMINDER_JOB: &str = "monitoring-reminder";

#[derive(Debug, Serialize, Deserialize)]
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
    let now_ms = ctx.clock.now_ms();
    if let Some(request) = ctx.store.deployment_request(&key, tag).await? {
        ctx.store
            .mark_deployment_request_deployed(&key, tag, now_ms)
            .await?;
        if let (Some(number), Ok(target)) = (
            request.issue_number,
            request.target_repo.parse::<RepoName>(),
        ) {
            upsert_comment(
                github,
                &ctx.store,
                &target,
                number,
                "deployed",
                tag,
                &format!("✅ {tag} is running in production."),
                now_ms,
            )
            .await?;
        }
    }
    let Some(rec) = ctx.store.release_by_tag(&key, tag).await? else {
        return Ok(());
    };
    let Some(issue) = rec.issue_number else {
        return Ok(());
    };
    let hours = train.config.monitoring.watch_hours;
    let mut body = format!(
        "🚀 **{tag} is in production.** Watch it for the next {hours} hours:\n\n\
         - [ ] error rates and latency are at their usual level\n\
         - [ ] no new alerts\n\
         - [ ] the changes in this release behave as expected\n"
    );
    if !train.config.dashboards.is_empty() {
        body.push_str("\nDashboards:\n\n");
        for d in &train.config.dashboards {
            body.push_str(&format!("- [{}]({})\n", d.name, d.url));
        }
    }
    let manager = rec.manager.as_deref().unwrap_or("release manager");
    body.push_str(&format!(
        "\n@{manager}: when it has run {hours} hours without trouble, comment `/release healthy` to close this issue.\n"
    ));
    upsert_comment(
        github,
        &ctx.store,
        repo,
        issue,
        "monitoring",
        tag,
        &body,
        now_ms,
    )
    .await?;

    let target = ctx.store.repository_installation(&key).await?;
    if let Some(target) = target {
        let at = ctx.clock.now() + Duration::hours(i64::from(hours));
        let spec = JobSpec {
            name: REMINDER_JOB.to_string(),
            key: format!("{key}:{tag}"),
            scheduled_for: at,
            queue_key: target.queue_key(),
            repo: Some(key.clone()),
            installation_id: Some(target.installation_id as i64),
            payload: serde_json::to_value(Reminder {
                tag: tag.to_string(),
            })
            .map_err(|e| HandlerError::Other(e.to_string()))?,
        };
        ctx.store.enqueue_batch(&[spec.into_item()], now_ms).await?;
    }
    Ok(())
}

/// The reminder job: once, unless the release was confirmed healthy meanwhile.
pub async fn remind(ctx: &Context, item: &ClaimedItem) -> Result<(), ProcessError> {
    let reminder: Reminder = serde_json::from_slice(&item.payload)
        .map_err(|e| ProcessError::Permanent(format!("bad {REMINDER_JOB} payload: {e}")))?;
    let (Some(repo), Some(installation)) = (&item.repo, item.installation_id) else {
        return Err(ProcessError::Permanent(format!(
            "{REMINDER_JOB} job without repository or installation"
        )));
    };
    let Some(rec) = ctx
        .store
        .release_by_tag(repo, &reminder.tag)
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?
    else {
        return Ok(());
    };
    let log = ctx
        .store
        .release_log(repo, &rec.key)
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    let Some(issue) = rec.issue_number else {
        return Ok(());
    };
    if log.iter().any(|e| e.entry == LogKind::Healthy) {
        return Ok(());
    }
    let repo_name: RepoName = repo
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation as u64)?;
    let manager = rec.manager.as_deref().unwrap_or("release manager");
    upsert_comment(
        &*client,
        &ctx.store,
        &repo_name,
        issue,
        "healthy-reminder",
        &reminder.tag,
        &format!(
            "@{manager}: {} has been in production for the watch window. If it is healthy, comment `/release healthy`; if not, roll back and say what happened here.",
            reminder.tag
        ),
        ctx.clock.now_ms(),
    )
    .await
    .map_err(|e| ProcessError::Retryable(e.to_string()))?;
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
    if state.runs(&tag) {
        return Ok(format!(
            "{tag} runs in production: comment `/release healthy` here once it has run without trouble."
        ));
    }
    let running = state.running.as_deref().unwrap_or("an unknown version");
    if let Some(url) = ctx
        .store
        .deployment_request(&repo.to_string(), &tag)
        .await?
        .and_then(|r| r.issue_url)
    {
        return Ok(format!(
            "{tag} is not in production yet (production runs {running}): its deployment request is with Ops ({url}). Once it is deployed, relman posts the monitoring checklist here; then `/release healthy`."
        ));
    }
    if rec.kind == Kind::Hotfix {
        return Ok(format!(
            "{tag} is not in production yet (production runs {running}) and has no deployment request: comment `/deploy production` here to file it."
        ));
    }
    let due = match (
        &state.plan.due,
        &state.plan.soaking,
        state.plan.soaking_due_on,
    ) {
        (Some(due), _, _) if due.version == tag => "it is due for production now".to_string(),
        (_, Some(soaking), Some(on)) if soaking.version == tag => {
            format!(
                "it goes to production on the release day {}",
                on.format("%a %-d %b")
            )
        }
        _ => "it goes to production on the release day after it soaked on staging".to_string(),
    };
    Ok(format!(
        "{tag} is not in production yet (production runs {running}): {due}; relman files the deployment request then (`/deploy production now` asks sooner)."
    ))
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
    let Some(rec) = rec.filter(|r| r.state == ReleaseState::Released) else {
        return Ok(Outcome::Refused(
            "there is no released version to confirm here: `/release healthy` goes on the tracking issue of a release that reached production.".into(),
        ));
    };
    let tag = rec.tag.clone().unwrap_or_default();
    let Some(train) = super::release_facts::load_train(at.ctx, at.github, at.repo).await? else {
        return Ok(Outcome::Refused(
            "this repository has no usable `.github/relman.yml`.".into(),
        ));
    };
    let production = at
        .ctx
        .store
        .environment_version(&key, &train.config.environments.production.name)
        .await?;
    if production.as_ref().and_then(|p| p.version.as_deref()) != Some(tag.as_str()) {
        let next = next_step(at.ctx, at.github, at.repo, &rec).await?;
        return Ok(Outcome::Refused(format!(
            "it cannot be confirmed healthy in production yet. {next}"
        )));
    }
    at.ctx
        .store
        .append_release_log(
            &key,
            &rec.key,
            &at.log_entry(
                LogKind::Healthy,
                Some(crate::domain::requirements::Environment::Production),
                None,
            ),
        )
        .await?;
    at.ctx
        .store
        .mark_release_closed(rec.id, at.ctx.clock.now_ms())
        .await?;
    if let Some(issue) = rec.issue_number {
        at.github
            .update_issue(
                at.repo,
                issue,
                &IssuePatch {
                    state: Some(IssueState::Closed),
                    state_reason: Some("completed".into()),
                    ..IssuePatch::default()
                },
            )
            .await?;
    }
    Ok(Outcome::Done(Some(format!(
        "Recorded: {tag} is healthy in production (@{}). Closing the tracking issue.",
        at.actor.login
    ))))
}
