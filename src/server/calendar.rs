//! The release calendar as an iCalendar feed people subscribe to.
//!
//! `GET /calendar/{owner}/{repo}.ics` serves a public repository's feed.
//! `GET /calendar/{owner}/{repo}/{token}.ics` serves any repository's feed to whoever holds its
//! secret token (`relman calendar-url`), like the secret iCal addresses calendar apps use. A
//! wrong or missing token answers 404, as does a repository relman does not know: the answer
//! never tells whether a private repository exists.
//!
//! The feed is built from the last good configuration the workers stored, so serving it never
//! calls GitHub.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::config::repo::parse_repo_config;
use crate::store::repositories::RepositoryRecord;

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

fn feed(record: &RepositoryRecord) -> Option<String> {
    let config = parse_repo_config("stored", record.config_json.as_deref()?).ok()?;
    let (owner, name) = record.repo.split_once('/')?;
    let holidays = record
        .holiday_ics
        .as_deref()
        .and_then(|text| crate::domain::ics::parse_holiday_ics(text).ok())
        .unwrap_or_default();
    Some(crate::domain::feed::calendar_feed(
        &config,
        &holidays,
        owner,
        name,
        Utc::now(),
    ))
}

fn ics(body: String) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// `GET /calendar/{owner}/{file}` with `file` = `{repo}.ics`.
pub async fn public_feed(
    State(state): State<AppState>,
    Path((owner, file)): Path<(String, String)>,
) -> Response {
    let Some(repo) = file.strip_suffix(".ics") else {
        return not_found();
    };
    match state.store.repository(&format!("{owner}/{repo}")).await {
        Ok(Some(record)) if !record.private => feed(&record).map_or_else(not_found, ics),
        Ok(_) => not_found(),
        Err(e) => {
            tracing::warn!(error = %e, "calendar feed: store error");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /calendar/{owner}/{repo}/{file}` with `file` = `{token}.ics`.
pub async fn secret_feed(
    State(state): State<AppState>,
    Path((owner, repo, file)): Path<(String, String, String)>,
) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return not_found();
    };
    match state.store.repository(&format!("{owner}/{repo}")).await {
        Ok(Some(record)) => {
            let matches = record
                .calendar_token
                .as_deref()
                .is_some_and(|t| bool::from(t.as_bytes().ct_eq(token.as_bytes())));
            if matches {
                feed(&record).map_or_else(not_found, ics)
            } else {
                not_found()
            }
        }
        Ok(None) => not_found(),
        Err(e) => {
            tracing::warn!(error = %e, "calendar feed: store error");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// A new random token: 32 bytes, URL-safe.
pub fn new_token() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}
