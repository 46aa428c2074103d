//! The specs, the parser and the help text agree with each other.

use std::collections::HashSet;

use relman_commands::{
    Command, Environment, Permission, help_markdown, parse, readme_table, specs,
};

/// One command of every variant.
fn one_of_each() -> Vec<Command> {
    vec![
        Command::Release,
        Command::ReleaseStatus,
        Command::ReleaseInclude { prs: vec![12, 13] },
        Command::ReleaseHealthy,
        Command::Signoff { environment: None },
        Command::Signoff {
            environment: Some(Environment::Staging),
        },
        Command::QaOk,
        Command::QaBlocker {
            text: "broken".to_owned(),
        },
        Command::QaClear,
        Command::DeployProduction { now: false },
        Command::Hotfix {
            reason: "why".to_owned(),
        },
        Command::Warmfix {
            reason: "why".to_owned(),
        },
        Command::Skip {
            reason: "why".to_owned(),
        },
        Command::Rotation,
        Command::RotationSwap {
            a: "alice".to_owned(),
            b: "bob".to_owned(),
            period: "2026-07".to_owned(),
        },
        Command::Stats,
        Command::Help,
    ]
}

#[test]
fn every_example_parses_to_the_command_of_its_own_spec() {
    for spec in specs() {
        assert!(!spec.examples.is_empty(), "{} has no example", spec.name);
        for example in spec.examples {
            let results = parse(example);
            assert_eq!(results.len(), 1, "{example}");
            match &results[0] {
                Ok(parsed) => assert_eq!(parsed.command.spec(), spec, "{example}"),
                Err(error) => panic!("example {example:?} does not parse: {error}"),
            }
        }
    }
}

#[test]
fn every_command_has_the_spec_of_its_name() {
    let mut seen = HashSet::new();
    for command in one_of_each() {
        let spec = command.spec();
        assert_eq!(command.name(), spec.name);
        assert!(
            spec.usage.starts_with(&format!("/{}", spec.name)),
            "{} has usage {}",
            spec.name,
            spec.usage
        );
        seen.insert(spec.name);
    }
    let all: HashSet<&str> = specs().iter().map(|spec| spec.name).collect();
    assert_eq!(seen, all, "a spec no command maps to, or the reverse");
    assert_eq!(all.len(), specs().len(), "spec names are unique");
}

#[test]
fn the_canonical_text_of_a_command_parses_back_to_it() {
    for command in one_of_each() {
        let text = command.to_string();
        let results = parse(&text);
        assert_eq!(results.len(), 1, "{text}");
        assert_eq!(
            results[0].as_ref().map(|parsed| &parsed.command),
            Ok(&command),
            "{text}"
        );
    }
}

#[test]
fn permissions_are_the_ones_of_the_design() {
    let permission_of = |name: &str| {
        specs()
            .iter()
            .find(|spec| spec.name == name)
            .map(|spec| spec.permission)
    };
    let expected = [
        ("release", Permission::ReleaseManagerOrAdmin),
        ("release status", Permission::Write),
        ("release include", Permission::ReleaseManager),
        ("release healthy", Permission::ReleaseManager),
        ("signoff", Permission::ReleaseManager),
        ("qa ok", Permission::QaOrReleaseManager),
        ("qa blocker", Permission::QaOrReleaseManager),
        ("qa clear", Permission::QaOrReleaseManager),
        ("deploy production", Permission::ReleaseManager),
        ("hotfix", Permission::Write),
        ("warmfix", Permission::Write),
        ("skip", Permission::ReleaseManager),
        ("rotation", Permission::Write),
        ("rotation swap", Permission::Admin),
        ("stats", Permission::Anyone),
        ("help", Permission::Anyone),
    ];
    for (name, permission) in expected {
        assert_eq!(permission_of(name), Some(permission), "{name}");
    }
    assert_eq!(
        Permission::ReleaseManagerOrAdmin.describe(),
        "the release manager of this period or a repository admin"
    );
}

#[test]
fn the_readme_table_has_one_row_per_spec() {
    let table = readme_table();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows[0], "| command | who may use it | what it does |");
    assert_eq!(rows[1], "|---|---|---|");
    assert_eq!(rows.len(), 2 + specs().len());
    assert_eq!(
        rows[2],
        "| `/release` | the release manager of this period or a repository admin | Cut the \
         release of this tracking issue: check the requirements, then tag it and create the \
         GitHub release (which deploys to staging). |"
    );
    // The pipe of `[staging|production]` would split the cell.
    assert!(
        rows.contains(
            &"| `/signoff [staging\\|production]` | the release manager of this period | Sign off \
              that it is safe to release: staging for the release cut here, production for the \
              version that soaked on staging; both when none is named. |"
        ),
        "{table}"
    );
}

#[test]
fn help_lists_every_usage_and_example() {
    let help = help_markdown();
    assert!(help.contains(&readme_table()));
    for spec in specs() {
        for example in spec.examples {
            assert!(
                help.lines().any(|line| line == *example),
                "example {example:?} missing from help"
            );
        }
    }
}

#[test]
fn the_help_reply_does_not_trigger_commands() {
    assert_eq!(parse(&help_markdown()), vec![]);
}
