//! `/release status`: the requirements gate of the default branch head, end to end.

use crate::support;

use support::TestDb;
use support::scenario::{CONFIG, REPO, Tester};

fn head(t: &Tester) -> String {
    t.sim.with(|w| w.repos[REPO].branches["main"].clone())
}

#[tokio::test]
async fn release_status_reports_each_requirement_with_its_fix() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let sha = head(&t);
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
        reply.contains("| production | qa | ✅ | no QA blockers reported |"),
        "{reply}"
    );
    assert!(reply.contains("release manager @alice"), "{reply}");
    assert_eq!(t.reactions_on(id), vec!["eyes", "+1"]);
    // API budget: reactions 2, permission 1, config 1, repo + ref 2, checks + statuses 2,
    // reply 2 (look for an existing one, post) = 10.
    let calls = t.calls();
    assert!(calls.len() <= 10, "{} calls: {calls:#?}", calls.len());

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
