//! Real `relman serve` processes against the fake GitHub, for the tests that kill them.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use github_sim::GitHubSim;

pub use super::free_port;

/// The webhook secret the processes are started with.
pub const SECRET: &str = "kill-test-secret";

/// `relman serve` on `port` with `workers` workers and a 60 s lease.
pub fn spawn_relman(sim: &GitHubSim, db_url: &str, port: u16, workers: usize) -> Child {
    Command::new(env!("CARGO_BIN_EXE_relman"))
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--workers",
            &workers.to_string(),
        ])
        .env_clear()
        .env("APP_ID", github_sim::APP_ID.to_string())
        .env("PRIVATE_KEY", github_sim::PRIVATE_KEY_PKCS8_PEM)
        .env("WEBHOOK_SECRET", SECRET)
        .env("GITHUB_API_URL", sim.api_url())
        .env("DATABASE_URL", db_url)
        .env("RELMAN_LEASE_SECONDS", "60")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Polls `check` until it holds; fails the test after `limit`.
pub async fn wait_for_at_most(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// As [`wait_for_at_most`], 30 s.
pub async fn wait_for(what: &str, check: impl AsyncFnMut() -> bool) {
    wait_for_at_most(Duration::from_secs(30), what, check).await
}

/// Whether the process on `port` answers its load balancer's heartbeat.
pub async fn healthy(port: u16) -> bool {
    let url = format!("http://127.0.0.1:{port}/__lbheartbeat__");
    let client = relman::replay::client();
    match url.parse::<http::Uri>() {
        Ok(uri) => client.get(uri).await.is_ok_and(|r| r.status() == 200),
        Err(_) => false,
    }
}
