//! Feeds arbitrary requests to the webhook extractor's checks: header validation, the signature
//! check and the envelope parse, exactly as ingress runs them (`DeliveryHeaders::read` and
//! `::accept` in src/server/webhook.rs).
//!
//! An input is a request in a small text form: `name: value` header lines, an empty line, then
//! the body. A header `x-hub-signature-256: sign` stands for the correct signature of the body,
//! so the fuzzer gets past the signature check to the parser. Run with
//! `cargo +nightly fuzz run webhook` from the repository root; seeds (made from
//! tests/fixtures/) are in `fuzz/corpus/webhook/`.

#![no_main]

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;
use relman::config::settings::Secret;
use relman::server::signature::sign;
use relman::server::webhook::DeliveryHeaders;

const SECRET: &str = "fuzz-secret";

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        let Ok(name) = HeaderName::from_bytes(name.trim_ascii()) else {
            continue;
        };
        let value = if name == "x-hub-signature-256" && value == b"sign" {
            HeaderValue::from_str(&sign(SECRET.as_bytes(), body)).ok()
        } else {
            HeaderValue::from_bytes(value).ok()
        };
        if let Some(value) = value {
            headers.append(name, value);
        }
    }

    let checked = match DeliveryHeaders::read(&headers) {
        Ok(checked) => checked,
        Err(rejection) => {
            assert!(rejection.status().is_client_error());
            return;
        }
    };
    let (id, event) = (checked.id.to_string(), checked.event.to_string());
    assert!(!event.is_empty() && event.len() <= 64);
    let secrets = [Secret::new(SECRET)];
    // The extractor reads the first of repeated headers, and only values that are visible ASCII.
    let first = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let correctly_signed = first("x-hub-signature-256")
        .is_some_and(|s| s.trim() == sign(SECRET.as_bytes(), body));
    let json_type = first("content-type").is_none_or(|ct| ct.starts_with("application/json"));
    let is_object = matches!(
        serde_json::from_slice::<serde_json::Value>(body),
        Ok(serde_json::Value::Object(_))
    );
    match checked.accept(&secrets, Bytes::copy_from_slice(body)) {
        Ok(delivery) => {
            assert!(correctly_signed && json_type && is_object);
            assert_eq!((delivery.id, delivery.event), (id, event));
            assert_eq!(&delivery.body[..], body);
        }
        Err(rejection) => {
            // A signed JSON object is never refused because of what is inside it.
            assert!(!(correctly_signed && json_type && is_object), "{rejection:?}");
            if !correctly_signed {
                assert_eq!(rejection.status(), StatusCode::UNAUTHORIZED);
            }
        }
    }
});
