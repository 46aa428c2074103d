//! The offline commands and `relman demo` as processes: what they answer when something is
//! missing or mistyped, and that they leave nothing behind.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use relman::store::Store;

use crate::support::{free_port, lines_of};

/// `relman ARGS` in `dir` (so no `.env` of the developer's is read), without the settings'
/// environment variables.
fn relman(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_relman"));
    command.current_dir(dir).args(args);
    for var in [
        "APP_ID",
        "PRIVATE_KEY",
        "PRIVATE_KEY_PATH",
        "GITHUB_API_URL",
        "DATABASE_URL",
        "RELMAN_DRY_RUN",
        "LOG_FORMAT",
    ] {
        command.env_remove(var);
    }
    command
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = relman(dir, args).output().unwrap();
    (
        status.code(),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

#[test]
fn the_store_readers_never_create_a_store() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["stats", "--repo", "acme/web"][..],
        &["audit", "--repo", "acme/web"],
        &["inbox", "list"],
        &["inbox", "retry", "1"],
        &["calendar-url", "--repo", "acme/web"],
    ] {
        let (code, _, stderr) = run(dir.path(), args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: no database at relman.db (sqlite://relman.db)"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("--database-url or DATABASE_URL"),
            "{stderr}"
        );
        assert!(!dir.path().join("relman.db").exists(), "{args:?}");
    }
    let elsewhere = dir.path().join("elsewhere.db");
    let url = format!("sqlite://{}", elsewhere.display());
    let (code, _, stderr) = run(
        dir.path(),
        &["stats", "--repo", "acme/web", "--database-url", &url],
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(&elsewhere.display().to_string()),
        "{stderr}"
    );
    assert!(!elsewhere.exists());
}

#[tokio::test]
async fn a_repository_the_store_does_not_hold_is_named_with_the_ones_it_does() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("relman.db").display());
    let store = Store::connect(&url).await.unwrap();
    for repo in ["acme/web", "acme/api"] {
        store
            .save_repo_config(repo, false, "{}", None, 1_764_000_000_000)
            .await
            .unwrap();
    }
    store.close().await;

    for command in ["stats", "audit"] {
        let (code, stdout, stderr) = run(
            dir.path(),
            &[command, "--repo", "acme/wbe", "--database-url", &url],
        );
        assert_eq!(code, Some(1), "{command}: {stdout}{stderr}");
        assert_eq!(
            stderr, "error: no repository acme/wbe in the store (known: acme/api, acme/web)\n",
            "{command}"
        );
        assert!(stdout.is_empty(), "{command}: {stdout}");
        // GitHub's names ignore case; the store's spelling is used.
        let (code, _, stderr) = run(
            dir.path(),
            &[command, "--repo", "ACME/Web", "--database-url", &url],
        );
        assert_eq!(code, Some(0), "{command}: {stderr}");
    }
}

#[test]
fn calendar_lists_only_its_own_flags_and_names_the_date_format() {
    let dir = tempfile::tempdir().unwrap();
    let (code, help, _) = run(dir.path(), &["calendar", "--help"]);
    assert_eq!(code, Some(0));
    for flag in [
        "--config",
        "--repo",
        "--repo-name",
        "--from",
        "--format",
        "--app-id",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
    for server_flag in [
        "--webhook-secret",
        "--webhook-path",
        "--workers",
        "--lease-seconds",
        "--database-url",
        "--port",
        "--host",
        "--log-level",
        "--dry-run",
        "--dev",
    ] {
        assert!(!help.contains(server_flag), "{server_flag} in:\n{help}");
    }

    let config = dir.path().join("relman.yml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/relman.yml"),
        &config,
    )
    .unwrap();
    let config = config.display().to_string();
    let (code, _, stderr) = run(
        dir.path(),
        &["calendar", "--config", &config, "--from", "12/15/2026"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("YYYY-MM-DD"), "{stderr}");
    let (code, stdout, stderr) = run(
        dir.path(),
        &[
            "calendar",
            "--config",
            &config,
            "--from",
            "2026-12-15",
            "--count",
            "2",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("2027-"), "{stdout}");
}

#[test]
fn an_ics_calendar_is_named_after_its_repository() {
    let dir = tempfile::tempdir().unwrap();
    let github = dir.path().join(".github");
    std::fs::create_dir(&github).unwrap();
    let config = github.join("relman.yml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/relman.yml"),
        &config,
    )
    .unwrap();
    let config = config.display().to_string();
    let ics = [
        "calendar", "--config", &config, "--format", "ics", "--count", "1",
    ];

    // Not a git checkout: the name must be given.
    let (code, stdout, stderr) = run(dir.path(), &ics);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stderr.contains("--repo-name owner/name"), "{stderr}");
    let (code, stdout, stderr) = run(
        dir.path(),
        &[&ics[..], &["--repo-name", "acme/web"]].concat(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("acme/web"), "{stdout}");
    assert!(!stdout.contains("local/repo"), "{stdout}");

    // A checkout whose origin is on GitHub names it.
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("git is needed by this test (and by relman's build)");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["remote", "add", "origin", "git@github.com:acme/shop.git"]);
    let (code, stdout, stderr) = run(dir.path(), &ics);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("acme/shop"), "{stdout}");
}

#[test]
fn calendar_from_a_repository_says_which_settings_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(dir.path(), &["calendar", "--repo", "acme/web"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for needed in ["APP_ID", "PRIVATE_KEY_PATH", "--config", "GitHub App"] {
        assert!(stderr.contains(needed), "{needed} missing: {stderr}");
    }
}

/// `relman demo` with its temporary directory under `tmp`.
fn demo(tmp: &Path, port: u16, control_port: u16) -> Command {
    let mut command = relman(
        tmp,
        &[
            "demo",
            "--port",
            &port.to_string(),
            "--control-port",
            &control_port.to_string(),
        ],
    );
    // As a person runs it, not under `cargo run` (which sets CARGO).
    command.env("TMPDIR", tmp).env_remove("CARGO");
    command
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_demo_port_in_use_is_one_plain_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = demo(tmp.path(), port, free_port()).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("port {port} ")), "{stderr}");
    assert!(stderr.contains("--port PORT"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "raw colour codes: {stderr:?}");
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}

#[test]
fn the_demo_stops_on_sigterm_and_removes_what_it_made() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = demo(tmp.path(), free_port(), free_port())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines_of(child.stdout.take().unwrap());
    // A bound on a hang, not a timing assertion.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut printed = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let done = line.contains("demo comment");
                printed.push(line);
                if done {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let printed = printed.join("\n");
    let command = printed
        .lines()
        .find(|l| l.contains("demo comment"))
        .unwrap_or_else(|| panic!("the demo did not reach its end:\n{printed}"));
    assert!(
        command
            .trim_start()
            .starts_with(env!("CARGO_BIN_EXE_relman")),
        "{command}"
    );
    assert!(printed.contains("👀 reacts eyes"), "{printed}");
    assert!(printed.contains("😕 reacts confused"), "{printed}");
    assert!(!printed.contains("👍 reacts confused"), "{printed}");
    assert_eq!(entries(tmp.path()).len(), 1, "its database directory");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("relman demo ignored SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}
