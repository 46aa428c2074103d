//! The release calendar with its release managers, for people (`relman calendar`), programs
//! (`--json`) and calendar apps (the RFC 5545 feed).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use icalendar::{Component, EventLike, EventStatus};
use serde::Serialize;

use crate::config::repo::RepoSlug;
use crate::domain::calendar::{Calendar, ReleaseDay};
use crate::domain::rotation::{Assignment, Rotation, Swap};

/// A release day with its release manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarEntry {
    #[serde(flatten)]
    pub day: ReleaseDay,
    pub release_manager: Assignment,
}

/// The next `count` release days (skipped ones included) from `from`, with their managers.
pub fn calendar_entries(
    calendar: &Calendar,
    rotation: &Rotation,
    swaps: &[Swap],
    from: NaiveDate,
    count: usize,
) -> Vec<CalendarEntry> {
    calendar
        .releases_from(from)
        .take(count)
        .map(|day| {
            let release_manager = rotation.manager_for(&day, calendar, swaps);
            CalendarEntry {
                day,
                release_manager,
            }
        })
        .collect()
}

/// A plain-text table, one release day a line:
///
/// ```text
/// DATE        DAY  RELEASE MANAGER  TRACKING ISSUE  NOTE
/// 2026-01-06  Tue  alice            2026-01-05
/// 2026-12-30  Wed  carol            2026-12-29      moved from Tue 2026-12-29: holiday (2026-12-28..2027-01-01)
/// ```
pub fn render_calendar_text(calendar: &Calendar, entries: &[CalendarEntry]) -> String {
    let header = ["DATE", "DAY", "RELEASE MANAGER", "TRACKING ISSUE", "NOTE"];
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|entry| {
            let day = &entry.day;
            let shown = day.date.unwrap_or(day.scheduled);
            let note = match (&day.reason, day.date) {
                (None, _) => String::new(),
                (Some(reason), Some(_)) => {
                    format!(
                        "moved from {} {}: {}",
                        short_weekday(day.scheduled),
                        day.scheduled,
                        reason.holiday()
                    )
                }
                (Some(reason), None) => reason.to_string(),
            };
            let mut manager = entry.release_manager.manager.clone();
            match entry.release_manager.source {
                crate::domain::rotation::AssignmentSource::Rotation => {}
                crate::domain::rotation::AssignmentSource::Override => {
                    manager.push_str(" (override)")
                }
                crate::domain::rotation::AssignmentSource::Swap => manager.push_str(" (swap)"),
            }
            [
                shown.to_string(),
                if day.date.is_some() {
                    short_weekday(shown).to_owned()
                } else {
                    "-".to_owned()
                },
                manager,
                day.tracking_issue_on
                    .map_or_else(|| "-".to_owned(), |date| date.to_string()),
                note,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let cadence_weeks = calendar.cadence_days() / 7;
    let cadence = if cadence_weeks == 1 {
        "every week".to_owned()
    } else {
        format!("every {cadence_weeks} weeks")
    };
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "Release days ({cadence}, dates in {})",
        calendar.timezone().name()
    );
    let header_row = header.map(str::to_owned);
    for row in std::iter::once(&header_row).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The calendar as pretty JSON: `{"timezone": ..., "every_weeks": ..., "releases": [...]}`,
/// each release a [`CalendarEntry`].
pub fn render_calendar_json(calendar: &Calendar, entries: &[CalendarEntry]) -> String {
    #[derive(Serialize)]
    struct Document<'a> {
        timezone: &'a str,
        every_weeks: i64,
        releases: &'a [CalendarEntry],
    }
    let document = Document {
        timezone: calendar.timezone().name(),
        every_weeks: calendar.cadence_days() / 7,
        releases: entries,
    };
    // Serializing plain structs of strings, dates and numbers cannot fail.
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

fn short_weekday(date: NaiveDate) -> &'static str {
    match date.weekday() {
        chrono::Weekday::Mon => "Mon",
        chrono::Weekday::Tue => "Tue",
        chrono::Weekday::Wed => "Wed",
        chrono::Weekday::Thu => "Thu",
        chrono::Weekday::Fri => "Fri",
        chrono::Weekday::Sat => "Sat",
        chrono::Weekday::Sun => "Sun",
    }
}

/// The release calendar as an RFC 5545 feed: one all-day `VEVENT` per release day with the
/// release manager in `SUMMARY`; skipped days are `STATUS:CANCELLED` on their scheduled date.
/// A day's `UID` is `<scheduled date>@<owner>.<repo>.relman`, stable when the day moves, so
/// subscribed calendars update the event instead of adding one. `dtstamp` is when the feed was
/// generated (RFC 5545 requires it; passed in to keep this pure).
pub fn render_calendar_ics(
    repo: &RepoSlug,
    entries: &[CalendarEntry],
    dtstamp: DateTime<Utc>,
) -> String {
    let mut calendar = icalendar::Calendar::empty();
    calendar
        .append_property(icalendar::Property::new("VERSION", "2.0"))
        .append_property(icalendar::Property::new(
            "PRODID",
            "-//relman//release calendar//EN",
        ))
        .append_property(icalendar::Property::new("CALSCALE", "GREGORIAN"))
        .append_property(icalendar::Property::new("METHOD", "PUBLISH"))
        .name(&format!("{repo} releases"));
    for entry in entries {
        let day = &entry.day;
        let on = day.date.unwrap_or(day.scheduled);
        let mut event = icalendar::Event::new();
        event
            .uid(&format!(
                "{}@{}.{}.relman",
                day.scheduled, repo.owner, repo.name
            ))
            .timestamp(dtstamp)
            .starts(on)
            .ends(on.succ_opt().unwrap_or(on));
        let manager = &entry.release_manager.manager;
        match &day.reason {
            None => {
                event
                    .summary(&format!("{repo} release ({manager})"))
                    .status(EventStatus::Confirmed);
            }
            Some(reason) if day.date.is_some() => {
                event
                    .summary(&format!("{repo} release ({manager})"))
                    .description(&format!("Scheduled for {}; {reason}.", day.scheduled))
                    .status(EventStatus::Confirmed);
            }
            Some(reason) => {
                event
                    .summary(&format!("{repo} release skipped ({manager})"))
                    .description(&format!("Scheduled for {}; {reason}.", day.scheduled))
                    .status(EventStatus::Cancelled);
            }
        }
        calendar.push(event.done());
    }
    calendar.to_string()
}
