//! `/deploy production [now]`: the release manager asks for the soaked version (or, with `now`,
//! what staging runs); on a hotfix's issue, for that hotfix. Filing itself is the train's
//! ([`super::train::deploy_request`]).

use chrono::NaiveDate;

use super::error::HandlerError;
use super::invocation::{Invocation, Outcome};
use super::production::production_state;
use super::release_facts::load_train;
use super::train::deploy_request::{Ask, Decision, consider, file_fix};
use super::train::publish::unmet_list;
use super::train::tracking::refresh_all;
use crate::domain::requirements::Environment;
use crate::store::releases::{LogKind, version_key};

/// `/deploy production [now]`: the release manager asks for the soaked version (or, with `now`,
/// for what staging runs before it soaked a cycle); on a hotfix's issue, for that hotfix. The
/// request counts as the asker's production sign-off for that version.
pub async fn deploy_production(at: &Invocation<'_>, now: bool) -> Result<Outcome, HandlerError> {
    let Some(train) = load_train(at.ctx, at.github, at.repo).await? else {
        return Ok(Outcome::Refused(
            "this repository has no usable `.github/relman.yml`.".into(),
        ));
    };
    let key = at.repo.to_string();
    // On a released hotfix's own issue: that hotfix.
    if let Some(rec) = at.ctx.store.release_by_issue(&key, at.issue_number).await?
        && rec.kind == crate::domain::expedited::Kind::Hotfix
        && let Some(row) = at.ctx.store.register_row(&key, &rec.key).await?
    {
        if row.state != crate::store::releases::ReleaseState::Released {
            return Ok(Outcome::Refused(format!(
                "{} is not cut yet: name the fixes with `/release include #N …` and comment `/release`; relman then files its deployment request at once.",
                row.tag.as_deref().unwrap_or("this hotfix")
            )));
        }
        let url = file_fix(at.ctx, at.github, at.repo, &train, &row).await?;
        return Ok(Outcome::Done(Some(format!(
            "The deployment request for hotfix {} is filed: {url}. When Ops has deployed it, relman posts the monitoring checklist here.",
            row.tag.as_deref().unwrap_or("?")
        ))));
    }
    let state = production_state(at.ctx, at.github, at.repo, &train).await?;
    if let Some(candidate) = state
        .plan
        .due
        .as_ref()
        .or(state.plan.soaking.as_ref().filter(|_| now))
    {
        at.ctx
            .store
            .append_release_log(
                &key,
                &version_key(&candidate.version),
                &at.log_entry(LogKind::Signoff, Some(Environment::Production), None),
            )
            .await?;
    }
    let ask = Ask::Explicit {
        by: &at.actor.login,
        now,
    };
    let decision = consider(at.ctx, at.github, at.repo, &train, ask).await?;
    if matches!(decision, Decision::Filed { .. }) {
        refresh_all(at.ctx, at.github, at.repo, &train).await?;
    }
    Ok(reply(&decision))
}

fn day(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// What `/deploy production` answers for a decision.
fn reply(decision: &Decision) -> Outcome {
    match decision {
        Decision::Filed {
            version,
            url,
            soaked,
        } => Outcome::Done(Some(format!(
            "Deployment request for {version}{} filed: {url}",
            soaked
                .as_ref()
                .map(|s| format!(" (on staging for {s})"))
                .unwrap_or_default()
        ))),
        Decision::AlreadyFiled { version, url } => Outcome::Done(Some(format!(
            "The deployment request for {version} is already filed: {url}"
        ))),
        Decision::NotSoaked {
            version,
            soaked,
            due_on,
        } => Outcome::Refused(format!(
            "{version} has been on staging for {soaked}, less than a whole cycle{}. To request it for production now anyway, comment `/deploy production now` (the request will say it was expedited on your request).",
            due_on
                .map(|d| format!(": it is due on the release day {}", day(d)))
                .unwrap_or_default()
        )),
        Decision::NothingDue { running, soaking } => Outcome::Refused(match soaking {
            Some((version, soaked, due_on)) => format!(
                "nothing has soaked for production yet. {version} has been on staging for {soaked}{}; `/deploy production now` requests it before that.",
                due_on
                    .map(|d| format!(" and is due on the release day {}", day(d)))
                    .unwrap_or_default()
            ),
            None => format!(
                "there is nothing to deploy: production runs {}, and staging has nothing newer. The next release cut goes to staging first.",
                running.as_deref().unwrap_or("an unknown version")
            ),
        }),
        Decision::Replaced { day: d } => Outcome::Refused(format!(
            "a hotfix replaced the production release of the release day {}; what soaked on staging goes with the next release day. `/deploy production now` requests what staging runs anyway.",
            day(*d)
        )),
        Decision::Held { version, why } => Outcome::Refused(format!(
            "no deployment request for {version}: {why}. `/deploy production now` requests what staging runs anyway."
        )),
        Decision::Unknown { version } => Outcome::Refused(format!(
            "relman cannot find the commit of {version} among the repository's latest tags: push the tag, then ask again."
        )),
        Decision::Unmet { version, verdicts } => Outcome::Refused(format!(
            "no deployment request for {version}: the production requirements are not met:\n\n{}",
            unmet_list(verdicts)
        )),
    }
}
