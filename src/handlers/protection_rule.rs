//! relman as a custom deployment protection rule: on `deployment_protection_rule` requested,
//! the requirements of the target environment are evaluated for the deployment's commit and
//! the run is approved or rejected with the reasons. The answer goes to
//! `POST /repos/{o}/{r}/actions/runs/{run_id}/deployment_protection_rule` of the event's own
//! repository: the run id is read from the callback URL's path, and the URL itself is never
//! followed (it could name any host). An environment relman is not configured for is approved
//! with a note.
//!
//! What the answer rests on is read step by step (each step decides whether the next is
//! needed, so a refusal costs no further calls); `domain::protection_rule` makes each decision
//! and the answer is sent as an effect.

use serde::Deserialize;

use super::context::Context;
use super::effects::apply;
use super::error::HandlerError;
use super::events::Common;
use super::production::tag_of_deployment;
use super::production::{candidate_facts, production_state};
use super::release_facts::{commit_checks, facts_for, load_train};
use crate::domain::production::Candidate;
use crate::domain::protection_rule::{guarded, review, soak_refusal, verdict};
use crate::domain::requirements::{Environment, evaluate};
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
    let answer = answer(ctx, &*client, &repo, event).await?;
    let approved = answer.0;
    let effects = [review(run_id, &event.environment, answer)];
    apply(ctx, &*client, &repo, &effects).await?;
    tracing::info!(repo = %repo, environment = %event.environment, run_id, approved, "deployment protection rule answered");
    Ok(())
}

/// Gathers what the answer rests on, in the order the decision needs it, deciding at each step
/// (`domain::protection_rule`): the guarded environment, then for production the version and
/// its soak, then the requirements' facts and their verdicts.
async fn answer(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    event: &ProtectionRuleEvent,
) -> Result<(bool, String), HandlerError> {
    let train = load_train(ctx, github, repo).await?;
    let env = match guarded(
        train.as_ref().map(|t| &t.config.environments),
        &event.environment,
    ) {
        Ok(env) => env,
        Err(note) => return Ok((true, note)),
    };
    let Some(train) = train else {
        return Ok((true, String::new()));
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
            if let Some(refusal) = soak_refusal(tag, requested, &state.plan) {
                return Ok((false, refusal));
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
    Ok(verdict(env, &sha, &verdicts))
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
