//! `/release status`: the requirements gate for the default branch head, right now.

use super::commands::{CommandError, Invocation, Outcome};
use super::roles::roles_under;
use crate::config::load::ConfigState;
use crate::config::repo::CONFIG_PATH;
use crate::domain::calendar::Calendar;
use crate::domain::requirements::{
    CheckFact, Environment, Facts, StatusFact, evaluate, render_gate,
};

pub async fn release_status(at: &Invocation<'_>) -> Result<Outcome, CommandError> {
    let github = at.github;
    let repo = at.repo;
    let state = at.ctx.configs.get(github, &at.ctx.store, repo).await?;
    let Some(config) = state.usable().cloned() else {
        let why = match &state {
            ConfigState::Invalid { errors, .. } => {
                format!("`{CONFIG_PATH}` has errors:\n\n```\n{errors}\n```")
            }
            _ => format!("this repository has no `{CONFIG_PATH}`"),
        };
        return Ok(Outcome::Refused(format!(
            "relman cannot evaluate the release gate: {why}\n\n`relman config-schema` prints the schema; `relman check-config FILE` checks a file."
        )));
    };
    let now = at.ctx.clock.now();
    let repository = github.get_repo(repo).await?;
    let branch = repository.default_branch;
    let head = github
        .get_ref(repo, &format!("heads/{branch}"))
        .await?
        .ok_or_else(|| CommandError::Other(format!("the default branch `{branch}` has no head")))?;
    let checks = github.check_runs(repo, &head.sha).await?;
    let combined = github.combined_status(repo, &head.sha).await?;

    let calendar = Calendar::from_config(&config, &[]);
    let today = now.with_timezone(&calendar.timezone()).date_naive();
    let roles = roles_under(&config, now);
    let facts = Facts {
        sha: head.sha.clone(),
        checks: checks
            .into_iter()
            .map(|c| CheckFact {
                name: c.name,
                status: c.status,
                conclusion: c.conclusion,
            })
            .collect(),
        statuses: combined
            .statuses
            .into_iter()
            .map(|s| StatusFact {
                context: s.context,
                state: s.state,
            })
            .collect(),
        signoffs: Vec::new(),
        qa_blockers: Vec::new(),
        qa_ok: None,
        holiday: calendar.holiday_on(today),
        release_manager: roles.release_manager.clone(),
    };
    let gates: Vec<_> = [Environment::Staging, Environment::Production]
        .into_iter()
        .map(|env| (env, evaluate(env, &config.requirements, &facts)))
        .collect();

    let next = calendar
        .next_release(now)
        .and_then(|day| day.date)
        .map_or_else(
            || "none scheduled".to_string(),
            |d| d.format("%a %Y-%m-%d").to_string(),
        );
    let manager = roles
        .release_manager
        .map_or_else(|| "nobody (no rotation)".to_string(), |rm| format!("@{rm}"));
    Ok(Outcome::Done(Some(format!(
        "Release gate for `{branch}` at {} — next release {next}, release manager {manager}.\n\n{}",
        &head.sha[..head.sha.len().min(7)],
        render_gate(&gates)
    ))))
}
