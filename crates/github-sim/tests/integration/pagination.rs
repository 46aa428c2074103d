//! `per_page`/`page` pagination with `Link` headers, and the cursor
//! pagination of webhook deliveries.

use crate::common;

use common::{app_jwt, call, sim_with_repo};
use serde_json::json;

fn links(header: Option<&str>) -> Vec<(String, String)> {
    header
        .unwrap_or_default()
        .split(", ")
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (url, rel) = part.split_once("; ").unwrap();
            (
                rel.trim_start_matches("rel=\"")
                    .trim_end_matches('"')
                    .to_string(),
                url.trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn three_pages_of_comments_link_to_each_other() {
    let (sim, token) = sim_with_repo().await;
    let number = sim.with(|world| {
        let number = world.open_issue("acme/web", "alice", "Release 2026-01-06", "");
        for i in 0..7 {
            world.add_comment("acme/web", number, "alice", &format!("comment {i}"));
        }
        number
    });
    let base = format!("{}/repos/acme/web/issues/{number}/comments", sim.api_url());

    let first = call(
        &sim,
        "GET",
        &format!("/repos/acme/web/issues/{number}/comments?per_page=3"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(first.status, 200);
    let bodies: Vec<&str> = first
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["comment 0", "comment 1", "comment 2"]);
    assert_eq!(
        links(first.header("link")),
        [
            ("next".to_string(), format!("{base}?per_page=3&page=2")),
            ("last".to_string(), format!("{base}?per_page=3&page=3")),
        ]
    );

    let second = call(
        &sim,
        "GET",
        &format!("/repos/acme/web/issues/{number}/comments?per_page=3&page=2"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(second.body.as_array().unwrap().len(), 3);
    assert_eq!(
        links(second.header("link")),
        [
            ("prev".to_string(), format!("{base}?per_page=3&page=1")),
            ("next".to_string(), format!("{base}?per_page=3&page=3")),
            ("last".to_string(), format!("{base}?per_page=3&page=3")),
            ("first".to_string(), format!("{base}?per_page=3&page=1")),
        ]
    );

    let third = call(
        &sim,
        "GET",
        &format!("/repos/acme/web/issues/{number}/comments?per_page=3&page=3"),
        Some(&token),
        None,
    )
    .await;
    let bodies: Vec<&str> = third
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["comment 6"]);
    let rels: Vec<String> = links(third.header("link"))
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
    assert_eq!(rels, ["prev", "first"]);
}

#[tokio::test]
async fn a_single_page_has_no_link_header_and_per_page_is_capped() {
    let (sim, token) = sim_with_repo().await;
    sim.with(|world| {
        for i in 0..120 {
            world.open_issue("acme/web", "alice", &format!("issue {i}"), "");
        }
    });
    let all = call(
        &sim,
        "GET",
        "/repos/acme/web/issues?per_page=500",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(all.body.as_array().unwrap().len(), 100);
    assert!(
        all.header("link")
            .unwrap()
            .contains("page=2>; rel=\"next\"")
    );
    // Default page size is 30, newest first.
    let default = call(&sim, "GET", "/repos/acme/web/issues", Some(&token), None).await;
    let issues = default.body.as_array().unwrap();
    assert_eq!(issues.len(), 30);
    assert_eq!(issues[0]["title"], "issue 119");
    let few = call(
        &sim,
        "GET",
        "/repos/acme/web/issues?labels=none-such",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(few.body, json!([]));
    assert!(few.header("link").is_none());
}

#[tokio::test]
async fn deliveries_are_cursor_paginated_newest_first() {
    let (sim, _) = sim_with_repo().await;
    let ids: Vec<u64> = sim.with(|world| {
        (0..5)
            .map(|i| {
                world.add_delivery(
                    "issues",
                    json!({ "action": "opened", "number": i }),
                    if i == 3 { 503 } else { 202 },
                )
            })
            .collect()
    });
    let jwt = format!("Bearer {}", app_jwt());
    let first = call(
        &sim,
        "GET",
        "/app/hook/deliveries?per_page=2",
        Some(&jwt),
        None,
    )
    .await;
    let page: Vec<u64> = first
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert_eq!(page, [ids[4], ids[3]]);
    assert_eq!(first.body[1]["status_code"], 503);
    assert_eq!(first.body[1]["status"], "Invalid HTTP Response: 503");
    let (rel, next) = links(first.header("link")).remove(0);
    assert_eq!(rel, "next");
    assert!(next.contains(&format!("cursor=v1_{}", ids[3])), "{next}");

    let path = next.trim_start_matches(&sim.api_url()).to_string();
    let second = call(&sim, "GET", &path, Some(&jwt), None).await;
    let page: Vec<u64> = second
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert_eq!(page, [ids[2], ids[1]]);

    let redeliver = call(
        &sim,
        "POST",
        &format!("/app/hook/deliveries/{}/attempts", ids[3]),
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(redeliver.status, 202);
    assert_eq!(
        sim.with(|world| world.redelivery_requests.clone()),
        [ids[3]]
    );
    let detail = call(
        &sim,
        "GET",
        &format!("/app/hook/deliveries/{}", ids[3]),
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(detail.body["request"]["payload"]["number"], 3);
}

#[tokio::test]
async fn deliveries_filter_by_outcome_and_refuse_a_made_up_cursor() {
    let (sim, _) = sim_with_repo().await;
    let ids: Vec<u64> = sim.with(|world| {
        [202, 302, 404, 503, 0]
            .into_iter()
            .map(|status| world.add_delivery("issues", json!({ "action": "opened" }), status))
            .collect()
    });
    let jwt = format!("Bearer {}", app_jwt());
    let listed = |body: &serde_json::Value| -> Vec<u64> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_u64().unwrap())
            .collect()
    };
    // GitHub's ranges: success is 200-399, failure 400-599; no answer at all is in neither.
    let success = call(
        &sim,
        "GET",
        "/app/hook/deliveries?status=success",
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(listed(&success.body), [ids[1], ids[0]]);
    let failure = call(
        &sim,
        "GET",
        "/app/hook/deliveries?status=failure",
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(listed(&failure.body), [ids[3], ids[2]]);
    let timed_out = sim.with(|world| world.deliveries.last().unwrap().status.clone());
    assert_eq!(timed_out, "timed out");

    // The cursor is GitHub's to make: a plain id is not one.
    let made_up = call(
        &sim,
        "GET",
        &format!("/app/hook/deliveries?cursor={}", ids[2]),
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(made_up.status, 422);

    // A redelivery is a new attempt of the same event.
    let again = sim.with(|world| world.add_delivery_attempt(ids[3], 202).unwrap());
    let detail = call(
        &sim,
        "GET",
        &format!("/app/hook/deliveries/{again}"),
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(detail.body["redelivery"], true);
    let first = call(
        &sim,
        "GET",
        &format!("/app/hook/deliveries/{}", ids[3]),
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(detail.body["guid"], first.body["guid"]);
}
