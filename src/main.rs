//! The `relman` command line. The edge of the program: settings in, exit codes out.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use relman::config::settings::{ServeArgs, Settings, parse_log_format};
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
    /// Run the webhook receiver, workers and scheduler.
    Serve(ServeArgs),
    /// Sign webhook fixtures and post them to a running relman (like `probot receive`).
    Replay(ReplayArgs),
    /// Inspect and repair the inbox.
    Inbox {
        #[command(subcommand)]
        command: InboxCommand,
        /// `sqlite://FILE` or `postgres://…`.
        #[arg(long, env = "DATABASE_URL", default_value = relman::config::settings::DEFAULT_DATABASE_URL, global = true)]
        database_url: String,
    },
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
        Command::Inbox {
            command,
            database_url,
        } => {
            relman::telemetry::init("warn", parse_log_format(None)?);
            let store = Store::connect(&database_url).await?;
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
