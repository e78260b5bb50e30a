//! When the database cannot be reached: which failures mean that ([`unavailable`]), and the outage they make —
//! counted in the metrics as it goes, logged once when it ends, with how long it lasted and how many operations
//! it refused (never a query's values or a player's data).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::error::DatabaseError;
use tracing::warn;

use crate::metrics::Metrics;

/// Whether `e` says the database could not be reached, rather than that it refused an operation: no
/// connection within the wait (the pool's timeout, or the store's own deadline), a connection that broke or
/// could not be made, a database shutting down or refusing connections, an SQLite file whose lock another
/// process holds. Such a request is answered HTTP 503 and may be tried again; anything else is HTTP 500.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => unreachable_code(db.as_ref()),
        _ => false,
    }
}

/// The database errors that mean "not now": PostgreSQL's connection exceptions (class 08), a server shutting
/// down or starting (57P01–57P03), too many connections (53300); SQLite's busy and locked (5, 6 and their
/// extended codes).
fn unreachable_code(db: &dyn DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
    }
    code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
}

/// An outage under way.
#[derive(Debug)]
struct Outage {
    /// The first operation that could not reach the database.
    began: Instant,
    /// The latest one.
    last: Instant,
    /// How many could not.
    refused: u64,
    /// What the first one met (a driver's message: an address, a timeout, "database is locked").
    cause: String,
}

/// The database's reachability as the store's operations find it, shared by every clone of the store.
#[derive(Debug, Clone)]
pub struct Reachability {
    outage: Arc<Mutex<Option<Outage>>>,
    /// Whether `outage` holds one: read without the lock by every successful operation (the hot path).
    down: Arc<AtomicBool>,
    /// How long after the last refused operation a successful one ends the outage: an SQLite file locked for
    /// writing still answers reads, so one read's success does not end it while writes keep failing.
    settle: Duration,
    metrics: Metrics,
}

impl Reachability {
    /// Reachable; an outage ends at the first success `settle` after its last refused operation.
    pub fn new(settle: Duration, metrics: Metrics) -> Reachability {
        metrics.database_up(true);
        Reachability {
            outage: Arc::default(),
            down: Arc::default(),
            settle,
            metrics,
        }
    }

    /// An operation could not reach the database (`cause`): an outage begins, or goes on.
    pub fn refused(&self, cause: &sqlx::Error) {
        self.refused_at(Instant::now(), cause);
    }

    /// An operation succeeded: an outage whose last refusal is `settle` old ends, and is logged.
    pub fn answered(&self) {
        self.answered_at(Instant::now());
    }

    fn refused_at(&self, now: Instant, cause: &sqlx::Error) {
        self.metrics.database_unavailable();
        let mut outage = self.lock();
        match outage.as_mut() {
            Some(o) => {
                o.last = now;
                o.refused += 1;
            }
            None => {
                self.metrics.database_up(false);
                self.down.store(true, Ordering::Release);
                *outage = Some(Outage {
                    began: now,
                    last: now,
                    refused: 1,
                    cause: cause.to_string(),
                });
            }
        }
    }

    /// The outage it ended, if it ended one.
    fn answered_at(&self, now: Instant) -> Option<Outage> {
        if !self.down.load(Ordering::Acquire) {
            return None;
        }
        let mut outage = self.lock();
        if outage
            .as_ref()
            .is_none_or(|o| now.duration_since(o.last) < self.settle)
        {
            return None;
        }
        let ended = outage.take()?;
        self.down.store(false, Ordering::Release);
        self.metrics.database_up(true);
        warn!(
            event = "database-outage",
            duration_ms = ended.last.duration_since(ended.began).as_millis() as u64,
            refused = ended.refused,
            cause = %ended.cause,
            "the database could not be reached for a while and answers again"
        );
        Some(ended)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Outage>> {
        // A panic while holding this lock leaves plain data: go on with it.
        self.outage.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_unreachable() {
        assert!(unavailable(&sqlx::Error::PoolTimedOut));
        assert!(unavailable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!unavailable(&sqlx::Error::RowNotFound));
        assert!(!unavailable(&sqlx::Error::Protocol("bad".into())));
    }

    #[test]
    fn an_outage_begins_goes_on_and_ends_once_it_settled() {
        let metrics = Metrics::new();
        let r = Reachability::new(Duration::from_secs(2), metrics.clone());
        let t0 = Instant::now();
        assert!(r.answered_at(t0).is_none(), "nothing to end");
        r.refused_at(t0, &sqlx::Error::PoolTimedOut);
        assert!(r.lock().is_some());
        assert!(metrics.render().contains("tmsdk_database_up 0"));
        r.refused_at(t0 + Duration::from_secs(3), &sqlx::Error::PoolTimedOut);
        // A read succeeding between refused writes does not end it.
        assert!(r.answered_at(t0 + Duration::from_secs(4)).is_none());
        assert!(r.lock().is_some());
        let ended = r.answered_at(t0 + Duration::from_secs(5)).expect("settled");
        assert_eq!(ended.refused, 2);
        assert_eq!(
            ended.last.duration_since(ended.began),
            Duration::from_secs(3)
        );
        assert!(!r.lock().is_some());
        let shown = metrics.render();
        assert!(shown.contains("tmsdk_database_up 1"), "{shown}");
        assert!(
            shown.contains("tmsdk_database_unavailable_total 2"),
            "{shown}"
        );
        assert!(
            r.answered_at(t0 + Duration::from_secs(6)).is_none(),
            "ended once"
        );
    }
}
