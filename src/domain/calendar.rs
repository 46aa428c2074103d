//! The release calendar: which local dates are release days, and why some moved or were
//! skipped.
//!
//! Release days repeat every `every_weeks` weeks from `anchor`, both forwards and backwards,
//! as local dates in the repository's time zone. A scheduled day that is a holiday either moves
//! to the next business day (Monday to Friday, not a holiday) or is skipped. Time is always
//! passed in; nothing here reads a clock.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::ics::{IcsHoliday, YearlyRule};
use crate::config::repo::{HolidayDates, OnHoliday, RepoConfig};

/// How many cycles [`Calendar::next_release`] looks ahead before concluding that no release
/// will happen (for example when holidays cover every day for centuries).
pub const MAX_CYCLES_SEARCHED: usize = 10_000;

/// One scheduled release day and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseDay {
    /// Cycles since the anchor (0 is the anchor's cycle; negative before it).
    pub cycle: i64,
    /// The date the cadence puts the release on.
    pub scheduled: NaiveDate,
    /// The date the release happens; None when it is skipped.
    pub date: Option<NaiveDate>,
    /// Why `date` differs from `scheduled`; None when the release happens as scheduled.
    pub reason: Option<Adjustment>,
    /// The instant the local day `date` starts.
    pub starts_at: Option<DateTime<Utc>>,
    /// The local date the tracking issue opens on: `tracking_issue_days_before` days before
    /// `date`.
    pub tracking_issue_on: Option<NaiveDate>,
    /// The instant the local day `tracking_issue_on` starts.
    pub tracking_issue_at: Option<DateTime<Utc>>,
}

impl ReleaseDay {
    pub fn is_skipped(&self) -> bool {
        self.date.is_none()
    }

    pub fn is_moved(&self) -> bool {
        matches!(self.reason, Some(Adjustment::Moved { .. }))
    }
}

/// Why a release day moved or was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Adjustment {
    /// The scheduled day is a holiday; the release moved to the next business day.
    Moved { holiday: Holiday },
    /// The scheduled day is a holiday and `on_holiday: skip`.
    Skipped { holiday: Holiday },
    /// The scheduled day is a holiday, and every day up to the next scheduled release day is a
    /// weekend day or a holiday too, so this cycle has no release.
    NoBusinessDayBeforeNextRelease { holiday: Holiday },
}

impl Adjustment {
    /// The holiday on the scheduled day.
    pub fn holiday(&self) -> &Holiday {
        match self {
            Adjustment::Moved { holiday }
            | Adjustment::Skipped { holiday }
            | Adjustment::NoBusinessDayBeforeNextRelease { holiday } => holiday,
        }
    }
}

impl fmt::Display for Adjustment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Adjustment::Moved { holiday } => write!(f, "moved: {holiday}"),
            Adjustment::Skipped { holiday } => write!(f, "skipped: {holiday}"),
            Adjustment::NoBusinessDayBeforeNextRelease { holiday } => {
                write!(
                    f,
                    "skipped: {holiday}, and no business day before the next release day"
                )
            }
        }
    }
}

/// A holiday covering one or more consecutive days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    pub name: Option<String>,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub source: HolidaySource,
}

impl fmt::Display for Holiday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "holiday {name}")?,
            None => write!(f, "holiday")?,
        }
        if self.first == self.last {
            write!(f, " ({})", self.first)
        } else {
            write!(f, " ({}..{})", self.first, self.last)
        }
    }
}

/// Where a holiday was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidaySource {
    /// `holidays.dates` in relman.yml.
    Config,
    /// The `holidays.ics` file.
    Ics,
}

/// The release days of one repository.
#[derive(Debug, Clone)]
pub struct Calendar {
    timezone: Tz,
    anchor: NaiveDate,
    cadence_days: i64,
    tracking_issue_days_before: i64,
    on_holiday: OnHoliday,
    /// Dated holidays: config entries and one-off ics events, in declaration order.
    dated: Vec<Holiday>,
    yearly: Vec<YearlyRule>,
}

impl Calendar {
    /// The calendar of a validated config plus the holidays read from its `holidays.ics` file
    /// (see [`super::ics::parse_holiday_ics`]; pass `&[]` when there is none).
    pub fn from_config(config: &RepoConfig, ics_holidays: &[IcsHoliday]) -> Calendar {
        let mut dated: Vec<Holiday> = config
            .holidays
            .dates
            .iter()
            .map(|dates: &HolidayDates| Holiday {
                name: None,
                first: dates.first(),
                last: dates.last(),
                source: HolidaySource::Config,
            })
            .collect();
        let mut yearly = Vec::new();
        for holiday in ics_holidays {
            match holiday {
                IcsHoliday::Dated { name, first, last } => dated.push(Holiday {
                    name: name.clone(),
                    first: *first,
                    last: *last,
                    source: HolidaySource::Ics,
                }),
                IcsHoliday::Yearly(rule) => yearly.push(rule.clone()),
            }
        }
        Calendar {
            timezone: config.timezone.0,
            anchor: config.schedule.anchor,
            // Validation keeps every_weeks in 1..=52; a hand-built 0 must not divide by zero.
            cadence_days: config.schedule.cadence_days().max(7),
            tracking_issue_days_before: i64::from(config.schedule.tracking_issue_days_before),
            on_holiday: config.holidays.on_holiday,
            dated,
            yearly,
        }
    }

    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    pub fn anchor(&self) -> NaiveDate {
        self.anchor
    }

    /// How many days before a release day its tracking issue opens.
    pub fn tracking_issue_days_before(&self) -> i64 {
        self.tracking_issue_days_before
    }

    pub fn cadence_days(&self) -> i64 {
        self.cadence_days
    }

    /// The holiday covering `date`, if any (the first declared when several do).
    pub fn holiday_on(&self, date: NaiveDate) -> Option<Holiday> {
        if let Some(holiday) = self
            .dated
            .iter()
            .find(|h| h.first <= date && date <= h.last)
        {
            return Some(holiday.clone());
        }
        self.yearly
            .iter()
            .find_map(|rule| rule.occurrence_covering(date))
            .map(|(rule, first, last)| Holiday {
                name: rule.name.clone(),
                first,
                last,
                source: HolidaySource::Ics,
            })
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.dated.iter().any(|h| h.first <= date && date <= h.last)
            || self
                .yearly
                .iter()
                .any(|rule| rule.occurrence_covering(date).is_some())
    }

    /// Monday to Friday and not a holiday.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        date.weekday().num_days_from_monday() < 5 && !self.is_holiday(date)
    }

    /// The scheduled date of `cycle`; None outside chrono's date range.
    pub fn scheduled_date(&self, cycle: i64) -> Option<NaiveDate> {
        let offset = cycle.checked_mul(self.cadence_days)?;
        self.anchor.checked_add_signed(Duration::try_days(offset)?)
    }

    /// The cycle whose scheduled date is the latest on or before `date`.
    pub fn cycle_on_or_before(&self, date: NaiveDate) -> i64 {
        (date - self.anchor)
            .num_days()
            .div_euclid(self.cadence_days)
    }

    /// The release day of `cycle`; None outside chrono's date range.
    pub fn release_day(&self, cycle: i64) -> Option<ReleaseDay> {
        let scheduled = self.scheduled_date(cycle)?;
        let Some(holiday) = self.holiday_on(scheduled) else {
            return Some(self.day(cycle, scheduled, Some(scheduled), None));
        };
        let (date, reason) = match self.on_holiday {
            OnHoliday::Skip => (None, Adjustment::Skipped { holiday }),
            OnHoliday::NextBusinessDay => {
                // A move must stay before the next scheduled day, or two releases would share
                // (or swap) dates; past that the cycle has no release.
                let next_scheduled =
                    scheduled.checked_add_signed(Duration::days(self.cadence_days))?;
                let moved_to = scheduled
                    .iter_days()
                    .skip(1)
                    .take_while(|day| *day < next_scheduled)
                    .find(|day| self.is_business_day(*day));
                match moved_to {
                    Some(date) => (Some(date), Adjustment::Moved { holiday }),
                    None => (None, Adjustment::NoBusinessDayBeforeNextRelease { holiday }),
                }
            }
        };
        Some(self.day(cycle, scheduled, date, Some(reason)))
    }

    fn day(
        &self,
        cycle: i64,
        scheduled: NaiveDate,
        date: Option<NaiveDate>,
        reason: Option<Adjustment>,
    ) -> ReleaseDay {
        let tracking_issue_on = date.and_then(|date| {
            date.checked_sub_signed(Duration::days(self.tracking_issue_days_before))
        });
        ReleaseDay {
            cycle,
            scheduled,
            date,
            reason,
            starts_at: date.map(|date| self.start_of_day(date)),
            tracking_issue_on,
            tracking_issue_at: tracking_issue_on.map(|date| self.start_of_day(date)),
        }
    }

    /// Release days (including skipped ones) whose date — or, when skipped, scheduled date — is
    /// on or after `date`, in order. Unbounded: use `take`.
    pub fn releases_from(&self, date: NaiveDate) -> ReleaseDays<'_> {
        let cycle = self.cycle_on_or_before(date);
        // The cycle scheduled on or before `date` belongs to the result only if it is on
        // `date` itself or moved onto or past it.
        let starts_here = self
            .release_day(cycle)
            .is_some_and(|day| day.date.unwrap_or(day.scheduled) >= date);
        ReleaseDays {
            calendar: self,
            next_cycle: if starts_here { cycle } else { cycle + 1 },
        }
    }

    /// The next release that is not skipped and whose local day has not ended at `now`: on a
    /// release day, that day's release.
    pub fn next_release(&self, now: DateTime<Utc>) -> Option<ReleaseDay> {
        let today = now.with_timezone(&self.timezone).date_naive();
        self.releases_from(today)
            .take(MAX_CYCLES_SEARCHED)
            .find(|day| day.date.is_some())
    }

    /// The release day happening on `date`, or skipped from it.
    pub fn release_on(&self, date: NaiveDate) -> Option<ReleaseDay> {
        // A moved release stays before the next scheduled day, so only the cycle scheduled on or
        // before `date` can be on it.
        let day = self.release_day(self.cycle_on_or_before(date))?;
        match day.date {
            Some(actual) if actual == date => Some(day),
            None if day.scheduled == date => Some(day),
            _ => None,
        }
    }

    /// The instant the local day `date` starts in the calendar's time zone. That is local
    /// midnight, except where a DST change skips midnight: then the first instant of the day.
    pub fn start_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        start_of_local_day(self.timezone, date)
    }
}

/// The instant the local day `date` starts in `tz`.
pub fn start_of_local_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(start) => start.with_timezone(&Utc),
        // Midnight happens twice when clocks go back over it; the day starts at the first.
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // Midnight is skipped when clocks jump forward over it (e.g. America/Santiago): the
        // day starts at the first local time that exists, which is the transition instant.
        LocalResult::None => (1..=24 * 60)
            .map(|minutes| midnight + Duration::minutes(minutes))
            .find_map(|local| tz.from_local_datetime(&local).earliest())
            .map_or_else(|| midnight.and_utc(), |start| start.with_timezone(&Utc)),
    }
}

/// Release days in order, from [`Calendar::releases_from`].
#[derive(Debug, Clone)]
pub struct ReleaseDays<'a> {
    calendar: &'a Calendar,
    next_cycle: i64,
}

impl Iterator for ReleaseDays<'_> {
    type Item = ReleaseDay;

    fn next(&mut self) -> Option<ReleaseDay> {
        let day = self.calendar.release_day(self.next_cycle)?;
        self.next_cycle += 1;
        Some(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn calendar(extra: &str) -> Calendar {
        let text = format!(
            "schedule: {{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }}\nrotation: {{ members: [alice] }}\n{extra}"
        );
        Calendar::from_config(&parse_repo_config("t.yml", &text).unwrap(), &[])
    }

    #[test]
    fn cycles_run_both_ways_from_the_anchor() {
        let calendar = calendar("");
        assert_eq!(calendar.scheduled_date(-1), Some(date("2025-12-23")));
        assert_eq!(calendar.cycle_on_or_before(date("2026-01-05")), -1);
        assert_eq!(calendar.cycle_on_or_before(date("2026-01-06")), 0);
        assert_eq!(calendar.cycle_on_or_before(date("2026-01-19")), 0);
    }

    #[test]
    fn releases_from_includes_a_release_moved_onto_the_start() {
        let calendar = calendar("holidays: { dates: [2026-01-20] }");
        let first = calendar.releases_from(date("2026-01-21")).next().unwrap();
        assert_eq!(first.scheduled, date("2026-01-20"));
        assert_eq!(first.date, Some(date("2026-01-21")));
        assert_eq!(
            calendar
                .releases_from(date("2026-01-22"))
                .next()
                .unwrap()
                .scheduled,
            date("2026-02-03")
        );
    }

    #[test]
    fn release_on_finds_moved_and_skipped_days() {
        let moved = calendar("holidays: { dates: [2026-01-20] }");
        assert_eq!(
            moved.release_on(date("2026-01-21")).unwrap().scheduled,
            date("2026-01-20")
        );
        assert_eq!(moved.release_on(date("2026-01-20")), None);
        let skipped = calendar("holidays: { dates: [2026-01-20], on_holiday: skip }");
        assert!(skipped.release_on(date("2026-01-20")).unwrap().is_skipped());
    }
}
