//! Avatars the players uploaded: one row per uploader and image (the image under its SHA-256), the trace of
//! WeChat's asynchronous check, and the removal of an image WeChat found risky.

use super::Store;
use crate::avatar::Avatar;

impl Store {
    /// Stores an avatar `open_id` uploaded at `now` (once per uploader and image).
    pub async fn put_avatar(
        &self,
        app_id: &str,
        open_id: &str,
        avatar: &Avatar,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        self.counted(
            sqlx::query(
                "INSERT INTO tmsdk_avatars (sha256, app_id, open_id, jpeg, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256, app_id, open_id) DO NOTHING",
            )
            .bind(&avatar.sha256)
            .bind(app_id)
            .bind(open_id)
            .bind(avatar.jpeg.as_slice())
            .bind(now)
            .execute(&self.pool),
        )
        .await
        .map(drop)
    }

    /// The JPEG stored under `sha256`, if any.
    pub async fn avatar_jpeg(&self, sha256: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.counted(
            sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT jpeg FROM tmsdk_avatars WHERE sha256 = $1 LIMIT 1",
            )
            .bind(sha256)
            .fetch_optional(&self.pool),
        )
        .await
    }

    /// Whether `open_id` uploaded the avatar `sha256`.
    pub async fn uploaded(
        &self,
        app_id: &str,
        open_id: &str,
        sha256: &str,
    ) -> Result<bool, sqlx::Error> {
        self.counted(
            sqlx::query(
                "SELECT 1 AS one FROM tmsdk_avatars WHERE sha256 = $1 AND app_id = $2 AND open_id = $3",
            )
            .bind(sha256)
            .bind(app_id)
            .bind(open_id)
            .fetch_optional(&self.pool),
        )
        .await
        .map(|row| row.is_some())
    }

    /// Remembers WeChat's `trace_id` for the check of `open_id`'s avatar `sha256`.
    pub async fn set_avatar_trace(
        &self,
        app_id: &str,
        open_id: &str,
        sha256: &str,
        trace_id: &str,
    ) -> Result<(), sqlx::Error> {
        self.counted(
            sqlx::query(
                "UPDATE tmsdk_avatars SET trace_id = $1 WHERE sha256 = $2 AND app_id = $3 AND open_id = $4",
            )
            .bind(trace_id)
            .bind(sha256)
            .bind(app_id)
            .bind(open_id)
            .execute(&self.pool),
        )
        .await
        .map(drop)
    }

    /// WeChat found the avatar it checked under `trace_id` risky: the image is deleted, and every user of
    /// the app whose avatar it was has none any more. Returns the image's SHA-256, if the trace was known.
    pub async fn remove_risky_avatar(
        &self,
        app_id: &str,
        trace_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        self.counted(async {
            let mut tx = self.pool.begin().await?;
            let sha256 = sqlx::query_scalar::<_, String>(
                "SELECT sha256 FROM tmsdk_avatars WHERE app_id = $1 AND trace_id = $2 LIMIT 1",
            )
            .bind(app_id)
            .bind(trace_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(sha256) = sha256 else {
                return Ok(None);
            };
            sqlx::query("DELETE FROM tmsdk_avatars WHERE sha256 = $1")
                .bind(&sha256)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE tmsdk_users SET avatar_url = '' \
                 WHERE app_id = $1 AND avatar_url LIKE '%/' || $2 || '.jpg'",
            )
            .bind(app_id)
            .bind(&sha256)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(sha256))
        })
        .await
    }
}
