//! The repository configuration, `.github/relman.yml`: its types, parsing with positioned
//! errors, `_extends`, and the published JSON Schema.
//!
//! Everything here is pure: the I/O shell fetches file contents and hands them in.
//!
//! ```text
//! let document = ConfigDocument::parse(CONFIG_PATH, &text)?;
//! let document = resolve_extends(document, owner, async |source| fetch(source).await).await?;
//! let config = document.into_config()?;
//! ```

mod decode;
mod extends;
mod keys;
mod types;
pub(crate) mod yaml;

use std::fmt;

pub use extends::{
    CONFIG_PATH, ConfigDocument, ConfigSource, ExtendsChain, ExtendsError, MAX_EXTENDS_DEPTH,
    extends_target, merge_configs, resolve_extends,
};
pub use types::*;

/// One problem in a configuration file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file the problem is in: the repository's own file or an `_extends` base
    /// (`owner/repo:path`).
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// How to fix it, when there is something more useful to say than the message.
    pub hint: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Every problem found in one pass, ordered by file and position. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
}

impl From<Vec<ConfigError>> for ConfigErrors {
    fn from(errors: Vec<ConfigError>) -> Self {
        ConfigErrors(errors)
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    /// One error per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// Parses and validates one file. An `_extends` in it is checked for form and kept in
/// [`RepoConfig::extends`] but not followed: use [`ConfigDocument`] and [`resolve_extends`]
/// (or [`merge_configs`]) for that.
pub fn parse_repo_config(file: &str, text: &str) -> Result<RepoConfig, ConfigErrors> {
    ConfigDocument::parse(file, text)?.into_config()
}

/// The JSON Schema of `.github/relman.yml`, generated from [`RepoConfig`].
/// `relman.schema.json` at the repository root is this, pretty-printed.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<RepoConfig>();
    schema.to_value()
}

/// A one-line description of a valid configuration, for `relman check-config` and the
/// config check run.
pub fn check_config_summary(config: &RepoConfig) -> String {
    let schedule = &config.schedule;
    let cadence = match schedule.every_weeks {
        1 => "every week".to_owned(),
        2 => "every other week".to_owned(),
        n => format!("every {n} weeks"),
    };
    let holiday_entries = config.holidays.dates.len();
    let holidays = match (holiday_entries, &config.holidays.ics) {
        (0, None) => "no holidays".to_owned(),
        (n, None) => format!(
            "{n} holiday {} ({})",
            plural(n, "entry", "entries"),
            config.holidays.on_holiday.name()
        ),
        (n, Some(ics)) => format!(
            "{n} holiday {} + {ics} ({})",
            plural(n, "entry", "entries"),
            config.holidays.on_holiday.name()
        ),
    };
    let rotation = &config.rotation;
    let turns = match rotation.every {
        RotationEvery::Month => "monthly",
        RotationEvery::Release => "per release",
    };
    let overrides = match rotation.overrides.len() {
        0 => String::new(),
        n => format!(", {n} {}", plural(n, "override", "overrides")),
    };
    let soak = match config.environments.production.soak.unwrap_or_default() {
        Soak::NextReleaseDay => {
            "production gets, on each release day, what reached staging before it (soak: next_release_day)".to_owned()
        }
        Soak::Days(0) => "production may get a version as soon as it is on staging (soak: 0 days)".to_owned(),
        Soak::Days(days) => format!(
            "production may get a version after {days} {} on staging (soak: {days})",
            plural(days as usize, "day", "days")
        ),
    };
    let qa = match config.requirements.qa_mode {
        QaMode::NoBlockers => "QA: no blockers reported",
        QaMode::Explicit => "QA: `/qa ok` needed",
    };
    format!(
        "ok: releases {cadence} on {} from {} ({}), {holidays}; rotation {turns}: {}{overrides}; tags {}X.Y.Z; {soak}, {qa}",
        schedule.weekday,
        schedule.anchor,
        config.timezone,
        rotation.members.join(", "),
        config.versioning.tag_prefix,
    )
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
