//! Posting signed webhooks to a running relman: `relman replay`, the load generator and
//! process-level tests. A plain HTTP/1.1 client; no GitHub involved.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::Rng;

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

/// A fresh GUID-shaped delivery id, as GitHub sends.
pub fn new_delivery_id() -> String {
    let b: [u8; 16] = rand::rng().random();
    format!(
        "{}-{}-{}-{}-{}",
        hex::encode(&b[0..4]),
        hex::encode(&b[4..6]),
        hex::encode(&b[6..8]),
        hex::encode(&b[8..10]),
        hex::encode(&b[10..16])
    )
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
