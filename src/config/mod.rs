//! Configuration: the repository's `.github/relman.yml` (`repo`).

pub mod repo;
