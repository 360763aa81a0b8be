//! The plain HTTP endpoints: `/healthz`, `/readyz`, `/metrics`.

pub mod metrics;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::gateway::Gateway;

/// The routes, over the gateway's shared state.
pub fn routes() -> Router<Arc<Gateway>> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
}

/// 200 only when the store answers and the bus can deliver.
async fn readyz(State(gw): State<Arc<Gateway>>) -> Response {
    if let Err(e) = gw.services.store_ready().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unreachable: {e}\n"),
        )
            .into_response();
    }
    if let Err(e) = gw.delivery.ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("bus unreachable: {e}\n"),
        )
            .into_response();
    }
    (StatusCode::OK, "ready\n").into_response()
}

async fn metrics_handler(State(gw): State<Arc<Gateway>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        gw.metrics.render(gw.delivery.session_count()),
    )
        .into_response()
}
