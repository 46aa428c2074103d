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

use super::error::HandlerError;
use super::invocation::{Invocation, Outcome};
use super::release_facts::{
    commit_checks, default_head, facts_for, last_release, load_train, pending_changes,
};
use super::train::publish::{announce_later, create_release, create_tag, unmet_list};
use super::train::tracking::refresh_release;
use crate::config::repo::{ReleaseMode, VersionSource};
use crate::domain::changelog::render_changelog;
use crate::domain::conventional::release_notes;
use crate::domain::requirements::{Environment, all_met, evaluate};
use crate::store::releases::{CutRelease, ReleaseRecord, ReleaseState};

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
    match rec.state {
        ReleaseState::Open => {}
        ReleaseState::Released => {
            return Ok(Outcome::Done(Some(format!(
                "Already released as [{}]({}); nothing more to do.",
                rec.tag.as_deref().unwrap_or("?"),
                rec.release_url.as_deref().unwrap_or("")
            ))));
        }
        ReleaseState::Skipped | ReleaseState::NoChanges => {
            return Ok(Outcome::Refused(format!(
                "relman did not release: this release day is closed ({}). The next release gets its own tracking issue.",
                rec.reason.as_deref().unwrap_or(rec.state.as_str())
            )));
        }
    }

    let now = ctx.clock.now();
    let head = default_head(github, repo).await?;
    let checks = commit_checks(github, repo, &head.sha).await?;
    let facts = facts_for(ctx, &train, repo, Some(&rec), &head.sha, checks, now).await?;
    let verdicts = evaluate(Environment::Staging, &train.config.requirements, &facts);
    if !all_met(&verdicts) {
        return Ok(Outcome::Refused(format!(
            "relman did not release: the staging requirements are not met for `{}` at {}:\n\n{}\nComment `/release` again once they are.",
            head.branch,
            &head.sha[..head.sha.len().min(7)],
            unmet_list(&verdicts)
        )));
    }

    let versioning = &train.config.versioning;
    let last = last_release(github, repo, &versioning.tag_prefix).await?;
    let pending =
        pending_changes(github, repo, &head.branch, &head.sha, last, &head.html_url).await?;
    if pending.changes.is_empty() {
        let since = pending.last.as_ref().map_or_else(
            || "the last release".to_string(),
            |t| format!("`{}`", t.tag),
        );
        return Ok(Outcome::Refused(format!(
            "relman did not release: nothing was merged since {since} — no changes, no release."
        )));
    }
    let (bump, version, tag) = pending.next(versioning);
    let changelog = match versioning.source {
        VersionSource::Labels => render_changelog(
            &pending.changes,
            &versioning.bump_labels,
            pending.compare_url.as_deref(),
        ),
        VersionSource::ConventionalCommits => {
            release_notes(&pending.changes, versioning, pending.compare_url.as_deref())
        }
    };
    if train.config.release.mode == ReleaseMode::PullRequest {
        let plan = super::release_pr::Plan {
            train: &train,
            rec: &rec,
            head: &head,
            pending: &pending,
            version: &version,
            bump,
        };
        return super::release_pr::prepare(at, &plan).await;
    }

    if let Err(refusal) = create_tag(github, repo, &tag, &head.sha).await? {
        return Ok(Outcome::Refused(refusal));
    }
    let release = create_release(github, repo, &tag, &head.sha, &changelog).await?;
    ctx.store
        .record_cut(
            rec.id,
            &CutRelease {
                version: &version.to_string(),
                tag: &tag,
                release_id: release.id,
                release_url: &release.html_url,
                sha: &head.sha,
                by: &at.actor.login,
            },
            ctx.clock.now_ms(),
        )
        .await?;
    tracing::info!(repo = %repo, tag = %tag, sha = %head.sha, by = %at.actor.login, "released");

    let key = repo.to_string();
    if let Some(cut) = ctx.store.release_record(&key, &rec.key).await? {
        refresh_release(ctx, github, repo, &train, &cut, None, None).await?;
    }
    let prs: Vec<u64> = pending.changes.iter().filter_map(|c| c.number).collect();
    if !prs.is_empty() {
        announce_later(at.ctx, at.repo, &tag, &release.html_url, prs).await?;
    }
    Ok(Outcome::Done(Some(format!(
        "Released **[{tag}]({})** from `{}` at {} ({} bump from {}). CI deploys it to staging.\n\n{changelog}",
        release.html_url,
        head.branch,
        &head.sha[..head.sha.len().min(7)],
        bump.name(),
        match versioning.source {
            VersionSource::Labels => "the merged PRs' labels",
            VersionSource::ConventionalCommits => "conventional commits",
        }
    ))))
}
