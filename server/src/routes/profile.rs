//! `POST /v1/profile`: the user info WeChat's `getUserProfile` gave the player, signed and encrypted with their
//! session key. Verified (signature, decryption, the watermark's app), held to the SDK's profile rules, stored;
//! the answer is the stored profile.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use tmsdk_core::{Envelope, Profile, ProfileRequest, TmError};

use super::stored_profile;
use crate::crypto;
use crate::error::{err, Refusal};
use crate::extract::{session, Bearer, Body};
use crate::state::SharedState;
use crate::store::UserInfo;

/// `POST /v1/profile`.
pub async fn profile(
    State(state): State<SharedState>,
    Bearer(token): Bearer,
    Body(body): Body<ProfileRequest<'static>>,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    // The token must be this server's, for the request's app (its audience).
    let (claims, session_key) = session(&state, &token, &[body.app_id.as_ref()]).await?;
    let (app_id, open_id) = (claims.aud, claims.sub);
    if !crypto::signature_matches(&body.raw_data, &session_key, &body.signature) {
        return Err(Refusal::with_err(
            err::SIGNATURE,
            "signature mismatch: raw_data was changed or signed with another session_key.",
        ));
    }
    let decrypted = crypto::decrypt(&body.encrypted_data, &session_key, &body.iv)
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .ok_or_else(|| {
            Refusal::with_err(
                err::DECRYPT,
                "encrypted_data does not decrypt with this user's session_key.",
            )
        })?;
    if decrypted["watermark"]["appid"].as_str() != Some(app_id.as_str()) {
        return Err(Refusal::with_err(
            err::WATERMARK,
            "encrypted_data belongs to another app.",
        ));
    }
    let info = info_from(&decrypted, &app_id, &open_id).map_err(|e| {
        let field = e.field.unwrap_or_default();
        Refusal::with_err(
            err::USER_INFO,
            format!("the user info's {field} breaks the profile rules; nothing was stored."),
        )
    })?;
    state.store.set_info(&app_id, &open_id, &info).await?;
    stored_profile(&state, &app_id, &open_id).await
}

/// WeChat's decrypted user info as the SDK's profile rules make it: what a rule normalises is normalised
/// (control characters out of the nickname, a gender given as text), what a rule refuses is refused naming the
/// field, and nothing of it is stored then.
fn info_from(decrypted: &Value, app_id: &str, open_id: &str) -> Result<UserInfo, TmError> {
    let candidate = json!({
        "app_id": app_id, "open_id": open_id, "nick_name": decrypted["nickName"],
        "avatar_url": decrypted["avatarUrl"], "gender": decrypted["gender"], "city": decrypted["city"],
        "province": decrypted["province"], "country": decrypted["country"],
        "language": decrypted["language"],
    });
    let p = tmsdk_core::parse_body(&candidate.to_string(), app_id)?;
    Ok(UserInfo {
        nick_name: p.nick_name,
        avatar_url: p.avatar_url,
        gender: i64::from(p.gender),
        city: p.city,
        province: p.province,
        country: p.country,
        language: p.language,
    })
}
