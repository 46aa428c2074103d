//! Table tests for every command form: each good form, each bad-argument message exactly, the
//! "did you mean" cases and the words that are not addressed to relman.

use relman_commands::{Command, Environment, ParseErrorKind, Span, parse};

/// The single command in `body`; panics with the body when there is not exactly one.
fn one(body: &str) -> Result<Command, String> {
    let results = parse(body);
    assert_eq!(
        results.len(),
        1,
        "expected one result for {body:?}, got {results:?}"
    );
    match results.into_iter().next() {
        Some(Ok(parsed)) => Ok(parsed.command),
        Some(Err(error)) => Err(error.to_string()),
        None => unreachable!("length checked above"),
    }
}

fn reason(text: &str) -> String {
    text.to_owned()
}

#[test]
fn every_good_form_parses_to_its_command() {
    let cases: Vec<(&str, Command)> = vec![
        ("/release", Command::Release),
        ("/release status", Command::ReleaseStatus),
        (
            "/release include #12",
            Command::ReleaseInclude { prs: vec![12] },
        ),
        (
            "/release include #12 #13",
            Command::ReleaseInclude { prs: vec![12, 13] },
        ),
        (
            "/release include #12,#13, #14",
            Command::ReleaseInclude {
                prs: vec![12, 13, 14],
            },
        ),
        (
            "/release include #13 #12 #13",
            Command::ReleaseInclude { prs: vec![13, 12] },
        ),
        ("/release healthy", Command::ReleaseHealthy),
        ("/signoff", Command::Signoff { environment: None }),
        (
            "/signoff staging",
            Command::Signoff {
                environment: Some(Environment::Staging),
            },
        ),
        (
            "/signoff production",
            Command::Signoff {
                environment: Some(Environment::Production),
            },
        ),
        ("/qa ok", Command::QaOk),
        (
            "/qa blocker checkout fails on Safari 17",
            Command::QaBlocker {
                text: "checkout fails on Safari 17".to_owned(),
            },
        ),
        ("/qa clear", Command::QaClear),
        (
            "/deploy production",
            Command::DeployProduction { now: false },
        ),
        (
            "/deploy production now",
            Command::DeployProduction { now: true },
        ),
        (
            "/deploy production NOW",
            Command::DeployProduction { now: true },
        ),
        (
            "/hotfix sync fails for accounts created before 2020",
            Command::Hotfix {
                reason: reason("sync fails for accounts created before 2020"),
            },
        ),
        (
            "/warmfix staging login loop",
            Command::Warmfix {
                reason: reason("staging login loop"),
            },
        ),
        (
            "/skip release day is a holiday",
            Command::Skip {
                reason: reason("release day is a holiday"),
            },
        ),
        ("/rotation", Command::Rotation),
        (
            "/rotation swap @alice @bob 2026-07",
            Command::RotationSwap {
                a: "alice".to_owned(),
                b: "bob".to_owned(),
                period: "2026-07".to_owned(),
            },
        ),
        (
            "/rotation swap @Alice-B @bob2 2027-12",
            Command::RotationSwap {
                a: "Alice-B".to_owned(),
                b: "bob2".to_owned(),
                period: "2027-12".to_owned(),
            },
        ),
        ("/stats", Command::Stats),
        ("/help", Command::Help),
    ];
    for (body, expected) in cases {
        assert_eq!(one(body), Ok(expected), "{body}");
    }
}

#[test]
fn command_words_ignore_case_but_arguments_keep_it() {
    assert_eq!(one("/Release"), Ok(Command::Release));
    assert_eq!(one("/RELEASE Status"), Ok(Command::ReleaseStatus));
    assert_eq!(
        one("/Signoff Production"),
        Ok(Command::Signoff {
            environment: Some(Environment::Production)
        })
    );
    assert_eq!(
        one("/QA Blocker Login BROKEN"),
        Ok(Command::QaBlocker {
            text: "Login BROKEN".to_owned()
        })
    );
}

#[test]
fn whitespace_around_and_between_words_is_not_significant() {
    assert_eq!(one("   /release"), Ok(Command::Release));
    assert_eq!(one("/release status \t "), Ok(Command::ReleaseStatus));
    assert_eq!(one("/release\tstatus"), Ok(Command::ReleaseStatus));
    assert_eq!(
        one("/hotfix    two  spaces inside   "),
        Ok(Command::Hotfix {
            reason: reason("two  spaces inside")
        })
    );
}

#[test]
fn every_bad_argument_has_its_exact_message() {
    let cases = [
        ("/hotfix", "`/hotfix` needs a reason: `/hotfix <why>`"),
        ("/hotfix   ", "`/hotfix` needs a reason: `/hotfix <why>`"),
        ("/warmfix", "`/warmfix` needs a reason: `/warmfix <why>`"),
        ("/skip", "`/skip` needs a reason: `/skip <why>`"),
        (
            "/qa blocker",
            "`/qa blocker` needs a description of the blocker: `/qa blocker <text>`",
        ),
        (
            "/qa",
            "`/qa` needs one of `/qa ok`, `/qa blocker <text>` or `/qa clear`",
        ),
        (
            "/qa maybe",
            "`/qa` does not take `maybe`: use `/qa ok`, `/qa blocker <text>` or `/qa clear`",
        ),
        (
            "/qa ok thanks",
            "`/qa ok` takes no arguments, but got `thanks`",
        ),
        (
            "/qa clear now",
            "`/qa clear` takes no arguments, but got `now`",
        ),
        (
            "/signoff prod",
            "`/signoff` takes `staging` or `production`, not `prod` — did you mean `production`?",
        ),
        (
            "/signoff stage",
            "`/signoff` takes `staging` or `production`, not `stage` — did you mean `staging`?",
        ),
        (
            "/signoff prodution",
            "`/signoff` takes `staging` or `production`, not `prodution` — did you mean \
             `production`?",
        ),
        (
            "/signoff everything",
            "`/signoff` takes `staging` or `production`, not `everything`",
        ),
        (
            "/signoff staging production",
            "`/signoff staging` takes no arguments, but got `production`",
        ),
        (
            "/deploy",
            "`/deploy` needs the environment: `/deploy production [now]`",
        ),
        (
            "/deploy staging",
            "`/deploy staging` is not needed: staging is deployed automatically when the release \
             is created. `/deploy production` opens the production deployment request.",
        ),
        (
            "/deploy prod",
            "`/deploy` takes `production`, not `prod` — did you mean `production`?",
        ),
        ("/deploy ops", "`/deploy` takes `production`, not `ops`"),
        (
            "/deploy production soon",
            "`/deploy production` takes no arguments, but got `soon`",
        ),
        (
            "/deploy production now please",
            "`/deploy production now` takes no arguments, but got `please`",
        ),
        (
            "/release include",
            "`/release include` needs PR numbers like `#12`: `/release include #12 #13`",
        ),
        (
            "/release include 12",
            "`/release include` needs PR numbers like `#12`, not `12` — did you mean `#12`?",
        ),
        (
            "/release include #12 and #13",
            "`/release include` needs PR numbers like `#12`, not `and`",
        ),
        (
            "/release include #0",
            "`/release include` needs PR numbers like `#12`, not `#0`",
        ),
        (
            "/release include #123456789012345678901234567890",
            "`/release include` needs PR numbers like `#12`, not \
             `#123456789012345678901234567890`",
        ),
        (
            "/release include #-3",
            "`/release include` needs PR numbers like `#12`, not `#-3`",
        ),
        (
            "/release foo",
            "`/release` does not take `foo`: use `/release`, `/release status`, \
             `/release include #12 #13` or `/release healthy`",
        ),
        (
            "/release status now",
            "`/release status` takes no arguments, but got `now`",
        ),
        (
            "/release healthy yes it is",
            "`/release healthy` takes no arguments, but got `yes it is`",
        ),
        (
            "/rotation swap",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD)",
        ),
        (
            "/rotation swap @alice @bob",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD)",
        ),
        (
            "/rotation swap alice @bob 2026-07",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); `alice` is not a \
             GitHub login like `@alice`",
        ),
        (
            "/rotation swap @alice @-bob 2026-07",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); `@-bob` is not a \
             GitHub login like `@alice`",
        ),
        (
            "/rotation swap @alice @ALICE 2026-07",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); `@ALICE` cannot \
             swap with themselves",
        ),
        (
            "/rotation swap @alice @bob 2026-13",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); `2026-13` is not a \
             month like `2026-07` or a release date like `2026-07-14`",
        ),
        (
            "/rotation swap @alice @bob July",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); `July` is not a \
             month like `2026-07` or a release date like `2026-07-14`",
        ),
        (
            "/rotation swap @alice @bob 2026-7",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); `2026-7` is not a \
             month like `2026-07` or a release date like `2026-07-14`",
        ),
        (
            "/rotation swap @alice @bob 2026-07-32",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); \
             `2026-07-32` is not a month like `2026-07` or a release date like `2026-07-14`",
        ),
        (
            "/rotation swap @alice @bob 2026-07 please",
            "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); unexpected \
             `please` after the period",
        ),
        (
            "/rotation show",
            "`/rotation` does not take `show`: use `/rotation` or `/rotation swap @a @b <period>`",
        ),
        (
            "/stats please",
            "`/stats` takes no arguments, but got `please`",
        ),
        ("/help me", "`/help` takes no arguments, but got `me`"),
    ];
    for (body, message) in cases {
        assert_eq!(one(body), Err(message.to_owned()), "{body}");
    }
}

#[test]
fn close_typos_get_a_did_you_mean() {
    let cases = [
        (
            "/relase",
            "unknown command `/relase` — did you mean `/release`?",
        ),
        (
            "/Relase",
            "unknown command `/Relase` — did you mean `/release`?",
        ),
        (
            "/rleease",
            "unknown command `/rleease` — did you mean `/release`?",
        ),
        (
            "/released",
            "unknown command `/released` — did you mean `/release`?",
        ),
        ("/rel", "unknown command `/rel` — did you mean `/release`?"),
        (
            "/sigoff",
            "unknown command `/sigoff` — did you mean `/signoff`?",
        ),
        (
            "/sign-off",
            "unknown command `/sign-off` — did you mean `/signoff`?",
        ),
        (
            "/hotifx x",
            "unknown command `/hotifx` — did you mean `/hotfix`?",
        ),
        (
            "/warmfx x",
            "unknown command `/warmfx` — did you mean `/warmfix`?",
        ),
        ("/skp x", "unknown command `/skp` — did you mean `/skip`?"),
        (
            "/rotaton",
            "unknown command `/rotaton` — did you mean `/rotation`?",
        ),
        ("/stat", "unknown command `/stat` — did you mean `/stats`?"),
        ("/hepl", "unknown command `/hepl` — did you mean `/help`?"),
        ("/aq ok", "unknown command `/aq` — did you mean `/qa ok`?"),
        (
            "/relase status",
            "unknown command `/relase` — did you mean `/release status`?",
        ),
        (
            "/deplyo production",
            "unknown command `/deplyo` — did you mean `/deploy production`?",
        ),
        (
            "/release-status",
            "unknown command `/release-status` — did you mean `/release status`?",
        ),
        (
            "/release_healthy",
            "unknown command `/release_healthy` — did you mean `/release healthy`?",
        ),
        (
            "/qa-ok",
            "unknown command `/qa-ok` — did you mean `/qa ok`?",
        ),
        (
            "/release stauts",
            "unknown command `/release stauts` — did you mean `/release status`?",
        ),
        (
            "/release inculde #12",
            "unknown command `/release inculde` — did you mean `/release include`?",
        ),
        (
            "/release helthy",
            "unknown command `/release helthy` — did you mean `/release healthy`?",
        ),
        (
            "/qa blocked login broken",
            "unknown command `/qa blocked` — did you mean `/qa blocker`?",
        ),
        (
            "/qa okay",
            "unknown command `/qa okay` — did you mean `/qa ok`?",
        ),
        (
            "/qa clr",
            "unknown command `/qa clr` — did you mean `/qa clear`?",
        ),
        (
            "/rotation swp @a @b 2026-07",
            "unknown command `/rotation swp` — did you mean `/rotation swap`?",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(one(body), Err(message.to_owned()), "{body}");
    }
}

#[test]
fn the_suggestion_is_available_as_data() {
    let results = parse("/relase status");
    let Some(Err(error)) = results.first() else {
        panic!("expected an error, got {results:?}");
    };
    assert_eq!(
        error.kind,
        ParseErrorKind::UnknownCommand {
            given: "relase".to_owned(),
            suggestion: "release status",
        }
    );
}

#[test]
fn words_far_from_any_command_are_not_addressed_to_relman() {
    let bodies = [
        "/usr/bin/env python3",
        "/etc/hosts is wrong",
        "/shrug",
        "/ 2",
        "/",
        "/q",
        "/cc @bob",
        "/me waves",
        "/lgtm",
        "/approve",
        "/assign @bob",
        "/retest",
        "/hold",
        "/label bug",
        "/tmp",
        "/relman",
        "/42",
        "/😀",
    ];
    for body in bodies {
        assert_eq!(parse(body), vec![], "{body}");
    }
}

#[test]
fn a_slash_word_inside_a_line_is_not_a_command() {
    let bodies = [
        "please /release",
        "Thanks! /signoff",
        "- /release",
        "* /release",
        "1. /release",
        "**/release**",
        "_/release_",
        "[/release](https://example.net)",
        "# /release",
        "| /release |",
        "\\/release",
    ];
    for body in bodies {
        assert_eq!(parse(body), vec![], "{body}");
    }
}

#[test]
fn several_commands_come_back_in_order_with_their_own_spans() {
    let body = "Looks good to me.\n/signoff staging\n\n/qa ok\n/relase\n/release status";
    let results = parse(body);
    let summary: Vec<(Result<Command, String>, Span)> = results
        .into_iter()
        .map(|result| match result {
            Ok(parsed) => (Ok(parsed.command), parsed.span),
            Err(error) => (Err(error.to_string()), error.span),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                Ok(Command::Signoff {
                    environment: Some(Environment::Staging)
                }),
                Span {
                    start: 18,
                    end: 34,
                    line: 2,
                    column: 1
                }
            ),
            (
                Ok(Command::QaOk),
                Span {
                    start: 36,
                    end: 42,
                    line: 4,
                    column: 1
                }
            ),
            (
                Err("unknown command `/relase` — did you mean `/release`?".to_owned()),
                Span {
                    start: 43,
                    end: 50,
                    line: 5,
                    column: 1
                }
            ),
            (
                Ok(Command::ReleaseStatus),
                Span {
                    start: 51,
                    end: 66,
                    line: 6,
                    column: 1
                }
            ),
        ]
    );
}

#[test]
fn the_parsed_text_is_the_command_as_written() {
    let body = "  /Signoff   Staging  \r\nnext";
    let results = parse(body);
    let Some(Ok(parsed)) = results.first() else {
        panic!("expected a command, got {results:?}");
    };
    assert_eq!(parsed.text, "/Signoff   Staging");
    assert_eq!(&body[parsed.span.start..parsed.span.end], parsed.text);
    assert_eq!((parsed.span.line, parsed.span.column), (1, 3));
}

#[test]
fn error_spans_point_at_the_offending_words() {
    fn span_of(body: &str) -> (&str, usize, usize) {
        match parse(body).into_iter().next() {
            Some(Err(error)) => (
                &body[error.span.start..error.span.end],
                error.span.line,
                error.span.column,
            ),
            other => panic!("expected an error for {body:?}, got {other:?}"),
        }
    }
    assert_eq!(span_of("x\n /relase now"), ("/relase", 2, 2));
    assert_eq!(span_of("/release stauts please"), ("/release stauts", 1, 1));
    assert_eq!(span_of("/signoff  prod"), ("prod", 1, 11));
    assert_eq!(span_of("/stats for   july "), ("for   july", 1, 8));
    assert_eq!(span_of("/release include #1 x2"), ("x2", 1, 21));
    assert_eq!(span_of("/release include #1,,nope,#2"), ("nope", 1, 22));
    assert_eq!(span_of("/hotfix"), ("/hotfix", 1, 1));
    assert_eq!(span_of("/rotation swap @a @b 2026-00"), ("2026-00", 1, 22));
}

#[test]
fn unicode_arguments_are_kept_and_positions_count_chars() {
    let body =
        "Ünïcödé prose 👋\n/hotfix 🔥 crash in naïve «code»\n/rotation swap @ünï @bob 2026-07";
    let results = parse(body);
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].as_ref().map(|parsed| &parsed.command),
        Ok(&Command::Hotfix {
            reason: reason("🔥 crash in naïve «code»")
        })
    );
    let Err(error) = &results[1] else {
        panic!("expected an error, got {:?}", results[1]);
    };
    assert_eq!(&body[error.span.start..error.span.end], "@ünï");
    assert_eq!((error.span.line, error.span.column), (3, 16));
    assert_eq!(
        error.to_string(),
        "`/rotation swap` expects `@a @b <period>` where period is YYYY-MM (or YYYY-MM-DD); `@ünï` is not a \
         GitHub login like `@alice`"
    );
}

#[test]
fn unicode_before_an_argument_shifts_the_column_by_chars_not_bytes() {
    let results = parse("/release include #١٢ #12");
    let Some(Err(error)) = results.first() else {
        panic!("expected an error, got {results:?}");
    };
    assert_eq!(error.span.column, 18);
    assert_eq!(error.span.start, 17);
    assert_eq!(error.span.end, 17 + "#١٢".len());
}

#[test]
fn user_text_quoted_in_a_message_cannot_break_its_markdown() {
    assert_eq!(
        one("/stats `rm -rf` @everyone"),
        Err("`/stats` takes no arguments, but got `` `rm -rf` @everyone ``".to_owned())
    );
    let long = format!("/stats {}", "x".repeat(100));
    assert_eq!(
        one(&long),
        Err(format!(
            "`/stats` takes no arguments, but got `{}…`",
            "x".repeat(40)
        ))
    );
}

#[test]
fn commands_serialize_with_a_stable_tag() {
    let cases = [
        (Command::Release, r#"{"command":"release"}"#),
        (
            Command::ReleaseInclude { prs: vec![12, 13] },
            r#"{"command":"release_include","prs":[12,13]}"#,
        ),
        (
            Command::Signoff {
                environment: Some(Environment::Production),
            },
            r#"{"command":"signoff","environment":"production"}"#,
        ),
        (
            Command::Signoff { environment: None },
            r#"{"command":"signoff","environment":null}"#,
        ),
        (
            Command::RotationSwap {
                a: "alice".to_owned(),
                b: "bob".to_owned(),
                period: "2026-07".to_owned(),
            },
            r#"{"command":"rotation_swap","a":"alice","b":"bob","period":"2026-07"}"#,
        ),
    ];
    for (command, json) in cases {
        assert_eq!(serde_json::to_string(&command).unwrap(), json);
        assert_eq!(serde_json::from_str::<Command>(json).unwrap(), command);
    }
}

#[test]
fn parsed_commands_round_trip_through_json() {
    let results = parse("/qa blocker naïve → broken\n/release include #7");
    for parsed in results.into_iter().map(Result::unwrap) {
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(
            serde_json::from_str::<relman_commands::ParsedCommand>(&json).unwrap(),
            parsed
        );
    }
}
