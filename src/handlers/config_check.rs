//! Keeping `.github/relman.yml` honest: every push that touches it gets a `relman/config` check
//! run on its head commit (success, or failure with each error annotated on its line), on any
//! branch — so a pull request that breaks the config shows it before it merges. On the default
//! branch the new config replaces the cached one, unless it is invalid: then the last good one
//! keeps serving. Installing the App reads each repository's config once.

use serde::Deserialize;

use super::context::Context;
use super::events::Common;
use crate::config::load::{ConfigState, fetch_config};
use crate::config::repo::{CONFIG_PATH, ConfigErrors, RepoConfig, check_config_summary};
use crate::github::types::null_default;
use crate::github::{CheckAnnotation, CheckOutput, GitHubPort, NewCheckRun, RepoName};
use crate::inbox::ProcessError;

pub const CHECK_NAME: &str = crate::domain::config_report::CHECK_NAME;
/// GitHub takes at most 50 annotations per request.
const MAX_ANNOTATIONS: usize = 50;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PushCommit {
    #[serde(default, deserialize_with = "null_default")]
    pub added: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub modified: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub removed: Vec<String>,
}

/// `push`.
#[derive(Debug, Clone, Deserialize)]
pub struct PushEvent {
    #[serde(flatten)]
    pub common: Common,
    #[serde(rename = "ref", default)]
    pub git_ref: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub commits: Vec<PushCommit>,
}

impl PushEvent {
    fn touches(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.commits.iter().any(|c| {
            c.added
                .iter()
                .chain(&c.modified)
                .chain(&c.removed)
                .any(|p| pred(p))
        })
    }
}

/// The check run for a config at one commit. Pure.
pub fn config_check_run(
    head_sha: &str,
    fetched: &Option<Result<RepoConfig, ConfigErrors>>,
) -> NewCheckRun {
    let (conclusion, title, summary, annotations) = match fetched {
        None => (
            "neutral",
            "relman is not configured".to_string(),
            format!(
                "There is no `{CONFIG_PATH}` at this commit, so relman takes no action in this repository."
            ),
            Vec::new(),
        ),
        Some(Ok(config)) => (
            "success",
            "Configuration is valid".to_string(),
            check_config_summary(config),
            Vec::new(),
        ),
        Some(Err(errors)) => {
            let all = errors.errors();
            let mut summary = format!(
                "`{CONFIG_PATH}` has {} problem{}. relman keeps using the last valid configuration until it is fixed.\n\n",
                all.len(),
                if all.len() == 1 { "" } else { "s" }
            );
            for e in all {
                summary.push_str(&format!("- `{e}`\n"));
            }
            let annotations: Vec<CheckAnnotation> = all
                .iter()
                .filter(|e| e.file == CONFIG_PATH)
                .take(MAX_ANNOTATIONS)
                .map(super::config_report::annotation)
                .collect();
            (
                "failure",
                "Configuration has errors".to_string(),
                summary,
                annotations,
            )
        }
    };
    NewCheckRun {
        name: CHECK_NAME.to_string(),
        head_sha: head_sha.to_string(),
        status: "completed".into(),
        conclusion: Some(conclusion.into()),
        output: Some(CheckOutput {
            title,
            summary,
            annotations,
        }),
    }
}

fn repo_of(common: &Common) -> Result<(u64, RepoName, bool, String), ProcessError> {
    let (Some(installation), Some(repository)) = (&common.installation, &common.repository) else {
        return Err(ProcessError::Permanent(
            "event without installation or repository".into(),
        ));
    };
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    Ok((
        installation.id,
        repo,
        repository.private,
        repository.default_branch.clone(),
    ))
}

/// Where a repository lives: its installation and GitHub id (scheduled work for it runs under
/// that installation, in the queue of its webhooks).
#[derive(Debug, Clone, Copy)]
pub struct Installed {
    pub installation: u64,
    pub repo_id: Option<u64>,
}

/// Stores a valid config (with its holiday file) so the calendar feed can serve it, and where
/// the repository is installed so the release train runs for it.
pub async fn persist_config(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    private: bool,
    config: &RepoConfig,
    installed: Installed,
) -> Result<(), ProcessError> {
    let holiday_ics = match &config.holidays.ics {
        Some(path) => github.get_file(repo, path, None).await?.map(|f| f.text),
        None => None,
    };
    let json = serde_json::to_string(config).map_err(|e| ProcessError::Permanent(e.to_string()))?;
    ctx.store
        .save_repo_config(
            &repo.to_string(),
            private,
            &json,
            holiday_ics.as_deref(),
            ctx.clock.now_ms(),
        )
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    ctx.store
        .set_repo_installation(
            &repo.to_string(),
            installed.installation,
            installed.repo_id,
            ctx.clock.now_ms(),
        )
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))
}

pub async fn handle_push(ctx: &Context, event: &PushEvent) -> Result<(), ProcessError> {
    if event.deleted || event.after.bytes().all(|b| b == b'0') {
        return Ok(());
    }
    let holiday_file_changed = event.touches(|p| p.ends_with(".ics"));
    if !event.touches(|p| p == CONFIG_PATH) && !holiday_file_changed {
        return Ok(());
    }
    let (installation, repo, private, default_branch) = repo_of(&event.common)?;
    let client = ctx.github.installation(installation)?;
    let github: &dyn GitHubPort = &*client;

    let fetched = fetch_config(github, &repo, Some(&event.after)).await?;
    let on_default_branch = event.git_ref == format!("refs/heads/{default_branch}");
    if on_default_branch {
        match ctx
            .configs
            .adopt(&ctx.store, &repo, fetched.clone(), Some(&event.after))
            .await
        {
            ConfigState::Valid(config) => {
                let installed = Installed {
                    installation,
                    repo_id: event.common.repository.as_ref().map(|r| r.id),
                };
                persist_config(ctx, github, &repo, private, &config, installed).await?
            }
            ConfigState::Invalid { errors, .. } => {
                tracing::warn!(repo = %repo, errors = %errors, "pushed an invalid .github/relman.yml; keeping the last good one")
            }
            ConfigState::Missing => {}
        }
    }
    if event.touches(|p| p == CONFIG_PATH) {
        let run = config_check_run(&event.after, &fetched);
        let meanwhile = on_default_branch
            .then(|| ctx.configs.peek(&repo))
            .flatten()
            .map(|state| super::config_report::meanwhile(ctx, &repo, &state));
        super::config_report::post_check_run(github, &repo, run, &fetched, meanwhile.as_ref())
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstalledRepo {
    #[serde(default)]
    pub id: u64,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub private: bool,
}

/// `installation` (created) and `installation_repositories` (added).
#[derive(Debug, Clone, Deserialize)]
pub struct InstallationEvent {
    #[serde(flatten)]
    pub common: Common,
    #[serde(default, deserialize_with = "null_default")]
    pub repositories: Vec<InstalledRepo>,
    #[serde(default, deserialize_with = "null_default")]
    pub repositories_added: Vec<InstalledRepo>,
}

pub async fn handle_installation(
    ctx: &Context,
    event: &InstallationEvent,
) -> Result<(), ProcessError> {
    let action = event.common.action.as_deref().unwrap_or_default();
    if !matches!(
        action,
        "created" | "added" | "new_permissions_accepted" | "unsuspend"
    ) {
        return Ok(());
    }
    let Some(installation) = &event.common.installation else {
        return Err(ProcessError::Permanent(
            "installation event without installation".into(),
        ));
    };
    let client = ctx.github.installation(installation.id)?;
    let github: &dyn GitHubPort = &*client;
    for installed in event.repositories.iter().chain(&event.repositories_added) {
        let Ok(repo) = installed.full_name.parse::<RepoName>() else {
            continue;
        };
        let fetched = fetch_config(github, &repo, None).await?;
        if let ConfigState::Valid(config) =
            ctx.configs.adopt(&ctx.store, &repo, fetched, None).await
        {
            let where_ = Installed {
                installation: installation.id,
                repo_id: (installed.id != 0).then_some(installed.id),
            };
            persist_config(ctx, github, &repo, installed.private, &config, where_).await?;
            // A fresh install opens the next release's tracking issue at once.
            super::train::tracking::run_train(ctx, github, &repo)
                .await
                .map_err(ProcessError::from)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;

    #[test]
    fn errors_are_annotated_on_their_lines() {
        let fetched = Some(parse_repo_config(
            CONFIG_PATH,
            "schedule:\n  weekdy: tuesday\n",
        ));
        let run = config_check_run("abc", &fetched);
        assert_eq!(run.conclusion.as_deref(), Some("failure"));
        let output = run.output.unwrap();
        assert!(
            output
                .summary
                .contains("keeps using the last valid configuration")
        );
        let typo = output
            .annotations
            .iter()
            .find(|a| a.message.contains("weekdy"))
            .expect("the typo is annotated");
        assert_eq!((typo.path.as_str(), typo.start_line), (CONFIG_PATH, 2));
    }

    #[test]
    fn a_missing_file_is_neutral() {
        assert_eq!(
            config_check_run("abc", &None).conclusion.as_deref(),
            Some("neutral")
        );
    }
}
