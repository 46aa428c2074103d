//! Posting signed webhooks to a running relman: `relman replay`, the load generator and
//! process-level tests. A plain HTTP/1.1 client; no GitHub involved.

use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::Rng;
use uuid::Uuid;

use crate::server::signature;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("bad URL {0:?}")]
    Url(String),
    #[error("request failed: {0}")]
    Request(String),
}

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A fresh delivery id in GitHub's shape: a time-based (version 1) UUID, as in GitHub's own
/// examples (`72d3162e-cc78-11e3-81ab-4c9367dc0958` in the webhook docs,
/// `0b989ba4-242f-11e5-81e1-c7b6966d2516` in the REST description). Ids made one after another
/// share their high bits, which is what the inbox's unique index sees from GitHub.
pub fn new_delivery_id() -> String {
    // The node field is a random one per process, not a MAC address.
    static NODE: OnceLock<[u8; 6]> = OnceLock::new();
    let node = NODE.get_or_init(|| rand::rng().random());
    Uuid::now_v1(node).hyphenated().to_string()
}

/// A GUID-shaped delivery id of random bits (version 4): no two close in order. The load
/// generator's `--delivery-ids random`, the worst case for the inbox's unique index.
pub fn random_delivery_id() -> String {
    Uuid::new_v4().hyphenated().to_string()
}

/// The request GitHub would send for this delivery.
pub fn signed_request(
    url: &str,
    event: &str,
    delivery: &str,
    secret: &[u8],
    body: impl Into<Bytes>,
) -> Result<http::Request<Full<Bytes>>, ReplayError> {
    let body = body.into();
    http::Request::post(url)
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Hookshot/relman-replay")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", signature::sign(secret, &body))
        .body(Full::new(body))
        .map_err(|_| ReplayError::Url(url.to_string()))
}

/// Posts one signed delivery; returns the status and the answer's body.
pub async fn post(
    url: &str,
    event: &str,
    delivery: &str,
    secret: &[u8],
    body: impl Into<Bytes>,
) -> Result<(u16, String), ReplayError> {
    post_with(&client(), url, event, delivery, secret, body).await
}

pub async fn post_with(
    client: &HttpClient,
    url: &str,
    event: &str,
    delivery: &str,
    secret: &[u8],
    body: impl Into<Bytes>,
) -> Result<(u16, String), ReplayError> {
    let request = signed_request(url, event, delivery, secret, body)?;
    let response = client
        .request(request)
        .await
        .map_err(|e| ReplayError::Request(e.to_string()))?;
    let status = response.status().as_u16();
    let answer = response
        .into_body()
        .collect()
        .await
        .map_err(|e| ReplayError::Request(e.to_string()))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&answer).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// relman replay and the load generator send ids of the kind GitHub sends: both ids GitHub
    /// publishes as examples are time-based (version 1) UUIDs, as ours are.
    #[test]
    fn delivery_ids_are_time_based_uuids_as_githubs_are() {
        for github in [
            "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            "0b989ba4-242f-11e5-81e1-c7b6966d2516",
        ] {
            assert_eq!(Uuid::parse_str(github).unwrap().get_version_num(), 1);
        }
        let first = new_delivery_id();
        let second = new_delivery_id();
        assert_ne!(first, second);
        for id in [&first, &second] {
            let uuid = Uuid::parse_str(id).unwrap();
            assert_eq!(uuid.get_version_num(), 1, "{id}");
            // Canonical lowercase form, as in GitHub's header.
            assert_eq!(uuid.hyphenated().to_string(), *id);
        }
        // Made microseconds apart: the same time_mid and time_hi (the third group, which
        // carries the version), so their index entries sit together.
        assert_eq!(first[9..18], second[9..18]);

        let random = random_delivery_id();
        assert_eq!(Uuid::parse_str(&random).unwrap().get_version_num(), 4);
    }
}
