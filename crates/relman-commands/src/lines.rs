//! Finding the lines of a comment that can hold a command.
//!
//! A comment is GitHub-flavoured markdown, and what a reader sees as code, as a heading or not at
//! all must never run. pulldown-cmark parses the comment as GitHub does (CommonMark with GFM's
//! tables, strikethrough, task lists, footnotes and alerts); a line that starts with `/` is a
//! candidate when that `/` begins ordinary text of the parse. The rules are listed in the crate
//! documentation.

use std::borrow::Cow;
use std::ops::Range;

use memchr::{memchr, memchr2, memmem};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// A line of text that starts with `/` after at most three spaces of indentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CandidateLine {
    /// Byte offset of the first byte of the line.
    pub line_start: usize,
    /// Byte offset of the `/`.
    pub slash: usize,
    /// Byte offset of the end of the line, before its line ending.
    pub end: usize,
    /// 1-based line number.
    pub line_number: usize,
}

/// Calls `visit` for every candidate line of `body`, in order.
pub(crate) fn for_each_candidate(body: &str, mut visit: impl FnMut(CandidateLine)) {
    let lines = scan_lines(body);
    if lines.candidates.is_empty() {
        // Most comments hold no line starting with `/`; they need no markdown parse.
        return;
    }
    let text = lines.markdown(body);
    // Where each candidate's `/` is in `text`, which may have blank lines inserted.
    let slashes: Vec<usize> = lines
        .candidates
        .iter()
        .map(|candidate| lines.shifted(candidate.slash))
        .collect();
    let readable = readable_slashes(&text, &slashes);
    for (candidate, readable) in lines.candidates.into_iter().zip(readable) {
        if readable {
            visit(candidate);
        }
    }
}

/// What one pass over the raw lines finds.
struct Lines {
    candidates: Vec<CandidateLine>,
    /// Offsets of the lines that directly follow a block quote line and are not one themselves.
    quote_ends: Vec<usize>,
}

fn scan_lines(body: &str) -> Lines {
    let bytes = body.as_bytes();
    let mut lines = Lines {
        candidates: Vec::new(),
        quote_ends: Vec::new(),
    };
    let mut after_quote = false;
    let mut line_start = 0;
    let mut line_number = 1;
    loop {
        let (end, next_start) = match memchr2(b'\n', b'\r', &bytes[line_start..]) {
            Some(offset) => {
                let end = line_start + offset;
                let ending_len = if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                (end, Some(end + ending_len))
            }
            None => (bytes.len(), None),
        };
        let line = &bytes[line_start..end];
        let (indent, indent_len) = indentation(line);
        let first = line.get(indent_len).filter(|_| indent < 4);
        let is_quote = first == Some(&b'>');
        let is_blank = line.iter().all(|&byte| byte == b' ' || byte == b'\t');
        if after_quote && !is_quote && !is_blank {
            lines.quote_ends.push(line_start);
        }
        after_quote = is_quote;
        if first == Some(&b'/') {
            lines.candidates.push(CandidateLine {
                line_start,
                slash: line_start + indent_len,
                end,
                line_number,
            });
        }
        match next_start {
            Some(next) => {
                line_start = next;
                line_number += 1;
            }
            None => break,
        }
    }
    lines
}

impl Lines {
    /// The text to parse: `body` with a blank line before each line that follows a block quote,
    /// and the closing tags of raw-text elements in lower case.
    ///
    /// CommonMark continues a quoted paragraph lazily into the next unquoted line, but quoting
    /// tools (GitHub's "Quote reply", email replies) prefix every quoted line, so that line was
    /// typed by the commenter: ignoring `> Ready?` followed by `/release` would silently drop
    /// what they asked for.
    ///
    /// CommonMark ends a `<pre>` (or `<script>`, `<style>`, `<textarea>`) HTML block at a closing
    /// tag in any case, but pulldown-cmark 0.13 matches only `</pre>`; without the lowering a
    /// `</PRE>` would leave the rest of the comment hidden. Lowering keeps every offset.
    fn markdown<'a>(&self, body: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(body);
        if !self.quote_ends.is_empty() {
            let mut owned = String::with_capacity(body.len() + self.quote_ends.len());
            let mut copied = 0;
            for &at in &self.quote_ends {
                owned.push_str(&body[copied..at]);
                owned.push('\n');
                copied = at;
            }
            owned.push_str(&body[copied..]);
            text = Cow::Owned(owned);
        }
        let uppercase_closing_tags: Vec<Range<usize>> = memmem::find_iter(text.as_bytes(), b"</")
            .filter_map(|at| {
                let name = &text.as_bytes()[at + 2..];
                let tag = RAW_TEXT_TAGS.into_iter().find(|tag| {
                    name.get(..tag.len())
                        .is_some_and(|candidate| candidate.eq_ignore_ascii_case(tag))
                })?;
                let range = at + 2..at + 2 + tag.len();
                (&text.as_bytes()[range.clone()] != tag).then_some(range)
            })
            .collect();
        if !uppercase_closing_tags.is_empty() {
            let owned = text.to_mut();
            for range in uppercase_closing_tags {
                owned[range].make_ascii_lowercase();
            }
        }
        text
    }

    /// Where `offset` of the body is in [`Lines::markdown`]'s text.
    fn shifted(&self, offset: usize) -> usize {
        offset + self.quote_ends.partition_point(|&at| at <= offset)
    }
}

/// The indentation of `line` in columns (tabs advance to the next multiple of four) and in
/// bytes. Counting stops at four columns, which is all any rule here needs to know.
fn indentation(line: &[u8]) -> (usize, usize) {
    let mut columns = 0;
    for (index, &byte) in line.iter().enumerate() {
        if columns >= 4 {
            return (columns, index);
        }
        match byte {
            b' ' => columns += 1,
            b'\t' => columns += 4 - columns % 4,
            _ => return (columns, index),
        }
    }
    (columns, line.len())
}

/// For each of the sorted `slashes`, whether it begins text a reader sees as ordinary text.
fn readable_slashes(text: &str, slashes: &[usize]) -> Vec<bool> {
    let mut readable = vec![false; slashes.len()];
    let Some(&last) = slashes.last() else {
        return readable;
    };
    let mut mark = |range: Range<usize>, hidden: &[Range<usize>]| {
        let first = slashes.partition_point(|&slash| slash < range.start);
        for (index, &slash) in slashes.iter().enumerate().skip(first) {
            if slash >= range.end {
                break;
            }
            readable[index] = !inside_any(hidden, slash);
        }
    };
    // Code, headings and image descriptions hide the text inside them; an image can sit in a
    // heading, so this is a depth rather than a flag.
    let mut hidden_depth = 0usize;
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        if range.start > last {
            // Nothing after the last candidate can change the verdict on it.
            break;
        }
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Heading { .. } | Tag::Image { .. }) => {
                hidden_depth += 1;
            }
            Event::End(TagEnd::CodeBlock | TagEnd::Heading(_) | TagEnd::Image) => {
                hidden_depth = hidden_depth.saturating_sub(1);
            }
            Event::Start(Tag::HtmlBlock) if hidden_depth == 0 => {
                let block = &text[range.clone()];
                if !hides_its_content(block) {
                    let hidden: Vec<Range<usize>> = hidden_html(block)
                        .into_iter()
                        .map(|hidden| hidden.start + range.start..hidden.end + range.start)
                        .collect();
                    mark(range, &hidden);
                }
            }
            Event::Text(_) if hidden_depth == 0 => mark(range, &[]),
            _ => {}
        }
    }
    readable
}

/// The raw-text elements whose content a browser shows as code or not at all.
const RAW_TEXT_TAGS: [&[u8]; 4] = [b"pre", b"script", b"style", b"textarea"];

/// Whether an HTML block hides all of its lines: a comment, a raw-text element, a processing
/// instruction, a declaration or CDATA (CommonMark's HTML blocks of kinds 1 to 5).
///
/// The other kinds (a `<div>` or any tag alone on its line, such as the `<img>` GitHub inserts
/// for a pasted screenshot) run to the next blank line, and the browser shows the text in them:
/// a command typed right under a screenshot is read.
fn hides_its_content(block: &str) -> bool {
    let start = block.trim_start_matches([' ', '\t']).as_bytes();
    start.starts_with(b"<!") || start.starts_with(b"<?") || raw_text_tag_at(start).is_some()
}

/// The raw-text tag that `bytes` opens, when it starts with one.
fn raw_text_tag_at(bytes: &[u8]) -> Option<&'static [u8]> {
    let name = bytes.strip_prefix(b"<")?;
    RAW_TEXT_TAGS.into_iter().find(|tag| {
        name.get(..tag.len())
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(tag))
            && matches!(
                name.get(tag.len()),
                None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'>')
            )
    })
}

/// The comments and raw-text elements inside an HTML block that shows its text, in order.
/// One left open runs to the end of the block.
fn hidden_html(block: &str) -> Vec<Range<usize>> {
    let bytes = block.as_bytes();
    let mut hidden = Vec::new();
    let mut from = 0;
    while let Some(offset) = memchr(b'<', &bytes[from..]) {
        let start = from + offset;
        let rest = &bytes[start..];
        let end = if rest.starts_with(b"<!--") {
            // `<!-->` is a complete, empty comment.
            memmem::find(&rest[2..], b"-->").map(|close| start + 2 + close + 3)
        } else if let Some(tag) = raw_text_tag_at(rest) {
            closing_tag(rest, tag).map(|close| start + close)
        } else {
            from = start + 1;
            continue;
        };
        let end = end.unwrap_or(bytes.len());
        hidden.push(start..end);
        from = end;
    }
    hidden
}

/// The offset just past `</tag>`'s name in `html`, ignoring ASCII case.
fn closing_tag(html: &[u8], tag: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'<', html).find_map(|at| {
        let name = html.get(at + 1..)?.strip_prefix(b"/")?;
        let candidate = name.get(..tag.len())?;
        candidate
            .eq_ignore_ascii_case(tag)
            .then_some(at + 2 + tag.len())
    })
}

/// Whether `offset` lies inside one of the sorted, disjoint `ranges`.
fn inside_any(ranges: &[Range<usize>], offset: usize) -> bool {
    let after = ranges.partition_point(|range| range.start <= offset);
    after > 0 && offset < ranges[after - 1].end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(body: &str) -> Vec<&str> {
        let mut found = Vec::new();
        for_each_candidate(body, |line| found.push(&body[line.slash..line.end]));
        found
    }

    #[test]
    fn indentation_counts_tabs_to_the_next_stop() {
        assert_eq!(indentation(b"   x"), (3, 3));
        assert_eq!(indentation(b" \tx"), (4, 2));
        assert_eq!(indentation(b"    "), (4, 4));
        assert_eq!(indentation(b""), (0, 0));
    }

    #[test]
    fn a_line_after_a_quote_gets_a_blank_line_before_it() {
        let body = "> a\n/release\n> b\n\n> c\r\n  x";
        let lines = scan_lines(body);
        assert_eq!(lines.quote_ends, vec![4, 23]);
        assert_eq!(lines.markdown(body), "> a\n\n/release\n> b\n\n> c\r\n\n  x");
        assert_eq!(lines.shifted(4), 5);
        assert_eq!(lines.shifted(3), 3);
    }

    #[test]
    fn raw_text_closing_tags_are_lowered_in_place() {
        let body = "<PRE>\n/release\n</Pre>\n</STYLE></div>";
        let lines = scan_lines(body);
        assert_eq!(
            lines.markdown(body),
            "<PRE>\n/release\n</pre>\n</style></div>"
        );
        assert!(matches!(lines.markdown("</pre>"), Cow::Borrowed(_)));
    }

    #[test]
    fn html_blocks_that_hide_everything_are_recognised() {
        assert!(hides_its_content("<!-- x -->"));
        assert!(hides_its_content("  <PRE class=\"x\">"));
        assert!(hides_its_content("<?php"));
        assert!(!hides_its_content("<presentation>"));
        assert!(!hides_its_content("<img src=\"x\">"));
    }

    #[test]
    fn comments_and_raw_text_inside_visible_html_are_hidden() {
        let block = "<div>\n<!-- a -->\n<PRE>\nx\n</pre>\n<!-->\n<script>";
        assert_eq!(hidden_html(block), vec![6..16, 17..30, 32..37, 38..46]);
    }

    #[test]
    fn inside_any_includes_the_start_and_excludes_the_end() {
        let ranges = [2..5, 8..12];
        assert!(!inside_any(&ranges, 1));
        assert!(inside_any(&ranges, 2));
        assert!(!inside_any(&ranges, 5));
        assert!(inside_any(&ranges, 11));
        assert!(!inside_any(&ranges, 12));
    }

    #[test]
    fn candidates_skip_quotes_and_code_but_keep_text() {
        let body = "/release\n> /qa ok\n```\n/stats\n```\n  /help";
        assert_eq!(candidates(body), vec!["/release", "/help"]);
    }
}
