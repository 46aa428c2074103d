//! `/rotation` shows who is release manager now and next; `/rotation swap @a @b <period>`
//! (admins) records an exchange of turns, reassigning the open tracking issues it affects.

use super::error::HandlerError;
use super::invocation::{Invocation, Outcome};
use super::release_facts::load_train;
use crate::config::repo::{Period, RotationEvery};
use crate::domain::rotation::{AssignmentSource, Swap};
use crate::github::IssuePatch;
use crate::store::releases::{ReleaseState, parse_period};

/// How many hand-offs `/rotation` lists after the current period.
const SHOWN: usize = 6;

fn no_rotation() -> Outcome {
    Outcome::Refused(
        "this repository has no release-manager rotation: add `rotation` to `.github/relman.yml`."
            .into(),
    )
}

pub async fn show(at: &Invocation<'_>) -> Result<Outcome, HandlerError> {
    let Some(train) = load_train(at.ctx, at.github, at.repo).await? else {
        return Ok(no_rotation());
    };
    if train.rotation.members().is_empty() {
        return Ok(no_rotation());
    }
    let today = train.today(at.ctx.clock.now());
    let now = train
        .rotation
        .manager_on(today, &train.calendar, &train.swaps);
    let mut out = format!(
        "Release manager now: **@{}** ({}{}).\n\n| from | release manager | |\n|---|---|---|\n",
        now.manager,
        now.period,
        source_note(now.source)
    );
    for handoff in train
        .rotation
        .handoffs(today, SHOWN, &train.calendar, &train.swaps)
    {
        out.push_str(&format!(
            "| {} | @{} | {} |\n",
            handoff.starts_on.format("%a %Y-%m-%d"),
            handoff.assignment.manager,
            source_note(handoff.assignment.source).trim_start_matches(", ")
        ));
    }
    out.push_str(&format!(
        "\nMembers, in turn: {}. Admins change a turn with `/rotation swap @a @b <period>`.",
        train
            .rotation
            .members()
            .iter()
            .map(|m| format!("@{m}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(Outcome::Done(Some(out)))
}

fn source_note(source: AssignmentSource) -> &'static str {
    match source {
        AssignmentSource::Rotation => "",
        AssignmentSource::Override => ", set in the config",
        AssignmentSource::Swap => ", swapped",
    }
}

pub async fn swap(
    at: &Invocation<'_>,
    a: &str,
    b: &str,
    period: &str,
) -> Result<Outcome, HandlerError> {
    let Some(train) = load_train(at.ctx, at.github, at.repo).await? else {
        return Ok(no_rotation());
    };
    if train.rotation.members().is_empty() {
        return Ok(no_rotation());
    }
    let expected = match train.rotation.every() {
        RotationEvery::Month => "a month, `YYYY-MM`",
        RotationEvery::Release => "a scheduled release date, `YYYY-MM-DD`",
    };
    let period = match (parse_period(period), train.rotation.every()) {
        (Some(p @ Period::Month(_)), RotationEvery::Month) => p,
        (Some(Period::Release(date)), RotationEvery::Release)
            if train
                .calendar
                .release_day(train.calendar.cycle_on_or_before(date))
                .is_some_and(|d| d.scheduled == date) =>
        {
            Period::Release(date)
        }
        _ => {
            return Ok(Outcome::Refused(format!(
                "`{period}` is not a period of this rotation: it turns every {}, so name {expected}.",
                train.rotation.every().name()
            )));
        }
    };
    let before = train
        .rotation
        .assignment(period, &train.calendar, &train.swaps);
    if !before.manager.eq_ignore_ascii_case(a) && !before.manager.eq_ignore_ascii_case(b) {
        return Ok(Outcome::Refused(format!(
            "neither @{a} nor @{b} is release manager in {period} (it is @{}), so there is nothing to swap.",
            before.manager
        )));
    }
    let swap = Swap {
        period,
        a: a.to_string(),
        b: b.to_string(),
    };
    let key = at.repo.to_string();
    at.ctx
        .store
        .add_rotation_swap(
            &key,
            &swap,
            &at.actor.login,
            at.comment_id,
            at.ctx.clock.now_ms(),
        )
        .await?;
    let mut swaps = train.swaps.clone();
    swaps.push(swap);
    let after = train.rotation.assignment(period, &train.calendar, &swaps);

    // Open tracking issues of that period change hands.
    let mut reassigned = Vec::new();
    for rec in at.ctx.store.open_releases(&key).await? {
        let Some(day) = train
            .calendar
            .release_day(train.calendar.cycle_on_or_before(rec.scheduled_date))
        else {
            continue;
        };
        if train.rotation.period_of(&day) != period || rec.state != ReleaseState::Open {
            continue;
        }
        at.ctx
            .store
            .set_release_manager(rec.id, &after.manager, at.ctx.clock.now_ms())
            .await?;
        if let Some(n) = rec.issue_number {
            at.github
                .update_issue(
                    at.repo,
                    n,
                    &IssuePatch {
                        assignees: Some(vec![after.manager.clone()]),
                        ..IssuePatch::default()
                    },
                )
                .await?;
            reassigned.push(format!("#{n}"));
        }
    }
    if !reassigned.is_empty() {
        super::train::tracking::refresh_all(
            at.ctx,
            at.github,
            at.repo,
            &load_train(at.ctx, at.github, at.repo)
                .await?
                .unwrap_or(train),
        )
        .await?;
    }
    let mut message = format!(
        "@{} is release manager for {period} instead of @{}.",
        after.manager, before.manager
    );
    if !reassigned.is_empty() {
        message.push_str(&format!(" Reassigned {}.", reassigned.join(", ")));
    }
    Ok(Outcome::Done(Some(message)))
}
