//! `relman serve`: the store, the inbox writer, workers, the scheduler and the HTTP server,
//! started together and stopped together.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SystemClock};
use crate::config::settings::Settings;
use crate::github::app::GitHubApp;
use crate::github::rest::{RetryBudget, WriteRecorder};
use crate::handlers::context::Context;
use crate::handlers::dispatch::Dispatcher;
use crate::inbox::scheduler::run_scheduler;
use crate::inbox::worker::{WorkerConfig, spawn_workers};
use crate::inbox::writer::InboxWriter;
use crate::server::{AppState, router};
use crate::store::{Backend, Store};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("database {url}: {source}")]
    Store {
        url: String,
        source: crate::store::StoreError,
    },
    #[error("GitHub App: {0}")]
    GitHub(#[from] crate::github::GitHubError),
    // `error` is not a `source`: the message says it already, and `{:#}` would say it twice.
    #[error("cannot listen on {addr} (HOST / --host, PORT / --port): {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("server error: {0}")]
    Server(std::io::Error),
}

/// Hides the password of a database URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Refuses a private key file that every user of the machine may read (`mode & 0o004`): the key
/// is the App's identity on every installation. One line, naming the file and the fix.
pub fn check_private_key_file(path: &std::path::Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A file that cannot be read is reported by the settings, which read it next.
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if world_readable(mode) {
                return Err(format!(
                    "PRIVATE_KEY_PATH (--private-key-path): {} is readable by every user (mode {mode:o}); run `chmod 600 {}` and start again",
                    path.display(),
                    path.display()
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn world_readable(mode: u32) -> bool {
    mode & 0o004 != 0
}

/// Runs until SIGTERM/SIGINT (or `shutdown` is cancelled), then drains and returns.
pub async fn serve(settings: Settings, shutdown: CancellationToken) -> Result<(), ServeError> {
    serve_with_clock(settings, Arc::new(SystemClock), shutdown).await
}

/// [`serve`] on a clock of the caller's (`relman demo` plays release days in a few seconds).
pub async fn serve_with_clock(
    settings: Settings,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    // Said first, so that a failure to connect below still shows what relman was pointed at.
    tracing::info!(
        store = %redact_url(&settings.database_url),
        api = %settings.github_api_url,
        app_id = settings.app.app_id,
        workers = settings.workers,
        dry_run = settings.dry_run,
        "starting relman"
    );
    let store = Store::connect(&settings.database_url)
        .await
        .map_err(|source| ServeError::Store {
            url: redact_url(&settings.database_url),
            source,
        })?;
    crate::server::metrics::handle();

    let recorder: Option<Arc<dyn WriteRecorder>> = settings
        .dry_run
        .then(|| Arc::new(store.clone()) as Arc<dyn WriteRecorder>);
    let github = Arc::new(GitHubApp::new(
        &settings.app,
        &settings.github_api_url,
        RetryBudget::default(),
        recorder,
    )?);

    // This process owns its SQLite file: whoever held a lease in it is gone (a crash, `kill -9`),
    // so its items go back to their queues now rather than when their leases run out.
    if store.backend() == Backend::Sqlite {
        match store.take_back_leases().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(items = n, "took back the leases of a previous run"),
            Err(e) => {
                tracing::warn!(error = %e, "could not take back the leases of a previous run; they will run out")
            }
        }
    }
    let stored = Arc::new(Notify::new());
    let (writer, writer_task) = InboxWriter::spawn(store.clone(), clock.clone(), stored.clone());

    let dispatcher = Arc::new(Dispatcher {
        ctx: Context::new(github, store.clone(), clock.clone()),
    });
    let workers_stop = CancellationToken::new();
    // Workers share ingress's writer: on SQLite their claims and outcomes join its group
    // commits instead of competing with it for the database's one write lock.
    let mut workers = spawn_workers(
        writer.clone(),
        dispatcher,
        clock.clone(),
        stored,
        WorkerConfig {
            workers: settings.workers,
            lease: settings.lease,
            ..WorkerConfig::default()
        },
        workers_stop.clone(),
    );
    // Webhooks GitHub could not deliver while relman was down are asked for again: once now,
    // over a long window, then periodically (src/redeliver.rs).
    if let Err(e) = writer
        .enqueue(crate::redeliver::startup_job(clock.now()).into_item())
        .await
    {
        tracing::warn!(error = %e, "could not schedule the start-up redelivery check");
    }
    let scheduler = tokio::spawn(run_scheduler(
        writer.clone(),
        clock.clone(),
        // The release train's tick runs at start-up too (the first tick is immediate), which
        // catches up on release days missed while relman was down.
        vec![
            crate::handlers::train::tracking::periodic(),
            crate::handlers::environments::poll_periodic(),
            crate::redeliver::periodic(),
        ],
        Duration::from_secs(30),
        workers_stop.clone(),
    ));

    let state = AppState {
        secrets: settings.webhook_secrets.clone().into(),
        writer,
        store: store.clone(),
    };
    // The release board, when "Sign in with GitHub" is set up; kept out of `AppState`, which
    // holds no GitHub client of any kind.
    let board = settings.board.as_ref().map(|b| {
        crate::board::Board::new(b, &settings.github_api_url, store.clone(), clock.clone())
    });
    let app = router(state, &settings.webhook_path).merge(crate::board::router(board));
    let addr = SocketAddr::new(settings.host, settings.port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| ServeError::Bind { addr, error })?;
    let local = listener.local_addr().unwrap_or(addr);
    tracing::info!(address = %local, webhook_path = %settings.webhook_path, "listening");

    let stop = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        stop.cancel();
    });

    // Stop accepting first; requests already in flight finish (their deliveries are stored).
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await;
    tracing::info!("no longer accepting webhooks; finishing claimed work");

    workers_stop.cancel();
    while workers.join_next().await.is_some() {}
    let _ = scheduler.await;
    // The router (and with it the last writer handle) is gone: the writer drains and ends.
    let _ = writer_task.await;
    store.close().await;
    tracing::info!("stopped");
    served.map_err(ServeError::Server)
}

/// Until Ctrl-C (SIGINT) or SIGTERM (what `kill`, `timeout`, systemd and Kubernetes send).
pub async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::{redact_url, world_readable};

    #[test]
    fn only_keys_others_may_read_are_refused() {
        for mode in [0o600, 0o400, 0o640, 0o660, 0o700] {
            assert!(!world_readable(mode), "{mode:o}");
        }
        for mode in [0o644, 0o604, 0o666, 0o777] {
            assert!(world_readable(mode), "{mode:o}");
        }
    }

    #[test]
    fn database_passwords_never_reach_logs() {
        assert_eq!(
            redact_url("postgres://relman:hunter2@db:5432/relman"),
            "postgres://relman:***@db:5432/relman"
        );
        assert_eq!(redact_url("sqlite://relman.db"), "sqlite://relman.db");
    }
}
