//! relman: a GitHub App that runs a team's release train.

pub mod config;
pub mod domain;
