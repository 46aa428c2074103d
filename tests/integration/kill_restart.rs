//! `kill -9` in the middle of a job loses nothing and does nothing twice: a real `relman serve`
//! process is killed while its GitHub call hangs, a new one takes the work over when the lease
//! runs out, and the job completes once.

use crate::support;
use crate::support::free_port;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use github_sim::{Fault, FaultKind, GitHubSim, Matcher, Permission, events};
use relman::store::Store;
use relman::store::work::WorkStatus;

const SECRET: &str = "kill-test-secret";

fn spawn_relman(sim: &GitHubSim, db_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_relman"))
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--workers",
            "1",
        ])
        .env_clear()
        .env("APP_ID", github_sim::APP_ID.to_string())
        .env("PRIVATE_KEY", github_sim::PRIVATE_KEY_PKCS8_PEM)
        .env("WEBHOOK_SECRET", SECRET)
        .env("GITHUB_API_URL", sim.api_url())
        .env("DATABASE_URL", db_url)
        .env("RELMAN_LEASE_SECONDS", "2")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn healthy(port: u16) -> bool {
    let url = format!("http://127.0.0.1:{port}/__lbheartbeat__");
    let client = relman::replay::client();
    match url.parse::<http::Uri>() {
        Ok(uri) => client.get(uri).await.is_ok_and(|r| r.status() == 200),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_killed_mid_flight_completes_once_after_restart() {
    let db = support::TestDb::sqlite();
    let sim = GitHubSim::start().await;
    let (comment_id, (event, payload)) = sim.with(|w| {
        w.add_installation_with_id(77, "acme");
        w.add_repo("acme/web")
            .installation(77)
            .collaborator("bob", Permission::Write);
        w.open_issue("acme/web", "bob", "Release 2026-12-08", "");
        let id = w.add_comment("acme/web", 1, "bob", "/help");
        (id, events::issue_comment_created(w, "acme/web", id))
    });
    // The reply hangs: the first process will be killed while waiting for it.
    sim.inject(Fault {
        matcher: Matcher::method_path("POST", "/repos/acme/web/issues/1/comments"),
        times: 1,
        kind: FaultKind::Delay(Duration::from_secs(60)),
    });

    let port = free_port();
    let mut first = spawn_relman(&sim, &db.url, port);
    wait_for("relman to start", async || healthy(port).await).await;
    let url = format!("http://127.0.0.1:{port}/api/github/webhooks");
    let body = serde_json::to_vec(&payload).unwrap();
    let (status, _) = relman::replay::post(&url, event, "kill-1", SECRET.as_bytes(), body)
        .await
        .unwrap();
    assert_eq!(status, 202);

    // The job is under way: relman has acknowledged the comment and is posting its reply.
    let seen_eyes = || {
        sim.with(|w| {
            w.repos["acme/web"].reactions.iter().any(|r| {
                r.subject == github_sim::world::ReactionSubject::Comment(comment_id)
                    && r.content == "eyes"
            })
        })
    };
    wait_for("the eyes reaction", async || seen_eyes()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();

    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(
        store.work_status("kill-1").await.unwrap(),
        Some(WorkStatus::Running)
    );

    let port = free_port();
    let mut second = spawn_relman(&sim, &db.url, port);
    wait_for("the job to finish after restart", async || {
        store.work_status("kill-1").await.unwrap() == Some(WorkStatus::Done)
    })
    .await;
    second.kill().unwrap();
    second.wait().unwrap();

    // Each start also books jobs (the redelivery check); the webhook is what this is about.
    let items: Vec<_> = store
        .list_work(None, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == relman::store::work::WorkKind::Webhook)
        .collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].attempts, 2, "run once by each process");
    let replies: Vec<String> = sim.with(|w| {
        w.repos["acme/web"]
            .comments
            .values()
            .filter(|c| c.via_app)
            .map(|c| c.body.clone())
            .collect()
    });
    assert_eq!(replies.len(), 1, "one reply, not two: {replies:?}");
    assert!(replies[0].contains("/release status"));
}
