//! `relman setup` against the fake GitHub's manifest conversion: the `.env` it writes is what
//! `relman serve` needs, the key file is private, a callback from another run is refused, and an
//! existing `.env` is only replaced with `--force`.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use github_sim::GitHubSim;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use relman::config::settings::{AppArgs, ServeArgs, Settings};
use relman::setup::{SetupError, SetupOptions, SetupServer};
use tokio_util::sync::CancellationToken;

async fn get(url: &str) -> (u16, String) {
    let client =
        Client::builder(TokioExecutor::new()).build_http::<http_body_util::Empty<bytes::Bytes>>();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn options(sim: &GitHubSim, dir: &Path) -> SetupOptions {
    SetupOptions {
        webhook_url: "https://relman.acme.dev/api/github/webhooks".into(),
        org: Some("acme".into()),
        github_url: "https://github.com".into(),
        api_url: sim.api_url(),
        app_name: None,
        env_file: dir.join(".env"),
        key_file: dir.join("relman.private-key.pem"),
        force: false,
        listen: "127.0.0.1:0".parse().unwrap(),
    }
}

fn read_env(path: &Path) -> HashMap<String, String> {
    dotenvy::from_path_iter(path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn conversions(sim: &GitHubSim) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path.starts_with("/app-manifests/"))
        .count()
}

#[tokio::test]
async fn the_converted_app_is_written_to_env_as_serve_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let sim = GitHubSim::start().await;
    let app = sim.with(|w| w.add_manifest_code("a1b2c3", "acme"));
    let server = SetupServer::start(options(&sim, dir.path())).await.unwrap();
    let base = format!("http://{}", server.addr);

    let (status, page) = get(&format!("{base}/")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!(
            "action=\"https://github.com/organizations/acme/settings/apps/new?state={}\"",
            server.state
        )),
        "{page}"
    );

    // An answer that does not carry this run's state is refused before the code is spent.
    let (status, _) = get(&format!("{base}/callback?code=a1b2c3&state=forged")).await;
    assert_eq!(status, 400);
    let (status, _) = get(&format!("{base}/callback?code=a1b2c3")).await;
    assert_eq!(status, 400);
    assert_eq!(conversions(&sim), 0);

    let (status, done) = get(&format!(
        "{base}/callback?code=a1b2c3&state={}",
        server.state
    ))
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains("/apps/relman-manifest/installations/new"),
        "{done}"
    );
    let registered = server.finish(CancellationToken::new()).await.unwrap();
    assert_eq!(registered.conversion.id, app.id);

    let env_path = dir.path().join(".env");
    let env = read_env(&env_path);
    assert_eq!(env["APP_ID"], app.id.to_string());
    assert_eq!(env["WEBHOOK_SECRET"], app.webhook_secret);
    assert_eq!(env["GITHUB_CLIENT_ID"], app.client_id);
    assert_eq!(env["GITHUB_CLIENT_SECRET"], app.client_secret);
    // Not api.github.com: the API the App lives on goes with it.
    assert_eq!(env["GITHUB_API_URL"], sim.api_url());
    let key_path = Path::new(&env["PRIVATE_KEY_PATH"]);
    assert!(key_path.is_absolute(), "{key_path:?}");
    assert_eq!(std::fs::read_to_string(key_path).unwrap(), app.pem);
    assert_eq!(mode(key_path), 0o600);
    assert_eq!(mode(&env_path), 0o600);

    // What `relman serve` makes of it: valid settings, a usable key, an App GitHub accepts.
    relman::service::check_private_key_file(key_path).unwrap();
    let raw = ServeArgs {
        app: AppArgs {
            app_id: Some(env["APP_ID"].clone()),
            private_key: None,
            private_key_path: Some(key_path.to_path_buf()),
            github_api_url: Some(env["GITHUB_API_URL"].clone()),
        },
        webhook_secret: Some(env["WEBHOOK_SECRET"].clone()),
        ..ServeArgs::default()
    };
    let settings = Settings::from_raw(&raw, |p| std::fs::read_to_string(p)).unwrap();
    assert_eq!(settings.app.app_id, app.id);
    relman::github::app::GitHubApp::new(
        &settings.app,
        &settings.github_api_url,
        Default::default(),
        None,
    )
    .unwrap();
}

#[tokio::test]
async fn an_existing_env_is_replaced_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let sim = GitHubSim::start().await;
    let env_path = dir.path().join(".env");
    std::fs::write(&env_path, "APP_ID=1\n").unwrap();

    match SetupServer::start(options(&sim, dir.path())).await {
        Err(SetupError::Exists(path)) => assert_eq!(path, env_path),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("setup started over an existing .env"),
    }
    assert_eq!(std::fs::read_to_string(&env_path).unwrap(), "APP_ID=1\n");
    // A key file left from an earlier run is kept as well.
    std::fs::remove_file(&env_path).unwrap();
    std::fs::write(dir.path().join("relman.private-key.pem"), "old").unwrap();
    assert!(matches!(
        SetupServer::start(options(&sim, dir.path())).await,
        Err(SetupError::Exists(_))
    ));

    std::fs::write(&env_path, "APP_ID=1\n").unwrap();
    let app = sim.with(|w| w.add_manifest_code("f0rce", "acme"));
    let mut forced = options(&sim, dir.path());
    forced.force = true;
    let server = SetupServer::start(forced).await.unwrap();
    let (status, _) = get(&format!(
        "http://{}/callback?code=f0rce&state={}",
        server.addr, server.state
    ))
    .await;
    assert_eq!(status, 200);
    server.finish(CancellationToken::new()).await.unwrap();
    assert_eq!(read_env(&env_path)["APP_ID"], app.id.to_string());
}

#[tokio::test]
async fn a_spent_code_is_explained_and_the_page_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let sim = GitHubSim::start().await;
    let server = SetupServer::start(options(&sim, dir.path())).await.unwrap();
    let (status, page) = get(&format!(
        "http://{}/callback?code=unknown&state={}",
        server.addr, server.state
    ))
    .await;
    assert_eq!(status, 502);
    assert!(page.contains("used already"), "{page}");
    assert!(!dir.path().join(".env").exists());
    // Still serving: the person can start again.
    let (status, _) = get(&format!("http://{}/", server.addr)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_webhook_url_github_cannot_reach_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sim = GitHubSim::start().await;
    let mut local = options(&sim, dir.path());
    local.webhook_url = "http://localhost:3000/api/github/webhooks".into();
    assert!(matches!(
        SetupServer::start(local).await,
        Err(SetupError::WebhookUrl(_))
    ));
}
