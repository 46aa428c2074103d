//! The REST endpoints against the world model: what they answer and what
//! they change.

use crate::common;

use base64::Engine;
use common::{call, sim_with_repo};
use github_sim::world::IssueState;
use github_sim::{Permission, UserKind};
use serde_json::{Value, json};

const REPO: &str = "acme/web";

fn decode_content(file: &Value) -> String {
    let content: String = file["content"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| *c != '\n')
        .collect();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn merge_pr_creates_a_merge_commit_on_the_base_branch() {
    let (sim, token) = sim_with_repo().await;
    let (number, merge_sha, base_before) = sim.with(|world| {
        let base_before = world.resolve(REPO, "main").unwrap();
        let number = world.open_pr(REPO, "bob", "Cache templates", "bob/cache", "main");
        let merge = world.merge_pr(REPO, number, "alice");
        (number, merge, base_before)
    });
    sim.with(|world| {
        let repo = world.repo(REPO).unwrap();
        assert_eq!(repo.branches["main"], merge_sha);
        let merge = repo.commit(&merge_sha).unwrap();
        let head = repo.branches["bob/cache"].clone();
        assert_eq!(merge.parents, [base_before, head]);
        assert!(
            merge
                .message
                .starts_with(&format!("Merge pull request #{number} from acme/bob/cache"))
        );
        assert!(merge.tree.contains_key("changes/bob-cache.md"));
        let (issue, pull) = repo.pull(number).unwrap();
        assert_eq!(issue.state, IssueState::Closed);
        assert_eq!(pull.merged_by.as_deref(), Some("alice"));
        assert_eq!(pull.merge_commit_sha.as_deref(), Some(merge_sha.as_str()));
    });

    let pr = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls/{number}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(pr.status, 200);
    assert_eq!(pr.body["merged"], true);
    assert_eq!(pr.body["state"], "closed");
    assert_eq!(pr.body["merge_commit_sha"], merge_sha.as_str());
    assert_eq!(pr.body["merged_by"]["login"], "alice");
    assert_eq!(pr.body["merged_at"], "2026-01-05T09:00:00Z");
    assert_eq!(pr.body["commits"], 1);
    assert_eq!(pr.body["changed_files"], 1);
    assert_eq!(pr.body["user"]["login"], "bob");
    assert_eq!(pr.body["base"]["ref"], "main");

    // The PR is an issue too, with a `pull_request` key.
    let issue = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/issues/{number}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        issue.body["pull_request"]["merged_at"],
        "2026-01-05T09:00:00Z"
    );
    // ...and the commit knows its PR.
    let pulls = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits/{merge_sha}/pulls"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(pulls.body[0]["number"], number);
    assert!(
        pulls.body[0].get("merged").is_none(),
        "list items are pull-request-simple"
    );
    let commit = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits/main"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(commit.body["sha"], merge_sha.as_str());
    assert_eq!(commit.body["parents"].as_array().unwrap().len(), 2);
    assert_eq!(commit.body["committer"]["login"], "web-flow");
    assert_eq!(commit.body["commit"]["verification"]["verified"], true);
}

#[tokio::test]
async fn compare_reports_ahead_behind_and_commits_oldest_first() {
    let (sim, token) = sim_with_repo().await;
    let (v1, a, b, side) = sim.with(|world| {
        let v1 = world.resolve(REPO, "main").unwrap();
        world.add_tag(REPO, "v1.0.0", &v1);
        world.advance(chrono::Duration::minutes(1));
        let a = world.commit(REPO, "main", "First change", &[("src/a.rs", "fn a() {}\n")]);
        world.advance(chrono::Duration::minutes(1));
        let b = world.commit(
            REPO,
            "main",
            "Second change",
            &[("README.md", "# web\n\nMore.\n")],
        );
        world.create_branch(REPO, "side", &v1);
        let side = world.commit(REPO, "side", "Side change", &[("side.txt", "x\n")]);
        (v1, a, b, side)
    });

    let ahead = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/compare/v1.0.0...main"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(ahead.status, 200);
    assert_eq!(ahead.body["status"], "ahead");
    assert_eq!(ahead.body["ahead_by"], 2);
    assert_eq!(ahead.body["behind_by"], 0);
    assert_eq!(ahead.body["total_commits"], 2);
    let shas: Vec<&str> = ahead.body["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha"].as_str().unwrap())
        .collect();
    assert_eq!(shas, [a.as_str(), b.as_str()]);
    assert_eq!(
        ahead.body["commits"][0]["commit"]["message"],
        "First change"
    );
    assert_eq!(
        ahead.body["commits"][0]["commit"]["author"]["name"],
        "octocat"
    );
    assert_eq!(ahead.body["commits"][0]["author"]["login"], "octocat");
    assert_eq!(ahead.body["merge_base_commit"]["sha"], v1.as_str());
    let files: Vec<(&str, &str)> = ahead.body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["filename"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(files, [("README.md", "modified"), ("src/a.rs", "added")]);
    assert_eq!(ahead.body["files"][0]["additions"], 2);
    assert_eq!(ahead.body["files"][0]["deletions"], 0);

    let behind = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/compare/main...{v1}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (
            behind.body["status"].as_str(),
            behind.body["behind_by"].as_u64()
        ),
        (Some("behind"), Some(2))
    );
    let diverged = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/compare/main...side"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(diverged.body["status"], "diverged");
    assert_eq!(
        (
            diverged.body["ahead_by"].as_u64(),
            diverged.body["behind_by"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(diverged.body["commits"][0]["sha"], side.as_str());
    let same = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/compare/main...{}", &b[..10]),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(same.body["status"], "identical");
    let missing = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/compare/v9...main"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(missing.status, 404);

    // The commit log follows the same graph, newest first, with path filters.
    let log = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits?sha=main&path=src"),
        Some(&token),
        None,
    )
    .await;
    let shas: Vec<&str> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha"].as_str().unwrap())
        .collect();
    assert_eq!(shas, [a.as_str()]);
    let log = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(log.body.as_array().unwrap().len(), 3);
    assert_eq!(log.body[0]["sha"], b.as_str());
}

#[tokio::test]
async fn releases_create_their_tag_and_drafts_wait_until_published() {
    let (sim, token) = sim_with_repo().await;
    let main = sim.with(|world| world.commit(REPO, "main", "Change", &[("a", "1\n")]));

    let created = call(&sim, "POST", &format!("/repos/{REPO}/releases"), Some(&token), Some(json!({
        "tag_name": "v1.1.0", "target_commitish": "main", "name": "v1.1.0", "body": "## Changes",
    }))).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), created.body["url"].as_str());
    assert_eq!(created.body["draft"], false);
    assert_eq!(created.body["published_at"], "2026-01-05T09:00:00Z");
    assert_eq!(created.body["author"]["login"], "relman-test[bot]");
    assert_eq!(
        sim.with(|world| world.repo(REPO).unwrap().tags.get("v1.1.0").cloned()),
        Some(main.clone())
    );

    let draft = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/releases"),
        Some(&token),
        Some(json!({
            "tag_name": "v1.2.0", "draft": true,
        })),
    )
    .await;
    assert_eq!(draft.status, 201);
    assert_eq!(draft.body["published_at"], Value::Null);
    assert!(sim.with(|world| !world.repo(REPO).unwrap().tags.contains_key("v1.2.0")));
    let id = draft.body["id"].as_u64().unwrap();
    assert_eq!(
        call(
            &sim,
            "GET",
            &format!("/repos/{REPO}/releases/tags/v1.2.0"),
            Some(&token),
            None
        )
        .await
        .status,
        404
    );

    let latest = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/releases/latest"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(latest.body["tag_name"], "v1.1.0");

    sim.with(|world| world.advance(chrono::Duration::hours(1)));
    let published = call(
        &sim,
        "PATCH",
        &format!("/repos/{REPO}/releases/{id}"),
        Some(&token),
        Some(json!({ "draft": false })),
    )
    .await;
    assert_eq!(published.status, 200);
    assert_eq!(published.body["published_at"], "2026-01-05T10:00:00Z");
    assert_eq!(
        sim.with(|world| world.repo(REPO).unwrap().tags.get("v1.2.0").cloned()),
        Some(main)
    );
    let by_tag = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/releases/tags/v1.2.0"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(by_tag.body["id"], id);

    // Reverting to draft clears published_at and keeps the tag.
    let reverted = call(
        &sim,
        "PATCH",
        &format!("/repos/{REPO}/releases/{id}"),
        Some(&token),
        Some(json!({ "draft": true })),
    )
    .await;
    assert_eq!(reverted.body["draft"], true);
    assert_eq!(reverted.body["published_at"], Value::Null);
    assert!(sim.with(|world| world.repo(REPO).unwrap().tags.contains_key("v1.2.0")));

    let duplicate = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/releases"),
        Some(&token),
        Some(json!({ "tag_name": "v1.1.0" })),
    )
    .await;
    assert_eq!(duplicate.status, 422);
    assert_eq!(duplicate.body["errors"][0]["code"], "already_exists");
    let bad_target = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/releases"),
        Some(&token),
        Some(json!({ "tag_name": "v9", "target_commitish": "nope" })),
    )
    .await;
    assert_eq!(bad_target.status, 422);

    let list = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/releases"),
        Some(&token),
        None,
    )
    .await;
    let tags: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tag_name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["v1.2.0", "v1.1.0"]);
    assert_eq!(
        call(
            &sim,
            "DELETE",
            &format!("/repos/{REPO}/releases/{id}"),
            Some(&token),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        call(
            &sim,
            "GET",
            &format!("/repos/{REPO}/releases/{id}"),
            Some(&token),
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn deployment_protection_rule_answers_are_recorded() {
    let (sim, token) = sim_with_repo().await;
    let path = format!("/repos/{REPO}/actions/runs/9100/deployment_protection_rule");
    let answer = call(
        &sim,
        "POST",
        &path,
        Some(&token),
        Some(json!({
            "environment_name": "production", "state": "rejected", "comment": "QA blocker open",
        })),
    )
    .await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.body, Value::Null);
    let reviews = sim.with(|world| world.protection_rule_reviews.clone());
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].repo, REPO);
    assert_eq!(reviews[0].run_id, 9100);
    assert_eq!(reviews[0].environment_name, "production");
    assert_eq!(reviews[0].state, "rejected");
    assert_eq!(reviews[0].comment.as_deref(), Some("QA blocker open"));
    assert_eq!(reviews[0].installation_id, 77);

    let invalid = call(
        &sim,
        "POST",
        &path,
        Some(&token),
        Some(json!({ "environment_name": "production", "state": "maybe" })),
    )
    .await;
    assert_eq!(invalid.status, 422);
    assert_eq!(sim.with(|world| world.protection_rule_reviews.len()), 1);
}

#[tokio::test]
async fn deployments_and_their_statuses() {
    let (sim, token) = sim_with_repo().await;
    let sha = sim.with(|world| {
        let sha = world.resolve(REPO, "main").unwrap();
        world.add_tag(REPO, "v1.0.0", &sha);
        world.set_status(REPO, &sha, "ci", "failure");
        sha
    });
    let blocked = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/deployments"),
        Some(&token),
        Some(json!({ "ref": "v1.0.0", "environment": "staging" })),
    )
    .await;
    assert_eq!(blocked.status, 409);
    sim.with(|world| world.set_status(REPO, &sha, "ci", "success"));
    let created = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/deployments"),
        Some(&token),
        Some(json!({ "ref": "v1.0.0", "environment": "staging" })),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["sha"], sha.as_str());
    assert_eq!(created.body["ref"], "v1.0.0");
    assert_eq!(created.body["production_environment"], false);
    let id = created.body["id"].as_u64().unwrap();
    let status = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/deployments/{id}/statuses"),
        Some(&token),
        Some(json!({ "state": "success", "environment_url": "https://stage.example.net" })),
    )
    .await;
    assert_eq!(status.status, 201);
    assert_eq!(status.body["state"], "success");
    assert_eq!(status.body["environment"], "staging");

    let second = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/deployments"),
        Some(&token),
        Some(json!({ "ref": "main", "environment": "staging" })),
    )
    .await;
    let second_id = second.body["id"].as_u64().unwrap();
    call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/deployments/{second_id}/statuses"),
        Some(&token),
        Some(json!({ "state": "success" })),
    )
    .await;
    // The older staging deployment went inactive.
    let statuses = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/deployments/{id}/statuses"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(statuses.body[0]["state"], "inactive");

    let listed = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/deployments?environment=staging"),
        Some(&token),
        None,
    )
    .await;
    let ids: Vec<u64> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [second_id, id]);
    let none = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/deployments?environment=production"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(none.body, json!([]));
}

#[tokio::test]
async fn issues_comments_labels_assignees_and_reactions() {
    let (sim, token) = sim_with_repo().await;
    sim.with(|world| world.add_collaborator(REPO, "alice", Permission::Maintain));
    let created = call(&sim, "POST", &format!("/repos/{REPO}/issues"), Some(&token), Some(json!({
        "title": "Release 2026-01-06", "body": "checklist", "labels": ["release"], "assignees": ["alice"],
    }))).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["user"]["login"], "relman-test[bot]");
    assert_eq!(created.body["user"]["type"], "Bot");
    assert_eq!(created.body["labels"][0]["name"], "release");
    assert_eq!(created.body["assignees"][0]["login"], "alice");
    assert_eq!(
        created.body["performed_via_github_app"]["slug"],
        "relman-test"
    );
    let number = created.body["number"].as_u64().unwrap();

    let missing_title = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/issues"),
        Some(&token),
        Some(json!({ "body": "x" })),
    )
    .await;
    assert_eq!(missing_title.status, 422);
    assert_eq!(missing_title.body["errors"][0]["field"], "title");
    let wrong_shape = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/issues/{number}/comments"),
        Some(&token),
        Some(json!("x")),
    )
    .await;
    assert_eq!(wrong_shape.status, 422);
    let stranger = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/issues"),
        Some(&token),
        Some(json!({ "title": "t", "assignees": ["mallory"] })),
    )
    .await;
    assert_eq!(stranger.status, 422);

    // Comments by the App are the bot's.
    let comment = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/issues/{number}/comments"),
        Some(&token),
        Some(json!({ "body": "<!-- relman:status:1 -->\nhello" })),
    )
    .await;
    assert_eq!(comment.status, 201);
    assert_eq!(comment.body["user"]["login"], "relman-test[bot]");
    assert_eq!(
        comment.body["performed_via_github_app"]["id"],
        github_sim::APP_ID
    );
    let comment_id = comment.body["id"].as_u64().unwrap();
    let edited = call(
        &sim,
        "PATCH",
        &format!("/repos/{REPO}/issues/comments/{comment_id}"),
        Some(&token),
        Some(json!({ "body": "updated" })),
    )
    .await;
    assert_eq!(edited.body["body"], "updated");

    // Reactions: 201 new, 200 again, 422 unknown content.
    let path = format!("/repos/{REPO}/issues/comments/{comment_id}/reactions");
    let eyes = call(
        &sim,
        "POST",
        &path,
        Some(&token),
        Some(json!({ "content": "eyes" })),
    )
    .await;
    assert_eq!(eyes.status, 201);
    let again = call(
        &sim,
        "POST",
        &path,
        Some(&token),
        Some(json!({ "content": "eyes" })),
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["id"], eyes.body["id"]);
    assert_eq!(
        call(
            &sim,
            "POST",
            &path,
            Some(&token),
            Some(json!({ "content": "wave" }))
        )
        .await
        .status,
        422
    );
    let on_issue = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/issues/{number}/reactions"),
        Some(&token),
        Some(json!({ "content": "+1" })),
    )
    .await;
    assert_eq!(on_issue.status, 201);
    let listed = call(&sim, "GET", &path, Some(&token), None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let fetched = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/issues/comments/{comment_id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(fetched.body["reactions"]["eyes"], 1);

    // Labels and assignees.
    let labels = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/issues/{number}/labels"),
        Some(&token),
        Some(json!({ "labels": ["hotfix"] })),
    )
    .await;
    let names: Vec<&str> = labels
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["release", "hotfix"]);
    let removed = call(
        &sim,
        "DELETE",
        &format!("/repos/{REPO}/issues/{number}/labels/release"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(removed.status, 200);
    assert_eq!(removed.body.as_array().unwrap().len(), 1);
    let gone = call(
        &sim,
        "DELETE",
        &format!("/repos/{REPO}/issues/{number}/labels/release"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(gone.status, 404);
    sim.with(|world| world.add_user("bob", UserKind::User));
    let assigned = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/issues/{number}/assignees"),
        Some(&token),
        Some(json!({ "assignees": ["bob"] })),
    )
    .await;
    assert_eq!(assigned.status, 201);
    // bob has no access: silently not assigned, as on GitHub.
    assert_eq!(assigned.body["assignees"].as_array().unwrap().len(), 1);

    // Closing.
    let closed = call(
        &sim,
        "PATCH",
        &format!("/repos/{REPO}/issues/{number}"),
        Some(&token),
        Some(json!({ "state": "closed", "state_reason": "completed" })),
    )
    .await;
    assert_eq!(closed.body["state"], "closed");
    assert_eq!(closed.body["closed_by"]["login"], "relman-test[bot]");
    assert_eq!(closed.body["state_reason"], "completed");
    let open = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/issues"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(open.body, json!([]));
    let all = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/issues?state=all&labels=hotfix&creator=relman-test%5Bbot%5D"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(all.body.as_array().unwrap().len(), 1);

    assert_eq!(
        call(
            &sim,
            "DELETE",
            &format!("/repos/{REPO}/issues/comments/{comment_id}"),
            Some(&token),
            None
        )
        .await
        .status,
        204
    );
    assert!(sim.with(|world| world.repo(REPO).unwrap().comments.is_empty()));
    assert_eq!(
        call(
            &sim,
            "GET",
            &format!("/repos/{REPO}/issues/comments/{comment_id}"),
            Some(&token),
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn collaborator_permission_maps_fine_roles_to_legacy_permissions() {
    let (sim, token) = sim_with_repo().await;
    sim.with(|world| {
        world.add_collaborator(REPO, "mia", Permission::Maintain);
        world.add_collaborator(REPO, "tia", Permission::Triage);
        world.add_collaborator(REPO, "ada", Permission::Admin);
        world.add_user("nobody", UserKind::User);
    });
    for (login, permission, role) in [
        ("mia", "write", "maintain"),
        ("tia", "read", "triage"),
        ("ada", "admin", "admin"),
        ("nobody", "none", "none"),
    ] {
        let answer = call(
            &sim,
            "GET",
            &format!("/repos/{REPO}/collaborators/{login}/permission"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(answer.status, 200, "{login}");
        assert_eq!(answer.body["permission"], permission, "{login}");
        assert_eq!(answer.body["role_name"], role, "{login}");
        assert_eq!(answer.body["user"]["login"], login);
    }
    let answer = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/collaborators/mia/permission"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(answer.body["user"]["permissions"]["maintain"], true);
    assert_eq!(answer.body["user"]["permissions"]["admin"], false);
    let unknown = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/collaborators/ghost-user/permission"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn team_memberships() {
    let (sim, token) = sim_with_repo().await;
    sim.with(|world| world.add_team_member("acme", "qa", "quinn", "member"));
    let member = call(
        &sim,
        "GET",
        "/orgs/acme/teams/qa/memberships/quinn",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(member.status, 200);
    assert_eq!(
        (member.body["state"].as_str(), member.body["role"].as_str()),
        (Some("active"), Some("member"))
    );
    assert_eq!(
        call(
            &sim,
            "GET",
            "/orgs/acme/teams/qa/memberships/bob",
            Some(&token),
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(
            &sim,
            "GET",
            "/orgs/acme/teams/ops/memberships/quinn",
            Some(&token),
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn contents_are_base64_in_60_character_lines() {
    let (sim, token) = sim_with_repo().await;
    let config = "timezone: America/Los_Angeles\nschedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }\n";
    sim.with(|world| {
        world.commit(
            REPO,
            "main",
            "Add config",
            &[(".github/relman.yml", config)],
        )
    });
    let file = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/contents/.github/relman.yml"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body["type"], "file");
    assert_eq!(file.body["encoding"], "base64");
    assert_eq!(file.body["size"], config.len());
    assert_eq!(file.body["path"], ".github/relman.yml");
    assert_eq!(file.body["name"], "relman.yml");
    let content = file.body["content"].as_str().unwrap();
    assert!(content.ends_with('\n'));
    assert!(content.lines().all(|line| line.len() <= 60));
    assert_eq!(content.lines().next().unwrap().len(), 60);
    assert_eq!(decode_content(&file.body), config);
    // The sha is the git blob id.
    let blob = call(
        &sim,
        "GET",
        &format!(
            "/repos/{REPO}/git/blobs/{}",
            file.body["sha"].as_str().unwrap()
        ),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(decode_content(&blob.body), config);

    let dir = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/contents/.github"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(dir.body[0]["name"], "relman.yml");
    let old = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/contents/.github/relman.yml?ref=main~1"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(old.status, 404);
    let missing = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/contents/nope.yml"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["message"], "Not Found");
}

#[tokio::test]
async fn git_data_blob_tree_commit_and_refs() {
    let (sim, token) = sim_with_repo().await;
    let main = sim.with(|world| world.resolve(REPO, "main").unwrap());
    let base_tree = sim.with(|world| {
        world
            .repo(REPO)
            .unwrap()
            .commit(&main)
            .unwrap()
            .tree_sha
            .clone()
    });

    let blob = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/git/blobs"),
        Some(&token),
        Some(json!({ "content": "v1.1.0\n", "encoding": "utf-8" })),
    )
    .await;
    assert_eq!(blob.status, 201);
    let blob_sha = blob.body["sha"].as_str().unwrap().to_string();
    let tree = call(&sim, "POST", &format!("/repos/{REPO}/git/trees"), Some(&token), Some(json!({
        "base_tree": base_tree,
        "tree": [
            { "path": "VERSION", "mode": "100644", "type": "blob", "sha": blob_sha },
            { "path": "docs/CHANGELOG.md", "mode": "100644", "type": "blob", "content": "# Changelog\n" },
            { "path": "README.md", "mode": "100644", "type": "blob", "sha": null },
        ],
    }))).await;
    assert_eq!(tree.status, 201, "{}", tree.body);
    let paths: Vec<&str> = tree.body["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["VERSION", "docs"]);
    let tree_sha = tree.body["sha"].as_str().unwrap().to_string();
    let recursive = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/git/trees/{tree_sha}?recursive=1"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(recursive.body["tree"].as_array().unwrap().len(), 3);

    let commit = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/git/commits"),
        Some(&token),
        Some(json!({
            "message": "Release v1.1.0", "tree": tree_sha, "parents": [main],
        })),
    )
    .await;
    assert_eq!(commit.status, 201);
    assert_eq!(commit.body["verification"]["verified"], true);
    assert_eq!(commit.body["author"]["name"], "relman-test[bot]");
    assert_eq!(commit.body["tree"]["sha"], tree_sha.as_str());
    let commit_sha = commit.body["sha"].as_str().unwrap().to_string();

    // Fast-forward main, then refuse a non-fast-forward without force.
    let moved = call(
        &sim,
        "PATCH",
        &format!("/repos/{REPO}/git/refs/heads/main"),
        Some(&token),
        Some(json!({ "sha": commit_sha })),
    )
    .await;
    assert_eq!(moved.status, 200);
    assert_eq!(moved.body["object"]["sha"], commit_sha.as_str());
    let back = call(
        &sim,
        "PATCH",
        &format!("/repos/{REPO}/git/refs/heads/main"),
        Some(&token),
        Some(json!({ "sha": main })),
    )
    .await;
    assert_eq!(back.status, 422);
    assert_eq!(back.body["message"], "Update is not a fast forward");
    let forced = call(
        &sim,
        "PATCH",
        &format!("/repos/{REPO}/git/refs/heads/main"),
        Some(&token),
        Some(json!({ "sha": main, "force": true })),
    )
    .await;
    assert_eq!(forced.status, 200);

    let tag = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/git/refs"),
        Some(&token),
        Some(json!({ "ref": "refs/tags/v1.1.0", "sha": commit_sha })),
    )
    .await;
    assert_eq!(tag.status, 201);
    assert_eq!(tag.body["ref"], "refs/tags/v1.1.0");
    let exists = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/git/refs"),
        Some(&token),
        Some(json!({ "ref": "refs/tags/v1.1.0", "sha": commit_sha })),
    )
    .await;
    assert_eq!(exists.status, 422);
    assert_eq!(exists.body["message"], "Reference already exists");
    let got = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/git/ref/tags/v1.1.0"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(got.body["object"]["sha"], commit_sha.as_str());
    sim.with(|world| world.add_tag(REPO, "v1.0.0", "main"));
    let matching = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/git/matching-refs/tags/v1."),
        Some(&token),
        None,
    )
    .await;
    let refs: Vec<&str> = matching
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["refs/tags/v1.0.0", "refs/tags/v1.1.0"]);
    let tags = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/tags"),
        Some(&token),
        None,
    )
    .await;
    let names: Vec<&str> = tags
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["v1.0.0", "v1.1.0"], "newest first");
    assert_eq!(
        call(
            &sim,
            "DELETE",
            &format!("/repos/{REPO}/git/refs/tags/v1.1.0"),
            Some(&token),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        call(
            &sim,
            "GET",
            &format!("/repos/{REPO}/git/ref/tags/v1.1.0"),
            Some(&token),
            None
        )
        .await
        .status,
        404
    );
    let file = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/contents/VERSION?ref={commit_sha}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(decode_content(&file.body), "v1.1.0\n");
}

#[tokio::test]
async fn statuses_and_check_runs() {
    let (sim, token) = sim_with_repo().await;
    let sha = sim.with(|world| world.resolve(REPO, "main").unwrap());
    let pending = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits/main/status"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (
            pending.body["state"].as_str(),
            pending.body["total_count"].as_u64()
        ),
        (Some("pending"), Some(0))
    );
    sim.with(|world| {
        world.set_status(REPO, &sha, "ci/test", "failure");
        world.set_status(REPO, &sha, "ci/test", "success");
        world.set_status(REPO, &sha, "ci/lint", "success");
    });
    let combined = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits/main/status"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(combined.body["state"], "success");
    assert_eq!(combined.body["total_count"], 2);
    assert_eq!(combined.body["sha"], sha.as_str());
    let posted = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/statuses/{sha}"),
        Some(&token),
        Some(json!({ "state": "pending", "context": "relman/requirements" })),
    )
    .await;
    assert_eq!(posted.status, 201);
    let combined = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits/{sha}/status"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(combined.body["state"], "pending");
    let bad_sha = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/statuses/{}", "0".repeat(40)),
        Some(&token),
        Some(json!({ "state": "success" })),
    )
    .await;
    assert_eq!(bad_sha.status, 422);

    let created = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/check-runs"),
        Some(&token),
        Some(json!({
            "name": "relman/requirements", "head_sha": sha, "status": "in_progress",
        })),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["status"], "in_progress");
    assert_eq!(created.body["app"]["slug"], "relman-test");
    let id = created.body["id"].as_u64().unwrap();
    let annotation = json!({ "path": ".github/relman.yml", "start_line": 3, "end_line": 3, "annotation_level": "failure", "message": "unknown key `scheduel`" });
    let updated = call(&sim, "PATCH", &format!("/repos/{REPO}/check-runs/{id}"), Some(&token), Some(json!({
        "conclusion": "failure",
        "output": { "title": "Config invalid", "summary": "1 error", "annotations": [annotation] },
    }))).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["status"], "completed");
    assert_eq!(updated.body["conclusion"], "failure");
    assert_eq!(updated.body["output"]["annotations_count"], 1);
    assert_eq!(updated.body["completed_at"], "2026-01-05T09:00:00Z");
    let stored = sim.with(|world| world.repo(REPO).unwrap().annotations(id).to_vec());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["message"], "unknown key `scheduel`");
    assert_eq!(stored[0]["start_line"], 3);

    sim.with(|world| world.set_check_run(REPO, &sha, "test", "completed", Some("success")));
    let runs = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits/main/check-runs"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(runs.body["total_count"], 2);
    let names: Vec<&str> = runs.body["check_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["test", "relman/requirements"]);
    let filtered = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/commits/main/check-runs?check_name=test"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(filtered.body["total_count"], 1);
    assert_eq!(
        filtered.body["check_runs"][0]["app"]["slug"],
        "github-actions"
    );
    let incomplete = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/check-runs"),
        Some(&token),
        Some(json!({ "name": "x", "head_sha": sha, "status": "completed" })),
    )
    .await;
    assert_eq!(incomplete.status, 422);
}

#[tokio::test]
async fn pull_requests_through_the_api() {
    let (sim, token) = sim_with_repo().await;
    sim.with(|world| {
        world.create_branch(REPO, "release/v1.1", "main");
        world.commit(
            REPO,
            "release/v1.1",
            "Cherry-pick fix",
            &[("fix.txt", "fixed\n")],
        );
    });
    let created = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/pulls"),
        Some(&token),
        Some(json!({
            "title": "Hotfix v1.1.1", "head": "acme:release/v1.1", "base": "main", "body": "why",
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["head"]["ref"], "release/v1.1");
    assert_eq!(created.body["mergeable"], true);
    let number = created.body["number"].as_u64().unwrap();
    let duplicate = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/pulls"),
        Some(&token),
        Some(json!({
            "title": "Again", "head": "release/v1.1", "base": "main",
        })),
    )
    .await;
    assert_eq!(duplicate.status, 422);
    let listed = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls?head=acme:release/v1.1"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(listed.body[0]["number"], number);
    let commits = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls/{number}/commits"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(commits.body[0]["commit"]["message"], "Cherry-pick fix");
    let closed = call(
        &sim,
        "PATCH",
        &format!("/repos/{REPO}/pulls/{number}"),
        Some(&token),
        Some(json!({ "state": "closed" })),
    )
    .await;
    assert_eq!(
        (
            closed.body["state"].as_str(),
            closed.body["merged"].as_bool()
        ),
        (Some("closed"), Some(false))
    );
    let open = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(open.body, json!([]));
    assert_eq!(
        call(
            &sim,
            "GET",
            &format!("/repos/{REPO}/pulls/999"),
            Some(&token),
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn the_protection_rule_callback_url_of_a_built_payload_points_at_the_sim() {
    let (sim, token) = sim_with_repo().await;
    let payload = sim.with(|world| {
        let deployment = world.add_deployment(REPO, "main", "production", "alice");
        github_sim::events::deployment_protection_rule_requested(
            world, REPO, deployment, 555, "alice",
        )
        .1
    });
    let callback = payload["deployment_callback_url"].as_str().unwrap();
    assert!(callback.starts_with(&sim.api_url()), "{callback}");
    let path = callback.trim_start_matches(&sim.api_url());
    let answer = call(
        &sim,
        "POST",
        path,
        Some(&token),
        Some(json!({ "environment_name": "production", "state": "approved" })),
    )
    .await;
    assert_eq!(answer.status, 204);
    let reviews = sim.with(|world| world.protection_rule_reviews.clone());
    assert_eq!(
        (reviews[0].run_id, reviews[0].state.as_str()),
        (555, "approved")
    );
}

#[tokio::test]
async fn unknown_routes_are_github_404s() {
    let (sim, token) = sim_with_repo().await;
    for path in ["/nope", "/repos/acme/web/wat", "/repos/acme/web/issues/abc"] {
        let answer = call(&sim, "GET", path, Some(&token), None).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.body["message"], "Not Found");
        assert_eq!(answer.body["status"], "404");
    }
    let malformed = reqwest::Client::new()
        .post(format!("{}/repos/acme/web/issues", sim.api_url()))
        .header("authorization", &token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["message"], "Problems parsing JSON");
}

#[tokio::test]
async fn review_comments_and_their_reactions() {
    let (sim, token) = sim_with_repo().await;
    let (number, comment_id, review_id, issue_comment) = sim.with(|world| {
        let number = world.open_pr(REPO, "bob", "Cache templates", "bob/cache", "main");
        let (comment, review) =
            world.add_review_comment(REPO, number, "alice", "README.md", 1, "Typo here");
        let issue_comment = world.add_comment(REPO, number, "alice", "Looks fine");
        (number, comment, review, issue_comment)
    });

    let got = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls/comments/{comment_id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["body"], "Typo here");
    assert_eq!(got.body["pull_request_review_id"], review_id);
    assert_eq!(got.body["path"], "README.md");
    assert_eq!(
        got.body["html_url"],
        format!("https://github.com/{REPO}/pull/{number}#discussion_r{comment_id}")
    );
    let listed = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls/{number}/comments"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let pull = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls/{number}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(pull.body["review_comments"], 1);

    // Reactions on a review comment: their own route, 201 then 200, 422 for unknown content.
    let path = format!("/repos/{REPO}/pulls/comments/{comment_id}/reactions");
    let eyes = call(
        &sim,
        "POST",
        &path,
        Some(&token),
        Some(json!({ "content": "eyes" })),
    )
    .await;
    assert_eq!(eyes.status, 201);
    assert_eq!(eyes.body["user"]["login"], "relman-test[bot]");
    let again = call(
        &sim,
        "POST",
        &path,
        Some(&token),
        Some(json!({ "content": "eyes" })),
    )
    .await;
    assert_eq!(again.status, 200);
    let wave = call(
        &sim,
        "POST",
        &path,
        Some(&token),
        Some(json!({ "content": "wave" })),
    )
    .await;
    assert_eq!(wave.status, 422);
    let listed = call(&sim, "GET", &path, Some(&token), None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let rendered = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls/comments/{comment_id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(rendered.body["reactions"]["eyes"], 1);

    // The id spaces are apart: the review comment is not an issue comment, and the other way.
    let as_issue_comment = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/issues/comments/{comment_id}/reactions"),
        Some(&token),
        Some(json!({ "content": "+1" })),
    )
    .await;
    assert_eq!(as_issue_comment.status, 404);
    let as_review_comment = call(
        &sim,
        "POST",
        &format!("/repos/{REPO}/pulls/comments/{issue_comment}/reactions"),
        Some(&token),
        Some(json!({ "content": "+1" })),
    )
    .await;
    assert_eq!(as_review_comment.status, 404);
    let missing = call(
        &sim,
        "GET",
        &format!("/repos/{REPO}/pulls/comments/999999"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
}
