//! Work that can wait for GitHub's rate-limit reset: when an installation has less than the
//! reserve left ([`crate::github::rate_budget`]), a deferrable job (the dispatcher names them)
//! is booked again in the inbox for the reset instead of spending the points commands and
//! releases need. Nothing sleeps: the worker finishes the item and goes on with the next.
//! This module depends on no other handler, so every handler may use it.

use chrono::{DateTime, Utc};

use crate::github::rate_budget::RateBudget;
use crate::inbox::ProcessError;
use crate::inbox::scheduler::JobSpec;
use crate::store::Store;
use crate::store::work::ClaimedItem;

/// When `item` should run instead of `now`: the reset, if it is a `deferrable` job and its
/// installation is under the reserve.
pub fn deferral(
    rate: &RateBudget,
    deferrable: bool,
    item: &ClaimedItem,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !deferrable {
        return None;
    }
    let installation = u64::try_from(item.installation_id?).ok()?;
    rate.defer_until(installation, now)
}

/// Books `item` again for `until`, in its own queue. Deferred again and again, a job keeps its
/// key, so the deferred copies of one repository's refreshes due at one reset are one job.
pub async fn defer(
    store: &Store,
    item: &ClaimedItem,
    until: DateTime<Utc>,
    now_ms: i64,
) -> Result<(), ProcessError> {
    let payload = serde_json::from_slice(&item.payload).map_err(|e| {
        ProcessError::Permanent(format!("cannot read the {} payload: {e}", item.name))
    })?;
    let job = JobSpec {
        name: item.name.clone(),
        key: job_key(&item.name, &item.dedupe_key).to_string(),
        scheduled_for: until,
        queue_key: item.queue_key.clone(),
        repo: item.repo.clone(),
        installation_id: item.installation_id,
        payload,
    };
    store
        .enqueue_batch(&[job.into_item()], now_ms)
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    count_deferred(&item.name);
    tracing::info!(job = %item.name, until = %until, "GitHub rate limit under the reserve: job deferred to the reset");
    Ok(())
}

/// Counts work of `job` put off for a reset (booked again, or left to the next poll).
pub fn count_deferred(job: &str) {
    metrics::counter!("relman_work_deferred_total", "name" => job.to_string()).increment(1);
}

/// The key a job was booked under (`job:<name>:<key>:<millis>`, see [`JobSpec::dedupe_key`]);
/// the whole dedupe key for anything else.
fn job_key<'a>(name: &str, dedupe_key: &'a str) -> &'a str {
    dedupe_key
        .strip_prefix("job:")
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.rsplit_once(':'))
        .map_or(dedupe_key, |(key, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deferred_job_keeps_the_key_it_was_booked_under() {
        let at = DateTime::from_timestamp(1_796_000_000, 0).unwrap();
        let spec = JobSpec {
            name: "tracking-refresh".into(),
            key: "acme/web:v2".into(),
            scheduled_for: at,
            queue_key: "repo:1".into(),
            repo: None,
            installation_id: None,
            payload: serde_json::Value::Null,
        };
        assert_eq!(
            job_key("tracking-refresh", &spec.dedupe_key()),
            "acme/web:v2"
        );
        assert_eq!(job_key("tracking-refresh", "delivery-1"), "delivery-1");
        assert_eq!(
            job_key("announce-release", "job:tracking-refresh:a:1"),
            "job:tracking-refresh:a:1"
        );
    }
}
