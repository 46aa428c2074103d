//! Headless Chromium for browser tests (Debian's `chromium` and `chromium-driver`, driven
//! through WebDriver). Without them a test says so and does nothing, except under `CI=true`,
//! where their absence is a failure: a browser test never passes by pretending.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use super::free_port;

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver, stopped when dropped.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A headless Chromium session (with `args` added to the usual headless ones) and the
/// chromedriver behind it, or `None` after saying why when they are not installed; under
/// `CI=true` that is a failure. `what` names what was to be tried in the browser.
pub async fn chromium(what: &str, args: &[&str]) -> Option<(Client, Driver)> {
    let (Some(chromedriver), Some(chromium)) = (on_path("chromedriver"), on_path("chromium"))
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium and chromedriver are not installed, so {what} cannot be tried in a browser (.ci/run installs them: apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "not run: {what} was not tried in a browser: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = free_port();
    let driver = Driver(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", chromedriver.display())),
    );
    wait_for_port(port, "chromedriver").await;
    let mut chrome_args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
    ];
    chrome_args.extend_from_slice(args);
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": chrome_args }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session through chromedriver");
    Some((client, driver))
}

/// Waits until something listens on `port` (20 s at most).
pub async fn wait_for_port(port: u16, what: &str) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not listen on port {port}");
}
