//! The deployment request to Ops, as text: the version to deploy and why now (the release day it
//! is for, how long it soaked, or who expedited it), where to read more (tracking issue, GitHub
//! release, compare view), the rollback target, every change with the config changes authors
//! described, QA and sign-off, the dashboards; and whether to file one now ([`decide`]). Pure.

use chrono::{DateTime, NaiveDate, Utc};

use super::calendar::Calendar;
use super::changelog::Change;
use super::production::{Candidate, ProductionPlan, soaked_for};
use super::requirements::{Signoff, Verdict, all_met};
use crate::config::repo::Dashboard;

/// Why a version goes to production now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The train: it soaked on staging and this is its release day.
    ReleaseDay {
        day: NaiveDate,
        /// Filed after the release day, and why.
        late: Option<String>,
    },
    /// A hotfix or warmfix, at once.
    Fix { kind: String, why: Option<String> },
    /// The release manager asked for it before it soaked (`/deploy production now`).
    OnRequest { by: String },
}

/// What the request says.
#[derive(Debug, Clone)]
pub struct RequestView<'a> {
    pub repo: &'a str,
    pub version: &'a str,
    pub sha: &'a str,
    pub environment: &'a str,
    pub production: Option<&'a str>,
    pub reason: Reason,
    /// When the version reached staging, and how long ago that is.
    pub on_staging: Option<(DateTime<Utc>, String)>,
    pub requested_by: Option<&'a str>,
    /// Links: the tracking issue, the GitHub release, the compare view.
    pub tracking: Option<String>,
    pub release_url: Option<String>,
    pub compare_url: Option<String>,
    /// The changes; None when relman does not know what production runs.
    pub changes: Option<&'a [Change]>,
    pub config_changes: &'a [(Change, String)],
    pub qa_ok: Option<(String, DateTime<Utc>)>,
    pub qa_blockers: usize,
    pub signoffs: &'a [Signoff],
    pub dashboards: &'a [Dashboard],
}

fn human(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// The title.
pub fn request_title(view: &RequestView<'_>) -> String {
    let base = format!("Deploy {} {} to production", view.repo, view.version);
    match &view.reason {
        Reason::ReleaseDay { day, .. } => {
            format!("{base} (release day {})", day.format("%Y-%m-%d"))
        }
        Reason::Fix { kind, .. } => format!("{base} (expedited {kind})"),
        Reason::OnRequest { by } => format!("{base} (expedited on request of @{by})"),
    }
}

/// The body (without relman's marker).
pub fn render_request(view: &RequestView<'_>) -> String {
    let mut body = String::new();
    match &view.reason {
        Reason::ReleaseDay { day, late } => {
            if let Some(late) = late {
                body.push_str(&format!(
                    "> [!WARNING]\n> **Late**: this is the production release of {}; {late}\n\n",
                    human(*day)
                ));
            }
        }
        Reason::Fix { kind, why } => body.push_str(&format!(
            "> [!IMPORTANT]\n> **Expedited {kind}**{} — outside the regular release train.\n\n",
            why.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
        )),
        Reason::OnRequest { by } => body.push_str(&format!(
            "> [!IMPORTANT]\n> **Expedited on request of @{by}**: the release manager asked for it before it soaked a whole cycle on staging.\n\n"
        )),
    }
    body.push_str(&format!(
        "Please deploy **{} {}** to **{}**.\n\n| | |\n|---|---|\n| deploy | `{}` ({}) |\n| production now (rollback target) | {} |\n",
        view.repo,
        view.version,
        view.environment,
        view.version,
        &view.sha[..view.sha.len().min(12)],
        view.production
            .map_or_else(|| "unknown".to_string(), |v| format!("`{v}`"))
    ));
    if let Reason::ReleaseDay { day, .. } = &view.reason {
        body.push_str(&format!("| release day | {} |\n", human(*day)));
    }
    if let Some((since, soaked)) = &view.on_staging {
        body.push_str(&format!(
            "| on staging since | {} ({soaked}) |\n",
            since.format("%a %-d %b %Y %H:%M UTC")
        ));
    }
    if let Some(who) = view.requested_by {
        body.push_str(&format!("| requested by | @{who} |\n"));
    }
    if let Some(url) = &view.tracking {
        body.push_str(&format!("| tracking issue | {url} |\n"));
    }
    if let Some(url) = &view.release_url {
        body.push_str(&format!("| GitHub release | {url} |\n"));
    }
    if let Some(url) = &view.compare_url {
        body.push_str(&format!("| compare with production | {url} |\n"));
    }
    match view.changes {
        None => body.push_str(
            "\n### Changes\n\nrelman does not know what production runs, so the changes could not be listed; check them before deploying.\n",
        ),
        Some(changes) => {
            body.push_str(&format!("\n### Changes ({})\n\n", changes.len()));
            if changes.is_empty() {
                body.push_str("No changes listed.\n");
            }
            for c in changes {
                body.push_str(&format!("- {}\n", c.line()));
            }
        }
    }
    body.push_str("\n### Config changes\n\n");
    if view.config_changes.is_empty() {
        body.push_str("None: no PR in this release ticked \"Requires a config change\".\n");
    }
    for (change, notes) in view.config_changes {
        body.push_str(&format!("- {}\n", change.line()));
        if notes.is_empty() {
            body.push_str(
                "  (ticked, but the author described nothing: ask them before deploying)\n",
            );
        }
        for line in notes.lines() {
            body.push_str(&format!("  > {line}\n"));
        }
    }
    body.push_str("\n### QA and sign-off\n\n");
    match &view.qa_ok {
        Some((by, at)) => body.push_str(&format!(
            "- QA: no blockers (@{by}, {})\n",
            at.format("%Y-%m-%d %H:%M UTC")
        )),
        None if view.qa_blockers == 0 => {
            body.push_str("- QA: no blockers reported while it was on staging\n")
        }
        None => body.push_str(&format!("- QA: {} blocker(s) open\n", view.qa_blockers)),
    }
    for s in view.signoffs {
        body.push_str(&format!(
            "- Signed off for production by @{} ({})\n",
            s.by,
            s.at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if !view.dashboards.is_empty() {
        body.push_str("\n### Dashboards to watch\n\n");
        for d in view.dashboards {
            body.push_str(&format!("- [{}]({})\n", d.name, d.url));
        }
    }
    body.push_str(&format!(
        "\n### Rollback\n\nIf production misbehaves after the deployment, redeploy {} and tell the release manager on the tracking issue.\n",
        view.production
            .map_or_else(|| "the previous version".to_string(), |v| format!("`{v}`"))
    ));
    body
}

/// Why a request comes after its release day: what people said after that day that made the
/// requirements hold (a sign-off, QA clearing its blockers), else a plain statement.
pub fn late_reason(
    day_ended: DateTime<Utc>,
    today: NaiveDate,
    day: NaiveDate,
    said: &[(&str, &str, DateTime<Utc>)],
) -> String {
    let late = (today - day).num_days();
    let days = if late == 1 {
        "1 day".to_string()
    } else {
        format!("{late} days")
    };
    let after: Vec<String> = said
        .iter()
        .filter(|(_, _, at)| *at >= day_ended)
        .map(|(what, who, at)| format!("{what} by @{who} on {}", at.format("%a %-d %b")))
        .collect();
    if after.is_empty() {
        format!(
            "it is filed {days} later, when its production requirements first held (they did not on the release day)."
        )
    } else {
        format!(
            "it is filed {days} later: the production requirements held only after {}.",
            after.join(", ")
        )
    }
}

/// Who asks for a deployment.
#[derive(Debug, Clone, Copy)]
pub enum Ask<'a> {
    /// The train, on and after release day: the soaked version, once its requirements hold.
    Train,
    /// The release manager with `/deploy production` (`now`: also a version that has not
    /// soaked a cycle).
    Explicit { by: &'a str, now: bool },
}

/// What asking for a deployment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing is due: production runs what soaked (or nothing soaked yet).
    NothingDue {
        running: Option<String>,
        /// Staging's newer version, how long it soaked, and the day it becomes due.
        soaking: Option<(String, String, Option<NaiveDate>)>,
    },
    /// Asked by hand for a version that has not soaked yet.
    NotSoaked {
        version: String,
        soaked: String,
        due_on: Option<NaiveDate>,
    },
    /// A hotfix replaced this release day's production release.
    Replaced { day: NaiveDate },
    /// What soaked lacks a fix production runs.
    Held { version: String, why: String },
    /// The version's commit is not among the repository's tags.
    Unknown { version: String },
    /// The production requirements do not hold for the version.
    Unmet {
        version: String,
        verdicts: Vec<Verdict>,
    },
    /// Filed now.
    Filed {
        version: String,
        url: String,
        soaked: Option<String>,
    },
    /// Filed before (one request per version).
    AlreadyFiled { version: String, url: String },
}

/// The version a request would be for: the one due, else (asked with `now`) what staging runs,
/// with who asked for it before it soaked.
pub fn candidate<'p>(
    plan: &'p ProductionPlan,
    ask: Ask<'p>,
) -> Option<(&'p Candidate, Option<&'p str>)> {
    match (ask, &plan.due, &plan.staging_now) {
        (_, Some(due), _) => Some((due, None)),
        // Asked for before it soaked: what staging runs, on the release manager's word.
        (Ask::Explicit { by, now: true }, None, Some(current)) => Some((current, Some(by))),
        _ => None,
    }
}

/// Where the [`candidate`] stands, as far as a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Its request was filed before, at this URL.
    Filed(String),
    /// Its commit is not among the repository's tags.
    Unknown,
    /// Its production requirements, judged.
    Judged(Vec<Verdict>),
}

/// What [`decide`] reads.
pub struct Facts<'a> {
    pub plan: &'a ProductionPlan,
    /// What production runs.
    pub running: Option<&'a str>,
    pub ask: Ask<'a>,
    pub now: DateTime<Utc>,
    /// The repository's local date at `now`.
    pub today: NaiveDate,
    pub calendar: &'a Calendar,
    /// Where the version [`candidate`] names stands; read only when there is one.
    pub standing: Option<Standing>,
    /// Production sign-offs and QA calls on that version: what, who, when.
    pub said: &'a [(&'a str, &'a str, DateTime<Utc>)],
}

/// A request to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToFile {
    pub candidate: Candidate,
    pub reason: Reason,
    pub requested_by: Option<String>,
    /// The scheduled date of the release day it is for, whose tracking issue hears of it.
    pub release_day: Option<NaiveDate>,
    /// How long it has been on staging.
    pub soaked: String,
}

/// What to do about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Nothing to file: the answer says why.
    Answer(Decision),
    File(ToFile),
}

/// Whether to file the deployment request of the version due (or, asked by hand, the one
/// soaking) now: only when its production requirements hold, once per version, saying why it is
/// late when it comes after its release day.
pub fn decide(f: &Facts<'_>) -> Next {
    let plan = f.plan;
    let Some((candidate, on_request)) = candidate(plan, f.ask) else {
        return Next::Answer(not_due(f));
    };
    let version = candidate.version.clone();
    match &f.standing {
        Some(Standing::Filed(url)) => {
            return Next::Answer(Decision::AlreadyFiled {
                version,
                url: url.clone(),
            });
        }
        Some(Standing::Judged(verdicts)) if all_met(verdicts) => {}
        Some(Standing::Judged(verdicts)) => {
            return Next::Answer(Decision::Unmet {
                version,
                verdicts: verdicts.clone(),
            });
        }
        Some(Standing::Unknown) | None => return Next::Answer(Decision::Unknown { version }),
    }
    let reason = match (on_request, &plan.release_day) {
        (Some(by), _) => Reason::OnRequest { by: by.to_string() },
        (None, Some(day)) => {
            let date = day.date.unwrap_or(day.scheduled);
            let late = plan.days_late(f.today).map(|_| {
                let ended = f.calendar.start_of_day(date.succ_opt().unwrap_or(date));
                late_reason(ended, f.today, date, f.said)
            });
            Reason::ReleaseDay { day: date, late }
        }
        (None, None) => Reason::ReleaseDay {
            day: f.today,
            late: None,
        },
    };
    Next::File(ToFile {
        candidate: candidate.clone(),
        reason,
        requested_by: match f.ask {
            Ask::Explicit { by, .. } => Some(by.to_string()),
            Ask::Train => None,
        },
        release_day: plan.release_day.as_ref().map(|d| d.scheduled),
        soaked: soaked_for(candidate.on_staging_since, f.now),
    })
}

/// Why nothing is requested when nothing is due (or, asked by hand, why not yet).
fn not_due(f: &Facts<'_>) -> Decision {
    let plan = f.plan;
    if let Some((version, why)) = &plan.held {
        return Decision::Held {
            version: version.clone(),
            why: why.clone(),
        };
    }
    if let (Ask::Explicit { now: false, .. }, Some(soaking)) = (f.ask, &plan.soaking) {
        return Decision::NotSoaked {
            version: soaking.version.clone(),
            soaked: soaked_for(soaking.on_staging_since, f.now),
            due_on: plan.soaking_due_on,
        };
    }
    if plan.replaced {
        return Decision::Replaced {
            day: plan.release_day.as_ref().map_or(f.today, |d| d.scheduled),
        };
    }
    Decision::NothingDue {
        running: f.running.map(str::to_string),
        soaking: plan.soaking.as_ref().map(|c| {
            (
                c.version.clone(),
                soaked_for(c.on_staging_since, f.now),
                plan.soaking_due_on,
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(reason: Reason) -> RequestView<'static> {
        RequestView {
            repo: "acme/web",
            version: "v2.1.0",
            sha: "0123456789abcdef0123",
            environment: "production",
            production: Some("v2.0.0"),
            reason,
            on_staging: None,
            requested_by: None,
            tracking: Some("https://github.com/acme/web/issues/7".into()),
            release_url: Some("https://github.com/acme/web/releases/tag/v2.1.0".into()),
            compare_url: Some("https://github.com/acme/web/compare/v2.0.0...v2.1.0".into()),
            changes: Some(&[]),
            config_changes: &[],
            qa_ok: None,
            qa_blockers: 0,
            signoffs: &[],
            dashboards: &[],
        }
    }

    #[test]
    fn a_release_day_request_names_its_day_and_links_back() {
        let day: NaiveDate = "2026-12-22".parse().expect("date");
        let v = view(Reason::ReleaseDay { day, late: None });
        assert_eq!(
            request_title(&v),
            "Deploy acme/web v2.1.0 to production (release day 2026-12-22)"
        );
        let body = render_request(&v);
        for line in [
            "| release day | Tue 22 Dec 2026 |",
            "| tracking issue | https://github.com/acme/web/issues/7 |",
            "| GitHub release | https://github.com/acme/web/releases/tag/v2.1.0 |",
            "| compare with production | https://github.com/acme/web/compare/v2.0.0...v2.1.0 |",
        ] {
            assert!(body.contains(line), "{line} missing from\n{body}");
        }
        assert!(!body.contains("Late"));
    }

    #[test]
    fn a_late_request_says_what_came_after_the_release_day() {
        let day: NaiveDate = "2026-12-22".parse().expect("date");
        let ended = DateTime::parse_from_rfc3339("2026-12-23T08:00:00Z")
            .expect("time")
            .to_utc();
        let why = late_reason(
            ended,
            "2026-12-24".parse().expect("date"),
            day,
            &[
                // On the release day itself: not why it is late.
                ("signed off", "alice", ended - chrono::Duration::hours(3)),
                (
                    "QA cleared its blockers",
                    "quinn",
                    ended + chrono::Duration::days(1),
                ),
            ],
        );
        assert_eq!(
            why,
            "it is filed 2 days later: the production requirements held only after QA cleared its blockers by @quinn on Thu 24 Dec."
        );
        let body = render_request(&view(Reason::ReleaseDay {
            day,
            late: Some(why),
        }));
        assert!(body.starts_with(
            "> [!WARNING]\n> **Late**: this is the production release of Tue 22 Dec 2026;"
        ));
    }

    #[test]
    fn an_expedited_request_says_who_asked() {
        let v = view(Reason::OnRequest { by: "alice".into() });
        assert_eq!(
            request_title(&v),
            "Deploy acme/web v2.1.0 to production (expedited on request of @alice)"
        );
        assert!(render_request(&v).contains("Expedited on request of @alice"));
    }

    mod deciding {
        use chrono::Duration;

        use super::super::*;
        use crate::config::repo::{Requirement, parse_repo_config};
        use crate::domain::requirements::State;

        /// Every other Tuesday from 6 Jan 2026, Los Angeles.
        fn calendar() -> Calendar {
            let yaml = "timezone: America/Los_Angeles\nschedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";
            let config = parse_repo_config(".github/relman.yml", yaml).expect("config");
            Calendar::from_config(&config, &[])
        }

        fn date(d: &str) -> NaiveDate {
            d.parse().unwrap()
        }

        /// 10:00 local on `d`.
        fn at(d: &str) -> DateTime<Utc> {
            calendar().start_of_day(date(d)) + Duration::hours(10)
        }

        fn candidate(version: &str, since: &str) -> Candidate {
            Candidate {
                version: version.into(),
                sha: Some("abc1234".into()),
                on_staging_since: at(since),
                soaking_since: at(since),
            }
        }

        /// The release day of 20 Jan 2026 with v1.4.0 due (on staging since the 6th).
        fn due_on_the_20th() -> ProductionPlan {
            ProductionPlan {
                release_day: calendar().release_day(1),
                due: Some(candidate("v1.4.0", "2026-01-06")),
                replaced: false,
                held: None,
                soaking: None,
                soaking_due_on: None,
                staging_now: Some(candidate("v1.4.0", "2026-01-06")),
            }
        }

        fn met() -> Standing {
            Standing::Judged(vec![Verdict {
                requirement: Requirement::Tests,
                state: State::Met,
                reason: "green".into(),
                fix: None,
            }])
        }

        fn decide_at(
            plan: &ProductionPlan,
            ask: Ask<'_>,
            today: &str,
            standing: Option<Standing>,
            said: &[(&str, &str, DateTime<Utc>)],
        ) -> Next {
            let calendar = calendar();
            decide(&Facts {
                plan,
                running: Some("v1.3.0"),
                ask,
                now: at(today),
                today: date(today),
                calendar: &calendar,
                standing,
                said,
            })
        }

        #[test]
        fn the_soaked_version_is_filed_on_its_release_day_when_its_requirements_hold() {
            let plan = due_on_the_20th();
            assert_eq!(
                plan.release_day.as_ref().and_then(|d| d.date),
                Some(date("2026-01-20"))
            );
            let Next::File(to_file) = decide_at(&plan, Ask::Train, "2026-01-20", Some(met()), &[])
            else {
                panic!("due today and green: file it");
            };
            assert_eq!(to_file.candidate.version, "v1.4.0");
            assert_eq!(
                to_file.reason,
                Reason::ReleaseDay {
                    day: date("2026-01-20"),
                    late: None
                }
            );
            assert_eq!(to_file.requested_by, None);
            assert_eq!(to_file.release_day, Some(date("2026-01-20")));
            assert_eq!(
                to_file.soaked,
                soaked_for(at("2026-01-06"), at("2026-01-20"))
            );
        }

        #[test]
        fn a_late_request_says_what_made_the_requirements_hold() {
            let plan = due_on_the_20th();
            let signed = at("2026-01-22");
            let said = [("the production sign-off", "bob", signed)];
            let Next::File(to_file) =
                decide_at(&plan, Ask::Train, "2026-01-22", Some(met()), &said)
            else {
                panic!("late but green: file it");
            };
            let Reason::ReleaseDay {
                day,
                late: Some(why),
            } = to_file.reason
            else {
                panic!("a late request says so: {:?}", to_file.reason);
            };
            assert_eq!(day, date("2026-01-20"));
            assert!(why.contains("2 days"), "{why}");
            assert!(
                why.contains("the production sign-off by @bob on Thu 22 Jan"),
                "{why}"
            );
        }

        #[test]
        fn unmet_requirements_or_an_unknown_commit_file_nothing() {
            let plan = due_on_the_20th();
            let unmet = Verdict {
                requirement: Requirement::Tests,
                state: State::Pending,
                reason: "running".into(),
                fix: None,
            };
            assert_eq!(
                decide_at(
                    &plan,
                    Ask::Train,
                    "2026-01-20",
                    Some(Standing::Judged(vec![unmet.clone()])),
                    &[]
                ),
                Next::Answer(Decision::Unmet {
                    version: "v1.4.0".into(),
                    verdicts: vec![unmet]
                })
            );
            assert_eq!(
                decide_at(
                    &plan,
                    Ask::Train,
                    "2026-01-20",
                    Some(Standing::Unknown),
                    &[]
                ),
                Next::Answer(Decision::Unknown {
                    version: "v1.4.0".into()
                })
            );
        }

        #[test]
        fn a_version_is_requested_once() {
            let plan = due_on_the_20th();
            let url = "https://github.test/ops/issues/4".to_string();
            assert_eq!(
                decide_at(
                    &plan,
                    Ask::Train,
                    "2026-01-21",
                    Some(Standing::Filed(url.clone())),
                    &[]
                ),
                Next::Answer(Decision::AlreadyFiled {
                    version: "v1.4.0".into(),
                    url
                })
            );
        }

        #[test]
        fn a_day_a_hotfix_replaced_or_a_skipped_cycle_requests_nothing() {
            let replaced = ProductionPlan {
                due: None,
                replaced: true,
                staging_now: None,
                ..due_on_the_20th()
            };
            assert_eq!(
                decide_at(&replaced, Ask::Train, "2026-01-20", None, &[]),
                Next::Answer(Decision::Replaced {
                    day: date("2026-01-20")
                })
            );
            // Nothing soaked (the cycle before was skipped): production keeps what it runs.
            let nothing = ProductionPlan {
                release_day: None,
                due: None,
                staging_now: None,
                ..due_on_the_20th()
            };
            assert_eq!(
                decide_at(&nothing, Ask::Train, "2026-01-20", None, &[]),
                Next::Answer(Decision::NothingDue {
                    running: Some("v1.3.0".into()),
                    soaking: None
                })
            );
        }

        #[test]
        fn deploy_production_now_asks_for_what_has_not_soaked_and_without_now_says_when_it_will() {
            let soaking = ProductionPlan {
                due: None,
                soaking: Some(candidate("v1.5.0", "2026-01-20")),
                soaking_due_on: Some(date("2026-02-03")),
                staging_now: Some(candidate("v1.5.0", "2026-01-20")),
                ..due_on_the_20th()
            };
            let by_hand = Ask::Explicit {
                by: "carol",
                now: false,
            };
            assert_eq!(
                decide_at(&soaking, by_hand, "2026-01-22", None, &[]),
                Next::Answer(Decision::NotSoaked {
                    version: "v1.5.0".into(),
                    soaked: soaked_for(at("2026-01-20"), at("2026-01-22")),
                    due_on: Some(date("2026-02-03"))
                })
            );
            let now = Ask::Explicit {
                by: "carol",
                now: true,
            };
            let Next::File(to_file) = decide_at(&soaking, now, "2026-01-22", Some(met()), &[])
            else {
                panic!("`now` files what staging runs");
            };
            assert_eq!(to_file.candidate.version, "v1.5.0");
            assert_eq!(to_file.reason, Reason::OnRequest { by: "carol".into() });
            assert_eq!(to_file.requested_by.as_deref(), Some("carol"));
        }
    }
}
