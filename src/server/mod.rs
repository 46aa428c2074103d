//! The HTTP surface: the webhook route, Dockerflow endpoints and Prometheus metrics.

pub mod calendar;
pub mod dockerflow;
pub mod metrics;
pub mod signature;
pub mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::config::settings::Secret;
use crate::inbox::writer::InboxWriter;
use crate::store::Store;

/// What the HTTP handlers share. Deliberately holds no GitHub client: ingress never calls GitHub.
#[derive(Clone)]
pub struct AppState {
    pub secrets: Arc<[Secret]>,
    pub writer: InboxWriter,
    pub store: Store,
}

pub fn router(state: AppState, webhook_path: &str) -> Router {
    Router::new()
        .route(webhook_path, post(webhook::receive))
        .route("/__lbheartbeat__", get(dockerflow::lbheartbeat))
        .route("/__heartbeat__", get(dockerflow::heartbeat))
        .route("/__version__", get(dockerflow::version))
        .route("/metrics", get(metrics::render))
        .route("/calendar/{owner}/{file}", get(calendar::public_feed))
        .route(
            "/calendar/{owner}/{repo}/{file}",
            get(calendar::secret_feed),
        )
        .with_state(state)
}
