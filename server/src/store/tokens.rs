//! The platforms' access tokens, shared by every instance on one database. A new QQ token invalidates the
//! previous one about 5 minutes later, so instances that each fetched their own would invalidate each other:
//! one instance refreshes, under a lease kept in the row, and the others read what it wrote.

use super::Store;

impl Store {
    /// The app's shared token and when it stops being used (Unix seconds), if one is still good at `now`.
    pub async fn shared_token(
        &self,
        app_id: &str,
        now: i64,
    ) -> Result<Option<(String, i64)>, sqlx::Error> {
        self.counted(
            sqlx::query_as::<_, (String, i64)>(
                "SELECT token, use_until FROM tmsdk_tokens WHERE app_id = $1 AND use_until > $2 AND token <> ''",
            )
            .bind(app_id)
            .bind(now)
            .fetch_optional(&self.pool),
        )
        .await
    }

    /// Takes the app's refresh lease until `until` (Unix seconds) when no other instance holds one at `now` and
    /// no good token is stored (none, used up, or the `stale` one the platform refused): whether this instance
    /// is now the one to fetch a new token. One statement, so an instance that read "no token" just before
    /// another wrote one does not fetch a second.
    pub async fn take_token_lease(
        &self,
        app_id: &str,
        now: i64,
        until: i64,
        stale: &str,
    ) -> Result<bool, sqlx::Error> {
        self.counted(async {
            sqlx::query(
                "INSERT INTO tmsdk_tokens (app_id) VALUES ($1) ON CONFLICT (app_id) DO NOTHING",
            )
            .bind(app_id)
            .execute(&self.pool)
            .await?;
            let taken = sqlx::query(
                "UPDATE tmsdk_tokens SET lease_until = $3 WHERE app_id = $1 AND lease_until <= $2 \
                 AND (token = '' OR use_until <= $2 OR token = $4)",
            )
            .bind(app_id)
            .bind(now)
            .bind(until)
            .bind(stale)
            .execute(&self.pool)
            .await?;
            Ok(taken.rows_affected() == 1)
        })
        .await
    }

    /// Writes the token this instance fetched, used until `use_until`, and gives the lease back.
    pub async fn put_token(
        &self,
        app_id: &str,
        token: &str,
        use_until: i64,
    ) -> Result<(), sqlx::Error> {
        self.counted(
            sqlx::query(
                "UPDATE tmsdk_tokens SET token = $2, use_until = $3, lease_until = 0 WHERE app_id = $1",
            )
            .bind(app_id)
            .bind(token)
            .bind(use_until)
            .execute(&self.pool),
        )
        .await
        .map(drop)
    }

    /// Gives the lease back without a token (the fetch failed): another instance may try at once.
    pub async fn release_token_lease(&self, app_id: &str) -> Result<(), sqlx::Error> {
        self.counted(
            sqlx::query("UPDATE tmsdk_tokens SET lease_until = 0 WHERE app_id = $1")
                .bind(app_id)
                .execute(&self.pool),
        )
        .await
        .map(drop)
    }
}
