//! ETags, `304 Not Modified` and the installation's rate-limit budget.

use crate::common;

use common::{call, sim_with_repo};
use github_sim::{RateLimit, Usage};

/// `GET path` with the token and, when given, `If-None-Match`.
async fn get(
    sim: &github_sim::GitHubSim,
    token: &str,
    path: &str,
    if_none_match: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(format!("{}{path}", sim.api_url()))
        .header("authorization", token)
        .header("user-agent", "github-sim-tests");
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_conditional_get_of_an_unchanged_list_is_a_free_304() {
    let (sim, token) = sim_with_repo().await;
    sim.with(|w| {
        w.commit("acme/web", "main", "first", &[("a.txt", "1")]);
        w.add_tag("acme/web", "v1.0.0", "main");
    });

    let first = get(&sim, &token, "/repos/acme/web/tags", None).await;
    assert_eq!(first.status(), 200);
    let tag = header(&first, "etag");
    assert!(tag.starts_with("W/\""), "{tag}");
    assert_eq!(header(&first, "x-ratelimit-remaining"), "4999");

    let again = get(&sim, &token, "/repos/acme/web/tags", Some(&tag)).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), tag);
    assert_eq!(
        header(&again, "x-ratelimit-remaining"),
        "4999",
        "a 304 is free"
    );
    assert_eq!(again.bytes().await.unwrap().len(), 0);

    // A new tag changes the list, so the old tag no longer matches.
    sim.with(|w| {
        w.add_tag("acme/web", "v1.1.0", "main");
    });
    let changed = get(&sim, &token, "/repos/acme/web/tags", Some(&tag)).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(header(&changed, "etag"), tag);
    assert_eq!(header(&changed, "x-ratelimit-remaining"), "4998");

    assert_eq!(
        sim.usage(77),
        Usage {
            requests: 3,
            not_modified: 1,
            points: 2
        }
    );
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert!(statuses.ends_with(&[200, 304, 200]), "{statuses:?}");
}

#[tokio::test]
async fn a_304_of_a_page_has_no_link_header_as_on_github() {
    let (sim, token) = sim_with_repo().await;
    let number = sim.with(|w| {
        let number = w.open_issue("acme/web", "alice", "Release", "");
        for i in 0..3 {
            w.add_comment("acme/web", number, "alice", &format!("c{i}"));
        }
        number
    });
    let path = format!("/repos/acme/web/issues/{number}/comments?per_page=2");
    let first = get(&sim, &token, &path, None).await;
    assert!(header(&first, "link").contains("rel=\"next\""));
    let again = get(&sim, &token, &path, Some(&header(&first, "etag"))).await;
    assert_eq!(again.status(), 304);
    assert!(again.headers().get("link").is_none());
}

#[tokio::test]
async fn a_spent_budget_is_refused_until_the_window_resets() {
    let (sim, token) = sim_with_repo().await;
    sim.set_rate_limit(RateLimit {
        limit: 2,
        window: chrono::Duration::minutes(10),
    });
    let now = sim.with(|w| w.now);
    sim.set_rate_remaining(77, 1, now + chrono::Duration::minutes(5));

    let last = call(&sim, "GET", "/repos/acme/web", Some(&token), None).await;
    assert_eq!(last.status, 200);
    assert_eq!(last.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(last.header("x-ratelimit-limit"), Some("2"));
    let reset = (now + chrono::Duration::minutes(5)).timestamp().to_string();
    assert_eq!(last.header("x-ratelimit-reset"), Some(reset.as_str()));

    let refused = call(&sim, "GET", "/repos/acme/web", Some(&token), None).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("rate limit exceeded")
    );

    sim.with(|w| w.now = now + chrono::Duration::minutes(5));
    let fresh = call(&sim, "GET", "/repos/acme/web", Some(&token), None).await;
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.header("x-ratelimit-remaining"), Some("1"));
    assert_eq!(sim.usage(77).points, 2, "the refusal cost nothing");
}
