//! The `relman setup` page in headless Chromium (Debian's `chromium` and `chromium-driver`,
//! driven through WebDriver): clicking its button posts the manifest JSON GitHub expects to
//! GitHub's registration page, and when GitHub sends the browser back with a code, setup
//! exchanges it and writes `.env`.
//!
//! GitHub's web side is played by a small local server: it records the form exactly as the
//! browser posted it and answers as GitHub does after "Create GitHub App" — a redirect to the
//! manifest's `redirect_url` with a code and the state. The code exchange is the fake GitHub's.
//!
//! Without Chromium and chromedriver on the machine (`.ci/run` installs them) the test says so
//! and does nothing; it never passes by pretending to have driven a browser.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, State};
use axum::response::Redirect;
use fantoccini::Locator;
use github_sim::GitHubSim;
use relman::setup::{SetupOptions, SetupServer};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// What the browser posted to "GitHub".
#[derive(Debug, Clone)]
struct Posted {
    path: String,
    state: Option<String>,
    content_type: String,
    manifest: Value,
}

#[derive(Clone)]
struct Web {
    posted: Arc<Mutex<Vec<Posted>>>,
    code: String,
}

#[derive(serde::Deserialize)]
struct StateQuery {
    state: Option<String>,
}

async fn register(
    State(web): State<Web>,
    UrlPath(org): UrlPath<String>,
    Query(query): Query<StateQuery>,
    headers: http::HeaderMap,
    body: bytes::Bytes,
) -> Redirect {
    let manifest = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "manifest")
        .map(|(_, v)| serde_json::from_str::<Value>(&v).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    let redirect = manifest["redirect_url"].as_str().unwrap_or("").to_string();
    let state = query.state.clone().unwrap_or_default();
    web.posted.lock().unwrap().push(Posted {
        path: format!("/organizations/{org}/settings/apps/new"),
        state: query.state,
        content_type: headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        manifest,
    });
    // GitHub, after the person clicked "Create GitHub App".
    Redirect::to(&format!("{redirect}?code={}&state={state}", web.code))
}

async fn start_web(code: &str) -> (String, Arc<Mutex<Vec<Posted>>>) {
    let posted = Arc::new(Mutex::new(Vec::new()));
    let web = Web {
        posted: posted.clone(),
        code: code.to_string(),
    };
    let app = axum::Router::new()
        .route(
            "/organizations/{org}/settings/apps/new",
            axum::routing::post(register),
        )
        .with_state(web);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), posted)
}

fn app_manifest_yml() -> Value {
    let path = format!("{}/app-manifest.yml", env!("CARGO_MANIFEST_DIR"));
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn the_setup_page_posts_the_manifest_github_expects_and_finishes_in_a_browser() {
    let Some((browser, driver)) = crate::support::browser::chromium("the setup page", &[]).await
    else {
        return;
    };

    let dir = tempfile::tempdir().unwrap();
    let sim = GitHubSim::start().await;
    let app = sim.with(|w| w.add_manifest_code("br0wser", "acme"));
    let (github_web, posted) = start_web("br0wser").await;
    let server = SetupServer::start(SetupOptions {
        webhook_url: "https://relman.acme.dev/api/github/webhooks".into(),
        org: Some("acme".into()),
        github_url: github_web,
        api_url: sim.api_url(),
        app_name: Some("relman-acme".into()),
        env_file: dir.path().join(".env"),
        key_file: dir.path().join("relman.private-key.pem"),
        force: false,
        listen: "127.0.0.1:0".parse().unwrap(),
    })
    .await
    .unwrap();
    let page_url = format!("http://{}/", server.addr);
    let state = server.state.clone();

    let outcome = async {
        browser.goto(&page_url).await?;
        browser
            .find(Locator::Css("button#create"))
            .await?
            .click()
            .await?;
        // GitHub sends the browser back; setup answers with its "installed" page.
        let install = browser
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Id("install"))
            .await?;
        install.attr("href").await
    }
    .await;
    let _ = browser.close().await;
    let install_href = outcome.expect("the browser went through the setup");

    let posted = posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 1, "{posted:?}");
    let form = &posted[0];
    assert_eq!(form.path, "/organizations/acme/settings/apps/new");
    assert_eq!(form.state.as_deref(), Some(state.as_str()));
    assert!(
        form.content_type
            .starts_with("application/x-www-form-urlencoded"),
        "{}",
        form.content_type
    );
    // The manifest GitHub's manifest flow reads: app-manifest.yml's permissions and events,
    // the user's webhook URL, and this setup's callback as the redirect.
    let manifest = &form.manifest;
    let file = app_manifest_yml();
    assert_eq!(manifest["name"], "relman-acme");
    assert_eq!(manifest["url"], file["url"]);
    assert_eq!(manifest["public"], false);
    assert_eq!(manifest["default_permissions"], file["default_permissions"]);
    assert_eq!(manifest["default_events"], file["default_events"]);
    assert_eq!(
        manifest["hook_attributes"],
        json!({"url": "https://relman.acme.dev/api/github/webhooks", "active": true})
    );
    assert_eq!(
        manifest["redirect_url"],
        format!("http://{}/callback", server.addr)
    );

    let registered = server.finish(CancellationToken::new()).await.unwrap();
    assert_eq!(registered.conversion.id, app.id);
    assert_eq!(
        install_href.as_deref(),
        Some(registered.install_url.as_str())
    );
    let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(env.contains(&format!("APP_ID={}\n", app.id)), "{env}");
    drop(driver);
}
