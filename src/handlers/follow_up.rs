//! Applying the effects of decisions that ask other capabilities to follow up: the tracking
//! issues rendered again (all, or one release's) or a refresh booked, an open release PR rebuilt, a skipped day's
//! tracking issue closed, the "released in" comments queued. Everything else goes to `effects::apply_one`. This sits above
//! `tracking` and `release_pr`, so the plain shell (`effects`) stays below them.

use super::context::Context;
use super::effects::{Applied, apply_one};
use super::error::HandlerError;
use super::invocation::Outcome;
use super::release_facts::load_train;
use crate::domain::effects::{Effect, Reply};
use crate::github::{GitHubPort, RepoName};
use crate::store::releases::ReleaseState;

/// Carries out `effects` on `repo` in order, follow-ups included (see `effects::apply`).
pub async fn apply(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    effects: &[Effect],
) -> Result<Applied, HandlerError> {
    let mut applied = Applied::default();
    let key = repo.to_string();
    for effect in effects {
        match effect {
            Effect::RefreshTracking => {
                if let Some(train) = load_train(ctx, github, repo).await? {
                    super::train::tracking::refresh_all(ctx, github, repo, &train).await?;
                }
            }
            Effect::RefreshRelease { release_key } => {
                if let Some(train) = load_train(ctx, github, repo).await?
                    && let Some(rec) = ctx.store.release_record(&key, release_key).await?
                {
                    super::train::tracking::refresh_release(
                        ctx, github, repo, &train, &rec, None, None,
                    )
                    .await?;
                }
            }
            Effect::AnnounceRelease { tag, url, prs } => {
                super::train::publish::announce_later(ctx, repo, tag, url, prs.clone()).await?;
            }
            Effect::ScheduleRefresh {
                installation_id,
                repository_id,
            } => {
                super::train::tracking::schedule_refresh(
                    ctx,
                    repo,
                    *installation_id,
                    *repository_id,
                )
                .await?;
            }
            Effect::RebuildReleasePr { merged } => {
                if let Some(train) = load_train(ctx, github, repo).await? {
                    super::release_pr::refresh_after_merge(ctx, github, repo, &train, *merged)
                        .await?;
                }
            }
            Effect::SkipRelease {
                release_id,
                issue,
                reason,
                by,
            } => {
                let Some(rec) = ctx
                    .store
                    .release_by_issue(&key, *issue)
                    .await?
                    .filter(|r| r.id == *release_id)
                else {
                    return Err(HandlerError::Other(format!(
                        "release {release_id} is no longer tracked on #{issue}"
                    )));
                };
                super::train::tracking::close_tracking(
                    ctx,
                    github,
                    repo,
                    &rec,
                    *issue,
                    ReleaseState::Skipped,
                    reason,
                    Some(by),
                )
                .await?;
            }
            plain => apply_one(ctx, github, repo, plain).await?,
        }
        if effect.writes_github() {
            applied.github += 1;
        } else {
            applied.other += 1;
        }
    }
    Ok(applied)
}

/// A decision's reply as the command runner's outcome.
pub fn outcome(reply: Reply) -> Outcome {
    match reply {
        Reply::Done(message) => Outcome::Done(message),
        Reply::Refused(why) => Outcome::Refused(why),
    }
}
