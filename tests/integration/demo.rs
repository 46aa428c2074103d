//! `relman demo`: the whole cycle plays against the in-process fake GitHub, and the control page
//! answers a comment with what relman did.

use std::net::TcpListener;

use relman::demo::{Demo, DemoOptions};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_plays_a_whole_cycle_and_answers_comments() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(DemoOptions {
        port: free_port(),
        control_port: 0,
        database_url: format!("sqlite://{}", dir.path().join("demo.db").display()),
    })
    .await
    .unwrap();
    let mut out: Vec<u8> = Vec::new();
    demo.play(&mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    for expected in [
        "📋 opens an issue in acme/web/issues: \"Release ",
        "This change ships in **v1.5.0**",
        "⚠️ relman did not release: the staging requirements are not met",
        "🏷️  creates refs/tags/v1.5.0",
        "🚀 publishes the release v1.5.0:",
        "- [#2](https://github.com/acme/web/pull/2) Export orders to CSV (@bob)",
        "📋 opens an issue in acme/ops/issues: \"Deploy acme/web v1.5.0 to production\"",
        "| production now (rollback target) | `v1.4.0` |",
        "**v1.5.0 is in production.**",
        "📋 opens an issue in acme/web/issues: \"Hotfix v1.5.1: checkout crashes on empty carts\"",
        "🏷️  creates refs/tags/v1.5.1",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }

    // The control page: rita (read access) is refused, alice gets the gate.
    let post = |login: &'static str, body: &'static str| {
        let url = format!("{}/comment", demo.control_url);
        async move {
            let client = relman::replay::client();
            let form = format!(
                "login={login}&body={}",
                body.replace(' ', "+").replace('/', "%2F")
            );
            let request = http::Request::post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(http_body_util::Full::new(bytes::Bytes::from(form)))
                .unwrap();
            let response = client.request(request).await.unwrap();
            use http_body_util::BodyExt;
            String::from_utf8(
                response
                    .into_body()
                    .collect()
                    .await
                    .unwrap()
                    .to_bytes()
                    .to_vec(),
            )
            .unwrap()
        }
    };
    let answer = post("alice", "/release status").await;
    assert!(answer.contains("Release gate for `main`"), "{answer}");
    let answer = post("rita", "/signoff").await;
    assert!(answer.contains("`/signoff` can be run by"), "{answer}");
    demo.stop();
}
