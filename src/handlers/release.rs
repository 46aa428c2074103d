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

use serde::{Deserialize, Serialize};

use super::commands::{Invocation, Outcome};
use super::error::HandlerError;
use super::release_facts::{
    commit_checks, default_head, facts_for, last_release, load_train, pending_changes,
};
use super::tracking::refresh_release;
use crate::config::repo::{ReleaseMode, VersionSource};
use crate::domain::changelog::render_changelog;
use crate::domain::conventional::release_notes;
use crate::domain::requirements::{Environment, State, Verdict, all_met, evaluate};
use crate::github::comments::upsert_comment;
use crate::github::{GitHubError, GitHubPort, NewRelease, Release, RepoName};
use crate::inbox::ProcessError;
use crate::inbox::scheduler::JobSpec;
use crate::store::releases::{CutRelease, ReleaseRecord, ReleaseState};
use crate::store::work::ClaimedItem;

/// Comment "released in vX.Y.Z" on each PR of a release.
pub const ANNOUNCE_JOB: &str = "announce-release";

#[derive(Debug, Serialize, Deserialize)]
struct Announcement {
    tag: String,
    url: String,
    prs: Vec<u64>,
}

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

/// Unmet requirements as a list, each with its fix.
pub fn unmet_list(verdicts: &[Verdict]) -> String {
    verdicts
        .iter()
        .filter(|v| v.state != State::Met)
        .map(|v| {
            let mut line = format!(
                "- {} **{}**: {}",
                v.state.icon(),
                v.requirement.name(),
                v.reason
            );
            if let Some(fix) = &v.fix {
                line.push_str(&format!(" — to fix: {fix}"));
            }
            line.push('\n');
            line
        })
        .collect()
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

/// Creates the tag at `sha`; an existing tag at the same commit is a retry and fine, at another
/// commit it is the user's to sort out.
pub(crate) async fn create_tag(
    github: &dyn GitHubPort,
    repo: &RepoName,
    tag: &str,
    sha: &str,
) -> Result<Result<(), String>, HandlerError> {
    match github
        .create_ref(repo, &format!("refs/tags/{tag}"), sha)
        .await
    {
        Ok(()) => Ok(Ok(())),
        Err(GitHubError::Rejected { status: 422, .. }) => {
            match github.get_ref(repo, &format!("tags/{tag}")).await? {
                Some(existing) if existing.sha == sha => Ok(Ok(())),
                Some(existing) => Ok(Err(format!(
                    "relman did not release: the tag `{tag}` already exists at {}, not at the head {}. \
                     If it was made by mistake, delete it (`git push --delete origin {tag}`) and comment `/release` again; \
                     otherwise label a merged PR for a larger bump.",
                    &existing.sha[..existing.sha.len().min(7)],
                    &sha[..sha.len().min(7)]
                ))),
                None => Err(HandlerError::Other(format!(
                    "GitHub refused to create the tag {tag} but it does not exist"
                ))),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates the GitHub release, or finds the one a previous attempt created.
pub(crate) async fn create_release(
    github: &dyn GitHubPort,
    repo: &RepoName,
    tag: &str,
    sha: &str,
    changelog: &str,
) -> Result<Release, HandlerError> {
    let new = NewRelease {
        tag_name: tag.to_string(),
        target_commitish: sha.to_string(),
        name: tag.to_string(),
        body: changelog.to_string(),
        draft: false,
        prerelease: false,
    };
    match github.create_release(repo, &new).await {
        Ok(r) => Ok(r),
        Err(GitHubError::Rejected { status: 422, .. }) => github
            .get_release_by_tag(repo, tag)
            .await?
            .ok_or_else(|| HandlerError::Other(format!("GitHub refused the release {tag}"))),
        Err(e) => Err(e.into()),
    }
}

/// Queues the "released in" comments on `prs` as a job of their own (one per PR: many calls,
/// kept out of the command's budget).
pub(crate) async fn announce_later(
    ctx: &super::context::Context,
    repo: &RepoName,
    tag: &str,
    url: &str,
    prs: Vec<u64>,
) -> Result<(), HandlerError> {
    let key = repo.to_string();
    let installation = ctx.store.repository_installation(&key).await?;
    let Some(target) = installation else {
        tracing::warn!(repo = %key, "no installation recorded; PRs are not annotated");
        return Ok(());
    };
    let spec = JobSpec {
        name: ANNOUNCE_JOB.to_string(),
        key: format!("{key}:{tag}"),
        scheduled_for: ctx.clock.now(),
        queue_key: target.queue_key(),
        repo: Some(key.clone()),
        installation_id: Some(target.installation_id as i64),
        payload: serde_json::to_value(Announcement {
            tag: tag.to_string(),
            url: url.to_string(),
            prs,
        })
        .map_err(|e| HandlerError::Other(e.to_string()))?,
    };
    ctx.store
        .enqueue_batch(&[spec.into_item()], ctx.clock.now_ms())
        .await?;
    Ok(())
}

/// The announcement job: "released in vX.Y.Z" on each PR, once each (edited in place on retry).
pub async fn announce(
    ctx: &super::context::Context,
    item: &ClaimedItem,
) -> Result<(), ProcessError> {
    let announcement: Announcement = serde_json::from_slice(&item.payload)
        .map_err(|e| ProcessError::Permanent(format!("bad {ANNOUNCE_JOB} payload: {e}")))?;
    let (Some(repo), Some(installation)) = (&item.repo, item.installation_id) else {
        return Err(ProcessError::Permanent(format!(
            "{ANNOUNCE_JOB} job without repository or installation"
        )));
    };
    let repo: RepoName = repo
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation as u64)?;
    let body = format!(
        "🚀 Released in [{}]({}).",
        announcement.tag, announcement.url
    );
    for pr in &announcement.prs {
        upsert_comment(
            &client,
            &ctx.store,
            &repo,
            *pr,
            "released",
            &announcement.tag,
            &body,
            ctx.clock.now_ms(),
        )
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    }
    Ok(())
}
