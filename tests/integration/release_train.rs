//! The release train end to end on the fake GitHub, through signed webhooks: install, tracking
//! issue, merged-PR checklists, `/release` refused and accepted, tag + release + changelog,
//! PRs annotated; no-changes days, holidays, the functional-test repository, catch-up.

use crate::support;

use support::TestDb;
use support::scenario::{REPO, Tester};

/// Releases every other Tuesday from 6 Jan 2026 (8 Dec, 22 Dec, …) in Los Angeles; alice is
/// release manager, quinn does QA.
const TRAIN: &str = "\
timezone: America/Los_Angeles
schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }
rotation: { every: month, starts: 2026-01, members: [alice] }
qa: { members: [quinn] }
";

/// Monday 7 Dec 2026, 10:00 in Los Angeles: the day before a release day.
const MONDAY: &str = "2026-12-07T18:00:00Z";

fn head(t: &Tester) -> String {
    t.sim.with(|w| w.repos[REPO].branches["main"].clone())
}

async fn installed(config: &str, now: &str) -> Tester {
    let mut t = Tester::at(TestDb::sqlite(), Some(config), now).await;
    t.sim.with(|w| {
        w.add_tag(REPO, "v1.4.0", "main");
    });
    t.install().await;
    t
}

fn green(t: &Tester) {
    let sha = head(t);
    t.sim.with(|w| {
        w.set_check_run(REPO, &sha, "ci/test", "completed", Some("success"));
    });
}

#[tokio::test]
async fn a_whole_release_cycle() {
    let mut t = installed(TRAIN, MONDAY).await;

    // A fresh install opens the next release's tracking issue at once, assigned and labelled.
    let issues = t.issues_titled("Release 2026-12-08");
    assert_eq!(issues.len(), 1, "{issues:?}");
    let (tracking, open, body, assignees, labels) = issues[0].clone();
    assert!(open);
    assert_eq!(assignees, ["alice"]);
    assert_eq!(labels, ["release"]);
    assert!(
        body.contains("**Release day:** Tue 8 Dec 2026 · **Release manager:** @alice"),
        "{body}"
    );
    assert!(
        body.contains("Nothing merged since `v1.4.0` yet."),
        "{body}"
    );

    // Two PRs merge: one checklist comment each, saying where they ship.
    let export = t.merge_pr("bob", "Export to CSV", &["feature"]).await;
    t.clear_calls();
    let fix = t
        .merge_pr("carol", "Fix the login redirect", &["bug"])
        .await;
    let calls = t.calls();
    eprintln!("API calls for a merged PR (warm config cache): {calls:#?}");
    assert!(
        calls.len() <= 4,
        "a merged PR cost {} calls: {calls:#?}",
        calls.len()
    );
    for pr in [export, fix] {
        let comments = t.bot_comments(pr);
        assert_eq!(comments.len(), 1, "{comments:?}");
        assert!(
            comments[0].contains(
                "ships in **v1.5.0** on **Tue 8 Dec 2026**, release manager @alice (tracked in #"
            ),
            "{}",
            comments[0]
        );
        assert!(comments[0].contains("- [ ] Requires a config change (describe it below)"));
    }
    // A redelivery (a new delivery of the same event) does not post a second checklist.
    let event = t
        .sim
        .with(|w| github_sim::events::pull_request_closed(w, REPO, fix, "alice"));
    t.deliver(event).await;
    assert_eq!(t.bot_comments(fix).len(), 1);

    // The tracking issue lists them after the debounce window.
    t.set_time("2026-12-07T18:01:00Z");
    t.wait_idle().await;
    let body = &t.issues_titled("Release 2026-12-08")[0].2;
    assert!(body.contains("### Changes since v1.4.0 (2)"), "{body}");
    assert!(body.contains("Export to CSV (@bob) `feature`"), "{body}");

    // CI is red: no release, and the reply says which check and how to fix it.
    let sha = head(&t);
    t.sim.with(|w| {
        w.set_check_run(REPO, &sha, "ci/test", "completed", Some("failure"));
    });
    t.comment_as("alice", tracking, "/release").await;
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(
        reply.contains("relman did not release: the staging requirements are not met"),
        "{reply}"
    );
    assert!(reply.contains("**tests**: failing on"), "{reply}");
    assert!(reply.contains("`ci/test` (failure)"), "{reply}");
    assert!(reply.contains("**signoff**"), "{reply}");
    assert!(t.sim.with(|w| !w.repos[REPO].tags.contains_key("v1.5.0")));

    // Someone who is not the release manager (nor an admin) may not release.
    green(&t);
    t.comment_as("bob", tracking, "/release").await;
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(reply.contains("`/release` can be run by"), "{reply}");
    assert!(reply.contains("@alice"), "{reply}");

    // Green but not signed off: still no.
    t.comment_as("alice", tracking, "/release").await;
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(
        reply.contains("@alice has not signed off for staging"),
        "{reply}"
    );

    t.comment_as("alice", tracking, "/signoff").await;
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(
        reply.contains("Signed off staging for v1.5.0, to be cut here from `main` at "),
        "{reply}"
    );

    t.clear_calls();
    t.comment_as("alice", tracking, "/release").await;
    let calls: Vec<String> = t
        .calls()
        .into_iter()
        .filter(|c| !c.contains("/reactions") && !c.contains("/collaborators/"))
        .collect();
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(reply.contains("Released **[v1.5.0]("), "{reply}");
    // The command's own work (without the acknowledgement, permission and reply, and without
    // the follow-up job that tells each PR, 2 calls per PR): ≤ 15.
    let command_calls: Vec<&String> = calls
        .iter()
        .filter(|c| {
            !c.contains(&format!("/issues/{tracking}/comments"))
                && !c.contains("/issues/comments/")
                && !c.contains(&format!("/issues/{export}/comments"))
                && !c.contains(&format!("/issues/{fix}/comments"))
        })
        .collect();
    eprintln!("API calls for /release: {command_calls:#?}");
    assert!(
        command_calls.len() <= 15,
        "/release cost {} calls: {command_calls:#?}",
        command_calls.len()
    );

    // The tag is at the head, the release carries the changelog.
    let (tag_sha, release_body, draft) = t.sim.with(|w| {
        let r = &w.repos[REPO];
        let release = r.release_by_tag("v1.5.0").unwrap();
        (
            r.tags["v1.5.0"].clone(),
            release.body.clone().unwrap_or_default(),
            release.draft,
        )
    });
    assert_eq!(tag_sha, sha);
    assert!(!draft);
    insta::assert_snapshot!(
        "release_changelog",
        release_body.replace(&sha[..12], "HEADSHA")
    );

    // Each PR is told, once.
    for pr in [export, fix] {
        let comments = t.bot_comments(pr);
        assert_eq!(comments.len(), 2, "{comments:?}");
        assert!(
            comments[1].contains("Released in [v1.5.0]("),
            "{}",
            comments[1]
        );
    }
    let body = &t.issues_titled("Release 2026-12-08")[0].2;
    assert!(body.contains("✅ Released as [v1.5.0]("), "{body}");

    // A second /release answers with the release.
    t.comment_as("alice", tracking, "/release").await;
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(reply.contains("Already released as [v1.5.0]"), "{reply}");
    assert!(t.sim.with(|w| w.repos[REPO].releases.len()) == 1);
    t.shutdown().await;
}

#[tokio::test]
async fn a_release_day_with_nothing_merged_closes_its_issue() {
    let mut t = installed(TRAIN, MONDAY).await;
    let (number, open, ..) = t.issues_titled("Release 2026-12-08")[0].clone();
    assert!(open);
    // The release day (Tuesday, Los Angeles) comes with nothing merged since v1.4.0.
    t.set_time("2026-12-08T17:00:00Z");
    t.tick().await;
    let (_, open, body, ..) = t.issues_titled("Release 2026-12-08")[0].clone();
    assert!(!open, "{body}");
    assert!(body.contains("no changes, no release this cycle"), "{body}");
    let closing = t.bot_comments(number).pop().unwrap();
    assert!(
        closing.contains("no changes since v1.4.0, no release"),
        "{closing}"
    );
    // Ticking again changes nothing.
    t.clear_calls();
    t.tick().await;
    assert_eq!(t.issues_titled("Release 2026-12-08").len(), 1);
    t.shutdown().await;
}

#[tokio::test]
async fn a_holiday_moves_the_release_day_and_the_issue_says_so() {
    let config =
        format!("{TRAIN}holidays: {{ dates: [2026-12-08], on_holiday: next_business_day }}\n");
    let t = installed(&config, MONDAY).await;
    let issues = t.issues_titled("Release 2026-12-09");
    assert_eq!(
        issues.len(),
        1,
        "{:?}",
        t.issues_titled("Release 2026-12-08")
    );
    assert!(
        issues[0]
            .2
            .contains("Moved from Tue 8 Dec 2026 because of the holiday (2026-12-08)"),
        "{}",
        issues[0].2
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_skipped_release_day_is_opened_closed_with_the_reason() {
    let config = format!("{TRAIN}holidays: {{ dates: [2026-12-08], on_holiday: skip }}\n");
    // Installed on 23 Nov: the 24 Nov release is tracked; then 8 Dec (a holiday) comes due.
    let mut t = installed(&config, "2026-11-23T18:00:00Z").await;
    assert_eq!(t.issues_titled("Release 2026-11-24").len(), 1);
    t.set_time(MONDAY);
    t.tick().await;
    let issues = t.issues_titled("Release 2026-12-08");
    assert_eq!(issues.len(), 1);
    let (number, open, body, ..) = issues[0].clone();
    assert!(!open);
    assert!(
        body.contains("⏭️ Skipped: the release day is skipped: holiday (2026-12-08)"),
        "{body}"
    );
    assert!(
        t.bot_comments(number)
            .pop()
            .unwrap()
            .contains("this cycle has no release")
    );
    t.shutdown().await;
}

#[tokio::test]
async fn missed_release_days_are_caught_up_once_each() {
    let mut t = installed(TRAIN, "2026-11-23T18:00:00Z").await;
    assert_eq!(t.issues_titled("Release 2026-11-24").len(), 1);
    // relman was down from 23 Nov to 23 Dec: 8 Dec and 22 Dec were missed.
    t.set_time("2026-12-23T18:00:00Z");
    t.tick().await;
    t.tick().await;
    for day in ["2026-12-08", "2026-12-22"] {
        assert_eq!(t.issues_titled(&format!("Release {day}")).len(), 1, "{day}");
    }
    assert!(t.issues_titled("Release 2027-01-05").is_empty());
    // After a restart (a fresh process on the same database) nothing is opened twice.
    t.tick().await;
    assert_eq!(t.issues_titled("Release 2026-12-22").len(), 1);
    t.shutdown().await;
}

#[tokio::test]
async fn the_functional_test_repository_is_compared_with_its_latest_tag() {
    let config = format!("{TRAIN}functional_tests: {{ repo: acme/functional-tests }}\n");
    let mut t = Tester::at(TestDb::sqlite(), Some(&config), MONDAY).await;
    t.sim.with(|w| {
        w.add_tag(REPO, "v1.4.0", "main");
        let _ = w
            .add_repo("acme/functional-tests")
            .installation(support::scenario::INSTALLATION);
        w.commit(
            "acme/functional-tests",
            "main",
            "first suite",
            &[("suite.py", "1")],
        );
        w.add_tag("acme/functional-tests", "v0.9.1", "main");
    });
    t.install().await;
    let body = t.issues_titled("Release 2026-12-08")[0].2.clone();
    assert!(
        body.contains("acme/functional-tests: functional tests unchanged since v0.9.1"),
        "{body}"
    );

    t.sim.with(|w| {
        w.commit(
            "acme/functional-tests",
            "main",
            "cover export",
            &[("export.py", "1")],
        );
        w.commit(
            "acme/functional-tests",
            "main",
            "cover login",
            &[("login.py", "1")],
        );
    });
    t.tick().await;
    let body = t.issues_titled("Release 2026-12-08")[0].2.clone();
    assert!(
        body.contains("acme/functional-tests: functional tests changed since v0.9.1: 2 commits — cut a new tag for the manual test run."),
        "{body}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn releasing_twenty_prs_costs_a_fixed_number_of_calls() {
    let mut t = installed(TRAIN, MONDAY).await;
    let tracking = t.issues_titled("Release 2026-12-08")[0].0;
    let mut prs = Vec::new();
    for i in 0..20 {
        let label = if i % 2 == 0 { "feature" } else { "bug" };
        prs.push(t.merge_pr("bob", &format!("Change {i}"), &[label]).await);
    }
    green(&t);
    t.comment_as("alice", tracking, "/signoff staging").await;
    t.clear_calls();
    t.comment_as("alice", tracking, "/release").await;
    let reply = t.bot_comments(tracking).pop().unwrap();
    assert!(reply.contains("Released **[v1.5.0]("), "{reply}");
    let calls = t.calls();
    let announcing: Vec<&String> = calls
        .iter()
        .filter(|c| {
            prs.iter()
                .any(|pr| c.contains(&format!("/issues/{pr}/comments")))
        })
        .collect();
    let command: Vec<&String> = calls
        .iter()
        .filter(|c| {
            !announcing.contains(c)
                && support::scenario::is_command_work(c, &format!("/issues/{tracking}/comments"))
        })
        .collect();
    eprintln!(
        "/release of 20 PRs: {} calls for the release, {} for the announcements",
        command.len(),
        announcing.len()
    );
    assert!(command.len() <= 15, "{command:#?}");
    // Each PR told once: one look for an earlier announcement and one post.
    assert_eq!(announcing.len(), 40, "{announcing:#?}");
    let notes = t.sim.with(|w| {
        w.repos[REPO]
            .release_by_tag("v1.5.0")
            .unwrap()
            .body
            .clone()
            .unwrap_or_default()
    });
    assert_eq!(notes.matches("\n- [#").count(), 20, "{notes}");
    t.shutdown().await;
}
