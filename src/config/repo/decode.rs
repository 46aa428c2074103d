//! Decoding and validating the positioned YAML tree into a [`RepoConfig`].
//!
//! Every check records its error and carries on, so one run reports all problems in the file.
//! A decoder returns `None` only after it recorded why; the top level then returns the errors.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

use super::ConfigError;
use super::extends::extends_target;
use super::keys::keys_of;
use super::types::*;
use super::yaml::{Entry, Location, Node, Resolved, Value};

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
];

const QA_MODES: &[(&str, QaMode)] = &[
    ("no_blockers", QaMode::NoBlockers),
    ("explicit", QaMode::Explicit),
];

const ON_HOLIDAY: &[(&str, OnHoliday)] = &[
    ("next_business_day", OnHoliday::NextBusinessDay),
    ("skip", OnHoliday::Skip),
];

const ROTATION_EVERY: &[(&str, RotationEvery)] = &[
    ("month", RotationEvery::Month),
    ("release", RotationEvery::Release),
];

const BUMPS: &[(&str, Bump)] = &[
    ("major", Bump::Major),
    ("minor", Bump::Minor),
    ("patch", Bump::Patch),
];

const REQUIREMENTS: &[(&str, Requirement)] = &[
    ("tests", Requirement::Tests),
    ("qa", Requirement::Qa),
    ("signoff", Requirement::Signoff),
    ("not_holiday", Requirement::NotHoliday),
];

const VERSION_SOURCES: &[(&str, VersionSource)] = &[
    ("labels", VersionSource::Labels),
    ("conventional_commits", VersionSource::ConventionalCommits),
];

const RELEASE_MODES: &[(&str, ReleaseMode)] = &[
    ("tag", ReleaseMode::Tag),
    ("pull_request", ReleaseMode::PullRequest),
];

const ON_VIOLATION: &[(&str, OnViolation)] = &[
    ("draft", OnViolation::Draft),
    ("annotate", OnViolation::Annotate),
];

/// Decodes a whole document. `root` is None for an empty file; `problems` are the non-fatal
/// parse problems (duplicate keys) to report alongside validation errors.
pub(crate) fn decode_config(
    file: &Arc<str>,
    root: Option<&Node>,
    problems: Vec<ConfigError>,
) -> Result<RepoConfig, Vec<ConfigError>> {
    let mut decoder = Decoder { errors: problems };
    let start = Location {
        file: Arc::clone(file),
        line: 1,
        column: 1,
    };
    let empty = Node {
        at: start,
        value: Value::Mapping(Vec::new()),
    };
    // An empty file (or one that is only `~`) is an empty mapping, as in Probot.
    let root = root.filter(|node| !node.is_null()).unwrap_or(&empty);
    let config = decoder.config(root);
    match config {
        Some(config) if decoder.errors.is_empty() => Ok(config),
        _ => {
            debug_assert!(
                !decoder.errors.is_empty(),
                "a decoder returned None without an error"
            );
            let mut errors = decoder.errors;
            errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            Err(errors)
        }
    }
}

struct Decoder {
    errors: Vec<ConfigError>,
}

/// The entries of a mapping whose keys were checked against the known ones.
struct Fields<'n> {
    at: &'n Location,
    entries: &'n [Entry],
    path: String,
    known: &'static [&'static str],
}

impl<'n> Fields<'n> {
    /// The value of `key`; None when it is absent or set to nothing (`key:` / `key: ~`), which
    /// means "use the default".
    fn get(&self, key: &str) -> Option<&'n Node> {
        // A key the types do not declare would be rejected as unknown before it is read here.
        debug_assert!(
            self.known.contains(&key),
            "the decoder reads `{key}` in `{}`, which its type does not declare",
            self.path
        );
        self.entries
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| &entry.value)
            .filter(|node| !node.is_null())
    }

    fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

impl Decoder {
    fn report(&mut self, at: &Location, message: String, hint: Option<String>) {
        self.errors.push(ConfigError {
            file: at.file.to_string(),
            line: at.line,
            column: at.column,
            message,
            hint,
        });
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        self.report(
            &node.at,
            format!("`{path}` must be {expected}, found {}", node.kind()),
            None,
        );
    }

    /// Checks that `node` is a mapping whose keys are all in `known`.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        known: &'static [&'static str],
    ) -> Option<Fields<'n>> {
        let Value::Mapping(entries) = &node.value else {
            let what = if path.is_empty() {
                "the configuration".to_owned()
            } else {
                format!("`{path}`")
            };
            self.report(
                &node.at,
                format!(
                    "{what} must be a mapping of keys to values, found {}",
                    node.kind()
                ),
                None,
            );
            return None;
        };
        for entry in entries {
            if !known.contains(&entry.key.as_str()) {
                let message = if path.is_empty() {
                    format!("unknown key `{}`", entry.key)
                } else {
                    format!("unknown key `{}` in `{path}`", entry.key)
                };
                let names = known.iter().copied();
                let hint = match did_you_mean(&entry.key, names.clone()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("expected one of {}", list_of(names)),
                };
                self.report(&entry.key_at, message, Some(hint));
            }
        }
        Some(Fields {
            at: &node.at,
            entries,
            path: path.to_owned(),
            known,
        })
    }

    fn require<'n>(&mut self, fields: &Fields<'n>, key: &str, hint: &str) -> Option<&'n Node> {
        let node = fields.get(key);
        if node.is_none() {
            let message = if fields.path.is_empty() {
                format!("missing required key `{key}`")
            } else {
                format!("missing required key `{key}` in `{}`", fields.path)
            };
            self.report(fields.at, message, Some(hint.to_owned()));
        }
        node
    }

    fn scalar_text<'n>(&mut self, node: &'n Node, path: &str, expected: &str) -> Option<&'n str> {
        match &node.value {
            Value::Scalar(scalar) if scalar.resolve() != Resolved::Null => Some(&scalar.text),
            _ => {
                self.wrong_type(node, path, expected);
                None
            }
        }
    }

    /// Any scalar: a numeric-looking login such as `1234` is still a string here.
    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        self.scalar_text(node, path, "a string").map(str::to_owned)
    }

    fn non_empty_string(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.string(node, path)?;
        if text.trim().is_empty() {
            self.report(&node.at, format!("`{path}` must not be empty"), None);
            return None;
        }
        Some(text)
    }

    fn list<'n, T>(
        &mut self,
        node: &'n Node,
        path: &str,
        mut item: impl FnMut(&mut Self, &'n Node, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Value::Sequence(items) = &node.value else {
            self.wrong_type(node, path, "a list");
            return None;
        };
        let errors_before = self.errors.len();
        let decoded: Vec<T> = items
            .iter()
            .filter_map(|node| item(self, node, path))
            .collect();
        (self.errors.len() == errors_before).then_some(decoded)
    }

    fn string_list(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        self.list(node, path, |d, node, path| d.non_empty_string(node, path))
    }

    fn unsigned(&mut self, node: &Node, path: &str, min: u32, max: u32) -> Option<u32> {
        let value = match &node.value {
            Value::Scalar(scalar) => match scalar.resolve() {
                Resolved::Int(value) => value,
                _ => {
                    self.wrong_type(node, path, "a whole number");
                    return None;
                }
            },
            _ => {
                self.wrong_type(node, path, "a whole number");
                return None;
            }
        };
        match u32::try_from(value) {
            Ok(value) if (min..=max).contains(&value) => Some(value),
            _ => {
                self.report(
                    &node.at,
                    format!("`{path}` must be between {min} and {max}, found {value}"),
                    None,
                );
                None
            }
        }
    }

    fn date(&mut self, node: &Node, path: &str) -> Option<NaiveDate> {
        let text = self.scalar_text(node, path, "a date (YYYY-MM-DD)")?;
        match parse_date(text) {
            Ok(date) => Some(date),
            Err(problem) => {
                self.report(
                    &node.at,
                    format!("`{path}`: `{text}` {problem}"),
                    Some(problem.hint().to_owned()),
                );
                None
            }
        }
    }

    /// One of a fixed set of lower-case words.
    fn keyword<T: Copy>(
        &mut self,
        node: &Node,
        path: &str,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        let text = self.scalar_text(
            node,
            path,
            &format!("one of {}", list_of(options.iter().map(|(name, _)| *name))),
        )?;
        if let Some((_, value)) = options.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names = options.iter().map(|(name, _)| *name);
        let hint = match did_you_mean(text, names.clone()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("expected one of {}", list_of(names)),
        };
        self.report(
            &node.at,
            format!("`{path}`: unknown {what} `{text}`"),
            Some(hint),
        );
        None
    }

    fn login(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.string(node, path)?;
        if is_github_login(&text) {
            return Some(text);
        }
        let hint = match text.strip_prefix('@') {
            Some(bare) if is_github_login(bare) => format!("write `{bare}` without the `@`"),
            _ => "a GitHub login has 1-39 letters, digits and hyphens".to_owned(),
        };
        self.report(
            &node.at,
            format!("`{path}`: `{text}` is not a GitHub login"),
            Some(hint),
        );
        None
    }

    /// A list of logins in which each appears once (logins are case-insensitive).
    fn logins(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        let Value::Sequence(items) = &node.value else {
            self.wrong_type(node, path, "a list of GitHub logins");
            return None;
        };
        let mut logins: Vec<String> = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let Some(login) = self.login(item, path) else {
                ok = false;
                continue;
            };
            if logins.iter().any(|seen| seen.eq_ignore_ascii_case(&login)) {
                self.report(&item.at, format!("`{path}` lists `{login}` twice"), None);
                ok = false;
                continue;
            }
            logins.push(login);
        }
        ok.then_some(logins)
    }

    fn repo_slug(&mut self, node: &Node, path: &str) -> Option<RepoSlug> {
        let text = self.string(node, path)?;
        match text.parse() {
            Ok(slug) => Some(slug),
            Err(()) => {
                self.report(
                    &node.at,
                    format!("`{path}`: `{text}` is not a repository"),
                    Some("write it as owner/name, e.g. example-org/ops".to_owned()),
                );
                None
            }
        }
    }

    fn http_url(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.string(node, path)?;
        match url::Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(text)
            }
            _ => {
                self.report(
                    &node.at,
                    format!("`{path}`: `{text}` is not an http(s) URL"),
                    Some("write the full address, e.g. https://example.net/__version__".to_owned()),
                );
                None
            }
        }
    }

    fn config(&mut self, root: &Node) -> Option<RepoConfig> {
        let top = self.fields(root, "", keys_of::<RepoConfig>())?;
        let extends = match top.get("_extends") {
            Some(node) => self.extends(node).map(Some),
            None => Some(None),
        };
        let timezone = top
            .get("timezone")
            .map_or(Some(TimeZone::default()), |node| self.timezone(node));
        let schedule = self
            .require(
                &top,
                "schedule",
                "add `schedule: { every_weeks: 2, weekday: tuesday, anchor: YYYY-MM-DD }`",
            )
            .and_then(|node| self.schedule(node));
        let holidays = top
            .get("holidays")
            .map_or(Some(Holidays::default()), |node| self.holidays(node));
        let rotation = self
            .require(
                &top,
                "rotation",
                "add `rotation: { every: month, members: [alice, bob] }`",
            )
            .and_then(|node| self.rotation(node, schedule.as_ref()));
        let versioning = top
            .get("versioning")
            .map_or(Some(Versioning::default()), |node| self.versioning(node));
        let requirements = top
            .get("requirements")
            .map_or(Some(Requirements::default()), |node| {
                self.requirements(node)
            });
        let environments = top
            .get("environments")
            .map_or(Some(Environments::default()), |node| {
                self.environments(node)
            });
        let deployment_request = top
            .get("deployment_request")
            .map_or(Some(DeploymentRequest::default()), |node| {
                self.deployment_request(node)
            });
        let functional_tests = top
            .get("functional_tests")
            .map_or(Some(FunctionalTests::default()), |node| {
                self.functional_tests(node)
            });
        let qa = top
            .get("qa")
            .map_or(Some(Qa::default()), |node| self.qa(node));
        let dashboards = top
            .get("dashboards")
            .map_or(Some(Vec::new()), |node| self.dashboards(node));
        let pr_checklist = top
            .get("pr_checklist")
            .map_or(Some(default_pr_checklist()), |node| {
                self.string_list(node, "pr_checklist")
            });
        let release = top
            .get("release")
            .map_or(Some(ReleaseSettings::default()), |node| self.release(node));
        let gate = top
            .get("gate")
            .map_or(Some(Gate::default()), |node| self.gate(node));
        let monitoring = top
            .get("monitoring")
            .map_or(Some(Monitoring::default()), |node| self.monitoring(node));

        Some(RepoConfig {
            extends: extends?,
            timezone: timezone?,
            schedule: schedule?,
            holidays: holidays?,
            rotation: rotation?,
            versioning: versioning?,
            requirements: requirements?,
            environments: environments?,
            deployment_request: deployment_request?,
            functional_tests: functional_tests?,
            qa: qa?,
            dashboards: dashboards?,
            pr_checklist: pr_checklist?,
            release: release?,
            gate: gate?,
            monitoring: monitoring?,
        })
    }

    fn extends(&mut self, node: &Node) -> Option<String> {
        let text = self.string(node, "_extends")?;
        // The owner only matters for the resolved target; any valid login checks the syntax.
        if extends_target(&text, "owner").is_none() {
            self.report(
                &node.at,
                format!("`_extends`: `{text}` is not a repository reference"),
                Some("use `.github`, `repo`, `owner/repo`, optionally followed by `:path/to/file.yml`".to_owned()),
            );
            return None;
        }
        Some(text)
    }

    fn timezone(&mut self, node: &Node) -> Option<TimeZone> {
        let text = self.scalar_text(node, "timezone", "an IANA time zone name")?;
        if let Ok(tz) = text.parse::<Tz>() {
            return Some(TimeZone(tz));
        }
        let same_but_case = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(text));
        let hint = if let Some(tz) = same_but_case {
            format!("did you mean `{}`?", tz.name())
        } else if let Some(close) =
            did_you_mean(text, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()))
        {
            format!("did you mean `{close}`?")
        } else {
            "use an IANA name such as `America/Los_Angeles`, `Europe/Berlin` or `UTC`".to_owned()
        };
        self.report(&node.at, format!("unknown time zone `{text}`"), Some(hint));
        None
    }

    fn schedule(&mut self, node: &Node) -> Option<Schedule> {
        let fields = self.fields(node, "schedule", keys_of::<Schedule>())?;
        let every_weeks = fields
            .get("every_weeks")
            .map_or(Some(default_every_weeks()), |node| {
                self.unsigned(node, "schedule.every_weeks", 1, 52)
            });
        let weekday = fields
            .get("weekday")
            .map_or(Some(default_weekday()), |node| {
                self.keyword(node, "schedule.weekday", "weekday", WEEKDAYS)
            });
        let anchor_node = self.require(
            &fields,
            "anchor",
            "add the date of one release day, e.g. `anchor: 2026-01-06`",
        );
        let anchor = anchor_node.and_then(|node| self.date(node, "schedule.anchor"));
        let days_before_node = fields.get("tracking_issue_days_before");
        let tracking_issue_days_before = days_before_node
            .map_or(Some(default_tracking_issue_days_before()), |node| {
                self.unsigned(node, "schedule.tracking_issue_days_before", 0, 364)
            });

        if let (Some(anchor), Some(weekday), Some(anchor_node)) = (anchor, weekday, anchor_node)
            && anchor.weekday() != weekday.to_chrono()
        {
            let before = previous_on_or_before(anchor, weekday);
            let after = before + Duration::days(7);
            self.report(
                &anchor_node.at,
                format!(
                    "`schedule.anchor` {anchor} is a {}, but `schedule.weekday` is {weekday}",
                    weekday_name(anchor)
                ),
                Some(format!(
                    "use the {weekday} before or after it: {before} or {after}"
                )),
            );
        }
        if let (Some(every_weeks), Some(days_before), Some(node)) =
            (every_weeks, tracking_issue_days_before, days_before_node)
        {
            // Up to the whole cycle: at the cycle itself the next release's issue opens on the
            // current release day, so one tracking issue is always open.
            let cycle_days = every_weeks * 7;
            if days_before > cycle_days {
                self.report(
                    &node.at,
                    format!(
                        "`schedule.tracking_issue_days_before` is {days_before}, but release days are only {cycle_days} days apart"
                    ),
                    Some(format!("use a number up to {cycle_days}")),
                );
            }
        }
        Some(Schedule {
            every_weeks: every_weeks?,
            weekday: weekday?,
            anchor: anchor?,
            tracking_issue_days_before: tracking_issue_days_before?,
        })
    }

    fn holidays(&mut self, node: &Node) -> Option<Holidays> {
        let fields = self.fields(node, "holidays", keys_of::<Holidays>())?;
        let dates = fields.get("dates").map_or(Some(Vec::new()), |node| {
            self.list(node, "holidays.dates", |d, node, path| {
                d.holiday_dates(node, path)
            })
        });
        let on_holiday = fields
            .get("on_holiday")
            .map_or(Some(OnHoliday::default()), |node| {
                self.keyword(node, "holidays.on_holiday", "value", ON_HOLIDAY)
            });
        let ics = match fields.get("ics") {
            Some(node) => self.non_empty_string(node, "holidays.ics").map(Some),
            None => Some(None),
        };
        Some(Holidays {
            dates: dates?,
            on_holiday: on_holiday?,
            ics: ics?,
        })
    }

    fn holiday_dates(&mut self, node: &Node, path: &str) -> Option<HolidayDates> {
        let text = self.scalar_text(node, path, "a date or a range of dates")?;
        let Some((first_text, last_text)) = text.split_once("..") else {
            return match parse_date(text) {
                Ok(day) => Some(HolidayDates::Day(day)),
                Err(problem) => {
                    self.report(
                        &node.at,
                        format!("`{path}`: `{text}` {problem}"),
                        Some(HOLIDAY_HINT.to_owned()),
                    );
                    None
                }
            };
        };
        match (parse_date(first_text), parse_date(last_text)) {
            (Ok(first), Ok(last)) if first <= last => Some(HolidayDates::Range { first, last }),
            (Ok(first), Ok(last)) => {
                self.report(
                    &node.at,
                    format!("`{path}`: the range `{text}` ends before it starts"),
                    Some(format!("write the earlier day first: `{last}..{first}`")),
                );
                None
            }
            _ => {
                self.report(
                    &node.at,
                    format!("`{path}`: `{text}` is not a date range"),
                    Some(HOLIDAY_HINT.to_owned()),
                );
                None
            }
        }
    }

    fn rotation(&mut self, node: &Node, schedule: Option<&Schedule>) -> Option<RotationConfig> {
        let fields = self.fields(node, "rotation", keys_of::<RotationConfig>())?;
        let every = fields
            .get("every")
            .map_or(Some(RotationEvery::default()), |node| {
                self.keyword(node, "rotation.every", "value", ROTATION_EVERY)
            });
        let starts = match fields.get("starts") {
            Some(node) => self.month(node, "rotation.starts").map(Some),
            None => Some(None),
        };
        let members = self
            .require(
                &fields,
                "members",
                "list the GitHub logins who take turns, e.g. `members: [alice, bob]`",
            )
            .and_then(|node| self.logins(node, "rotation.members"));
        if let (Some(members), Some(node)) = (&members, fields.get("members"))
            && members.is_empty()
        {
            self.report(
                &node.at,
                "`rotation.members` is empty".to_owned(),
                Some("list at least one GitHub login".to_owned()),
            );
        }
        let overrides = match (fields.get("overrides"), every) {
            (None, _) => Some(BTreeMap::new()),
            (Some(node), Some(every)) => self.overrides(node, every, schedule),
            // The keys' meaning depends on `every`, which is broken and already reported.
            (Some(_), None) => None,
        };
        let members = members.filter(|members| !members.is_empty());
        Some(RotationConfig {
            every: every?,
            starts: starts?,
            members: members?,
            overrides: overrides?,
        })
    }

    fn month(&mut self, node: &Node, path: &str) -> Option<YearMonth> {
        let text = self.scalar_text(node, path, "a month (YYYY-MM)")?;
        match text.parse() {
            Ok(month) => Some(month),
            Err(_) => {
                self.report(
                    &node.at,
                    format!("`{path}`: `{text}` is not a month"),
                    Some("write months as YYYY-MM, e.g. 2026-01".to_owned()),
                );
                None
            }
        }
    }

    fn overrides(
        &mut self,
        node: &Node,
        every: RotationEvery,
        schedule: Option<&Schedule>,
    ) -> Option<BTreeMap<Period, String>> {
        const PATH: &str = "rotation.overrides";
        let Value::Mapping(entries) = &node.value else {
            self.wrong_type(node, PATH, "a mapping of periods to GitHub logins");
            return None;
        };
        let mut overrides = BTreeMap::new();
        let mut ok = true;
        for entry in entries {
            let period = self.period(entry, every, schedule);
            let login = self.login(&entry.value, PATH);
            match (period, login) {
                (Some(period), Some(login)) => {
                    overrides.insert(period, login);
                }
                _ => ok = false,
            }
        }
        ok.then_some(overrides)
    }

    fn period(
        &mut self,
        entry: &Entry,
        every: RotationEvery,
        schedule: Option<&Schedule>,
    ) -> Option<Period> {
        const PATH: &str = "rotation.overrides";
        let key = entry.key.as_str();
        match every {
            RotationEvery::Month => {
                if let Ok(month) = key.parse() {
                    return Some(Period::Month(month));
                }
                let hint = if parse_date(key).is_ok() {
                    "the rotation changes every month, so overrides are keyed by month, e.g. \"2026-07\"".to_owned()
                } else {
                    "write months as YYYY-MM, e.g. \"2026-07\"".to_owned()
                };
                self.report(
                    &entry.key_at,
                    format!("`{PATH}`: `{key}` is not a month"),
                    Some(hint),
                );
                None
            }
            RotationEvery::Release => {
                let date = match parse_date(key) {
                    Ok(date) => date,
                    Err(_) => {
                        self.report(
                            &entry.key_at,
                            format!("`{PATH}`: `{key}` is not a release date"),
                            Some(
                                "the rotation changes every release, so overrides are keyed by the scheduled release date, e.g. \"2026-07-07\""
                                    .to_owned(),
                            ),
                        );
                        return None;
                    }
                };
                // Without a valid schedule there is nothing to check the date against (and the
                // schedule's own error is already reported).
                let schedule = schedule?;
                let offset = (date - schedule.anchor)
                    .num_days()
                    .rem_euclid(schedule.cadence_days());
                if offset != 0 {
                    let before = date - Duration::days(offset);
                    let after = before + Duration::days(schedule.cadence_days());
                    self.report(
                        &entry.key_at,
                        format!("`{PATH}`: {date} is not a scheduled release day"),
                        Some(format!(
                            "the scheduled release days around it are {before} and {after}"
                        )),
                    );
                    return None;
                }
                Some(Period::Release(date))
            }
        }
    }

    fn versioning(&mut self, node: &Node) -> Option<Versioning> {
        let fields = self.fields(node, "versioning", keys_of::<Versioning>())?;
        let tag_prefix = fields
            .get("tag_prefix")
            .map_or(Some(default_tag_prefix()), |node| self.tag_prefix(node));
        let default_bump = fields
            .get("default_bump")
            .map_or(Some(default_bump()), |node| {
                self.keyword(node, "versioning.default_bump", "bump", BUMPS)
            });
        let bump_labels = fields
            .get("bump_labels")
            .map_or(Some(BumpLabels::default()), |node| self.bump_labels(node));
        let source = fields
            .get("source")
            .map_or(Some(VersionSource::default()), |node| {
                self.keyword(node, "versioning.source", "source", VERSION_SOURCES)
            });
        Some(Versioning {
            tag_prefix: tag_prefix?,
            default_bump: default_bump?,
            bump_labels: bump_labels?,
            source: source?,
        })
    }

    fn tag_prefix(&mut self, node: &Node) -> Option<String> {
        const PATH: &str = "versioning.tag_prefix";
        let text = self.string(node, PATH)?;
        // The characters git refuses in a ref name (git-check-ref-format).
        let forbidden = text
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(*c));
        if let Some(c) = forbidden {
            let what = if c.is_whitespace() || c.is_control() {
                "whitespace".to_owned()
            } else {
                format!("`{c}`")
            };
            self.report(
                &node.at,
                format!(
                    "`{PATH}`: `{text}` contains {what}, which git does not allow in a tag name"
                ),
                None,
            );
            return None;
        }
        if text.contains("..") || text.starts_with(['.', '/', '-']) {
            self.report(
                &node.at,
                format!("`{PATH}`: `{text}` cannot start a git tag name"),
                None,
            );
            return None;
        }
        Some(text)
    }

    fn bump_labels(&mut self, node: &Node) -> Option<BumpLabels> {
        const PATH: &str = "versioning.bump_labels";
        let fields = self.fields(node, PATH, keys_of::<BumpLabels>())?;
        let level = |d: &mut Self, key: &str, default: fn() -> Vec<String>| match fields.get(key) {
            Some(node) => d
                .string_list(node, &fields.path(key))
                .map(|labels| (labels, Some(node))),
            None => Some((default(), None)),
        };
        let major = level(self, "major", default_major_labels);
        let minor = level(self, "minor", default_minor_labels);
        let patch = level(self, "patch", default_patch_labels);
        let (major, minor, patch) = (major?, minor?, patch?);

        // A label may select only one bump; GitHub compares label names case-insensitively.
        let mut seen: HashMap<String, &str> = HashMap::new();
        let mut ok = true;
        for (name, (labels, node)) in [("major", &major), ("minor", &minor), ("patch", &patch)] {
            for label in labels {
                match seen.get(&label.to_lowercase()) {
                    Some(first) if *first != name => {
                        let at = node.map_or(fields.at, |node| &node.at);
                        let message = format!(
                            "`{PATH}`: label `{label}` is listed under both `{first}` and `{name}`"
                        );
                        self.report(
                            at,
                            message,
                            Some("a label can select only one bump".to_owned()),
                        );
                        ok = false;
                    }
                    Some(_) => {
                        let at = node.map_or(fields.at, |node| &node.at);
                        self.report(at, format!("`{PATH}.{name}` lists `{label}` twice"), None);
                        ok = false;
                    }
                    None => {
                        seen.insert(label.to_lowercase(), name);
                    }
                }
            }
        }
        ok.then_some(BumpLabels {
            major: major.0,
            minor: minor.0,
            patch: patch.0,
        })
    }

    fn requirements(&mut self, node: &Node) -> Option<Requirements> {
        let fields = self.fields(node, "requirements", keys_of::<Requirements>())?;
        let staging = fields
            .get("staging")
            .map_or(Some(default_staging_requirements()), |node| {
                self.requirement_list(node, "requirements.staging")
            });
        let production = fields
            .get("production")
            .map_or(Some(default_production_requirements()), |node| {
                self.requirement_list(node, "requirements.production")
            });
        let required_checks = fields
            .get("required_checks")
            .map_or(Some(Vec::new()), |node| {
                self.string_list(node, "requirements.required_checks")
            });
        let qa_mode = fields
            .get("qa_mode")
            .map_or(Some(QaMode::default()), |node| {
                self.keyword(node, "requirements.qa_mode", "value", QA_MODES)
            });
        Some(Requirements {
            staging: staging?,
            production: production?,
            required_checks: required_checks?,
            qa_mode: qa_mode?,
        })
    }

    fn requirement_list(&mut self, node: &Node, path: &str) -> Option<Vec<Requirement>> {
        let Value::Sequence(items) = &node.value else {
            self.wrong_type(node, path, "a list of requirements");
            return None;
        };
        let mut requirements = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match self.keyword(item, path, "requirement", REQUIREMENTS) {
                Some(requirement) if requirements.contains(&requirement) => {
                    self.report(
                        &item.at,
                        format!("`{path}` lists `{}` twice", requirement.name()),
                        None,
                    );
                    ok = false;
                }
                Some(requirement) => requirements.push(requirement),
                None => ok = false,
            }
        }
        ok.then_some(requirements)
    }

    fn environments(&mut self, node: &Node) -> Option<Environments> {
        let fields = self.fields(node, "environments", keys_of::<Environments>())?;
        let staging = fields
            .get("staging")
            .map_or(Some(Environment::staging()), |node| {
                self.environment(node, "environments.staging", Environment::staging())
            });
        let production = fields
            .get("production")
            .map_or(Some(Environment::production()), |node| {
                self.environment(node, "environments.production", Environment::production())
            });
        Some(Environments {
            staging: staging?,
            production: production?,
        })
    }

    fn environment(
        &mut self,
        node: &Node,
        path: &str,
        default: Environment,
    ) -> Option<Environment> {
        let fields = self.fields(node, path, keys_of::<Environment>())?;
        let name = fields.get("name").map_or(Some(default.name), |node| {
            self.non_empty_string(node, &fields.path("name"))
        });
        let version_url = match fields.get("version_url") {
            Some(node) => self.http_url(node, &fields.path("version_url")).map(Some),
            None => Some(None),
        };
        let soak = match fields.get("soak") {
            Some(node) if path == "environments.production" => {
                self.soak(node, &fields.path("soak")).map(Some)
            }
            Some(node) => {
                self.report(
                    &node.at,
                    format!("`{}` means nothing: the soak is production's", fields.path("soak")),
                    Some("it says how long a version stays on staging before production: set `environments.production.soak`".to_owned()),
                );
                None
            }
            None => Some(None),
        };
        Some(Environment {
            name: name?,
            version_url: version_url?,
            soak: soak?,
        })
    }

    /// `next_release_day`, or a number of days.
    fn soak(&mut self, node: &Node, path: &str) -> Option<Soak> {
        if let Value::Scalar(scalar) = &node.value
            && let Resolved::Int(_) = scalar.resolve()
        {
            return self.unsigned(node, path, 0, MAX_SOAK_DAYS).map(Soak::Days);
        }
        let text = self.scalar_text(node, path, "`next_release_day` or a number of days")?;
        if text == "next_release_day" {
            return Some(Soak::NextReleaseDay);
        }
        let message = format!("`{path}`: unknown soak `{text}`");
        self.report(
            &node.at,
            message,
            Some(
                "write `next_release_day` (the process's soak) or a number of days, e.g. `soak: 7`"
                    .to_owned(),
            ),
        );
        None
    }

    fn deployment_request(&mut self, node: &Node) -> Option<DeploymentRequest> {
        let fields = self.fields(node, "deployment_request", keys_of::<DeploymentRequest>())?;
        let repo = match fields.get("repo") {
            Some(node) => self.repo_slug(node, "deployment_request.repo").map(Some),
            None => Some(None),
        };
        let labels = fields
            .get("labels")
            .map_or(Some(default_deployment_request_labels()), |node| {
                self.string_list(node, "deployment_request.labels")
            });
        let assignees = fields.get("assignees").map_or(Some(Vec::new()), |node| {
            self.logins(node, "deployment_request.assignees")
        });
        Some(DeploymentRequest {
            repo: repo?,
            labels: labels?,
            assignees: assignees?,
        })
    }

    fn functional_tests(&mut self, node: &Node) -> Option<FunctionalTests> {
        let fields = self.fields(node, "functional_tests", keys_of::<FunctionalTests>())?;
        let repo = match fields.get("repo") {
            Some(node) => self.repo_slug(node, "functional_tests.repo").map(Some),
            None => Some(None),
        };
        Some(FunctionalTests { repo: repo? })
    }

    fn qa(&mut self, node: &Node) -> Option<Qa> {
        let fields = self.fields(node, "qa", keys_of::<Qa>())?;
        let members = fields
            .get("members")
            .map_or(Some(Vec::new()), |node| self.logins(node, "qa.members"));
        Some(Qa { members: members? })
    }

    fn dashboards(&mut self, node: &Node) -> Option<Vec<Dashboard>> {
        self.list(node, "dashboards", |d, node, path| {
            let fields = d.fields(node, path, keys_of::<Dashboard>())?;
            let name = d
                .require(&fields, "name", "name the dashboard, e.g. `name: Grafana`")
                .and_then(|node| d.non_empty_string(node, "dashboards.name"));
            let url = d
                .require(
                    &fields,
                    "url",
                    "add its address, e.g. `url: https://grafana.example.net/d/abc`",
                )
                .and_then(|node| d.http_url(node, "dashboards.url"));
            Some(Dashboard {
                name: name?,
                url: url?,
            })
        })
    }

    fn release(&mut self, node: &Node) -> Option<ReleaseSettings> {
        let fields = self.fields(node, "release", keys_of::<ReleaseSettings>())?;
        let mode = fields
            .get("mode")
            .map_or(Some(ReleaseMode::default()), |node| {
                self.keyword(node, "release.mode", "mode", RELEASE_MODES)
            });
        let version_files = fields
            .get("version_files")
            .map_or(Some(Vec::new()), |node| {
                self.list(node, "release.version_files", |d, node, path| {
                    d.version_file(node, path)
                })
            });
        let changelog = fields
            .get("changelog")
            .map_or(Some(default_changelog()), |node| {
                self.non_empty_string(node, "release.changelog")
            });
        Some(ReleaseSettings {
            mode: mode?,
            version_files: version_files?,
            changelog: changelog?,
        })
    }

    /// A version file: a path relman knows the format of, or `{ path, pattern }`.
    fn version_file(&mut self, node: &Node, path: &str) -> Option<VersionFile> {
        if let Value::Mapping(_) = &node.value {
            let fields = self.fields(node, path, keys_of::<VersionPattern>())?;
            let file = self
                .require(
                    &fields,
                    "path",
                    "name the file, e.g. `path: src/version.py`",
                )
                .and_then(|node| self.repo_path(node, &fields.path("path")));
            let pattern = self
                .require(
                    &fields,
                    "pattern",
                    "add a pattern whose `version` group matches the version, e.g. 'VERSION = \"(?P<version>[^\"]+)\"'",
                )
                .and_then(|node| self.version_pattern(node, &fields.path("pattern")));
            return Some(VersionFile::Pattern(VersionPattern {
                path: file?,
                pattern: pattern?,
            }));
        }
        let file = self.repo_path(node, path)?;
        if VersionFileKind::of_path(&file).is_none() {
            self.report(
                &node.at,
                format!("`{path}`: relman cannot tell where the version is in `{file}`"),
                Some(format!(
                    "relman reads Cargo.toml, package.json and VERSION files by name; for any other file give a pattern: `{{ path: {file}, pattern: 'version = \"(?P<version>[^\"]+)\"' }}`"
                )),
            );
            return None;
        }
        Some(VersionFile::Path(file))
    }

    /// A file path inside the repository, as the Git data API names it.
    fn repo_path(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.non_empty_string(node, path)?;
        let bad = text.starts_with('/')
            || text.ends_with('/')
            || text
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..");
        if bad {
            self.report(
                &node.at,
                format!("`{path}`: `{text}` is not a path inside the repository"),
                Some("write it from the repository root, e.g. `crates/app/Cargo.toml`".to_owned()),
            );
            return None;
        }
        Some(text)
    }

    fn version_pattern(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.non_empty_string(node, path)?;
        match compile_version_pattern(&text) {
            Ok(_) => Some(text),
            Err(problem) => {
                self.report(
                    &node.at,
                    format!("`{path}`: {problem}"),
                    Some(
                        "name the version's group, e.g. 'version = \"(?P<version>[^\"]+)\"'"
                            .to_owned(),
                    ),
                );
                None
            }
        }
    }

    fn gate(&mut self, node: &Node) -> Option<Gate> {
        let fields = self.fields(node, "gate", keys_of::<Gate>())?;
        let on_violation = fields
            .get("on_violation")
            .map_or(Some(OnViolation::default()), |node| {
                self.keyword(node, "gate.on_violation", "value", ON_VIOLATION)
            });
        Some(Gate {
            on_violation: on_violation?,
        })
    }

    fn monitoring(&mut self, node: &Node) -> Option<Monitoring> {
        let fields = self.fields(node, "monitoring", keys_of::<Monitoring>())?;
        let watch_hours = fields
            .get("watch_hours")
            .map_or(Some(default_watch_hours()), |node| {
                self.unsigned(node, "monitoring.watch_hours", 1, 720)
            });
        Some(Monitoring {
            watch_hours: watch_hours?,
        })
    }
}

const DATE_HINT: &str = "write dates as YYYY-MM-DD, e.g. 2026-01-06";
const HOLIDAY_HINT: &str =
    "write a day as YYYY-MM-DD or an inclusive range as \"YYYY-MM-DD..YYYY-MM-DD\"";

/// Why a text is not a date; displays as the end of "`text` ...".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateProblem {
    /// Not of the form YYYY-MM-DD.
    Shape,
    /// Of the form, but no such day (2026-02-30, 2026-13-01).
    NoSuchDay,
}

impl DateProblem {
    fn hint(self) -> &'static str {
        match self {
            DateProblem::Shape => DATE_HINT,
            DateProblem::NoSuchDay => "that month has no such day",
        }
    }
}

impl std::fmt::Display for DateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DateProblem::Shape => "is not a date",
            DateProblem::NoSuchDay => "is not a day of the calendar",
        })
    }
}

/// Parses a strict `YYYY-MM-DD` date.
fn parse_date(text: &str) -> Result<NaiveDate, DateProblem> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(DateProblem::Shape);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| DateProblem::NoSuchDay)
}

fn previous_on_or_before(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday()
        - weekday.to_chrono().num_days_from_monday())
        % 7;
    date - Duration::days(i64::from(back))
}

fn weekday_name(date: NaiveDate) -> &'static str {
    match date.weekday() {
        chrono::Weekday::Mon => "Monday",
        chrono::Weekday::Tue => "Tuesday",
        chrono::Weekday::Wed => "Wednesday",
        chrono::Weekday::Thu => "Thursday",
        chrono::Weekday::Fri => "Friday",
        chrono::Weekday::Sat => "Saturday",
        chrono::Weekday::Sun => "Sunday",
    }
}

/// The candidate closest to `input`, if it is close enough to be a plausible typo.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lowered = input.to_lowercase();
    let budget = (input.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::damerau_levenshtein(&lowered, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn list_of<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_typos_only() {
        let keys = ["every_weeks", "weekday", "anchor"];
        assert_eq!(did_you_mean("weekdy", keys), Some("weekday"));
        assert_eq!(did_you_mean("Anchor", keys), Some("anchor"));
        assert_eq!(did_you_mean("colour", keys), None);
    }

    #[test]
    fn strict_dates() {
        assert!(parse_date("2026-01-06").is_ok());
        assert_eq!(parse_date("2026-1-6"), Err(DateProblem::Shape));
        assert_eq!(parse_date("2026-02-30"), Err(DateProblem::NoSuchDay));
    }

    #[test]
    fn previous_weekday() {
        let wednesday = NaiveDate::from_ymd_opt(2026, 1, 7).unwrap();
        assert_eq!(
            previous_on_or_before(wednesday, Weekday::Tuesday),
            NaiveDate::from_ymd_opt(2026, 1, 6).unwrap()
        );
        assert_eq!(
            previous_on_or_before(wednesday, Weekday::Wednesday),
            wednesday
        );
    }
}
