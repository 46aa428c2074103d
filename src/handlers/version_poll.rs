//! Reading an environment's Dockerflow `/__version__`: HTTPS or HTTP GET with a timeout, no
//! redirects followed (a 3xx is an error: the configured URL must answer itself, and a redirect
//! could point anywhere), the answer capped in size and required to be JSON with a `version`.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

/// How long one poll may take, connection to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// A `/__version__` answer is a few hundred bytes; anything past this is not one.
pub const MAX_BYTES: usize = 64 * 1024;

/// What the endpoint reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub version: String,
    pub commit: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PollError {
    #[error("not an http(s) URL: {0}")]
    BadUrl(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("request failed: {0}")]
    Request(String),
    #[error("answered {status}{}; relman does not follow redirects", location.as_deref().map(|l| format!(" to {l}")).unwrap_or_default())]
    Redirect {
        status: u16,
        location: Option<String>,
    },
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("answer larger than {MAX_BYTES} bytes")]
    TooLarge,
    #[error("not a Dockerflow version document: {0}")]
    Garbage(String),
}

#[derive(Deserialize)]
struct VersionDocument {
    version: serde_json::Value,
    #[serde(default)]
    commit: Option<String>,
}

/// Reads `url`'s version document.
pub async fn fetch_version(url: &str, timeout: Duration) -> Result<Reported, PollError> {
    let uri: http::Uri = url.parse().map_err(|_| PollError::BadUrl(url.into()))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(PollError::BadUrl(url.into()));
    }
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| PollError::Request(format!("no TLS roots: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let request = http::Request::get(uri)
        .header("accept", "application/json")
        .header("user-agent", concat!("relman/", env!("CARGO_PKG_VERSION")))
        .body(Empty::new())
        .map_err(|e| PollError::Request(e.to_string()))?;
    let work = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| PollError::Request(e.to_string()))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(PollError::Redirect {
                status: status.as_u16(),
                location: response
                    .headers()
                    .get(http::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .map(str::to_string),
            });
        }
        if !status.is_success() {
            return Err(PollError::Status(status.as_u16()));
        }
        let body = Limited::new(response.into_body(), MAX_BYTES)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    PollError::TooLarge
                } else {
                    PollError::Request(e.to_string())
                }
            })?
            .to_bytes();
        parse_version(&body)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| PollError::Timeout(timeout))?
}

/// A Dockerflow version document: `{"version": "...", "commit": "..."}`; a number as version
/// is accepted (some services emit one), anything else is garbage. Pure.
pub fn parse_version(body: &[u8]) -> Result<Reported, PollError> {
    let doc: VersionDocument =
        serde_json::from_slice(body).map_err(|e| PollError::Garbage(e.to_string()))?;
    let version = match doc.version {
        serde_json::Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        other => return Err(PollError::Garbage(format!("`version` is {other}"))),
    };
    Ok(Reported {
        version,
        commit: doc.commit.filter(|c| !c.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_documents_are_read_strictly() {
        assert_eq!(
            parse_version(
                br#"{"source":"https://x","version":"v1.5.0","commit":"abc","build":"1"}"#
            ),
            Ok(Reported {
                version: "v1.5.0".into(),
                commit: Some("abc".into())
            })
        );
        assert!(matches!(
            parse_version(b"<html>"),
            Err(PollError::Garbage(_))
        ));
        assert!(matches!(
            parse_version(br#"{"version":""}"#),
            Err(PollError::Garbage(_))
        ));
        assert!(matches!(
            parse_version(br#"{"commit":"abc"}"#),
            Err(PollError::Garbage(_))
        ));
        assert!(matches!(
            parse_version(br#"{"version":null}"#),
            Err(PollError::Garbage(_))
        ));
    }
}
