//! Parsing one command line into a [`Command`].
//!
//! The line has already been found to start with `/` (see [`crate::lines`]). Command and
//! subcommand words are matched ignoring ASCII case, because phone keyboards capitalise the
//! first word; arguments keep their case. Words are separated by whitespace; free text (`<why>`,
//! `<text>`) runs to the end of the line and is trimmed.

use std::collections::HashSet;

use crate::ParsedCommand;
use crate::command::{Command, Environment};
use crate::error::{ParseError, ParseErrorKind, RotationSwapProblem, Span};
use crate::lines::CandidateLine;
use crate::spec::{self, CommandSpec, SPECS, command_words, forms_of};
use crate::suggest::{Extensions, nearest};

/// What a candidate line turned out to be: `None` when it was not addressed to relman.
pub(crate) fn parse_line(
    body: &str,
    candidate: CandidateLine,
) -> Option<Result<ParsedCommand, ParseError>> {
    let end = candidate.slash + body[candidate.slash..candidate.end].trim_end().len();
    let line = Line {
        body,
        line_start: candidate.line_start,
        line_number: candidate.line_number,
        start: candidate.slash,
        end,
    };
    let mut words = Words {
        body,
        position: line.start,
        end,
    };
    let name_word = words.next()?;
    // Without its slash. A `/` alone or followed by a space is not a command, and a word with
    // another slash in it is a path such as `/usr/bin/env`.
    let name = &name_word.text[1..];
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let parsed = match name.to_ascii_lowercase().as_str() {
        "release" => release(&line, name_word, &mut words),
        "signoff" => signoff(&line, &mut words),
        "qa" => qa(&line, name_word, &mut words),
        "deploy" => deploy(&line, &mut words),
        "hotfix" => {
            reason(&line, &mut words, &SPECS[spec::HOTFIX]).map(|reason| Command::Hotfix { reason })
        }
        "warmfix" => reason(&line, &mut words, &SPECS[spec::WARMFIX])
            .map(|reason| Command::Warmfix { reason }),
        "skip" => {
            reason(&line, &mut words, &SPECS[spec::SKIP]).map(|reason| Command::Skip { reason })
        }
        "rotation" => rotation(&line, name_word, &mut words),
        "stats" => no_more_words(&line, &mut words, "stats").map(|()| Command::Stats),
        "help" => no_more_words(&line, &mut words, "help").map(|()| Command::Help),
        _ => {
            let suggestion = suggest_command(name, words.clone().next())?;
            Err(ParseErrorKind::UnknownCommand {
                given: name.to_owned(),
                suggestion,
            }
            .at(line.span(name_word.start, name_word.end)))
        }
    };
    Some(parsed.map(|command| ParsedCommand {
        command,
        span: line.span(line.start, line.end),
        text: body[line.start..line.end].to_owned(),
    }))
}

/// The command line being parsed, for building spans.
struct Line<'a> {
    body: &'a str,
    line_start: usize,
    line_number: usize,
    /// Byte offset of the `/`.
    start: usize,
    /// Byte offset after the last non-whitespace character.
    end: usize,
}

impl Line<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span {
            start,
            end,
            line: self.line_number,
            column: self.body[self.line_start..start].chars().count() + 1,
        }
    }

    fn whole(&self) -> Span {
        self.span(self.start, self.end)
    }
}

/// A whitespace-separated word of the line.
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

impl Word<'_> {
    fn lowercase(&self) -> String {
        self.text.to_ascii_lowercase()
    }
}

#[derive(Debug, Clone)]
struct Words<'a> {
    body: &'a str,
    position: usize,
    end: usize,
}

impl<'a> Words<'a> {
    /// The rest of the line as one trimmed piece of free text, if any is left.
    fn rest(&mut self) -> Option<Word<'a>> {
        let remaining = &self.body[self.position..self.end];
        let trimmed = remaining.trim_start();
        if trimmed.is_empty() {
            return None;
        }
        let start = self.end - trimmed.len();
        self.position = self.end;
        Some(Word {
            text: trimmed,
            start,
            end: self.end,
        })
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = Word<'a>;

    fn next(&mut self) -> Option<Word<'a>> {
        let remaining = &self.body[self.position..self.end];
        let trimmed = remaining.trim_start();
        let start = self.end - trimmed.len();
        let len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        if len == 0 {
            self.position = self.end;
            return None;
        }
        self.position = start + len;
        Some(Word {
            text: &trimmed[..len],
            start,
            end: start + len,
        })
    }
}

impl ParseErrorKind {
    fn at(self, span: Span) -> ParseError {
        ParseError { span, kind: self }
    }
}

/// The command an unknown `/word` was most likely meant to be, if any is close.
///
/// Candidates are the command words and every form with a subcommand, which catches
/// `/release-status`. When the next word completes a form of the suggested command
/// (`/relase status`), the whole form is suggested.
fn suggest_command(name: &str, next_word: Option<Word<'_>>) -> Option<&'static str> {
    let forms = SPECS
        .iter()
        .filter(|spec| spec.subcommand().is_some())
        .map(|spec| (spec.name, spec.name));
    let candidates = command_words()
        .iter()
        .map(|word| (*word, *word))
        .chain(forms);
    let suggestion = nearest(name, candidates, Extensions::LongCandidatesOnly)?;
    let completed = next_word.and_then(|word| {
        forms_of(suggestion).find(|spec| {
            spec.subcommand()
                .is_some_and(|subcommand| subcommand.eq_ignore_ascii_case(word.text))
        })
    });
    Some(completed.map_or(suggestion, |spec| spec.name))
}

/// An unknown subcommand of `command`, with the nearest form when one is close.
fn unknown_subcommand(
    line: &Line<'_>,
    command: &'static str,
    name_word: Word<'_>,
    word: Word<'_>,
) -> ParseError {
    let forms = forms_of(command)
        .filter_map(|spec| spec.subcommand().map(|subcommand| (subcommand, spec.name)));
    ParseErrorKind::UnknownSubcommand {
        command,
        given: word.text.to_owned(),
        suggestion: nearest(word.text, forms, Extensions::Any),
    }
    .at(line.span(name_word.start, word.end))
}

/// Fails when anything follows a form that takes no arguments.
fn no_more_words(line: &Line<'_>, words: &mut Words<'_>, form: &str) -> Result<(), ParseError> {
    match words.rest() {
        None => Ok(()),
        Some(rest) => Err(ParseErrorKind::UnexpectedArgument {
            command: form.to_owned(),
            given: rest.text.to_owned(),
        }
        .at(line.span(rest.start, rest.end))),
    }
}

fn release(
    line: &Line<'_>,
    name_word: Word<'_>,
    words: &mut Words<'_>,
) -> Result<Command, ParseError> {
    let Some(word) = words.next() else {
        return Ok(Command::Release);
    };
    match word.lowercase().as_str() {
        "status" => no_more_words(line, words, "release status").map(|()| Command::ReleaseStatus),
        "healthy" => {
            no_more_words(line, words, "release healthy").map(|()| Command::ReleaseHealthy)
        }
        "include" => release_include(line, words),
        _ => Err(unknown_subcommand(line, "release", name_word, word)),
    }
}

/// `#12 #13`, also accepted comma-separated (`#12, #13`). Duplicates are dropped, keeping the
/// first mention, since cherry-picking a PR twice is never meant.
fn release_include(line: &Line<'_>, words: &mut Words<'_>) -> Result<Command, ParseError> {
    let mut prs: Vec<u64> = Vec::new();
    // A set beside the list keeps a pasted list of thousands of numbers linear.
    let mut seen: HashSet<u64> = HashSet::new();
    for word in words {
        let mut piece_start = word.start;
        for piece in word.text.split(',') {
            let start = piece_start;
            piece_start += piece.len() + 1;
            if piece.is_empty() {
                continue;
            }
            let number = piece
                .strip_prefix('#')
                .filter(|digits| digits.bytes().all(|byte| byte.is_ascii_digit()))
                .and_then(|digits| digits.parse::<u64>().ok())
                .filter(|number| *number > 0);
            match number {
                Some(number) => {
                    if seen.insert(number) {
                        prs.push(number);
                    }
                }
                None => {
                    return Err(ParseErrorKind::InvalidPrNumber {
                        given: piece.to_owned(),
                    }
                    .at(line.span(start, start + piece.len())));
                }
            }
        }
    }
    if prs.is_empty() {
        return Err(ParseErrorKind::MissingPrNumbers.at(line.whole()));
    }
    Ok(Command::ReleaseInclude { prs })
}

fn signoff(line: &Line<'_>, words: &mut Words<'_>) -> Result<Command, ParseError> {
    let Some(word) = words.next() else {
        return Ok(Command::Signoff { environment: None });
    };
    let environment = environment(line, word, "signoff", &Environment::ALL)?;
    no_more_words(line, words, &format!("signoff {environment}"))?;
    Ok(Command::Signoff {
        environment: Some(environment),
    })
}

/// Common names people use for the environments, so `/signoff prod` can suggest `production`
/// even where the edit distance is large (`stage`).
const ENVIRONMENT_ALIASES: [(&str, Environment); 4] = [
    ("prod", Environment::Production),
    ("prd", Environment::Production),
    ("stage", Environment::Staging),
    ("stg", Environment::Staging),
];

/// Reads an environment word that `command` accepts.
fn environment(
    line: &Line<'_>,
    word: Word<'_>,
    command: &'static str,
    accepted: &'static [Environment],
) -> Result<Environment, ParseError> {
    let lowercase = word.lowercase();
    if let Some(environment) = accepted
        .iter()
        .find(|environment| environment.as_str() == lowercase)
    {
        return Ok(*environment);
    }
    let candidates = accepted
        .iter()
        .map(|environment| (environment.as_str(), *environment))
        .chain(ENVIRONMENT_ALIASES)
        .filter(|(_, environment)| accepted.contains(environment));
    Err(ParseErrorKind::InvalidEnvironment {
        command,
        given: word.text.to_owned(),
        accepted,
        suggestion: nearest(word.text, candidates, Extensions::Any),
    }
    .at(line.span(word.start, word.end)))
}

fn qa(line: &Line<'_>, name_word: Word<'_>, words: &mut Words<'_>) -> Result<Command, ParseError> {
    let Some(word) = words.next() else {
        return Err(ParseErrorKind::MissingSubcommand { command: "qa" }.at(line.whole()));
    };
    match word.lowercase().as_str() {
        "ok" => no_more_words(line, words, "qa ok").map(|()| Command::QaOk),
        "clear" => no_more_words(line, words, "qa clear").map(|()| Command::QaClear),
        "blocker" => match words.rest() {
            Some(text) => Ok(Command::QaBlocker {
                text: text.text.to_owned(),
            }),
            None => Err(ParseErrorKind::MissingArgument {
                command: "qa blocker",
                what: "a description of the blocker",
                usage: SPECS[spec::QA_BLOCKER].usage,
            }
            .at(line.whole())),
        },
        _ => Err(unknown_subcommand(line, "qa", name_word, word)),
    }
}

fn deploy(line: &Line<'_>, words: &mut Words<'_>) -> Result<Command, ParseError> {
    let Some(word) = words.next() else {
        return Err(ParseErrorKind::MissingArgument {
            command: "deploy",
            what: "the environment",
            usage: SPECS[spec::DEPLOY_PRODUCTION].usage,
        }
        .at(line.whole()));
    };
    let is_staging = |word: &str| {
        word == Environment::Staging.as_str()
            || ENVIRONMENT_ALIASES
                .iter()
                .any(|(alias, environment)| *alias == word && *environment == Environment::Staging)
    };
    if is_staging(&word.lowercase()) {
        return Err(ParseErrorKind::DeployStaging.at(line.span(word.start, word.end)));
    }
    environment(line, word, "deploy", &[Environment::Production])?;
    let now = match words.next() {
        None => false,
        Some(word) if word.lowercase() == "now" => true,
        Some(word) => {
            return Err(ParseErrorKind::UnexpectedArgument {
                command: "deploy production".to_owned(),
                given: word.text.to_owned(),
            }
            .at(line.span(word.start, word.end)));
        }
    };
    no_more_words(line, words, "deploy production now")?;
    Ok(Command::DeployProduction { now })
}

/// The free-text reason of `/hotfix`, `/warmfix` and `/skip`.
fn reason(
    line: &Line<'_>,
    words: &mut Words<'_>,
    spec: &'static CommandSpec,
) -> Result<String, ParseError> {
    match words.rest() {
        Some(reason) => Ok(reason.text.to_owned()),
        None => Err(ParseErrorKind::MissingArgument {
            command: spec.name,
            what: "a reason",
            usage: spec.usage,
        }
        .at(line.whole())),
    }
}

fn rotation(
    line: &Line<'_>,
    name_word: Word<'_>,
    words: &mut Words<'_>,
) -> Result<Command, ParseError> {
    let Some(word) = words.next() else {
        return Ok(Command::Rotation);
    };
    if word.lowercase() != "swap" {
        return Err(unknown_subcommand(line, "rotation", name_word, word));
    }
    let swap_error = |problem: RotationSwapProblem, span: Span| {
        ParseErrorKind::InvalidRotationSwap { problem }.at(span)
    };
    let missing = || swap_error(RotationSwapProblem::MissingArguments, line.whole());

    let a_word = words.next().ok_or_else(missing)?;
    let a = login(a_word).ok_or_else(|| {
        swap_error(
            RotationSwapProblem::NotALogin {
                given: a_word.text.to_owned(),
            },
            line.span(a_word.start, a_word.end),
        )
    })?;
    let b_word = words.next().ok_or_else(missing)?;
    let b = login(b_word).ok_or_else(|| {
        swap_error(
            RotationSwapProblem::NotALogin {
                given: b_word.text.to_owned(),
            },
            line.span(b_word.start, b_word.end),
        )
    })?;
    if a.eq_ignore_ascii_case(b) {
        return Err(swap_error(
            RotationSwapProblem::SameLogin {
                login: b.to_owned(),
            },
            line.span(b_word.start, b_word.end),
        ));
    }
    let period_word = words.next().ok_or_else(missing)?;
    if !is_period(period_word.text) {
        return Err(swap_error(
            RotationSwapProblem::NotAPeriod {
                given: period_word.text.to_owned(),
            },
            line.span(period_word.start, period_word.end),
        ));
    }
    if let Some(rest) = words.rest() {
        return Err(swap_error(
            RotationSwapProblem::TooManyArguments {
                given: rest.text.to_owned(),
            },
            line.span(rest.start, rest.end),
        ));
    }
    Ok(Command::RotationSwap {
        a: a.to_owned(),
        b: b.to_owned(),
        period: period_word.text.to_owned(),
    })
}

/// GitHub's login rules: 1 to 39 ASCII letters, digits or single hyphens, not starting or ending
/// with a hyphen. Returns the login without its `@`.
fn login(word: Word<'_>) -> Option<&str> {
    let login = word.text.strip_prefix('@')?;
    let valid = (1..=39).contains(&login.len())
        && login
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--");
    valid.then_some(login)
}

/// A rotation period: `YYYY-MM` with a month from 01 to 12, or — for rotations that turn every
/// release — a release date `YYYY-MM-DD` (whether the repository's rotation has that period is
/// for relman to check against its config).
fn is_period(text: &str) -> bool {
    let bytes = text.as_bytes();
    if let [head @ .., b'-', d1, d2] = bytes
        && head.len() == 7
        && is_period(&text[..7])
    {
        let day = d1.wrapping_sub(b'0') * 10 + d2.wrapping_sub(b'0');
        return d1.is_ascii_digit() && d2.is_ascii_digit() && (1..=31).contains(&day);
    }
    let [y1, y2, y3, y4, b'-', m1, m2] = bytes else {
        return false;
    };
    if ![y1, y2, y3, y4, m1, m2]
        .iter()
        .all(|byte| byte.is_ascii_digit())
    {
        return false;
    }
    let month = (m1 - b'0') * 10 + (m2 - b'0');
    (1..=12).contains(&month)
}
