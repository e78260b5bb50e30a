//! WeChat's message push at `/v1/wechat/push`: `GET` is WeChat's check of the URL, `POST` an event. Only
//! requests carrying WeChat's signature for this server's push token are heard. A `wxa_media_check` whose
//! verdict is `risky` deletes the avatar and takes it from its users.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tracing::{info, warn};

use crate::config::Config;
use crate::crypto;
use crate::error::Refusal;
use crate::platform_api::Suggest;
use crate::state::SharedState;

/// Where WeChat's message push arrives (`GET`: WeChat's URL check; `POST`: an event).
pub const PUSH_PATH: &str = "/v1/wechat/push";

/// Whether a push request carries WeChat's signature for this server's push token (none set: never).
fn signed_by_wechat(config: &Config, query: &HashMap<String, String>) -> bool {
    let part = |k: &str| query.get(k).map(String::as_str).unwrap_or_default();
    config.wechat_push_token.as_deref().is_some_and(|token| {
        crypto::push_signature_matches(token, part("timestamp"), part("nonce"), part("signature"))
    })
}

fn forged_push() -> Response {
    (StatusCode::UNAUTHORIZED, "signature mismatch").into_response()
}

/// `GET /v1/wechat/push`: WeChat's check of the push URL, answered with its `echostr`.
pub async fn check(
    State(state): State<SharedState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !signed_by_wechat(&state.config, &query) {
        return forged_push();
    }
    query
        .get("echostr")
        .cloned()
        .unwrap_or_default()
        .into_response()
}

/// `POST /v1/wechat/push`: an event from WeChat, answered `success` as WeChat expects.
pub async fn event(
    State(state): State<SharedState>,
    Query(query): Query<HashMap<String, String>>,
    event: Bytes,
) -> Result<Response, Refusal> {
    if !signed_by_wechat(&state.config, &query) {
        warn!(
            event = "push",
            "a push without WeChat's signature was refused"
        );
        return Ok(forged_push());
    }
    let event: Value = serde_json::from_slice(&event).unwrap_or(Value::Null);
    if event["Event"] == "wxa_media_check" {
        let app_id = event["appid"].as_str().unwrap_or_default();
        let trace_id = event["trace_id"].as_str().unwrap_or_default();
        let suggest = Suggest::parse(event["result"]["suggest"].as_str().unwrap_or_default());
        let label = event["result"]["label"].as_i64().unwrap_or(0);
        info!(event = "avatar-check", app_id = %app_id, trace_id = %trace_id, suggest = suggest.label(), label, "WeChat's verdict on an avatar");
        state.metrics.content_check("avatar", suggest.label());
        if suggest == Suggest::Risky && !trace_id.is_empty() {
            let removed = state.store.remove_risky_avatar(app_id, trace_id).await?;
            if let Some(sha256) = removed {
                warn!(event = "avatar-check", app_id = %app_id, sha256 = %sha256, "a risky avatar was removed");
            }
        }
    }
    Ok("success".into_response())
}
