//! Which lines of a comment count: code blocks, quotes, inline code, HTML comments and line
//! endings.

use relman_commands::{Command, parse};

/// The commands of `body`, failing on any error.
fn commands(body: &str) -> Vec<Command> {
    parse(body)
        .into_iter()
        .map(|result| match result {
            Ok(parsed) => parsed.command,
            Err(error) => panic!("unexpected error in {body:?}: {error}"),
        })
        .collect()
}

/// The 1-based line of each result.
fn lines(body: &str) -> Vec<usize> {
    parse(body)
        .iter()
        .map(|result| match result {
            Ok(parsed) => parsed.span.line,
            Err(error) => error.span.line,
        })
        .collect()
}

#[test]
fn fenced_code_blocks_are_skipped() {
    let cases = [
        ("```\n/release\n```\n/stats", vec![Command::Stats]),
        ("```rust\n/release\n```\n/stats", vec![Command::Stats]),
        (
            "``` shell session\n/release\n```\n/stats",
            vec![Command::Stats],
        ),
        ("~~~\n/release\n~~~\n/stats", vec![Command::Stats]),
        ("~~~~ text\n/release\n~~~~~\n/stats", vec![Command::Stats]),
        ("   ```\n/release\n   ```\n/stats", vec![Command::Stats]),
        // A fence closes only with its own character, at least as long as it opened.
        (
            "````\n/release\n```\n/help\n````\n/stats",
            vec![Command::Stats],
        ),
        (
            "```\n/release\n~~~\n/help\n```\n/stats",
            vec![Command::Stats],
        ),
        // A closing fence carries no info string.
        (
            "```\n/release\n``` rust\n/help\n```\n/stats",
            vec![Command::Stats],
        ),
        // An unclosed fence runs to the end of the comment.
        ("/help\n```\n/release\n/stats", vec![Command::Help]),
        // A fence interrupts a paragraph.
        ("Output:\n```\n/release\n```", vec![]),
        // A backtick fence's info string cannot hold a backtick: this is inline code.
        ("``` `code` ```\n/release", vec![Command::Release]),
        // Two backticks are not a fence.
        ("``\n/release", vec![Command::Release]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn indented_lines_are_never_commands() {
    let cases = [
        ("Example:\n\n    /release\n\n/stats", vec![Command::Stats]),
        ("\t/release", vec![]),
        (" \t/release", vec![]),
        ("    /release", vec![]),
        // Three spaces are still a command, as in markdown.
        ("   /release", vec![Command::Release]),
        // A lazy continuation of a paragraph: text, but indented, so not a command either.
        ("Some text\n    /release", vec![]),
        // An indented ``` is code (or paragraph text), never a fence.
        ("    ```\n/release\n    ```", vec![Command::Release]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn block_quotes_are_skipped_at_any_depth() {
    let cases = [
        ("> /release", vec![]),
        (">/release", vec![]),
        ("> > /release", vec![]),
        (">> /release", vec![]),
        ("   > /release", vec![]),
        ("> Alice wrote:\n> /release\n\n/stats", vec![Command::Stats]),
        // A code block inside a quote ends with the quote.
        ("> ```\n> /help\n/release", vec![Command::Release]),
        // The line after a quote was typed by the commenter, not quoted (see `lines`).
        ("> Ready to ship?\n/release", vec![Command::Release]),
        // A quote ends the paragraph before it, so its inline code cannot hide the next line.
        ("> quoted `open\n/release\nclose`", vec![Command::Release]),
        // Quoted inside a list item.
        ("- item\n  > /release", vec![]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn inline_code_is_skipped_even_across_lines() {
    let cases = [
        ("`/release`", vec![]),
        ("Run `/release` when ready", vec![]),
        ("``/release``", vec![]),
        // A code span opened on an earlier line of the same paragraph hides the line start.
        ("Type `the\n/release` command", vec![]),
        ("Type ``the\n/release`` command", vec![]),
        ("- item `code\n  /release`", vec![]),
        // An opener with no closer of the same length is a literal backtick.
        ("It's a ` tick\n/release", vec![Command::Release]),
        ("Two `` ticks\n/release\nthen one `", vec![Command::Release]),
        // An escaped backtick opens nothing.
        (
            "Escaped \\`tick\n/release\nthen one `",
            vec![Command::Release],
        ),
        // Spans do not cross paragraphs.
        ("`open\n\n/release\nclose`", vec![Command::Release]),
        // A span that closes before the line leaves it alone.
        ("`a` and `b`\n/release", vec![Command::Release]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn html_comments_and_raw_html_blocks_are_skipped() {
    let cases = [
        ("<!--\n/release\n-->\n/stats", vec![Command::Stats]),
        (
            "<!-- Use /hotfix <why> for production fixes.\n/hotfix example\n-->",
            vec![],
        ),
        ("<!-- one line -->\n/stats", vec![Command::Stats]),
        ("<!-->\n/stats", vec![Command::Stats]),
        ("<!--\n/release", vec![]),
        ("Text\n<!--\n/release\n-->", vec![]),
        ("<pre>\n/release\n</pre>\n/stats", vec![Command::Stats]),
        ("<PRE>\n/release\n</Pre>\n/stats", vec![Command::Stats]),
        (
            "<details>\n\n/release\n\n</details>",
            vec![Command::Release],
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn indented_code_blocks_follow_commonmark() {
    let cases = [
        // An unindented line ends an indented code block.
        (
            "Example:\n\n    /release\n    /help\n/stats",
            vec![Command::Stats],
        ),
        // A tab is four columns of indentation, so this is code too.
        ("Output:\n\n\t/release\n\n/stats", vec![Command::Stats]),
        // Inside a list item, three spaces are the item's paragraph, not code.
        ("1. step one\n\n   /release", vec![Command::Release]),
        ("- item\n  /release", vec![Command::Release]),
        // A code block in a list item ends with the item.
        (
            "- item\n\n  ```\n  /release\n  ```\n/stats",
            vec![Command::Stats],
        ),
        ("- item\n\n  ```\n/release\n  ```", vec![Command::Release]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn tilde_fences_close_only_with_tildes() {
    let cases = [
        // A tilde fence's info string may hold backticks.
        (
            "~~~ ```\n/release\n```\n/help\n~~~\n/stats",
            vec![Command::Stats],
        ),
        (
            "~~~~\n/release\n~~~\n/help\n~~~~~\n/stats",
            vec![Command::Stats],
        ),
        ("  ~~~\n/release\n  ~~~\n/stats", vec![Command::Stats]),
        // Two tildes are not a fence.
        ("~~\n/release", vec![Command::Release]),
        ("~~~\n/release", vec![]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn quotes_nested_in_lists_are_skipped() {
    let cases = [
        ("- > quoted\n  > /release\n\n/stats", vec![Command::Stats]),
        ("1. item\n   > > /release\n/stats", vec![Command::Stats]),
        ("> - item\n>   /release\n\n/stats", vec![Command::Stats]),
        (
            "> 1. item\n>    ```\n>    /release\n/stats",
            vec![Command::Stats],
        ),
        // Typed after the quote, as at the top level.
        ("> - quoted item\n/release", vec![Command::Release]),
        ("- > Ready to ship?\n  /release", vec![Command::Release]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn html_comments_hide_commands_wherever_they_start() {
    let cases = [
        ("<!-- /release -->\n/stats", vec![Command::Stats]),
        ("  <!--\n/release\n  -->\n/stats", vec![Command::Stats]),
        // A comment opened in a paragraph is inline HTML, hidden all the same.
        ("Notes <!--\n/release\n-->\n/stats", vec![Command::Stats]),
        ("- item <!--\n  /release -->", vec![]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn text_in_other_html_blocks_is_read() {
    let cases = [
        // GitHub inserts an <img> on its own line for a pasted screenshot; the text under it is
        // shown and was typed by the commenter.
        (
            "<img width=\"600\" alt=\"image\" src=\"https://example.net/a.png\">\n/qa blocker see the screenshot",
            vec![Command::QaBlocker {
                text: "see the screenshot".to_owned(),
            }],
        ),
        ("<div>\n/release\n</div>", vec![Command::Release]),
        // Comments and raw text inside such a block still hide their lines.
        (
            "<div>\n<!--\n/release\n-->\n/stats\n</div>",
            vec![Command::Stats],
        ),
        (
            "<details>\n<summary>Logs</summary>\n<PRE>\n/release\n</pre>\n/help\n</details>",
            vec![Command::Help],
        ),
        ("<div><!-->\n/stats", vec![Command::Stats]),
        // Kinds of HTML block that hide everything up to their end.
        (
            "<script>\n/release\n</SCRIPT>\n/stats",
            vec![Command::Stats],
        ),
        ("<?php\n/release\n?>\n/stats", vec![Command::Stats]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn headings_and_link_definitions_are_not_text() {
    let cases = [
        // A setext heading: the line is shown as a heading, like `# /release`.
        ("/release\n---\n/stats", vec![Command::Stats]),
        ("/release\n===", vec![]),
        // A link reference definition's destination is not shown.
        ("[docs]:\n/release", vec![]),
        // A table row, even one continued lazily, is shown as text.
        ("| a | b |\n| - | - |\n/release", vec![Command::Release]),
        // Emphasis and links spanning lines keep their lines as text.
        ("*note\n/release\nend*", vec![Command::Release]),
        (
            "[see\n/release\nhere](https://example.net)",
            vec![Command::Release],
        ),
        // An image's description is not shown as text.
        ("![see\n/release](https://example.net/a.png)", vec![]),
    ];
    for (body, expected) in cases {
        assert_eq!(commands(body), expected, "{body:?}");
    }
}

#[test]
fn headings_and_breaks_end_a_paragraph() {
    // Were the heading or the break part of the paragraph, `/release` would be inside a span.
    assert_eq!(
        commands("`open\n# Heading\n/release\nclose`"),
        vec![Command::Release]
    );
    assert_eq!(
        commands("`open\n---\n/release\nclose`"),
        vec![Command::Release]
    );
    assert_eq!(commands("`open\n/release\nclose`"), vec![]);
    assert_eq!(commands("#12 is merged\n/release"), vec![Command::Release]);
}

#[test]
fn crlf_and_lone_cr_end_lines() {
    let crlf = "Hello\r\n/release\r\n/signoff staging\r\n";
    assert_eq!(lines(crlf), vec![2, 3]);
    let results = parse(crlf);
    let texts: Vec<&str> = results
        .iter()
        .map(|result| result.as_ref().map(|parsed| parsed.text.as_str()).unwrap())
        .collect();
    assert_eq!(texts, vec!["/release", "/signoff staging"]);

    let lone_cr = "Hello\r/release\r\r/stats";
    assert_eq!(commands(lone_cr), vec![Command::Release, Command::Stats]);
    assert_eq!(lines(lone_cr), vec![2, 4]);

    let fenced = "```\r\n/release\r\n```\r\n/stats\r\n";
    assert_eq!(commands(fenced), vec![Command::Stats]);
}

#[test]
fn a_realistic_comment() {
    let body = "\
Thanks @alice! The staging dashboards look fine; see the logs:

```console
$ /usr/bin/env relman check
/release
```

> @bob wrote:
> /signoff production

Signing off staging only for now. `/deploy production` tomorrow.
/signoff staging
/qa blocker the export button does nothing in Firefox 128 🦊
<!-- /skip not this time -->
";
    assert_eq!(
        commands(body),
        vec![
            Command::Signoff {
                environment: Some(relman_commands::Environment::Staging)
            },
            Command::QaBlocker {
                text: "the export button does nothing in Firefox 128 🦊".to_owned()
            },
        ]
    );
    assert_eq!(lines(body), vec![12, 13]);
}

#[test]
fn empty_and_blank_bodies_hold_no_command() {
    for body in ["", "\n", "\r\n\r\n", "   ", "\t\n  \n"] {
        assert_eq!(parse(body), vec![], "{body:?}");
    }
}
