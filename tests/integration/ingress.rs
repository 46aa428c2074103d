//! Webhook ingress through the real router: every answer of the HTTP contract.

use crate::support;

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use relman::server::signature::sign;
use relman::store::work::WorkStatus;
use serde_json::{Value, json};
use support::{SECRET, TestDb, WEBHOOK_PATH, app};
use tower::ServiceExt;

struct Post {
    event: Option<String>,
    delivery: Option<String>,
    signature: Option<String>,
    sha1_only: bool,
    body: Vec<u8>,
}

impl Post {
    fn signed(event: &str, delivery: &str, body: &[u8]) -> Post {
        Post {
            event: Some(event.to_string()),
            delivery: Some(delivery.to_string()),
            signature: Some(sign(SECRET.as_bytes(), body)),
            sha1_only: false,
            body: body.to_vec(),
        }
    }

    fn request(self) -> Request<Body> {
        let mut r = Request::post(WEBHOOK_PATH).header("content-type", "application/json");
        if let Some(e) = &self.event {
            r = r.header("x-github-event", e);
        }
        if let Some(d) = &self.delivery {
            r = r.header("x-github-delivery", d);
        }
        if let Some(s) = &self.signature {
            r = r.header("x-hub-signature-256", s);
        }
        if self.sha1_only {
            r = r.header(
                "x-hub-signature",
                "sha1=0000000000000000000000000000000000000000",
            );
        }
        r.body(Body::from(self.body)).unwrap()
    }
}

async fn send(router: &axum::Router, post: Post) -> (StatusCode, Value) {
    let response = router.clone().oneshot(post.request()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

fn comment_body() -> Vec<u8> {
    support::fixture("issue_comment.created.json")
}

#[tokio::test]
async fn accepted_deliveries_are_stored_before_the_answer() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (router, _) = app(&store);
        let (status, body) = send(
            &router,
            Post::signed("issue_comment", "d-1", &comment_body()),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}", db.label);
        assert_eq!(body, json!({"status": "accepted"}));
        // The row exists the moment the 202 is out.
        assert_eq!(
            store.work_status("d-1").await.unwrap(),
            Some(WorkStatus::Pending)
        );
        let items = store.list_work(None, 10).await.unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].name, "issue_comment");
        assert_eq!(items[0].action.as_deref(), Some("created"));
        assert!(items[0].repo.as_deref().is_some_and(|r| r.contains('/')));
    }
}

/// Payloads are stored as sent and handed to workers byte for byte.
#[tokio::test]
async fn payloads_are_stored_and_claimed_exactly_as_sent() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (router, _) = app(&store);
        let body = support::fixture("pull_request.opened.json");
        let (status, _) = send(&router, Post::signed("pull_request", "pr-1", &body)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}", db.label);

        let stored: Vec<u8> = sqlx::query_scalar("SELECT payload FROM work_payloads")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(stored, body, "{}", db.label);
        let claimed = store.claim("w", 1, 1_000).await.unwrap().unwrap();
        assert_eq!(claimed.payload, body, "{}", db.label);
    }
}

#[tokio::test]
async fn a_redelivered_id_is_not_run_twice() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (router, _) = app(&store);
        let body = comment_body();
        assert_eq!(
            send(&router, Post::signed("issue_comment", "dup", &body))
                .await
                .1["status"],
            "accepted"
        );
        let (status, answer) = send(&router, Post::signed("issue_comment", "dup", &body)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(answer, json!({"status": "duplicate"}), "{}", db.label);
        assert_eq!(store.list_work(None, 10).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn events_relman_does_not_handle_are_acknowledged_and_dropped() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    for (event, body) in [
        (
            "ping",
            br#"{"zen":"Keep it logically awesome.","hook_id":1}"#.to_vec(),
        ),
        ("star", b"{}".to_vec()),
    ] {
        let (status, answer) =
            send(&router, Post::signed(event, &format!("i-{event}"), &body)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(answer, json!({"status": "ignored"}));
    }
    assert!(store.list_work(None, 10).await.unwrap().is_empty());
}

/// Every event type in GitHub's "Webhook events and payloads" page (December 2026), in its order.
/// GitHub adds types over time; names with digits (`projects_v2_item`) are as valid as any.
const GITHUB_EVENTS: &[&str] = &[
    "branch_protection_configuration",
    "branch_protection_rule",
    "check_run",
    "check_suite",
    "code_scanning_alert",
    "commit_comment",
    "create",
    "custom_property",
    "custom_property_values",
    "delete",
    "dependabot_alert",
    "deploy_key",
    "deployment",
    "deployment_protection_rule",
    "deployment_review",
    "deployment_status",
    "discussion",
    "discussion_comment",
    "fork",
    "github_app_authorization",
    "gollum",
    "installation",
    "installation_repositories",
    "installation_target",
    "issue_comment",
    "issue_dependencies",
    "issues",
    "label",
    "marketplace_purchase",
    "member",
    "membership",
    "merge_group",
    "meta",
    "milestone",
    "org_block",
    "organization",
    "package",
    "page_build",
    "personal_access_token_request",
    "ping",
    "project",
    "project_card",
    "project_column",
    "projects_v2",
    "projects_v2_item",
    "projects_v2_status_update",
    "public",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_review_thread",
    "push",
    "registry_package",
    "release",
    "repository",
    "repository_advisory",
    "repository_dispatch",
    "repository_import",
    "repository_ruleset",
    "repository_vulnerability_alert",
    "secret_scanning_alert",
    "secret_scanning_alert_location",
    "secret_scanning_scan",
    "security_advisory",
    "security_and_analysis",
    "sponsorship",
    "star",
    "status",
    "sub_issues",
    "team",
    "team_add",
    "watch",
    "workflow_dispatch",
    "workflow_job",
    "workflow_run",
];

/// No documented event is refused: relman stores the ones it subscribes to and acknowledges the
/// rest with `202 ignored`, so GitHub never records a failed delivery for them.
#[tokio::test]
async fn every_event_github_documents_is_answered_202() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    let body = serde_json::to_vec(&json!({
        "action": "created",
        "installation": {"id": 77},
        "repository": {"id": 42, "full_name": "acme/web"},
        "organization": {"login": "acme", "id": 7},
        "sender": {"login": "octocat", "id": 1}
    }))
    .unwrap();
    let mut stored = 0;
    for event in GITHUB_EVENTS {
        let (status, answer) =
            send(&router, Post::signed(event, &format!("e-{event}"), &body)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{event}: {answer}");
        let expected = if relman::handlers::SUBSCRIBED_EVENTS.contains(event) {
            stored += 1;
            "accepted"
        } else {
            "ignored"
        };
        assert_eq!(answer, json!({ "status": expected }), "{event}");
    }
    // Every subscribed event is a documented one, and each was stored.
    for event in relman::handlers::SUBSCRIBED_EVENTS {
        assert!(GITHUB_EVENTS.contains(event), "{event} is not documented");
    }
    assert_eq!(store.list_work(None, 100).await.unwrap().len(), stored);
}

/// A name GitHub may add later (digits, capitals) is acknowledged; only what cannot be an event
/// name is refused.
#[tokio::test]
async fn event_names_are_refused_only_when_they_cannot_be_one() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    let body = b"{}".to_vec();
    for event in ["projects_v3_item", "Future_Event2", "x"] {
        let (status, answer) =
            send(&router, Post::signed(event, &format!("f-{event}"), &body)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{event}");
        assert_eq!(answer, json!({"status": "ignored"}), "{event}");
    }
    let too_long = "a".repeat(65);
    for event in ["issue comment", "issue-comment", "push;", &too_long] {
        let (status, answer) = send(
            &router,
            Post::signed(event, &format!("g-{}", event.len()), &body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{event}");
        assert_eq!(answer, json!({"error": "malformed X-GitHub-Event header"}));
    }
}

#[tokio::test]
async fn signature_failures_answer_401_and_store_nothing() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    let body = comment_body();

    let mut missing = Post::signed("issue_comment", "s-1", &body);
    missing.signature = None;
    let mut sha1_only = Post::signed("issue_comment", "s-2", &body);
    sha1_only.signature = None;
    sha1_only.sha1_only = true;
    let mut wrong_secret = Post::signed("issue_comment", "s-3", &body);
    wrong_secret.signature = Some(sign(b"not-the-secret", &body));
    let mut tampered = Post::signed("issue_comment", "s-4", &body);
    tampered.body.push(b' ');

    for (post, expected) in [
        (missing, "missing X-Hub-Signature-256 header"),
        (sha1_only, "missing X-Hub-Signature-256 header"),
        (wrong_secret, "signature does not match"),
        (tampered, "signature does not match"),
    ] {
        let (status, answer) = send(&router, post).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer, json!({ "error": expected }));
        assert!(!answer.to_string().contains(SECRET));
    }
    assert!(store.list_work(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_old_secret_still_verifies_during_rotation() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    let body = comment_body();
    let mut post = Post::signed("issue_comment", "rot-1", &body);
    post.signature = Some(sign(b"old-secret", &body));
    assert_eq!(send(&router, post).await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn malformed_requests_answer_400() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    let body = comment_body();

    let mut no_event = Post::signed("issue_comment", "m-1", &body);
    no_event.event = None;
    let mut no_delivery = Post::signed("issue_comment", "m-2", &body);
    no_delivery.delivery = None;
    let mut bad_delivery = Post::signed("issue_comment", "m-3", &body);
    bad_delivery.delivery = Some("has spaces in it".into());
    let mut bad_event = Post::signed("issue_comment", "m-4", &body);
    bad_event.event = Some("Issue Comment!".to_string());
    let not_json = Post::signed("issue_comment", "m-5", b"this is not json");
    let json_array = Post::signed("issue_comment", "m-6", b"[1,2,3]");

    for (post, expected) in [
        (no_event, "missing X-GitHub-Event header"),
        (no_delivery, "missing X-GitHub-Delivery header"),
        (bad_delivery, "malformed X-GitHub-Delivery header"),
        (bad_event, "malformed X-GitHub-Event header"),
        (not_json, "body is not a JSON object"),
        (json_array, "body is not a JSON object"),
    ] {
        let (status, answer) = send(&router, post).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{expected}");
        assert_eq!(answer, json!({ "error": expected }));
    }
    assert!(store.list_work(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn bodies_over_25_mib_answer_413() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    // A syntactically valid JSON object just over the cap.
    let mut body = br#"{"pad":""#.to_vec();
    body.resize(25 * 1024 * 1024 + 10, b'a');
    body.extend_from_slice(br#""}"#);
    let (status, answer) = send(&router, Post::signed("push", "big-1", &body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer, json!({ "error": "body exceeds 25 MiB" }));

    // Without a Content-Length the cap holds while streaming.
    let request = Request::post(WEBHOOK_PATH)
        .header("x-github-event", "push")
        .header("x-github-delivery", "big-2")
        .header("x-hub-signature-256", sign(SECRET.as_bytes(), &body))
        .body(Body::from_stream(futures::stream::iter(
            body.chunks(1 << 20)
                .map(|c| Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        )))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(store.list_work(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_payload_with_unexpected_shapes_is_still_accepted() {
    // Ingress must never refuse a delivery because a field it reads has a surprising shape.
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    let body = br#"{"action": 5, "repository": "not-an-object", "installation": null}"#;
    let (status, _) = send(&router, Post::signed("issues", "odd-1", body)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let items = store.list_work(None, 10).await.unwrap();
    assert_eq!(items[0].action, None);
}

#[tokio::test]
async fn dockerflow_endpoints_and_metrics() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    relman::server::metrics::handle();
    let (router, _) = app(&store);
    send(
        &router,
        Post::signed("issue_comment", "met-1", &comment_body()),
    )
    .await;

    let get = |path: &'static str| support::http_get(&router, path);
    assert_eq!(get("/__lbheartbeat__").await.0, StatusCode::OK);
    let (status, text) = get("/__heartbeat__").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["checks"]["database"],
        "ok"
    );
    let (status, text) = get("/__version__").await;
    assert_eq!(status, StatusCode::OK);
    let version: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
    assert!(version["source"].is_string());
    // The commit built (build.rs): the one checked out, when this is a git checkout.
    let head = std::process::Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let expected = option_env!("RELMAN_GIT_COMMIT")
        .map(str::to_string)
        .or(head)
        .unwrap_or_else(|| "unknown".into());
    assert_eq!(version["commit"], expected.as_str());
    let built = version["build_time"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(built).is_ok(),
        "{built}"
    );

    let (status, text) = get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(
            r#"relman_webhook_deliveries_total{event="issue_comment",outcome="accepted"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"relman_inbox_items{status="pending"} 1"#),
        "{text}"
    );

    // The store goes away: the heartbeat says so, the load-balancer heartbeat does not care.
    store.close().await;
    let (status, text) = get("/__heartbeat__").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["status"],
        "error"
    );
    assert_eq!(get("/__lbheartbeat__").await.0, StatusCode::OK);
}
