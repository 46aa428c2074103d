//! Releases: what is published for a tag.

use super::{Repo, Timestamp, World};

/// A GitHub release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    pub target_commitish: String,
    pub name: Option<String>,
    pub body: Option<String>,
    pub draft: bool,
    pub prerelease: bool,
    pub author: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `None` while a draft.
    pub published_at: Option<Timestamp>,
}

impl Repo {
    /// The release with tag `tag`.
    pub fn release_by_tag(&self, tag: &str) -> Option<&Release> {
        self.releases
            .values()
            .find(|release| release.tag_name == tag)
    }
}

impl World {
    /// Publishes a release of `tag` at `target` (creating the tag if needed),
    /// by `author`. Returns the release id.
    pub fn add_release(&mut self, repo: &str, tag: &str, target: &str, author: &str) -> u64 {
        self.ensure_user(author);
        if !self.repo_or_panic(repo).tags.contains_key(tag) {
            self.add_tag(repo, tag, target);
        }
        let id = self.next_id();
        let now = self.now;
        self.repo_or_panic(repo).releases.insert(
            id,
            Release {
                id,
                tag_name: tag.to_string(),
                target_commitish: target.to_string(),
                name: Some(tag.to_string()),
                body: Some(String::new()),
                draft: false,
                prerelease: false,
                author: author.to_string(),
                created_at: now,
                updated_at: now,
                published_at: Some(now),
            },
        );
        id
    }
}
