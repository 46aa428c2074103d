//! GitHub-shaped webhook payloads of the sizes real deliveries have, for the criterion benches
//! and the load generator.
//!
//! * `2k`: an `issue_comment.created` in the compact shape GitHub uses for small comment events
//!   (a short slash command plus the issue, repository, sender and installation).
//! * `30k`: a `pull_request.opened` with everything GitHub sends for it: the repository object
//!   three times (`repository`, `pull_request.head.repo`, `pull_request.base.repo`), full user
//!   objects, labels, reviewers, and a description filling the rest.
//! * `1m`: a `push` of 20 commits (GitHub lists at most 20) touching many files, as a large
//!   refactoring or a vendored dependency update does.
//!
//! Every payload is built for one of many repositories (spread over several organisations and
//! installations), so relman's per-repository queues look like a busy installation's rather than
//! one hot queue. The same `(size, seq, repos)` always gives the same bytes.

#![allow(
    dead_code,
    reason = "shared by several bench targets, each using a part of it"
)]

use std::fmt::Write as _;
use std::str::FromStr;

use serde_json::{Value, json};

/// The delivery sizes the benchmarks measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadSize {
    Small2k,
    Medium30k,
    Large1m,
}

impl PayloadSize {
    pub const ALL: [PayloadSize; 3] = [
        PayloadSize::Small2k,
        PayloadSize::Medium30k,
        PayloadSize::Large1m,
    ];

    /// The body length aimed at, in bytes.
    pub fn target_bytes(self) -> usize {
        match self {
            PayloadSize::Small2k => 2 * 1024,
            PayloadSize::Medium30k => 30 * 1024,
            PayloadSize::Large1m => 1024 * 1024,
        }
    }

    /// The `X-GitHub-Event` these payloads are sent as.
    pub fn event(self) -> &'static str {
        match self {
            PayloadSize::Small2k => "issue_comment",
            PayloadSize::Medium30k => "pull_request",
            PayloadSize::Large1m => "push",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PayloadSize::Small2k => "2k",
            PayloadSize::Medium30k => "30k",
            PayloadSize::Large1m => "1m",
        }
    }
}

impl FromStr for PayloadSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PayloadSize::ALL
            .into_iter()
            .find(|size| size.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("size must be 2k, 30k or 1m, not {s:?}"))
    }
}

/// Repositories are grouped into organisations of this many, one installation each.
const REPOS_PER_ORG: u64 = 25;

/// Which repository the `seq`th delivery is for: scattered (not round-robin) over `repos`, so
/// consecutive deliveries rarely share a queue, as with many independent teams.
fn repository_index(seq: u64, repos: u32) -> u64 {
    // Fibonacci hashing: a cheap, well-spread bijection of the sequence number.
    seq.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) % u64::from(repos.max(1))
}

struct RepoFacts {
    id: u64,
    org: String,
    org_id: u64,
    name: String,
    full_name: String,
    installation_id: u64,
}

fn repo_facts(index: u64) -> RepoFacts {
    let org_number = index / REPOS_PER_ORG;
    let org = format!("acme-{org_number:03}");
    let name = format!("service-{index:05}");
    RepoFacts {
        id: 700_000_000 + index,
        full_name: format!("{org}/{name}"),
        org,
        org_id: 90_000_000 + org_number,
        name,
        installation_id: 40_000_000 + org_number,
    }
}

const LOGINS: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

fn login(seq: u64, offset: u64) -> (&'static str, u64) {
    let i = ((seq + offset) % LOGINS.len() as u64) as usize;
    (LOGINS[i], 1_000_000 + i as u64)
}

fn user_compact(login: &str, id: u64) -> Value {
    json!({ "login": login, "id": id, "node_id": format!("U_kgDO{id}"), "type": "User" })
}

fn user_full(login: &str, id: u64) -> Value {
    let api = format!("https://api.github.com/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": format!("MDQ6VXNlcj{id}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "User",
        "user_view_type": "public",
        "site_admin": false
    })
}

fn installation(repo: &RepoFacts) -> Value {
    json!({ "id": repo.installation_id, "node_id": format!("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{}", repo.installation_id) })
}

fn organization(repo: &RepoFacts) -> Value {
    let api = format!("https://api.github.com/orgs/{}", repo.org);
    json!({
        "login": repo.org,
        "id": repo.org_id,
        "node_id": format!("O_kgDO{}", repo.org_id),
        "url": api,
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events"),
        "hooks_url": format!("{api}/hooks"),
        "issues_url": format!("{api}/issues"),
        "members_url": format!("{api}/members{{/member}}"),
        "public_members_url": format!("{api}/public_members{{/member}}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", repo.org_id),
        "description": "Payments and storefront services"
    })
}

fn repository_compact(repo: &RepoFacts) -> Value {
    json!({
        "id": repo.id,
        "node_id": format!("R_kgDO{}", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": true,
        "owner": { "login": repo.org, "id": repo.org_id, "type": "Organization" },
        "html_url": format!("https://github.com/{}", repo.full_name),
        "default_branch": "main"
    })
}

/// The repository object with every field GitHub sends in webhook payloads.
fn repository_full(repo: &RepoFacts) -> Value {
    let api = format!("https://api.github.com/repos/{}", repo.full_name);
    let mut owner = user_full(&repo.org, repo.org_id);
    owner["type"] = json!("Organization");
    let mut fields = serde_json::Map::new();
    for (key, value) in [
        ("id", json!(repo.id)),
        ("node_id", json!(format!("R_kgDO{}", repo.id))),
        ("name", json!(repo.name)),
        ("full_name", json!(repo.full_name)),
        ("private", json!(true)),
        ("owner", owner),
        (
            "html_url",
            json!(format!("https://github.com/{}", repo.full_name)),
        ),
        (
            "description",
            json!("Checkout, billing and refunds for the storefront"),
        ),
        ("fork", json!(false)),
        ("url", json!(api)),
    ] {
        fields.insert(key.to_string(), value);
    }
    for (key, suffix) in [
        ("forks_url", "/forks"),
        ("keys_url", "/keys{/key_id}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("teams_url", "/teams"),
        ("hooks_url", "/hooks"),
        ("issue_events_url", "/issues/events{/number}"),
        ("events_url", "/events"),
        ("assignees_url", "/assignees{/user}"),
        ("branches_url", "/branches{/branch}"),
        ("tags_url", "/tags"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("trees_url", "/git/trees{/sha}"),
        ("statuses_url", "/statuses/{sha}"),
        ("languages_url", "/languages"),
        ("stargazers_url", "/stargazers"),
        ("contributors_url", "/contributors"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("commits_url", "/commits{/sha}"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("comments_url", "/comments{/number}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("contents_url", "/contents/{+path}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("merges_url", "/merges"),
        ("archive_url", "/{archive_format}{/ref}"),
        ("downloads_url", "/downloads"),
        ("issues_url", "/issues{/number}"),
        ("pulls_url", "/pulls{/number}"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("labels_url", "/labels{/name}"),
        ("releases_url", "/releases{/id}"),
        ("deployments_url", "/deployments"),
    ] {
        fields.insert(key.to_string(), json!(format!("{api}{suffix}")));
    }
    for (key, value) in [
        ("created_at", json!("2021-03-02T09:14:27Z")),
        ("updated_at", json!("2026-01-05T08:02:11Z")),
        ("pushed_at", json!("2026-01-05T10:00:03Z")),
        (
            "git_url",
            json!(format!("git://github.com/{}.git", repo.full_name)),
        ),
        (
            "ssh_url",
            json!(format!("git@github.com:{}.git", repo.full_name)),
        ),
        (
            "clone_url",
            json!(format!("https://github.com/{}.git", repo.full_name)),
        ),
        (
            "svn_url",
            json!(format!("https://github.com/{}", repo.full_name)),
        ),
        ("homepage", json!(null)),
        ("size", json!(48_213)),
        ("stargazers_count", json!(12)),
        ("watchers_count", json!(12)),
        ("language", json!("Rust")),
        ("has_issues", json!(true)),
        ("has_projects", json!(false)),
        ("has_downloads", json!(true)),
        ("has_wiki", json!(false)),
        ("has_pages", json!(false)),
        ("has_discussions", json!(false)),
        ("forks_count", json!(3)),
        ("mirror_url", json!(null)),
        ("archived", json!(false)),
        ("disabled", json!(false)),
        ("open_issues_count", json!(17)),
        ("license", json!(null)),
        ("allow_forking", json!(false)),
        ("is_template", json!(false)),
        ("web_commit_signoff_required", json!(false)),
        ("topics", json!(["payments", "rust", "storefront"])),
        ("visibility", json!("private")),
        ("forks", json!(3)),
        ("open_issues", json!(17)),
        ("watchers", json!(12)),
        ("default_branch", json!("main")),
        ("custom_properties", json!({})),
    ] {
        fields.insert(key.to_string(), value);
    }
    Value::Object(fields)
}

/// Prose to pad descriptions and comments with; plain ASCII so its JSON length is its length.
const PROSE: &str = "This change moves the refund reconciliation out of the request path and into \
    the nightly job, so checkout no longer waits on the ledger service. The retry budget is now \
    shared between the two callers and the timeout drops from 30 s to 5 s. Rollout: behind the \
    reconcile_async flag, staged per region; watch the checkout p99 and the ledger error rate \
    dashboards for an hour after each step. Config change: LEDGER_TIMEOUT_MS must be set to 5000 \
    in every environment before this ships. QA: run the refund and partial refund suites against \
    staging with the flag on and off. ";

/// `len` bytes of prose, starting at a point that depends on `seq` so bodies differ.
fn prose(len: usize, seq: u64) -> String {
    let start = (seq % PROSE.len() as u64) as usize;
    PROSE
        .bytes()
        .cycle()
        .skip(start)
        .take(len)
        .map(char::from)
        .collect()
}

fn json_len(value: &Value) -> usize {
    // A Value always serialises; the fallback only keeps the arithmetic total.
    serde_json::to_vec(value).map(|v| v.len()).unwrap_or(0)
}

/// Sets the string at `pointer` to prose that brings the whole document to `target` bytes
/// (or leaves it as is when the rest is already that large).
fn pad_to(mut value: Value, pointer: &str, target: usize, seq: u64) -> Vec<u8> {
    let base = json_len(&value);
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = json!(prose(target.saturating_sub(base), seq));
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

/// The body of the `seq`th delivery of `size`, for one of `repos` repositories.
pub fn payload(size: PayloadSize, seq: u64, repos: u32) -> Vec<u8> {
    let repo = repo_facts(repository_index(seq, repos));
    match size {
        PayloadSize::Small2k => issue_comment(&repo, seq, size.target_bytes()),
        PayloadSize::Medium30k => pull_request(&repo, seq, size.target_bytes()),
        PayloadSize::Large1m => push(&repo, seq, size.target_bytes()),
    }
}

fn issue_comment(repo: &RepoFacts, seq: u64, target: usize) -> Vec<u8> {
    let (author, author_id) = login(seq, 0);
    let (commenter, commenter_id) = login(seq, 3);
    let issue_number = 1 + seq % 5_000;
    let comment_id = 2_000_000_000 + seq;
    let html = format!("https://github.com/{}", repo.full_name);
    let value = json!({
        "action": "created",
        "issue": {
            "url": format!("https://api.github.com/repos/{}/issues/{issue_number}", repo.full_name),
            "html_url": format!("{html}/issues/{issue_number}"),
            "id": 3_000_000_000u64 + seq,
            "number": issue_number,
            "title": "Release 2026-01-06",
            "user": user_compact(author, author_id),
            "labels": [{ "id": 5_100_000_001u64, "name": "release", "color": "0e8a16", "default": false }],
            "state": "open",
            "locked": false,
            "comments": 4,
            "created_at": "2026-01-05T09:00:00Z",
            "updated_at": "2026-01-05T12:40:00Z",
            "author_association": "MEMBER"
        },
        "comment": {
            "id": comment_id,
            "html_url": format!("{html}/issues/{issue_number}#issuecomment-{comment_id}"),
            "user": user_compact(commenter, commenter_id),
            "created_at": "2026-01-05T12:40:00Z",
            "updated_at": "2026-01-05T12:40:00Z",
            "author_association": "MEMBER",
            "body": ""
        },
        "repository": repository_compact(repo),
        "organization": { "login": repo.org, "id": repo.org_id },
        "sender": user_compact(commenter, commenter_id),
        "installation": installation(repo)
    });
    // The command on the first line, the rest is the release manager's note.
    let command = "/release status\\n";
    let mut body = pad_to(
        value,
        "/comment/body",
        target.saturating_sub(command.len()),
        seq,
    );
    splice_command(&mut body, command);
    body
}

/// Puts `command` at the start of the comment body (already JSON-escaped: `\n` is two bytes),
/// ahead of the padding, which was shortened by as much.
fn splice_command(body: &mut Vec<u8>, command: &str) {
    let marker = br#""body":""#;
    if let Some(at) = body.windows(marker.len()).position(|w| w == marker) {
        let start = at + marker.len();
        body.splice(start..start, command.bytes());
    }
}

fn pull_request(repo: &RepoFacts, seq: u64, target: usize) -> Vec<u8> {
    let (author, author_id) = login(seq, 1);
    let (reviewer, reviewer_id) = login(seq, 4);
    let number = 1 + seq % 20_000;
    let api = format!("https://api.github.com/repos/{}", repo.full_name);
    let html = format!("https://github.com/{}", repo.full_name);
    let head_sha = format!("{:040x}", u128::from(seq) * 0x9E37_79B9_7F4A_7C15);
    let base_sha = format!("{:040x}", u128::from(seq + 1) * 0x7F4A_7C15_9E37_79B9);
    let branch = format!("{author}/reconcile-async-{seq}");
    let labels: Vec<Value> = ["feature", "needs-qa", "config-change"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "id": 5_100_000_000u64 + i as u64,
                "node_id": format!("LA_kwDO{i}"),
                "url": format!("{api}/labels/{name}"),
                "name": name,
                "color": "0e8a16",
                "default": false,
                "description": format!("PRs marked {name}")
            })
        })
        .collect();
    // Built in parts: one json! this deep exceeds the macro recursion limit.
    let links = json!({
        "self": { "href": format!("{api}/pulls/{number}") },
        "html": { "href": format!("{html}/pull/{number}") },
        "issue": { "href": format!("{api}/issues/{number}") },
        "comments": { "href": format!("{api}/issues/{number}/comments") },
        "review_comments": { "href": format!("{api}/pulls/{number}/comments") },
        "review_comment": { "href": format!("{api}/pulls/comments{{/number}}") },
        "commits": { "href": format!("{api}/pulls/{number}/commits") },
        "statuses": { "href": format!("{api}/statuses/{head_sha}") }
    });
    let head = json!({
        "label": format!("{}:{branch}", repo.org),
        "ref": branch,
        "sha": head_sha,
        "user": user_full(&repo.org, repo.org_id),
        "repo": repository_full(repo)
    });
    let base = json!({
        "label": format!("{}:main", repo.org),
        "ref": "main",
        "sha": base_sha,
        "user": user_full(&repo.org, repo.org_id),
        "repo": repository_full(repo)
    });
    let mut pull_request = json!({
        "url": format!("{api}/pulls/{number}"),
        "id": 1_900_000_000u64 + seq,
        "node_id": format!("PR_kwDO{seq}"),
        "html_url": format!("{html}/pull/{number}"),
        "diff_url": format!("{html}/pull/{number}.diff"),
        "patch_url": format!("{html}/pull/{number}.patch"),
        "issue_url": format!("{api}/issues/{number}"),
        "number": number,
        "state": "open",
        "locked": false,
        "title": "Reconcile refunds asynchronously",
        "user": user_full(author, author_id),
        "body": "",
        "created_at": "2026-01-05T10:00:00Z",
        "updated_at": "2026-01-05T10:00:00Z",
        "closed_at": null,
        "merged_at": null,
        "merge_commit_sha": null,
        "assignee": null,
        "assignees": [user_full(author, author_id)],
        "requested_reviewers": [user_full(reviewer, reviewer_id)],
        "requested_teams": [],
        "labels": labels,
        "milestone": null
    });
    let rest = json!({
        "draft": false,
        "commits_url": format!("{api}/pulls/{number}/commits"),
        "review_comments_url": format!("{api}/pulls/{number}/comments"),
        "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
        "comments_url": format!("{api}/issues/{number}/comments"),
        "statuses_url": format!("{api}/statuses/{head_sha}"),
        "head": head,
        "base": base,
        "_links": links,
        "author_association": "MEMBER",
        "auto_merge": null,
        "active_lock_reason": null,
        "merged": false,
        "mergeable": null,
        "rebaseable": null,
        "mergeable_state": "unknown",
        "merged_by": null,
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": false,
        "commits": 7,
        "additions": 412,
        "deletions": 168,
        "changed_files": 23
    });
    if let (Some(fields), Value::Object(rest)) = (pull_request.as_object_mut(), rest) {
        fields.extend(rest);
    }
    let value = json!({
        "action": "opened",
        "number": number,
        "pull_request": pull_request,
        "repository": repository_full(repo),
        "organization": organization(repo),
        "sender": user_full(author, author_id),
        "installation": installation(repo)
    });
    pad_to(value, "/pull_request/body", target, seq)
}

/// Commits GitHub lists in one push payload at most.
const PUSH_COMMITS: u64 = 20;

fn push(repo: &RepoFacts, seq: u64, target: usize) -> Vec<u8> {
    let (pusher, pusher_id) = login(seq, 2);
    let html = format!("https://github.com/{}", repo.full_name);
    let sha = |n: u64| format!("{:040x}", u128::from(seq * 64 + n) * 0x9E37_79B9_7F4A_7C15);
    // Spread the padding over the commits' file lists, as a wide refactoring would.
    // `head_commit` repeats the last commit, file lists included.
    let path_budget = target / (PUSH_COMMITS as usize + 1);
    let commits: Vec<Value> = (0..PUSH_COMMITS)
        .map(|n| {
            let mut modified = Vec::new();
            let mut used = 0;
            let mut file = 0u64;
            while used < path_budget.saturating_sub(2_000) {
                let mut path = String::new();
                // Writing to a String cannot fail.
                let _ = write!(
                    path,
                    "services/checkout/src/reconcile/module_{:03}/handler_{file:04}.rs",
                    (n * 7 + file) % 200
                );
                used += path.len() + 3;
                modified.push(path);
                file += 1;
            }
            json!({
                "id": sha(n),
                "tree_id": sha(n + 32),
                "distinct": true,
                "message": format!("Move refund reconciliation out of the request path ({}/{PUSH_COMMITS})", n + 1),
                "timestamp": "2026-01-05T10:00:00+00:00",
                "url": format!("{html}/commit/{}", sha(n)),
                "author": { "name": pusher, "email": format!("{pusher_id}+{pusher}@users.noreply.github.com"), "username": pusher },
                "committer": { "name": "GitHub", "email": "noreply@github.com", "username": "web-flow" },
                "added": [],
                "removed": [],
                "modified": modified
            })
        })
        .collect();
    let head = commits.last().cloned().unwrap_or(Value::Null);
    let value = json!({
        "ref": "refs/heads/main",
        "before": sha(63),
        "after": sha(PUSH_COMMITS - 1),
        "repository": repository_full(repo),
        "pusher": { "name": pusher, "email": format!("{pusher_id}+{pusher}@users.noreply.github.com") },
        "organization": organization(repo),
        "sender": user_full(pusher, pusher_id),
        "installation": installation(repo),
        "created": false,
        "deleted": false,
        "forced": false,
        "base_ref": null,
        "compare": format!("{html}/compare/{}...{}", &sha(63)[..12], &sha(PUSH_COMMITS - 1)[..12]),
        "commits": commits,
        "head_commit": head
    });
    // A squash of many commits has a long message; it takes up the last few bytes.
    pad_to(value, "/commits/0/message", target, seq)
}
