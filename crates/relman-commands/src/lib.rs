//! The slash-command grammar of relman.
//!
//! People drive relman by commenting on issues and pull requests. [`parse`] turns a comment body
//! into the commands it holds, in order, each either a typed [`Command`] or a [`ParseError`]
//! whose `Display` is the reply to post ("unknown command `/relase` — did you mean
//! `/release`?"). Every command form has a [`CommandSpec`] (usage, summary, examples, who may
//! run it); the parser's suggestions and [`help_markdown`] are both drawn from [`specs`].
//!
//! # Which lines are commands
//!
//! A command is a line of ordinary text whose first word, after at most three spaces, is
//! `/name`; a `/word` anywhere else on a line is not a command. Lines end at `\n`, `\r\n` or a
//! lone `\r`. What a reader sees as code, as a quotation or not at all never runs:
//!
//! - **Fenced code blocks** (```` ``` ```` or `~~~`, three or more, indented at most three
//!   columns, any info string) are skipped up to the closing fence of the same character and at
//!   least the same length; an unclosed fence runs to the end of the comment.
//! - **Indented lines** (four or more columns, a tab counting to the next multiple of four) are
//!   never commands. CommonMark makes such a line either an indented code block or, right after
//!   paragraph text, a lazy continuation of that paragraph; neither starts a command, so the
//!   only thing tracked is that a continuation keeps the paragraph open and an indented line
//!   never opens a fence.
//! - **Block quotes**: a line starting with `>` (at any depth, `> >` or `>>`) is skipped. A line
//!   right after a quote that does not start with `>` is, by CommonMark, a lazy continuation
//!   rendered inside the quote, but it is still read: quoting tools (GitHub's "Quote reply",
//!   email replies) prefix every quoted line, so such a line was typed by the commenter, and
//!   ignoring `> Ready?` followed by `/release` would silently drop what they asked for.
//! - **HTML comments** (`<!--` … `-->`) and raw HTML blocks (`<pre>`, `<script>`, `<style>`,
//!   `<textarea>`) starting a line are skipped up to the line holding their end: issue templates
//!   keep instructions in comments, and a reader does not see them.
//! - **Inline code** spanning lines: a line inside a code span opened on an earlier line of the
//!   same paragraph is not a command (the span is resolved with CommonMark's rule that an
//!   opening backtick run is closed by the next run of the same length).
//!
//! Deliberately not tracked, to keep the scan one fast pass: fences nested deeper than three
//! columns inside list items (their lines are indented, so they hold no commands anyway), HTML
//! blocks other than the ones above, and the end of a list item closing a fence inside it.
//!
//! A `/word` that is not close to any command, such as a path (`/usr/bin/env`) or another bot's
//! command (`/cc`), is not addressed to relman and yields nothing; one that is close (`/relase`)
//! is an error that suggests the command.
//!
//! # Words and arguments
//!
//! Command and subcommand words ignore ASCII case (`/Release Status`), since phone keyboards
//! capitalise the first word; arguments keep theirs. `<why>` and `<text>` run to the end of the
//! line. PR numbers are `#12`, also comma-separated; logins are `@login`; periods `YYYY-MM`. A
//! form that takes no arguments rejects any that follow, rather than guess what they meant.
//!
//! ```
//! use relman_commands::{Command, Environment, parse};
//!
//! let results = parse("Tests are green.\n\n/signoff staging\n> /release\n/relase");
//! assert_eq!(results.len(), 2);
//! assert_eq!(
//!     results[0].as_ref().map(|parsed| &parsed.command),
//!     Ok(&Command::Signoff { environment: Some(Environment::Staging) })
//! );
//! let error = results[1].as_ref().unwrap_err();
//! assert_eq!(error.to_string(), "unknown command `/relase` — did you mean `/release`?");
//! assert_eq!((error.span.line, error.span.column), (5, 1));
//! ```
//!
//! The crate is pure: no I/O, no clock, no async.

mod command;
mod error;
mod grammar;
mod markdown;
mod scan;
mod spec;
mod suggest;

use serde::{Deserialize, Serialize};

pub use command::{Command, Environment};
pub use error::{ParseError, ParseErrorKind, RotationSwapProblem, Span};
pub use spec::{CommandSpec, Permission, help_markdown, readme_table, specs};

/// A command found in a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedCommand {
    pub command: Command,
    /// From the `/` to the last non-whitespace character of its line.
    pub span: Span,
    /// The command as written: the text of `span`.
    pub text: String,
}

/// Every command line of a comment body, in order of appearance.
///
/// Lines that are not addressed to relman are not in the result at all; a line that is but
/// cannot be run is an `Err` with the reply to give.
pub fn parse(body: &str) -> Vec<Result<ParsedCommand, ParseError>> {
    let mut results = Vec::new();
    scan::for_each_candidate(body, |candidate| {
        if let Some(result) = grammar::parse_line(body, candidate) {
            results.push(result);
        }
    });
    results
}
