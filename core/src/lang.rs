//! The language of WeChat's user-info APIs (`lang`): `en`, `zh_CN` (the default) or `zh_TW`, spelt as WeChat
//! spells them.

use crate::input::{optional_string, Input};

/// The languages WeChat's user-info APIs take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese (the SDK's default).
    #[default]
    ZhCn,
    /// Traditional Chinese.
    ZhTw,
}

impl Lang {
    /// The string WeChat expects.
    pub const fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh_CN",
            Lang::ZhTw => "zh_TW",
        }
    }

    /// Parses WeChat's spelling exactly (`"zh_CN"`, not `"zh-cn"`).
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh_CN" => Some(Lang::ZhCn),
            "zh_TW" => Some(Lang::ZhTw),
            _ => None,
        }
    }

    /// Reads an optional `lang` key: absent → `None`.
    pub(crate) fn read(value: &Input) -> std::result::Result<Option<Lang>, String> {
        match optional_string(value)? {
            None => Ok(None),
            Some(s) => Lang::parse(s)
                .map(Some)
                .ok_or_else(|| format!("must be \"en\", \"zh_CN\" or \"zh_TW\", not \"{s}\"")),
        }
    }
}
