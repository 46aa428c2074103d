//! What the offline and operator subcommands compute (`calendar`, `check-config`, …), separated
//! from argument parsing so it can be tested.

use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::repo::{
    ConfigErrors, RepoConfig, RepoSlug, check_config_summary, parse_repo_config,
};
use crate::domain::calendar::Calendar;
use crate::domain::calendar_view::{
    calendar_entries, render_calendar_ics, render_calendar_json, render_calendar_text,
};
use crate::domain::ics::IcsHoliday;
use crate::domain::rotation::Rotation;
use crate::domain::stats::{Stats, render_csv, render_table};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CalendarFormat {
    Text,
    Json,
    Ics,
}

/// `--format ics` without a repository to name the calendar after.
#[derive(Debug, thiserror::Error)]
#[error(
    "--format ics names the calendar after its repository: pass --repo-name owner/name \
     (the file is not in a git checkout whose origin is on GitHub)"
)]
pub struct NoRepositoryName;

/// The next `count` release days from `from` (today in the repository's time zone when `None`).
/// `repo` names the `.ics` calendar; the text and JSON formats do not need it.
pub fn render_calendar(
    config: &RepoConfig,
    holidays: &[IcsHoliday],
    repo: Option<&RepoSlug>,
    from: Option<NaiveDate>,
    count: usize,
    format: CalendarFormat,
    now: DateTime<Utc>,
) -> Result<String, NoRepositoryName> {
    let calendar = Calendar::from_config(config, holidays);
    let rotation = Rotation::from_config(config, &calendar);
    let from = from.unwrap_or_else(|| now.with_timezone(&calendar.timezone()).date_naive());
    let entries = calendar_entries(&calendar, &rotation, &[], from, count);
    Ok(match format {
        CalendarFormat::Text => render_calendar_text(&calendar, &entries),
        CalendarFormat::Json => render_calendar_json(&calendar, &entries),
        CalendarFormat::Ics => render_calendar_ics(repo.ok_or(NoRepositoryName)?, &entries, now),
    })
}

/// The GitHub repository of a git remote URL (`git@github.com:acme/web.git`,
/// `https://github.com/acme/web`, `ssh://git@ghe.example.com/acme/web.git`): its last two path
/// segments.
pub fn repository_of_remote(url: &str) -> Option<RepoSlug> {
    let url = url.trim();
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/')?.1,
        // scp-like syntax: host:path.
        None => url.split_once(':')?.1,
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts = path.rsplit('/');
    let name = parts.next()?;
    let owner = parts.next()?;
    let slug = RepoSlug {
        owner: owner.to_string(),
        name: name.to_string(),
    };
    crate::github::RepoName::from_str(&slug.to_string())
        .is_ok()
        .then_some(slug)
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

/// Why an offline command could not read the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreReadError {
    #[error(
        "no database at {path} ({url}): point --database-url or DATABASE_URL at relman's database \
         (the one `relman serve` uses)"
    )]
    NoDatabase { path: PathBuf, url: String },
    #[error("no repository {repo} in the store ({})", known_list(.known))]
    UnknownRepository { repo: String, known: Vec<String> },
    #[error("{url}: {source}")]
    Store {
        url: String,
        source: crate::store::StoreError,
    },
}

fn known_list(known: &[String]) -> String {
    const SHOWN: usize = 10;
    match known.len() {
        0 => "it has none yet: relman records a repository when it first acts in it".into(),
        n if n <= SHOWN => format!("known: {}", known.join(", ")),
        n => format!(
            "known: {} … and {} more",
            known[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}

/// The file of a `sqlite:` URL as SQLite will open it (relative to the working directory);
/// `None` for other databases and in-memory ones.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Opens the store an offline command reads (`stats`, `audit`, `inbox`, `calendar-url`). It
/// never creates one: a missing SQLite file is named, with the setting that chooses it.
pub async fn open_store(url: &str) -> Result<Store, StoreReadError> {
    if let Some(path) = sqlite_file(url)
        && !path.exists()
    {
        return Err(StoreReadError::NoDatabase {
            path,
            url: url.to_string(),
        });
    }
    Store::open_existing(url)
        .await
        .map_err(|source| StoreReadError::Store {
            url: crate::service::redact_url(url),
            source,
        })
}

/// Every repository the store holds anything of, sorted.
// Read here rather than in `store/` only while the inbox there is being rewritten; it belongs
// beside `Store::repository`.
pub async fn known_repositories(store: &Store) -> Result<Vec<String>, crate::store::StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT repo FROM repositories UNION SELECT repo FROM command_audit \
         UNION SELECT repo FROM releases UNION SELECT repo FROM merged_changes ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await?)
}

/// The store's spelling of `repo` (GitHub's names ignore case), or an error listing the
/// repositories it knows: a typo must not read as a repository without history.
pub async fn resolve_repository(store: &Store, repo: &str) -> Result<String, StoreReadError> {
    let known = known_repositories(store)
        .await
        .map_err(|source| StoreReadError::Store {
            url: "the store".into(),
            source,
        })?;
    if let Some(name) = known.iter().find(|k| *k == repo) {
        return Ok(name.clone());
    }
    match known.iter().find(|k| k.eq_ignore_ascii_case(repo)) {
        Some(name) => Ok(name.clone()),
        None => Err(StoreReadError::UnknownRepository {
            repo: repo.to_string(),
            known,
        }),
    }
}

/// A date flag's value: `YYYY-MM-DD`, with the format named when it is something else.
pub fn parse_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|e| format!("{value:?} is not a date as YYYY-MM-DD, e.g. 2026-12-15 ({e})"))
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
        let text =
            render_calendar(&config, &[], None, None, 1000, CalendarFormat::Text, now).unwrap();
        assert!(text.lines().count() > 1000);
        assert!(
            text.lines()
                .nth(2)
                .is_some_and(|l| l.starts_with("2026-12-08")),
            "the first release after today: {text:.300}"
        );
        let json: serde_json::Value = serde_json::from_str(
            &render_calendar(&config, &[], None, None, 3, CalendarFormat::Json, now).unwrap(),
        )
        .unwrap();
        assert!(json.to_string().contains("2026-12-08"));
        let ics =
            render_calendar(&config, &[], Some(&slug), None, 3, CalendarFormat::Ics, now).unwrap();
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3);
        assert!(ics.contains("acme/web"), "{ics:.400}");
        assert!(render_calendar(&config, &[], None, None, 3, CalendarFormat::Ics, now).is_err());
    }

    #[test]
    fn a_remote_url_names_its_repository() {
        for url in [
            "git@github.com:acme/web.git",
            "https://github.com/acme/web",
            "https://github.com/acme/web.git/",
            "ssh://git@ghe.example.com:22/acme/web.git",
            "https://x-access-token:t@github.com/acme/web.git",
        ] {
            assert_eq!(
                repository_of_remote(url).map(|s| s.to_string()),
                Some("acme/web".to_string()),
                "{url}"
            );
        }
        for url in ["", "/srv/git/web", "https://github.com/", "file:///web.git"] {
            assert_eq!(repository_of_remote(url), None, "{url}");
        }
    }

    #[test]
    fn store_urls_name_their_file_and_dates_their_format() {
        assert_eq!(sqlite_file("sqlite://relman.db"), Some("relman.db".into()));
        assert_eq!(
            sqlite_file("sqlite:///var/lib/r.db?mode=rwc"),
            Some("/var/lib/r.db".into())
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/relman"), None);
        let error = parse_date("12/15/2026").unwrap_err();
        assert!(error.contains("YYYY-MM-DD"), "{error}");
        assert_eq!(
            parse_date("2026-12-15"),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap())
        );
    }

    #[test]
    fn an_unknown_repository_is_told_with_the_known_ones() {
        let known: Vec<String> = (0..12).map(|i| format!("acme/r{i:02}")).collect();
        let message = StoreReadError::UnknownRepository {
            repo: "acme/wbe".into(),
            known,
        }
        .to_string();
        assert!(
            message.starts_with("no repository acme/wbe in the store (known: acme/r00, "),
            "{message}"
        );
        assert!(message.ends_with("… and 2 more)"), "{message}");
    }
}
