//! The primary rate limit and conditional requests, as GitHub applies them to installations.
//!
//! Each installation has a budget of points per window (GitHub: 5,000 an hour, more for large
//! organisations). Every request made with an installation token costs one point — failed ones
//! too — except a `304 Not Modified` answer to a conditional request, which costs none
//! (docs.github.com: "Use conditional requests if appropriate"). Answers carry the
//! `x-ratelimit-*` headers of the budget they were charged to; when it is spent, requests get
//! GitHub's 403 until the window resets. Windows run on the sim's clock ([`World::now`]), so a
//! test that moves the clock moves the reset with it; a window also ends after its length in
//! real time, so a sim whose clock stands still (`relman serve --dev`, the demo) never runs dry
//! for good.
//!
//! GET answers carry a weak `ETag` derived from the body; a request whose `If-None-Match`
//! names it gets `304` with no body.
//!
//! [`World::now`]: crate::World::now

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sha1::{Digest, Sha1};

/// An installation's budget: `limit` points per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u64,
    pub window: chrono::Duration,
}

impl Default for RateLimit {
    /// GitHub's budget for an installation on a small organisation.
    fn default() -> Self {
        RateLimit {
            limit: 5000,
            window: chrono::Duration::hours(1),
        }
    }
}

/// What one installation's requests have cost so far (all windows together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Requests answered (304s and rate-limited refusals included).
    pub requests: u64,
    /// Of those, `304 Not Modified` answers to conditional requests.
    pub not_modified: u64,
    /// Rate-limit points charged: every request but the 304s and the refusals.
    pub points: u64,
}

/// One installation's current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    used: u64,
    reset: DateTime<Utc>,
    /// When it opened, in real time.
    opened: Instant,
}

impl Window {
    fn new(used: u64, reset: DateTime<Utc>) -> Window {
        Window {
            used,
            reset,
            opened: Instant::now(),
        }
    }

    fn is_over(&self, now: DateTime<Utc>, length: chrono::Duration) -> bool {
        now >= self.reset || length.to_std().is_ok_and(|l| self.opened.elapsed() >= l)
    }
}

/// The `x-ratelimit-*` values of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quota {
    pub(crate) limit: u64,
    pub(crate) remaining: u64,
    pub(crate) used: u64,
    /// Unix seconds.
    pub(crate) reset: i64,
}

impl Quota {
    pub(crate) fn headers(&self) -> [(&'static str, String); 5] {
        [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-used", self.used.to_string()),
            ("x-ratelimit-reset", self.reset.to_string()),
            ("x-ratelimit-resource", "core".to_string()),
        ]
    }
}

/// Budgets and usage of every installation.
#[derive(Debug, Default)]
pub(crate) struct RateBook {
    pub(crate) limit: RateLimit,
    windows: BTreeMap<u64, Window>,
    usage: BTreeMap<u64, Usage>,
}

impl RateBook {
    fn window(&mut self, installation: u64, now: DateTime<Utc>) -> &mut Window {
        let length = self.limit.window;
        let current = self
            .windows
            .entry(installation)
            .or_insert_with(|| Window::new(0, now + length));
        if current.is_over(now, length) {
            *current = Window::new(0, now + length);
        }
        current
    }

    fn quota(&self, window: &Window) -> Quota {
        Quota {
            limit: self.limit.limit,
            remaining: self.limit.limit.saturating_sub(window.used),
            used: window.used,
            reset: window.reset.timestamp(),
        }
    }

    /// The quota before a request: `Err` with it when the budget is spent (the request is
    /// refused and costs nothing).
    pub(crate) fn admit(&mut self, installation: u64, now: DateTime<Utc>) -> Result<(), Quota> {
        let limit = self.limit.limit;
        let window = *self.window(installation, now);
        if window.used >= limit {
            self.usage.entry(installation).or_default().requests += 1;
            return Err(self.quota(&window));
        }
        Ok(())
    }

    /// Books an answered request and returns the quota its answer reports.
    pub(crate) fn charge(
        &mut self,
        installation: u64,
        now: DateTime<Utc>,
        not_modified: bool,
    ) -> Quota {
        let window = self.window(installation, now);
        if !not_modified {
            window.used += 1;
        }
        let window = *window;
        let usage = self.usage.entry(installation).or_default();
        usage.requests += 1;
        if not_modified {
            usage.not_modified += 1;
        } else {
            usage.points += 1;
        }
        self.quota(&window)
    }

    /// Leaves `remaining` points in `installation`'s window, which resets at `reset`.
    pub(crate) fn set_remaining(
        &mut self,
        installation: u64,
        remaining: u64,
        reset: DateTime<Utc>,
    ) {
        let used = self.limit.limit.saturating_sub(remaining);
        self.windows.insert(installation, Window::new(used, reset));
    }

    pub(crate) fn usage(&self, installation: u64) -> Usage {
        self.usage.get(&installation).copied().unwrap_or_default()
    }

    pub(crate) fn clear_usage(&mut self) {
        self.usage.clear();
    }
}

/// The weak validator of a body: GitHub's ETags are opaque strings; a digest of what was
/// served changes exactly when the answer does.
pub(crate) fn etag(body: &[u8]) -> String {
    let digest = Sha1::digest(body);
    format!("W/\"{}\"", hex::encode(digest))
}

/// Whether an `If-None-Match` header value names `etag` (weak comparison, RFC 9110 §13.1.2:
/// `W/` prefixes are ignored; `*` matches any current representation).
pub(crate) fn none_match(if_none_match: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let wanted = opaque(etag);
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_600_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn not_modified_answers_cost_no_points_and_windows_reset() {
        let mut book = RateBook {
            limit: RateLimit {
                limit: 2,
                window: chrono::Duration::seconds(60),
            },
            ..RateBook::default()
        };
        assert_eq!(book.charge(7, at(0), false).remaining, 1);
        assert_eq!(book.charge(7, at(1), true).remaining, 1);
        assert_eq!(book.charge(7, at(2), false).remaining, 0);
        let refused = book.admit(7, at(3)).unwrap_err();
        assert_eq!((refused.remaining, refused.reset), (0, at(60).timestamp()));
        assert!(book.admit(8, at(3)).is_ok(), "budgets are per installation");
        assert!(book.admit(7, at(60)).is_ok(), "the window reset");
        assert_eq!(
            book.usage(7),
            Usage {
                requests: 4,
                not_modified: 1,
                points: 2
            }
        );
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let tag = etag(b"[]");
        assert!(tag.starts_with("W/\""));
        assert!(none_match(&tag, &tag));
        assert!(none_match(tag.trim_start_matches("W/"), &tag));
        assert!(none_match(&format!("\"other\", {tag}"), &tag));
        assert!(none_match("*", &tag));
        assert!(!none_match("W/\"other\"", &tag));
        assert_ne!(etag(b"[1]"), tag);
    }
}
