//! The release requirements (the seed's table: tests, QA, the release manager's sign-off, not a
//! holiday), evaluated for one environment from facts gathered elsewhere. Pure: everything that
//! decides whether a release may go to staging or production goes through [`evaluate`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::calendar::Holiday;
use crate::config::repo::{QaMode, Requirement, Requirements};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Staging,
    Production,
}

impl Environment {
    pub fn name(self) -> &'static str {
        match self {
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Met,
    Unmet,
    /// Not decided yet: checks still running, nobody has signed off yet.
    Pending,
}

impl State {
    pub fn icon(self) -> &'static str {
        match self {
            State::Met => "✅",
            State::Unmet => "❌",
            State::Pending => "⏳",
        }
    }
}

/// One requirement's verdict, with why and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub requirement: Requirement,
    pub state: State,
    pub reason: String,
    pub fix: Option<String>,
}

/// A check run on the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFact {
    pub name: String,
    /// `queued`, `in_progress`, `completed`, …
    pub status: String,
    pub conclusion: Option<String>,
}

/// A commit status on the commit (latest per context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusFact {
    pub context: String,
    /// `error`, `failure`, `pending`, `success`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signoff {
    pub environment: Environment,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QaBlocker {
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// What is known about a release candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The commit the checks were read from (short form is shown).
    pub sha: String,
    pub checks: Vec<CheckFact>,
    pub statuses: Vec<StatusFact>,
    pub signoffs: Vec<Signoff>,
    pub qa_blockers: Vec<QaBlocker>,
    /// Who said `/qa ok`, if anyone.
    pub qa_ok: Option<(String, DateTime<Utc>)>,
    /// The release day's holiday, if it is one.
    pub holiday: Option<Holiday>,
    pub release_manager: Option<String>,
}

/// relman's own check runs are verdicts about releases, not tests of the code.
fn is_relmans_own(name: &str) -> bool {
    name.starts_with("relman/")
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

fn check_outcome(c: &CheckFact) -> State {
    if c.status != "completed" {
        return State::Pending;
    }
    match c.conclusion.as_deref() {
        Some("success" | "neutral" | "skipped") => State::Met,
        _ => State::Unmet,
    }
}

fn status_outcome(s: &StatusFact) -> State {
    match s.state.as_str() {
        "success" => State::Met,
        "pending" => State::Pending,
        _ => State::Unmet,
    }
}

fn tests(required: &[String], facts: &Facts) -> Verdict {
    let sha = short(&facts.sha);
    let mut outcomes: Vec<(String, State, String)> = Vec::new();
    for c in facts.checks.iter().filter(|c| !is_relmans_own(&c.name)) {
        let shown = c.conclusion.clone().unwrap_or_else(|| c.status.clone());
        outcomes.push((c.name.clone(), check_outcome(c), shown));
    }
    for s in facts
        .statuses
        .iter()
        .filter(|s| !is_relmans_own(&s.context))
    {
        outcomes.push((s.context.clone(), status_outcome(s), s.state.clone()));
    }
    let considered: Vec<&(String, State, String)> = if required.is_empty() {
        outcomes.iter().collect()
    } else {
        outcomes
            .iter()
            .filter(|(name, _, _)| required.contains(name))
            .collect()
    };
    let missing: Vec<&String> = required
        .iter()
        .filter(|r| !outcomes.iter().any(|(name, _, _)| name == *r))
        .collect();

    let failed: Vec<String> = considered
        .iter()
        .filter(|(_, state, _)| *state == State::Unmet)
        .map(|(name, _, shown)| format!("`{name}` ({shown})"))
        .collect();
    let running: Vec<String> = considered
        .iter()
        .filter(|(_, state, _)| *state == State::Pending)
        .map(|(name, _, _)| format!("`{name}`"))
        .collect();

    if !failed.is_empty() {
        return Verdict {
            requirement: Requirement::Tests,
            state: State::Unmet,
            reason: format!("failing on {sha}: {}", failed.join(", ")),
            fix: Some("fix the failures (or re-run flaky checks) and merge the fix".into()),
        };
    }
    if !running.is_empty() || !missing.is_empty() {
        let mut waiting = running;
        waiting.extend(missing.iter().map(|m| format!("`{m}` (not reported)")));
        return Verdict {
            requirement: Requirement::Tests,
            state: State::Pending,
            reason: format!("waiting on {sha} for {}", waiting.join(", ")),
            fix: None,
        };
    }
    if considered.is_empty() {
        return Verdict {
            requirement: Requirement::Tests,
            state: State::Pending,
            reason: format!("no checks have reported on {sha} yet"),
            fix: Some("if this repository has no CI, name the checks that count in `requirements.required_checks`, or drop `tests` from `requirements`".into()),
        };
    }
    Verdict {
        requirement: Requirement::Tests,
        state: State::Met,
        reason: format!(
            "{} check{} green on {sha}",
            considered.len(),
            if considered.len() == 1 { "" } else { "s" }
        ),
        fix: None,
    }
}

fn signoff(env: Environment, facts: &Facts) -> Verdict {
    let who = facts
        .release_manager
        .as_deref()
        .map_or("the release manager".to_string(), |rm| format!("@{rm}"));
    match facts.signoffs.iter().rev().find(|s| s.environment == env) {
        Some(s) => Verdict {
            requirement: Requirement::Signoff,
            state: State::Met,
            reason: format!(
                "signed off by @{} on {}",
                s.by,
                s.at.format("%Y-%m-%d %H:%M UTC")
            ),
            fix: None,
        },
        None => Verdict {
            requirement: Requirement::Signoff,
            state: State::Pending,
            reason: format!("{who} has not signed off for {}", env.name()),
            fix: Some(match env {
                Environment::Staging => format!(
                    "{who} comments `/signoff staging` when it is safe to release (a sign-off holds for the commit it was given on)"
                ),
                Environment::Production => {
                    format!("{who} comments `/signoff production` when it is safe to release")
                }
            }),
        },
    }
}

fn qa(mode: QaMode, facts: &Facts) -> Verdict {
    if !facts.qa_blockers.is_empty() {
        let list: Vec<String> = facts
            .qa_blockers
            .iter()
            .map(|b| format!("\"{}\" (@{})", b.text, b.by))
            .collect();
        return Verdict {
            requirement: Requirement::Qa,
            state: State::Unmet,
            reason: format!(
                "QA blocker{}: {}",
                if list.len() == 1 { "" } else { "s" },
                list.join("; ")
            ),
            fix: Some("fix the blocker, then QA comments `/qa clear` (or `/qa ok`)".into()),
        };
    }
    match (&facts.qa_ok, mode) {
        (Some((by, at)), _) => Verdict {
            requirement: Requirement::Qa,
            state: State::Met,
            reason: format!("QA found no blockers (@{by}, {})", at.format("%Y-%m-%d")),
            fix: None,
        },
        (None, QaMode::NoBlockers) => Verdict {
            requirement: Requirement::Qa,
            state: State::Met,
            reason: "no QA blockers reported while it soaked".into(),
            fix: None,
        },
        (None, QaMode::Explicit) => Verdict {
            requirement: Requirement::Qa,
            state: State::Pending,
            reason: "QA has not said `/qa ok` for this version yet".into(),
            fix: Some(
                "QA tests it on staging and comments `/qa ok` (or `/qa blocker <what>`)".into(),
            ),
        },
    }
}

fn not_holiday(facts: &Facts) -> Verdict {
    match &facts.holiday {
        Some(h) => Verdict {
            requirement: Requirement::NotHoliday,
            state: State::Unmet,
            reason: format!("the release day is a {h}"),
            fix: Some("release on the next business day (`holidays.on_holiday`), or `/skip <why>` this cycle".into()),
        },
        None => Verdict {
            requirement: Requirement::NotHoliday,
            state: State::Met,
            reason: "not a holiday".into(),
            fix: None,
        },
    }
}

/// Every requirement of `env`, in the order the config lists them.
pub fn evaluate(env: Environment, requirements: &Requirements, facts: &Facts) -> Vec<Verdict> {
    let list = match env {
        Environment::Staging => &requirements.staging,
        Environment::Production => &requirements.production,
    };
    list.iter()
        .map(|r| match r {
            Requirement::Tests => tests(&requirements.required_checks, facts),
            Requirement::Signoff => signoff(env, facts),
            Requirement::Qa => qa(requirements.qa_mode, facts),
            Requirement::NotHoliday => not_holiday(facts),
        })
        .collect()
}

/// Whether every verdict is met.
pub fn all_met(verdicts: &[Verdict]) -> bool {
    verdicts.iter().all(|v| v.state == State::Met)
}

/// The gate as a Markdown table, one row per requirement and environment.
pub fn render_gate(gates: &[(Environment, Vec<Verdict>)]) -> String {
    let mut out = String::from(
        "| environment | requirement | state | why | how to fix |\n|---|---|---|---|---|\n",
    );
    for (env, verdicts) in gates {
        for v in verdicts {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                env.name(),
                v.requirement.name(),
                v.state.icon(),
                v.reason.replace('|', "\\|"),
                v.fix.as_deref().unwrap_or("").replace('|', "\\|"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            sha: "0123456789abcdef".into(),
            checks: vec![CheckFact {
                name: "ci/test".into(),
                status: "completed".into(),
                conclusion: Some("success".into()),
            }],
            statuses: vec![StatusFact {
                context: "lint".into(),
                state: "success".into(),
            }],
            signoffs: vec![],
            qa_blockers: vec![],
            qa_ok: None,
            holiday: None,
            release_manager: Some("alice".into()),
        }
    }

    fn state_of(verdicts: &[Verdict], r: Requirement) -> State {
        verdicts.iter().find(|v| v.requirement == r).unwrap().state
    }

    #[test]
    fn green_checks_and_a_signoff_open_staging() {
        let mut f = facts();
        let reqs = Requirements::default();
        let v = evaluate(Environment::Staging, &reqs, &f);
        assert_eq!(state_of(&v, Requirement::Tests), State::Met);
        assert_eq!(state_of(&v, Requirement::Signoff), State::Pending);
        assert!(!all_met(&v));
        assert_eq!(
            v[1].fix.as_deref(),
            Some(
                "@alice comments `/signoff staging` when it is safe to release (a sign-off holds for the commit it was given on)"
            )
        );
        f.signoffs.push(Signoff {
            environment: Environment::Staging,
            by: "alice".into(),
            at: Utc::now(),
        });
        assert!(all_met(&evaluate(Environment::Staging, &reqs, &f)));
        // A staging sign-off is not a production one.
        assert_eq!(
            state_of(
                &evaluate(Environment::Production, &reqs, &f),
                Requirement::Signoff
            ),
            State::Pending
        );
    }

    #[test]
    fn a_red_or_running_check_holds_the_gate_and_relmans_own_checks_do_not_count() {
        let reqs = Requirements::default();
        let mut f = facts();
        f.checks.push(CheckFact {
            name: "relman/requirements".into(),
            status: "completed".into(),
            conclusion: Some("failure".into()),
        });
        assert_eq!(
            state_of(
                &evaluate(Environment::Staging, &reqs, &f),
                Requirement::Tests
            ),
            State::Met
        );
        f.checks.push(CheckFact {
            name: "e2e".into(),
            status: "in_progress".into(),
            conclusion: None,
        });
        let v = evaluate(Environment::Staging, &reqs, &f);
        assert_eq!(state_of(&v, Requirement::Tests), State::Pending);
        f.statuses.push(StatusFact {
            context: "coverage".into(),
            state: "failure".into(),
        });
        let v = evaluate(Environment::Staging, &reqs, &f);
        assert_eq!(state_of(&v, Requirement::Tests), State::Unmet);
        assert_eq!(v[0].reason, "failing on 0123456: `coverage` (failure)");
    }

    #[test]
    fn required_checks_narrow_what_counts_and_must_be_reported() {
        let reqs = Requirements {
            required_checks: vec!["ci/test".into(), "deploy-preview".into()],
            ..Requirements::default()
        };
        let mut f = facts();
        f.statuses.push(StatusFact {
            context: "flaky-optional".into(),
            state: "failure".into(),
        });
        let v = evaluate(Environment::Staging, &reqs, &f);
        assert_eq!(state_of(&v, Requirement::Tests), State::Pending);
        assert!(
            v[0].reason.contains("`deploy-preview` (not reported)"),
            "{}",
            v[0].reason
        );
        f.statuses.push(StatusFact {
            context: "deploy-preview".into(),
            state: "success".into(),
        });
        assert_eq!(
            state_of(
                &evaluate(Environment::Staging, &reqs, &f),
                Requirement::Tests
            ),
            State::Met
        );
    }

    #[test]
    fn nothing_reported_is_pending_with_a_fix() {
        let mut f = facts();
        f.checks.clear();
        f.statuses.clear();
        let v = evaluate(Environment::Staging, &Requirements::default(), &f);
        assert_eq!(state_of(&v, Requirement::Tests), State::Pending);
        assert!(v[0].fix.as_deref().unwrap().contains("required_checks"));
    }

    #[test]
    fn explicit_qa_waits_for_qa_ok_where_no_blockers_does_not() {
        let mut f = facts();
        let no_blockers = Requirements::default();
        let explicit = Requirements {
            qa_mode: QaMode::Explicit,
            ..Requirements::default()
        };
        let qa = |reqs: &Requirements, f: &Facts| {
            state_of(&evaluate(Environment::Production, reqs, f), Requirement::Qa)
        };
        assert_eq!(qa(&no_blockers, &f), State::Met);
        assert_eq!(qa(&explicit, &f), State::Pending);
        f.qa_ok = Some(("quinn".into(), Utc::now()));
        assert_eq!(qa(&explicit, &f), State::Met);
        f.qa_blockers.push(QaBlocker {
            text: "search is slow".into(),
            by: "quinn".into(),
            at: Utc::now(),
        });
        assert_eq!(qa(&explicit, &f), State::Unmet);
    }

    #[test]
    fn a_qa_blocker_only_stops_production() {
        let reqs = Requirements::default();
        let mut f = facts();
        f.qa_blockers.push(QaBlocker {
            text: "checkout broken".into(),
            by: "quinn".into(),
            at: Utc::now(),
        });
        assert!(
            evaluate(Environment::Staging, &reqs, &f)
                .iter()
                .all(|v| v.requirement != Requirement::Qa)
        );
        let v = evaluate(Environment::Production, &reqs, &f);
        assert_eq!(state_of(&v, Requirement::Qa), State::Unmet);
    }
}
