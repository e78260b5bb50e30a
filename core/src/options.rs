//! `updateUserProfile(options)`: the option rules (docs/contract.md, Options) (`refresh`, its `fresh` alias, `desc`, `lang`).

use std::borrow::Cow;

use serde::Deserialize;

use crate::error::{ErrorCode, Result, TmError};
use crate::input::{optional_bool, optional_string, Argument, Input};
use crate::lang::Lang;

/// `updateUserProfile`'s options as given: one [`Input`] per key the rules read. Its fields are the only
/// keys a binding reads from the JS object ([`Argument::keys`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OptionsInput {
    /// `refresh`.
    pub refresh: Input,
    /// `fresh`, an alias of `refresh`.
    pub fresh: Input,
    /// `desc`.
    pub desc: Input,
    /// `lang`.
    pub lang: Input,
}

/// The popup text WeChat shows when the caller gives none (SkyRiver's documented default).
pub const DEFAULT_DESC: &str = "更新用户信息";

/// WeChat's limit for `desc`, in characters.
pub const MAX_DESC_CHARS: usize = 30;

/// Validated options of one `updateUserProfile` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOptions {
    /// Always ask the user, even when a fresh authorised profile is cached.
    pub refresh: bool,
    /// The purpose shown in WeChat's popup: trimmed, 1–30 characters (the default borrowed: a cache hit
    /// allocates nothing for it).
    pub desc: Cow<'static, str>,
    /// The language for WeChat; `None` means the config's `lang`.
    pub lang: Option<Lang>,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            refresh: false,
            desc: Cow::Borrowed(DEFAULT_DESC),
            lang: None,
        }
    }
}

impl UpdateOptions {
    /// Validates the `options` argument. `undefined`/`null` take every default; unknown keys are ignored;
    /// a `null` key takes its default too. Every wrong value names its key.
    pub fn parse(options: impl Into<Argument<OptionsInput>>) -> Result<UpdateOptions> {
        let options = options.into().into_keys(
            |kind| {
                TmError::new(
                    ErrorCode::InvalidOptions,
                    format!(
                        "updateUserProfile(): options must be an object such as {{ refresh: false, desc: \"…\" }}, \
                         not {kind}. Pass an object, or nothing for the defaults."
                    ),
                )
                .with_field("options")
            },
            TmError::invalid_options,
        )?;
        let refresh =
            optional_bool(&options.refresh).map_err(|p| TmError::invalid_options("refresh", &p))?;
        let fresh =
            optional_bool(&options.fresh).map_err(|p| TmError::invalid_options("fresh", &p))?;
        let refresh = match (refresh, fresh) {
            (Some(r), Some(f)) if r != f => {
                return Err(TmError::invalid_options(
                    "fresh",
                    "is an alias of refresh and disagrees with it; pass only one of them",
                ))
            }
            (r, f) => r.or(f).unwrap_or(false),
        };
        let desc = parse_desc(&options.desc)?;
        let lang = Lang::read(&options.lang).map_err(|p| TmError::invalid_options("lang", &p))?;
        Ok(UpdateOptions {
            refresh,
            desc,
            lang,
        })
    }
}

fn parse_desc(value: &Input) -> Result<Cow<'static, str>> {
    let Some(raw) = optional_string(value).map_err(|p| TmError::invalid_options("desc", &p))?
    else {
        return Ok(Cow::Borrowed(DEFAULT_DESC));
    };
    let desc = raw.trim();
    let chars = desc.chars().count();
    if chars == 0 {
        return Err(TmError::invalid_options(
            "desc",
            "is empty; WeChat requires a purpose of 1 to 30 characters",
        ));
    }
    if chars > MAX_DESC_CHARS {
        return Err(TmError::invalid_options(
            "desc",
            &format!("has {chars} characters; WeChat allows at most {MAX_DESC_CHARS}"),
        ));
    }
    Ok(Cow::Owned(desc.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(fields: Vec<(&str, Input)>) -> Result<UpdateOptions> {
        UpdateOptions::parse(&Input::object(fields))
    }

    fn field_of(r: Result<UpdateOptions>) -> String {
        let e = r.expect_err("should be rejected");
        assert_eq!(e.code, ErrorCode::InvalidOptions);
        e.field.expect("names its key")
    }

    #[test]
    fn undefined_null_and_empty_object_take_defaults() {
        for o in [Input::Undefined, Input::Null, Input::object([])] {
            let opts = UpdateOptions::parse(&o).unwrap();
            assert_eq!(opts, UpdateOptions::default());
            assert_eq!(opts.desc, "更新用户信息");
            assert!(!opts.refresh);
        }
    }

    #[test]
    fn a_non_object_argument_is_rejected() {
        for o in [
            Input::str("x"),
            Input::Bool(true),
            Input::Array,
            Input::Number(1.0),
        ] {
            assert_eq!(field_of(UpdateOptions::parse(&o)), "options");
        }
    }

    #[test]
    fn refresh_and_its_fresh_alias() {
        assert!(parse(vec![("refresh", Input::Bool(true))]).unwrap().refresh);
        assert!(parse(vec![("fresh", Input::Bool(true))]).unwrap().refresh);
        assert!(!parse(vec![("fresh", Input::Bool(false))]).unwrap().refresh);
        let both = vec![("refresh", Input::Bool(true)), ("fresh", Input::Bool(true))];
        assert!(parse(both).unwrap().refresh);
        assert!(parse(vec![("refresh", Input::Null)]).is_ok());
    }

    #[test]
    fn refresh_and_fresh_that_disagree_are_rejected() {
        let r = parse(vec![
            ("refresh", Input::Bool(true)),
            ("fresh", Input::Bool(false)),
        ]);
        assert_eq!(field_of(r), "fresh");
    }

    #[test]
    fn wrong_types_name_their_key() {
        assert_eq!(
            field_of(parse(vec![("refresh", Input::str("true"))])),
            "refresh"
        );
        assert_eq!(
            field_of(parse(vec![("refresh", Input::Number(1.0))])),
            "refresh"
        );
        assert_eq!(field_of(parse(vec![("fresh", Input::Array)])), "fresh");
        assert_eq!(field_of(parse(vec![("desc", Input::Number(3.0))])), "desc");
        assert_eq!(field_of(parse(vec![("lang", Input::Bool(true))])), "lang");
        let e = parse(vec![("refresh", Input::str("yes"))]).unwrap_err();
        assert!(
            e.message
                .contains("options.refresh must be a boolean, not a string"),
            "{}",
            e.message
        );
    }

    #[test]
    fn desc_is_trimmed_and_one_to_thirty_characters() {
        assert_eq!(
            parse(vec![("desc", Input::str("  用于排行榜  "))])
                .unwrap()
                .desc,
            "用于排行榜"
        );
        let thirty_cjk = "头".repeat(30);
        assert_eq!(
            parse(vec![("desc", Input::str(&thirty_cjk))]).unwrap().desc,
            thirty_cjk
        );
        assert_eq!(
            field_of(parse(vec![("desc", Input::str(&"头".repeat(31)))])),
            "desc"
        );
        assert_eq!(field_of(parse(vec![("desc", Input::str(""))])), "desc");
        assert_eq!(
            field_of(parse(vec![("desc", Input::str(" \t\n "))])),
            "desc"
        );
        assert_eq!(
            parse(vec![("desc", Input::Null)]).unwrap().desc,
            DEFAULT_DESC
        );
    }

    #[test]
    fn lang_takes_wechat_spellings_only() {
        assert_eq!(
            parse(vec![("lang", Input::str("en"))]).unwrap().lang,
            Some(Lang::En)
        );
        assert_eq!(
            parse(vec![("lang", Input::str("zh_TW"))]).unwrap().lang,
            Some(Lang::ZhTw)
        );
        assert_eq!(parse(vec![]).unwrap().lang, None);
        assert_eq!(field_of(parse(vec![("lang", Input::str("zh-CN"))])), "lang");
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let o = parse(vec![
            ("success", Input::Function),
            ("whatever", Input::Array),
        ])
        .unwrap();
        assert_eq!(o, UpdateOptions::default());
    }
}
