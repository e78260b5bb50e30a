//! What operators and load balancers ask: `GET /healthz` (the database answers) and `GET /metrics`
//! (Prometheus's text format); and what answers a request no route takes (404, 405), in the envelope.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{err, Refusal};
use crate::state::SharedState;

/// `GET /healthz`: 200 `ok`, or 503 in the envelope when the database does not answer (on SQLite: does not
/// take writes).
pub async fn healthz(State(state): State<SharedState>) -> Response {
    if state.store.ping().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            err::STORE_UNAVAILABLE,
            "the server's database is unreachable.",
        )
        .into_response()
    }
}

/// A path no route serves: HTTP 404 in the envelope.
pub async fn not_found() -> Refusal {
    Refusal::new(
        StatusCode::NOT_FOUND,
        err::NOT_FOUND,
        "no such route; check the SDK's server setting (the routes are /v1/login, /v1/profile, …).",
    )
}

/// A route asked with a method it does not take: HTTP 405 in the envelope.
pub async fn method_not_allowed() -> Refusal {
    Refusal::new(
        StatusCode::METHOD_NOT_ALLOWED,
        err::METHOD_NOT_ALLOWED,
        "this route does not take that method.",
    )
}

/// `GET /metrics`: every metric, in Prometheus's text format.
pub async fn metrics(State(state): State<SharedState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
