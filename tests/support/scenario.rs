//! A tester that owns the fake GitHub, the store and the router, with the user's verbs
//! (modelled on rust-lang/bors' test harness). Webhooks are signed and go through the real
//! router; the real workers process them.

use std::sync::Arc;
use std::time::Duration;

use github_sim::{GitHubSim, Permission, events};
use relman::clock::{Clock, SystemClock};
use relman::config::settings::{AppCredentials, Secret};
use relman::github::app::GitHubApp;
use relman::github::rest::RetryBudget;
use relman::handlers::dispatch::{Context, Dispatcher};
use relman::inbox::retry::RetryPolicy;
use relman::inbox::worker::{WorkerConfig, spawn_workers};
use relman::inbox::writer::InboxWriter;
use relman::server::signature::sign;
use relman::server::{AppState, router};
use relman::store::Store;
use relman::store::work::WorkStatus;
use serde_json::Value;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::{TestDb, WEBHOOK_PATH};

pub const REPO: &str = "acme/web";
pub const INSTALLATION: u64 = 77;
const SECRET: &str = "scenario-secret";

/// A config with alice as release manager all year and quinn in QA.
pub const CONFIG: &str = "\
timezone: America/Los_Angeles
schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }
rotation: { every: month, starts: 2026-01, members: [alice] }
qa: { members: [quinn] }
";

pub struct Tester {
    pub sim: GitHubSim,
    pub store: Store,
    pub db: TestDb,
    router: axum::Router,
    stop: CancellationToken,
    workers: JoinSet<()>,
    deliveries: u64,
}

impl Tester {
    /// `acme/web` with alice (admin), bob (write), quinn (write), rita (read), `config` as
    /// `.github/relman.yml` when given, and issue #1 open.
    pub async fn new(db: TestDb, config: Option<&str>) -> Tester {
        let sim = GitHubSim::start().await;
        sim.with(|world| {
            world.add_installation_with_id(INSTALLATION, "acme");
            let mut repo = world
                .add_repo(REPO)
                .installation(INSTALLATION)
                .collaborator("alice", Permission::Admin)
                .collaborator("bob", Permission::Write)
                .collaborator("quinn", Permission::Write)
                .collaborator("rita", Permission::Read);
            if let Some(config) = config {
                repo = repo.file(".github/relman.yml", config);
            }
            let _ = repo;
            world.open_issue(REPO, "alice", "Release 2026-12-08", "");
        });
        let store = db.store().await;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let github = GitHubApp::new(
            &AppCredentials {
                app_id: github_sim::APP_ID,
                private_key_pem: github_sim::PRIVATE_KEY_PKCS1_PEM.into(),
            },
            &sim.api_url(),
            RetryBudget {
                max_attempts: 3,
                base_backoff: Duration::from_millis(10),
                max_wait: Duration::from_secs(2),
                total_wait: Duration::from_secs(5),
            },
            None,
        )
        .unwrap();
        let stored = Arc::new(Notify::new());
        let (writer, _) = InboxWriter::spawn(store.clone(), clock.clone(), stored.clone());
        let router = router(
            AppState {
                secrets: vec![Secret::new(SECRET)].into(),
                writer,
                store: store.clone(),
            },
            WEBHOOK_PATH,
        );
        let dispatcher = Arc::new(Dispatcher {
            ctx: Context::new(Arc::new(github), store.clone(), clock.clone()),
        });
        let stop = CancellationToken::new();
        let workers = spawn_workers(
            store.clone(),
            dispatcher,
            clock,
            stored,
            WorkerConfig {
                workers: 2,
                poll_interval: Duration::from_millis(20),
                retry: RetryPolicy {
                    max_attempts: 2,
                    base_delay: Duration::from_millis(10),
                    max_delay: Duration::from_millis(20),
                },
                ..WorkerConfig::default()
            },
            stop.clone(),
        );
        Tester {
            sim,
            store,
            db,
            router,
            stop,
            workers,
            deliveries: 0,
        }
    }

    /// Signs and posts a webhook through the real router, then waits until it was processed.
    pub async fn deliver(&mut self, (event, payload): (&'static str, Value)) -> String {
        self.deliveries += 1;
        let delivery = format!("delivery-{}", self.deliveries);
        self.redeliver(event, &payload, &delivery).await;
        delivery
    }

    /// Posts a delivery with a given id (GitHub's "Redeliver" keeps the id).
    pub async fn redeliver(&mut self, event: &str, payload: &Value, delivery: &str) -> u16 {
        let body = serde_json::to_vec(payload).unwrap();
        let request = http::Request::post(WEBHOOK_PATH)
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", sign(SECRET.as_bytes(), &body))
            .body(axum::body::Body::from(body))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        assert_eq!(status, 202, "webhook refused");
        self.wait_idle().await;
        status
    }

    /// Waits until nothing in the inbox is pending or running.
    pub async fn wait_idle(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let counts = self.store.work_counts().await.unwrap();
            let busy: i64 = counts
                .iter()
                .filter(|(s, _)| matches!(s, WorkStatus::Pending | WorkStatus::Running))
                .map(|(_, n)| n)
                .sum();
            if busy == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "inbox never went idle: {counts:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// `login` comments `body` on issue `issue`; returns the comment id.
    pub async fn comment_as(&mut self, login: &str, issue: u64, body: &str) -> u64 {
        let (id, event) = self.sim.with(|w| {
            let id = w.add_comment(REPO, issue, login, body);
            (id, events::issue_comment_created(w, REPO, id))
        });
        self.deliver(event).await;
        id
    }

    /// `login` edits their comment to `body`.
    pub async fn edit_comment_as(&mut self, login: &str, id: u64, body: &str) {
        let event = self.sim.with(|w| {
            let previous = w.edit_comment(REPO, id, body);
            events::issue_comment_edited(w, REPO, id, &previous, login)
        });
        self.deliver(event).await;
    }

    /// The bodies of relman's comments on an issue, oldest first.
    pub fn bot_comments(&self, issue: u64) -> Vec<String> {
        self.sim.with(|w| {
            w.repos[REPO]
                .comments
                .values()
                .filter(|c| c.issue_number == issue && c.via_app)
                .map(|c| c.body.clone())
                .collect()
        })
    }

    /// relman's reactions on a comment, in the order they were added.
    pub fn reactions_on(&self, comment_id: u64) -> Vec<String> {
        self.sim.with(|w| {
            w.repos[REPO]
                .reactions
                .iter()
                .filter(|r| r.subject == github_sim::world::ReactionSubject::Comment(comment_id))
                .map(|r| r.content.clone())
                .collect()
        })
    }

    /// API calls other than token requests since the last `clear_calls`.
    pub fn calls(&self) -> Vec<String> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| !r.path.ends_with("/access_tokens"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    pub fn clear_calls(&self) {
        self.sim.clear_requests();
    }

    pub async fn shutdown(mut self) {
        self.stop.cancel();
        while self.workers.join_next().await.is_some() {}
    }
}
