//! `POST /v1/login`: a login code (`wx.login`, `qq.login`, `tt.login`) becomes a session. The app's platform's
//! `jscode2session` (WeChat's, QQ's or Douyin's, never another's) names the user — on Douyin, a player not
//! logged in to Douyin by an anonymous code, whose player a later login with both codes adopts; the
//! login is recorded (created or counted) with where the client's address is and, for a new player, the share
//! that brought them (`sharer`, credited to its player); the answer is the profile with a new session token.

use axum::extract::State;
use axum::{Extension, Json};
use tmsdk_core::rules;
use tmsdk_core::{Envelope, LoginRequest, Profile};
use tracing::info;

use super::{answer, now};
use crate::crypto;
use crate::error::{err, Refusal};
use crate::extract::{Body, ClientIp};
use crate::state::SharedState;
use crate::store::Login;

/// `POST /v1/login`.
pub async fn login(
    State(state): State<SharedState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Body(body): Body<LoginRequest<'static>>,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    let (app, api) = state.app(body.app_id.as_ref()).ok_or_else(|| {
        Refusal::with_err(err::UNKNOWN_APP, "this server does not serve that app_id.")
    })?;
    let session = api
        .code_to_session(&body.app_id, &app.secret, &body.code, &body.anonymous_code)
        .await?;
    state.limit_user(&body.app_id, &session.open_id)?;
    let location = state
        .regions
        .as_ref()
        .map(|r| r.lookup(ip))
        .unwrap_or_default();
    let channel: String = body.channel.chars().take(64).collect();
    let share_code = crypto::share_code(&state.config.token_secret, &body.app_id, &session.open_id);
    // A code that cannot be one is no code (an unknown one simply matches no player).
    let sharer = if rules::is_code(&body.sharer, rules::MAX_SHARE_CODE_CHARS) {
        body.sharer.as_ref()
    } else {
        ""
    };
    let user = state
        .store
        .login(Login {
            app_id: &body.app_id,
            open_id: &session.open_id,
            anonymous_open_id: &session.anonymous_open_id,
            union_id: &session.union_id,
            session_key: &session.session_key,
            scene: &body.scene.to_string(),
            channel: &channel,
            location: &location,
            share_code: &share_code,
            sharer,
            now: now(),
        })
        .await?;
    let claims = crypto::Claims::new(
        &user.app_id,
        &user.open_id,
        &user.union_id,
        now() as u64,
        state.config.token_ttl_secs,
    );
    let jwt = crypto::issue_token(&state.config.token_secret, &claims);
    info!(event = "login", app_id = %user.app_id, login_times = user.login_times, "login");
    Ok(answer(&user, &jwt))
}
