//! The mini-game platform the SDK runs on, as data (docs/contract.md, "Other hosts"): its name and the name of
//! its API object. The flow is one for every platform; what a player reads is named for theirs. Messages are
//! written once, for WeChat, and [`Platform::name_in`] names the platform they run on.

use crate::error::TmError;

/// A mini-game platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Platform {
    /// WeChat mini-games (`wx`); also browsers and Node, whose hosts are wx-shaped.
    #[default]
    WeChat = 0,
    /// QQ mini-games (`qq`).
    Qq = 1,
    /// Douyin (抖音) mini-games (`tt`): a silent login may give only an anonymous code, user info comes from
    /// `tt.getUserInfo` after a login Douyin signed, and there is no user-info button.
    Douyin = 2,
}

impl Platform {
    /// The platform of a host's code ([`Platform::code`]); WeChat for any unknown code.
    pub fn from_code(code: u32) -> Platform {
        match code {
            1 => Platform::Qq,
            2 => Platform::Douyin,
            _ => Platform::WeChat,
        }
    }

    /// The number a host names its platform by (`js-shim/platform.js` keeps it in each platform's row).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The platform's name as players and developers know it.
    pub fn label(self) -> &'static str {
        match self {
            Platform::WeChat => "WeChat",
            Platform::Qq => "QQ",
            Platform::Douyin => "Douyin",
        }
    }

    /// The name of the platform's API object (`wx`, `qq`, `tt`).
    pub fn api(self) -> &'static str {
        match self {
            Platform::WeChat => "wx",
            Platform::Qq => "qq",
            Platform::Douyin => "tt",
        }
    }

    /// `message`, written for WeChat, naming this platform: "WeChat" becomes its label and `wx.` (as a word of
    /// its own, not the end of `thirdwx.qlogo.cn`) its API object. `None` when nothing changes (always on WeChat). A byte walk: the replaced words are ASCII, so
    /// every cut falls between characters (`str::get`, never a panicking slice, in the wasm).
    pub fn name_in(self, message: &str) -> Option<String> {
        if self == Platform::WeChat {
            return None;
        }
        let bytes = message.as_bytes();
        let mut out = String::new();
        // `message[done..at]` is not copied yet.
        let (mut done, mut at) = (0, 0);
        while at < bytes.len() {
            let rest = &bytes[at..];
            let (len, with) = if rest.starts_with(b"WeChat") {
                (6, self.label())
            } else if rest.starts_with(b"wx.")
                && (at == 0 || !bytes[at - 1].is_ascii_alphanumeric())
            {
                (2, self.api())
            } else {
                at += 1;
                continue;
            };
            out.push_str(message.get(done..at)?);
            out.push_str(with);
            at += len;
            done = at;
        }
        if done == 0 {
            return None;
        }
        out.push_str(message.get(done..)?);
        Some(out)
    }

    /// `error` with its message naming this platform ([`Platform::name_in`]); the host's own words
    /// (`err_msg`) stay as they came.
    pub fn name_error(self, mut error: TmError) -> TmError {
        if let Some(message) = self.name_in(&error.message) {
            error.message = message;
        }
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_names_its_platform_by_its_code() {
        for platform in [Platform::WeChat, Platform::Qq, Platform::Douyin] {
            assert_eq!(Platform::from_code(platform.code()), platform);
        }
        assert_eq!(Platform::from_code(7), Platform::WeChat);
        assert_eq!((Platform::Qq.label(), Platform::Qq.api()), ("QQ", "qq"));
        assert_eq!(
            (Platform::Douyin.label(), Platform::Douyin.api()),
            ("Douyin", "tt")
        );
    }

    #[test]
    fn the_shims_platform_rows_carry_the_cores_codes() {
        // Each row of js-shim/platform.js: ["QQ", () => …, "QQWebAssembly", () => …, "1.71.0", 1].
        let shim = include_str!("../../js-shim/platform.js");
        let rows: Vec<(&str, u32)> = shim
            .lines()
            .filter_map(|l| l.trim().strip_prefix("[\""))
            .filter_map(|l| {
                let name = l.split('"').next()?;
                let code = l.trim_end_matches("],").rsplit(", ").next()?.parse().ok()?;
                Some((name, code))
            })
            .collect();
        assert_eq!(rows, [("Douyin", 2), ("QQ", 1), ("WeChat", 0)], "{shim}");
        for (name, code) in rows {
            assert_eq!(Platform::from_code(code).label(), name);
        }
    }

    #[test]
    fn messages_name_the_platform_they_run_on() {
        assert_eq!(
            Platform::Qq
                .name_in("wx.login gave no code. Check WeChat's request domain list.")
                .as_deref(),
            Some("qq.login gave no code. Check QQ's request domain list.")
        );
        // Words that only look alike stay: a wx-like host, 微信用户, a URL's host name.
        assert_eq!(
            Platform::Qq.name_in("pass a wx-like object; 微信用户; thirdwx.qlogo.cn"),
            None
        );
        assert_eq!(
            Platform::Qq.name_in("微信 WeChat wx.x").as_deref(),
            Some("微信 QQ qq.x")
        );
        assert_eq!(Platform::WeChat.name_in("wx.login on WeChat"), None);
    }
}
