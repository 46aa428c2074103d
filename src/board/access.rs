//! Who may see which repository: what GitHub says the person's user token can read among the
//! App's installations, kept for a few minutes per person and asked again when stale. The only
//! GitHub calls a page view can cause are these.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::github::GitHubError;
use crate::github::user::OAuthClient;

/// How long an answer is trusted: access removed on GitHub disappears from the board within it.
pub const ACCESS_TTL: Duration = Duration::minutes(5);

/// Repositories as `owner/name`, lowercase.
pub type Repos = Arc<BTreeSet<String>>;

/// Per user id: when GitHub said what they can read, and what.
type Entries = HashMap<u64, (DateTime<Utc>, Repos)>;

/// Who is looking, and what they may see.
pub struct Viewer {
    pub login: String,
    pub repos: Repos,
}

impl Viewer {
    /// Whether `repo` (`owner/name`) is one the person can read.
    pub fn may_see(&self, repo: &str) -> bool {
        self.repos.contains(&repo.to_lowercase())
    }
}

/// The readable repositories per user id, with when GitHub said so.
#[derive(Default)]
pub struct AccessCache {
    entries: Mutex<Entries>,
}

/// Whether a cached answer taken at `at` still holds at `now`.
pub fn is_fresh(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= at && now - at < ACCESS_TTL
}

impl AccessCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn put(
        &self,
        user_id: u64,
        now: DateTime<Utc>,
        repos: BTreeSet<String>,
    ) -> Arc<BTreeSet<String>> {
        let repos = Arc::new(repos);
        let mut entries = self.lock();
        // Stale entries go when the map grows; a person's own entry is replaced on each ask.
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| is_fresh(*at, now));
        }
        entries.insert(user_id, (now, repos.clone()));
        repos
    }

    pub fn forget(&self, user_id: u64) {
        self.lock().remove(&user_id);
    }

    fn fresh(&self, user_id: u64, now: DateTime<Utc>) -> Option<Arc<BTreeSet<String>>> {
        self.lock()
            .get(&user_id)
            .filter(|(at, _)| is_fresh(*at, now))
            .map(|(_, repos)| repos.clone())
    }

    /// The repositories `user_id` may see: the cached answer while fresh, else GitHub's.
    pub async fn readable(
        &self,
        oauth: &OAuthClient,
        user_id: u64,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Arc<BTreeSet<String>>, GitHubError> {
        if let Some(repos) = self.fresh(user_id, now) {
            return Ok(repos);
        }
        let repos = oauth.readable_repositories(token).await?;
        Ok(self.put(user_id, now, repos))
    }
}

/// Whether the allow-list (`org` or `org/team`, lowercase) admits someone in `teams`
/// (`org/team`, lowercase). An empty list admits everyone.
pub fn admitted(allow: &[String], teams: &BTreeSet<String>) -> bool {
    allow.is_empty()
        || allow.iter().any(|entry| {
            if entry.contains('/') {
                teams.contains(entry)
            } else {
                teams
                    .iter()
                    .any(|team| team.split('/').next() == Some(entry.as_str()))
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn answers_go_stale_after_the_ttl() {
        let at = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        assert!(is_fresh(at, at + Duration::minutes(4)));
        assert!(!is_fresh(at, at + ACCESS_TTL));
        let cache = AccessCache::default();
        cache.put(1, at, BTreeSet::from(["acme/web".to_string()]));
        assert!(cache.fresh(1, at + Duration::minutes(1)).is_some());
        assert!(cache.fresh(1, at + ACCESS_TTL).is_none());
        assert!(cache.fresh(2, at).is_none());
    }

    #[test]
    fn the_allow_list_takes_orgs_and_teams() {
        let teams = BTreeSet::from(["acme/release-managers".to_string()]);
        assert!(admitted(&[], &BTreeSet::new()));
        assert!(admitted(&["acme".into()], &teams));
        assert!(admitted(&["acme/release-managers".into()], &teams));
        assert!(!admitted(&["acme/qa".into()], &teams));
        assert!(!admitted(&["other".into()], &teams));
    }
}
