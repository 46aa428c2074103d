//! Asking GitHub again for webhook deliveries relman missed (tanium/octobot's idea): while relman
//! is down or failing, GitHub records each delivery as failed and does not retry it by itself.
//!
//! relman lists the App's delivery log (`GET /app/hook/deliveries`, newest first, cursor
//! pagination through the `Link` header), keeps the attempts inside a bounded window, and asks
//! for a redelivery (`POST /app/hook/deliveries/{id}/attempts`) of each event whose GUID — the
//! `X-GitHub-Delivery` id the inbox stores it under — the store never saw, provided relman
//! subscribes to the event. That covers both deliveries that failed (no attempt answered 2xx)
//! and ones GitHub saw answered but relman does not hold (a store restored from a backup). A
//! failed attempt relman holds anyway (it stored the delivery but answered too late) is not
//! asked for: the inbox already has it. A GUID can have several attempts; it is asked for once,
//! through its newest attempt, and the store records the request so that no later run or other
//! replica asks again.
//!
//! [`plan`] decides (pure); [`run`] lists, plans and asks, a pause apart, and logs each request.
//! It runs as the `redeliver` job: once at start-up over [`STARTUP_WINDOW`], then every
//! [`EVERY`] over [`PERIODIC_WINDOW`]; `relman redeliver --since 2h [--dry-run]` runs it on
//! demand.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::github::GitHubError;
use crate::github::rest::{RestClient, next_link};
use crate::inbox::ProcessError;
use crate::inbox::scheduler::{JobSpec, Periodic};
use crate::store::{Store, StoreError};

/// The job's name in the inbox.
pub const JOB: &str = "redeliver";
/// How often the periodic job runs.
pub const EVERY: Duration = Duration::from_secs(10 * 60);
/// How far back the periodic job looks: several runs overlap, so a run that failed is covered
/// by the next ones.
pub const PERIODIC_WINDOW: Duration = Duration::from_secs(60 * 60);
/// How far back the start-up run looks: relman may have been down for a while.
pub const STARTUP_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// GitHub keeps the delivery log, and redelivers, for three days.
pub const MAX_WINDOW: Duration = Duration::from_secs(3 * 24 * 60 * 60);
/// Between two redelivery requests: GitHub's secondary rate limit allows about 80 requests
/// that create content a minute; one a second stays well inside it.
pub const PAUSE: Duration = Duration::from_secs(1);
/// Requests one run makes at most; the rest wait for the next run.
pub const MAX_REQUESTS_PER_RUN: usize = 100;
/// Pages (of 100 deliveries) one run reads at most.
pub const MAX_PAGES: usize = 50;

/// The queue the redelivery jobs share, so two runs never overlap on one replica set.
const QUEUE: &str = "job:redeliver";

/// One attempt in GitHub's delivery log, read leniently: only `id`, `guid`, `delivered_at` and
/// `event` are needed; the rest has defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HookDelivery {
    pub id: i64,
    pub guid: String,
    pub delivered_at: DateTime<Utc>,
    #[serde(default)]
    pub redelivery: bool,
    /// 0 when the delivery got no answer at all (a timeout, a refused connection).
    #[serde(default)]
    pub status_code: i64,
    #[serde(default)]
    pub status: String,
    pub event: String,
    #[serde(default)]
    pub action: Option<String>,
}

impl HookDelivery {
    fn succeeded(&self) -> bool {
        (200..300).contains(&self.status_code)
    }
}

/// Why an event is redelivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// No attempt was answered with a 2xx; the newest attempt's answer.
    Failed { status_code: i64, status: String },
    /// An attempt was answered 2xx, yet the store does not hold the delivery.
    Unseen,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Failed {
                status_code: 0,
                status,
            } => write!(f, "failed ({status})"),
            Reason::Failed {
                status_code,
                status,
            } => write!(f, "failed ({status_code} {status})"),
            Reason::Unseen => f.write_str("answered but not in the store"),
        }
    }
}

/// An event to redeliver, through its newest attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub delivery_id: i64,
    pub guid: String,
    pub event: String,
    pub action: Option<String>,
    pub delivered_at: DateTime<Utc>,
    /// Attempts of this GUID inside the window.
    pub attempts: usize,
    pub reason: Reason,
}

impl Candidate {
    pub fn event_label(&self) -> String {
        match &self.action {
            Some(action) => format!("{}.{action}", self.event),
            None => self.event.clone(),
        }
    }
}

/// What to do with the events of one window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Oldest first, so events are redelivered in the order they happened.
    pub redeliver: Vec<Candidate>,
    /// Distinct events (GUIDs) inside the window.
    pub events: usize,
    /// Events relman does not subscribe to (ingress answers them `ignored` without storing).
    pub ignored: usize,
    /// Events the store holds.
    pub stored: usize,
    /// Events relman already asked GitHub to redeliver.
    pub already_requested: usize,
}

/// Decides which events to redeliver from the attempts in the log. Attempts delivered before
/// `since` are left out; `stored` and `requested` are the GUIDs the store holds and the ones
/// already asked for.
pub fn plan(
    deliveries: &[HookDelivery],
    since: DateTime<Utc>,
    stored: &HashSet<String>,
    requested: &HashSet<String>,
) -> Plan {
    let mut by_guid: HashMap<&str, Vec<&HookDelivery>> = HashMap::new();
    for delivery in deliveries.iter().filter(|d| d.delivered_at >= since) {
        by_guid.entry(&delivery.guid).or_default().push(delivery);
    }
    let mut result = Plan {
        events: by_guid.len(),
        ..Plan::default()
    };
    for (guid, attempts) in by_guid {
        let Some(newest) = attempts
            .iter()
            .copied()
            .max_by_key(|d| (d.delivered_at, d.id))
        else {
            continue;
        };
        if !crate::handlers::wants(&newest.event, newest.action.as_deref()) {
            result.ignored += 1;
            continue;
        }
        if stored.contains(guid) {
            result.stored += 1;
            continue;
        }
        if requested.contains(guid) {
            result.already_requested += 1;
            continue;
        }
        let reason = if attempts.iter().any(|d| d.succeeded()) {
            Reason::Unseen
        } else {
            Reason::Failed {
                status_code: newest.status_code,
                status: newest.status.clone(),
            }
        };
        result.redeliver.push(Candidate {
            delivery_id: newest.id,
            guid: guid.to_string(),
            event: newest.event.clone(),
            action: newest.action.clone(),
            delivered_at: attempts
                .iter()
                .map(|d| d.delivered_at)
                .min()
                .unwrap_or(newest.delivered_at),
            attempts: attempts.len(),
            reason,
        });
    }
    result
        .redeliver
        .sort_by_key(|c| (c.delivered_at, c.delivery_id));
    result
}

/// `2h`, `30m`, `1d`, `90s` (or a sum such as `1h30m`) as a window length; at most three days,
/// GitHub's delivery log.
pub fn parse_window(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a duration such as 30m, 2h or 1d");
    if text.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return Err(bad());
    }
    let window = Duration::from_secs(total);
    if window > MAX_WINDOW {
        return Err(format!(
            "{text} is longer than GitHub keeps deliveries (3 days)"
        ));
    }
    Ok(window)
}

#[derive(Debug, thiserror::Error)]
pub enum RedeliverError {
    #[error("listing the App's webhook deliveries: {0}")]
    List(GitHubError),
    #[error("the store: {0}")]
    Store(#[from] StoreError),
}

/// How one run goes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Attempts before this are left out.
    pub since: DateTime<Utc>,
    /// Plan and log, ask nothing, record nothing.
    pub dry_run: bool,
    pub pause: Duration,
    pub max_requests: usize,
    pub max_pages: usize,
}

impl Options {
    pub fn new(now: DateTime<Utc>, window: Duration) -> Options {
        let window = chrono::Duration::from_std(window.min(MAX_WINDOW))
            .unwrap_or_else(|_| chrono::Duration::days(3));
        Options {
            since: now - window,
            dry_run: false,
            pause: PAUSE,
            max_requests: MAX_REQUESTS_PER_RUN,
            max_pages: MAX_PAGES,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub plan: Plan,
    /// Attempts read from the log.
    pub listed: usize,
    /// The log went on past [`Options::max_pages`]: older attempts of the window were not read.
    pub truncated: bool,
    /// GitHub accepted these requests (in a dry run: these would have been sent).
    pub requested: Vec<Candidate>,
    /// Requests GitHub refused, with why. Those refused for a passing reason (rate limit, 5xx)
    /// are asked again by a later run; the others are not.
    pub refused: Vec<(Candidate, String)>,
    /// Candidates left for a later run ([`Options::max_requests`], or GitHub's rate limit).
    pub deferred: usize,
}

/// Reads the delivery log back to `since` (newest first), at most `max_pages` pages.
/// Returns the attempts and whether the log went on past the last page read.
pub async fn list_deliveries(
    rest: &RestClient,
    since: DateTime<Utc>,
    max_pages: usize,
) -> Result<(Vec<HookDelivery>, bool), GitHubError> {
    let mut next = Some("/app/hook/deliveries?per_page=100".to_string());
    let mut all: Vec<HookDelivery> = Vec::new();
    let mut pages = 0;
    while let Some(route) = next.take() {
        if pages == max_pages {
            return Ok((all, true));
        }
        pages += 1;
        let response = rest.request(Method::GET, &route, None).await?;
        let page: Vec<HookDelivery> = crate::github::rest::decode(&route, &response.body)?;
        // Newest first: once a page reaches back past the window, older pages add nothing.
        let reached_start = page.last().is_none_or(|d| d.delivered_at < since);
        all.extend(page);
        if !reached_start {
            next = next_link(&response.headers);
        }
    }
    Ok((all, false))
}

/// Lists, plans and asks. GitHub is called as the App (JWT), through `rest`.
pub async fn run(
    rest: &RestClient,
    store: &Store,
    now: DateTime<Utc>,
    options: &Options,
) -> Result<Report, RedeliverError> {
    // In `serve --dry-run` the client records writes instead of sending them: nothing is asked
    // for, so nothing may be recorded as asked either.
    let dry_run = options.dry_run || rest.is_dry_run();
    let (deliveries, truncated) = list_deliveries(rest, options.since, options.max_pages)
        .await
        .map_err(RedeliverError::List)?;
    if truncated {
        tracing::warn!(
            listed = deliveries.len(),
            since = %options.since,
            "the webhook delivery log is longer than one run reads; older deliveries of the window were not checked"
        );
    }
    let mut guids: Vec<String> = deliveries
        .iter()
        .filter(|d| d.delivered_at >= options.since)
        .map(|d| d.guid.clone())
        .collect();
    guids.sort();
    guids.dedup();
    let stored = store.known_deliveries(&guids).await?;
    let requested = store.redelivery_requested(&guids).await?;
    let plan = plan(&deliveries, options.since, &stored, &requested);
    if !dry_run {
        let horizon = now - chrono::Duration::days(7);
        store.prune_redeliveries(horizon.timestamp_millis()).await?;
    }

    let mut report = Report {
        listed: deliveries.len(),
        truncated,
        ..Report::default()
    };
    let mut sent = 0usize;
    for (index, candidate) in plan.redeliver.iter().enumerate() {
        if sent == options.max_requests {
            report.deferred = plan.redeliver.len() - index;
            tracing::info!(
                deferred = report.deferred,
                "redelivery requests left for the next run"
            );
            break;
        }
        if dry_run {
            tracing::info!(guid = %candidate.guid, delivery = candidate.delivery_id, event = %candidate.event_label(), reason = %candidate.reason, "dry run: would ask GitHub to redeliver");
            report.requested.push(candidate.clone());
            continue;
        }
        if !store
            .claim_redelivery(
                &candidate.guid,
                candidate.delivery_id,
                &candidate.event,
                now.timestamp_millis(),
            )
            .await?
        {
            // Another replica asked for it since this run read the store.
            continue;
        }
        if sent > 0 {
            tokio::time::sleep(options.pause).await;
        }
        sent += 1;
        let route = format!("/app/hook/deliveries/{}/attempts", candidate.delivery_id);
        match rest.request(Method::POST, &route, None).await {
            Ok(_) => {
                tracing::info!(guid = %candidate.guid, delivery = candidate.delivery_id, event = %candidate.event_label(), attempts = candidate.attempts, reason = %candidate.reason, "asked GitHub to redeliver");
                metrics::counter!("relman_redelivery_requests_total", "outcome" => "requested")
                    .increment(1);
                report.requested.push(candidate.clone());
            }
            Err(error) => {
                metrics::counter!("relman_redelivery_requests_total", "outcome" => "refused")
                    .increment(1);
                tracing::warn!(guid = %candidate.guid, delivery = candidate.delivery_id, event = %candidate.event_label(), error = %error, "GitHub did not take the redelivery request");
                report.refused.push((candidate.clone(), error.to_string()));
                if error.is_transient() {
                    // GitHub is limiting or failing: this one and the rest wait for the next
                    // run. A refusal that will not change (the delivery is gone) stays
                    // recorded, so it is not asked for again.
                    store.release_redelivery(&candidate.guid).await?;
                    report.deferred = plan.redeliver.len() - index - 1;
                    break;
                }
            }
        }
    }
    tracing::info!(
        since = %options.since,
        listed = report.listed,
        events = plan.events,
        stored = plan.stored,
        ignored = plan.ignored,
        already_requested = plan.already_requested,
        requested = report.requested.len(),
        refused = report.refused.len(),
        deferred = report.deferred,
        dry_run,
        "webhook redelivery check"
    );
    report.plan = plan;
    Ok(report)
}

/// The periodic job, for the scheduler.
pub fn periodic() -> Periodic {
    Periodic {
        name: JOB,
        every: EVERY,
    }
}

/// The one-off run at start-up, over [`STARTUP_WINDOW`]. Keyed by the start time, so each start
/// gets one (replicas starting together each get one; the store keeps them from asking twice).
pub fn startup_job(now: DateTime<Utc>) -> JobSpec {
    JobSpec {
        name: JOB.to_string(),
        key: "startup".to_string(),
        scheduled_for: now,
        queue_key: QUEUE.to_string(),
        repo: None,
        installation_id: None,
        payload: serde_json::json!({ "window_seconds": STARTUP_WINDOW.as_secs() }),
    }
}

/// Runs a stored `redeliver` job: the window comes from its payload (`window_seconds`), else
/// [`PERIODIC_WINDOW`]. Called from the dispatcher's job arm.
pub async fn job(
    github: &dyn crate::github::GitHubAppPort,
    store: &Store,
    now: DateTime<Utc>,
    payload: &[u8],
) -> Result<(), ProcessError> {
    let window = serde_json::from_slice::<Value>(payload)
        .ok()
        .and_then(|p| p.get("window_seconds").and_then(Value::as_u64))
        .map(Duration::from_secs)
        .unwrap_or(PERIODIC_WINDOW);
    let options = Options::new(now, window);
    let client = github
        .app_rest()
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    run(&client, store, now, &options)
        .await
        .map(|_| ())
        .map_err(|e| ProcessError::Retryable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap()
    }

    fn attempt(id: i64, guid: &str, minute: i64, status_code: i64) -> HookDelivery {
        HookDelivery {
            id,
            guid: guid.to_string(),
            delivered_at: at(minute),
            redelivery: false,
            status_code,
            status: if status_code == 202 { "OK" } else { "failed" }.to_string(),
            event: "issue_comment".to_string(),
            action: Some("created".to_string()),
        }
    }

    fn set(guids: &[&str]) -> HashSet<String> {
        guids.iter().map(|g| g.to_string()).collect()
    }

    #[test]
    fn failed_and_unseen_events_are_redelivered_once_through_their_newest_attempt() {
        let log = vec![
            attempt(1, "a", 10, 503),
            attempt(2, "a", 20, 0),
            attempt(3, "b", 11, 202),
            attempt(4, "c", 12, 502),
            attempt(5, "c", 30, 202),
            attempt(6, "d", 13, 202),
        ];
        let plan = plan(&log, at(0), &set(&["b", "c"]), &set(&[]));
        let asked: Vec<(i64, &str)> = plan
            .redeliver
            .iter()
            .map(|c| (c.delivery_id, c.guid.as_str()))
            .collect();
        // a failed twice (asked once, through attempt 2); d was answered but is not stored;
        // b and c are stored (c after a later success).
        assert_eq!(asked, [(2, "a"), (6, "d")]);
        assert_eq!(
            plan.redeliver[0].reason,
            Reason::Failed {
                status_code: 0,
                status: "failed".into()
            }
        );
        assert_eq!(plan.redeliver[0].attempts, 2);
        assert_eq!(plan.redeliver[1].reason, Reason::Unseen);
        assert_eq!((plan.events, plan.stored), (4, 2));
    }

    #[test]
    fn requested_ignored_and_old_events_are_left_alone() {
        let mut ping = attempt(3, "ping", 15, 503);
        ping.event = "ping".into();
        ping.action = None;
        let log = vec![
            attempt(1, "old", 5, 503),
            attempt(2, "asked", 15, 503),
            ping,
        ];
        let plan = plan(&log, at(10), &set(&[]), &set(&["asked"]));
        assert!(plan.redeliver.is_empty(), "{plan:?}");
        assert_eq!(
            (plan.events, plan.ignored, plan.already_requested),
            (2, 1, 1)
        );
    }

    #[test]
    fn windows_read_like_durations() {
        assert_eq!(parse_window("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_window("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_window("3d"), Ok(MAX_WINDOW));
        for bad in ["", "2", "h", "2x", "0m", "-1h"] {
            assert!(parse_window(bad).is_err(), "{bad:?}");
        }
        assert!(parse_window("4d").unwrap_err().contains("3 days"));
    }

    #[test]
    fn the_delivery_log_is_read_leniently() {
        let item: HookDelivery = serde_json::from_value(serde_json::json!({
            "id": 12, "guid": "0b989ba4-242f-11e5-81e1-c7b6966d2516",
            "delivered_at": "2019-06-03T00:57:16Z", "event": "issues", "action": null,
            "installation_id": null, "repository_id": null, "throttled_at": null
        }))
        .unwrap();
        assert_eq!((item.id, item.status_code, item.action), (12, 0, None));
    }
}
