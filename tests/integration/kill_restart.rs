//! `kill -9` in the middle of a job loses nothing, does nothing twice and does not wait out the
//! lease: a real `relman serve` process is killed while its GitHub call hangs, and the job
//! completes once. On SQLite the restarted process takes the lease back at start; on PostgreSQL
//! the other replica takes it over once the dead one's heartbeat lapses. The lease is 60 s, and
//! the tests give up after 30: finishing at all shows that nobody waited for it.

use crate::support;
use crate::support::free_port;

use std::time::Duration;

use github_sim::{Fault, FaultKind, GitHubSim, Matcher, Permission, events};
use relman::store::Store;
use relman::store::work::WorkStatus;
use support::serve::{SECRET, healthy, spawn_relman, wait_for};

/// A `/help` comment whose reply hangs (the first process is killed while posting it); the
/// comment's id and its signed webhook.
fn hanging_comment(sim: &GitHubSim) -> (u64, String, Vec<u8>) {
    let (comment_id, (event, payload)) = sim.with(|w| {
        w.add_installation_with_id(77, "acme");
        w.add_repo("acme/web")
            .installation(77)
            .collaborator("bob", Permission::Write);
        w.open_issue("acme/web", "bob", "Release 2026-12-08", "");
        let id = w.add_comment("acme/web", 1, "bob", "/help");
        (id, events::issue_comment_created(w, "acme/web", id))
    });
    sim.inject(Fault {
        matcher: Matcher::method_path("POST", "/repos/acme/web/issues/1/comments"),
        times: 1,
        kind: FaultKind::Delay(Duration::from_secs(60)),
    });
    (
        comment_id,
        event.to_string(),
        serde_json::to_vec(&payload).unwrap(),
    )
}

/// Posts the webhook to the process on `port` and waits until its handler is under way: relman
/// has acknowledged the comment with 👀 and is posting its reply.
async fn deliver_and_wait_until_under_way(
    sim: &GitHubSim,
    port: u16,
    (comment_id, event, body): (u64, String, Vec<u8>),
) {
    let url = format!("http://127.0.0.1:{port}/api/github/webhooks");
    let (status, _) = relman::replay::post(&url, &event, "kill-1", SECRET.as_bytes(), body)
        .await
        .unwrap();
    assert_eq!(status, 202);
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
}

/// The webhook ran twice (once by the killed process) and replied once.
async fn ran_to_the_end_once(store: &Store, sim: &GitHubSim) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_killed_mid_flight_completes_once_right_after_restart() {
    let db = support::TestDb::sqlite();
    let sim = GitHubSim::start().await;
    let webhook = hanging_comment(&sim);
    let port = free_port();
    let mut first = spawn_relman(&sim, &db.url, port, 1);
    wait_for("relman to start", async || healthy(port).await).await;
    deliver_and_wait_until_under_way(&sim, port, webhook).await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();

    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(
        store.work_status("kill-1").await.unwrap(),
        Some(WorkStatus::Running)
    );

    let restarted = std::time::Instant::now();
    let port = free_port();
    let mut second = spawn_relman(&sim, &db.url, port, 1);
    wait_for("the job to finish after restart", async || {
        store.work_status("kill-1").await.unwrap() == Some(WorkStatus::Done)
    })
    .await;
    // For benches/README.md's crash figure; not asserted beyond the 30 s wait.
    eprintln!("sqlite: restart to done in {:?}", restarted.elapsed());
    second.kill().unwrap();
    second.wait().unwrap();
    ran_to_the_end_once(&store, &sim).await;
}

/// Two replicas on PostgreSQL; the one running the job is killed, the other finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_flight_has_its_job_finished_by_the_other() {
    let Some(admin) = support::postgres_admin_url() else {
        return;
    };
    let db = support::TestDb::postgres(&admin).await;
    // Migrated before either starts, so that they do not race to create the schema.
    let store = Store::connect(&db.url).await.unwrap();
    let sim = GitHubSim::start().await;
    let webhook = hanging_comment(&sim);
    let ports = [free_port(), free_port()];
    let mut replicas = ports.map(|port| spawn_relman(&sim, &db.url, port, 1));
    for port in ports {
        wait_for("relman to start", async || healthy(port).await).await;
    }
    deliver_and_wait_until_under_way(&sim, ports[0], webhook).await;

    // Lease owners start with `pid<N>-`: the replica that holds the job.
    let owner: String =
        sqlx::query_scalar("SELECT lease_owner FROM work_items WHERE dedupe_key = 'kill-1'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    let holder = replicas
        .iter()
        .position(|r| owner.starts_with(&format!("pid{}-", r.id())))
        .unwrap_or_else(|| panic!("no replica holds {owner}"));
    replicas[holder].kill().unwrap();
    replicas[holder].wait().unwrap();
    let killed = std::time::Instant::now();

    wait_for("the other replica to finish the job", async || {
        store.work_status("kill-1").await.unwrap() == Some(WorkStatus::Done)
    })
    .await;
    eprintln!("postgres: replica death to done in {:?}", killed.elapsed());
    let survivor = &mut replicas[1 - holder];
    survivor.kill().unwrap();
    survivor.wait().unwrap();
    ran_to_the_end_once(&store, &sim).await;
}
