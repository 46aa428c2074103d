//! The full example config and the defaults.

use relman::config::repo::*;

fn date(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

#[test]
fn the_example_config_parses_with_every_value() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/relman.yml"))
        .unwrap();
    let config = parse_repo_config("examples/relman.yml", &text).unwrap();
    assert_eq!(config.timezone.0, chrono_tz::America::Los_Angeles);
    assert_eq!(
        config.schedule,
        Schedule {
            every_weeks: 2,
            weekday: Weekday::Tuesday,
            anchor: date("2026-01-06"),
            tracking_issue_days_before: 1
        }
    );
    assert_eq!(
        config.holidays.dates,
        [
            HolidayDates::Day(date("2026-12-22")),
            HolidayDates::Range {
                first: date("2026-12-28"),
                last: date("2027-01-01")
            }
        ]
    );
    assert_eq!(config.holidays.on_holiday, OnHoliday::NextBusinessDay);
    assert_eq!(config.rotation.members, ["alice", "bob", "carol"]);
    assert_eq!(config.rotation.starts, YearMonth::new(2026, 1));
    assert_eq!(
        config
            .rotation
            .overrides
            .get(&Period::Month(YearMonth::new(2026, 7).unwrap()))
            .map(String::as_str),
        Some("dave")
    );
    assert_eq!(
        config.versioning.bump_labels.bump_for_label("Feature"),
        Some(Bump::Minor)
    );
    assert_eq!(
        config.requirements.production,
        [
            Requirement::Tests,
            Requirement::Qa,
            Requirement::Signoff,
            Requirement::NotHoliday
        ]
    );
    assert_eq!(
        config.environments.staging.version_url.as_deref(),
        Some("https://stage.example.net/__version__")
    );
    assert_eq!(
        config.deployment_request.repo,
        Some(RepoSlug {
            owner: "example-org".into(),
            name: "ops".into()
        })
    );
    assert_eq!(
        config
            .functional_tests
            .repo
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("example-org/functional-tests")
    );
    assert_eq!(config.qa.members, ["quinn"]);
    assert_eq!(config.dashboards.len(), 2);
    assert_eq!(config.release.mode, ReleaseMode::Tag);
    assert_eq!(config.gate.on_violation, OnViolation::Draft);
    assert_eq!(config.monitoring.watch_hours, 24);
}

#[test]
fn a_minimal_config_gets_the_defaults() {
    let config = parse_repo_config(
        "t.yml",
        "schedule: { anchor: 2026-01-06 }\nrotation: { members: [alice] }\n",
    )
    .unwrap();
    assert_eq!(config.timezone.0, chrono_tz::UTC);
    assert_eq!(config.schedule.every_weeks, 2);
    assert_eq!(config.schedule.weekday, Weekday::Tuesday);
    assert_eq!(config.schedule.tracking_issue_days_before, 1);
    assert_eq!(config.holidays, Holidays::default());
    assert_eq!(config.rotation.every, RotationEvery::Month);
    assert_eq!(config.rotation.starts, None);
    assert_eq!(config.versioning, Versioning::default());
    assert_eq!(config.versioning.tag_prefix, "v");
    assert_eq!(config.requirements, Requirements::default());
    assert_eq!(config.environments.production.name, "production");
    assert_eq!(config.deployment_request.labels, ["deployment-request"]);
    assert_eq!(config.pr_checklist.len(), 2);
    assert_eq!(config.release.changelog, "CHANGELOG.md");
    assert_eq!(config.monitoring.watch_hours, 24);
}

#[test]
fn release_prs_take_version_files_by_name_or_pattern() {
    let text = "schedule: { anchor: 2026-01-06 }\nrotation: { members: [alice] }\n\
                versioning: { tag_prefix: \"\", source: conventional_commits }\n\
                release:\n  mode: pull_request\n  version_files:\n    - Cargo.toml\n    - web/package.json\n    - VERSION\n\
                \x20   - { path: src/version.py, pattern: '__version__ = \"(?P<version>[^\"]+)\"' }\n";
    let config = parse_repo_config("t.yml", text).unwrap();
    assert_eq!(config.versioning.source, VersionSource::ConventionalCommits);
    assert_eq!(config.versioning.tag_prefix, "");
    assert_eq!(config.release.mode, ReleaseMode::PullRequest);
    let paths: Vec<&str> = config
        .release
        .version_files
        .iter()
        .map(VersionFile::path)
        .collect();
    assert_eq!(
        paths,
        [
            "Cargo.toml",
            "web/package.json",
            "VERSION",
            "src/version.py"
        ]
    );
    assert!(matches!(
        &config.release.version_files[3],
        VersionFile::Pattern(VersionPattern { pattern, .. }) if pattern.starts_with("__version__")
    ));
}

#[test]
fn keys_set_to_nothing_take_their_defaults() {
    let text = "schedule: { anchor: 2026-01-06, every_weeks: }\nrotation: { members: [alice] }\nholidays:\nqa: ~\n";
    let config = parse_repo_config("t.yml", text).unwrap();
    assert_eq!(config.schedule.every_weeks, 2);
    assert_eq!(config.holidays, Holidays::default());
}

#[test]
fn anchors_and_numeric_logins_are_accepted() {
    let text = "schedule: { anchor: 2026-01-06 }\nrotation: { members: &team [alice, 1234] }\nqa: { members: *team }\n";
    let config = parse_repo_config("t.yml", text).unwrap();
    assert_eq!(config.qa.members, ["alice", "1234"]);
}

#[test]
fn an_environment_keeps_its_default_name_when_only_the_url_is_set() {
    let text = "schedule: { anchor: 2026-01-06 }\nrotation: { members: [alice] }\nenvironments: { production: { version_url: \"https://example.net/__version__\" } }\n";
    let config = parse_repo_config("t.yml", text).unwrap();
    assert_eq!(config.environments.production.name, "production");
    assert_eq!(config.environments.staging.name, "staging");
}

#[test]
fn summary_is_one_line() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/relman.yml"))
        .unwrap();
    let summary = check_config_summary(&parse_repo_config("examples/relman.yml", &text).unwrap());
    assert_eq!(
        summary,
        "ok: releases every other week on tuesday from 2026-01-06 (America/Los_Angeles), 2 holiday entries \
         (next_business_day); rotation monthly: alice, bob, carol, 1 override; tags vX.Y.Z; \
         production gets, on each release day, what reached staging before it (soak: \
         next_release_day), QA: no blockers reported"
    );
}
