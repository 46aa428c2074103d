//! Webhook ingress: verify, store, answer — before GitHub's 10 s timeout and without calling
//! GitHub. Everything else happens later, in a worker.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Deserializer};
use serde_json::json;

use super::AppState;
use crate::handlers;
use crate::server::signature;
use crate::store::work::{Enqueued, NewWorkItem, WorkKind};

/// GitHub caps payloads at 25 MiB; anything larger is not from GitHub.
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// A signed delivery that passed every check.
#[derive(Debug)]
pub struct Delivery {
    pub id: String,
    pub event: String,
    pub envelope: Envelope,
    pub body: Bytes,
}

/// The few fields ingress needs: which action, installation and repository. Everything else is
/// read by the handler that acts on the event. Each field is lenient — a delivery is never
/// refused because one of them has a shape we did not expect.
#[derive(Debug, Default, Deserialize)]
pub struct Envelope {
    #[serde(default, deserialize_with = "lenient")]
    pub action: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub installation: Option<InstallationRef>,
    #[serde(default, deserialize_with = "lenient")]
    pub repository: Option<RepositoryRef>,
}

#[derive(Debug, Deserialize)]
pub struct InstallationRef {
    pub id: i64,
}

#[derive(Debug, Deserialize)]
pub struct RepositoryRef {
    pub id: Option<i64>,
    pub full_name: Option<String>,
}

fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

impl Envelope {
    /// Work for one repository runs in order; events without one are ordered per installation.
    pub fn queue_key(&self) -> String {
        match (&self.repository, &self.installation) {
            (Some(RepositoryRef { id: Some(id), .. }), _) => format!("repo:{id}"),
            (
                Some(RepositoryRef {
                    full_name: Some(name),
                    ..
                }),
                _,
            ) => format!("repo:{name}"),
            (_, Some(installation)) => format!("installation:{}", installation.id),
            _ => crate::inbox::scheduler::GLOBAL_QUEUE.to_string(),
        }
    }
}

/// Why a request was refused. The message is short, never echoes secrets or the body.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    message: &'static str,
}

impl Rejection {
    fn new(status: StatusCode, message: &'static str) -> Self {
        Self { status, message }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        metrics::counter!("relman_webhook_rejected_total", "status" => self.status.as_str().to_string())
            .increment(1);
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A delivery id is GitHub's GUID; accept any short printable token so a format change on
/// GitHub's side does not turn into lost deliveries.
fn valid_delivery_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

fn valid_event_name(event: &str) -> bool {
    !event.is_empty()
        && event.len() <= 64
        && event.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

impl FromRequest<AppState> for Delivery {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let headers = &parts.headers;

        let event = header(headers, "x-github-event").ok_or(Rejection::new(
            StatusCode::BAD_REQUEST,
            "missing X-GitHub-Event header",
        ))?;
        if !valid_event_name(event) {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "malformed X-GitHub-Event header",
            ));
        }
        let id = header(headers, "x-github-delivery").ok_or(Rejection::new(
            StatusCode::BAD_REQUEST,
            "missing X-GitHub-Delivery header",
        ))?;
        if !valid_delivery_id(id) {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "malformed X-GitHub-Delivery header",
            ));
        }
        // Refuse an announced oversize body before reading any of it.
        if let Some(length) = header(headers, "content-length").and_then(|v| v.parse::<u64>().ok())
            && length > MAX_BODY_BYTES as u64
        {
            return Err(Rejection::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body exceeds 25 MiB",
            ));
        }
        // The legacy X-Hub-Signature (sha1) alone is not enough.
        let signature = header(headers, "x-hub-signature-256").ok_or(Rejection::new(
            StatusCode::UNAUTHORIZED,
            "missing X-Hub-Signature-256 header",
        ))?;
        let (event, id, signature) = (event.to_string(), id.to_string(), signature.to_string());

        let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|e| {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                if too_large {
                    Rejection::new(StatusCode::PAYLOAD_TOO_LARGE, "body exceeds 25 MiB")
                } else {
                    Rejection::new(StatusCode::BAD_REQUEST, "could not read the request body")
                }
            })?;

        if !signature::verify(&state.secrets, &body, &signature) {
            return Err(Rejection::new(
                StatusCode::UNAUTHORIZED,
                "signature does not match",
            ));
        }
        if let Some(ct) = header(headers, "content-type")
            && !ct.starts_with("application/json")
        {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "content type must be application/json (set it in the App's webhook settings)",
            ));
        }
        // serde would also read a struct from a JSON array; GitHub only ever sends objects.
        let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let envelope: Envelope = serde_json::from_slice(&body)
            .ok()
            .filter(|_| is_object)
            .ok_or(Rejection::new(
                StatusCode::BAD_REQUEST,
                "body is not a JSON object",
            ))?;

        Ok(Delivery {
            id,
            event,
            envelope,
            body,
        })
    }
}

/// `POST $WEBHOOK_PATH`.
pub async fn receive(State(state): State<AppState>, delivery: Delivery) -> Response {
    let Delivery {
        id,
        event,
        envelope,
        body,
    } = delivery;
    let action = envelope.action.clone();
    let event_label = handlers::metric_event_label(&event);

    if !handlers::wants(&event, action.as_deref()) {
        metrics::counter!("relman_webhook_deliveries_total", "event" => event_label, "outcome" => "ignored")
            .increment(1);
        tracing::debug!(delivery = %id, event = %event, action = action.as_deref().unwrap_or(""), "event ignored");
        return (StatusCode::ACCEPTED, Json(json!({ "status": "ignored" }))).into_response();
    }

    let item = NewWorkItem {
        kind: WorkKind::Webhook,
        dedupe_key: id.clone(),
        name: event.clone(),
        action: action.clone(),
        queue_key: envelope.queue_key(),
        repo: envelope
            .repository
            .as_ref()
            .and_then(|r| r.full_name.clone()),
        installation_id: envelope.installation.as_ref().map(|i| i.id),
        payload: body.to_vec(),
        run_at: 0,
    };
    let repo = item.repo.clone().unwrap_or_default();
    let installation = item.installation_id.unwrap_or_default();
    match state.writer.enqueue(item).await {
        Ok(outcome) => {
            let status = match outcome {
                Enqueued::Accepted { .. } => "accepted",
                Enqueued::Duplicate => "duplicate",
                Enqueued::Revived => "requeued",
            };
            metrics::counter!("relman_webhook_deliveries_total", "event" => event_label, "outcome" => status)
                .increment(1);
            tracing::debug!(delivery = %id, event = %event, action = action.as_deref().unwrap_or(""), repo = %repo, installation, status, "delivery stored");
            (StatusCode::ACCEPTED, Json(json!({ "status": status }))).into_response()
        }
        Err(e) => {
            metrics::counter!("relman_webhook_deliveries_total", "event" => event_label, "outcome" => "error")
                .increment(1);
            tracing::error!(delivery = %id, event = %event, error = %e, "could not store delivery");
            // 503 makes GitHub record the delivery as failed, so it can be redelivered.
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "error": "the delivery could not be stored; redeliver it later" })),
            )
                .into_response()
        }
    }
}
