//! The ways GitHub fails, injected into the fake GitHub: what can recover is retried within the
//! retry budget and the call succeeds; what cannot, or would take too long, fails at once with
//! an error that says whether the job may try again later.
//!
//! Nothing here is timed: the client's waits go to a recorder ([`RecordedWaits`]) that returns
//! at once, and the tests read what relman chose to wait for.

use crate::support;

use std::time::Duration;

use github_sim::{Fault, FaultKind, Matcher};
use relman::github::rest::RetryBudget;
use relman::github::{GitHubError, GitHubPort};
use support::github::{CallCounter, INSTALLATION, REPO, RecordedWaits, SimRepo, fast_budget};

/// `budget` with its waits recorded instead of slept.
fn recorded(budget: RetryBudget) -> (RetryBudget, &'static RecordedWaits) {
    let waits = RecordedWaits::leaked();
    (
        RetryBudget {
            sleeper: waits,
            ..budget
        },
        waits,
    )
}

/// A sim and relman's client on it with `budget`, whose waits are recorded.
async fn start(budget: RetryBudget) -> (SimRepo, &'static RecordedWaits) {
    let (budget, waits) = recorded(budget);
    (SimRepo::start_with(budget, None).await, waits)
}

/// A repository with one issue, and the client on it (waits recorded, none so far).
async fn with_issue() -> (SimRepo, u64, &'static RecordedWaits) {
    let (s, waits) = start(fast_budget()).await;
    let number = s
        .sim
        .with(|world| world.open_issue(REPO, "alice", "Release 2026-01-06", ""));
    // Take the token now, so the counts below are of the call under test only. The issue is
    // stored too, so the call under test is a conditional read: it succeeds with a 304.
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(waits.take(), Vec::<Duration>::new());
    (s, number, waits)
}

fn issue_reads() -> Matcher {
    Matcher::method_path("GET", "/repos/acme/web/issues")
}

fn statuses(counter: &CallCounter<'_>) -> Vec<u16> {
    counter.calls().iter().map(|c| c.status).collect()
}

#[tokio::test]
async fn server_errors_are_retried_until_github_recovers() {
    for status in [500, 502, 503] {
        let (s, number, waits) = with_issue().await;
        s.sim.inject(Fault {
            matcher: issue_reads(),
            times: 2,
            kind: FaultKind::Status(status),
        });
        let counter = s.counter();
        let issue = s.github.get_issue(&s.repo, number).await.unwrap();
        assert_eq!(issue.number, number);
        assert_eq!(statuses(&counter), vec![status, status, 304], "{status}");
        // The backoff doubles from the budget's base (10 ms).
        assert_eq!(
            waits.take(),
            vec![Duration::from_millis(10), Duration::from_millis(20)],
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_secondary_rate_limit_waits_for_retry_after() {
    let (s, number, waits) = with_issue().await;
    s.sim.inject(Fault::once(
        issue_reads(),
        FaultKind::SecondaryRateLimit {
            retry_after_secs: 1,
        },
    ));
    let counter = s.counter();
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(statuses(&counter), vec![403, 304]);
    assert_eq!(waits.take(), vec![Duration::from_secs(1)]);
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let (s, number, waits) = with_issue().await;
    s.sim.inject(Fault::once(
        issue_reads(),
        FaultKind::TooManyRequests {
            retry_after_secs: 1,
        },
    ));
    let counter = s.counter();
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(statuses(&counter), vec![429, 304]);
    assert_eq!(waits.take(), vec![Duration::from_secs(1)]);
}

#[tokio::test]
async fn a_spent_primary_rate_limit_waits_for_the_reset() {
    let (s, number, waits) = with_issue().await;
    s.sim.inject(Fault::once(
        issue_reads(),
        FaultKind::RateLimited { reset_in_secs: 1 },
    ));
    let counter = s.counter();
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(statuses(&counter), vec![403, 304]);
    // Until the reset (`x-ratelimit-reset`, whole seconds of the wall clock: one from now, or
    // two if a second turned between the sim's answer and the client's reading of it), plus
    // relman's one second of slack.
    let waited = waits.take();
    assert!(
        waited == vec![Duration::from_secs(2)] || waited == vec![Duration::from_secs(3)],
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_waited_for_not_retried() {
    let (s, number, waits) = with_issue().await;
    s.sim.inject(Fault::once(
        issue_reads(),
        FaultKind::Delay(Duration::from_millis(400)),
    ));
    let counter = s.counter();
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(statuses(&counter), vec![304]);
    assert_eq!(waits.take(), Vec::<Duration>::new());
}

#[tokio::test]
async fn a_token_exchange_failing_with_a_server_error_is_retried() {
    let s = SimRepo::start().await;
    let number = s.sim.with(|world| world.open_issue(REPO, "alice", "t", ""));
    s.sim.inject(Fault::once(
        Matcher::method_path("POST", "/app/installations"),
        FaultKind::Status(502),
    ));
    let counter = s.counter();
    s.github.get_issue(&s.repo, number).await.unwrap();
    let token_statuses: Vec<u16> = counter
        .all()
        .iter()
        .filter(|r| r.path == format!("/app/installations/{INSTALLATION}/access_tokens"))
        .map(|r| r.status)
        .collect();
    assert_eq!(token_statuses, vec![502, 201]);
    assert_eq!(statuses(&counter), vec![200]);
}

#[tokio::test]
async fn a_token_exchange_rate_limited_waits_for_retry_after() {
    let (s, waits) = start(fast_budget()).await;
    let number = s.sim.with(|world| world.open_issue(REPO, "alice", "t", ""));
    s.sim.inject(Fault::once(
        Matcher::method_path("POST", "/app/installations"),
        FaultKind::SecondaryRateLimit {
            retry_after_secs: 1,
        },
    ));
    let counter = s.counter();
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(waits.take(), vec![Duration::from_secs(1)]);
    assert_eq!(counter.token_requests(), 2);
    assert_eq!(statuses(&counter), vec![200]);
}

#[tokio::test]
async fn a_token_exchange_forbidden_for_good_is_not_retried() {
    // A 403 without any rate-limit sign (a suspended installation, say) will not change by
    // waiting: it must fail at once, and not as a rate limit the job would wait out.
    let (s, waits) = start(RetryBudget::default()).await;
    let number = s.sim.with(|world| world.open_issue(REPO, "alice", "t", ""));
    s.sim.inject(Fault::once(
        Matcher::method_path("POST", "/app/installations"),
        FaultKind::Status(403),
    ));
    let counter = s.counter();
    let error = s.github.get_issue(&s.repo, number).await.unwrap_err();
    assert!(matches!(error, GitHubError::Forbidden { .. }), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(counter.all().len(), 1, "{:?}", counter.all());
    assert_eq!(waits.take(), Vec::<Duration>::new());
}

/// Three attempts, short backoffs, at most two seconds of rate-limit wait.
fn small_budget() -> RetryBudget {
    RetryBudget {
        max_attempts: 3,
        base_backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(2),
        total_wait: Duration::from_secs(3),
        ..RetryBudget::default()
    }
}

#[tokio::test]
async fn server_errors_beyond_the_budget_fail_as_transient() {
    let (s, waits) = start(small_budget()).await;
    let number = s.sim.with(|world| world.open_issue(REPO, "alice", "t", ""));
    s.github.get_issue(&s.repo, number).await.unwrap();
    s.sim.inject(Fault {
        matcher: issue_reads(),
        times: 10,
        kind: FaultKind::Status(503),
    });
    let counter = s.counter();
    let error = s.github.get_issue(&s.repo, number).await.unwrap_err();
    assert!(
        matches!(error, GitHubError::Server { status: 503, .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(statuses(&counter), vec![503, 503, 503]);
    // Two backoffs between three attempts, none after the last.
    assert_eq!(
        waits.take(),
        vec![Duration::from_millis(10), Duration::from_millis(20)]
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_max_wait_fails_at_once_as_transient() {
    let (s, waits) = start(small_budget()).await;
    let number = s.sim.with(|world| world.open_issue(REPO, "alice", "t", ""));
    s.github.get_issue(&s.repo, number).await.unwrap();
    for kind in [
        FaultKind::SecondaryRateLimit {
            retry_after_secs: 60,
        },
        FaultKind::TooManyRequests {
            retry_after_secs: 60,
        },
        FaultKind::RateLimited {
            reset_in_secs: 3600,
        },
    ] {
        s.sim.inject(Fault::once(issue_reads(), kind.clone()));
        let counter = s.counter();
        let error = s.github.get_issue(&s.repo, number).await.unwrap_err();
        match &error {
            GitHubError::RateLimited { retry_in, .. } => {
                assert!(
                    *retry_in >= Duration::from_secs(60),
                    "{kind:?}: {retry_in:?}"
                )
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        assert!(error.is_transient());
        assert_eq!(counter.count(), 1, "{kind:?}");
        assert_eq!(waits.take(), Vec::<Duration>::new(), "{kind:?}");
    }
}

#[tokio::test]
async fn rate_limit_waits_stop_at_the_total_budget() {
    // Each wait (1 s) is allowed, but four of them would pass the 3 s total.
    let (s, waits) = start(RetryBudget {
        max_attempts: 10,
        ..small_budget()
    })
    .await;
    let number = s.sim.with(|world| world.open_issue(REPO, "alice", "t", ""));
    s.github.get_issue(&s.repo, number).await.unwrap();
    s.sim.inject(Fault {
        matcher: issue_reads(),
        times: 10,
        kind: FaultKind::TooManyRequests {
            retry_after_secs: 1,
        },
    });
    let counter = s.counter();
    let error = s.github.get_issue(&s.repo, number).await.unwrap_err();
    assert!(
        matches!(error, GitHubError::RateLimited { .. }),
        "{error:?}"
    );
    assert_eq!(statuses(&counter), vec![429, 429, 429, 429]);
    // Three waits fill the 3 s budget; a fourth would pass it, so the fourth answer is the end.
    assert_eq!(waits.take(), vec![Duration::from_secs(1); 3]);
}

#[tokio::test]
async fn answers_that_will_not_change_are_not_retried() {
    let (s, number, waits) = with_issue().await;

    // 404: no such issue.
    let counter = s.counter();
    let error = s.github.get_issue(&s.repo, 999).await.unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(statuses(&counter), vec![404]);

    // 422 from GitHub itself: the tag exists already.
    let sha = s.sim.with(|world| {
        let sha = world.resolve(REPO, "main").unwrap();
        world.add_tag(REPO, "v1.0.0", &sha);
        sha
    });
    let counter = s.counter();
    let error = s
        .github
        .create_ref(&s.repo, "refs/tags/v1.0.0", &sha)
        .await
        .unwrap_err();
    assert!(error.is_already_exists(), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(statuses(&counter), vec![422]);

    // Injected 422 and 404 on an otherwise fine call.
    for status in [422, 404] {
        s.sim
            .inject(Fault::once(issue_reads(), FaultKind::Status(status)));
        let counter = s.counter();
        let error = s.github.get_issue(&s.repo, number).await.unwrap_err();
        assert!(!error.is_transient(), "{status}: {error:?}");
        assert_eq!(statuses(&counter), vec![status]);
    }

    // 403 that is not a rate limit: the App lacks a permission.
    s.sim
        .inject(Fault::once(issue_reads(), FaultKind::Status(403)));
    let counter = s.counter();
    let error = s.github.get_issue(&s.repo, number).await.unwrap_err();
    assert!(matches!(error, GitHubError::Forbidden { .. }), "{error:?}");
    assert_eq!(statuses(&counter), vec![403]);
    // Not one of them was waited for.
    assert_eq!(waits.take(), Vec::<Duration>::new());
}

#[tokio::test]
async fn a_failed_write_is_retried_without_duplicating_it() {
    // A 502 on a POST: GitHub did not create the comment, the retry does, once.
    let (s, number, waits) = with_issue().await;
    s.sim.inject(Fault::once(
        Matcher::method_path("POST", "/repos/acme/web/issues"),
        FaultKind::Status(502),
    ));
    let counter = s.counter();
    s.github
        .create_comment(&s.repo, number, "hello")
        .await
        .unwrap();
    assert_eq!(statuses(&counter), vec![502, 201]);
    assert_eq!(waits.take(), vec![Duration::from_millis(10)]);
    let comments = s
        .sim
        .with(|world| world.repo(REPO).unwrap().comments_on(number).len());
    assert_eq!(comments, 1);
}
