//! Git object hashing.
//!
//! Blobs and trees are hashed exactly as git hashes them, so a file's `sha` in the
//! contents API is the blob id `git hash-object` would print. Commits also use
//! git's object layout, plus a sequence number, so that two commits a test makes
//! with the same content, parent and (frozen) clock still get distinct ids.

use sha1::{Digest, Sha1};

/// Mode of a regular file in a git tree.
pub const MODE_FILE: &str = "100644";
/// Mode of a sub-tree (directory) in a git tree.
pub const MODE_TREE: &str = "040000";

/// The git blob id of `content`.
pub fn blob_sha(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex::encode(hasher.finalize())
}

/// One entry of a git tree object, as hashed.
pub struct RawTreeEntry<'a> {
    pub mode: &'a str,
    pub name: &'a str,
    pub sha: &'a str,
}

/// The git tree id of `entries` (any order; sorted here the way git sorts them).
pub fn tree_sha(entries: &[RawTreeEntry<'_>]) -> String {
    // git orders tree entries by name, comparing a directory as if its name
    // ended in '/'.
    let mut sorted: Vec<&RawTreeEntry<'_>> = entries.iter().collect();
    sorted.sort_by_key(|entry| {
        let mut key = entry.name.as_bytes().to_vec();
        if entry.mode == MODE_TREE {
            key.push(b'/');
        }
        key
    });
    let mut body = Vec::new();
    for entry in sorted {
        // git writes tree modes without the leading zero.
        body.extend_from_slice(entry.mode.trim_start_matches('0').as_bytes());
        body.push(b' ');
        body.extend_from_slice(entry.name.as_bytes());
        body.push(0);
        // Ids in this crate are always produced by `hex::encode` of a sha1
        // digest; an id that does not decode contributes its text instead so
        // hashing never fails.
        match hex::decode(entry.sha) {
            Ok(raw) => body.extend_from_slice(&raw),
            Err(_) => body.extend_from_slice(entry.sha.as_bytes()),
        }
    }
    let mut hasher = Sha1::new();
    hasher.update(format!("tree {}\0", body.len()).as_bytes());
    hasher.update(&body);
    hex::encode(hasher.finalize())
}

/// The inputs of a commit id.
pub struct RawCommit<'a> {
    pub tree: &'a str,
    pub parents: &'a [String],
    pub author: &'a str,
    pub committer: &'a str,
    pub message: &'a str,
    pub sequence: u64,
}

/// The id of a commit: git's commit layout plus a sequence number.
pub fn commit_sha(commit: &RawCommit<'_>) -> String {
    let mut body = format!("tree {}\n", commit.tree);
    for parent in commit.parents {
        body.push_str(&format!("parent {parent}\n"));
    }
    body.push_str(&format!(
        "author {}\ncommitter {}\nsim-sequence {}\n\n{}",
        commit.author, commit.committer, commit.sequence, commit.message
    ));
    let mut hasher = Sha1::new();
    hasher.update(format!("commit {}\0", body.len()).as_bytes());
    hasher.update(body.as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_sha(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        // The empty blob.
        assert_eq!(blob_sha(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn tree_ids_match_git() {
        // The empty tree.
        assert_eq!(tree_sha(&[]), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
        // A tree holding `hello` = "hello\n" (`git write-tree`).
        let entries = [RawTreeEntry {
            mode: MODE_FILE,
            name: "hello",
            sha: "ce013625030ba8dba906f756967f9e9ca394464a",
        }];
        assert_eq!(
            tree_sha(&entries),
            "b4d01e9b0c4a9356736dfddf8830ba9a54f5271c"
        );
    }
}
