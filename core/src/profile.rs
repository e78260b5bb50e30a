//! The profile rules (docs/contract.md, Profile): parse a backend answer (an envelope or a bare profile), validate every
//! documented field and normalise it into [`Profile`], whose serialised form is exactly the documented fields
//! in the documented order. The field list exists once, in the derived [`Profile`]; each field's rule is a
//! `deserialize_with` function of `rules.rs`.

pub mod rules;

use serde::{Deserialize, Serialize};

use crate::error::{Result, TmError};
use crate::input::Input;
use crate::json;

pub(crate) use rules::{given, Given};

/// Bodies larger than this are refused without being parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest integer a JS number holds exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// Cap for every string field, in characters.
pub const MAX_STRING_CHARS: usize = 256;
/// Cap for `nick_name`, in characters.
pub const MAX_NICK_NAME_CHARS: usize = 64;
/// Cap for `open_id`, in characters.
pub const MAX_OPEN_ID_CHARS: usize = 128;
/// The nickname WeChat gives every player of a mini-program released after 2022-11-08 (with a gray avatar):
/// an anonymous placeholder, not the player's name.
pub const PLACEHOLDER_NICK_NAME: &str = "微信用户";
/// `last_login_time` values above this are milliseconds, not seconds.
pub const MILLISECONDS_THRESHOLD: u64 = 100_000_000_000;

/// A user profile as SkyRiver documents it. Field order is the documented order, and it is the order of the
/// JS object and of the cache record.
/// Written with serde, it is exactly those fields in that order (`lst`, `xh_uid` and `share_code` only when
/// present); read
/// with serde, every field goes through its rule (a missing field takes its empty value, but `open_id` is
/// required). The core's JSON format names the field at fault; [`parse_body`] adds the envelope and the app.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Profile {
    /// SkyRiver's user index (deprecated; may change).
    #[serde(default, deserialize_with = "rules::read::string")]
    pub pid: String,
    /// The app the profile belongs to.
    #[serde(default, deserialize_with = "rules::read::string")]
    pub app_id: String,
    /// The user's openid in this app (always non-empty).
    #[serde(deserialize_with = "rules::read::open_id")]
    pub open_id: String,
    /// The user's unionid ("" when unknown).
    #[serde(default, deserialize_with = "rules::read::string")]
    pub union_id: String,
    /// WeChat nickname, control characters removed ("" until the user authorises).
    #[serde(default, deserialize_with = "rules::read::nick_name")]
    pub nick_name: String,
    /// WeChat avatar URL: "" or http(s).
    #[serde(default, deserialize_with = "rules::read::avatar_url")]
    pub avatar_url: String,
    /// 0 unknown, 1 male, 2 female (WeChat's meaning; WeChat now always sends 0).
    #[serde(default, deserialize_with = "rules::read::gender")]
    pub gender: u8,
    /// City set in WeChat (WeChat no longer sends it).
    #[serde(default, deserialize_with = "rules::read::string")]
    pub city: String,
    /// Province set in WeChat (WeChat no longer sends it).
    #[serde(default, deserialize_with = "rules::read::string")]
    pub province: String,
    /// Country set in WeChat (WeChat no longer sends it).
    #[serde(default, deserialize_with = "rules::read::string")]
    pub country: String,
    /// WeChat language.
    #[serde(default, deserialize_with = "rules::read::string")]
    pub language: String,
    /// In-game gold (deprecated).
    #[serde(default, deserialize_with = "rules::read::integer")]
    pub gold: u64,
    /// In-game diamonds (deprecated).
    #[serde(default, deserialize_with = "rules::read::integer")]
    pub diamond: u64,
    /// New users brought in by this user's shares.
    #[serde(default, deserialize_with = "rules::read::integer")]
    pub share_new: u64,
    /// Times this user shared.
    #[serde(default, deserialize_with = "rules::read::integer")]
    pub share_times: u64,
    /// Days this user was online.
    #[serde(default, deserialize_with = "rules::read::integer")]
    pub online_days: u64,
    /// Total online time, seconds.
    #[serde(default, deserialize_with = "rules::read::integer")]
    pub online_duration: u64,
    /// Last visit, Unix seconds.
    #[serde(default, deserialize_with = "rules::read::seconds")]
    pub last_login_time: u64,
    /// Number of logins.
    #[serde(default, deserialize_with = "rules::read::integer")]
    pub login_times: u64,
    /// WeChat scene of the first visit.
    #[serde(default, deserialize_with = "rules::read::code_string")]
    pub from_scene: String,
    /// SkyRiver channel id of the first visit.
    #[serde(default, deserialize_with = "rules::read::code_string")]
    pub from_code: String,
    /// Whether the user registered on this login.
    #[serde(default, deserialize_with = "rules::read::flag")]
    pub is_new: bool,
    /// Fingerprint of `pid`.
    #[serde(default, deserialize_with = "rules::read::string")]
    pub ofp: String,
    /// The session token for the backend (never logged).
    #[serde(default, deserialize_with = "rules::read::string")]
    pub jwt: String,
    /// Province derived from the user's IP.
    #[serde(default, deserialize_with = "rules::read::string")]
    pub login_province: String,
    /// City derived from the user's IP.
    #[serde(default, deserialize_with = "rules::read::string")]
    pub login_city: String,
    /// District derived from the user's IP.
    #[serde(default, deserialize_with = "rules::read::string")]
    pub login_district: String,
    /// Login credential for the game's own server, when the backend sends one.
    #[serde(
        default,
        deserialize_with = "rules::read::optional_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub lst: Option<String>,
    /// Cross-platform account id, when the backend sends one (prefer it over `open_id` when non-empty).
    #[serde(
        default,
        deserialize_with = "rules::read::optional_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub xh_uid: Option<String>,
    /// The code this player's shares carry (`tmsdk_s`), when the backend issues one (tmsdk-server does): at
    /// most 32 of `[A-Za-z0-9_-]`.
    #[serde(
        default,
        deserialize_with = "rules::read::share_code",
        skip_serializing_if = "Option::is_none"
    )]
    pub share_code: Option<String>,
}

impl Profile {
    /// The profile's field names, in the documented order (what the derive knows of the struct).
    pub fn field_names() -> &'static [&'static str] {
        json::field_names::<Profile>()
    }

    /// Whether the user has authorised: both `nick_name` and `avatar_url` are non-empty.
    pub fn is_authorised(&self) -> bool {
        !self.nick_name.is_empty() && !self.avatar_url.is_empty()
    }

    /// Whether this is WeChat's anonymous placeholder (`nick_name` exactly "微信用户").
    pub fn is_placeholder(&self) -> bool {
        self.nick_name == PLACEHOLDER_NICK_NAME
    }

    /// The profile as the rules make it, never refused: a field that breaks a rule is its empty value, and the
    /// error of the earliest such field comes with it. What a server answers for a user whose stored value a
    /// rule refuses (a later rule must never lock a player out); it logs the error.
    pub fn repaired(&self) -> (Profile, Option<TmError>) {
        match json::from_str_lenient::<Profile>(&self.to_json(), true) {
            Ok((profile, broken)) => (profile, broken.as_ref().map(unusable)),
            // Cannot happen: its own text is JSON with every field.
            Err(e) => (Profile::default(), Some(unusable(&e))),
        }
    }

    /// The profile as JSON text: the shape of the JS object and of the cache record.
    pub fn to_json(&self) -> String {
        // Cannot fail: a profile holds only strings, whole numbers and a boolean.
        json::to_string(self).unwrap_or_default()
    }

    /// Whether the profile is for the app `app_id` (an empty `app_id` is anyone's).
    pub(crate) fn checked_for(&self, app_id: &str) -> Result<()> {
        if !self.app_id.is_empty() && self.app_id != app_id {
            return Err(TmError::invalid_profile(
                Some("app_id"),
                &format!(
                    "is \"{}\", but this game's appId is \"{app_id}\" (a profile of another app)",
                    self.app_id
                ),
            ));
        }
        Ok(())
    }
}

/// `wx.tmSDK.isPlaceholderProfile(profile)`: whether a profile a game holds (any JS value) is WeChat's
/// anonymous placeholder, `nick_name` exactly "微信用户". Anything that is not such a profile is not one.
pub fn is_placeholder(profile: &Input) -> bool {
    matches!(profile.get("nick_name"), Input::String(s) if s == PLACEHOLDER_NICK_NAME)
}

/// `INVALID_PROFILE` for what the JSON format refused.
pub(crate) fn unusable(e: &json::Error) -> TmError {
    match e.syntax_error() {
        Some(at) => TmError::invalid_profile(
            None,
            &format!(
                "body is not valid JSON (line {}, column {})",
                at.line, at.column
            ),
        ),
        None => TmError::invalid_profile(e.field(), e.problem()),
    }
}

#[cfg(test)]
mod tests;
