//! The tracking issue of a release: when it opens, what becomes of it on its day, and the live
//! dashboard its body is. Pure: the handler gathers the facts and writes the result.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::calendar::{Adjustment, Calendar, ReleaseDay};
use super::changelog::{Change, escape_inline};
use super::expedited::{Replacement, render_replacements};
use super::requirements::{Environment, State, Verdict, render_gate};
use super::stats::QuarterRate;
use crate::config::repo::Dashboard;

/// The label every tracking issue carries.
pub const RELEASE_LABEL: &str = "release";

/// How many missed release days relman opens issues for when it comes back after downtime;
/// older ones are only logged (a year of missed days as issues would be noise, not help).
pub const MAX_CATCH_UP: usize = 8;

/// The instant a release day's tracking issue is due: `tracking_issue_days_before` days before
/// the release, or before the scheduled date when the day is skipped (its issue then explains
/// the skip).
pub fn due_at(calendar: &Calendar, day: &ReleaseDay) -> Option<DateTime<Utc>> {
    day.tracking_issue_at.or_else(|| {
        day.scheduled
            .checked_sub_signed(Duration::days(calendar.tracking_issue_days_before()))
            .map(|d| calendar.start_of_day(d))
    })
}

/// The release days whose tracking issues should be open at `now` and are not yet.
///
/// - A repository relman has never tracked (a fresh install) gets the next release at once,
///   even before its usual opening day.
/// - Otherwise every release day after the last tracked one whose issue is due — one each, so
///   days missed while relman was down are caught up, at most [`MAX_CATCH_UP`] of them (the
///   latest).
pub fn days_to_open(
    calendar: &Calendar,
    now: DateTime<Utc>,
    last_tracked: Option<NaiveDate>,
) -> Vec<ReleaseDay> {
    let Some(last) = last_tracked else {
        return calendar.next_release(now).into_iter().collect();
    };
    let first = calendar.cycle_on_or_before(last) + 1;
    // Bounded: a calendar whose days never come due (or a clock far ahead) cannot loop forever.
    let due: Vec<ReleaseDay> = (first..)
        .take(super::calendar::MAX_CYCLES_SEARCHED)
        .map_while(|cycle| calendar.release_day(cycle))
        .take_while(|day| due_at(calendar, day).is_some_and(|at| at <= now))
        .collect();
    let skip = due.len().saturating_sub(MAX_CATCH_UP);
    due.into_iter().skip(skip).collect()
}

/// `Release 2026-12-08`: the day it happens, or the scheduled day when skipped.
pub fn title(day: &ReleaseDay) -> String {
    format!("Release {}", day.date.unwrap_or(day.scheduled))
}

/// What the functional-test repository looks like against its latest tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionalTests {
    NotConfigured,
    /// The repository has no tag yet.
    NoTag {
        repo: String,
    },
    Unchanged {
        repo: String,
        tag: String,
    },
    Changed {
        repo: String,
        tag: String,
        commits: u64,
    },
    /// It could not be read (no access, no such repository): say so instead of guessing.
    Unreadable {
        repo: String,
        why: String,
    },
}

/// Where the tracking issue's release stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Open,
    Released { tag: String, url: String },
    NoChanges,
    Skipped { reason: String },
}

/// The version going to production next, as a tracking issue shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionCandidate {
    pub version: String,
    /// The local day it reached staging.
    pub on_staging_since: NaiveDate,
    /// The release day it is (or was) due on.
    pub due_on: Option<NaiveDate>,
    /// Held back from production, and why.
    pub held: Option<String>,
}

/// Everything the tracking issue shows.
#[derive(Debug, Clone)]
pub struct TrackingView<'a> {
    pub day: &'a ReleaseDay,
    pub today: NaiveDate,
    pub manager: Option<&'a str>,
    pub stage: Stage,
    /// The last release tag the changes are counted from.
    pub last_tag: Option<&'a str>,
    pub next_version: Option<&'a str>,
    pub changes: &'a [Change],
    pub functional: &'a FunctionalTests,
    pub gates: &'a [(Environment, Vec<Verdict>)],
    /// What each environment runs (a tag or a short sha), when known.
    pub staging: Option<&'a str>,
    pub production: Option<&'a str>,
    /// The production candidate: what soaked on staging (or soaks now) and goes next.
    pub production_candidate: Option<&'a ProductionCandidate>,
    pub dashboards: &'a [Dashboard],
    /// The deployment request filed for this release, once there is one.
    pub deploy_request: Option<&'a str>,
    /// Warmfixes and hotfixes that replace this release's staging or production release.
    pub replaced_by: &'a [Replacement],
    /// The quarter's running short-circuit rate, for the footer.
    pub short_circuit: Option<&'a QuarterRate>,
}

fn human(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// The tracking issue's body.
pub fn render_tracking(view: &TrackingView<'_>) -> String {
    let day = view.day;
    let mut out = String::new();
    let manager = view
        .manager
        .map_or_else(|| "nobody (no rotation)".to_string(), |m| format!("@{m}"));
    match day.date {
        Some(date) => out.push_str(&format!(
            "**Release day:** {} · **Release manager:** {manager}",
            human(date)
        )),
        None => out.push_str(&format!(
            "**Scheduled for:** {} · **Release manager:** {manager}",
            human(day.scheduled)
        )),
    }
    out.push('\n');
    if !matches!(view.stage, Stage::Skipped { .. }) {
        out.push_str(&format!("\n{}\n", candidates_line(view)));
    }
    match &day.reason {
        Some(Adjustment::Moved { holiday }) => out.push_str(&format!(
            "\n> [!NOTE]\n> Moved from {} because of the {holiday}.\n",
            human(day.scheduled)
        )),
        Some(
            reason @ (Adjustment::Skipped { .. }
            | Adjustment::NoBusinessDayBeforeNextRelease { .. }),
        ) => out.push_str(&format!("\n> [!NOTE]\n> This release day is {reason}.\n")),
        None => {}
    }
    out.push_str(&render_replacements(view.replaced_by));

    out.push_str("\n### Status\n\n");
    let since = view
        .last_tag
        .map_or_else(|| "the first release".to_string(), |t| format!("`{t}`"));
    match &view.stage {
        Stage::Open => {
            let overdue = day.date.is_some_and(|d| d < view.today);
            if overdue {
                out.push_str("⏳ The release day has passed without a release. ");
            } else {
                out.push_str("⏳ Not released yet. ");
            }
            out.push_str(&format!(
                "{manager} comments `/release` here when the staging requirements below are met.\n"
            ));
        }
        Stage::Released { tag, url } => out.push_str(&format!(
            "✅ Released as [{tag}]({url}); the release deploys to staging.\n"
        )),
        Stage::NoChanges => out.push_str(&format!(
            "⏭️ Nothing was merged since {since}: no changes, no release this cycle.\n"
        )),
        Stage::Skipped { reason } => {
            out.push_str(&format!("⏭️ Skipped: {}\n", escape_inline(reason)))
        }
    }

    if matches!(view.stage, Stage::Skipped { .. }) {
        return out;
    }

    if let Stage::Released { tag, url } = &view.stage {
        out.push_str(&format!(
            "\n### Changes\n\nListed in the release notes of [{tag}]({url}).\n"
        ));
    } else {
        render_changes(&mut out, view, &since);
    }
    render_rest(&mut out, view, &manager);
    out
}

fn short(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// "**Staging:** v1.6.0 (to be cut) · **Production:** v1.5.0 (on staging since Tue 24 Nov)".
fn candidates_line(view: &TrackingView<'_>) -> String {
    let staging = match (&view.stage, view.next_version) {
        (Stage::Released { tag, .. }, _) => format!("{tag} (cut)"),
        (Stage::NoChanges, _) => "nothing to cut (no changes)".to_string(),
        (_, Some(v)) => format!("{v} (to be cut)"),
        (_, None) => "the release to be cut".to_string(),
    };
    let production = match view.production_candidate {
        Some(ProductionCandidate {
            version,
            held: Some(why),
            ..
        }) => format!("{version} held back: {why}"),
        Some(c) => {
            let due = match c.due_on {
                Some(d) if d == view.today => ", due today".to_string(),
                Some(d) if d < view.today => format!(", due since {}", short(d)),
                Some(d) => format!(", due {}", short(d)),
                None => String::new(),
            };
            format!(
                "{} (on staging since {}{due})",
                c.version,
                short(c.on_staging_since)
            )
        }
        None => format!(
            "nothing waiting (production runs {})",
            view.production
                .map_or_else(|| "an unknown version".to_string(), |p| format!("`{p}`"))
        ),
    };
    format!("**Staging:** {staging} · **Production:** {production}")
}

fn render_changes(out: &mut String, view: &TrackingView<'_>, since: &str) {
    let heading = match view.last_tag {
        Some(tag) => format!("Changes since {tag}"),
        None => "Changes".to_string(),
    };
    out.push_str(&format!("\n### {heading} ({})\n\n", view.changes.len()));
    if view.changes.is_empty() {
        out.push_str(&format!("Nothing merged since {since} yet.\n"));
    } else {
        for change in view.changes {
            out.push_str(&format!("- {}", change.line()));
            if !change.labels.is_empty() {
                let labels: Vec<String> = change
                    .labels
                    .iter()
                    .map(|l| format!("`{}`", escape_inline(l)))
                    .collect();
                out.push_str(&format!(" {}", labels.join(" ")));
            }
            out.push('\n');
        }
    }
}

fn render_rest(out: &mut String, view: &TrackingView<'_>, manager: &str) {
    match view.functional {
        FunctionalTests::NotConfigured => {}
        other => {
            out.push_str("\n### Functional tests\n\n");
            out.push_str(&match other {
                FunctionalTests::NoTag { repo } => format!(
                    "{repo} has no tag yet — cut one for the manual test run.\n"
                ),
                FunctionalTests::Unchanged { repo, tag } => format!(
                    "{repo}: functional tests unchanged since {tag} — run the manual tests from {tag}.\n"
                ),
                FunctionalTests::Changed { repo, tag, commits } => format!(
                    "{repo}: functional tests changed since {tag}: {commits} commit{} — cut a new tag for the manual test run.\n",
                    if *commits == 1 { "" } else { "s" }
                ),
                FunctionalTests::Unreadable { repo, why } => {
                    format!("{repo} could not be read ({why}); relman needs access to it.\n")
                }
                FunctionalTests::NotConfigured => String::new(),
            });
        }
    }

    out.push_str("\n### Requirements\n\n");
    if let Some(c) = view.production_candidate {
        out.push_str(&format!(
            "Staging: the release cut here. Production: {}, the version that soaked on staging.\n\n",
            c.version
        ));
    }
    out.push_str(&render_gate(view.gates));

    out.push_str("\n### Environments\n\n| environment | running |\n|---|---|\n");
    for (name, version) in [("staging", view.staging), ("production", view.production)] {
        out.push_str(&format!(
            "| {name} | {} |\n",
            version.map_or_else(|| "unknown".to_string(), |v| format!("`{v}`"))
        ));
    }

    if let Some(url) = view.deploy_request {
        out.push_str(&format!("\nDeployment request for production: {url}\n"));
    }

    if !view.dashboards.is_empty() {
        out.push_str("\n### Dashboards\n\n");
        for d in view.dashboards {
            out.push_str(&format!("- [{}]({})\n", escape_inline(&d.name), d.url));
        }
    }

    out.push_str("\n### Next steps\n\n");
    for (i, step) in next_steps(view, manager).iter().enumerate() {
        out.push_str(&format!("{}. {step}\n", i + 1));
    }
    out.push_str(
        "\n<sub>relman keeps this issue current. Commands here: `/release`, `/release status`, \
         `/signoff [staging|production]`, `/qa ok` · `/qa blocker <text>` · `/qa clear`, `/skip <why>`, `/help`.</sub>\n",
    );
    if let Some(rate) = view.short_circuit {
        out.push_str(&format!("\n<sub>{}</sub>\n", rate.sentence()));
    }
}

fn next_steps(view: &TrackingView<'_>, manager: &str) -> Vec<String> {
    let gate = |env: Environment| {
        view.gates
            .iter()
            .find(|(e, _)| *e == env)
            .map(|(_, v)| v.as_slice())
            .unwrap_or_default()
    };
    let fixes = |env: Environment| -> Vec<String> {
        gate(env)
            .iter()
            .filter(|v| v.state != State::Met)
            .map(|v| match &v.fix {
                Some(fix) => format!("{}: {fix}", v.requirement.name()),
                None => format!("{}: {}", v.requirement.name(), v.reason),
            })
            .collect()
    };
    let mut steps = Vec::new();
    match &view.stage {
        Stage::Open => {
            if view.changes.is_empty() {
                steps.push("Nothing to release yet: merge changes before the release day, or it closes with no release.".to_string());
                production_steps(&mut steps, view, &fixes(Environment::Production));
                return steps;
            }
            steps.extend(fixes(Environment::Staging));
            steps.push(format!("{manager} comments `/release` to tag and publish the release (CI deploys it to staging, where it soaks until the next release day)."));
            production_steps(&mut steps, view, &fixes(Environment::Production));
        }
        Stage::Released { tag, .. } => {
            steps.push(format!(
                "CI deploys {tag} to staging; QA tests it there while it soaks and answers `/qa ok` or `/qa blocker <what>`."
            ));
            production_steps(&mut steps, view, &fixes(Environment::Production));
        }
        Stage::NoChanges | Stage::Skipped { .. } => {
            steps.push("Nothing to do this cycle.".to_string());
        }
    }
    steps
}

/// The production candidate's steps: its unmet requirements, then the request.
fn production_steps(steps: &mut Vec<String>, view: &TrackingView<'_>, fixes: &[String]) {
    let Some(c) = view.production_candidate else {
        return;
    };
    if let Some(why) = &c.held {
        steps.push(format!(
            "{} stays out of production: {why}. `/deploy production now` requests what staging runs anyway.",
            c.version
        ));
        return;
    }
    if let Some(url) = view.deploy_request {
        steps.push(format!(
            "{}'s deployment request is with Ops: {url}. Once it runs in production, relman posts the monitoring checklist.",
            c.version
        ));
        return;
    }
    steps.extend(
        fixes
            .iter()
            .map(|f| format!("production ({}) — {f}", c.version)),
    );
    let when = match c.due_on {
        Some(d) if d <= view.today => "now".to_string(),
        Some(d) => format!("on the release day {}", short(d)),
        None => "on its release day".to_string(),
    };
    steps.push(format!(
        "relman files the deployment request for {} {when}, once its production requirements hold (`/deploy production now` asks sooner).",
        c.version
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;

    fn calendar(extra: &str) -> Calendar {
        let yaml = format!(
            "timezone: Europe/Berlin\nschedule: {{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06, tracking_issue_days_before: 1 }}\nrotation: {{ members: [alice] }}\n{extra}"
        );
        let config = parse_repo_config(".github/relman.yml", &yaml).unwrap();
        Calendar::from_config(&config, &[])
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_fresh_repository_gets_the_next_release_at_once() {
        let cal = calendar("");
        // Wednesday 2 Dec 2026: the next release is Tue 8 Dec, its issue would open on the 7th.
        let days = days_to_open(&cal, at("2026-12-02T10:00:00Z"), None);
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].date, Some(d("2026-12-08")));
    }

    #[test]
    fn issues_open_the_day_before_and_missed_days_are_caught_up_once_each() {
        let cal = calendar("");
        // Last tracked: 8 Dec. On Sun 20 Dec nothing is due; from Mon 21 Dec (Berlin) the 22nd is.
        assert!(days_to_open(&cal, at("2026-12-20T12:00:00Z"), Some(d("2026-12-08"))).is_empty());
        let due = days_to_open(&cal, at("2026-12-20T23:30:00Z"), Some(d("2026-12-08")));
        assert_eq!(
            due.iter().map(|d| d.scheduled).collect::<Vec<_>>(),
            [d("2026-12-22")]
        );
        // Down from 8 Dec to 14 Jan: the 22nd and 5 Jan are due (19 Jan opens on the 18th).
        let due = days_to_open(&cal, at("2027-01-14T09:00:00Z"), Some(d("2026-12-08")));
        assert_eq!(
            due.iter().map(|d| d.scheduled).collect::<Vec<_>>(),
            [d("2026-12-22"), d("2027-01-05")]
        );
        assert!(days_to_open(&cal, at("2027-01-14T09:00:00Z"), Some(d("2027-01-05"))).is_empty());
        // Years of downtime: only the latest few.
        let due = days_to_open(&cal, at("2030-01-01T09:00:00Z"), Some(d("2026-12-08")));
        assert_eq!(due.len(), MAX_CATCH_UP);
    }

    #[test]
    fn a_lead_of_a_whole_cycle_opens_the_next_issue_on_the_release_day() {
        let yaml = "timezone: Europe/Berlin\nschedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06, tracking_issue_days_before: 14 }\nrotation: { members: [alice] }\n";
        let config = parse_repo_config(".github/relman.yml", yaml).unwrap();
        let cal = Calendar::from_config(&config, &[]);
        // On the 8 Dec release day (Berlin), 22 Dec's issue is due: one is always open.
        let due = days_to_open(&cal, at("2026-12-08T09:00:00Z"), Some(d("2026-12-08")));
        assert_eq!(
            due.iter().map(|d| d.scheduled).collect::<Vec<_>>(),
            [d("2026-12-22")]
        );
        assert!(days_to_open(&cal, at("2026-12-07T12:00:00Z"), Some(d("2026-12-08"))).is_empty());
    }

    #[test]
    fn skipped_days_come_due_by_their_scheduled_date() {
        let cal = calendar("holidays: { dates: [2026-12-22], on_holiday: skip }\n");
        let due = days_to_open(&cal, at("2026-12-21T09:00:00Z"), Some(d("2026-12-08")));
        assert_eq!(due.len(), 1);
        assert!(due[0].is_skipped());
        assert_eq!(title(&due[0]), "Release 2026-12-22");
    }
}
