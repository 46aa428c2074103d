//! `/release status`: refresh the tracking issues, and reply with the requirements gate right
//! now: for the default branch head, or on a hotfix or warmfix issue for its `hotfix/vX.Y.Z`
//! branch once `/release` built it (before that, for the tag it patches).
//!
//! The facts are gathered here, `domain::release_status` decides the reply, and
//! `follow_up::apply` renders the tracking issues again.

use super::error::HandlerError;
use super::follow_up::{apply, outcome};
use super::invocation::{Invocation, Outcome};
use super::production::{production_gate, production_state};
use super::release_facts::{commit_checks, default_head, facts_for, load_train, tag_commit};
use crate::config::load::ConfigState;
use crate::domain::expedited::Kind;
use crate::domain::release_status::{GateFacts, ProductionCandidate, StatusFacts, decide};
use crate::domain::requirements::{Environment, evaluate};
use crate::store::releases::{ReleaseRecord, ReleaseState};

pub async fn release_status(at: &Invocation<'_>) -> Result<Outcome, HandlerError> {
    let facts = status_facts(at).await?;
    let (effects, reply) = decide(&facts, at.ctx.clock.now());
    apply(at.ctx, at.github, at.repo, &effects).await?;
    Ok(outcome(reply))
}

/// What the reply reads: the shipped release's state, or the gate of what would be cut now.
async fn status_facts(at: &Invocation<'_>) -> Result<StatusFacts, HandlerError> {
    let (ctx, github, repo) = (at.ctx, at.github, at.repo);
    let Some(train) = load_train(ctx, github, repo).await? else {
        let errors = match ctx.configs.get(github, &ctx.store, repo).await? {
            ConfigState::Invalid { errors, .. } => Some(errors.to_string()),
            _ => None,
        };
        return Ok(StatusFacts::NoTrain { errors });
    };
    let now = ctx.clock.now();
    let key = repo.to_string();
    let release = match ctx.store.release_by_issue(&key, at.issue_number).await? {
        Some(rec) => Some(rec),
        None => ctx.store.open_releases(&key).await?.into_iter().next(),
    };
    if let Some(rec) = &release
        && rec.state == ReleaseState::Released
    {
        let next = super::monitoring::next_step(ctx, github, repo, rec).await?;
        return Ok(StatusFacts::Released {
            kind: rec.kind,
            tag: rec.tag.clone(),
            url: rec.release_url.clone(),
            next,
        });
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
    let staging = evaluate(Environment::Staging, &train.config.requirements, &facts);
    let state = production_state(ctx, github, repo, &train).await?;
    let production = match state.plan.next().filter(|_| !is_fix) {
        Some(candidate) => Some(ProductionCandidate {
            version: candidate.version.clone(),
            on_staging_since: candidate.on_staging_since,
            gate: production_gate(ctx, github, repo, &train, candidate).await?,
        }),
        None => None,
    };
    Ok(StatusFacts::Gate(Box::new(GateFacts {
        branch,
        sha,
        is_fix,
        staging,
        production,
        running: state.running,
        next_release: train.calendar.next_release(now).and_then(|day| day.date),
        manager: facts.release_manager,
        tracked: release.and_then(|r| r.issue_number),
    })))
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
