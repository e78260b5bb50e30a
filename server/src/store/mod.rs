//! Where users live: SQLite by default, PostgreSQL to share one database between several servers. One schema,
//! SQL that both speak (`$n` parameters, `ON CONFLICT … DO UPDATE`), versioned migrations applied at start under
//! a lock (servers that start together migrate one after the other), each in its own transaction. Every
//! operation that fails is counted in the server's metrics here, once. An operation waits at most the store's
//! wait (`TMSDK_DB_ACQUIRE_TIMEOUT`) for a connection, and on SQLite as long again for the file's write lock;
//! one that cannot reach the database fails as [`unavailable`] (HTTP 503), and `outage` keeps the outage it
//! makes.

mod avatars;
mod erase;
mod events;
mod migrations;
mod outage;
mod tokens;
mod users;

use std::future::Future;
use std::time::Duration;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::AnyPool;

use crate::config::DEFAULT_DB_ACQUIRE_TIMEOUT;
use crate::metrics::Metrics;

pub use erase::{Erased, Stored};
pub use events::Counted;
pub use migrations::{Migration, MIGRATIONS};
pub use outage::unavailable;
use outage::Reachability;
pub use users::{shanghai_day, Login, User, UserInfo};

/// The key of PostgreSQL's advisory lock that migrations hold ("tmsdk" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_6d73_646b;

/// The database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite (else PostgreSQL).
    sqlite: bool,
    /// Where failed operations are counted.
    metrics: Metrics,
    /// The longest an operation may take in all before it is given up as unavailable: the connection's wait
    /// and, on SQLite, the write lock's.
    deadline: Duration,
    /// Whether the database can be reached, as the operations find it.
    reachability: Reachability,
}

impl Store {
    /// Connects to `url` (`sqlite://file` — created when missing — or `postgres://…`) and applies the
    /// migrations; an operation waits at most the default `TMSDK_DB_ACQUIRE_TIMEOUT`; failures are counted in
    /// `metrics`.
    pub async fn open(url: &str, metrics: Metrics) -> Result<Store, sqlx::Error> {
        Store::open_waiting(url, DEFAULT_DB_ACQUIRE_TIMEOUT, MIGRATIONS, metrics).await
    }

    /// As [`Store::open`], with `migrations` in place of the server's own (tests add a failing one).
    pub async fn open_with(
        url: &str,
        migrations: &[Migration],
        metrics: Metrics,
    ) -> Result<Store, sqlx::Error> {
        Store::open_waiting(url, DEFAULT_DB_ACQUIRE_TIMEOUT, migrations, metrics).await
    }

    /// As [`Store::open_with`], an operation waiting at most `wait` for a connection (and on SQLite as long
    /// again for the file's write lock) before it fails as [`unavailable`].
    pub async fn open_waiting(
        url: &str,
        wait: Duration,
        migrations: &[Migration],
        metrics: Metrics,
    ) -> Result<Store, sqlx::Error> {
        install_default_drivers();
        let url = if url.starts_with("sqlite:") && !url.contains('?') {
            format!("{url}?mode=rwc")
        } else {
            url.to_string()
        };
        let sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            // One writer for SQLite (it locks the file); a pool for PostgreSQL.
            .max_connections(if sqlite { 1 } else { 8 })
            // A request waits this long for a connection, then is answered 503 (sqlx's default is 30 s, past
            // every phone's patience).
            .acquire_timeout(wait)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Another process's write lock (an operator's sqlite3, a backup) is waited for as
                        // long as a connection is, not sqlx's 5 s.
                        sqlx::query(&format!("PRAGMA busy_timeout = {}", wait.as_millis()))
                            .execute(&mut *conn)
                            .await?;
                        // A write-ahead log, synced at checkpoints: a login no longer waits for an fsync
                        // of the whole file (about 3x the logins a second, measured by bench:server), and
                        // a crash loses at most the last moments, never the file.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let store = Store {
            pool,
            sqlite,
            // The connection's wait, then the write lock's; past both, a hung connection is given up too.
            deadline: wait * 2,
            reachability: Reachability::new(wait * 2, metrics.clone()),
            metrics,
        };
        store.migrate(migrations).await?;
        Ok(store)
    }

    /// Applies the migrations not applied yet. On PostgreSQL under its advisory lock (other servers wait for
    /// it); SQLite's write lock is taken by each migration's transaction.
    async fn migrate(&self, migrations: &[Migration]) -> Result<(), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        if self.sqlite {
            return migrations::apply(&mut conn, true, migrations).await;
        }
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let applied = migrations::apply(&mut conn, false, migrations).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await;
        applied?;
        unlocked.map(drop)
    }

    /// Whether the database answers, and on SQLite also takes writes: a file whose write lock another
    /// process holds still answers reads, but no login could be counted.
    pub async fn ping(&self) -> bool {
        let check = async {
            if self.sqlite {
                // A write statement that changes nothing still takes the write lock.
                sqlx::query("UPDATE tmsdk_schema SET version = version WHERE 1 = 0")
                    .execute(&self.pool)
                    .await
                    .map(drop)
            } else {
                sqlx::query("SELECT 1 AS one")
                    .fetch_one(&self.pool)
                    .await
                    .map(drop)
            }
        };
        self.counted(check).await.is_ok()
    }

    /// `work`'s result within the store's deadline, its failure counted: one that could not reach the
    /// database in the outage it makes, any other as a database error.
    async fn counted<T>(
        &self,
        work: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        let result = tokio::time::timeout(self.deadline, work)
            .await
            .unwrap_or(Err(sqlx::Error::PoolTimedOut));
        match &result {
            Ok(_) => self.reachability.answered(),
            Err(e) if unavailable(e) => self.reachability.refused(e),
            Err(_) => self.metrics.database_error(),
        }
        result
    }
}
