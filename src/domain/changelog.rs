//! What a release contains: the merged pull requests between two commits, grouped by the kind of
//! change their labels say, as Markdown. Pure.

use std::collections::HashMap;

use crate::config::repo::{Bump, BumpLabels};

/// One change in a release: a merged pull request, or a commit pushed without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The pull request number; None for a commit pushed directly.
    pub number: Option<u64>,
    pub title: String,
    /// The PR's description and the commit message under its subject, where conventional
    /// commits put a `BREAKING CHANGE:` footer.
    pub body: String,
    pub author: Option<String>,
    pub labels: Vec<String>,
    pub url: Option<String>,
    /// The commit that brought it onto the default branch.
    pub sha: String,
}

impl Change {
    /// `#12 Add export (@alice)` as a Markdown list item's text.
    pub fn line(&self) -> String {
        let mut out = String::new();
        match (self.number, &self.url) {
            (Some(n), Some(url)) => out.push_str(&format!("[#{n}]({url}) ")),
            (Some(n), None) => out.push_str(&format!("#{n} ")),
            (None, _) => out.push_str(&format!("`{}` ", short_sha(&self.sha))),
        }
        out.push_str(&escape_inline(&self.title));
        if let Some(author) = &self.author {
            out.push_str(&format!(" (@{author})"));
        }
        out
    }
}

pub fn short_sha(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// Titles are user text: keep them on one line and stop them from opening HTML comments (which
/// could hide the rest of the body, relman's markers included).
pub fn escape_inline(text: &str) -> String {
    text.replace(['\r', '\n'], " ").replace("<!--", "&lt;!--")
}

/// A changelog section, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Breaking,
    Features,
    Fixes,
    Other,
}

impl Category {
    pub fn heading(self) -> &'static str {
        match self {
            Category::Breaking => "Breaking changes",
            Category::Features => "Features",
            Category::Fixes => "Bug fixes",
            Category::Other => "Other changes",
        }
    }
}

/// The section a change belongs to: the largest bump its labels select.
pub fn category(change: &Change, labels: &BumpLabels) -> Category {
    match change
        .labels
        .iter()
        .filter_map(|l| labels.bump_for_label(l))
        .max()
    {
        Some(Bump::Major) => Category::Breaking,
        Some(Bump::Minor) => Category::Features,
        Some(Bump::Patch) => Category::Fixes,
        None => Category::Other,
    }
}

/// The changes as Markdown sections (`### Features` …), oldest first within a section, and a
/// link to the full comparison when one is given.
pub fn render_changelog(
    changes: &[Change],
    labels: &BumpLabels,
    compare_url: Option<&str>,
) -> String {
    if changes.is_empty() {
        return "No changes.\n".to_string();
    }
    let mut sections: HashMap<Category, Vec<&Change>> = HashMap::new();
    for change in changes {
        sections
            .entry(category(change, labels))
            .or_default()
            .push(change);
    }
    let mut out = String::new();
    for cat in [
        Category::Breaking,
        Category::Features,
        Category::Fixes,
        Category::Other,
    ] {
        let Some(list) = sections.get(&cat) else {
            continue;
        };
        out.push_str(&format!("### {}\n\n", cat.heading()));
        for change in list {
            out.push_str(&format!("- {}\n", change.line()));
        }
        out.push('\n');
    }
    if let Some(url) = compare_url {
        out.push_str(&format!("**Full diff**: {url}\n"));
    }
    out
}

/// The pull request a commit message names: GitHub's merge commit (`Merge pull request #12 from
/// …`) or a squash/rebase subject ending in `(#12)`.
pub fn pr_number_in_message(message: &str) -> Option<u64> {
    let subject = message.lines().next().unwrap_or_default().trim();
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return digits.parse().ok();
    }
    let inner = subject.strip_suffix(')')?;
    let start = inner.rfind("(#")?;
    inner[start + 2..].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(number: u64, title: &str, labels: &[&str]) -> Change {
        Change {
            number: Some(number),
            title: title.into(),
            body: String::new(),
            author: Some("alice".into()),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            url: Some(format!("https://github.com/acme/web/pull/{number}")),
            sha: format!("{number:040}"),
        }
    }

    #[test]
    fn changes_are_grouped_by_their_largest_bump_label() {
        let labels = BumpLabels::default();
        let changes = [
            change(1, "Fix login", &["bug"]),
            change(2, "Export CSV", &["feature", "bug"]),
            change(3, "Drop API v1", &["breaking"]),
            change(4, "Docs", &[]),
            Change {
                number: None,
                title: "Hotfix typo\nsecond line <!-- x".into(),
                body: String::new(),
                author: None,
                labels: vec![],
                url: None,
                sha: "abcdef0123456789".into(),
            },
        ];
        let text = render_changelog(&changes, &labels, Some("https://x/compare/a...b"));
        assert_eq!(
            text,
            "### Breaking changes\n\n- [#3](https://github.com/acme/web/pull/3) Drop API v1 (@alice)\n\n\
             ### Features\n\n- [#2](https://github.com/acme/web/pull/2) Export CSV (@alice)\n\n\
             ### Bug fixes\n\n- [#1](https://github.com/acme/web/pull/1) Fix login (@alice)\n\n\
             ### Other changes\n\n- [#4](https://github.com/acme/web/pull/4) Docs (@alice)\n\
             - `abcdef0` Hotfix typo second line &lt;!-- x\n\n\
             **Full diff**: https://x/compare/a...b\n"
        );
        assert_eq!(render_changelog(&[], &labels, None), "No changes.\n");
    }

    #[test]
    fn pull_request_numbers_are_read_from_merge_and_squash_subjects() {
        assert_eq!(
            pr_number_in_message("Merge pull request #12 from acme/x\n\nTitle"),
            Some(12)
        );
        assert_eq!(pr_number_in_message("Add export (#345)"), Some(345));
        assert_eq!(
            pr_number_in_message("Add export (#345)\n\nbody (#9)"),
            Some(345)
        );
        assert_eq!(pr_number_in_message("Fix (#abc)"), None);
        assert_eq!(pr_number_in_message("Plain commit"), None);
    }
}
