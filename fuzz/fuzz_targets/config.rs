//! Feeds arbitrary text to the `.github/relman.yml` decoder (YAML parser, schema, validation).
//!
//! Run with `cargo +nightly fuzz run config` from the repository root (`.ci/run` runs it for a
//! bounded time). Seeds are in `fuzz/corpus/config/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use relman::config::repo::{check_config_summary, parse_repo_config};

const FILE: &str = ".github/relman.yml";

fuzz_target!(|data: &[u8]| {
    // The file reaches relman through the contents API as bytes; only UTF-8 is decoded.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_repo_config(FILE, text) {
        Ok(config) => {
            assert!(!check_config_summary(&config).is_empty());
        }
        Err(errors) => {
            // Every error names a place in this file (or the end of it) and says something.
            assert!(!errors.errors().is_empty());
            // YAML breaks lines at `\r\n`, `\n` and a lone `\r` (found by this target).
            let breaks = text.matches('\n').count() + text.matches('\r').count()
                - text.matches("\r\n").count();
            let lines = breaks + 2;
            for error in &errors {
                assert_eq!(error.file, FILE, "{error}");
                assert!(error.line >= 1 && error.line <= lines, "{error}");
                assert!(error.column >= 1, "{error}");
                assert!(!error.message.trim().is_empty(), "{error:?}");
            }
        }
    }
});
