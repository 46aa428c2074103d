//! Webhook ingress: verify, store, answer — before GitHub's 10 s timeout and without calling
//! GitHub. Everything else happens later, in a worker.

use std::fmt;

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::json;

use super::AppState;
use crate::config::settings::Secret;
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
    #[serde(default, deserialize_with = "lenient_installation")]
    pub installation: Option<InstallationRef>,
    #[serde(default, deserialize_with = "lenient_repository")]
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

// `installation` and `repository` are read without building a `serde_json::Value` of them: the
// repository object alone has about a hundred fields in GitHub's payloads, and copying them all
// into a tree only to keep two was a tenth of the ingress CPU. The outcome is the one the
// derived `Deserialize` gave on the `Value` (`None` where it failed): a field of the wrong type
// makes the whole object `None`, a field given twice counts as its last value (as in a `Value`),
// unknown fields are skipped.

fn lenient_installation<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<InstallationRef>, D::Error> {
    let Some(fields) = deserializer.deserialize_any(IdAndNameVisitor)? else {
        return Ok(None);
    };
    Ok(match fields.id {
        Some(Scalar::Int(Some(id))) => Some(InstallationRef { id }),
        _ => None,
    })
}

fn lenient_repository<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<RepositoryRef>, D::Error> {
    let Some(fields) = deserializer.deserialize_any(IdAndNameVisitor)? else {
        return Ok(None);
    };
    let id = match fields.id {
        None | Some(Scalar::Null) => None,
        Some(Scalar::Int(Some(id))) => Some(id),
        Some(_) => return Ok(None),
    };
    let full_name = match fields.full_name {
        None | Some(Scalar::Null) => None,
        Some(Scalar::Str(name)) => Some(name),
        Some(_) => return Ok(None),
    };
    Ok(Some(RepositoryRef { id, full_name }))
}

/// A JSON value as far as the envelope cares: the scalars it reads, or something else (skipped
/// without being built).
enum Scalar {
    Null,
    /// `None`: an integer outside `i64`.
    Int(Option<i64>),
    Str(String),
    Other,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Scalar, D::Error> {
        Scalar::deserialize(deserializer)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(Some(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Int(i64::try_from(v).ok()))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Scalar::Other)
    }
}

/// The keys of an object the envelope reads; any other key is skipped.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum ObjectKey {
    Id,
    FullName,
    #[serde(other)]
    Other,
}

/// `id` and `full_name` of an object, if present.
#[derive(Default)]
struct IdAndName {
    id: Option<Scalar>,
    full_name: Option<Scalar>,
}

/// Reads an object's `id` and `full_name`; any value that is not an object gives `None`.
struct IdAndNameVisitor;

impl<'de> Visitor<'de> for IdAndNameVisitor {
    type Value = Option<IdAndName>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = IdAndName::default();
        while let Some(key) = map.next_key::<ObjectKey>()? {
            match key {
                ObjectKey::Id => {
                    fields.id = Some(map.next_value()?);
                }
                ObjectKey::FullName => {
                    fields.full_name = Some(map.next_value()?);
                }
                ObjectKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(fields))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(None)
    }
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
    /// The status the request is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The short reason given in the answer's body.
    pub fn message(&self) -> &'static str {
        self.message
    }

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

/// GitHub adds event types now and then (`projects_v2_item`, `sub_issues`, …). Any name of that
/// shape is accepted here and, when relman does not take it, answered `202 ignored`: a `400`
/// would count as a failed delivery on GitHub's side.
fn valid_event_name(event: &str) -> bool {
    !event.is_empty()
        && event.len() <= 64
        && event
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The headers of a delivery, checked before its body is read.
#[derive(Debug)]
pub struct DeliveryHeaders<'a> {
    pub id: &'a str,
    pub event: &'a str,
    signature: &'a str,
    content_type: Option<&'a str>,
}

impl<'a> DeliveryHeaders<'a> {
    /// Checks what can be checked without the body: the event and delivery headers, an
    /// announced oversize body, the presence of the signature.
    pub fn read(headers: &'a HeaderMap) -> Result<Self, Rejection> {
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
        Ok(Self {
            id,
            event,
            signature,
            content_type: header(headers, "content-type"),
        })
    }

    /// Verifies the body against the signature and reads its envelope. Pure, so the fuzz target
    /// (`fuzz/fuzz_targets/webhook.rs`) runs exactly what ingress runs.
    pub fn accept(self, secrets: &[Secret], body: Bytes) -> Result<Delivery, Rejection> {
        if !signature::verify(secrets, &body, self.signature) {
            return Err(Rejection::new(
                StatusCode::UNAUTHORIZED,
                "signature does not match",
            ));
        }
        if let Some(ct) = self.content_type
            && !ct.starts_with("application/json")
        {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "content type must be application/json (set it in the App's webhook settings)",
            ));
        }
        // serde would also read a struct from a JSON array; GitHub only ever sends objects.
        let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        // JSON is UTF-8, and the envelope skips most strings without decoding them: checked
        // here, or a body a handler cannot read would be stored (found by fuzz/webhook).
        let envelope: Envelope = std::str::from_utf8(&body)
            .ok()
            .and_then(|text| serde_json::from_str(text).ok())
            .filter(|_| is_object)
            .ok_or(Rejection::new(
                StatusCode::BAD_REQUEST,
                "body is not a JSON object",
            ))?;
        Ok(Delivery {
            id: self.id.to_string(),
            event: self.event.to_string(),
            envelope,
            body,
        })
    }
}

impl FromRequest<AppState> for Delivery {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        // `parts` outlives the body read, so the header values are borrowed, not copied.
        let headers = DeliveryHeaders::read(&parts.headers)?;
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
        headers.accept(&state.secrets, body)
    }
}

/// A `202` whose JSON body is fixed: sent as is rather than serialised for every delivery.
fn accepted(body: &'static str) -> Response {
    (
        StatusCode::ACCEPTED,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
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
        return accepted(r#"{"status":"ignored"}"#);
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
            let (status, answer) = match outcome {
                Enqueued::Accepted { .. } => ("accepted", r#"{"status":"accepted"}"#),
                Enqueued::Duplicate => ("duplicate", r#"{"status":"duplicate"}"#),
                Enqueued::Revived => ("requeued", r#"{"status":"requeued"}"#),
            };
            metrics::counter!("relman_webhook_deliveries_total", "event" => event_label, "outcome" => status)
                .increment(1);
            tracing::debug!(delivery = %id, event = %event, action = action.as_deref().unwrap_or(""), repo = %repo, installation, status, "delivery stored");
            accepted(answer)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(json: &str) -> Envelope {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reads_action_installation_and_repository_and_skips_the_rest() {
        let e = envelope(
            r#"{"action":"created","comment":{"body":"/release","user":{"id":1}},
                "repository":{"id":42,"name":"web","full_name":"acme/web","owner":{"login":"acme","id":7},
                              "topics":["a","b"],"license":null,"private":true,"size":1.5},
                "installation":{"id":77,"node_id":"MDIz"}}"#,
        );
        assert_eq!(e.action.as_deref(), Some("created"));
        assert_eq!(e.installation.map(|i| i.id), Some(77));
        let repo = e.repository.unwrap();
        assert_eq!(
            (repo.id, repo.full_name.as_deref()),
            (Some(42), Some("acme/web"))
        );
        assert_eq!(
            envelope(r#"{"action":"created","repository":{"id":42}}"#).queue_key(),
            "repo:42"
        );
    }

    #[test]
    fn a_field_of_an_unexpected_shape_is_dropped_not_refused() {
        for json in [
            r#"{"repository":null,"installation":null}"#,
            r#"{"repository":"acme/web","installation":77}"#,
            r#"{"repository":[42,"acme/web"],"installation":[77]}"#,
            r#"{"repository":{"id":"42"},"installation":{"id":"77"}}"#,
            r#"{"repository":{"id":4.2},"installation":{"id":7.7}}"#,
            r#"{"repository":{"full_name":{"owner":"acme"}},"installation":{}}"#,
            r#"{"repository":{"id":18446744073709551615},"installation":{"id":null}}"#,
            r#"{"repository":{"id":1,"id":"2"},"installation":{"id":1,"id":"2"}}"#,
        ] {
            let e = envelope(json);
            assert!(e.repository.is_none(), "{json}");
            assert!(e.installation.is_none(), "{json}");
        }
    }

    #[test]
    fn a_repeated_field_counts_as_its_last_value() {
        let e = envelope(r#"{"repository":{"id":"1","id":2},"installation":{"id":1,"id":3}}"#);
        assert_eq!(e.repository.and_then(|r| r.id), Some(2));
        assert_eq!(e.installation.map(|i| i.id), Some(3));
    }

    #[test]
    fn optional_repository_fields_may_be_missing_or_null() {
        let e = envelope(
            r#"{"repository":{"id":null,"full_name":"acme/web"},"installation":{"id":-5}}"#,
        );
        let repo = e.repository.unwrap();
        assert_eq!(
            (repo.id, repo.full_name.as_deref()),
            (None, Some("acme/web"))
        );
        assert_eq!(e.installation.map(|i| i.id), Some(-5));
        // Neither id nor name nor installation: the global queue.
        assert_eq!(
            envelope(r#"{"repository":{}}"#).queue_key(),
            crate::inbox::scheduler::GLOBAL_QUEUE
        );
        // An unknown key may carry any value, even `full_name` on an installation.
        let e = envelope(
            r#"{"installation":{"id":3,"full_name":[1,{"x":null}],"account":{"id":"x"}}}"#,
        );
        assert_eq!(e.installation.map(|i| i.id), Some(3));
    }

    #[test]
    fn a_body_that_is_not_utf8_is_refused_even_inside_a_skipped_string() {
        let secrets = [Secret::new("s")];
        let mut headers = HeaderMap::new();
        headers.insert("x-github-event", HeaderValue::from_static("status"));
        headers.insert("x-github-delivery", HeaderValue::from_static("d-1"));
        let check = |body: &'static [u8]| {
            let mut headers = headers.clone();
            let signature = signature::sign(b"s", body);
            headers.insert("x-hub-signature-256", signature.parse().unwrap());
            DeliveryHeaders::read(&headers)
                .unwrap()
                .accept(&secrets, Bytes::from_static(body))
                .map(|d| d.event)
                .map_err(|r| (r.status(), r.message()))
        };
        assert_eq!(check(br#"{"sha":"0543fc"}"#), Ok("status".to_string()));
        assert_eq!(
            check(b"{\"sha\":\"0543\x9a\x9c\xca\xc0f\"}"),
            Err((StatusCode::BAD_REQUEST, "body is not a JSON object"))
        );
    }

    #[test]
    fn malformed_json_is_still_an_error() {
        assert!(serde_json::from_str::<Envelope>(r#"{"repository":{"id":1,}"#).is_err());
        assert!(serde_json::from_str::<Envelope>(r#"{"repository":{"id":1"#).is_err());
    }
}
