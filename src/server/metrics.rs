//! `GET /metrics` in the Prometheus text format.
//!
//! Counters and histograms are recorded with the `metrics` macros wherever things happen; the
//! inbox gauges are read from the store at scrape time, so every replica reports the shared
//! inbox the same way.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once and returns its handle; `None` if another recorder
/// was installed first (then relman's figures go there instead).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let seconds = &[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0, 30.0, 60.0,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), seconds)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("relman_inbox_commit_batch_size".into()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
                    )
                })
                .ok()
                .and_then(|b| b.install_recorder().ok())
        })
        .as_ref()
}

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.work_counts().await {
        Ok(counts) => {
            for (status, n) in counts {
                metrics::gauge!("relman_inbox_items", "status" => status.as_str()).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not count inbox items"),
    }
    match handle() {
        Some(h) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            "# metrics recorder unavailable\n".to_string(),
        ),
    }
}
