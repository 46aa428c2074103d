//! The roles the repository config gives people today: the release manager of the period (from
//! the calendar and the rotation) and the QA members.

use chrono::{DateTime, Utc};

use super::commands::CommandError;
use super::permissions::Roles;
use crate::config::load::{ConfigCache, ConfigState};
use crate::config::repo::RepoConfig;
use crate::domain::calendar::Calendar;
use crate::domain::rotation::Rotation;
use crate::github::{GitHubPort, RepoName};
use crate::store::Store;

/// The roles for `now` under `config`. Pure.
pub fn roles_under(config: &RepoConfig, now: DateTime<Utc>) -> Roles {
    let calendar = Calendar::from_config(config, &[]);
    let rotation = Rotation::from_config(config, &calendar);
    let today = now.with_timezone(&calendar.timezone()).date_naive();
    let release_manager = (!rotation.members().is_empty())
        .then(|| rotation.manager_on(today, &calendar, &[]).manager);
    Roles {
        release_manager,
        qa_members: config.qa.members.clone(),
    }
}

/// The roles in `repo` now. No usable config: nobody holds a role, and the denial says how to
/// add one.
pub async fn current_roles(
    configs: &ConfigCache,
    store: &Store,
    github: &dyn GitHubPort,
    repo: &RepoName,
    now: DateTime<Utc>,
) -> Result<Roles, CommandError> {
    let state = configs.get(github, store, repo).await?;
    if let ConfigState::Invalid { errors, .. } = &state {
        tracing::warn!(repo = %repo, errors = %errors, "invalid .github/relman.yml");
    }
    Ok(state
        .usable()
        .map(|config| roles_under(config, now))
        .unwrap_or_default())
}
