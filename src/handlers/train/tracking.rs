//! Tracking issues: one per scheduled release, opened ahead of the day (and at once on a fresh
//! install), caught up after downtime without doubling, kept current as a live dashboard, and
//! closed when the day is skipped or comes with nothing to release.
//!
//! The scheduler's `train-tick` fans out one `train` job per repository, in the repository's
//! own queue, so it runs in order with the repository's webhooks. Events that change what the
//! dashboard shows book a `tracking-refresh` job for the end of a short window: a burst of
//! merges and check results re-renders the issue once, not once per event.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::calendar::ReleaseDay;
use crate::domain::changelog::Change;
use crate::domain::effects::Stage as Ended;
use crate::domain::expedited::Kind;
use crate::domain::requirements::evaluate;
use crate::domain::requirements::{Environment, Verdict};
use crate::domain::tracking::{
    FunctionalTests, ProductionCandidate, RELEASE_LABEL, Stage, TrackingView, days_to_open,
    render_tracking, title,
};
use crate::domain::tracking_refresh::{
    Closing, Merged, Row, Write, close, decide_stage, decide_write,
};
use crate::domain::version::latest_release;
use crate::github::comments::with_marker;
use crate::github::issues::{WhenFound, find_or_create_issue};
use crate::github::{GitHubError, GitHubPort, NewIssue, RepoName};
use crate::handlers::context::Context;
use crate::handlers::effects::{apply, view};
use crate::handlers::error::HandlerError;
use crate::handlers::production::environment_version;
use crate::handlers::production::{production_gate, production_state};
use crate::handlers::release_facts::{
    Head, Pending, Train, commit_checks, default_head, facts_for, last_release, load_train,
    pending_changes,
};
use crate::inbox::scheduler::{JobSpec, Periodic};
use crate::store::StoreError;
use crate::store::releases::{
    NewRelease, ReleaseRecord, ReleaseState, TrainRepository, regular_key,
};

/// The global tick that fans out per-repository train jobs.
pub const TICK_JOB: &str = "train-tick";
/// Catch up and refresh one repository's tracking issues.
pub const TRAIN_JOB: &str = "train";
/// Re-render one repository's tracking issues after events.
pub const REFRESH_JOB: &str = "tracking-refresh";
/// How often the train runs for every repository.
pub const TICK_EVERY: Duration = Duration::from_secs(600);
/// Events within this window share one refresh.
const REFRESH_WINDOW_MS: i64 = 10_000;
/// A released tracking issue stays current this long (it follows the release to production).
const FOLLOW_RELEASED_MS: i64 = 30 * 24 * 3600 * 1000;

pub fn periodic() -> Periodic {
    Periodic {
        name: TICK_JOB,
        every: TICK_EVERY,
    }
}

/// A per-repository job, in the repository's queue.
pub fn repo_job(name: &str, repo: &TrainRepository, at: DateTime<Utc>) -> JobSpec {
    JobSpec {
        name: name.to_string(),
        key: repo.repo.clone(),
        scheduled_for: at,
        queue_key: repo.queue_key(),
        repo: Some(repo.repo.clone()),
        installation_id: Some(repo.installation_id as i64),
        payload: serde_json::Value::Null,
    }
}

/// The tick: one train job per repository relman runs the train for.
pub async fn fan_out(ctx: &Context, slot: DateTime<Utc>) -> Result<(), StoreError> {
    let repos = ctx.store.train_repositories().await?;
    let items: Vec<_> = repos
        .iter()
        .map(|r| repo_job(TRAIN_JOB, r, slot).into_item())
        .collect();
    if !items.is_empty() {
        ctx.store.enqueue_batch(&items, ctx.clock.now_ms()).await?;
    }
    Ok(())
}

/// Books a refresh of `repo`'s tracking issues at the end of the current window (one per
/// window, however many events ask).
pub async fn schedule_refresh(
    ctx: &Context,
    repo: &RepoName,
    installation_id: u64,
    repo_id: Option<u64>,
) -> Result<(), StoreError> {
    let key = repo.to_string();
    let now = ctx.clock.now_ms();
    if ctx
        .store
        .active_releases(&key, now - FOLLOW_RELEASED_MS)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let window_end = (now.div_euclid(REFRESH_WINDOW_MS) + 1) * REFRESH_WINDOW_MS;
    let at = DateTime::from_timestamp_millis(window_end).unwrap_or_else(|| ctx.clock.now());
    let target = TrainRepository {
        repo: key,
        installation_id,
        repo_id,
    };
    ctx.store
        .enqueue_batch(&[repo_job(REFRESH_JOB, &target, at).into_item()], now)
        .await?;
    Ok(())
}

/// Opens the tracking issues that are due (catching up on missed days) and refreshes the open
/// ones. Safe to run any number of times: each release day is tracked once.
pub async fn run_train(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
) -> Result<(), HandlerError> {
    let Some(train) = load_train(ctx, github, repo).await? else {
        return Ok(());
    };
    let key = repo.to_string();
    let now = ctx.clock.now();
    let last = ctx.store.last_tracked_date(&key).await?;
    for day in days_to_open(&train.calendar, now, last) {
        let manager = train.manager_for_scheduled(day.scheduled);
        let inserted = ctx
            .store
            .insert_release(
                &NewRelease {
                    repo: &key,
                    key: &regular_key(day.scheduled),
                    kind: Kind::Regular,
                    scheduled_date: day.scheduled,
                    release_date: day.date,
                    manager: manager.as_deref(),
                },
                ctx.clock.now_ms(),
            )
            .await?;
        if inserted.is_some() {
            tracing::info!(repo = %repo, day = %day.scheduled, "tracking a release day");
        }
    }
    refresh_all(ctx, github, repo, &train).await
}

/// What the open tracking issues share: read once per refresh.
pub struct Snapshot {
    pub head: Head,
    pub pending: Pending,
    pub next_version: String,
    pub next_tag: String,
    pub functional: FunctionalTests,
    pub staging: Option<String>,
    pub production: Option<String>,
    pub checks: (
        Vec<crate::domain::requirements::CheckFact>,
        Vec<crate::domain::requirements::StatusFact>,
    ),
}

/// Reads everything an open tracking issue shows.
pub async fn snapshot(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
) -> Result<Snapshot, HandlerError> {
    let head = default_head(github, repo).await?;
    let checks = commit_checks(github, repo, &head.sha).await?;
    let versioning = &train.config.versioning;
    let last = last_release(github, repo, &versioning.tag_prefix).await?;
    let pending =
        pending_changes(github, repo, &head.branch, &head.sha, last, &head.html_url).await?;
    let (_, version, next_tag) = pending.next(versioning);
    let functional = functional_tests(github, train).await?;
    let (staging, production) = running(ctx, github, repo, train).await?;
    Ok(Snapshot {
        next_tag,
        next_version: version.to_string(),
        head,
        pending,
        functional,
        staging,
        production,
        checks,
    })
}

/// What staging and production run, as shown: the release tag, else the short commit.
pub async fn running(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
) -> Result<(Option<String>, Option<String>), HandlerError> {
    let environments = &train.config.environments;
    let mut shown = Vec::with_capacity(2);
    for env in [&environments.staging, &environments.production] {
        let known = environment_version(ctx, github, repo, train, &env.name).await?;
        shown.push(known.and_then(|v| {
            v.version
                .or_else(|| v.sha.map(|s| s[..s.len().min(7)].to_string()))
        }));
    }
    let production = shown.pop().flatten();
    let staging = shown.pop().flatten();
    Ok((staging, production))
}

/// Whether the functional-test repository changed since its latest tag.
async fn functional_tests(
    github: &dyn GitHubPort,
    train: &Train,
) -> Result<FunctionalTests, HandlerError> {
    let Some(slug) = &train.config.functional_tests.repo else {
        return Ok(FunctionalTests::NotConfigured);
    };
    let name = slug.to_string();
    let Ok(repo) = name.parse::<RepoName>() else {
        return Ok(FunctionalTests::Unreadable {
            repo: name,
            why: "not a repository name".into(),
        });
    };
    let unreadable = |e: &GitHubError| FunctionalTests::Unreadable {
        repo: name.clone(),
        why: match e {
            GitHubError::NotFound { .. } => "not found, or the App is not installed on it".into(),
            other => other.to_string(),
        },
    };
    let tags = match github.list_tags(&repo, 100).await {
        Ok(tags) => tags,
        Err(e @ (GitHubError::NotFound { .. } | GitHubError::Forbidden { .. })) => {
            return Ok(unreadable(&e));
        }
        Err(e) => return Err(e.into()),
    };
    // The latest version tag, whatever the prefix; a repository tagging otherwise gets its
    // first-listed tag.
    let latest = latest_release(tags.iter().map(|t| (t.name.as_str(), t.sha.as_str())), "v")
        .or_else(|| latest_release(tags.iter().map(|t| (t.name.as_str(), t.sha.as_str())), ""))
        .map(|t| (t.tag, t.sha))
        .or_else(|| tags.first().map(|t| (t.name.clone(), t.sha.clone())));
    let Some((tag, sha)) = latest else {
        return Ok(FunctionalTests::NoTag { repo: name });
    };
    match github.compare(&repo, &sha, "HEAD").await {
        Ok(c) if c.ahead_by > 0 => Ok(FunctionalTests::Changed {
            repo: name,
            tag,
            commits: c.ahead_by,
        }),
        Ok(_) => Ok(FunctionalTests::Unchanged { repo: name, tag }),
        Err(e @ (GitHubError::NotFound { .. } | GitHubError::Forbidden { .. })) => {
            Ok(unreadable(&e))
        }
        Err(e) => Err(e.into()),
    }
}

/// The release day a record tracks, as the calendar has it now.
pub fn release_day_of(train: &Train, rec: &ReleaseRecord) -> Option<ReleaseDay> {
    train
        .calendar
        .release_day(train.calendar.cycle_on_or_before(rec.scheduled_date))
        .filter(|d| d.scheduled == rec.scheduled_date)
}

/// Re-renders every tracking issue relman keeps current in `repo`, opening those not yet open.
pub async fn refresh_all(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
) -> Result<(), HandlerError> {
    let key = repo.to_string();
    let active = ctx
        .store
        .active_releases(&key, ctx.clock.now_ms() - FOLLOW_RELEASED_MS)
        .await?;
    let mut shared: Option<Snapshot> = None;
    let mut production: Option<ProductionSide> = None;
    for rec in &active {
        let needs_snapshot = rec.state == ReleaseState::Open
            && release_day_of(train, rec).is_some_and(|d| !d.is_skipped());
        if needs_snapshot && shared.is_none() {
            shared = Some(snapshot(ctx, github, repo, train).await?);
        }
        if rec.kind == Kind::Regular && production.is_none() {
            production = Some(production_side(ctx, github, repo, train).await?);
        }
        refresh_release(
            ctx,
            github,
            repo,
            train,
            rec,
            shared.as_ref(),
            production.as_ref(),
        )
        .await?;
    }
    // The version that soaked on staging, due with its requirements met: Ops gets the request
    // (once), whether or not a release was cut this cycle.
    let decision = crate::handlers::train::deploy_request::consider(
        ctx,
        github,
        repo,
        train,
        crate::handlers::train::deploy_request::Ask::Train,
    )
    .await?;
    tracing::debug!(repo = %repo, ?decision, "deployment request");
    Ok(())
}

/// The production side every tracking issue of a repository shows alike: the version going to
/// production next, its production gate and its deployment request once filed.
pub struct ProductionSide {
    candidate: Option<(ProductionCandidate, Option<Vec<Verdict>>, Option<String>)>,
}

/// Reads the production side once per refresh.
pub async fn production_side(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
) -> Result<ProductionSide, HandlerError> {
    let state = production_state(ctx, github, repo, train).await?;
    let Some(candidate) = state.plan.next() else {
        let held = state.plan.held.map(|(version, why)| {
            let view = ProductionCandidate {
                version,
                on_staging_since: train.today(ctx.clock.now()),
                due_on: None,
                held: Some(why),
            };
            (view, None, None)
        });
        return Ok(ProductionSide { candidate: held });
    };
    let gate = production_gate(ctx, github, repo, train, candidate).await?;
    let request = ctx
        .store
        .deployment_request(&repo.to_string(), &candidate.version)
        .await?
        .and_then(|r| r.issue_url);
    let due = state.plan.due.as_ref() == Some(candidate);
    let view = ProductionCandidate {
        version: candidate.version.clone(),
        on_staging_since: candidate
            .on_staging_since
            .with_timezone(&train.calendar.timezone())
            .date_naive(),
        due_on: if due {
            state.plan.release_day.as_ref().and_then(|d| d.date)
        } else {
            state.plan.soaking_due_on
        },
        held: None,
    };
    Ok(ProductionSide {
        candidate: Some((view, gate, request)),
    })
}

/// Renders one tracking issue from the shared snapshot (and production side, read here when
/// not given) and writes it if it changed; closes it when its day is skipped or came with
/// nothing to release.
pub async fn refresh_release(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    rec: &ReleaseRecord,
    shared: Option<&Snapshot>,
    known_side: Option<&ProductionSide>,
) -> Result<(), HandlerError> {
    if rec.kind != Kind::Regular {
        return crate::handlers::train::expedited::refresh(ctx, github, repo, train, rec).await;
    }
    let now = ctx.clock.now();
    let today = train.today(now);
    let Some(day) = release_day_of(train, rec) else {
        tracing::warn!(repo = %repo, key = %rec.key, "the calendar no longer has this release day; leaving its issue as it is");
        return Ok(());
    };
    let config = &train.config;
    let row = Row {
        state: view(rec).state,
        tag: rec.tag.as_deref(),
        url: rec.release_url.as_deref(),
        reason: rec.reason.as_deref(),
    };
    let merged = shared.map(|s| Merged {
        any: !s.pending.changes.is_empty(),
        last_tag: s.pending.last.as_ref().map(|t| t.tag.as_str()),
    });
    let (stage, closing) = decide_stage(row, &day, merged, today);
    let closing = closing.map(|c| match c {
        Closing::Skipped(why) => (ReleaseState::Skipped, why),
        Closing::NoChanges(why) => (ReleaseState::NoChanges, why),
    });

    let empty: Vec<Change> = Vec::new();
    let (changes, last_tag, next_version, functional, staging, production, mut verdicts) =
        match (&stage, shared) {
            (Stage::Open | Stage::NoChanges, Some(s)) => {
                let facts = facts_for(
                    ctx,
                    train,
                    repo,
                    Some(rec),
                    &s.head.sha,
                    s.checks.clone(),
                    now,
                )
                .await?;
                (
                    &s.pending.changes,
                    s.pending.last.as_ref().map(|t| t.tag.clone()),
                    Some(s.next_tag.clone()),
                    s.functional.clone(),
                    s.staging.clone(),
                    s.production.clone(),
                    vec![(
                        Environment::Staging,
                        evaluate(Environment::Staging, &config.requirements, &facts),
                    )],
                )
            }
            (Stage::Released { .. }, _) => {
                let (staging, production) = running(ctx, github, repo, train).await?;
                (
                    &empty,
                    None,
                    rec.tag.clone(),
                    FunctionalTests::NotConfigured,
                    staging,
                    production,
                    Vec::new(),
                )
            }
            _ => (
                &empty,
                None,
                None,
                FunctionalTests::NotConfigured,
                None,
                None,
                Vec::<(Environment, Vec<Verdict>)>::new(),
            ),
        };
    // The production side: for an open release day, the version going to production next; for
    // a released one, itself until it runs in production.
    let mut candidate_view = None;
    let mut request = None;
    if !matches!(stage, Stage::Skipped { .. }) {
        let computed;
        let side = match known_side {
            Some(side) => side,
            None => {
                computed = production_side(ctx, github, repo, train).await?;
                &computed
            }
        };
        let candidate = side.candidate.as_ref().filter(|(c, ..)| match &stage {
            Stage::Released { tag, .. } => &c.version == tag,
            _ => true,
        });
        if let Some((view, gate, filed)) = candidate {
            if let Some(gate) = gate {
                verdicts.push((Environment::Production, gate.clone()));
            }
            request.clone_from(filed);
            candidate_view = Some(view.clone());
        }
    }
    let notes = crate::handlers::train::expedited::tracking_notes(ctx, repo, train, rec).await?;
    let view = TrackingView {
        deploy_request: request.as_deref(),
        day: &day,
        today,
        manager: rec.manager.as_deref(),
        stage,
        last_tag: last_tag.as_deref(),
        next_version: next_version.as_deref(),
        changes,
        functional: &functional,
        gates: &verdicts,
        staging: staging.as_deref(),
        production: production.as_deref(),
        production_candidate: candidate_view.as_ref(),
        dashboards: &config.dashboards,
        replaced_by: &notes.replacements,
        short_circuit: notes.quarter.as_ref(),
    };
    let body = with_marker("tracking", &rec.key, &render_tracking(&view));
    write_issue(ctx, github, repo, rec, &title(&day), &body, closing).await
}

/// Creates the tracking issue (finding it first if a crash lost its number), or edits it when
/// its body changed; closes it with a comment when `closing`.
async fn write_issue(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    rec: &ReleaseRecord,
    title: &str,
    body: &str,
    closing: Option<(ReleaseState, String)>,
) -> Result<(), HandlerError> {
    let now_ms = ctx.clock.now_ms();
    let write = decide_write(
        rec.id,
        rec.issue_number,
        rec.body_hash.as_deref(),
        body,
        closing.is_some(),
        now_ms,
    );
    let number = match write {
        Write::Unchanged { issue } => issue,
        Write::Edit { issue, effects } => {
            apply(ctx, github, repo, &effects).await?;
            issue
        }
        Write::Open { hash } => {
            let marker = crate::github::comments::marker("tracking", &rec.key);
            let number = find_or_create_issue(
                github,
                repo,
                &marker,
                Some(RELEASE_LABEL),
                &NewIssue {
                    title: title.to_string(),
                    body: body.to_string(),
                    labels: vec![RELEASE_LABEL.into()],
                    assignees: rec.manager.iter().cloned().collect(),
                },
                WhenFound::Refresh,
            )
            .await?
            .number;
            ctx.store
                .set_release_issue(rec.id, number, &hash, now_ms)
                .await?;
            tracing::info!(repo = %repo, issue = number, key = %rec.key, "tracking issue opened");
            number
        }
    };
    if let Some((state, reason)) = closing {
        close_tracking(ctx, github, repo, rec, number, state, &reason, None).await?;
    }
    Ok(())
}

/// Closes a tracking issue (not planned) with a comment saying why, and records why.
#[allow(clippy::too_many_arguments)]
pub async fn close_tracking(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    rec: &ReleaseRecord,
    number: u64,
    state: ReleaseState,
    reason: &str,
    by: Option<&str>,
) -> Result<(), HandlerError> {
    let ended = match state {
        ReleaseState::Open => Ended::Open,
        ReleaseState::Released => Ended::Released,
        ReleaseState::Skipped => Ended::Skipped,
        ReleaseState::NoChanges => Ended::NoChanges,
    };
    let effects = close(
        rec.id,
        &rec.key,
        number,
        ended,
        reason,
        by,
        ctx.clock.now_ms(),
    );
    apply(ctx, github, repo, &effects).await?;
    tracing::info!(repo = %repo, issue = number, key = %rec.key, state = state.as_str(), "tracking issue closed");
    Ok(())
}
