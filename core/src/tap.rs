//! `updateUserInfo(result)` (SkyRiver's call, docs/api.md): the result a game's own user-info call handed it —
//! a `UserInfoButton`'s `onTap`, `getUserInfo`'s success, a `<button open-type="getUserInfo">` tap's
//! `e.detail` — read into the reply the flow posts, or the typed error it stands for.

use crate::error::{ErrorCode, Result, TmError};
use crate::host::UserInfoReply;
use crate::input::Argument;
use crate::wx_failure::read_user_info;

/// Reads `updateUserInfo`'s argument, its keys read as a user-info reply of the host's is (the same reader: a
/// key of another type reads as absent): a failure in `errMsg` is its typed error (`AUTH_DENIED`,
/// `PRIVACY_DENIED` …, as the SDK's own flow reads it); otherwise `encryptedData` and `iv` must be non-empty
/// strings, and `rawData` needs its `signature` (the backend checks one by the other). `user_info` is the
/// `userInfo` object as JSON text, forwarded unread.
pub fn read_tap(
    result: impl Into<Argument<UserInfoReply>>,
    user_info: Option<String>,
) -> Result<UserInfoReply> {
    let reply = result.into().into_keys(
        |kind| {
            TmError::new(
                ErrorCode::InvalidOptions,
                format!(
                    "updateUserInfo(): pass the result the user-info button's onTap gave (an object with \
                     encryptedData and iv), not {kind}."
                ),
            )
            .with_field("result")
        },
        invalid,
    )?;
    let reply = read_user_info(Ok(reply))?;
    for (value, key) in [
        (&reply.encrypted_data, "encryptedData"),
        (&reply.iv, "iv"),
        (&reply.signature, "signature"),
    ] {
        // The signature is needed only beside rawData.
        if value.is_empty() && (key != "signature" || !reply.raw_data.is_empty()) {
            return Err(invalid(key, "is missing, empty or not a string"));
        }
    }
    Ok(UserInfoReply { user_info, ..reply })
}

/// `INVALID_OPTIONS` naming a key of the result.
fn invalid(field: &str, problem: &str) -> TmError {
    TmError::new(
        ErrorCode::InvalidOptions,
        format!(
            "updateUserInfo(): result.{field} {problem}. Pass the whole result the user-info button's onTap \
             gave, unchanged."
        ),
    )
    .with_field(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Input;

    fn tap(fields: &[(&str, Input)]) -> Input {
        Input::object(fields.iter().cloned())
    }

    fn whole() -> Vec<(&'static str, Input)> {
        vec![
            ("errMsg", Input::str("getUserInfo:ok")),
            ("encryptedData", Input::str("ENC")),
            ("iv", Input::str("IV")),
            ("signature", Input::str("SIG")),
            ("rawData", Input::str("{\"nickName\":\"小明\"}")),
        ]
    }

    #[test]
    fn a_whole_tap_result_is_read_with_and_without_raw_data() {
        let reply = read_tap(&tap(&whole()), Some("{\"nickName\":\"小明\"}".into())).unwrap();
        assert_eq!(
            (
                reply.encrypted_data.as_str(),
                reply.iv.as_str(),
                reply.signature.as_str()
            ),
            ("ENC", "IV", "SIG")
        );
        assert_eq!(reply.raw_data, "{\"nickName\":\"小明\"}");
        assert_eq!(reply.user_info.as_deref(), Some("{\"nickName\":\"小明\"}"));
        // SkyRiver's own call passes only the three.
        let three = tap(&[
            ("encryptedData", Input::str("ENC")),
            ("iv", Input::str("IV")),
            ("signature", Input::str("SIG")),
        ]);
        let reply = read_tap(&three, None).unwrap();
        assert_eq!((reply.raw_data.as_str(), reply.user_info), ("", None));
    }

    #[test]
    fn a_refusal_in_err_msg_is_the_flows_typed_error() {
        let refused = tap(&[("errMsg", Input::str("getUserInfo:fail auth deny"))]);
        let e = read_tap(&refused, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::AuthDenied);
        assert_eq!(e.err_msg.as_deref(), Some("getUserInfo:fail auth deny"));
        let privacy = tap(&[
            (
                "errMsg",
                Input::str("getUserInfo:fail privacy permission is not authorized"),
            ),
            ("errno", Input::Number(104.0)),
        ]);
        assert_eq!(
            read_tap(&privacy, None).unwrap_err().code,
            ErrorCode::PrivacyDenied
        );
    }

    #[test]
    fn a_malformed_result_names_the_field() {
        let field = |input: &Input| read_tap(input, None).unwrap_err().field;
        for (input, expected) in [
            (Input::str("ENC"), "result"),
            (Input::Number(1.0), "result"),
            (Input::Undefined, "encryptedData"),
            (tap(&[("iv", Input::str("IV"))]), "encryptedData"),
            (tap(&[("encryptedData", Input::str("ENC"))]), "iv"),
            (
                tap(&[
                    ("encryptedData", Input::Number(1.0)),
                    ("iv", Input::str("IV")),
                ]),
                "encryptedData",
            ),
            (
                tap(&[("encryptedData", Input::str("")), ("iv", Input::str("IV"))]),
                "encryptedData",
            ),
            // An errMsg that is not a string says nothing: the fields decide.
            (tap(&[("errMsg", Input::Bool(true))]), "encryptedData"),
        ] {
            assert_eq!(field(&input).as_deref(), Some(expected), "{input:?}");
        }
        // rawData is checked by its signature: one without the other is refused.
        let mut unsigned = whole();
        unsigned.retain(|(k, _)| *k != "signature");
        let e = read_tap(&tap(&unsigned), None).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidOptions, Some("signature"))
        );
    }
}
