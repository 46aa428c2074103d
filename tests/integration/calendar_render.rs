//! `relman calendar` output: the text table and the JSON document.

use chrono::NaiveDate;
use relman::config::repo::{OnHoliday, Period, parse_repo_config};
use relman::domain::calendar::Calendar;
use relman::domain::calendar_view::{calendar_entries, render_calendar_json, render_calendar_text};
use relman::domain::rotation::{Rotation, Swap};

fn example() -> (Calendar, Rotation) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/relman.yml"))
        .unwrap();
    let config = parse_repo_config("examples/relman.yml", &text).unwrap();
    let calendar = Calendar::from_config(&config, &[]);
    let rotation = Rotation::from_config(&config, &calendar);
    (calendar, rotation)
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[test]
fn text_table() {
    let (calendar, rotation) = example();
    let swaps = [Swap {
        period: Period::Month("2026-11".parse().unwrap()),
        a: "bob".into(),
        b: "erin".into(),
    }];
    let entries = calendar_entries(&calendar, &rotation, &swaps, date("2026-06-20"), 14);
    insta::assert_snapshot!(render_calendar_text(&calendar, &entries));
}

#[test]
fn text_table_with_skipped_days() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/relman.yml"))
        .unwrap();
    let mut config = parse_repo_config("examples/relman.yml", &text).unwrap();
    config.holidays.on_holiday = OnHoliday::Skip;
    let calendar = Calendar::from_config(&config, &[]);
    let rotation = Rotation::from_config(&config, &calendar);
    let entries = calendar_entries(&calendar, &rotation, &[], date("2026-12-01"), 3);
    insta::assert_snapshot!(render_calendar_text(&calendar, &entries));
}

#[test]
fn json_document() {
    let (calendar, rotation) = example();
    let entries = calendar_entries(&calendar, &rotation, &[], date("2026-12-15"), 2);
    insta::assert_snapshot!(render_calendar_json(&calendar, &entries));
}
