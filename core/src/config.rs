//! `install(config)`: the config rules (docs/contract.md, Config). Every wrong value is `INVALID_CONFIG` naming its key.

use serde::Deserialize;

use crate::error::{ErrorCode, Result, TmError};
use crate::input::{optional_bool, optional_string, Argument, Input};
use crate::lang::Lang;

/// `install`'s config as given: one [`Input`] per key the rules read. Its fields are the only keys a
/// binding reads from the JS object ([`Argument::keys`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConfigInput {
    /// `server`: the backend's base URL.
    pub server: Input,
    /// `appId`.
    pub app_id: Input,
    /// `profileTtl`, in seconds.
    pub profile_ttl: Input,
    /// `noLogin`.
    pub no_login: Input,
    /// `autoLogin`.
    pub auto_login: Input,
    /// `lang`.
    pub lang: Input,
    /// `timeout`, in milliseconds.
    pub timeout: Input,
    /// `userInfoButton`: the mini-game button's style object.
    pub user_info_button: Input,
    /// `trackShares`.
    pub track_shares: Input,
    /// `trackPlayTime`.
    pub track_play_time: Input,
    /// `wasmPath` (the loader's; type-checked here).
    pub wasm_path: Input,
    /// `host` (the loader's; type-checked here).
    pub host: Input,
}

/// Default `profileTtl`: 7 days, in seconds (SkyRiver's docs suggest re-authorising weekly or monthly).
pub const DEFAULT_PROFILE_TTL_SECS: u64 = 7 * 24 * 60 * 60;
/// Largest `profileTtl` accepted: 100 years, in seconds.
pub const MAX_PROFILE_TTL_SECS: u64 = 100 * 365 * 24 * 60 * 60;
/// Default `timeout` for `wx.request`, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// Largest `timeout` accepted: what `setTimeout` can wait (2^31 − 1 ms).
pub const MAX_TIMEOUT_MS: u32 = i32::MAX as u32;
/// Longest `appId` accepted, in characters.
pub const MAX_APP_ID_CHARS: usize = 64;

/// A validated `install` config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Backend base URL without a trailing slash; `None` only with `no_login`.
    pub server: Option<String>,
    /// The game's appId.
    pub app_id: String,
    /// How long an authorised profile is reused without a popup, in seconds (0 = never).
    pub profile_ttl_secs: u64,
    /// The no-login build: `updateUserProfile` and `login` reject `NO_LOGIN_SDK`.
    pub no_login: bool,
    /// Log in silently as soon as `install` runs.
    pub auto_login: bool,
    /// Language for WeChat's user-info APIs when a call gives none.
    pub lang: Lang,
    /// `wx.request` timeout, in milliseconds.
    pub timeout_ms: u32,
    /// Whether `userInfoButton` (a style object for the mini-game button) was given.
    pub has_user_info_button: bool,
    /// Tag and count the shares leaving the game (`trackShares`; never in the no-login build).
    pub track_shares: bool,
    /// Count the time in the foreground (`trackPlayTime`; never in the no-login build).
    pub track_play_time: bool,
}

impl Config {
    /// Validates `install`'s argument. `default_app_id` is the host's own appId
    /// (`wx.getAccountInfoSync().miniProgram.appId`), used when `appId` is absent.
    /// `wasmPath` and `host` are only type-checked here: the loader uses them.
    pub fn parse(
        config: impl Into<Argument<ConfigInput>>,
        default_app_id: Option<&str>,
    ) -> Result<Config> {
        let config = config.into().into_keys(
            |kind| {
                TmError::new(
                    ErrorCode::InvalidConfig,
                    format!(
                        "install(): config must be an object such as {{ server, appId }}, not {kind}. Pass an object."
                    ),
                )
                .with_field("config")
            },
            TmError::invalid_config,
        )?;
        let flag = |value: &Input, key: &str| {
            optional_bool(value).map_err(|p| TmError::invalid_config(key, &p))
        };
        let no_login = flag(&config.no_login, "noLogin")?.unwrap_or(false);
        let auto_login = flag(&config.auto_login, "autoLogin")?.unwrap_or(true);
        // The figures go to the backend: the no-login build has none to send them to.
        let track_shares = flag(&config.track_shares, "trackShares")?.unwrap_or(true) && !no_login;
        let track_play_time =
            flag(&config.track_play_time, "trackPlayTime")?.unwrap_or(true) && !no_login;
        let server = parse_server(&config.server, no_login)?;
        let app_id = parse_app_id(&config.app_id, default_app_id)?;
        let profile_ttl_secs =
            whole_number(&config.profile_ttl, "profileTtl", 0, MAX_PROFILE_TTL_SECS)?
                .unwrap_or(DEFAULT_PROFILE_TTL_SECS);
        let timeout_ms = whole_number(&config.timeout, "timeout", 1, u64::from(MAX_TIMEOUT_MS))?
            .map_or(DEFAULT_TIMEOUT_MS, |t| t as u32);
        let lang = Lang::read(&config.lang)
            .map_err(|p| TmError::invalid_config("lang", &p))?
            .unwrap_or_default();
        let has_user_info_button = match &config.user_info_button {
            v if v.is_absent() => false,
            Input::Object(_) => true,
            other => {
                return Err(TmError::invalid_config(
                    "userInfoButton",
                    &format!(
                        "must be a style object such as {{ left, top, width, height }}, not {}",
                        other.describe()
                    ),
                ))
            }
        };
        match optional_string(&config.wasm_path) {
            Ok(Some("")) => return Err(TmError::invalid_config("wasmPath", "is empty")),
            Ok(_) => {}
            Err(p) => return Err(TmError::invalid_config("wasmPath", &p)),
        }
        match &config.host {
            v if v.is_absent() => {}
            Input::Object(_) => {}
            other => {
                return Err(TmError::invalid_config(
                    "host",
                    &format!("must be a wx-like object, not {}", other.describe()),
                ))
            }
        }
        Ok(Config {
            server,
            app_id,
            profile_ttl_secs,
            no_login,
            auto_login,
            lang,
            timeout_ms,
            has_user_info_button,
            track_shares,
            track_play_time,
        })
    }
}

fn parse_server(value: &Input, no_login: bool) -> Result<Option<String>> {
    let raw = optional_string(value).map_err(|p| TmError::invalid_config("server", &p))?;
    let Some(raw) = raw else {
        return if no_login {
            Ok(None)
        } else {
            Err(TmError::invalid_config(
                "server",
                "is required (your backend's base URL, e.g. \"https://api.example.com\") unless noLogin is true",
            ))
        };
    };
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            TmError::invalid_config(
                "server",
                &format!("must start with https:// or http://, not \"{raw}\""),
            )
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(TmError::invalid_config(
            "server",
            &format!("must be a URL with a host and no spaces, not \"{raw}\""),
        ));
    }
    if rest.contains(['?', '#']) {
        return Err(TmError::invalid_config(
            "server",
            "must be a base URL without ?query or #fragment (the SDK appends /v1/login and /v1/profile)",
        ));
    }
    Ok(Some(url.to_string()))
}

fn parse_app_id(value: &Input, default_app_id: Option<&str>) -> Result<String> {
    let given = optional_string(value).map_err(|p| TmError::invalid_config("appId", &p))?;
    let Some(app_id) = given.or(default_app_id).map(str::trim) else {
        return Err(TmError::invalid_config(
            "appId",
            "is missing and the host has no wx.getAccountInfoSync() to read it from; pass appId",
        ));
    };
    if app_id.is_empty() || app_id.chars().count() > MAX_APP_ID_CHARS {
        return Err(TmError::invalid_config(
            "appId",
            &format!("must have 1 to {MAX_APP_ID_CHARS} characters"),
        ));
    }
    if !app_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(TmError::invalid_config(
            "appId",
            &format!("may hold only A-Z a-z 0-9 _ - . (got \"{app_id}\")"),
        ));
    }
    Ok(app_id.to_string())
}

fn whole_number(value: &Input, key: &str, min: u64, max: u64) -> Result<Option<u64>> {
    match value {
        v if v.is_absent() => Ok(None),
        Input::Number(n)
            if n.is_finite() && n.fract() == 0.0 && *n >= min as f64 && *n <= max as f64 =>
        {
            Ok(Some(*n as u64))
        }
        Input::Number(_) => Err(TmError::invalid_config(
            key,
            &format!("must be a whole number from {min} to {max}"),
        )),
        other => Err(TmError::invalid_config(
            key,
            &format!("must be a number, not {}", other.describe()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: (&str, Input) = ("server", Input::Undefined);

    fn with(fields: Vec<(&str, Input)>) -> Result<Config> {
        let mut all = vec![
            ("server", Input::str("https://api.example.com/")),
            ("appId", Input::str("wx123")),
        ];
        all.extend(fields);
        Config::parse(&Input::object(all), None)
    }

    fn field_of(r: Result<Config>) -> String {
        let e = r.expect_err("should be rejected");
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        e.field.expect("names its key")
    }

    #[test]
    fn defaults() {
        let c = with(vec![]).unwrap();
        assert_eq!(c.server.as_deref(), Some("https://api.example.com"));
        assert_eq!(c.app_id, "wx123");
        assert_eq!(c.profile_ttl_secs, 604_800);
        assert_eq!(c.timeout_ms, 10_000);
        assert_eq!(c.lang, Lang::ZhCn);
        assert!(c.auto_login && !c.no_login && !c.has_user_info_button);
        assert!(c.track_shares && c.track_play_time);
    }

    #[test]
    fn figures_are_tracked_unless_turned_off_and_never_without_a_backend() {
        let off = with(vec![
            ("trackShares", Input::Bool(false)),
            ("trackPlayTime", Input::Bool(false)),
        ])
        .unwrap();
        assert!(!off.track_shares && !off.track_play_time);
        assert_eq!(
            field_of(with(vec![("trackShares", Input::str("no"))])),
            "trackShares"
        );
        assert_eq!(
            field_of(with(vec![("trackPlayTime", Input::Number(0.0))])),
            "trackPlayTime"
        );
        let no_login = Config::parse(
            &Input::object([("noLogin", Input::Bool(true))]),
            Some("wx1"),
        )
        .unwrap();
        assert!(!no_login.track_shares && !no_login.track_play_time);
    }

    #[test]
    fn server_is_required_unless_no_login() {
        assert_eq!(
            field_of(Config::parse(&Input::object([SERVER]), Some("wx1"))),
            "server"
        );
        assert_eq!(
            field_of(Config::parse(&Input::Undefined, Some("wx1"))),
            "server"
        );
        let no_login = Config::parse(
            &Input::object([("noLogin", Input::Bool(true))]),
            Some("wx1"),
        )
        .unwrap();
        assert!(no_login.no_login && no_login.server.is_none());
    }

    #[test]
    fn server_must_be_an_http_base_url() {
        for bad in [
            "api.example.com",
            "ftp://x",
            "https://",
            "https:///x",
            "https://a b",
            "https://a?x=1",
            "",
        ] {
            assert_eq!(
                field_of(with(vec![("server", Input::str(bad))])),
                "server",
                "{bad}"
            );
        }
        let c = with(vec![(
            "server",
            Input::str(" http://127.0.0.1:8080/base// "),
        )])
        .unwrap();
        assert_eq!(c.server.as_deref(), Some("http://127.0.0.1:8080/base"));
        assert_eq!(
            field_of(with(vec![("server", Input::Number(1.0))])),
            "server"
        );
    }

    #[test]
    fn app_id_defaults_to_the_hosts_and_is_checked() {
        let fields = [("server", Input::str("https://a"))];
        let c = Config::parse(&Input::object(fields.clone()), Some("wxhost")).unwrap();
        assert_eq!(c.app_id, "wxhost");
        assert_eq!(
            field_of(Config::parse(&Input::object(fields), None)),
            "appId"
        );
        for bad in ["", "wx 1", "wx/1", &"w".repeat(65)] {
            assert_eq!(
                field_of(with(vec![("appId", Input::str(bad))])),
                "appId",
                "{bad}"
            );
        }
        assert_eq!(field_of(with(vec![("appId", Input::Number(1.0))])), "appId");
    }

    #[test]
    fn numbers_are_whole_and_in_range() {
        assert_eq!(
            with(vec![("profileTtl", Input::Number(0.0))])
                .unwrap()
                .profile_ttl_secs,
            0
        );
        assert_eq!(
            with(vec![("timeout", Input::Number(500.0))])
                .unwrap()
                .timeout_ms,
            500
        );
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 1e12] {
            assert_eq!(
                field_of(with(vec![("profileTtl", Input::Number(bad))])),
                "profileTtl",
                "{bad}"
            );
        }
        for bad in [0.0, -5.0, 2.5, 3e9] {
            assert_eq!(
                field_of(with(vec![("timeout", Input::Number(bad))])),
                "timeout",
                "{bad}"
            );
        }
        assert_eq!(
            field_of(with(vec![("profileTtl", Input::str("60"))])),
            "profileTtl"
        );
    }

    #[test]
    fn every_other_key_is_type_checked() {
        assert_eq!(
            field_of(with(vec![("noLogin", Input::str("yes"))])),
            "noLogin"
        );
        assert_eq!(
            field_of(with(vec![("autoLogin", Input::Number(0.0))])),
            "autoLogin"
        );
        assert_eq!(field_of(with(vec![("lang", Input::str("fr"))])), "lang");
        assert_eq!(
            field_of(with(vec![("userInfoButton", Input::str("big"))])),
            "userInfoButton"
        );
        assert_eq!(
            field_of(with(vec![("wasmPath", Input::Bool(true))])),
            "wasmPath"
        );
        assert_eq!(
            field_of(with(vec![("wasmPath", Input::str(""))])),
            "wasmPath"
        );
        assert_eq!(field_of(with(vec![("host", Input::str("wx"))])), "host");
        let c = with(vec![
            ("userInfoButton", Input::object([])),
            ("autoLogin", Input::Bool(false)),
        ])
        .unwrap();
        assert!(c.has_user_info_button && !c.auto_login);
        assert_eq!(
            field_of(Config::parse(&Input::str("https://a"), None)),
            "config"
        );
    }
}
