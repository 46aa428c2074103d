//! Computing 1000 release days with their managers (budget: well under 50 ms).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use relman::config::repo::parse_repo_config;
use relman::domain::calendar::Calendar;
use relman::domain::calendar_view::calendar_entries;
use relman::domain::ics::parse_holiday_ics;
use relman::domain::rotation::Rotation;

const EXAMPLE: &str = include_str!("../examples/relman.yml");

/// A holiday calendar like a company's: yearly fixed and nth-weekday holidays plus one-offs.
const HOLIDAYS: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//bench//EN\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20200101\r
RRULE:FREQ=YEARLY\r
SUMMARY:New Year\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20200525\r
RRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO\r
SUMMARY:Memorial Day\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20200704\r
RRULE:FREQ=YEARLY\r
SUMMARY:Independence Day\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20200907\r
RRULE:FREQ=YEARLY;BYMONTH=9;BYDAY=1MO\r
SUMMARY:Labor Day\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20201126\r
DTEND;VALUE=DATE:20201128\r
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\r
SUMMARY:Thanksgiving\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20201224\r
DTEND;VALUE=DATE:20201227\r
RRULE:FREQ=YEARLY\r
SUMMARY:Christmas\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260706\r
DTEND;VALUE=DATE:20260711\r
SUMMARY:Summer shutdown\r
END:VEVENT\r
END:VCALENDAR\r
";

fn thousand_releases(c: &mut Criterion) {
    let config =
        parse_repo_config(".github/relman.yml", EXAMPLE).expect("the example config is valid");
    let holidays = parse_holiday_ics(HOLIDAYS).expect("the bench holidays parse");
    let calendar = Calendar::from_config(&config, &holidays);
    let rotation = Rotation::from_config(&config, &calendar);
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date");

    c.bench_function("1000 release days", |b| {
        b.iter(|| calendar.releases_from(black_box(from)).take(1000).count())
    });
    c.bench_function("1000 release days with managers", |b| {
        b.iter(|| calendar_entries(&calendar, &rotation, &[], black_box(from), 1000))
    });
}

criterion_group!(benches, thousand_releases);
criterion_main!(benches);
