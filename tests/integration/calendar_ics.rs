//! Holidays from an iCalendar file, and the release calendar as an iCalendar feed read back with
//! an independent parser (`ical`, not the `icalendar` crate that wrote it).

use std::io::BufReader;

use chrono::{NaiveDate, TimeZone, Utc};
use relman::config::repo::{RepoSlug, parse_repo_config};
use relman::domain::calendar::{Calendar, HolidaySource};
use relman::domain::calendar_view::{calendar_entries, render_calendar_ics};
use relman::domain::ics::{IcsError, IcsHoliday, parse_holiday_ics};
use relman::domain::rotation::Rotation;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

const HOLIDAYS_ICS: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Holidays//EN\r
BEGIN:VEVENT\r
UID:christmas@example.net\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20201225\r
DTEND;VALUE=DATE:20201226\r
RRULE:FREQ=YEARLY\r
SUMMARY:Christmas Day\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:thanksgiving@example.net\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20201126\r
DTEND;VALUE=DATE:20201128\r
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\r
SUMMARY:Thanksgiving\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:shutdown@example.net\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20260706\r
DTEND;VALUE=DATE:20260711\r
SUMMARY:Summer shutdown\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:offsite@example.net\r
DTSTAMP:20260101T000000Z\r
DTSTART:20260317T090000Z\r
DTEND:20260317T170000Z\r
SUMMARY:Team offsite\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:cancelled@example.net\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20260331\r
STATUS:CANCELLED\r
SUMMARY:Cancelled day off\r
END:VEVENT\r
END:VCALENDAR\r
";

fn config(extra: &str) -> relman::config::repo::RepoConfig {
    let text = format!(
        "timezone: America/Los_Angeles\nschedule: {{ every_weeks: 1, weekday: tuesday, anchor: 2026-01-06 }}\nrotation: {{ members: [alice, bob, carol] }}\n{extra}"
    );
    parse_repo_config(".github/relman.yml", &text).unwrap()
}

#[test]
fn ics_holidays_are_read() {
    let holidays = parse_holiday_ics(HOLIDAYS_ICS).unwrap();
    assert_eq!(holidays.len(), 4, "the cancelled event is not a holiday");
    assert_eq!(
        holidays[2],
        IcsHoliday::Dated {
            name: Some("Summer shutdown".into()),
            first: date("2026-07-06"),
            last: date("2026-07-10")
        }
    );
    assert_eq!(
        holidays[3],
        IcsHoliday::Dated {
            name: Some("Team offsite".into()),
            first: date("2026-03-17"),
            last: date("2026-03-17")
        }
    );
}

#[test]
fn ics_holidays_move_release_days() {
    let calendar = Calendar::from_config(&config(""), &parse_holiday_ics(HOLIDAYS_ICS).unwrap());
    // Yearly: Christmas 2029 is a Tuesday; Thanksgiving (4th Thursday, two days) is not a
    // release day but is a holiday.
    assert!(calendar.is_holiday(date("2029-12-25")));
    assert!(calendar.is_holiday(date("2026-11-26")) && calendar.is_holiday(date("2026-11-27")));
    assert!(!calendar.is_holiday(date("2026-11-28")));
    let christmas = calendar.releases_from(date("2029-12-25")).next().unwrap();
    assert_eq!(christmas.date, Some(date("2029-12-26")));
    let holiday = christmas.reason.unwrap().holiday().clone();
    assert_eq!(
        (holiday.name.as_deref(), holiday.source),
        (Some("Christmas Day"), HolidaySource::Ics)
    );
    // Multi-day: the shutdown week moves Tuesday 07-07 past the rest of the week to Monday.
    assert_eq!(
        calendar
            .releases_from(date("2026-07-07"))
            .next()
            .unwrap()
            .date,
        Some(date("2026-07-13"))
    );
    // A timed event counts on its date.
    assert_eq!(
        calendar
            .releases_from(date("2026-03-17"))
            .next()
            .unwrap()
            .date,
        Some(date("2026-03-18"))
    );
}

#[test]
fn unsupported_recurrences_and_garbage_are_errors() {
    let monthly = HOLIDAYS_ICS.replace("RRULE:FREQ=YEARLY\r", "RRULE:FREQ=MONTHLY\r");
    assert_eq!(
        parse_holiday_ics(&monthly),
        Err(IcsError::Unsupported {
            event: "`Christmas Day`".into(),
            problem: "RRULE `FREQ=MONTHLY`: FREQ=MONTHLY (only yearly holidays are supported)"
                .into(),
        })
    );
    let exdate = HOLIDAYS_ICS.replace(
        "SUMMARY:Christmas Day\r",
        "SUMMARY:Christmas Day\r\nEXDATE;VALUE=DATE:20261225\r",
    );
    assert!(matches!(
        parse_holiday_ics(&exdate),
        Err(IcsError::Unsupported { .. })
    ));
    assert_eq!(
        parse_holiday_ics("<html>Not Found</html>"),
        Err(IcsError::Parse(
            "it does not start with BEGIN:VCALENDAR".into()
        ))
    );
    let no_start =
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:When?\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert_eq!(
        parse_holiday_ics(no_start),
        Err(IcsError::MissingStart {
            event: "`When?`".into()
        })
    );
}

#[test]
fn the_feed_parses_back_with_an_independent_parser() {
    let config =
        config("holidays: { dates: [2026-12-22, 2026-12-29], on_holiday: next_business_day }\n");
    // Make 12-29 skipped instead: every weekday until the next release is a holiday.
    let config = {
        let mut config = config;
        config
            .holidays
            .dates
            .push(relman::config::repo::HolidayDates::Range {
                first: date("2026-12-30"),
                last: date("2027-01-04"),
            });
        config
    };
    let calendar = Calendar::from_config(&config, &[]);
    let rotation = Rotation::from_config(&config, &calendar);
    let entries = calendar_entries(&calendar, &rotation, &[], date("2026-12-15"), 4);
    let repo = RepoSlug {
        owner: "example-org".into(),
        name: "service".into(),
    };
    let dtstamp = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let feed = render_calendar_ics(&repo, &entries, dtstamp);
    assert_eq!(
        feed,
        render_calendar_ics(&repo, &entries, dtstamp),
        "the feed is deterministic"
    );

    let mut parser = ical::IcalParser::new(BufReader::new(feed.as_bytes()));
    let calendar = parser
        .next()
        .expect("one calendar")
        .expect("a valid calendar");
    assert!(parser.next().is_none());
    let prop = |properties: &[ical::property::Property], name: &str| {
        properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(prop(&calendar.properties, "VERSION"), "2.0");
    let events: Vec<_> = calendar
        .events
        .iter()
        .map(|event| {
            (
                prop(&event.properties, "UID"),
                prop(&event.properties, "DTSTART"),
                prop(&event.properties, "DTEND"),
                prop(&event.properties, "SUMMARY"),
                prop(&event.properties, "STATUS"),
            )
        })
        .collect();
    let event = |uid: &str, start: &str, end: &str, summary: &str, status: &str| {
        (
            uid.to_owned(),
            start.to_owned(),
            end.to_owned(),
            summary.to_owned(),
            status.to_owned(),
        )
    };
    assert_eq!(
        events,
        [
            event(
                "2026-12-15@example-org.service.relman",
                "20261215",
                "20261216",
                "example-org/service release (carol)",
                "CONFIRMED"
            ),
            event(
                "2026-12-22@example-org.service.relman",
                "20261223",
                "20261224",
                "example-org/service release (carol)",
                "CONFIRMED"
            ),
            event(
                "2026-12-29@example-org.service.relman",
                "20261229",
                "20261230",
                "example-org/service release skipped (carol)",
                "CANCELLED"
            ),
            event(
                "2027-01-05@example-org.service.relman",
                "20270105",
                "20270106",
                "example-org/service release (alice)",
                "CONFIRMED"
            ),
        ]
    );
    for event in &calendar.events {
        let start = event
            .properties
            .iter()
            .find(|p| p.name == "DTSTART")
            .unwrap();
        let params = start.params.clone().unwrap_or_default();
        assert!(
            params
                .iter()
                .any(|(name, values)| name == "VALUE" && values == &["DATE"]),
            "all-day: {params:?}"
        );
        assert_eq!(prop(&event.properties, "DTSTAMP"), "20261201T120000Z");
    }
    let moved = &calendar.events[1];
    assert_eq!(
        prop(&moved.properties, "DESCRIPTION"),
        "Scheduled for 2026-12-22\\; moved: holiday (2026-12-22)."
    );
}
