//! `/signoff [staging|production]`, `/qa ok|blocker <text>|clear` and `/skip <why>`: what people
//! say about a release, recorded with who and when (the requirements read it back), then shown
//! on the tracking issue at once. A staging sign-off belongs to the release this issue cuts; a
//! production sign-off and QA calls belong to the version going to production — never carried
//! over to another version.

use relman_commands::Environment as CommandEnvironment;

use super::error::HandlerError;
use super::invocation::{Invocation, Outcome};
use super::merged_pr::expected_version;
use super::production::production_state;
use super::release_facts::{default_head, load_train};
use super::train::tracking::{close_tracking, refresh_all};
use crate::domain::expedited::Kind;
use crate::domain::production::soaked_for;
use crate::domain::requirements::Environment;
use crate::store::releases::{LogKind, ReleaseRecord, ReleaseState, version_key};

/// The release a command is about: the tracking issue it was given on, else the oldest one
/// relman keeps current (open, or released and on its way to production).
async fn target_release(at: &Invocation<'_>) -> Result<Option<ReleaseRecord>, HandlerError> {
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
    if rec.kind != Kind::Regular {
        let issue = rec
            .issue_number
            .map_or_else(String::new, |n| format!(" (#{n})"));
        return format!(
            "{} {}{issue}",
            rec.kind,
            rec.tag.as_deref().unwrap_or("(not cut)")
        );
    }
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

/// Appends `entries` (entry, environment, text) under `log_key` and re-renders the tracking
/// issues.
async fn record(
    at: &Invocation<'_>,
    entries: &[(String, LogKind, Option<Environment>, Option<String>)],
) -> Result<(), HandlerError> {
    let key = at.repo.to_string();
    for (log_key, entry, environment, text) in entries {
        at.ctx
            .store
            .append_release_log(
                &key,
                log_key,
                &at.log_entry(*entry, *environment, text.clone()),
            )
            .await?;
    }
    if let Some(train) = load_train(at.ctx, at.github, at.repo).await? {
        refresh_all(at.ctx, at.github, at.repo, &train).await?;
    }
    Ok(())
}

fn day(date: chrono::NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// The version a production sign-off or QA call is about, described for the reply, or why
/// there is none: on a released release's own issue that release; elsewhere the version going
/// to production next (the one due, else the one soaking on staging).
async fn production_target(
    at: &Invocation<'_>,
) -> Result<Result<(String, String), String>, HandlerError> {
    let key = at.repo.to_string();
    let Some(train) = load_train(at.ctx, at.github, at.repo).await? else {
        return Ok(Err(
            "this repository has no usable `.github/relman.yml`.".into()
        ));
    };
    let state = production_state(at.ctx, at.github, at.repo, &train).await?;
    let own = at.ctx.store.release_by_issue(&key, at.issue_number).await?;
    if let Some(rec) = &own
        && let Some(tag) = rec.tag.clone()
    {
        if state.runs(&tag) {
            return Ok(Err(format!(
                "{tag} is in production already: for a problem there, open a hotfix with `/hotfix <what is wrong>`."
            )));
        }
        let expedited = rec.kind != Kind::Regular;
        if expedited {
            return Ok(Ok((tag.clone(), format!("{tag}, this {}", rec.kind))));
        }
        if rec.state == ReleaseState::Released {
            return Ok(Ok((tag.clone(), format!("{tag} ({})", name(rec)))));
        }
    }
    let now = at.ctx.clock.now();
    let plan = &state.plan;
    match (&plan.due, &plan.soaking) {
        (Some(due), _) => Ok(Ok((
            due.version.clone(),
            format!(
                "{}, the version due for production (on staging for {})",
                due.version,
                soaked_for(due.on_staging_since, now)
            ),
        ))),
        (None, Some(soaking)) => Ok(Ok((
            soaking.version.clone(),
            format!(
                "{}, the version soaking on staging for production{}",
                soaking.version,
                plan.soaking_due_on
                    .map(|d| format!(" on {}", day(d)))
                    .unwrap_or_default()
            ),
        ))),
        (None, None) => Ok(Err(format!(
            "nothing is waiting for production: it runs {}, and staging has nothing newer. The next release cut goes to staging first.",
            state.running.as_deref().unwrap_or("an unknown version")
        ))),
    }
}

/// `/signoff [staging|production]`: staging for the release this issue cuts, production for the
/// version going to production (see [`production_target`]); both when none is named.
pub async fn signoff(
    at: &Invocation<'_>,
    environment: Option<CommandEnvironment>,
) -> Result<Outcome, HandlerError> {
    let wants = |e: CommandEnvironment| environment.is_none_or(|x| x == e);
    let mut entries = Vec::new();
    let mut done = Vec::new();
    let mut not_done = Vec::new();
    if wants(CommandEnvironment::Staging) {
        match target_release(at).await? {
            Some(rec) if rec.state == ReleaseState::Open && rec.kind == Kind::Regular => {
                // A staging sign-off is for the commit it was given on: a merge after it asks
                // for a new one.
                let head = default_head(at.github, at.repo).await?;
                let version = match load_train(at.ctx, at.github, at.repo).await? {
                    Some(train) => Some(
                        expected_version(at.ctx, at.github, at.repo, &train, &head.branch, None)
                            .await?,
                    ),
                    None => None,
                };
                entries.push((
                    rec.key.clone(),
                    LogKind::Signoff,
                    Some(Environment::Staging),
                    Some(head.sha.clone()),
                ));
                done.push(format!(
                    "staging for {}to be cut here from `{}` at {} ({})",
                    version.map(|v| format!("{v}, ")).unwrap_or_default(),
                    head.branch,
                    &head.sha[..head.sha.len().min(7)],
                    name(&rec)
                ));
            }
            Some(rec) if rec.state == ReleaseState::Open => {
                entries.push((
                    rec.key.clone(),
                    LogKind::Signoff,
                    Some(Environment::Staging),
                    None,
                ));
                done.push(format!("staging for {}", name(&rec)));
            }
            Some(rec) => not_done.push(format!(
                "staging: {} is {} already; a staging sign-off is for a release still to be cut",
                name(&rec),
                rec.state.as_str().replace('_', " ")
            )),
            None => not_done.push("staging: no release is open to be cut".to_string()),
        }
    }
    if wants(CommandEnvironment::Production) {
        match production_target(at).await? {
            Ok((version, described)) => {
                entries.push((
                    version_key(&version),
                    LogKind::Signoff,
                    Some(Environment::Production),
                    None,
                ));
                done.push(format!("production for {described}"));
            }
            Err(why) => not_done.push(format!("production: {why}")),
        }
    }
    if entries.is_empty() {
        return Ok(Outcome::Refused(format!(
            "relman recorded no sign-off:\n\n{}",
            not_done
                .iter()
                .map(|w| format!("- {w}\n"))
                .collect::<String>()
        )));
    }
    record(at, &entries).await?;
    let mut reply = format!("Signed off {}.", done.join(", and "));
    for why in &not_done {
        reply.push_str(&format!(
            "\n\nNot signed off for {}.",
            why.trim_end_matches('.')
        ));
    }
    Ok(Outcome::Done(Some(reply)))
}

pub enum QaCall {
    Ok,
    Blocker(String),
    Clear,
}

/// `/qa ok|blocker|clear`: about the version going to production (see [`production_target`]).
pub async fn qa(at: &Invocation<'_>, call: QaCall) -> Result<Outcome, HandlerError> {
    let (version, described) = match production_target(at).await? {
        Ok(target) => target,
        Err(why) => {
            return Ok(Outcome::Refused(format!(
                "relman recorded no QA call: {why}"
            )));
        }
    };
    let (entry, text, message) = match call {
        QaCall::Ok => (
            LogKind::QaOk,
            None,
            format!(
                "QA: no blockers for {described}; production may proceed as far as QA is concerned."
            ),
        ),
        QaCall::Blocker(text) => (
            LogKind::QaBlocker,
            Some(text.clone()),
            format!(
                "QA blocker recorded for {described}: \"{text}\". It does not go to production until `/qa clear` or `/qa ok`."
            ),
        ),
        QaCall::Clear => (
            LogKind::QaClear,
            None,
            format!("QA blockers cleared for {described}."),
        ),
    };
    record(at, &[(version_key(&version), entry, None, text)]).await?;
    Ok(Outcome::Done(Some(message)))
}

pub async fn skip(at: &Invocation<'_>, reason: &str) -> Result<Outcome, HandlerError> {
    let Some(rec) = target_release(at).await? else {
        return Ok(no_release());
    };
    if rec.state == ReleaseState::Released {
        let next = super::monitoring::next_step(at.ctx, at.github, at.repo, &rec).await?;
        return Ok(Outcome::Refused(format!(
            "{} is released already, so there is nothing to skip. {next}",
            name(&rec)
        )));
    }
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
