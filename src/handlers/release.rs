//! `/release` on a tracking issue: check the staging requirements, compute the version and the
//! changelog, create the tag at the default branch head and the GitHub release (which the
//! team's CI deploys to staging), update the tracking issue, and announce the release on each
//! included PR (in a follow-up job, so a large release neither blows the command's API budget
//! nor fails the release when one PR comment does).
//!
//! API calls, for any number of PRs: repository, head, check runs, statuses, tags, one
//! comparison, one page of closed PRs, the tag, the release, then the tracking issue (checks
//! and statuses of the released commit, both environments' deployments, the edit) — 14.
//! Idempotent: a retry finds the tag and the release already there and carries on; a second
//! `/release` after success answers with the release.

use super::effects::{Found, publish, view};
use super::error::HandlerError;
use super::follow_up::{apply, outcome};
use super::invocation::{Invocation, Outcome};
use super::release_facts::{
    commit_checks, default_head, facts_for, last_release, load_train, pending_changes,
};
use crate::domain::release::{
    Changes, Head, Plan, after_publish, decide_cut, decide_gate, decide_state, tag_conflict,
};
use crate::domain::requirements::{Environment, evaluate};
use crate::store::releases::ReleaseRecord;

/// The tracking issue this command was given on, or why it cannot be released.
pub async fn tracked_release(
    at: &Invocation<'_>,
) -> Result<Result<ReleaseRecord, String>, HandlerError> {
    let key = at.repo.to_string();
    if let Some(rec) = at.ctx.store.release_by_issue(&key, at.issue_number).await? {
        return Ok(Ok(rec));
    }
    let open = at.ctx.store.open_releases(&key).await?;
    let hint = match open.iter().find_map(|r| r.issue_number) {
        Some(n) => format!(" The open release is tracked in #{n}: comment there."),
        None => " No release is open right now; relman opens the tracking issue ahead of each release day.".to_string(),
    };
    Ok(Err(format!(
        "this is not a release tracking issue, so there is nothing to release here.{hint}"
    )))
}

/// `/release`, in stages so a refusal reads no more than it needs: the tracked release's state,
/// then the staging gate at the default branch head, then what merged since the last release.
/// Each stage's facts go to a decision in `domain::release`; the cut goes through the effects
/// shell.
pub async fn release(at: &Invocation<'_>) -> Result<Outcome, HandlerError> {
    let (ctx, github, repo) = (at.ctx, at.github, at.repo);
    let Some(train) = load_train(ctx, github, repo).await? else {
        return Ok(Outcome::Refused(
            "this repository has no usable `.github/relman.yml`, so relman does not release it."
                .into(),
        ));
    };
    let rec = match tracked_release(at).await? {
        Ok(rec) => rec,
        Err(why) => return Ok(Outcome::Refused(format!("relman did not release: {why}"))),
    };
    // Expedited releases are cut by their own capability; a regular one a warmfix replaced is not.
    if let Some(outcome) = super::hotfix::release_instead(at, &rec).await? {
        return Ok(outcome);
    }
    if let Some(reply) = decide_state(
        view(&rec).state,
        rec.tag.as_deref(),
        rec.release_url.as_deref(),
        rec.reason.as_deref().unwrap_or(rec.state.as_str()),
    ) {
        return Ok(outcome(reply));
    }

    let now = ctx.clock.now();
    let default = default_head(github, repo).await?;
    let checks = commit_checks(github, repo, &default.sha).await?;
    let facts = facts_for(ctx, &train, repo, Some(&rec), &default.sha, checks, now).await?;
    let verdicts = evaluate(Environment::Staging, &train.config.requirements, &facts);
    let head = Head {
        branch: default.branch.clone(),
        sha: default.sha.clone(),
    };
    if let Some(refusal) = decide_gate(&head, &verdicts) {
        return Ok(outcome(refusal));
    }

    let versioning = &train.config.versioning;
    let last = last_release(github, repo, &versioning.tag_prefix).await?;
    let pending = pending_changes(
        github,
        repo,
        &default.branch,
        &default.sha,
        last,
        &default.html_url,
    )
    .await?;
    let changes = Changes {
        last: pending.last.as_ref(),
        changes: &pending.changes,
        compare_url: pending.compare_url.as_deref(),
    };
    let cut = match decide_cut(&head, &changes, versioning, train.config.release.mode) {
        Plan::Refuse(reply) => return Ok(outcome(reply)),
        Plan::PullRequest { .. } => {
            let (bump, version, _) = pending.next(versioning);
            let plan = super::release_pr::Plan {
                train: &train,
                rec: &rec,
                head: &default,
                pending: &pending,
                version: &version,
                bump,
            };
            return super::release_pr::prepare(at, &plan).await;
        }
        Plan::Cut(cut) => cut,
    };

    // The tag first: one already elsewhere is the user's to sort out, at the head a retry.
    let [tag, release] = cut.publish();
    if let Found::TagAt(found) = publish(github, repo, &tag).await?
        && let Some(refusal) = tag_conflict(&cut.tag, &found, &cut.head.sha)
    {
        return Ok(Outcome::Refused(refusal));
    }
    let Found::Release(published) = publish(github, repo, &release).await? else {
        return Err(HandlerError::Other(format!(
            "publishing the release {} found no release",
            cut.tag
        )));
    };
    tracing::info!(repo = %repo, tag = %cut.tag, sha = %cut.head.sha, by = %at.actor.login, "released");
    let (effects, reply) = after_publish(
        &cut,
        rec.id,
        &rec.key,
        &published,
        &at.actor.login,
        ctx.clock.now_ms(),
    );
    apply(ctx, github, repo, &effects).await?;
    Ok(outcome(reply))
}
