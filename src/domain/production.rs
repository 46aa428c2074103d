//! The production half of the train: which version goes to production, and on which day.
//!
//! The process gives every change a soak on staging: on each release day the version cut that
//! day goes to staging, and the version staging ran since the previous release day goes to
//! production (week 1: staging v0.0.4 / production v0.0.3; week 3: staging v0.0.5 / production
//! v0.0.4). So on a release day there are two candidates: the *staging candidate* (cut today, if
//! anything merged) and the *production candidate* — what staging ran when the release day
//! began, when production does not run it already. A fix deployed to staging before the day
//! began (a warmfix, a hotfix) is what staging ran, so it is the candidate; a hotfix that
//! replaced the day's production release leaves no candidate.
//!
//! Pure: the handler reads the deployment history and the register, and acts on the plan.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::calendar::{Calendar, MAX_CYCLES_SEARCHED, ReleaseDay};
use super::version::version_of_tag;
use crate::config::repo::Soak;

/// A version relman saw reach an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub version: String,
    pub sha: Option<String>,
    pub at: DateTime<Utc>,
    /// When its soak starts counting, if later than `at`: a regular release cut ahead of its
    /// release day soaks from that day (it is that day's staging release, and goes to
    /// production on the next one).
    pub soak_from: Option<DateTime<Utc>>,
}

/// A version on its way to production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub version: String,
    pub sha: Option<String>,
    /// When its current run on staging began.
    pub on_staging_since: DateTime<Utc>,
    /// When its soak started counting (its release day, for one cut ahead of it).
    pub soaking_since: DateTime<Utc>,
}

/// Where the production half of the train stands at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionPlan {
    /// The release day whose production release is due: the latest one that is not skipped,
    /// on or before today (with a soak of days, the day the candidate's soak ended on).
    pub release_day: Option<ReleaseDay>,
    /// The version due for production: it soaked, and production does not run it (nor anything
    /// newer). None also when a hotfix replaced the release day's production release.
    pub due: Option<Candidate>,
    /// A hotfix replaced this release day's production release: nothing else goes that day.
    pub replaced: bool,
    /// The version that would be due, held back because it lacks a fix production runs, and why.
    pub held: Option<(String, String)>,
    /// Staging's version when it has not soaked yet: it goes to production on `soaking_due_on`.
    pub soaking: Option<Candidate>,
    /// The day the soaking version becomes due.
    pub soaking_due_on: Option<NaiveDate>,
    /// What staging runs now, when it is newer than production (soaked or not, held or not):
    /// what `/deploy production now` asks for.
    pub staging_now: Option<Candidate>,
}

impl ProductionPlan {
    /// The version that goes to production next: the due one, else the one soaking.
    pub fn next(&self) -> Option<&Candidate> {
        self.due.as_ref().or(self.soaking.as_ref())
    }

    /// How many days after its release day the due version is requested, when that is later
    /// than the release day itself.
    pub fn days_late(&self, today: NaiveDate) -> Option<i64> {
        let day = self.release_day.as_ref()?.date?;
        self.due.as_ref()?;
        let late = (today - day).num_days();
        (late > 0).then_some(late)
    }
}

/// What the plan is computed from.
#[derive(Debug, Clone, Copy)]
pub struct ProductionFacts<'a> {
    pub calendar: &'a Calendar,
    pub soak: Soak,
    /// The release tags' prefix, to compare versions.
    pub tag_prefix: &'a str,
    /// Every version staging ran, in any order.
    pub staging: &'a [Deployed],
    /// What production runs now.
    pub production: Option<&'a str>,
    /// The scheduled dates of release days whose production release a hotfix replaced.
    pub replaced_days: &'a [NaiveDate],
    /// Versions that lack a fix production runs (they would undo it), with why.
    pub lacking: &'a [(String, String)],
}

/// Where the production half of the train stands at `now`.
pub fn production_plan(facts: &ProductionFacts<'_>, now: DateTime<Utc>) -> ProductionPlan {
    let calendar = facts.calendar;
    let today = now.with_timezone(&calendar.timezone()).date_naive();
    let runs = runs(facts.staging);
    let newer = |c: &Candidate| is_newer(&c.version, facts.production, facts.tag_prefix);
    let current = runs.last().cloned().filter(newer);

    let (release_day, cutoff) = match facts.soak {
        Soak::NextReleaseDay => {
            let day = release_day_on_or_before(calendar, today);
            let cutoff = day.as_ref().and_then(|d| d.starts_at);
            (day, cutoff)
        }
        Soak::Days(days) => {
            let cutoff = now - Duration::days(i64::from(days));
            (None, Some(cutoff))
        }
    };
    let at_cutoff = cutoff.and_then(|cutoff| {
        runs.iter()
            .rev()
            .find(|run| match facts.soak {
                // The release day's own cut (even one made ahead of it) is not due that
                // day: it soaks from the day's start.
                Soak::NextReleaseDay => run.soaking_since < cutoff,
                Soak::Days(_) => run.soaking_since <= cutoff,
            })
            .cloned()
    });
    let replaced = release_day
        .as_ref()
        .is_some_and(|day| facts.replaced_days.contains(&day.scheduled));
    let lacks = |c: &Candidate| {
        facts
            .lacking
            .iter()
            .find(|(version, _)| *version == c.version)
            .map(|(version, why)| (version.clone(), why.clone()))
    };
    let held = at_cutoff
        .as_ref()
        .filter(|c| newer(c) && !replaced)
        .and_then(lacks);
    let due = at_cutoff
        .filter(newer)
        .filter(|_| !replaced && held.is_none());
    // With a soak of days the "release day" of a due version is the day its soak ended.
    let release_day = match (facts.soak, &due) {
        (Soak::Days(days), Some(c)) => {
            let ended = (c.soaking_since + Duration::days(i64::from(days)))
                .with_timezone(&calendar.timezone())
                .date_naive();
            Some(plain_day(calendar, ended))
        }
        _ => release_day,
    };
    let staging_now = current.clone();
    let soaking = current
        .filter(|c| due.as_ref().is_none_or(|d| d.version != c.version) && lacks(c).is_none());
    let soaking_due_on = soaking
        .as_ref()
        .and_then(|c| due_on(calendar, facts.soak, c.soaking_since));
    ProductionPlan {
        release_day,
        due,
        replaced,
        held,
        soaking,
        soaking_due_on,
        staging_now,
    }
}

/// The staging history as runs: one per change of version, oldest first, each starting when
/// that version reached staging (a redeploy of the running version does not restart its soak).
fn runs(history: &[Deployed]) -> Vec<Candidate> {
    let mut sorted: Vec<&Deployed> = history.iter().collect();
    sorted.sort_by_key(|d| d.at);
    let mut runs: Vec<Candidate> = Vec::new();
    for d in sorted {
        match runs.last_mut() {
            Some(last) if last.version == d.version => {
                if last.sha.is_none() {
                    last.sha.clone_from(&d.sha);
                }
            }
            _ => runs.push(Candidate {
                version: d.version.clone(),
                sha: d.sha.clone(),
                on_staging_since: d.at,
                soaking_since: d.soak_from.map_or(d.at, |from| from.max(d.at)),
            }),
        }
    }
    runs
}

/// Whether `version` is newer than what production runs: by semver when both are release tags,
/// else whenever they differ.
pub fn is_newer(version: &str, production: Option<&str>, prefix: &str) -> bool {
    let Some(production) = production else {
        return true;
    };
    match (
        version_of_tag(version, prefix),
        version_of_tag(production, prefix),
    ) {
        (Some(v), Some(p)) => v > p,
        _ => version != production,
    }
}

/// The latest release day that is not skipped and falls on or before `today`.
pub fn release_day_on_or_before(calendar: &Calendar, today: NaiveDate) -> Option<ReleaseDay> {
    let cycle = calendar.cycle_on_or_before(today);
    (0..MAX_CYCLES_SEARCHED as i64)
        .filter_map(|back| calendar.release_day(cycle - back))
        .find(|day| day.date.is_some_and(|d| d <= today))
}

/// The day a version that reached staging at `since` becomes due for production: the first
/// release day (not skipped) that begins after it, or the day its soak of days ends.
pub fn due_on(calendar: &Calendar, soak: Soak, since: DateTime<Utc>) -> Option<NaiveDate> {
    match soak {
        Soak::NextReleaseDay => {
            let local = since.with_timezone(&calendar.timezone()).date_naive();
            calendar
                .releases_from(local)
                .take(MAX_CYCLES_SEARCHED)
                .find(|day| day.starts_at.is_some_and(|starts| starts > since))
                .and_then(|day| day.date)
        }
        Soak::Days(days) => Some(
            (since + Duration::days(i64::from(days)))
                .with_timezone(&calendar.timezone())
                .date_naive(),
        ),
    }
}

/// A day that is not on the calendar's cadence, as a release day (for a soak of days).
fn plain_day(calendar: &Calendar, date: NaiveDate) -> ReleaseDay {
    ReleaseDay {
        cycle: calendar.cycle_on_or_before(date),
        scheduled: date,
        date: Some(date),
        reason: None,
        starts_at: Some(calendar.start_of_day(date)),
        tracking_issue_on: None,
        tracking_issue_at: None,
    }
}

/// "3 days", "2 weeks and 1 day": how long a version has been on staging.
pub fn soaked_for(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let elapsed = now - since;
    let days = elapsed.num_days();
    let plural = |n: i64, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match days {
        0 => plural(elapsed.num_hours().max(0), "hour"),
        1..=13 => plural(days, "day"),
        _ if days % 7 == 0 => plural(days / 7, "week"),
        _ => format!(
            "{} and {}",
            plural(days / 7, "week"),
            plural(days % 7, "day")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;

    fn calendar(extra: &str) -> Calendar {
        let yaml = format!(
            "timezone: America/Los_Angeles\nschedule: {{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }}\nrotation: {{ members: [alice] }}\n{extra}"
        );
        let config = parse_repo_config(".github/relman.yml", &yaml).expect("config");
        Calendar::from_config(&config, &[])
    }

    /// 10:00 Los Angeles time on `date` (a release is cut and staged in the day).
    fn at(date: &str, hour: u32) -> DateTime<Utc> {
        let date: NaiveDate = date.parse().expect("date");
        calendar("").start_of_day(date) + Duration::hours(i64::from(hour))
    }

    /// What happens, in order: a version reaching an environment, a hotfix replacing a release
    /// day's production release.
    #[derive(Clone)]
    enum Event {
        Staging(&'static str),
        /// A regular release cut (and staged) ahead of its release day.
        CutAhead(&'static str, &'static str),
        /// Production runs a fix this version does not have.
        Lacks(&'static str),
        Production(&'static str),
        Replaces(&'static str),
    }

    /// At an instant: (the due version, the release day it is for, days late, the soaking
    /// version and the day it becomes due).
    type Expect = (
        Option<&'static str>,
        Option<&'static str>,
        Option<i64>,
        Option<&'static str>,
        Option<&'static str>,
    );

    /// [`Expect`] as the plan gives it.
    type Owned = (
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );

    /// Plays `events` and checks the plan at each `check` (an instant after the events before
    /// it in the list).
    fn play(calendar: &Calendar, soak: Soak, steps: &[(DateTime<Utc>, Option<Event>, Expect)]) {
        let mut staging: Vec<Deployed> = Vec::new();
        let mut production: Option<&str> = None;
        let mut replaced: Vec<NaiveDate> = Vec::new();
        let mut lacking: Vec<(String, String)> = Vec::new();
        for (i, (now, event, expect)) in steps.iter().enumerate() {
            match event {
                Some(Event::Staging(v)) => staging.push(Deployed {
                    version: v.to_string(),
                    sha: None,
                    at: *now,
                    soak_from: None,
                }),
                Some(Event::CutAhead(v, day)) => staging.push(Deployed {
                    version: v.to_string(),
                    sha: None,
                    at: *now,
                    soak_from: Some(calendar.start_of_day(day.parse().expect("date"))),
                }),
                Some(Event::Production(v)) => production = Some(v),
                Some(Event::Replaces(day)) => replaced.push(day.parse().expect("date")),
                Some(Event::Lacks(version)) => {
                    lacking.push((version.to_string(), "it lacks the hotfix".to_string()))
                }
                None => {}
            }
            let plan = production_plan(
                &ProductionFacts {
                    calendar,
                    soak,
                    tag_prefix: "v",
                    staging: &staging,
                    production,
                    replaced_days: &replaced,
                    lacking: &lacking,
                },
                *now,
            );
            let today = now.with_timezone(&calendar.timezone()).date_naive();
            let got: Owned = (
                plan.due.as_ref().map(|c| c.version.clone()),
                plan.due
                    .as_ref()
                    .and(plan.release_day.as_ref())
                    .and_then(|d| d.date)
                    .map(|d| d.to_string()),
                plan.days_late(today),
                plan.soaking.as_ref().map(|c| c.version.clone()),
                plan.soaking_due_on.map(|d| d.to_string()),
            );
            let want = (
                expect.0.map(str::to_string),
                expect.1.map(str::to_string),
                expect.2,
                expect.3.map(str::to_string),
                expect.4.map(str::to_string),
            );
            assert_eq!(got, want, "step {i} at {now}");
        }
    }

    use Event::{Production as P, Replaces as R, Staging as S};

    #[test]
    fn the_process_example_over_three_cycles() {
        // Release days: Tue 24 Nov, 8 Dec, 22 Dec 2026, 5 Jan 2027.
        let cal = calendar("");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                // v0.0.3 was cut on 24 Nov; production runs v0.0.2.
                (
                    at("2026-11-24", 13),
                    Some(S("v0.0.3")),
                    (None, None, None, Some("v0.0.3"), Some("2026-12-08")),
                ),
                (
                    at("2026-11-24", 15),
                    Some(P("v0.0.2")),
                    (None, None, None, Some("v0.0.3"), Some("2026-12-08")),
                ),
                // Week 1, release day, morning: v0.0.3 soaked two weeks and is due.
                (
                    at("2026-12-08", 9),
                    None,
                    (Some("v0.0.3"), Some("2026-12-08"), None, None, None),
                ),
                // v0.0.4 is cut and reaches staging: it soaks; v0.0.3 stays the candidate.
                (
                    at("2026-12-08", 13),
                    Some(S("v0.0.4")),
                    (
                        Some("v0.0.3"),
                        Some("2026-12-08"),
                        None,
                        Some("v0.0.4"),
                        Some("2026-12-22"),
                    ),
                ),
                (
                    at("2026-12-08", 16),
                    Some(P("v0.0.3")),
                    (None, None, None, Some("v0.0.4"), Some("2026-12-22")),
                ),
                // Week 2: staging v0.0.4, production v0.0.3, nothing due.
                (
                    at("2026-12-15", 10),
                    None,
                    (None, None, None, Some("v0.0.4"), Some("2026-12-22")),
                ),
                // Week 3: v0.0.4 is due; v0.0.5 is cut and soaks.
                (
                    at("2026-12-22", 9),
                    None,
                    (Some("v0.0.4"), Some("2026-12-22"), None, None, None),
                ),
                (
                    at("2026-12-22", 13),
                    Some(S("v0.0.5")),
                    (
                        Some("v0.0.4"),
                        Some("2026-12-22"),
                        None,
                        Some("v0.0.5"),
                        Some("2027-01-05"),
                    ),
                ),
                (
                    at("2026-12-22", 14),
                    Some(P("v0.0.4")),
                    (None, None, None, Some("v0.0.5"), Some("2027-01-05")),
                ),
                // A cycle with no changes: nothing is cut on 5 Jan, v0.0.5 goes to production.
                (
                    at("2027-01-05", 9),
                    None,
                    (Some("v0.0.5"), Some("2027-01-05"), None, None, None),
                ),
                (
                    at("2027-01-05", 12),
                    Some(P("v0.0.5")),
                    (None, None, None, None, None),
                ),
                // The next release day: staging and production match, nothing to request.
                (at("2027-01-19", 9), None, (None, None, None, None, None)),
            ],
        );
    }

    #[test]
    fn a_late_qa_blocker_keeps_the_candidate_due_until_the_next_release_day() {
        let cal = calendar("");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-11-24", 13),
                    Some(S("v1.4.0")),
                    (None, None, None, Some("v1.4.0"), Some("2026-12-08")),
                ),
                (
                    at("2026-11-24", 14),
                    Some(P("v1.3.0")),
                    (None, None, None, Some("v1.4.0"), Some("2026-12-08")),
                ),
                (
                    at("2026-12-08", 13),
                    Some(S("v1.5.0")),
                    (
                        Some("v1.4.0"),
                        Some("2026-12-08"),
                        None,
                        Some("v1.5.0"),
                        Some("2026-12-22"),
                    ),
                ),
                // Blocked on the day; two days later it is still v1.4.0 that is due, late.
                (
                    at("2026-12-10", 10),
                    None,
                    (
                        Some("v1.4.0"),
                        Some("2026-12-08"),
                        Some(2),
                        Some("v1.5.0"),
                        Some("2026-12-22"),
                    ),
                ),
                // Never deployed: on the next release day v1.5.0 (which has v1.4.0's changes) is.
                (
                    at("2026-12-22", 8),
                    None,
                    (Some("v1.5.0"), Some("2026-12-22"), None, None, None),
                ),
            ],
        );
    }

    #[test]
    fn a_skipped_holiday_hands_its_production_release_to_the_next_release_day() {
        let cal = calendar("holidays: { dates: [2026-12-22], on_holiday: skip }\n");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-12-08", 13),
                    Some(S("v1.5.0")),
                    (None, None, None, Some("v1.5.0"), Some("2027-01-05")),
                ),
                (
                    at("2026-12-08", 14),
                    Some(P("v1.4.0")),
                    (None, None, None, Some("v1.5.0"), Some("2027-01-05")),
                ),
                // 22 Dec is skipped: no request that day.
                (
                    at("2026-12-22", 10),
                    None,
                    (None, None, None, Some("v1.5.0"), Some("2027-01-05")),
                ),
                (
                    at("2027-01-05", 9),
                    None,
                    (Some("v1.5.0"), Some("2027-01-05"), None, None, None),
                ),
            ],
        );
    }

    #[test]
    fn a_moved_holiday_moves_the_production_release_with_it() {
        let cal = calendar("holidays: { dates: [2026-12-22] }\n");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-12-08", 13),
                    Some(S("v1.5.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-23")),
                ),
                (
                    at("2026-12-08", 14),
                    Some(P("v1.4.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-23")),
                ),
                (
                    at("2026-12-22", 10),
                    None,
                    (None, None, None, Some("v1.5.0"), Some("2026-12-23")),
                ),
                (
                    at("2026-12-23", 9),
                    None,
                    (Some("v1.5.0"), Some("2026-12-23"), None, None, None),
                ),
            ],
        );
    }

    #[test]
    fn a_warmfix_reaches_production_on_the_release_day_after_it_reached_staging() {
        let cal = calendar("");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-12-08", 13),
                    Some(S("v1.5.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-08", 14),
                    Some(P("v1.4.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                // In the week between release days: the warmfix soaks in v1.5.0's place.
                (
                    at("2026-12-15", 11),
                    Some(S("v1.5.1")),
                    (None, None, None, Some("v1.5.1"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-22", 9),
                    None,
                    (Some("v1.5.1"), Some("2026-12-22"), None, None, None),
                ),
                (
                    at("2026-12-22", 12),
                    Some(P("v1.5.1")),
                    (None, None, None, None, None),
                ),
                // In the release week (Mon 4 Jan), replacing 5 Jan's staging release: it is
                // what staging runs when the day begins, so it goes to production that day.
                (
                    at("2027-01-04", 11),
                    Some(S("v1.5.2")),
                    (None, None, None, Some("v1.5.2"), Some("2027-01-05")),
                ),
                (
                    at("2027-01-05", 9),
                    None,
                    (Some("v1.5.2"), Some("2027-01-05"), None, None, None),
                ),
            ],
        );
    }

    #[test]
    fn a_hotfix_goes_out_at_once_and_replaces_what_it_must() {
        let cal = calendar("");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-12-08", 13),
                    Some(S("v1.5.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-08", 14),
                    Some(P("v1.4.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                // Between release days: hotfix v1.4.1 on staging and in production. Staging ran
                // it when 22 Dec began, so production is up to date that day; v1.5.0's changes
                // go with 22 Dec's cut on 5 Jan.
                (
                    at("2026-12-15", 10),
                    Some(S("v1.4.1")),
                    (None, None, None, Some("v1.4.1"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-15", 12),
                    Some(P("v1.4.1")),
                    (None, None, None, None, None),
                ),
                (at("2026-12-22", 9), None, (None, None, None, None, None)),
                (
                    at("2026-12-22", 13),
                    Some(S("v1.6.0")),
                    (None, None, None, Some("v1.6.0"), Some("2027-01-05")),
                ),
                // In the release week of 5 Jan: hotfix v1.6.1 replaces that day's production
                // release, even though staging still ran v1.6.0 when the day began.
                (
                    at("2027-01-04", 10),
                    Some(P("v1.6.1")),
                    (None, None, None, None, None),
                ),
                (
                    at("2027-01-04", 10),
                    Some(R("2027-01-05")),
                    (None, None, None, None, None),
                ),
                (at("2027-01-05", 9), None, (None, None, None, None, None)),
                (
                    at("2027-01-05", 13),
                    Some(S("v1.7.0")),
                    (None, None, None, Some("v1.7.0"), Some("2027-01-19")),
                ),
            ],
        );
    }

    #[test]
    fn the_release_days_hotfix_replacement_only_holds_that_day_back() {
        let cal = calendar("");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-12-08", 13),
                    Some(S("v1.5.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-08", 14),
                    Some(P("v1.4.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                // A hotfix in the release week that did not go to staging: v1.5.0 would be due,
                // but the hotfix replaced 22 Dec's production release.
                (
                    at("2026-12-21", 10),
                    Some(P("v1.4.1")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-21", 10),
                    Some(R("2026-12-22")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-22", 9),
                    None,
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2027-01-05", 9),
                    None,
                    (Some("v1.5.0"), Some("2027-01-05"), None, None, None),
                ),
            ],
        );
    }

    #[test]
    fn a_version_that_lacks_a_fix_production_runs_is_held_back() {
        let cal = calendar("");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-12-08", 13),
                    Some(S("v1.5.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-08", 14),
                    Some(P("v1.4.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                // Hotfix v1.4.1 straight to production (not staging); its fix merged after
                // v1.5.0 was cut, so v1.5.0 would undo it.
                (
                    at("2026-12-15", 10),
                    Some(P("v1.4.1")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-15", 10),
                    Some(Event::Lacks("v1.5.0")),
                    (None, None, None, None, None),
                ),
                (at("2026-12-22", 9), None, (None, None, None, None, None)),
                // 22 Dec's cut has the fix: it goes on 5 Jan.
                (
                    at("2026-12-22", 13),
                    Some(S("v1.6.0")),
                    (None, None, None, Some("v1.6.0"), Some("2027-01-05")),
                ),
                (
                    at("2027-01-05", 9),
                    None,
                    (Some("v1.6.0"), Some("2027-01-05"), None, None, None),
                ),
            ],
        );
    }

    #[test]
    fn a_soak_of_days_replaces_the_release_day() {
        let cal = calendar("");
        play(
            &cal,
            Soak::Days(3),
            &[
                (
                    at("2026-12-08", 13),
                    Some(S("v1.5.0")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-11")),
                ),
                (
                    at("2026-12-11", 12),
                    None,
                    (None, None, None, Some("v1.5.0"), Some("2026-12-11")),
                ),
                (
                    at("2026-12-11", 14),
                    None,
                    (Some("v1.5.0"), Some("2026-12-11"), None, None, None),
                ),
            ],
        );
        play(
            &cal,
            Soak::Days(0),
            &[(
                at("2026-12-08", 13),
                Some(S("v1.5.0")),
                (Some("v1.5.0"), Some("2026-12-08"), None, None, None),
            )],
        );
    }

    #[test]
    fn a_redeploy_does_not_restart_the_soak_and_production_never_goes_back() {
        let cal = calendar("");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-11-24", 13),
                    Some(S("v1.4.0")),
                    (None, None, None, Some("v1.4.0"), Some("2026-12-08")),
                ),
                (
                    at("2026-12-07", 13),
                    Some(S("v1.4.0")),
                    (None, None, None, Some("v1.4.0"), Some("2026-12-08")),
                ),
                (
                    at("2026-12-08", 9),
                    None,
                    (Some("v1.4.0"), Some("2026-12-08"), None, None, None),
                ),
                // Production got something newer by hand: v1.4.0 would be a step back.
                (
                    at("2026-12-08", 10),
                    Some(P("v1.4.2")),
                    (None, None, None, None, None),
                ),
            ],
        );
    }

    #[test]
    fn a_release_cut_ahead_of_its_day_soaks_from_that_day() {
        let cal = calendar("");
        play(
            &cal,
            Soak::NextReleaseDay,
            &[
                (
                    at("2026-12-07", 13),
                    Some(Event::CutAhead("v1.5.0", "2026-12-08")),
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-08", 9),
                    None,
                    (None, None, None, Some("v1.5.0"), Some("2026-12-22")),
                ),
                (
                    at("2026-12-22", 9),
                    None,
                    (Some("v1.5.0"), Some("2026-12-22"), None, None, None),
                ),
            ],
        );
    }

    #[test]
    fn soak_durations_read_as_people_say_them() {
        let t0 = at("2026-12-08", 13);
        assert_eq!(soaked_for(t0, t0 + Duration::hours(5)), "5 hours");
        assert_eq!(soaked_for(t0, t0 + Duration::days(1)), "1 day");
        assert_eq!(soaked_for(t0, t0 + Duration::days(14)), "2 weeks");
        assert_eq!(soaked_for(t0, t0 + Duration::days(15)), "2 weeks and 1 day");
    }
}
