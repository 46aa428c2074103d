//! What the offline and operator subcommands compute (`calendar`, `check-config`, …), separated
//! from argument parsing so it can be tested.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::repo::{
    ConfigErrors, RepoConfig, RepoSlug, check_config_summary, parse_repo_config,
};
use crate::domain::calendar::Calendar;
use crate::domain::calendar::render::{
    calendar_entries, render_calendar_json, render_calendar_text,
};
use crate::domain::ics::{IcsHoliday, render_calendar_ics};
use crate::domain::rotation::Rotation;
use crate::domain::stats::{Stats, render_csv, render_table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CalendarFormat {
    Text,
    Json,
    Ics,
}

/// The next `count` release days from `from` (today in the repository's time zone when `None`).
pub fn render_calendar(
    config: &RepoConfig,
    holidays: &[IcsHoliday],
    repo: &RepoSlug,
    from: Option<NaiveDate>,
    count: usize,
    format: CalendarFormat,
    now: DateTime<Utc>,
) -> String {
    let calendar = Calendar::from_config(config, holidays);
    let rotation = Rotation::from_config(config, &calendar);
    let from = from.unwrap_or_else(|| now.with_timezone(&calendar.timezone()).date_naive());
    let entries = calendar_entries(&calendar, &rotation, &[], from, count);
    match format {
        CalendarFormat::Text => render_calendar_text(&calendar, &entries),
        CalendarFormat::Json => render_calendar_json(&calendar, &entries),
        CalendarFormat::Ics => render_calendar_ics(repo, &entries, now),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    Text,
    Json,
    Csv,
}

/// `relman stats`: the register as a Markdown table (with the skips), JSON or CSV.
pub fn render_stats(stats: &Stats, format: StatsFormat) -> Result<String, serde_json::Error> {
    Ok(match format {
        StatsFormat::Text => render_table(stats),
        StatsFormat::Json => serde_json::to_string_pretty(stats)? + "\n",
        StatsFormat::Csv => render_csv(stats),
    })
}

/// `relman check-config FILE`: the one-line summary, or every error as `file:line:col: message`.
pub fn check_config(file: &str, text: &str) -> Result<String, ConfigErrors> {
    let config = parse_repo_config(file, text)?;
    let mut summary = check_config_summary(&config);
    if let Some(base) = &config.extends {
        summary.push_str(&format!(" (`_extends: {base}` is not followed offline)"));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }\nrotation: { every: month, starts: 2026-01, members: [alice, bob] }\n";

    #[test]
    fn check_config_answers_a_line_or_every_error() {
        assert!(check_config("relman.yml", CONFIG).unwrap().lines().count() == 1);
        let errors =
            check_config("relman.yml", "schedule: { weekdy: tuesday }\nrotaton: {}\n").unwrap_err();
        let text = errors.to_string();
        assert!(text.lines().all(|l| l.starts_with("relman.yml:")), "{text}");
        assert!(text.contains("relman.yml:1:"), "{text}");
    }

    #[test]
    fn a_thousand_releases_render_in_every_format() {
        let config = parse_repo_config("relman.yml", CONFIG).unwrap();
        let slug = RepoSlug {
            owner: "acme".into(),
            name: "web".into(),
        };
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .unwrap()
            .to_utc();
        let text = render_calendar(&config, &[], &slug, None, 1000, CalendarFormat::Text, now);
        assert!(text.lines().count() > 1000);
        assert!(
            text.lines()
                .nth(2)
                .is_some_and(|l| l.starts_with("2026-12-08")),
            "the first release after today: {text:.300}"
        );
        let json: serde_json::Value = serde_json::from_str(&render_calendar(
            &config,
            &[],
            &slug,
            None,
            3,
            CalendarFormat::Json,
            now,
        ))
        .unwrap();
        assert!(json.to_string().contains("2026-12-08"));
        let ics = render_calendar(&config, &[], &slug, None, 3, CalendarFormat::Ics, now);
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3);
    }
}
