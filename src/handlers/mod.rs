//! Handlers: one file per capability. This module decides which events relman acts on (used by
//! ingress, so it must stay pure) and routes stored work to the capability that handles it.

pub mod commands;
pub mod config_check;
pub mod config_report;
pub mod context;
pub mod deferral;
pub mod deploy_request;
pub mod dispatch;
pub mod effects;
pub mod environments;
pub mod error;
pub mod events;
pub mod follow_up;
pub mod hotfix;
pub mod inbound;
pub mod invocation;
pub mod merged_pr;
pub mod monitoring;
pub mod permissions;
pub mod production;
pub mod protection_rule;
pub mod register;
pub mod release;
pub mod release_facts;
pub mod release_gate;
pub mod release_pr;
pub mod release_status;
pub mod roles;
pub mod rotation;
pub mod signoff;
pub mod train;
pub mod version_poll;

/// The webhook events relman subscribes to (kept equal to `app-manifest.yml` by a test).
pub const SUBSCRIBED_EVENTS: &[&str] = &[
    "check_run",
    "check_suite",
    "create",
    "deployment",
    "deployment_protection_rule",
    "deployment_status",
    "installation",
    "installation_repositories",
    "issue_comment",
    "issues",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "push",
    "release",
    "status",
];

/// Whether a delivery is worth storing. Events relman is not subscribed to (and `ping`) are
/// acknowledged and dropped at the door.
pub fn wants(event: &str, _action: Option<&str>) -> bool {
    SUBSCRIBED_EVENTS.contains(&event)
}

/// The `event` label of delivery metrics: subscribed events by name, anything else as `other`,
/// so a stranger cannot grow the metric's cardinality.
pub fn metric_event_label(event: &str) -> &'static str {
    SUBSCRIBED_EVENTS
        .iter()
        .find(|e| **e == event)
        .copied()
        .unwrap_or(if event == "ping" { "ping" } else { "other" })
}
