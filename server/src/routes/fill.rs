//! `POST /v1/profile/fill`: the nickname and / or avatar the player filled in (头像昵称填写). The avatar must be
//! one this user uploaded; the nickname passes the profile rules, then the platform's text check (WeChat's, QQ's;
//! `risky`: refused
//! with 87014, nothing stored; `review`: stored and logged). Answers the profile, as `/v1/profile` does.

use std::borrow::Cow;

use axum::extract::State;
use axum::Json;
use tmsdk_core::rules::{self, Given};
use tmsdk_core::{Envelope, FillRequest, Profile, AVATAR_PATH};
use tracing::{info, warn};

use super::{no_fill_on_douyin, stored_profile};
use crate::error::{err, Refusal};
use crate::extract::{session, Bearer, Body};
use crate::platform_api::Suggest;
use crate::state::SharedState;

/// A filled-in nickname as the SDK's profile rule makes it (control characters out, at most 64 characters),
/// trimmed; a nickname the rule refuses, or an empty one, is refused naming `nick_name`.
fn filled_nick(nick: &str) -> Result<String, Refusal> {
    rules::nick_name(Given::Str(Cow::Borrowed(nick)))
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Refusal::with_err(
                err::USER_INFO,
                "the nick_name must have 1 to 64 characters once trimmed; nothing was stored.",
            )
        })
}

/// `POST /v1/profile/fill`.
pub async fn fill(
    State(state): State<SharedState>,
    Bearer(token): Bearer,
    Body(body): Body<FillRequest<'static>>,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    let (claims, _) = session(&state, &token, &[body.app_id.as_ref()]).await?;
    let (app_id, open_id) = (claims.aud, claims.sub);
    no_fill_on_douyin(&state, &app_id)?;
    if body.nick_name.is_none() && body.avatar_url.is_none() {
        return Err(Refusal::bad_request("give nick_name, avatar_url or both."));
    }
    if let Some(url) = &body.avatar_url {
        let sha256 = url
            .strip_prefix(&format!("{}{AVATAR_PATH}/", state.config.public_url))
            .and_then(|file| file.strip_suffix(".jpg"))
            .unwrap_or_default();
        let owned = !sha256.is_empty() && state.store.uploaded(&app_id, &open_id, sha256).await?;
        if !owned {
            return Err(Refusal::with_err(
                err::AVATAR_NOT_OWNED,
                "avatar_url is not an avatar this user uploaded to /v1/avatar; upload the image first.",
            ));
        }
    }
    let nick = match &body.nick_name {
        Some(nick) => Some(filled_nick(nick)?),
        None => None,
    };
    if let Some(nick) = &nick {
        let (app, api) = state.app(&app_id).ok_or_else(Refusal::unauthorized)?;
        let verdict = api.check_text(&app_id, &app.secret, &open_id, nick).await?;
        match verdict.suggest {
            Suggest::Risky => {
                info!(event = "content-check", app_id = %app_id, suggest = "risky", label = verdict.label, "nickname refused");
                return Err(Refusal::with_err(
                    err::CONTENT_RISKY,
                    format!(
                        "{}'s content check found the nickname risky; nothing was stored. Ask the player for another one.",
                        app.platform.name()
                    ),
                ));
            }
            Suggest::Review => {
                warn!(event = "content-check", app_id = %app_id, suggest = "review", label = verdict.label, "nickname stored for review");
            }
            Suggest::Pass => {}
        }
    }
    state
        .store
        .fill(
            &app_id,
            &open_id,
            nick.as_deref(),
            body.avatar_url.as_deref(),
        )
        .await?;
    stored_profile(&state, &app_id, &open_id).await
}
