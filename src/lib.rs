//! relman: a GitHub App that runs a team's release train.
//!
//! The layout follows DESIGN.md §4; `ARCHITECTURE.md` at the root is the map.

pub mod board;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod dev;
pub mod domain;
pub mod github;
pub mod handlers;
pub mod inbox;
pub mod redeliver;
pub mod replay;
pub mod server;
pub mod service;
pub mod setup;
pub mod store;
pub mod telemetry;
