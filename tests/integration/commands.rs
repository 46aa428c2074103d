//! Slash commands end to end: signed comment webhooks through the router, the real workers,
//! the fake GitHub.

use crate::support;

use support::TestDb;
use support::scenario::{CONFIG, Tester};

#[tokio::test]
async fn help_lists_every_command_and_acknowledges_in_order() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let id = t
        .comment_as("rita", 1, "What can I do here?\n\n/help")
        .await;

    let replies = t.bot_comments(1);
    assert_eq!(replies.len(), 1);
    for spec in relman_commands::specs() {
        // Inside the help table a `|` of a usage is escaped.
        let shown = spec.usage.replace('|', "\\|");
        assert!(replies[0].contains(&shown), "help lacks {shown}");
    }
    assert!(replies[0].starts_with("<!-- relman:reply:"));
    assert_eq!(t.reactions_on(id), vec!["eyes", "+1"]);
    t.shutdown().await;
}

#[tokio::test]
async fn a_mistyped_command_gets_the_nearest_one() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let id = t.comment_as("alice", 1, "/relase").await;
    let replies = t.bot_comments(1);
    assert_eq!(replies.len(), 1);
    assert!(
        replies[0].contains("unknown command `/relase` — did you mean `/release`?"),
        "{}",
        replies[0]
    );
    assert_eq!(t.reactions_on(id), vec!["eyes", "confused"]);
    t.shutdown().await;
}

#[tokio::test]
async fn a_read_only_user_is_refused_with_who_may() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let id = t
        .comment_as("rita", 1, "/hotfix the login page is down")
        .await;
    let replies = t.bot_comments(1);
    assert!(
        replies[0]
            .contains("`/hotfix` can be run by anyone with write access; @rita has read access."),
        "{}",
        replies[0]
    );
    assert_eq!(t.reactions_on(id), vec!["eyes", "confused"]);

    // A release-manager command names the release manager of the period.
    let id = t.comment_as("bob", 1, "/skip nothing to ship").await;
    let replies = t.bot_comments(1);
    assert!(
        replies
            .last()
            .unwrap()
            .contains("(the release manager of this period is @alice)"),
        "{replies:?}"
    );
    assert_eq!(t.reactions_on(id), vec!["eyes", "confused"]);
    t.shutdown().await;
}

#[tokio::test]
async fn the_bots_own_comments_and_plain_comments_cost_nothing() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    t.clear_calls();
    // A comment without commands: no API call at all.
    t.comment_as("alice", 1, "Looks good to me, ship it on Tuesday.")
        .await;
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    // relman's own comment quoting a command is never obeyed.
    let (_, event) = t.sim.with(|w| {
        w.add_user("relman-test[bot]", github_sim::UserKind::Bot);
        let id = w.add_comment(support::scenario::REPO, 1, "relman-test[bot]", "/help");
        (
            id,
            github_sim::events::issue_comment_created(w, support::scenario::REPO, id),
        )
    });
    t.deliver(event).await;
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    t.shutdown().await;
}

#[tokio::test]
async fn an_edit_runs_only_the_command_it_added() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let id = t.comment_as("alice", 1, "/relase").await;
    assert_eq!(t.bot_comments(1).len(), 1);
    t.clear_calls();
    // Fixing a typo elsewhere in the comment runs nothing again.
    t.edit_comment_as("alice", id, "/relase\n\n(typo above)")
        .await;
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    // Adding /help runs /help only: the reply is edited in place to answer it.
    t.edit_comment_as("alice", id, "/relase\n\n(typo above)\n/help")
        .await;
    let replies = t.bot_comments(1);
    assert_eq!(replies.len(), 1, "the reply is edited, not duplicated");
    assert!(replies[0].contains("/stats"), "{}", replies[0]);
    assert!(
        !replies[0].contains("did you mean"),
        "the old error is not repeated: {}",
        replies[0]
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_redelivered_comment_does_not_answer_twice() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let (id, event) = t.sim.with(|w| {
        let id = w.add_comment(support::scenario::REPO, 1, "bob", "/help");
        (
            id,
            github_sim::events::issue_comment_created(w, support::scenario::REPO, id),
        )
    });
    let delivery = t.deliver(event.clone()).await;
    t.redeliver(event.0, &event.1, &delivery).await;
    // A new delivery id for the same comment (GitHub retried after a timeout on its side).
    t.redeliver(event.0, &event.1, "another-delivery").await;
    assert_eq!(t.bot_comments(1).len(), 1);
    assert_eq!(t.reactions_on(id), vec!["eyes", "+1"]);
    t.shutdown().await;
}

#[tokio::test]
async fn every_command_is_audited() {
    for db in TestDb::all().await {
        let mut t = Tester::new(db, Some(CONFIG)).await;
        t.comment_as("rita", 1, "/help\n/relase\n/hotfix down")
            .await;
        let log = t.store.audit_log("acme/web", 10).await.unwrap();
        let rows: Vec<(String, String, String)> = log
            .iter()
            .map(|e| {
                (
                    e.actor_login.clone(),
                    e.command_text.clone(),
                    e.outcome.clone(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("rita".into(), "/help".into(), "ok".into()),
                ("rita".into(), "/relase".into(), "invalid".into()),
                ("rita".into(), "/hotfix down".into(), "denied".into()),
            ],
            "{}",
            t.db.label
        );
        t.shutdown().await;
    }
}

/// The words people read are reviewed, not changed by accident.
#[tokio::test]
async fn bot_replies_snapshot() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    t.comment_as("rita", 1, "/relase\n/hotfix checkout is down")
        .await;
    let replies = t.bot_comments(1);
    insta::assert_snapshot!("mistyped_and_denied", replies[0]);
    t.comment_as("bob", 1, "/help").await;
    let replies = t.bot_comments(1);
    insta::assert_snapshot!("help", replies[1]);
    t.shutdown().await;
}

// Pull request review comments and review summaries carry commands like issue comments do.

#[tokio::test]
async fn help_in_a_review_comment_is_acknowledged_on_it_and_answered_on_the_pr() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let pr = t.open_pr_as("bob", "Cache templates");
    t.clear_calls();
    let id = t
        .review_comment_as("rita", pr, "Which commands are there?\n\n/help")
        .await;

    // The reply goes on the PR's conversation, keyed by the review comment.
    let replies = t.bot_comments(pr);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].starts_with(&format!("<!-- relman:reply:review-comment-{id} -->")),
        "{}",
        replies[0]
    );
    for spec in relman_commands::specs() {
        let shown = spec.usage.replace('|', "\\|");
        assert!(replies[0].contains(&shown), "help lacks {shown}");
    }
    // Reactions go on the review comment through its own route, eyes first.
    assert_eq!(t.reactions_on_review_comment(id), vec!["eyes", "+1"]);
    assert!(t.reactions_on(id).is_empty());
    let calls = t.calls();
    let on_review_comment = format!("POST /repos/acme/web/pulls/comments/{id}/reactions");
    assert_eq!(
        calls.iter().filter(|c| **c == on_review_comment).count(),
        2,
        "{calls:#?}"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("/issues/comments/") && c.ends_with("/reactions")),
        "{calls:#?}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_review_summary_is_answered_with_a_reply_only() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let pr = t.open_pr_as("bob", "Cache templates");
    t.clear_calls();
    let review = t
        .review_as("bob", pr, "Looks good to me.\n\n/release status")
        .await;

    let replies = t.bot_comments(pr);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].starts_with(&format!("<!-- relman:reply:review-{review} -->")),
        "{}",
        replies[0]
    );
    assert!(
        replies[0].contains("Release gate for `main`"),
        "{}",
        replies[0]
    );
    // A review takes no reactions on GitHub: the reply is the acknowledgement.
    let calls = t.calls();
    assert!(
        !calls.iter().any(|c| c.ends_with("/reactions")),
        "{calls:#?}"
    );
    let log = t.store.audit_log("acme/web", 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].comment_id,
            log[0].issue_number,
            log[0].command_text.as_str(),
            log[0].outcome.as_str()
        ),
        (review, pr, "/release status", "ok")
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_bots_review_comments_and_reviews_are_ignored() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let pr = t.open_pr_as("bob", "Cache templates");
    t.clear_calls();
    // `[bot]` logins are `type: Bot` accounts in the sim, as on GitHub.
    t.review_comment_as("relman-test[bot]", pr, "> /help\n/help")
        .await;
    t.review_comment_as("renovate[bot]", pr, "/release status")
        .await;
    t.review_as("renovate[bot]", pr, "/hotfix it is broken")
        .await;
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    assert!(t.bot_comments(pr).is_empty());
    assert!(t.store.audit_log("acme/web", 10).await.unwrap().is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn an_edited_review_comment_runs_only_the_command_it_added() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let pr = t.open_pr_as("bob", "Cache templates");
    let id = t.review_comment_as("alice", pr, "/relase").await;
    let replies = t.bot_comments(pr);
    assert_eq!(replies.len(), 1);
    assert!(
        replies[0].contains("did you mean `/release`?"),
        "{}",
        replies[0]
    );
    assert_eq!(t.reactions_on_review_comment(id), vec!["eyes", "confused"]);
    t.clear_calls();
    // An edit elsewhere in the comment runs nothing again.
    t.edit_review_comment_as("alice", id, "/relase\n\n(typo above)")
        .await;
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    // Adding /help runs /help only, and the reply is edited in place.
    t.edit_review_comment_as("alice", id, "/relase\n\n(typo above)\n/help")
        .await;
    let replies = t.bot_comments(pr);
    assert_eq!(replies.len(), 1, "the reply is edited, not duplicated");
    assert!(replies[0].contains("/stats"), "{}", replies[0]);
    assert!(!replies[0].contains("did you mean"), "{}", replies[0]);
    assert_eq!(
        t.reactions_on_review_comment(id),
        vec!["eyes", "confused", "+1"]
    );
    let log = t.store.audit_log("acme/web", 10).await.unwrap();
    let commands: Vec<&str> = log.iter().map(|e| e.command_text.as_str()).collect();
    assert_eq!(commands, vec!["/relase", "/help"]);
    t.shutdown().await;
}

#[tokio::test]
async fn a_read_only_user_is_refused_in_review_comments_and_reviews() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    let pr = t.open_pr_as("bob", "Cache templates");
    let id = t
        .review_comment_as("rita", pr, "/hotfix checkout is down")
        .await;
    let replies = t.bot_comments(pr);
    assert!(
        replies[0]
            .contains("`/hotfix` can be run by anyone with write access; @rita has read access."),
        "{}",
        replies[0]
    );
    assert_eq!(t.reactions_on_review_comment(id), vec!["eyes", "confused"]);

    let review = t
        .review_as("rita", pr, "Approving, but:\n\n/hotfix checkout is down")
        .await;
    let replies = t.bot_comments(pr);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(replies[1].starts_with(&format!("<!-- relman:reply:review-{review} -->")));
    insta::assert_snapshot!(
        "review_denied",
        replies[1].replace(&review.to_string(), "REVIEW")
    );
    let outcomes: Vec<String> = t
        .store
        .audit_log("acme/web", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes, vec!["denied", "denied"]);
    t.shutdown().await;
}
