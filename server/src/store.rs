//! Where users live: SQLite by default, PostgreSQL to share one database between several servers. One schema,
//! SQL that both speak (`$n` parameters, `ON CONFLICT … DO UPDATE`), versioned migrations applied at start under
//! a lock (servers that start together migrate one after the other). A login counts itself in one statement and
//! reads the user back in the same transaction, so concurrent logins of one user are all counted.

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Row};

use crate::avatar::Avatar;
use crate::region::Location;

/// The migrations, in order: migration `n` (from 1) runs once, and `tmsdk_schema` keeps the numbers applied.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS tmsdk_users (
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
)",
    "ALTER TABLE tmsdk_users ADD COLUMN login_province TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE tmsdk_users ADD COLUMN login_city TEXT NOT NULL DEFAULT ''",
    // Avatars the players uploaded, one row per uploader (the image under its SHA-256); `trace_id` is
    // WeChat's asynchronous image check's. BYTEA: PostgreSQL's bytes, a blob to SQLite.
    "CREATE TABLE IF NOT EXISTS tmsdk_avatars (
    sha256 TEXT NOT NULL,
    app_id TEXT NOT NULL,
    open_id TEXT NOT NULL,
    jpeg BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    trace_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sha256, app_id, open_id)
)",
];

/// The key of PostgreSQL's advisory lock that migrations hold ("tmsdk" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_6d73_646b;

/// Applies, in order, every migration whose number `tmsdk_schema` does not hold (under the caller's lock).
async fn apply_migrations(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("CREATE TABLE IF NOT EXISTS tmsdk_schema (version BIGINT NOT NULL)")
        .execute(&mut *conn)
        .await?;
    let rows = sqlx::query("SELECT version FROM tmsdk_schema")
        .fetch_all(&mut *conn)
        .await?;
    let applied: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("version"))
        .collect::<Result<_, _>>()?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if applied.contains(&version) {
            continue;
        }
        sqlx::query(sql).execute(&mut *conn).await?;
        sqlx::query("INSERT INTO tmsdk_schema (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A stored user, as the profile shows it (the session key stays here).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    /// The app.
    pub app_id: String,
    /// The user's openid.
    pub open_id: String,
    /// The unionid, when known.
    pub union_id: String,
    /// The last verified user info (empty until the user authorises).
    pub info: UserInfo,
    /// Number of logins.
    pub login_times: i64,
    /// Days with at least one login.
    pub online_days: i64,
    /// Last login, Unix seconds.
    pub last_login_time: i64,
    /// Whether the first login created this user.
    pub is_new: bool,
    /// Scene of the first login.
    pub from_scene: String,
    /// Channel of the first login.
    pub from_code: String,
    /// Province of the last login's IP.
    pub login_province: String,
    /// City of the last login's IP.
    pub login_city: String,
}

/// Verified user info, from WeChat's decrypted data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// `nickName`.
    pub nick_name: String,
    /// `avatarUrl`.
    pub avatar_url: String,
    /// `gender`.
    pub gender: i64,
    /// `city`.
    pub city: String,
    /// `province`.
    pub province: String,
    /// `country`.
    pub country: String,
    /// `language`.
    pub language: String,
}

/// The database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite (else PostgreSQL).
    sqlite: bool,
}

const USER_COLUMNS: &str =
    "app_id, open_id, union_id, nick_name, avatar_url, gender, city, province, country, \
     language, login_times, online_days, last_login_time, is_new, from_scene, from_code, login_province, login_city";

fn user(row: &sqlx::any::AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        app_id: row.try_get("app_id")?,
        open_id: row.try_get("open_id")?,
        union_id: row.try_get("union_id")?,
        info: UserInfo {
            nick_name: row.try_get("nick_name")?,
            avatar_url: row.try_get("avatar_url")?,
            gender: row.try_get("gender")?,
            city: row.try_get("city")?,
            province: row.try_get("province")?,
            country: row.try_get("country")?,
            language: row.try_get("language")?,
        },
        login_times: row.try_get("login_times")?,
        online_days: row.try_get("online_days")?,
        last_login_time: row.try_get("last_login_time")?,
        is_new: row.try_get::<i64, _>("is_new")? != 0,
        from_scene: row.try_get("from_scene")?,
        from_code: row.try_get("from_code")?,
        login_province: row.try_get("login_province")?,
        login_city: row.try_get("login_city")?,
    })
}

impl Store {
    /// Connects to `url` (`sqlite://file` — created when missing — or `postgres://…`) and migrates.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
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
        let store = Store { pool, sqlite };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations not applied yet, holding the database's migration lock: PostgreSQL's advisory
    /// lock (other servers wait for it), or SQLite's write lock (`BEGIN IMMEDIATE`).
    async fn migrate(&self) -> Result<(), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        if self.sqlite {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
        } else {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        let applied = apply_migrations(&mut conn).await;
        let release = if self.sqlite {
            let end = if applied.is_ok() {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            sqlx::query(end).execute(&mut *conn).await.map(drop)
        } else {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await
                .map(drop)
        };
        applied.and(release)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1 AS one")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }

    /// Records a login at `now` (Unix seconds): creates the user or counts the login in one statement, and reads
    /// the user back, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn login(
        &self,
        app_id: &str,
        open_id: &str,
        union_id: &str,
        session_key: &str,
        scene: &str,
        channel: &str,
        location: &Location,
        now: i64,
    ) -> Result<User, sqlx::Error> {
        let day = now / 86_400;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO tmsdk_users (app_id, open_id, union_id, session_key, login_times, online_days, \
             last_login_time, last_login_day, is_new, from_scene, from_code, login_province, login_city) \
             VALUES ($1, $2, $3, $4, 1, 1, $5, $6, 1, $7, $8, $9, $10) \
             ON CONFLICT (app_id, open_id) DO UPDATE SET \
             union_id = CASE WHEN excluded.union_id <> '' THEN excluded.union_id ELSE tmsdk_users.union_id END, \
             session_key = excluded.session_key, \
             login_times = tmsdk_users.login_times + 1, \
             online_days = tmsdk_users.online_days + \
               CASE WHEN tmsdk_users.last_login_day < excluded.last_login_day THEN 1 ELSE 0 END, \
             last_login_time = excluded.last_login_time, \
             last_login_day = excluded.last_login_day, \
             login_province = excluded.login_province, \
             login_city = excluded.login_city, \
             is_new = 0",
        )
        .bind(app_id)
        .bind(open_id)
        .bind(union_id)
        .bind(session_key)
        .bind(now)
        .bind(day)
        .bind(scene)
        .bind(channel)
        .bind(&location.province)
        .bind(&location.city)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM tmsdk_users WHERE app_id = $1 AND open_id = $2"
        ))
        .bind(app_id)
        .bind(open_id)
        .fetch_one(&mut *tx)
        .await?;
        let user = user(&row)?;
        tx.commit().await?;
        Ok(user)
    }

    /// The user, if known.
    pub async fn user(&self, app_id: &str, open_id: &str) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM tmsdk_users WHERE app_id = $1 AND open_id = $2"
        ))
        .bind(app_id)
        .bind(open_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user).transpose()
    }

    /// The user's WeChat session key (never sent, never logged).
    pub async fn session_key(
        &self,
        app_id: &str,
        open_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        let row =
            sqlx::query("SELECT session_key FROM tmsdk_users WHERE app_id = $1 AND open_id = $2")
                .bind(app_id)
                .bind(open_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| r.try_get("session_key")).transpose()
    }

    /// Stores an avatar `open_id` uploaded at `now` (once per uploader and image).
    pub async fn put_avatar(
        &self,
        app_id: &str,
        open_id: &str,
        avatar: &Avatar,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO tmsdk_avatars (sha256, app_id, open_id, jpeg, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (sha256, app_id, open_id) DO NOTHING",
        )
        .bind(&avatar.sha256)
        .bind(app_id)
        .bind(open_id)
        .bind(avatar.jpeg.as_slice())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The JPEG stored under `sha256`, if any.
    pub async fn avatar_jpeg(&self, sha256: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        let row = sqlx::query("SELECT jpeg FROM tmsdk_avatars WHERE sha256 = $1 LIMIT 1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("jpeg")).transpose()
    }

    /// Whether `open_id` uploaded the avatar `sha256`.
    pub async fn uploaded(
        &self,
        app_id: &str,
        open_id: &str,
        sha256: &str,
    ) -> Result<bool, sqlx::Error> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM tmsdk_avatars WHERE sha256 = $1 AND app_id = $2 AND open_id = $3",
        )
        .bind(sha256)
        .bind(app_id)
        .bind(open_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Remembers WeChat's `trace_id` for the check of `open_id`'s avatar `sha256`.
    pub async fn set_avatar_trace(
        &self,
        app_id: &str,
        open_id: &str,
        sha256: &str,
        trace_id: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE tmsdk_avatars SET trace_id = $1 WHERE sha256 = $2 AND app_id = $3 AND open_id = $4",
        )
        .bind(trace_id)
        .bind(sha256)
        .bind(app_id)
        .bind(open_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// WeChat found the avatar it checked under `trace_id` risky: the image is deleted, and every user of
    /// the app whose avatar it was has none any more. Returns the image's SHA-256, if the trace was known.
    pub async fn remove_risky_avatar(
        &self,
        app_id: &str,
        trace_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT sha256 FROM tmsdk_avatars WHERE app_id = $1 AND trace_id = $2 LIMIT 1",
        )
        .bind(app_id)
        .bind(trace_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(sha256) = row.map(|r| r.try_get::<String, _>("sha256")).transpose()? else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM tmsdk_avatars WHERE sha256 = $1")
            .bind(&sha256)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE tmsdk_users SET avatar_url = '' WHERE app_id = $1 AND avatar_url LIKE '%/' || $2 || '.jpg'",
        )
        .bind(app_id)
        .bind(&sha256)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(sha256))
    }

    /// Stores what the player filled in: the nickname and / or the avatar URL (`None` keeps the stored one).
    pub async fn fill(
        &self,
        app_id: &str,
        open_id: &str,
        nick_name: Option<&str>,
        avatar_url: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE tmsdk_users SET nick_name = COALESCE($1, nick_name), \
             avatar_url = COALESCE($2, avatar_url) WHERE app_id = $3 AND open_id = $4",
        )
        .bind(nick_name)
        .bind(avatar_url)
        .bind(app_id)
        .bind(open_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores verified user info.
    pub async fn set_info(
        &self,
        app_id: &str,
        open_id: &str,
        info: &UserInfo,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE tmsdk_users SET nick_name = $1, avatar_url = $2, gender = $3, city = $4, province = $5, \
             country = $6, language = $7, is_new = 0 WHERE app_id = $8 AND open_id = $9",
        )
        .bind(&info.nick_name)
        .bind(&info.avatar_url)
        .bind(info.gender)
        .bind(&info.city)
        .bind(&info.province)
        .bind(&info.country)
        .bind(&info.language)
        .bind(app_id)
        .bind(open_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
