//! `relman setup`: registers relman's GitHub App through GitHub's manifest flow and writes the
//! `.env` that `relman serve` reads (Probot's flow and names).
//!
//! 1. A local page holds a form that posts `app-manifest.yml` (as JSON, with the user's webhook
//!    URL and this server as the redirect) to GitHub's "register an App from a manifest" page —
//!    `/settings/apps/new`, or `/organizations/ORG/settings/apps/new` with `--org`, on
//!    `GITHUB_URL` for GitHub Enterprise — with a random `state`.
//! 2. After the person confirms on GitHub, GitHub sends the browser back to `/callback` with a
//!    one-time `code` and the `state`; a callback whose state is not this run's is refused.
//! 3. The code is exchanged (`POST /app-manifests/{code}/conversions`, no authentication) for
//!    the App's id, private key, webhook secret and OAuth client.
//! 4. The key goes to its own file (mode 0600) and `.env` gets `APP_ID`, `PRIVATE_KEY_PATH`,
//!    `WEBHOOK_SECRET`, `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET` (mode 0600 too). An existing
//!    `.env` or key file is only replaced with `--force`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Html;
use axum::routing::get;
use octocrab::Octocrab;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::{Mutex, oneshot};
use tokio_util::sync::CancellationToken;

use crate::config::repo::yaml::{self, Node, Resolved};
use crate::github::rest::{RestClient, RetryBudget};

/// relman's App manifest, built into the binary so `relman setup` works from any directory.
pub const MANIFEST_YAML: &str = include_str!("../app-manifest.yml");
pub const DEFAULT_GITHUB_URL: &str = "https://github.com";

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "{} exists (the settings of an App set up before); pass --force to replace it",
        .0.display()
    )]
    Exists(PathBuf),
    #[error("--webhook-url: {0}")]
    WebhookUrl(String),
    #[error("--org: {0:?} is not an organization name")]
    Org(String),
    #[error("GITHUB_URL (--github-url): {0}")]
    GitHubUrl(String),
    #[error("app-manifest.yml: {0}")]
    Manifest(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("GitHub did not convert the manifest code: {0}")]
    Conversion(String),
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("setup stopped before GitHub sent the browser back")]
    Stopped,
}

/// What `relman setup` is asked to do.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// Where GitHub will send webhooks: relman's public address and webhook path.
    pub webhook_url: String,
    /// Register the App on this organization instead of the person's account.
    pub org: Option<String>,
    /// GitHub's web address (`https://github.com`, or the GitHub Enterprise host).
    pub github_url: String,
    /// GitHub's REST base for the code exchange.
    pub api_url: String,
    /// The App's name on GitHub (it must be unique there); the manifest's `name` otherwise.
    pub app_name: Option<String>,
    pub env_file: PathBuf,
    pub key_file: PathBuf,
    pub force: bool,
    /// Where the local page listens.
    pub listen: SocketAddr,
}

/// The REST base that goes with a GitHub web address: `api.github.com` for github.com,
/// `https://HOST/api/v3` for GitHub Enterprise Server.
pub fn api_url_for(github_url: &str) -> String {
    let base = github_url.trim_end_matches('/');
    match base {
        "https://github.com" | "http://github.com" | "https://www.github.com" => {
            crate::config::settings::DEFAULT_GITHUB_API_URL.to_string()
        }
        _ => format!("{base}/api/v3"),
    }
}

fn check_http_url(url: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("{url:?} must be an http(s) URL with a host"));
    }
    Ok(parsed)
}

impl SetupOptions {
    /// Checks what can be checked before anything is served: the URLs, the organization name,
    /// and that no earlier setup would be overwritten without `--force`.
    pub fn validate(&self) -> Result<(), SetupError> {
        let webhook = check_http_url(&self.webhook_url).map_err(SetupError::WebhookUrl)?;
        if matches!(
            webhook.host_str(),
            Some("localhost" | "127.0.0.1" | "[::1]")
        ) {
            return Err(SetupError::WebhookUrl(format!(
                "{} is this machine: GitHub must be able to reach it (use relman's public address, or a tunnel such as smee.io)",
                self.webhook_url
            )));
        }
        check_http_url(&self.github_url).map_err(SetupError::GitHubUrl)?;
        if let Some(org) = &self.org
            && (org.is_empty()
                || !org
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(SetupError::Org(org.clone()));
        }
        self.refuse_overwrite()
    }

    fn refuse_overwrite(&self) -> Result<(), SetupError> {
        if self.force {
            return Ok(());
        }
        for path in [&self.env_file, &self.key_file] {
            if path.exists() {
                return Err(SetupError::Exists(path.clone()));
            }
        }
        Ok(())
    }
}

/// `app-manifest.yml` as the JSON GitHub's manifest form takes, for this webhook URL, this
/// redirect and (optionally) another name. The OAuth callback goes to relman's own address.
pub fn manifest_json(
    webhook_url: &str,
    redirect_url: &str,
    app_name: Option<&str>,
) -> Result<Value, SetupError> {
    let parsed = yaml::parse("app-manifest.yml", MANIFEST_YAML)
        .map_err(|e| SetupError::Manifest(e.to_string()))?;
    let mut manifest = match parsed.root.as_ref().map(yaml_to_json) {
        Some(Value::Object(map)) => map,
        _ => return Err(SetupError::Manifest("is not a mapping".into())),
    };
    let webhook = check_http_url(webhook_url).map_err(SetupError::WebhookUrl)?;
    let mut hook = match manifest.remove("hook_attributes") {
        Some(Value::Object(hook)) => hook,
        _ => Map::new(),
    };
    hook.insert("url".into(), Value::from(webhook_url));
    hook.insert("active".into(), Value::Bool(true));
    manifest.insert("hook_attributes".into(), Value::Object(hook));
    manifest.insert("redirect_url".into(), Value::from(redirect_url));
    let origin = webhook.origin().ascii_serialization();
    manifest.insert(
        "callback_urls".into(),
        Value::Array(vec![Value::from(format!("{origin}/"))]),
    );
    if let Some(name) = app_name.filter(|n| !n.trim().is_empty()) {
        manifest.insert("name".into(), Value::from(name.trim()));
    }
    Ok(Value::Object(manifest))
}

fn yaml_to_json(node: &Node) -> Value {
    match &node.value {
        yaml::Value::Sequence(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        yaml::Value::Mapping(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), yaml_to_json(&e.value)))
                .collect(),
        ),
        yaml::Value::Scalar(scalar) => match scalar.resolve() {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::from(i),
            Resolved::Float => scalar
                .text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| Value::from(scalar.text.clone())),
            Resolved::Str => Value::from(scalar.text.clone()),
        },
    }
}

/// Where the form posts: GitHub's "register an App from a manifest" page, with the state.
pub fn registration_url(github_url: &str, org: Option<&str>, state: &str) -> String {
    let base = github_url.trim_end_matches('/');
    match org {
        Some(org) => format!("{base}/organizations/{org}/settings/apps/new?state={state}"),
        None => format!("{base}/settings/apps/new?state={state}"),
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
code{background:#f3f3f3;padding:0 .2rem}button{font-size:1.1rem;padding:.5rem 1rem;cursor:pointer}\
table{border-collapse:collapse}td{padding:.1rem .8rem .1rem 0;vertical-align:top}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head>\n<body>\n<h1>{}</h1>\n{body}\n</body></html>\n",
        html_escape(title),
        html_escape(title)
    )
}

/// The start page: what will be registered, and the form that posts the manifest to GitHub.
pub fn start_page(action: &str, manifest: &Value, org: Option<&str>) -> String {
    let text = |key: &str| manifest.get(key).and_then(Value::as_str).unwrap_or("");
    let permissions: Vec<String> = manifest
        .get("default_permissions")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let events: Vec<&str> = manifest
        .get("default_events")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let owner = match org {
        Some(org) => format!("the organization <code>{}</code>", html_escape(org)),
        None => "your personal account".to_string(),
    };
    let body = format!(
        "<p>This registers relman as a GitHub App on {owner}. GitHub shows the settings below \
         for you to check (you can change the name there), then sends you back here, and \
         relman writes its settings to <code>.env</code>.</p>\n\
         <table>\n<tr><td>Name</td><td><code>{name}</code></td></tr>\n\
         <tr><td>Webhook URL</td><td><code>{hook}</code></td></tr>\n\
         <tr><td>Permissions</td><td>{permissions}</td></tr>\n\
         <tr><td>Events</td><td>{events}</td></tr>\n</table>\n\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"manifest\" value=\"{manifest_attr}\">\n\
         <p><button type=\"submit\" id=\"create\">Create the GitHub App on GitHub</button></p>\n\
         </form>\n",
        name = html_escape(text("name")),
        hook = html_escape(
            manifest
                .pointer("/hook_attributes/url")
                .and_then(Value::as_str)
                .unwrap_or("")
        ),
        permissions = html_escape(&permissions.join(", ")),
        events = html_escape(&events.join(", ")),
        action = html_escape(action),
        manifest_attr = html_escape(&manifest.to_string()),
    );
    page("Set up relman", &body)
}

/// What GitHub answers a manifest conversion with (the fields relman uses).
#[derive(Debug, Clone, Deserialize)]
pub struct Conversion {
    pub id: u64,
    #[serde(default)]
    pub slug: Option<String>,
    pub name: String,
    pub html_url: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Null when the manifest had no active webhook.
    #[serde(default)]
    pub webhook_secret: Option<String>,
    pub pem: String,
}

/// Exchanges a manifest code. The code is single-use, so the request is not retried.
pub async fn convert(api_url: &str, code: &str) -> Result<Conversion, SetupError> {
    if code.is_empty()
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(SetupError::Conversion(format!(
            "the code {code:?} is not one GitHub issues"
        )));
    }
    let octocrab = Octocrab::builder()
        .base_uri(api_url)
        .map_err(|e| SetupError::Conversion(format!("GITHUB_API_URL {api_url:?}: {e}")))?
        .build()
        .map_err(|e| SetupError::Conversion(e.to_string()))?;
    let budget = RetryBudget {
        max_attempts: 1,
        ..RetryBudget::default()
    };
    let rest = RestClient::new(octocrab, budget, None);
    let route = format!("/app-manifests/{code}/conversions");
    let response = rest
        .request(http::Method::POST, &route, None)
        .await
        .map_err(|e| match e {
            crate::github::GitHubError::NotFound { .. } => SetupError::Conversion(
                "the code is unknown or was used already (codes last an hour and work once); start again"
                    .into(),
            ),
            other => SetupError::Conversion(other.to_string()),
        })?;
    crate::github::rest::decode(&route, &response.body)
        .map_err(|e| SetupError::Conversion(e.to_string()))
}

/// A value as `.env` (dotenvy) reads it back unchanged.
fn env_value(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@+,=".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_string()
    } else if !value.contains('\'') && !value.contains('\n') {
        format!("'{value}'")
    } else {
        let mut out = String::from("\"");
        for c in value.chars() {
            match c {
                '"' | '\\' | '$' => {
                    out.push('\\');
                    out.push(c);
                }
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

/// The `.env` text for a converted App whose key is at `key_path`.
pub fn env_file_contents(
    conversion: &Conversion,
    key_path: &Path,
    api_url: &str,
    today: chrono::NaiveDate,
) -> String {
    let mut lines = vec![
        format!(
            "# relman's settings, written by `relman setup` on {today} for the GitHub App {:?} ({}).",
            conversion.name, conversion.html_url
        ),
        "# `relman serve` reads this file; a flag or an environment variable overrides a line here."
            .to_string(),
        format!("APP_ID={}", conversion.id),
        format!(
            "PRIVATE_KEY_PATH={}",
            env_value(&key_path.display().to_string())
        ),
    ];
    if let Some(secret) = &conversion.webhook_secret {
        lines.push(format!("WEBHOOK_SECRET={}", env_value(secret)));
    }
    if let Some(id) = &conversion.client_id {
        lines.push(format!("GITHUB_CLIENT_ID={}", env_value(id)));
    }
    if let Some(secret) = &conversion.client_secret {
        lines.push(format!("GITHUB_CLIENT_SECRET={}", env_value(secret)));
    }
    if api_url.trim_end_matches('/') != crate::config::settings::DEFAULT_GITHUB_API_URL {
        lines.push(format!("GITHUB_API_URL={}", env_value(api_url)));
    }
    lines.join("\n") + "\n"
}

/// Writes `contents` to `path` readable by its owner only, replacing it in one step (a
/// temporary file beside it, renamed over it).
fn write_private(path: &Path, contents: &[u8]) -> Result<(), SetupError> {
    let err = |source| SetupError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "relman".into());
    let tmp = path.with_file_name(format!(".{file_name}.relman-setup.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        // An older temporary file may have been made with looser permissions.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Writes the key file and `.env` for a converted App.
pub fn write_settings(
    options: &SetupOptions,
    conversion: &Conversion,
    today: chrono::NaiveDate,
) -> Result<(), SetupError> {
    // Checked again: a file may have appeared while the person was on GitHub.
    options.refuse_overwrite()?;
    write_private(&options.key_file, conversion.pem.as_bytes())?;
    // `.env` may be read from another directory (or by a service manager): the key's path is
    // written absolute.
    let key_path = std::path::absolute(&options.key_file).map_err(|source| SetupError::Write {
        path: options.key_file.clone(),
        source,
    })?;
    let env = env_file_contents(conversion, &key_path, &options.api_url, today);
    write_private(&options.env_file, env.as_bytes())
}

/// What a finished setup registered.
#[derive(Debug, Clone)]
pub struct Registered {
    pub conversion: Conversion,
    /// Where to install the App.
    pub install_url: String,
}

struct Shared {
    options: SetupOptions,
    state: String,
    /// Taken by the callback that finishes the setup.
    done: Mutex<Option<oneshot::Sender<Registered>>>,
}

/// A running setup page.
pub struct SetupServer {
    pub addr: SocketAddr,
    /// This run's `state` (tests read it; the page carries it).
    pub state: String,
    done: oneshot::Receiver<Registered>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl SetupServer {
    /// Validates the options and starts serving the page.
    pub async fn start(options: SetupOptions) -> Result<SetupServer, SetupError> {
        options.validate()?;
        // Fails early on a manifest that does not build, rather than on the page.
        manifest_json(&options.webhook_url, "http://127.0.0.1/callback", None)?;
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| SetupError::Bind {
                addr: options.listen,
                source,
            })?;
        let addr = listener.local_addr().unwrap_or(options.listen);
        // 256 random bits: the answer GitHub sends back must carry it.
        let state = {
            use rand::Rng;
            let bytes: [u8; 32] = rand::rng().random();
            hex::encode(bytes)
        };
        let (tx, rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            options,
            state: state.clone(),
            done: Mutex::new(Some(tx)),
        });
        let app = axum::Router::new()
            .route("/", get(start_handler))
            .route("/callback", get(callback_handler))
            .with_state(shared);
        let stop = CancellationToken::new();
        let serve_stop = stop.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(serve_stop.cancelled_owned())
                .await;
        });
        Ok(SetupServer {
            addr,
            state,
            done: rx,
            stop,
            task,
        })
    }

    /// Waits until GitHub sent the browser back and the settings are written, or `shutdown`.
    pub async fn finish(self, shutdown: CancellationToken) -> Result<Registered, SetupError> {
        let outcome = tokio::select! {
            registered = self.done => registered.map_err(|_| SetupError::Stopped),
            _ = shutdown.cancelled() => Err(SetupError::Stopped),
        };
        // The browser has its answer page already; the server can go.
        self.stop.cancel();
        let _ = self.task.await;
        outcome
    }
}

/// Where GitHub sends the browser back: the address the person opened the page with (so it
/// also works through an SSH tunnel or on another host), else the listening address.
fn callback_url(headers: &HeaderMap, listen: SocketAddr) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map(str::to_string)
        .unwrap_or_else(|| listen.to_string());
    format!("http://{host}/callback")
}

async fn start_handler(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> (StatusCode, Html<String>) {
    let options = &shared.options;
    let redirect = callback_url(&headers, options.listen);
    match manifest_json(&options.webhook_url, &redirect, options.app_name.as_deref()) {
        Ok(manifest) => {
            let action =
                registration_url(&options.github_url, options.org.as_deref(), &shared.state);
            (
                StatusCode::OK,
                Html(start_page(&action, &manifest, options.org.as_deref())),
            )
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Html(page(
                "relman setup failed",
                &format!("<p>{}</p>", html_escape(&e.to_string())),
            )),
        ),
    }
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
}

async fn callback_handler(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<CallbackQuery>,
) -> (StatusCode, Html<String>) {
    use subtle::ConstantTimeEq;
    let failed = |status: StatusCode, message: String| {
        (
            status,
            Html(page(
                "relman setup failed",
                &format!(
                    "<p>{}</p>\n<p><a href=\"/\">Start again</a></p>",
                    html_escape(&message)
                ),
            )),
        )
    };
    let state_ok = query
        .state
        .as_deref()
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(shared.state.as_bytes())));
    if !state_ok {
        tracing::warn!("setup callback with a state that is not this run's: refused");
        return failed(
            StatusCode::BAD_REQUEST,
            "This answer does not belong to this setup (its state does not match), so it was not used."
                .into(),
        );
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return failed(
            StatusCode::BAD_REQUEST,
            "GitHub sent no code: the App was not registered.".into(),
        );
    };
    // One callback at a time; the first that succeeds ends the setup.
    let mut done = shared.done.lock().await;
    if done.is_none() {
        return failed(
            StatusCode::CONFLICT,
            "This setup is finished already; see the terminal where `relman setup` ran.".into(),
        );
    }
    let options = &shared.options;
    let conversion = match convert(&options.api_url, &code).await {
        Ok(c) => c,
        Err(e) => return failed(StatusCode::BAD_GATEWAY, e.to_string()),
    };
    if let Err(e) = write_settings(options, &conversion, chrono::Utc::now().date_naive()) {
        return failed(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "GitHub registered the App {} ({}), but {e}. Its settings are on GitHub; fix this and run setup again, or write .env by hand.",
                conversion.name, conversion.html_url
            ),
        );
    }
    let install_url = format!(
        "{}/installations/new",
        conversion.html_url.trim_end_matches('/')
    );
    let body = format!(
        "<p>GitHub registered the App <a href=\"{html}\">{name}</a> (id {id}). relman wrote its \
         settings to <code>{env}</code> and its private key to <code>{key}</code>.</p>\n\
         <p><a id=\"install\" href=\"{install}\">Install the App</a> on the repositories it \
         should run, then start relman with <code>relman serve</code>.</p>\n",
        html = html_escape(&conversion.html_url),
        name = html_escape(&conversion.name),
        id = conversion.id,
        env = html_escape(&options.env_file.display().to_string()),
        key = html_escape(&options.key_file.display().to_string()),
        install = html_escape(&install_url),
    );
    tracing::info!(app_id = conversion.id, app = %conversion.name, "GitHub App registered");
    if let Some(tx) = done.take() {
        let _ = tx.send(Registered {
            conversion,
            install_url,
        });
    }
    (StatusCode::OK, Html(page("relman is registered", &body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_the_file_with_the_users_addresses() {
        let m = manifest_json(
            "https://relman.acme.dev/api/github/webhooks",
            "http://127.0.0.1:3000/callback",
            Some("relman-acme"),
        )
        .unwrap();
        assert_eq!(m["name"], "relman-acme");
        assert_eq!(
            m["hook_attributes"]["url"],
            "https://relman.acme.dev/api/github/webhooks"
        );
        assert_eq!(m["hook_attributes"]["active"], true);
        assert_eq!(m["redirect_url"], "http://127.0.0.1:3000/callback");
        assert_eq!(
            m["callback_urls"],
            serde_json::json!(["https://relman.acme.dev/"])
        );
        assert_eq!(m["public"], false);
        assert_eq!(m["default_permissions"]["contents"], "write");
        assert!(
            m["default_events"]
                .as_array()
                .unwrap()
                .contains(&Value::from("issue_comment"))
        );
        assert!(!m.to_string().contains("relman.example.com"), "{m}");
    }

    #[test]
    fn github_enterprise_has_its_api_under_api_v3() {
        assert_eq!(api_url_for("https://github.com/"), "https://api.github.com");
        assert_eq!(
            api_url_for("https://ghe.acme.dev"),
            "https://ghe.acme.dev/api/v3"
        );
        assert_eq!(
            registration_url("https://ghe.acme.dev/", Some("acme"), "s1"),
            "https://ghe.acme.dev/organizations/acme/settings/apps/new?state=s1"
        );
        assert_eq!(
            registration_url("https://github.com", None, "s1"),
            "https://github.com/settings/apps/new?state=s1"
        );
    }

    #[test]
    fn env_values_read_back_as_written() {
        for value in [
            "plain-value_1.2",
            "/home/a b/key.pem",
            "it's \"quoted\" $HOME \\ x",
            "",
        ] {
            let text = format!("K={}\n", env_value(value));
            let read: Vec<(String, String)> = dotenvy::from_read_iter(text.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(read, [("K".to_string(), value.to_string())], "{text}");
        }
    }

    #[test]
    fn the_page_escapes_the_manifest_into_the_form() {
        let manifest =
            serde_json::json!({"name": "a\"<b>", "hook_attributes": {"url": "https://x/"}});
        let html = start_page(
            "https://github.com/settings/apps/new?state=s",
            &manifest,
            None,
        );
        assert!(html.contains(
            "value=\"{&quot;hook_attributes&quot;:{&quot;url&quot;:&quot;https://x/&quot;},&quot;name&quot;:&quot;a\\&quot;&lt;b&gt;&quot;}\""
        ), "{html}");
        assert!(!html.contains("<b>"));
    }
}
