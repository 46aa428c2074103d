//! The board's cookies: the session (who signed in, their user token, until when) and the OAuth
//! `state` of a sign-in under way. Both live in cookie's private jar: authenticated and encrypted
//! (AES-256-GCM) with the session key, so a forged or altered cookie reads as absent, and the
//! user token inside is never readable from the browser. `HttpOnly`, `SameSite=Lax`, `Secure`
//! when the board is served over https. The expiry is inside the sealed value too: a cookie kept
//! past its `Max-Age` still reads as absent.

use axum_extra::extract::cookie::{Cookie, PrivateCookieJar, SameSite};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const SESSION_COOKIE: &str = "relman_session";
pub const STATE_COOKIE: &str = "relman_oauth_state";
/// How long a sign-in lasts.
pub const SESSION_TTL: Duration = Duration::hours(12);
/// How long the trip to GitHub and back may take.
pub const STATE_TTL: Duration = Duration::minutes(10);

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: u64,
    pub login: String,
    /// Their user-to-server token: the access check asks GitHub with it.
    pub token: String,
    /// Unix seconds.
    pub expires: i64,
}

/// A sign-in under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingState {
    state: String,
    expires: i64,
}

fn cookie(
    name: &'static str,
    value: String,
    path: &'static str,
    ttl: Duration,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(ttl.num_seconds()))
        .build()
}

/// Removal cookies must name the path they were set with.
pub fn removal(name: &'static str, path: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path(path).build()
}

/// A `Set-Cookie` that deletes `name`, written out rather than through the jar: the jar only
/// removes cookies it could open, and a forged one must go too.
pub fn removal_header(name: &'static str, path: &'static str) -> (http::HeaderName, String) {
    let mut cookie = Cookie::build((name, ""))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    cookie.make_removal();
    (http::header::SET_COOKIE, cookie.to_string())
}

pub fn session_cookie(session: &Session, secure: bool) -> Cookie<'static> {
    // Serialising these fields cannot fail; an empty value would read back as no session.
    let value = serde_json::to_string(session).unwrap_or_default();
    cookie(SESSION_COOKIE, value, "/", SESSION_TTL, secure)
}

/// The session in `jar`, if it is relman's, well-formed and not expired at `now`.
pub fn read_session(jar: &PrivateCookieJar, now: DateTime<Utc>) -> Option<Session> {
    let cookie = jar.get(SESSION_COOKIE)?;
    let session: Session = serde_json::from_str(cookie.value()).ok()?;
    (session.expires > now.timestamp()).then_some(session)
}

pub fn state_cookie(state: &str, now: DateTime<Utc>, secure: bool) -> Cookie<'static> {
    let pending = PendingState {
        state: state.to_string(),
        expires: (now + STATE_TTL).timestamp(),
    };
    let value = serde_json::to_string(&pending).unwrap_or_default();
    cookie(STATE_COOKIE, value, "/login", STATE_TTL, secure)
}

/// Whether `given` is the `state` this browser was sent to GitHub with, in time.
pub fn state_matches(jar: &PrivateCookieJar, given: &str, now: DateTime<Utc>) -> bool {
    use subtle::ConstantTimeEq;
    let Some(cookie) = jar.get(STATE_COOKIE) else {
        return false;
    };
    let Ok(pending) = serde_json::from_str::<PendingState>(cookie.value()) else {
        return false;
    };
    pending.expires > now.timestamp()
        && !given.is_empty()
        && bool::from(pending.state.as_bytes().ct_eq(given.as_bytes()))
}

/// A fresh `state`: 32 random bytes, hex.
pub fn new_state() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum_extra::extract::cookie::Key;
    use chrono::TimeZone;

    fn jar_with(cookie: Cookie<'static>, key: &Key) -> PrivateCookieJar {
        // Seal it as a response would, then read it back as the next request's header.
        let sealed = PrivateCookieJar::new(key.clone()).add(cookie);
        let mut headers = http::HeaderMap::new();
        let response = axum::response::IntoResponse::into_response((sealed, ()));
        for value in response.headers().get_all(http::header::SET_COOKIE) {
            let pair = value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            headers.append(http::header::COOKIE, pair.parse().unwrap());
        }
        PrivateCookieJar::from_headers(&headers, key.clone())
    }

    #[test]
    fn a_session_reads_back_until_it_expires_and_only_with_its_key() {
        let key = Key::from(&[7u8; 64]);
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let session = Session {
            user_id: 1,
            login: "alice".into(),
            token: "ghu_x".into(),
            expires: (now + SESSION_TTL).timestamp(),
        };
        let jar = jar_with(session_cookie(&session, true), &key);
        assert_eq!(read_session(&jar, now), Some(session.clone()));
        assert_eq!(read_session(&jar, now + SESSION_TTL), None);
        let sealed_elsewhere = jar_with(session_cookie(&session, true), &Key::from(&[8u8; 64]));
        let mut headers = http::HeaderMap::new();
        let value = sealed_elsewhere
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_string());
        assert!(value.is_some());
        headers.append(
            http::header::COOKIE,
            "relman_session=forged".parse().unwrap(),
        );
        assert_eq!(
            read_session(&PrivateCookieJar::from_headers(&headers, key), now),
            None
        );
    }

    #[test]
    fn the_state_must_match_and_be_recent() {
        let key = Key::from(&[7u8; 64]);
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let jar = jar_with(state_cookie("abc", now, false), &key);
        assert!(state_matches(&jar, "abc", now));
        assert!(!state_matches(&jar, "abd", now));
        assert!(!state_matches(&jar, "", now));
        assert!(!state_matches(&jar, "abc", now + STATE_TTL));
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_behind_https() {
        let c = state_cookie("abc", Utc::now(), true);
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.path(), Some("/login"));
    }
}
