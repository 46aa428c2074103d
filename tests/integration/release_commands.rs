//! The release train's commands on a tracking issue: QA calls and sign-offs shown on the
//! dashboard, `/skip`, `/rotation` and `/rotation swap`, and who may use each.

use crate::support;

use support::TestDb;
use support::scenario::{REPO, Tester, deployed_at};

/// alice and bob take turns by month from Dec 2026 (alice in December); quinn does QA.
const TRAIN: &str = "\
timezone: America/Los_Angeles
schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }
rotation: { every: month, starts: 2026-12, members: [alice, bob] }
qa: { members: [quinn] }
";

const MONDAY: &str = "2026-12-07T18:00:00Z";

async fn tester(db: TestDb) -> (Tester, u64) {
    let mut t = Tester::at(db, Some(TRAIN), MONDAY).await;
    t.sim.with(|w| {
        w.add_tag(REPO, "v1.4.0", "main");
        // v1.4.0 reached staging on 24 Nov: it soaks for production on 8 Dec.
        deployed_at(w, "staging", "v1.4.0", "2026-11-24T20:00:00Z");
    });
    t.install().await;
    let issues = t.issues_titled("Release 2026-12-08");
    assert_eq!(issues.len(), 1);
    (t, issues[0].0)
}

fn dashboard(t: &Tester) -> String {
    t.issues_titled("Release 2026-12-08")[0].2.clone()
}

async fn qa_and_signoff_show_on_the_dashboard(db: TestDb) {
    let (mut t, issue) = tester(db).await;
    t.comment_as("quinn", issue, "/qa blocker checkout fails on Safari")
        .await;
    assert!(
        dashboard(&t).contains(
            "| production | qa | ❌ | QA blocker: \"checkout fails on Safari\" (@quinn) |"
        ),
        "{}",
        dashboard(&t)
    );
    // Someone who is neither QA nor release manager may not clear it.
    let id = t.comment_as("rita", issue, "/qa clear").await;
    assert_eq!(t.reactions_on(id), ["eyes", "confused"]);
    assert!(dashboard(&t).contains("| production | qa | ❌ |"));

    t.comment_as("quinn", issue, "/qa ok").await;
    assert!(
        dashboard(&t).contains("| production | qa | ✅ | QA found no blockers (@quinn,"),
        "{}",
        dashboard(&t)
    );

    t.comment_as("alice", issue, "/signoff production").await;
    let body = dashboard(&t);
    assert!(
        body.contains("| production | signoff | ✅ | signed off by @alice"),
        "{body}"
    );
    assert!(body.contains("| staging | signoff | ⏳ |"), "{body}");
    // What QA and the release manager said belongs to v1.4.0, the version going to
    // production; a retried comment does not record twice.
    let log = t.store.release_log(REPO, "version:v1.4.0").await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.entry.as_str()).collect::<Vec<_>>(),
        ["qa_blocker", "qa_ok", "signoff"]
    );
    assert!(
        t.store
            .release_log(REPO, "regular:2026-12-08")
            .await
            .unwrap()
            .is_empty()
    );
    t.shutdown().await;
}

#[tokio::test]
async fn qa_and_signoff_show_on_the_dashboard_sqlite() {
    qa_and_signoff_show_on_the_dashboard(TestDb::sqlite()).await;
}

#[tokio::test]
async fn qa_and_signoff_show_on_the_dashboard_postgres() {
    if let Some(url) = support::postgres_admin_url() {
        qa_and_signoff_show_on_the_dashboard(TestDb::postgres(&url).await).await;
    }
}

#[tokio::test]
async fn the_release_manager_skips_a_cycle() {
    let (mut t, issue) = tester(TestDb::sqlite()).await;
    let id = t.comment_as("bob", issue, "/skip nobody around").await;
    assert_eq!(t.reactions_on(id), ["eyes", "confused"]);
    assert!(
        t.issues_titled("Release 2026-12-08")[0].1,
        "bob may not skip"
    );

    t.comment_as("alice", issue, "/skip half the team is at the offsite")
        .await;
    let (_, open, ..) = t.issues_titled("Release 2026-12-08")[0].clone();
    assert!(!open);
    let comments = t.bot_comments(issue);
    assert!(
        comments
            .iter()
            .any(|c| c.contains("@alice skipped this release — half the team is at the offsite.")),
        "{comments:#?}"
    );
    let rec = t
        .store
        .release_record(REPO, "regular:2026-12-08")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.state, relman::store::releases::ReleaseState::Skipped);
    assert_eq!(rec.requested_by.as_deref(), Some("alice"));
    // A merge after the skip ships in the next release.
    let pr = t.merge_pr("bob", "Tidy up", &[]).await;
    assert!(
        t.bot_comments(pr)[0].contains("on **Tue 22 Dec 2026**, release manager @alice"),
        "{}",
        t.bot_comments(pr)[0]
    );
    t.shutdown().await;
}

#[tokio::test]
async fn the_rotation_is_shown_and_swapped_by_an_admin() {
    let (mut t, issue) = tester(TestDb::sqlite()).await;
    t.comment_as("bob", issue, "/rotation").await;
    let reply = t.bot_comments(issue).pop().unwrap();
    assert!(
        reply.contains("Release manager now: **@alice** (2026-12)."),
        "{reply}"
    );
    assert!(reply.contains("| Fri 2027-01-01 | @bob |"), "{reply}");

    // bob (write) may not swap; alice (admin) may.
    let id = t
        .comment_as("bob", issue, "/rotation swap @alice @bob 2026-12")
        .await;
    assert_eq!(t.reactions_on(id), ["eyes", "confused"]);
    t.comment_as("alice", issue, "/rotation swap @alice @bob 2026-12")
        .await;
    let reply = t.bot_comments(issue).pop().unwrap();
    assert!(
        reply.contains("@bob is release manager for 2026-12 instead of @alice. Reassigned #"),
        "{reply}"
    );
    let (_, _, body, assignees, _) = t.issues_titled("Release 2026-12-08")[0].clone();
    assert_eq!(assignees, ["bob"]);
    assert!(body.contains("**Release manager:** @bob"), "{body}");

    // Now bob holds the release: he may sign off, alice (no longer release manager) may not.
    let id = t.comment_as("alice", issue, "/signoff").await;
    assert_eq!(t.reactions_on(id), ["eyes", "confused"]);
    let id = t.comment_as("bob", issue, "/signoff").await;
    assert_eq!(t.reactions_on(id), ["eyes", "+1"]);

    // A period the rotation does not have is refused with what it expects.
    t.comment_as("alice", issue, "/rotation swap @alice @bob 2026-12-08")
        .await;
    let reply = t.bot_comments(issue).pop().unwrap();
    assert!(
        reply.contains("it turns every month, so name a month, `YYYY-MM`"),
        "{reply}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_merge_into_another_branch_gets_no_checklist() {
    let (mut t, _) = tester(TestDb::sqlite()).await;
    let event = t.sim.with(|w| {
        w.create_branch(REPO, "release-1.4", "main");
        let number = w.open_pr(REPO, "bob", "Backport", "backport-1", "release-1.4");
        w.merge_pr(REPO, number, "alice");
        github_sim::events::pull_request_closed(w, REPO, number, "alice")
    });
    let number = event.1["number"].as_u64().unwrap();
    t.deliver(event).await;
    assert!(t.bot_comments(number).is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn release_outside_a_tracking_issue_points_at_it() {
    let (mut t, issue) = tester(TestDb::sqlite()).await;
    t.comment_as("alice", 1, "/release").await;
    let reply = t.bot_comments(1).pop().unwrap();
    assert!(
        reply.contains(&format!("this is not a release tracking issue, so there is nothing to release here. The open release is tracked in #{issue}")),
        "{reply}"
    );
    t.shutdown().await;
}
