//! The pure core: no I/O, no clock of its own (time is passed in).

pub mod calendar;
pub mod calendar_view;
pub mod changelog;
pub mod checklist;
pub mod config_report;
pub mod conventional;
pub mod deploy_request;
pub mod expedited;
pub mod feed;
pub mod ics;
pub mod production;
pub mod requirements;
pub mod rotation;
pub mod stats;
pub mod tracking;
pub mod version;
pub mod version_files;
