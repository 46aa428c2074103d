//! `_extends`: sharing configuration between repositories, with Probot's semantics.
//!
//! A file may name a base file with `_extends`. The base is fetched (by the I/O shell — this
//! module does no I/O) and deep-merged under the file: the file's own keys win, mappings merge
//! key by key, lists and scalars replace. A base may itself extend another file; the chain is
//! followed until a file without `_extends`. Nodes keep the file they came from, so an error in
//! an inherited value points into the base file.

use std::fmt;
use std::sync::Arc;

use super::decode::decode_config;
use super::types::{RepoConfig, is_github_login, is_github_repo_name};
use super::yaml::{self, Location, Node, Value};
use super::{ConfigError, ConfigErrors};

/// Where relman's configuration lives in a repository.
pub const CONFIG_PATH: &str = ".github/relman.yml";

/// How many `_extends` hops are followed before the chain is reported as too long.
pub const MAX_EXTENDS_DEPTH: usize = 8;

/// A configuration file in some repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigSource {
    pub owner: String,
    pub repo: String,
    pub path: String,
}

impl fmt::Display for ConfigSource {
    /// `owner/repo:path`, the form `_extends` itself uses; it names the file in errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.owner, self.repo, self.path)
    }
}

/// Resolves an `_extends` value written in a repository of `owner`:
/// `.github` or `repo` (same owner), `owner/repo`, each optionally followed by `:path`.
/// Without a path the base is at the same path, [`CONFIG_PATH`]. None when `value` is not of
/// that form.
pub fn extends_target(value: &str, owner: &str) -> Option<ConfigSource> {
    let (repository, path) = match value.split_once(':') {
        Some((repository, path)) => (repository, path),
        None => (value, CONFIG_PATH),
    };
    let path_ok = !path.is_empty()
        && !path.starts_with('/')
        && !path
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..");
    if !path_ok {
        return None;
    }
    let (owner, repo) = match repository.split_once('/') {
        Some((owner, repo)) => (owner, repo),
        None => (owner, repository),
    };
    (is_github_login(owner) && is_github_repo_name(repo)).then(|| ConfigSource {
        owner: owner.to_owned(),
        repo: repo.to_owned(),
        path: path.to_owned(),
    })
}

/// One configuration file, parsed but not yet validated; possibly merged with its bases.
#[derive(Debug, Clone)]
pub struct ConfigDocument {
    file: Arc<str>,
    root: Option<Node>,
    /// Problems found while parsing (duplicate keys) that are reported with validation errors.
    problems: Vec<ConfigError>,
}

impl ConfigDocument {
    /// Parses YAML text. `file` names the file in error positions, e.g. `.github/relman.yml`
    /// or, for a base file, its [`ConfigSource`] display. Only YAML syntax errors fail here;
    /// everything else is reported by [`ConfigDocument::into_config`].
    pub fn parse(file: &str, text: &str) -> Result<Self, ConfigErrors> {
        let parsed = yaml::parse(file, text).map_err(|error| ConfigErrors::from(vec![error]))?;
        Ok(ConfigDocument {
            file: Arc::from(file),
            root: parsed.root,
            problems: parsed.problems,
        })
    }

    /// The name this document reports errors under.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The `_extends` entry, if the document has one.
    fn extends_entry(&self) -> Option<(&str, &Location)> {
        let Value::Mapping(entries) = &self.root.as_ref()?.value else {
            return None;
        };
        let entry = entries.iter().find(|entry| entry.key == "_extends")?;
        match &entry.value.value {
            Value::Scalar(scalar) if !entry.value.is_null() => {
                Some((scalar.text.as_str(), &entry.value.at))
            }
            _ => Some(("", &entry.value.at)),
        }
    }

    /// The file this document extends. `owner` owns the repository the `_extends` was written
    /// in (for a merged document, the base's owner). A malformed `_extends` is an error with its
    /// position.
    pub fn extends_target(&self, owner: &str) -> Result<Option<ConfigSource>, ConfigErrors> {
        let Some((value, at)) = self.extends_entry() else {
            return Ok(None);
        };
        match extends_target(value, owner) {
            Some(source) => Ok(Some(source)),
            None => Err(ConfigErrors::from(vec![ConfigError {
                file: at.file.to_string(),
                line: at.line,
                column: at.column,
                message: format!("`_extends`: `{value}` is not a repository reference"),
                hint: Some("use `.github`, `repo`, `owner/repo`, optionally followed by `:path/to/file.yml`".to_owned()),
            }])),
        }
    }

    /// Merges this document over `base`: this document's keys win, mappings merge key by key,
    /// lists and scalars replace, and a key set to nothing (`key:`) keeps the base's value.
    /// This document's `_extends` is consumed; the result's `_extends` is the base's, so a
    /// chain can be followed further.
    pub fn merged_onto(self, base: ConfigDocument) -> ConfigDocument {
        let own_root = self.root.map(|mut root| {
            if let Value::Mapping(entries) = &mut root.value {
                entries.retain(|entry| entry.key != "_extends");
            }
            root
        });
        let root = match (base.root, own_root) {
            (Some(base), Some(own)) => Some(merge_nodes(base, own)),
            (base, own) => own.or(base),
        };
        let mut problems = base.problems;
        problems.extend(self.problems);
        ConfigDocument {
            file: self.file,
            root,
            problems,
        }
    }

    /// Validates the document into a [`RepoConfig`], reporting every problem at once.
    /// `RepoConfig::extends` is set only when an `_extends` was left unresolved.
    pub fn into_config(self) -> Result<RepoConfig, ConfigErrors> {
        decode_config(&self.file, self.root.as_ref(), self.problems).map_err(ConfigErrors::from)
    }
}

fn merge_nodes(base: Node, own: Node) -> Node {
    match (base.value, own.value) {
        (Value::Mapping(mut merged), Value::Mapping(own_entries)) => {
            for entry in own_entries {
                if entry.value.is_null() {
                    // `key:` with nothing after it reads as "not set here": keep the inherited
                    // value, or record the key (and so its position) if there is none.
                    if !merged.iter().any(|base_entry| base_entry.key == entry.key) {
                        merged.push(entry);
                    }
                    continue;
                }
                match merged
                    .iter_mut()
                    .find(|base_entry| base_entry.key == entry.key)
                {
                    Some(slot) => {
                        let placeholder = Node {
                            at: entry.value.at.clone(),
                            value: Value::Sequence(Vec::new()),
                        };
                        let base_value = std::mem::replace(&mut slot.value, placeholder);
                        slot.value = merge_nodes(base_value, entry.value);
                        slot.key_at = entry.key_at;
                    }
                    None => merged.push(entry),
                }
            }
            Node {
                at: own.at,
                value: Value::Mapping(merged),
            }
        }
        (_, own_value) => Node {
            at: own.at,
            value: own_value,
        },
    }
}

/// Parses and merges two files (own over base) and validates the result. `base` and `own` are
/// `(file name, YAML text)`; error positions name the file each value came from.
pub fn merge_configs(base: (&str, &str), own: (&str, &str)) -> Result<RepoConfig, ConfigErrors> {
    let base_document = ConfigDocument::parse(base.0, base.1);
    let own_document = ConfigDocument::parse(own.0, own.1);
    match (base_document, own_document) {
        (Ok(base), Ok(own)) => own.merged_onto(base).into_config(),
        (Err(base_errors), Err(own_errors)) => Err(ConfigErrors::from(
            base_errors
                .into_iter()
                .chain(own_errors)
                .collect::<Vec<_>>(),
        )),
        (Err(errors), Ok(_)) | (Ok(_), Err(errors)) => Err(errors),
    }
}

/// Why [`resolve_extends`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExtendsError<E> {
    /// A file of the chain is invalid, missing, or the chain loops: the user must fix the config.
    #[error("{0}")]
    Config(ConfigErrors),
    /// Fetching a base file failed for a reason that may pass (network, rate limit).
    #[error("could not fetch {file}: {error}")]
    Fetch { file: ConfigSource, error: E },
}

/// Follows the `_extends` chain of `own` (a file in a repository of `owner`), fetching each
/// base with `fetch`, and returns the merged document. `fetch` answers `Ok(None)` when the file
/// does not exist (a config error pointing at the `_extends` that names it) and `Err` when it
/// could not tell (the caller retries later).
pub async fn resolve_extends<F, E>(
    own: ConfigDocument,
    owner: &str,
    mut fetch: F,
) -> Result<ConfigDocument, ExtendsError<E>>
where
    F: AsyncFnMut(&ConfigSource) -> Result<Option<String>, E>,
{
    let mut chain = ExtendsChain::new(own, owner);
    while let Some(source) = chain.next_base().map_err(ExtendsError::Config)? {
        match fetch(&source).await {
            Ok(text) => chain.add_base(source, text).map_err(ExtendsError::Config)?,
            Err(error) => {
                return Err(ExtendsError::Fetch {
                    file: source,
                    error,
                });
            }
        }
    }
    Ok(chain.into_document())
}

/// [`resolve_extends`] one step at a time, for callers that fetch with their own loop (an
/// async closure cannot always be proven `Send`): ask [`next_base`](Self::next_base), fetch
/// it, hand it to [`add_base`](Self::add_base), until `next_base` answers `None`.
#[derive(Debug)]
pub struct ExtendsChain {
    document: ConfigDocument,
    owner: String,
    visited: Vec<ConfigSource>,
}

impl ExtendsChain {
    pub fn new(own: ConfigDocument, owner: &str) -> Self {
        ExtendsChain {
            document: own,
            owner: owner.to_owned(),
            visited: Vec::new(),
        }
    }

    fn chain_error(&self, message: String, hint: Option<String>) -> ConfigErrors {
        let at = self.document.extends_entry().map(|(_, at)| at.clone());
        let (file, line, column) = at.map_or((self.document.file.to_string(), 1, 1), |at| {
            (at.file.to_string(), at.line, at.column)
        });
        ConfigErrors::from(vec![ConfigError {
            file,
            line,
            column,
            message,
            hint,
        }])
    }

    /// The next base file to fetch; `None` when the chain is complete. Loops and chains that are
    /// too long are config errors.
    pub fn next_base(&self) -> Result<Option<ConfigSource>, ConfigErrors> {
        let Some(source) = self.document.extends_target(&self.owner)? else {
            return Ok(None);
        };
        if self.visited.contains(&source) {
            return Err(self.chain_error(
                format!("`_extends` loops back to {source}"),
                Some("remove `_extends` from one of the files in the chain".to_owned()),
            ));
        }
        if self.visited.len() == MAX_EXTENDS_DEPTH {
            return Err(self.chain_error(
                format!("`_extends` chain is longer than {MAX_EXTENDS_DEPTH} files"),
                None,
            ));
        }
        Ok(Some(source))
    }

    /// Merges the fetched base under the chain so far; `None` means the file does not exist.
    pub fn add_base(
        &mut self,
        source: ConfigSource,
        text: Option<String>,
    ) -> Result<(), ConfigErrors> {
        let Some(text) = text else {
            return Err(self.chain_error(
                format!("`_extends`: {source} does not exist"),
                Some("check the repository name and path, and that the app is installed on that repository".to_owned()),
            ));
        };
        let base = ConfigDocument::parse(&source.to_string(), &text)?;
        self.owner.clone_from(&source.owner);
        self.visited.push(source);
        let document = std::mem::replace(
            &mut self.document,
            ConfigDocument {
                file: Arc::from(""),
                root: None,
                problems: Vec::new(),
            },
        );
        self.document = document.merged_onto(base);
        Ok(())
    }

    pub fn into_document(self) -> ConfigDocument {
        self.document
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(owner: &str, repo: &str, path: &str) -> ConfigSource {
        ConfigSource {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            path: path.to_owned(),
        }
    }

    #[test]
    fn extends_target_forms() {
        assert_eq!(
            extends_target(".github", "acme"),
            Some(source("acme", ".github", CONFIG_PATH))
        );
        assert_eq!(
            extends_target("shared", "acme"),
            Some(source("acme", "shared", CONFIG_PATH))
        );
        assert_eq!(
            extends_target("other/shared", "acme"),
            Some(source("other", "shared", CONFIG_PATH))
        );
        assert_eq!(
            extends_target("shared:relman/base.yml", "acme"),
            Some(source("acme", "shared", "relman/base.yml"))
        );
        assert_eq!(
            extends_target("other/shared:base.yml", "acme"),
            Some(source("other", "shared", "base.yml"))
        );
        for bad in [
            "",
            "a/b/c",
            "shared:",
            "shared:/etc/passwd",
            "shared:../x.yml",
            "-bad/repo",
            "re po",
        ] {
            assert_eq!(extends_target(bad, "acme"), None, "{bad:?}");
        }
    }

    #[test]
    fn display_is_the_extends_form() {
        assert_eq!(
            source("acme", ".github", CONFIG_PATH).to_string(),
            "acme/.github:.github/relman.yml"
        );
    }
}
