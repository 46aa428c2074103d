//! Injected faults: each kind, their `times` and matching, and that faulted
//! requests are recorded.

use crate::common;

use std::time::{Duration, Instant};

use common::{call, now, sim_with_repo};
use github_sim::{Fault, FaultKind, Matcher};

const REPO: &str = "/repos/acme/web";

#[tokio::test]
async fn status_faults_hit_the_next_matching_requests_only() {
    let (sim, token) = sim_with_repo().await;
    sim.inject(Fault {
        matcher: Matcher::method_path("GET", REPO),
        times: 2,
        kind: FaultKind::Status(502),
    });
    // A POST does not match a GET fault.
    let other = call(
        &sim,
        "POST",
        "/repos/acme/web/issues",
        Some(&token),
        Some(serde_json::json!({ "title": "x" })),
    )
    .await;
    assert_eq!(other.status, 201);
    for _ in 0..2 {
        let answer = call(&sim, "GET", REPO, Some(&token), None).await;
        assert_eq!(answer.status, 502);
        assert_eq!(answer.body["message"], "Bad Gateway");
    }
    assert_eq!(
        call(&sim, "GET", REPO, Some(&token), None).await.status,
        200
    );

    let statuses: Vec<(String, u16)> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(REPO))
        .map(|r| (r.method, r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("POST".to_string(), 201),
            ("GET".to_string(), 502),
            ("GET".to_string(), 502),
            ("GET".to_string(), 200)
        ]
    );
}

#[tokio::test]
async fn server_errors_and_401_have_github_bodies() {
    let (sim, token) = sim_with_repo().await;
    for (code, message) in [
        (500, "Server Error"),
        (503, "Service Unavailable"),
        (401, "Bad credentials"),
    ] {
        sim.inject(Fault::once(Matcher::any(), FaultKind::Status(code)));
        let answer = call(&sim, "GET", REPO, Some(&token), None).await;
        assert_eq!(answer.status, code);
        assert_eq!(answer.body["message"], message);
    }
}

#[tokio::test]
async fn secondary_rate_limit_is_403_with_retry_after() {
    let (sim, token) = sim_with_repo().await;
    sim.inject(Fault::once(
        Matcher::path(REPO),
        FaultKind::SecondaryRateLimit {
            retry_after_secs: 7,
        },
    ));
    let answer = call(&sim, "GET", REPO, Some(&token), None).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.header("retry-after"), Some("7"));
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .starts_with("You have exceeded a secondary rate limit")
    );
}

#[tokio::test]
async fn primary_rate_limit_has_remaining_zero_and_a_reset_time() {
    let (sim, token) = sim_with_repo().await;
    sim.inject(Fault::once(
        Matcher::path(REPO),
        FaultKind::RateLimited { reset_in_secs: 120 },
    ));
    let answer = call(&sim, "GET", REPO, Some(&token), None).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.header("x-ratelimit-remaining"), Some("0"));
    let reset: i64 = answer.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(
        (now() + 115..=now() + 125).contains(&reset),
        "reset {reset}"
    );
    // Normal answers report remaining quota.
    let ok = call(&sim, "GET", REPO, Some(&token), None).await;
    assert_eq!(ok.header("x-ratelimit-remaining"), Some("4999"));
}

#[tokio::test]
async fn too_many_requests_is_429_with_retry_after() {
    let (sim, token) = sim_with_repo().await;
    sim.inject(Fault::once(
        Matcher::any(),
        FaultKind::TooManyRequests {
            retry_after_secs: 3,
        },
    ));
    let answer = call(&sim, "GET", REPO, Some(&token), None).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("3"));
}

#[tokio::test]
async fn delay_answers_late_but_normally() {
    let (sim, token) = sim_with_repo().await;
    sim.inject(Fault::once(
        Matcher::path(REPO),
        FaultKind::Delay(Duration::from_millis(300)),
    ));
    let started = Instant::now();
    let answer = call(&sim, "GET", REPO, Some(&token), None).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer.status, 200);
    let started = Instant::now();
    call(&sim, "GET", REPO, Some(&token), None).await;
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(sim.requests().last().map(|r| r.status), Some(200));
}

#[tokio::test]
async fn expire_tokens_makes_the_current_tokens_fail_until_a_new_one_is_made() {
    let (sim, token) = sim_with_repo().await;
    sim.inject(Fault::once(Matcher::path(REPO), FaultKind::ExpireTokens));
    let answer = call(&sim, "GET", REPO, Some(&token), None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["message"], "Bad credentials");
    assert_eq!(
        call(&sim, "GET", REPO, Some(&token), None).await.status,
        401
    );
    let fresh = common::token(&sim, 77).await;
    assert_eq!(
        call(&sim, "GET", REPO, Some(&fresh), None).await.status,
        200
    );
}

#[tokio::test]
async fn the_request_log_keeps_method_path_query_auth_and_body() {
    let (sim, token) = sim_with_repo().await;
    sim.clear_requests();
    call(
        &sim,
        "POST",
        "/repos/acme/web/issues?x=1",
        Some(&token),
        Some(serde_json::json!({ "title": "Hi" })),
    )
    .await;
    let log = sim.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/repos/acme/web/issues");
    assert_eq!(log[0].query.as_deref(), Some("x=1"));
    assert_eq!(log[0].authorization.as_deref(), Some(token.as_str()));
    assert_eq!(log[0].body, Some(serde_json::json!({ "title": "Hi" })));
    assert_eq!(log[0].status, 201);
}
