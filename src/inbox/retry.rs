//! When to try a failed item again: exponential backoff with jitter, then give up.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; after the last failure the item is dead.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // 8 attempts over roughly 1 + 2 + 4 + … ≈ 40 minutes: long enough to ride out a GitHub
        // incident or a deploy of ours, short enough that a human sees a dead item the same hour.
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(30 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay before the next attempt after `attempts` failed ones, or `None` to give up.
    /// `jitter` in [0, 1) spreads retries of many items that failed together (an outage) so they
    /// do not all come back at the same instant: the delay is drawn from [d/2, d).
    pub fn next_delay(&self, attempts: u32, jitter: f64) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exponent = attempts.saturating_sub(1).min(31);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        Some(full.mul_f64(0.5 + 0.5 * jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_jitter_bounds_and_stop() {
        let p = RetryPolicy::default();
        assert_eq!(p.next_delay(1, 0.0), Some(Duration::from_secs(5)));
        assert_eq!(p.next_delay(1, 1.0), Some(Duration::from_secs(10)));
        assert_eq!(p.next_delay(3, 1.0), Some(Duration::from_secs(40)));
        assert_eq!(p.next_delay(7, 1.0), Some(Duration::from_secs(640)));
        assert_eq!(p.next_delay(8, 0.5), None);
        let capped = RetryPolicy {
            max_attempts: 100,
            ..p
        };
        assert_eq!(capped.next_delay(60, 1.0), Some(Duration::from_secs(1800)));
    }
}
