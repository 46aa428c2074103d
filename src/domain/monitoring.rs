//! After production, decided: when a release reaches production its deployment request is
//! marked deployed and told, the tracking issue gets the monitoring checklist and a reminder is
//! booked for the end of the watch window; `/release healthy` records the confirmation and
//! closes the tracking issue; and what comes next for a released release, in a sentence. Pure.

use chrono::{DateTime, Duration, Utc};

use super::effects::{Effect, LogNote, ReleaseView, Reply, Stage};
use super::expedited::Kind;
use super::production::ProductionPlan;
use super::requirements::Environment;
use crate::config::repo::Dashboard;

/// What the after-production decision reads.
pub struct Arrival<'a> {
    pub tag: &'a str,
    /// The deployment request of the version: the Ops repository (`owner/name`, when it is a
    /// valid one) and its issue.
    pub request: Option<(Option<String>, Option<u64>)>,
    /// The release relman tracks under that tag.
    pub release: Option<&'a ReleaseView>,
    pub watch_hours: u32,
    pub dashboards: &'a [Dashboard],
    /// Where the repository's scheduled work is queued: (queue key, installation).
    pub queue: Option<(String, u64)>,
}

/// The monitoring checklist on the tracking issue.
pub fn monitoring_body(
    tag: &str,
    hours: u32,
    dashboards: &[Dashboard],
    manager: Option<&str>,
) -> String {
    let mut body = format!(
        "🚀 **{tag} is in production.** Watch it for the next {hours} hours:\n\n\
         - [ ] error rates and latency are at their usual level\n\
         - [ ] no new alerts\n\
         - [ ] the changes in this release behave as expected\n"
    );
    if !dashboards.is_empty() {
        body.push_str("\nDashboards:\n\n");
        for d in dashboards {
            body.push_str(&format!("- [{}]({})\n", d.name, d.url));
        }
    }
    let manager = manager.unwrap_or("release manager");
    body.push_str(&format!(
        "\n@{manager}: when it has run {hours} hours without trouble, comment `/release healthy` to close this issue.\n"
    ));
    body
}

/// `tag` reached production at `now`.
pub fn after_production(arrival: &Arrival<'_>, now: DateTime<Utc>) -> Vec<Effect> {
    let tag = arrival.tag;
    let now_ms = now.timestamp_millis();
    let mut effects = Vec::new();
    if let Some((target, issue)) = &arrival.request {
        effects.push(Effect::MarkRequestDeployed {
            tag: tag.to_string(),
            at_ms: now_ms,
        });
        if let (Some(target), Some(issue)) = (target, issue) {
            effects.push(Effect::UpsertComment {
                repo: Some(target.clone()),
                issue: *issue,
                kind: "deployed".into(),
                key: tag.to_string(),
                body: format!("✅ {tag} is running in production."),
            });
        }
    }
    let Some((rec, issue)) = arrival
        .release
        .and_then(|r| r.issue_number.map(|issue| (r, issue)))
    else {
        return effects;
    };
    let hours = arrival.watch_hours;
    effects.push(Effect::UpsertComment {
        repo: None,
        issue,
        kind: "monitoring".into(),
        key: tag.to_string(),
        body: monitoring_body(tag, hours, arrival.dashboards, rec.manager.as_deref()),
    });
    if let Some((queue_key, installation_id)) = &arrival.queue {
        effects.push(Effect::ScheduleHealthReminder {
            tag: tag.to_string(),
            at: now + Duration::hours(i64::from(hours)),
            queue_key: queue_key.clone(),
            installation_id: *installation_id,
        });
    }
    effects
}

/// The reminder at the end of the watch window: once, unless the release was confirmed
/// healthy meanwhile.
pub fn remind(tag: &str, release: Option<&ReleaseView>, confirmed: bool) -> Vec<Effect> {
    let Some((rec, issue)) = release.and_then(|r| r.issue_number.map(|issue| (r, issue))) else {
        return Vec::new();
    };
    if confirmed {
        return Vec::new();
    }
    let manager = rec.manager.as_deref().unwrap_or("release manager");
    vec![Effect::UpsertComment {
        repo: None,
        issue,
        kind: "healthy-reminder".into(),
        key: tag.to_string(),
        body: format!(
            "@{manager}: {tag} has been in production for the watch window. If it is healthy, comment `/release healthy`; if not, roll back and say what happened here."
        ),
    }]
}

/// What `next_step` reads about a released release.
pub struct NextFacts<'a> {
    pub tag: &'a str,
    pub kind: Kind,
    /// What production runs.
    pub running: Option<&'a str>,
    pub plan: &'a ProductionPlan,
    /// The deployment request's issue, once filed.
    pub request_url: Option<&'a str>,
}

/// What comes next for a released release that is not confirmed healthy yet, in a sentence.
pub fn next_step(f: &NextFacts<'_>) -> String {
    let tag = f.tag;
    if f.running == Some(tag) {
        return format!(
            "{tag} runs in production: comment `/release healthy` here once it has run without trouble."
        );
    }
    let running = f.running.unwrap_or("an unknown version");
    if let Some(url) = f.request_url {
        return format!(
            "{tag} is not in production yet (production runs {running}): its deployment request is with Ops ({url}). Once it is deployed, relman posts the monitoring checklist here; then `/release healthy`."
        );
    }
    if f.kind == Kind::Hotfix {
        return format!(
            "{tag} is not in production yet (production runs {running}) and has no deployment request: comment `/deploy production` here to file it."
        );
    }
    let due = match (&f.plan.due, &f.plan.soaking, f.plan.soaking_due_on) {
        (Some(due), _, _) if due.version == tag => "it is due for production now".to_string(),
        (_, Some(soaking), Some(on)) if soaking.version == tag => {
            format!(
                "it goes to production on the release day {}",
                on.format("%a %-d %b")
            )
        }
        _ => "it goes to production on the release day after it soaked on staging".to_string(),
    };
    format!(
        "{tag} is not in production yet (production runs {running}): {due}; relman files the deployment request then (`/deploy production now` asks sooner)."
    )
}

/// What `/release healthy` reads.
pub enum HealthyFacts<'a> {
    /// No released release to confirm here.
    NothingReleased,
    /// The repository has no usable config.
    NoTrain,
    /// A released release and what production runs (recorded), with what comes next when it
    /// is not that release.
    Released {
        release: &'a ReleaseView,
        in_production: bool,
        next_step: Option<&'a str>,
    },
}

/// `/release healthy`: recorded, the release closed and its tracking issue closed as completed.
pub fn decide_healthy(
    facts: &HealthyFacts<'_>,
    actor: &str,
    comment_id: u64,
    now: DateTime<Utc>,
) -> (Vec<Effect>, Reply) {
    let (rec, in_production, next) = match facts {
        HealthyFacts::NothingReleased => {
            return (
                Vec::new(),
                Reply::Refused(
                    "there is no released version to confirm here: `/release healthy` goes on the tracking issue of a release that reached production.".into(),
                ),
            );
        }
        HealthyFacts::NoTrain => {
            return (
                Vec::new(),
                Reply::Refused("this repository has no usable `.github/relman.yml`.".into()),
            );
        }
        HealthyFacts::Released {
            release,
            in_production,
            next_step,
        } => (*release, *in_production, *next_step),
    };
    debug_assert_eq!(rec.state, Stage::Released);
    let tag = rec.tag.clone().unwrap_or_default();
    if !in_production {
        return (
            Vec::new(),
            Reply::Refused(format!(
                "it cannot be confirmed healthy in production yet. {}",
                next.unwrap_or_default()
            )),
        );
    }
    let at_ms = now.timestamp_millis();
    let mut effects = vec![
        Effect::AppendLog {
            release_key: rec.key.clone(),
            note: LogNote::Healthy,
            environment: Some(Environment::Production),
            text: None,
            actor: actor.to_string(),
            comment_id,
            at_ms,
        },
        Effect::MarkReleaseClosed {
            release_id: rec.id,
            at_ms,
        },
    ];
    if let Some(issue) = rec.issue_number {
        effects.push(Effect::CloseIssue { issue });
    }
    (
        effects,
        Reply::Done(Some(format!(
            "Recorded: {tag} is healthy in production (@{actor}). Closing the tracking issue."
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

    fn released(tag: &str, issue: Option<u64>) -> ReleaseView {
        ReleaseView {
            id: 4,
            key: "regular:2026-12-08".into(),
            kind: Kind::Regular,
            scheduled_date: "2026-12-08".parse().unwrap(),
            release_date: None,
            issue_number: issue,
            state: Stage::Released,
            manager: Some("alice".into()),
            tag: Some(tag.into()),
            released_at: Some(1),
        }
    }

    fn empty_plan() -> ProductionPlan {
        ProductionPlan {
            release_day: None,
            due: None,
            replaced: false,
            held: None,
            soaking: None,
            soaking_due_on: None,
            staging_now: None,
        }
    }

    #[test]
    fn production_tells_ops_and_watches_the_release() {
        let rec = released("v1.4.0", Some(12));
        let dashboards = [Dashboard {
            name: "Errors".into(),
            url: "https://grafana/errors".into(),
        }];
        let arrival = Arrival {
            tag: "v1.4.0",
            request: Some((Some("acme/ops".into()), Some(90))),
            release: Some(&rec),
            watch_hours: 24,
            dashboards: &dashboards,
            queue: Some(("repo:9".into(), 3)),
        };
        let now = at("2026-12-15T10:00:00Z");
        let effects = after_production(&arrival, now);
        assert_eq!(effects.len(), 4, "{effects:?}");
        assert_eq!(
            effects[0],
            Effect::MarkRequestDeployed {
                tag: "v1.4.0".into(),
                at_ms: now.timestamp_millis()
            }
        );
        assert!(
            matches!(&effects[1], Effect::UpsertComment { repo: Some(r), issue: 90, kind, .. } if r == "acme/ops" && kind == "deployed")
        );
        assert!(
            matches!(&effects[2], Effect::UpsertComment { repo: None, issue: 12, body, .. }
            if body.contains("- [Errors](https://grafana/errors)") && body.contains("@alice: when it has run 24 hours"))
        );
        assert_eq!(
            effects[3],
            Effect::ScheduleHealthReminder {
                tag: "v1.4.0".into(),
                at: at("2026-12-16T10:00:00Z"),
                queue_key: "repo:9".into(),
                installation_id: 3
            }
        );
    }

    #[test]
    fn a_version_relman_did_not_track_only_marks_its_request() {
        let arrival = Arrival {
            tag: "v9.0.0",
            request: Some((None, Some(90))),
            release: None,
            watch_hours: 24,
            dashboards: &[],
            queue: None,
        };
        assert_eq!(
            after_production(&arrival, at("2026-12-15T10:00:00Z")),
            [Effect::MarkRequestDeployed {
                tag: "v9.0.0".into(),
                at_ms: at("2026-12-15T10:00:00Z").timestamp_millis()
            }]
        );
    }

    #[test]
    fn the_reminder_comes_once_and_not_after_a_confirmation() {
        let rec = released("v1.4.0", Some(12));
        assert_eq!(remind("v1.4.0", Some(&rec), true), []);
        assert_eq!(remind("v1.4.0", None, false), []);
        assert_eq!(remind("v1.4.0", Some(&released("v1.4.0", None)), false), []);
        let effects = remind("v1.4.0", Some(&rec), false);
        assert!(
            matches!(&effects[..], [Effect::UpsertComment { issue: 12, kind, .. }] if kind == "healthy-reminder")
        );
    }

    #[test]
    fn the_next_step_says_where_the_release_is() {
        let plan = empty_plan();
        let facts = |running, url, kind| NextFacts {
            tag: "v1.4.0",
            kind,
            running,
            plan: &plan,
            request_url: url,
        };
        assert!(
            next_step(&facts(Some("v1.4.0"), None, Kind::Regular))
                .starts_with("v1.4.0 runs in production")
        );
        assert!(
            next_step(&facts(Some("v1.3.0"), Some("https://x/1"), Kind::Regular))
                .contains("with Ops (https://x/1)")
        );
        assert!(
            next_step(&facts(None, None, Kind::Hotfix))
                .contains("comment `/deploy production` here")
        );
        let due = ProductionPlan {
            due: Some(Candidate {
                version: "v1.4.0".into(),
                sha: None,
                on_staging_since: at("2026-12-08T10:00:00Z"),
                soaking_since: at("2026-12-08T10:00:00Z"),
            }),
            ..empty_plan()
        };
        let text = next_step(&NextFacts {
            plan: &due,
            ..facts(Some("v1.3.0"), None, Kind::Regular)
        });
        assert!(text.contains("it is due for production now"), "{text}");
    }

    #[test]
    fn healthy_is_recorded_only_for_what_runs_in_production() {
        let rec = released("v1.4.0", Some(12));
        let now = at("2026-12-16T10:00:00Z");
        let (effects, reply) = decide_healthy(
            &HealthyFacts::Released {
                release: &rec,
                in_production: true,
                next_step: None,
            },
            "alice",
            7,
            now,
        );
        assert_eq!(effects.len(), 3);
        assert!(
            matches!(&effects[0], Effect::AppendLog { note: LogNote::Healthy, release_key, .. } if release_key == "regular:2026-12-08")
        );
        assert_eq!(effects[2], Effect::CloseIssue { issue: 12 });
        assert!(
            matches!(reply, Reply::Done(Some(t)) if t.starts_with("Recorded: v1.4.0 is healthy"))
        );

        let (effects, reply) = decide_healthy(
            &HealthyFacts::Released {
                release: &rec,
                in_production: false,
                next_step: Some("It soaks."),
            },
            "alice",
            7,
            now,
        );
        assert!(effects.is_empty());
        assert_eq!(
            reply,
            Reply::Refused("it cannot be confirmed healthy in production yet. It soaks.".into())
        );
        for facts in [HealthyFacts::NothingReleased, HealthyFacts::NoTrain] {
            let (effects, reply) = decide_healthy(&facts, "alice", 7, now);
            assert!(effects.is_empty());
            assert!(matches!(reply, Reply::Refused(_)));
        }
    }
}
