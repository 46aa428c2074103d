//! `/rotation` shows who is release manager now and next; `/rotation swap @a @b <period>`
//! (admins) records an exchange of turns, reassigning the open tracking issues it affects.
//!
//! The train and the open releases are read here, `domain::rotation_commands` decides, and
//! `effects::apply` records the swap and reassigns.

use super::effects::view;
use super::error::HandlerError;
use super::follow_up::{apply, outcome};
use super::invocation::{Invocation, Outcome};
use super::release_facts::load_train;
use crate::domain::rotation_commands::{RotationFacts, SwapRequest, decide_swap};

pub async fn show(at: &Invocation<'_>) -> Result<Outcome, HandlerError> {
    let train = load_train(at.ctx, at.github, at.repo).await?;
    let facts = train.as_ref().map(|t| RotationFacts {
        calendar: &t.calendar,
        rotation: &t.rotation,
        swaps: &t.swaps,
    });
    let today = match &train {
        Some(t) => t.today(at.ctx.clock.now()),
        None => at.ctx.clock.now().date_naive(),
    };
    Ok(outcome(crate::domain::rotation_commands::show(
        facts.as_ref(),
        today,
    )))
}

pub async fn swap(
    at: &Invocation<'_>,
    a: &str,
    b: &str,
    period: &str,
) -> Result<Outcome, HandlerError> {
    let train = load_train(at.ctx, at.github, at.repo).await?;
    let facts = train.as_ref().map(|t| RotationFacts {
        calendar: &t.calendar,
        rotation: &t.rotation,
        swaps: &t.swaps,
    });
    let open: Vec<_> = match &facts {
        Some(f) if !f.rotation.members().is_empty() => at
            .ctx
            .store
            .open_releases(&at.repo.to_string())
            .await?
            .iter()
            .map(view)
            .collect(),
        _ => Vec::new(),
    };
    let request = SwapRequest {
        a,
        b,
        period,
        by: &at.actor.login,
        comment_id: at.comment_id,
    };
    let (effects, reply) = decide_swap(facts.as_ref(), &open, &request, at.ctx.clock.now());
    apply(at.ctx, at.github, at.repo, &effects).await?;
    Ok(outcome(reply))
}
