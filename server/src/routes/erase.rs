//! `DELETE /v1/profile` (Bearer; the app is the token's audience): the player erases everything this server
//! holds about them in the app (`Store::erase`, one transaction). Their sessions end with it: a session issued
//! before a player was created is refused, also after the same openid logs in again as a new player.

use axum::extract::State;
use axum::Json;
use tmsdk_core::Envelope;

use crate::error::Refusal;
use crate::extract::{session, Bearer};
use crate::privacy::{log_erasure, past_this_second, AskedBy};
use crate::state::SharedState;

/// `DELETE /v1/profile`: `{ err: 0, msg: "ok" }` once erased.
pub async fn erase(
    State(state): State<SharedState>,
    Bearer(token): Bearer,
) -> Result<Json<Envelope<()>>, Refusal> {
    let apps: Vec<&str> = state.config.apps.keys().map(String::as_str).collect();
    let (claims, _) = session(&state, &token, &apps).await?;
    let erased = state
        .store
        .erase(&claims.aud, &claims.sub)
        .await?
        .ok_or_else(Refusal::unauthorized)?;
    log_erasure(&claims.aud, &claims.sub, AskedBy::Player, &erased);
    past_this_second().await;
    Ok(Json(Envelope {
        err: Some(0),
        msg: "ok".into(),
        data: None,
    }))
}
