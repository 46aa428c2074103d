//! Redelivery of missed webhooks against the fake GitHub's delivery log: relman asks exactly for
//! the events that failed or that its store never saw, once each, and follows the log's cursor
//! pages. Deliveries that did reach relman go through the real router, signed.

use crate::support;

use std::time::Duration;

use github_sim::{Fault, FaultKind, GitHubSim, Matcher};
use relman::github::app::GitHubApp;
use relman::redeliver::{self, Options, Reason};
use relman::server::signature::sign;
use relman::store::Store;
use relman::store::work::{NewWorkItem, WorkKind};
use serde_json::{Value, json};
use support::github::{credentials, fast_budget};
use support::{SECRET, TestDb, WEBHOOK_PATH, app};
use tower::ServiceExt;

fn comment() -> Value {
    serde_json::from_slice(&support::fixture("issue_comment.created.json")).unwrap()
}

fn push() -> Value {
    serde_json::from_slice(&support::fixture("push.json")).unwrap()
}

/// Posts attempt `id` of the sim's log to relman as GitHub would: signed, with its GUID as
/// `X-GitHub-Delivery`.
async fn deliver(router: &axum::Router, sim: &GitHubSim, id: u64) {
    let (event, guid, payload) = sim.with(|world| {
        let d = world.deliveries.iter().find(|d| d.id == id).unwrap();
        (d.event.clone(), d.guid.clone(), d.payload.clone())
    });
    let body = serde_json::to_vec(&payload).unwrap();
    let request = http::Request::post(WEBHOOK_PATH)
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", guid)
        .header("x-hub-signature-256", sign(SECRET.as_bytes(), &body))
        .body(axum::body::Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 202);
}

fn guid_of(sim: &GitHubSim, id: u64) -> String {
    sim.with(|world| {
        world
            .deliveries
            .iter()
            .find(|d| d.id == id)
            .unwrap()
            .guid
            .clone()
    })
}

fn options(sim: &GitHubSim, window: Duration) -> Options {
    let mut options = Options::new(sim.with(|w| w.now), window);
    options.pause = Duration::ZERO;
    options
}

fn asked(sim: &GitHubSim) -> Vec<u64> {
    sim.with(|world| world.redelivery_requests.clone())
}

#[tokio::test]
async fn only_failed_and_unseen_events_are_asked_for_once_each() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (router, _) = app(&store);
        let sim = GitHubSim::start().await;
        let github = GitHubApp::new(&credentials(), &sim.api_url(), fast_budget(), None).unwrap();

        // Outside the two-hour window: failed, but too old to be looked at.
        let too_old = sim.with(|w| w.add_delivery("issue_comment", comment(), 503));
        sim.with(|w| w.advance(chrono::Duration::hours(3)));

        let failed = sim.with(|w| w.add_delivery("issue_comment", comment(), 503));
        // Failed, then failed again on GitHub's own redelivery: asked for once, via the newest.
        let failed_twice = sim.with(|w| w.add_delivery("push", push(), 0));
        let failed_twice_again = sim.with(|w| w.add_delivery_attempt(failed_twice, 502).unwrap());
        // Failed, then answered on a later attempt that relman stored.
        let later_success = sim.with(|w| w.add_delivery("issue_comment", comment(), 504));
        let later_success_ok = sim.with(|w| w.add_delivery_attempt(later_success, 202).unwrap());
        deliver(&router, &sim, later_success_ok).await;
        // Stored, but GitHub gave up waiting for the answer: relman has it, nothing to ask.
        let answered_late = sim.with(|w| w.add_delivery("issue_comment", comment(), 0));
        deliver(&router, &sim, answered_late).await;
        // Answered 202 yet not in the store (say, a store restored from an older backup).
        let unseen = sim.with(|w| w.add_delivery("issue_comment", comment(), 202));
        // Delivered and stored: the normal case.
        let delivered = sim.with(|w| w.add_delivery("issue_comment", comment(), 202));
        deliver(&router, &sim, delivered).await;
        // An event relman does not subscribe to: ingress ignores it without storing it.
        let ping = sim.with(|w| w.add_delivery("ping", json!({"zen": "Keep it simple."}), 503));
        // Enough stored traffic to spread the log over two pages of 100.
        let busy: Vec<NewWorkItem> = (0..120)
            .map(|_| {
                let id = sim.with(|w| w.add_delivery("issue_comment", comment(), 202));
                NewWorkItem {
                    kind: WorkKind::Webhook,
                    dedupe_key: guid_of(&sim, id),
                    name: "issue_comment".into(),
                    action: Some("created".into()),
                    queue_key: "repo:1".into(),
                    repo: Some("acme/web".into()),
                    installation_id: Some(77),
                    payload: b"{}".to_vec(),
                    run_at: 0,
                }
            })
            .collect();
        store.enqueue_batch(&busy, 0).await.unwrap();
        let _ = (too_old, ping);

        let now = sim.with(|w| w.now);
        sim.clear_requests();
        let report = redeliver::run(
            &github.app_rest().unwrap(),
            &store,
            now,
            &options(&sim, Duration::from_secs(2 * 3600)),
        )
        .await
        .unwrap();

        // Oldest first, each event once, through its newest attempt.
        assert_eq!(
            asked(&sim),
            [failed, failed_twice_again, unseen],
            "{}",
            db.label
        );
        assert_eq!(
            report.requested[0].reason,
            Reason::Failed {
                status_code: 503,
                status: "Invalid HTTP Response: 503".into()
            }
        );
        assert_eq!(report.requested[1].attempts, 2);
        assert_eq!(report.requested[2].reason, Reason::Unseen);
        assert_eq!(report.plan.ignored, 1);
        assert_eq!(report.plan.stored, 3 + 120);
        // The second page was asked for through the cursor GitHub linked, as path-and-query.
        let lists: Vec<String> = sim
            .requests()
            .iter()
            .filter(|r| r.method == "GET")
            .map(|r| format!("{}?{}", r.path, r.query.clone().unwrap_or_default()))
            .collect();
        assert_eq!(lists.len(), 2, "{lists:?}");
        assert!(lists[1].contains("cursor=v1_"), "{lists:?}");

        // The next run, as the periodic job, asks for nothing again.
        redeliver::job(&github, &store, now, b"null").await.unwrap();
        assert_eq!(asked(&sim).len(), 3, "{}", db.label);
    }
}

#[tokio::test]
async fn a_dry_run_asks_for_nothing_and_records_nothing() {
    let db = TestDb::sqlite();
    let store: Store = db.store().await;
    let sim = GitHubSim::start().await;
    let github = GitHubApp::new(&credentials(), &sim.api_url(), fast_budget(), None).unwrap();
    let failed = sim.with(|w| w.add_delivery("issue_comment", comment(), 500));

    let mut dry = options(&sim, Duration::from_secs(3600));
    dry.dry_run = true;
    let now = sim.with(|w| w.now);
    let report = redeliver::run(&github.app_rest().unwrap(), &store, now, &dry)
        .await
        .unwrap();
    assert_eq!(report.requested.len(), 1);
    assert!(asked(&sim).is_empty());

    // Nothing was recorded as asked, so the real run still asks.
    redeliver::run(
        &github.app_rest().unwrap(),
        &store,
        now,
        &options(&sim, Duration::from_secs(3600)),
    )
    .await
    .unwrap();
    assert_eq!(asked(&sim), [failed]);
}

#[tokio::test]
async fn a_request_github_did_not_take_is_asked_again_by_the_next_run() {
    let db = TestDb::sqlite();
    let store: Store = db.store().await;
    let sim = GitHubSim::start().await;
    let mut budget = fast_budget();
    budget.max_attempts = 1;
    let github = GitHubApp::new(&credentials(), &sim.api_url(), budget, None).unwrap();
    let first = sim.with(|w| w.add_delivery("issue_comment", comment(), 500));
    let second = sim.with(|w| w.add_delivery("issue_comment", comment(), 500));
    sim.inject(Fault::once(
        Matcher::method_path("POST", "/app/hook/deliveries/"),
        FaultKind::Status(502),
    ));
    let now = sim.with(|w| w.now);
    let opts = options(&sim, Duration::from_secs(3600));

    let report = redeliver::run(&github.app_rest().unwrap(), &store, now, &opts)
        .await
        .unwrap();
    assert_eq!(report.refused.len(), 1);
    // GitHub is failing: the rest waits for the next run rather than hammering it.
    assert_eq!(report.deferred, 1);
    assert!(asked(&sim).is_empty());

    redeliver::run(&github.app_rest().unwrap(), &store, now, &opts)
        .await
        .unwrap();
    assert_eq!(asked(&sim), [first, second]);
}
