//! The production half of the train on the process's clock, through signed webhooks and the
//! fake GitHub: on a release day the version cut that day goes to staging and the version that
//! soaked on staging since the previous release day goes to production; a hotfix goes at once,
//! and every state of it names its next step.

use crate::support;

use github_sim::Permission;
use support::TestDb;
use support::scenario::{INSTALLATION, REPO, Tester, deployed_at, green, last_reply};

/// Every other Tuesday from 6 Jan 2026 (24 Nov, 8 Dec, 22 Dec …) in Los Angeles; alice is
/// release manager, quinn does QA, Ops works in acme/ops.
const TRAIN: &str = "\
timezone: America/Los_Angeles
schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }
rotation: { every: month, starts: 2026-01, members: [alice] }
qa: { members: [quinn] }
deployment_request: { repo: acme/ops, labels: [deployment-request] }
";

/// Tue 8 Dec 2026, 09:00 in Los Angeles: a release day.
const RELEASE_DAY: &str = "2026-12-08T17:00:00Z";

/// The deployment requests in acme/ops: (title, body).
fn requests(t: &Tester) -> Vec<(String, String)> {
    t.sim.with(|w| {
        w.repos["acme/ops"]
            .issues
            .values()
            .map(|i| (i.title.clone(), i.body.clone().unwrap_or_default()))
            .collect()
    })
}

fn titles(t: &Tester) -> Vec<String> {
    requests(t).into_iter().map(|(title, _)| title).collect()
}

/// Production runs v2.0.0 since 10 Nov; v2.1.0 reached staging on the previous release day,
/// 24 Nov. relman is installed on the morning of the 8 Dec release day.
async fn on_release_day(db: TestDb) -> (Tester, u64) {
    let mut t = Tester::at(db, Some(TRAIN), RELEASE_DAY).await;
    t.sim.with(|w| {
        w.commit(REPO, "main", "v2.0 work", &[("app.txt", "2.0\n")]);
        w.add_tag(REPO, "v2.0.0", "main");
        w.commit(REPO, "main", "v2.1 work", &[("app.txt", "2.1\n")]);
        w.add_tag(REPO, "v2.1.0", "main");
        // Merged since v2.1.0: today's cut will have it.
        let number = w.open_pr(REPO, "carol", "Export orders", "export", "main");
        w.add_labels(REPO, number, &["feature"]);
        w.merge_pr(REPO, number, "alice");
        deployed_at(w, "production", "v2.0.0", "2026-11-10T20:00:00Z");
        deployed_at(w, "staging", "v2.1.0", "2026-11-24T20:00:00Z");
        let _ = w
            .add_repo("acme/ops")
            .installation(INSTALLATION)
            .collaborator("olga", Permission::Write);
    });
    green(&t, "v2.1.0");
    t.install().await;
    let issue = t.issues_titled("Release 2026-12-08")[0].0;
    (t, issue)
}

#[tokio::test]
async fn on_release_day_the_cut_goes_to_staging_and_what_soaked_goes_to_production() {
    for db in TestDb::all().await {
        let (mut t, issue) = on_release_day(db).await;
        green(&t, "main");
        t.tick().await;
        let body = t.issues_titled("Release 2026-12-08")[0].2.clone();
        assert!(
            body.contains(
                "**Staging:** v2.2.0 (to be cut) · **Production:** v2.1.0 (on staging since Tue 24 Nov, due today)"
            ),
            "{body}"
        );
        assert!(
            body.contains("| production | signoff | ⏳ |"),
            "production waits for its sign-off: {body}"
        );
        assert!(titles(&t).is_empty(), "{:?}", titles(&t));

        // The release manager signs off both: the release cut here, and v2.1.0.
        t.comment_as("alice", issue, "/signoff").await;
        let reply = last_reply(&t, issue);
        assert!(
            reply.contains("Signed off staging for v2.2.0, to be cut here from `main` at "),
            "{reply}"
        );
        assert!(
            reply.contains(
                "and production for v2.1.0, the version due for production (on staging for 13 days)"
            ),
            "{reply}"
        );
        t.comment_as("alice", issue, "/release").await;
        assert!(
            last_reply(&t, issue).contains("Released **[v2.2.0]("),
            "{}",
            last_reply(&t, issue)
        );
        // One request, for the version that soaked — not the one cut today.
        assert_eq!(
            titles(&t),
            ["Deploy acme/web v2.1.0 to production (release day 2026-12-08)"]
        );
        let (_, request) = requests(&t).remove(0);
        for line in [
            "| production now (rollback target) | `v2.0.0` |",
            "| release day | Tue 8 Dec 2026 |",
            "| on staging since | Tue 24 Nov 2026 20:00 UTC (13 days) |",
            "| compare with production | https://github.com/acme/web/compare/v2.0.0...v2.1.0 |",
        ] {
            assert!(request.contains(line), "{line} missing:\n{request}");
        }
        assert!(
            request.contains(&format!("/acme/web/issues/{issue} |")),
            "{request}"
        );

        // v2.2.0 reaches staging and QA is happy with it the same day: it soaks, no request.
        t.deploy("staging", "v2.2.0").await;
        green(&t, "v2.2.0");
        t.comment_as("quinn", issue, "/qa ok").await;
        assert!(
            last_reply(&t, issue).contains("QA: no blockers for v2.2.0"),
            "{}",
            last_reply(&t, issue)
        );
        t.deploy("production", "v2.1.0").await;
        t.tick().await;
        assert_eq!(titles(&t).len(), 1, "{:?}", titles(&t));
        // Asked for by hand, relman says when it is due and how to insist.
        t.comment_as("alice", issue, "/deploy production").await;
        assert!(
            last_reply(&t, issue).contains("v2.2.0 has been on staging for 0 hours, less than a whole cycle: it is due on the release day Tue 22 Dec"),
            "{}",
            last_reply(&t, issue)
        );
        assert_eq!(titles(&t).len(), 1);

        // The next release day: v2.2.0 soaked. Nothing merged, so nothing is cut; the release
        // manager signs off production and the request goes out.
        t.set_time("2026-12-22T17:00:00Z");
        t.tick().await;
        let next = t.issues_titled("Release 2026-12-22")[0].0;
        assert_eq!(titles(&t).len(), 1, "not without a sign-off");
        t.comment_as("alice", next, "/signoff production").await;
        assert!(
            last_reply(&t, next).contains("Signed off production for v2.2.0, the version due for production (on staging for 2 weeks)"),
            "{}",
            last_reply(&t, next)
        );
        assert_eq!(
            titles(&t),
            [
                "Deploy acme/web v2.1.0 to production (release day 2026-12-08)",
                "Deploy acme/web v2.2.0 to production (release day 2026-12-22)"
            ]
        );
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_request_that_comes_after_its_release_day_says_why() {
    let (mut t, issue) = on_release_day(TestDb::sqlite()).await;
    t.comment_as("quinn", issue, "/qa blocker search is slow")
        .await;
    assert!(
        last_reply(&t, issue).contains("QA blocker recorded for v2.1.0"),
        "{}",
        last_reply(&t, issue)
    );
    t.comment_as("alice", issue, "/signoff production").await;
    assert!(titles(&t).is_empty());
    // Two days later QA clears it: the request goes out, late, and says so.
    t.set_time("2026-12-10T18:00:00Z");
    t.comment_as("quinn", issue, "/qa clear").await;
    let requests = requests(&t);
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].1.contains(
            "**Late**: this is the production release of Tue 8 Dec 2026; it is filed 2 days later: the production requirements held only after QA clearing its blockers by @quinn on Thu 10 Dec."
        ),
        "{}",
        requests[0].1
    );
    t.shutdown().await;
}

/// Production and staging run v1.5.0, cut for the 24 Nov release day; it is Wed 9 Dec.
async fn hotfix_ready() -> Tester {
    let mut t = Tester::at(TestDb::sqlite(), Some(TRAIN), "2026-12-09T18:00:00Z").await;
    t.sim.with(|w| {
        w.commit(REPO, "main", "v1.5 work", &[("pay.txt", "charge()\n")]);
        w.add_tag(REPO, "v1.5.0", "main");
        deployed_at(w, "staging", "v1.5.0", "2026-11-24T20:00:00Z");
        deployed_at(w, "production", "v1.5.0", "2026-12-08T20:00:00Z");
        let _ = w
            .add_repo("acme/ops")
            .installation(INSTALLATION)
            .collaborator("olga", Permission::Write);
    });
    t.install().await;
    t
}

fn issue_titled(t: &Tester, prefix: &str) -> u64 {
    t.sim.with(|w| {
        w.repos[REPO]
            .issues
            .values()
            .find(|i| i.title.starts_with(prefix))
            .map(|i| i.number)
            .unwrap_or_else(|| panic!("no issue titled {prefix}…"))
    })
}

#[tokio::test]
async fn a_hotfix_goes_to_production_at_once_and_never_dead_ends() {
    let mut t = hotfix_ready().await;
    let fix = t
        .merge_change(
            "carol",
            "Fix double charge",
            &[("pay.txt", "charge_once()\n")],
        )
        .await;
    // A change the hotfix will not contain is promised the next patch version, v1.5.1.
    let typo = t
        .merge_pr("dave", "Fix a typo in the footer", &["bug"])
        .await;
    let promise = |t: &Tester| {
        t.bot_comments(typo)
            .into_iter()
            .find(|c| c.contains("This change ships in"))
            .unwrap_or_default()
    };
    assert!(
        promise(&t).contains("This change ships in **v1.5.1**"),
        "{}",
        promise(&t)
    );
    t.comment_as("bob", 1, "/hotfix double charges").await;
    let hotfix = issue_titled(&t, "Hotfix v1.5.1");
    // Before it is cut: deploying or confirming it names the step that is missing.
    t.comment_as("alice", hotfix, "/deploy production").await;
    assert!(
        last_reply(&t, hotfix).contains("v1.5.1 is not cut yet: name the fixes with `/release include #N …` and comment `/release`"),
        "{}",
        last_reply(&t, hotfix)
    );
    t.comment_as("alice", hotfix, &format!("/release include #{fix}"))
        .await;
    t.comment_as("alice", hotfix, "/release").await;
    green(&t, "hotfix/v1.5.1");
    t.comment_as("alice", hotfix, "/signoff").await;
    t.comment_as("alice", hotfix, "/release").await;
    let reply = last_reply(&t, hotfix);
    assert!(reply.contains("Released **[v1.5.1]("), "{reply}");
    assert!(
        reply.contains("Deployment request for production filed for Ops: "),
        "{reply}"
    );
    // The hotfix took v1.5.1: the typo's checklist now says where it really ships.
    assert!(
        promise(&t).contains("This change ships in **v1.5.2**"),
        "{}",
        promise(&t)
    );
    // Filed at once, for the hotfix itself, whatever staging runs.
    assert_eq!(
        titles(&t),
        ["Deploy acme/web v1.5.1 to production (expedited hotfix)"]
    );

    // Each next command names the next step instead of a dead end.
    t.comment_as("alice", hotfix, "/deploy production").await;
    assert!(
        last_reply(&t, hotfix).contains("The deployment request for hotfix v1.5.1 is filed: "),
        "{}",
        last_reply(&t, hotfix)
    );
    t.comment_as("alice", hotfix, "/release healthy").await;
    let reply = last_reply(&t, hotfix);
    assert!(
        reply.contains("v1.5.1 is not in production yet (production runs v1.5.0): its deployment request is with Ops ("),
        "{reply}"
    );
    t.comment_as("alice", hotfix, "/skip changed my mind").await;
    let reply = last_reply(&t, hotfix);
    assert!(
        reply.contains("hotfix v1.5.1")
            && reply.contains(
                "is released already, so there is nothing to skip. v1.5.1 is not in production yet"
            ),
        "{reply}"
    );

    // A second fix while the first is in flight builds on it, and says so.
    t.comment_as("bob", 1, "/warmfix login loop").await;
    let reply = last_reply(&t, 1);
    assert!(
        reply.contains("Warmfix v1.5.2, a patch on `v1.5.1`"),
        "{reply}"
    );
    assert!(
        reply.contains("It starts from hotfix v1.5.1 rather than `v1.5.0` (what staging runs)"),
        "{reply}"
    );

    // Ops deploys it: the monitoring checklist, then `/release healthy` closes the issue.
    t.deploy("production", "v1.5.1").await;
    assert!(
        t.bot_comments(hotfix)
            .iter()
            .any(|c| c.contains("**v1.5.1 is in production.**")),
        "{:#?}",
        t.bot_comments(hotfix)
    );
    // A QA call about a version production runs already is refused, with the way out.
    t.comment_as("quinn", hotfix, "/qa blocker refunds fail")
        .await;
    assert!(
        last_reply(&t, hotfix).contains("v1.5.1 is in production already: for a problem there, open a hotfix with `/hotfix <what is wrong>`"),
        "{}",
        last_reply(&t, hotfix)
    );
    t.comment_as("alice", hotfix, "/release healthy").await;
    assert!(
        last_reply(&t, hotfix).contains("Recorded: v1.5.1 is healthy in production"),
        "{}",
        last_reply(&t, hotfix)
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_staging_sign_off_holds_for_the_commit_it_was_given_on() {
    let (mut t, issue) = on_release_day(TestDb::sqlite()).await;
    green(&t, "main");
    t.comment_as("alice", issue, "/signoff staging").await;
    // Something merges after the sign-off: the release manager has not seen it.
    t.merge_pr("bob", "Late change", &["feature"]).await;
    green(&t, "main");
    t.comment_as("alice", issue, "/release").await;
    let reply = last_reply(&t, issue);
    assert!(
        reply.contains("@alice has not signed off for staging"),
        "{reply}"
    );
    t.comment_as("alice", issue, "/signoff staging").await;
    t.comment_as("alice", issue, "/release").await;
    assert!(
        last_reply(&t, issue).contains("Released **[v2.2.0]("),
        "{}",
        last_reply(&t, issue)
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_release_that_would_undo_a_hotfix_is_held_back() {
    let (mut t, issue) = on_release_day(TestDb::sqlite()).await;
    green(&t, "main");
    t.comment_as("alice", issue, "/signoff").await;
    t.comment_as("alice", issue, "/release").await;
    t.deploy("production", "v2.1.0").await;
    t.deploy("staging", "v2.2.0").await;
    // The day after, a hotfix on v2.1.0 goes straight to production (not to staging): v2.2.0,
    // cut before its fix merged, does not have it.
    t.set_time("2026-12-09T18:00:00Z");
    let fix = t
        .merge_change("carol", "Fix refunds", &[("refund.txt", "fixed\n")])
        .await;
    t.comment_as("bob", 1, "/hotfix refunds fail").await;
    let hotfix = issue_titled(&t, "Hotfix v2.1.1");
    t.comment_as("alice", hotfix, &format!("/release include #{fix}"))
        .await;
    t.comment_as("alice", hotfix, "/release").await;
    green(&t, "hotfix/v2.1.1");
    t.comment_as("alice", hotfix, "/signoff").await;
    t.comment_as("alice", hotfix, "/release").await;
    t.deploy("production", "v2.1.1").await;

    // Its release day: v2.2.0 would undo the hotfix, so it is held back and says why.
    t.set_time("2026-12-22T17:00:00Z");
    t.tick().await;
    let next = t.issues_titled("Release 2026-12-22")[0].clone();
    assert!(
        next.2.contains(&format!(
            "**Production:** v2.2.0 held back: it was cut before hotfix v2.1.1's fixes (#{fix}) merged, so it would undo them in production"
        )),
        "{}",
        next.2
    );
    t.comment_as("alice", next.0, "/deploy production").await;
    assert!(
        last_reply(&t, next.0)
            .contains("no deployment request for v2.2.0: it was cut before hotfix v2.1.1's fixes"),
        "{}",
        last_reply(&t, next.0)
    );
    assert!(
        !titles(&t).iter().any(|title| title.contains("v2.2.0")),
        "{:?}",
        titles(&t)
    );
    t.shutdown().await;
}
