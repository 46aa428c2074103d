//! Work that can wait for GitHub's rate-limit reset: when an installation has less than the
//! reserve left ([`crate::github::rate_budget`]), a deferrable job is booked again in the inbox
//! for the reset instead of spending the points commands and releases need. Nothing sleeps: the
//! worker finishes the item and goes on with the next.

use chrono::{DateTime, Utc};

use super::dispatch::Context;
use super::{environments, release, tracking};
use crate::inbox::ProcessError;
use crate::inbox::scheduler::JobSpec;
use crate::store::work::ClaimedItem;

/// Jobs that only keep things up to date for people to read: dashboard refreshes and release
/// announcements. (Version polls run for every repository in one global job; the poll skips the
/// repositories of a short installation instead, see [`wait_for_reset`].)
pub const DEFERRABLE_JOBS: &[&str] = &[tracking::REFRESH_JOB, release::ANNOUNCE_JOB];

/// When deferrable work of `installation` should run instead of now: the reset, while the
/// installation is under its reserve.
pub fn wait_for_reset(ctx: &Context, installation: u64) -> Option<DateTime<Utc>> {
    ctx.github
        .rate_budget()
        .defer_until(installation, ctx.clock.now())
}

/// When `item` should run instead of now, if it is a deferrable job of a short installation.
pub fn deferral(ctx: &Context, item: &ClaimedItem) -> Option<DateTime<Utc>> {
    if !DEFERRABLE_JOBS.contains(&item.name.as_str()) {
        return None;
    }
    let installation = u64::try_from(item.installation_id?).ok()?;
    wait_for_reset(ctx, installation)
}

/// Books `item` again for `until`, in its own queue. Deferred again and again, a job keeps its
/// key, so the deferred copies of one repository's refreshes due at one reset are one job.
pub async fn defer(
    ctx: &Context,
    item: &ClaimedItem,
    until: DateTime<Utc>,
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
    ctx.store
        .enqueue_batch(&[job.into_item()], ctx.clock.now_ms())
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    metrics::counter!("relman_jobs_deferred_total", "name" => item.name.clone()).increment(1);
    tracing::info!(job = %item.name, until = %until, "GitHub rate limit under the reserve: job deferred to the reset");
    Ok(())
}

/// Counts a version poll of one repository skipped for its installation's reset.
pub fn count_skipped_poll() {
    metrics::counter!("relman_jobs_deferred_total", "name" => environments::POLL_JOB).increment(1);
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
            name: tracking::REFRESH_JOB.into(),
            key: "acme/web:v2".into(),
            scheduled_for: at,
            queue_key: "repo:1".into(),
            repo: None,
            installation_id: None,
            payload: serde_json::Value::Null,
        };
        assert_eq!(
            job_key(tracking::REFRESH_JOB, &spec.dedupe_key()),
            "acme/web:v2"
        );
        assert_eq!(job_key(tracking::REFRESH_JOB, "delivery-1"), "delivery-1");
        assert_eq!(
            job_key(release::ANNOUNCE_JOB, "job:tracking-refresh:a:1"),
            "job:tracking-refresh:a:1"
        );
    }
}
