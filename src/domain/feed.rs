//! The calendar feed of a repository, from its configuration. Pure.

use chrono::{DateTime, Days, Utc};

use super::calendar::Calendar;
use super::calendar_view::{calendar_entries, render_calendar_ics};
use super::ics::IcsHoliday;
use super::rotation::Rotation;
use crate::config::repo::{RepoConfig, RepoSlug};

/// How far back and how far ahead the feed reaches: a quarter of history (people look back at
/// what shipped when) and a year ahead.
const DAYS_BACK: u64 = 92;
const RELEASES: usize = 36;

pub fn calendar_feed(
    config: &RepoConfig,
    ics_holidays: &[IcsHoliday],
    owner: &str,
    name: &str,
    now: DateTime<Utc>,
) -> String {
    let calendar = Calendar::from_config(config, ics_holidays);
    let rotation = Rotation::from_config(config, &calendar);
    let today = now.with_timezone(&calendar.timezone()).date_naive();
    let from = today
        .checked_sub_days(Days::new(DAYS_BACK))
        .unwrap_or(today);
    let entries = calendar_entries(&calendar, &rotation, &[], from, RELEASES);
    let slug = RepoSlug {
        owner: owner.to_string(),
        name: name.to_string(),
    };
    render_calendar_ics(&slug, &entries, now)
}
