//! `/release status` decided: the reply (the requirements gate right now, or a shipped
//! release's own state) and the tracking issues rendered again. Pure: the handler gathers the
//! verdicts, the production candidate and the calendar's next day; this returns the effects and
//! the reply.

use chrono::{DateTime, NaiveDate, Utc};

use super::effects::{Effect, Reply};
use super::expedited::Kind;
use super::production::soaked_for;
use super::requirements::{Environment, Verdict, render_gate};
use crate::config::repo::CONFIG_PATH;

/// What `/release status` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFacts {
    /// The repository has no usable config; `errors` is the decoder's report when the file
    /// exists but is invalid.
    NoTrain { errors: Option<String> },
    /// The release tracked here shipped: it answers with its own state, never the next
    /// release's gate. `next` is what comes next for it (monitoring's words).
    Released {
        kind: Kind,
        tag: Option<String>,
        url: Option<String>,
        next: String,
    },
    /// The gate of what would be cut now.
    Gate(Box<GateFacts>),
}

/// The gate of the commit a release would be cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateFacts {
    /// The branch (or the tag an unbuilt fix patches) and its commit.
    pub branch: String,
    pub sha: String,
    /// Whether this is a hotfix or warmfix issue (production then is the fix itself).
    pub is_fix: bool,
    pub staging: Vec<Verdict>,
    /// The version going to production next, when one is; `gate` its requirements when known.
    pub production: Option<ProductionCandidate>,
    /// What production runs (a tag), for the line when nothing is waiting.
    pub running: Option<String>,
    pub next_release: Option<NaiveDate>,
    pub manager: Option<String>,
    /// The tracking issue of the release at hand.
    pub tracked: Option<u64>,
}

/// The version waiting for production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionCandidate {
    pub version: String,
    pub on_staging_since: DateTime<Utc>,
    pub gate: Option<Vec<Verdict>>,
}

/// The effects and the reply of `/release status`.
pub fn decide(facts: &StatusFacts, now: DateTime<Utc>) -> (Vec<Effect>, Reply) {
    match facts {
        StatusFacts::NoTrain { errors } => {
            let why = match errors {
                Some(errors) => format!("`{CONFIG_PATH}` has errors:\n\n```\n{errors}\n```"),
                None => format!("this repository has no `{CONFIG_PATH}`"),
            };
            (
                Vec::new(),
                Reply::Refused(format!(
                    "relman cannot evaluate the release gate: {why}\n\n`relman config-schema` prints the schema; `relman check-config FILE` checks a file."
                )),
            )
        }
        StatusFacts::Released {
            kind,
            tag,
            url,
            next,
        } => (
            vec![Effect::RefreshTracking],
            Reply::Done(Some(format!(
                "{} was released as [{}]({}). {next}",
                match kind {
                    Kind::Regular => "This release day's release".to_string(),
                    kind => format!("This {kind}"),
                },
                tag.as_deref().unwrap_or("?"),
                url.as_deref().unwrap_or("")
            ))),
        ),
        StatusFacts::Gate(gate) => (
            vec![Effect::RefreshTracking],
            Reply::Done(Some(gate_reply(gate, now))),
        ),
    }
}

fn gate_reply(g: &GateFacts, now: DateTime<Utc>) -> String {
    let mut verdicts = vec![(Environment::Staging, g.staging.clone())];
    // Production's requirements are about the version that soaked on staging (on a fix's issue
    // the fix itself goes to production, requested when it is cut).
    let production_line = match g.production.as_ref().filter(|_| !g.is_fix) {
        Some(candidate) => {
            if let Some(gate) = &candidate.gate {
                verdicts.push((Environment::Production, gate.clone()));
            }
            format!(
                "\n\nProduction: {} (on staging for {}).",
                candidate.version,
                soaked_for(candidate.on_staging_since, now)
            )
        }
        None if !g.is_fix => format!(
            "\n\nProduction: nothing waiting (it runs {}).",
            g.running.as_deref().unwrap_or("an unknown version")
        ),
        None => String::new(),
    };
    let next = g.next_release.map_or_else(
        || "none scheduled".to_string(),
        |d| d.format("%a %Y-%m-%d").to_string(),
    );
    let manager = g
        .manager
        .as_deref()
        .map_or_else(|| "nobody (no rotation)".to_string(), |rm| format!("@{rm}"));
    let tracked = g
        .tracked
        .map_or_else(String::new, |n| format!(" Tracked in #{n}."));
    format!(
        "Release gate for `{}` at {} — next release {next}, release manager {manager}.{tracked}{production_line}\n\n{}",
        g.branch,
        &g.sha[..g.sha.len().min(7)],
        render_gate(&verdicts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap()
    }

    fn gate() -> GateFacts {
        GateFacts {
            branch: "main".into(),
            sha: "abcdef1234567".into(),
            is_fix: false,
            staging: Vec::new(),
            production: None,
            running: Some("v1.2.0".into()),
            next_release: NaiveDate::from_ymd_opt(2026, 3, 5),
            manager: Some("alice".into()),
            tracked: Some(7),
        }
    }

    fn reply_text(reply: &Reply) -> &str {
        match reply {
            Reply::Done(Some(text)) | Reply::Refused(text) => text,
            Reply::Done(None) => "",
        }
    }

    #[test]
    fn without_a_config_it_refuses_and_refreshes_nothing() {
        let (effects, reply) = decide(&StatusFacts::NoTrain { errors: None }, now());
        assert!(effects.is_empty());
        assert!(matches!(&reply, Reply::Refused(t) if t.contains("has no `.github/relman.yml`")));
        let (_, reply) = decide(
            &StatusFacts::NoTrain {
                errors: Some("1:1 unknown key `x`".into()),
            },
            now(),
        );
        assert!(
            matches!(&reply, Reply::Refused(t) if t.contains("has errors") && t.contains("unknown key `x`"))
        );
    }

    #[test]
    fn a_shipped_release_answers_with_its_own_state() {
        let (effects, reply) = decide(
            &StatusFacts::Released {
                kind: Kind::Regular,
                tag: Some("v1.3.0".into()),
                url: Some("https://example.test/r".into()),
                next: "Production next.".into(),
            },
            now(),
        );
        assert_eq!(effects, vec![Effect::RefreshTracking]);
        assert_eq!(
            reply,
            Reply::Done(Some(
                "This release day's release was released as [v1.3.0](https://example.test/r). Production next.".into()
            ))
        );
        let (_, reply) = decide(
            &StatusFacts::Released {
                kind: Kind::Hotfix,
                tag: None,
                url: None,
                next: String::new(),
            },
            now(),
        );
        assert!(reply_text(&reply).starts_with("This hotfix was released as [?]()"));
    }

    #[test]
    fn the_gate_names_head_manager_next_day_and_what_production_runs() {
        let (effects, reply) = decide(&StatusFacts::Gate(Box::new(gate())), now());
        assert_eq!(effects, vec![Effect::RefreshTracking]);
        let text = reply_text(&reply);
        assert!(text.starts_with(
            "Release gate for `main` at abcdef1 — next release Thu 2026-03-05, release manager @alice. Tracked in #7."
        ));
        assert!(text.contains("Production: nothing waiting (it runs v1.2.0)."));
    }

    #[test]
    fn a_waiting_candidate_shows_its_soak_but_not_on_a_fix() {
        let mut g = gate();
        g.manager = None;
        g.next_release = None;
        g.production = Some(ProductionCandidate {
            version: "v1.3.0".into(),
            on_staging_since: now() - chrono::Duration::days(2),
            gate: None,
        });
        let (_, reply) = decide(&StatusFacts::Gate(Box::new(g.clone())), now());
        let text = reply_text(&reply);
        assert!(text.contains("next release none scheduled, release manager nobody (no rotation)"));
        assert!(
            text.contains("Production: v1.3.0 (on staging for 2 days)."),
            "{text}"
        );
        g.is_fix = true;
        let (_, reply) = decide(&StatusFacts::Gate(Box::new(g)), now());
        assert!(!reply_text(&reply).contains("Production:"));
    }
}
