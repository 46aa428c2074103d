//! relman as a custom deployment protection rule: on `deployment_protection_rule` requested,
//! the requirements of the target environment are evaluated for the deployment's commit and
//! the run is approved or rejected with the reasons. The answer goes to
//! `POST /repos/{o}/{r}/actions/runs/{run_id}/deployment_protection_rule` of the event's own
//! repository: the run id is read from the callback URL's path, and the URL itself is never
//! followed (it could name any host). An environment relman is not configured for is approved
//! with a note.

use serde::Deserialize;

use super::context::Context;
use super::error::HandlerError;
use super::events::Common;
use super::production::tag_of_deployment;
use super::production::{candidate_facts, production_state};
use super::release_facts::{commit_checks, facts_for, load_train};
use crate::domain::production::Candidate;
use crate::domain::requirements::{Environment, State, all_met, evaluate};
use crate::github::types::null_default;
use crate::github::{GitHubPort, RepoName};
use crate::inbox::ProcessError;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProtectedDeployment {
    #[serde(default, deserialize_with = "null_default")]
    pub sha: String,
    #[serde(rename = "ref", default, deserialize_with = "null_default")]
    pub git_ref: String,
}

/// `deployment_protection_rule`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProtectionRuleEvent {
    #[serde(flatten)]
    pub common: Common,
    #[serde(default, deserialize_with = "null_default")]
    pub environment: String,
    #[serde(default, deserialize_with = "null_default")]
    pub deployment_callback_url: String,
    #[serde(default)]
    pub deployment: Option<ProtectedDeployment>,
    #[serde(default, deserialize_with = "null_default")]
    pub sha: String,
}

/// The workflow run id in a callback URL's path (`…/actions/runs/{id}/deployment_protection_rule`).
/// Pure; only the path is read.
pub fn run_id_of(callback: &str) -> Option<u64> {
    let path = match url::Url::parse(callback) {
        Ok(u) => u.path().to_string(),
        Err(_) => callback.to_string(),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let at = segments.iter().position(|s| *s == "runs")?;
    if segments.get(at + 2) != Some(&"deployment_protection_rule") {
        return None;
    }
    segments.get(at + 1)?.parse().ok()
}

pub async fn handle(ctx: &Context, event: &ProtectionRuleEvent) -> Result<(), ProcessError> {
    if event.common.action.as_deref() != Some("requested") {
        return Ok(());
    }
    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Err(ProcessError::Permanent(
            "deployment_protection_rule event without installation or repository".into(),
        ));
    };
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let Some(run_id) = run_id_of(&event.deployment_callback_url) else {
        return Err(ProcessError::Permanent(format!(
            "no workflow run id in the callback URL {:?}",
            event.deployment_callback_url
        )));
    };
    let client = ctx.github.installation(installation.id)?;
    let (approved, comment) = decide(ctx, &*client, &repo, event).await?;
    client
        .review_deployment_protection_rule(&repo, run_id, &event.environment, approved, &comment)
        .await?;
    tracing::info!(repo = %repo, environment = %event.environment, run_id, approved, "deployment protection rule answered");
    Ok(())
}

async fn decide(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    event: &ProtectionRuleEvent,
) -> Result<(bool, String), HandlerError> {
    let Some(train) = load_train(ctx, github, repo).await? else {
        return Ok((
            true,
            "relman has no usable .github/relman.yml in this repository, so it guards nothing here.".into(),
        ));
    };
    let environments = &train.config.environments;
    let env = if event.environment == environments.staging.name {
        Environment::Staging
    } else if event.environment == environments.production.name {
        Environment::Production
    } else {
        return Ok((
            true,
            format!(
                "relman guards only {} and {}; `{}` is not one of them.",
                environments.staging.name, environments.production.name, event.environment
            ),
        ));
    };
    let deployment = event.deployment.clone().unwrap_or_default();
    let sha = if deployment.sha.is_empty() {
        event.sha.clone()
    } else {
        deployment.sha.clone()
    };
    let key = repo.to_string();
    // The release being deployed: by its tag when the deployment names one, else the release
    // relman is tracking now.
    let release = match ctx.store.release_by_tag(&key, &deployment.git_ref).await? {
        Some(r) => Some(r),
        None => ctx
            .store
            .active_releases(&key, ctx.clock.now_ms() - 30 * 24 * 3600 * 1000)
            .await?
            .into_iter()
            .rev()
            .find(|r| r.sha.as_deref() == Some(sha.as_str()))
            .or(ctx.store.open_releases(&key).await?.into_iter().next()),
    };
    let short = &sha[..sha.len().min(7)];
    // Production takes a version: its own sign-offs and QA calls, and only once it soaked on
    // staging (or was requested: a hotfix, `/deploy production [now]`).
    let tag = match env {
        Environment::Production => {
            tag_of_deployment(
                github,
                repo,
                &train.config.versioning.tag_prefix,
                &deployment.git_ref,
                &sha,
            )
            .await?
        }
        Environment::Staging => None,
    };
    let verdicts = match &tag {
        Some(tag) => {
            let requested = ctx
                .store
                .deployment_request(&key, tag)
                .await?
                .is_some_and(|r| r.issue_url.is_some());
            let state = production_state(ctx, github, repo, &train).await?;
            let due = state.plan.due.as_ref().is_some_and(|c| &c.version == tag);
            if !requested && !due {
                let soaking = match (&state.plan.soaking, state.plan.soaking_due_on) {
                    (Some(c), Some(on)) if &c.version == tag => {
                        format!(" it is due on the release day {}", on.format("%a %-d %b"))
                    }
                    _ => " it is not the version that soaked on staging".to_string(),
                };
                return Ok((
                    false,
                    format!(
                        "relman: {tag} has not soaked on staging for production:{soaking}. The release manager can ask for it sooner with `/deploy production now`."
                    ),
                ));
            }
            let candidate = Candidate {
                version: tag.clone(),
                sha: Some(sha.clone()),
                on_staging_since: ctx.clock.now(),
                soaking_since: ctx.clock.now(),
            };
            match candidate_facts(ctx, github, repo, &train, &candidate).await? {
                Some(facts) => evaluate(env, &train.config.requirements, &facts),
                None => Vec::new(),
            }
        }
        None => {
            let checks = commit_checks(github, repo, &sha).await?;
            let facts = facts_for(
                ctx,
                &train,
                repo,
                release.as_ref(),
                &sha,
                checks,
                ctx.clock.now(),
            )
            .await?;
            evaluate(env, &train.config.requirements, &facts)
        }
    };
    if all_met(&verdicts) {
        return Ok((
            true,
            format!(
                "relman: every {} requirement holds for {short}.",
                env.name()
            ),
        ));
    }
    let reasons: Vec<String> = verdicts
        .iter()
        .filter(|v| v.state != State::Met)
        .map(|v| format!("{}: {}", v.requirement.name(), v.reason))
        .collect();
    Ok((
        false,
        format!(
            "relman: {} requirements not met for {short} — {}",
            env.name(),
            reasons.join("; ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_id_comes_from_the_path_whatever_the_host() {
        assert_eq!(
            run_id_of(
                "https://api.github.com/repos/acme/web/actions/runs/1234/deployment_protection_rule"
            ),
            Some(1234)
        );
        assert_eq!(
            run_id_of(
                "https://evil.example/repos/acme/web/actions/runs/99/deployment_protection_rule?x=1"
            ),
            Some(99)
        );
        assert_eq!(
            run_id_of(
                "https://api.github.com/repos/acme/web/actions/runs/abc/deployment_protection_rule"
            ),
            None
        );
        assert_eq!(
            run_id_of("https://api.github.com/repos/acme/web/actions/runs/12"),
            None
        );
        assert_eq!(run_id_of(""), None);
    }
}
