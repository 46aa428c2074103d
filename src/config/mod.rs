//! Configuration: process settings (env/flags) and, per repository, `.github/relman.yml`.

pub mod settings;
