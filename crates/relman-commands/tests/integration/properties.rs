//! Properties of `parse` over arbitrary and grammar-shaped input.

use proptest::prelude::*;
use relman_commands::{Command, Environment, ParseError, ParsedCommand, Span, parse};

/// The 1-based line and char column of byte `offset`, counted independently of the parser:
/// `\r\n`, `\n` and a lone `\r` each end a line.
fn line_and_column(body: &str, offset: usize) -> (usize, usize) {
    let before = &body[..offset];
    let bytes = before.as_bytes();
    let mut line = 1;
    let mut line_start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let ends_line = byte == b'\n' || (byte == b'\r' && bytes.get(index + 1) != Some(&b'\n'));
        if ends_line {
            line += 1;
            line_start = index + 1;
        }
    }
    (line, before[line_start..].chars().count() + 1)
}

fn check_span(body: &str, span: &Span) -> Result<(), TestCaseError> {
    prop_assert!(span.start <= span.end, "{span:?}");
    prop_assert!(span.end <= body.len(), "{span:?}");
    prop_assert!(body.is_char_boundary(span.start), "{span:?}");
    prop_assert!(body.is_char_boundary(span.end), "{span:?}");
    prop_assert_eq!((span.line, span.column), line_and_column(body, span.start));
    let covered = &body[span.start..span.end];
    prop_assert!(
        !covered.contains(['\n', '\r']),
        "a span stays on its line: {covered:?}"
    );
    Ok(())
}

/// Every invariant a result must hold, whatever the input.
fn check_results(
    body: &str,
    results: &[Result<ParsedCommand, ParseError>],
) -> Result<(), TestCaseError> {
    let mut previous_start = None;
    for result in results {
        let span = match result {
            Ok(parsed) => {
                prop_assert_eq!(
                    &body[parsed.span.start..parsed.span.end],
                    parsed.text.as_str()
                );
                prop_assert!(parsed.text.starts_with('/'));
                &parsed.span
            }
            Err(error) => {
                prop_assert!(!error.to_string().is_empty());
                &error.span
            }
        };
        check_span(body, span)?;
        prop_assert!(
            previous_start.is_none_or(|previous| previous < span.start),
            "results are in order"
        );
        previous_start = Some(span.start);
    }
    Ok(())
}

/// Pieces that exercise the grammar and the markdown rules, joined at random.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "/release", "/release status", "/release include", "/release healthy", "/signoff",
            "/qa", "/qa ok", "/qa blocker", "/qa clear", "/deploy", "/deploy production",
            "/hotfix", "/warmfix", "/skip", "/rotation", "/rotation swap", "/stats", "/help",
            "/relase", "/release stauts", "/qa blocked", "/usr/bin/env", "/", "/ 2", "/Release",
        ])
        .prop_flat_map(|command| {
            // Half on a line of their own, so that many commands come out whole.
            prop_oneof![Just(command.to_owned()), Just(format!("\n{command}\n"))]
        }),
        4 => prop::sample::select(vec![
            "\n", "\r\n", "\r", "\n\n", " ", "   ", "    ", "\t", "> ", ">", "```", "~~~",
            "````", "`", "``", "\\", "<!--", "-->", "<pre>", "</pre>", "# ", "- ", "1. ", "---",
            "#12", "#0", "#99999999999999999999", ",", "@alice", "@bob", "@-x", "2026-07",
            "2026-13", "staging", "production", "prod", "ok", "blocker", "swap", "é", "👋",
            "\u{0085}", "\u{2028}", "\u{a0}",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ]
}

fn grammar_shaped_body() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..48).prop_map(|fragments| fragments.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_text_never_panics_and_spans_are_sound(body in any::<String>()) {
        check_results(&body, &parse(&body))?;
    }

    #[test]
    fn grammar_shaped_text_never_panics_and_spans_are_sound(body in grammar_shaped_body()) {
        check_results(&body, &parse(&body))?;
    }

    /// Prose and a blank line before a comment change nothing but the positions.
    #[test]
    fn a_leading_paragraph_only_shifts_positions(body in grammar_shaped_body()) {
        let prefix = "Some prose first.\n\n";
        let plain = parse(&body);
        let prefixed = parse(&format!("{prefix}{body}"));
        prop_assert_eq!(plain.len(), prefixed.len());
        for (plain, prefixed) in plain.iter().zip(&prefixed) {
            let shifted = |span: &Span| Span {
                start: span.start + prefix.len(),
                end: span.end + prefix.len(),
                line: span.line + 2,
                column: span.column,
            };
            match (plain, prefixed) {
                (Ok(plain), Ok(prefixed)) => {
                    prop_assert_eq!(&plain.command, &prefixed.command);
                    prop_assert_eq!(shifted(&plain.span), prefixed.span);
                }
                (Err(plain), Err(prefixed)) => {
                    prop_assert_eq!(&plain.kind, &prefixed.kind);
                    prop_assert_eq!(shifted(&plain.span), prefixed.span);
                }
                (plain, prefixed) => prop_assert!(false, "{plain:?} became {prefixed:?}"),
            }
        }
    }

    /// Windows line endings give the same commands on the same lines and columns.
    #[test]
    fn crlf_line_endings_parse_like_lf(body in grammar_shaped_body()) {
        let body = body.replace('\r', "");
        let summary = |body: &str| -> Vec<_> {
            parse(body)
                .into_iter()
                .map(|result| match result {
                    Ok(parsed) => (Ok(parsed.command), parsed.span.line, parsed.span.column),
                    Err(error) => (Err(error.kind), error.span.line, error.span.column),
                })
                .collect()
        };
        prop_assert_eq!(summary(&body), summary(&body.replace('\n', "\r\n")));
    }

    /// A command's canonical text parses back to the command.
    #[test]
    fn canonical_text_round_trips(command in any_command()) {
        let text = command.to_string();
        let results = parse(&text);
        prop_assert_eq!(results.len(), 1, "{}", text);
        prop_assert_eq!(results[0].as_ref().map(|parsed| &parsed.command), Ok(&command));
    }
}

/// Free text that survives a round trip: one line, trimmed, not empty.
fn free_text() -> impl Strategy<Value = String> {
    "[^\r\n]{1,40}"
        .prop_map(|text| text.trim().to_owned())
        .prop_filter("needs a non-blank text", |text| !text.is_empty())
}

fn login() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]([A-Za-z0-9]|-[A-Za-z0-9]){0,18}"
}

fn any_command() -> impl Strategy<Value = Command> {
    let environment = prop::option::of(prop::sample::select(Environment::ALL.to_vec()));
    prop_oneof![
        Just(Command::Release),
        Just(Command::ReleaseStatus),
        prop::collection::hash_set(1u64.., 1..6).prop_map(|prs| Command::ReleaseInclude {
            prs: prs.into_iter().collect()
        }),
        Just(Command::ReleaseHealthy),
        environment.prop_map(|environment| Command::Signoff { environment }),
        Just(Command::QaOk),
        free_text().prop_map(|text| Command::QaBlocker { text }),
        Just(Command::QaClear),
        Just(Command::DeployProduction { now: false }),
        Just(Command::DeployProduction { now: true }),
        free_text().prop_map(|reason| Command::Hotfix { reason }),
        free_text().prop_map(|reason| Command::Warmfix { reason }),
        free_text().prop_map(|reason| Command::Skip { reason }),
        Just(Command::Rotation),
        (login(), login(), 0u16..10_000, 1u8..=12)
            .prop_filter("two different people", |(a, b, _, _)| !a
                .eq_ignore_ascii_case(b))
            .prop_map(|(a, b, year, month)| Command::RotationSwap {
                a,
                b,
                period: format!("{year:04}-{month:02}"),
            }),
        Just(Command::Stats),
        Just(Command::Help),
    ]
}
