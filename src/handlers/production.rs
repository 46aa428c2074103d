//! The production half of the train, gathered: what staging ran and when, what production runs,
//! which release days a hotfix replaced — then [`production_plan`] says which version is due.
//! Also the requirement facts of a version on its way to production: its own commit's checks
//! and what people said about *that version* (production sign-offs and QA calls are logged
//! under [`version_key`], whichever issue they were said on).

use std::collections::HashMap;

use chrono::NaiveDate;

use super::context::Context;
use super::error::HandlerError;
use super::release_facts::{Train, commit_checks, fold_log, tag_commit};
use crate::config::repo::Soak;
use crate::domain::environments::{tag_at, tag_of_ref};
use crate::domain::expedited::Kind;
use crate::domain::production::{Candidate, ProductionFacts, ProductionPlan, production_plan};
use crate::domain::requirements::{Environment, Facts, Verdict, evaluate};
use crate::github::{GitHubError, GitHubPort, RepoName};
use crate::store::environments::EnvironmentVersion;
use crate::store::releases::{ReleaseState, version_key};

/// The production half of a repository's train right now.
pub struct ProductionState {
    pub plan: ProductionPlan,
    /// What production runs (a tag), when known.
    pub running: Option<String>,
    /// What staging runs (a tag), when known.
    pub staging: Option<String>,
}

impl ProductionState {
    /// Whether production runs `tag`.
    pub fn runs(&self, tag: &str) -> bool {
        self.running.as_deref() == Some(tag)
    }
}

/// The configured soak of production.
pub fn soak(train: &Train) -> Soak {
    train
        .config
        .environments
        .production
        .soak
        .unwrap_or_default()
}

/// Reads what the plan needs (the store, and GitHub's Deployments API once on a fresh install)
/// and computes it.
pub async fn production_state(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
) -> Result<ProductionState, HandlerError> {
    let key = repo.to_string();
    let environments = &train.config.environments;
    let staging = environment_version(ctx, github, repo, train, &environments.staging.name)
        .await?
        .and_then(|v| v.version);
    let running = environment_version(ctx, github, repo, train, &environments.production.name)
        .await?
        .and_then(|v| v.version);
    let mut history = ctx
        .store
        .deployment_history(&key, &environments.staging.name)
        .await?;
    // A regular release cut ahead of its release day soaks from that day.
    let cut_for: HashMap<String, NaiveDate> = ctx
        .store
        .releases(&key)
        .await?
        .into_iter()
        .filter(|r| r.kind == Kind::Regular)
        .filter_map(|r| Some((r.tag?, r.release_date?)))
        .collect();
    for entry in &mut history {
        entry.soak_from = cut_for
            .get(&entry.version)
            .map(|day| train.calendar.start_of_day(*day));
    }
    let replaced_days = replaced_days(ctx, &key).await?;
    let lacking = lacking_fixes(ctx, &key, train, running.as_deref()).await?;
    let plan = production_plan(
        &ProductionFacts {
            calendar: &train.calendar,
            soak: soak(train),
            tag_prefix: &train.config.versioning.tag_prefix,
            staging: &history,
            production: running.as_deref(),
            replaced_days: &replaced_days,
            lacking: &lacking,
        },
        ctx.clock.now(),
    );
    Ok(ProductionState {
        plan,
        running,
        staging,
    })
}

/// The scheduled dates of the release days whose production release a hotfix replaces (one
/// asked for or released; an abandoned one replaces nothing).
async fn replaced_days(ctx: &Context, repo: &str) -> Result<Vec<NaiveDate>, HandlerError> {
    Ok(ctx
        .store
        .register(repo)
        .await?
        .into_iter()
        .filter(|r| {
            r.kind == Kind::Hotfix && matches!(r.state, ReleaseState::Open | ReleaseState::Released)
        })
        .filter(|r| {
            crate::domain::expedited::replaced_environment(r.replaces_env.as_deref())
                == Some(Environment::Production)
        })
        .filter_map(|r| r.replaces_key)
        .filter_map(|k| k.strip_prefix("regular:").and_then(|d| d.parse().ok()))
        .collect())
}

/// The released versions newer than what production runs that lack a fix it runs, with why:
/// when production runs a hotfix or warmfix, a regular release cut before its fixes merged (or
/// a fix built on something else that does not pick them) would undo it.
async fn lacking_fixes(
    ctx: &Context,
    repo: &str,
    train: &Train,
    running: Option<&str>,
) -> Result<Vec<(String, String)>, HandlerError> {
    let Some(running) = running else {
        return Ok(Vec::new());
    };
    let register = ctx.store.register(repo).await?;
    let Some(fix) = register
        .iter()
        .find(|r| r.kind != Kind::Regular && r.tag.as_deref() == Some(running))
    else {
        return Ok(Vec::new());
    };
    let picks = ctx.store.picks(repo, &fix.key).await?;
    let Some(last_merge) = picks.iter().map(|(_, at)| *at).max() else {
        return Ok(Vec::new());
    };
    let numbers: Vec<u64> = picks.iter().map(|(p, _)| p.number).collect();
    let listed = numbers
        .iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let prefix = &train.config.versioning.tag_prefix;
    let mut lacking = Vec::new();
    for r in register
        .iter()
        .filter(|r| r.state == ReleaseState::Released)
    {
        let Some(tag) = r.tag.as_deref() else {
            continue;
        };
        if !crate::domain::production::is_newer(tag, Some(running), prefix) {
            continue;
        }
        let has_it = match r.kind {
            Kind::Regular => r.released_at.is_some_and(|cut| cut >= last_merge),
            _ => {
                r.base_tag.as_deref() == Some(running) || {
                    let own: Vec<u64> = ctx
                        .store
                        .picks(repo, &r.key)
                        .await?
                        .iter()
                        .map(|(p, _)| p.number)
                        .collect();
                    numbers.iter().all(|n| own.contains(n))
                }
            }
        };
        if !has_it {
            lacking.push((
                tag.to_string(),
                format!(
                    "it was cut before {} {running}'s fixes ({listed}) merged, so it would undo them in production; the next release cut has them",
                    fix.kind
                ),
            ));
        }
    }
    Ok(lacking)
}

/// The production requirement facts of `candidate`: the checks of its commit, the production
/// sign-offs and QA calls made about it, today's holiday and release manager.
pub async fn candidate_facts(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    candidate: &Candidate,
) -> Result<Option<Facts>, HandlerError> {
    // The commit an environment reported (a `/__version__` may name a build's commit GitHub
    // does not know), else the tag's.
    let mut checks = None;
    if let Some(sha) = &candidate.sha {
        match commit_checks(github, repo, sha).await {
            Ok(found) => checks = Some((sha.clone(), found)),
            Err(HandlerError::GitHub(
                GitHubError::NotFound { .. } | GitHubError::Rejected { status: 422, .. },
            )) => {}
            Err(e) => return Err(e),
        }
    }
    let (sha, checks) = match checks {
        Some(found) => found,
        None => match tag_commit(github, repo, &candidate.version).await? {
            Some(sha) => {
                let found = commit_checks(github, repo, &sha).await?;
                (sha, found)
            }
            None => return Ok(None),
        },
    };
    let log = ctx
        .store
        .release_log(&repo.to_string(), &version_key(&candidate.version))
        .await?;
    let (signoffs, qa_blockers, qa_ok) = fold_log(&log);
    let today = train.today(ctx.clock.now());
    Ok(Some(Facts {
        sha,
        checks: checks.0,
        statuses: checks.1,
        signoffs: signoffs
            .into_iter()
            .filter(|s| s.environment == Environment::Production)
            .collect(),
        qa_blockers,
        qa_ok,
        holiday: train.calendar.holiday_on(today),
        release_manager: train.manager_on(today),
    }))
}

/// The production gate of `candidate`; None when its commit cannot be found.
pub async fn production_gate(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    candidate: &Candidate,
) -> Result<Option<Vec<Verdict>>, HandlerError> {
    Ok(candidate_facts(ctx, github, repo, train, candidate)
        .await?
        .map(|facts| evaluate(Environment::Production, &train.config.requirements, &facts)))
}

/// The release tag a deployed ref or commit is, if any: the ref itself when it is a tag under
/// the configured prefix, else a tag pointing at the commit (one tags read).
pub async fn tag_of_deployment(
    github: &dyn GitHubPort,
    repo: &RepoName,
    prefix: &str,
    git_ref: &str,
    sha: &str,
) -> Result<Option<String>, HandlerError> {
    if let Some(tag) = tag_of_ref(git_ref, prefix) {
        return Ok(Some(tag));
    }
    if sha.is_empty() {
        return Ok(None);
    }
    let tags: Vec<(String, String)> = github
        .list_tags(repo, 100)
        .await?
        .into_iter()
        .map(|t| (t.name, t.sha))
        .collect();
    Ok(tag_at(&tags, prefix, sha))
}

/// What `environment` runs: what relman recorded, else (a fresh install) the latest successful
/// deployment from the Deployments API, recorded so the API is asked once.
pub async fn environment_version(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    environment: &str,
) -> Result<Option<EnvironmentVersion>, HandlerError> {
    let key = repo.to_string();
    if let Some(known) = ctx.store.environment_version(&key, environment).await? {
        return Ok(Some(known));
    }
    let mut found = EnvironmentVersion {
        environment: environment.to_string(),
        sha: None,
        version: None,
        source: "deployments_api".into(),
        deployment_id: None,
        at: ctx.clock.now_ms(),
    };
    for deployment in github.list_deployments(repo, Some(environment), 10).await? {
        let statuses = github.deployment_statuses(repo, deployment.id).await?;
        // Statuses come newest first; the deployment counts if its latest status is success.
        if statuses.first().is_some_and(|s| s.state == "success") {
            found.version = tag_of_deployment(
                github,
                repo,
                &train.config.versioning.tag_prefix,
                &deployment.git_ref,
                &deployment.sha,
            )
            .await?;
            found.sha = Some(deployment.sha).filter(|s| !s.is_empty());
            found.deployment_id = Some(deployment.id);
            // When it reached the environment, so a version found on a fresh install has
            // soaked as long as it really ran there.
            if let Some(at) = statuses
                .first()
                .and_then(|s| s.created_at)
                .or(deployment.created_at)
            {
                found.at = at.timestamp_millis().min(found.at);
            }
            break;
        }
    }
    // Recorded even when nothing was found, so a repository that never deployed is not asked
    // on every refresh; the next deployment_status replaces it.
    ctx.store.set_environment_version(&key, &found).await?;
    Ok(Some(found))
}
