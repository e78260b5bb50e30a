//! WeChat's user-info checks and the server's session tokens: `sha1(raw_data + session_key)`, AES-128-CBC
//! with PKCS#7 (key and iv base64), and HMAC-SHA256-signed, expiring tokens.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;

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

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, payload: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A session token for `open_id` of `app_id`, valid until `expires` (Unix seconds).
pub fn issue_token(secret: &str, app_id: &str, open_id: &str, expires: u64) -> String {
    let payload = format!("{app_id}\n{open_id}\n{expires}");
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(mac(secret, &payload))
    )
}

/// The `(app_id, open_id)` of a token signed with `secret` and not expired at `now` (Unix seconds).
pub fn verify_token(secret: &str, token: &str, now: u64) -> Option<(String, String)> {
    let (payload, signature) = token.split_once('.')?;
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut check = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    check.update(payload.as_bytes());
    check.verify_slice(&signature).ok()?;
    let mut parts = payload.split('\n');
    let (app, open_id, expires) = (parts.next()?, parts.next()?, parts.next()?);
    (expires.parse::<u64>().ok()? > now).then(|| (app.to_string(), open_id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn tokens_verify_until_they_expire_and_refuse_forgeries() {
        let t = issue_token("a-long-enough-secret", "wx1", "o1", 1000);
        assert_eq!(
            verify_token("a-long-enough-secret", &t, 999),
            Some(("wx1".into(), "o1".into()))
        );
        assert_eq!(
            verify_token("a-long-enough-secret", &t, 1000),
            None,
            "expired"
        );
        assert_eq!(
            verify_token("another-secret-entirely", &t, 0),
            None,
            "another key"
        );
        let (payload, sig) = t.split_once('.').unwrap();
        let forged = format!("{}.{sig}", URL_SAFE_NO_PAD.encode("wx1\no2\n1000"));
        assert_ne!(forged.split_once('.').unwrap().0, payload);
        assert_eq!(
            verify_token("a-long-enough-secret", &forged, 0),
            None,
            "a changed payload"
        );
        assert_eq!(verify_token("a-long-enough-secret", "garbage", 0), None);
    }

    #[test]
    fn signature_is_sha1_hex() {
        assert_eq!(
            signature("", ""),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }
}
