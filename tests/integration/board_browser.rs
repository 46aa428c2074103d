//! The release board in headless Chromium (driven through WebDriver, as `setup_browser.rs`
//! does): `relman serve` with the board on, against the fake GitHub, on a seeded store; the
//! browser signs in through the fake GitHub's OAuth as alice, opens each page, reads what a
//! person sees and saves a screenshot of it.
//!
//! Screenshots go to a temporary directory, or to `RELMAN_BOARD_SCREENSHOTS` when set (how
//! `docs/board.png` was taken). Without Chromium and chromedriver the test says so and does
//! nothing — except under `CI=true`, where their absence fails it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fantoccini::{Client, Locator};
use github_sim::{GitHubSim, Permission};
use relman::clock::{Clock, ManualClock};
use relman::config::settings::{AppArgs, ServeArgs, Settings};
use tokio_util::sync::CancellationToken;

use crate::support::{TestDb, free_port};

/// The text a person sees on the page (no markup).
async fn visible_text(browser: &Client) -> Result<String, fantoccini::error::CmdError> {
    browser.find(Locator::Css("body")).await?.text().await
}

async fn screenshot(browser: &Client, dir: &Path, name: &str) -> PathBuf {
    let png = browser.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

#[tokio::test]
async fn the_board_signs_in_through_github_and_shows_every_page_in_a_browser() {
    let Some((browser, driver)) = crate::support::browser::chromium(
        "the board",
        &["--window-size=1100,1400", "--hide-scrollbars"],
    )
    .await
    else {
        return;
    };

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
        // The fake GitHub's "Authorize" signs the browser in as alice.
        world.sign_in("alice");
    });
    let db = TestDb::sqlite();
    let store = db.store().await;
    crate::board::seed(&store).await;
    store.close().await;

    // `relman serve` itself, with "Sign in with GitHub" set up.
    let port = free_port();
    let args = ServeArgs {
        app: AppArgs {
            app_id: Some(github_sim::APP_ID.to_string()),
            private_key: Some(github_sim::PRIVATE_KEY_PKCS1_PEM.to_string()),
            private_key_path: None,
            github_api_url: Some(sim.api_url()),
        },
        webhook_secret: Some("browser".into()),
        host: Some("127.0.0.1".into()),
        port: Some(port.to_string()),
        database_url: Some(db.url.clone()),
        workers: Some("1".into()),
        github_client_id: Some(github_sim::CLIENT_ID.to_string()),
        github_client_secret: Some(github_sim::CLIENT_SECRET.to_string()),
        ..ServeArgs::default()
    };
    let settings = Settings::from_raw(&args, |p| std::fs::read_to_string(p)).unwrap();
    let shutdown = CancellationToken::new();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(crate::board::now()));
    let serving = tokio::spawn(relman::service::serve_with_clock(
        settings,
        clock,
        shutdown.clone(),
    ));
    crate::support::browser::wait_for_port(port, "relman serve").await;
    let relman = format!("http://127.0.0.1:{port}");

    let shots = match std::env::var_os("RELMAN_BOARD_SCREENSHOTS") {
        Some(dir) => {
            std::fs::create_dir_all(&dir).unwrap();
            (None, PathBuf::from(dir))
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().to_path_buf();
            (Some(dir), path)
        }
    };
    let (_keep, shots) = shots;

    let outcome = async {
        let mut pages = Vec::new();
        // No session: `/` → `/login` → GitHub's authorize → `/login/callback` → `/`.
        browser.goto(&format!("{relman}/")).await?;
        let url = browser.current_url().await?;
        let index = visible_text(&browser).await?;
        pages.push((
            "index",
            url.to_string(),
            index,
            screenshot(&browser, &shots, "index").await,
        ));
        // From the list to the repository, as a person would: by its link.
        browser
            .find(Locator::LinkText("acme/web"))
            .await?
            .click()
            .await?;
        let url = browser.current_url().await?;
        let repo = visible_text(&browser).await?;
        pages.push((
            "repository",
            url.to_string(),
            repo,
            screenshot(&browser, &shots, "repository").await,
        ));
        browser
            .find(Locator::LinkText("v1.4.0 (regular)"))
            .await?
            .click()
            .await?;
        let url = browser.current_url().await?;
        let release = visible_text(&browser).await?;
        pages.push((
            "release",
            url.to_string(),
            release,
            screenshot(&browser, &shots, "release").await,
        ));
        browser.goto(&format!("{relman}/acme/web/metrics")).await?;
        let url = browser.current_url().await?;
        let metrics = visible_text(&browser).await?;
        let chart = browser
            .find(Locator::Css("svg"))
            .await?
            .is_displayed()
            .await?;
        pages.push((
            "metrics",
            url.to_string(),
            metrics,
            screenshot(&browser, &shots, "metrics").await,
        ));
        Ok::<_, fantoccini::error::CmdError>((pages, chart))
    }
    .await;
    let _ = browser.close().await;
    drop(driver);
    shutdown.cancel();
    let _ = serving.await;
    let (pages, chart_shown) = outcome.expect("the browser went through the board");

    let [index, repo, release, metrics] = &pages[..] else {
        panic!("{pages:?}")
    };
    assert_eq!(
        index.1,
        format!("{relman}/"),
        "signed in and back at the list"
    );
    assert!(index.2.contains("@alice"), "{}", index.2);
    assert!(index.2.contains("acme/web"), "{}", index.2);
    assert!(!index.2.contains("acme/secret"), "{}", index.2);
    assert!(
        index.2.contains("checkout fails for EU cards"),
        "{}",
        index.2
    );

    assert_eq!(repo.1, format!("{relman}/acme/web"));
    assert!(repo.2.contains("moved from Tue 22 Dec 2026"), "{}", repo.2);
    assert!(
        repo.2.contains("/qa blocker EU cards declined"),
        "{}",
        repo.2
    );
    assert!(
        repo.2.contains("relman calendar-url --repo acme/web"),
        "{}",
        repo.2
    );

    assert_eq!(release.1, format!("{relman}/acme/web/releases/v1.4.0"));
    assert!(release.2.contains("Release v1.4.0"), "{}", release.2);
    assert!(release.2.contains("cut v1.4.0 by @carol"), "{}", release.2);

    assert_eq!(metrics.1, format!("{relman}/acme/web/metrics"));
    assert!(metrics.2.contains("Four Keys"), "{}", metrics.2);
    assert!(chart_shown, "the chart is drawn");

    for (name, _, _, png) in &pages {
        let size = std::fs::metadata(png).unwrap().len();
        assert!(size > 10_000, "{name}: a {size}-byte screenshot is blank");
    }
}
