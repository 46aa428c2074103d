//! `app-manifest.yml` against the code: the events it subscribes to are the ones relman handles,
//! and its permissions are exactly what the GitHub port's operations and those events need —
//! enough for every call, nothing more.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// GitHub delivers these to every App; its webhook docs say of both "You cannot manually
/// subscribe to this event", so the manifest must leave them out.
const DELIVERED_TO_EVERY_APP: &[&str] = &["installation", "installation_repositories"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Access {
    Read,
    Write,
}

use Access::{Read, Write};

/// The fields of GitHub's App manifest relman uses; unknown keys are an error, so a typo in
/// a key does not pass silently.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    name: String,
    url: String,
    #[serde(default)]
    description: Option<String>,
    hook_attributes: HookAttributes,
    redirect_url: String,
    callback_urls: Vec<String>,
    public: bool,
    default_permissions: BTreeMap<String, Access>,
    default_events: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HookAttributes {
    url: String,
    active: bool,
}

fn manifest() -> Manifest {
    let path = format!("{}/app-manifest.yml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What each operation of the GitHub port needs, from the "fine-grained access" section of each
/// endpoint in GitHub's REST docs (an installation token has the App's permissions).
const OPERATION_PERMISSIONS: &[(&str, &[(&str, Access)])] = &[
    ("get_repo", &[("metadata", Read)]),
    ("get_file", &[("contents", Read)]),
    ("create_issue", &[("issues", Write)]),
    ("get_issue", &[("issues", Read)]),
    ("update_issue", &[("issues", Write)]),
    ("list_issues", &[("issues", Read)]),
    ("add_labels", &[("issues", Write)]),
    ("remove_label", &[("issues", Write)]),
    ("add_assignees", &[("issues", Write)]),
    // Comments on pull requests are issue comments: issues write is enough for them too.
    ("create_comment", &[("issues", Write)]),
    ("update_comment", &[("issues", Write)]),
    ("get_comment", &[("issues", Read)]),
    ("list_comments", &[("issues", Read)]),
    ("add_comment_reaction", &[("issues", Write)]),
    // Review comments are not issue comments: reacting to one needs pull requests write.
    ("add_review_comment_reaction", &[("pull_requests", Write)]),
    ("create_release", &[("contents", Write)]),
    ("update_release", &[("contents", Write)]),
    ("get_release_by_tag", &[("contents", Read)]),
    ("latest_release", &[("contents", Read)]),
    ("list_releases", &[("contents", Read)]),
    ("create_ref", &[("contents", Write)]),
    ("get_ref", &[("contents", Read)]),
    ("list_tags", &[("contents", Read)]),
    ("compare", &[("contents", Read)]),
    (
        "pulls_for_commit",
        &[("contents", Read), ("pull_requests", Read)],
    ),
    ("get_pull", &[("pull_requests", Read)]),
    ("list_closed_pulls", &[("pull_requests", Read)]),
    ("commit_sha", &[("contents", Read)]),
    ("combined_status", &[("statuses", Read)]),
    ("check_runs", &[("checks", Read)]),
    ("create_check_run", &[("checks", Write)]),
    ("update_check_run", &[("checks", Write)]),
    ("list_deployments", &[("deployments", Read)]),
    ("deployment_statuses", &[("deployments", Read)]),
    // GitHub's guide to custom deployment protection rules: Actions read, Deployments write.
    (
        "review_deployment_protection_rule",
        &[("deployments", Write), ("actions", Read)],
    ),
    ("collaborator_permission", &[("metadata", Read)]),
    ("team_membership", &[("members", Read)]),
    // The Git data API an expedited release's branch is built with.
    ("get_git_commit", &[("contents", Read)]),
    ("get_tree", &[("contents", Read)]),
    ("create_tree", &[("contents", Write)]),
    ("create_git_commit", &[("contents", Write)]),
    ("update_ref", &[("contents", Write)]),
    // Release pull requests: the files' blobs, the superseded branch, the PR itself.
    ("create_blob", &[("contents", Write)]),
    ("delete_ref", &[("contents", Write)]),
    ("create_pull", &[("pull_requests", Write)]),
    ("update_pull", &[("pull_requests", Write)]),
];

/// "To subscribe to this event, a GitHub App must have at least read-level access for the …
/// permission" (GitHub's webhook events docs).
const EVENT_PERMISSIONS: &[(&str, &str)] = &[
    ("check_run", "checks"),
    ("check_suite", "checks"),
    ("create", "contents"),
    ("deployment", "deployments"),
    ("deployment_protection_rule", "deployments"),
    ("deployment_status", "deployments"),
    ("issue_comment", "issues"),
    ("issues", "issues"),
    ("pull_request", "pull_requests"),
    ("pull_request_review", "pull_requests"),
    ("pull_request_review_comment", "pull_requests"),
    ("push", "contents"),
    ("release", "contents"),
    ("status", "statuses"),
];

/// The operations of the `GitHubPort` trait, read from its source so that a new operation
/// without an entry in [`OPERATION_PERMISSIONS`] fails this test.
fn port_operations() -> BTreeSet<String> {
    let path = format!("{}/src/github/port.rs", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    source
        .split("async fn ")
        .skip(1)
        .filter_map(|rest| rest.split('(').next())
        .map(|name| name.trim().to_string())
        .collect()
}

#[test]
fn the_manifest_subscribes_to_the_events_relman_handles() {
    let manifest = manifest();
    let listed: BTreeSet<&str> = manifest.default_events.iter().map(String::as_str).collect();
    assert_eq!(
        listed.len(),
        manifest.default_events.len(),
        "an event is listed twice"
    );
    for event in DELIVERED_TO_EVERY_APP {
        assert!(
            relman::handlers::SUBSCRIBED_EVENTS.contains(event),
            "relman should still handle {event}"
        );
        assert!(
            !listed.contains(event),
            "{event} is delivered to every App and cannot be listed"
        );
    }
    let expected: BTreeSet<&str> = relman::handlers::SUBSCRIBED_EVENTS
        .iter()
        .copied()
        .filter(|event| !DELIVERED_TO_EVERY_APP.contains(event))
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn the_manifest_grants_what_relman_needs_and_no_more() {
    let manifest = manifest();

    let operations = port_operations();
    let tabled: BTreeSet<String> = OPERATION_PERMISSIONS
        .iter()
        .map(|(op, _)| op.to_string())
        .collect();
    assert_eq!(
        operations, tabled,
        "every GitHubPort operation needs its permissions in OPERATION_PERMISSIONS"
    );
    let events: BTreeSet<&str> = EVENT_PERMISSIONS.iter().map(|(e, _)| *e).collect();
    let listed: BTreeSet<&str> = manifest.default_events.iter().map(String::as_str).collect();
    assert_eq!(
        events, listed,
        "every event needs its permission in EVENT_PERMISSIONS"
    );

    // The least the App can have: the strongest access any operation or event needs.
    let mut needed: BTreeMap<String, Access> = BTreeMap::new();
    let mut need = |permission: &str, access: Access| {
        let entry = needed.entry(permission.to_string()).or_insert(access);
        *entry = (*entry).max(access);
    };
    for (_, permissions) in OPERATION_PERMISSIONS {
        for (permission, access) in *permissions {
            need(permission, *access);
        }
    }
    for (_, permission) in EVENT_PERMISSIONS {
        need(permission, Read);
    }
    // Every App has metadata read; the manifest says so explicitly.
    need("metadata", Read);

    for (op, permissions) in OPERATION_PERMISSIONS {
        for (permission, access) in *permissions {
            let granted = manifest.default_permissions.get(*permission);
            assert!(
                granted.is_some_and(|g| g >= access),
                "{op} needs {permission}: {access:?}, the manifest grants {granted:?}"
            );
        }
    }
    assert_eq!(manifest.default_permissions, needed);

    // The exact grant the release process was designed around.
    let expected: BTreeMap<String, Access> = [
        ("contents", Write),
        ("issues", Write),
        ("pull_requests", Write),
        ("checks", Write),
        ("statuses", Read),
        ("deployments", Write),
        ("actions", Read),
        ("metadata", Read),
        ("members", Read),
    ]
    .into_iter()
    .map(|(p, a)| (p.to_string(), a))
    .collect();
    assert_eq!(manifest.default_permissions, expected);
}

#[test]
fn the_manifest_registers_a_private_app_with_an_active_webhook_on_relmans_route() {
    let manifest = manifest();
    assert_eq!(manifest.name, "relman");
    assert!(!manifest.public);
    assert!(manifest.url.starts_with("https://"));
    assert!(manifest.description.is_some_and(|d| !d.is_empty()));
    assert!(manifest.hook_attributes.active);
    // The webhook goes to relman's default WEBHOOK_PATH.
    assert!(
        manifest
            .hook_attributes
            .url
            .ends_with(relman::config::settings::DEFAULT_WEBHOOK_PATH),
        "{}",
        manifest.hook_attributes.url
    );
    assert!(manifest.hook_attributes.url.starts_with("https://"));
    assert!(manifest.redirect_url.starts_with("https://"));
    // GitHub accepts up to ten callback URLs.
    assert!(!manifest.callback_urls.is_empty() && manifest.callback_urls.len() <= 10);
}
