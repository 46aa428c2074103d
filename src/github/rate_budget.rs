//! What is left of each installation's REST rate limit, as GitHub reports it in the
//! `x-ratelimit-*` headers of every answer, and whether deferrable work should wait.
//!
//! An installation gets 5,000 points an hour (more on large organisations). When what is left
//! falls under the reserve (by default 10 % of the limit), work that can wait — dashboard
//! refreshes, version polls, announcements — is booked again for the reset, so commands and
//! releases still have the points they need. The transport updates this on every answer; the
//! dispatcher asks it before running a deferrable job.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use http::HeaderMap;

/// The share of the limit kept for work that cannot wait, by default.
pub const DEFAULT_RESERVE_PERCENT: u8 = 10;

/// One installation's standing, from GitHub's latest answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub remaining: u64,
    /// When the window resets (GitHub's `x-ratelimit-reset`).
    pub reset: DateTime<Utc>,
}

impl Quota {
    /// The quota in an answer's headers; `None` when they are missing or describe another
    /// resource than the REST `core` budget (search, GraphQL have their own).
    pub fn from_headers(headers: &HeaderMap) -> Option<Quota> {
        let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
        let number = |name: &str| text(name)?.parse::<u64>().ok();
        if text("x-ratelimit-resource").is_some_and(|r| r != "core") {
            return None;
        }
        let reset = i64::try_from(number("x-ratelimit-reset")?).ok()?;
        Some(Quota {
            limit: number("x-ratelimit-limit")?,
            remaining: number("x-ratelimit-remaining")?,
            reset: DateTime::from_timestamp(reset, 0)?,
        })
    }
}

/// The latest quota of every installation relman has called GitHub for.
pub struct RateBudget {
    reserve_percent: u8,
    quotas: Mutex<HashMap<u64, Quota>>,
}

impl RateBudget {
    /// Deferrable work waits when less than `reserve_percent` of the limit is left (capped at
    /// 100; 0 never defers).
    pub fn new(reserve_percent: u8) -> Self {
        RateBudget {
            reserve_percent: reserve_percent.min(100),
            quotas: Mutex::new(HashMap::new()),
        }
    }

    fn quotas(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Quota>> {
        self.quotas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes in the quota an answer for `installation` reported.
    pub fn observe(&self, installation: u64, headers: &HeaderMap) {
        if let Some(quota) = Quota::from_headers(headers) {
            self.record(installation, quota);
        }
    }

    /// Keeps `quota` as `installation`'s standing. Answers to concurrent requests arrive in any
    /// order: within one window the lowest `remaining` is the latest.
    pub fn record(&self, installation: u64, quota: Quota) {
        let mut quotas = self.quotas();
        let kept = match quotas.get(&installation) {
            Some(known) if known.reset == quota.reset => Quota {
                remaining: known.remaining.min(quota.remaining),
                ..quota
            },
            Some(known) if known.reset > quota.reset => *known,
            _ => quota,
        };
        let was_low = quotas
            .get(&installation)
            .is_some_and(|known| self.is_low(known));
        quotas.insert(installation, kept);
        drop(quotas);

        let label = installation.to_string();
        metrics::gauge!("relman_github_rate_limit_remaining", "installation" => label.clone())
            .set(kept.remaining as f64);
        metrics::gauge!("relman_github_rate_limit_limit", "installation" => label)
            .set(kept.limit as f64);
        match (was_low, self.is_low(&kept)) {
            (false, true) => tracing::warn!(
                installation,
                remaining = kept.remaining,
                limit = kept.limit,
                reset = %kept.reset,
                "GitHub rate limit under the reserve: deferrable work waits for the reset"
            ),
            (true, false) => tracing::info!(
                installation,
                remaining = kept.remaining,
                limit = kept.limit,
                "GitHub rate limit above the reserve again"
            ),
            _ => {}
        }
    }

    fn is_low(&self, quota: &Quota) -> bool {
        // remaining < limit × percent / 100, in integers.
        quota.remaining.saturating_mul(100)
            < quota.limit.saturating_mul(u64::from(self.reserve_percent))
    }

    /// The latest quota of `installation`, if relman has called GitHub for it.
    pub fn quota(&self, installation: u64) -> Option<Quota> {
        self.quotas().get(&installation).copied()
    }

    /// When deferrable work for `installation` should run instead of `now`: the reset, while
    /// what is left is under the reserve; `None` to run it now.
    pub fn defer_until(&self, installation: u64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let quota = self.quota(installation)?;
        (self.is_low(&quota) && quota.reset > now).then_some(quota.reset)
    }
}

impl Default for RateBudget {
    fn default() -> Self {
        RateBudget::new(DEFAULT_RESERVE_PERCENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000 + secs, 0).unwrap()
    }

    fn quota(remaining: u64, reset: i64) -> Quota {
        Quota {
            limit: 5000,
            remaining,
            reset: at(reset),
        }
    }

    #[test]
    fn the_quota_is_read_from_githubs_headers_of_the_core_resource_only() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4321"),
            ("x-ratelimit-reset", "1796000600"),
            ("x-ratelimit-resource", "core"),
        ] {
            h.insert(k, v.parse().unwrap());
        }
        assert_eq!(Quota::from_headers(&h), Some(quota(4321, 600)));
        h.insert("x-ratelimit-resource", "search".parse().unwrap());
        assert_eq!(Quota::from_headers(&h), None);
        h.remove("x-ratelimit-resource");
        h.remove("x-ratelimit-reset");
        assert_eq!(Quota::from_headers(&h), None);
    }

    #[test]
    fn work_is_deferred_to_the_reset_only_under_the_reserve() {
        let budget = RateBudget::default();
        assert_eq!(budget.defer_until(7, at(0)), None, "nothing known yet");
        budget.record(7, quota(500, 600));
        assert_eq!(budget.defer_until(7, at(0)), None, "exactly 10 % left");
        budget.record(7, quota(499, 600));
        assert_eq!(budget.defer_until(7, at(0)), Some(at(600)));
        assert_eq!(budget.defer_until(8, at(0)), None, "per installation");
        assert_eq!(budget.defer_until(7, at(600)), None, "the window has reset");
        budget.record(7, quota(4999, 4200));
        assert_eq!(budget.defer_until(7, at(1)), None, "a new window");
    }

    #[test]
    fn answers_arriving_out_of_order_do_not_raise_what_is_left() {
        let budget = RateBudget::default();
        budget.record(7, quota(100, 600));
        budget.record(7, quota(140, 600));
        assert_eq!(budget.quota(7), Some(quota(100, 600)));
        // A late answer from the previous window changes nothing.
        budget.record(7, quota(4000, 0));
        assert_eq!(budget.quota(7), Some(quota(100, 600)));
    }

    #[test]
    fn the_reserve_is_configurable() {
        let never = RateBudget::new(0);
        never.record(7, quota(0, 600));
        assert_eq!(never.defer_until(7, at(0)), None);
        let half = RateBudget::new(50);
        half.record(7, quota(2499, 600));
        assert_eq!(half.defer_until(7, at(0)), Some(at(600)));
    }
}
