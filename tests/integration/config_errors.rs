//! Every kind of config error, with its exact message (snapshots in tests/integration/snapshots/).
//! Review changes with `cargo insta review`, or accept them with `INSTA_UPDATE=always`.

use relman::config::repo::{ConfigErrors, parse_repo_config};

const FILE: &str = ".github/relman.yml";

fn errors(yaml: &str) -> ConfigErrors {
    match parse_repo_config(FILE, yaml) {
        Ok(config) => panic!("expected errors, got {config:#?}"),
        Err(errors) => errors,
    }
}

/// A valid minimal file plus `extra` lines appended at the top level.
fn with(extra: &str) -> String {
    format!("schedule: {{ anchor: 2026-01-06 }}\nrotation: {{ members: [alice, bob] }}\n{extra}")
}

macro_rules! error_cases {
    ($($name:ident: $yaml:expr;)*) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), errors(&$yaml).to_string());
        }
    )*};
}

error_cases! {
    yaml_syntax: "schedule: { anchor: 2026-01-06\nrotation: [alice\n";
    two_documents: with("---\nqa: {}\n");
    not_a_mapping: "- schedule\n- rotation\n";
    empty_file: "";
    unknown_key_with_suggestion: "schedule: { weekdy: tuesday, anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";
    unknown_key_without_suggestion: with("colour: blue\n");
    unknown_top_level_typo: with("holiday: { dates: [2026-12-25] }\n");
    duplicate_key: with("timezone: UTC\ntimezone: Europe/Berlin\n");
    missing_anchor: "schedule: { every_weeks: 2 }\nrotation: { members: [alice] }\n";
    section_not_a_mapping: "schedule: 2026-01-06\nrotation: { members: [alice] }\n";
    integer_expected: "schedule: { every_weeks: two, anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";
    quoted_integer: "schedule: { every_weeks: \"2\", anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";
    every_weeks_zero: "schedule: { every_weeks: 0, anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";
    date_malformed: "schedule: { anchor: 2026-1-6 }\nrotation: { members: [alice] }\n";
    date_not_in_calendar: "schedule: { anchor: 2026-02-30 }\nrotation: { members: [alice] }\n";
    unknown_weekday: "schedule: { weekday: tusday, anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";
    anchor_not_on_weekday: "schedule: { weekday: tuesday, anchor: 2026-01-08 }\nrotation: { members: [alice] }\n";
    tracking_issue_too_early: "schedule: { every_weeks: 1, anchor: 2026-01-06, tracking_issue_days_before: 8 }\nrotation: { members: [alice] }\n";
    timezone_typo: with("timezone: America/Los Angeles\n");
    timezone_wrong_case: with("timezone: europe/berlin\n");
    timezone_unknown: with("timezone: Mars/Olympus_Mons\n");
    empty_rotation: "schedule: { anchor: 2026-01-06 }\nrotation: { members: [] }\n";
    missing_rotation_members: "schedule: { anchor: 2026-01-06 }\nrotation: { every: month }\n";
    duplicate_member: "schedule: { anchor: 2026-01-06 }\nrotation: { members: [alice, bob, Alice] }\n";
    member_with_at_sign: "schedule: { anchor: 2026-01-06 }\nrotation: { members: [\"@alice\", bob] }\n";
    rotation_every_unknown: "schedule: { anchor: 2026-01-06 }\nrotation: { every: weekly, members: [alice] }\n";
    rotation_starts_not_a_month: "schedule: { anchor: 2026-01-06 }\nrotation: { starts: 2026-13, members: [alice] }\n";
    override_date_in_monthly_rotation: "schedule: { anchor: 2026-01-06 }\nrotation: { members: [alice], overrides: { \"2026-07-07\": dave } }\n";
    override_month_in_release_rotation: "schedule: { anchor: 2026-01-06 }\nrotation: { every: release, members: [alice], overrides: { \"2026-07\": dave } }\n";
    override_not_a_release_day: "schedule: { anchor: 2026-01-06 }\nrotation: { every: release, members: [alice], overrides: { \"2026-01-13\": dave } }\n";
    holiday_not_a_date: with("holidays: { dates: [christmas] }\n");
    holiday_range_malformed: with("holidays: { dates: [\"2026-12-28...2027-01-01\"] }\n");
    holiday_range_reversed: with("holidays: { dates: [\"2027-01-01..2026-12-28\"] }\n");
    holiday_dates_not_a_list: with("holidays: { dates: 2026-12-25 }\n");
    on_holiday_unknown: with("holidays: { on_holiday: next_busines_day }\n");
    default_bump_unknown: with("versioning: { default_bump: huge }\n");
    bump_level_unknown: with("versioning: { bump_labels: { majr: [breaking] } }\n");
    bump_label_in_two_levels: with("versioning: { bump_labels: { minor: [feature, Bug], patch: [bug] } }\n");
    bump_label_empty: with("versioning: { bump_labels: { patch: [\"\"] } }\n");
    tag_prefix_not_a_ref: with("versioning: { tag_prefix: \"release v\" }\n");
    requirement_unknown: with("requirements: { staging: [tests, signof] }\n");
    requirement_twice: with("requirements: { production: [tests, qa, tests] }\n");
    repo_not_owner_name: with("deployment_request: { repo: example-org }\n");
    assignee_not_a_login: with("deployment_request: { assignees: [\"ops team\"] }\n");
    version_url_without_scheme: with("environments: { staging: { version_url: stage.example.net/__version__ } }\n");
    environment_unknown: with("environments: { stage: { name: stage } }\n");
    dashboard_missing_url: with("dashboards: [{ name: Grafana }]\n");
    release_mode_unknown: with("release: { mode: pr }\n");
    version_source_unknown: with("versioning: { source: conventional }\n");
    version_file_of_unknown_kind: with("release: { version_files: [pyproject.toml] }\n");
    version_file_outside_the_repository: with("release: { version_files: [../Cargo.toml] }\n");
    version_file_pattern_invalid: with("release: { version_files: [{ path: src/v.py, pattern: \"version = (\" }] }\n");
    version_file_pattern_without_group: with("release: { version_files: [{ path: src/v.py, pattern: \"version = .*\" }] }\n");
    version_file_pattern_missing: with("release: { version_files: [{ path: src/v.py }] }\n");
    gate_unknown_value: with("gate: { on_violation: revert }\n");
    watch_hours_zero: with("monitoring: { watch_hours: 0 }\n");
    extends_malformed: with("_extends: a/b/c\n");
    pr_checklist_not_a_list: with("pr_checklist: Needs QA\n");
    many_errors_in_one_pass: "timezone: Europe/Berln\nschedule:\n  every_weeks: 0\n  weekdy: tuesday\n  anchor: 2026-01-06\nholidays:\n  dates: [\"2026-12-28..2026-12-20\"]\nrotation:\n  members: []\nversioning: { default_bump: mayor }\n";
}

#[test]
fn error_positions_are_line_and_column_of_the_value() {
    let errors = errors(
        "schedule:\n  anchor: 2026-01-06\n  weekday: tusday\nrotation: { members: [alice] }\n",
    );
    let [error] = errors.errors() else {
        panic!("expected one error: {errors}")
    };
    assert_eq!(
        (error.file.as_str(), error.line, error.column),
        (FILE, 3, 12)
    );
    assert_eq!(
        error.message,
        "`schedule.weekday`: unknown weekday `tusday`"
    );
    assert_eq!(error.hint.as_deref(), Some("did you mean `tuesday`?"));
}

#[test]
fn unknown_key_points_at_the_key() {
    let errors = errors(
        "schedule:\n  weekdy: tuesday\n  anchor: 2026-01-06\nrotation: { members: [alice] }\n",
    );
    let [error] = errors.errors() else {
        panic!("expected one error: {errors}")
    };
    assert_eq!((error.line, error.column), (2, 3));
    assert_eq!(
        error.to_string(),
        ".github/relman.yml:2:3: unknown key `weekdy` in `schedule` (did you mean `weekday`?)"
    );
}

#[test]
fn all_errors_are_reported_in_file_order() {
    let errors = errors(
        "timezone: Nowhere/City\nschedule: { every_weeks: 0, anchor: 2026-01-06 }\nrotation: { members: [] }\n",
    );
    let lines: Vec<usize> = errors.iter().map(|error| error.line).collect();
    assert_eq!(lines, [1, 2, 3]);
}

#[test]
fn the_soak_and_the_qa_mode_are_read_and_refused_where_they_mean_nothing() {
    use relman::config::repo::{QaMode, Soak};
    let config = parse_repo_config(
        FILE,
        &with("environments: { production: { soak: 3 } }\nrequirements: { qa_mode: explicit }\n"),
    )
    .unwrap();
    assert_eq!(config.environments.production.soak, Some(Soak::Days(3)));
    assert_eq!(config.requirements.qa_mode, QaMode::Explicit);
    let config = parse_repo_config(
        FILE,
        &with("environments: { production: { soak: next_release_day } }\n"),
    )
    .unwrap();
    assert_eq!(
        config.environments.production.soak,
        Some(Soak::NextReleaseDay)
    );
    for (yaml, expected) in [
        (
            "environments: { staging: { soak: 3 } }\n",
            "`environments.staging.soak` means nothing: the soak is production's",
        ),
        (
            "environments: { production: { soak: next_week } }\n",
            "`environments.production.soak`: unknown soak `next_week`",
        ),
        (
            "environments: { production: { soak: 400 } }\n",
            "`environments.production.soak` must be between 0 and 365, found 400",
        ),
        (
            "requirements: { qa_mode: explict }\n",
            "did you mean `explicit`?",
        ),
    ] {
        let text = errors(&with(yaml)).to_string();
        assert!(text.contains(expected), "{yaml}: {text}");
    }
}
