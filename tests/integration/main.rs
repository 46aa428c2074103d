//! relman's integration tests, in one test binary.
//!
//! Each module is one capability's tests, driven through the public API, the real router and the
//! fake GitHub (`crates/github-sim`). They are one binary rather than one per file because every
//! test binary links all of relman and its dependencies again: one link instead of thirty-odd
//! is most of CI's test build. Run one module with `cargo test --test integration inbox::`.

mod support;

mod app_manifest;
mod board;
mod board_browser;
mod calendar_days;
mod calendar_ics;
mod calendar_props;
mod calendar_render;
mod chaos;
mod cli_answers;
mod commands;
mod config_errors;
mod config_example;
mod config_extends;
mod config_flow;
mod config_report;
mod config_schema;
mod demo;
mod deploy;
mod gate;
mod github_auth;
mod github_calls;
mod github_comments;
mod github_conditional;
mod github_faults;
mod github_port;
mod hotfix;
mod inbox;
mod inbox_claim_rule;
mod ingress;
mod kill_restart;
mod production_clock;
mod rate_budget;
mod readme;
mod redeliver;
mod release_commands;
mod release_pr;
mod release_status;
mod release_train;
mod serve_startup;
mod setup;
mod setup_browser;
mod stats;
mod store_register;
mod version_poll;
