//! The `relman` command line. The edge of the program: settings in, exit codes out.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use relman::config::settings::{AppArgs, ServeArgs, Settings, parse_log_format};
use relman::store::Store;
use relman::store::work::WorkStatus;

#[derive(Debug, Parser)]
#[command(
    name = "relman",
    version,
    about = "A GitHub App that runs your release train."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Try relman without a GitHub App: a whole release cycle against an in-process fake GitHub,
    /// then a running relman to comment at.
    Demo {
        #[command(subcommand)]
        command: Option<DemoCommand>,
        /// relman's port.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// The control page's port (comment as the demo's people).
        #[arg(long, default_value_t = 3001)]
        control_port: u16,
        /// The demo's database; a fresh file in a temporary directory when not given.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Run the webhook receiver, workers and scheduler.
    Serve(ServeArgs),
    /// Sign webhook fixtures and post them to a running relman (like `probot receive`).
    Replay(ReplayArgs),
    /// The next release days with their release managers, from a local file or a repository.
    Calendar(CalendarArgs),
    /// Validate a `.github/relman.yml` file: exit 0 with a summary, or 1 with each error.
    CheckConfig { file: PathBuf },
    /// Print the JSON Schema of `.github/relman.yml` (for editor completion).
    ConfigSchema,
    /// Print the secret address of a repository's calendar feed (`--rotate` makes a new one).
    CalendarUrl {
        #[arg(long)]
        repo: String,
        #[arg(long)]
        rotate: bool,
        /// Where relman is reachable, e.g. https://relman.example.com.
        #[arg(
            long,
            env = "RELMAN_PUBLIC_URL",
            default_value = "http://localhost:3000"
        )]
        base_url: String,
        #[arg(long, env = "DATABASE_URL", default_value = relman::config::settings::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Print the commands run in a repository: who, what, where, with what outcome.
    Audit {
        #[arg(long)]
        repo: String,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, env = "DATABASE_URL", default_value = relman::config::settings::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// The release register per month: regular releases, warmfixes, hotfixes, the share of
    /// short-circuited releases, median lead times and the skipped release days.
    Stats {
        /// owner/name
        #[arg(long)]
        repo: String,
        /// First day counted (YYYY-MM-DD); the first recorded month by default.
        #[arg(long, value_parser = relman::cli::parse_date)]
        since: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value = "text")]
        format: relman::cli::StatsFormat,
        #[arg(long, env = "DATABASE_URL", default_value = relman::config::settings::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Register relman's GitHub App from app-manifest.yml (GitHub's manifest flow) and write `.env`.
    Setup(SetupArgs),
    /// Ask GitHub again for webhook deliveries relman missed: failed ones, and ones it never stored.
    Redeliver(RedeliverArgs),
    /// Inspect and repair the inbox.
    Inbox {
        #[command(subcommand)]
        command: InboxCommand,
        /// `sqlite://FILE` or `postgres://…`.
        #[arg(long, env = "DATABASE_URL", default_value = relman::config::settings::DEFAULT_DATABASE_URL, global = true)]
        database_url: String,
    },
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Comment on the demo's tracking issue and print what relman did.
    Comment {
        /// The comment, e.g. '/release status'.
        text: String,
        /// Who comments: alice (release manager, admin), bob (write), quinn (QA), rita (read).
        #[arg(long = "as", default_value = "alice")]
        login: String,
        /// The running demo's control page.
        #[arg(long, default_value = "http://127.0.0.1:3001")]
        url: String,
    },
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["config", "repo"])))]
struct CalendarArgs {
    /// A local `.github/relman.yml` (works offline).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Read the configuration of owner/name through the GitHub App (APP_ID and the key).
    #[arg(long)]
    repo: Option<String>,
    /// The repository (owner/name) a `--config` file belongs to: it names the `.ics` calendar.
    /// By default the GitHub repository of the file's git checkout (its `origin`).
    #[arg(long, conflicts_with = "repo")]
    repo_name: Option<String>,
    /// First day to list (YYYY-MM-DD); today in the repository's time zone by default.
    #[arg(long, value_parser = relman::cli::parse_date)]
    from: Option<chrono::NaiveDate>,
    #[arg(long, default_value_t = 10)]
    count: usize,
    #[arg(long, value_enum, default_value = "text")]
    format: relman::cli::CalendarFormat,
    /// With `--repo`: the GitHub App that reads the repository's configuration.
    #[command(flatten, next_help_heading = "GitHub App (for --repo)")]
    app: AppArgs,
}

#[derive(Debug, clap::Args)]
struct SetupArgs {
    /// relman's public webhook URL, e.g. https://relman.example.com/api/github/webhooks.
    #[arg(long)]
    webhook_url: String,
    /// Register the App on this organization (you must own it); on your account otherwise.
    #[arg(long)]
    org: Option<String>,
    /// The App's name (unique on GitHub; GitHub's page lets you change it too).
    #[arg(long)]
    name: Option<String>,
    /// GitHub's web address; for GitHub Enterprise Server its host, e.g. https://ghe.example.com.
    #[arg(long, env = "GITHUB_URL", default_value = relman::setup::DEFAULT_GITHUB_URL)]
    github_url: String,
    /// The REST base for the code exchange; by default the one that goes with --github-url.
    #[arg(long, env = "GITHUB_API_URL")]
    github_api_url: Option<String>,
    /// Where the settings are written.
    #[arg(long, default_value = ".env")]
    env_file: PathBuf,
    /// Where the App's private key is written.
    #[arg(long, default_value = "relman.private-key.pem")]
    key_file: PathBuf,
    /// Replace an existing `.env` and key file.
    #[arg(long)]
    force: bool,
    /// Where the local setup page listens.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: std::net::SocketAddr,
}

#[derive(Debug, clap::Args)]
struct RedeliverArgs {
    /// How far back to look: 30m, 2h, 1d (at most 3d, as long as GitHub keeps deliveries).
    #[arg(long, default_value = "2h", value_parser = relman::redeliver::parse_window)]
    since: std::time::Duration,
    /// List what would be asked for and ask nothing.
    #[arg(long, env = "RELMAN_DRY_RUN")]
    dry_run: bool,
    /// relman's database (the one `relman serve` uses): what it holds is not asked for again.
    #[arg(long, env = "DATABASE_URL", default_value = relman::config::settings::DEFAULT_DATABASE_URL)]
    database_url: String,
    /// The GitHub App whose delivery log is read.
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, clap::Args)]
struct ReplayArgs {
    /// JSON payload files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The event name (X-GitHub-Event); by default taken from the file name `<event>.<action>.json`.
    #[arg(long)]
    event: Option<String>,
    /// relman's webhook URL.
    #[arg(long, default_value = "http://127.0.0.1:3000/api/github/webhooks")]
    url: String,
    /// The secret to sign with (the first of WEBHOOK_SECRET when not given).
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
}

#[derive(Debug, Subcommand)]
enum InboxCommand {
    /// List recent deliveries and jobs.
    List {
        /// Only dead items (failed for good).
        #[arg(long)]
        dead: bool,
        /// Only items in this status: pending, running, done, dead.
        #[arg(long, conflicts_with = "dead")]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a dead item again with fresh attempts.
    Retry { id: i64 },
}

fn main() -> ExitCode {
    // `.env` fills in what neither a flag nor the environment sets (flag > env > .env).
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo {
            command: Some(DemoCommand::Comment { text, login, url }),
            ..
        } => demo_comment(&url, &login, &text).await,
        Command::Demo {
            command: None,
            port,
            control_port,
            database_url,
        } => demo(port, control_port, database_url).await,
        Command::Serve(mut args) => {
            // Kept alive for as long as relman serves.
            let _dev_github = if args.dev {
                let sim = relman::dev::start(&mut args).await;
                eprintln!(
                    "relman --dev: fake GitHub at {} with {} (installation {}); webhook secret {:?}",
                    sim.api_url(),
                    relman::dev::DEV_REPO,
                    relman::dev::DEV_INSTALLATION,
                    relman::dev::DEV_SECRET
                );
                Some(sim)
            } else {
                None
            };
            // The key file is checked before it is read: a key every user may read is refused.
            if args
                .app
                .private_key
                .as_deref()
                .is_none_or(|k| k.trim().is_empty())
                && let Some(path) = &args.app.private_key_path
                && let Err(line) = relman::service::check_private_key_file(path)
            {
                eprintln!("error: {line}");
                return Ok(ExitCode::from(2));
            }
            let settings = match Settings::from_raw(&args, |p| std::fs::read_to_string(p)) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            relman::telemetry::init(&settings.log_level, settings.log_format);
            relman::service::serve(settings, CancellationToken::new()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay(args) => replay(args).await,
        Command::Redeliver(args) => redeliver(args).await,
        Command::Setup(args) => setup(args).await,
        Command::Calendar(args) => calendar(args).await,
        Command::CheckConfig { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            match relman::cli::check_config(&file.display().to_string(), &text) {
                Ok(summary) => {
                    println!("{summary}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    for e in errors.iter() {
                        println!("{e}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::ConfigSchema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&relman::config::repo::json_schema())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::CalendarUrl {
            repo,
            rotate,
            base_url,
            database_url,
        } => {
            let repo: relman::github::RepoName = repo.parse()?;
            relman::telemetry::init("warn", parse_log_format(None)?);
            let store = relman::cli::open_store(&database_url).await?;
            let existing = store
                .repository(&repo.to_string())
                .await?
                .and_then(|r| r.calendar_token);
            let token = match existing {
                Some(token) if !rotate => token,
                _ => {
                    let token = relman::server::calendar::new_token();
                    store
                        .set_calendar_token(
                            &repo.to_string(),
                            &token,
                            chrono::Utc::now().timestamp_millis(),
                        )
                        .await?;
                    token
                }
            };
            println!(
                "{}/calendar/{}/{}/{token}.ics",
                base_url.trim_end_matches('/'),
                repo.owner,
                repo.name
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            repo,
            limit,
            database_url,
        } => {
            relman::telemetry::init("warn", parse_log_format(None)?);
            let store = relman::cli::open_store(&database_url).await?;
            let repo = relman::cli::resolve_repository(&store, &repo).await?;
            println!(
                "{:<20}  {:<16}  {:>6}  {:<9}  {:<30}  DETAIL",
                "WHEN (UTC)", "WHO", "ISSUE", "OUTCOME", "COMMAND"
            );
            for e in store.audit_log(&repo, limit).await? {
                println!(
                    "{:<20}  {:<16}  {:>6}  {:<9}  {:<30}  {}",
                    relman::store::from_millis(e.at).format("%Y-%m-%d %H:%M:%S"),
                    e.actor_login,
                    format!("#{}", e.issue_number),
                    e.outcome,
                    e.command_text,
                    e.detail.unwrap_or_default().replace('\n', " ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats {
            repo,
            since,
            format,
            database_url,
        } => {
            relman::telemetry::init("warn", parse_log_format(None)?);
            let repo: relman::github::RepoName = repo.parse()?;
            let store = relman::cli::open_store(&database_url).await?;
            let key = relman::cli::resolve_repository(&store, &repo.to_string()).await?;
            let tz = relman::handlers::register::stored_timezone(&store, &key).await?;
            let stats =
                relman::handlers::register::stats_for(&store, &key, tz, since, chrono::Utc::now())
                    .await?;
            print!("{}", relman::cli::render_stats(&stats, format)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Inbox {
            command,
            database_url,
        } => {
            relman::telemetry::init("warn", parse_log_format(None)?);
            let store = relman::cli::open_store(&database_url).await?;
            inbox(store, command).await
        }
    }
}

async fn inbox(store: Store, command: InboxCommand) -> anyhow::Result<ExitCode> {
    match command {
        InboxCommand::List {
            dead,
            status,
            limit,
        } => {
            let status = if dead {
                Some(WorkStatus::Dead)
            } else {
                match status.as_deref() {
                    None => None,
                    Some(s) => Some(
                        WorkStatus::ALL
                            .into_iter()
                            .find(|st| st.as_str() == s)
                            .ok_or_else(|| {
                                anyhow::anyhow!(
                                    "--status must be pending, running, done or dead, not {s:?}"
                                )
                            })?,
                    ),
                }
            };
            let items = store.list_work(status, limit).await?;
            println!(
                "{:>7}  {:<8}  {:<7}  {:>3}  {:<25}  {:<28}  {:<20}  ERROR",
                "ID", "STATUS", "KIND", "TRY", "EVENT", "REPO", "RECEIVED"
            );
            for i in items {
                let event = match &i.action {
                    Some(a) => format!("{}.{a}", i.name),
                    None => i.name.clone(),
                };
                println!(
                    "{:>7}  {:<8}  {:<7}  {:>3}  {:<25}  {:<28}  {:<20}  {}",
                    i.id,
                    i.status.as_str(),
                    i.kind.as_str(),
                    i.attempts,
                    event,
                    i.repo.as_deref().unwrap_or("-"),
                    relman::store::from_millis(i.created_at).format("%Y-%m-%d %H:%M:%S"),
                    i.last_error.as_deref().unwrap_or("")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        InboxCommand::Retry { id } => {
            if store
                .retry_dead(id, chrono::Utc::now().timestamp_millis())
                .await?
            {
                println!("item {id} queued again");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "error: item {id} is not dead (or does not exist); only dead items can be retried"
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

async fn setup(args: SetupArgs) -> anyhow::Result<ExitCode> {
    use relman::setup::{SetupOptions, SetupServer, api_url_for};
    relman::telemetry::init("warn", parse_log_format(None)?);
    let api_url = args
        .github_api_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| api_url_for(&args.github_url));
    let options = SetupOptions {
        webhook_url: args.webhook_url,
        org: args.org,
        github_url: args.github_url,
        api_url,
        app_name: args.name,
        env_file: args.env_file,
        key_file: args.key_file,
        force: args.force,
        listen: args.listen,
    };
    let server = match SetupServer::start(options).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut shown = server.addr;
    if shown.ip().is_unspecified() {
        shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    println!(
        "Open http://{shown}/ in a browser to register relman's GitHub App on GitHub (Ctrl-C to stop)."
    );
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    match server.finish(shutdown).await {
        Ok(registered) => {
            println!(
                "Registered the GitHub App {} (id {}) and wrote its settings.",
                registered.conversion.name, registered.conversion.id
            );
            println!("Next: install it at {}", registered.install_url);
            println!("then run `relman serve` here.");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn redeliver(args: RedeliverArgs) -> anyhow::Result<ExitCode> {
    use relman::redeliver::Options;
    let (credentials, api_url) = match args.app.validate(|p| std::fs::read_to_string(p)) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    relman::telemetry::init("warn", parse_log_format(None)?);
    let store = relman::cli::open_store(&args.database_url).await?;
    let app =
        relman::github::app::GitHubApp::new(&credentials, &api_url, Default::default(), None)?;
    let now = chrono::Utc::now();
    let mut options = Options::new(now, args.since);
    options.dry_run = args.dry_run;
    let report = relman::redeliver::run(&app.app_rest()?, &store, now, &options).await?;
    let plan = &report.plan;
    println!(
        "since {}: {} deliveries listed{}, {} events: {} in the store, {} not subscribed, {} asked for before",
        options.since.format("%Y-%m-%d %H:%M:%S UTC"),
        report.listed,
        if report.truncated {
            " (the log goes on; older ones were not read)"
        } else {
            ""
        },
        plan.events,
        plan.stored,
        plan.ignored,
        plan.already_requested
    );
    let verb = if options.dry_run {
        "would ask"
    } else {
        "asked"
    };
    for c in &report.requested {
        println!(
            "{verb:<9}  {}  {:<28}  {}  delivery {}  {}",
            c.delivered_at.format("%Y-%m-%d %H:%M:%S"),
            c.event_label(),
            c.guid,
            c.delivery_id,
            c.reason
        );
    }
    for (c, why) in &report.refused {
        println!(
            "{:<9}  {}  {:<28}  {}  delivery {}  {why}",
            "refused",
            c.delivered_at.format("%Y-%m-%d %H:%M:%S"),
            c.event_label(),
            c.guid,
            c.delivery_id
        );
    }
    if report.deferred > 0 {
        println!("{} left for a later run", report.deferred);
    }
    Ok(if report.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let secret = args
        .secret
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .ok_or_else(|| anyhow::anyhow!("--secret / WEBHOOK_SECRET is empty"))?
        .to_string();
    let mut failures = 0;
    for file in &args.files {
        let body = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let event = match &args.event {
            Some(e) => e.clone(),
            None => file
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('.').next())
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: cannot tell the event from the file name; pass --event",
                        file.display()
                    )
                })?
                .to_string(),
        };
        let delivery = relman::replay::new_delivery_id();
        match relman::replay::post(&args.url, &event, &delivery, secret.as_bytes(), body).await {
            Ok((status, answer)) => {
                println!("{} {event} {delivery} -> {status} {answer}", file.display());
                if !(200..300).contains(&status) {
                    failures += 1;
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                failures += 1;
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn calendar(args: CalendarArgs) -> anyhow::Result<ExitCode> {
    use relman::config::repo::{RepoSlug, parse_repo_config};
    let now = chrono::Utc::now();
    let (config, holidays, slug) = if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let config = match parse_repo_config(&path.display().to_string(), &text) {
            Ok(c) => c,
            Err(errors) => {
                eprintln!("{errors}");
                return Ok(ExitCode::FAILURE);
            }
        };
        // `holidays.ics` is a path in the repository: next to `.github/`, or next to the file.
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let root = if dir.file_name().is_some_and(|n| n == ".github") {
            dir.parent().unwrap_or(dir)
        } else {
            dir
        };
        let holidays = match &config.holidays.ics {
            Some(ics) => {
                let text = std::fs::read_to_string(root.join(ics))
                    .map_err(|e| anyhow::anyhow!("holidays.ics {ics}: {e}"))?;
                relman::domain::ics::parse_holiday_ics(&text)?
            }
            None => Vec::new(),
        };
        let slug = match &args.repo_name {
            Some(name) => {
                let repo: relman::github::RepoName = name.parse()?;
                Some(RepoSlug {
                    owner: repo.owner,
                    name: repo.name,
                })
            }
            None => origin_remote(root).and_then(|url| relman::cli::repository_of_remote(&url)),
        };
        (config, holidays, slug)
    } else {
        let repo: relman::github::RepoName = args.repo.clone().unwrap_or_default().parse()?;
        relman::telemetry::init("warn", parse_log_format(None)?);
        let (credentials, api_url) = match args.app.validate(|p| std::fs::read_to_string(p)) {
            Ok(app) => app,
            Err(e) => {
                eprintln!(
                    "error: calendar --repo reads {repo}'s {} from GitHub as relman's GitHub App, \
                     so it needs the App's id and private key (APP_ID and PRIVATE_KEY or \
                     PRIVATE_KEY_PATH, as `relman serve` reads them, e.g. from .env): {e}. \
                     Without them, give a local file with --config.",
                    relman::config::repo::CONFIG_PATH
                );
                return Ok(ExitCode::from(2));
            }
        };
        let app =
            relman::github::app::GitHubApp::new(&credentials, &api_url, Default::default(), None)?;
        let installation = app.installation_id_for(&repo).await?;
        let client = app.installation(installation)?;
        let config = match relman::config::load::fetch_config(&client, &repo, None).await? {
            None => anyhow::bail!("{repo} has no {}", relman::config::repo::CONFIG_PATH),
            Some(Err(errors)) => {
                eprintln!("{errors}");
                return Ok(ExitCode::FAILURE);
            }
            Some(Ok(config)) => config,
        };
        let holidays = match &config.holidays.ics {
            Some(path) => match relman::github::GitHubPort::get_file(&client, &repo, path, None)
                .await?
            {
                Some(file) => relman::domain::ics::parse_holiday_ics(&file.text)?,
                None => anyhow::bail!("{repo}: holidays.ics names {path}, which does not exist"),
            },
            None => Vec::new(),
        };
        let slug = RepoSlug {
            owner: repo.owner.clone(),
            name: repo.name.clone(),
        };
        (config, holidays, Some(slug))
    };
    match relman::cli::render_calendar(
        &config,
        &holidays,
        slug.as_ref(),
        args.from,
        args.count,
        args.format,
        now,
    ) {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The `origin` remote of the git checkout `dir` is in, if git is installed and it is one.
fn origin_remote(dir: &std::path::Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        })
        .args(["config", "--get", "remote.origin.url"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

async fn demo(
    port: u16,
    control_port: u16,
    database_url: Option<String>,
) -> anyhow::Result<ExitCode> {
    // Quiet logs: the demo prints what happens on GitHub itself.
    relman::telemetry::init("warn", relman::config::settings::LogFormat::Pretty);
    // Removed when the demo ends, however it ends (a failed start, Ctrl-C, SIGTERM).
    let (_scratch, database_url) = match database_url {
        Some(url) => (None, url),
        None => {
            let dir = ScratchDir::create()?;
            let url = format!("sqlite://{}", dir.0.join("relman-demo.db").display());
            (Some(dir), url)
        }
    };
    let demo = match relman::demo::Demo::start(relman::demo::DemoOptions {
        port,
        control_port,
        database_url: database_url.clone(),
    })
    .await
    {
        Ok(demo) => demo,
        Err(e @ relman::demo::DemoError::PortInUse { .. }) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    println!(
        "relman demo: relman on {}, database {database_url}",
        demo.relman_url
    );
    let stopped = relman::service::wait_for_signal();
    tokio::pin!(stopped);
    let mut out = std::io::stdout();
    // `None`: stopped while the scenario played.
    let played = tokio::select! {
        played = demo.play(&mut out) => Some(played),
        () = &mut stopped => None,
    };
    if let Some(Ok(())) = played {
        // The control page serves until Ctrl-C / SIGTERM.
        stopped.await;
    }
    demo.shut_down().await;
    played.transpose()?;
    Ok(ExitCode::SUCCESS)
}

/// The demo's own temporary directory, removed with everything in it when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn create() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("relman-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn demo_comment(url: &str, login: &str, text: &str) -> anyhow::Result<ExitCode> {
    use http_body_util::BodyExt;
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("login", login)
        .append_pair("body", text)
        .finish();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let request = http::Request::post(format!("{}/comment", url.trim_end_matches('/')))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(http_body_util::Full::new(bytes::Bytes::from(form)))?;
    let response = client
        .request(request)
        .await
        .map_err(|e| anyhow::anyhow!("is `relman demo` running at {url}? {e}"))?;
    let body = response.into_body().collect().await?.to_bytes();
    print!("{}", String::from_utf8_lossy(&body));
    Ok(ExitCode::SUCCESS)
}
