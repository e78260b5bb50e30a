//! Where users live: SQLite by default, PostgreSQL to share one database between several servers. One schema,
//! SQL that both speak (`$n` parameters, `ON CONFLICT … DO UPDATE`), versioned migrations applied at start under
//! a lock (servers that start together migrate one after the other), each in its own transaction. Every
//! operation that fails is counted in the server's metrics here, once.

mod avatars;
mod erase;
mod events;
mod migrations;
mod users;

use std::future::Future;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::AnyPool;

use crate::metrics::Metrics;

pub use erase::{Erased, Stored};
pub use events::Counted;
pub use migrations::{Migration, MIGRATIONS};
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
}

impl Store {
    /// Connects to `url` (`sqlite://file` — created when missing — or `postgres://…`) and applies the
    /// migrations; failures are counted in `metrics`.
    pub async fn open(url: &str, metrics: Metrics) -> Result<Store, sqlx::Error> {
        Store::open_with(url, MIGRATIONS, metrics).await
    }

    /// As [`Store::open`], with `migrations` in place of the server's own (tests add a failing one).
    pub async fn open_with(
        url: &str,
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
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
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

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1 AS one")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }

    /// `work`'s result, its failure counted.
    async fn counted<T>(
        &self,
        work: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        let result = work.await;
        if result.is_err() {
            self.metrics.database_error();
        }
        result
    }
}
