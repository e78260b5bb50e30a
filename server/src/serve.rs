//! Serving connections so that slow or idle clients cost little: every request's header must arrive within
//! the header timeout (a kept-alive connection that sends nothing more is closed by the same timer), every
//! request is answered within the request timeout, and at most `max_connections` connections are open at
//! once (the listener waits for a free place before it accepts another). An answer after which the server
//! closes the connection says `Connection: close` (`closing`), and a connection the server closes lingers
//! (`linger`), so a client still sending reads the answer and a client that pools connections does not reuse
//! it. Graceful shutdown lets requests in flight finish.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::closing::{closes_after, say_close, WatchedBody};
use crate::error::{err, Refusal};
use crate::linger::LingeringClose;

/// How the server treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// The longest a request's header may take to arrive, and so the longest an idle kept-alive connection
    /// stays open.
    pub header_timeout: Duration,
    /// The longest a request may take to be answered (then HTTP 408 in the envelope, and the connection
    /// closes).
    pub request_timeout: Duration,
    /// How many connections may be open at once.
    pub max_connections: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish (for at most
/// the grace period). The app sees each client's address as axum's `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let places = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    // Set when shutdown begins: every answer from then on says it is the connection's last.
    let stopping = Arc::new(AtomicBool::new(false));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        // A free place first: over the cap, new connections wait in the kernel's backlog.
        let place = tokio::select! {
            place = places.clone().acquire_owned() => match place {
                Ok(place) => place,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, or a connection reset before it was accepted: go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let stopping = stopping.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            answer(
                app.clone(),
                request,
                peer,
                limits.request_timeout,
                stopping.clone(),
            )
        });
        let connection = graceful.watch(
            builder
                .serve_connection(TokioIo::new(LingeringClose::new(stream)), service)
                .into_owned(),
        );
        tokio::spawn(async move {
            // A connection that ends badly (a timeout, a reset) is the client's affair.
            let _ = connection.await;
            drop(place);
        });
    }
    stopping.store(true, Ordering::Release);
    drop(listener);
    let _ = tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await;
}

/// Answers one request: `app`'s answer within `timeout` (else HTTP 408 in the envelope), with
/// `Connection: close` when the connection closes after it (`closing`).
async fn answer(
    app: Router,
    request: hyper::Request<Incoming>,
    peer: std::net::SocketAddr,
    timeout: Duration,
    stopping: Arc<AtomicBool>,
) -> Result<Response, std::convert::Infallible> {
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let (body, body_read) = WatchedBody::new(body);
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::new(body));
    let mut response = match tokio::time::timeout(timeout, app.oneshot(request)).await {
        Ok(answered) => answered?,
        Err(_) => Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            err::REQUEST_TIMEOUT,
            format!(
                "the request took longer than {} s; try again.",
                timeout.as_secs_f64()
            ),
        )
        .into_response(),
    };
    if closes_after(
        body_read.is_read(),
        response.status(),
        stopping.load(Ordering::Acquire),
    ) {
        say_close(&mut response);
    }
    Ok(response)
}

/// Raises this process's limit of open files to its hard limit (each connection is one), returning
/// `(soft, hard)` as they are afterwards.
pub fn raise_open_file_limit() -> std::io::Result<(u64, u64)> {
    let (_, hard) = rlimit::Resource::NOFILE.get()?;
    let soft = rlimit::increase_nofile_limit(hard)?;
    Ok((soft, hard))
}
