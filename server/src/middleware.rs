//! What runs around the handlers: the per-IP rate limit in front of the API routes, and one log line and the
//! metrics of every request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::info;

use crate::error::Refusal;
use crate::extract::ClientIp;
use crate::limits::client_ip;
use crate::state::SharedState;

/// The per-IP limit, in front of the API routes; the client's IP is left for the handlers as [`ClientIp`].
pub async fn limit_ip(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Result<Response, Refusal> {
    let forwarded = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|h| h.to_str().ok());
    let ip = client_ip(peer.ip(), forwarded, &state.config.trusted_proxies);
    state.per_ip.take(&ip).map_err(Refusal::too_many)?;
    request.extensions_mut().insert(ClientIp(ip));
    Ok(next.run(request).await)
}

/// One JSON log line and the metrics of every request: its id (the client's `x-request-id`, else one of
/// this server's, echoed in the answer), route, status and latency. Never a header or a body: tokens, secrets
/// and session keys stay out of the logs.
pub async fn observe(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", |p| p.as_str())
        .to_string();
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|h| h.to_str().ok())
        .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(
            || format!("tmsdk-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            str::to_string,
        );
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    let latency = started.elapsed();
    state.metrics.request(&route, status, latency.as_secs_f64());
    info!(
        request_id = %id,
        route = %route,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
