//! The command grammar's integration tests, in one test binary. Run one module with
//! `cargo test -p relman-commands --test integration grammar::`.

mod grammar;
mod markdown;
mod properties;
mod seed_corpus;
mod specs;
