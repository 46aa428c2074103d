//! relman's answer to a custom deployment protection rule, decided: which environment is
//! guarded, whether a production deploy is of the version that soaked (or was requested), and
//! the requirements' verdicts as an approval or a rejection with reasons. Pure.

use super::effects::Effect;
use super::production::ProductionPlan;
use super::requirements::{Environment, State, Verdict, all_met};
use crate::config::repo::Environments;

/// Which environment a deploy goes to, or the note an environment relman does not guard (or a
/// repository without a usable config) is approved with.
pub fn guarded(
    environments: Option<&Environments>,
    environment: &str,
) -> Result<Environment, String> {
    let Some(environments) = environments else {
        return Err(
            "relman has no usable .github/relman.yml in this repository, so it guards nothing here."
                .into(),
        );
    };
    if environment == environments.staging.name {
        Ok(Environment::Staging)
    } else if environment == environments.production.name {
        Ok(Environment::Production)
    } else {
        Err(format!(
            "relman guards only {} and {}; `{environment}` is not one of them.",
            environments.staging.name, environments.production.name
        ))
    }
}

/// Why production refuses `tag` before its requirements are read: it was neither requested
/// (a hotfix, `/deploy production [now]`) nor the version due after soaking on staging.
pub fn soak_refusal(tag: &str, requested: bool, plan: &ProductionPlan) -> Option<String> {
    let due = plan.due.as_ref().is_some_and(|c| c.version == tag);
    if requested || due {
        return None;
    }
    let soaking = match (&plan.soaking, plan.soaking_due_on) {
        (Some(c), Some(on)) if c.version == tag => {
            format!(" it is due on the release day {}", on.format("%a %-d %b"))
        }
        _ => " it is not the version that soaked on staging".to_string(),
    };
    Some(format!(
        "relman: {tag} has not soaked on staging for production:{soaking}. The release manager can ask for it sooner with `/deploy production now`."
    ))
}

/// The verdicts of `env`'s requirements for commit `sha` as an approval or a rejection.
pub fn verdict(env: Environment, sha: &str, verdicts: &[Verdict]) -> (bool, String) {
    let short = &sha[..sha.len().min(7)];
    if all_met(verdicts) {
        return (
            true,
            format!(
                "relman: every {} requirement holds for {short}.",
                env.name()
            ),
        );
    }
    let reasons: Vec<String> = verdicts
        .iter()
        .filter(|v| v.state != State::Met)
        .map(|v| format!("{}: {}", v.requirement.name(), v.reason))
        .collect();
    (
        false,
        format!(
            "relman: {} requirements not met for {short} — {}",
            env.name(),
            reasons.join("; ")
        ),
    )
}

/// The answer as the effect that sends it.
pub fn review(run_id: u64, environment: &str, (approved, comment): (bool, String)) -> Effect {
    Effect::ReviewDeployment {
        run_id,
        environment: environment.to_string(),
        approved,
        comment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::{Requirement, parse_repo_config};
    use crate::domain::production::Candidate;
    use chrono::{DateTime, Utc};

    fn environments() -> Environments {
        parse_repo_config(
            "test",
            "timezone: UTC\nschedule: { every_weeks: 1, weekday: tuesday, anchor: 2026-12-01 }\nrotation: { members: [alice] }\n",
        )
        .unwrap()
        .environments
        .clone()
    }

    fn candidate(v: &str) -> Candidate {
        let at: DateTime<Utc> = "2026-12-08T10:00:00Z".parse().unwrap();
        Candidate {
            version: v.into(),
            sha: None,
            on_staging_since: at,
            soaking_since: at,
        }
    }

    fn plan(due: Option<&str>, soaking: Option<&str>) -> ProductionPlan {
        ProductionPlan {
            release_day: None,
            due: due.map(candidate),
            replaced: false,
            held: None,
            soaking: soaking.map(candidate),
            soaking_due_on: soaking.map(|_| "2026-12-15".parse().unwrap()),
            staging_now: None,
        }
    }

    #[test]
    fn only_the_configured_environments_are_guarded() {
        let envs = environments();
        assert_eq!(
            guarded(Some(&envs), &envs.staging.name),
            Ok(Environment::Staging)
        );
        assert_eq!(
            guarded(Some(&envs), &envs.production.name),
            Ok(Environment::Production)
        );
        assert!(
            guarded(Some(&envs), "preview")
                .unwrap_err()
                .contains("`preview` is not one of them")
        );
        assert!(
            guarded(None, "production")
                .unwrap_err()
                .contains("guards nothing here")
        );
    }

    #[test]
    fn production_takes_only_what_soaked_or_was_requested() {
        assert_eq!(
            soak_refusal("v1.4.0", false, &plan(Some("v1.4.0"), None)),
            None
        );
        assert_eq!(soak_refusal("v1.5.0", true, &plan(None, None)), None);
        let early = soak_refusal("v1.5.0", false, &plan(None, Some("v1.5.0"))).unwrap();
        assert!(
            early.contains("it is due on the release day Tue 15 Dec"),
            "{early}"
        );
        let other = soak_refusal("v1.6.0", false, &plan(Some("v1.5.0"), None)).unwrap();
        assert!(
            other.contains("it is not the version that soaked on staging"),
            "{other}"
        );
    }

    #[test]
    fn verdicts_become_an_approval_or_reasons() {
        assert_eq!(
            verdict(Environment::Staging, "0123456789", &[]),
            (
                true,
                "relman: every staging requirement holds for 0123456.".into()
            )
        );
        let failing = Verdict {
            requirement: Requirement::Tests,
            state: State::Unmet,
            reason: "ci failed".into(),
            fix: None,
        };
        let (approved, comment) = verdict(Environment::Production, "abc", &[failing]);
        assert!(!approved);
        assert!(
            comment.starts_with("relman: production requirements not met for abc — "),
            "{comment}"
        );
        assert!(comment.ends_with(": ci failed"), "{comment}");
        assert_eq!(
            review(5, "production", (false, "no".into())),
            Effect::ReviewDeployment {
                run_id: 5,
                environment: "production".into(),
                approved: false,
                comment: "no".into()
            }
        );
    }
}
