//! The scheduler: a tick loop that turns "due" into inbox rows.
//!
//! Scheduled work is stored as jobs in the same inbox as webhooks, keyed
//! `job:<name>:<key>:<scheduled_for>`. The key is unique, so two replicas ticking at the same
//! moment, or a restart re-ticking a slot it already handled, store the job once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::writer::InboxWriter;
use crate::clock::Clock;
use crate::store::work::{NewWorkItem, WorkKind};

/// The queue jobs without a repository run in.
pub const GLOBAL_QUEUE: &str = "global";

/// A job booked for one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub name: String,
    /// What the job is about (a repository, an installation, `global`).
    pub key: String,
    pub scheduled_for: DateTime<Utc>,
    /// Work sharing a queue runs in order; use the repository's queue for repository work.
    pub queue_key: String,
    pub repo: Option<String>,
    pub installation_id: Option<i64>,
    pub payload: serde_json::Value,
}

impl JobSpec {
    pub fn dedupe_key(&self) -> String {
        format!(
            "job:{}:{}:{}",
            self.name,
            self.key,
            self.scheduled_for.timestamp_millis()
        )
    }

    pub fn into_item(self) -> NewWorkItem {
        NewWorkItem {
            kind: WorkKind::Job,
            dedupe_key: self.dedupe_key(),
            name: self.name,
            action: None,
            queue_key: self.queue_key,
            repo: self.repo,
            installation_id: self.installation_id,
            payload: serde_json::to_vec(&self.payload).unwrap_or_else(|_| b"null".to_vec()),
            run_at: self.scheduled_for.timestamp_millis(),
        }
    }
}

/// A job that runs every `every`, aligned to the epoch so all replicas agree on its slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periodic {
    pub name: &'static str,
    pub every: Duration,
}

impl Periodic {
    /// The slot that `now` falls in.
    pub fn slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let every = self.every.as_millis().max(1) as i64;
        let start = now.timestamp_millis().div_euclid(every) * every;
        DateTime::from_timestamp_millis(start).unwrap_or(now)
    }

    pub fn job(&self, now: DateTime<Utc>) -> JobSpec {
        JobSpec {
            name: self.name.to_string(),
            key: GLOBAL_QUEUE.to_string(),
            scheduled_for: self.slot(now),
            queue_key: format!("job:{}", self.name),
            repo: None,
            installation_id: None,
            payload: serde_json::Value::Null,
        }
    }
}

/// Ticks until `shutdown`, storing each periodic job's current slot.
pub async fn run_scheduler(
    writer: InboxWriter,
    clock: Arc<dyn Clock>,
    jobs: Vec<Periodic>,
    tick: Duration,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        let now = clock.now();
        for periodic in &jobs {
            if let Err(e) = writer.enqueue(periodic.job(now).into_item()).await {
                tracing::warn!(error = %e, job = periodic.name, "could not schedule job");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_aligned_so_replicas_agree() {
        let p = Periodic {
            name: "poll",
            every: Duration::from_secs(300),
        };
        let a = DateTime::parse_from_rfc3339("2026-11-26T10:03:12Z")
            .unwrap()
            .to_utc();
        let b = DateTime::parse_from_rfc3339("2026-11-26T10:04:59Z")
            .unwrap()
            .to_utc();
        assert_eq!(p.slot(a), p.slot(b));
        assert_eq!(p.job(a).dedupe_key(), p.job(b).dedupe_key());
        assert_eq!(
            p.slot(a),
            DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
                .unwrap()
                .to_utc()
        );
        let c = DateTime::parse_from_rfc3339("2026-11-26T10:05:00Z")
            .unwrap()
            .to_utc();
        assert_ne!(p.job(a).dedupe_key(), p.job(c).dedupe_key());
    }
}
