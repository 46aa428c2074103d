//! A pull request merged into the default branch gets one comment: which release it ships in
//! (date, expected version, release manager) and the repository's checklist, whose ticked boxes
//! are read back for the deployment request. Merges into other branches get nothing.
//!
//! API budget with a warm config cache: tags, one page of closed PRs (for the expected version),
//! and the comment (a lookup for relman's marker, then the post) — 4 calls. A redelivery finds
//! the comment recorded and costs nothing: the author may already have ticked boxes, which a
//! re-render would wipe. In `release.mode: pull_request` an open release PR is then rebuilt
//! (see `release_pr.rs`), and relman's own release PR is handed to it instead of a checklist.

use super::commands::CommandError;
use super::dispatch::Context;
use super::events::PullRequestEvent;
use super::release_facts::{Train, last_release, load_train};
use super::tracking::schedule_refresh;
use crate::domain::changelog::Change;
use crate::domain::checklist::{ShipsIn, render_checklist};
use crate::domain::conventional::bump_for_changes;
use crate::domain::version::{next_version, tag_of};
use crate::github::comments::upsert_comment;
use crate::github::{GitHubPort, PullRequest, RepoName};
use crate::inbox::ProcessError;
use crate::store::releases::ReleaseState;
use crate::store::to_millis;

pub const CHECKLIST_KIND: &str = "checklist";

pub async fn handle_pull_request(
    ctx: &Context,
    event: &PullRequestEvent,
) -> Result<(), ProcessError> {
    let pr = &event.pull_request;
    if event.common.action.as_deref() != Some("closed") {
        return Ok(());
    }
    // relman's own release PR, merged or not: the release is tagged or abandoned.
    if super::release_pr::recognise(pr).is_some() {
        return release_pr_closed(ctx, event).await;
    }
    if !pr.merged {
        return Ok(());
    }
    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Err(ProcessError::Permanent(
            "pull_request event without installation or repository".into(),
        ));
    };
    if pr.base.name != repository.default_branch {
        return Ok(());
    }
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation.id)?;
    let github: &dyn GitHubPort = &client;
    let key = repo.to_string();
    ctx.store
        .set_repo_installation(
            &key,
            installation.id,
            Some(repository.id),
            ctx.clock.now_ms(),
        )
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    // The register's lead times start at the merge.
    if let Some(merged_at) = pr.merged_at {
        ctx.store
            .record_merge(
                &key,
                pr.number,
                crate::store::to_millis(merged_at),
                pr.merge_commit_sha.as_deref(),
            )
            .await
            .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    }
    post_checklist(ctx, github, &repo, event)
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    // An open release PR is rebuilt to include this merge.
    if let Some(train) = load_train(ctx, github, &repo)
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?
    {
        super::release_pr::refresh_after_merge(ctx, github, &repo, &train, pr.number)
            .await
            .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    }
    schedule_refresh(ctx, &repo, installation.id, Some(repository.id))
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    Ok(())
}

/// Hands a closed release PR of relman's to [`super::release_pr::handle_closed`].
async fn release_pr_closed(ctx: &Context, event: &PullRequestEvent) -> Result<(), ProcessError> {
    let retry = |e: CommandError| ProcessError::Retryable(e.to_string());
    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Err(ProcessError::Permanent(
            "pull_request event without installation or repository".into(),
        ));
    };
    let Some((issue, version)) = super::release_pr::recognise(&event.pull_request) else {
        return Ok(());
    };
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation.id)?;
    let github: &dyn GitHubPort = &client;
    let Some(train) = load_train(ctx, github, &repo).await.map_err(retry)? else {
        return Ok(());
    };
    super::release_pr::handle_closed(ctx, github, &repo, &train, event, issue, &version)
        .await
        .map_err(retry)
}

async fn post_checklist(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    event: &PullRequestEvent,
) -> Result<(), CommandError> {
    let pr = &event.pull_request;
    let key = repo.to_string();
    let mark = crate::github::comments::marker(CHECKLIST_KIND, &pr.number.to_string());
    if ctx
        .store
        .bot_comment_id(&key, pr.number, &mark)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let Some(train) = load_train(ctx, github, repo).await? else {
        return Ok(());
    };
    let ships = ships_in(ctx, github, repo, &train, event).await?;
    let body = render_checklist(&ships, &train.config.pr_checklist);
    upsert_comment(
        github,
        &ctx.store,
        repo,
        pr.number,
        CHECKLIST_KIND,
        &pr.number.to_string(),
        &body,
        ctx.clock.now_ms(),
    )
    .await?;
    Ok(())
}

/// The release a change merged now ships in: the next release day that has not been cut yet.
async fn ships_in(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    event: &PullRequestEvent,
) -> Result<ShipsIn, CommandError> {
    let key = repo.to_string();
    let now = ctx.clock.now();
    // Expedited releases are not release days.
    let releases: Vec<_> = ctx
        .store
        .releases(&key)
        .await?
        .into_iter()
        .filter(|r| r.kind == "regular")
        .collect();
    // Today's release may already be cut (or closed): then the change waits for the next one.
    let day = train
        .calendar
        .releases_from(train.today(now))
        .take(crate::domain::calendar::MAX_CYCLES_SEARCHED)
        .filter(|d| d.date.is_some())
        .find(|d| {
            !releases
                .iter()
                .any(|r| r.scheduled_date == d.scheduled && r.state != ReleaseState::Open)
        });
    let tracking_issue = day.as_ref().and_then(|d| {
        releases
            .iter()
            .find(|r| r.scheduled_date == d.scheduled)
            .and_then(|r| r.issue_number)
    });
    let manager = day
        .as_ref()
        .and_then(|d| train.manager_for_scheduled(d.scheduled));

    // The expected version: the last release bumped by what the PRs merged since ask for. The
    // merge time of the last release relman cut bounds "since"; without one, the PRs listed.
    let versioning = &train.config.versioning;
    let last = last_release(github, repo, &versioning.tag_prefix).await?;
    let since = last.as_ref().and_then(|t| {
        releases
            .iter()
            .find(|r| r.tag.as_deref() == Some(t.tag.as_str()))
            .and_then(|r| r.released_at)
    });
    let pulls = github
        .list_closed_pulls(repo, &event.pull_request.base.name, 100)
        .await?;
    let mut merged: Vec<Change> = pulls
        .iter()
        .filter(|p| {
            p.merged_at
                .is_some_and(|at| since.is_none_or(|since| to_millis(at) > since))
                && p.number != event.pull_request.number
        })
        .map(change_of)
        .collect();
    // The event's own PR counts even if the list has not caught up with the merge yet.
    merged.push(change_of(&event.pull_request));
    let version = next_version(
        last.as_ref().map(|t| &t.version),
        bump_for_changes(&merged, versioning),
    );
    Ok(ShipsIn {
        date: day.as_ref().and_then(|d| d.date),
        version: Some(tag_of(&version, versioning)),
        manager,
        tracking_issue,
    })
}

/// What the bump is read from: title, description and labels.
fn change_of(p: &PullRequest) -> Change {
    Change {
        number: Some(p.number),
        title: p.title.clone(),
        body: p.body.clone(),
        author: None,
        labels: p.label_names().map(str::to_string).collect(),
        url: None,
        sha: String::new(),
    }
}
