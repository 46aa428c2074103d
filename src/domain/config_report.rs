//! Saying out loud that `.github/relman.yml` does not load: what the issue, the check run and
//! every command reply say, and when relman has to say it again. Pure; the shell is
//! `handlers::config_report`.
//!
//! The error set is fingerprinted ([`error_set_hash`]) so an unchanged set of errors is never
//! re-posted: the fingerprint is kept in memory and in the issue's body, so a restart that finds
//! the issue saying the same does not touch it either.

use sha2::{Digest, Sha256};

use crate::config::repo::{CONFIG_PATH, ConfigError, ConfigErrors};

/// The check run that reports the config.
pub const CHECK_NAME: &str = "relman/config";
/// The hidden marker the config issue starts with; it is found again by it.
pub const ISSUE_MARKER: &str = "<!-- relman:config:.github/relman.yml -->";
/// The label of the config issue (narrows the search for it).
pub const ISSUE_LABEL: &str = "relman-config";
/// The hidden line that carries the fingerprint of the errors the issue lists.
const HASH_PREFIX: &str = "<!-- relman:config-errors:";
/// GitHub takes at most 50 annotations per check-run request; more go in further updates.
pub const MAX_ANNOTATIONS_PER_REQUEST: usize = 50;
/// Errors listed in a command reply; the rest are counted (the issue lists them all).
const REPLY_ERRORS: usize = 3;
/// Errors listed in the issue, which GitHub caps at 65,536 characters.
const ISSUE_ERRORS: usize = 200;

/// What relman keeps doing while the file does not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meanwhile {
    /// It acts on the last configuration that loaded; its commit when relman saw it arrive.
    LastGood { commit: Option<String> },
    /// It has no configuration to act on.
    Nothing,
}

impl Meanwhile {
    /// One sentence, for the issue, the check run and replies.
    pub fn sentence(&self) -> String {
        match self {
            Meanwhile::LastGood {
                commit: Some(commit),
            } => format!(
                "Meanwhile relman keeps acting on the last configuration that loaded (from commit {}).",
                short(commit)
            ),
            Meanwhile::LastGood { commit: None } => {
                "Meanwhile relman keeps acting on the last configuration that loaded.".to_string()
            }
            Meanwhile::Nothing => format!(
                "relman has no configuration to act on until it loads: it opens no tracking issue, cuts no release, and refuses every command but `/help`. It keeps checking every push that changes `{CONFIG_PATH}`."
            ),
        }
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// A fingerprint of the error set (files, positions, messages and hints), stable across
/// processes and versions of relman.
pub fn error_set_hash(errors: &ConfigErrors) -> String {
    let mut hasher = Sha256::new();
    for e in errors {
        hasher.update(error_line(e).as_bytes());
        if let Some(hint) = &e.hint {
            hasher.update(b"\x1f");
            hasher.update(hint.as_bytes());
        }
        hasher.update(b"\n");
    }
    hex::encode(&hasher.finalize()[..8])
}

/// `file:line:col: message`, the form editors and the issue use.
pub fn error_line(e: &ConfigError) -> String {
    format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message)
}

/// The fingerprint an issue body carries, if any.
pub fn hash_in_body(body: &str) -> Option<&str> {
    let start = body.find(HASH_PREFIX)? + HASH_PREFIX.len();
    let rest = &body[start..];
    let end = rest.find(" -->")?;
    Some(&rest[..end])
}

/// The title of the config issue.
pub fn issue_title() -> String {
    format!("relman: `{CONFIG_PATH}` does not load")
}

/// The body of the config issue: marker, fingerprint, every error with its fix, and what relman
/// does meanwhile.
pub fn issue_body(errors: &ConfigErrors, meanwhile: &Meanwhile) -> String {
    let all = errors.errors();
    let mut out = format!(
        "{ISSUE_MARKER}\n{HASH_PREFIX}{} -->\n\nrelman cannot load `{CONFIG_PATH}` on the default branch: {} {}.\n\n",
        error_set_hash(errors),
        all.len(),
        plural(all.len(), "problem", "problems"),
    );
    for e in all.iter().take(ISSUE_ERRORS) {
        out.push_str(&format!("- {}\n", error_line(e)));
        if let Some(hint) = &e.hint {
            out.push_str(&format!("  fix: {hint}\n"));
        }
    }
    if all.len() > ISSUE_ERRORS {
        out.push_str(&format!(
            "- … and {} more (the `relman/config` check run of the default branch lists them on their lines)\n",
            all.len() - ISSUE_ERRORS
        ));
    }
    out.push_str(&format!(
        "\n{}\n\nFix the file on the default branch: the `relman/config` check run of each push that changes it shows every error on its line, and `relman check-config {CONFIG_PATH}` checks it locally. relman closes this issue when the file loads.\n",
        meanwhile.sentence()
    ));
    out
}

/// The comment relman closes the issue with when a push made the file load.
pub fn fixed_comment(commit: Option<&str>) -> String {
    match commit {
        Some(sha) => format!(
            "`{CONFIG_PATH}` loads again as of {}: relman acts on it from now on.",
            short(sha)
        ),
        None => format!("`{CONFIG_PATH}` loads again: relman acts on it from now on."),
    }
}

/// The comment relman closes the issue with when the file was removed.
pub fn removed_comment() -> String {
    format!("`{CONFIG_PATH}` was removed: relman takes no action in this repository.")
}

/// The check run's title and summary for a file that does not load on the default branch.
pub fn check_summary(errors: &ConfigErrors, meanwhile: &Meanwhile) -> (String, String) {
    let all = errors.errors();
    let mut summary = format!(
        "`{CONFIG_PATH}` has {} {}. {}\n\n",
        all.len(),
        plural(all.len(), "problem", "problems"),
        meanwhile.sentence()
    );
    for e in all {
        summary.push_str(&format!("- {e}\n"));
    }
    ("Configuration has errors".to_string(), summary)
}

/// The errors that can be annotated in this repository (those in its own file; a base's are
/// named in the summary), in requests of at most [`MAX_ANNOTATIONS_PER_REQUEST`].
pub fn annotation_batches(errors: &ConfigErrors) -> Vec<Vec<&ConfigError>> {
    let own: Vec<&ConfigError> = errors.iter().filter(|e| e.file == CONFIG_PATH).collect();
    own.chunks(MAX_ANNOTATIONS_PER_REQUEST)
        .map(<[&ConfigError]>::to_vec)
        .collect()
}

/// What a command reply in such a repository starts with: the errors (short) and what relman
/// keeps doing. `issue` is the config issue, when known.
pub fn reply_prefix(errors: &ConfigErrors, meanwhile: &Meanwhile, issue: Option<u64>) -> String {
    let all = errors.errors();
    let see = issue.map_or_else(String::new, |n| format!(", all of them in #{n}"));
    let mut out = format!(
        "⚠️ `{CONFIG_PATH}` does not load ({} {}{see}):\n\n",
        all.len(),
        plural(all.len(), "problem", "problems")
    );
    for e in all.iter().take(REPLY_ERRORS) {
        out.push_str(&format!("- {}\n", error_line(e)));
    }
    if all.len() > REPLY_ERRORS {
        out.push_str(&format!("- … and {} more\n", all.len() - REPLY_ERRORS));
    }
    out.push_str(&format!("\n{}\n", meanwhile.sentence()));
    out
}

/// What a command is answered when relman has no configuration to act on.
pub fn refusal() -> String {
    format!(
        "Not run: relman has no configuration to act on until `{CONFIG_PATH}` loads (see above)."
    )
}

/// What relman last told the repository about its config, as far as this process knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    /// Nothing known (e.g. since a restart): the issue may say anything.
    Unknown,
    /// The issue (its number, when known) and the check run list the errors with this
    /// fingerprint.
    Errors { hash: String, issue: Option<u64> },
    /// No issue is open.
    Clear,
}

/// What the configuration is now, as cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Now {
    /// Not read (or no longer cached): nothing to decide on.
    NotRead,
    /// No file.
    Missing,
    Loads,
    /// Does not load; the fingerprint of its errors.
    Broken {
        hash: String,
    },
}

/// What the shell should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Nothing changed.
    Nothing,
    /// Post the errors: a failing check run on the default branch head and the issue.
    Errors,
    /// The file loads (or is gone): close the issue if one is open.
    Close,
}

/// Decides from cached state only, so an event in a repository where nothing changed costs no
/// API call. `fresh` says the config was just (re)read for this work (a push that changed it,
/// an installation): only then does an unknown past (a restart) justify looking for an open
/// issue to close. A repository without the file is never looked at unless relman itself
/// reported errors there.
pub fn decide(now: &Now, told: &Told, fresh: bool) -> Report {
    match (now, told) {
        (Now::NotRead, _) => Report::Nothing,
        (Now::Broken { hash }, Told::Errors { hash: said, .. }) if hash == said => Report::Nothing,
        (Now::Broken { .. }, _) => Report::Errors,
        (Now::Loads | Now::Missing, Told::Errors { .. }) => Report::Close,
        (Now::Loads, Told::Unknown) if fresh => Report::Close,
        (Now::Loads | Now::Missing, _) => Report::Nothing,
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;

    fn errors(yaml: &str) -> ConfigErrors {
        parse_repo_config(CONFIG_PATH, yaml).expect_err("invalid")
    }

    const TYPO: &str =
        "schedule: { weekdy: tuesday, anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";

    #[test]
    fn the_issue_lists_every_error_as_file_line_col_with_its_fix() {
        let errors = errors(TYPO);
        let body = issue_body(&errors, &Meanwhile::Nothing);
        assert!(body.starts_with(ISSUE_MARKER), "{body}");
        assert!(
            body.contains("- .github/relman.yml:1:13: unknown key `weekdy`"),
            "{body}"
        );
        let e = &errors.errors()[0];
        if let Some(hint) = &e.hint {
            assert!(body.contains(&format!("  fix: {hint}")), "{body}");
        }
        assert!(body.contains("refuses every command but `/help`"), "{body}");
        assert_eq!(hash_in_body(&body), Some(error_set_hash(&errors).as_str()));

        let kept = issue_body(
            &errors,
            &Meanwhile::LastGood {
                commit: Some("0123456789abcdef".into()),
            },
        );
        assert!(
            kept.contains(
                "keeps acting on the last configuration that loaded (from commit 0123456)"
            ),
            "{kept}"
        );
    }

    #[test]
    fn the_fingerprint_changes_with_the_errors_and_only_with_them() {
        let a = errors(TYPO);
        assert_eq!(error_set_hash(&a), error_set_hash(&errors(TYPO)));
        // The same mistake one line lower is another error set: the issue names lines.
        let moved = errors(&format!("timezone: UTC\n{TYPO}"));
        assert_ne!(error_set_hash(&a), error_set_hash(&moved));
        let other = errors("schedule: { anchor: 2026-01-06 }\nrotation: { members: [] }\n");
        assert_ne!(error_set_hash(&a), error_set_hash(&other));
        assert_eq!(error_set_hash(&a).len(), 16);
        assert_eq!(hash_in_body("no marker"), None);
    }

    fn many(n: usize) -> ConfigErrors {
        ConfigErrors::from(
            (1..=n)
                .map(|line| ConfigError {
                    file: CONFIG_PATH.into(),
                    line,
                    column: 1,
                    message: format!("problem {line}"),
                    hint: None,
                })
                .chain(std::iter::once(ConfigError {
                    file: "acme/.github:.github/relman.yml".into(),
                    line: 3,
                    column: 1,
                    message: "in the base".into(),
                    hint: None,
                }))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn annotations_go_fifty_per_request_and_only_for_the_own_file() {
        let errors = many(120);
        let batches = annotation_batches(&errors);
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [50, 50, 20]
        );
        assert!(batches.concat().iter().all(|e| e.file == CONFIG_PATH));
        assert_eq!(batches[2].last().map(|e| e.line), Some(120));
        assert!(annotation_batches(&many(0)).is_empty());
        // The summary still names the base's error.
        let (_, summary) = check_summary(&many(2), &Meanwhile::Nothing);
        assert!(summary.contains("acme/.github:.github/relman.yml:3:1: in the base"));
    }

    #[test]
    fn a_reply_lists_a_few_errors_and_what_relman_keeps_doing() {
        let prefix = reply_prefix(&many(5), &Meanwhile::LastGood { commit: None }, Some(9));
        assert!(
            prefix.starts_with(
                "⚠️ `.github/relman.yml` does not load (6 problems, all of them in #9):"
            ),
            "{prefix}"
        );
        assert!(prefix.contains("- .github/relman.yml:3:1: problem 3\n- … and 3 more\n"));
        assert!(!prefix.contains("problem 4"));
        assert!(prefix.contains("keeps acting on the last configuration that loaded."));
        let nothing = reply_prefix(&errors(TYPO), &Meanwhile::Nothing, None);
        assert!(nothing.contains("(1 problem):"), "{nothing}");
        assert!(nothing.contains("no configuration to act on"), "{nothing}");
    }

    #[test]
    fn only_a_change_is_reported() {
        let broken = |h: &str| Now::Broken { hash: h.into() };
        let told = |h: &str| Told::Errors {
            hash: h.into(),
            issue: Some(3),
        };
        assert_eq!(decide(&broken("a"), &told("a"), true), Report::Nothing);
        assert_eq!(decide(&broken("b"), &told("a"), false), Report::Errors);
        assert_eq!(decide(&broken("a"), &Told::Unknown, false), Report::Errors);
        assert_eq!(decide(&broken("a"), &Told::Clear, false), Report::Errors);
        assert_eq!(decide(&Now::Loads, &told("a"), false), Report::Close);
        assert_eq!(decide(&Now::Missing, &told("a"), false), Report::Close);
        // After a restart only a fresh read looks for an issue to close.
        assert_eq!(decide(&Now::Loads, &Told::Unknown, true), Report::Close);
        assert_eq!(decide(&Now::Loads, &Told::Unknown, false), Report::Nothing);
        assert_eq!(decide(&Now::Loads, &Told::Clear, true), Report::Nothing);
        // No file and nothing said: relman stays quiet.
        assert_eq!(decide(&Now::Missing, &Told::Unknown, true), Report::Nothing);
        assert_eq!(decide(&Now::NotRead, &told("a"), true), Report::Nothing);
    }
}
