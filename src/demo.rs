//! `relman demo`: the newcomer's first command. relman runs for real (the same `serve`, on
//! SQLite) against the fake GitHub in-process, on a seeded repository, and plays two release
//! days through signed webhooks on a clock of its own — install, merged PRs with checklists,
//! the tracking issue and its two candidates, `/release` refused then accepted, the cut going
//! to staging while what soaked since the previous release day goes to production, the soak,
//! the second release day's production request, a hotfix requested at once — printing every
//! change relman makes on GitHub as it happens. Then it keeps serving, with a small control
//! page where a person can comment as any of the demo's people and read relman's answer
//! (`relman demo comment '/release status'` does the same from a terminal).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Form, State};
use axum::response::Html;
use axum::routing::{get, post};
use github_sim::{GitHubSim, Permission, RecordedRequest, events};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use chrono::{DateTime, NaiveDate, Utc};

use crate::clock::{Clock, ManualClock};
use crate::config::repo::{YearMonth, parse_repo_config};
use crate::config::settings::{AppArgs, ServeArgs, Settings};
use crate::domain::calendar::Calendar;
use crate::store::Store;

pub const DEMO_SECRET: &str = "demo";
pub const DEMO_REPO: &str = "acme/web";
const OPS_REPO: &str = "acme/ops";
const INSTALLATION: u64 = 77;

/// The demo repository's `.github/relman.yml`; the rotation starts with alice in the month of
/// the first release day the demo plays.
pub fn demo_config(starts: YearMonth) -> String {
    format!(
        "\
timezone: UTC
schedule: {{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }}
rotation: {{ every: month, starts: {starts}, members: [alice, bob, carol] }}
qa: {{ members: [quinn] }}
dashboards: [{{ name: Grafana, url: \"https://grafana.example.net/d/web\" }}]
deployment_request: {{ repo: acme/ops, labels: [deployment-request], assignees: [olga] }}
"
    )
}

/// The release days the demo plays: the previous one (v1.4.0 was cut for it), then two.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    pub previous: NaiveDate,
    pub first: NaiveDate,
    pub second: NaiveDate,
}

impl Timeline {
    /// The next release day after `today` on the demo's cadence, and its neighbours.
    pub fn after(today: NaiveDate) -> Result<Timeline, DemoError> {
        let config = parse_repo_config(".github/relman.yml", &demo_config(YearMonth::of(today)))
            .map_err(|e| DemoError::Start(format!("the demo's config: {e}")))?;
        let calendar = Calendar::from_config(&config, &[]);
        let tomorrow = today.succ_opt().unwrap_or(today);
        let first = calendar
            .next_release(calendar.start_of_day(tomorrow))
            .and_then(|d| d.date)
            .ok_or_else(|| DemoError::Start("the demo calendar has no release day".into()))?;
        Ok(Timeline {
            previous: first - chrono::Duration::days(14),
            first,
            second: first + chrono::Duration::days(14),
        })
    }
}

/// `hour`:00 UTC on `date`.
fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    date.and_hms_opt(hour, 0, 0)
        .map_or_else(Utc::now, |t| t.and_utc())
}

fn day(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("relman did not start: {0}")]
    Start(String),
    #[error(
        "port {port} on 127.0.0.1 is in use (another relman?): stop what uses it, or choose \
         another port with {flag} PORT"
    )]
    PortInUse { port: u16, flag: &'static str },
    #[error("webhook refused: {0}")]
    Webhook(String),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("relman did not finish processing within {0:?}")]
    Stuck(Duration),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub struct DemoOptions {
    pub port: u16,
    pub control_port: u16,
    pub database_url: String,
}

/// A running demo: relman, the fake GitHub and the control page.
pub struct Demo {
    pub sim: GitHubSim,
    pub relman_url: String,
    pub control_url: String,
    /// The demo's own time: relman and the fake GitHub move along it together.
    clock: ManualClock,
    pub timeline: Timeline,
    pub config: String,
    store: Store,
    shutdown: CancellationToken,
    /// relman's `serve`, until it has stopped after [`Demo::stop`].
    serving: Mutex<Option<tokio::task::JoinHandle<()>>>,
    deliveries: Mutex<u64>,
    seen: std::sync::Mutex<usize>,
}

impl Demo {
    pub async fn start(options: DemoOptions) -> Result<Arc<Demo>, DemoError> {
        ensure_port_free(options.port, "--port")?;
        ensure_port_free(options.control_port, "--control-port")?;
        let timeline = Timeline::after(Utc::now().date_naive())?;
        let config = demo_config(YearMonth::of(timeline.first));
        let clock = ManualClock::new(at(timeline.first.pred_opt().unwrap_or(timeline.first), 10));
        let sim = GitHubSim::start().await;
        sim.with(|w| {
            w.add_installation_with_id(INSTALLATION, "acme");
            let _ = w
                .add_repo(DEMO_REPO)
                .installation(INSTALLATION)
                .collaborator("alice", Permission::Admin)
                .collaborator("bob", Permission::Write)
                .collaborator("carol", Permission::Write)
                .collaborator("quinn", Permission::Write)
                .collaborator("rita", Permission::Read)
                .file(".github/relman.yml", &config);
            let _ = w
                .add_repo(OPS_REPO)
                .installation(INSTALLATION)
                .collaborator("olga", Permission::Write);
            // v1.3.0 runs in production since the release day before the previous one;
            // v1.4.0, cut on the previous release day, has soaked on staging since.
            let deploy = |w: &mut github_sim::World, tag: &str, environment: &str| {
                let id = w.add_deployment(DEMO_REPO, tag, environment, "deploy-bot");
                w.add_deployment_status(DEMO_REPO, id, "success", "deploy-bot");
            };
            w.now = at(timeline.previous - chrono::Duration::days(14), 13);
            w.commit(
                DEMO_REPO,
                "main",
                "Search by customer",
                &[("search.txt", "v1\n")],
            );
            w.add_tag(DEMO_REPO, "v1.3.0", "main");
            deploy(w, "v1.3.0", "staging");
            deploy(w, "v1.3.0", "production");
            w.now = at(timeline.previous, 13);
            w.commit(
                DEMO_REPO,
                "main",
                "Faster checkout",
                &[("checkout.txt", "v2\n")],
            );
            w.add_tag(DEMO_REPO, "v1.4.0", "main");
            let v140 = w.repos[DEMO_REPO].branches["main"].clone();
            w.set_check_run(DEMO_REPO, &v140, "ci/test", "completed", Some("success"));
            deploy(w, "v1.4.0", "staging");
            w.now = clock.now();
            // The browser that opens the release board is alice's: the fake GitHub's
            // "Authorize" signs her in, so the printed board address needs no account.
            w.sign_in("alice");
        });
        let args = ServeArgs {
            app: AppArgs {
                app_id: Some(github_sim::APP_ID.to_string()),
                private_key: Some(github_sim::PRIVATE_KEY_PKCS1_PEM.to_string()),
                private_key_path: None,
                github_api_url: Some(sim.api_url()),
            },
            webhook_secret: Some(DEMO_SECRET.to_string()),
            host: Some("127.0.0.1".into()),
            port: Some(options.port.to_string()),
            database_url: Some(options.database_url.clone()),
            workers: Some("2".into()),
            github_client_id: Some(github_sim::CLIENT_ID.to_string()),
            github_client_secret: Some(github_sim::CLIENT_SECRET.to_string()),
            ..ServeArgs::default()
        };
        let settings = Settings::from_raw(&args, |p| std::fs::read_to_string(p))
            .map_err(|e| DemoError::Start(e.to_string()))?;
        let shutdown = CancellationToken::new();
        let serving = shutdown.clone();
        let relman_clock: Arc<dyn Clock> = Arc::new(clock.clone());
        let serving = tokio::spawn(async move {
            if let Err(e) = crate::service::serve_with_clock(settings, relman_clock, serving).await
            {
                tracing::error!(error = %e, "relman stopped");
            }
        });
        let relman_url = format!("http://127.0.0.1:{}", options.port);
        wait_until_up(&relman_url).await?;
        let store = Store::connect(&options.database_url).await?;

        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.control_port)).await?;
        let control: SocketAddr = listener.local_addr()?;
        let demo = Arc::new(Demo {
            sim,
            relman_url,
            control_url: format!("http://{control}"),
            clock,
            timeline,
            config,
            store,
            shutdown: shutdown.clone(),
            serving: Mutex::new(Some(serving)),
            deliveries: Mutex::new(0),
            seen: std::sync::Mutex::new(0),
        });
        let app = axum::Router::new()
            .route("/", get(page))
            .route("/comment", post(comment_form))
            .with_state(demo.clone());
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
        });
        Ok(demo)
    }

    pub fn stop(&self) {
        self.shutdown.cancel();
    }

    /// Stops relman and waits until it has (its database closed).
    pub async fn shut_down(&self) {
        self.stop();
        if let Some(serving) = self.serving.lock().await.take() {
            let _ = serving.await;
        }
    }

    /// Signs and posts an event to relman, then waits until relman has handled it (and what it
    /// booked for now).
    pub async fn deliver(&self, (event, payload): (&'static str, Value)) -> Result<(), DemoError> {
        let delivery = {
            let mut n = self.deliveries.lock().await;
            *n += 1;
            format!("demo-{}-{n}", std::process::id())
        };
        let body = serde_json::to_vec(&payload).map_err(|e| DemoError::Webhook(e.to_string()))?;
        let (status, answer) = crate::replay::post(
            &format!("{}/api/github/webhooks", self.relman_url),
            event,
            &delivery,
            DEMO_SECRET.as_bytes(),
            body,
        )
        .await
        .map_err(|e| DemoError::Webhook(e.to_string()))?;
        if status != 202 {
            return Err(DemoError::Webhook(format!("{status}: {answer}")));
        }
        self.wait_idle().await
    }

    async fn wait_idle(&self) -> Result<(), DemoError> {
        let limit = Duration::from_secs(30);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let busy: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM work_items WHERE status = 'running'
                    OR (status = 'pending' AND run_at <= $1)",
            )
            .bind(self.clock.now_ms())
            .fetch_one(self.store.pool())
            .await
            .map_err(crate::store::StoreError::from)?;
            if busy == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(DemoError::Stuck(limit));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `login` comments `body` on issue `issue`; relman hears of it.
    pub async fn comment(&self, login: &str, issue: u64, body: &str) -> Result<u64, DemoError> {
        let (id, event) = self.sim.with(|w| {
            let id = w.add_comment(DEMO_REPO, issue, login, body);
            (id, events::issue_comment_created(w, DEMO_REPO, id))
        });
        self.deliver(event).await?;
        Ok(id)
    }

    /// The open tracking issue relman keeps, if any.
    pub fn tracking_issue(&self) -> Option<u64> {
        self.sim.with(|w| {
            w.repos[DEMO_REPO]
                .issues
                .values()
                .filter(|i| {
                    i.pull_request.is_none()
                        && i.state == github_sim::world::IssueState::Open
                        && i.body
                            .as_deref()
                            .is_some_and(|b| b.starts_with("<!-- relman:tracking:"))
                })
                .map(|i| i.number)
                .next_back()
        })
    }

    /// Moves relman's clock and the fake GitHub's to `to`.
    fn set_time(&self, to: DateTime<Utc>) {
        self.clock.set(to);
        self.sim.with(|w| w.now = to);
    }

    /// The scheduler's release-train tick fires now (the demo's clock does not run by itself).
    async fn tick(&self) -> Result<(), DemoError> {
        let now = self.clock.now();
        let job = crate::handlers::train::tracking::periodic()
            .job(now)
            .into_item();
        self.store
            .enqueue_batch(&[job], now.timestamp_millis())
            .await?;
        self.wait_idle().await
    }

    /// The tracking issue of the release day `date`.
    fn release_issue(&self, date: NaiveDate) -> Option<u64> {
        let title = format!("Release {date}");
        self.sim.with(|w| {
            w.repos[DEMO_REPO]
                .issues
                .values()
                .find(|i| i.pull_request.is_none() && i.title == title)
                .map(|i| i.number)
        })
    }

    /// Who an issue is assigned to: relman assigns the release manager.
    fn assignee(&self, issue: u64) -> String {
        self.sim.with(|w| {
            w.repos[DEMO_REPO]
                .issues
                .get(&issue)
                .and_then(|i| i.assignees.first().cloned())
                .unwrap_or_else(|| "alice".to_string())
        })
    }

    /// The tracking issue's two candidates, as its first lines show them.
    fn candidates(&self, issue: u64) -> String {
        self.sim.with(|w| {
            w.repos[DEMO_REPO]
                .issues
                .get(&issue)
                .and_then(|i| i.body.as_deref())
                .and_then(|b| {
                    b.lines()
                        .find(|l| l.starts_with("**Staging:**"))
                        .map(str::to_string)
                })
                .unwrap_or_default()
        })
    }

    /// `author` merges a labelled pull request; the event GitHub sends.
    fn merge(&self, author: &str, title: &str, label: &str) -> (&'static str, Value) {
        self.sim.with(|w| {
            let branch = format!("topic-{}", w.next_id());
            let number = w.open_pr(DEMO_REPO, author, title, &branch, "main");
            w.add_labels(DEMO_REPO, number, &[label]);
            w.merge_pr(DEMO_REPO, number, "alice");
            events::pull_request_closed(w, DEMO_REPO, number, "alice")
        })
    }

    fn set_main_check(&self, conclusion: &str) {
        self.sim.with(|w| {
            let head = w.repos[DEMO_REPO].branches["main"].clone();
            w.set_check_run(DEMO_REPO, &head, "ci/test", "completed", Some(conclusion));
        });
    }

    /// What relman did on GitHub since the last call, as text.
    pub fn effects(&self) -> String {
        let requests = self.sim.requests();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let new = requests.get(*seen..).unwrap_or_default().to_vec();
        *seen = requests.len();
        new.iter().filter_map(describe).collect::<Vec<_>>().join("")
    }

    /// Plays two release days, writing each step and its effects to `out`.
    pub async fn play(&self, out: &mut (dyn Write + Send)) -> Result<(), DemoError> {
        macro_rules! step {
            ($title:expr) => {
                writeln!(out, "\n━━ {}", $title)?;
            };
        }
        let effects = |out: &mut (dyn Write + Send), demo: &Demo| -> std::io::Result<()> {
            let text = demo.effects();
            if text.is_empty() {
                writeln!(out, "   (relman did nothing on GitHub)")
            } else {
                write!(out, "{text}")
            }
        };
        let Timeline {
            previous,
            first,
            second,
        } = self.timeline;
        writeln!(
            out,
            "acme/web's .github/relman.yml:\n{}",
            self.config
                .lines()
                .map(|l| format!("   │ {l}\n"))
                .collect::<String>()
        )?;
        writeln!(
            out,
            "Production runs v1.3.0; v1.4.0 was cut on the previous release day, {}, and has soaked on staging since.",
            day(previous)
        )?;

        step!(format!(
            "{}: alice installs relman on acme/web: it opens the tracking issue of {}",
            day(first.pred_opt().unwrap_or(first)),
            day(first)
        ));
        let event = self
            .sim
            .with(|w| events::installation_created(w, INSTALLATION, "alice"));
        self.deliver(event).await?;
        effects(out, self)?;
        let Some(tracking) = self.release_issue(first) else {
            return Err(DemoError::Start("no tracking issue was opened".into()));
        };
        let manager = self.assignee(tracking);

        for (author, title, label) in [
            ("bob", "Export orders to CSV", "feature"),
            ("carol", "Fix the login redirect", "bug"),
        ] {
            step!(format!(
                "{author} merges \"{title}\" ({label}): relman posts the checklist"
            ));
            self.deliver(self.merge(author, title, label)).await?;
            effects(out, self)?;
        }

        self.set_time(at(first, 9));
        self.tick().await?;
        let _ = self.effects();
        step!(format!(
            "{}, release day. The two candidates: {}",
            day(first),
            self.candidates(tracking)
        ));
        step!(format!(
            "CI fails on main; @{manager} (release manager) asks for the release anyway"
        ));
        self.set_main_check("failure");
        self.comment(&manager, tracking, "/release").await?;
        effects(out, self)?;

        step!(format!(
            "CI is fixed; @{manager} signs off both candidates and releases: v1.5.0 is cut for staging, and v1.4.0, which soaked, is requested for production"
        ));
        self.set_main_check("success");
        self.comment(&manager, tracking, "/signoff").await?;
        self.comment(&manager, tracking, "/release").await?;
        effects(out, self)?;

        step!("Ops deploys v1.4.0 to production; CI deploys v1.5.0 to staging");
        self.deploy("production", "v1.4.0").await?;
        self.deploy("staging", "v1.5.0").await?;
        effects(out, self)?;

        step!(format!(
            "QA finds no blocker in v1.5.0 the same day, and @{manager} asks for production: it has not soaked"
        ));
        self.comment("quinn", tracking, "/qa ok").await?;
        self.comment(&manager, tracking, "/deploy production")
            .await?;
        effects(out, self)?;

        self.set_time(at(first + chrono::Duration::days(7), 10));
        step!(format!(
            "{}, the week between release days: v1.5.0 soaks on staging; dave merges \"Dark mode\"",
            day(first + chrono::Duration::days(7))
        ));
        self.deliver(self.merge("dave", "Dark mode", "feature"))
            .await?;
        effects(out, self)?;

        self.set_time(at(second.pred_opt().unwrap_or(second), 10));
        step!(format!(
            "{}: the tracking issue of {} opens",
            day(second.pred_opt().unwrap_or(second)),
            day(second)
        ));
        self.tick().await?;
        effects(out, self)?;
        let Some(next) = self.release_issue(second) else {
            return Err(DemoError::Start(
                "no second tracking issue was opened".into(),
            ));
        };
        let manager = self.assignee(next);

        self.set_time(at(second, 9));
        self.tick().await?;
        let _ = self.effects();
        step!(format!(
            "{}, release day. The two candidates: {}",
            day(second),
            self.candidates(next)
        ));
        step!(format!(
            "@{manager} (release manager) signs off and releases: v1.6.0 to staging, v1.5.0 requested for production"
        ));
        self.set_main_check("success");
        self.comment(&manager, next, "/signoff").await?;
        self.comment(&manager, next, "/release").await?;
        effects(out, self)?;

        step!("Ops deploys v1.5.0 to production; CI deploys v1.6.0 to staging");
        self.deploy("production", "v1.5.0").await?;
        self.deploy("staging", "v1.6.0").await?;
        effects(out, self)?;

        self.set_time(at(second + chrono::Duration::days(1), 11));
        step!(format!(
            "A crash in checkout: carol merges the fix, bob asks for a hotfix on v1.5.0, @{manager} cuts it and relman requests it for production at once"
        ));
        let fix = self.sim.with(|w| {
            let branch = format!("topic-{}", w.next_id());
            let main = w.repos[DEMO_REPO].branches["main"].clone();
            w.create_branch(DEMO_REPO, &branch, &main);
            w.commit_as(
                DEMO_REPO,
                &branch,
                "carol",
                "Fix the checkout crash on empty carts",
                &[("checkout.txt", "guard empty carts\n")],
            );
            let number = w.open_pr(
                DEMO_REPO,
                "carol",
                "Fix the checkout crash on empty carts",
                &branch,
                "main",
            );
            w.add_labels(DEMO_REPO, number, &["bug"]);
            w.merge_pr(DEMO_REPO, number, "alice");
            (
                number,
                events::pull_request_closed(w, DEMO_REPO, number, "alice"),
            )
        });
        self.deliver(fix.1).await?;
        self.comment("bob", next, "/hotfix checkout crashes on empty carts")
            .await?;
        let hotfix = self.sim.with(|w| {
            w.repos[DEMO_REPO]
                .issues
                .values()
                .find(|i| i.pull_request.is_none() && i.title.starts_with("Hotfix v"))
                .map(|i| i.number)
        });
        let Some(hotfix) = hotfix else {
            return Err(DemoError::Start("no hotfix issue was opened".into()));
        };
        self.comment(&manager, hotfix, &format!("/release include #{}", fix.0))
            .await?;
        self.comment(&manager, hotfix, "/release").await?;
        // CI runs on the hotfix branch and passes.
        self.sim.with(|w| {
            let heads: Vec<String> = w.repos[DEMO_REPO]
                .branches
                .iter()
                .filter(|(name, _)| name.starts_with("hotfix/"))
                .map(|(_, sha)| sha.clone())
                .collect();
            for sha in heads {
                w.set_check_run(DEMO_REPO, &sha, "ci/test", "completed", Some("success"));
            }
        });
        self.comment(&manager, hotfix, "/signoff").await?;
        self.comment(&manager, hotfix, "/release").await?;
        effects(out, self)?;

        step!(format!(
            "Ops deploys v1.5.1 to production; after watching it, @{manager} confirms it is healthy"
        ));
        self.deploy("production", "v1.5.1").await?;
        self.comment(&manager, hotfix, "/release healthy").await?;
        effects(out, self)?;

        writeln!(
            out,
            "\n━━ Your turn. relman keeps running at {} (fake GitHub at {}), its clock stopped at {}.\n   The release board: open {} (signs you in as @alice).\n   Comment as someone: open {} or run\n     {} demo comment '/release status' --url {}\n   Ctrl-C stops the demo.",
            self.relman_url,
            self.sim.api_url(),
            self.clock.now().format("%a %-d %b %Y %H:%M UTC"),
            self.board_url(),
            self.control_url,
            invoked_as(),
            self.control_url
        )?;
        Ok(())
    }

    /// The release board's sign-in: through the fake GitHub's OAuth, back signed in as alice.
    pub fn board_url(&self) -> String {
        format!("{}/login", self.relman_url)
    }

    async fn deploy(&self, environment: &str, rev: &str) -> Result<(), DemoError> {
        let event = self.sim.with(|w| {
            let id = w.add_deployment(DEMO_REPO, rev, environment, "deploy-bot");
            let status = w.add_deployment_status(DEMO_REPO, id, "success", "deploy-bot");
            events::deployment_status_created(w, DEMO_REPO, id, status)
        });
        self.deliver(event).await
    }
}

/// Refuses a port something already listens on, before anything starts: one plain line instead
/// of a failed `serve` in the log.
fn ensure_port_free(port: u16, flag: &'static str) -> Result<(), DemoError> {
    if port == 0 {
        return Ok(());
    }
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            Err(DemoError::PortInUse { port, flag })
        }
        Err(e) => Err(DemoError::Io(e)),
    }
}

/// How the person ran relman, to print commands they can paste: `cargo run --` under
/// `cargo run` (which sets `CARGO` for the program it runs), the program as invoked otherwise.
pub fn invoked_as() -> String {
    invocation(
        std::env::var_os("CARGO").is_some(),
        std::env::args().next().as_deref(),
    )
}

fn invocation(under_cargo: bool, argv0: Option<&str>) -> String {
    match argv0 {
        _ if under_cargo => "cargo run --".to_string(),
        Some(program) if !program.is_empty() => program.to_string(),
        _ => "relman".to_string(),
    }
}

/// The emoji GitHub shows for a reaction's `content`.
fn reaction_emoji(content: &str) -> &'static str {
    match content {
        "+1" => "👍",
        "-1" => "👎",
        "laugh" => "😄",
        "confused" => "😕",
        "heart" => "❤️",
        "hooray" => "🎉",
        "rocket" => "🚀",
        "eyes" => "👀",
        _ => "•",
    }
}

async fn wait_until_up(url: &str) -> Result<(), DemoError> {
    let client = crate::replay::client();
    for _ in 0..200 {
        if let Ok(uri) = format!("{url}/__lbheartbeat__").parse::<http::Uri>()
            && client.get(uri).await.is_ok_and(|r| r.status() == 200)
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(DemoError::Start(format!("{url} did not answer")))
}

/// One change relman made on GitHub, for people.
fn describe(r: &RecordedRequest) -> Option<String> {
    if r.method == "GET" || r.path.ends_with("/access_tokens") {
        return None;
    }
    let body = r.body.clone().unwrap_or(Value::Null);
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let indent = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("<!-- relman:"))
            .map(|l| format!("   │ {l}\n"))
            .collect::<String>()
    };
    let path = r.path.trim_start_matches("/repos/");
    let what = if r.path.ends_with("/reactions") {
        let content = text("content");
        format!(
            "   {} reacts {content} on {path}\n",
            reaction_emoji(&content)
        )
    } else if r.method == "POST" && r.path.ends_with("/comments") {
        format!("   💬 comments on {path}:\n{}", indent(&text("body")))
    } else if r.method == "PATCH" && r.path.contains("/issues/comments/") {
        format!(
            "   ✏️  edits its comment {path}:\n{}",
            indent(&text("body"))
        )
    } else if r.method == "POST" && r.path.ends_with("/issues") {
        format!(
            "   📋 opens an issue in {path}: \"{}\"\n{}",
            text("title"),
            indent(&text("body"))
        )
    } else if r.method == "PATCH" && r.path.contains("/issues/") {
        let mut changed: Vec<String> = Vec::new();
        if let Some(state) = body.get("state").and_then(Value::as_str) {
            changed.push(format!("state → {state}"));
        }
        if body.get("assignees").is_some() {
            changed.push(format!("assignees → {}", body["assignees"]));
        }
        if body.get("body").is_some() {
            changed.push("the dashboard re-rendered".into());
        }
        format!("   ✏️  updates {path}: {}\n", changed.join(", "))
    } else if r.path.ends_with("/git/refs") {
        format!(
            "   🏷️  creates {} at {}\n",
            text("ref"),
            &text("sha")[..text("sha").len().min(7)]
        )
    } else if r.method == "POST" && r.path.ends_with("/releases") {
        format!(
            "   🚀 publishes the release {}:\n{}",
            text("tag_name"),
            indent(&text("body"))
        )
    } else if r.path.contains("/check-runs") {
        format!(
            "   ☑️  check run {}: {}\n",
            text("name"),
            body.get("conclusion")
                .and_then(Value::as_str)
                .unwrap_or("…")
        )
    } else {
        format!("   {} {path}\n", r.method)
    };
    Some(what)
}

#[derive(Deserialize)]
pub struct CommentForm {
    pub body: String,
    #[serde(default)]
    pub login: Option<String>,
}

async fn page(State(demo): State<Arc<Demo>>) -> Html<String> {
    let issue = demo.tracking_issue().map_or_else(
        || "no open tracking issue".to_string(),
        |n| format!("tracking issue #{n}"),
    );
    Html(format!(
        "<!doctype html><title>relman demo</title><h1>relman demo</h1>\
         <p>relman at {} against the fake GitHub at {} — commands go to the {issue}.</p>\
         <form method=post action=/comment>\
         <label>as <select name=login><option>alice<option>bob<option>quinn<option>rita</select></label>\
         <input name=body size=50 value=\"/release status\"> <button>Comment</button></form>",
        demo.relman_url,
        demo.sim.api_url()
    ))
}

async fn comment_form(State(demo): State<Arc<Demo>>, Form(form): Form<CommentForm>) -> String {
    let login = form.login.unwrap_or_else(|| "alice".into());
    let body = if form.body.trim_start().starts_with('/') {
        form.body
    } else {
        format!("/{}", form.body.trim_start())
    };
    let Some(issue) = demo.tracking_issue() else {
        return "There is no open tracking issue to comment on.\n".into();
    };
    let _ = demo.effects();
    match demo.comment(&login, issue, &body).await {
        Ok(_) => {
            let effects = demo.effects();
            if effects.is_empty() {
                "relman did nothing on GitHub.\n".into()
            } else {
                effects
            }
        }
        Err(e) => format!("error: {e}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_printed_as_the_person_ran_relman() {
        assert_eq!(
            invocation(true, Some("target/debug/relman")),
            "cargo run --"
        );
        assert_eq!(invocation(false, Some("./relman")), "./relman");
        assert_eq!(invocation(false, Some("relman")), "relman");
        assert_eq!(invocation(false, None), "relman");
    }

    #[test]
    fn each_reaction_shows_as_itself() {
        assert_eq!(reaction_emoji("eyes"), "👀");
        assert_eq!(reaction_emoji("confused"), "😕");
        assert_eq!(reaction_emoji("+1"), "👍");
        assert_eq!(reaction_emoji("-1"), "👎");
    }

    #[test]
    fn a_port_in_use_is_named_with_its_flag() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let error = ensure_port_free(port, "--control-port").unwrap_err();
        assert!(matches!(error, DemoError::PortInUse { .. }));
        let message = error.to_string();
        assert!(message.contains(&format!("port {port} ")), "{message}");
        assert!(message.contains("--control-port PORT"), "{message}");
    }
}
