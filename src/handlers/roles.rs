//! The roles the repository config gives people today: the release manager of the period (from
//! the calendar and the rotation) and the QA members.

use chrono::{DateTime, Utc};

use super::context::Context;
use super::error::HandlerError;
use super::permissions::Roles;
use super::release_facts::load_train;
use crate::config::repo::RepoConfig;
use crate::domain::calendar::Calendar;
use crate::domain::rotation::Rotation;
use crate::github::{GitHubPort, RepoName};

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

/// The roles in `repo` now, with the holidays file and recorded swaps applied. No usable
/// config: nobody holds a role, and the denial says how to add one.
pub async fn current_roles(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    now: DateTime<Utc>,
) -> Result<Roles, HandlerError> {
    Ok(match load_train(ctx, github, repo).await? {
        Some(train) => Roles {
            release_manager: train.manager_on(train.today(now)),
            qa_members: train.config.qa.members.clone(),
        },
        None => Roles::default(),
    })
}
