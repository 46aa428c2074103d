//! The repository config end to end: validated on every push that touches it, cached and
//! persisted on the default branch, the last good one kept through a broken one, and the
//! calendar feed served from it.

use crate::support;

use github_sim::events;
use support::TestDb;
use support::scenario::{CONFIG, REPO, Tester};

const PATH: &str = ".github/relman.yml";

/// Pushes `contents` as the config on `branch`; returns the pushed sha.
async fn push_config(t: &mut Tester, branch: &str, contents: &str) -> String {
    let (after, event) = t.sim.with(|w| {
        let before = w.repos[REPO]
            .branches
            .get(branch)
            .cloned()
            .unwrap_or_else(|| "0".repeat(40));
        let after = w.commit(REPO, branch, "Update relman config", &[(PATH, contents)]);
        let event = events::push(
            w,
            REPO,
            &format!("refs/heads/{branch}"),
            &before,
            &after,
            "alice",
        );
        (after, event)
    });
    t.deliver(event).await;
    after
}

fn config_check(t: &Tester, sha: &str) -> (String, String, Vec<serde_json::Value>) {
    t.sim.with(|w| {
        let repo = &w.repos[REPO];
        let run = repo
            .check_runs
            .values()
            .find(|r| r.head_sha == sha && r.name == "relman/config")
            .expect("a relman/config check run on the pushed commit");
        (
            run.conclusion.clone().unwrap_or_default(),
            run.output.summary.clone().unwrap_or_default(),
            repo.annotations(run.id).to_vec(),
        )
    })
}

async fn get(t: &Tester, path: &str) -> (u16, String) {
    let (router, _) = support::app(&t.store);
    let (status, body) = support::http_get(&router, path).await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn a_broken_config_fails_its_check_on_its_line_and_the_last_good_one_keeps_serving() {
    let mut t = Tester::new(TestDb::sqlite(), None).await;
    let good = push_config(&mut t, "main", CONFIG).await;
    assert_eq!(config_check(&t, &good).0, "success");

    let broken = CONFIG.replace("weekday: tuesday", "weekdy: tuesday");
    let sha = push_config(&mut t, "main", &broken).await;
    let (conclusion, summary, annotations) = config_check(&t, &sha);
    assert_eq!(conclusion, "failure");
    assert!(summary.contains("unknown key `weekdy`"), "{summary}");
    assert_eq!(annotations.len(), 1);
    assert_eq!(annotations[0]["path"], PATH);
    assert_eq!(annotations[0]["start_line"], 2);
    assert_eq!(annotations[0]["annotation_level"], "failure");

    // The last good config still decides who the release manager is.
    t.comment_as("bob", 1, "/skip nothing merged").await;
    let reply = t.bot_comments(1).pop().unwrap();
    assert!(
        reply.contains("the release manager of this period is @alice"),
        "{reply}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_config_change_on_a_branch_is_checked_but_not_adopted() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    t.sim.with(|w| {
        let main = w.repos[REPO].branches["main"].clone();
        w.create_branch(REPO, "try-bob", &main);
    });
    let sha = push_config(
        &mut t,
        "try-bob",
        &CONFIG.replace("members: [alice]", "members: [bob]"),
    )
    .await;
    assert_eq!(config_check(&t, &sha).0, "success");
    t.comment_as("bob", 1, "/skip nothing merged").await;
    assert!(
        t.bot_comments(1).pop().unwrap().contains("is @alice"),
        "main's config still rules"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn pushes_that_do_not_touch_the_config_cost_no_api_call() {
    let mut t = Tester::new(TestDb::sqlite(), Some(CONFIG)).await;
    t.clear_calls();
    let event = t.sim.with(|w| {
        let before = w.repos[REPO].branches["main"].clone();
        let after = w.commit(REPO, "main", "Fix a typo", &[("README.md", "hello")]);
        events::push(w, REPO, "refs/heads/main", &before, &after, "bob")
    });
    t.deliver(event).await;
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    t.shutdown().await;
}

#[tokio::test]
async fn the_calendar_feed_is_served_at_the_secret_address_and_never_leaks_a_private_repo() {
    for db in TestDb::all().await {
        let mut t = Tester::new(db, Some(CONFIG)).await;
        // Installing the App reads the config once.
        let event = t.sim.with(|w| events::installation_created(w, 77, "alice"));
        t.deliver(event).await;
        let record = t
            .store
            .repository(REPO)
            .await
            .unwrap()
            .expect("config persisted on install");
        assert!(record.config_json.is_some());

        // acme/web is public in the sim: the open address serves.
        let (status, body) = get(&t, "/calendar/acme/web.ics").await;
        assert_eq!(status, 200, "{}", t.db.label);
        assert!(
            body.contains("BEGIN:VCALENDAR") && body.contains("SUMMARY:acme/web release (alice)"),
            "{body}"
        );

        // Made private: only the secret address serves; everything else is a plain 404.
        let json = record.config_json.unwrap();
        t.store
            .save_repo_config(REPO, true, &json, None, 0)
            .await
            .unwrap();
        t.store.set_calendar_token(REPO, "s3cr3t", 0).await.unwrap();
        assert_eq!(get(&t, "/calendar/acme/web.ics").await.0, 404);
        assert_eq!(get(&t, "/calendar/acme/web/wrong.ics").await.0, 404);
        assert_eq!(get(&t, "/calendar/acme/nope/s3cr3t.ics").await.0, 404);
        assert_eq!(get(&t, "/calendar/acme/nope.ics").await.0, 404);
        let (status, body) = get(&t, "/calendar/acme/web/s3cr3t.ics").await;
        assert_eq!(status, 200);
        assert!(body.contains("UID:"), "{body}");
        t.shutdown().await;
    }
}

/// After a restart the process has no "last good" config in memory; the one the store kept
/// stands in, so a broken file pushed while relman was down does not stop it.
#[tokio::test]
async fn after_a_restart_the_stored_config_is_the_last_good_one() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let s = support::github::SimRepo::start().await;
        let good = relman::config::repo::parse_repo_config(PATH, CONFIG).unwrap();
        store
            .save_repo_config(REPO, false, &serde_json::to_string(&good).unwrap(), None, 0)
            .await
            .unwrap();
        s.sim.with(|w| {
            w.commit(
                REPO,
                "main",
                "Break the config",
                &[(PATH, "schedule: { weekdy: tuesday }\n")],
            );
        });
        let cache = relman::config::load::ConfigCache::default();
        let state = cache.get(&s.github, &store, &s.repo).await.unwrap();
        match &state {
            relman::config::load::ConfigState::Invalid { last_good, .. } => {
                assert_eq!(last_good.as_deref(), Some(&good), "{}", db.label)
            }
            other => panic!("{other:?}"),
        }
    }
}
