//! `_extends`: Probot-style inheritance, deep merge, and positions that stay in the right file.

use std::collections::HashMap;

use relman::config::repo::*;

const OWN: &str = ".github/relman.yml";
const BASE: &str = "acme/.github:.github/relman.yml";

const ORG_DEFAULTS: &str = "\
timezone: Europe/Berlin
schedule:
  every_weeks: 2
  anchor: 2026-01-06
holidays:
  dates: [2026-12-24, 2026-12-25]
rotation:
  members: [alice, bob]
versioning:
  tag_prefix: release-
  bump_labels: { major: [breaking], minor: [feature] }
";

#[test]
fn own_keys_win_mappings_merge_and_lists_replace() {
    let own = "\
_extends: .github
schedule:
  every_weeks: 1
holidays:
  dates: [2026-05-01]
versioning:
  bump_labels: { minor: [enhancement] }
";
    let config = merge_configs((BASE, ORG_DEFAULTS), (OWN, own)).unwrap();
    assert_eq!(
        config.timezone.0,
        chrono_tz::Europe::Berlin,
        "inherited scalar"
    );
    assert_eq!(config.schedule.every_weeks, 1, "own scalar wins");
    assert_eq!(
        config.schedule.anchor,
        "2026-01-06".parse().unwrap(),
        "sibling key kept from the base mapping"
    );
    assert_eq!(
        config.holidays.dates,
        [HolidayDates::Day("2026-05-01".parse().unwrap())],
        "lists replace"
    );
    assert_eq!(config.rotation.members, ["alice", "bob"]);
    assert_eq!(config.versioning.tag_prefix, "release-");
    assert_eq!(config.versioning.bump_labels.minor, ["enhancement"]);
    assert_eq!(
        config.versioning.bump_labels.major,
        ["breaking"],
        "nested mapping merged key by key"
    );
    assert_eq!(config.extends, None, "the resolved `_extends` is consumed");
}

#[test]
fn a_key_set_to_nothing_keeps_the_inherited_value() {
    let config = merge_configs(
        (BASE, ORG_DEFAULTS),
        (OWN, "_extends: .github\nholidays:\n"),
    )
    .unwrap();
    assert_eq!(config.holidays.dates.len(), 2);
}

#[test]
fn errors_point_into_the_file_each_value_came_from() {
    let base =
        "schedule: { anchor: 2026-01-06, weekday: tuesdy }\nrotation: { members: [alice] }\n";
    let own = "_extends: .github\nrotation:\n  members: []\n";
    let errors = merge_configs((BASE, base), (OWN, own)).unwrap_err();
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        rendered,
        [
            ".github/relman.yml:3:12: `rotation.members` is empty (list at least one GitHub login)",
            "acme/.github:.github/relman.yml:1:42: `schedule.weekday`: unknown weekday `tuesdy` (did you mean `tuesday`?)",
        ]
    );
}

#[test]
fn a_file_that_is_complete_only_with_its_base_reports_missing_keys_without_it() {
    let errors =
        parse_repo_config(OWN, "_extends: .github\nschedule: { every_weeks: 1 }\n").unwrap_err();
    assert_eq!(
        errors.to_string(),
        ".github/relman.yml:1:1: missing required key `rotation` (add `rotation: { every: month, members: [alice, bob] }`)\n\
         .github/relman.yml:2:11: missing required key `anchor` in `schedule` (add the date of one release day, e.g. `anchor: 2026-01-06`)"
    );
}

#[test]
fn unresolved_extends_is_kept_in_the_config() {
    let own = "_extends: other-org/shared:relman/base.yml\nschedule: { anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";
    let config = parse_repo_config(OWN, own).unwrap();
    assert_eq!(
        config.extends.as_deref(),
        Some("other-org/shared:relman/base.yml")
    );
}

#[test]
fn syntax_errors_in_both_files_are_all_reported() {
    let errors = merge_configs((BASE, "a: [\n"), (OWN, "b: {\n")).unwrap_err();
    let files: Vec<&str> = errors.iter().map(|error| error.file.as_str()).collect();
    assert_eq!(files, [BASE, OWN]);
}

fn source(owner: &str, repo: &str, path: &str) -> ConfigSource {
    ConfigSource {
        owner: owner.into(),
        repo: repo.into(),
        path: path.into(),
    }
}

/// A fake set of repositories for `resolve_extends`, keyed by `owner/repo:path`.
struct Files(HashMap<String, &'static str>);

impl Files {
    fn get(&self, source: &ConfigSource) -> Result<Option<String>, String> {
        if source.repo == "flaky" {
            return Err("502 Bad Gateway".to_owned());
        }
        Ok(self
            .0
            .get(&source.to_string())
            .map(|text| (*text).to_owned()))
    }
}

#[tokio::test]
async fn resolve_follows_a_chain_across_owners() {
    let files = Files(HashMap::from([
        (
            "acme/.github:.github/relman.yml".to_owned(),
            "_extends: platform/defaults:relman.yml\nschedule: { every_weeks: 1 }\n",
        ),
        (
            "platform/defaults:relman.yml".to_owned(),
            "_extends: base\nrotation: { members: [alice, bob] }\ntimezone: Europe/Berlin\n",
        ),
        // `base` is resolved against the owner of the file that names it: platform, not acme.
        (
            "platform/base:.github/relman.yml".to_owned(),
            "schedule: { anchor: 2026-01-06, every_weeks: 4 }\n",
        ),
    ]));
    let own = ConfigDocument::parse(OWN, "_extends: .github\nqa: { members: [quinn] }\n").unwrap();
    let mut fetched = Vec::new();
    let document = resolve_extends(own, "acme", async |source: &ConfigSource| {
        fetched.push(source.clone());
        files.get(source)
    })
    .await
    .unwrap();
    let config = document.into_config().unwrap();
    assert_eq!(
        fetched,
        [
            source("acme", ".github", ".github/relman.yml"),
            source("platform", "defaults", "relman.yml"),
            source("platform", "base", ".github/relman.yml"),
        ]
    );
    assert_eq!(config.schedule.every_weeks, 1, "the nearest file wins");
    assert_eq!(config.rotation.members, ["alice", "bob"]);
    assert_eq!(config.qa.members, ["quinn"]);
    assert_eq!(config.timezone.0, chrono_tz::Europe::Berlin);
}

#[tokio::test]
async fn resolve_reports_loops_missing_bases_and_fetch_failures() {
    let files = Files(HashMap::from([
        ("acme/a:.github/relman.yml".to_owned(), "_extends: b\n"),
        ("acme/b:.github/relman.yml".to_owned(), "_extends: a\n"),
    ]));
    let resolve = async |text: &str| {
        let own = ConfigDocument::parse(OWN, text).unwrap();
        resolve_extends(own, "acme", async |source: &ConfigSource| files.get(source)).await
    };

    let Err(ExtendsError::Config(errors)) = resolve("_extends: a\n").await else {
        panic!("loop not detected")
    };
    assert_eq!(
        errors.to_string(),
        "acme/b:.github/relman.yml:1:11: `_extends` loops back to acme/a:.github/relman.yml \
         (remove `_extends` from one of the files in the chain)"
    );

    let Err(ExtendsError::Config(errors)) = resolve("\n_extends: missing:x.yml\n").await else {
        panic!("missing base accepted")
    };
    assert_eq!(errors.errors()[0].line, 2);
    assert_eq!(
        errors.errors()[0].message,
        "`_extends`: acme/missing:x.yml does not exist"
    );

    let Err(ExtendsError::Fetch {
        file: failed,
        error,
    }) = resolve("_extends: flaky\n").await
    else {
        panic!("fetch error lost")
    };
    assert_eq!(
        (failed.repo.as_str(), error.as_str()),
        ("flaky", "502 Bad Gateway")
    );

    let Err(ExtendsError::Config(errors)) = resolve("_extends: \"a b\"\n").await else {
        panic!("bad _extends accepted")
    };
    assert_eq!(
        errors.errors()[0].message,
        "`_extends`: `a b` is not a repository reference"
    );
}
