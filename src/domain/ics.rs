//! Reading a holiday calendar (`holidays.ics`). Writing the release calendar as a feed is in
//! `calendar_view`, above the calendar that uses these holidays.
//!
//! Reading supports what holiday calendars use: all-day and multi-day events, timed events
//! (counted on the local dates written in the file), and yearly recurrence
//! (`RRULE:FREQ=YEARLY` with at most one `BYMONTH`, and one `BYMONTHDAY` or one `BYDAY` with an
//! ordinal such as `4TH` or `-1MO`, plus `INTERVAL`, `COUNT` and `UNTIL`). Anything else in a
//! recurrence — other frequencies, `BYSETPOS`, `RDATE`/`EXDATE`, … — is rejected with the
//! event's name rather than silently misread. Yearly rules are evaluated per queried date
//! instead of being expanded, so they cost nothing up front and have no horizon.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventStatus};

/// A holiday read from an iCalendar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IcsHoliday {
    /// A one-off holiday over the inclusive days `first..=last`.
    Dated {
        name: Option<String>,
        first: NaiveDate,
        last: NaiveDate,
    },
    /// A holiday that recurs every year (or every `interval` years).
    Yearly(YearlyRule),
}

/// A yearly recurring holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearlyRule {
    pub name: Option<String>,
    /// `DTSTART`: the first occurrence cannot be earlier.
    pub start: NaiveDate,
    /// How many days each occurrence covers (at least 1).
    pub days: i64,
    pub month: u32,
    pub day: YearlyDay,
    pub interval: u32,
    /// Occurrences after this date do not happen.
    pub until: Option<NaiveDate>,
    /// How many occurrences happen in total.
    pub count: Option<u32>,
}

/// Which day of `month` a yearly holiday falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearlyDay {
    /// `BYMONTHDAY`: 1..=31, or -1..=-31 counting from the end of the month.
    MonthDay(i32),
    /// `BYDAY` with an ordinal: the `n`th `weekday` (negative: counting from the end).
    NthWeekday { n: i32, weekday: chrono::Weekday },
}

/// Longest occurrence accepted for a yearly holiday: longer would overlap the next year's.
const MAX_YEARLY_DAYS: i64 = 366;

impl YearlyRule {
    /// The occurrence in `year`, if the rule has one.
    pub fn occurrence_in(&self, year: i32) -> Option<NaiveDate> {
        let years = year.checked_sub(self.start.year())?;
        let interval = i32::try_from(self.interval).ok()?;
        if years < 0 || years % interval != 0 {
            return None;
        }
        if let Some(count) = self.count
            && u32::try_from(years / interval).ok()? >= count
        {
            return None;
        }
        let date = match self.day {
            YearlyDay::MonthDay(day) if day > 0 => {
                NaiveDate::from_ymd_opt(year, self.month, u32::try_from(day).ok()?)?
            }
            YearlyDay::MonthDay(day) => {
                let last = last_day_of_month(year, self.month)?;
                let date = last.checked_sub_signed(Duration::days(i64::from(-day - 1)))?;
                // -31 in a 30-day month does not exist (RFC 5545 ignores such dates).
                (date.month() == self.month).then_some(date)?
            }
            YearlyDay::NthWeekday { n, weekday } => NaiveDate::from_weekday_of_month_opt(
                year,
                self.month,
                weekday,
                u8::try_from(n).unwrap_or(0),
            )
            .or_else(|| nth_weekday_from_end(year, self.month, weekday, n))?,
        };
        if date < self.start || self.until.is_some_and(|until| date > until) {
            return None;
        }
        Some(date)
    }

    /// The occurrence covering `date`, as `(self, first day, last day)`.
    pub fn occurrence_covering(&self, date: NaiveDate) -> Option<(&Self, NaiveDate, NaiveDate)> {
        // An occurrence is at most a year long, so it started this year or the year before.
        [date.year() - 1, date.year()].into_iter().find_map(|year| {
            let first = self.occurrence_in(year)?;
            let last = first.checked_add_signed(Duration::days(self.days - 1))?;
            (first <= date && date <= last).then_some((self, first, last))
        })
    }
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()
}

fn nth_weekday_from_end(
    year: i32,
    month: u32,
    weekday: chrono::Weekday,
    n: i32,
) -> Option<NaiveDate> {
    if n >= 0 {
        return None;
    }
    let last = last_day_of_month(year, month)?;
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    let date = last - Duration::days(i64::from(back)) - Duration::weeks(i64::from(-n - 1));
    (date.month() == month).then_some(date)
}

/// Why a holiday calendar could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("not an iCalendar file: {0}")]
    Parse(String),
    #[error("event {event}: it has no DTSTART")]
    MissingStart { event: String },
    #[error("event {event}: {problem}")]
    Unsupported { event: String, problem: String },
}

/// Reads the holidays of an iCalendar file: every `VEVENT` that is not cancelled.
pub fn parse_holiday_ics(text: &str) -> Result<Vec<IcsHoliday>, IcsError> {
    // The parser accepts bare components too; a holiday file that is not a calendar at all
    // (an HTML error page, say) must not read as "no holidays".
    let content = text.trim_start_matches('\u{feff}').trim_start();
    if !content
        .get(..15)
        .is_some_and(|start| start.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        return Err(IcsError::Parse(
            "it does not start with BEGIN:VCALENDAR".to_owned(),
        ));
    }
    let calendar: icalendar::Calendar = text.parse().map_err(IcsError::Parse)?;
    let mut holidays = Vec::new();
    for (index, component) in calendar.components.iter().enumerate() {
        let CalendarComponent::Event(event) = component else {
            continue;
        };
        if event.get_status() == Some(EventStatus::Cancelled) {
            continue;
        }
        let name = event.get_summary().map(str::to_owned);
        let label = name
            .clone()
            .or_else(|| event.get_uid().map(str::to_owned))
            .unwrap_or_else(|| format!("#{}", index + 1));
        let unsupported = |problem: String| IcsError::Unsupported {
            event: format!("`{label}`"),
            problem,
        };
        let Some(start) = event.get_start() else {
            return Err(IcsError::MissingStart {
                event: format!("`{label}`"),
            });
        };
        let (first, last) = event_days(&start, event.get_end(), event.property_value("DURATION"))
            .map_err(unsupported)?;
        for property in ["RDATE", "EXDATE"] {
            if event.property_value(property).is_some()
                || event.multi_properties().contains_key(property)
            {
                return Err(unsupported(format!("{property} is not supported")));
            }
        }
        match event.property_value("RRULE") {
            None => holidays.push(IcsHoliday::Dated { name, first, last }),
            Some(rule) => {
                let days = (last - first).num_days() + 1;
                let rule = parse_yearly_rule(rule, name, first, days).map_err(unsupported)?;
                holidays.push(IcsHoliday::Yearly(rule));
            }
        }
    }
    Ok(holidays)
}

/// The inclusive local days an event covers. DTEND is exclusive (RFC 5545 §3.6.1): an all-day
/// event ending on the 26th covers up to the 25th, a timed one ending at 00:00 on the 26th too.
fn event_days(
    start: &DatePerhapsTime,
    end: Option<DatePerhapsTime>,
    duration: Option<&str>,
) -> Result<(NaiveDate, NaiveDate), String> {
    let first = local_date(start);
    let last = match (&end, duration) {
        (Some(DatePerhapsTime::Date(end)), _) => end.pred_opt().unwrap_or(*end),
        (Some(end @ DatePerhapsTime::DateTime(_)), _) => {
            let end_date = local_date(end);
            if local_time(end) == Some(NaiveTime::MIN) {
                end_date.pred_opt().unwrap_or(end_date)
            } else {
                end_date
            }
        }
        (None, Some(duration)) => {
            let days = parse_day_duration(duration).ok_or_else(|| {
                format!("DURATION `{duration}` is not a whole number of days or weeks")
            })?;
            first
                .checked_add_signed(Duration::days(days - 1))
                .unwrap_or(first)
        }
        (None, None) => first,
    };
    Ok((first, last.max(first)))
}

fn local_date(value: &DatePerhapsTime) -> NaiveDate {
    match value {
        DatePerhapsTime::Date(date) => *date,
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(local)) => local.date(),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(instant)) => instant.date_naive(),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, .. }) => {
            date_time.date()
        }
    }
}

fn local_time(value: &DatePerhapsTime) -> Option<NaiveTime> {
    match value {
        DatePerhapsTime::Date(_) => None,
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(local)) => Some(local.time()),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(instant)) => Some(instant.time()),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, .. }) => {
            Some(date_time.time())
        }
    }
}

/// `P3D` or `P2W` as days, at least 1.
fn parse_day_duration(text: &str) -> Option<i64> {
    let body = text.strip_prefix('P')?;
    let (number, unit) = body.split_at(body.len().checked_sub(1)?);
    let number: i64 = number.parse().ok()?;
    let days = match unit {
        "D" => number,
        "W" => number.checked_mul(7)?,
        _ => return None,
    };
    (days >= 1).then_some(days)
}

fn parse_yearly_rule(
    rule: &str,
    name: Option<String>,
    start: NaiveDate,
    days: i64,
) -> Result<YearlyRule, String> {
    let unsupported =
        |what: &str| format!("RRULE `{rule}`: {what} (only yearly holidays are supported)");
    let mut frequency = None;
    let mut parsed = YearlyRule {
        name,
        start,
        days,
        month: start.month(),
        day: YearlyDay::MonthDay(
            i32::try_from(start.day()).map_err(|_| unsupported("bad DTSTART"))?,
        ),
        interval: 1,
        until: None,
        count: None,
    };
    let (mut by_month_day, mut by_day) = (None, None);
    for part in rule.split(';').filter(|part| !part.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| unsupported(&format!("`{part}` is not KEY=VALUE")))?;
        let bad = || unsupported(&format!("{key}={value} is not supported"));
        match key.to_ascii_uppercase().as_str() {
            "FREQ" => frequency = Some(value.to_ascii_uppercase()),
            "INTERVAL" => {
                parsed.interval = value.parse().ok().filter(|n| *n >= 1).ok_or_else(bad)?
            }
            "COUNT" => parsed.count = Some(value.parse().map_err(|_| bad())?),
            "UNTIL" => {
                let date = value
                    .get(..8)
                    .and_then(|digits| NaiveDate::parse_from_str(digits, "%Y%m%d").ok());
                parsed.until = Some(date.ok_or_else(bad)?);
            }
            "BYMONTH" => {
                parsed.month = value
                    .parse()
                    .ok()
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(bad)?
            }
            "BYMONTHDAY" => {
                by_month_day = Some(
                    value
                        .parse::<i32>()
                        .ok()
                        .filter(|d| (1..=31).contains(&d.abs()))
                        .ok_or_else(bad)?,
                );
            }
            "BYDAY" => by_day = Some(parse_nth_weekday(value).ok_or_else(bad)?),
            // The week start only changes weekly rules.
            "WKST" => {}
            _ => return Err(bad()),
        }
    }
    if frequency.as_deref() != Some("YEARLY") {
        return Err(unsupported(&format!(
            "FREQ={}",
            frequency.as_deref().unwrap_or("(missing)")
        )));
    }
    if parsed.count.is_some() && parsed.until.is_some() {
        return Err(unsupported("COUNT and UNTIL together"));
    }
    parsed.day = match (by_month_day, by_day) {
        (Some(_), Some(_)) => return Err(unsupported("BYMONTHDAY and BYDAY together")),
        (Some(day), None) => YearlyDay::MonthDay(day),
        (None, Some((n, weekday))) => YearlyDay::NthWeekday { n, weekday },
        (None, None) => parsed.day,
    };
    if days > MAX_YEARLY_DAYS {
        return Err(unsupported("an occurrence longer than a year"));
    }
    Ok(parsed)
}

/// `4TH`, `-1MO`, `+2WE`: a weekday with a non-zero ordinal within the month.
fn parse_nth_weekday(value: &str) -> Option<(i32, chrono::Weekday)> {
    let split = value.len().checked_sub(2)?;
    let (ordinal, day) = value.split_at(split);
    let weekday = match day.to_ascii_uppercase().as_str() {
        "MO" => chrono::Weekday::Mon,
        "TU" => chrono::Weekday::Tue,
        "WE" => chrono::Weekday::Wed,
        "TH" => chrono::Weekday::Thu,
        "FR" => chrono::Weekday::Fri,
        "SA" => chrono::Weekday::Sat,
        "SU" => chrono::Weekday::Sun,
        _ => return None,
    };
    let n: i32 = ordinal.strip_prefix('+').unwrap_or(ordinal).parse().ok()?;
    (n != 0 && n.abs() <= 5).then_some((n, weekday))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn nth_weekday_rules() {
        let thanksgiving = parse_yearly_rule(
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            None,
            date("2020-11-26"),
            1,
        )
        .unwrap();
        assert_eq!(thanksgiving.occurrence_in(2026), Some(date("2026-11-26")));
        assert_eq!(thanksgiving.occurrence_in(2027), Some(date("2027-11-25")));
        let memorial_day = parse_yearly_rule(
            "FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO",
            None,
            date("2020-05-25"),
            1,
        )
        .unwrap();
        assert_eq!(memorial_day.occurrence_in(2026), Some(date("2026-05-25")));
        assert_eq!(memorial_day.occurrence_in(2027), Some(date("2027-05-31")));
    }

    #[test]
    fn month_day_rules_respect_start_count_until_and_interval() {
        let rule = parse_yearly_rule("FREQ=YEARLY;COUNT=2", None, date("2026-12-25"), 1).unwrap();
        assert_eq!(rule.occurrence_in(2025), None);
        assert_eq!(rule.occurrence_in(2027), Some(date("2027-12-25")));
        assert_eq!(rule.occurrence_in(2028), None);
        let until = parse_yearly_rule(
            "FREQ=YEARLY;UNTIL=20271231T000000Z",
            None,
            date("2026-07-04"),
            1,
        )
        .unwrap();
        assert_eq!(until.occurrence_in(2027), Some(date("2027-07-04")));
        assert_eq!(until.occurrence_in(2028), None);
        let biennial =
            parse_yearly_rule("FREQ=YEARLY;INTERVAL=2", None, date("2026-03-01"), 1).unwrap();
        assert_eq!(biennial.occurrence_in(2027), None);
        assert_eq!(biennial.occurrence_in(2028), Some(date("2028-03-01")));
        let last_day = parse_yearly_rule(
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
            None,
            date("2026-02-28"),
            1,
        )
        .unwrap();
        assert_eq!(last_day.occurrence_in(2028), Some(date("2028-02-29")));
    }

    #[test]
    fn unsupported_rules_are_rejected() {
        for rule in [
            "FREQ=MONTHLY",
            "FREQ=YEARLY;BYDAY=MO",
            "FREQ=YEARLY;BYSETPOS=1",
            "FREQ=YEARLY;BYMONTHDAY=1;BYDAY=1MO",
        ] {
            assert!(
                parse_yearly_rule(rule, None, date("2026-01-01"), 1).is_err(),
                "{rule}"
            );
        }
    }

    #[test]
    fn multi_day_yearly_holiday_across_new_year() {
        let rule = parse_yearly_rule("FREQ=YEARLY", None, date("2026-12-30"), 4).unwrap();
        assert_eq!(
            rule.occurrence_covering(date("2027-01-02"))
                .map(|(_, first, _)| first),
            Some(date("2026-12-30"))
        );
        assert!(rule.occurrence_covering(date("2027-01-03")).is_none());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_day_duration("P1D"), Some(1));
        assert_eq!(parse_day_duration("P2W"), Some(14));
        assert_eq!(parse_day_duration("PT1H"), None);
    }
}
