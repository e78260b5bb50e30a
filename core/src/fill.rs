//! `fillUserProfile(options)`: the option rules of the fill-in (头像昵称填写, docs/contract.md, Fill-in) —
//! `avatarPath`, the temporary file WeChat's avatar button gave, and `nickName`, what the player typed.

use serde::Deserialize;

use crate::error::{ErrorCode, Result, TmError};
use crate::input::{optional_string, Argument, Input};
use crate::profile::MAX_NICK_NAME_CHARS;
use crate::wire::MAX_AVATAR_BYTES;

/// `fillUserProfile`'s options as given: one [`Input`] per key the rules read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FillInput {
    /// `avatarPath`: `e.detail.avatarUrl` of `<button open-type="chooseAvatar">`.
    pub avatar_path: Input,
    /// `nickName`: the value of `<input type="nickname">`.
    pub nick_name: Input,
}

/// The chosen avatar's size, where the host could tell it, against the backend's upload limit: over
/// [`MAX_AVATAR_BYTES`] is `INVALID_AVATAR` before anything is uploaded (the backend would refuse it with HTTP
/// 413 only after the phone had sent it).
pub fn check_avatar_size(size: Option<u64>) -> Result<()> {
    match size {
        Some(bytes) if bytes > MAX_AVATAR_BYTES as u64 => Err(TmError::new(
            ErrorCode::InvalidAvatar,
            format!(
                "The chosen avatar is {bytes} bytes, over the 2 MiB the backend takes; nothing was uploaded. \
                 Shrink it with wx.compressImage, or ask the player for another image."
            ),
        )),
        _ => Ok(()),
    }
}

/// Validated options of one `fillUserProfile` call: at least one of the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillOptions {
    /// The local path of the chosen avatar, uploaded to the backend.
    pub avatar_path: Option<String>,
    /// The nickname: trimmed, 1–64 characters, no control characters.
    pub nick_name: Option<String>,
}

impl FillOptions {
    /// Validates the `options` argument; every wrong value names its key.
    pub fn parse(options: impl Into<Argument<FillInput>>) -> Result<FillOptions> {
        let options = options.into().into_keys(
            |kind| {
                TmError::new(
                    ErrorCode::InvalidOptions,
                    format!(
                        "fillUserProfile(): options must be an object such as {{ avatarPath, nickName }}, \
                         not {kind}. Pass what the player filled in."
                    ),
                )
                .with_field("options")
            },
            TmError::invalid_fill_options,
        )?;
        let nick_name = optional_string(&options.nick_name)
            .map_err(|p| TmError::invalid_fill_options("nickName", &p))?
            .map(nick_name)
            .transpose()?;
        let avatar_path = match optional_string(&options.avatar_path) {
            Ok(Some("")) => {
                return Err(TmError::invalid_fill_options(
                    "avatarPath",
                    "is empty; pass e.detail.avatarUrl of the chooseAvatar button",
                ))
            }
            Ok(path) => path.map(str::to_string),
            Err(p) => return Err(TmError::invalid_fill_options("avatarPath", &p)),
        };
        if nick_name.is_none() && avatar_path.is_none() {
            return Err(TmError::new(
                ErrorCode::InvalidOptions,
                "fillUserProfile(): give avatarPath, nickName or both (what the player filled in).",
            )
            .with_field("options"));
        }
        Ok(FillOptions {
            avatar_path,
            nick_name,
        })
    }
}

fn nick_name(given: &str) -> Result<String> {
    let nick = given.trim();
    let chars = nick.chars().count();
    if chars == 0 || chars > MAX_NICK_NAME_CHARS {
        return Err(TmError::invalid_fill_options(
            "nickName",
            &format!("must have 1 to {MAX_NICK_NAME_CHARS} characters once trimmed, not {chars}"),
        ));
    }
    if nick.chars().any(char::is_control) {
        return Err(TmError::invalid_fill_options(
            "nickName",
            "holds control characters; pass the text the nickname input gave",
        ));
    }
    Ok(nick.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(fields: Vec<(&str, Input)>) -> Result<FillOptions> {
        FillOptions::parse(&Input::object(fields))
    }

    #[test]
    fn an_avatar_over_2_mib_is_refused_and_an_unknown_size_is_left_to_the_backend() {
        assert_eq!(check_avatar_size(None), Ok(()), "the host cannot tell");
        assert_eq!(check_avatar_size(Some(0)), Ok(()));
        assert_eq!(check_avatar_size(Some(MAX_AVATAR_BYTES as u64)), Ok(()));
        let e = check_avatar_size(Some(MAX_AVATAR_BYTES as u64 + 1)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidAvatar);
        assert!(e.message.contains("2097153 bytes"), "{}", e.message);
        assert!(
            e.message.contains("wx.compressImage"),
            "says what to do: {}",
            e.message
        );
        assert_eq!((e.status, e.server_err), (None, None), "nothing was sent");
    }

    fn field_of(r: Result<FillOptions>) -> String {
        let e = r.expect_err("should be rejected");
        assert_eq!(e.code, ErrorCode::InvalidOptions);
        assert!(e.message.starts_with("fillUserProfile()"), "{}", e.message);
        e.field.expect("names its key")
    }

    #[test]
    fn either_or_both() {
        let both = parse(vec![
            ("avatarPath", Input::str("wxfile://tmp_1.jpg")),
            ("nickName", Input::str("  小明 ")),
        ])
        .unwrap();
        assert_eq!(both.avatar_path.as_deref(), Some("wxfile://tmp_1.jpg"));
        assert_eq!(both.nick_name.as_deref(), Some("小明"));
        let nick = parse(vec![("nickName", Input::str("小明"))]).unwrap();
        assert_eq!(nick.avatar_path, None);
        let avatar = parse(vec![("avatarPath", Input::str("http://tmp/a.png"))]).unwrap();
        assert_eq!(avatar.nick_name, None);
        assert_eq!(field_of(parse(vec![])), "options");
        assert_eq!(field_of(FillOptions::parse(&Input::Undefined)), "options");
        assert_eq!(field_of(FillOptions::parse(&Input::str("x"))), "options");
        assert_eq!(
            field_of(parse(vec![
                ("nickName", Input::Null),
                ("avatarPath", Input::Null)
            ])),
            "options"
        );
    }

    #[test]
    fn the_nickname_is_one_to_sixty_four_characters_without_controls() {
        let sixty_four = "字".repeat(64);
        assert_eq!(
            parse(vec![("nickName", Input::str(&sixty_four))])
                .unwrap()
                .nick_name,
            Some(sixty_four)
        );
        for bad in [
            "字".repeat(65),
            "   ".to_string(),
            String::new(),
            "小\u{7}明".to_string(),
        ] {
            assert_eq!(
                field_of(parse(vec![("nickName", Input::str(&bad))])),
                "nickName",
                "{bad:?}"
            );
        }
        assert_eq!(
            field_of(parse(vec![("nickName", Input::Number(1.0))])),
            "nickName"
        );
    }

    #[test]
    fn the_avatar_path_is_a_non_empty_string() {
        assert_eq!(
            field_of(parse(vec![("avatarPath", Input::str(""))])),
            "avatarPath"
        );
        assert_eq!(
            field_of(parse(vec![("avatarPath", Input::Bool(true))])),
            "avatarPath"
        );
        assert_eq!(
            field_of(parse(vec![("avatarPath", Input::Function)])),
            "avatarPath"
        );
    }
}
