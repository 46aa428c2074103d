//! `/signoff [staging|production]`, `/qa ok|blocker <text>|clear` and `/skip <why>`: what people
//! say about a release, recorded with who and when (the requirements read it back), then shown
//! on the tracking issue at once.

use relman_commands::Environment as CommandEnvironment;

use super::commands::{CommandError, Invocation, Outcome};
use super::release_facts::load_train;
use super::tracking::{close_tracking, refresh_all};
use crate::store::releases::{LogEntry, ReleaseRecord, ReleaseState};

/// The release a command is about: the tracking issue it was given on, else the oldest one
/// relman keeps current (open, or released and on its way to production).
async fn target_release(at: &Invocation<'_>) -> Result<Option<ReleaseRecord>, CommandError> {
    let key = at.repo.to_string();
    if let Some(rec) = at.ctx.store.release_by_issue(&key, at.issue_number).await? {
        return Ok(Some(rec));
    }
    let since = at.ctx.clock.now_ms() - 30 * 24 * 3600 * 1000;
    Ok(at
        .ctx
        .store
        .active_releases(&key, since)
        .await?
        .into_iter()
        .next())
}

fn no_release() -> Outcome {
    Outcome::Refused(
        "there is no release in progress to record this on: relman opens a tracking issue ahead of each release day (and at once after installation)."
            .into(),
    )
}

fn name(rec: &ReleaseRecord) -> String {
    match rec.issue_number {
        Some(n) => format!(
            "the release of {} (#{n})",
            rec.release_date.unwrap_or(rec.scheduled_date)
        ),
        None => format!(
            "the release of {}",
            rec.release_date.unwrap_or(rec.scheduled_date)
        ),
    }
}

/// Records `entries` on the target release and re-renders its tracking issue.
async fn record(
    at: &Invocation<'_>,
    rec: &ReleaseRecord,
    entries: &[(&str, &str, Option<String>)],
) -> Result<(), CommandError> {
    let key = at.repo.to_string();
    for (entry, environment, text) in entries {
        at.ctx
            .store
            .append_release_log(
                &key,
                &rec.key,
                &LogEntry {
                    entry: entry.to_string(),
                    environment: environment.to_string(),
                    text: text.clone(),
                    actor: at.actor.login.clone(),
                    comment_id: at.comment_id,
                    at: at.ctx.clock.now_ms(),
                },
            )
            .await?;
    }
    if let Some(train) = load_train(at.ctx, at.github, at.repo).await? {
        refresh_all(at.ctx, at.github, at.repo, &train).await?;
    }
    Ok(())
}

pub async fn signoff(
    at: &Invocation<'_>,
    environment: Option<CommandEnvironment>,
) -> Result<Outcome, CommandError> {
    let Some(rec) = target_release(at).await? else {
        return Ok(no_release());
    };
    let environments: Vec<CommandEnvironment> = match environment {
        Some(e) => vec![e],
        None => CommandEnvironment::ALL.to_vec(),
    };
    let entries: Vec<(&str, &str, Option<String>)> = environments
        .iter()
        .map(|e| ("signoff", e.as_str(), None))
        .collect();
    record(at, &rec, &entries).await?;
    let list: Vec<&str> = environments.iter().map(|e| e.as_str()).collect();
    Ok(Outcome::Done(Some(format!(
        "Signed off {} for {}.",
        list.join(" and "),
        name(&rec)
    ))))
}

pub enum QaCall {
    Ok,
    Blocker(String),
    Clear,
}

pub async fn qa(at: &Invocation<'_>, call: QaCall) -> Result<Outcome, CommandError> {
    let Some(rec) = target_release(at).await? else {
        return Ok(no_release());
    };
    let (entry, text, message) = match call {
        QaCall::Ok => (
            "qa_ok",
            None,
            format!(
                "QA: no blockers for {}; production may proceed as far as QA is concerned.",
                name(&rec)
            ),
        ),
        QaCall::Blocker(text) => (
            "qa_blocker",
            Some(text.clone()),
            format!(
                "QA blocker recorded for {}: \"{text}\". Production stays blocked until `/qa clear` or `/qa ok`.",
                name(&rec)
            ),
        ),
        QaCall::Clear => (
            "qa_clear",
            None,
            format!("QA blockers cleared for {}.", name(&rec)),
        ),
    };
    record(at, &rec, &[(entry, "", text)]).await?;
    Ok(Outcome::Done(Some(message)))
}

pub async fn skip(at: &Invocation<'_>, reason: &str) -> Result<Outcome, CommandError> {
    let Some(rec) = target_release(at).await? else {
        return Ok(no_release());
    };
    if rec.state != ReleaseState::Open {
        return Ok(Outcome::Refused(format!(
            "{} is {} already, so there is nothing to skip.",
            name(&rec),
            rec.state.as_str().replace('_', " ")
        )));
    }
    let Some(number) = rec.issue_number else {
        return Ok(no_release());
    };
    close_tracking(
        at.ctx,
        at.github,
        at.repo,
        &rec,
        number,
        ReleaseState::Skipped,
        reason,
        Some(&at.actor.login),
    )
    .await?;
    Ok(Outcome::Done(Some(format!(
        "Skipped {}: {reason}. The next release day gets its own tracking issue.",
        name(&rec)
    ))))
}
