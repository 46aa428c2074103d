//! Table tests for the release calendar: DST, year boundaries, holidays, weekends.

use chrono::{DateTime, NaiveDate, Utc};
use relman::config::repo::parse_repo_config;
use relman::domain::calendar::{Adjustment, Calendar, ReleaseDay};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn calendar(timezone: &str, schedule: &str, holidays: &str) -> Calendar {
    let text = format!(
        "timezone: {timezone}\nschedule: {schedule}\nholidays: {holidays}\nrotation: {{ members: [alice] }}\n"
    );
    let config = parse_repo_config("t.yml", &text).unwrap_or_else(|errors| panic!("{errors}"));
    Calendar::from_config(&config, &[])
}

/// `(scheduled, date)` of the release days from `from`.
fn days(calendar: &Calendar, from: &str, count: usize) -> Vec<(NaiveDate, Option<NaiveDate>)> {
    calendar
        .releases_from(date(from))
        .take(count)
        .map(|day| (day.scheduled, day.date))
        .collect()
}

fn day(calendar: &Calendar, on: &str) -> ReleaseDay {
    calendar
        .release_on(date(on))
        .unwrap_or_else(|| panic!("no release on {on}"))
}

#[test]
fn start_of_day_across_los_angeles_dst() {
    let weekly = "{ every_weeks: 1, weekday: tuesday, anchor: 2026-01-06 }";
    let calendar = calendar("America/Los_Angeles", weekly, "{}");
    // Clocks spring forward on Sunday 2026-03-08 and fall back on Sunday 2026-11-01.
    let cases = [
        ("2026-03-03", "2026-03-03T08:00:00Z"), // PST, UTC-8
        ("2026-03-10", "2026-03-10T07:00:00Z"), // PDT, UTC-7: the DST-change week
        ("2026-10-27", "2026-10-27T07:00:00Z"),
        ("2026-11-03", "2026-11-03T08:00:00Z"), // back to PST
    ];
    for (on, starts_at) in cases {
        assert_eq!(
            day(&calendar, on).starts_at,
            Some(instant(starts_at)),
            "{on}"
        );
    }
    // The transition days themselves: midnight exists on both.
    assert_eq!(
        calendar.start_of_day(date("2026-03-08")),
        instant("2026-03-08T08:00:00Z")
    );
    assert_eq!(
        calendar.start_of_day(date("2026-11-01")),
        instant("2026-11-01T07:00:00Z")
    );
}

#[test]
fn start_of_day_across_berlin_dst() {
    let weekly = "{ every_weeks: 1, weekday: tuesday, anchor: 2026-01-06 }";
    let calendar = calendar("Europe/Berlin", weekly, "{}");
    // Clocks spring forward on Sunday 2026-03-29 and fall back on Sunday 2026-10-25.
    let cases = [
        ("2026-03-24", "2026-03-23T23:00:00Z"), // CET, UTC+1
        ("2026-03-31", "2026-03-30T22:00:00Z"), // CEST, UTC+2
        ("2026-10-20", "2026-10-19T22:00:00Z"),
        ("2026-10-27", "2026-10-26T23:00:00Z"),
    ];
    for (on, starts_at) in cases {
        assert_eq!(
            day(&calendar, on).starts_at,
            Some(instant(starts_at)),
            "{on}"
        );
    }
}

#[test]
fn start_of_day_when_dst_skips_midnight() {
    // Chile springs forward at local midnight on the first Sunday of September (2026-09-06):
    // 00:00 does not exist, the day starts at the transition, 04:00 UTC (01:00 local).
    let sundays = "{ every_weeks: 1, weekday: sunday, anchor: 2026-01-04 }";
    let calendar = calendar("America/Santiago", sundays, "{}");
    assert_eq!(
        day(&calendar, "2026-09-06").starts_at,
        Some(instant("2026-09-06T04:00:00Z"))
    );
    assert_eq!(
        day(&calendar, "2026-08-30").starts_at,
        Some(instant("2026-08-30T04:00:00Z"))
    );
    assert_eq!(
        day(&calendar, "2026-09-13").starts_at,
        Some(instant("2026-09-13T03:00:00Z"))
    );
}

#[test]
fn cadence_crosses_the_year_boundary() {
    let calendar = calendar(
        "UTC",
        "{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }",
        "{}",
    );
    assert_eq!(
        days(&calendar, "2026-12-01", 4),
        [
            (date("2026-12-08"), Some(date("2026-12-08"))),
            (date("2026-12-22"), Some(date("2026-12-22"))),
            (date("2027-01-05"), Some(date("2027-01-05"))),
            (date("2027-01-19"), Some(date("2027-01-19"))),
        ]
    );
    // And backwards from the anchor.
    assert_eq!(
        days(&calendar, "2025-12-20", 1),
        [(date("2025-12-23"), Some(date("2025-12-23")))]
    );
}

#[test]
fn a_holiday_range_covering_two_release_days() {
    let weekly = "{ every_weeks: 1, weekday: tuesday, anchor: 2026-01-06 }";
    let range = r#"{ dates: ["2026-12-21..2027-01-01"] }"#;
    let moving = calendar("UTC", weekly, range);
    assert_eq!(
        days(&moving, "2026-12-15", 4),
        [
            (date("2026-12-15"), Some(date("2026-12-15"))),
            // Every day up to the next release day is a holiday or a weekend: no release.
            (date("2026-12-22"), None),
            // The first business day after the range, before the next scheduled day.
            (date("2026-12-29"), Some(date("2027-01-04"))),
            (date("2027-01-05"), Some(date("2027-01-05"))),
        ]
    );
    let skipped = day(&moving, "2026-12-22");
    assert!(matches!(
        skipped.reason,
        Some(Adjustment::NoBusinessDayBeforeNextRelease { .. })
    ));
    assert_eq!(skipped.reason.unwrap().holiday().last, date("2027-01-01"));

    let skipping = calendar(
        "UTC",
        weekly,
        r#"{ dates: ["2026-12-21..2027-01-01"], on_holiday: skip }"#,
    );
    assert_eq!(
        days(&skipping, "2026-12-22", 3),
        [
            (date("2026-12-22"), None),
            (date("2026-12-29"), None),
            (date("2027-01-05"), Some(date("2027-01-05")))
        ]
    );
}

#[test]
fn skip_versus_next_business_day() {
    let biweekly = "{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }";
    let moving = calendar("UTC", biweekly, "{ dates: [2026-12-22] }");
    let moved = day(&moving, "2026-12-23");
    assert_eq!(moved.scheduled, date("2026-12-22"));
    assert!(moved.is_moved());
    assert_eq!(
        moved.tracking_issue_on,
        Some(date("2026-12-22")),
        "opens the day before the moved date"
    );

    let skipping = calendar("UTC", biweekly, "{ dates: [2026-12-22], on_holiday: skip }");
    let skipped = day(&skipping, "2026-12-22");
    assert!(skipped.is_skipped());
    assert_eq!((skipped.starts_at, skipped.tracking_issue_on), (None, None));
    assert!(matches!(skipped.reason, Some(Adjustment::Skipped { .. })));
    assert_eq!(
        skipping
            .releases_from(date("2026-12-21"))
            .nth(1)
            .unwrap()
            .date,
        Some(date("2027-01-05"))
    );
}

#[test]
fn a_move_onto_another_holiday_keeps_moving() {
    let biweekly = "{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }";
    let calendar = calendar("UTC", biweekly, "{ dates: [2026-12-22, 2026-12-23] }");
    let moved = calendar.releases_from(date("2026-12-22")).next().unwrap();
    assert_eq!(moved.date, Some(date("2026-12-24")));
    let Some(Adjustment::Moved { holiday }) = moved.reason else {
        panic!("not moved: {moved:?}")
    };
    assert_eq!(
        holiday.first,
        date("2026-12-22"),
        "the reason names the scheduled day's holiday"
    );
}

#[test]
fn a_friday_release_on_a_holiday_moves_over_the_weekend() {
    let fridays = "{ every_weeks: 2, weekday: friday, anchor: 2026-01-09 }";
    let calendar = calendar("UTC", fridays, "{ dates: [2026-12-25] }");
    let moved = calendar.releases_from(date("2026-12-25")).next().unwrap();
    assert_eq!(
        moved.date,
        Some(date("2026-12-28")),
        "Saturday and Sunday are passed over"
    );
    assert_eq!(moved.tracking_issue_on, Some(date("2026-12-27")));
}

#[test]
fn a_weekend_release_day_stays_on_the_weekend_unless_it_is_a_holiday() {
    let saturdays = "{ every_weeks: 1, weekday: saturday, anchor: 2026-01-03 }";
    let calendar = calendar("UTC", saturdays, "{ dates: [2026-01-10] }");
    assert_eq!(
        days(&calendar, "2026-01-03", 2),
        [
            (date("2026-01-03"), Some(date("2026-01-03"))),
            (date("2026-01-10"), Some(date("2026-01-12")))
        ]
    );
}

#[test]
fn next_release_counts_today_until_the_local_day_ends() {
    let calendar = calendar(
        "America/Los_Angeles",
        "{ every_weeks: 2, anchor: 2026-01-06 }",
        "{ dates: [2026-01-20], on_holiday: skip }",
    );
    let next = |now: &str| calendar.next_release(instant(now)).map(|day| day.date);
    assert_eq!(
        next("2026-01-06T07:59:00Z"),
        Some(Some(date("2026-01-06"))),
        "the evening before, in LA"
    );
    assert_eq!(
        next("2026-01-07T07:59:00Z"),
        Some(Some(date("2026-01-06"))),
        "late on release day, in LA"
    );
    assert_eq!(
        next("2026-01-07T08:00:00Z"),
        Some(Some(date("2026-02-03"))),
        "skips the skipped 01-20"
    );
}

#[test]
fn tracking_issue_opens_at_the_local_start_of_its_day() {
    let calendar = calendar(
        "Europe/Berlin",
        "{ anchor: 2026-01-06, tracking_issue_days_before: 2 }",
        "{}",
    );
    let release = day(&calendar, "2026-01-06");
    assert_eq!(release.tracking_issue_on, Some(date("2026-01-04")));
    assert_eq!(
        release.tracking_issue_at,
        Some(instant("2026-01-03T23:00:00Z"))
    );
}

#[test]
fn holidays_outside_release_days_change_nothing_and_are_reported() {
    let calendar = calendar(
        "UTC",
        "{ anchor: 2026-01-06 }",
        r#"{ dates: [2026-01-07, "2026-02-01..2026-02-02"] }"#,
    );
    assert!(calendar.is_holiday(date("2026-01-07")));
    assert!(calendar.is_holiday(date("2026-02-02")));
    assert!(!calendar.is_holiday(date("2026-02-03")));
    assert!(!calendar.is_business_day(date("2026-01-10")), "Saturday");
    assert_eq!(
        days(&calendar, "2026-01-06", 1),
        [(date("2026-01-06"), Some(date("2026-01-06")))]
    );
    assert_eq!(calendar.release_on(date("2026-01-07")), None);
}
