//! Injected failures: the next N requests matching a method and path prefix
//! get an error (or a delay) instead of the normal answer.

use std::time::Duration;

/// Which requests a fault applies to. `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    /// HTTP method, compared case-insensitively (`"POST"`).
    pub method: Option<String>,
    /// Start of the request path (`"/repos/acme/web/issues"`).
    pub path_prefix: Option<String>,
}

impl Matcher {
    /// Matches every request.
    pub fn any() -> Matcher {
        Matcher::default()
    }

    /// Matches every request whose path starts with `prefix`.
    pub fn path(prefix: &str) -> Matcher {
        Matcher {
            method: None,
            path_prefix: Some(prefix.to_string()),
        }
    }

    /// Matches `method` requests whose path starts with `prefix`.
    pub fn method_path(method: &str, prefix: &str) -> Matcher {
        Matcher {
            method: Some(method.to_string()),
            path_prefix: Some(prefix.to_string()),
        }
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method));
        let path_ok = self
            .path_prefix
            .as_deref()
            .is_none_or(|prefix| path.starts_with(prefix));
        method_ok && path_ok
    }
}

/// What a faulted request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// This status with GitHub's error body for it (500, 502, 503, 401 ...).
    Status(u16),
    /// 403 with `Retry-After` and GitHub's secondary-rate-limit message.
    SecondaryRateLimit { retry_after_secs: u64 },
    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` set
    /// `reset_in_secs` from now (wall clock, as GitHub's header is).
    RateLimited { reset_in_secs: u64 },
    /// 429 with `Retry-After`.
    TooManyRequests { retry_after_secs: u64 },
    /// Answer normally, after this long.
    Delay(Duration),
    /// Expire every installation token, then answer normally (so a request
    /// that used a token gets 401).
    ExpireTokens,
}

/// A failure to inject into the next `times` matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub matcher: Matcher,
    pub times: u32,
    pub kind: FaultKind,
}

impl Fault {
    /// `kind` for the next matching request only.
    pub fn once(matcher: Matcher, kind: FaultKind) -> Fault {
        Fault {
            matcher,
            times: 1,
            kind,
        }
    }
}

/// The active faults, consumed in injection order.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: Vec<Fault>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, fault: Fault) {
        if fault.times > 0 {
            self.faults.push(fault);
        }
    }

    /// The fault for this request, if any, using up one of its `times`.
    pub(crate) fn take(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let index = self
            .faults
            .iter()
            .position(|fault| fault.matcher.matches(method, path))?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_order() {
        let mut queue = FaultQueue::default();
        queue.push(Fault {
            matcher: Matcher::method_path("post", "/repos/a/b/issues"),
            times: 2,
            kind: FaultKind::Status(502),
        });
        queue.push(Fault::once(Matcher::any(), FaultKind::Status(500)));
        assert_eq!(
            queue.take("GET", "/repos/a/b/issues"),
            Some(FaultKind::Status(500))
        );
        assert_eq!(queue.take("GET", "/repos/a/b/issues"), None);
        assert_eq!(
            queue.take("POST", "/repos/a/b/issues/1/comments"),
            Some(FaultKind::Status(502))
        );
        assert_eq!(
            queue.take("POST", "/repos/a/b/issues"),
            Some(FaultKind::Status(502))
        );
        assert_eq!(queue.take("POST", "/repos/a/b/issues"), None);
    }
}
