//! Dockerflow: the endpoints load balancers and operators expect of a service.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

/// `GET /__lbheartbeat__`: the process answers. No I/O, so a slow database never gets the
/// instance pulled from the load balancer.
pub async fn lbheartbeat() -> StatusCode {
    StatusCode::OK
}

/// `GET /__heartbeat__`: 200 when the store answers, 503 when it does not.
pub async fn heartbeat(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match tokio::time::timeout(Duration::from_secs(3), state.store.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "checks": { "database": "ok" } })),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "heartbeat: database error");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "error", "checks": { "database": "error" } })),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "error", "checks": { "database": "timeout" } })),
        ),
    }
}

/// The build's identity, as Dockerflow's `version.json` (`source`, `version`, `commit`, `build`:
/// the CI build's address when `RELMAN_BUILD_URL` was set at build time), and when it was built.
/// `build.rs` sets the commit and the time.
pub fn version_info() -> Value {
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": env!("RELMAN_GIT_COMMIT"),
        "source": env!("CARGO_PKG_REPOSITORY"),
        "build": option_env!("RELMAN_BUILD_URL").unwrap_or(""),
        "build_time": env!("RELMAN_BUILD_TIME"),
    })
}

/// `GET /__version__`.
pub async fn version() -> Json<Value> {
    Json(version_info())
}
