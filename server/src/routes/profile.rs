//! `POST /v1/profile`: the user info the platform (`getUserProfile`, `getUserInfo`, the user-info button) gave
//! the player, signed and encrypted with their session key. Verified — the signature of `raw_data`, the
//! decryption, the watermark's app; a body without `raw_data` (SkyRiver's `updateUserInfo` sends none) is proven
//! by the decryption and the watermark alone, its time no older than the session — held to the SDK's profile
//! rules (called on each decrypted value directly), stored; the answer is the stored profile.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use std::borrow::Cow;

use serde_json::Value;
use tmsdk_core::rules::{self, Given};
use tmsdk_core::{Envelope, Profile, ProfileRequest};

use super::stored_profile;
use crate::crypto;
use crate::error::{err, Refusal};
use crate::extract::{session, Bearer, Body};
use crate::state::SharedState;
use crate::store::UserInfo;

/// How far a watermark's time may lie before its session's start (the platform's clock against this server's).
const WATERMARK_LEEWAY_SECS: i64 = 60;

/// `POST /v1/profile`.
pub async fn profile(
    State(state): State<SharedState>,
    Bearer(token): Bearer,
    Body(body): Body<ProfileRequest<'static>>,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    // The token must be this server's, for the request's app (its audience).
    let (claims, session_key) = session(&state, &token, &[body.app_id.as_ref()]).await?;
    if session_key.is_empty() {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            err::ANONYMOUS_SESSION,
            "this Douyin player is not logged in to Douyin, so no user info can be verified: log in with \
             tt.login({ force: true }), then here again, and ask for the user info after that.",
        ));
    }
    let claims_issued_at = claims.iat as i64;
    let (app_id, open_id) = (claims.aud, claims.sub);
    let signed = !body.raw_data.is_empty();
    if signed && !crypto::signature_matches(&body.raw_data, &session_key, &body.signature) {
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
    // Without raw_data nothing is signed: the data must also be this session's, not an older one's replayed
    // (a session key can outlive a login).
    let stamped = decrypted["watermark"]["timestamp"].as_i64().unwrap_or(0);
    if !signed && stamped < claims_issued_at - WATERMARK_LEEWAY_SECS {
        return Err(Refusal::with_err(
            err::WATERMARK,
            "encrypted_data is older than this session; ask the player again (the user-info button or \
             getUserInfo) after the latest login.",
        ));
    }
    let info = info_from(&decrypted)?;
    state.store.set_info(&app_id, &open_id, &info).await?;
    stored_profile(&state, &app_id, &open_id).await
}

/// WeChat's decrypted user info as the SDK's profile rules make it, the rules applied to each value directly:
/// what a rule normalises is normalised (control characters out of the nickname, a gender given as text),
/// what a rule refuses is refused naming the field (the first in the profile's order), and nothing of it is
/// stored then.
fn info_from(decrypted: &Value) -> Result<UserInfo, Refusal> {
    let at = |key: &str| given(&decrypted[key]);
    let refused = |field: &'static str| {
        move |_| {
            Refusal::with_err(
                err::USER_INFO,
                format!("the user info's {field} breaks the profile rules; nothing was stored."),
            )
        }
    };
    Ok(UserInfo {
        nick_name: rules::nick_name(at("nickName")).map_err(refused("nick_name"))?,
        avatar_url: rules::avatar_url(at("avatarUrl")).map_err(refused("avatar_url"))?,
        gender: rules::gender(at("gender"))
            .map_err(refused("gender"))?
            .into(),
        city: rules::string(at("city")).map_err(refused("city"))?,
        province: rules::string(at("province")).map_err(refused("province"))?,
        country: rules::string(at("country")).map_err(refused("country"))?,
        language: rules::string(at("language")).map_err(refused("language"))?,
    })
}

/// A JSON value as the profile rules see it (a missing key is `null`, as WeChat's absent fields read).
fn given(value: &Value) -> Given<'_> {
    match value {
        Value::Null => Given::Null,
        Value::Bool(b) => Given::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(whole), _, _) => Given::Whole(whole),
            (None, Some(negative), _) => Given::Negative(negative),
            // A whole number written with a fraction part (12.0) is still whole, as the core reads it.
            (None, None, Some(f))
                if f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0 =>
            {
                Given::Whole(f as u64)
            }
            _ => Given::OtherNumber,
        },
        Value::String(s) => Given::Str(Cow::Borrowed(s)),
        Value::Array(_) => Given::Array,
        Value::Object(_) => Given::Object,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decrypted_user_info_goes_through_the_rules_directly() {
        let info = info_from(&json!({
            "nickName": "小\u{7}明", "avatarUrl": "HTTPS://thirdwx.qlogo.cn/x", "gender": "2",
            "language": "zh_CN", "watermark": {"appid": "wx1"}
        }))
        .unwrap();
        assert_eq!(
            (info.nick_name.as_str(), info.gender, info.city.as_str()),
            ("小明", 2, ""),
            "normalised; a missing key is empty"
        );
        assert_eq!(info_from(&json!({"gender": 1.0})).unwrap().gender, 1);
        for (decrypted, field) in [
            (json!({"nickName": "字".repeat(65)}), "nick_name"),
            (
                json!({"avatarUrl": "javascript:alert(1)", "city": 7}),
                "avatar_url",
            ),
            (json!({"gender": 3}), "gender"),
            (json!({"gender": -1}), "gender"),
            (json!({"city": 7, "country": []}), "city"),
            (json!({"language": {"x": 1}}), "language"),
        ] {
            let refused = info_from(&decrypted).unwrap_err();
            let answer = format!("{refused:?}");
            assert!(
                answer.contains("41006") && answer.contains(&format!("info's {field} ")),
                "{decrypted} → {answer}"
            );
        }
    }
}
