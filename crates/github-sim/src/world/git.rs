//! Commits, trees, blobs, branches and tags: the Git side of a repository.

use std::collections::{BTreeMap, HashSet, VecDeque};

use super::{IssueState, Repo, Timestamp, World, bot_login};
use crate::objects::{self, MODE_FILE, MODE_TREE, RawCommit, RawTreeEntry};

/// The author or committer of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitActor {
    /// The GitHub account the email belongs to, if any.
    pub login: Option<String>,
    pub name: String,
    pub email: String,
    pub date: Timestamp,
}

impl GitActor {
    fn signature(&self) -> String {
        format!(
            "{} <{}> {} +0000",
            self.name,
            self.email,
            self.date.timestamp()
        )
    }
}

/// A commit in a repository's graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author: GitActor,
    pub committer: GitActor,
    /// The full file set at this commit: path -> contents.
    pub tree: BTreeMap<String, String>,
    /// The git id of the root tree.
    pub tree_sha: String,
    /// What `verification.verified` says (true for commits the App made).
    pub verified: bool,
}

/// What a new commit is made of, besides its tree.
#[derive(Debug, Clone)]
pub(crate) struct NewCommit {
    pub(crate) parents: Vec<String>,
    pub(crate) message: String,
    pub(crate) author: GitActor,
    pub(crate) committer: GitActor,
    pub(crate) verified: bool,
}

impl NewCommit {
    /// An unsigned commit authored and committed by `actor`.
    fn new(parents: Vec<String>, message: &str, actor: GitActor) -> NewCommit {
        NewCommit {
            parents,
            message: message.to_string(),
            author: actor.clone(),
            committer: actor,
            verified: false,
        }
    }
}

/// One entry of a stored tree object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub name: String,
    pub mode: String,
    /// The blob id, or the sub-tree id for directories.
    pub sha: String,
}

impl TreeEntry {
    pub fn is_tree(&self) -> bool {
        self.mode == MODE_TREE
    }
}

impl Repo {
    /// Points branch `name` at `sha`. Open pull requests from that branch follow it, as on
    /// GitHub, where a push (or force-push) to a PR's branch is the PR's new head.
    pub fn set_branch(&mut self, name: &str, sha: &str) {
        self.branches.insert(name.to_string(), sha.to_string());
        for issue in self.issues.values_mut() {
            if issue.state == IssueState::Open
                && let Some(pull) = issue.pull_request.as_mut()
                && pull.head_ref == name
            {
                pull.head_sha = sha.to_string();
            }
        }
    }

    /// Resolves a revision the way the REST API does: a full or abbreviated
    /// sha, a branch, a tag, or `heads/x`, `tags/x`, `refs/heads/x`, `refs/tags/x`.
    pub fn resolve(&self, rev: &str) -> Option<String> {
        if self.commits.contains_key(rev) {
            return Some(rev.to_string());
        }
        // `HEAD` is the default branch's head, as in the bare repository GitHub serves from.
        if rev == "HEAD" {
            return self.branches.get(&self.default_branch).cloned();
        }
        let rev = rev.strip_prefix("refs/").unwrap_or(rev);
        if let Some(branch) = rev.strip_prefix("heads/") {
            return self.branches.get(branch).cloned();
        }
        if let Some(tag) = rev.strip_prefix("tags/") {
            return self.tags.get(tag).cloned();
        }
        if let Some(sha) = self.branches.get(rev).or_else(|| self.tags.get(rev)) {
            return Some(sha.clone());
        }
        let is_hex = rev.len() >= 7 && rev.len() < 40 && rev.chars().all(|c| c.is_ascii_hexdigit());
        if is_hex {
            let mut matching = self.commits.keys().filter(|sha| sha.starts_with(rev));
            if let (Some(only), None) = (matching.next(), matching.next()) {
                return Some(only.clone());
            }
        }
        None
    }

    /// The commit `sha`, if it exists.
    pub fn commit(&self, sha: &str) -> Option<&Commit> {
        self.commits.get(sha)
    }

    /// Every commit reachable from `sha` (itself included).
    pub fn ancestors(&self, sha: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([sha.to_string()]);
        while let Some(next) = queue.pop_front() {
            if !seen.insert(next.clone()) {
                continue;
            }
            if let Some(commit) = self.commits.get(&next) {
                queue.extend(commit.parents.iter().cloned());
            }
        }
        seen
    }

    /// Whether `ancestor` is reachable from `descendant`.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        self.ancestors(descendant).contains(ancestor)
    }

    /// Commits reachable from `head` but not from `base`, parents before
    /// children (the order of `compare`'s `commits`).
    pub fn commits_between(&self, base: &str, head: &str) -> Vec<String> {
        let excluded = self.ancestors(base);
        let mut ordered = Vec::new();
        let mut visited = HashSet::new();
        // Iterative post-order walk from head, first parents first, so the
        // output is topological (a commit after all its parents).
        let mut stack: Vec<(String, bool)> = vec![(head.to_string(), false)];
        while let Some((sha, expanded)) = stack.pop() {
            if expanded {
                ordered.push(sha);
                continue;
            }
            if excluded.contains(&sha) || !visited.insert(sha.clone()) {
                continue;
            }
            stack.push((sha.clone(), true));
            if let Some(commit) = self.commits.get(&sha) {
                for parent in commit.parents.iter().rev() {
                    stack.push((parent.clone(), false));
                }
            }
        }
        ordered
    }

    /// The best common ancestor of two commits (the newest by committer date).
    ///
    /// Linear in the history: a common ancestor is "best" unless it is a proper ancestor of
    /// another, and every ancestor of a common ancestor is common, so the ones that are not best
    /// are exactly those reachable from a common ancestor's parents (one walk, not one per pair;
    /// a pull request is rendered with this, and a list renders each).
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let from_a = self.ancestors(a);
        let common: Vec<String> = self
            .ancestors(b)
            .into_iter()
            .filter(|sha| from_a.contains(sha))
            .collect();
        let mut below = HashSet::new();
        let mut queue: VecDeque<&String> = common
            .iter()
            .filter_map(|sha| self.commits.get(sha))
            .flat_map(|commit| commit.parents.iter())
            .collect();
        while let Some(sha) = queue.pop_front() {
            if below.insert(sha.as_str())
                && let Some(commit) = self.commits.get(sha)
            {
                queue.extend(commit.parents.iter());
            }
        }
        common
            .iter()
            .filter(|candidate| !below.contains(candidate.as_str()))
            .max_by_key(|sha| {
                self.commits
                    .get(sha.as_str())
                    .map(|commit| (commit.committer.date, (*sha).clone()))
            })
            .cloned()
    }

    /// Files of `path` as a directory listing at a tree, or the tree id of a
    /// sub-directory.
    pub(crate) fn subtree_sha(&self, root: &str, dir: &str) -> Option<String> {
        let mut current = root.to_string();
        for part in dir.split('/').filter(|part| !part.is_empty()) {
            let entries = self.trees.get(&current)?;
            let entry = entries
                .iter()
                .find(|entry| entry.name == part && entry.is_tree())?;
            current = entry.sha.clone();
        }
        Some(current)
    }

    /// Flattens tree `sha` into path -> (mode, blob id).
    pub(crate) fn flatten_tree(&self, sha: &str) -> Option<BTreeMap<String, (String, String)>> {
        let mut files = BTreeMap::new();
        let mut pending = vec![(String::new(), sha.to_string())];
        while let Some((prefix, tree)) = pending.pop() {
            for entry in self.trees.get(&tree)? {
                let path = format!("{prefix}{}", entry.name);
                if entry.is_tree() {
                    pending.push((format!("{path}/"), entry.sha.clone()));
                } else {
                    files.insert(path, (entry.mode.clone(), entry.sha.clone()));
                }
            }
        }
        Some(files)
    }

    /// Stores the tree objects for a flat file set and returns the root id.
    pub(crate) fn store_tree(&mut self, files: &BTreeMap<String, (String, String)>) -> String {
        /// A file still to place: its remaining path components.
        struct Pending<'a> {
            parts: Vec<&'a str>,
            mode: &'a str,
            sha: &'a str,
        }

        // Builds the tree of `files`, storing sub-trees first (depth first).
        fn build(repo: &mut Repo, files: Vec<Pending<'_>>) -> String {
            let mut entries: Vec<TreeEntry> = Vec::new();
            let mut dirs: BTreeMap<&str, Vec<Pending<'_>>> = BTreeMap::new();
            for file in files {
                match file.parts.as_slice() {
                    [] => {}
                    [name] => entries.push(TreeEntry {
                        name: (*name).to_string(),
                        mode: file.mode.to_string(),
                        sha: file.sha.to_string(),
                    }),
                    [dir, rest @ ..] => dirs.entry(dir).or_default().push(Pending {
                        parts: rest.to_vec(),
                        mode: file.mode,
                        sha: file.sha,
                    }),
                }
            }
            for (dir, children) in dirs {
                let sha = build(repo, children);
                entries.push(TreeEntry {
                    name: dir.to_string(),
                    mode: MODE_TREE.to_string(),
                    sha,
                });
            }
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            let raw: Vec<RawTreeEntry<'_>> = entries
                .iter()
                .map(|entry| RawTreeEntry {
                    mode: &entry.mode,
                    name: &entry.name,
                    sha: &entry.sha,
                })
                .collect();
            let sha = objects::tree_sha(&raw);
            repo.trees.insert(sha.clone(), entries);
            sha
        }

        let pending = files
            .iter()
            .map(|(path, (mode, sha))| Pending {
                parts: path.split('/').filter(|part| !part.is_empty()).collect(),
                mode,
                sha,
            })
            .collect();
        build(self, pending)
    }

    /// Stores `content` as a blob and returns its id.
    pub(crate) fn store_blob(&mut self, content: &str) -> String {
        let sha = objects::blob_sha(content.as_bytes());
        self.blobs.insert(sha.clone(), content.to_string());
        sha
    }

    /// The path -> contents map of tree `sha`.
    pub(crate) fn tree_contents(&self, sha: &str) -> Option<BTreeMap<String, String>> {
        let flat = self.flatten_tree(sha)?;
        flat.into_iter()
            .map(|(path, (_, blob))| self.blobs.get(&blob).map(|content| (path, content.clone())))
            .collect()
    }

    /// Points tag `tag` at `sha`, remembering creation order.
    pub(crate) fn set_tag(&mut self, tag: &str, sha: &str) {
        if self.tags.insert(tag.to_string(), sha.to_string()).is_none() {
            self.tag_order.push(tag.to_string());
        }
    }

    pub(crate) fn remove_tag(&mut self, tag: &str) -> Option<String> {
        self.tag_order.retain(|name| name != tag);
        self.tags.remove(tag)
    }
}

impl World {
    /// Resolves `rev` in `repo` (see [`Repo::resolve`]).
    pub fn resolve(&self, repo: &str, rev: &str) -> Option<String> {
        self.repos.get(repo)?.resolve(rev)
    }

    pub(super) fn git_actor(&self, login: &str, date: Timestamp) -> GitActor {
        let id = self
            .users
            .get(login)
            .map(|user| user.id)
            .unwrap_or_default();
        let name = self
            .users
            .get(login)
            .and_then(|user| user.name.clone())
            .unwrap_or_else(|| login.to_string());
        GitActor {
            login: Some(login.to_string()),
            name,
            email: format!("{id}+{login}@users.noreply.github.com"),
            date,
        }
    }

    /// Commits `files` (path, contents) on top of `branch` (creating the branch
    /// if it does not exist yet), authored by "octocat". Returns the sha.
    ///
    /// # Panics
    /// If the repository does not exist.
    pub fn commit(
        &mut self,
        repo: &str,
        branch: &str,
        message: &str,
        files: &[(&str, &str)],
    ) -> String {
        self.commit_as(repo, branch, "octocat", message, files)
    }

    /// Like [`World::commit`], authored and committed by `author`.
    pub fn commit_as(
        &mut self,
        repo: &str,
        branch: &str,
        author: &str,
        message: &str,
        files: &[(&str, &str)],
    ) -> String {
        self.ensure_user(author);
        let actor = self.git_actor(author, self.now);
        let parent = self.repo_or_panic(repo).branches.get(branch).cloned();
        let mut tree = match &parent {
            Some(parent) => self.repo_or_panic(repo).commits[parent].tree.clone(),
            None => BTreeMap::new(),
        };
        for (path, content) in files {
            tree.insert((*path).to_string(), (*content).to_string());
        }
        let sha = self.write_commit(
            repo,
            tree,
            NewCommit::new(parent.into_iter().collect(), message, actor),
        );
        let now = self.now;
        let repo = self.repo_or_panic(repo);
        repo.set_branch(branch, &sha);
        repo.pushed_at = now;
        sha
    }

    /// Deletes `paths` on `branch` in a new commit. Returns the sha.
    pub fn delete_files(
        &mut self,
        repo: &str,
        branch: &str,
        message: &str,
        paths: &[&str],
    ) -> String {
        let actor = self.git_actor("octocat", self.now);
        self.ensure_user("octocat");
        let parent = self.repo_or_panic(repo).branches.get(branch).cloned();
        let mut tree = match &parent {
            Some(parent) => self.repo_or_panic(repo).commits[parent].tree.clone(),
            None => BTreeMap::new(),
        };
        for path in paths {
            tree.remove(*path);
        }
        let sha = self.write_commit(
            repo,
            tree,
            NewCommit::new(parent.into_iter().collect(), message, actor),
        );
        self.repo_or_panic(repo)
            .branches
            .insert(branch.to_string(), sha.clone());
        sha
    }

    /// Writes a commit object with the given file set. Does not move any
    /// branch.
    pub(crate) fn write_commit(
        &mut self,
        repo: &str,
        tree: BTreeMap<String, String>,
        commit: NewCommit,
    ) -> String {
        let r = self.repo_or_panic(repo);
        let mut flat = BTreeMap::new();
        for (path, content) in &tree {
            let blob = r.store_blob(content);
            flat.insert(path.clone(), (MODE_FILE.to_string(), blob));
        }
        let tree_sha = r.store_tree(&flat);
        self.insert_commit(repo, tree, tree_sha, commit)
    }

    /// Writes a commit object for an existing tree (the Git data API), keeping
    /// that tree id as is.
    pub(crate) fn write_commit_for_tree(
        &mut self,
        repo: &str,
        tree_sha: &str,
        commit: NewCommit,
    ) -> Option<String> {
        let contents = self.repos.get(repo)?.tree_contents(tree_sha)?;
        Some(self.insert_commit(repo, contents, tree_sha.to_string(), commit))
    }

    fn insert_commit(
        &mut self,
        repo: &str,
        tree: BTreeMap<String, String>,
        tree_sha: String,
        commit: NewCommit,
    ) -> String {
        self.commit_sequence += 1;
        let sequence = self.commit_sequence;
        let sha = objects::commit_sha(&RawCommit {
            tree: &tree_sha,
            parents: &commit.parents,
            author: &commit.author.signature(),
            committer: &commit.committer.signature(),
            message: &commit.message,
            sequence,
        });
        self.repo_or_panic(repo).commits.insert(
            sha.clone(),
            Commit {
                sha: sha.clone(),
                parents: commit.parents,
                message: commit.message,
                author: commit.author,
                committer: commit.committer,
                tree,
                tree_sha,
                verified: commit.verified,
            },
        );
        sha
    }

    /// The git identity of the App's bot, for commits it makes.
    pub(crate) fn bot_actor(&self) -> GitActor {
        self.git_actor(&bot_login(), self.now)
    }

    /// Creates (or moves) branch `name` to `rev`. Returns the sha.
    ///
    /// # Panics
    /// If the repository or `rev` does not exist.
    pub fn create_branch(&mut self, repo: &str, name: &str, rev: &str) -> String {
        let Some(sha) = self.resolve(repo, rev) else {
            panic!("create_branch: {rev:?} does not resolve in {repo}");
        };
        self.repo_or_panic(repo)
            .branches
            .insert(name.to_string(), sha.clone());
        sha
    }

    /// Creates (or moves) lightweight tag `tag` to `rev`. Returns the sha.
    ///
    /// # Panics
    /// If the repository or `rev` does not exist.
    pub fn add_tag(&mut self, repo: &str, tag: &str, rev: &str) -> String {
        let Some(sha) = self.resolve(repo, rev) else {
            panic!("add_tag: {rev:?} does not resolve in {repo}");
        };
        self.repo_or_panic(repo).set_tag(tag, &sha);
        sha
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_trees_hash_like_git() {
        let mut world = World::new();
        world.add_repo("o/r");
        let repo = world.repo_mut("o/r").unwrap();
        let mut flat = BTreeMap::new();
        let hello = repo.store_blob("hello\n");
        let a = repo.store_blob("x");
        flat.insert("hello".to_string(), (MODE_FILE.to_string(), hello));
        flat.insert("d/a".to_string(), (MODE_FILE.to_string(), a));
        // `git write-tree` of the same files.
        assert_eq!(
            repo.store_tree(&flat),
            "55b7c7e95f24cf351de17177aa4457acbd1c1fbe"
        );
    }

    #[test]
    fn resolve_understands_refs_and_short_shas() {
        let mut world = World::new();
        world.add_repo("o/r");
        let sha = world.commit("o/r", "main", "second", &[("a", "1")]);
        world.add_tag("o/r", "v1.0.0", "main");
        let repo = world.repo("o/r").unwrap();
        for rev in [
            "main",
            "heads/main",
            "refs/heads/main",
            "v1.0.0",
            "tags/v1.0.0",
            &sha,
            &sha[..7],
        ] {
            assert_eq!(repo.resolve(rev).as_deref(), Some(sha.as_str()), "{rev}");
        }
        assert_eq!(repo.resolve("nope"), None);
    }
}
