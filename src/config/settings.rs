//! Process settings: what `relman serve` needs to run, from flags, the environment and `.env`.
//!
//! The names are Probot's (`APP_ID`, `PRIVATE_KEY`, `WEBHOOK_SECRET`, …) so a team moving from a
//! Probot app keeps its deployment configuration. clap reads flags and environment variables as
//! plain strings; [`Settings::from_raw`] turns them into typed values so that every problem is
//! reported as one line naming the setting, never as a panic or a usage dump.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;

/// A webhook secret. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The raw flags/environment of `relman serve`, before validation.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// The GitHub App: its id, key and REST base.
    #[command(flatten)]
    pub app: AppArgs,
    /// HMAC secret(s) for webhook signatures; comma-separated to accept several during rotation.
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Route that receives GitHub webhooks.
    #[arg(long, env = "WEBHOOK_PATH")]
    pub webhook_path: Option<String>,
    /// Listen address.
    #[arg(long, env = "HOST")]
    pub host: Option<String>,
    /// Listen port.
    #[arg(long, env = "PORT")]
    pub port: Option<String>,
    /// `sqlite://FILE` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Log level or tracing filter (`info`, `relman=debug,info`).
    #[arg(long, env = "LOG_LEVEL")]
    pub log_level: Option<String>,
    /// `pretty` or `json`.
    #[arg(long, env = "LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Worker tasks processing the inbox (0: accept and store only, e.g. an ingress-only replica).
    #[arg(long, env = "RELMAN_WORKERS")]
    pub workers: Option<String>,
    /// Seconds a worker's claim on an item lasts before another may take it over (renewed while
    /// the item runs; it only matters when a process dies).
    #[arg(long, env = "RELMAN_LEASE_SECONDS")]
    pub lease_seconds: Option<String>,
    /// Read from GitHub for real but log and record every write instead of sending it.
    #[arg(long, env = "RELMAN_DRY_RUN")]
    pub dry_run: bool,
    /// The release board's "Sign in with GitHub": the App's OAuth client id (`relman setup`
    /// writes it). Without it and the secret the board is off.
    #[arg(long, env = "GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,
    /// The App's OAuth client secret.
    #[arg(long, env = "GITHUB_CLIENT_SECRET", hide_env_values = true)]
    pub github_client_secret: Option<String>,
    /// Key of the board's session cookies (at least 32 characters). Unset: derived from the
    /// first webhook secret, so rotating that secret signs everyone out.
    #[arg(long, env = "RELMAN_SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,
    /// Who may sign in to the board: comma-separated organisations or `org/team` slugs. Unset:
    /// anyone who can read a repository relman is installed on.
    #[arg(long, env = "RELMAN_DASHBOARD_TEAMS")]
    pub dashboard_teams: Option<String>,
    /// Where people reach relman, e.g. https://relman.example.com: the OAuth callback is
    /// `<url>/login/callback`, and cookies are `Secure` when it is https. Unset: the request's
    /// `Host`, over http.
    #[arg(long, env = "RELMAN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Development mode: an in-process fake GitHub, SQLite `relman-dev.db`, webhook secret
    /// `development`. No GitHub App needed.
    #[arg(long)]
    pub dev: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The GitHub App credentials.
#[derive(Clone)]
pub struct AppCredentials {
    pub app_id: u64,
    pub private_key_pem: String,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// Validated settings of `relman serve`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub app: AppCredentials,
    pub webhook_secrets: Vec<Secret>,
    pub webhook_path: String,
    pub host: IpAddr,
    pub port: u16,
    pub github_api_url: String,
    pub database_url: String,
    pub log_level: String,
    pub log_format: LogFormat,
    pub workers: usize,
    pub lease: std::time::Duration,
    pub dry_run: bool,
    /// The release board; None (the board is off) without OAuth settings.
    pub board: Option<BoardSettings>,
}

/// The release board's settings: "Sign in with GitHub" and its sessions.
#[derive(Clone)]
pub struct BoardSettings {
    pub client_id: String,
    pub client_secret: Secret,
    /// 64 bytes: the cookie jar's signing and encryption keys.
    pub session_key: [u8; 64],
    /// `org` or `org/team` slugs; empty: no allow-list.
    pub teams: Vec<String>,
    /// Without a trailing slash.
    pub public_url: Option<String>,
}

impl fmt::Debug for BoardSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoardSettings")
            .field("client_id", &self.client_id)
            .field("teams", &self.teams)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// The domain-separation label of the session key: the same secret used elsewhere (the webhook
/// HMAC) never yields the same key bytes here.
const SESSION_KEY_LABEL: &[u8] = b"relman/board/session-cookies/v1";

/// The cookie key from `RELMAN_SESSION_KEY`, or from the first webhook secret when unset:
/// HMAC-SHA512(secret, label), 64 bytes.
pub fn session_key(secret: &[u8]) -> [u8; 64] {
    use hmac::{Hmac, Mac};
    let mut out = [0u8; 64];
    // HMAC takes keys of any length, so this cannot fail; the zero key is never reached.
    if let Ok(mut mac) = Hmac::<sha2::Sha512>::new_from_slice(secret) {
        mac.update(SESSION_KEY_LABEL);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

fn board_settings(
    raw: &ServeArgs,
    webhook_secrets: &[Secret],
) -> Result<Option<BoardSettings>, SettingError> {
    let id = present(raw.github_client_id.as_deref());
    let secret = present(raw.github_client_secret.as_deref());
    let (client_id, client_secret) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id.to_string(), Secret::new(secret)),
        (Some(_), None) => {
            return Err(bad(
                "GITHUB_CLIENT_SECRET (--github-client-secret)",
                "is required with GITHUB_CLIENT_ID: the App's client secret (the release board signs people in with it)",
            ));
        }
        (None, Some(_)) => {
            return Err(bad(
                "GITHUB_CLIENT_ID (--github-client-id)",
                "is required with GITHUB_CLIENT_SECRET: the App's client id",
            ));
        }
    };
    let session_key = match present(raw.session_key.as_deref()) {
        Some(key) if key.len() < 32 => {
            return Err(bad(
                "RELMAN_SESSION_KEY (--session-key)",
                format!(
                    "must be at least 32 characters, got {}; `openssl rand -hex 32` makes one",
                    key.len()
                ),
            ));
        }
        Some(key) => session_key(key.as_bytes()),
        None => session_key(webhook_secrets.first().map_or(&[][..], Secret::expose)),
    };
    let teams = present(raw.dashboard_teams.as_deref())
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if let Some(slug) = teams.iter().find(|slug| {
        let parts: Vec<&str> = slug.split('/').collect();
        parts.len() > 2 || parts.iter().any(|p| p.is_empty())
    }) {
        return Err(bad(
            "RELMAN_DASHBOARD_TEAMS (--dashboard-teams)",
            format!("must list organisations or org/team slugs, got {slug:?}"),
        ));
    }
    let public_url = match present(raw.public_url.as_deref()) {
        None => None,
        Some(url) => {
            let url = url.trim_end_matches('/');
            match url.parse::<http::Uri>() {
                Ok(uri)
                    if matches!(uri.scheme_str(), Some("http" | "https"))
                        && uri.host().is_some() =>
                {
                    Some(url.to_string())
                }
                _ => {
                    return Err(bad(
                        "RELMAN_PUBLIC_URL (--public-url)",
                        format!(
                            "must be an http(s) URL such as https://relman.example.com, got {url:?}"
                        ),
                    ));
                }
            }
        }
    };
    Ok(Some(BoardSettings {
        client_id,
        client_secret,
        session_key,
        teams,
        public_url,
    }))
}

pub const DEFAULT_WEBHOOK_PATH: &str = "/api/github/webhooks";
pub const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://relman.db";
pub const DEFAULT_WORKERS: usize = 4;

/// One bad setting: which one, and what is wrong, in a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct SettingError {
    /// The environment name and flag, e.g. `APP_ID (--app-id)`.
    pub setting: &'static str,
    pub problem: String,
}

fn bad(setting: &'static str, problem: impl Into<String>) -> SettingError {
    SettingError {
        setting,
        problem: problem.into(),
    }
}

/// Trims a value and treats the empty string as absent: `APP_ID=` in a `.env` means "not set".
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl Settings {
    /// Validates the raw values. `read_file` is how a key path is read (the real file system in
    /// production; tests pass a closure).
    pub fn from_raw(
        raw: &ServeArgs,
        read_file: impl Fn(&std::path::Path) -> std::io::Result<String>,
    ) -> Result<Settings, SettingError> {
        let (app, github_api_url) = raw.app.validate(read_file)?;
        let webhook_secrets = parse_secrets(raw.webhook_secret.as_deref())?;

        let webhook_path = present(raw.webhook_path.as_deref())
            .unwrap_or(DEFAULT_WEBHOOK_PATH)
            .to_string();
        if !webhook_path.starts_with('/') || webhook_path.contains(char::is_whitespace) {
            return Err(bad(
                "WEBHOOK_PATH (--webhook-path)",
                format!("must be a path starting with '/', got {webhook_path:?}"),
            ));
        }

        let host = present(raw.host.as_deref())
            .unwrap_or("0.0.0.0")
            .parse::<IpAddr>()
            .map_err(|_| {
                bad(
                    "HOST (--host)",
                    format!(
                        "must be an IP address such as 0.0.0.0 or 127.0.0.1, got {:?}",
                        raw.host.as_deref().unwrap_or_default()
                    ),
                )
            })?;
        let port = match present(raw.port.as_deref()) {
            None => 3000,
            Some(v) => v.parse::<u16>().map_err(|_| {
                bad(
                    "PORT (--port)",
                    format!("must be a port number 0-65535, got {v:?}"),
                )
            })?,
        };

        let database_url = present(raw.database_url.as_deref())
            .unwrap_or(DEFAULT_DATABASE_URL)
            .to_string();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "DATABASE_URL (--database-url)",
                "must start with sqlite: or postgres://",
            ));
        }

        let log_level = present(raw.log_level.as_deref())
            .unwrap_or("info")
            .to_string();
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
            return Err(bad(
                "LOG_LEVEL (--log-level)",
                format!(
                    "is not a level or filter (error, warn, info, debug, trace), got {log_level:?}"
                ),
            ));
        }
        let log_format = parse_log_format(raw.log_format.as_deref())?;

        let workers = match present(raw.workers.as_deref()) {
            None => DEFAULT_WORKERS,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 256)
                .ok_or_else(|| {
                    bad(
                        "RELMAN_WORKERS (--workers)",
                        format!("must be a number from 0 to 256, got {v:?}"),
                    )
                })?,
        };

        let lease = match present(raw.lease_seconds.as_deref()) {
            None => std::time::Duration::from_secs(60),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| {
                    bad(
                        "RELMAN_LEASE_SECONDS (--lease-seconds)",
                        format!("must be a number of seconds from 1 to 3600, got {v:?}"),
                    )
                })?,
        };

        let board = board_settings(raw, &webhook_secrets)?;

        Ok(Settings {
            board,
            app,
            webhook_secrets,
            webhook_path,
            host,
            port,
            github_api_url,
            database_url,
            log_level,
            log_format,
            workers,
            lease,
            dry_run: raw.dry_run,
        })
    }
}

/// The GitHub App's settings: part of [`ServeArgs`], and all the commands that call GitHub as
/// the App but serve nothing (`calendar --repo`, `redeliver`) take, so their `--help` lists only
/// these.
#[derive(Debug, Clone, Default, Args)]
pub struct AppArgs {
    /// GitHub App id.
    #[arg(long, env = "APP_ID")]
    pub app_id: Option<String>,
    /// App private key, PEM text (PKCS#1 or PKCS#8).
    #[arg(long, env = "PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// App private key, path to a PEM file.
    #[arg(long, env = "PRIVATE_KEY_PATH")]
    pub private_key_path: Option<PathBuf>,
    /// GitHub REST base URL (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, env = "GITHUB_API_URL")]
    pub github_api_url: Option<String>,
}

impl AppArgs {
    /// The App's credentials and the REST base, validated as `relman serve` validates them.
    pub fn validate(
        &self,
        read_file: impl Fn(&std::path::Path) -> std::io::Result<String>,
    ) -> Result<(AppCredentials, String), SettingError> {
        let app = app_credentials(
            self.app_id.as_deref(),
            self.private_key.as_deref(),
            self.private_key_path.as_deref(),
            &read_file,
        )?;
        Ok((app, github_api_url(self.github_api_url.as_deref())?))
    }
}

/// `APP_ID` and `PRIVATE_KEY` / `PRIVATE_KEY_PATH`.
fn app_credentials(
    app_id: Option<&str>,
    private_key: Option<&str>,
    private_key_path: Option<&std::path::Path>,
    read_file: &impl Fn(&std::path::Path) -> std::io::Result<String>,
) -> Result<AppCredentials, SettingError> {
    let app_id = match present(app_id) {
        None => return Err(bad("APP_ID (--app-id)", "is required: the GitHub App's id")),
        Some(v) => v.parse::<u64>().ok().filter(|id| *id > 0).ok_or_else(|| {
            bad(
                "APP_ID (--app-id)",
                format!("must be a positive integer, got {v:?}"),
            )
        })?,
    };

    let private_key_pem = match (present(private_key), private_key_path) {
        (Some(pem), _) => pem.replace("\\n", "\n"),
        (None, Some(path)) => read_file(path).map_err(|e| {
            bad(
                "PRIVATE_KEY_PATH (--private-key-path)",
                format!("cannot read {}: {e}", path.display()),
            )
        })?,
        (None, None) => {
            return Err(bad(
                "PRIVATE_KEY or PRIVATE_KEY_PATH",
                "one is required: the App's private key (PEM text or a file)",
            ));
        }
    };
    if !private_key_pem.contains("-----BEGIN") || !private_key_pem.contains("PRIVATE KEY-----") {
        return Err(bad(
            "PRIVATE_KEY / PRIVATE_KEY_PATH",
            "is not a PEM private key (expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)",
        ));
    }

    Ok(AppCredentials {
        app_id,
        private_key_pem,
    })
}

/// `GITHUB_API_URL`: an http(s) URL, without a trailing slash.
fn github_api_url(raw: Option<&str>) -> Result<String, SettingError> {
    let github_api_url = present(raw)
        .unwrap_or(DEFAULT_GITHUB_API_URL)
        .trim_end_matches('/')
        .to_string();
    match github_api_url.parse::<http::Uri>() {
        Ok(uri) if matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some() => {}
        _ => {
            return Err(bad(
                "GITHUB_API_URL (--github-api-url)",
                format!(
                    "must be an http(s) URL such as https://api.github.com or https://HOST/api/v3, got {github_api_url:?}"
                ),
            ));
        }
    }

    Ok(github_api_url)
}

/// `WEBHOOK_SECRET`, comma-separated: during a rotation GitHub may sign with the old or the new one.
pub fn parse_secrets(raw: Option<&str>) -> Result<Vec<Secret>, SettingError> {
    let secrets: Vec<Secret> = present(raw)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Secret::new)
                .collect()
        })
        .unwrap_or_default();
    if secrets.is_empty() {
        return Err(bad(
            "WEBHOOK_SECRET (--webhook-secret)",
            "is required: the secret set in the GitHub App's webhook settings",
        ));
    }
    Ok(secrets)
}

pub fn parse_log_format(raw: Option<&str>) -> Result<LogFormat, SettingError> {
    match present(raw).unwrap_or("pretty") {
        "pretty" => Ok(LogFormat::Pretty),
        "json" => Ok(LogFormat::Json),
        other => Err(bad(
            "LOG_FORMAT (--log-format)",
            format!("must be pretty or json, got {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n";

    fn minimal() -> ServeArgs {
        ServeArgs {
            app: AppArgs {
                app_id: Some("42".into()),
                private_key: Some(PEM.into()),
                ..AppArgs::default()
            },
            webhook_secret: Some("s3cret".into()),
            ..ServeArgs::default()
        }
    }

    fn no_files(_: &std::path::Path) -> std::io::Result<String> {
        Err(std::io::Error::from(std::io::ErrorKind::NotFound))
    }

    #[test]
    fn the_board_is_off_without_oauth_settings_and_needs_both() {
        assert!(
            Settings::from_raw(&minimal(), no_files)
                .unwrap()
                .board
                .is_none()
        );
        let mut raw = minimal();
        raw.github_client_id = Some("Iv1.abc".into());
        let err = Settings::from_raw(&raw, no_files).unwrap_err();
        assert!(err.to_string().starts_with("GITHUB_CLIENT_SECRET"), "{err}");
        raw.github_client_secret = Some("shh".into());
        raw.dashboard_teams = Some("Acme, acme/release-managers".into());
        let board = Settings::from_raw(&raw, no_files).unwrap().board.unwrap();
        assert_eq!(board.teams, ["acme", "acme/release-managers"]);
        assert_eq!(board.session_key, session_key(b"s3cret"));
        raw.dashboard_teams = Some("acme/a/b".into());
        assert!(Settings::from_raw(&raw, no_files).is_err());
    }

    #[test]
    fn the_session_key_is_not_the_webhook_secret_and_follows_its_source() {
        let derived = session_key(b"s3cret");
        assert_ne!(&derived[..6], b"s3cret");
        assert_ne!(derived, session_key(b"s3cret2"));
        let mut raw = minimal();
        raw.github_client_id = Some("Iv1.abc".into());
        raw.github_client_secret = Some("shh".into());
        raw.session_key = Some("short".into());
        let err = Settings::from_raw(&raw, no_files).unwrap_err();
        assert!(err.to_string().starts_with("RELMAN_SESSION_KEY"), "{err}");
        let key = "k".repeat(32);
        raw.session_key = Some(key.clone());
        let board = Settings::from_raw(&raw, no_files).unwrap().board.unwrap();
        assert_eq!(board.session_key, session_key(key.as_bytes()));
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = Settings::from_raw(&minimal(), no_files).unwrap();
        assert_eq!(s.app.app_id, 42);
        assert_eq!(s.webhook_path, "/api/github/webhooks");
        assert_eq!(s.host.to_string(), "0.0.0.0");
        assert_eq!(s.port, 3000);
        assert_eq!(s.github_api_url, "https://api.github.com");
        assert_eq!(s.database_url, "sqlite://relman.db");
        assert_eq!(s.log_level, "info");
        assert_eq!(s.log_format, LogFormat::Pretty);
        assert_eq!(s.workers, DEFAULT_WORKERS);
    }

    #[test]
    fn several_secrets_are_accepted_for_rotation() {
        let mut raw = minimal();
        raw.webhook_secret = Some("old, new ,".into());
        let s = Settings::from_raw(&raw, no_files).unwrap();
        assert_eq!(
            s.webhook_secrets,
            vec![Secret::new("old"), Secret::new("new")]
        );
    }

    #[test]
    fn the_app_settings_alone_are_validated_as_serve_validates_them() {
        let no_file = |_: &std::path::Path| Err(std::io::Error::other("no file"));
        let error = AppArgs::default().validate(no_file).unwrap_err();
        assert_eq!(error.setting, "APP_ID (--app-id)");
        let args = AppArgs {
            app_id: Some("42".into()),
            ..AppArgs::default()
        };
        assert_eq!(
            args.validate(no_file).unwrap_err().setting,
            "PRIVATE_KEY or PRIVATE_KEY_PATH"
        );
        let args = AppArgs {
            private_key: Some(PEM.into()),
            github_api_url: Some("https://ghe.example.com/api/v3/".into()),
            ..args
        };
        let (app, api_url) = args.validate(no_file).unwrap();
        assert_eq!(
            (app.app_id, api_url.as_str()),
            (42, "https://ghe.example.com/api/v3")
        );
    }

    #[test]
    fn each_bad_setting_is_named_in_one_line() {
        type Case = (fn(&mut ServeArgs), &'static str);
        let cases: Vec<Case> = vec![
            (|r| r.app.app_id = None, "APP_ID (--app-id): is required"),
            (
                |r| r.app.app_id = Some("x1".into()),
                "APP_ID (--app-id): must be a positive integer, got \"x1\"",
            ),
            (
                |r| r.app.private_key = None,
                "PRIVATE_KEY or PRIVATE_KEY_PATH: one is required",
            ),
            (
                |r| r.app.private_key = Some("hello".into()),
                "PRIVATE_KEY / PRIVATE_KEY_PATH: is not a PEM",
            ),
            (
                |r| r.webhook_secret = Some(" , ".into()),
                "WEBHOOK_SECRET (--webhook-secret): is required",
            ),
            (
                |r| r.webhook_path = Some("hooks".into()),
                "WEBHOOK_PATH (--webhook-path): must be a path",
            ),
            (
                |r| r.host = Some("example.com".into()),
                "HOST (--host): must be an IP address",
            ),
            (
                |r| r.port = Some("70000".into()),
                "PORT (--port): must be a port number",
            ),
            (
                |r| r.app.github_api_url = Some("ftp://x".into()),
                "GITHUB_API_URL (--github-api-url): must be an http(s) URL",
            ),
            (
                |r| r.database_url = Some("mysql://x".into()),
                "DATABASE_URL (--database-url): must start with",
            ),
            (
                |r| r.log_format = Some("xml".into()),
                "LOG_FORMAT (--log-format): must be pretty or json",
            ),
            (
                |r| r.workers = Some("-1".into()),
                "RELMAN_WORKERS (--workers): must be a number",
            ),
        ];
        for (mutate, expected) in cases {
            let mut raw = minimal();
            mutate(&mut raw);
            let err = Settings::from_raw(&raw, no_files).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
            assert!(!err.contains('\n'), "one line: {err:?}");
            assert!(!err.contains("s3cret"), "never echoes the secret: {err:?}");
        }
    }

    #[test]
    fn key_path_is_read_and_its_errors_name_the_setting() {
        let mut raw = minimal();
        raw.app.private_key = None;
        raw.app.private_key_path = Some("/keys/app.pem".into());
        let s = Settings::from_raw(&raw, |_| Ok(PEM.to_string())).unwrap();
        assert_eq!(s.app.private_key_pem, PEM);
        let err = Settings::from_raw(&raw, no_files).unwrap_err().to_string();
        assert!(
            err.starts_with("PRIVATE_KEY_PATH (--private-key-path): cannot read /keys/app.pem")
        );
    }

    #[test]
    fn escaped_newlines_in_an_env_key_are_restored() {
        let mut raw = minimal();
        raw.app.private_key = Some(PEM.replace('\n', "\\n"));
        assert_eq!(
            Settings::from_raw(&raw, no_files)
                .unwrap()
                .app
                .private_key_pem,
            PEM
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = Settings::from_raw(&minimal(), no_files).unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("abc"),
            "{shown}"
        );
    }
}
