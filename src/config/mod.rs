//! Configuration: process settings (env/flags, `settings`) and, per repository,
//! `.github/relman.yml` (`repo`).

pub mod load;
pub mod repo;
pub mod settings;
