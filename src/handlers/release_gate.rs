//! The requirements gate on releases made by hand: on `release` created (not a draft),
//! published or prereleased, a release relman did not cut is checked against the staging
//! requirements at its tag's commit. A `relman/requirements` check run on that commit carries
//! the verdict; a release that breaks a requirement is reverted to a draft (or only annotated,
//! per `gate.on_violation`) and explained on the tracking issue — or on a new issue when none is
//! open — naming who created it. One that meets them is recorded on the open release and passes
//! quietly.
//!
//! No loops: relman's own releases are recognised by their id in the register and not gated;
//! reverting to a draft sends `edited`, which the gate does not act on.
//!
//! The facts are read here, `domain::release_gate` decides, `effects::apply` acts.

use super::context::Context;
use super::effects::{apply, view};
use super::error::HandlerError;
use super::events::ReleaseEvent;
use super::release_facts::{Train, commit_checks, facts_for, load_train};
use super::train::publish::unmet_list;
use crate::domain::release_gate::{GateFacts, HandMade, decide, gated};
use crate::domain::requirements::{Environment, all_met, evaluate};
use crate::github::{GitHubPort, RepoName};
use crate::inbox::ProcessError;

pub use crate::domain::release_gate::CHECK_NAME;

pub async fn handle_release(ctx: &Context, event: &ReleaseEvent) -> Result<(), ProcessError> {
    let action = event.common.action.as_deref().unwrap_or_default();
    let release = &event.release;
    if !gated(action, release.draft) {
        return Ok(());
    }
    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Err(ProcessError::Permanent(
            "release event without installation or repository".into(),
        ));
    };
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation.id)?;
    let key = repo.to_string();
    if let Some(own) = ctx
        .store
        .release_by_tag(&key, &release.tag_name)
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?
        && own.release_id == Some(release.id)
    {
        tracing::debug!(repo = %repo, tag = %release.tag_name, "relman's own release: not gated");
        return Ok(());
    }
    let Some(train) = load_train(ctx, &*client, &repo).await? else {
        return Ok(());
    };
    gate(ctx, &*client, &repo, &train, event).await?;
    Ok(())
}

/// Reads the tag's commit, its checks, relman's earlier check run and the open release, then
/// decides and applies.
async fn gate(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    event: &ReleaseEvent,
) -> Result<(), HandlerError> {
    let release = &event.release;
    let tag = &release.tag_name;
    let Some(sha) = github.commit_sha(repo, tag).await? else {
        tracing::warn!(repo = %repo, tag = %tag, "the release's tag does not resolve to a commit; not gated");
        return Ok(());
    };
    let key = repo.to_string();
    let open = ctx.store.open_releases(&key).await?.into_iter().next();
    let checks = commit_checks(github, repo, &sha).await?;
    let existing_run = github
        .check_runs(repo, &sha)
        .await?
        .into_iter()
        .find(|c| c.name == CHECK_NAME)
        .map(|r| r.id);
    let now = ctx.clock.now();
    let facts = facts_for(ctx, train, repo, open.as_ref(), &sha, checks, now).await?;
    let verdicts = evaluate(Environment::Staging, &train.config.requirements, &facts);
    let met = all_met(&verdicts);
    let creator = if release.author.login.is_empty() {
        event.common.sender.login.clone()
    } else {
        release.author.login.clone()
    };
    let open = open.as_ref().map(view);
    let unmet = unmet_list(&verdicts);
    let effects = decide(
        &GateFacts {
            release: HandMade {
                id: release.id,
                tag,
                html_url: &release.html_url,
                draft: release.draft,
                creator: &creator,
            },
            sha: &sha,
            met,
            unmet_list: &unmet,
            existing_run,
            open: open.as_ref(),
            on_violation: train.config.gate.on_violation,
            tag_prefix: &train.config.versioning.tag_prefix,
        },
        now,
    );
    apply(ctx, github, repo, &effects).await?;
    if met {
        tracing::info!(repo = %repo, tag = %tag, by = %creator, "release made by hand meets the requirements");
    } else {
        tracing::warn!(repo = %repo, tag = %tag, by = %creator, "release rejected");
    }
    Ok(())
}
