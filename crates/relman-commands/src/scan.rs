//! Finding the lines of a comment that can hold a command.
//!
//! A comment is GitHub-flavoured markdown, and what a reader sees as code or as a quotation must
//! never run. A full markdown parser would answer that, but it tokenizes every inline element of
//! every paragraph: pulldown-cmark alone takes about 166 µs to walk the 64 KiB bench comment,
//! over the 100 µs budget, where this whole crate's `parse` takes about 25 µs (best of 200 runs,
//! release build, same machine). So this is a single pass over the lines that tracks just the
//! CommonMark block structure deciding whether a line is ordinary text, and inline code only in
//! the rare paragraph where it matters. The rules are listed in the crate documentation.

use std::ops::Range;

use memchr::{memchr, memchr2, memmem};

/// A line of paragraph text that starts with `/` after at most three spaces of indentation.
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
pub(crate) fn for_each_candidate(body: &str, visit: impl FnMut(CandidateLine)) {
    let mut scanner = Scanner {
        body: body.as_bytes(),
        block: Block::Text,
        paragraph: None,
        candidates: Vec::new(),
        visit,
    };
    let bytes = body.as_bytes();
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
        scanner.line(line_start, end, line_number);
        match next_start {
            Some(next) => {
                line_start = next;
                line_number += 1;
            }
            None => break,
        }
    }
    scanner.close_paragraph();
}

/// The leaf block the scan is inside, for blocks that span lines and hide their content.
#[derive(Debug, Clone, Copy)]
enum Block {
    /// Ordinary markdown: paragraphs, lists, headings.
    Text,
    FencedCode(Fence),
    Html(HtmlEnd),
}

#[derive(Debug, Clone, Copy)]
struct Fence {
    marker: u8,
    len: usize,
}

/// What ends a skipped HTML block.
#[derive(Debug, Clone, Copy)]
enum HtmlEnd {
    /// `-->`
    Comment,
    /// `</pre>`, `</script>`, `</style>` or `</textarea>`.
    RawText,
}

/// The paragraph the scan is in: where it started and where its last line ended.
#[derive(Debug, Clone, Copy)]
struct Paragraph {
    start: usize,
    end: usize,
}

struct Scanner<'a, F> {
    body: &'a [u8],
    block: Block,
    paragraph: Option<Paragraph>,
    /// The candidate lines of the current paragraph. They are reported when it closes, because
    /// whether a line is inside a multi-line code span depends on the lines after it.
    candidates: Vec<CandidateLine>,
    visit: F,
}

impl<F: FnMut(CandidateLine)> Scanner<'_, F> {
    fn line(&mut self, start: usize, end: usize, line_number: usize) {
        let line = &self.body[start..end];
        match self.block {
            Block::Text => {}
            Block::FencedCode(fence) => {
                if is_closing_fence(line, fence) {
                    self.block = Block::Text;
                }
                return;
            }
            Block::Html(html_end) => {
                if contains_html_end(line, html_end) {
                    self.block = Block::Text;
                }
                return;
            }
        }

        if is_blank(line) {
            self.close_paragraph();
            return;
        }
        let (indent, indent_len) = indentation(line);
        let rest = &line[indent_len..];

        if indent < 4 && rest.first() == Some(&b'>') {
            // Quoted text is someone else's words. Code blocks inside the quote end with it, so
            // nothing about the quote's content needs to be tracked.
            self.close_paragraph();
            return;
        }
        if indent >= 4 {
            // Indented code, or a continuation of the open paragraph; never a command.
            if let Some(paragraph) = &mut self.paragraph {
                paragraph.end = end;
            }
            return;
        }
        if let Some(fence) = opening_fence(rest) {
            self.close_paragraph();
            self.block = Block::FencedCode(fence);
            return;
        }
        if let Some(html_end) = html_block_start(rest) {
            self.close_paragraph();
            // The end condition may be met on the opening line itself (`<!-- note -->`); skip
            // the `<!` so that `<!-->` counts as a complete comment, as CommonMark has it.
            if !contains_html_end(rest.get(2..).unwrap_or_default(), html_end) {
                self.block = Block::Html(html_end);
            }
            return;
        }
        if is_atx_heading(rest) || is_thematic_break(rest) {
            // One-line blocks: they end the paragraph and open none.
            self.close_paragraph();
            return;
        }
        if is_list_item(rest) {
            // A list item starts a new paragraph inside the item.
            self.close_paragraph();
        }

        let paragraph = self.paragraph.get_or_insert(Paragraph { start, end });
        paragraph.end = end;
        if rest.first() == Some(&b'/') {
            self.candidates.push(CandidateLine {
                line_start: start,
                slash: start + indent_len,
                end,
                line_number,
            });
        }
    }

    fn close_paragraph(&mut self) {
        let Some(paragraph) = self.paragraph.take() else {
            return;
        };
        if self.candidates.is_empty() {
            return;
        }
        // Only a line after the first can be inside a code span opened before it; most
        // paragraphs with a command are a single line and skip the span analysis.
        let spans = if self
            .candidates
            .iter()
            .any(|candidate| candidate.line_start > paragraph.start)
        {
            code_spans(&self.body[paragraph.start..paragraph.end])
        } else {
            Vec::new()
        };
        for candidate in self.candidates.drain(..) {
            let offset = candidate.line_start - paragraph.start;
            if !inside_any(&spans, offset) {
                (self.visit)(candidate);
            }
        }
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&byte| byte == b' ' || byte == b'\t')
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

fn run_length(bytes: &[u8], of: u8) -> usize {
    bytes.iter().take_while(|&&byte| byte == of).count()
}

/// `rest` (after at most three columns of indentation) opens a code fence.
fn opening_fence(rest: &[u8]) -> Option<Fence> {
    let marker = *rest.first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let len = run_length(rest, marker);
    if len < 3 {
        return None;
    }
    // A backtick fence's info string cannot contain a backtick, or ``` `x` ``` inline code at
    // the start of a line would open a block.
    if marker == b'`' && memchr(b'`', &rest[len..]).is_some() {
        return None;
    }
    Some(Fence { marker, len })
}

fn is_closing_fence(line: &[u8], fence: Fence) -> bool {
    let (indent, indent_len) = indentation(line);
    if indent >= 4 {
        return false;
    }
    let rest = &line[indent_len..];
    let len = run_length(rest, fence.marker);
    len >= fence.len && is_blank(&rest[len..])
}

/// `rest` opens one of the HTML blocks that are skipped, and what ends it.
fn html_block_start(rest: &[u8]) -> Option<HtmlEnd> {
    if rest.starts_with(b"<!--") {
        return Some(HtmlEnd::Comment);
    }
    let after_angle = rest.strip_prefix(b"<")?;
    for tag in [&b"pre"[..], b"script", b"style", b"textarea"] {
        let Some(candidate) = after_angle.get(..tag.len()) else {
            continue;
        };
        if candidate.eq_ignore_ascii_case(tag) {
            return match after_angle.get(tag.len()) {
                None | Some(b' ' | b'\t' | b'>') => Some(HtmlEnd::RawText),
                Some(_) => None,
            };
        }
    }
    None
}

fn contains_html_end(line: &[u8], html_end: HtmlEnd) -> bool {
    match html_end {
        HtmlEnd::Comment => memmem::find(line, b"-->").is_some(),
        HtmlEnd::RawText => {
            // Only lines inside a raw HTML block get here, so a plain search is cheap enough.
            let closing_tags: [&[u8]; 4] = [b"</pre>", b"</script>", b"</style>", b"</textarea>"];
            memchr::memchr_iter(b'<', line).any(|at| {
                closing_tags.iter().any(|tag| {
                    line.get(at..at + tag.len())
                        .is_some_and(|candidate| candidate.eq_ignore_ascii_case(tag))
                })
            })
        }
    }
}

fn is_atx_heading(rest: &[u8]) -> bool {
    let hashes = run_length(rest, b'#');
    (1..=6).contains(&hashes) && matches!(rest.get(hashes), None | Some(b' ' | b'\t'))
}

/// `***`, `---`, `___`, optionally with spaces between.
fn is_thematic_break(rest: &[u8]) -> bool {
    let Some(&marker) = rest.first() else {
        return false;
    };
    if !matches!(marker, b'*' | b'-' | b'_') {
        return false;
    }
    let mut count = 0;
    for &byte in rest {
        match byte {
            b' ' | b'\t' => {}
            _ if byte == marker => count += 1,
            _ => return false,
        }
    }
    count >= 3
}

/// `- `, `* `, `+ `, `1. ` or `1) ` (up to nine digits), or the marker alone.
fn is_list_item(rest: &[u8]) -> bool {
    let marker_len = match rest.first() {
        Some(b'-' | b'*' | b'+') => 1,
        Some(byte) if byte.is_ascii_digit() => {
            let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
            if digits > 9 || !matches!(rest.get(digits), Some(b'.' | b')')) {
                return false;
            }
            digits + 1
        }
        _ => return false,
    };
    matches!(rest.get(marker_len), None | Some(b' ' | b'\t'))
}

/// The byte ranges of the code spans in a paragraph's text, in order.
///
/// CommonMark: a run of N backticks opens a span that the next run of exactly N backticks
/// closes; a run with no such closer is literal text. A backslash escapes the first backtick of
/// an opening run, but not of a closing one (backslashes are literal inside code).
fn code_spans(text: &[u8]) -> Vec<Range<usize>> {
    let runs = backtick_runs(text);
    // Run indices by length, so finding a closer is a binary search rather than a scan; a
    // paragraph of many unmatched runs stays linearithmic.
    let mut by_length: std::collections::HashMap<usize, Vec<usize>> =
        std::collections::HashMap::new();
    for (index, run) in runs.iter().enumerate() {
        by_length.entry(run.len()).or_default().push(index);
    }
    let mut spans = Vec::new();
    let mut index = 0;
    while index < runs.len() {
        let run = &runs[index];
        let escaped = run.start > 0 && preceded_by_odd_backslashes(text, run.start);
        let opener = if escaped {
            run.start + 1..run.end
        } else {
            run.clone()
        };
        let closer = by_length.get(&opener.len()).and_then(|same_length| {
            let after = same_length.partition_point(|&candidate| candidate <= index);
            same_length.get(after).copied()
        });
        match closer {
            Some(closer) if !opener.is_empty() => {
                spans.push(opener.start..runs[closer].end);
                index = closer + 1;
            }
            _ => index += 1,
        }
    }
    spans
}

fn backtick_runs(text: &[u8]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut search_from = 0;
    while let Some(offset) = memchr(b'`', &text[search_from..]) {
        let start = search_from + offset;
        let end = start + run_length(&text[start..], b'`');
        runs.push(start..end);
        search_from = end;
    }
    runs
}

fn preceded_by_odd_backslashes(text: &[u8], at: usize) -> bool {
    text[..at]
        .iter()
        .rev()
        .take_while(|&&byte| byte == b'\\')
        .count()
        % 2
        == 1
}

/// Whether `offset` lies strictly inside one of the sorted, disjoint `spans`.
fn inside_any(spans: &[Range<usize>], offset: usize) -> bool {
    let after = spans.partition_point(|span| span.start < offset);
    after > 0 && offset < spans[after - 1].end
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
    fn code_spans_pair_runs_of_equal_length() {
        assert_eq!(code_spans(b"a `b` c"), vec![2..5]);
        assert_eq!(code_spans(b"``a`b``"), vec![0..7]);
        assert_eq!(code_spans(b"`a``b"), Vec::<Range<usize>>::new());
        assert_eq!(code_spans(b"\\`a` `b`"), vec![3..6]);
        assert_eq!(code_spans(b"\\\\`a`"), vec![2..5]);
    }

    #[test]
    fn inside_any_excludes_span_edges() {
        let spans = [2..5, 8..12];
        assert!(!inside_any(&spans, 2));
        assert!(inside_any(&spans, 3));
        assert!(!inside_any(&spans, 5));
        assert!(inside_any(&spans, 11));
        assert!(!inside_any(&spans, 12));
    }

    #[test]
    fn indentation_counts_tabs_to_the_next_stop() {
        assert_eq!(indentation(b"   x"), (3, 3));
        assert_eq!(indentation(b" \tx"), (4, 2));
        assert_eq!(indentation(b"    "), (4, 4));
        assert_eq!(indentation(b""), (0, 0));
    }

    #[test]
    fn block_starts_are_recognised() {
        assert!(is_list_item(b"- x"));
        assert!(is_list_item(b"12) x"));
        assert!(!is_list_item(b"-x"));
        assert!(!is_list_item(b"1234567890. x"));
        assert!(is_thematic_break(b"* * *"));
        assert!(!is_thematic_break(b"**"));
        assert!(is_atx_heading(b"## Notes"));
        assert!(!is_atx_heading(b"#12 is merged"));
        assert!(html_block_start(b"<PRE class=\"x\">").is_some());
        assert!(html_block_start(b"<presentation>").is_none());
    }

    #[test]
    fn candidates_skip_quotes_and_code_but_keep_text() {
        let body = "/release\n> /qa ok\n```\n/stats\n```\n  /help";
        assert_eq!(candidates(body), vec!["/release", "/help"]);
    }
}
