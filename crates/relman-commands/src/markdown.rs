//! Writing user text into bot replies without breaking their markdown.

use std::fmt;

/// Longest text of user input quoted back in an error; longer input is cut with an ellipsis so a
/// pasted paragraph does not flood the reply.
const MAX_QUOTED_CHARS: usize = 40;

/// Formats `text` as an inline code span that survives any backticks inside it.
///
/// User input inside a code span also cannot `@mention` anyone or link `#123`, which is what a
/// bot reply quoting it needs.
pub(crate) struct Code<'a>(pub &'a str);

impl fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (text, truncated) = truncate(self.0);
        // A code span is closed by a backtick run of its opening length, so open with a run
        // longer than any inside the text.
        let fence_len = longest_backtick_run(text) + 1;
        // CommonMark strips one space on each side, so padding lets the text start or end with
        // a backtick without merging into the fence.
        let pad = text.starts_with('`') || text.ends_with('`');
        let fence = "`".repeat(fence_len);
        let space = if pad { " " } else { "" };
        let ellipsis = if truncated { "…" } else { "" };
        write!(f, "{fence}{space}{text}{ellipsis}{space}{fence}")
    }
}

fn truncate(text: &str) -> (&str, bool) {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => (&text[..cut], true),
        None => (text, false),
    }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Escapes a table cell: a `|` ends the cell even inside a code span in GitHub-flavoured
/// markdown unless it is escaped.
pub(crate) fn escape_table_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_span_wraps_plain_text_in_single_backticks() {
        assert_eq!(Code("/release").to_string(), "`/release`");
    }

    #[test]
    fn code_span_uses_a_longer_fence_than_the_text_contains() {
        assert_eq!(Code("a`b").to_string(), "``a`b``");
        assert_eq!(Code("``x").to_string(), "``` ``x ```");
    }

    #[test]
    fn code_span_truncates_long_input_on_a_char_boundary() {
        let long = "é".repeat(60);
        assert_eq!(
            Code(&long).to_string(),
            format!("`{}…`", "é".repeat(MAX_QUOTED_CHARS))
        );
    }

    #[test]
    fn table_cells_escape_pipes() {
        assert_eq!(
            escape_table_cell("/signoff [staging|production]"),
            "/signoff [staging\\|production]"
        );
    }
}
