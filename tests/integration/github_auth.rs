//! Installation tokens and pagination through relman's GitHub port, against the fake GitHub:
//! a token is fetched once and reused, renewed before it expires and after a 401, and sent on
//! every page of a list — also when the API lives under a GitHub Enterprise base path.

use crate::support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use github_sim::{Fault, FaultKind, GitHubSim, Matcher};
use relman::github::app::GitHubApp;
use relman::github::{GitHubPort, NewIssue};
use support::github::{
    CallCounter, INSTALLATION, PrefixProxy, REPO, SimRepo, credentials, fast_budget,
    is_token_request, repo_name, sim_with_repo,
};

/// Every installation token the sim has issued, as relman sends it (`Bearer <token>`).
fn issued_tokens(sim: &GitHubSim) -> BTreeSet<String> {
    sim.with(|world| {
        world
            .tokens
            .keys()
            .map(|token| format!("Bearer {token}"))
            .collect()
    })
}

fn open_issue(sim: &GitHubSim, title: &str) -> u64 {
    sim.with(|world| world.open_issue(REPO, "alice", title, "body"))
}

#[tokio::test]
async fn one_installation_token_serves_many_calls() {
    let s = SimRepo::start().await;
    let number = open_issue(&s.sim, "Release 2026-01-06");
    let counter = s.counter();

    for _ in 0..20 {
        let issue = s.github.get_issue(&s.repo, number).await.unwrap();
        assert_eq!(issue.title, "Release 2026-01-06");
    }
    // A handle taken later, as each job takes its own, shares the cached client and so the
    // token (cloning an octocrab client copies its token cache rather than sharing it).
    let again = s.app.installation(INSTALLATION).unwrap();
    again.get_issue(&s.repo, number).await.unwrap();

    assert_eq!(counter.count(), 21);
    assert_eq!(counter.token_requests(), 1, "{:?}", counter.lines());
    let tokens = issued_tokens(&s.sim);
    assert_eq!(tokens.len(), 1);
    for call in counter.calls() {
        assert_eq!(call.authorization.as_ref(), tokens.first(), "{call:?}");
    }
}

#[tokio::test]
async fn a_token_close_to_expiry_is_renewed_before_it_is_used() {
    let s = SimRepo::start().await;
    let number = open_issue(&s.sim, "t");

    // octocrab renews a token that has 30 s or less to live. Tokens that live 20 s are
    // therefore never good enough to reuse: every call exchanges a fresh one first.
    s.sim
        .with(|world| world.token_ttl = chrono::Duration::seconds(20));
    let counter = s.counter();
    for _ in 0..3 {
        s.github.get_issue(&s.repo, number).await.unwrap();
    }
    assert_eq!(counter.token_requests(), 3, "{:?}", counter.all());
    assert_eq!(counter.count(), 3);

    // With GitHub's hour-long tokens the cached (20 s) token is renewed once, then reused.
    s.sim
        .with(|world| world.token_ttl = chrono::Duration::hours(1));
    let counter = s.counter();
    for _ in 0..10 {
        s.github.get_issue(&s.repo, number).await.unwrap();
    }
    assert_eq!(counter.token_requests(), 1);
    assert_eq!(counter.count(), 10);
    // Every call carried a token the sim issued (an expired one would have been a 401); the
    // issue did not change, so each read after the first is a 304.
    assert!(counter.calls().iter().all(|c| c.status == 304));
}

#[tokio::test]
async fn a_token_is_reused_until_thirty_seconds_before_it_expires() {
    let s = SimRepo::start().await;
    let number = open_issue(&s.sim, "t");
    // 35 s tokens (expiry rendered to the second) are reusable for the first 4 to 5 seconds.
    s.sim
        .with(|world| world.token_ttl = chrono::Duration::seconds(35));
    let counter = s.counter();

    let started = Instant::now();
    for _ in 0..5 {
        s.github.get_issue(&s.repo, number).await.unwrap();
    }
    let busy = started.elapsed();
    assert!(
        busy < Duration::from_secs(4),
        "five calls took {busy:?}: too slow to tell reuse from renewal"
    );
    assert_eq!(counter.token_requests(), 1);

    tokio::time::sleep(Duration::from_millis(5_500).saturating_sub(busy)).await;
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(
        counter.token_requests(),
        2,
        "renewed once the token came within 30 s of expiry"
    );
    assert_eq!(counter.count(), 6);
    assert_eq!(issued_tokens(&s.sim).len(), 2);
}

#[tokio::test]
async fn a_stale_token_is_refreshed_once_and_the_call_succeeds() {
    let s = SimRepo::start().await;
    let number = open_issue(&s.sim, "t");
    s.github.get_issue(&s.repo, number).await.unwrap();

    // GitHub revokes or expires the token behind octocrab's back: the next call gets a 401.
    s.sim.inject(Fault::once(
        Matcher::method_path("GET", "/repos/acme/web/issues"),
        FaultKind::ExpireTokens,
    ));
    let counter = s.counter();
    let issue = s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(issue.number, number);

    let log: Vec<(String, u16)> = counter
        .all()
        .iter()
        .map(|r| (format!("{} {}", r.method, r.path), r.status))
        .collect();
    let issue_path = format!("GET /repos/acme/web/issues/{number}");
    assert_eq!(
        log,
        vec![
            (issue_path.clone(), 401),
            (
                format!("POST /app/installations/{INSTALLATION}/access_tokens"),
                201
            ),
            (issue_path, 304),
        ]
    );
    let calls = counter.calls();
    assert_ne!(
        calls[0].authorization, calls[1].authorization,
        "the retry carries the new token"
    );
}

#[tokio::test]
async fn a_write_rejected_for_a_stale_token_is_sent_again_with_its_body() {
    let s = SimRepo::start().await;
    let number = open_issue(&s.sim, "t");
    s.github.get_issue(&s.repo, number).await.unwrap();

    s.sim.inject(Fault::once(
        Matcher::method_path("POST", "/repos/acme/web/issues"),
        FaultKind::ExpireTokens,
    ));
    let counter = s.counter();
    let comment = s
        .github
        .create_comment(&s.repo, number, "ships in v1.2.0")
        .await
        .unwrap();
    assert_eq!(comment.body, "ships in v1.2.0");

    assert_eq!(counter.token_requests(), 1);
    let statuses: Vec<u16> = counter.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![401, 201]);
    // The replayed POST carried the same JSON body, and exactly one comment exists.
    for call in counter.calls() {
        assert_eq!(
            call.body,
            Some(serde_json::json!({ "body": "ships in v1.2.0" }))
        );
    }
    let on_issue = s
        .sim
        .with(|world| world.repo(REPO).unwrap().comments_on(number).len());
    assert_eq!(on_issue, 1);
}

#[tokio::test]
async fn a_401_answer_makes_the_client_fetch_a_new_token_and_retry_once() {
    let s = SimRepo::start().await;
    let number = open_issue(&s.sim, "t");
    s.github.get_issue(&s.repo, number).await.unwrap();

    s.sim.inject(Fault::once(
        Matcher::method_path("GET", "/repos/acme/web/issues"),
        FaultKind::Status(401),
    ));
    let counter = s.counter();
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(counter.token_requests(), 1);
    assert_eq!(
        counter.calls().iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![401, 304]
    );
}

/// 250 comments: `per_page=100` gives three pages.
fn add_comments(sim: &GitHubSim, number: u64, count: usize) {
    sim.with(|world| {
        for i in 0..count {
            world.add_comment(REPO, number, "alice", &format!("comment {i}"));
        }
    });
}

#[tokio::test]
async fn three_pages_are_read_with_the_token_on_each() {
    let s = SimRepo::start().await;
    let number = open_issue(&s.sim, "busy issue");
    add_comments(&s.sim, number, 250);
    let counter = s.counter();

    let comments = s.github.list_comments(&s.repo, number).await.unwrap();
    assert_eq!(comments.len(), 250);
    assert_eq!(comments[0].body, "comment 0");
    assert_eq!(comments[249].body, "comment 249");

    let pages = counter.calls();
    let queries: Vec<Option<&str>> = pages.iter().map(|p| p.query.as_deref()).collect();
    assert_eq!(
        queries,
        vec![
            Some("per_page=100"),
            Some("per_page=100&page=2"),
            Some("per_page=100&page=3"),
        ]
    );
    let tokens = issued_tokens(&s.sim);
    assert_eq!(tokens.len(), 1);
    for page in &pages {
        assert_eq!(page.status, 200);
        assert_eq!(
            page.authorization.as_ref(),
            tokens.first(),
            "page {:?} without the installation token",
            page.query
        );
    }
}

#[tokio::test]
async fn wrapped_lists_are_paginated_too() {
    let s = SimRepo::start().await;
    let sha = s.sim.with(|world| world.resolve(REPO, "main").unwrap());
    s.sim.with(|world| {
        for i in 0..150 {
            world.set_check_run(
                REPO,
                &sha,
                &format!("job {i}"),
                "completed",
                Some("success"),
            );
        }
    });
    let counter = s.counter();
    let runs = s.github.check_runs(&s.repo, &sha).await.unwrap();
    assert_eq!(runs.len(), 150);
    assert_eq!(counter.count(), 2);
    assert!(counter.calls().iter().all(|c| c.authorization.is_some()));
}

#[tokio::test]
async fn a_github_enterprise_base_path_is_kept_on_every_request() {
    let sim = sim_with_repo().await;
    let proxy = PrefixProxy::start(&sim.api_url(), "/api/v3").await;
    // Links in answers point where the client called: under the prefix.
    sim.with(|world| world.api_url = proxy.api_url());
    let number = open_issue(&sim, "busy issue");
    add_comments(&sim, number, 250);

    let app = GitHubApp::new(&credentials(), &proxy.api_url(), fast_budget(), None).unwrap();
    let github = app.installation(INSTALLATION).unwrap();
    let repo = repo_name();
    let counter = CallCounter::start(&sim);

    let comments = github.list_comments(&repo, number).await.unwrap();
    assert_eq!(comments.len(), 250);
    let created = github.create_comment(&repo, number, "hello").await.unwrap();
    assert_eq!(created.body, "hello");

    // The proxy answers 404 to anything outside /api/v3 without forwarding it, so every
    // request the sim saw came through the base path, the token exchange included.
    let seen = counter.all();
    assert_eq!(seen.iter().filter(|r| is_token_request(r)).count(), 1);
    assert_eq!(
        counter
            .calls()
            .iter()
            .map(|r| (r.method.as_str(), r.query.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            ("GET", Some("per_page=100")),
            ("GET", Some("per_page=100&page=2")),
            ("GET", Some("per_page=100&page=3")),
            ("POST", None),
        ]
    );
    let tokens = issued_tokens(&sim);
    for call in counter.calls() {
        assert_eq!(call.authorization.as_ref(), tokens.first(), "{call:?}");
    }
}

#[tokio::test]
async fn the_prefix_proxy_refuses_requests_outside_its_base_path() {
    // The GHE test above relies on this: a client that dropped the base path would fail.
    let sim = sim_with_repo().await;
    let proxy = PrefixProxy::start(&sim.api_url(), "/api/v3").await;
    let root = proxy.api_url().trim_end_matches("/api/v3").to_string();
    let app = GitHubApp::new(&credentials(), &root, fast_budget(), None).unwrap();
    let github = app.installation(INSTALLATION).unwrap();
    let error = github
        .create_issue(
            &repo_name(),
            &NewIssue {
                title: "t".into(),
                body: "b".into(),
                ..NewIssue::default()
            },
        )
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

#[tokio::test]
async fn app_level_calls_authenticate_with_the_app_jwt_not_an_installation_token() {
    let s = SimRepo::start().await;
    let counter = s.counter();
    let app: serde_json::Value = s.app.app_rest().unwrap().get("/app").await.unwrap();
    assert_eq!(app["slug"], github_sim::APP_SLUG);

    assert_eq!(counter.token_requests(), 0);
    let calls = counter.calls();
    assert_eq!(calls.len(), 1);
    let authorization = calls[0].authorization.as_deref().unwrap_or_default();
    let jwt = authorization
        .strip_prefix("Bearer ")
        .unwrap_or_else(|| panic!("{authorization}"));
    assert_eq!(jwt.split('.').count(), 3, "a JWT: {jwt}");
    assert!(issued_tokens(&s.sim).is_empty());
}
