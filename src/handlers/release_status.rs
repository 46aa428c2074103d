//! `/release status`: refresh the tracking issues, and reply with the requirements gate right
//! now: for the default branch head, or on a hotfix or warmfix issue for its `hotfix/vX.Y.Z`
//! branch once `/release` built it (before that, for the tag it patches).

use super::error::HandlerError;
use super::invocation::{Invocation, Outcome};
use super::production::{production_gate, production_state};
use super::release_facts::{commit_checks, default_head, facts_for, load_train, tag_commit};
use super::train::tracking::refresh_all;
use crate::config::load::ConfigState;
use crate::config::repo::CONFIG_PATH;
use crate::domain::expedited::Kind;
use crate::domain::production::soaked_for;
use crate::domain::requirements::{Environment, evaluate, render_gate};
use crate::store::releases::{ReleaseRecord, ReleaseState};

pub async fn release_status(at: &Invocation<'_>) -> Result<Outcome, HandlerError> {
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
    // A release that shipped answers with its own state, never the next release's gate.
    if let Some(rec) = &release
        && rec.state == ReleaseState::Released
    {
        refresh_all(ctx, github, repo, &train).await?;
        let next = super::monitoring::next_step(ctx, github, repo, rec).await?;
        return Ok(Outcome::Done(Some(format!(
            "{} was released as [{}]({}). {next}",
            match rec.kind {
                Kind::Regular => "This release day's release".to_string(),
                kind => format!("This {kind}"),
            },
            rec.tag.as_deref().unwrap_or("?"),
            rec.release_url.as_deref().unwrap_or("")
        ))));
    }
    let expedited = match &release {
        Some(rec) => expedited_head(at, rec).await?,
        None => None,
    };
    let is_fix = expedited.is_some();
    let (branch, sha) = match expedited {
        Some(head) => head,
        None => {
            let head = default_head(github, repo).await?;
            (head.branch, head.sha)
        }
    };
    let checks = commit_checks(github, repo, &sha).await?;
    let facts = facts_for(ctx, &train, repo, release.as_ref(), &sha, checks, now).await?;
    let mut verdicts = vec![(
        Environment::Staging,
        evaluate(Environment::Staging, &train.config.requirements, &facts),
    )];
    // Production's requirements are about the version that soaked on staging (on a fix's
    // issue the fix itself goes to production, requested when it is cut).
    let state = production_state(ctx, github, repo, &train).await?;
    let production_line = match state.plan.next().filter(|_| !is_fix) {
        Some(candidate) => {
            if let Some(gate) = production_gate(ctx, github, repo, &train, candidate).await? {
                verdicts.push((Environment::Production, gate));
            }
            format!(
                "\n\nProduction: {} (on staging for {}).",
                candidate.version,
                soaked_for(candidate.on_staging_since, now)
            )
        }
        None if !is_fix => format!(
            "\n\nProduction: nothing waiting (it runs {}).",
            state.running.as_deref().unwrap_or("an unknown version")
        ),
        None => String::new(),
    };
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
        "Release gate for `{}` at {} — next release {next}, release manager {manager}.{tracked}{production_line}\n\n{}",
        branch,
        &sha[..sha.len().min(7)],
        render_gate(&verdicts)
    ))))
}

/// What an expedited release ships, as (branch or tag, commit): its branch's head once built,
/// else the tag it patches (the branch starts there). `None` for a regular release.
async fn expedited_head(
    at: &Invocation<'_>,
    rec: &ReleaseRecord,
) -> Result<Option<(String, String)>, HandlerError> {
    if rec.kind == Kind::Regular {
        return Ok(None);
    }
    let (github, repo) = (at.github, at.repo);
    let Some(row) = at.ctx.store.register_row(&rec.repo, &rec.key).await? else {
        return Ok(None);
    };
    if let Some(branch) = &row.branch
        && let Some(built) = github.get_ref(repo, &format!("heads/{branch}")).await?
    {
        return Ok(Some((branch.clone(), built.sha)));
    }
    let Some(base) = &row.base_tag else {
        return Ok(None);
    };
    Ok(tag_commit(github, repo, base)
        .await?
        .map(|sha| (base.clone(), sha)))
}
