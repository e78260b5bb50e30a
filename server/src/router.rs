//! The routes: the API the SDK calls behind the per-IP limit (`POST /v1/login`, `/v1/profile`,
//! `/v1/profile/fill`, `/v1/avatar`, `/v1/events`), then what has no per-address limit (avatar images, WeChat's message push,
//! `/healthz`, `/metrics`); every request logged and counted; a path or method no route takes answered in the
//! envelope.

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use tmsdk_core::{AVATAR_PATH, EVENTS_PATH, FILL_PATH, LOGIN_PATH, MAX_BODY_BYTES, PROFILE_PATH};

use crate::middleware::{limit_ip, observe};
use crate::routes::{avatar, erase, events, fill, login, ops, profile, push};
use crate::state::SharedState;

/// The routes, over `state`.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route(LOGIN_PATH, post(login::login))
        .route(PROFILE_PATH, post(profile::profile).delete(erase::erase))
        .route(FILL_PATH, post(fill::fill))
        .route(EVENTS_PATH, post(events::events))
        // The upload's own body limit: the image and the multipart framing around it.
        .route(
            AVATAR_PATH,
            post(avatar::upload).layer(DefaultBodyLimit::max(avatar::UPLOAD_LIMIT)),
        )
        .route_layer(from_fn_with_state(state.clone(), limit_ip))
        // Avatars are shown to every player (a leaderboard loads many at once), and pushes come from WeChat:
        // no per-address limit.
        .route(&format!("{AVATAR_PATH}/{{file}}"), get(avatar::image))
        .route(push::PUSH_PATH, get(push::check).post(push::event))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .route_layer(from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
