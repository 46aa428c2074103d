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
//! A command is a line whose first word, after at most three spaces, is `/name`, and whose `/`
//! begins ordinary text when the comment is read as GitHub reads it: CommonMark with GFM's
//! tables, strikethrough, task lists, footnotes and alerts, parsed by pulldown-cmark. A `/word`
//! anywhere else on a line is not a command. Lines end at `\n`, `\r\n` or a lone `\r`. What a
//! reader sees as code, as a heading, as a quotation or not at all never runs:
//!
//! - **Code**: fenced code blocks (```` ``` ```` or `~~~`), indented code blocks and inline code,
//!   also spanning lines, as CommonMark delimits them (an unclosed fence runs to the end of the
//!   comment or of the list item or quote holding it).
//! - **Indented lines** (four or more columns, a tab counting to the next multiple of four) are
//!   never commands, even where CommonMark makes them a lazy continuation of a paragraph.
//! - **Block quotes**: a line starting with `>` is never a command. A line right after a quote
//!   that does not start with `>` is, by CommonMark, a lazy continuation rendered inside the
//!   quote, but it is read as the commenter's own: quoting tools (GitHub's "Quote reply", email
//!   replies) prefix every quoted line, and ignoring `> Ready?` followed by `/release` would
//!   silently drop what they asked for. The quote ends before that line.
//! - **Headings** (`# /release`, or `/release` underlined by `---` or `===`), image
//!   descriptions and link destinations are not text.
//! - **HTML**: comments (`<!--` … `-->`, also inline), and HTML blocks that start with a
//!   raw-text element (`<pre>`, `<script>`, `<style>`, `<textarea>`), `<?` or `<!` hide their
//!   lines: issue templates keep instructions in comments, and a reader does not see them. Other
//!   HTML blocks (a `<div>`, or the `<img>` GitHub inserts for a pasted screenshot) show their
//!   text, so a command in them is read unless a comment or raw-text element inside hides it.
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
mod lines;
mod markdown;
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
    lines::for_each_candidate(body, |candidate| {
        if let Some(result) = grammar::parse_line(body, candidate) {
            results.push(result);
        }
    });
    results
}
