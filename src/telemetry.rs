//! Logging: tracing to stderr, human-readable or JSON lines.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;

use crate::config::settings::LogFormat;

/// Installs the global subscriber. `level` is a level or a filter (`info`, `relman=debug,info`).
/// Safe to call twice (the second call does nothing), which keeps tests simple.
pub fn init(level: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let result = match format {
        // Colours only on a terminal: escape codes are noise in a file, a pipe or a journal.
        LogFormat::Pretty => fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .try_init(),
        LogFormat::Json => fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init(),
    };
    let _ = result;
}
