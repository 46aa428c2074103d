//! The GitHub edge: the port (a trait), its octocrab implementation, and bot-comment upserts.

pub mod app;
pub mod app_port;
pub mod client;
pub mod comments;
pub mod conditional;
pub mod error;
#[cfg(test)]
pub mod fake;
pub mod issues;
pub mod port;
pub mod rate_budget;
pub mod rest;
pub mod route;
pub mod types;
pub mod user;

pub use app_port::GitHubAppPort;
pub use error::{GitHubError, GitHubResult};
pub use port::GitHubPort;
pub use types::*;
