//! The pure core: no I/O, no clock of its own (time is passed in).

pub mod calendar;
pub mod calendar_view;
pub mod changelog;
pub mod checklist;
pub mod config_report;
pub mod conventional;
pub mod deploy_request;
pub mod effects;
pub mod environments;
pub mod expedited;
pub mod feed;
pub mod ics;
pub mod merged_pr;
pub mod monitoring;
pub mod production;
pub mod protection_rule;
pub mod release_gate;
pub mod release_kind;
pub mod requirements;
pub mod rotation;
pub mod rotation_commands;
pub mod signoff;
pub mod stats;
pub mod tracking;
pub mod version;
pub mod version_files;
