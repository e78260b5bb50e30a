//! What operators and load balancers ask: `GET /healthz` (the database answers) and `GET /metrics`
//! (Prometheus's text format).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::SharedState;

/// `GET /healthz`: 200 `ok`, or 503 when the database does not answer.
pub async fn healthz(State(state): State<SharedState>) -> Response {
    if state.store.ping().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

/// `GET /metrics`: every metric, in Prometheus's text format.
pub async fn metrics(State(state): State<SharedState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
