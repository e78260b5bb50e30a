//! The players: a login (created, or counted), their verified or filled-in info, their WeChat session key.
//! The columns a user is read from are named once, in [`User`] (`sqlx::FromRow`).

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Decode, FromRow, Type};

use super::Store;
use crate::region::Location;

/// A yes-or-no stored as 0 or 1 (an integer in both databases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag(pub bool);

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Flag, BoxDynError> {
        Ok(Flag(<i64 as Decode<Any>>::decode(value)? != 0))
    }
}

/// A stored user, as the profile shows it (the session key stays here).
#[derive(Debug, Clone, PartialEq, Eq, Default, FromRow)]
pub struct User {
    /// The app.
    pub app_id: String,
    /// The user's openid.
    pub open_id: String,
    /// The unionid, when known.
    pub union_id: String,
    /// The last verified user info (empty until the user authorises).
    #[sqlx(flatten)]
    pub info: UserInfo,
    /// Number of logins.
    pub login_times: i64,
    /// Days with at least one login.
    pub online_days: i64,
    /// Last login, Unix seconds.
    pub last_login_time: i64,
    /// Whether the first login created this user.
    pub is_new: Flag,
    /// Scene of the first login.
    pub from_scene: String,
    /// Channel of the first login.
    pub from_code: String,
    /// Province of the last login's IP.
    pub login_province: String,
    /// City of the last login's IP.
    pub login_city: String,
    /// The code this player's shares carry (`tmsdk_s`).
    pub share_code: String,
    /// Players this player's shares brought in.
    pub share_new: i64,
    /// Shares counted.
    pub share_times: i64,
    /// Seconds of foreground play counted.
    pub online_duration: i64,
    /// When the player was created, Unix seconds (0: before this was recorded).
    pub created_at: i64,
}

/// Verified user info, from WeChat's decrypted data.
#[derive(Debug, Clone, PartialEq, Eq, Default, FromRow)]
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

/// A login as the store records it.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    /// The app.
    pub app_id: &'a str,
    /// The user's openid.
    pub open_id: &'a str,
    /// Douyin's anonymous openid of this device beside a real `open_id` ("" otherwise): that player becomes
    /// this one when `open_id` has none yet.
    pub anonymous_open_id: &'a str,
    /// The unionid, when WeChat gave one.
    pub union_id: &'a str,
    /// WeChat's session key for this login.
    pub session_key: &'a str,
    /// The launch scene (kept from the first login).
    pub scene: &'a str,
    /// The launch channel (kept from the first login).
    pub channel: &'a str,
    /// Where the client's address is.
    pub location: &'a Location,
    /// The share code a new player gets (an existing one keeps theirs).
    pub share_code: &'a str,
    /// The share code of the launch that brought the player (`tmsdk_s`; "" when none).
    pub sharer: &'a str,
    /// When, in Unix seconds.
    pub now: i64,
}

/// The day of `unix_secs` on the Asia/Shanghai calendar (UTC+8, no daylight saving), counted from 1970-01-01.
pub fn shanghai_day(unix_secs: i64) -> i64 {
    (unix_secs + 8 * 3600).div_euclid(86_400)
}

/// A Douyin player who played anonymously, then logged in to Douyin: their player (figures, share code, play
/// days, uploads) becomes `open_id`'s when `open_id` has none yet, within the login's transaction. Two logins at
/// once move it once: the second finds no anonymous player left (PostgreSQL re-reads the locked row; SQLite
/// has one writer).
async fn adopt_anonymous(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    app_id: &str,
    anonymous_open_id: &str,
    open_id: &str,
) -> Result<(), sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE tmsdk_users SET open_id = $3 WHERE app_id = $1 AND open_id = $2 \
         AND NOT EXISTS (SELECT 1 FROM tmsdk_users WHERE app_id = $1 AND open_id = $3)",
    )
    .bind(app_id)
    .bind(anonymous_open_id)
    .bind(open_id)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() == 1 {
        for table in ["tmsdk_events", "tmsdk_days", "tmsdk_avatars"] {
            sqlx::query(&format!(
                "UPDATE {table} SET open_id = $3 WHERE app_id = $1 AND open_id = $2"
            ))
            .bind(app_id)
            .bind(anonymous_open_id)
            .bind(open_id)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

pub(super) const SELECT_USER: &str = "SELECT * FROM tmsdk_users WHERE app_id = $1 AND open_id = $2";

impl Store {
    /// Records a login: creates the user or counts the login in one statement (`online_days` by the
    /// Asia/Shanghai calendar, with the days played), and reads the user back; when this login created the
    /// player and `sharer` is another player's code in the app, that player's `share_new` counts one. All in
    /// one transaction: concurrent first logins of one invitee create one player and credit one.
    pub async fn login(&self, login: Login<'_>) -> Result<User, sqlx::Error> {
        self.counted(async {
            let mut tx = self.pool.begin().await?;
            if !login.anonymous_open_id.is_empty() {
                adopt_anonymous(&mut tx, login.app_id, login.anonymous_open_id, login.open_id).await?;
            }
            sqlx::query(
                "INSERT INTO tmsdk_users (app_id, open_id, union_id, session_key, login_times, online_days, \
                 last_login_time, last_login_day, last_online_day, is_new, from_scene, from_code, \
                 login_province, login_city, share_code, created_at) \
                 VALUES ($1, $2, $3, $4, 1, 1, $5, $6, $7, 1, $8, $9, $10, $11, $12, $5) \
                 ON CONFLICT (app_id, open_id) DO UPDATE SET \
                 union_id = CASE WHEN excluded.union_id <> '' THEN excluded.union_id ELSE tmsdk_users.union_id END, \
                 session_key = excluded.session_key, \
                 login_times = tmsdk_users.login_times + 1, \
                 online_days = tmsdk_users.online_days + \
                   CASE WHEN tmsdk_users.last_online_day < excluded.last_online_day THEN 1 ELSE 0 END, \
                 last_online_day = CASE WHEN tmsdk_users.last_online_day < excluded.last_online_day \
                   THEN excluded.last_online_day ELSE tmsdk_users.last_online_day END, \
                 last_login_time = excluded.last_login_time, \
                 last_login_day = excluded.last_login_day, \
                 login_province = excluded.login_province, \
                 login_city = excluded.login_city, \
                 share_code = CASE WHEN tmsdk_users.share_code = '' THEN excluded.share_code \
                   ELSE tmsdk_users.share_code END, \
                 is_new = 0",
            )
            .bind(login.app_id)
            .bind(login.open_id)
            .bind(login.union_id)
            .bind(login.session_key)
            .bind(login.now)
            .bind(login.now.div_euclid(86_400))
            .bind(shanghai_day(login.now))
            .bind(login.scene)
            .bind(login.channel)
            .bind(&login.location.province)
            .bind(&login.location.city)
            .bind(login.share_code)
            .execute(&mut *tx)
            .await?;
            let user = sqlx::query_as::<_, User>(SELECT_USER)
                .bind(login.app_id)
                .bind(login.open_id)
                .fetch_one(&mut *tx)
                .await?;
            // Only the statement that created the player leaves it at its first login.
            if user.login_times == 1 && !login.sharer.is_empty() {
                sqlx::query(
                    "UPDATE tmsdk_users SET share_new = share_new + 1 \
                     WHERE app_id = $1 AND share_code = $2 AND open_id <> $3",
                )
                .bind(login.app_id)
                .bind(login.sharer)
                .bind(login.open_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(user)
        })
        .await
    }

    /// The user, if known.
    pub async fn user(&self, app_id: &str, open_id: &str) -> Result<Option<User>, sqlx::Error> {
        self.counted(
            sqlx::query_as::<_, User>(SELECT_USER)
                .bind(app_id)
                .bind(open_id)
                .fetch_optional(&self.pool),
        )
        .await
    }

    /// The user's WeChat session key (never sent, never logged) and when the player was created.
    pub async fn session_key(
        &self,
        app_id: &str,
        open_id: &str,
    ) -> Result<Option<(String, i64)>, sqlx::Error> {
        self.counted(
            sqlx::query_as::<_, (String, i64)>(
                "SELECT session_key, created_at FROM tmsdk_users WHERE app_id = $1 AND open_id = $2",
            )
            .bind(app_id)
            .bind(open_id)
            .fetch_optional(&self.pool),
        )
        .await
    }

    /// Stores what the player filled in: the nickname and / or the avatar URL (`None` keeps the stored one).
    pub async fn fill(
        &self,
        app_id: &str,
        open_id: &str,
        nick_name: Option<&str>,
        avatar_url: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        self.counted(
            sqlx::query(
                "UPDATE tmsdk_users SET nick_name = COALESCE($1, nick_name), \
                 avatar_url = COALESCE($2, avatar_url) WHERE app_id = $3 AND open_id = $4",
            )
            .bind(nick_name)
            .bind(avatar_url)
            .bind(app_id)
            .bind(open_id)
            .execute(&self.pool),
        )
        .await
        .map(drop)
    }

    /// Stores verified user info.
    pub async fn set_info(
        &self,
        app_id: &str,
        open_id: &str,
        info: &UserInfo,
    ) -> Result<(), sqlx::Error> {
        self.counted(
            sqlx::query(
                "UPDATE tmsdk_users SET nick_name = $1, avatar_url = $2, gender = $3, city = $4, \
                 province = $5, country = $6, language = $7, is_new = 0 WHERE app_id = $8 AND open_id = $9",
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
            .execute(&self.pool),
        )
        .await
        .map(drop)
    }
}
