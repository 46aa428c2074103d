//! `/release status`: the requirements gate of the default branch head, end to end.

use crate::support;

use support::TestDb;
use support::scenario::{CONFIG, REPO, Tester, deployed_at};

fn head(t: &Tester) -> String {
    t.sim.with(|w| w.repos[REPO].branches["main"].clone())
}

#[tokio::test]
async fn release_status_reports_each_requirement_with_its_fix() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let sha = head(&t);
    // v1.0.0 has been on staging since 24 Nov: production's requirements are about it.
    t.sim.with(|w| {
        w.add_tag(REPO, "v1.0.0", "main");
        deployed_at(w, "staging", "v1.0.0", "2026-11-24T20:00:00Z");
    });
    t.sim.with(|w| {
        w.set_check_run(REPO, &sha, "ci/test", "completed", Some("failure"));
        w.set_status(REPO, &sha, "lint", "success");
    });
    t.clear_calls();
    let id = t.comment_as("bob", 1, "/release status").await;
    let reply = t.bot_comments(1).pop().unwrap();
    assert!(
        reply.contains("| staging | tests | ❌ | failing on"),
        "{reply}"
    );
    assert!(reply.contains("`ci/test` (failure)"), "{reply}");
    assert!(reply.contains("| staging | signoff | ⏳ | @alice has not signed off for staging | @alice comments `/signoff staging`"), "{reply}");
    assert!(
        reply.contains("| production | qa | ✅ | no QA blockers reported while it soaked |"),
        "{reply}"
    );
    assert!(reply.contains("release manager @alice"), "{reply}");
    assert_eq!(t.reactions_on(id), vec!["eyes", "+1"]);
    // API budget: reactions 2, permission 1, config 1, repo + ref 2, checks + statuses 2,
    // reply 2 (look for an existing one, post) = 10; and production's candidate: its checks
    // and statuses (2), and on a fresh install what each environment runs (3, once) = 15.
    let calls = t.calls();
    assert!(calls.len() <= 15, "{} calls: {calls:#?}", calls.len());

    // CI goes green: the tests row follows.
    t.sim.with(|w| {
        w.set_check_run(REPO, &sha, "ci/test", "completed", Some("success"));
    });
    t.comment_as("bob", 1, "/release status").await;
    let reply = t.bot_comments(1).pop().unwrap();
    assert!(
        reply.contains("| staging | tests | ✅ | 2 checks green on"),
        "{reply}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn release_status_without_a_config_says_how_to_add_one() {
    let mut t = Tester::new(TestDb::sqlite(), None).await;
    let id = t.comment_as("bob", 1, "/release status").await;
    let reply = t.bot_comments(1).pop().unwrap();
    assert!(
        reply.contains("this repository has no `.github/relman.yml`"),
        "{reply}"
    );
    assert_eq!(t.reactions_on(id), vec!["eyes", "confused"]);
    t.shutdown().await;
}
