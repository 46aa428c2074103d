//! Polling an environment's Dockerflow `/__version__`: against a local server that answers
//! well, slowly, with garbage, with a redirect or with too much; and the poll job recording what
//! staging runs.

use crate::support;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use relman::handlers::version_poll::{PollError, fetch_version};
use support::TestDb;
use support::scenario::{REPO, Tester};

async fn server() -> String {
    let app = Router::new()
        .route(
            "/ok/__version__",
            get(|| async {
                r#"{"source":"https://github.com/acme/web","version":"v1.5.0","commit":"abc123"}"#
            }),
        )
        .route(
            "/slow/__version__",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                r#"{"version":"v1"}"#
            }),
        )
        .route(
            "/garbage/__version__",
            get(|| async { "<html>maintenance</html>" }),
        )
        .route(
            "/redirect/__version__",
            get(|| async { Redirect::temporary("https://elsewhere.example/__version__") }),
        )
        .route("/big/__version__", get(|| async { "x".repeat(200 * 1024) }))
        .route(
            "/down/__version__",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down").into_response() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn each_kind_of_answer_is_read_or_refused() {
    let base = server().await;
    let limit = Duration::from_millis(500);
    let ok = fetch_version(&format!("{base}/ok/__version__"), limit)
        .await
        .unwrap();
    assert_eq!(ok.version, "v1.5.0");
    assert_eq!(ok.commit.as_deref(), Some("abc123"));
    assert_eq!(
        fetch_version(&format!("{base}/slow/__version__"), limit).await,
        Err(PollError::Timeout(limit))
    );
    assert!(matches!(
        fetch_version(&format!("{base}/garbage/__version__"), limit).await,
        Err(PollError::Garbage(_))
    ));
    assert_eq!(
        fetch_version(&format!("{base}/redirect/__version__"), limit).await,
        Err(PollError::Redirect {
            status: 307,
            location: Some("https://elsewhere.example/__version__".into())
        })
    );
    assert_eq!(
        fetch_version(&format!("{base}/big/__version__"), limit).await,
        Err(PollError::TooLarge)
    );
    assert_eq!(
        fetch_version(&format!("{base}/down/__version__"), limit).await,
        Err(PollError::Status(503))
    );
    assert!(matches!(
        fetch_version("file:///etc/passwd", limit).await,
        Err(PollError::BadUrl(_))
    ));
}

/// A train whose staging answers well and whose production answers garbage.
fn poll_config(base: &str) -> String {
    format!(
        "timezone: America/Los_Angeles
schedule: {{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }}
rotation: {{ every: month, starts: 2026-01, members: [alice] }}
environments:
  staging: {{ name: staging, version_url: \"{base}/ok/__version__\" }}
  production: {{ name: production, version_url: \"{base}/garbage/__version__\" }}
"
    )
}

/// The version poll of the slot `at` (RFC 3339) runs.
async fn poll(t: &Tester, at: &str) {
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap().to_utc();
    let job = relman::handlers::environments::poll_periodic()
        .job(at)
        .into_item();
    t.store
        .enqueue_batch(&[job], at.timestamp_millis())
        .await
        .unwrap();
    t.wait_idle().await;
}

#[tokio::test]
async fn the_poll_job_records_what_each_environment_runs() {
    let config = poll_config(&server().await);
    let mut t = Tester::at(TestDb::sqlite(), Some(&config), "2026-12-07T18:00:00Z").await;
    t.install().await;
    poll(&t, "2026-12-07T18:00:00Z").await;
    let staging = t
        .store
        .environment_version(REPO, "staging")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(staging.version.as_deref(), Some("v1.5.0"));
    assert_eq!(staging.sha.as_deref(), Some("abc123"));
    assert_eq!(staging.source, "version_url");
    // Garbage from production's endpoint changes nothing (and does not fail the job).
    let production = t
        .store
        .environment_version(REPO, "production")
        .await
        .unwrap();
    assert!(production.is_none_or(|p| p.source != "version_url"));
    t.tick().await;
    let body = t.issues_titled("Release 2026-12-08")[0].2.clone();
    assert!(body.contains("| staging | `v1.5.0` |"), "{body}");
    t.shutdown().await;
}

#[tokio::test]
async fn a_poll_leaves_out_an_installation_short_of_its_rate_limit_until_the_reset() {
    let config = poll_config(&server().await);
    let monday = "2026-12-07T18:00:00Z";
    let reset = "2026-12-07T19:00:00Z";
    let mut t = Tester::at(TestDb::sqlite(), Some(&config), monday).await;
    // 100 of 5,000 points left: relman learns it from the answers to the installation's calls.
    let reset_at = chrono::DateTime::parse_from_rfc3339(reset)
        .unwrap()
        .to_utc();
    t.sim
        .set_rate_remaining(support::scenario::INSTALLATION, 100, reset_at);
    t.install().await;

    poll(&t, monday).await;
    let staging = t.store.environment_version(REPO, "staging").await.unwrap();
    assert!(
        staging.as_ref().is_none_or(|s| s.source != "version_url"),
        "{staging:?}"
    );

    // The next poll after the reset reads it.
    t.set_time(reset);
    poll(&t, reset).await;
    let staging = t.store.environment_version(REPO, "staging").await.unwrap();
    assert_eq!(staging.unwrap().version.as_deref(), Some("v1.5.0"));
    t.shutdown().await;
}
