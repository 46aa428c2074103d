//! Contents, commits, compare, and the Git data API (refs, tags, blobs,
//! trees, commits).

use std::collections::BTreeMap;

use base64::Engine;
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiRequest, ApiResponse, ApiResult, nullable, paginate, repo_of};
use crate::objects::{MODE_FILE, MODE_TREE};
use crate::render::{self, escape};
use crate::world::{GitActor, NewCommit, Repo, World};

/// Base64 wrapped at 60 characters per line, each line ending in '\n', the
/// way the contents and blobs APIs send it.
fn wrapped_base64(content: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(content);
    let mut wrapped = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for chunk in encoded.as_bytes().chunks(60) {
        wrapped.push_str(&String::from_utf8_lossy(chunk));
        wrapped.push('\n');
    }
    wrapped
}

fn escape_path(path: &str) -> String {
    path.split('/').map(escape).collect::<Vec<_>>().join("/")
}

/// `GET /repos/{owner}/{repo}/contents/{path}?ref=`: a file, or a directory
/// listing.
pub(super) fn get_contents(
    world: &World,
    request: &ApiRequest,
    repo: &str,
    path: &str,
) -> ApiResult {
    let r = repo_of(world, repo)?;
    let git_ref = request
        .query("ref")
        .unwrap_or(&r.default_branch)
        .to_string();
    let sha = r.resolve(&git_ref).ok_or(ApiError::NotFound)?;
    let commit = r.commit(&sha).ok_or(ApiError::NotFound)?;
    let path = path.trim_matches('/');
    let full = r.full_name();
    let entry = |kind: &str, entry_path: &str, sha: &str, size: usize| {
        let escaped = escape_path(entry_path);
        let url = world.api(&format!(
            "/repos/{full}/contents/{escaped}?ref={}",
            escape(&git_ref)
        ));
        let (git_url, html_url, download_url) = if kind == "dir" {
            (
                world.api(&format!("/repos/{full}/git/trees/{sha}")),
                world.html(&format!("/{full}/tree/{git_ref}/{escaped}")),
                Value::Null,
            )
        } else {
            (
                world.api(&format!("/repos/{full}/git/blobs/{sha}")),
                world.html(&format!("/{full}/blob/{git_ref}/{escaped}")),
                json!(format!(
                    "https://raw.githubusercontent.com/{full}/{git_ref}/{escaped}"
                )),
            )
        };
        json!({
            "type": kind,
            "size": size,
            "name": entry_path.rsplit('/').next().unwrap_or(entry_path),
            "path": entry_path,
            "sha": sha,
            "url": url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": download_url,
            "_links": { "self": url, "git": git_url, "html": html_url },
        })
    };

    if let Some(content) = commit.tree.get(path) {
        let blob = crate::objects::blob_sha(content.as_bytes());
        let mut file = entry("file", path, &blob, content.len());
        file["encoding"] = json!("base64");
        file["content"] = json!(wrapped_base64(content.as_bytes()));
        return Ok(ApiResponse::ok(file));
    }
    let tree_sha = r
        .subtree_sha(&commit.tree_sha, path)
        .ok_or(ApiError::NotFound)?;
    let entries = r.trees.get(&tree_sha).ok_or(ApiError::NotFound)?;
    let listing = entries
        .iter()
        .map(|item| {
            let item_path = if path.is_empty() {
                item.name.clone()
            } else {
                format!("{path}/{}", item.name)
            };
            if item.is_tree() {
                entry("dir", &item_path, &item.sha, 0)
            } else {
                let size = r.blobs.get(&item.sha).map(String::len).unwrap_or_default();
                entry("file", &item_path, &item.sha, size)
            }
        })
        .collect();
    Ok(ApiResponse::ok(Value::Array(listing)))
}

/// Whether commit `sha` changed anything at or under `path` relative to its
/// first parent.
fn touches(r: &Repo, sha: &str, path: &str) -> bool {
    let Some(commit) = r.commit(sha) else {
        return false;
    };
    let empty = BTreeMap::new();
    let parent = commit
        .parents
        .first()
        .and_then(|p| r.commit(p))
        .map_or(&empty, |p| &p.tree);
    let prefix = format!("{}/", path.trim_end_matches('/'));
    let relevant = |file: &String| file == path || file.starts_with(&prefix);
    let changed_or_removed = parent
        .iter()
        .filter(|(file, _)| relevant(file))
        .any(|(file, content)| commit.tree.get(file) != Some(content));
    let added = commit
        .tree
        .keys()
        .filter(|file| relevant(file))
        .any(|file| !parent.contains_key(file));
    changed_or_removed || added
}

/// Ancestors of `head`, newest first (committer date, then children before
/// parents), like `git log`.
fn log(r: &Repo, head: &str) -> Vec<String> {
    let mut order = r.commits_between("", head);
    order.reverse();
    let position: BTreeMap<&String, usize> =
        order.iter().enumerate().map(|(i, sha)| (sha, i)).collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|sha| {
        let date = r.commit(sha).map(|c| c.committer.date);
        (std::cmp::Reverse(date), position.get(sha).copied())
    });
    sorted
}

fn parse_time(raw: &str, field: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.to_utc())
        .map_err(|_| ApiError::invalid(format!("Invalid value for `{field}`: {raw}")))
}

/// `GET /repos/{owner}/{repo}/commits?sha=&path=&since=&until=&author=`.
pub(super) fn list_commits(world: &World, request: &ApiRequest, repo: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let start = request.query("sha").unwrap_or(&r.default_branch);
    let head = r.resolve(start).ok_or(ApiError::NotFound)?;
    let since = request
        .query("since")
        .map(|v| parse_time(v, "since"))
        .transpose()?;
    let until = request
        .query("until")
        .map(|v| parse_time(v, "until"))
        .transpose()?;
    let items = log(r, &head)
        .iter()
        .filter_map(|sha| r.commit(sha))
        .filter(|c| since.is_none_or(|since| c.committer.date >= since))
        .filter(|c| until.is_none_or(|until| c.committer.date <= until))
        .filter(|c| {
            request
                .query("path")
                .is_none_or(|path| touches(r, &c.sha, path))
        })
        .filter(|c| {
            request.query("author").is_none_or(|author| {
                c.author.login.as_deref() == Some(author) || c.author.email == author
            })
        })
        .map(|c| render::commit(world, r, c, false))
        .collect();
    Ok(paginate(world, request, items))
}

/// `GET /repos/{owner}/{repo}/commits/{ref}`.
pub(super) fn get_commit(world: &World, repo: &str, rev: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let sha = r
        .resolve(rev)
        .ok_or_else(|| ApiError::invalid(format!("No commit found for SHA: {rev}")))?;
    let commit = r.commit(&sha).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::commit(world, r, commit, true)))
}

/// `GET /repos/{owner}/{repo}/compare/{base}...{head}`.
pub(super) fn compare(world: &World, _request: &ApiRequest, repo: &str, spec: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let (base_spec, head_spec) = spec
        .split_once("...")
        .or_else(|| spec.split_once(".."))
        .ok_or(ApiError::NotFound)?;
    // `owner:branch` names a branch in a fork; the sim has no forks.
    let strip = |spec: &str| {
        spec.split_once(':')
            .map_or(spec, |(_, rev)| rev)
            .to_string()
    };
    let base = r.resolve(&strip(base_spec)).ok_or(ApiError::NotFound)?;
    let head = r.resolve(&strip(head_spec)).ok_or(ApiError::NotFound)?;
    let merge_base = r.merge_base(&base, &head).ok_or(ApiError::NotFound)?;
    let ahead = r.commits_between(&base, &head);
    let behind = r.commits_between(&head, &base);
    let status = match (ahead.is_empty(), behind.is_empty()) {
        (true, true) => "identical",
        (false, true) => "ahead",
        (true, false) => "behind",
        (false, false) => "diverged",
    };
    let full = r.full_name();
    let base_commit = r.commit(&base).ok_or(ApiError::NotFound)?;
    let merge_base_commit = r.commit(&merge_base).ok_or(ApiError::NotFound)?;
    let head_commit = r.commit(&head).ok_or(ApiError::NotFound)?;
    let files = render::diff_files(world, r, &merge_base_commit.tree, &head_commit.tree, &head);
    let commits: Vec<Value> = ahead
        .iter()
        .take(250)
        .filter_map(|sha| r.commit(sha))
        .map(|c| render::commit(world, r, c, false))
        .collect();
    Ok(ApiResponse::ok(json!({
        "url": world.api(&format!("/repos/{full}/compare/{spec}")),
        "html_url": world.html(&format!("/{full}/compare/{spec}")),
        "permalink_url": world.html(&format!("/{full}/compare/{}...{}", &base[..7], &head[..7])),
        "diff_url": world.html(&format!("/{full}/compare/{spec}.diff")),
        "patch_url": world.html(&format!("/{full}/compare/{spec}.patch")),
        "base_commit": render::commit(world, r, base_commit, false),
        "merge_base_commit": render::commit(world, r, merge_base_commit, false),
        "status": status,
        "ahead_by": ahead.len(),
        "behind_by": behind.len(),
        "total_commits": ahead.len(),
        "commits": commits,
        "files": files,
    })))
}

/// Splits `heads/x` / `tags/x` (optionally with a `refs/` prefix) into the
/// namespace and the name.
fn split_ref(reference: &str) -> Option<(&str, &str)> {
    let reference = reference.strip_prefix("refs/").unwrap_or(reference);
    let (namespace, name) = reference.split_once('/')?;
    (matches!(namespace, "heads" | "tags") && !name.is_empty()).then_some((namespace, name))
}

fn ref_target(r: &Repo, namespace: &str, name: &str) -> Option<String> {
    match namespace {
        "heads" => r.branches.get(name).cloned(),
        _ => r.tags.get(name).cloned(),
    }
}

/// `GET /repos/{owner}/{repo}/git/ref/{ref}`.
pub(super) fn get_ref(world: &World, repo: &str, reference: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let (namespace, name) = split_ref(reference).ok_or(ApiError::NotFound)?;
    let sha = ref_target(r, namespace, name).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::git_ref(
        world,
        r,
        &format!("refs/{namespace}/{name}"),
        &sha,
    )))
}

/// `GET /repos/{owner}/{repo}/git/matching-refs/{ref}`: every ref whose name
/// starts with `refs/{ref}`, sorted by name (an empty array when none).
pub(super) fn matching_refs(world: &World, repo: &str, reference: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let prefix = format!(
        "refs/{}",
        reference.strip_prefix("refs/").unwrap_or(reference)
    );
    let mut refs: Vec<(String, &String)> = r
        .branches
        .iter()
        .map(|(name, sha)| (format!("refs/heads/{name}"), sha))
        .chain(
            r.tags
                .iter()
                .map(|(name, sha)| (format!("refs/tags/{name}"), sha)),
        )
        .filter(|(full, _)| full.starts_with(&prefix))
        .collect();
    refs.sort();
    Ok(ApiResponse::ok(Value::Array(
        refs.iter()
            .map(|(full, sha)| render::git_ref(world, r, full, sha))
            .collect(),
    )))
}

#[derive(Debug, Deserialize)]
struct CreateRef {
    #[serde(rename = "ref")]
    reference: Option<String>,
    sha: Option<String>,
}

/// `POST /repos/{owner}/{repo}/git/refs`.
pub(super) fn create_ref(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    let body: CreateRef = request.json()?;
    let (Some(reference), Some(sha)) = (body.reference, body.sha) else {
        return Err(ApiError::invalid(
            "Invalid request.\n\n\"ref\" and \"sha\" weren't supplied.",
        ));
    };
    if !reference.starts_with("refs/") || reference.matches('/').count() < 2 {
        return Err(ApiError::invalid(
            "Reference name must be fully qualified (refs/heads/... or refs/tags/...)",
        ));
    }
    let (namespace, name) = split_ref(&reference).ok_or_else(|| {
        ApiError::invalid(
            "Reference name must be fully qualified (refs/heads/... or refs/tags/...)",
        )
    })?;
    let (namespace, name) = (namespace.to_string(), name.to_string());
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    if !r.commits.contains_key(&sha) {
        return Err(ApiError::invalid("Object does not exist"));
    }
    if ref_target(r, &namespace, &name).is_some() {
        return Err(ApiError::invalid("Reference already exists"));
    }
    if namespace == "heads" {
        r.branches.insert(name.clone(), sha.clone());
    } else {
        r.set_tag(&name, &sha);
    }
    let r = repo_of(world, repo)?;
    Ok(ApiResponse::created(render::git_ref(
        world,
        r,
        &format!("refs/{namespace}/{name}"),
        &sha,
    )))
}

#[derive(Debug, Deserialize)]
struct UpdateRef {
    sha: Option<String>,
    #[serde(default)]
    force: bool,
}

/// `PATCH /repos/{owner}/{repo}/git/refs/{ref}`: a non-fast-forward move
/// needs `force`.
pub(super) fn update_ref(
    world: &mut World,
    request: &ApiRequest,
    repo: &str,
    reference: &str,
) -> ApiResult {
    let body: UpdateRef = request.json()?;
    let Some(sha) = body.sha else {
        return Err(ApiError::invalid(
            "Invalid request.\n\n\"sha\" wasn't supplied.",
        ));
    };
    let (namespace, name) =
        split_ref(reference).ok_or_else(|| ApiError::invalid("Reference does not exist"))?;
    let (namespace, name) = (namespace.to_string(), name.to_string());
    let now = world.now;
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    let current = ref_target(r, &namespace, &name)
        .ok_or_else(|| ApiError::invalid("Reference does not exist"))?;
    if !r.commits.contains_key(&sha) {
        return Err(ApiError::invalid("Object does not exist"));
    }
    if !body.force && !r.is_ancestor(&current, &sha) {
        return Err(ApiError::invalid("Update is not a fast forward"));
    }
    if namespace == "heads" {
        r.set_branch(&name, &sha);
        r.pushed_at = now;
    } else {
        r.set_tag(&name, &sha);
    }
    let r = repo_of(world, repo)?;
    Ok(ApiResponse::ok(render::git_ref(
        world,
        r,
        &format!("refs/{namespace}/{name}"),
        &sha,
    )))
}

/// `DELETE /repos/{owner}/{repo}/git/refs/{ref}`.
pub(super) fn delete_ref(world: &mut World, repo: &str, reference: &str) -> ApiResult {
    let (namespace, name) =
        split_ref(reference).ok_or_else(|| ApiError::invalid("Reference does not exist"))?;
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    let removed = match namespace {
        "heads" => r.branches.remove(name),
        _ => r.remove_tag(name),
    };
    match removed {
        Some(_) => Ok(ApiResponse::no_content()),
        None => Err(ApiError::invalid("Reference does not exist")),
    }
}

/// `GET /repos/{owner}/{repo}/tags`: newest first.
pub(super) fn list_tags(world: &World, request: &ApiRequest, repo: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let full = r.full_name();
    let items = r
        .tag_order
        .iter()
        .rev()
        .filter_map(|name| r.tags.get(name).map(|sha| (name, sha)))
        .map(|(name, sha)| {
            json!({
                "name": name,
                "zipball_url": world.api(&format!("/repos/{full}/zipball/refs/tags/{}", escape(name))),
                "tarball_url": world.api(&format!("/repos/{full}/tarball/refs/tags/{}", escape(name))),
                "commit": {
                    "sha": sha,
                    "url": world.api(&format!("/repos/{full}/commits/{sha}")),
                },
                "node_id": base64::engine::general_purpose::STANDARD.encode(format!("{}:refs/tags/{name}", r.id)),
            })
        })
        .collect();
    Ok(paginate(world, request, items))
}

#[derive(Debug, Deserialize)]
struct CreateBlob {
    content: Option<String>,
    encoding: Option<String>,
}

/// `POST /repos/{owner}/{repo}/git/blobs`. The sim models text files only, so
/// base64 content must decode to UTF-8.
pub(super) fn create_blob(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    let body: CreateBlob = request.json()?;
    let Some(content) = body.content else {
        return Err(ApiError::validation("Blob", "content", "missing_field"));
    };
    let text = match body.encoding.as_deref().unwrap_or("utf-8") {
        "utf-8" | "utf8" => content,
        "base64" => {
            let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| ApiError::invalid("content is not valid Base64"))?;
            String::from_utf8(bytes).map_err(|_| {
                ApiError::invalid("github-sim stores text blobs only; content is not UTF-8")
            })?
        }
        other => {
            return Err(ApiError::invalid(format!(
                "encoding must be one of utf-8, base64 (got {other})"
            )));
        }
    };
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    let sha = r.store_blob(&text);
    let full = r.full_name();
    Ok(ApiResponse::created(json!({
        "url": world.api(&format!("/repos/{full}/git/blobs/{sha}")),
        "sha": sha,
    })))
}

/// `GET /repos/{owner}/{repo}/git/blobs/{sha}`.
pub(super) fn get_blob(world: &World, repo: &str, sha: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let content = r.blobs.get(sha).ok_or(ApiError::NotFound)?;
    let full = r.full_name();
    Ok(ApiResponse::ok(json!({
        "sha": sha,
        "node_id": base64::engine::general_purpose::STANDARD.encode(format!("Blob:{sha}")),
        "size": content.len(),
        "url": world.api(&format!("/repos/{full}/git/blobs/{sha}")),
        "content": wrapped_base64(content.as_bytes()),
        "encoding": "base64",
    })))
}

fn render_tree(world: &World, r: &Repo, sha: &str, recursive: bool) -> Option<Value> {
    let full = r.full_name();
    let mut items = Vec::new();
    let mut pending = vec![(String::new(), sha.to_string())];
    while let Some((prefix, tree)) = pending.pop() {
        for entry in r.trees.get(&tree)? {
            let path = format!("{prefix}{}", entry.name);
            if entry.is_tree() {
                items.push(json!({
                    "path": path,
                    "mode": MODE_TREE,
                    "type": "tree",
                    "sha": entry.sha,
                    "url": world.api(&format!("/repos/{full}/git/trees/{}", entry.sha)),
                }));
                if recursive {
                    pending.push((format!("{path}/"), entry.sha.clone()));
                }
            } else {
                items.push(json!({
                    "path": path,
                    "mode": entry.mode,
                    "type": "blob",
                    "sha": entry.sha,
                    "size": r.blobs.get(&entry.sha).map(String::len).unwrap_or_default(),
                    "url": world.api(&format!("/repos/{full}/git/blobs/{}", entry.sha)),
                }));
            }
        }
    }
    items.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    Some(json!({
        "sha": sha,
        "url": world.api(&format!("/repos/{full}/git/trees/{sha}")),
        "tree": items,
        "truncated": false,
    }))
}

/// `GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=`. `sha` may also be
/// a commit or ref, whose root tree is shown.
pub(super) fn get_tree(world: &World, request: &ApiRequest, repo: &str, sha: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let tree_sha = if r.trees.contains_key(sha) {
        sha.to_string()
    } else {
        let commit = r
            .resolve(sha)
            .and_then(|c| r.commit(&c))
            .ok_or(ApiError::NotFound)?;
        commit.tree_sha.clone()
    };
    let recursive = request
        .query("recursive")
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    render_tree(world, r, &tree_sha, recursive)
        .map(ApiResponse::ok)
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Deserialize)]
struct NewTreeEntry {
    path: String,
    mode: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "nullable::deserialize")]
    sha: Option<Option<String>>,
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CreateTree {
    base_tree: Option<String>,
    tree: Option<Vec<NewTreeEntry>>,
}

/// `POST /repos/{owner}/{repo}/git/trees`: entries with `content` become new
/// blobs, entries with `sha` reuse a blob (or a sub-tree), and `sha: null`
/// deletes the path from `base_tree`.
pub(super) fn create_tree(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    let body: CreateTree = request.json()?;
    let Some(entries) = body.tree else {
        return Err(ApiError::validation("Tree", "tree", "missing_field"));
    };
    let r = world.repo_mut(repo).ok_or(ApiError::NotFound)?;
    let mut files = match &body.base_tree {
        Some(base) => r
            .flatten_tree(base)
            .ok_or_else(|| ApiError::invalid("base_tree is not a valid tree"))?,
        None => BTreeMap::new(),
    };
    for entry in entries {
        let path = entry.path.trim_matches('/').to_string();
        let under = format!("{path}/");
        match (entry.content, entry.sha) {
            (Some(content), _) => {
                let blob = r.store_blob(&content);
                let mode = entry.mode.unwrap_or_else(|| MODE_FILE.to_string());
                files.insert(path, (mode, blob));
            }
            (None, Some(None)) => {
                files.retain(|file, _| file != &path && !file.starts_with(&under));
            }
            (None, Some(Some(sha))) => {
                let is_tree = entry.kind.as_deref() == Some("tree") || r.trees.contains_key(&sha);
                if is_tree {
                    let subtree = r.flatten_tree(&sha).ok_or_else(|| {
                        ApiError::invalid(format!("tree.sha {sha} is not a valid tree"))
                    })?;
                    files.retain(|file, _| !file.starts_with(&under));
                    for (file, value) in subtree {
                        files.insert(format!("{under}{file}"), value);
                    }
                } else if r.blobs.contains_key(&sha) {
                    let mode = entry.mode.unwrap_or_else(|| MODE_FILE.to_string());
                    files.insert(path, (mode, sha));
                } else {
                    return Err(ApiError::invalid(format!(
                        "tree.sha {sha} is not a valid blob"
                    )));
                }
            }
            (None, None) => {
                return Err(ApiError::invalid(
                    "Must supply either tree.sha or tree.content",
                ));
            }
        }
    }
    let sha = r.store_tree(&files);
    let r = repo_of(world, repo)?;
    let tree = render_tree(world, r, &sha, false).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::created(tree))
}

#[derive(Debug, Deserialize)]
struct ActorArg {
    name: String,
    email: String,
    date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CreateGitCommit {
    message: Option<String>,
    tree: Option<String>,
    #[serde(default)]
    parents: Vec<String>,
    author: Option<ActorArg>,
    committer: Option<ActorArg>,
}

fn actor_from(world: &World, arg: ActorArg) -> Result<GitActor, ApiError> {
    let date = match arg.date {
        Some(date) => DateTime::parse_from_rfc3339(&date)
            .map(|d| d.to_utc())
            .map_err(|_| ApiError::validation("Commit", "date", "invalid"))?,
        None => world.now,
    };
    let login = world
        .users
        .values()
        .find(|user| user.email.as_deref() == Some(arg.email.as_str()))
        .map(|user| user.login.clone());
    Ok(GitActor {
        login,
        name: arg.name,
        email: arg.email,
        date,
    })
}

/// `POST /repos/{owner}/{repo}/git/commits`. Commits the App makes without a
/// custom author/committer are signed by GitHub (`verification.verified`).
pub(super) fn create_git_commit(world: &mut World, request: &ApiRequest, repo: &str) -> ApiResult {
    let body: CreateGitCommit = request.json()?;
    let Some(message) = body.message else {
        return Err(ApiError::validation("Commit", "message", "missing_field"));
    };
    let Some(tree) = body.tree else {
        return Err(ApiError::validation("Commit", "tree", "missing_field"));
    };
    let r = repo_of(world, repo)?;
    if !r.trees.contains_key(&tree) {
        return Err(ApiError::invalid("Tree SHA does not exist"));
    }
    if let Some(missing) = body
        .parents
        .iter()
        .find(|p| !r.commits.contains_key(p.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "Parent SHA does not exist or is not a commit object: {missing}"
        )));
    }
    let verified = body.author.is_none() && body.committer.is_none();
    let bot = world.bot_actor();
    let author = match body.author {
        Some(arg) => actor_from(world, arg)?,
        None => bot.clone(),
    };
    let committer = match body.committer {
        Some(arg) => actor_from(world, arg)?,
        None => author.clone(),
    };
    let commit = NewCommit {
        parents: body.parents,
        message,
        author,
        committer,
        verified,
    };
    let sha = world
        .write_commit_for_tree(repo, &tree, commit)
        .ok_or_else(|| ApiError::invalid("Tree SHA does not exist"))?;
    let r = repo_of(world, repo)?;
    let commit = r.commit(&sha).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::created(render::git_commit(world, r, commit)))
}

/// `GET /repos/{owner}/{repo}/git/commits/{sha}`.
pub(super) fn get_git_commit(world: &World, repo: &str, sha: &str) -> ApiResult {
    let r = repo_of(world, repo)?;
    let commit = r.commit(sha).ok_or(ApiError::NotFound)?;
    Ok(ApiResponse::ok(render::git_commit(world, r, commit)))
}
