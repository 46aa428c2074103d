//! The release board: signing in with GitHub (against the fake GitHub's OAuth web flow), who
//! sees what, and what the pages say from a seeded store.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
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

use crate::support::TestDb;

const HOST: &str = "board.test";

const CONFIG: &str = r#"{
  "timezone": "America/Los_Angeles",
  "schedule": { "every_weeks": 2, "weekday": "tuesday", "anchor": "2026-01-06" },
  "holidays": { "dates": ["2026-12-22"], "on_holiday": "next_business_day" },
  "rotation": { "every": "month", "starts": "2026-01", "members": ["alice", "bob", "carol"] }
}"#;

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 20, 0, 0).unwrap()
}

/// The fake GitHub with the App installed on acme/web (alice writes to it) and acme/secret
/// (only carol), and the board on a seeded store.
struct Fixture {
    sim: GitHubSim,
    clock: ManualClock,
    router: axum::Router,
    _db: TestDb,
}

/// acme/web with a holiday move, a hotfix and a QA blocker; acme/secret, which alice cannot read.
pub(crate) async fn seed(store: &Store) {
    let ms = now().timestamp_millis();
    for repo in ["acme/web", "acme/secret"] {
        store
            .save_repo_config(repo, true, CONFIG, None, ms)
            .await
            .unwrap();
    }
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
    for (environment, version) in [("staging", "v1.4.0"), ("production", "v1.3.0")] {
        store
            .set_environment_version(
                "acme/web",
                &EnvironmentVersion {
                    environment: environment.into(),
                    sha: None,
                    version: Some(version.into()),
                    source: "deployment_status".into(),
                    deployment_id: None,
                    at: at.timestamp_millis(),
                },
            )
            .await
            .unwrap();
    }
    let regular = store
        .insert_release(
            &NewRelease {
                repo: "acme/web",
                key: "regular:2026-12-08",
                kind: Kind::Regular,
                scheduled_date: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
                release_date: None,
                manager: Some("bob"),
            },
            ms,
        )
        .await
        .unwrap()
        .unwrap();
    store
        .set_release_issue(regular.id, 41, "h", ms)
        .await
        .unwrap();
    let previous = store
        .insert_release(
            &NewRelease {
                repo: "acme/web",
                key: "regular:2026-11-24",
                kind: Kind::Regular,
                scheduled_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                release_date: None,
                manager: Some("carol"),
            },
            ms,
        )
        .await
        .unwrap()
        .unwrap();
    store
        .append_release_log(
            "acme/web",
            "regular:2026-11-24",
            &LogEntry {
                entry: LogKind::Signoff,
                environment: Some(Environment::Staging),
                text: None,
                actor: "carol".into(),
                comment_id: 5,
                at: Utc
                    .with_ymd_and_hms(2026, 11, 24, 17, 0, 0)
                    .unwrap()
                    .timestamp_millis(),
            },
        )
        .await
        .unwrap();
    store
        .record_cut(
            previous.id,
            &CutRelease {
                version: "1.4.0",
                tag: "v1.4.0",
                release_id: 9,
                release_url: "https://github.com/acme/web/releases/tag/v1.4.0",
                sha: "abc",
                by: "carol",
            },
            Utc.with_ymd_and_hms(2026, 11, 24, 18, 0, 0)
                .unwrap()
                .timestamp_millis(),
        )
        .await
        .unwrap();
    store
        .append_release_log(
            "acme/web",
            &relman::store::releases::version_key("v1.4.0"),
            &LogEntry {
                entry: LogKind::QaBlocker,
                environment: Some(Environment::Production),
                text: Some("EU cards declined".into()),
                actor: "quinn".into(),
                comment_id: 8,
                at: ms,
            },
        )
        .await
        .unwrap();
    // Merged before v1.4.0 was cut (on staging, not in production), and after it.
    for (number, day) in [(101, 20), (102, 25)] {
        store
            .record_merge(
                "acme/web",
                number,
                Utc.with_ymd_and_hms(2026, 11, day, 18, 0, 0)
                    .unwrap()
                    .timestamp_millis(),
                None,
            )
            .await
            .unwrap();
    }
    store
        .insert_expedited(
            &NewExpedited {
                repo: "acme/web",
                key: "hotfix:v1.3.1",
                kind: Kind::Hotfix,
                requested_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
                manager: Some("bob"),
                reason: "checkout fails for EU cards",
                requested_by: "alice",
                origin_issue: 42,
                origin_url: "https://github.com/acme/web/issues/42",
                version: "1.3.1",
                tag: "v1.3.1",
                base_tag: "v1.3.0",
                branch: "hotfix/v1.3.1",
                replaces: None,
            },
            ms,
        )
        .await
        .unwrap();
}

async fn fixture() -> Fixture {
    let sim = GitHubSim::start().await;
    sim.with(|world| {
        world
            .add_repo("acme/web")
            .installation(77)
            .collaborator("alice", Permission::Write);
        world
            .add_repo("acme/secret")
            .installation(77)
            .collaborator("carol", Permission::Write);
        world.sign_in("alice");
    });
    let db = TestDb::sqlite();
    let store = db.store().await;
    seed(&store).await;
    let clock = ManualClock::new(now());
    let settings = BoardSettings {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        session_key: session_key(b"board-test-key-board-test-key-32"),
        teams: vec![],
        public_url: None,
    };
    let board = Board::new(&settings, &sim.api_url(), store, Arc::new(clock.clone()));
    Fixture {
        sim,
        clock,
        router: relman::board::router(Some(board)),
        _db: db,
    }
}

/// A browser: keeps the cookies the board sets and sends them back.
#[derive(Default)]
struct Browser {
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    async fn get(&mut self, router: &axum::Router, path: &str) -> Page {
        let mut request = http::Request::get(path).header(http::header::HOST, HOST);
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request = request.header(http::header::COOKIE, cookie);
        }
        let response = router
            .clone()
            .oneshot(request.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        for value in response.headers().get_all(http::header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, cookie) = pair.split_once('=').unwrap();
            if cookie.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), cookie.to_string());
            }
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            location,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }
}

/// Where GitHub's authorize page sends the browser back to (the fake signs in whoever
/// `World::sign_in` named).
async fn authorize(url: &str) -> String {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, http_body_util::Empty<bytes::Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    assert_eq!(response.status(), 302, "{url}");
    response.headers()[http::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string()
}

/// The whole round trip: `/login` → GitHub → `/login/callback` → signed in.
async fn sign_in(f: &Fixture, browser: &mut Browser) {
    let login = browser.get(&f.router, "/login").await;
    assert_eq!(login.status, 303);
    let to_github = login.location.unwrap();
    assert!(
        to_github.starts_with(&format!("{}/login/oauth/authorize?", f.sim.api_url())),
        "{to_github}"
    );
    let back = authorize(&to_github).await;
    let path = back
        .strip_prefix(&format!("http://{HOST}"))
        .unwrap_or_else(|| panic!("GitHub sent the browser to {back}"));
    assert!(path.starts_with("/login/callback?"), "{path}");
    let callback = browser.get(&f.router, path).await;
    assert_eq!(callback.status, 303, "{}", callback.body);
    assert_eq!(callback.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn without_a_session_the_board_sends_you_to_sign_in() {
    let f = fixture().await;
    let mut browser = Browser::default();
    for path in ["/", "/acme/web"] {
        let page = browser.get(&f.router, path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location.as_deref(), Some("/login"), "{path}");
    }
}

#[tokio::test]
async fn the_oauth_round_trip_signs_in_and_the_page_shows_the_train() {
    let f = fixture().await;
    let mut browser = Browser::default();
    sign_in(&f, &mut browser).await;
    assert!(browser.cookies.contains_key("relman_session"));
    assert!(!browser.cookies.contains_key("relman_oauth_state"));

    let index = browser.get(&f.router, "/").await;
    assert_eq!(index.status, 200, "{}", index.body);
    let html = index.body;
    assert!(html.contains("@alice"), "{html}");
    assert!(
        html.contains(r#"<a href="/acme/web">acme/web</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<time datetime="2026-12-08">Tue 8 Dec 2026</time>"#),
        "{html}"
    );
    assert!(html.contains("<td>@carol</td>"), "{html}");
    assert!(html.contains("<td>v1.4.0</td>"), "{html}");
    assert!(html.contains("<td>v1.3.0</td>"), "{html}");
    assert!(html.contains("checkout fails for EU cards"), "{html}");
    assert!(!html.contains("acme/secret"), "{html}");
    assert!(html.contains("production ⏳❌"), "the QA blocker: {html}");

    let repo = browser.get(&f.router, "/acme/web").await;
    assert_eq!(repo.status, 200, "{}", repo.body);
    let html = repo.body;
    assert!(
        html.contains(r#"<time datetime="2026-12-23">Wed 23 Dec 2026</time>"#),
        "the holiday move: {html}"
    );
    assert!(html.contains("moved from Tue 22 Dec 2026"), "{html}");
    assert!(
        html.contains(r#"<a href="https://github.com/acme/web/issues/41">"#)
            || html.contains(&format!(
                r#"<a href="{}/acme/web/issues/41">"#,
                f.sim.api_url()
            )),
        "the tracking issue: {html}"
    );
    assert!(html.contains("<code>/release</code>"), "{html}");
    assert!(
        html.contains("<code>/qa blocker EU cards declined</code> by @quinn"),
        "{html}"
    );
    assert!(html.contains("<td>qa</td><td>❌</td>"), "{html}");
    assert!(
        html.contains("<code>relman calendar-url --repo acme/web</code>"),
        "how to subscribe: {html}"
    );
    assert!(html.contains("/compare/v1.3.0...v1.4.0"), "{html}");
    // The pull requests staging runs and production does not: from the register, no GitHub call.
    assert!(
        html.contains("Pull requests on staging, not yet in production"),
        "{html}"
    );
    assert!(html.contains("/acme/web/pull/101\">#101</a>"), "{html}");
    assert!(
        !html.contains("#102"),
        "merged after v1.4.0 was cut: {html}"
    );

    // Page weight: the page and its one stylesheet well under the issue's 100 KB, no script.
    let css = browser.get(&f.router, "/board.css").await;
    assert_eq!(css.status, 200);
    assert!(
        html.len() + css.body.len() < 100_000,
        "{} + {}",
        html.len(),
        css.body.len()
    );
    assert!(!html.contains("<script"), "{html}");
}

#[tokio::test]
async fn a_release_has_its_timeline() {
    let f = fixture().await;
    let mut browser = Browser::default();
    sign_in(&f, &mut browser).await;
    let repo = browser.get(&f.router, "/acme/web").await;
    assert!(
        repo.body
            .contains(r#"<a href="/acme/web/releases/v1.4.0">v1.4.0 (regular)</a>"#),
        "{}",
        repo.body
    );
    let page = browser.get(&f.router, "/acme/web/releases/v1.4.0").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.body;
    assert!(html.contains("<h1>Release v1.4.0"), "{html}");
    let signed = html.find("signed off for staging by @carol").expect(&html);
    let cut = html.find("cut v1.4.0 by @carol").expect(&html);
    let staged = html.find("reached staging").expect(&html);
    assert!(signed < cut && cut < staged, "{html}");
    // Without the tag prefix too; an unknown version and another's repository are 404.
    assert_eq!(
        browser
            .get(&f.router, "/acme/web/releases/1.4.0")
            .await
            .status,
        200
    );
    assert_eq!(
        browser
            .get(&f.router, "/acme/web/releases/v9.9.9")
            .await
            .status,
        404
    );
    assert_eq!(
        browser
            .get(&f.router, "/acme/secret/releases/v1.4.0")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_metrics_page_shows_the_register_and_a_chart() {
    let f = fixture().await;
    let mut browser = Browser::default();
    sign_in(&f, &mut browser).await;
    let page = browser.get(&f.router, "/acme/web/metrics").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.body;
    assert!(html.contains("<svg"), "{html}");
    // November: the regular v1.4.0; December: production's deploy of v1.3.0 (seeded on Dec 1).
    assert!(
        html.contains("<tr><th scope=\"row\">2026-11</th><td>1</td><td>0</td><td>0</td>"),
        "{html}"
    );
    assert!(html.contains("<title>2026-11 regular: 1</title>"), "{html}");
    assert!(html.contains("Four Keys"), "{html}");
    assert!(
        html.contains("<th scope=\"col\">Change failure rate</th>"),
        "{html}"
    );
    // DORA's lead time for changes per month and per quarter; no seeded change reached
    // production.
    assert!(
        html.contains("<th scope=\"col\">Lead time for changes (median)</th>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><th scope=\"row\">2026 Q4</th><td>0</td><td>–</td></tr>"),
        "{html}"
    );
    // The seeded hotfix has not reached production: nothing restored yet.
    assert!(html.contains("<td>–</td></tr>"), "{html}");
    assert_eq!(
        browser.get(&f.router, "/acme/secret/metrics").await.status,
        404
    );
}

#[tokio::test]
async fn a_repository_you_cannot_read_is_not_found_and_not_listed() {
    let f = fixture().await;
    let mut browser = Browser::default();
    sign_in(&f, &mut browser).await;
    let secret = browser.get(&f.router, "/acme/secret").await;
    assert_eq!(secret.status, 404);
    let unknown = browser.get(&f.router, "/acme/nothing").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        secret.body, unknown.body,
        "the answer never tells which exists"
    );
    let index = browser.get(&f.router, "/").await;
    assert!(!index.body.contains("acme/secret"));
}

#[tokio::test]
async fn a_forged_cookie_is_signed_out() {
    let f = fixture().await;
    let mut browser = Browser::default();
    browser.cookies.insert(
        "relman_session".into(),
        r#"{"user_id":1,"login":"alice","token":"x","expires":9999999999}"#.into(),
    );
    let page = browser.get(&f.router, "/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/login"));
    assert!(!browser.cookies.contains_key("relman_session"));
}

#[tokio::test]
async fn an_expired_session_is_signed_out() {
    let f = fixture().await;
    let mut browser = Browser::default();
    sign_in(&f, &mut browser).await;
    assert_eq!(browser.get(&f.router, "/").await.status, 200);
    f.clock.set(now() + Duration::hours(13));
    let page = browser.get(&f.router, "/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn a_callback_with_the_wrong_state_is_refused() {
    let f = fixture().await;
    let mut browser = Browser::default();
    let login = browser.get(&f.router, "/login").await;
    let back = authorize(&login.location.unwrap()).await;
    let path = back.strip_prefix(&format!("http://{HOST}")).unwrap();
    let (before, _) = path.split_once("state=").unwrap();
    let forged = format!("{before}state=someone-elses");
    let page = browser.get(&f.router, &forged).await;
    assert_eq!(page.status, 400);
    assert!(!browser.cookies.contains_key("relman_session"));
    // Nor does a callback from a browser that never started a sign-in pass.
    let mut stranger = Browser::default();
    let page = stranger.get(&f.router, path).await;
    assert_eq!(page.status, 400);
    assert!(!stranger.cookies.contains_key("relman_session"));
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let f = fixture().await;
    let mut browser = Browser::default();
    sign_in(&f, &mut browser).await;
    let out = browser.get(&f.router, "/logout").await;
    assert_eq!(out.status, 200);
    assert!(!browser.cookies.contains_key("relman_session"));
    assert_eq!(browser.get(&f.router, "/").await.status, 303);
}

#[tokio::test]
async fn without_oauth_settings_there_is_no_board() {
    let router = relman::board::router(None);
    for path in ["/", "/login", "/acme/web"] {
        let (status, _) = crate::support::http_get(&router, path).await;
        assert_eq!(status, 404, "{path}");
    }
}
