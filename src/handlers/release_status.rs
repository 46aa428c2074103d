//! `/release status`: refresh the tracking issues, and reply with the requirements gate for the
//! default branch head right now.

use super::commands::{CommandError, Invocation, Outcome};
use super::release_facts::{commit_checks, default_head, facts_for, gates, load_train};
use super::tracking::refresh_all;
use crate::config::load::ConfigState;
use crate::config::repo::CONFIG_PATH;
use crate::domain::requirements::render_gate;

pub async fn release_status(at: &Invocation<'_>) -> Result<Outcome, CommandError> {
    let (ctx, github, repo) = (at.ctx, at.github, at.repo);
    let Some(train) = load_train(ctx, github, repo).await? else {
        let state = ctx.configs.get(github, &ctx.store, repo).await?;
        let why = match &state {
            ConfigState::Invalid { errors, .. } => {
                format!("`{CONFIG_PATH}` has errors:\n\n```\n{errors}\n```")
            }
            _ => format!("this repository has no `{CONFIG_PATH}`"),
        };
        return Ok(Outcome::Refused(format!(
            "relman cannot evaluate the release gate: {why}\n\n`relman config-schema` prints the schema; `relman check-config FILE` checks a file."
        )));
    };
    let now = ctx.clock.now();
    let key = repo.to_string();
    let release = match ctx.store.release_by_issue(&key, at.issue_number).await? {
        Some(rec) => Some(rec),
        None => ctx.store.open_releases(&key).await?.into_iter().next(),
    };
    let head = default_head(github, repo).await?;
    let checks = commit_checks(github, repo, &head.sha).await?;
    let facts = facts_for(ctx, &train, repo, release.as_ref(), &head.sha, checks, now).await?;
    let verdicts = gates(&train.config, &facts);
    refresh_all(ctx, github, repo, &train).await?;

    let next = train
        .calendar
        .next_release(now)
        .and_then(|day| day.date)
        .map_or_else(
            || "none scheduled".to_string(),
            |d| d.format("%a %Y-%m-%d").to_string(),
        );
    let manager = facts
        .release_manager
        .as_deref()
        .map_or_else(|| "nobody (no rotation)".to_string(), |rm| format!("@{rm}"));
    let tracked = release
        .and_then(|r| r.issue_number)
        .map_or_else(String::new, |n| format!(" Tracked in #{n}."));
    Ok(Outcome::Done(Some(format!(
        "Release gate for `{}` at {} — next release {next}, release manager {manager}.{tracked}\n\n{}",
        head.branch,
        &head.sha[..head.sha.len().min(7)],
        render_gate(&verdicts)
    ))))
}
