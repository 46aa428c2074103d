//! The release board's server time per page: 50 repositories with two years of history in the
//! store, 50 viewers asking at once.
//!
//! `cargo bench --bench board` (not criterion: the figure is a latency distribution under
//! concurrency, which criterion does not measure). The store is SQLite in a temporary directory
//! (on /dev/shm when there is one: the pages only read).
//! The fake GitHub (crates/github-sim) has the App installed on the 50 repositories and one
//! person who reads them all; the bench signs them in once through the OAuth round trip, and the
//! 50 viewers share that session (a person's repository list is cached for 5 minutes, so after
//! the first page every view is store + render, which is what a page view costs).
//!
//! Each repository: a two-week train over two years (52 regular releases cut, on staging and in
//! production, with sign-offs and a QA call each), a hotfix every 8th release and a warmfix every
//! 13th, 8 merged pull requests per release, both environments' deployment history. Each viewer
//! asks, in a loop, `/`, a repository page, a release's timeline and the metrics page of a
//! repository picked round-robin; the server time of a page is from the request entering the
//! router to the last byte of its body, in process (no TCP). Printed: p50, p99 and max per page,
//! and each page's weight in bytes (and the stylesheet's).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use github_sim::{CLIENT_ID, CLIENT_SECRET, GitHubSim, Permission};
use http_body_util::BodyExt;
use relman::board::Board;
use relman::clock::ManualClock;
use relman::config::settings::{BoardSettings, Secret, session_key};
use relman::domain::expedited::Kind;
use relman::domain::requirements::Environment;
use relman::store::Store;
use relman::store::environments::EnvironmentVersion;
use relman::store::register::NewExpedited;
use relman::store::releases::{CutRelease, LogEntry, LogKind, NewRelease};
use tower::ServiceExt;

const REPOS: usize = 50;
const RELEASES: usize = 52;
const MERGES_PER_RELEASE: usize = 8;
/// `BOARD_VIEWERS=1` gives the time of a page alone, without queueing behind the others.
fn viewer_count() -> usize {
    std::env::var("BOARD_VIEWERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}
const ROUNDS: usize = 40;
const HOST: &str = "board.bench";

const CONFIG: &str = r#"{
  "timezone": "Europe/Berlin",
  "schedule": { "every_weeks": 2, "weekday": "tuesday", "anchor": "2025-01-07" },
  "holidays": { "dates": ["2026-12-22"], "on_holiday": "next_business_day" },
  "rotation": { "every": "month", "starts": "2025-01", "members": ["alice", "bob", "carol"] }
}"#;

fn repo(i: usize) -> String {
    format!("acme/svc-{i:02}")
}

fn first_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 7, 9, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    first_day() + chrono::Duration::weeks(2 * RELEASES as i64) - chrono::Duration::days(3)
}

async fn seed_repo(store: &Store, repo: &str) {
    let ms = |at: DateTime<Utc>| at.timestamp_millis();
    store
        .save_repo_config(repo, true, CONFIG, None, ms(first_day()))
        .await
        .unwrap();
    for r in 0..RELEASES {
        let day = first_day() + chrono::Duration::weeks(2 * r as i64);
        let date: NaiveDate = day.date_naive();
        let key = format!("regular:{date}");
        let tag = format!("v1.{r}.0");
        for m in 0..MERGES_PER_RELEASE {
            let at = day - chrono::Duration::hours(1 + 30 * m as i64);
            store
                .record_merge(repo, (r * 100 + m) as u64, ms(at), None)
                .await
                .unwrap();
        }
        let release = store
            .insert_release(
                &NewRelease {
                    repo,
                    key: &key,
                    kind: Kind::Regular,
                    scheduled_date: date,
                    release_date: None,
                    manager: Some(["alice", "bob", "carol"][r % 3]),
                },
                ms(day - chrono::Duration::days(2)),
            )
            .await
            .unwrap()
            .unwrap();
        store
            .set_release_issue(release.id, (1000 + r) as u64, "h", ms(day))
            .await
            .unwrap();
        let log = |entry: LogKind, environment: Environment, text: Option<&str>, at| LogEntry {
            entry,
            environment: Some(environment),
            text: text.map(String::from),
            actor: "quinn".into(),
            comment_id: (r * 10) as u64,
            at: ms(at),
        };
        for entry in [
            log(LogKind::Signoff, Environment::Staging, None, day),
            log(
                LogKind::QaOk,
                Environment::Production,
                Some("all green"),
                day + chrono::Duration::days(3),
            ),
        ] {
            store.append_release_log(repo, &key, &entry).await.unwrap();
        }
        store
            .record_cut(
                release.id,
                &CutRelease {
                    version: &tag[1..],
                    tag: &tag,
                    release_id: r as u64,
                    release_url: &format!("https://github.com/{repo}/releases/tag/{tag}"),
                    sha: "abc",
                    by: "alice",
                },
                ms(day + chrono::Duration::hours(1)),
            )
            .await
            .unwrap();
        let staged = day + chrono::Duration::hours(2);
        let live = day + chrono::Duration::days(7);
        store
            .mark_deployed(repo, false, std::slice::from_ref(&tag), ms(staged))
            .await
            .unwrap();
        // The last release waits for production.
        let in_production = r + 1 < RELEASES;
        if in_production {
            store
                .mark_deployed(repo, true, std::slice::from_ref(&tag), ms(live))
                .await
                .unwrap();
        }
        for (environment, at, shown) in [
            ("staging", staged, true),
            ("production", live, in_production),
        ] {
            if !shown {
                continue;
            }
            store
                .set_environment_version(
                    repo,
                    &EnvironmentVersion {
                        environment: environment.into(),
                        sha: None,
                        version: Some(tag.clone()),
                        source: "deployment_status".into(),
                        deployment_id: None,
                        at: ms(at),
                    },
                )
                .await
                .unwrap();
        }
        let fix = if r % 8 == 4 {
            Some(Kind::Hotfix)
        } else if r % 13 == 6 {
            Some(Kind::Warmfix)
        } else {
            None
        };
        if let Some(kind) = fix {
            let version = format!("1.{r}.1");
            store
                .insert_expedited(
                    &NewExpedited {
                        repo,
                        key: &format!("{}:v{version}", kind.as_str()),
                        kind,
                        requested_on: (day + chrono::Duration::days(8)).date_naive(),
                        manager: Some("bob"),
                        reason: "checkout fails for EU cards",
                        requested_by: "alice",
                        origin_issue: (2000 + r) as u64,
                        origin_url: &format!("https://github.com/{repo}/issues/{}", 2000 + r),
                        version: &version,
                        tag: &format!("v{version}"),
                        base_tag: &tag,
                        branch: &format!("hotfix/v{version}"),
                        replaces: None,
                    },
                    ms(day + chrono::Duration::days(8)),
                )
                .await
                .unwrap();
        }
    }
}

/// Where the fake GitHub's authorize page sends the browser back to.
async fn authorize(url: &str) -> String {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, http_body_util::Empty<bytes::Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    response.headers()[http::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string()
}

struct Answer {
    status: u16,
    location: Option<String>,
    cookies: Vec<(String, String)>,
    body: bytes::Bytes,
}

async fn get(router: &axum::Router, path: &str, cookie: &str) -> Answer {
    let mut request = http::Request::get(path).header(http::header::HOST, HOST);
    if !cookie.is_empty() {
        request = request.header(http::header::COOKIE, cookie);
    }
    let response = router
        .clone()
        .oneshot(request.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let cookies = response
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| {
            let pair = v.to_str().ok()?.split(';').next()?;
            let (k, v) = pair.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .map(|l| l.to_str().unwrap().to_string());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        location,
        cookies,
        body,
    }
}

async fn sign_in(router: &axum::Router) -> String {
    let login = get(router, "/login", "").await;
    let state_cookie: String = login
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let back = authorize(&login.location.unwrap()).await;
    let path = back.strip_prefix(&format!("http://{HOST}")).unwrap();
    let callback = get(router, path, &state_cookie).await;
    assert_eq!(callback.status, 303, "{:?}", callback.body);
    callback
        .cookies
        .iter()
        .filter(|(k, v)| k == "relman_session" && !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .next()
        .expect("a session cookie")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let sim = GitHubSim::start().await;
    sim.with(|world| {
        for i in 0..REPOS {
            world
                .add_repo(&repo(i))
                .installation(77)
                .collaborator("alice", Permission::Write);
        }
        world.sign_in("alice");
    });
    // The pages only read; on a tmpfs the seeding writes do not wait for fsyncs.
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        tempfile::tempdir_in("/dev/shm").unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let url = format!("sqlite://{}", dir.path().join("relman.db").display());
    let store = Store::connect(&url).await.unwrap();
    let seeding = Instant::now();
    for i in 0..REPOS {
        seed_repo(&store, &repo(i)).await;
    }
    eprintln!(
        "seeded {REPOS} repositories × {RELEASES} releases in {:.1?}",
        seeding.elapsed()
    );
    let settings = BoardSettings {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        session_key: session_key(b"board-bench-key-board-bench-key-"),
        teams: vec![],
        public_url: None,
    };
    let board = Board::new(
        &settings,
        &sim.api_url(),
        store.clone(),
        Arc::new(ManualClock::new(now())),
    );
    let router = relman::board::router(Some(board));
    let cookie = sign_in(&router).await;

    let pages = |i: usize| -> [(&'static str, String); 4] {
        let repo = repo(i % REPOS);
        let version = format!("v1.{}.0", (i * 7) % RELEASES);
        [
            ("/", "/".to_string()),
            ("/{owner}/{repo}", format!("/{repo}")),
            (
                "/{owner}/{repo}/releases/{version}",
                format!("/{repo}/releases/{version}"),
            ),
            ("/{owner}/{repo}/metrics", format!("/{repo}/metrics")),
        ]
    };
    // Page weight, and a check that each page answers 200 (a bench of 303s measures nothing).
    let mut weight: Vec<(&str, usize)> = Vec::new();
    for (name, path) in pages(0) {
        let page = get(&router, &path, &cookie).await;
        assert_eq!(page.status, 200, "{path}: {:?}", page.body);
        weight.push((name, page.body.len()));
    }
    let css = get(&router, "/board.css", &cookie).await.body.len();

    let started = Instant::now();
    let mut viewers = tokio::task::JoinSet::new();
    let viewers_n = viewer_count();
    for v in 0..viewers_n {
        let router = router.clone();
        let cookie = cookie.clone();
        viewers.spawn(async move {
            let mut times: Vec<(&'static str, Duration)> = Vec::new();
            for round in 0..ROUNDS {
                for (name, path) in pages(v * ROUNDS + round) {
                    let start = Instant::now();
                    let page = get(&router, &path, &cookie).await;
                    times.push((name, start.elapsed()));
                    assert_eq!(page.status, 200, "{path}");
                }
            }
            times
        });
    }
    let mut by_page: HashMap<&str, Vec<Duration>> = HashMap::new();
    while let Some(times) = viewers.join_next().await {
        for (name, d) in times.unwrap() {
            by_page.entry(name).or_default().push(d);
        }
    }
    let wall = started.elapsed();
    let views = viewers_n * ROUNDS * 4;
    println!(
        "{viewers_n} viewers × {ROUNDS} rounds × 4 pages = {views} views in {wall:.2?} ({:.0} views/s)",
        views as f64 / wall.as_secs_f64()
    );
    println!("| page | p50 | p99 | max | weight |");
    println!("|---|---|---|---|---|");
    for (name, bytes) in &weight {
        let mut times = by_page.remove(name).unwrap_or_default();
        times.sort();
        println!(
            "| `{name}` | {:.2?} | {:.2?} | {:.2?} | {:.1} KB |",
            percentile(&times, 0.50),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or_default(),
            *bytes as f64 / 1000.0
        );
    }
    println!("| `/board.css` | | | | {:.1} KB |", css as f64 / 1000.0);
}
