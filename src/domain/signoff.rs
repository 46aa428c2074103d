//! `/signoff [staging|production]`, `/qa ok|blocker|clear` and `/skip <why>` decided: which
//! release or version each is about, what goes into its log, and the reply. Pure: the handler
//! gathers the facts (the release the command is about, the default branch head, the
//! production plan), these functions return the effects and the reply.
//!
//! A staging sign-off belongs to the release this issue cuts; a production sign-off and QA
//! calls belong to the version going to production — never carried over to another version.

use chrono::{DateTime, NaiveDate, Utc};

use super::effects::{Effect, LogNote, ReleaseView, Reply, Stage};
use super::expedited::Kind;
use super::production::{ProductionPlan, soaked_for};
use super::requirements::Environment;

/// The log key of what is said about a version on its way to production.
pub fn version_key(tag: &str) -> String {
    format!("version:{tag}")
}

/// Who said it, where, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub actor: String,
    pub comment_id: u64,
    pub at: DateTime<Utc>,
}

impl Said {
    fn log(
        &self,
        release_key: String,
        note: LogNote,
        environment: Option<Environment>,
        text: Option<String>,
    ) -> Effect {
        Effect::AppendLog {
            release_key,
            note,
            environment,
            text,
            actor: self.actor.clone(),
            comment_id: self.comment_id,
            at_ms: self.at.timestamp_millis(),
        }
    }
}

/// What a production sign-off or QA call reads.
pub enum ProductionFacts {
    /// The repository has no usable config.
    NoTrain,
    Known {
        /// The release tracked on the issue the command was given on.
        own: Option<ReleaseView>,
        /// What production runs (a tag).
        running: Option<String>,
        plan: Box<ProductionPlan>,
    },
}

/// The version a production sign-off or QA call is about, and how the reply describes it; or
/// why there is none. On a released release's own issue, that release; elsewhere the version
/// going to production next (the one due, else the one soaking on staging).
pub fn production_target(
    facts: &ProductionFacts,
    now: DateTime<Utc>,
) -> Result<(String, String), String> {
    let ProductionFacts::Known { own, running, plan } = facts else {
        return Err("this repository has no usable `.github/relman.yml`.".into());
    };
    if let Some(rec) = own
        && let Some(tag) = rec.tag.clone()
    {
        if running.as_deref() == Some(tag.as_str()) {
            return Err(format!(
                "{tag} is in production already: for a problem there, open a hotfix with `/hotfix <what is wrong>`."
            ));
        }
        if rec.kind != Kind::Regular {
            return Ok((tag.clone(), format!("{tag}, this {}", rec.kind)));
        }
        if rec.state == Stage::Released {
            return Ok((tag.clone(), format!("{tag} ({})", rec.name())));
        }
    }
    match (&plan.due, &plan.soaking) {
        (Some(due), _) => Ok((
            due.version.clone(),
            format!(
                "{}, the version due for production (on staging for {})",
                due.version,
                soaked_for(due.on_staging_since, now)
            ),
        )),
        (None, Some(soaking)) => Ok((
            soaking.version.clone(),
            format!(
                "{}, the version soaking on staging for production{}",
                soaking.version,
                plan.soaking_due_on
                    .map(|d| format!(" on {}", day(d)))
                    .unwrap_or_default()
            ),
        )),
        (None, None) => Err(format!(
            "nothing is waiting for production: it runs {}, and staging has nothing newer. The next release cut goes to staging first.",
            running.as_deref().unwrap_or("an unknown version")
        )),
    }
}

fn day(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// The default branch a staging sign-off is given at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingHead {
    pub branch: String,
    pub sha: String,
    /// The version the release is expected to get, when the config is usable.
    pub version: Option<String>,
}

/// What a staging sign-off reads: the release the command is about and, when it is an open
/// regular release, the head it would be cut from.
pub struct StagingFacts {
    pub target: Option<ReleaseView>,
    pub head: Option<StagingHead>,
}

/// Whether a staging sign-off needs the default branch head (read only then).
pub fn staging_needs_head(target: Option<&ReleaseView>) -> bool {
    target.is_some_and(|r| r.state == Stage::Open && r.kind == Kind::Regular)
}

/// `/signoff`: `staging` and `production` are the facts of the environments asked for (both
/// when none was named). Recorded, then the tracking issues are rendered again.
pub fn decide_signoff(
    staging: Option<&StagingFacts>,
    production: Option<&ProductionFacts>,
    said: &Said,
    now: DateTime<Utc>,
) -> (Vec<Effect>, Reply) {
    let mut effects = Vec::new();
    let mut done = Vec::new();
    let mut not_done = Vec::new();
    if let Some(staging) = staging {
        match (&staging.target, &staging.head) {
            (Some(rec), Some(head)) if staging_needs_head(Some(rec)) => {
                // A staging sign-off is for the commit it was given on: a merge after it asks
                // for a new one.
                effects.push(said.log(
                    rec.key.clone(),
                    LogNote::Signoff,
                    Some(Environment::Staging),
                    Some(head.sha.clone()),
                ));
                done.push(format!(
                    "staging for {}to be cut here from `{}` at {} ({})",
                    head.version
                        .as_ref()
                        .map(|v| format!("{v}, "))
                        .unwrap_or_default(),
                    head.branch,
                    &head.sha[..head.sha.len().min(7)],
                    rec.name()
                ));
            }
            (Some(rec), _) if rec.state == Stage::Open => {
                effects.push(said.log(
                    rec.key.clone(),
                    LogNote::Signoff,
                    Some(Environment::Staging),
                    None,
                ));
                done.push(format!("staging for {}", rec.name()));
            }
            (Some(rec), _) => not_done.push(format!(
                "staging: {} is {} already; a staging sign-off is for a release still to be cut",
                rec.name(),
                rec.state.words()
            )),
            (None, _) => not_done.push("staging: no release is open to be cut".to_string()),
        }
    }
    if let Some(production) = production {
        match production_target(production, now) {
            Ok((version, described)) => {
                effects.push(said.log(
                    version_key(&version),
                    LogNote::Signoff,
                    Some(Environment::Production),
                    None,
                ));
                done.push(format!("production for {described}"));
            }
            Err(why) => not_done.push(format!("production: {why}")),
        }
    }
    if effects.is_empty() {
        return (
            effects,
            Reply::Refused(format!(
                "relman recorded no sign-off:\n\n{}",
                not_done
                    .iter()
                    .map(|w| format!("- {w}\n"))
                    .collect::<String>()
            )),
        );
    }
    effects.push(Effect::RefreshTracking);
    let mut reply = format!("Signed off {}.", done.join(", and "));
    for why in &not_done {
        reply.push_str(&format!(
            "\n\nNot signed off for {}.",
            why.trim_end_matches('.')
        ));
    }
    (effects, Reply::Done(Some(reply)))
}

/// What QA says about the version going to production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QaCall {
    Ok,
    Blocker(String),
    Clear,
}

/// `/qa ok|blocker|clear`: recorded for the version going to production, then the tracking
/// issues are rendered again.
pub fn decide_qa(
    production: &ProductionFacts,
    call: &QaCall,
    said: &Said,
    now: DateTime<Utc>,
) -> (Vec<Effect>, Reply) {
    let (version, described) = match production_target(production, now) {
        Ok(target) => target,
        Err(why) => {
            return (
                Vec::new(),
                Reply::Refused(format!("relman recorded no QA call: {why}")),
            );
        }
    };
    let (note, text, message) = match call {
        QaCall::Ok => (
            LogNote::QaOk,
            None,
            format!(
                "QA: no blockers for {described}; production may proceed as far as QA is concerned."
            ),
        ),
        QaCall::Blocker(text) => (
            LogNote::QaBlocker,
            Some(text.clone()),
            format!(
                "QA blocker recorded for {described}: \"{text}\". It does not go to production until `/qa clear` or `/qa ok`."
            ),
        ),
        QaCall::Clear => (
            LogNote::QaClear,
            None,
            format!("QA blockers cleared for {described}."),
        ),
    };
    (
        vec![
            said.log(version_key(&version), note, None, text),
            Effect::RefreshTracking,
        ],
        Reply::Done(Some(message)),
    )
}

/// The refusal when no release is there to record a command on.
pub fn no_release() -> Reply {
    Reply::Refused(
        "there is no release in progress to record this on: relman opens a tracking issue ahead of each release day (and at once after installation)."
            .into(),
    )
}

/// `/skip <why>`: an open release's tracking issue closes as skipped. `next_step` is what comes
/// next for a released one (read only for a released target).
pub fn decide_skip(
    target: Option<&ReleaseView>,
    next_step: Option<&str>,
    reason: &str,
    by: &str,
) -> (Vec<Effect>, Reply) {
    let Some(rec) = target else {
        return (Vec::new(), no_release());
    };
    if rec.state == Stage::Released {
        return (
            Vec::new(),
            Reply::Refused(format!(
                "{} is released already, so there is nothing to skip. {}",
                rec.name(),
                next_step.unwrap_or_default()
            )),
        );
    }
    if rec.state != Stage::Open {
        return (
            Vec::new(),
            Reply::Refused(format!(
                "{} is {} already, so there is nothing to skip.",
                rec.name(),
                rec.state.words()
            )),
        );
    }
    let Some(issue) = rec.issue_number else {
        return (Vec::new(), no_release());
    };
    (
        vec![Effect::SkipRelease {
            release_id: rec.id,
            issue,
            reason: reason.to_string(),
            by: by.to_string(),
        }],
        Reply::Done(Some(format!(
            "Skipped {}: {reason}. The next release day gets its own tracking issue.",
            rec.name()
        ))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::production::Candidate;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn said() -> Said {
        Said {
            actor: "alice".into(),
            comment_id: 5,
            at: at("2026-12-08T09:00:00Z"),
        }
    }

    fn release(state: Stage, kind: Kind, tag: Option<&str>) -> ReleaseView {
        ReleaseView {
            id: 1,
            key: "regular:2026-12-08".into(),
            kind,
            scheduled_date: "2026-12-08".parse().unwrap(),
            release_date: None,
            issue_number: Some(12),
            state,
            manager: Some("alice".into()),
            tag: tag.map(str::to_string),
            released_at: None,
        }
    }

    fn plan(due: Option<&str>, soaking: Option<&str>) -> ProductionPlan {
        let candidate = |v: &str| Candidate {
            version: v.into(),
            sha: None,
            on_staging_since: at("2026-12-01T09:00:00Z"),
            soaking_since: at("2026-12-01T09:00:00Z"),
        };
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

    fn logged(effects: &[Effect]) -> Vec<(String, LogNote, Option<Environment>)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::AppendLog {
                    release_key,
                    note,
                    environment,
                    ..
                } => Some((release_key.clone(), *note, *environment)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_staging_signoff_is_for_the_head_it_was_given_at() {
        let staging = StagingFacts {
            target: Some(release(Stage::Open, Kind::Regular, None)),
            head: Some(StagingHead {
                branch: "main".into(),
                sha: "0123456789".into(),
                version: Some("v1.5.0".into()),
            }),
        };
        let (effects, reply) = decide_signoff(Some(&staging), None, &said(), said().at);
        assert_eq!(
            logged(&effects),
            [(
                "regular:2026-12-08".into(),
                LogNote::Signoff,
                Some(Environment::Staging)
            )]
        );
        assert!(matches!(
            &effects[0],
            Effect::AppendLog { text: Some(sha), .. } if sha == "0123456789"
        ));
        assert_eq!(effects.last(), Some(&Effect::RefreshTracking));
        assert_eq!(
            reply,
            Reply::Done(Some(
                "Signed off staging for v1.5.0, to be cut here from `main` at 0123456 (the release of 2026-12-08 (#12))."
                    .into()
            ))
        );
    }

    #[test]
    fn both_environments_record_what_they_can_and_say_what_they_could_not() {
        let staging = StagingFacts {
            target: Some(release(Stage::Released, Kind::Regular, Some("v1.4.0"))),
            head: None,
        };
        let production = ProductionFacts::Known {
            own: None,
            running: Some("v1.3.0".into()),
            plan: Box::new(plan(Some("v1.4.0"), None)),
        };
        let (effects, reply) =
            decide_signoff(Some(&staging), Some(&production), &said(), said().at);
        assert_eq!(
            logged(&effects),
            [(
                "version:v1.4.0".into(),
                LogNote::Signoff,
                Some(Environment::Production)
            )]
        );
        let Reply::Done(Some(text)) = reply else {
            panic!("{reply:?}")
        };
        assert!(text.starts_with("Signed off production for v1.4.0, the version due for production (on staging for 7 days)"), "{text}");
        assert!(
            text.contains(
                "Not signed off for staging: the release of 2026-12-08 (#12) is released already"
            ),
            "{text}"
        );
    }

    #[test]
    fn nothing_to_sign_off_records_nothing() {
        let staging = StagingFacts {
            target: None,
            head: None,
        };
        let (effects, reply) = decide_signoff(
            Some(&staging),
            Some(&ProductionFacts::NoTrain),
            &said(),
            said().at,
        );
        assert!(effects.is_empty());
        assert_eq!(
            reply,
            Reply::Refused("relman recorded no sign-off:\n\n- staging: no release is open to be cut\n- production: this repository has no usable `.github/relman.yml`.\n".into())
        );
    }

    #[test]
    fn production_is_never_signed_off_for_what_runs_there_already() {
        let facts = ProductionFacts::Known {
            own: Some(release(Stage::Released, Kind::Regular, Some("v1.4.0"))),
            running: Some("v1.4.0".into()),
            plan: Box::new(plan(None, Some("v1.5.0"))),
        };
        let why = production_target(&facts, said().at).unwrap_err();
        assert!(why.starts_with("v1.4.0 is in production already"), "{why}");
        // A hotfix's own issue: that version, whatever the plan says.
        let facts = ProductionFacts::Known {
            own: Some(release(Stage::Released, Kind::Hotfix, Some("v1.4.1"))),
            running: Some("v1.4.0".into()),
            plan: Box::new(plan(None, None)),
        };
        assert_eq!(
            production_target(&facts, said().at).unwrap(),
            ("v1.4.1".into(), "v1.4.1, this hotfix".into())
        );
    }

    #[test]
    fn qa_is_about_the_version_soaking_when_none_is_due() {
        let production = ProductionFacts::Known {
            own: None,
            running: Some("v1.3.0".into()),
            plan: Box::new(plan(None, Some("v1.4.0"))),
        };
        let (effects, reply) = decide_qa(
            &production,
            &QaCall::Blocker("login broken".into()),
            &said(),
            said().at,
        );
        assert_eq!(
            logged(&effects),
            [("version:v1.4.0".into(), LogNote::QaBlocker, None)]
        );
        assert_eq!(
            reply,
            Reply::Done(Some("QA blocker recorded for v1.4.0, the version soaking on staging for production on Tue 15 Dec: \"login broken\". It does not go to production until `/qa clear` or `/qa ok`.".into()))
        );
        let nothing = ProductionFacts::Known {
            own: None,
            running: None,
            plan: Box::new(plan(None, None)),
        };
        let (effects, reply) = decide_qa(&nothing, &QaCall::Ok, &said(), said().at);
        assert!(effects.is_empty());
        assert!(matches!(reply, Reply::Refused(r) if r.contains("runs an unknown version")));
    }

    #[test]
    fn only_an_open_release_is_skipped() {
        let open = release(Stage::Open, Kind::Regular, None);
        let (effects, reply) = decide_skip(Some(&open), None, "freeze", "alice");
        assert_eq!(
            effects,
            [Effect::SkipRelease {
                release_id: 1,
                issue: 12,
                reason: "freeze".into(),
                by: "alice".into()
            }]
        );
        assert!(
            matches!(reply, Reply::Done(Some(t)) if t.starts_with("Skipped the release of 2026-12-08 (#12): freeze."))
        );

        let released = release(Stage::Released, Kind::Regular, Some("v1.4.0"));
        let (effects, reply) = decide_skip(Some(&released), Some("It runs."), "x", "alice");
        assert!(effects.is_empty());
        assert!(matches!(reply, Reply::Refused(t) if t.ends_with("nothing to skip. It runs.")));

        let skipped = release(Stage::Skipped, Kind::Regular, None);
        let (effects, _) = decide_skip(Some(&skipped), None, "x", "alice");
        assert!(effects.is_empty());
        assert_eq!(decide_skip(None, None, "x", "a").1, no_release());
    }
}
