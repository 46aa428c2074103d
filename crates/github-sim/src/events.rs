//! Webhook payloads built from World state, in the shapes GitHub documents.
//!
//! Every builder returns `(event name, payload)`: the event name is what goes
//! in `X-GitHub-Event`. Payloads of repository events carry `installation`
//! (`{id, node_id}`), `repository`, `organization` (when the owner is an
//! organization) and `sender`, as GitHub's App webhooks do.
//!
//! Builders panic when asked about something that is not in the world (a
//! test-setup mistake), like the World helpers.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::render::{self, node_id, ts};
use crate::world::{IssueComment, Repo, Review, ReviewComment, UserKind, World};

fn repo<'w>(world: &'w World, full_name: &str) -> &'w Repo {
    match world.repo(full_name) {
        Some(repo) => repo,
        None => panic!("events: no repository {full_name:?}"),
    }
}

/// The repository as webhooks show it: the REST shape without the
/// caller-specific `permissions`, with `custom_properties`.
pub fn repository(world: &World, repo: &Repo) -> Value {
    let mut value = render::repository(world, repo);
    if let Some(object) = value.as_object_mut() {
        for key in [
            "permissions",
            "network_count",
            "subscribers_count",
            "allow_squash_merge",
            "allow_merge_commit",
            "allow_rebase_merge",
            "allow_auto_merge",
            "delete_branch_on_merge",
            "allow_update_branch",
            "use_squash_pr_title_as_default",
            "squash_merge_commit_message",
            "squash_merge_commit_title",
            "merge_commit_message",
            "merge_commit_title",
        ] {
            object.remove(key);
        }
        object.insert("custom_properties".to_string(), json!({}));
    }
    value
}

/// The organization shape, when the owner is one.
fn organization(world: &World, login: &str) -> Option<Value> {
    let account = world.user(login)?;
    if account.kind != UserKind::Organization {
        return None;
    }
    let api = world.api(&format!("/orgs/{login}"));
    Some(json!({
        "login": login,
        "id": account.id,
        "node_id": node_id("Organization", account.id),
        "url": api,
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events"),
        "hooks_url": format!("{api}/hooks"),
        "issues_url": format!("{api}/issues"),
        "members_url": format!("{api}/members{{/member}}"),
        "public_members_url": format!("{api}/public_members{{/member}}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", account.id),
        "description": null,
    }))
}

/// `{id, node_id}` of the installation that sees the repository.
fn installation_ref(world: &World, full_name: &str) -> Value {
    match world.installation_for(full_name) {
        Some(installation) => json!({
            "id": installation.id,
            "node_id": node_id("Integration::Installation", installation.id),
        }),
        None => Value::Null,
    }
}

/// Assembles a repository event: `fields` first, then repository,
/// organization, sender and installation.
fn envelope(world: &World, full_name: &str, sender: &str, fields: Value) -> Value {
    let r = repo(world, full_name);
    let mut payload = match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    payload.insert("repository".to_string(), repository(world, r));
    if let Some(org) = organization(world, &r.owner) {
        payload.insert("organization".to_string(), org);
    }
    payload.insert("sender".to_string(), render::user(world, sender));
    let installation = installation_ref(world, full_name);
    if !installation.is_null() {
        payload.insert("installation".to_string(), installation);
    }
    Value::Object(payload)
}

/// `pull_request` with any action (`opened`, `closed`, `reopened`,
/// `synchronize`, `edited` ...), as the PR is now.
pub fn pull_request(
    world: &World,
    full_name: &str,
    number: u64,
    action: &str,
    sender: &str,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some((issue, pull)) = r.pull(number) else {
        panic!("events: #{number} is not a PR of {full_name}");
    };
    let fields = json!({
        "action": action,
        "number": number,
        "pull_request": render::pull(world, r, issue, pull),
    });
    ("pull_request", envelope(world, full_name, sender, fields))
}

/// `pull_request` / `opened`, sent by the PR's author.
pub fn pull_request_opened(world: &World, full_name: &str, number: u64) -> (&'static str, Value) {
    let author = repo(world, full_name)
        .issue(number)
        .map(|issue| issue.user.clone())
        .unwrap_or_default();
    pull_request(world, full_name, number, "opened", &author)
}

/// `pull_request` / `closed` (merged or not, as the PR is), sent by whoever
/// merged it, or `sender` for an unmerged close.
pub fn pull_request_closed(
    world: &World,
    full_name: &str,
    number: u64,
    sender: &str,
) -> (&'static str, Value) {
    let merged_by = repo(world, full_name)
        .pull(number)
        .and_then(|(_, pull)| pull.merged_by.clone());
    pull_request(
        world,
        full_name,
        number,
        "closed",
        merged_by.as_deref().unwrap_or(sender),
    )
}

fn comment_fields(world: &World, full_name: &str, comment: &IssueComment, action: &str) -> Value {
    let r = repo(world, full_name);
    let Some(issue) = r.issue(comment.issue_number) else {
        panic!("events: no issue #{} in {full_name}", comment.issue_number);
    };
    json!({
        "action": action,
        "issue": render::issue(world, r, issue),
        "comment": render::comment(world, r, comment),
    })
}

fn comment_of<'w>(world: &'w World, full_name: &str, id: u64) -> &'w IssueComment {
    match repo(world, full_name).comments.get(&id) {
        Some(comment) => comment,
        None => panic!("events: no comment {id} in {full_name}"),
    }
}

/// `issue_comment` / `created`, sent by the comment's author.
pub fn issue_comment_created(
    world: &World,
    full_name: &str,
    comment_id: u64,
) -> (&'static str, Value) {
    let comment = comment_of(world, full_name, comment_id);
    let fields = comment_fields(world, full_name, comment, "created");
    (
        "issue_comment",
        envelope(world, full_name, &comment.user, fields),
    )
}

/// `issue_comment` / `edited` with `changes.body.from` = `previous_body`.
pub fn issue_comment_edited(
    world: &World,
    full_name: &str,
    comment_id: u64,
    previous_body: &str,
    editor: &str,
) -> (&'static str, Value) {
    let comment = comment_of(world, full_name, comment_id);
    let mut fields = comment_fields(world, full_name, comment, "edited");
    fields["changes"] = json!({ "body": { "from": previous_body } });
    ("issue_comment", envelope(world, full_name, editor, fields))
}

/// `issue_comment` / `deleted`. The comment is passed in because it is
/// usually gone from the world already.
pub fn issue_comment_deleted(
    world: &World,
    full_name: &str,
    comment: &IssueComment,
    sender: &str,
) -> (&'static str, Value) {
    let fields = comment_fields(world, full_name, comment, "deleted");
    ("issue_comment", envelope(world, full_name, sender, fields))
}

/// The PR a review event is about, in the `pull-request-simple` shape GitHub sends with
/// `pull_request_review` and `pull_request_review_comment`.
fn simple_pull(world: &World, full_name: &str, number: u64) -> Value {
    let r = repo(world, full_name);
    let Some((issue, pull)) = r.pull(number) else {
        panic!("events: #{number} is not a PR of {full_name}");
    };
    render::simple_pull(render::pull(world, r, issue, pull))
}

fn review_comment_of<'w>(world: &'w World, full_name: &str, id: u64) -> &'w ReviewComment {
    match repo(world, full_name).review_comments.get(&id) {
        Some(comment) => comment,
        None => panic!("events: no review comment {id} in {full_name}"),
    }
}

fn review_of<'w>(world: &'w World, full_name: &str, id: u64) -> &'w Review {
    match repo(world, full_name).reviews.get(&id) {
        Some(review) => review,
        None => panic!("events: no review {id} in {full_name}"),
    }
}

/// `pull_request_review_comment` with `action` (`created`, `edited`, `deleted`), as the
/// comment is now.
pub fn pull_request_review_comment(
    world: &World,
    full_name: &str,
    comment_id: u64,
    action: &str,
    sender: &str,
) -> (&'static str, Value) {
    let comment = review_comment_of(world, full_name, comment_id);
    let fields = json!({
        "action": action,
        "comment": render::review_comment(world, repo(world, full_name), comment),
        "pull_request": simple_pull(world, full_name, comment.pull_number),
    });
    (
        "pull_request_review_comment",
        envelope(world, full_name, sender, fields),
    )
}

/// `pull_request_review_comment` / `created`, sent by the comment's author.
pub fn pull_request_review_comment_created(
    world: &World,
    full_name: &str,
    comment_id: u64,
) -> (&'static str, Value) {
    let author = review_comment_of(world, full_name, comment_id).user.clone();
    pull_request_review_comment(world, full_name, comment_id, "created", &author)
}

/// `pull_request_review_comment` / `edited` with `changes.body.from` = `previous_body`.
pub fn pull_request_review_comment_edited(
    world: &World,
    full_name: &str,
    comment_id: u64,
    previous_body: &str,
    editor: &str,
) -> (&'static str, Value) {
    let (event, mut payload) =
        pull_request_review_comment(world, full_name, comment_id, "edited", editor);
    payload["changes"] = json!({ "body": { "from": previous_body } });
    (event, payload)
}

/// `pull_request_review` with `action` (`submitted`, `edited`, `dismissed`), as the review is
/// now.
pub fn pull_request_review(
    world: &World,
    full_name: &str,
    review_id: u64,
    action: &str,
    sender: &str,
) -> (&'static str, Value) {
    let review = review_of(world, full_name, review_id);
    let fields = json!({
        "action": action,
        "review": render::review(world, repo(world, full_name), review),
        "pull_request": simple_pull(world, full_name, review.pull_number),
    });
    (
        "pull_request_review",
        envelope(world, full_name, sender, fields),
    )
}

/// `pull_request_review` / `submitted`, sent by the reviewer. The review's `body` is `null`
/// when it has no summary.
pub fn pull_request_review_submitted(
    world: &World,
    full_name: &str,
    review_id: u64,
) -> (&'static str, Value) {
    let author = review_of(world, full_name, review_id).user.clone();
    pull_request_review(world, full_name, review_id, "submitted", &author)
}

/// `pull_request_review` / `edited` with `changes.body.from` = `previous_body`.
pub fn pull_request_review_edited(
    world: &World,
    full_name: &str,
    review_id: u64,
    previous_body: &str,
    editor: &str,
) -> (&'static str, Value) {
    let (event, mut payload) = pull_request_review(world, full_name, review_id, "edited", editor);
    payload["changes"] = json!({ "body": { "from": previous_body } });
    (event, payload)
}

/// `issues` with `action` (`opened`, `closed`, `edited`, `labeled` ...).
pub fn issues(
    world: &World,
    full_name: &str,
    number: u64,
    action: &str,
    sender: &str,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some(issue) = r.issue(number) else {
        panic!("events: no issue #{number} in {full_name}");
    };
    let fields = json!({ "action": action, "issue": render::issue(world, r, issue) });
    ("issues", envelope(world, full_name, sender, fields))
}

/// `issues` / `opened`, sent by the author.
pub fn issues_opened(world: &World, full_name: &str, number: u64) -> (&'static str, Value) {
    let author = repo(world, full_name)
        .issue(number)
        .map(|issue| issue.user.clone())
        .unwrap_or_default();
    issues(world, full_name, number, "opened", &author)
}

/// `issues` / `closed`.
pub fn issues_closed(
    world: &World,
    full_name: &str,
    number: u64,
    sender: &str,
) -> (&'static str, Value) {
    issues(world, full_name, number, "closed", sender)
}

/// `release` with `action` (`created`, `published`, `prereleased`,
/// `released`, `unpublished`, `deleted`).
pub fn release(
    world: &World,
    full_name: &str,
    release_id: u64,
    action: &str,
    sender: &str,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some(release) = r.releases.get(&release_id) else {
        panic!("events: no release {release_id} in {full_name}");
    };
    let fields = json!({ "action": action, "release": render::release(world, r, release) });
    ("release", envelope(world, full_name, sender, fields))
}

/// `release` / `edited`, with `changes` naming the previous values of what
/// changed (`{"body": {"from": ...}}`, `{"name": {"from": ...}}`, ...).
pub fn release_edited(
    world: &World,
    full_name: &str,
    release_id: u64,
    changes: Value,
    sender: &str,
) -> (&'static str, Value) {
    let (event, mut payload) = release(world, full_name, release_id, "edited", sender);
    payload["changes"] = changes;
    (event, payload)
}

/// `push` of `git_ref` (`refs/heads/main`) from `before` to `after` (use 40
/// zeros for a created or deleted ref).
pub fn push(
    world: &World,
    full_name: &str,
    git_ref: &str,
    before: &str,
    after: &str,
    pusher: &str,
) -> (&'static str, Value) {
    const ZERO: &str = "0000000000000000000000000000000000000000";
    let r = repo(world, full_name);
    let created = before == ZERO;
    let deleted = after == ZERO;
    let forced = !created && !deleted && !r.is_ancestor(before, after);
    let shas: Vec<String> = if deleted {
        Vec::new()
    } else if created {
        // A new branch: its commits not on the default branch.
        let default_tip = r
            .branches
            .get(&r.default_branch)
            .cloned()
            .unwrap_or_default();
        r.commits_between(&default_tip, after)
    } else {
        r.commits_between(before, after)
    };
    let commit_json = |sha: &str| {
        let commit = r.commit(sha)?;
        let parent_tree = commit
            .parents
            .first()
            .and_then(|p| r.commit(p))
            .map(|p| p.tree.clone())
            .unwrap_or_default();
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut modified = Vec::new();
        for (path, content) in &commit.tree {
            match parent_tree.get(path) {
                None => added.push(path.clone()),
                Some(old) if old != content => modified.push(path.clone()),
                _ => {}
            }
        }
        for path in parent_tree.keys() {
            if !commit.tree.contains_key(path) {
                removed.push(path.clone());
            }
        }
        let person = |actor: &crate::world::GitActor| {
            let mut value = json!({ "name": actor.name, "email": actor.email });
            if let Some(login) = &actor.login {
                value["username"] = json!(login);
            }
            value
        };
        Some(json!({
            "id": commit.sha,
            "tree_id": commit.tree_sha,
            "distinct": true,
            "message": commit.message,
            "timestamp": commit.committer.date.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            "url": world.html(&format!("/{full_name}/commit/{}", commit.sha)),
            "author": person(&commit.author),
            "committer": person(&commit.committer),
            "added": added,
            "removed": removed,
            "modified": modified,
        }))
    };
    let commits: Vec<Value> = shas.iter().filter_map(|sha| commit_json(sha)).collect();
    let head_commit = if deleted {
        Value::Null
    } else {
        commit_json(after).unwrap_or(Value::Null)
    };
    let compare = if created {
        world.html(&format!(
            "/{full_name}/commit/{}",
            &after[..12.min(after.len())]
        ))
    } else {
        world.html(&format!(
            "/{full_name}/compare/{}...{}",
            &before[..12.min(before.len())],
            &after[..12.min(after.len())]
        ))
    };
    let pusher_email = world
        .user(pusher)
        .map(|user| format!("{}+{pusher}@users.noreply.github.com", user.id))
        .unwrap_or_default();
    let mut payload = envelope(
        world,
        full_name,
        pusher,
        json!({
            "ref": git_ref,
            "before": before,
            "after": after,
            "pusher": { "name": pusher, "email": pusher_email },
            "created": created,
            "deleted": deleted,
            "forced": forced,
            "base_ref": null,
            "compare": compare,
            "commits": commits,
            "head_commit": head_commit,
        }),
    );
    // Push payloads alone give the repository's times as Unix seconds and
    // the owner with name/email.
    let repository = &mut payload["repository"];
    repository["created_at"] = json!(r.created_at.timestamp());
    repository["pushed_at"] = json!(r.pushed_at.timestamp());
    repository["owner"]["name"] = json!(r.owner);
    repository["owner"]["email"] = Value::Null;
    repository["stargazers"] = json!(0);
    repository["master_branch"] = json!(r.default_branch);
    if organization(world, &r.owner).is_some() {
        repository["organization"] = json!(r.owner);
    }
    ("push", payload)
}

/// `create` for tag `tag`.
pub fn create_tag(
    world: &World,
    full_name: &str,
    tag: &str,
    sender: &str,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let fields = json!({
        "ref": tag,
        "ref_type": "tag",
        "master_branch": r.default_branch,
        "description": r.description,
        "pusher_type": "user",
    });
    ("create", envelope(world, full_name, sender, fields))
}

/// `check_run` / `completed` (the run should be completed).
pub fn check_run_completed(
    world: &World,
    full_name: &str,
    check_run_id: u64,
) -> (&'static str, Value) {
    check_run(world, full_name, check_run_id, "completed")
}

/// `check_run` with `action` (`created`, `completed`, `rerequested` ...),
/// sent by the App that owns the run.
pub fn check_run(
    world: &World,
    full_name: &str,
    check_run_id: u64,
    action: &str,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some(run) = r.check_runs.get(&check_run_id) else {
        panic!("events: no check run {check_run_id} in {full_name}");
    };
    let mut check_run = render::check_run(world, r, run);
    if let Some(suite) = r.check_suites.get(&run.check_suite_id) {
        check_run["check_suite"] = render::check_suite(world, r, suite);
    }
    let sender = format!("{}[bot]", run.app.slug);
    let fields = json!({ "action": action, "check_run": check_run });
    let mut payload = envelope(world, full_name, &sender, fields);
    if world.user(&sender).is_none() {
        payload["sender"] = bot_user(world, &sender);
    }
    ("check_run", payload)
}

/// A bot account that may not be in the world (other Apps' bots).
fn bot_user(world: &World, login: &str) -> Value {
    let mut user = render::user(world, "web-flow");
    user["login"] = json!(login);
    user["id"] = json!(41898282);
    user["node_id"] = json!(node_id("Bot", 41898282));
    user["type"] = json!("Bot");
    user["url"] = json!(world.api(&format!("/users/{}", render::escape(login))));
    user["html_url"] = json!(world.html(&format!("/apps/{}", login.trim_end_matches("[bot]"))));
    user
}

/// `check_suite` / `completed`.
pub fn check_suite_completed(
    world: &World,
    full_name: &str,
    suite_id: u64,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some(suite) = r.check_suites.get(&suite_id) else {
        panic!("events: no check suite {suite_id} in {full_name}");
    };
    let sender = format!("{}[bot]", suite.app.slug);
    let fields =
        json!({ "action": "completed", "check_suite": render::check_suite(world, r, suite) });
    let mut payload = envelope(world, full_name, &sender, fields);
    if world.user(&sender).is_none() {
        payload["sender"] = bot_user(world, &sender);
    }
    ("check_suite", payload)
}

/// `status` for commit status `status_id`.
pub fn status(world: &World, full_name: &str, status_id: u64) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some(status) = r.statuses.iter().find(|s| s.id == status_id) else {
        panic!("events: no status {status_id} in {full_name}");
    };
    let commit = r
        .commit(&status.sha)
        .map(|commit| render::commit(world, r, commit, false))
        .unwrap_or(Value::Null);
    let branches: Vec<Value> = r
        .branches
        .iter()
        .filter(|(_, tip)| **tip == status.sha)
        .map(|(name, sha)| {
            json!({
                "name": name,
                "commit": { "sha": sha, "url": world.api(&format!("/repos/{full_name}/commits/{sha}")) },
                "protected": false,
            })
        })
        .collect();
    let creator_id = world
        .user(&status.creator)
        .map(|u| u.id)
        .unwrap_or_default();
    let fields = json!({
        "id": status.id,
        "sha": status.sha,
        "name": full_name,
        "target_url": status.target_url,
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{creator_id}?v=4"),
        "context": status.context,
        "description": status.description,
        "state": status.state,
        "commit": commit,
        "branches": branches,
        "created_at": ts(status.created_at),
        "updated_at": ts(status.updated_at),
    });
    (
        "status",
        envelope(world, full_name, &status.creator, fields),
    )
}

/// `deployment` / `created`, sent by the deployment's creator.
pub fn deployment_created(
    world: &World,
    full_name: &str,
    deployment_id: u64,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some(deployment) = r.deployments.get(&deployment_id) else {
        panic!("events: no deployment {deployment_id} in {full_name}");
    };
    let fields = json!({
        "action": "created",
        "deployment": render::deployment(world, r, deployment),
        "workflow": null,
        "workflow_run": null,
    });
    (
        "deployment",
        envelope(world, full_name, &deployment.creator, fields),
    )
}

/// `deployment_status` / `created`, sent by the status's creator.
pub fn deployment_status_created(
    world: &World,
    full_name: &str,
    deployment_id: u64,
    status_id: u64,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some(deployment) = r.deployments.get(&deployment_id) else {
        panic!("events: no deployment {deployment_id} in {full_name}");
    };
    let Some(status) = deployment.statuses.iter().find(|s| s.id == status_id) else {
        panic!("events: no status {status_id} on deployment {deployment_id}");
    };
    let fields = json!({
        "action": "created",
        "deployment_status": render::deployment_status(world, r, deployment, status),
        "deployment": render::deployment(world, r, deployment),
        "check_run": null,
        "workflow": null,
        "workflow_run": null,
    });
    (
        "deployment_status",
        envelope(world, full_name, &status.creator, fields),
    )
}

/// `deployment_protection_rule` / `requested` for a deployment waiting on
/// relman's rule, from workflow run `run_id`. The `deployment_callback_url`
/// points at the sim's review endpoint.
pub fn deployment_protection_rule_requested(
    world: &World,
    full_name: &str,
    deployment_id: u64,
    run_id: u64,
    sender: &str,
) -> (&'static str, Value) {
    let r = repo(world, full_name);
    let Some(deployment) = r.deployments.get(&deployment_id) else {
        panic!("events: no deployment {deployment_id} in {full_name}");
    };
    let pull_requests: Vec<Value> = r
        .issues
        .values()
        .filter_map(|issue| issue.pull_request.as_ref().map(|pull| (issue, pull)))
        .filter(|(_, pull)| {
            pull.head_sha == deployment.sha
                || pull.merge_commit_sha.as_deref() == Some(&deployment.sha)
        })
        .map(|(issue, pull)| render::pull(world, r, issue, pull))
        .collect();
    let fields = json!({
        "action": "requested",
        "environment": deployment.environment,
        "event": "push",
        "ref": deployment.git_ref,
        "sha": deployment.sha,
        "deployment_callback_url": world.api(&format!(
            "/repos/{full_name}/actions/runs/{run_id}/deployment_protection_rule"
        )),
        "deployment": render::deployment(world, r, deployment),
        "pull_requests": pull_requests,
    });
    (
        "deployment_protection_rule",
        envelope(world, full_name, sender, fields),
    )
}

fn installation_full(world: &World, installation_id: u64) -> Value {
    match world.installations.get(&installation_id) {
        Some(installation) => render::installation(world, installation),
        None => panic!("events: no installation {installation_id}"),
    }
}

fn repository_mini(world: &World, full_name: &str) -> Option<Value> {
    let r = world.repo(full_name)?;
    Some(json!({
        "id": r.id,
        "node_id": node_id("Repository", r.id),
        "name": r.name,
        "full_name": full_name,
        "private": r.private,
    }))
}

/// `installation` / `created`, with the repositories the App got.
pub fn installation_created(
    world: &World,
    installation_id: u64,
    sender: &str,
) -> (&'static str, Value) {
    let repositories: Vec<Value> = world
        .installations
        .get(&installation_id)
        .map(|installation| {
            installation
                .repositories
                .iter()
                .filter_map(|full| repository_mini(world, full))
                .collect()
        })
        .unwrap_or_default();
    let payload = json!({
        "action": "created",
        "installation": installation_full(world, installation_id),
        "repositories": repositories,
        "requester": null,
        "sender": render::user(world, sender),
    });
    ("installation", payload)
}

/// `installation_repositories` / `added` for `added` (full names, already in
/// the installation).
pub fn installation_repositories_added(
    world: &World,
    installation_id: u64,
    added: &[&str],
    sender: &str,
) -> (&'static str, Value) {
    let installation = installation_full(world, installation_id);
    let repositories_added: Vec<Value> = added
        .iter()
        .filter_map(|full| repository_mini(world, full))
        .collect();
    let payload = json!({
        "action": "added",
        "installation": installation,
        "repository_selection": installation["repository_selection"],
        "repositories_added": repositories_added,
        "repositories_removed": [],
        "requester": null,
        "sender": render::user(world, sender),
    });
    ("installation_repositories", payload)
}

/// `ping`, sent once when the App's webhook is set up.
pub fn ping(world: &World, hook_id: u64) -> (&'static str, Value) {
    let created = ts(world.app.created_at);
    let payload = json!({
        "zen": "Design for failure.",
        "hook_id": hook_id,
        "hook": {
            "type": "App",
            "id": hook_id,
            "name": "web",
            "active": true,
            "events": world.app.events,
            "config": {
                "content_type": "json",
                "insecure_ssl": "0",
                "url": "https://relman.example.net/api/github/webhooks",
            },
            "updated_at": created,
            "created_at": created,
            "app_id": world.app.id,
            "deliveries_url": world.api("/app/hook/deliveries"),
        },
        "sender": render::user(world, &world.app.owner),
    });
    ("ping", payload)
}

/// The file names and payloads of the fixtures in `tests/fixtures/`, built
/// from [`fixture_world`].
pub fn fixtures() -> BTreeMap<String, Value> {
    let (mut world, ids) = fixture_world();
    let mut files = BTreeMap::new();
    let mut put = |name: &str, (_, payload): (&'static str, Value)| {
        files.insert(format!("{name}.json"), payload);
    };
    let repo = "acme/web";
    put("ping", ping(&world, 424_242));
    put(
        "installation.created",
        installation_created(&world, 77, "alice"),
    );
    put(
        "installation_repositories.added",
        installation_repositories_added(&world, 77, &["acme/functional-tests"], "alice"),
    );
    put(
        "pull_request.opened",
        pull_request_opened(&world, repo, ids.open_pr),
    );
    put(
        "pull_request.closed",
        pull_request_closed(&world, repo, ids.merged_pr, "alice"),
    );
    put(
        "issues.opened",
        issues_opened(&world, repo, ids.tracking_issue),
    );
    put(
        "issue_comment.created",
        issue_comment_created(&world, repo, ids.release_comment),
    );
    put(
        "issue_comment.edited",
        issue_comment_edited(
            &world,
            repo,
            ids.edited_comment,
            "/signoff stagign",
            "alice",
        ),
    );
    // Made here rather than in `fixture_world` so the ids of everything else stay put: alice
    // comments on a line of the open PR (GitHub wraps a lone comment in a review with no body),
    // edits it to ask for `/help`, then approves the PR with a `/release status` summary.
    let (review_comment, lone_review) = world.add_review_comment(
        repo,
        ids.open_pr,
        "alice",
        "changes/carol-login-redirect.md",
        1,
        "Could this link to the login docs?",
    );
    put(
        "pull_request_review_comment.created",
        pull_request_review_comment_created(&world, repo, review_comment),
    );
    put(
        "pull_request_review.submitted.no-body",
        pull_request_review_submitted(&world, repo, lone_review),
    );
    let previous = world.edit_review_comment(
        repo,
        review_comment,
        "Could this link to the login docs?\n\n/help",
    );
    put(
        "pull_request_review_comment.edited",
        pull_request_review_comment_edited(&world, repo, review_comment, &previous, "alice"),
    );
    let review = world.submit_review(
        repo,
        ids.open_pr,
        "alice",
        crate::world::ReviewState::Approved,
        Some("Looks good.\n\n/release status"),
    );
    put(
        "pull_request_review.submitted",
        pull_request_review_submitted(&world, repo, review),
    );
    put(
        "release.published",
        release(&world, repo, ids.release, "published", "alice"),
    );
    put("create.tag", create_tag(&world, repo, "v1.3.0", "alice"));
    put(
        "push",
        push(
            &world,
            repo,
            "refs/heads/main",
            &ids.push_before,
            &ids.push_after,
            "bob",
        ),
    );
    put(
        "check_run.completed",
        check_run_completed(&world, repo, ids.check_run),
    );
    put("status", status(&world, repo, ids.status));
    let suite = world
        .repo(repo)
        .and_then(|r| r.check_runs.get(&ids.check_run))
        .map(|run| run.check_suite_id)
        .unwrap_or_default();
    put(
        "check_suite.completed",
        check_suite_completed(&world, repo, suite),
    );
    put(
        "release.created",
        release(&world, repo, ids.release, "created", "alice"),
    );
    let previous_body = json!({ "body": { "from": "## Changes\n" } });
    put(
        "release.edited",
        release_edited(&world, repo, ids.release, previous_body, "alice"),
    );
    put(
        "deployment.created",
        deployment_created(&world, repo, ids.deployment),
    );
    put(
        "deployment_status.created",
        deployment_status_created(&world, repo, ids.deployment, ids.deployment_status),
    );
    put(
        "deployment_protection_rule.requested",
        deployment_protection_rule_requested(&world, repo, ids.deployment, 9_100_200_300, "alice"),
    );
    // Later states: the tracking issue closed, the edited comment deleted.
    world.advance(chrono::Duration::days(1));
    let now = world.now;
    if let Some(issue) = world
        .repo_mut(repo)
        .and_then(|r| r.issues.get_mut(&ids.tracking_issue))
    {
        issue.state = crate::world::IssueState::Closed;
        issue.state_reason = Some("completed".to_string());
        issue.closed_at = Some(now);
        issue.closed_by = Some("alice".to_string());
        issue.updated_at = now;
    }
    put(
        "issues.closed",
        issues_closed(&world, repo, ids.tracking_issue, "alice"),
    );
    let deleted = world
        .repo_mut(repo)
        .and_then(|r| r.comments.remove(&ids.edited_comment));
    if let Some(comment) = deleted {
        put(
            "issue_comment.deleted",
            issue_comment_deleted(&world, repo, &comment, "alice"),
        );
    }
    files
}

/// Ids of the objects in [`fixture_world`].
#[derive(Debug, Clone)]
pub struct FixtureIds {
    pub merged_pr: u64,
    pub open_pr: u64,
    pub tracking_issue: u64,
    pub release_comment: u64,
    pub edited_comment: u64,
    pub release: u64,
    pub check_run: u64,
    pub status: u64,
    pub deployment: u64,
    pub deployment_status: u64,
    pub push_before: String,
    pub push_after: String,
}

/// The world the fixtures describe: `acme/web` under installation 77, a
/// merged PR, a tracking issue with a `/release` comment, release v1.3.0 with
/// its tag, a green check run and status, and a staging deployment.
pub fn fixture_world() -> (World, FixtureIds) {
    use crate::world::Permission;
    let mut world = World::new();
    let repo = "acme/web";
    world
        .add_repo(repo)
        .installation(77)
        .description("The acme web app")
        .collaborator("alice", Permission::Maintain)
        .collaborator("bob", Permission::Write)
        .file(
            ".github/relman.yml",
            "schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }\n",
        );
    world.add_repo("acme/functional-tests").installation(77);
    world.advance(chrono::Duration::hours(1));
    let push_before = world.resolve(repo, "main").unwrap_or_default();
    let merged_pr = world.open_pr(
        repo,
        "bob",
        "Cache compiled templates",
        "bob/template-cache",
        "main",
    );
    world.add_labels(repo, merged_pr, &["feature"]);
    world.advance(chrono::Duration::minutes(30));
    let merge_sha = world.merge_pr(repo, merged_pr, "alice");
    let open_pr = world.open_pr(
        repo,
        "carol",
        "Fix login redirect",
        "carol/login-redirect",
        "main",
    );
    world.advance(chrono::Duration::hours(2));
    let tracking_issue = world.open_issue(
        repo,
        &crate::world::bot_login(),
        "Release 2026-01-06",
        "<!-- relman:tracking:2026-01-06 -->\n## Release 2026-01-06\n\n- [x] tests\n- [ ] signoff\n",
    );
    if let Some(issue) = world
        .repo_mut(repo)
        .and_then(|r| r.issues.get_mut(&tracking_issue))
    {
        issue.assignees.push("alice".to_string());
        issue.via_app = true;
    }
    world.add_labels(repo, tracking_issue, &["release"]);
    world.advance(chrono::Duration::minutes(5));
    let edited_comment = world.add_comment(repo, tracking_issue, "alice", "/signoff stagign");
    world.edit_comment(repo, edited_comment, "/signoff staging");
    world.advance(chrono::Duration::minutes(5));
    let release_comment = world.add_comment(repo, tracking_issue, "alice", "/release");
    let status = world.set_status(repo, &merge_sha, "ci/circleci: test", "success");
    let check_run = world.set_check_run(repo, &merge_sha, "test", "completed", Some("success"));
    world.advance(chrono::Duration::minutes(2));
    let release = world.add_release(repo, "v1.3.0", &merge_sha, &crate::world::bot_login());
    if let Some(r) = world
        .repo_mut(repo)
        .and_then(|r| r.releases.get_mut(&release))
    {
        r.name = Some("v1.3.0".to_string());
        r.body = Some("## Changes\n\n- Cache compiled templates (#1) @bob\n".to_string());
        r.target_commitish = "main".to_string();
    }
    world.advance(chrono::Duration::minutes(3));
    let deployment = world.add_deployment(repo, "v1.3.0", "staging", "circleci-app[bot]");
    let deployment_status =
        world.add_deployment_status(repo, deployment, "in_progress", "circleci-app[bot]");
    let push_after = merge_sha;
    (
        world,
        FixtureIds {
            merged_pr,
            open_pr,
            tracking_issue,
            release_comment,
            edited_comment,
            release,
            check_run,
            status,
            deployment,
            deployment_status,
            push_before,
            push_after,
        },
    )
}
