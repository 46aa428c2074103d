//! An expedited release's tracking issue (hotfix, warmfix), rendered from the register and
//! written when it changed; and what a regular tracking issue shows of the register (the fixes
//! that replace its parts, the quarter's short-circuit rate).

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::domain::expedited::{
    ExpeditedStage, ExpeditedView, Pick, Progress, Replacement, expedited_title, render_expedited,
    replaced_environment,
};
use crate::domain::requirements::{Environment, evaluate};
use crate::domain::stats::QuarterRate;
use crate::domain::tracking::RELEASE_LABEL;
use crate::github::comments::{marker, with_marker};
use crate::github::issues::{WhenFound, find_or_create_issue};
use crate::github::{GitHubPort, IssuePatch, NewIssue, RepoName};
use crate::handlers::context::Context;
use crate::handlers::error::HandlerError;
use crate::handlers::release_facts::{Train, commit_checks, deployed, facts_for, load_train};
use crate::store::register::RegisterRow;
use crate::store::releases::{ReleaseRecord, ReleaseState};

/// Re-renders one expedited release's tracking issue.
pub async fn refresh_issue(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    key: &str,
) -> Result<(), HandlerError> {
    let Some(train) = load_train(ctx, github, repo).await? else {
        return Ok(());
    };
    let Some(rec) = ctx.store.release_record(&repo.to_string(), key).await? else {
        return Ok(());
    };
    refresh(ctx, github, repo, &train, &rec).await
}

/// Keeps an expedited release's tracking issue current (the train's refresh calls this for
/// every non-regular release it follows).
pub async fn refresh(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    rec: &ReleaseRecord,
) -> Result<(), HandlerError> {
    render_and_write(ctx, github, repo, train, rec, None, false)
        .await
        .map(|_| ())
}

/// The commit an expedited release is judged on: the released commit, else the branch head,
/// else the base tag's commit.
async fn candidate_sha(
    github: &dyn GitHubPort,
    repo: &RepoName,
    row: &RegisterRow,
) -> Result<Option<String>, HandlerError> {
    if let Some(sha) = &row.sha {
        return Ok(Some(sha.clone()));
    }
    if let Some(branch) = &row.branch
        && let Some(r) = github.get_ref(repo, &format!("heads/{branch}")).await?
    {
        return Ok(Some(r.sha));
    }
    match &row.base_tag {
        Some(tag) => Ok(github
            .get_ref(repo, &format!("tags/{tag}"))
            .await?
            .filter(|r| r.object_type != "tag")
            .map(|r| r.sha)),
        None => Ok(None),
    }
}

fn body_hash(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// A commit's check runs and statuses, as requirement facts.
pub type Checks = (
    Vec<crate::domain::requirements::CheckFact>,
    Vec<crate::domain::requirements::StatusFact>,
);

/// Renders the issue and creates or edits it. `known` spares the lookups when the caller has
/// the candidate commit and its checks; `fresh` says the row was just inserted (no earlier attempt can have
/// opened the issue, so no search for it). Returns the issue number.
pub async fn render_and_write(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    rec: &ReleaseRecord,
    known: Option<(&str, Checks)>,
    fresh: bool,
) -> Result<u64, HandlerError> {
    let key = repo.to_string();
    let Some(row) = ctx.store.register_row(&key, &rec.key).await? else {
        return Err(HandlerError::Other(format!(
            "no register row for {}",
            rec.key
        )));
    };
    let picks: Vec<Pick> = ctx
        .store
        .picks(&key, &row.key)
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let now = ctx.clock.now();
    let stage = match row.state {
        ReleaseState::Released => ExpeditedStage::Released {
            tag: row.tag.clone().unwrap_or_default(),
            url: row.release_url.clone().unwrap_or_default(),
        },
        ReleaseState::Open => ExpeditedStage::Open,
        ReleaseState::Skipped | ReleaseState::NoChanges => ExpeditedStage::Skipped {
            reason: row.reason.clone().unwrap_or_default(),
        },
    };
    let open_or_released = !matches!(stage, ExpeditedStage::Skipped { .. });
    let (verdicts, staging, production, progress) = if open_or_released {
        let candidate = match known {
            Some((sha, checks)) => Some((sha.to_string(), checks)),
            None => match candidate_sha(github, repo, &row).await? {
                Some(sha) => {
                    let checks = commit_checks(github, repo, &sha).await?;
                    Some((sha, checks))
                }
                None => None,
            },
        };
        let facts = match candidate {
            Some((sha, checks)) => {
                Some(facts_for(ctx, train, repo, Some(rec), &sha, checks, now).await?)
            }
            None => None,
        };
        let environments = &train.config.environments;
        let staging = deployed(github, repo, &environments.staging.name).await?;
        let production = deployed(github, repo, &environments.production.name).await?;
        let tag = row.tag.as_deref();
        let released = row.state == ReleaseState::Released;
        let progress = Progress {
            on_staging: released && (row.staged_at.is_some() || staging.as_deref() == tag),
            qa_ok: facts
                .as_ref()
                .is_some_and(|f| f.qa_ok.is_some() && f.qa_blockers.is_empty()),
            in_production: released
                && (row.production_at.is_some() || production.as_deref() == tag),
        };
        (
            facts
                .as_ref()
                // A hotfix is requested for production at once, a warmfix goes with the train:
                // either way only its staging gate is this issue's to show.
                .map(|f| {
                    vec![(
                        Environment::Staging,
                        evaluate(Environment::Staging, &train.config.requirements, f),
                    )]
                })
                .unwrap_or_default(),
            staging,
            production,
            progress,
        )
    } else {
        (Vec::new(), None, None, Progress::default())
    };
    let replacing = match (&row.replaces_key, &row.replaces_env) {
        (Some(k), Some(env)) => k
            .strip_prefix("regular:")
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .map(|scheduled| {
                let date = train
                    .calendar
                    .release_day(train.calendar.cycle_on_or_before(scheduled))
                    .and_then(|d| d.date)
                    .unwrap_or(scheduled);
                crate::domain::expedited::Replaces {
                    scheduled,
                    date,
                    environment: replaced_environment(Some(env)).unwrap_or(Environment::Staging),
                    week: row
                        .replaces_week
                        .unwrap_or_else(|| crate::domain::expedited::week_of(date)),
                }
            }),
        _ => None,
    };
    let rate = quarter(ctx, &key, train, now).await?;
    let view = ExpeditedView {
        kind: row.kind,
        tag: row.tag.as_deref().unwrap_or("?"),
        base_tag: row.base_tag.as_deref().unwrap_or("?"),
        branch: row.branch.as_deref().unwrap_or("?"),
        reason: row.reason.as_deref().unwrap_or(""),
        requested_by: row.requested_by.as_deref().unwrap_or("?"),
        origin: row.origin_issue,
        manager: row.manager.as_deref(),
        stage,
        picks: &picks,
        progress,
        gates: &verdicts,
        replaces: replacing.as_ref(),
        staging: staging.as_deref(),
        production: production.as_deref(),
        dashboards: &train.config.dashboards,
        short_circuit: Some(&rate),
    };
    let body = with_marker("tracking", &row.key, &render_expedited(&view));
    let title = expedited_title(
        row.kind,
        row.tag.as_deref().unwrap_or("?"),
        row.reason.as_deref().unwrap_or(""),
    );
    write_issue(ctx, github, repo, &row, &title, &body, fresh).await
}

/// Creates the issue (finding it first when an earlier attempt may have opened it), or edits it
/// when its body changed.
async fn write_issue(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    row: &RegisterRow,
    title: &str,
    body: &str,
    fresh: bool,
) -> Result<u64, HandlerError> {
    let now_ms = ctx.clock.now_ms();
    let hash = body_hash(body);
    let key = repo.to_string();
    let stored_hash = ctx
        .store
        .release_record(&key, &row.key)
        .await?
        .and_then(|r| r.body_hash);
    if let Some(n) = row.issue_number {
        if stored_hash.as_deref() != Some(hash.as_str()) {
            github
                .update_issue(
                    repo,
                    n,
                    &IssuePatch {
                        body: Some(body.to_string()),
                        ..IssuePatch::default()
                    },
                )
                .await?;
            ctx.store
                .set_release_body_hash(row.id, &hash, now_ms)
                .await?;
        }
        return Ok(n);
    }
    let label = row.kind.as_str().to_string();
    let new = NewIssue {
        title: title.to_string(),
        body: body.to_string(),
        labels: vec![RELEASE_LABEL.into(), label.clone()],
        assignees: row.manager.iter().cloned().collect(),
    };
    // A fresh request has nothing to find; a retry looks for the issue it may have opened.
    let number = if fresh {
        github.create_issue(repo, &new).await?.number
    } else {
        let mark = marker("tracking", &row.key);
        find_or_create_issue(github, repo, &mark, Some(&label), &new, WhenFound::Refresh)
            .await?
            .number
    };
    ctx.store
        .set_release_issue(row.id, number, &hash, now_ms)
        .await?;
    tracing::info!(repo = %repo, issue = number, key = %row.key, "expedited tracking issue opened");
    Ok(number)
}

/// The quarter's running short-circuit rate of `repo`, from the register.
async fn quarter(
    ctx: &Context,
    key: &str,
    train: &Train,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<QuarterRate, HandlerError> {
    let entries = crate::handlers::release_facts::register_entries(&ctx.store, key).await?;
    Ok(crate::domain::stats::quarter_rate(
        &entries,
        train.calendar.timezone(),
        train.today(now),
    ))
}

/// What a regular tracking issue shows of the register: the expedited releases that replace
/// its parts, and the quarter's short-circuit rate.
pub struct TrackingNotes {
    pub replacements: Vec<Replacement>,
    pub quarter: Option<QuarterRate>,
}

pub async fn tracking_notes(
    ctx: &Context,
    repo: &RepoName,
    train: &Train,
    rec: &ReleaseRecord,
) -> Result<TrackingNotes, HandlerError> {
    let key = repo.to_string();
    let replacements = ctx
        .store
        .replacements_of(&key, &rec.key)
        .await?
        .into_iter()
        .map(|r| Replacement {
            kind: r.kind,
            tag: r.tag.unwrap_or_default(),
            issue: r.issue_number,
            environment: replaced_environment(r.replaces_env.as_deref())
                .unwrap_or(Environment::Staging),
        })
        .collect();
    Ok(TrackingNotes {
        replacements,
        quarter: Some(quarter(ctx, &key, train, ctx.clock.now()).await?),
    })
}
