//! The typed, validated shape of `.github/relman.yml`.
//!
//! These types are produced only by the decoder in `decode.rs` (which validates as it goes),
//! so every value here is known-good. They derive `Serialize` (to print the effective config)
//! and `JsonSchema` (the published schema); the serde attributes below describe the YAML
//! surface for the schema — defaults, renames, unknown keys denied.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

/// The repository's relman configuration, with every default filled in.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "relman repository configuration",
    description = "`.github/relman.yml` on the default branch. `schedule` and `rotation` are required, \
                   possibly through `_extends`; everything else has a default."
)]
pub struct RepoConfig {
    /// Inherit from another file (Probot semantics): `.github` (the org's `.github` repository),
    /// `repo`, `owner/repo`, optionally followed by `:path/to/file.yml`. This file's keys win;
    /// mappings merge key by key, lists replace.
    #[serde(rename = "_extends", default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// IANA time zone in which release days are local dates.
    #[serde(default)]
    pub timezone: TimeZone,
    pub schedule: Schedule,
    #[serde(default)]
    pub holidays: Holidays,
    pub rotation: RotationConfig,
    #[serde(default)]
    pub versioning: Versioning,
    #[serde(default)]
    pub requirements: Requirements,
    #[serde(default)]
    pub environments: Environments,
    #[serde(default)]
    pub deployment_request: DeploymentRequest,
    #[serde(default)]
    pub functional_tests: FunctionalTests,
    #[serde(default)]
    pub qa: Qa,
    /// Production dashboards linked from tracking issues and deployment requests.
    #[serde(default)]
    pub dashboards: Vec<Dashboard>,
    /// Checklist items added to every merged PR; ticked boxes end up in the deployment request.
    #[serde(default = "default_pr_checklist")]
    pub pr_checklist: Vec<String>,
    #[serde(default)]
    pub release: ReleaseSettings,
    #[serde(default)]
    pub gate: Gate,
    #[serde(default)]
    pub monitoring: Monitoring,
}

pub(crate) fn default_pr_checklist() -> Vec<String> {
    vec![
        "Requires a config change (describe it below)".to_owned(),
        "Needs QA attention".to_owned(),
    ]
}

/// An IANA time zone such as `America/Los_Angeles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub Tz);

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(Tz::UTC)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.name())
    }
}

impl JsonSchema for TimeZone {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeZone".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Listing every name lets editors complete and check the value offline.
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        json_schema!({
            "type": "string",
            "description": "IANA time zone name, e.g. America/Los_Angeles or Europe/Berlin.",
            "enum": names,
        })
    }
}

/// When releases happen.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Weeks between two release days.
    #[serde(default = "default_every_weeks")]
    #[schemars(range(min = 1, max = 52))]
    pub every_weeks: u32,
    /// The release weekday; `anchor` must fall on it.
    #[serde(default = "default_weekday")]
    pub weekday: Weekday,
    /// The date (YYYY-MM-DD) of one release day; the cadence counts from it, both ways.
    pub anchor: NaiveDate,
    /// How many days before a release day its tracking issue is opened, at most the cycle (then
    /// the next release's issue opens on the current release day, so one is always open).
    #[serde(default = "default_tracking_issue_days_before")]
    #[schemars(range(max = 364))]
    pub tracking_issue_days_before: u32,
}

pub(crate) fn default_every_weeks() -> u32 {
    2
}

pub(crate) fn default_weekday() -> Weekday {
    Weekday::Tuesday
}

pub(crate) fn default_tracking_issue_days_before() -> u32 {
    1
}

impl Schedule {
    /// Days between two scheduled release days.
    pub fn cadence_days(&self) -> i64 {
        i64::from(self.every_weeks) * 7
    }
}

/// A day of the week, spelled out in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }

    pub fn to_chrono(self) -> chrono::Weekday {
        match self {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }

    pub fn from_chrono(weekday: chrono::Weekday) -> Self {
        Weekday::ALL[weekday.num_days_from_monday() as usize]
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Days on which no release happens.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Holidays {
    /// Single days (`2026-12-22`) and inclusive ranges (`"2026-12-28..2027-01-01"`).
    #[serde(default)]
    pub dates: Vec<HolidayDates>,
    /// What happens to a release day that falls on a holiday.
    #[serde(default)]
    pub on_holiday: OnHoliday,
    /// Path (in this repository) of an iCalendar file with more holidays: all-day and
    /// multi-day events, and yearly recurring ones (`RRULE:FREQ=YEARLY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ics: Option<String>,
}

/// One holiday entry: a day or an inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayDates {
    Day(NaiveDate),
    Range { first: NaiveDate, last: NaiveDate },
}

impl HolidayDates {
    pub fn first(&self) -> NaiveDate {
        match *self {
            HolidayDates::Day(day) => day,
            HolidayDates::Range { first, .. } => first,
        }
    }

    pub fn last(&self) -> NaiveDate {
        match *self {
            HolidayDates::Day(day) => day,
            HolidayDates::Range { last, .. } => last,
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first() <= date && date <= self.last()
    }
}

impl fmt::Display for HolidayDates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HolidayDates::Day(day) => write!(f, "{day}"),
            HolidayDates::Range { first, last } => write!(f, "{first}..{last}"),
        }
    }
}

impl Serialize for HolidayDates {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for HolidayDates {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HolidayDates".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A day (YYYY-MM-DD) or an inclusive range of days (YYYY-MM-DD..YYYY-MM-DD).",
            "pattern": r"^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnHoliday {
    /// Move the release to the next Monday-to-Friday day that is not a holiday.
    #[default]
    NextBusinessDay,
    /// Drop the release; the next one happens on schedule.
    Skip,
}

impl OnHoliday {
    pub fn name(self) -> &'static str {
        match self {
            OnHoliday::NextBusinessDay => "next_business_day",
            OnHoliday::Skip => "skip",
        }
    }
}

/// Who is release manager when.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationConfig {
    /// How long one person's turn lasts: a calendar month, or one release cycle.
    #[serde(default)]
    pub every: RotationEvery,
    /// The month (YYYY-MM) in which the first member's turn starts; defaults to the anchor's month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts: Option<YearMonth>,
    /// GitHub logins, in turn order.
    #[schemars(length(min = 1))]
    pub members: Vec<String>,
    /// A different release manager for one period: `"2026-07": dave` (monthly rotation) or
    /// `"2026-07-07": dave` (per-release rotation, keyed by the scheduled release date).
    #[serde(default)]
    pub overrides: BTreeMap<Period, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RotationEvery {
    #[default]
    Month,
    Release,
}

impl RotationEvery {
    pub fn name(self) -> &'static str {
        match self {
            RotationEvery::Month => "month",
            RotationEvery::Release => "release",
        }
    }
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// `month` is 1-based; None when it is not 1..=12.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        (1..=12)
            .contains(&month)
            .then_some(YearMonth { year, month })
    }

    pub fn of(date: NaiveDate) -> Self {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The first day of the month, None only past chrono's date range.
    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    /// Months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: YearMonth) -> i64 {
        (i64::from(later.year) - i64::from(self.year)) * 12 + i64::from(later.month)
            - i64::from(self.month)
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The text is not a `YYYY-MM` month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month written YYYY-MM")]
pub struct ParseYearMonthError(String);

impl FromStr for YearMonth {
    type Err = ParseYearMonthError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseYearMonthError(text.to_owned());
        let (year, month) = text.split_once('-').ok_or_else(error)?;
        if year.len() != 4
            || month.len() != 2
            || !(year
                .bytes()
                .chain(month.bytes())
                .all(|b| b.is_ascii_digit()))
        {
            return Err(error());
        }
        let year = year.parse().map_err(|_| error())?;
        let month = month.parse().map_err(|_| error())?;
        YearMonth::new(year, month).ok_or_else(error)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for YearMonth {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "YearMonth".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A month, YYYY-MM.",
            "pattern": r"^\d{4}-(0[1-9]|1[0-2])$",
        })
    }
}

/// One turn of the rotation: a month (`every: month`) or one release, named by its scheduled
/// date (`every: release`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month(YearMonth),
    Release(NaiveDate),
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(month) => write!(f, "{month}"),
            Period::Release(date) => write!(f, "{date}"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Period {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Period".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A month (YYYY-MM) or a scheduled release date (YYYY-MM-DD).",
            "pattern": r"^\d{4}-\d{2}(-\d{2})?$",
        })
    }
}

/// How versions and tags are computed.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Versioning {
    /// Prepended to the version to form the tag (`v` → `v1.4.0`); may be empty.
    #[serde(default = "default_tag_prefix")]
    pub tag_prefix: String,
    /// The bump when no merged PR carries a bump label.
    #[serde(default = "default_bump")]
    pub default_bump: Bump,
    /// PR labels that select a bump; the largest bump among the merged PRs wins.
    #[serde(default)]
    pub bump_labels: BumpLabels,
    /// What the bump and the changelog's sections are read from: the merged PRs' `labels`, or
    /// `conventional_commits` (`feat:`, `fix:`, `feat!:` or a `BREAKING CHANGE:` footer in each
    /// change's title and message).
    #[serde(default)]
    pub source: VersionSource,
}

impl Default for Versioning {
    fn default() -> Self {
        Versioning {
            tag_prefix: default_tag_prefix(),
            default_bump: default_bump(),
            bump_labels: BumpLabels::default(),
            source: VersionSource::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionSource {
    #[default]
    Labels,
    ConventionalCommits,
}

pub(crate) fn default_tag_prefix() -> String {
    "v".to_owned()
}

pub(crate) fn default_bump() -> Bump {
    Bump::Minor
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Patch,
    Minor,
    Major,
}

impl Bump {
    pub fn name(self) -> &'static str {
        match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BumpLabels {
    #[serde(default = "default_major_labels")]
    pub major: Vec<String>,
    #[serde(default = "default_minor_labels")]
    pub minor: Vec<String>,
    #[serde(default = "default_patch_labels")]
    pub patch: Vec<String>,
}

impl Default for BumpLabels {
    fn default() -> Self {
        BumpLabels {
            major: default_major_labels(),
            minor: default_minor_labels(),
            patch: default_patch_labels(),
        }
    }
}

pub(crate) fn default_major_labels() -> Vec<String> {
    vec!["breaking".to_owned()]
}

pub(crate) fn default_minor_labels() -> Vec<String> {
    vec!["feature".to_owned()]
}

pub(crate) fn default_patch_labels() -> Vec<String> {
    vec!["bug".to_owned()]
}

impl BumpLabels {
    /// The bump a PR label selects. GitHub label names are case-insensitive.
    pub fn bump_for_label(&self, label: &str) -> Option<Bump> {
        [
            (Bump::Major, &self.major),
            (Bump::Minor, &self.minor),
            (Bump::Patch, &self.patch),
        ]
        .into_iter()
        .find(|(_, labels)| labels.iter().any(|l| l.eq_ignore_ascii_case(label)))
        .map(|(bump, _)| bump)
    }
}

/// What must hold before a release reaches each environment.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    #[serde(default = "default_staging_requirements")]
    pub staging: Vec<Requirement>,
    #[serde(default = "default_production_requirements")]
    pub production: Vec<Requirement>,
    /// Check names that must pass; empty means every check run and status on the commit.
    #[serde(default)]
    pub required_checks: Vec<String>,
    /// What the `qa` requirement asks of QA for the version going to production.
    #[serde(default)]
    pub qa_mode: QaMode,
}

impl Default for Requirements {
    fn default() -> Self {
        Requirements {
            staging: default_staging_requirements(),
            production: default_production_requirements(),
            required_checks: Vec::new(),
            qa_mode: QaMode::default(),
        }
    }
}

/// How QA says a version may go to production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QaMode {
    /// No blocker reported against the version while it soaked on staging.
    #[default]
    NoBlockers,
    /// QA said `/qa ok` for the version (and no blocker stands).
    Explicit,
}

impl QaMode {
    pub fn name(self) -> &'static str {
        match self {
            QaMode::NoBlockers => "no_blockers",
            QaMode::Explicit => "explicit",
        }
    }
}

/// How long a version stays on staging before it may go to production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Soak {
    /// The process's two-week soak: what reached staging before a release day goes to
    /// production on that release day.
    #[default]
    NextReleaseDay,
    /// A version may go to production once it has run on staging this many days.
    Days(u32),
}

impl fmt::Display for Soak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Soak::NextReleaseDay => f.write_str("next_release_day"),
            Soak::Days(days) => write!(f, "{days}"),
        }
    }
}

impl Serialize for Soak {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Soak::NextReleaseDay => serializer.serialize_str("next_release_day"),
            Soak::Days(days) => serializer.serialize_u32(*days),
        }
    }
}

impl JsonSchema for Soak {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Soak".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "How long a version stays on staging before it may go to production: `next_release_day` (the process's soak: what reached staging before a release day goes to production on that day) or a number of days.",
            "oneOf": [
                { "const": "next_release_day" },
                { "type": "integer", "minimum": 0, "maximum": MAX_SOAK_DAYS }
            ]
        })
    }
}

/// The longest soak a team can ask for, in days.
pub const MAX_SOAK_DAYS: u32 = 365;

pub(crate) fn default_staging_requirements() -> Vec<Requirement> {
    vec![
        Requirement::Tests,
        Requirement::Signoff,
        Requirement::NotHoliday,
    ]
}

pub(crate) fn default_production_requirements() -> Vec<Requirement> {
    vec![
        Requirement::Tests,
        Requirement::Qa,
        Requirement::Signoff,
        Requirement::NotHoliday,
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Automated unit and integration tests pass.
    Tests,
    /// QA has not identified blockers.
    Qa,
    /// The release manager signed off (`/signoff`).
    Signoff,
    /// The release day is not a holiday.
    NotHoliday,
}

impl Requirement {
    pub const ALL: [Requirement; 4] = [
        Requirement::Tests,
        Requirement::Qa,
        Requirement::Signoff,
        Requirement::NotHoliday,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Requirement::Tests => "tests",
            Requirement::Qa => "qa",
            Requirement::Signoff => "signoff",
            Requirement::NotHoliday => "not_holiday",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environments {
    #[serde(default = "Environment::staging")]
    pub staging: Environment,
    #[serde(default = "Environment::production")]
    pub production: Environment,
}

impl Default for Environments {
    fn default() -> Self {
        Environments {
            staging: Environment::staging(),
            production: Environment::production(),
        }
    }
}

/// A GitHub deployment environment and where to read the version it runs.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = name_is_optional)]
pub struct Environment {
    /// The GitHub environment name; defaults to `staging` / `production`.
    pub name: String,
    /// A Dockerflow `__version__` URL answering `{"version": ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_url: Option<String>,
    /// Production only: how long a version soaks on staging first (default
    /// `next_release_day`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak: Option<Soak>,
}

/// `name` defaults per environment (`staging` / `production`), which a schema default on the
/// shared `Environment` type cannot say; it is optional, described in prose.
fn name_is_optional(schema: &mut Schema) {
    if let Some(required) = schema
        .get_mut("required")
        .and_then(|value| value.as_array_mut())
    {
        required.retain(|field| field != "name");
    }
}

impl Environment {
    pub fn staging() -> Self {
        Environment {
            name: "staging".to_owned(),
            version_url: None,
            soak: None,
        }
    }

    pub fn production() -> Self {
        Environment {
            name: "production".to_owned(),
            version_url: None,
            soak: None,
        }
    }
}

/// Where deployment-request issues for Ops are opened.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentRequest {
    /// `owner/name` of the Ops repository; when absent, this repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<RepoSlug>,
    #[serde(default = "default_deployment_request_labels")]
    pub labels: Vec<String>,
    #[serde(default)]
    pub assignees: Vec<String>,
}

impl Default for DeploymentRequest {
    fn default() -> Self {
        DeploymentRequest {
            repo: None,
            labels: default_deployment_request_labels(),
            assignees: Vec::new(),
        }
    }
}

pub(crate) fn default_deployment_request_labels() -> Vec<String> {
    vec!["deployment-request".to_owned()]
}

/// The repository with the functional tests that run against staging.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionalTests {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<RepoSlug>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Qa {
    /// GitHub logins allowed to use `/qa`.
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSettings {
    /// `tag`: relman creates the tag and GitHub release itself; `pull_request`: it opens a
    /// release PR (version files, changelog) and tags once that PR merges.
    #[serde(default)]
    pub mode: ReleaseMode,
    /// Files in which the version is bumped (for `pull_request` mode): `Cargo.toml` (with its
    /// `Cargo.lock`), `package.json` and plain `VERSION` files by path, anything else with a
    /// pattern.
    #[serde(default)]
    pub version_files: Vec<VersionFile>,
    /// The changelog file relman prepends to.
    #[serde(default = "default_changelog")]
    pub changelog: String,
}

impl Default for ReleaseSettings {
    fn default() -> Self {
        ReleaseSettings {
            mode: ReleaseMode::default(),
            version_files: Vec::new(),
            changelog: default_changelog(),
        }
    }
}

pub(crate) fn default_changelog() -> String {
    "CHANGELOG.md".to_owned()
}

/// A file holding the release version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum VersionFile {
    /// A path whose name says where the version is: `Cargo.toml` (`[package].version` or
    /// `[workspace.package].version`, and the matching `Cargo.lock` entries), `package.json`
    /// (its `version`), or a file named `VERSION` (the whole file).
    Path(String),
    Pattern(VersionPattern),
}

impl VersionFile {
    pub fn path(&self) -> &str {
        match self {
            VersionFile::Path(path) => path,
            VersionFile::Pattern(p) => &p.path,
        }
    }
}

/// How relman reads the version in a file given by path alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionFileKind {
    /// `Cargo.toml`: `[package].version` or `[workspace.package].version`.
    Cargo,
    /// `package.json`: the top-level `version`.
    PackageJson,
    /// `VERSION` (any case, any extension): the whole file is the version.
    Plain,
}

impl VersionFileKind {
    /// The kind a path's file name says; `None` when it says nothing relman knows.
    pub fn of_path(path: &str) -> Option<VersionFileKind> {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name == "Cargo.toml" {
            Some(VersionFileKind::Cargo)
        } else if name == "package.json" {
            Some(VersionFileKind::PackageJson)
        } else if name
            .split('.')
            .next()
            .is_some_and(|stem| stem.eq_ignore_ascii_case("version"))
        {
            Some(VersionFileKind::Plain)
        } else {
            None
        }
    }
}

/// The compiled pattern of a version file; it must have a `version` group or exactly one group.
pub fn compile_version_pattern(text: &str) -> Result<regex::Regex, String> {
    let re = regex::Regex::new(text).map_err(|e| {
        format!(
            "not a regular expression: {}",
            e.to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .trim_start_matches("error: ")
        )
    })?;
    let named = re.capture_names().any(|n| n == Some("version"));
    if !named && re.captures_len() != 2 {
        return Err(format!(
            "`{text}` must capture the version in a group named `version` (or in its only group)"
        ));
    }
    Ok(re)
}

/// Any other file: the version is what the `version` group of `pattern` (or its only group)
/// matches, e.g. `{ path: src/version.py, pattern: '__version__ = "(?P<version>[^"]+)"' }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionPattern {
    pub path: String,
    /// A regular expression (Rust `regex` syntax) matching the version in its first match.
    pub pattern: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseMode {
    #[default]
    Tag,
    PullRequest,
}

/// What relman does to a release created by hand that breaks a requirement.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    #[serde(default)]
    pub on_violation: OnViolation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnViolation {
    /// Revert the release to a draft, fail the check run and comment.
    #[default]
    Draft,
    /// Leave the release; only fail the check run and comment.
    Annotate,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Hours production is watched after a deployment before `/release healthy` is expected.
    #[serde(default = "default_watch_hours")]
    #[schemars(range(min = 1, max = 720))]
    pub watch_hours: u32,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            watch_hours: default_watch_hours(),
        }
    }
}

pub(crate) fn default_watch_hours() -> u32 {
    24
}

/// A repository named `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoSlug {
    pub owner: String,
    pub name: String,
}

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl Serialize for RepoSlug {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for RepoSlug {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RepoSlug".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A repository, owner/name.",
            "pattern": r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$",
        })
    }
}

/// Whether `login` can be a GitHub user or organisation login: 1-39 ASCII letters, digits and
/// hyphens, not starting with a hyphen. (New accounts are stricter, but some old logins have
/// double or trailing hyphens, so those are accepted.)
pub fn is_github_login(login: &str) -> bool {
    let bytes = login.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 39
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes.first() != Some(&b'-')
}

/// Whether `name` is a valid GitHub repository name (the part after `owner/`).
pub fn is_github_repo_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl FromStr for RepoSlug {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (owner, name) = text.split_once('/').ok_or(())?;
        if is_github_login(owner) && is_github_repo_name(name) {
            Ok(RepoSlug {
                owner: owner.to_owned(),
                name: name.to_owned(),
            })
        } else {
            Err(())
        }
    }
}
