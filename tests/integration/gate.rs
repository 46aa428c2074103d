//! The requirements gate end to end: hand-made releases, the deployment protection rule,
//! environment versions, deployment requests, and what happens after production.

use crate::support;

use std::time::Duration;

use github_sim::{Permission, events};
use support::TestDb;
use support::scenario::{INSTALLATION, REPO, Tester, deployed_at};

const TRAIN: &str = "\
timezone: America/Los_Angeles
schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }
rotation: { every: month, starts: 2026-01, members: [alice] }
qa: { members: [quinn] }
dashboards: [{ name: Grafana, url: \"https://grafana.example.net/d/web\" }]
deployment_request: { repo: acme/ops, labels: [deployment-request], assignees: [olga] }
monitoring: { watch_hours: 4 }
";

const MONDAY: &str = "2026-12-07T18:00:00Z";

fn head(t: &Tester) -> String {
    t.sim.with(|w| w.repos[REPO].branches["main"].clone())
}

async fn tester() -> (Tester, u64) {
    tester_with(|_| {}).await
}

/// The tester, with `seed` run on the fake GitHub before relman is installed.
async fn tester_with(seed: impl FnOnce(&mut github_sim::World)) -> (Tester, u64) {
    let mut t = Tester::at(TestDb::sqlite(), Some(TRAIN), MONDAY).await;
    t.sim.with(|w| {
        w.add_tag(REPO, "v1.4.0", "main");
        seed(w);
        let _ = w
            .add_repo("acme/ops")
            .installation(INSTALLATION)
            .collaborator("olga", Permission::Write);
    });
    t.install().await;
    let issue = t.issues_titled("Release 2026-12-08")[0].0;
    (t, issue)
}

fn set_check(t: &Tester, sha: &str, conclusion: &str) {
    t.sim.with(|w| {
        w.set_check_run(REPO, sha, "ci/test", "completed", Some(conclusion));
    });
}

/// bob tags and publishes `tag` at main's head by hand.
async fn release_by_hand(t: &mut Tester, tag: &str) -> u64 {
    let (id, event) = t.sim.with(|w| {
        let id = w.add_release(REPO, tag, "main", "bob");
        (id, events::release(w, REPO, id, "published", "bob"))
    });
    t.deliver(event).await;
    id
}

fn requirements_run(t: &Tester, sha: &str) -> Option<(String, String)> {
    t.sim.with(|w| {
        w.repos[REPO]
            .check_runs
            .values()
            .rfind(|c| c.name == "relman/requirements" && c.head_sha == sha)
            .map(|c| {
                (
                    c.conclusion.clone().unwrap_or_default(),
                    c.output.summary.clone().unwrap_or_default(),
                )
            })
    })
}

#[tokio::test]
async fn a_release_made_by_hand_on_a_red_commit_is_reverted_to_a_draft() {
    let (mut t, issue) = tester().await;
    t.merge_pr("carol", "Export", &["feature"]).await;
    let sha = head(&t);
    set_check(&t, &sha, "failure");
    let id = release_by_hand(&mut t, "v1.5.0").await;

    let (conclusion, summary) = requirements_run(&t, &sha).expect("a relman/requirements run");
    assert_eq!(conclusion, "failure");
    assert!(
        summary.contains("v1.5.0 was created by @bob but does not meet the staging requirements"),
        "{summary}"
    );
    assert!(summary.contains("**tests**: failing on"), "{summary}");
    assert!(
        t.sim.with(|w| w.repos[REPO].releases[&id].draft),
        "reverted to a draft"
    );
    let explanation = t.bot_comments(issue).pop().unwrap();
    assert!(
        explanation.contains("⛔ @bob created the release [v1.5.0]"),
        "{explanation}"
    );
    assert!(
        explanation.contains("relman reverted it to a draft"),
        "{explanation}"
    );
    // The revert (an `edited` event) is not gated again.
    let before = t.sim.with(|w| w.repos[REPO].check_runs.len());
    let event = t
        .sim
        .with(|w| events::release(w, REPO, id, "edited", "relman-test[bot]"));
    t.deliver(event).await;
    assert_eq!(t.sim.with(|w| w.repos[REPO].check_runs.len()), before);
    t.shutdown().await;
}

#[tokio::test]
async fn a_release_made_by_hand_within_the_rules_passes_quietly() {
    let (mut t, issue) = tester().await;
    t.merge_pr("carol", "Export", &["feature"]).await;
    let sha = head(&t);
    set_check(&t, &sha, "success");
    t.comment_as("alice", issue, "/signoff staging").await;
    let comments_before = t.bot_comments(issue).len();
    let id = release_by_hand(&mut t, "v1.5.0").await;
    let (conclusion, _) = requirements_run(&t, &sha).unwrap();
    assert_eq!(conclusion, "success");
    assert!(!t.sim.with(|w| w.repos[REPO].releases[&id].draft));
    assert_eq!(t.bot_comments(issue).len(), comments_before, "no comment");
    let rec = t
        .store
        .release_record(REPO, "regular:2026-12-08")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.tag.as_deref(), Some("v1.5.0"));
    assert_eq!(rec.requested_by.as_deref(), Some("bob"));
    t.shutdown().await;
}

async fn protection(t: &mut Tester, environment: &str, rev: &str, run_id: u64) -> (String, String) {
    let event = t.sim.with(|w| {
        let id = w.add_deployment(REPO, rev, environment, "github-actions");
        events::deployment_protection_rule_requested(w, REPO, id, run_id, "github-actions[bot]")
    });
    t.deliver(event).await;
    t.sim.with(|w| {
        let review = w
            .protection_rule_reviews
            .iter()
            .find(|r| r.run_id == run_id)
            .expect("relman answered the protection rule");
        assert_eq!(review.environment_name, environment);
        (
            review.state.clone(),
            review.comment.clone().unwrap_or_default(),
        )
    })
}

#[tokio::test]
async fn the_protection_rule_guards_staging_and_production() {
    // v1.4.0 reached staging on the previous release day, 24 Nov.
    let (mut t, issue) =
        tester_with(|w| deployed_at(w, "staging", "v1.4.0", "2026-11-24T20:00:00Z")).await;
    let sha = head(&t);
    set_check(&t, &sha, "success");
    let (state, comment) = protection(&mut t, "staging", &sha, 501).await;
    assert_eq!(state, "rejected");
    insta::assert_snapshot!(
        "protection_staging_rejected",
        comment.replace(&sha[..7], "HEADSHA")
    );

    t.comment_as("alice", issue, "/signoff").await;
    let (state, _) = protection(&mut t, "staging", &sha, 502).await;
    assert_eq!(state, "approved");

    // Production takes v1.4.0 only once it soaked: on its release day, Tue 8 Dec.
    let (state, comment) = protection(&mut t, "production", &sha, 510).await;
    assert_eq!(state, "rejected");
    assert_eq!(
        comment,
        "relman: v1.4.0 has not soaked on staging for production: it is due on the release day Tue 8 Dec. The release manager can ask for it sooner with `/deploy production now`."
    );

    // A QA blocker (about v1.4.0, the version going to production) stops production, not
    // staging.
    t.comment_as("quinn", issue, "/qa blocker search returns nothing")
        .await;
    let (state, _) = protection(&mut t, "staging", &sha, 503).await;
    assert_eq!(state, "approved");
    t.set_time("2026-12-08T17:00:00Z");
    let (state, comment) = protection(&mut t, "production", &sha, 504).await;
    assert_eq!(state, "rejected");
    insta::assert_snapshot!(
        "protection_production_qa",
        comment.replace(&sha[..7], "HEADSHA")
    );

    t.comment_as("quinn", issue, "/qa clear").await;
    let (state, _) = protection(&mut t, "production", &sha, 505).await;
    assert_eq!(state, "approved");

    // relman guards only what it is configured for.
    let (state, comment) = protection(&mut t, "preview", &sha, 506).await;
    assert_eq!(state, "approved");
    assert!(
        comment.contains("`preview` is not one of them"),
        "{comment}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn versions_follow_deployments_and_ops_gets_one_request() {
    let (mut t, issue) = tester().await;
    // Production runs v1.4.0.
    t.deploy("production", "v1.4.0").await;
    // Two PRs, one with a config change its author described.
    let export = t.merge_pr("carol", "Export to CSV", &["feature"]).await;
    t.merge_pr("dave", "Fix typo", &["bug"]).await;
    let checklist = t.sim.with(|w| {
        w.repos[REPO]
            .comments
            .values()
            .find(|c| c.issue_number == export && c.via_app)
            .map(|c| (c.id, c.body.clone()))
            .unwrap()
    });
    let ticked = checklist.1.replace(
        "- [ ] Requires a config change (describe it below)",
        "- [x] Requires a config change (describe it below)\n  Set `EXPORT_BUCKET=exports-prod` before deploying.",
    );
    t.sim.with(|w| {
        w.edit_comment(REPO, checklist.0, &ticked);
    });
    let sha = head(&t);
    set_check(&t, &sha, "success");
    t.comment_as("alice", issue, "/signoff").await;
    t.comment_as("alice", issue, "/release").await;
    assert!(
        t.bot_comments(issue)
            .last()
            .unwrap()
            .contains("Released **[v1.5.0](")
    );

    // Staging gets it and it soaks; QA finds a blocker in it meanwhile.
    t.deploy("staging", "v1.5.0").await;
    t.comment_as("quinn", issue, "/qa blocker export times out")
        .await;
    assert!(
        t.bot_comments(issue)
            .last()
            .unwrap()
            .contains("QA blocker recorded for v1.5.0"),
        "{:?}",
        t.bot_comments(issue).last()
    );
    t.tick().await;
    let body = t.issues_titled("Release 2026-12-08")[0].2.clone();
    assert!(body.contains("| staging | `v1.5.0` |"), "{body}");
    assert!(body.contains("| production | `v1.4.0` |"), "{body}");
    assert!(
        body.contains("**Production:** v1.5.0 (on staging since Mon 7 Dec, due Tue 22 Dec)"),
        "{body}"
    );
    let ops_issues = |t: &Tester| {
        t.sim.with(|w| {
            w.repos["acme/ops"]
                .issues
                .values()
                .map(|i| {
                    (
                        i.number,
                        i.title.clone(),
                        i.body.clone().unwrap_or_default(),
                        i.labels.clone(),
                        i.assignees.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    assert!(ops_issues(&t).is_empty());
    // Asked for by hand before it soaked: relman says how long it has, and how to insist.
    t.comment_as("alice", issue, "/deploy production").await;
    let reply = t.bot_comments(issue).pop().unwrap();
    assert!(
        reply.contains("v1.5.0 has been on staging for 0 hours, less than a whole cycle: it is due on the release day Tue 22 Dec. To request it for production now anyway, comment `/deploy production now`"),
        "{reply}"
    );

    // Its release day: the blocker holds it back, and /deploy production says why.
    t.set_time("2026-12-22T17:00:00Z");
    t.tick().await;
    assert!(ops_issues(&t).is_empty());
    t.comment_as("alice", issue, "/signoff production").await;
    t.comment_as("alice", issue, "/deploy production").await;
    let reply = t.bot_comments(issue).pop().unwrap();
    assert!(
        reply.contains("no deployment request for v1.5.0: the production requirements are not met"),
        "{reply}"
    );
    assert!(
        reply.contains("QA blocker: \"export times out\" (@quinn)"),
        "{reply}"
    );

    // QA clears it: the request is filed, once.
    t.comment_as("quinn", issue, "/qa ok").await;
    t.tick().await;
    t.tick().await;
    let filed = ops_issues(&t);
    assert_eq!(filed.len(), 1, "{filed:#?}");
    let (number, title, body, labels, assignees) = filed[0].clone();
    assert_eq!(
        title,
        "Deploy acme/web v1.5.0 to production (release day 2026-12-22)"
    );
    assert_eq!(labels, ["deployment-request"]);
    assert_eq!(assignees, ["olga"]);
    let shown = body.replace(&sha[..12], "HEADSHA");
    insta::assert_snapshot!("deployment_request", shown);
    t.comment_as("alice", issue, "/deploy production").await;
    let reply = t.bot_comments(issue).pop().unwrap();
    assert!(reply.contains("already filed: "), "{reply}");
    assert!(
        reply.contains(&format!("acme/ops/issues/{number}")),
        "{reply}"
    );

    // Production gets it: the request is told, the tracking issue gets the monitoring
    // checklist, and after the watch window one reminder.
    t.deploy("production", "v1.5.0").await;
    let told = t.sim.with(|w| {
        w.repos["acme/ops"]
            .comments
            .values()
            .filter(|c| c.issue_number == number && c.via_app)
            .map(|c| c.body.clone())
            .collect::<Vec<_>>()
    });
    assert!(
        told.iter()
            .any(|c| c.contains("v1.5.0 is running in production")),
        "{told:?}"
    );
    let comments = t.bot_comments(issue);
    assert!(
        comments
            .iter()
            .any(|c| c.contains("**v1.5.0 is in production.** Watch it for the next 4 hours")),
        "{comments:#?}"
    );
    let reminders = |t: &Tester| {
        t.bot_comments(issue)
            .iter()
            .filter(|c| c.contains("has been in production for the watch window"))
            .count()
    };
    t.set_time("2026-12-22T20:00:00Z");
    t.wait_idle().await;
    assert_eq!(reminders(&t), 0, "not before the window ends");
    t.set_time("2026-12-22T21:30:00Z");
    t.wait_idle().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    t.wait_idle().await;
    assert_eq!(reminders(&t), 1);
    t.set_time("2026-12-23T22:30:00Z");
    t.tick().await;
    assert_eq!(reminders(&t), 1, "once");

    t.comment_as("alice", issue, "/release healthy").await;
    let (_, open, ..) = t.issues_titled("Release 2026-12-08")[0].clone();
    assert!(!open, "closed once healthy");
    t.shutdown().await;
}
