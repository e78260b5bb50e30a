//! Migrations cannot half-apply: a migration whose second statement fails leaves the schema as it was (its
//! first statement rolled back, nothing recorded), and the next start succeeds — with the server's migrations,
//! and with the failed one once it is fixed. On SQLite and PostgreSQL.

mod support;

use sqlx::AnyPool;
use tmsdk_server::{Metrics, Migration, Store, MIGRATIONS};

use support::world::empty_postgres;

/// A migration that fails halfway: a column is added, then a statement fails.
const FAILS_HALFWAY: &[&str] = &[
    "ALTER TABLE tmsdk_users ADD COLUMN half_done TEXT NOT NULL DEFAULT ''",
    "INSERT INTO tmsdk_no_such_table (x) VALUES (1)",
];
/// The same migration, fixed.
const FIXED: &[&str] = &["ALTER TABLE tmsdk_users ADD COLUMN half_done TEXT NOT NULL DEFAULT ''"];

fn with(extra: Migration) -> Vec<Migration> {
    MIGRATIONS.iter().copied().chain([extra]).collect()
}

/// Whether `tmsdk_users` has the column `half_done`, and the versions `tmsdk_schema` records.
async fn schema(db: &str) -> (bool, Vec<i64>) {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(db).await.unwrap();
    let has_column = sqlx::query("SELECT half_done FROM tmsdk_users")
        .fetch_all(&pool)
        .await
        .is_ok();
    let mut versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM tmsdk_schema")
        .fetch_all(&pool)
        .await
        .unwrap();
    versions.sort_unstable();
    pool.close().await;
    (has_column, versions)
}

async fn a_migration_failing_halfway_changes_nothing(db: &str) {
    let all: Vec<i64> = (1..=MIGRATIONS.len() as i64).collect();
    Store::open(db, Metrics::new()).await.unwrap();
    assert_eq!(schema(db).await, (false, all.clone()));

    let failed = Store::open_with(db, &with(FAILS_HALFWAY), Metrics::new()).await;
    assert!(failed.is_err(), "the broken migration fails the start");
    assert_eq!(
        schema(db).await,
        (false, all.clone()),
        "the column added before the failure is rolled back, and the migration is not recorded"
    );

    Store::open(db, Metrics::new())
        .await
        .expect("the next start succeeds");
    Store::open_with(db, &with(FIXED), Metrics::new())
        .await
        .expect("the fixed migration applies");
    let mut with_fixed = all;
    with_fixed.push(MIGRATIONS.len() as i64 + 1);
    assert_eq!(schema(db).await, (true, with_fixed.clone()));
    Store::open_with(db, &with(FIXED), Metrics::new())
        .await
        .expect("an applied migration is not applied again");
    assert_eq!(schema(db).await, (true, with_fixed));
}

#[tokio::test]
async fn a_migration_failing_halfway_changes_nothing_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("tmsdk-server-migrations-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.join("tmsdk.db").display());
    a_migration_failing_halfway_changes_nothing(&db).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_migration_failing_halfway_changes_nothing_on_postgres() {
    if let Some(url) = empty_postgres().await {
        a_migration_failing_halfway_changes_nothing(&url).await;
    }
}
