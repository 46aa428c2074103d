//! `relman demo`: two release days play against the in-process fake GitHub — the first cut
//! goes to staging while what soaked goes to production, the soak, the second day's request —
//! and the control page answers a comment with what relman did.

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
    let first = demo.timeline.first;
    let second = demo.timeline.second;
    for expected in [
        "rotation: { every: month, starts: ".to_string(),
        format!("📋 opens an issue in acme/web/issues: \"Release {first}\""),
        "This change ships in **v1.5.0**".to_string(),
        "**Staging:** v1.5.0 (to be cut) · **Production:** v1.4.0 (on staging since".to_string(),
        "⚠️ relman did not release: the staging requirements are not met".to_string(),
        "🏷️  creates refs/tags/v1.5.0".to_string(),
        "🚀 publishes the release v1.5.0:".to_string(),
        "- [#2](https://github.com/acme/web/pull/2) Export orders to CSV (@bob)".to_string(),
        // The first release day requests what soaked, not what it cut.
        format!("📋 opens an issue in acme/ops/issues: \"Deploy acme/web v1.4.0 to production (release day {first})\""),
        "| production now (rollback target) | `v1.3.0` |".to_string(),
        "v1.5.0 has been on staging for 0 hours, less than a whole cycle".to_string(),
        format!("📋 opens an issue in acme/web/issues: \"Release {second}\""),
        "**Staging:** v1.6.0 (to be cut) · **Production:** v1.5.0 (on staging since".to_string(),
        format!("📋 opens an issue in acme/ops/issues: \"Deploy acme/web v1.5.0 to production (release day {second})\""),
        "**v1.5.0 is in production.**".to_string(),
        "📋 opens an issue in acme/web/issues: \"Hotfix v1.5.1: checkout crashes on empty carts\"".to_string(),
        "🏷️  creates refs/tags/v1.5.1".to_string(),
        "📋 opens an issue in acme/ops/issues: \"Deploy acme/web v1.5.1 to production (expedited hotfix)\"".to_string(),
        "Recorded: v1.5.1 is healthy in production".to_string(),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in:\n{out}");
    }
    // Exactly three requests: v1.4.0, v1.5.0 and the hotfix; never the day's own cut.
    assert_eq!(
        out.matches("opens an issue in acme/ops/issues").count(),
        3,
        "{out}"
    );

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
    // The open tracking issue is the second day's, released: its own state, not a gate.
    let answer = post("alice", "/release status").await;
    assert!(
        answer.contains("This release day's release was released as [v1.6.0]"),
        "{answer}"
    );
    let answer = post("rita", "/signoff").await;
    assert!(answer.contains("`/signoff` can be run by"), "{answer}");

    // The printed board address signs the visitor in as alice and shows the demo's train.
    assert!(out.contains(&demo.board_url()), "{out}");
    let board = board_home(&demo.board_url()).await;
    assert!(board.contains("@alice"), "{board}");
    assert!(
        board.contains(r#"<a href="/acme/web">acme/web</a>"#),
        "{board}"
    );
    demo.stop();
}

/// Follows the board's sign-in (relman → the fake GitHub → relman) as a browser would, and
/// returns the page it lands on.
async fn board_home(url: &str) -> String {
    use http_body_util::BodyExt;
    let client = relman::replay::client();
    let origin = url.trim_end_matches("/login").to_string();
    let mut next = url.to_string();
    let mut cookies: Vec<String> = Vec::new();
    for _ in 0..5 {
        let mut request = http::Request::get(&next);
        if !cookies.is_empty() {
            request = request.header("cookie", cookies.join("; "));
        }
        let response = client
            .request(
                request
                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                    .unwrap(),
            )
            .await
            .unwrap();
        for value in response.headers().get_all("set-cookie") {
            let pair = value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let name = pair.split('=').next().unwrap().to_string();
            cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            if !pair.ends_with('=') {
                cookies.push(pair);
            }
        }
        match response.headers().get("location") {
            Some(location) => {
                let location = location.to_str().unwrap();
                next = if location.starts_with('/') {
                    format!("{origin}{location}")
                } else {
                    location.to_string()
                };
            }
            None => {
                let body = response.into_body().collect().await.unwrap().to_bytes();
                return String::from_utf8(body.to_vec()).unwrap();
            }
        }
    }
    panic!("the sign-in did not land on a page");
}
