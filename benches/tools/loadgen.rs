//! Load generator: signed, unique, GitHub-shaped deliveries against a running `relman serve`.
//!
//! ```text
//! cargo run --release --example loadgen -- --url http://127.0.0.1:3000/api/github/webhooks \
//!     --size 2k --concurrency 32 --duration 30s --secret bench-secret --server-pid $PID
//! ```
//!
//! A closed loop like wrk's: `--concurrency` connections, each sending its next delivery as
//! soon as the previous one is answered. With `--rate N` an open loop instead, like wrk2's:
//! delivery n is due at n/N seconds, sent by the next free connection, and its latency counts
//! from when it was due, so a server that falls behind is not flattered by the generator
//! waiting for it. Every request carries a fresh id in
//! `X-GitHub-Delivery`, so relman stores each one (none is a duplicate): a time-based UUID as
//! GitHub sends, or a random one (`--delivery-ids random`). Bodies come from a
//! pool of distinct payloads signed up front (`--pool`), spread over `--repos` repositories:
//! signing a 1 MiB body per request would cost the generator more CPU than the server under
//! test spends, on the same two cores. The signature covers only the body, so a fresh delivery
//! id needs no new signature; relman still verifies every body in full.
//!
//! With `--server-pid` it also reads the server's CPU time (utime+stime from /proc/PID/stat) over
//! the measured window, its resident set before the run (idle) and its peak (VmHWM).

#[path = "../support/payloads.rs"]
mod payloads;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http::HeaderValue;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use relman::replay::{HttpClient, new_delivery_id, random_delivery_id};
use relman::server::signature::sign;

use payloads::PayloadSize;

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Send signed unique webhook deliveries to relman and report throughput and ack latency."
)]
struct Args {
    /// relman's webhook URL.
    #[arg(long, default_value = "http://127.0.0.1:3000/api/github/webhooks")]
    url: String,
    /// Payload size: 2k (issue_comment), 30k (pull_request) or 1m (push).
    #[arg(long, default_value = "2k")]
    size: PayloadSize,
    /// Requests in flight (one connection each).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// How long to measure, e.g. 30s, 500ms, 2m.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// Load sent before measuring (connections open, caches warm), not counted.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// The webhook secret to sign with (the first of a comma-separated WEBHOOK_SECRET).
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
    /// Repositories the deliveries are spread over (25 per organisation and installation).
    #[arg(long, default_value_t = 1000)]
    repos: u32,
    /// Distinct signed bodies to cycle through (default: about 8 MiB of them, at least 16).
    #[arg(long)]
    pool: Option<usize>,
    /// The server's process id, to report its CPU per delivery and its memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Deliveries per second, sent on a fixed schedule (open loop); unset, each connection sends
    /// as fast as it is answered (closed loop).
    #[arg(long)]
    rate: Option<f64>,
    /// Threads of the generator's own runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also print the figures as one JSON line.
    #[arg(long)]
    json: bool,
    /// `X-GitHub-Delivery` values: `github` (time-based UUIDs, as GitHub sends) or `random`.
    #[arg(long, value_enum, default_value_t = DeliveryIds::Github)]
    delivery_ids: DeliveryIds,
}

/// How the generator makes delivery ids. The inbox's unique index over them costs more when
/// consecutive ids are far apart in order, so the choice shows in the figures.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DeliveryIds {
    /// Version-1 (time-based) UUIDs, the shape of GitHub's `X-GitHub-Delivery`.
    Github,
    /// Version-4 (random) UUIDs.
    Random,
}

impl DeliveryIds {
    fn next(self) -> String {
        match self {
            DeliveryIds::Github => new_delivery_id(),
            DeliveryIds::Random => random_delivery_id(),
        }
    }

    fn label(self) -> &'static str {
        match self {
            DeliveryIds::Github => "github",
            DeliveryIds::Random => "random",
        }
    }
}

/// `30s`, `500ms`, `2m` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 30s, 500ms or 2m"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?} (use ms, s or m)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

/// A body and its `X-Hub-Signature-256`, computed once.
struct SignedBody {
    body: Bytes,
    signature: HeaderValue,
}

/// How the run went, as seen by one connection; merged at the end.
struct Tally {
    latency_us: Histogram<u64>,
    accepted: u64,
    not_accepted: u64,
    bad_status: Vec<(u16, u64)>,
    transport_errors: u64,
    first_error: Option<String>,
    bytes_sent: u64,
}

impl Tally {
    fn new() -> Result<Tally, hdrhistogram::CreationError> {
        Ok(Tally {
            // 1 µs .. 60 s at 3 significant digits.
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)?,
            accepted: 0,
            not_accepted: 0,
            bad_status: Vec::new(),
            transport_errors: 0,
            first_error: None,
            bytes_sent: 0,
        })
    }

    fn merge(&mut self, other: Tally) -> Result<(), hdrhistogram::AdditionError> {
        self.latency_us.add(&other.latency_us)?;
        self.accepted += other.accepted;
        self.not_accepted += other.not_accepted;
        for (status, n) in other.bad_status {
            self.count_status(status, n);
        }
        self.transport_errors += other.transport_errors;
        self.first_error = self.first_error.take().or(other.first_error);
        self.bytes_sent += other.bytes_sent;
        Ok(())
    }

    fn count_status(&mut self, status: u16, n: u64) {
        match self.bad_status.iter_mut().find(|(s, _)| *s == status) {
            Some(slot) => slot.1 += n,
            None => self.bad_status.push((status, n)),
        }
    }

    fn errors(&self) -> u64 {
        self.not_accepted
            + self.transport_errors
            + self.bad_status.iter().map(|(_, n)| n).sum::<u64>()
    }
}

/// CPU time, memory and storage writes of a process, from /proc.
#[derive(Debug, Clone, Copy)]
struct ProcSample {
    cpu: Duration,
    rss_kib: u64,
    hwm_kib: u64,
    /// Bytes the process caused to be sent to storage (`write_bytes` of /proc/PID/io); zero
    /// where the kernel does not account I/O.
    storage_writes: u64,
}

fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

fn sample_process(pid: &str) -> Result<ProcSample, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // The command name (field 2) is parenthesised and may hold spaces: count fields after it.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("/proc/{pid}/stat: unexpected format"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5); `fields[0]` is field 3.
    let ticks = |index: usize| -> Result<u64, String> {
        fields
            .get(index - 3)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("/proc/{pid}/stat: field {index} missing"))
    };
    let total_ticks = ticks(14)? + ticks(15)?;
    let per_second = clock_ticks_per_second();
    let cpu = Duration::from_secs(total_ticks / per_second)
        + Duration::from_nanos((total_ticks % per_second) * 1_000_000_000 / per_second);

    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let storage_writes = std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|line| line.strip_prefix("write_bytes:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0);
    Ok(ProcSample {
        cpu,
        rss_kib: kib("VmRSS:"),
        hwm_kib: kib("VmHWM:"),
        storage_writes,
    })
}

fn build_pool(args: &Args, secret: &[u8]) -> Vec<SignedBody> {
    let target = args.size.target_bytes();
    let count = args
        .pool
        .unwrap_or_else(|| (8 * 1024 * 1024 / target).max(16))
        .max(1);
    (0..count as u64)
        .filter_map(|seq| {
            let body = payloads::payload(args.size, seq, args.repos);
            let signature = HeaderValue::from_str(&sign(secret, &body)).ok()?;
            Some(SignedBody {
                body: Bytes::from(body),
                signature,
            })
        })
        .collect()
}

struct Plan {
    url: http::Uri,
    event: &'static str,
    pool: Vec<SignedBody>,
    delivery_ids: DeliveryIds,
    next: AtomicU64,
    /// Open loop: deliveries per second, from `start`.
    rate: Option<f64>,
    start: Instant,
    measure_from: Instant,
    measure_until: Instant,
}

async fn connection(client: HttpClient, plan: Arc<Plan>) -> Result<Tally, String> {
    let mut tally = Tally::new().map_err(|e| e.to_string())?;
    while Instant::now() < plan.measure_until {
        let n = plan.next.fetch_add(1, Ordering::Relaxed);
        // Open loop: wait for this delivery's slot, and count its latency from there.
        let due = match plan.rate {
            Some(rate) => {
                let due = plan.start + Duration::from_secs_f64(n as f64 / rate);
                if due >= plan.measure_until {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                Some(due)
            }
            None => None,
        };
        let signed = &plan.pool[(n % plan.pool.len() as u64) as usize];
        let delivery = plan.delivery_ids.next();
        let request = http::Request::post(plan.url.clone())
            .header("content-type", "application/json")
            .header("user-agent", "GitHub-Hookshot/relman-loadgen")
            .header("x-github-event", plan.event)
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", signed.signature.clone())
            .body(Full::new(signed.body.clone()))
            .map_err(|e| e.to_string())?;

        let started = due.unwrap_or_else(Instant::now);
        let outcome = match client.request(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                response
                    .into_body()
                    .collect()
                    .await
                    .map(|body| (status, body.to_bytes()))
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        let finished = Instant::now();
        if finished < plan.measure_from || finished > plan.measure_until {
            continue;
        }
        let micros =
            u64::try_from(finished.duration_since(started).as_micros()).unwrap_or(u64::MAX);
        tally.latency_us.saturating_record(micros.max(1));
        tally.bytes_sent += signed.body.len() as u64;
        match outcome {
            Ok((202, body)) => {
                // A duplicate would mean the generator repeated an id; ignored means relman
                // does not store this event. Either way nothing was stored: count it.
                if body.as_ref() == br#"{"status":"accepted"}"# {
                    tally.accepted += 1;
                } else {
                    tally.not_accepted += 1;
                    tally.first_error.get_or_insert_with(|| {
                        format!("202 but {}", String::from_utf8_lossy(&body))
                    });
                }
            }
            Ok((status, body)) => {
                tally.count_status(status, 1);
                tally
                    .first_error
                    .get_or_insert_with(|| format!("{status} {}", String::from_utf8_lossy(&body)));
            }
            Err(e) => {
                tally.transport_errors += 1;
                tally.first_error.get_or_insert(e);
            }
        }
    }
    Ok(tally)
}

fn client(concurrency: usize) -> HttpClient {
    let mut connector = HttpConnector::new();
    // Small requests and answers: do not let Nagle's algorithm hold a segment back.
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(concurrency)
        .build(connector)
}

async fn run(args: Args) -> Result<bool, String> {
    let secret = args
        .secret
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .ok_or("--secret / WEBHOOK_SECRET is empty")?
        .to_string();
    let url: http::Uri = args
        .url
        .parse()
        .map_err(|e| format!("--url {:?}: {e}", args.url))?;
    let pid = args.server_pid.map(|p| p.to_string());
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err("--rate must be a positive number of deliveries per second".into());
    }

    let pool = build_pool(&args, secret.as_bytes());
    if pool.is_empty() {
        return Err("could not sign any payload".into());
    }
    let body_bytes = pool.iter().map(|s| s.body.len()).sum::<usize>() / pool.len();
    eprintln!(
        "loadgen: {} distinct {} bodies (mean {body_bytes} bytes, {} repositories), {} connections, {:?} warm-up + {:?}",
        pool.len(),
        args.size.event(),
        args.repos,
        args.concurrency,
        args.warmup,
        args.duration
    );

    let idle = pid.as_deref().map(sample_process).transpose()?;
    let start = Instant::now();
    let plan = Arc::new(Plan {
        url,
        event: args.size.event(),
        pool,
        delivery_ids: args.delivery_ids,
        next: AtomicU64::new(0),
        rate: args.rate,
        start,
        measure_from: start + args.warmup,
        measure_until: start + args.warmup + args.duration,
    });
    let client = client(args.concurrency);
    let mut connections = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        connections.spawn(connection(client.clone(), plan.clone()));
    }

    tokio::time::sleep_until(plan.measure_from.into()).await;
    let server_before = pid.as_deref().map(sample_process).transpose()?;
    let self_before = sample_process("self")?;
    tokio::time::sleep_until(plan.measure_until.into()).await;
    let server_after = pid.as_deref().map(sample_process).transpose()?;
    let self_after = sample_process("self")?;

    let mut total = Tally::new().map_err(|e| e.to_string())?;
    while let Some(joined) = connections.join_next().await {
        let tally = joined.map_err(|e| e.to_string())??;
        total.merge(tally).map_err(|e| e.to_string())?;
    }
    let server_end = pid.as_deref().map(sample_process).transpose()?;

    let seconds = args.duration.as_secs_f64();
    let answered = total.latency_us.len();
    let per_second = answered as f64 / seconds;
    let h = &total.latency_us;
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "size={} event={} concurrency={} rate={} duration={seconds:.1}s delivery-ids={}",
        args.size.label(),
        args.size.event(),
        args.concurrency,
        args.rate
            .map_or("closed-loop".to_string(), |r| format!("{r}/s")),
        args.delivery_ids.label()
    );
    println!(
        "deliveries: {answered} answered, {} accepted, {} errors -> {per_second:.0}/s, {:.1} MiB/s",
        total.accepted,
        total.errors(),
        total.bytes_sent as f64 / seconds / (1024.0 * 1024.0)
    );
    println!(
        "ack latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  mean {:.2}",
        ms(h.value_at_quantile(0.50)),
        ms(h.value_at_quantile(0.90)),
        ms(h.value_at_quantile(0.99)),
        ms(h.value_at_quantile(0.999)),
        ms(h.max()),
        h.mean() / 1000.0
    );
    if total.errors() > 0 {
        println!(
            "errors: {} transport, {} not stored (202 but not accepted), by status {:?}; first: {}",
            total.transport_errors,
            total.not_accepted,
            total.bad_status,
            total.first_error.as_deref().unwrap_or("-")
        );
    }
    let generator_cpu = self_after.cpu.saturating_sub(self_before.cpu);
    println!(
        "loadgen cpu: {:.0}% of one core",
        100.0 * generator_cpu.as_secs_f64() / seconds
    );
    let mut server_json = serde_json::Value::Null;
    if let (Some(idle), Some(before), Some(after), Some(end)) =
        (idle, server_before, server_after, server_end)
    {
        let cpu = after.cpu.saturating_sub(before.cpu);
        let cpu_us_per_delivery = if answered > 0 {
            cpu.as_secs_f64() * 1e6 / answered as f64
        } else {
            0.0
        };
        let written = after.storage_writes.saturating_sub(before.storage_writes) as f64;
        let written_per_delivery = if answered > 0 {
            written / answered as f64
        } else {
            0.0
        };
        println!(
            "server cpu: {cpu_us_per_delivery:.1} µs/delivery, {:.0}% of one core; rss: idle {:.1} MiB, peak {:.1} MiB, after {:.1} MiB",
            100.0 * cpu.as_secs_f64() / seconds,
            idle.rss_kib as f64 / 1024.0,
            end.hwm_kib as f64 / 1024.0,
            end.rss_kib as f64 / 1024.0
        );
        println!(
            "server storage writes: {:.1} MiB/s, {:.1} KiB/delivery",
            written / seconds / (1024.0 * 1024.0),
            written_per_delivery / 1024.0
        );
        server_json = serde_json::json!({
            "cpu_us_per_delivery": cpu_us_per_delivery,
            "cpu_cores": cpu.as_secs_f64() / seconds,
            "idle_rss_mib": idle.rss_kib as f64 / 1024.0,
            "peak_rss_mib": end.hwm_kib as f64 / 1024.0,
            "storage_kib_per_delivery": written_per_delivery / 1024.0,
        });
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "size": args.size.label(),
                "delivery_ids": args.delivery_ids.label(),
                "concurrency": args.concurrency,
                "rate": args.rate,
                "seconds": seconds,
                "answered": answered,
                "accepted": total.accepted,
                "errors": total.errors(),
                "per_second": per_second,
                "p50_ms": ms(h.value_at_quantile(0.50)),
                "p99_ms": ms(h.value_at_quantile(0.99)),
                "max_ms": ms(h.max()),
                "loadgen_cpu_cores": generator_cpu.as_secs_f64() / seconds,
                "server": server_json,
            })
        );
    }
    Ok(total.errors() == 0 && answered > 0)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        // The figures are printed; a run with errors still fails so scripts notice.
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_forms_the_readme_uses() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn this_process_can_be_sampled() {
        let sample = sample_process("self").unwrap();
        assert!(sample.rss_kib > 0);
        assert!(sample.hwm_kib >= sample.rss_kib);
    }

    #[test]
    fn payloads_have_their_size_and_shape() {
        for size in PayloadSize::ALL {
            let body = payloads::payload(size, 42, 500);
            let len = body.len();
            let target = size.target_bytes();
            assert!(
                len.abs_diff(target) <= target / 50,
                "{}: {len} bytes",
                size.label()
            );
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert!(
                value["repository"]["full_name"]
                    .as_str()
                    .unwrap()
                    .contains('/')
            );
            assert!(value["installation"]["id"].as_u64().is_some());
        }
        assert_ne!(
            payloads::payload(PayloadSize::Small2k, 1, 500),
            payloads::payload(PayloadSize::Small2k, 2, 500)
        );
    }

    #[test]
    fn pool_bodies_verify_under_the_secret() {
        let args = Args::parse_from([
            "loadgen", "--secret", "s3cret", "--size", "30k", "--pool", "3",
        ]);
        let pool = build_pool(&args, b"s3cret");
        assert_eq!(pool.len(), 3);
        for signed in &pool {
            let header = signed.signature.to_str().unwrap();
            let secrets = [relman::config::settings::Secret::new("s3cret")];
            assert!(relman::server::signature::verify(
                &secrets,
                &signed.body,
                header
            ));
        }
        assert_ne!(pool[0].body, pool[1].body);
    }
}
