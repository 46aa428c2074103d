//! The sim's integration tests, in one test binary (one link of the sim and octocrab instead of
//! one per file). Run one module with `cargo test -p github-sim --test integration auth::`.

mod common;

mod auth;
mod endpoints;
mod faults;
mod fixtures;
mod oauth;
mod octocrab_client;
mod pagination;
mod rate_limits;
