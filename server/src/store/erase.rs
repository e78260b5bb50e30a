//! Erasing a player (个人信息保护法 art. 47; docs/server.md, personal data): everything stored about them in
//! one app, in one transaction — their row (profile, figures, share code, session key), their events and days,
//! the avatar images they uploaded (another player's upload of the same image is that player's and stays).
//! What they credited to others (`share_new`) stays with those players. And the copy (art. 45): everything
//! stored about them, read in one transaction.

use serde::Serialize;

use super::users::SELECT_USER;
use super::{Store, User};

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Erased {
    /// Player rows (1).
    pub players: u64,
    /// Avatar images this player uploaded.
    pub avatars: u64,
    /// Events recorded under their ids.
    pub events: u64,
    /// Days of counted figures.
    pub days: u64,
}

/// Everything stored about one player of one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The player's row, as the profile shows it.
    pub user: User,
    /// The SHA-256 of each avatar image they uploaded, and WeChat's check of it (`trace_id`, "" when none was
    /// asked for), oldest first.
    pub avatars: Vec<(String, String, i64)>,
    /// Their recorded events: id, kind, seconds, day (Asia/Shanghai), received at.
    pub events: Vec<(String, String, i64, i64, i64)>,
}

impl Store {
    /// Erases `open_id` from `app_id`; `None` when there is no such player.
    pub async fn erase(&self, app_id: &str, open_id: &str) -> Result<Option<Erased>, sqlx::Error> {
        self.counted(async {
            let mut tx = self.pool.begin().await?;
            let mut erased = Erased::default();
            let delete = |table: &'static str| {
                format!("DELETE FROM {table} WHERE app_id = $1 AND open_id = $2")
            };
            for (table, count) in [
                ("tmsdk_avatars", &mut erased.avatars),
                ("tmsdk_events", &mut erased.events),
                ("tmsdk_days", &mut erased.days),
                ("tmsdk_users", &mut erased.players),
            ] {
                *count = sqlx::query(&delete(table))
                    .bind(app_id)
                    .bind(open_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            if erased.players == 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            tx.commit().await?;
            Ok(Some(erased))
        })
        .await
    }

    /// Everything stored about `open_id` in `app_id`; `None` when there is no such player.
    pub async fn export(&self, app_id: &str, open_id: &str) -> Result<Option<Stored>, sqlx::Error> {
        self.counted(async {
            let mut tx = self.pool.begin().await?;
            let user = sqlx::query_as::<_, User>(SELECT_USER)
                .bind(app_id)
                .bind(open_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(user) = user else {
                return Ok(None);
            };
            let avatars = sqlx::query_as(
                "SELECT sha256, trace_id, created_at FROM tmsdk_avatars \
                 WHERE app_id = $1 AND open_id = $2 ORDER BY created_at",
            )
            .bind(app_id)
            .bind(open_id)
            .fetch_all(&mut *tx)
            .await?;
            let events = sqlx::query_as(
                "SELECT id, kind, seconds, day, received_at FROM tmsdk_events \
                 WHERE app_id = $1 AND open_id = $2 ORDER BY received_at, id",
            )
            .bind(app_id)
            .bind(open_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(Stored {
                user,
                avatars,
                events,
            }))
        })
        .await
    }
}
