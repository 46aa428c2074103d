//! A pull request merged into the default branch gets one comment: which release it ships in
//! (date, expected version, release manager) and the repository's checklist, whose ticked boxes
//! are read back for the deployment request. Merges into other branches get nothing.
//!
//! API budget with a warm config cache: tags, one page of closed PRs (for the expected version),
//! and the comment (a lookup for relman's marker, then the post) — 4 calls. A redelivery finds
//! the comment recorded and costs nothing: the author may already have ticked boxes, which a
//! re-render would wipe. In `release.mode: pull_request` an open release PR is then rebuilt
//! (see `release_pr.rs`), and relman's own release PR is handed to it instead of a checklist.

use super::context::Context;
use super::error::HandlerError;
use super::events::PullRequestEvent;
use super::release_facts::{Train, last_release, load_train};
use super::train::CHECKLIST_KIND;
use super::train::tracking::schedule_refresh;
use crate::domain::changelog::Change;
use crate::domain::checklist::{ShipsIn, render_checklist};
use crate::domain::conventional::bump_for_changes;
use crate::domain::expedited::Kind;
use crate::domain::version::{next_version, tag_of};
use crate::github::comments::upsert_comment;
use crate::github::{GitHubPort, PullRequest, RepoName};
use crate::inbox::ProcessError;
use crate::store::releases::ReleaseState;
use crate::store::to_millis;

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
    let github: &dyn GitHubPort = &*client;
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
    let retry = |e: HandlerError| ProcessError::Retryable(e.to_string());
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
    let github: &dyn GitHubPort = &*client;
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
) -> Result<(), HandlerError> {
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
) -> Result<ShipsIn, HandlerError> {
    let key = repo.to_string();
    let now = ctx.clock.now();
    // Expedited releases are not release days.
    let releases: Vec<_> = ctx
        .store
        .releases(&key)
        .await?
        .into_iter()
        .filter(|r| r.kind == Kind::Regular)
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

    let date = day.as_ref().and_then(|d| d.date);
    Ok(ShipsIn {
        production: date.and_then(|d| {
            crate::domain::production::due_on(
                &train.calendar,
                super::production::soak(train),
                train.calendar.start_of_day(d),
            )
        }),
        date,
        version: Some(
            expected_version(
                ctx,
                github,
                repo,
                train,
                &event.pull_request.base.name,
                Some(&event.pull_request),
            )
            .await?,
        ),
        manager,
        tracking_issue,
    })
}

/// The tag the next regular release is expected to get: the last release bumped by what the
/// PRs merged since ask for (with `own`, a PR GitHub's list may not show yet). The merge time
/// of the last release relman cut bounds "since"; without one, the PRs listed.
pub(crate) async fn expected_version(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    base_branch: &str,
    own: Option<&PullRequest>,
) -> Result<String, HandlerError> {
    // Counted from the last regular release (a hotfix's tag is not where a train starts).
    let releases: Vec<_> = ctx
        .store
        .releases(&repo.to_string())
        .await?
        .into_iter()
        .filter(|r| r.kind == Kind::Regular)
        .collect();
    let versioning = &train.config.versioning;
    let last = last_release(github, repo, &versioning.tag_prefix).await?;
    let since = last.as_ref().and_then(|t| {
        releases
            .iter()
            .find(|r| r.tag.as_deref() == Some(t.tag.as_str()))
            .and_then(|r| r.released_at)
    });
    let pulls = github.list_closed_pulls(repo, base_branch, 100).await?;
    let mut merged: Vec<Change> = pulls
        .iter()
        .filter(|p| {
            p.merged_at
                .is_some_and(|at| since.is_none_or(|since| to_millis(at) > since))
                && own.is_none_or(|own| p.number != own.number)
        })
        .map(change_of)
        .collect();
    merged.extend(own.map(change_of));
    let version = next_version(
        last.as_ref().map(|t| &t.version),
        bump_for_changes(&merged, versioning),
    );
    Ok(tag_of(&version, versioning))
}

/// After an expedited release took a version, the checklists of the changes still waiting for
/// the next regular release that promised another version than it is now expected to get say
/// the new one (only that sentence changes: what the authors ticked stays). Returns how many.
pub async fn refresh_promises(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
) -> Result<usize, HandlerError> {
    let key = repo.to_string();
    let since = ctx
        .store
        .releases(&key)
        .await?
        .iter()
        .filter(|r| r.kind == Kind::Regular && r.state == ReleaseState::Released)
        .filter_map(|r| r.released_at)
        .max()
        .unwrap_or(0);
    let waiting = ctx.store.merges_since(&key, since).await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let branch = github.get_repo(repo).await?.default_branch;
    let expected = expected_version(ctx, github, repo, train, &branch, None).await?;
    let mut updated = 0;
    for number in waiting {
        let mark = crate::github::comments::marker(CHECKLIST_KIND, &number.to_string());
        let Some(id) = ctx.store.bot_comment_id(&key, number, &mark).await? else {
            continue;
        };
        let Some(comment) = github.get_comment(repo, id).await? else {
            continue;
        };
        if let Some(body) = crate::domain::checklist::repromise(&comment.body, &expected) {
            github.update_comment(repo, id, &body).await?;
            updated += 1;
        }
    }
    if updated > 0 {
        tracing::info!(repo = %repo, updated, expected = %expected, "checklists now promise the expected version");
    }
    Ok(updated)
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
