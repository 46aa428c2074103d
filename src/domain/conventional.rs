//! What a release says about its changes, by the configured source: conventional commits
//! (conventionalcommits.org: `feat(api)!: drop v1`, a `BREAKING CHANGE:` footer) or the merged
//! PRs' labels. From it come the bump, the sections of the release notes and of the
//! `CHANGELOG.md` section a release PR adds. Release commits themselves and bare merge commits
//! are left out, so nothing is listed twice. Pure.

use chrono::NaiveDate;

use super::changelog::{Category, Change, category, escape_inline, short_sha};
use crate::config::repo::{Bump, VersionSource, Versioning};

/// A subject read as a conventional commit: `type(scope)!: description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional<'a> {
    /// Lower-cased (`Feat:` is read as `feat`).
    pub kind: String,
    pub scope: Option<&'a str>,
    /// `!` before the colon.
    pub bang: bool,
    pub description: &'a str,
}

/// `subject` as a conventional commit, or `None` when it is not one.
pub fn parse(subject: &str) -> Option<Conventional<'_>> {
    let subject = subject.trim();
    let colon = subject.find(':')?;
    let (head, rest) = (&subject[..colon], &subject[colon + 1..]);
    // The spec asks for a space after the colon; a description is required.
    if !rest.starts_with([' ', '\t']) || rest.trim().is_empty() {
        return None;
    }
    let (head, bang) = match head.strip_suffix('!') {
        Some(h) => (h, true),
        None => (head, false),
    };
    let (kind, scope) = match head.find('(') {
        Some(open) => {
            let scope = head[open + 1..].strip_suffix(')')?;
            if scope.is_empty() || scope.contains(['(', ')']) {
                return None;
            }
            (&head[..open], Some(scope))
        }
        None => (head, None),
    };
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some(Conventional {
        kind: kind.to_ascii_lowercase(),
        scope,
        bang,
        description: rest.trim(),
    })
}

/// A `BREAKING CHANGE:` (or `BREAKING-CHANGE:`) footer on a line of its own.
pub fn has_breaking_footer(body: &str) -> bool {
    body.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with("BREAKING CHANGE:") || line.starts_with("BREAKING-CHANGE:")
    })
}

/// A section of the release notes, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Breaking,
    Features,
    Fixes,
    Performance,
    Refactor,
    Documentation,
    Tests,
    Chore,
    Other,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Breaking,
        Section::Features,
        Section::Fixes,
        Section::Performance,
        Section::Refactor,
        Section::Documentation,
        Section::Tests,
        Section::Chore,
        Section::Other,
    ];

    pub fn heading(self) -> &'static str {
        match self {
            Section::Breaking => "Breaking Changes",
            Section::Features => "Features",
            Section::Fixes => "Bug Fixes",
            Section::Performance => "Performance",
            Section::Refactor => "Refactor",
            Section::Documentation => "Documentation",
            Section::Tests => "Tests",
            Section::Chore => "Chore",
            Section::Other => "Other Changes",
        }
    }

    fn of_kind(kind: &str) -> Section {
        match kind {
            "feat" | "feature" => Section::Features,
            "fix" => Section::Fixes,
            "perf" => Section::Performance,
            "refactor" => Section::Refactor,
            "docs" | "doc" => Section::Documentation,
            "test" | "tests" => Section::Tests,
            "chore" | "build" | "ci" => Section::Chore,
            _ => Section::Other,
        }
    }

    fn bump(self) -> Option<Bump> {
        match self {
            Section::Breaking => Some(Bump::Major),
            Section::Features => Some(Bump::Minor),
            Section::Fixes | Section::Performance => Some(Bump::Patch),
            _ => None,
        }
    }
}

/// One change as the release notes list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub section: Section,
    pub change: &'a Change,
    pub scope: Option<&'a str>,
    /// The title without its conventional prefix.
    pub text: &'a str,
}

impl Entry<'_> {
    /// `**api:** add export ([#12](…), @bob)`.
    pub fn line(&self) -> String {
        let mut out = String::new();
        if let Some(scope) = self.scope {
            out.push_str(&format!("**{}:** ", escape_inline(scope)));
        }
        out.push_str(&escape_inline(self.text));
        let mut refs = Vec::new();
        match (self.change.number, &self.change.url) {
            (Some(n), Some(url)) => refs.push(format!("[#{n}]({url})")),
            (Some(n), None) => refs.push(format!("#{n}")),
            (None, _) => refs.push(format!("`{}`", short_sha(&self.change.sha))),
        }
        if let Some(author) = &self.change.author {
            refs.push(format!("@{author}"));
        }
        out.push_str(&format!(" ({})", refs.join(", ")));
        out
    }
}

/// A change relman's own release PR (or a hand-made release commit) made: not a change to list.
pub fn is_release_change(change: &Change) -> bool {
    let title = change.title.trim_start();
    title.starts_with("chore: release ") || title.starts_with("chore(release): ")
}

/// A merge commit no pull request claimed (`Merge branch 'x'`): its content is listed by the
/// commits or PRs it merged, so it is not listed itself.
fn is_bare_merge(change: &Change) -> bool {
    change.number.is_none()
        && [
            "Merge branch ",
            "Merge remote-tracking branch ",
            "Merge pull request #",
        ]
        .iter()
        .any(|p| change.title.starts_with(p))
}

/// The changes to list, each in its section, oldest first.
pub fn entries<'a>(changes: &'a [Change], versioning: &Versioning) -> Vec<Entry<'a>> {
    changes
        .iter()
        .filter(|c| !is_release_change(c) && !is_bare_merge(c))
        .map(|change| match versioning.source {
            VersionSource::ConventionalCommits => match parse(&change.title) {
                Some(cc) => Entry {
                    section: if cc.bang || has_breaking_footer(&change.body) {
                        Section::Breaking
                    } else {
                        Section::of_kind(&cc.kind)
                    },
                    change,
                    scope: cc.scope,
                    text: cc.description,
                },
                None => Entry {
                    section: if has_breaking_footer(&change.body) {
                        Section::Breaking
                    } else {
                        Section::Other
                    },
                    change,
                    scope: None,
                    text: change.title.trim(),
                },
            },
            VersionSource::Labels => Entry {
                section: match category(change, &versioning.bump_labels) {
                    Category::Breaking => Section::Breaking,
                    Category::Features => Section::Features,
                    Category::Fixes => Section::Fixes,
                    Category::Other => Section::Other,
                },
                change,
                scope: None,
                text: change.title.trim(),
            },
        })
        .collect()
}

/// The bump the changes ask for: the largest any of them selects, else the configured default.
pub fn bump_for_changes(changes: &[Change], versioning: &Versioning) -> Bump {
    entries(changes, versioning)
        .iter()
        .filter_map(|e| e.section.bump())
        .max()
        .unwrap_or(versioning.default_bump)
}

/// The sections as Markdown (`### Features` and a list each), headings at `level` (`###`).
fn render_sections(entries: &[Entry<'_>], level: &str) -> String {
    let mut out = String::new();
    for section in Section::ALL {
        let lines: Vec<String> = entries
            .iter()
            .filter(|e| e.section == section)
            .map(|e| format!("- {}\n", e.line()))
            .collect();
        if lines.is_empty() {
            continue;
        }
        out.push_str(&format!("{level} {}\n\n", section.heading()));
        out.extend(lines);
        out.push('\n');
    }
    out
}

/// The release notes (the GitHub release's and the release PR's body): sections, then the link
/// to the full comparison.
pub fn release_notes(
    changes: &[Change],
    versioning: &Versioning,
    compare_url: Option<&str>,
) -> String {
    let entries = entries(changes, versioning);
    if entries.is_empty() {
        return "No changes.\n".to_string();
    }
    let mut out = render_sections(&entries, "###");
    if let Some(url) = compare_url {
        out.push_str(&format!("**Full diff**: {url}\n"));
    }
    out
}

/// The `CHANGELOG.md` section of a release: `## [0.14.0](compare) - 2026-12-08` and its
/// sections.
pub fn changelog_section(
    version: &str,
    date: NaiveDate,
    changes: &[Change],
    versioning: &Versioning,
    compare_url: Option<&str>,
) -> String {
    let title = match compare_url {
        Some(url) => format!("## [{version}]({url}) - {date}"),
        None => format!("## {version} - {date}"),
    };
    let entries = entries(changes, versioning);
    let body = if entries.is_empty() {
        "No changes.\n\n".to_string()
    } else {
        render_sections(&entries, "###")
    };
    format!("{title}\n\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(number: u64, title: &str, body: &str, labels: &[&str]) -> Change {
        Change {
            number: Some(number),
            title: title.into(),
            body: body.into(),
            author: Some("bob".into()),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            url: Some(format!("https://github.com/acme/web/pull/{number}")),
            sha: format!("{number:040}"),
        }
    }

    fn conventional() -> Versioning {
        Versioning {
            source: VersionSource::ConventionalCommits,
            ..Versioning::default()
        }
    }

    #[test]
    fn subjects_parse_as_the_spec_writes_them() {
        let cc = parse("feat(api)!: drop v1").unwrap();
        assert_eq!(
            (cc.kind.as_str(), cc.scope, cc.bang, cc.description),
            ("feat", Some("api"), true, "drop v1")
        );
        let cc = parse("Fix: login redirect").unwrap();
        assert_eq!((cc.kind.as_str(), cc.scope, cc.bang), ("fix", None, false));
        for not in [
            "Add export",
            "feat:no space",
            "feat: ",
            "feat(): x",
            "fe at: x",
            "Merge pull request #1 from a/b",
            "feat(a(b)): x",
        ] {
            assert_eq!(parse(not), None, "{not}");
        }
        assert!(has_breaking_footer(
            "body\n\nBREAKING CHANGE: the API moved"
        ));
        assert!(has_breaking_footer("BREAKING-CHANGE: x"));
        assert!(!has_breaking_footer("no BREAKING CHANGE: inline"));
    }

    #[test]
    fn the_bump_follows_the_largest_change() {
        let v = conventional();
        let fix = change(1, "fix: login", "", &[]);
        let docs = change(2, "docs: readme", "", &[]);
        let feat = change(3, "feat(ui): dark mode", "", &[]);
        let bang = change(4, "refactor!: drop v1", "", &[]);
        let footer = change(
            5,
            "chore: bump deps",
            "BREAKING CHANGE: needs Rust 1.94",
            &[],
        );
        assert_eq!(
            bump_for_changes(&[fix.clone(), docs.clone()], &v),
            Bump::Patch
        );
        assert_eq!(
            bump_for_changes(&[fix.clone(), feat.clone()], &v),
            Bump::Minor
        );
        assert_eq!(bump_for_changes(&[fix.clone(), bang], &v), Bump::Major);
        assert_eq!(bump_for_changes(&[docs.clone(), footer], &v), Bump::Major);
        assert_eq!(bump_for_changes(&[docs], &v), v.default_bump);
        // The release commit of the last release PR selects nothing.
        let release = change(
            6,
            "chore: release 2.0.0",
            "BREAKING CHANGE: x",
            &["release"],
        );
        assert_eq!(bump_for_changes(&[fix, release], &v), Bump::Patch);
        // Labels when the source says so: a `feat:` title without a label is the default.
        let labels = Versioning::default();
        assert_eq!(bump_for_changes(&[feat], &labels), labels.default_bump);
        assert_eq!(
            bump_for_changes(&[change(7, "Drop v1", "", &["breaking"])], &labels),
            Bump::Major
        );
    }

    #[test]
    fn sections_list_each_change_once_with_its_pr_and_author() {
        let v = conventional();
        let changes = [
            change(1, "feat(api): add CSV export", "", &[]),
            change(2, "fix: login redirect <!-- x", "", &[]),
            change(3, "feat!: drop the v1 API", "", &[]),
            change(4, "Tidy the README", "", &[]),
            change(5, "chore: release 0.13.2", "", &["release"]),
            Change {
                number: None,
                title: "Merge branch 'main' into topic".into(),
                body: String::new(),
                author: None,
                labels: vec![],
                url: None,
                sha: "abcdef0123".into(),
            },
            Change {
                number: None,
                title: "test: cover the exporter".into(),
                body: String::new(),
                author: Some("carol".into()),
                labels: vec![],
                url: None,
                sha: "0123456789".into(),
            },
        ];
        let date = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let text = changelog_section(
            "0.14.0",
            date,
            &changes,
            &v,
            Some("https://github.com/acme/web/compare/0.13.2...0.14.0"),
        );
        assert_eq!(
            text,
            "## [0.14.0](https://github.com/acme/web/compare/0.13.2...0.14.0) - 2026-12-08\n\n\
             ### Breaking Changes\n\n- drop the v1 API ([#3](https://github.com/acme/web/pull/3), @bob)\n\n\
             ### Features\n\n- **api:** add CSV export ([#1](https://github.com/acme/web/pull/1), @bob)\n\n\
             ### Bug Fixes\n\n- login redirect &lt;!-- x ([#2](https://github.com/acme/web/pull/2), @bob)\n\n\
             ### Tests\n\n- cover the exporter (`0123456`, @carol)\n\n\
             ### Other Changes\n\n- Tidy the README ([#4](https://github.com/acme/web/pull/4), @bob)\n\n"
        );
        let notes = release_notes(&changes[..2], &v, Some("https://x/compare/a...b"));
        assert!(
            notes.ends_with("**Full diff**: https://x/compare/a...b\n"),
            "{notes}"
        );
        assert_eq!(release_notes(&changes[4..5], &v, None), "No changes.\n");
    }
}
