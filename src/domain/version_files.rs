//! The files a release PR changes: the version in `Cargo.toml` (and its `Cargo.lock` entries),
//! `package.json`, a plain `VERSION` file or wherever a pattern finds it, and the new section at
//! the top of `CHANGELOG.md`. Edits keep everything else byte for byte (TOML through a
//! format-preserving editor, so comments and layout stay). A file that does not hold the
//! version of the last release is an error to report, never a silent skip. Pure.

use semver::Version;
use toml_edit::{DocumentMut, Item, Value};

use crate::config::repo::{VersionFile, VersionFileKind, compile_version_pattern};

/// Why a version file cannot be bumped, in words for the tracking issue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionFileError {
    #[error("`{path}` does not exist on the default branch")]
    Missing { path: String },
    #[error("`{path}` is not valid {format}: {message}")]
    Unreadable {
        path: String,
        format: &'static str,
        message: String,
    },
    #[error("`{path}` has no version ({looked_for})")]
    NoVersion { path: String, looked_for: String },
    #[error(
        "`{path}` says {found}, but the last release is {expected}: set {what} to {expected} on the default branch (or tag {found} if that was released by hand)"
    )]
    Mismatch {
        path: String,
        what: String,
        found: String,
        expected: String,
    },
}

/// A version file with its new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bumped {
    pub text: String,
    /// For a `Cargo.toml`: what its `Cargo.lock` must follow.
    pub cargo: Option<CargoBump>,
}

/// What a `Cargo.toml` bump means for the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoBump {
    /// `[package].name`, when `[package].version` was bumped.
    pub package: Option<String>,
    /// `[workspace.package].version` was bumped: every member inheriting it moves.
    pub workspace: bool,
    pub old: String,
}

/// Checks a version found in a file against the last release: equal is bumped, already the
/// next version is left (a retry, or someone was faster), anything else is an error.
fn check(
    path: &str,
    what: &str,
    found: &str,
    current: Option<&Version>,
    next: &Version,
) -> Result<bool, VersionFileError> {
    let parsed = Version::parse(found.trim()).ok();
    if parsed.as_ref() == Some(next) {
        return Ok(false);
    }
    match current {
        Some(current) if parsed.as_ref() != Some(current) => Err(VersionFileError::Mismatch {
            path: path.to_string(),
            what: what.to_string(),
            found: found.to_string(),
            expected: current.to_string(),
        }),
        // Never released: the file's version is the starting point, whatever it is.
        _ => Ok(true),
    }
}

/// `file`'s text with the version moved from `current` (the last release; `None` when the
/// repository was never released) to `next`.
pub fn bump_file(
    file: &VersionFile,
    text: &str,
    current: Option<&Version>,
    next: &Version,
) -> Result<Bumped, VersionFileError> {
    let path = file.path();
    match file {
        VersionFile::Pattern(p) => {
            let re = compile_version_pattern(&p.pattern).map_err(|message| {
                VersionFileError::Unreadable {
                    path: path.to_string(),
                    format: "for its pattern",
                    message,
                }
            })?;
            let caps = re
                .captures(text)
                .ok_or_else(|| VersionFileError::NoVersion {
                    path: path.to_string(),
                    looked_for: format!("nothing matches `{}`", p.pattern),
                })?;
            let found = caps
                .name("version")
                .or_else(|| caps.get(1))
                .ok_or_else(|| VersionFileError::NoVersion {
                    path: path.to_string(),
                    looked_for: format!("the version group of `{}` matched nothing", p.pattern),
                })?;
            let text = if check(path, "the version", found.as_str(), current, next)? {
                splice(text, found.range(), &next.to_string())
            } else {
                text.to_string()
            };
            Ok(Bumped { text, cargo: None })
        }
        VersionFile::Path(_) => match VersionFileKind::of_path(path) {
            Some(VersionFileKind::Cargo) => bump_cargo_toml(path, text, current, next),
            Some(VersionFileKind::PackageJson) => Ok(Bumped {
                text: bump_package_json(path, text, current, next)?,
                cargo: None,
            }),
            Some(VersionFileKind::Plain) | None => {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    return Err(VersionFileError::NoVersion {
                        path: path.to_string(),
                        looked_for: "the file is empty".into(),
                    });
                }
                let start = text.len() - text.trim_start().len();
                let text = if check(path, "its content", trimmed, current, next)? {
                    splice(text, start..start + trimmed.len(), &next.to_string())
                } else {
                    text.to_string()
                };
                Ok(Bumped { text, cargo: None })
            }
        },
    }
}

fn splice(text: &str, range: std::ops::Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..range.start], &text[range.end..])
}

/// Replaces a TOML string value, keeping its decoration (spacing and a trailing comment).
fn set_keeping_decor(item: &mut Item, next: &str) {
    if let Some(value) = item.as_value_mut() {
        let decor = value.decor().clone();
        *value = Value::from(next);
        *value.decor_mut() = decor;
    }
}

fn bump_cargo_toml(
    path: &str,
    text: &str,
    current: Option<&Version>,
    next: &Version,
) -> Result<Bumped, VersionFileError> {
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| VersionFileError::Unreadable {
                path: path.to_string(),
                format: "TOML",
                message: e.message().to_string(),
            })?;
    let next_text = next.to_string();
    let mut old: Option<String> = None;
    let mut package = None;
    let mut workspace = false;

    let package_version = doc
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(Item::as_str)
        .map(str::to_string);
    if let Some(found) = package_version {
        if check(path, "`[package].version`", &found, current, next)?
            && let Some(item) = doc.get_mut("package").and_then(|p| p.get_mut("version"))
        {
            set_keeping_decor(item, &next_text);
        }
        package = doc
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(Item::as_str)
            .map(str::to_string);
        old = Some(found);
    }
    let workspace_version = doc
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(Item::as_str)
        .map(str::to_string);
    if let Some(found) = workspace_version {
        if check(path, "`[workspace.package].version`", &found, current, next)?
            && let Some(item) = doc
                .get_mut("workspace")
                .and_then(|w| w.get_mut("package"))
                .and_then(|p| p.get_mut("version"))
        {
            set_keeping_decor(item, &next_text);
        }
        workspace = true;
        old.get_or_insert(found);
    }
    let Some(old) = old else {
        return Err(VersionFileError::NoVersion {
            path: path.to_string(),
            looked_for: "no `[package].version` or `[workspace.package].version` string".into(),
        });
    };
    Ok(Bumped {
        text: doc.to_string(),
        cargo: Some(CargoBump {
            package,
            workspace,
            old,
        }),
    })
}

/// The lock file with the bumped packages at `next`: the package named by `[package]`, and
/// for a workspace version every workspace member (the entries without a `source`) still at
/// the old version.
pub fn bump_cargo_lock(
    path: &str,
    text: &str,
    bump: &CargoBump,
    next: &Version,
) -> Result<String, VersionFileError> {
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| VersionFileError::Unreadable {
                path: path.to_string(),
                format: "TOML",
                message: e.message().to_string(),
            })?;
    let next_text = next.to_string();
    let mut matched = 0;
    if let Some(packages) = doc
        .get_mut("package")
        .and_then(Item::as_array_of_tables_mut)
    {
        for entry in packages.iter_mut() {
            if entry.contains_key("source") {
                continue;
            }
            let name = entry.get("name").and_then(Item::as_str);
            let version = entry.get("version").and_then(Item::as_str);
            let named = name.is_some() && name == bump.package.as_deref();
            if !(named || bump.workspace) {
                continue;
            }
            if version == Some(next_text.as_str()) {
                matched += 1;
            } else if version == Some(bump.old.as_str())
                && let Some(item) = entry.get_mut("version")
            {
                set_keeping_decor(item, &next_text);
                matched += 1;
            }
        }
    }
    if matched == 0 {
        let what = match &bump.package {
            Some(name) => format!("no entry for `{name}` at {}", bump.old),
            None => format!("no workspace member at {}", bump.old),
        };
        return Err(VersionFileError::NoVersion {
            path: path.to_string(),
            looked_for: what,
        });
    }
    Ok(doc.to_string())
}

/// `package.json` with its top-level `version` replaced in place (nothing else is rewritten).
fn bump_package_json(
    path: &str,
    text: &str,
    current: Option<&Version>,
    next: &Version,
) -> Result<String, VersionFileError> {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
        return Err(VersionFileError::Unreadable {
            path: path.to_string(),
            format: "JSON",
            message: e.to_string(),
        });
    }
    let Some(range) = top_level_string(text, "version") else {
        return Err(VersionFileError::NoVersion {
            path: path.to_string(),
            looked_for: "no top-level `\"version\"` string".into(),
        });
    };
    let found = &text[range.clone()];
    Ok(if check(path, "`\"version\"`", found, current, next)? {
        splice(text, range, &next.to_string())
    } else {
        text.to_string()
    })
}

/// The byte range of the contents of the string value of `key` in the top-level object of a
/// valid JSON text (escapes are not expected in a version).
fn top_level_string(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    // Reads the string starting at `bytes[at] == '"'`; returns the end (after the quote).
    let string_end = |at: usize| -> Option<usize> {
        let mut j = at + 1;
        while j < bytes.len() {
            match bytes[j] {
                b'\\' => j += 2,
                b'"' => return Some(j + 1),
                _ => j += 1,
            }
        }
        None
    };
    let skip_ws = |mut j: usize| {
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => {
                let end = string_end(i)?;
                let after = skip_ws(end);
                let is_key = bytes.get(after) == Some(&b':');
                if depth == 1 && is_key && &text[i + 1..end - 1] == key {
                    let value = skip_ws(after + 1);
                    if bytes.get(value) != Some(&b'"') {
                        return None;
                    }
                    let value_end = string_end(value)?;
                    return Some(value + 1..value_end - 1);
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    None
}

/// Whether a `## ` heading names `version` (`## [1.2.0](…) - date`, `## v1.2.0`, `## 1.2.0`).
fn heading_names(line: &str, version: &str) -> bool {
    line.starts_with("## ")
        && line
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')))
            .any(|token| token == version || token.strip_prefix('v') == Some(version))
}

/// Line starts of `text` with each line (without its newline).
fn lines_at(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        out.push((at, line.trim_end_matches(['\n', '\r'])));
        at += line.len();
    }
    out
}

/// The byte range of `version`'s section (heading to the next `## `), if the file has one.
fn section_range(text: &str, version: &str) -> Option<std::ops::Range<usize>> {
    let lines = lines_at(text);
    let start = lines.iter().position(|(_, l)| heading_names(l, version))?;
    let end = lines[start + 1..]
        .iter()
        .find(|(_, l)| l.starts_with("## "))
        .map_or(text.len(), |(at, _)| *at);
    Some(lines[start].0..end)
}

/// The changelog with `section` (a `## ` heading and its text) for `version` at the top: before
/// the first release section, after the title and preamble; a section for the same version is
/// replaced. A missing file starts with `# Changelog`.
pub fn prepend_changelog(existing: Option<&str>, version: &str, section: &str) -> String {
    let section = format!("{}\n\n", section.trim_end());
    let text = match existing {
        Some(text) if !text.trim().is_empty() => text,
        _ => return format!("# Changelog\n\n{}", section.trim_end()) + "\n",
    };
    if let Some(range) = section_range(text, version) {
        let rest = &text[range.end..];
        let joined = format!("{}{section}{rest}", &text[..range.start]);
        return format!("{}\n", joined.trim_end());
    }
    let first = lines_at(text)
        .into_iter()
        .find(|(_, l)| l.starts_with("## "))
        .map(|(at, _)| at);
    match first {
        Some(at) => format!("{}{section}{}", &text[..at], &text[at..]),
        None => format!("{}\n\n{}", text.trim_end(), section.trim_end()) + "\n",
    }
}

/// The text of `version`'s section without its heading (the GitHub release's notes).
pub fn changelog_section_text(changelog: &str, version: &str) -> Option<String> {
    let range = section_range(changelog, version)?;
    let section = &changelog[range];
    let body = section.split_once('\n').map_or("", |(_, rest)| rest);
    let body = body.trim();
    (!body.is_empty()).then(|| format!("{body}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::VersionPattern;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn path(p: &str) -> VersionFile {
        VersionFile::Path(p.into())
    }

    const CARGO: &str = r#"# The web service.
[package]
name = "web"
version = "0.13.2"   # bumped by relman's release PR
edition = "2024"

[dependencies]
serde = { version = "1", features = ["derive"] } # not this version
"#;

    #[test]
    fn cargo_toml_keeps_its_comments_and_layout() {
        let bumped =
            bump_file(&path("Cargo.toml"), CARGO, Some(&v("0.13.2")), &v("0.14.0")).unwrap();
        assert_eq!(bumped.text, CARGO.replace("\"0.13.2\"", "\"0.14.0\""));
        assert_eq!(
            bumped.cargo,
            Some(CargoBump {
                package: Some("web".into()),
                workspace: false,
                old: "0.13.2".into()
            })
        );
        // Already at the next version (a retry): unchanged, still fine.
        let again = bump_file(
            &path("Cargo.toml"),
            &bumped.text,
            Some(&v("0.13.2")),
            &v("0.14.0"),
        )
        .unwrap();
        assert_eq!(again.text, bumped.text);
    }

    #[test]
    fn a_file_without_the_last_release_is_an_error() {
        let err =
            bump_file(&path("Cargo.toml"), CARGO, Some(&v("0.13.3")), &v("0.14.0")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`Cargo.toml` says 0.13.2, but the last release is 0.13.3: set `[package].version` to 0.13.3 on the default branch (or tag 0.13.2 if that was released by hand)"
        );
        let err =
            bump_file(&path("Cargo.toml"), "[dependencies]\n", None, &v("0.1.0")).unwrap_err();
        assert!(matches!(err, VersionFileError::NoVersion { .. }), "{err}");
        let err =
            bump_file(&path("package.json"), r#"{"name": "x"}"#, None, &v("0.1.0")).unwrap_err();
        assert!(matches!(err, VersionFileError::NoVersion { .. }), "{err}");
        let err =
            bump_file(&path("crates/x/Cargo.toml"), "[package", None, &v("0.1.0")).unwrap_err();
        assert!(matches!(err, VersionFileError::Unreadable { .. }), "{err}");
    }

    #[test]
    fn a_workspace_version_moves_every_member_in_the_lock() {
        let toml =
            "[workspace]\nmembers = [\"a\", \"b\"]\n\n[workspace.package]\nversion = \"1.2.3\"\n";
        let bumped = bump_file(&path("Cargo.toml"), toml, Some(&v("1.2.3")), &v("1.3.0")).unwrap();
        assert!(bumped.text.contains("version = \"1.3.0\""));
        let lock = "# This file is automatically @generated by Cargo.\nversion = 4\n\n\
                    [[package]]\nname = \"a\"\nversion = \"1.2.3\"\n\n\
                    [[package]]\nname = \"b\"\nversion = \"1.2.3\"\ndependencies = [\n \"serde\",\n]\n\n\
                    [[package]]\nname = \"serde\"\nversion = \"1.2.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let out = bump_cargo_lock(
            "Cargo.lock",
            lock,
            bumped.cargo.as_ref().unwrap(),
            &v("1.3.0"),
        )
        .unwrap();
        assert_eq!(
            out,
            lock.replacen("version = \"1.2.3\"", "version = \"1.3.0\"", 2)
        );
        // A single crate: only its own entry.
        let single = CargoBump {
            package: Some("b".into()),
            workspace: false,
            old: "1.2.3".into(),
        };
        let out = bump_cargo_lock("Cargo.lock", lock, &single, &v("1.3.0")).unwrap();
        assert!(out.contains("name = \"a\"\nversion = \"1.2.3\""));
        assert!(out.contains("name = \"b\"\nversion = \"1.3.0\""));
        let missing = CargoBump {
            package: Some("c".into()),
            workspace: false,
            old: "1.2.3".into(),
        };
        assert!(bump_cargo_lock("Cargo.lock", lock, &missing, &v("1.3.0")).is_err());
    }

    #[test]
    fn package_json_version_plain_files_and_patterns() {
        let json = "{\n  \"name\": \"web\",\n  \"dependencies\": { \"version\": \"9.9.9\" },\n  \"version\": \"0.13.2\"\n}\n";
        let out = bump_file(
            &path("package.json"),
            json,
            Some(&v("0.13.2")),
            &v("0.14.0"),
        )
        .unwrap();
        assert_eq!(out.text, json.replace("0.13.2", "0.14.0"));

        let out = bump_file(
            &path("VERSION"),
            "0.13.2\n",
            Some(&v("0.13.2")),
            &v("0.13.3"),
        )
        .unwrap();
        assert_eq!(out.text, "0.13.3\n");

        let file = VersionFile::Pattern(VersionPattern {
            path: "src/version.py".into(),
            pattern: r#"__version__ = "(?P<version>[^"]+)""#.into(),
        });
        let py = "# generated\n__version__ = \"0.13.2\"\nOTHER = \"0.13.2\"\n";
        let out = bump_file(&file, py, Some(&v("0.13.2")), &v("1.0.0")).unwrap();
        assert_eq!(
            out.text,
            "# generated\n__version__ = \"1.0.0\"\nOTHER = \"0.13.2\"\n"
        );
        assert!(bump_file(&file, "nothing", None, &v("1.0.0")).is_err());
    }

    #[test]
    fn the_changelog_gets_a_section_at_the_top() {
        let existing = "# Changelog\n\nAll notable changes.\n\n## [0.13.2] - 2026-11-24\n\n### Bug Fixes\n\n- old fix\n";
        let section = "## [0.14.0] - 2026-12-08\n\n### Features\n\n- new\n";
        let out = prepend_changelog(Some(existing), "0.14.0", section);
        assert_eq!(
            out,
            "# Changelog\n\nAll notable changes.\n\n## [0.14.0] - 2026-12-08\n\n### Features\n\n- new\n\n## [0.13.2] - 2026-11-24\n\n### Bug Fixes\n\n- old fix\n"
        );
        // Regenerated: the same version's section is replaced, not added twice.
        let again = prepend_changelog(
            Some(&out),
            "0.14.0",
            "## [0.14.0] - 2026-12-08\n\n- newer\n",
        );
        assert_eq!(again.matches("## [0.14.0]").count(), 1);
        assert!(again.contains("- newer\n\n## [0.13.2]"), "{again}");
        assert_eq!(
            prepend_changelog(None, "0.1.0", section),
            format!("# Changelog\n\n{section}")
        );
        assert_eq!(
            prepend_changelog(Some("# Changes\n"), "0.14.0", section),
            format!("# Changes\n\n{section}")
        );
        assert_eq!(
            changelog_section_text(&out, "0.14.0").as_deref(),
            Some("### Features\n\n- new\n")
        );
        assert_eq!(changelog_section_text(&out, "0.14"), None);
    }
}
