//! Positions and the errors a comment can produce.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::Environment;
use crate::markdown::Code;
use crate::spec::forms_of;

/// Where something is in the comment body.
///
/// `start..end` is a byte range of the body (always on char boundaries); `line` and `column` are
/// 1-based and count chars, which is what a person counting in an editor sees. Lines end at
/// `\n`, `\r\n` or a lone `\r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
}

/// A line that addresses relman but cannot be run as written.
///
/// `Display` is the whole user-facing message, ready to post as a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    /// The offending part of the line: the unknown word, the bad argument, or the whole command
    /// when something is missing.
    pub span: Span,
    pub kind: ParseErrorKind,
}

/// What is wrong with a command line. Command words are stored without their slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// `/relase`: close to a command, so almost certainly meant as one.
    UnknownCommand {
        given: String,
        /// The spec name of the nearest command, e.g. `"release"` or `"release status"`.
        suggestion: &'static str,
    },
    /// `/release stauts`, `/qa foo`: the command word is known, the subcommand is not.
    UnknownSubcommand {
        command: &'static str,
        given: String,
        /// The spec name of the nearest form, when one is close.
        suggestion: Option<&'static str>,
    },
    /// `/qa` alone: the command word has no meaning without a subcommand.
    MissingSubcommand { command: &'static str },
    /// `/hotfix` without a reason.
    MissingArgument {
        command: &'static str,
        /// What is missing, as a noun phrase: "a reason".
        what: &'static str,
        usage: &'static str,
    },
    /// Text after a complete form that takes nothing more: `/stats please`.
    UnexpectedArgument {
        /// The complete form as typed, lower-cased: `"stats"`, `"signoff staging"`.
        command: String,
        given: String,
    },
    /// `/signoff prod`: not an environment this command accepts.
    InvalidEnvironment {
        command: &'static str,
        given: String,
        accepted: &'static [Environment],
        suggestion: Option<Environment>,
    },
    /// `/deploy staging`: staging is deployed by the release itself.
    DeployStaging,
    /// `/release include` without any PR.
    MissingPrNumbers,
    /// `/release include 12`: not a `#number`.
    InvalidPrNumber { given: String },
    /// `/rotation swap` with arguments that are not `@a @b YYYY-MM`.
    InvalidRotationSwap { problem: RotationSwapProblem },
}

/// What exactly is wrong with a `/rotation swap` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationSwapProblem {
    /// Fewer than three arguments.
    MissingArguments,
    /// An argument where a login was expected is not `@login`.
    NotALogin { given: String },
    /// `@a` and `@b` are the same person (compared case-insensitively, like GitHub logins).
    SameLogin { login: String },
    /// The period is not `YYYY-MM` with a month from 01 to 12.
    NotAPeriod { given: String },
    /// Something after the period.
    TooManyArguments { given: String },
}

/// Writes `/word` as an inline code span.
struct Slash<'a>(&'a str);

impl fmt::Display for Slash<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Code(&format!("/{}", self.0)))
    }
}

/// Writes "`a`, `b` or `c`".
fn write_alternatives(f: &mut fmt::Formatter<'_>, items: &[&str]) -> fmt::Result {
    let count = items.len();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            f.write_str(if index + 1 == count { " or " } else { ", " })?;
        }
        write!(f, "{}", Code(item))?;
    }
    Ok(())
}

fn usages_of(command: &str) -> Vec<&'static str> {
    forms_of(command).map(|spec| spec.usage).collect()
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::UnknownCommand { given, suggestion } => write!(
                f,
                "unknown command {} — did you mean {}?",
                Slash(given),
                Slash(suggestion)
            ),
            ParseErrorKind::UnknownSubcommand {
                command,
                given,
                suggestion: Some(suggestion),
            } => write!(
                f,
                "unknown command {} — did you mean {}?",
                Slash(&format!("{command} {given}")),
                Slash(suggestion)
            ),
            ParseErrorKind::UnknownSubcommand {
                command,
                given,
                suggestion: None,
            } => {
                write!(f, "{} does not take {}: use ", Slash(command), Code(given))?;
                write_alternatives(f, &usages_of(command))
            }
            ParseErrorKind::MissingSubcommand { command } => {
                write!(f, "{} needs one of ", Slash(command))?;
                write_alternatives(f, &usages_of(command))
            }
            ParseErrorKind::MissingArgument {
                command,
                what,
                usage,
            } => write!(f, "{} needs {what}: {}", Slash(command), Code(usage)),
            ParseErrorKind::UnexpectedArgument { command, given } => write!(
                f,
                "{} takes no arguments, but got {}",
                Slash(command),
                Code(given)
            ),
            ParseErrorKind::InvalidEnvironment {
                command,
                given,
                accepted,
                suggestion,
            } => {
                write!(f, "{} takes ", Slash(command))?;
                let accepted: Vec<&str> = accepted
                    .iter()
                    .map(|environment| environment.as_str())
                    .collect();
                write_alternatives(f, &accepted)?;
                write!(f, ", not {}", Code(given))?;
                match suggestion {
                    Some(environment) => {
                        write!(f, " — did you mean {}?", Code(environment.as_str()))
                    }
                    None => Ok(()),
                }
            }
            ParseErrorKind::DeployStaging => write!(
                f,
                "{} is not needed: staging is deployed automatically when the release is \
                 created. {} opens the production deployment request.",
                Slash("deploy staging"),
                Slash("deploy production")
            ),
            ParseErrorKind::MissingPrNumbers => write!(
                f,
                "{} needs PR numbers like {}: {}",
                Slash("release include"),
                Code("#12"),
                Slash("release include #12 #13")
            ),
            ParseErrorKind::InvalidPrNumber { given } => {
                write!(
                    f,
                    "{} needs PR numbers like {}, not {}",
                    Slash("release include"),
                    Code("#12"),
                    Code(given)
                )?;
                if !given.is_empty() && given.bytes().all(|byte| byte.is_ascii_digit()) {
                    write!(f, " — did you mean {}?", Code(&format!("#{given}")))?;
                }
                Ok(())
            }
            ParseErrorKind::InvalidRotationSwap { problem } => {
                write!(
                    f,
                    "{} expects {} where period is YYYY-MM (or YYYY-MM-DD)",
                    Slash("rotation swap"),
                    Code("@a @b <period>")
                )?;
                match problem {
                    RotationSwapProblem::MissingArguments => Ok(()),
                    RotationSwapProblem::NotALogin { given } => write!(
                        f,
                        "; {} is not a GitHub login like {}",
                        Code(given),
                        Code("@alice")
                    ),
                    RotationSwapProblem::SameLogin { login } => write!(
                        f,
                        "; {} cannot swap with themselves",
                        Code(&format!("@{login}"))
                    ),
                    RotationSwapProblem::NotAPeriod { given } => write!(
                        f,
                        "; {} is not a month like {} or a release date like {}",
                        Code(given),
                        Code("2026-07"),
                        Code("2026-07-14")
                    ),
                    RotationSwapProblem::TooManyArguments { given } => {
                        write!(f, "; unexpected {} after the period", Code(given))
                    }
                }
            }
        }
    }
}
