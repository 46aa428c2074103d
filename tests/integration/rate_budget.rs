//! The rate-limit budget end to end: when an installation has less than 10 % of its limit
//! left, dashboard refreshes and release announcements are booked again in the inbox for the
//! reset (costing nothing meanwhile) while commands and releases keep running; at the reset the
//! deferred work runs. /metrics shows the standing and the deferrals.

use crate::support;

use support::TestDb;
use support::scenario::{CONFIG, INSTALLATION, REPO, Tester};

/// Monday 7 Dec 2026, 10:00 in Los Angeles: the day before a release day.
const MONDAY: &str = "2026-12-07T18:00:00Z";

async fn pending_jobs(t: &Tester) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT name, run_at FROM work_items WHERE status = 'pending' ORDER BY id")
        .fetch_all(t.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn under_the_reserve_refreshes_wait_for_the_reset_and_commands_do_not() {
    relman::server::metrics::handle();
    let mut t = Tester::at(TestDb::sqlite(), Some(CONFIG), MONDAY).await;
    t.sim.with(|w| {
        w.add_tag(REPO, "v1.4.0", "main");
    });
    t.install().await;
    let tracking = t.issues_titled("Release 2026-12-08")[0].0;

    // 100 of 5,000 points left (2 %) until the reset of the hour that began with the first
    // call (the sim's clock has not moved since).
    let reset = t.sim.with(|w| w.now) + chrono::Duration::hours(1);
    t.sim.set_rate_remaining(INSTALLATION, 100, reset);

    // A PR merges: its checklist is posted at once (and relman learns the standing); the
    // dashboard's refresh is booked for the end of the debounce window.
    let pr = t.merge_pr("bob", "Export to CSV", &["feature"]).await;
    assert_eq!(t.bot_comments(pr).len(), 1);

    // The window ends: the refresh spends nothing and is booked again for the reset.
    t.clear_calls();
    t.set_time("2026-12-07T18:01:00Z");
    t.wait_idle().await;
    assert_eq!(t.calls(), Vec::<String>::new());
    let body = t.issues_titled("Release 2026-12-08")[0].2.clone();
    assert!(!body.contains("Export to CSV"), "{body}");
    assert_eq!(
        pending_jobs(&t).await,
        [("tracking-refresh".to_string(), reset.timestamp_millis())]
    );

    // Commands are not deferrable: /signoff runs and answers at once.
    t.comment_as("alice", tracking, "/signoff").await;
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(reply.contains("Signed off"), "{reply}");

    // At the reset the refresh runs.
    t.set_time(&reset.to_rfc3339());
    t.wait_idle().await;
    let body = t.issues_titled("Release 2026-12-08")[0].2.clone();
    assert!(body.contains("Export to CSV (@bob)"), "{body}");
    assert_eq!(pending_jobs(&t).await, []);

    let metrics = relman::server::metrics::handle().unwrap().render();
    assert!(
        metrics.contains(r#"relman_work_deferred_total{name="tracking-refresh"}"#),
        "{metrics}"
    );
    for gauge in [
        "relman_github_rate_limit_remaining",
        "relman_github_rate_limit_limit",
    ] {
        assert!(
            metrics.contains(&format!("{gauge}{{installation=\"{INSTALLATION}\"}}")),
            "{metrics}"
        );
    }
    assert!(
        metrics.contains("relman_github_not_modified_total{"),
        "{metrics}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn under_the_reserve_a_release_goes_out_and_its_announcement_waits() {
    let mut t = Tester::at(TestDb::sqlite(), Some(CONFIG), MONDAY).await;
    t.sim.with(|w| {
        w.add_tag(REPO, "v1.4.0", "main");
    });
    t.install().await;
    let tracking = t.issues_titled("Release 2026-12-08")[0].0;
    let pr = t.merge_pr("bob", "Export to CSV", &["feature"]).await;
    t.sim.with(|w| {
        let head = w.repos[REPO].branches["main"].clone();
        w.set_check_run(REPO, &head, "ci/test", "completed", Some("success"));
    });
    t.comment_as("alice", tracking, "/signoff").await;

    // Short of points: the release itself still goes out at once.
    let reset = t.sim.with(|w| w.now) + chrono::Duration::hours(1);
    t.sim.set_rate_remaining(INSTALLATION, 100, reset);
    t.comment_as("alice", tracking, "/release").await;
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(reply.contains("Released **[v1.5.0]("), "{reply}");
    assert!(t.sim.with(|w| w.repos[REPO].tags.contains_key("v1.5.0")));

    // Telling each PR can wait for the reset.
    assert_eq!(t.bot_comments(pr).len(), 1, "only the checklist so far");
    let pending = pending_jobs(&t).await;
    assert!(
        pending.contains(&("announce-release".to_string(), reset.timestamp_millis())),
        "{pending:?}"
    );
    t.set_time(&reset.to_rfc3339());
    t.wait_idle().await;
    let told = t.bot_comments(pr);
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told[1].contains("Released in [v1.5.0]("), "{}", told[1]);
    t.shutdown().await;
}
