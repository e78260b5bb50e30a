//! The events the SDK counted — shares asked for and foreground play — recorded once each under their id, and
//! counted into the player's figures within each day's limits (Asia/Shanghai): at most 100 shares and 86,400 s
//! of play a day. One transaction per request, the player's row locked on PostgreSQL (SQLite's one writer
//! already serialises), so concurrent requests neither count an id twice nor pass a day's limit.

use tmsdk_core::{Event, MAX_PLAY_SECONDS, MAX_SHARES_A_DAY};

use super::users::shanghai_day;
use super::Store;

/// What one request counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counted {
    /// Events seen for the first time.
    pub new_events: u64,
    /// Shares added to `share_times`.
    pub shares: u64,
    /// Seconds added to `online_duration`.
    pub seconds: u64,
}

impl Store {
    /// Records `events` of `open_id` received at `now` (Unix seconds) and counts the new ones.
    pub async fn record_events(
        &self,
        app_id: &str,
        open_id: &str,
        events: &[Event],
        now: i64,
    ) -> Result<Counted, sqlx::Error> {
        self.counted(async {
            let day = shanghai_day(now);
            let mut tx = self.pool.begin().await?;
            if !self.sqlite {
                sqlx::query("SELECT 1 AS one FROM tmsdk_users WHERE app_id = $1 AND open_id = $2 FOR UPDATE")
                    .bind(app_id)
                    .bind(open_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO tmsdk_days (app_id, open_id, day) VALUES ($1, $2, $3) \
                 ON CONFLICT (app_id, open_id, day) DO NOTHING",
            )
            .bind(app_id)
            .bind(open_id)
            .bind(day)
            .execute(&mut *tx)
            .await?;
            let (mut played, mut shared): (i64, i64) = sqlx::query_as(
                "SELECT play_seconds, shares FROM tmsdk_days WHERE app_id = $1 AND open_id = $2 AND day = $3",
            )
            .bind(app_id)
            .bind(open_id)
            .bind(day)
            .fetch_one(&mut *tx)
            .await?;
            let mut counted = Counted::default();
            let mut any_play = false;
            for event in events {
                let (kind, seconds) = match event {
                    Event::Share { .. } => ("share", 0),
                    Event::Play { seconds, .. } => ("play", *seconds),
                };
                let first = sqlx::query(
                    "INSERT INTO tmsdk_events (app_id, open_id, id, kind, seconds, day, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (app_id, open_id, id) DO NOTHING",
                )
                .bind(app_id)
                .bind(open_id)
                .bind(event.id())
                .bind(kind)
                .bind(seconds as i64)
                .bind(day)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if !first {
                    continue;
                }
                counted.new_events += 1;
                match event {
                    Event::Share { .. } if (shared as u64) < MAX_SHARES_A_DAY => {
                        shared += 1;
                        counted.shares += 1;
                    }
                    Event::Share { .. } => {}
                    Event::Play { seconds, .. } => {
                        any_play = true;
                        let room = MAX_PLAY_SECONDS.saturating_sub(played as u64);
                        let taken = (*seconds).min(room);
                        played += taken as i64;
                        counted.seconds += taken;
                    }
                }
            }
            sqlx::query(
                "UPDATE tmsdk_days SET play_seconds = $1, shares = $2 \
                 WHERE app_id = $3 AND open_id = $4 AND day = $5",
            )
            .bind(played)
            .bind(shared)
            .bind(app_id)
            .bind(open_id)
            .bind(day)
            .execute(&mut *tx)
            .await?;
            // A day with play counts as a day online, as a day with a login does.
            let new_day = if any_play { day } else { i64::MIN };
            sqlx::query(
                "UPDATE tmsdk_users SET share_times = share_times + $1, \
                 online_duration = online_duration + $2, \
                 online_days = online_days + CASE WHEN last_online_day < $3 THEN 1 ELSE 0 END, \
                 last_online_day = CASE WHEN last_online_day < $3 THEN $3 ELSE last_online_day END \
                 WHERE app_id = $4 AND open_id = $5",
            )
            .bind(counted.shares as i64)
            .bind(counted.seconds as i64)
            .bind(new_day)
            .bind(app_id)
            .bind(open_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(counted)
        })
        .await
    }
}
