//! What operators watch, in Prometheus's text format at `GET /metrics`: requests by route and status, their
//! latency, the platforms' login answers by outcome, their content checks by kind and verdict, database errors, and
//! whether the database can be reached. One registry per server (not a global one), so
//! several servers in one process (the tests) count apart.

use crate::config::Platform;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The server's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    login_calls: IntCounterVec,
    content_checks: IntCounterVec,
    database_errors: IntCounter,
    database_unavailable: IntCounter,
    database_up: IntGauge,
}

/// How a call to the platform's `jscode2session` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// A session.
    Ok,
    /// The platform refused the code (or the app).
    Refused,
    /// The platform was busy, even after one retry.
    Busy,
    /// The platform could not be reached.
    Unreachable,
}

impl LoginOutcome {
    fn label(self) -> &'static str {
        match self {
            LoginOutcome::Ok => "ok",
            LoginOutcome::Refused => "refused",
            LoginOutcome::Busy => "busy",
            LoginOutcome::Unreachable => "unreachable",
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with the server's metrics in it.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "tmsdk_requests_total",
                "HTTP requests answered, by route and status",
            ),
            &["route", "status"],
        )
        .expect("a valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "tmsdk_request_duration_seconds",
                "Time to answer a request, by route",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route"],
        )
        .expect("a valid metric");
        let login_calls = IntCounterVec::new(
            Opts::new(
                "tmsdk_login_calls_total",
                "Calls to the platform's jscode2session (WeChat's, QQ's or Douyin's), by platform and outcome",
            ),
            &["platform", "outcome"],
        )
        .expect("a valid metric");
        let content_checks = IntCounterVec::new(
            Opts::new(
                "tmsdk_content_checks_total",
                "The platforms' content checks of what players filled in, by kind (nickname, avatar) and verdict \
                 (pass, review, risky, error)",
            ),
            &["kind", "verdict"],
        )
        .expect("a valid metric");
        let database_errors = IntCounter::new(
            "tmsdk_database_errors_total",
            "Database operations that failed",
        )
        .expect("a valid metric");
        let database_unavailable = IntCounter::new(
            "tmsdk_database_unavailable_total",
            "Database operations that could not reach the database (no connection within \
             TMSDK_DB_ACQUIRE_TIMEOUT, a broken connection, an SQLite file locked by another process): \
             each answered HTTP 503",
        )
        .expect("a valid metric");
        let database_up = IntGauge::new(
            "tmsdk_database_up",
            "1 while the database answers; 0 from the first operation that could not reach it until one \
             succeeds again",
        )
        .expect("a valid metric");
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(login_calls.clone()),
            Box::new(content_checks.clone()),
            Box::new(database_errors.clone()),
            Box::new(database_unavailable.clone()),
            Box::new(database_up.clone()),
        ] {
            registry
                .register(metric)
                .expect("each metric registered once");
        }
        Metrics {
            registry,
            requests,
            latency,
            login_calls,
            content_checks,
            database_errors,
            database_unavailable,
            database_up,
        }
    }

    /// Counts one answered request.
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, &status.to_string()])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    /// Counts one call to `platform`'s `jscode2session`.
    pub fn login_call(&self, platform: Platform, outcome: LoginOutcome) {
        self.login_calls
            .with_label_values(&[platform.label(), outcome.label()])
            .inc();
    }

    /// Counts one content check: `kind` "nickname" or "avatar", `verdict` "pass", "review", "risky" or "error"
    /// (the platform refused the call or was not reached; a WeChat avatar's verdict comes by push).
    pub fn content_check(&self, kind: &'static str, verdict: &'static str) {
        self.content_checks
            .with_label_values(&[kind, verdict])
            .inc();
    }

    /// Counts one database error.
    pub fn database_error(&self) {
        self.database_errors.inc();
    }

    /// Counts one database operation that could not reach the database.
    pub fn database_unavailable(&self) {
        self.database_unavailable.inc();
    }

    /// Whether the database answers (`tmsdk_database_up`).
    pub fn database_up(&self, up: bool) {
        self.database_up.set(i64::from(up));
    }

    /// Everything, in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding text into memory cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
