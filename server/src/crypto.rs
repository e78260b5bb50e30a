//! WeChat's user-info checks and the server's session tokens: `sha1(raw_data + session_key)`, AES-128-CBC
//! with PKCS#7 (key and iv base64), JSON Web Tokens signed with HS256, and the players' share codes.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// A player's share code: 22 characters of base64url, the first 16 bytes of SHA-256 over the token secret, the
/// app and the openid — stable for a player and app, opaque (neither the openid nor decodable to it without the
/// secret). It is stored at the player's first login, so a later change of the secret keeps existing codes.
pub fn share_code(secret: &str, app_id: &str, open_id: &str) -> String {
    let digest = sha2::Sha256::new()
        .chain_update(b"tmsdk-share-code\0")
        .chain_update(secret)
        .chain_update([0])
        .chain_update(app_id)
        .chain_update([0])
        .chain_update(open_id)
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// `sha1(raw_data + session_key)` as lowercase hex: WeChat's user-info signature.
pub fn signature(raw_data: &str, session_key: &str) -> String {
    let digest = Sha1::digest(format!("{raw_data}{session_key}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `signature` is WeChat's signature of `raw_data` with `session_key`, compared in constant time (how
/// long the comparison takes says nothing of how much of a forged signature was right).
pub fn signature_matches(raw_data: &str, session_key: &str, signature_given: &str) -> bool {
    use subtle::ConstantTimeEq;
    signature(raw_data, session_key)
        .as_bytes()
        .ct_eq(signature_given.as_bytes())
        .into()
}

/// WeChat's message-push signature: `sha1` of the push token, `timestamp` and `nonce`, sorted and joined, as
/// lowercase hex.
pub fn push_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let digest = Sha1::digest(parts.concat().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a push's `signature` is WeChat's for `token`, compared in constant time.
pub fn push_signature_matches(token: &str, timestamp: &str, nonce: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    push_signature(token, timestamp, nonce)
        .as_bytes()
        .ct_eq(given.as_bytes())
        .into()
}

/// Decrypts WeChat's `encryptedData` with the user's `session_key` and the `iv` (all base64).
pub fn decrypt(encrypted_data: &str, session_key: &str, iv: &str) -> Option<String> {
    let key = STANDARD.decode(session_key).ok()?;
    let iv = STANDARD.decode(iv).ok()?;
    let mut data = STANDARD.decode(encrypted_data).ok()?;
    if key.len() != 16 || iv.len() != 16 {
        return None;
    }
    let cipher = cbc::Decryptor::<aes::Aes128>::new_from_slices(&key, &iv).ok()?;
    let plain = cipher.decrypt_padded_mut::<Pkcs7>(&mut data).ok()?;
    String::from_utf8(plain.to_vec()).ok()
}

/// The `iss` of every session token.
pub const ISSUER: &str = "tmsdk-server";
/// How far past its `exp` a token is still accepted (clocks differ), in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// The claims of a session token, a JSON Web Token (RFC 7519) signed with HS256: what a game's own backend
/// reads after verifying it with any JWT library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Always [`ISSUER`].
    pub iss: String,
    /// The player's openid.
    pub sub: String,
    /// The game's appId.
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds.
    pub exp: u64,
    /// The player's unionid, when WeChat gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub union_id: Option<String>,
}

impl Claims {
    /// The claims of a session for `open_id` of `app_id`, issued at `now` for `ttl_secs`.
    pub fn new(app_id: &str, open_id: &str, union_id: &str, now: u64, ttl_secs: u64) -> Claims {
        Claims {
            iss: ISSUER.to_string(),
            sub: open_id.to_string(),
            aud: app_id.to_string(),
            iat: now,
            exp: now.saturating_add(ttl_secs),
            union_id: (!union_id.is_empty()).then(|| union_id.to_string()),
        }
    }
}

/// A session token: `claims` as a JWT with the header `{"alg":"HS256","typ":"JWT"}`, signed with `secret`.
pub fn issue_token(secret: &str, claims: &Claims) -> String {
    let header = Header::new(Algorithm::HS256);
    // Signing with HMAC cannot fail.
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap_or_default()
}

/// The claims of `token` when it is a JWT signed with HS256 by one of `secrets`, issued by this server for
/// one of `app_ids` (one, the request's; or all served, for a request that names no app: an upload) and not
/// expired (with [`LEEWAY_SECS`]). Every other algorithm, `none` included, is refused.
pub fn verify_token_for(secrets: &[&str], token: &str, app_ids: &[&str]) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECS;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(app_ids);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    secrets.iter().find_map(|secret| {
        decode::<Claims>(
            token,
            &DecodingKey::from_secret(secret.as_bytes()),
            &validation,
        )
        .ok()
        .map(|data| data.claims)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    fn verify_token(secrets: &[&str], token: &str, app_id: &str) -> Option<Claims> {
        verify_token_for(secrets, token, &[app_id])
    }

    #[test]
    fn a_share_code_is_stable_opaque_and_short() {
        let code = share_code("secret-of-the-server", "wx1", "oPlayer_1");
        assert_eq!(code, share_code("secret-of-the-server", "wx1", "oPlayer_1"));
        assert_eq!(code.len(), 22);
        assert!(code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(!code.contains("oPlayer"));
        assert_ne!(code, share_code("secret-of-the-server", "wx2", "oPlayer_1"));
        assert_ne!(code, share_code("secret-of-the-server", "wx1", "oPlayer_2"));
        assert_ne!(
            code,
            share_code("another-secret-entirely", "wx1", "oPlayer_1")
        );
    }

    #[test]
    fn a_signature_matches_only_its_own_raw_data_and_key() {
        let good = signature("{\"nickName\":\"小明\"}", "a2V5");
        assert!(signature_matches("{\"nickName\":\"小明\"}", "a2V5", &good));
        assert!(!signature_matches("{\"nickName\":\"篡改\"}", "a2V5", &good));
        assert!(!signature_matches("{\"nickName\":\"小明\"}", "b2V5", &good));
        assert!(!signature_matches(
            "{\"nickName\":\"小明\"}",
            "a2V5",
            &good[..39]
        ));
        assert!(!signature_matches("{\"nickName\":\"小明\"}", "a2V5", ""));
    }

    #[test]
    fn a_push_signature_is_sha1_of_the_sorted_parts() {
        // sha1("abc"), the standard's own example.
        let abc = "a9993e364706816aba3e25717850c26c9cd0d89d";
        assert_eq!(push_signature("b", "c", "a"), abc);
        assert!(push_signature_matches("c", "a", "b", abc));
        assert!(!push_signature_matches("c", "a", "d", abc));
        assert!(!push_signature_matches("c", "a", "b", &abc[..39]));
    }

    #[test]
    fn a_token_verifies_for_any_of_the_apps_given_when_its_own_is_one() {
        let token = issue_token(SECRET, &Claims::new("wx1", "o1", "", now(), 3600));
        let claims = verify_token_for(&[SECRET], &token, &["wx2", "wx1"]).unwrap();
        assert_eq!((claims.aud.as_str(), claims.sub.as_str()), ("wx1", "o1"));
        assert!(verify_token_for(&[SECRET], &token, &["wx2"]).is_none());
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    const SECRET: &str = "a-long-enough-secret";

    #[test]
    fn a_token_is_a_standard_jwt_with_the_documented_claims() {
        let claims = Claims::new("wx1", "o1", "u1", now(), 3600);
        let token = issue_token(SECRET, &claims);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(
            (header.alg, header.typ.as_deref()),
            (Algorithm::HS256, Some("JWT"))
        );
        let body: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (&body["iss"], &body["sub"], &body["aud"], &body["union_id"]),
            (
                &json!("tmsdk-server"),
                &json!("o1"),
                &json!("wx1"),
                &json!("u1")
            )
        );
        assert_eq!(body["exp"].as_u64(), Some(claims.iat + 3600));
        assert_eq!(verify_token(&[SECRET], &token, "wx1"), Some(claims));
        let no_union = issue_token(SECRET, &Claims::new("wx1", "o1", "", now(), 60));
        assert!(!no_union.is_empty());
        assert_eq!(
            verify_token(&[SECRET], &no_union, "wx1").unwrap().union_id,
            None
        );
    }

    #[test]
    fn verification_refuses_other_keys_apps_algorithms_and_old_tokens() {
        let t = now();
        let token = issue_token(SECRET, &Claims::new("wx1", "o1", "", t, 3600));
        assert_eq!(
            verify_token(&["another-secret-entirely"], &token, "wx1"),
            None
        );
        assert_eq!(verify_token(&[SECRET], &token, "wx2"), None, "another app");
        // Rotation: the previous secret still verifies.
        assert!(verify_token(&["the-new-secret-000", SECRET], &token, "wx1").is_some());
        // Expired: within the leeway, then beyond it.
        let late = issue_token(SECRET, &Claims::new("wx1", "o1", "", t - 3630, 3600));
        assert!(verify_token(&[SECRET], &late, "wx1").is_some(), "30 s late");
        let expired = issue_token(SECRET, &Claims::new("wx1", "o1", "", t - 3700, 3600));
        assert_eq!(verify_token(&[SECRET], &expired, "wx1"), None, "100 s late");
        // alg none, and HS512 with the same secret.
        let claims = token.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{claims}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
        );
        assert_eq!(verify_token(&[SECRET], &none, "wx1"), None);
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &Claims::new("wx1", "o1", "", t, 3600),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(verify_token(&[SECRET], &hs512, "wx1"), None);
        // Another issuer, and the old `payload.mac` tokens.
        let mut foreign = Claims::new("wx1", "o1", "", t, 3600);
        foreign.iss = "someone-else".into();
        assert_eq!(
            verify_token(&[SECRET], &issue_token(SECRET, &foreign), "wx1"),
            None
        );
        let old = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode("wx1\no1\n99999999999"),
            URL_SAFE_NO_PAD.encode([7u8; 32])
        );
        assert_eq!(verify_token(&[SECRET], &old, "wx1"), None);
        assert_eq!(verify_token(&[SECRET], "garbage", "wx1"), None);
    }

    #[test]
    fn signature_is_sha1_hex() {
        assert_eq!(
            signature("", ""),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }
}
