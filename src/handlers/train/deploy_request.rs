//! Filing the deployment request: on release day, one issue for Ops (in
//! `deployment_request.repo`) asking to deploy the version that soaked on staging since the
//! previous release day — once its production requirements hold, later in the cycle when they
//! only hold later (the request then says it is late and why); a hotfix's at once; the soaked
//! version, or with `now` what staging runs, when `/deploy production` asks. One request per
//! (repository, version): the version to deploy, the rollback target, every change between the
//! two with the config changes authors described in their PR checklists, QA and sign-off with
//! who and when, the dashboards. Whether to file is [`decide`]d in the domain; this gathers its
//! facts and files.

use chrono::NaiveDate;

use super::CHECKLIST_KIND;
use crate::domain::changelog::Change;
use crate::domain::checklist::read_checklist;
use crate::domain::deploy_request::{
    Facts, Next, Reason, RequestView, Standing, candidate, decide, render_request, request_title,
};
use crate::domain::production::{Candidate, soaked_for};
use crate::domain::requirements::{Environment, all_met, evaluate};
use crate::github::comments::{marker, upsert_comment};
use crate::github::issues::{WhenFound, find_or_create_issue};
use crate::github::{GitHubPort, NewIssue, RepoName};
use crate::handlers::context::Context;
use crate::handlers::error::HandlerError;
use crate::handlers::production::{ProductionState, candidate_facts, production_state};
use crate::handlers::release_facts::{Train, changes_of, fold_log, tag_commit};
use crate::store::register::RegisterRow;
use crate::store::releases::{LogKind, regular_key, version_key};

pub use crate::domain::deploy_request::{Ask, Decision};

fn request_marker(repo: &RepoName, version: &str) -> String {
    marker("deploy-request", &format!("{repo}@{version}"))
}

/// Files the deployment request of the version due for production (or, asked by hand, the one
/// soaking) when its production requirements hold: gathers the facts, [`decide`]s, files.
pub async fn consider(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    ask: Ask<'_>,
) -> Result<Decision, HandlerError> {
    let state = production_state(ctx, github, repo, train).await?;
    let now = ctx.clock.now();
    let key = repo.to_string();
    // The facts of the version a request would be for, cheapest first: a request filed before
    // spares the checks.
    let mut standing = None;
    let mut sha = None;
    let mut log = Vec::new();
    if let Some((candidate, _)) = candidate(&state.plan, ask) {
        let version = &candidate.version;
        let filed = ctx
            .store
            .deployment_request(&key, version)
            .await?
            .and_then(|r| r.issue_url);
        standing = Some(match filed {
            Some(url) => Standing::Filed(url),
            None => match candidate_facts(ctx, github, repo, train, candidate).await? {
                None => Standing::Unknown,
                Some(facts) => {
                    let verdicts =
                        evaluate(Environment::Production, &train.config.requirements, &facts);
                    if all_met(&verdicts) {
                        log = ctx.store.release_log(&key, &version_key(version)).await?;
                    }
                    sha = Some(facts.sha);
                    Standing::Judged(verdicts)
                }
            },
        });
    }
    let said: Vec<(&str, &str, chrono::DateTime<chrono::Utc>)> = log
        .iter()
        .filter_map(|e| {
            let what = match (e.entry, e.environment) {
                (LogKind::Signoff, Some(Environment::Production)) => "the production sign-off",
                (LogKind::QaOk, _) => "QA's `/qa ok`",
                (LogKind::QaClear, _) => "QA clearing its blockers",
                _ => return None,
            };
            Some((what, e.actor.as_str(), crate::store::from_millis(e.at)))
        })
        .collect();
    let next = decide(&Facts {
        plan: &state.plan,
        running: state.running.as_deref(),
        ask,
        now,
        today: train.today(now),
        calendar: &train.calendar,
        standing,
        said: &said,
    });
    let (to_file, Some(sha)) = (
        match next {
            Next::Answer(decision) => return Ok(decision),
            Next::File(to_file) => to_file,
        },
        sha,
    ) else {
        return Err(HandlerError::Other(
            "a request to file without its commit".into(),
        ));
    };
    let url = file(
        ctx,
        github,
        repo,
        train,
        &state,
        &Filing {
            candidate: &to_file.candidate,
            sha: &sha,
            reason: to_file.reason,
            requested_by: to_file.requested_by.as_deref(),
            release_day: to_file.release_day,
        },
    )
    .await?;
    Ok(Decision::Filed {
        version: to_file.candidate.version,
        url,
        soaked: Some(to_file.soaked),
    })
}

/// Files the request of a released hotfix at once, whatever staging runs: the process's
/// "time sensitive releases". Returns its URL (the one filed before, on a retry).
pub async fn file_fix(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    row: &RegisterRow,
) -> Result<String, HandlerError> {
    let (Some(tag), Some(sha)) = (row.tag.clone(), row.sha.clone()) else {
        return Err(HandlerError::Other(format!(
            "{} is not cut, so it cannot be requested",
            row.key
        )));
    };
    let key = repo.to_string();
    if let Some(url) = ctx
        .store
        .deployment_request(&key, &tag)
        .await?
        .and_then(|r| r.issue_url)
    {
        return Ok(url);
    }
    let state = production_state(ctx, github, repo, train).await?;
    let since = row
        .staged_at
        .map_or_else(|| ctx.clock.now(), crate::store::from_millis);
    let candidate = Candidate {
        version: tag,
        sha: Some(sha.clone()),
        on_staging_since: since,
        soaking_since: since,
    };
    file(
        ctx,
        github,
        repo,
        train,
        &state,
        &Filing {
            candidate: &candidate,
            sha: &sha,
            reason: Reason::Fix {
                kind: row.kind.as_str().to_string(),
                why: row.reason.clone(),
            },
            requested_by: row.released_by.as_deref(),
            release_day: None,
        },
    )
    .await
}

/// One request to file.
struct Filing<'a> {
    candidate: &'a Candidate,
    sha: &'a str,
    reason: Reason,
    requested_by: Option<&'a str>,
    /// The scheduled date of the release day it is for, whose tracking issue hears of it.
    release_day: Option<NaiveDate>,
}

/// Claims the request in the store, opens the issue in the Ops repository (found again by its
/// marker after a crash) and says so on the tracking issues. Returns the issue's URL.
async fn file(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    state: &ProductionState,
    filing: &Filing<'_>,
) -> Result<String, HandlerError> {
    let config = &train.config;
    let key = repo.to_string();
    let version = filing.candidate.version.as_str();
    let target: RepoName = match &config.deployment_request.repo {
        Some(slug) => slug
            .to_string()
            .parse()
            .map_err(|e| HandlerError::Other(format!("{e}")))?,
        None => repo.clone(),
    };
    ctx.store
        .claim_deployment_request(
            &key,
            version,
            &target.to_string(),
            filing.requested_by,
            ctx.clock.now_ms(),
        )
        .await?;

    let repository = github.get_repo(repo).await?;
    let html = repository.html_url.clone();
    // The changes between production and the candidate, and what their authors said needs a
    // config change.
    let production_sha = match &state.running {
        Some(running) => tag_commit(github, repo, running).await?,
        None => None,
    };
    let changes = match &production_sha {
        Some(base) => {
            let commits = github.compare(repo, base, filing.sha).await?.commits;
            let pulls = github
                .list_closed_pulls(repo, &repository.default_branch, 100)
                .await?;
            let merged: Vec<_> = pulls.iter().filter(|p| p.merged_at.is_some()).collect();
            Some(changes_of(&commits, &merged))
        }
        None => None,
    };
    let config_changes = match &changes {
        Some(changes) => config_changes(ctx, github, repo, train, changes).await?,
        None => Vec::new(),
    };
    let log = ctx.store.release_log(&key, &version_key(version)).await?;
    let (signoffs, blockers, qa_ok) = fold_log(&log);
    // One line per person: their latest production sign-off.
    let mut signoffs: Vec<_> = signoffs
        .into_iter()
        .rev()
        .filter(|s| s.environment == Environment::Production)
        .collect();
    let mut seen = std::collections::HashSet::new();
    signoffs.retain(|s| seen.insert(s.by.clone()));
    signoffs.reverse();
    let own = ctx.store.release_by_tag(&key, version).await?;
    let day_issue = match filing.release_day {
        Some(day) => ctx
            .store
            .release_record(&key, &regular_key(day))
            .await?
            .and_then(|r| r.issue_number),
        None => None,
    };
    let tracking_issues: Vec<u64> = day_issue
        .into_iter()
        .chain(own.as_ref().and_then(|r| r.issue_number))
        .fold(Vec::new(), |mut all, n| {
            if !all.contains(&n) {
                all.push(n);
            }
            all
        });
    let now = ctx.clock.now();
    let view = RequestView {
        repo: &key,
        version,
        sha: filing.sha,
        environment: &config.environments.production.name,
        production: state.running.as_deref(),
        reason: filing.reason.clone(),
        on_staging: Some((
            filing.candidate.on_staging_since,
            soaked_for(filing.candidate.on_staging_since, now),
        ))
        .filter(|_| !matches!(filing.reason, Reason::Fix { .. })),
        requested_by: filing.requested_by,
        tracking: tracking_issues
            .first()
            .map(|n| format!("{html}/issues/{n}")),
        release_url: Some(
            own.as_ref()
                .and_then(|r| r.release_url.clone())
                .unwrap_or_else(|| format!("{html}/releases/tag/{version}")),
        ),
        compare_url: state
            .running
            .as_ref()
            .map(|running| format!("{html}/compare/{running}...{version}")),
        changes: changes.as_deref(),
        config_changes: &config_changes,
        qa_ok,
        qa_blockers: blockers.len(),
        signoffs: &signoffs,
        dashboards: &config.dashboards,
    };
    let body = format!(
        "{}\n{}",
        request_marker(repo, version),
        render_request(&view)
    );
    let request = &config.deployment_request;
    let issue = find_or_create_issue(
        github,
        &target,
        &request_marker(repo, version),
        request.labels.first().map(String::as_str),
        &NewIssue {
            title: request_title(&view),
            body,
            labels: request.labels.clone(),
            assignees: request.assignees.clone(),
        },
        WhenFound::Keep,
    )
    .await?;
    let url = if issue.html_url.is_empty() {
        format!("{target}#{}", issue.number)
    } else {
        issue.html_url.clone()
    };
    ctx.store
        .set_deployment_request_issue(&key, version, issue.number, &url)
        .await?;
    tracing::info!(repo = %repo, version = %version, request = %url, "deployment request filed");
    for tracking in tracking_issues {
        upsert_comment(
            github,
            &ctx.store,
            repo,
            tracking,
            "deploy-request",
            version,
            &format!("📦 Deployment request for **{version}** to production filed for Ops — {url}"),
            ctx.clock.now_ms(),
        )
        .await?;
    }
    Ok(url)
}

/// The changes whose authors ticked the config-change item of their checklist, with what they
/// wrote under it. One read per PR that has relman's checklist.
async fn config_changes(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    changes: &[Change],
) -> Result<Vec<(Change, String)>, HandlerError> {
    let items = &train.config.pr_checklist;
    // The item that asks about config: the one that says so, else the first.
    let Some(index) = items
        .iter()
        .position(|i| i.to_ascii_lowercase().contains("config"))
        .or((!items.is_empty()).then_some(0))
    else {
        return Ok(Vec::new());
    };
    let key = repo.to_string();
    let mut out = Vec::new();
    for change in changes {
        let Some(number) = change.number else {
            continue;
        };
        let mark = marker(CHECKLIST_KIND, &number.to_string());
        let Some(id) = ctx.store.bot_comment_id(&key, number, &mark).await? else {
            continue;
        };
        let Some(comment) = github.get_comment(repo, id).await? else {
            continue;
        };
        let ticked = read_checklist(&comment.body, items);
        if let Some(item) = ticked.get(index).filter(|t| t.checked) {
            out.push((change.clone(), item.notes.clone()));
        }
    }
    Ok(out)
}
