//! Conditional requests through the port: what relman reads again is revalidated with its
//! ETag, a `304` is answered from the stored copy (every page of a list too) and costs no
//! rate-limit point, and each answer's rate-limit figures reach the installation's budget.

use relman::github::GitHubPort;
use relman::github::app::GitHubApp;

use crate::support::github::{INSTALLATION, REPO, SimRepo, credentials, fast_budget};

fn statuses(requests: &[github_sim::RecordedRequest]) -> Vec<u16> {
    requests.iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn a_second_read_of_unchanged_tags_and_config_is_a_free_304() {
    let t = SimRepo::start().await;
    t.sim.with(|w| {
        w.commit(
            REPO,
            "main",
            "config",
            &[(".github/relman.yml", "timezone: UTC\n")],
        );
        w.add_tag(REPO, "v1.0.0", "main");
    });

    let tags = t.github.list_tags(&t.repo, 100).await.unwrap();
    let file = t
        .github
        .get_file(&t.repo, ".github/relman.yml", None)
        .await
        .unwrap();
    let paid = t.sim.usage(INSTALLATION).points;
    let counter = t.counter();
    assert_eq!(t.github.list_tags(&t.repo, 100).await.unwrap(), tags);
    assert_eq!(
        t.github
            .get_file(&t.repo, ".github/relman.yml", None)
            .await
            .unwrap(),
        file
    );
    assert_eq!(statuses(&counter.calls()), [304, 304]);
    assert_eq!(t.sim.usage(INSTALLATION).points, paid, "304s are free");

    // A change is seen at once: the stored ETag no longer matches.
    t.sim.with(|w| {
        w.commit(
            REPO,
            "main",
            "config",
            &[(".github/relman.yml", "timezone: Europe/Paris\n")],
        );
    });
    let changed = t
        .github
        .get_file(&t.repo, ".github/relman.yml", None)
        .await
        .unwrap();
    assert_eq!(changed.unwrap().text, "timezone: Europe/Paris\n");
}

#[tokio::test]
async fn every_page_of_a_list_is_revalidated_on_its_own_and_keeps_its_link() {
    let t = SimRepo::start().await;
    let issue = t.sim.with(|w| {
        let issue = w.open_issue(REPO, "alice", "Release 2026-12-08", "");
        for i in 0..150 {
            w.add_comment(REPO, issue, "alice", &format!("comment {i}"));
        }
        issue
    });
    let first = t.github.list_comments(&t.repo, issue).await.unwrap();
    assert_eq!(first.len(), 150);

    let mut counter = t.counter();
    let again = t.github.list_comments(&t.repo, issue).await.unwrap();
    // Both pages came back as 304s; the second was found through the stored `Link` (a 304
    // has none), so nothing is lost.
    assert_eq!(statuses(&counter.calls()), [304, 304]);
    assert_eq!(again, first);

    counter.reset();
    t.sim
        .with(|w| w.add_comment(REPO, issue, "bob", "one more"));
    let grown = t.github.list_comments(&t.repo, issue).await.unwrap();
    assert_eq!(
        statuses(&counter.calls()),
        [304, 200],
        "only page 2 changed"
    );
    assert_eq!(grown.len(), 151);
    assert_eq!(grown.last().unwrap().body, "one more");
}

#[tokio::test]
async fn installations_do_not_share_stored_answers() {
    let t = SimRepo::start().await;
    t.sim.with(|w| {
        w.add_installation_with_id(78, "other");
    });
    let other = t.app.installation(78).unwrap();
    // `/app` answers both installations alike: a cache keyed by route alone would revalidate
    // the second installation's first read with the first one's ETag.
    let counter = t.counter();
    let app: serde_json::Value = t.github.rest().get("/app").await.unwrap();
    let same: serde_json::Value = other.rest().get("/app").await.unwrap();
    let again: serde_json::Value = other.rest().get("/app").await.unwrap();
    assert_eq!(statuses(&counter.calls()), [200, 200, 304]);
    assert_eq!((&same, &again), (&app, &app));
}

#[tokio::test]
async fn without_a_cache_every_read_is_paid_for() {
    let t = SimRepo::start().await;
    let app = GitHubApp::new(&credentials(), &t.sim.api_url(), fast_budget(), None)
        .unwrap()
        .with_response_cache(0);
    let github = app.installation(INSTALLATION).unwrap();
    let counter = t.counter();
    github.get_repo(&t.repo).await.unwrap();
    github.get_repo(&t.repo).await.unwrap();
    assert_eq!(statuses(&counter.calls()), [200, 200]);
}

#[tokio::test]
async fn the_rate_limit_figures_of_every_answer_reach_the_budget() {
    let t = SimRepo::start().await;
    let reset = t.sim.with(|w| w.now) + chrono::Duration::minutes(20);
    t.sim.set_rate_remaining(INSTALLATION, 600, reset);
    t.github.get_repo(&t.repo).await.unwrap();
    let quota = t.app.rate_budget().quota(INSTALLATION).unwrap();
    assert_eq!(
        (quota.limit, quota.remaining, quota.reset),
        (5000, 599, reset)
    );
    let before_reset = reset - chrono::Duration::seconds(1);
    assert_eq!(
        t.app.rate_budget().defer_until(INSTALLATION, before_reset),
        None
    );

    // A 304 reports the figures too, and costs nothing.
    t.sim.set_rate_remaining(INSTALLATION, 400, reset);
    t.github.get_repo(&t.repo).await.unwrap();
    let quota = t.app.rate_budget().quota(INSTALLATION).unwrap();
    assert_eq!(quota.remaining, 400);
    assert_eq!(
        t.app.rate_budget().defer_until(INSTALLATION, before_reset),
        Some(reset),
        "under 10 % left: deferrable work waits for the reset"
    );
}
