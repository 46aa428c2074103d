//! The webhook fixtures in `tests/fixtures/` are the payload builders'
//! output for `events::fixture_world()`, and octocrab's webhook models
//! accept them.
//!
//! After changing a builder, regenerate with
//! `GITHUB_SIM_BLESS=1 cargo test -p github-sim --test integration fixtures::` and review
//! the diff.

use std::path::PathBuf;

use octocrab::models::webhook_events::{WebhookEvent, WebhookEventPayload};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// `pull_request.closed.json` -> `pull_request`.
fn event_name(file: &str) -> &str {
    file.trim_end_matches(".json").split('.').next().unwrap()
}

#[test]
fn fixtures_match_the_payload_builders() {
    let bless = std::env::var_os("GITHUB_SIM_BLESS").is_some();
    let fixtures = github_sim::events::fixtures();
    assert!(fixtures.len() >= 25, "{}", fixtures.len());
    for (name, payload) in fixtures {
        let path = fixtures_dir().join(&name);
        if bless {
            let text = serde_json::to_string_pretty(&payload).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{name}: {e}; regenerate with GITHUB_SIM_BLESS=1"));
        let on_disk: Value = serde_json::from_str(&on_disk).unwrap();
        assert!(
            on_disk == payload,
            "{name} is stale; regenerate with GITHUB_SIM_BLESS=1 and review the diff"
        );
    }
}

#[test]
fn octocrab_parses_every_fixture_as_its_event() {
    let mut parsed = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        if !file.ends_with(".json") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        let event = WebhookEvent::try_from_header_and_body(event_name(&file), &body)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let specific_ok = match (event_name(&file), &event.specific) {
            ("pull_request", WebhookEventPayload::PullRequest(p)) => p.pull_request.number > 0,
            ("issue_comment", WebhookEventPayload::IssueComment(p)) => p.issue.number > 0,
            ("issues", WebhookEventPayload::Issues(p)) => p.issue.number > 0,
            ("pull_request_review_comment", WebhookEventPayload::PullRequestReviewComment(p)) => {
                p.pull_request.number > 0 && !p.comment.body.is_empty()
            }
            ("pull_request_review", WebhookEventPayload::PullRequestReview(p)) => {
                p.pull_request.number > 0
            }
            ("release", WebhookEventPayload::Release(_)) => true,
            ("push", WebhookEventPayload::Push(p)) => !p.commits.is_empty(),
            ("create", WebhookEventPayload::Create(_)) => true,
            ("check_run", WebhookEventPayload::CheckRun(_)) => true,
            ("check_suite", WebhookEventPayload::CheckSuite(_)) => true,
            ("status", WebhookEventPayload::Status(_)) => true,
            ("deployment", WebhookEventPayload::Deployment(_)) => true,
            ("deployment_status", WebhookEventPayload::DeploymentStatus(_)) => true,
            ("deployment_protection_rule", WebhookEventPayload::DeploymentProtectionRule(_)) => {
                true
            }
            ("installation", WebhookEventPayload::Installation(_)) => true,
            ("installation_repositories", WebhookEventPayload::InstallationRepositories(_)) => true,
            ("ping", WebhookEventPayload::Ping(_)) => true,
            (other, payload) => panic!("{file}: {other} parsed as {payload:?}"),
        };
        assert!(specific_ok, "{file}");
        if !file.starts_with("ping") && !file.starts_with("installation") {
            assert_eq!(
                event
                    .repository
                    .as_ref()
                    .and_then(|r| r.full_name.as_deref()),
                Some("acme/web"),
                "{file}"
            );
            assert!(event.installation.is_some(), "{file}");
        }
        assert!(event.sender.is_some(), "{file}");
        parsed += 1;
    }
    assert!(parsed >= 25, "parsed {parsed} fixtures");
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn fixtures_carry_what_relman_reads() {
    let closed = load("pull_request.closed.json");
    assert_eq!(closed["action"], "closed");
    assert_eq!(closed["pull_request"]["merged"], true);
    assert!(
        closed["pull_request"]["merge_commit_sha"]
            .as_str()
            .unwrap()
            .len()
            == 40
    );
    assert_eq!(closed["installation"]["id"], 77);
    assert!(closed["installation"]["node_id"].is_string());
    assert_eq!(closed["organization"]["login"], "acme");

    let edited = load("issue_comment.edited.json");
    assert_eq!(edited["changes"]["body"]["from"], "/signoff stagign");
    assert_eq!(edited["comment"]["body"], "/signoff staging");

    let created = load("issue_comment.created.json");
    assert_eq!(created["comment"]["body"], "/release");
    assert_eq!(created["comment"]["author_association"], "COLLABORATOR");
    assert_eq!(created["issue"]["user"]["login"], "relman-test[bot]");

    // Review comments have their own routes; their PR comes in the simple shape.
    let review_comment = load("pull_request_review_comment.edited.json");
    assert_eq!(
        review_comment["changes"]["body"]["from"],
        "Could this link to the login docs?"
    );
    assert!(
        review_comment["comment"]["body"]
            .as_str()
            .unwrap()
            .ends_with("/help")
    );
    assert_eq!(review_comment["comment"]["user"]["type"], "User");
    let comment_id = review_comment["comment"]["id"].as_u64().unwrap();
    assert_eq!(
        review_comment["comment"]["url"],
        format!("https://api.github.com/repos/acme/web/pulls/comments/{comment_id}")
    );
    assert!(
        review_comment["comment"]["html_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#discussion_r{comment_id}"))
    );
    assert!(review_comment["comment"].get("in_reply_to_id").is_none());
    assert!(review_comment["pull_request"]["number"].as_u64().unwrap() > 0);
    assert!(review_comment["pull_request"].get("merged").is_none());

    // A review without a summary has `body: null`; states are lower case in webhooks.
    let lone = load("pull_request_review.submitted.no-body.json");
    assert!(lone["review"]["body"].is_null());
    assert_eq!(lone["review"]["state"], "commented");
    assert_eq!(
        lone["review"]["id"],
        load("pull_request_review_comment.created.json")["comment"]["pull_request_review_id"]
    );
    let review = load("pull_request_review.submitted.json");
    assert_eq!(review["review"]["state"], "approved");
    assert_eq!(review["review"]["body"], "Looks good.\n\n/release status");
    assert_eq!(review["sender"]["login"], "alice");

    let rule = load("deployment_protection_rule.requested.json");
    assert_eq!(rule["environment"], "staging");
    assert_eq!(rule["event"], "push");
    assert_eq!(
        rule["deployment_callback_url"],
        "https://api.github.com/repos/acme/web/actions/runs/9100200300/deployment_protection_rule"
    );
    assert_eq!(rule["deployment"]["environment"], "staging");
    assert_eq!(rule["sha"], rule["deployment"]["sha"]);

    let push = load("push.json");
    assert_eq!(push["ref"], "refs/heads/main");
    assert_eq!(push["commits"].as_array().unwrap().len(), 2);
    assert!(
        push["repository"]["created_at"].is_i64(),
        "push repositories use Unix times"
    );

    let installation = load("installation.created.json");
    assert_eq!(installation["installation"]["id"], 77);
    assert_eq!(installation["repositories"].as_array().unwrap().len(), 2);

    let release = load("release.published.json");
    assert_eq!(release["release"]["tag_name"], "v1.3.0");
    assert!(release["release"]["published_at"].is_string());
}
