//! The handlers, one file per route family: `login`, `profile` (verified user info), `avatar` (upload and
//! images), `fill` (头像昵称填写), `events` (shares and play time), `push` (WeChat's message push), `ops`
//! (health and metrics). What several
//! share is here: the profile answer and the clock.

pub mod avatar;
pub mod erase;
pub mod events;
pub mod fill;
pub mod login;
pub mod ops;
pub mod profile;
pub mod push;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use tmsdk_core::{Envelope, Profile};
use tracing::warn;

use crate::config::Platform;
use crate::error::Refusal;
use crate::state::AppState;
use crate::store::User;

/// The fill-in (`/v1/avatar`, `/v1/profile/fill`) is not served for a Douyin app: Douyin mini-games have no
/// avatar and nickname pickers, and this server checks none of their content.
fn no_fill_on_douyin(state: &AppState, app_id: &str) -> Result<(), Refusal> {
    match state.config.apps.get(app_id) {
        Some(app) if app.platform == Platform::Douyin => Err(Refusal::bad_request(
            "Douyin mini-games have no avatar and nickname pickers: this server takes no fill-in for a \
             Douyin app.",
        )),
        _ => Ok(()),
    }
}

/// Now, in Unix seconds.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The user as the SDK's profile, checked by the SDK's own rules, in the envelope. A stored value a rule
/// refuses (a rule may change after it was stored) is answered as the rule's empty value and logged: a
/// player is never locked out by one odd value.
fn answer(user: &User, jwt: &str) -> Json<Envelope<Profile>> {
    let info = &user.info;
    let profile = Profile {
        app_id: user.app_id.clone(),
        open_id: user.open_id.clone(),
        union_id: user.union_id.clone(),
        nick_name: info.nick_name.clone(),
        avatar_url: info.avatar_url.clone(),
        gender: u8::try_from(info.gender).unwrap_or(0),
        city: info.city.clone(),
        province: info.province.clone(),
        country: info.country.clone(),
        language: info.language.clone(),
        online_days: u64::try_from(user.online_days).unwrap_or(0),
        last_login_time: u64::try_from(user.last_login_time).unwrap_or(0),
        login_times: u64::try_from(user.login_times).unwrap_or(0),
        from_scene: user.from_scene.clone(),
        from_code: user.from_code.clone(),
        is_new: user.is_new.0,
        jwt: jwt.to_string(),
        login_province: user.login_province.clone(),
        login_city: user.login_city.clone(),
        share_new: u64::try_from(user.share_new).unwrap_or(0),
        share_times: u64::try_from(user.share_times).unwrap_or(0),
        online_duration: u64::try_from(user.online_duration).unwrap_or(0),
        share_code: Some(user.share_code.clone()).filter(|code| !code.is_empty()),
        ..Profile::default()
    };
    let (profile, broken) = profile.repaired();
    if let Some(e) = broken {
        warn!(event = "stored-profile", app_id = %user.app_id, field = e.field.as_deref().unwrap_or(""), "a stored value breaks a profile rule; answered empty");
    }
    Json(Envelope::ok(profile))
}

/// The stored user's profile without a new session (`jwt` empty: the SDK keeps its own), after a write.
async fn stored_profile(
    state: &AppState,
    app_id: &str,
    open_id: &str,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    let user = state
        .store
        .user(app_id, open_id)
        .await?
        .ok_or_else(Refusal::unauthorized)?;
    Ok(answer(&user, ""))
}
