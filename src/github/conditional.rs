//! Conditional requests: what relman reads again and again (the config file, tags, PR lists, a
//! tracking issue's comments, a commit's check runs) is asked for with the validator of the
//! answer it already has, and GitHub's `304 Not Modified` — which costs no rate-limit point —
//! is answered from the copy kept here.
//!
//! Entries are kept per (installation, route): installations see different repositories with
//! different permissions, and a page of a list is its own route (`…?per_page=100&page=2`), so
//! each page is validated on its own. A 304 carries no body and, from GitHub, no `Link` header
//! either, so the `Link` of the stored answer is kept with it.
//!
//! Memory is bounded: bodies are kept LZ4-compressed (JSON shrinks several times over) and the
//! least recently used entries go when the total passes the cap.

use std::sync::Mutex;

use bytes::Bytes;
use hashlink::LruCache;
use http::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LINK};
use http::{HeaderMap, HeaderName, HeaderValue};

/// What relman keeps by default: enough for a few hundred repositories' config files, tag and
/// PR lists, and the comments of their tracking issues.
pub const DEFAULT_CAPACITY_BYTES: usize = 32 * 1024 * 1024;

/// The share of the capacity one answer may take: a huge answer (a recursive tree) is not
/// worth pushing every other entry out for.
const LARGEST_SHARE: usize = 8;

/// What an entry costs beyond its bytes (key, validator, list links, bookkeeping).
const ENTRY_OVERHEAD: usize = 96;

/// A stored answer, as it is handed to a request: cheap to clone (the body is shared).
#[derive(Debug, Clone)]
pub struct Cached {
    validator: Validator,
    link: Option<HeaderValue>,
    compressed: Bytes,
}

/// How GitHub identified the version it sent: `ETag` where it gives one, else `Last-Modified`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Validator {
    ETag(HeaderValue),
    LastModified(HeaderValue),
}

impl Cached {
    /// The header that asks GitHub for the answer only if it changed.
    pub fn condition(&self) -> (HeaderName, HeaderValue) {
        match &self.validator {
            Validator::ETag(tag) => (IF_NONE_MATCH, tag.clone()),
            Validator::LastModified(at) => (IF_MODIFIED_SINCE, at.clone()),
        }
    }

    /// The stored answer for a 304: its body, and `headers` (the 304's, with the rate-limit
    /// figures) completed with the stored `Link`. `None` if the stored body does not unpack,
    /// which would be a bug here; the caller then asks again without a condition.
    pub fn revive(&self, headers: &mut HeaderMap) -> Option<Bytes> {
        let body = lz4_flex::decompress_size_prepended(&self.compressed).ok()?;
        if let Some(link) = &self.link
            && !headers.contains_key(LINK)
        {
            headers.insert(LINK, link.clone());
        }
        Some(Bytes::from(body))
    }

    fn cost(&self, route: &str) -> usize {
        self.compressed.len() + route.len() + ENTRY_OVERHEAD
    }
}

struct Entries {
    lru: LruCache<(u64, String), Cached>,
    bytes: usize,
}

/// The stored answers of every installation, least recently used first out.
pub struct ResponseCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl ResponseCache {
    /// A cache holding at most `capacity_bytes` (compressed bodies and bookkeeping); 0 keeps
    /// nothing, so every request is unconditional.
    pub fn new(capacity_bytes: usize) -> Self {
        ResponseCache {
            capacity: capacity_bytes,
            entries: Mutex::new(Entries {
                lru: LruCache::new_unbounded(),
                bytes: 0,
            }),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The stored answer of `route` for `installation`, marked as just used.
    pub fn get(&self, installation: u64, route: &str) -> Option<Cached> {
        if self.capacity == 0 {
            return None;
        }
        self.entries()
            .lru
            .get(&(installation, route.to_string()))
            .cloned()
    }

    /// Keeps a `200` answer of `route` if GitHub gave it a validator; an answer without one
    /// (or too large to keep) drops what was stored, which no longer describes the route.
    pub fn store(&self, installation: u64, route: &str, headers: &HeaderMap, body: &[u8]) {
        if self.capacity == 0 {
            return;
        }
        let validator = match (headers.get(ETAG), headers.get(LAST_MODIFIED)) {
            (Some(tag), _) => Some(Validator::ETag(tag.clone())),
            (None, Some(at)) => Some(Validator::LastModified(at.clone())),
            (None, None) => None,
        };
        let entry = validator.map(|validator| Cached {
            validator,
            link: headers.get(LINK).cloned(),
            compressed: Bytes::from(lz4_flex::compress_prepend_size(body)),
        });
        let key = (installation, route.to_string());
        let mut entries = self.entries();
        if let Some(old) = entries.lru.remove(&key) {
            entries.bytes -= old.cost(route);
        }
        let Some(entry) = entry.filter(|e| e.cost(route) <= self.capacity / LARGEST_SHARE) else {
            return;
        };
        entries.bytes += entry.cost(route);
        entries.lru.insert(key, entry);
        while entries.bytes > self.capacity {
            let Some(((_, evicted_route), evicted)) = entries.lru.remove_lru() else {
                break;
            };
            entries.bytes -= evicted.cost(&evicted_route);
        }
    }

    /// Bytes held now (for tests and the figures).
    pub fn bytes(&self) -> usize {
        self.entries().bytes
    }

    pub fn len(&self) -> usize {
        self.entries().lru.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache::new(DEFAULT_CAPACITY_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn an_etag_answer_is_kept_per_installation_and_route_and_revived_with_its_link() {
        let cache = ResponseCache::new(1 << 20);
        let stored = headers(&[
            (ETAG, "W/\"abc\""),
            (LINK, "</repos/o/r/tags?page=2>; rel=\"next\""),
        ]);
        cache.store(7, "/repos/o/r/tags?per_page=100", &stored, b"[1,2,3]");

        assert!(cache.get(8, "/repos/o/r/tags?per_page=100").is_none());
        assert!(
            cache
                .get(7, "/repos/o/r/tags?per_page=100&page=2")
                .is_none()
        );
        let hit = cache.get(7, "/repos/o/r/tags?per_page=100").unwrap();
        assert_eq!(
            hit.condition(),
            (IF_NONE_MATCH, HeaderValue::from_static("W/\"abc\""))
        );
        let mut not_modified = headers(&[(ETAG, "W/\"abc\"")]);
        assert_eq!(
            hit.revive(&mut not_modified).unwrap(),
            Bytes::from("[1,2,3]")
        );
        assert_eq!(not_modified[LINK], "</repos/o/r/tags?page=2>; rel=\"next\"");
    }

    #[test]
    fn last_modified_is_the_validator_when_there_is_no_etag() {
        let cache = ResponseCache::new(1 << 20);
        let at = "Wed, 02 Dec 2026 10:00:00 GMT";
        cache.store(7, "/r", &headers(&[(LAST_MODIFIED, at)]), b"{}");
        assert_eq!(
            cache.get(7, "/r").unwrap().condition(),
            (IF_MODIFIED_SINCE, HeaderValue::from_static(at))
        );
        // A later answer without any validator forgets the stale one.
        cache.store(7, "/r", &HeaderMap::new(), b"{}");
        assert!(cache.get(7, "/r").is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn the_least_recently_used_go_first_when_the_cap_is_reached() {
        let tag = headers(&[(ETAG, "\"t\"")]);
        let one = ResponseCache::new(1 << 20);
        one.store(1, "/r00", &tag, b"[]");
        let entry = one.bytes();
        // Room for ten entries of this size.
        let capacity = entry * 10 + entry / 2;
        let cache = ResponseCache::new(capacity);
        let routes: Vec<String> = (0..10).map(|i| format!("/r{i:02}")).collect();
        for route in &routes {
            cache.store(1, route, &tag, b"[]");
        }
        assert!(cache.get(1, "/r00").is_some(), "/r01 is now the oldest");
        cache.store(1, "/r10", &tag, b"[]");
        assert!(cache.get(1, "/r01").is_none());
        assert!(cache.get(1, "/r00").is_some());
        assert!(cache.get(1, "/r10").is_some());
        assert_eq!(cache.len(), 10);
        assert!(cache.bytes() <= capacity);
    }

    #[test]
    fn an_answer_too_large_to_keep_is_not_kept_and_zero_capacity_keeps_nothing() {
        let tag = headers(&[(ETAG, "\"t\"")]);
        let cache = ResponseCache::new(1024);
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[3])
            .collect();
        cache.store(1, "/big", &tag, &noise);
        assert!(cache.is_empty());

        let off = ResponseCache::new(0);
        off.store(1, "/a", &tag, b"[]");
        assert!(off.get(1, "/a").is_none());
    }

    #[test]
    fn bodies_are_kept_compressed() {
        let cache = ResponseCache::new(1 << 20);
        let body = "{\"name\":\"v1.2.3\",\"commit\":{\"sha\":\"abc\"}},".repeat(100);
        cache.store(1, "/tags", &headers(&[(ETAG, "\"t\"")]), body.as_bytes());
        assert!(cache.bytes() < body.len() / 4, "{}", cache.bytes());
    }
}
