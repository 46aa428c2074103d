//! `/signoff [staging|production]`, `/qa ok|blocker <text>|clear` and `/skip <why>`: what people
//! say about a release, recorded with who and when (the requirements read it back), then shown
//! on the tracking issue at once. A staging sign-off belongs to the release this issue cuts; a
//! production sign-off and QA calls belong to the version going to production — never carried
//! over to another version.
//!
//! Each command gathers its facts here, `domain::signoff` decides (the log entries and the
//! reply), and `effects::apply` records them and re-renders the tracking issues.

use relman_commands::Environment as CommandEnvironment;

use super::effects::view;
use super::error::HandlerError;
use super::follow_up::{apply, outcome};
use super::invocation::{Invocation, Outcome};
use super::merged_pr::expected_version;
use super::production::production_state;
use super::release_facts::{default_head, load_train};
use crate::domain::effects::{Effect, Reply};
use crate::domain::signoff::{
    ProductionFacts, Said, StagingFacts, StagingHead, decide_qa, decide_signoff, decide_skip,
    staging_needs_head,
};
use crate::store::releases::{ReleaseRecord, ReleaseState};

pub use crate::domain::signoff::QaCall;

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

/// Who said it, on which comment, now.
fn said(at: &Invocation<'_>) -> Said {
    Said {
        actor: at.actor.login.clone(),
        comment_id: at.comment_id,
        at: at.ctx.clock.now(),
    }
}

/// What a staging sign-off reads: the target release and, for an open regular one, the head it
/// would be cut from with its expected version.
async fn staging_facts(at: &Invocation<'_>) -> Result<StagingFacts, HandlerError> {
    let target = target_release(at).await?.as_ref().map(view);
    let head = if staging_needs_head(target.as_ref()) {
        let head = default_head(at.github, at.repo).await?;
        let version = match load_train(at.ctx, at.github, at.repo).await? {
            Some(train) => Some(
                expected_version(at.ctx, at.github, at.repo, &train, &head.branch, None).await?,
            ),
            None => None,
        };
        Some(StagingHead {
            branch: head.branch,
            sha: head.sha,
            version,
        })
    } else {
        None
    };
    Ok(StagingFacts { target, head })
}

/// What a production sign-off or QA call reads: the production plan and the release tracked on
/// this issue.
async fn production_facts(at: &Invocation<'_>) -> Result<ProductionFacts, HandlerError> {
    let Some(train) = load_train(at.ctx, at.github, at.repo).await? else {
        return Ok(ProductionFacts::NoTrain);
    };
    let state = production_state(at.ctx, at.github, at.repo, &train).await?;
    let own = at
        .ctx
        .store
        .release_by_issue(&at.repo.to_string(), at.issue_number)
        .await?
        .map(|rec| view(&rec));
    Ok(ProductionFacts::Known {
        own,
        running: state.running,
        plan: Box::new(state.plan),
    })
}

/// Applies a command's effects and answers with its reply.
async fn carry_out(
    at: &Invocation<'_>,
    (effects, reply): (Vec<Effect>, Reply),
) -> Result<Outcome, HandlerError> {
    apply(at.ctx, at.github, at.repo, &effects).await?;
    Ok(outcome(reply))
}

/// `/signoff [staging|production]`: staging for the release this issue cuts, production for the
/// version going to production; both when none is named.
pub async fn signoff(
    at: &Invocation<'_>,
    environment: Option<CommandEnvironment>,
) -> Result<Outcome, HandlerError> {
    let wants = |e: CommandEnvironment| environment.is_none_or(|x| x == e);
    let staging = match wants(CommandEnvironment::Staging) {
        true => Some(staging_facts(at).await?),
        false => None,
    };
    let production = match wants(CommandEnvironment::Production) {
        true => Some(production_facts(at).await?),
        false => None,
    };
    let decision = decide_signoff(
        staging.as_ref(),
        production.as_ref(),
        &said(at),
        at.ctx.clock.now(),
    );
    carry_out(at, decision).await
}

/// `/qa ok|blocker|clear`: about the version going to production.
pub async fn qa(at: &Invocation<'_>, call: QaCall) -> Result<Outcome, HandlerError> {
    let production = production_facts(at).await?;
    let decision = decide_qa(&production, &call, &said(at), at.ctx.clock.now());
    carry_out(at, decision).await
}

/// `/skip <why>`: the open release's tracking issue closes as skipped.
pub async fn skip(at: &Invocation<'_>, reason: &str) -> Result<Outcome, HandlerError> {
    let target = target_release(at).await?;
    // What comes next is only read for a released release, which cannot be skipped.
    let next = match target
        .as_ref()
        .filter(|r| r.state == ReleaseState::Released)
    {
        Some(rec) => Some(super::monitoring::next_step(at.ctx, at.github, at.repo, rec).await?),
        None => None,
    };
    let target = target.as_ref().map(view);
    let decision = decide_skip(target.as_ref(), next.as_deref(), reason, &at.actor.login);
    carry_out(at, decision).await
}
