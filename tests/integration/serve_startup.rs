//! `relman serve` as a process: it says at start which store, which GitHub API and which App it
//! uses, and refuses, in one line with exit code 2, a private key file every user may read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `relman serve` in `dir` (so no `.env` of the developer's is read) with none of the settings'
/// environment variables.
fn serve(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_relman"));
    command.current_dir(dir).arg("serve");
    for var in [
        "APP_ID",
        "PRIVATE_KEY",
        "PRIVATE_KEY_PATH",
        "WEBHOOK_SECRET",
        "WEBHOOK_PATH",
        "HOST",
        "PORT",
        "GITHUB_API_URL",
        "DATABASE_URL",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "RELMAN_WORKERS",
        "RELMAN_DRY_RUN",
    ] {
        command.env_remove(var);
    }
    command
}

fn key_file(dir: &Path, mode: u32) -> std::path::PathBuf {
    let path = dir.join("app.pem");
    std::fs::write(&path, github_sim::PRIVATE_KEY_PKCS1_PEM).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn a_private_key_every_user_can_read_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), 0o644);
    let db = dir.path().join("relman.db");
    let output = serve(dir.path())
        .args(["--app-id", "42", "--webhook-secret", "s3cret"])
        .arg("--private-key-path")
        .arg(&key)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PRIVATE_KEY_PATH"), "{stderr}");
    assert!(
        stderr.contains(&format!("chmod 600 {}", key.display())),
        "{stderr}"
    );
    assert!(!db.exists(), "nothing starts before the check");

    // Owner-only (and group-readable, as a Kubernetes Secret mounts it) passes that check:
    // start-up goes on to the next problem, here a port that is no port.
    for mode in [0o600, 0o440] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        let output = serve(dir.path())
            .args([
                "--app-id",
                "42",
                "--webhook-secret",
                "s3cret",
                "--port",
                "x",
            ])
            .arg("--private-key-path")
            .arg(&key)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr.starts_with("error: PORT (--port)"), "{stderr}");
    }
}

#[test]
fn start_up_names_the_store_the_api_and_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), 0o600);
    let db = dir.path().join("relman.db");
    let mut child = serve(dir.path())
        .args([
            "--app-id",
            "4242",
            "--webhook-secret",
            "s3cret",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--workers",
            "0",
            "--log-format",
            "json",
            // Nothing listens there: relman must not need GitHub to start.
            "--github-api-url",
            "http://127.0.0.1:9/api/v3",
        ])
        .arg("--private-key-path")
        .arg(&key)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let rx = crate::support::lines_of(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut starting = None;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if line.contains("starting relman") {
                    starting = Some(line.clone());
                }
                let listening = line.contains("\"listening\"");
                seen.push(line);
                if listening {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let starting = starting.unwrap_or_else(|| panic!("no start-up line in {seen:#?}"));
    let fields: serde_json::Value = serde_json::from_str(&starting).unwrap();
    assert_eq!(fields["level"], "INFO");
    assert_eq!(fields["store"], format!("sqlite://{}", db.display()));
    assert_eq!(fields["api"], "http://127.0.0.1:9/api/v3");
    assert_eq!(fields["app_id"], 4242);
    assert!(
        seen.iter().any(|l| l.contains("\"listening\"")),
        "{seen:#?}"
    );
}
