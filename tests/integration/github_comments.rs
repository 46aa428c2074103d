//! Bot comments through the real port and store: one comment per marker whatever crashed or
//! was deleted in between (on every store back-end), dry runs that send no writes, and the
//! API-call counts later work will be held to.

use crate::support;

use std::sync::Arc;

use github_sim::GitHubSim;
use relman::github::comments::{marker, upsert_comment, with_marker};
use relman::github::rest::WriteRecorder;
use relman::github::{GitHubPort, IssuePatch, NewRelease};
use relman::store::Store;
use support::TestDb;
use support::github::{REPO, SimRepo, fast_budget};

const NOW_MS: i64 = 1_767_600_000_000;

/// The comments on `number` as (author, body), oldest first.
fn comments_on(sim: &GitHubSim, number: u64) -> Vec<(String, String)> {
    sim.with(|world| {
        world
            .repo(REPO)
            .unwrap()
            .comments_on(number)
            .iter()
            .map(|c| (c.user.clone(), c.body.clone()))
            .collect()
    })
}

fn bot() -> String {
    github_sim::world::bot_login()
}

async fn started() -> (SimRepo, u64) {
    let s = SimRepo::start().await;
    let number = s
        .sim
        .with(|world| world.open_issue(REPO, "alice", "Release 2026-01-06", ""));
    (s, number)
}

async fn upsert(s: &SimRepo, store: &Store, number: u64, body: &str) -> u64 {
    upsert_comment(
        &s.github,
        store,
        &s.repo,
        number,
        "checklist",
        "release-2026-01-06",
        body,
        NOW_MS,
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn upserting_twice_edits_the_one_comment() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (s, number) = started().await;

        let counter = s.counter();
        let first = upsert(&s, &store, number, "- [ ] tests").await;
        // Nothing remembered yet: look for the marker on the issue, then post.
        assert_eq!(
            counter.lines(),
            vec![
                format!("GET /repos/acme/web/issues/{number}/comments"),
                format!("POST /repos/acme/web/issues/{number}/comments"),
            ],
            "{}",
            db.label
        );

        let counter = s.counter();
        let second = upsert(&s, &store, number, "- [x] tests").await;
        assert_eq!(first, second, "{}", db.label);
        // Remembered: one PATCH, nothing else.
        assert_eq!(
            counter.lines(),
            vec![format!("PATCH /repos/acme/web/issues/comments/{first}")],
            "{}",
            db.label
        );
        assert_eq!(
            comments_on(&s.sim, number),
            vec![(
                bot(),
                with_marker("checklist", "release-2026-01-06", "- [x] tests")
            )],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_crash_between_posting_and_remembering_leaves_one_comment() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (s, number) = started().await;

        // The comment was posted, then the process died before the store recorded it.
        let posted = s
            .github
            .create_comment(
                &s.repo,
                number,
                &with_marker("checklist", "release-2026-01-06", "- [ ] tests"),
            )
            .await
            .unwrap();

        let counter = s.counter();
        let id = upsert(&s, &store, number, "- [x] tests").await;
        assert_eq!(id, posted.id, "{}", db.label);
        assert_eq!(
            counter.lines(),
            vec![
                format!("GET /repos/acme/web/issues/{number}/comments"),
                format!("PATCH /repos/acme/web/issues/comments/{id}"),
            ],
            "{}",
            db.label
        );
        assert_eq!(comments_on(&s.sim, number).len(), 1, "{}", db.label);

        // Now remembered: the next upsert goes straight to the comment.
        let mark = marker("checklist", "release-2026-01-06");
        assert_eq!(
            store.bot_comment_id(REPO, number, &mark).await.unwrap(),
            Some(id),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_lost_store_row_is_recovered_from_the_marker_without_an_edit() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (s, number) = started().await;
        let id = upsert(&s, &store, number, "- [ ] tests").await;

        // The row is gone (a fresh database, a restore): the marker finds the comment again,
        // and since it already reads right, nothing is written.
        let mark = marker("checklist", "release-2026-01-06");
        store.forget_bot_comment(REPO, number, &mark).await.unwrap();
        let counter = s.counter();
        let again = upsert(&s, &store, number, "- [ ] tests").await;
        assert_eq!(again, id, "{}", db.label);
        assert_eq!(
            counter.lines(),
            vec![format!("GET /repos/acme/web/issues/{number}/comments")],
            "{}",
            db.label
        );
        assert_eq!(comments_on(&s.sim, number).len(), 1, "{}", db.label);
        assert_eq!(
            store.bot_comment_id(REPO, number, &mark).await.unwrap(),
            Some(id),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_deleted_comment_is_posted_again() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (s, number) = started().await;
        let first = upsert(&s, &store, number, "- [ ] tests").await;

        // Someone deletes the bot's comment on GitHub.
        s.sim.with(|world| {
            world.repo_mut(REPO).unwrap().comments.remove(&first);
        });
        let counter = s.counter();
        let second = upsert(&s, &store, number, "- [x] tests").await;
        assert_ne!(second, first, "{}", db.label);
        // The comments are as the first upsert found them before it posted: the search for
        // the marker is answered 304.
        assert_eq!(
            counter
                .calls()
                .iter()
                .map(|c| (c.method.clone(), c.status))
                .collect::<Vec<_>>(),
            vec![
                ("PATCH".to_string(), 404),
                ("GET".to_string(), 304),
                ("POST".to_string(), 201),
            ],
            "{}",
            db.label
        );
        assert_eq!(
            comments_on(&s.sim, number),
            vec![(
                bot(),
                with_marker("checklist", "release-2026-01-06", "- [x] tests")
            )],
            "{}",
            db.label
        );
        let mark = marker("checklist", "release-2026-01-06");
        assert_eq!(
            store.bot_comment_id(REPO, number, &mark).await.unwrap(),
            Some(second),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_person_quoting_the_marker_does_not_get_their_comment_edited() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let (s, number) = started().await;
        let quoted = with_marker("checklist", "release-2026-01-06", "copied from the bot");
        s.sim
            .with(|world| world.add_comment(REPO, number, "alice", &quoted));

        upsert(&s, &store, number, "- [ ] tests").await;
        let comments = comments_on(&s.sim, number);
        assert_eq!(comments.len(), 2, "{}", db.label);
        assert_eq!(comments[0], ("alice".to_string(), quoted), "{}", db.label);
        assert_eq!(comments[1].0, bot(), "{}", db.label);
    }
}

#[tokio::test]
async fn a_dry_run_reads_from_github_and_records_its_writes_instead_of_sending_them() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let recorder: Arc<dyn WriteRecorder> = Arc::new(store.clone());
        let s = SimRepo::start_with(fast_budget(), Some(recorder)).await;
        let (number, sha) = s.sim.with(|world| {
            let number = world.open_issue(REPO, "alice", "Release 2026-01-06", "");
            (number, world.resolve(REPO, "main").unwrap())
        });

        let issue = s.github.get_issue(&s.repo, number).await.unwrap();
        assert_eq!(issue.title, "Release 2026-01-06", "{}", db.label);
        s.github
            .create_comment(&s.repo, number, "would comment")
            .await
            .unwrap();
        s.github
            .update_issue(
                &s.repo,
                number,
                &IssuePatch {
                    title: Some("renamed".into()),
                    ..IssuePatch::default()
                },
            )
            .await
            .unwrap();
        s.github
            .create_ref(&s.repo, "refs/tags/v1.0.0", &sha)
            .await
            .unwrap();
        let release = s
            .github
            .create_release(
                &s.repo,
                &NewRelease {
                    tag_name: "v1.0.0".into(),
                    target_commitish: sha.clone(),
                    name: "v1.0.0".into(),
                    body: "notes".into(),
                    draft: false,
                    prerelease: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(release.tag_name, "v1.0.0", "{}", db.label);

        // GitHub saw the read (and the token exchange), no write.
        let sent: Vec<String> = s
            .sim
            .requests()
            .iter()
            .filter(|r| !support::github::is_token_request(r))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert_eq!(
            sent,
            vec![format!("GET /repos/acme/web/issues/{number}")],
            "{}",
            db.label
        );
        s.sim.with(|world| {
            let repo = world.repo(REPO).unwrap();
            assert!(repo.comments.is_empty());
            assert!(repo.releases.is_empty());
            assert!(!repo.tags.contains_key("v1.0.0"));
            assert_eq!(repo.issue(number).unwrap().title, "Release 2026-01-06");
        });

        // The store has what would have been sent, newest first.
        let writes = store.dry_run_writes(10).await.unwrap();
        let summary: Vec<(&str, &str)> = writes
            .iter()
            .map(|w| (w.method.as_str(), w.route.as_str()))
            .collect();
        let comments_route = format!("/repos/acme/web/issues/{number}/comments");
        let issue_route = format!("/repos/acme/web/issues/{number}");
        assert_eq!(
            summary,
            vec![
                ("POST", "/repos/acme/web/releases"),
                ("POST", "/repos/acme/web/git/refs"),
                ("PATCH", issue_route.as_str()),
                ("POST", comments_route.as_str()),
            ],
            "{}",
            db.label
        );
        let comment_body: serde_json::Value =
            serde_json::from_str(writes[3].body.as_deref().unwrap()).unwrap();
        assert_eq!(comment_body, serde_json::json!({ "body": "would comment" }));
    }
}

#[tokio::test]
async fn the_call_counter_counts_api_calls_per_operation() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let (s, number) = started().await;
    s.sim.with(|world| {
        for i in 0..250 {
            world.add_comment(REPO, number, "alice", &format!("comment {i}"));
        }
    });

    // The token exchange of the first call is not an API call of the operation.
    let counter = s.counter();
    s.github.get_issue(&s.repo, number).await.unwrap();
    assert_eq!(counter.count(), 1);
    assert_eq!(counter.token_requests(), 1);

    let mut counter = s.counter();
    s.github.list_comments(&s.repo, number).await.unwrap();
    assert_eq!(counter.count(), 3, "{:?}", counter.lines());
    assert_eq!(counter.token_requests(), 0);

    // First upsert: the marker is looked for across the three pages, then posted.
    counter.reset();
    upsert(&s, &store, number, "v1").await;
    assert_eq!(counter.count(), 4, "{:?}", counter.lines());

    // The fast path: one call.
    counter.reset();
    upsert(&s, &store, number, "v2").await;
    assert_eq!(counter.count(), 1, "{:?}", counter.lines());
}
