//! A tester that owns the fake GitHub, the store and the router, with the user's verbs
//! (modelled on rust-lang/bors' test harness). Webhooks are signed and go through the real
//! router; the real workers process them.

use std::sync::Arc;
use std::time::Duration;

use github_sim::{GitHubSim, Permission, events};
use relman::clock::{Clock, ManualClock, SystemClock};
use relman::config::settings::{AppCredentials, Secret};
use relman::github::app::GitHubApp;
use relman::github::rest::RetryBudget;
use relman::handlers::context::Context;
use relman::handlers::dispatch::Dispatcher;
use relman::inbox::retry::RetryPolicy;
use relman::inbox::worker::{WorkerConfig, spawn_workers};
use relman::inbox::writer::InboxWriter;
use relman::server::signature::sign;
use relman::server::{AppState, router};
use relman::store::Store;
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
    clock: Option<ManualClock>,
}

/// Seeds a successful deployment of `rev` to `environment` made at `rfc3339` (before relman
/// is installed: relman finds it through the Deployments API, with its time).
pub fn deployed_at(w: &mut github_sim::World, environment: &str, rev: &str, rfc3339: &str) {
    let now = w.now;
    w.now = time(rfc3339);
    let id = w.add_deployment(REPO, rev, environment, "deploy-bot");
    w.add_deployment_status(REPO, id, "success", "deploy-bot");
    w.now = now;
}

/// CI passes on `rev` (a branch, tag or commit).
pub fn green(t: &Tester, rev: &str) {
    t.sim.with(|w| {
        let sha = w.repos[REPO].resolve(rev).unwrap();
        w.set_check_run(REPO, &sha, "ci/test", "completed", Some("success"));
    });
}

/// relman's last comment on `issue` (empty when it has none).
pub fn last_reply(t: &Tester, issue: u64) -> String {
    t.bot_comments(issue).pop().unwrap_or_default()
}

/// A tracking issue as a user sees it: (number, open?, body, assignees, labels).
pub type TrackingIssue = (u64, bool, String, Vec<String>, Vec<String>);

fn time(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .to_utc()
}

impl Tester {
    /// `acme/web` with alice (admin), bob (write), quinn (write), rita (read), `config` as
    /// `.github/relman.yml` when given, and issue #1 open.
    pub async fn new(db: TestDb, config: Option<&str>) -> Tester {
        Self::with_clock(db, config, Arc::new(SystemClock), None, |app| app).await
    }

    /// Like [`Tester::new`], with relman's clock (and the fake GitHub's) stopped at `now`
    /// (RFC 3339); move it with [`Tester::set_time`].
    pub async fn at(db: TestDb, config: Option<&str>, now: &str) -> Tester {
        Self::at_with(db, config, now, |app| app).await
    }

    /// Like [`Tester::at`], with relman's GitHub App set up by `github` (a cache size, a
    /// rate-limit reserve).
    pub async fn at_with(
        db: TestDb,
        config: Option<&str>,
        now: &str,
        github: fn(GitHubApp) -> GitHubApp,
    ) -> Tester {
        let clock = ManualClock::new(time(now));
        let tester =
            Self::with_clock(db, config, Arc::new(clock.clone()), Some(clock), github).await;
        tester.sim.with(|w| w.now = time(now));
        tester
    }

    async fn with_clock(
        db: TestDb,
        config: Option<&str>,
        clock: Arc<dyn Clock>,
        manual: Option<ManualClock>,
        configure: fn(GitHubApp) -> GitHubApp,
    ) -> Tester {
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
        let github = configure(github);
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
            clock: manual,
        }
    }

    /// Moves relman's clock and the fake GitHub's to `now` (RFC 3339). Only for [`Tester::at`].
    pub fn set_time(&self, now: &str) {
        let clock = self.clock.as_ref().expect("set_time needs Tester::at");
        clock.set(time(now));
        self.sim.with(|w| w.now = time(now));
    }

    /// GitHub tells relman it was installed on the repository.
    pub async fn install(&mut self) {
        let event = self
            .sim
            .with(|w| events::installation_created(w, INSTALLATION, "alice"));
        self.deliver(event).await;
    }

    /// The scheduler's release-train tick fires now.
    pub async fn tick(&mut self) {
        let now = self
            .clock
            .as_ref()
            .map_or_else(chrono::Utc::now, |c| c.now());
        let job = relman::handlers::train::tracking::periodic()
            .job(now)
            .into_item();
        self.store
            .enqueue_batch(&[job], now.timestamp_millis())
            .await
            .unwrap();
        self.wait_idle().await;
    }

    /// `author` opens a PR with `labels` and it is merged into main; relman hears of it.
    /// Returns the PR number.
    pub async fn merge_pr(&mut self, author: &str, title: &str, labels: &[&str]) -> u64 {
        let event = self.sim.with(|w| {
            let branch = format!("topic-{}", w.next_id());
            let number = w.open_pr(REPO, author, title, &branch, "main");
            w.add_labels(REPO, number, labels);
            w.merge_pr(REPO, number, "alice");
            events::pull_request_closed(w, REPO, number, "alice")
        });
        let number = event.1["number"].as_u64().unwrap();
        self.deliver(event).await;
        number
    }

    /// `by` merges the open PR `number` (relman's release PR, say); relman hears of it.
    /// Returns the merge commit.
    pub async fn merge_open_pr(&mut self, number: u64, by: &str) -> String {
        let (sha, event) = self.sim.with(|w| {
            let sha = w.merge_pr(REPO, number, by);
            (sha, events::pull_request_closed(w, REPO, number, by))
        });
        self.deliver(event).await;
        sha
    }

    /// `by` closes the open PR `number` without merging it; relman hears of it.
    pub async fn close_open_pr(&mut self, number: u64, by: &str) {
        let event = self.sim.with(|w| {
            w.close_pr(REPO, number, by);
            events::pull_request_closed(w, REPO, number, by)
        });
        self.deliver(event).await;
    }

    /// `author` opens a PR changing `files` and it is merged into main (a merge commit); relman
    /// hears of it. Returns the PR number.
    pub async fn merge_change(&mut self, author: &str, title: &str, files: &[(&str, &str)]) -> u64 {
        let event = self.sim.with(|w| {
            let branch = format!("topic-{}", w.next_id());
            let main = w.repos[REPO].branches["main"].clone();
            w.create_branch(REPO, &branch, &main);
            w.commit_as(REPO, &branch, author, title, files);
            let number = w.open_pr(REPO, author, title, &branch, "main");
            w.merge_pr(REPO, number, "alice");
            events::pull_request_closed(w, REPO, number, "alice")
        });
        let number = event.1["number"].as_u64().unwrap();
        self.deliver(event).await;
        number
    }

    /// `rev` is deployed to `environment` successfully; relman hears of it. Returns the
    /// deployment id.
    pub async fn deploy(&mut self, environment: &str, rev: &str) -> u64 {
        let (id, event) = self.sim.with(|w| {
            let id = w.add_deployment(REPO, rev, environment, "deploy-bot");
            let status = w.add_deployment_status(REPO, id, "success", "deploy-bot");
            (id, events::deployment_status_created(w, REPO, id, status))
        });
        self.deliver(event).await;
        id
    }

    /// relman's tracking issues titled `title`: (number, open?, body, assignees, labels).
    pub fn issues_titled(&self, title: &str) -> Vec<TrackingIssue> {
        self.sim.with(|w| {
            let repo = &w.repos[REPO];
            repo.issues
                .values()
                .filter(|i| {
                    i.title == title
                        && i.pull_request.is_none()
                        && i.body
                            .as_deref()
                            .is_some_and(|b| b.starts_with("<!-- relman:tracking:"))
                })
                .map(|i| {
                    (
                        i.number,
                        i.state == github_sim::world::IssueState::Open,
                        i.body.clone().unwrap_or_default(),
                        i.assignees.clone(),
                        i.labels.clone(),
                    )
                })
                .collect()
        })
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
            // Work booked for later (a debounced refresh, a retry) does not count.
            let now = self
                .clock
                .as_ref()
                .map_or_else(chrono::Utc::now, |c| c.now())
                .timestamp_millis();
            let busy: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM work_items WHERE status = 'running'
                    OR (status = 'pending' AND run_at <= $1)",
            )
            .bind(now)
            .fetch_one(self.store.pool())
            .await
            .unwrap();
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

    /// `login` opens a pull request (on a branch of its own) titled `title`; returns its number.
    pub fn open_pr_as(&mut self, login: &str, title: &str) -> u64 {
        let branch = format!("{login}/{}", title.to_lowercase().replace(' ', "-"));
        self.sim
            .with(|w| w.open_pr(REPO, login, title, &branch, "main"))
    }

    /// `login` comments `body` on a line of PR `pr`'s diff. Like GitHub, the sim wraps a lone
    /// review comment in a review without a summary, and both events are delivered (the review
    /// with `body: null`). Returns the review comment's id.
    pub async fn review_comment_as(&mut self, login: &str, pr: u64, body: &str) -> u64 {
        let (id, comment_event, review_event) = self.sim.with(|w| {
            let (id, review) = w.add_review_comment(REPO, pr, login, "README.md", 1, body);
            (
                id,
                events::pull_request_review_comment_created(w, REPO, id),
                events::pull_request_review_submitted(w, REPO, review),
            )
        });
        self.deliver(comment_event).await;
        self.deliver(review_event).await;
        id
    }

    /// `login` edits their review comment to `body`.
    pub async fn edit_review_comment_as(&mut self, login: &str, id: u64, body: &str) {
        let event = self.sim.with(|w| {
            let previous = w.edit_review_comment(REPO, id, body);
            events::pull_request_review_comment_edited(w, REPO, id, &previous, login)
        });
        self.deliver(event).await;
    }

    /// `login` submits a review of PR `pr` that approves it with the summary `body`; returns the
    /// review id.
    pub async fn review_as(&mut self, login: &str, pr: u64, body: &str) -> u64 {
        let (id, event) = self.sim.with(|w| {
            let id = w.submit_review(
                REPO,
                pr,
                login,
                github_sim::world::ReviewState::Approved,
                Some(body),
            );
            (id, events::pull_request_review_submitted(w, REPO, id))
        });
        self.deliver(event).await;
        id
    }

    /// relman's reactions on a review comment, in the order they were added.
    pub fn reactions_on_review_comment(&self, comment_id: u64) -> Vec<String> {
        self.sim.with(|w| {
            w.repos[REPO]
                .reactions_on(github_sim::world::ReactionSubject::ReviewComment(
                    comment_id,
                ))
                .into_iter()
                .map(|r| r.content.clone())
                .collect()
        })
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

    /// [`Tester::calls`] that a command commented on `issue` made for its own work: without the
    /// acknowledgement (reactions), the permission check and the reply on that issue.
    pub fn command_calls(&self, issue: u64) -> Vec<String> {
        let replies = format!("/issues/{issue}/comments");
        self.calls()
            .into_iter()
            .filter(|c| is_command_work(c, &replies))
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

/// Whether `call` is a command's own work rather than the acknowledgement, the permission check
/// or a reply (`replies`: the issue's comments path).
pub fn is_command_work(call: &str, replies: &str) -> bool {
    !call.contains("/reactions")
        && !call.contains("/collaborators/")
        && !call.contains(replies)
        && !call.contains("/issues/comments/")
}
