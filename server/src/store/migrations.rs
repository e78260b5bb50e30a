//! The schema's migrations and how they are applied: in order, each in its own transaction together with its
//! record in `tmsdk_schema`, so a migration that fails — or a process stopped in the middle of one — leaves the
//! schema as it was, and the next start applies it again from the beginning.

use sqlx::AnyConnection;

/// One migration: statements applied together, or not at all.
pub type Migration = &'static [&'static str];

/// The migrations, in order: migration `n` (from 1) runs once, and `tmsdk_schema` keeps the numbers applied.
pub const MIGRATIONS: &[Migration] = &[
    &["CREATE TABLE IF NOT EXISTS tmsdk_users (
    app_id TEXT NOT NULL,
    open_id TEXT NOT NULL,
    union_id TEXT NOT NULL DEFAULT '',
    session_key TEXT NOT NULL,
    nick_name TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    gender BIGINT NOT NULL DEFAULT 0,
    city TEXT NOT NULL DEFAULT '',
    province TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    login_times BIGINT NOT NULL DEFAULT 0,
    online_days BIGINT NOT NULL DEFAULT 0,
    last_login_time BIGINT NOT NULL DEFAULT 0,
    last_login_day BIGINT NOT NULL DEFAULT 0,
    is_new BIGINT NOT NULL DEFAULT 1,
    from_scene TEXT NOT NULL DEFAULT '',
    from_code TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (app_id, open_id)
)"],
    &["ALTER TABLE tmsdk_users ADD COLUMN login_province TEXT NOT NULL DEFAULT ''"],
    &["ALTER TABLE tmsdk_users ADD COLUMN login_city TEXT NOT NULL DEFAULT ''"],
    // Avatars the players uploaded, one row per uploader (the image under its SHA-256); `trace_id` is
    // WeChat's asynchronous image check's. BYTEA: PostgreSQL's bytes, a blob to SQLite.
    &["CREATE TABLE IF NOT EXISTS tmsdk_avatars (
    sha256 TEXT NOT NULL,
    app_id TEXT NOT NULL,
    open_id TEXT NOT NULL,
    jpeg BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    trace_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sha256, app_id, open_id)
)"],
    // The player's figures (docs/contract.md, the player's figures): the share code others' launches name,
    // the counted shares, invitees and play time, and the last day (Asia/Shanghai) the player logged in or
    // played; the UTC day of the last login carries over.
    &[
        "ALTER TABLE tmsdk_users ADD COLUMN share_code TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE tmsdk_users ADD COLUMN share_new BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE tmsdk_users ADD COLUMN share_times BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE tmsdk_users ADD COLUMN online_duration BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE tmsdk_users ADD COLUMN last_online_day BIGINT NOT NULL DEFAULT 0",
        "UPDATE tmsdk_users SET last_online_day = last_login_day",
        "CREATE INDEX IF NOT EXISTS tmsdk_users_share_code ON tmsdk_users (app_id, share_code)",
    ],
    // Every event counted, under its id (a repeat is acknowledged, not counted), and what each player's day
    // counted against its limits.
    &[
        "CREATE TABLE IF NOT EXISTS tmsdk_events (
    app_id TEXT NOT NULL,
    open_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seconds BIGINT NOT NULL DEFAULT 0,
    day BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, open_id, id)
)",
        "CREATE TABLE IF NOT EXISTS tmsdk_days (
    app_id TEXT NOT NULL,
    open_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    play_seconds BIGINT NOT NULL DEFAULT 0,
    shares BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, open_id, day)
)",
    ],
    // When the player was created (their first login, Unix seconds): a session issued before it is not
    // theirs (a player who erased their data and came back is a new player). 0 for players created before.
    &["ALTER TABLE tmsdk_users ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0"],
    // The platforms' access tokens, one per app, shared by the instances on this database (store/tokens.rs):
    // the token, when to stop using it, and until when one instance holds the lease to refresh it (Unix s).
    &["CREATE TABLE IF NOT EXISTS tmsdk_tokens (
    app_id TEXT PRIMARY KEY,
    token TEXT NOT NULL DEFAULT '',
    use_until BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT NOT NULL DEFAULT 0
)"],
];

/// Applies, in order, every migration whose number `tmsdk_schema` does not hold: each in one transaction with
/// its record. On SQLite the transaction takes the database's write lock first (`BEGIN IMMEDIATE`), so servers
/// that start together apply each migration once; on PostgreSQL the caller holds the advisory lock.
pub async fn apply(
    conn: &mut AnyConnection,
    sqlite: bool,
    migrations: &[Migration],
) -> Result<(), sqlx::Error> {
    sqlx::query("CREATE TABLE IF NOT EXISTS tmsdk_schema (version BIGINT NOT NULL)")
        .execute(&mut *conn)
        .await?;
    for (i, statements) in migrations.iter().enumerate() {
        let version = i as i64 + 1;
        let begin = if sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
        sqlx::query(begin).execute(&mut *conn).await?;
        let applied = apply_one(conn, version, statements).await;
        let end = if applied.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        let ended = sqlx::query(end).execute(&mut *conn).await;
        applied?;
        ended?;
    }
    Ok(())
}

/// Inside the caller's transaction: migration `version`'s statements and its record, unless it is recorded.
async fn apply_one(
    conn: &mut AnyConnection,
    version: i64,
    statements: &[&str],
) -> Result<(), sqlx::Error> {
    let recorded = sqlx::query("SELECT version FROM tmsdk_schema WHERE version = $1")
        .bind(version)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    if recorded {
        return Ok(());
    }
    for sql in statements {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    sqlx::query("INSERT INTO tmsdk_schema (version) VALUES ($1)")
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
