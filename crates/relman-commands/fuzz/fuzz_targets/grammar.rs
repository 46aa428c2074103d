//! Feeds arbitrary comment bodies to the command grammar.
//!
//! Run with `cargo +nightly fuzz run grammar` from `crates/relman-commands` (or
//! `RUSTC_BOOTSTRAP=1` on stable); `.ci/run` runs it for a bounded time. Seeds are in
//! `corpus/grammar/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Comment bodies reach relman as JSON strings, so they are always valid UTF-8; lossy
    // decoding still lets the fuzzer's byte mutations reach the parser.
    let body = String::from_utf8_lossy(data);
    for result in relman_commands::parse(&body) {
        let span = match &result {
            Ok(parsed) => {
                assert_eq!(&body[parsed.span.start..parsed.span.end], parsed.text);
                parsed.span
            }
            Err(error) => {
                assert!(!error.to_string().is_empty());
                error.span
            }
        };
        assert!(span.start <= span.end && span.end <= body.len());
        assert!(body.is_char_boundary(span.start) && body.is_char_boundary(span.end));
        assert!(span.line >= 1 && span.column >= 1);
    }
});
