//! Reading `.github/relman.yml` from GitHub: the I/O shell around the pure config module.
//!
//! The file is read from the default branch, its `_extends` chain followed through the GitHub
//! port, and the result validated. Answers are cached per repository for a few minutes and
//! dropped when a push touches the file. An invalid file never replaces the last good one: the
//! last good configuration keeps serving (and the push that broke it gets a failing check run).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::repo::{
    CONFIG_PATH, ConfigDocument, ConfigError, ConfigErrors, ExtendsChain, RepoConfig,
    parse_repo_config,
};
use crate::domain::config_report::Told;
use crate::github::{GitHubError, GitHubPort, RepoName};
use crate::store::Store;

/// What a repository's configuration is now.
#[derive(Debug, Clone)]
pub enum ConfigState {
    /// No `.github/relman.yml`: relman stays quiet in this repository.
    Missing,
    Valid(Arc<RepoConfig>),
    /// The file (or a base it extends) is invalid. `last_good` is what keeps serving, if relman
    /// has seen a good version since it started.
    Invalid {
        errors: ConfigErrors,
        last_good: Option<Arc<RepoConfig>>,
    },
}

impl ConfigState {
    /// The configuration to act on, if any.
    pub fn usable(&self) -> Option<&Arc<RepoConfig>> {
        match self {
            ConfigState::Valid(c) => Some(c),
            ConfigState::Invalid { last_good, .. } => last_good.as_ref(),
            ConfigState::Missing => None,
        }
    }
}

/// Reads and validates the configuration at `git_ref` (the default branch when `None`).
/// `Err` only for GitHub failures that may pass; a config problem is `Ok(Err(errors))`.
pub async fn fetch_config(
    github: &dyn GitHubPort,
    repo: &RepoName,
    git_ref: Option<&str>,
) -> Result<Option<Result<RepoConfig, ConfigErrors>>, GitHubError> {
    let Some(file) = github.get_file(repo, CONFIG_PATH, git_ref).await? else {
        return Ok(None);
    };
    let own = match ConfigDocument::parse(CONFIG_PATH, &file.text) {
        Ok(doc) => doc,
        Err(errors) => return Ok(Some(Err(errors))),
    };
    let mut chain = ExtendsChain::new(own, &repo.owner);
    loop {
        let source = match chain.next_base() {
            Ok(Some(source)) => source,
            Ok(None) => break,
            Err(errors) => return Ok(Some(Err(errors))),
        };
        let base_repo = RepoName::new(source.owner.clone(), source.repo.clone());
        let text = match github.get_file(&base_repo, &source.path, None).await {
            Ok(file) => file.map(|f| f.text),
            // The base lives in a repository the installation cannot read: a config problem
            // the user fixes (install the App there, or inline the settings), not a retry.
            Err(GitHubError::Forbidden { .. }) => {
                return Ok(Some(Err(ConfigErrors::from(vec![ConfigError {
                    file: CONFIG_PATH.to_string(),
                    line: 1,
                    column: 1,
                    message: format!("`_extends`: relman cannot read {source}"),
                    hint: Some(
                        "install the App on that repository, or copy the settings here".into(),
                    ),
                }]))));
            }
            Err(e) => return Err(e),
        };
        if let Err(errors) = chain.add_base(source, text) {
            return Ok(Some(Err(errors)));
        }
    }
    Ok(Some(chain.into_document().into_config()))
}

/// The last good configuration the store kept for `repo`, if it can be read.
async fn persisted_config(store: &Store, repo: &RepoName) -> Option<RepoConfig> {
    match store.repository(&repo.to_string()).await {
        Ok(record) => {
            let json = record?.config_json?;
            parse_repo_config("stored", &json).ok()
        }
        Err(e) => {
            tracing::warn!(repo = %repo, error = %e, "could not read the stored config");
            None
        }
    }
}

/// Per-repository cache of [`ConfigState`].
pub struct ConfigCache {
    ttl: Duration,
    entries: Mutex<HashMap<RepoName, Entry>>,
}

struct Entry {
    fetched: Instant,
    state: ConfigState,
    /// The commit the usable configuration came from, when relman saw it arrive (a push).
    good_commit: Option<String>,
    /// What relman last told the repository about its config (`handlers::config_report`).
    told: Told,
}

impl Default for ConfigCache {
    fn default() -> Self {
        ConfigCache::new(Duration::from_secs(300))
    }
}

impl ConfigCache {
    pub fn new(ttl: Duration) -> Self {
        ConfigCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RepoName, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The repository's configuration, from the cache when fresh. The last good configuration
    /// the store kept (`Store::save_repo_config`) stands in as "last good" when this process has
    /// not seen a good one yet, e.g. right after a restart.
    pub async fn get(
        &self,
        github: &dyn GitHubPort,
        store: &Store,
        repo: &RepoName,
    ) -> Result<ConfigState, GitHubError> {
        if let Some(entry) = self.lock().get(repo)
            && entry.fetched.elapsed() < self.ttl
        {
            return Ok(entry.state.clone());
        }
        let fetched = fetch_config(github, repo, None).await?;
        Ok(self.adopt(store, repo, fetched, None).await)
    }

    /// [`ConfigCache::record_at`] for an answer read from the default branch (at `commit`, when
    /// known), with the store's last good configuration standing in when this process has not
    /// seen one (after a restart).
    pub async fn adopt(
        &self,
        store: &Store,
        repo: &RepoName,
        fetched: Option<Result<RepoConfig, ConfigErrors>>,
        commit: Option<&str>,
    ) -> ConfigState {
        let known_good = self
            .lock()
            .get(repo)
            .is_some_and(|e| e.state.usable().is_some());
        if matches!(fetched, Some(Err(_)))
            && !known_good
            && let Some(config) = persisted_config(store, repo).await
        {
            self.record(repo, Some(Ok(config)));
        }
        self.record_at(repo, fetched, commit)
    }

    /// The cached state, however old: for decisions that must cost no API call.
    pub fn peek(&self, repo: &RepoName) -> Option<ConfigState> {
        self.lock().get(repo).map(|e| e.state.clone())
    }

    /// The commit the usable configuration came from, if relman saw it arrive.
    pub fn good_commit(&self, repo: &RepoName) -> Option<String> {
        self.lock().get(repo).and_then(|e| e.good_commit.clone())
    }

    /// What relman last told the repository about its config.
    pub fn told(&self, repo: &RepoName) -> Told {
        self.lock()
            .get(repo)
            .map_or(Told::Unknown, |e| e.told.clone())
    }

    /// Remembers what relman told the repository (only for a repository it has a state for).
    pub fn set_told(&self, repo: &RepoName, told: Told) {
        if let Some(entry) = self.lock().get_mut(repo) {
            entry.told = told;
        }
    }

    /// Stores a fresh answer, keeping the last good configuration through an invalid one.
    pub fn record(
        &self,
        repo: &RepoName,
        fetched: Option<Result<RepoConfig, ConfigErrors>>,
    ) -> ConfigState {
        self.record_at(repo, fetched, None)
    }

    /// [`ConfigCache::record`] for the file as of `commit` (a push to the default branch).
    pub fn record_at(
        &self,
        repo: &RepoName,
        fetched: Option<Result<RepoConfig, ConfigErrors>>,
        commit: Option<&str>,
    ) -> ConfigState {
        let mut entries = self.lock();
        let previous = entries.get(repo);
        let last_good = previous.and_then(|e| e.state.usable().cloned());
        let kept_commit = previous.and_then(|e| e.good_commit.clone());
        let told = previous.map_or(Told::Unknown, |e| e.told.clone());
        let (state, good_commit) = match fetched {
            None => (ConfigState::Missing, None),
            Some(Ok(config)) => (
                ConfigState::Valid(Arc::new(config)),
                commit.map(str::to_string),
            ),
            Some(Err(errors)) => (ConfigState::Invalid { errors, last_good }, kept_commit),
        };
        entries.insert(
            repo.clone(),
            Entry {
                fetched: Instant::now(),
                state: state.clone(),
                good_commit,
                told,
            },
        );
        state
    }

    /// Forgets the cached answer (a push touched the file), keeping the last good config so an
    /// invalid replacement cannot take its place.
    pub fn invalidate(&self, repo: &RepoName) {
        if let Some(entry) = self.lock().get_mut(repo) {
            entry.fetched = Instant::now() - self.ttl - Duration::from_secs(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;

    const GOOD: &str = "schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }\nrotation: { every: month, starts: 2026-01, members: [alice, bob] }\n";

    #[test]
    fn an_invalid_config_never_replaces_the_last_good_one() {
        let cache = ConfigCache::default();
        let repo = RepoName::new("acme", "web");
        let good = parse_repo_config(CONFIG_PATH, GOOD).unwrap();
        assert!(matches!(
            cache.record(&repo, Some(Ok(good.clone()))),
            ConfigState::Valid(_)
        ));
        let bad = parse_repo_config(CONFIG_PATH, "schedule: { weekdy: tuesday }\n").unwrap_err();
        let state = cache.record(&repo, Some(Err(bad)));
        match &state {
            ConfigState::Invalid { errors, last_good } => {
                assert!(!errors.errors().is_empty());
                assert_eq!(last_good.as_deref(), Some(&good));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(state.usable().map(|c| c.as_ref()), Some(&good));
        // Fixed again: the new config serves.
        assert!(matches!(
            cache.record(&repo, Some(Ok(good))),
            ConfigState::Valid(_)
        ));
        // Deleted: relman stops acting.
        assert!(cache.record(&repo, None).usable().is_none());
    }
}
