//! The profile rules (docs/contract.md, Profile): parse a backend answer (an envelope or a bare profile), validate every
//! documented field and normalise it into [`Profile`], whose serialised form is exactly the documented fields
//! in the documented order.

pub mod raw;

use std::cell::RefCell;

use raw::{Body, RawProfile, Scalar};

use crate::error::{ErrorCode, Result, TmError};
use crate::json::ObjectWriter;

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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    /// SkyRiver's user index (deprecated; may change).
    pub pid: String,
    /// The app the profile belongs to.
    pub app_id: String,
    /// The user's openid in this app (always non-empty).
    pub open_id: String,
    /// The user's unionid ("" when unknown).
    pub union_id: String,
    /// WeChat nickname, control characters removed ("" until the user authorises).
    pub nick_name: String,
    /// WeChat avatar URL: "" or http(s).
    pub avatar_url: String,
    /// 0 unknown, 1 male, 2 female (WeChat's meaning; WeChat now always sends 0).
    pub gender: u8,
    /// City set in WeChat (WeChat no longer sends it).
    pub city: String,
    /// Province set in WeChat (WeChat no longer sends it).
    pub province: String,
    /// Country set in WeChat (WeChat no longer sends it).
    pub country: String,
    /// WeChat language.
    pub language: String,
    /// In-game gold (deprecated).
    pub gold: u64,
    /// In-game diamonds (deprecated).
    pub diamond: u64,
    /// New users brought in by this user's shares.
    pub share_new: u64,
    /// Times this user shared.
    pub share_times: u64,
    /// Days this user was online.
    pub online_days: u64,
    /// Total online time, seconds.
    pub online_duration: u64,
    /// Last visit, Unix seconds.
    pub last_login_time: u64,
    /// Number of logins.
    pub login_times: u64,
    /// WeChat scene of the first visit.
    pub from_scene: String,
    /// SkyRiver channel id of the first visit.
    pub from_code: String,
    /// Whether the user registered on this login.
    pub is_new: bool,
    /// Fingerprint of `pid`.
    pub ofp: String,
    /// The session token for the backend (never logged).
    pub jwt: String,
    /// Province derived from the user's IP.
    pub login_province: String,
    /// City derived from the user's IP.
    pub login_city: String,
    /// District derived from the user's IP.
    pub login_district: String,
    /// Login credential for the game's own server, when the backend sends one.
    pub lst: Option<String>,
    /// Cross-platform account id, when the backend sends one (prefer it over `open_id` when non-empty).
    pub xh_uid: Option<String>,
}

impl Profile {
    /// Validates and normalises one profile given as JSON data, for the app `app_id` (feature
    /// `serde_json`: the server and the tests hold profiles as `serde_json::Value`s).
    #[cfg(feature = "serde_json")]
    pub fn from_value(value: &serde_json::Value, app_id: &str) -> Result<Profile> {
        let text = value.to_string();
        match Body::parse(&text) {
            Ok(body) => Profile::from_body(&body, app_id),
            Err(_) => Err(TmError::invalid_profile(None, "is not JSON data")),
        }
    }

    /// Validates and normalises a profile read by [`raw`] (an object, or what stands in its place).
    pub fn from_body(body: &Body, app_id: &str) -> Result<Profile> {
        match body {
            Body::Object(raw) => Profile::from_raw(raw, app_id),
            Body::Other(kind) => Err(TmError::invalid_profile(
                None,
                &format!("is {kind}, not a JSON object"),
            )),
        }
    }

    /// Validates and normalises one profile object for the app `app_id`.
    pub fn from_raw(raw: &RawProfile, app_id: &str) -> Result<Profile> {
        let f = Fields(raw, RefCell::new(None));
        // Every field is read, the first error kept: no early return, so no cleanup path per field (an
        // early return at each `?` dropped a different set of strings, which cost the wasm several KB).
        let profile = Profile {
            pid: f.kept(f.string("pid")),
            app_id: f.kept(f.string("app_id")),
            open_id: f.kept(f.open_id()),
            union_id: f.kept(f.string("union_id")),
            nick_name: f.kept(f.nick_name()),
            avatar_url: f.kept(f.avatar_url()),
            gender: f.kept(f.gender()),
            city: f.kept(f.string("city")),
            province: f.kept(f.string("province")),
            country: f.kept(f.string("country")),
            language: f.kept(f.string("language")),
            gold: f.kept(f.integer("gold")),
            diamond: f.kept(f.integer("diamond")),
            share_new: f.kept(f.integer("share_new")),
            share_times: f.kept(f.integer("share_times")),
            online_days: f.kept(f.integer("online_days")),
            online_duration: f.kept(f.integer("online_duration")),
            last_login_time: f.kept(f.seconds("last_login_time")),
            login_times: f.kept(f.integer("login_times")),
            from_scene: f.kept(f.code_string("from_scene")),
            from_code: f.kept(f.code_string("from_code")),
            is_new: f.kept(f.flag("is_new")),
            ofp: f.kept(f.string("ofp")),
            jwt: f.kept(f.string("jwt")),
            login_province: f.kept(f.string("login_province")),
            login_city: f.kept(f.string("login_city")),
            login_district: f.kept(f.string("login_district")),
            lst: f.kept(f.optional_string("lst")),
            xh_uid: f.kept(f.optional_string("xh_uid")),
        };
        if let Some(e) = f.1.into_inner() {
            return Err(e);
        }
        if !profile.app_id.is_empty() && profile.app_id != app_id {
            return Err(TmError::invalid_profile(
                Some("app_id"),
                &format!(
                    "is \"{}\", but this game's appId is \"{app_id}\" (a profile of another app)",
                    profile.app_id
                ),
            ));
        }
        Ok(profile)
    }

    /// Whether the user has authorised: both `nick_name` and `avatar_url` are non-empty.
    pub fn is_authorised(&self) -> bool {
        !self.nick_name.is_empty() && !self.avatar_url.is_empty()
    }

    /// Whether this is WeChat's anonymous placeholder (`nick_name` exactly "微信用户").
    pub fn is_placeholder(&self) -> bool {
        self.nick_name == PLACEHOLDER_NICK_NAME
    }

    /// The profile as JSON text: the documented fields in the documented order (`lst` and `xh_uid` only when
    /// present). The shape of the JS object and of the cache record.
    pub fn to_json(&self) -> String {
        // Keys and punctuation take about 450 bytes; a typical profile fits without regrowing.
        let mut out = String::with_capacity(1024);
        self.write_json(&mut out);
        out
    }

    /// Appends [`Profile::to_json`]'s text to `out`.
    pub fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.str("pid", &self.pid)
            .str("app_id", &self.app_id)
            .str("open_id", &self.open_id)
            .str("union_id", &self.union_id)
            .str("nick_name", &self.nick_name)
            .str("avatar_url", &self.avatar_url)
            .u64("gender", u64::from(self.gender))
            .str("city", &self.city)
            .str("province", &self.province)
            .str("country", &self.country)
            .str("language", &self.language)
            .u64("gold", self.gold)
            .u64("diamond", self.diamond)
            .u64("share_new", self.share_new)
            .u64("share_times", self.share_times)
            .u64("online_days", self.online_days)
            .u64("online_duration", self.online_duration)
            .u64("last_login_time", self.last_login_time)
            .u64("login_times", self.login_times)
            .str("from_scene", &self.from_scene)
            .str("from_code", &self.from_code)
            .bool("is_new", self.is_new)
            .str("ofp", &self.ofp)
            .str("jwt", &self.jwt)
            .str("login_province", &self.login_province)
            .str("login_city", &self.login_city)
            .str("login_district", &self.login_district);
        if let Some(lst) = &self.lst {
            o.str("lst", lst);
        }
        if let Some(xh_uid) = &self.xh_uid {
            o.str("xh_uid", xh_uid);
        }
        o.close();
    }

    /// The profile as a JSON value (feature `serde_json`).
    #[cfg(feature = "serde_json")]
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.to_json()).unwrap_or(serde_json::Value::Null)
    }
}

/// `parseProfile(body, appId)` of the public API: [`parse_body`], after checking that both arguments are
/// strings (`INVALID_OPTIONS` naming the one that is not).
pub fn parse_text(body: Option<&str>, app_id: Option<&str>) -> Result<Profile> {
    let argument = |name: &str| {
        TmError::new(
            ErrorCode::InvalidOptions,
            format!(
                "parseProfile(body, appId): {name} must be a string{}. Pass the backend answer (text or parsed) and the game's appId.",
                if name == "body" { " or an object" } else { "" }
            ),
        )
        .with_field(name)
    };
    let body = body.ok_or_else(|| argument("body"))?;
    let app_id = app_id.ok_or_else(|| argument("appId"))?;
    parse_body(body, app_id)
}

/// Parses a backend answer body: size cap, JSON, the SkyRiver envelope `{err, msg, data}` (or a bare
/// profile), then [`Profile::from_body`]. An envelope with `err != 0` is a `SERVER` error carrying `err`
/// and `msg`.
pub fn parse_body(body: &str, app_id: &str) -> Result<Profile> {
    if body.len() > MAX_BODY_BYTES {
        return Err(TmError::invalid_profile(
            None,
            &format!(
                "body has {} bytes; the limit is {MAX_BODY_BYTES}",
                body.len()
            ),
        ));
    }
    let value = Body::parse(body).map_err(|e| {
        let at = format!(
            "body is not valid JSON (line {}, column {})",
            e.line, e.column
        );
        TmError::invalid_profile(None, &at)
    })?;
    Profile::from_body(unwrap_envelope(&value)?, app_id)
}

/// Returns the profile inside a SkyRiver envelope, or the value itself when it is a bare profile.
fn unwrap_envelope<'b, 'a>(value: &'b Body<'a>) -> Result<&'b Body<'a>> {
    let Body::Object(obj) = value else {
        return Ok(value);
    };
    if obj.err.is_none() && obj.data.is_none() {
        return Ok(value);
    }
    let err = match &obj.err {
        None | Some(Scalar::Null) => 0,
        Some(Scalar::Unsigned(n)) if *n <= i64::MAX as u64 => *n as i64,
        Some(Scalar::Negative(n)) => *n,
        Some(other) => {
            return Err(TmError::invalid_profile(
                Some("err"),
                &format!("is {}; the envelope's err must be an integer", other.kind()),
            ))
        }
    };
    if err != 0 {
        let msg = match &obj.msg {
            Some(Scalar::Str(s)) => s.chars().take(MAX_STRING_CHARS).collect(),
            _ => String::new(),
        };
        let mut e = TmError::new(
            ErrorCode::Server,
            format!(
                "The backend refused the request (err {err}: \"{msg}\"). Check the backend's logs; \
                 the error's serverErr and msg carry its answer."
            ),
        )
        .with_server_err(err);
        e.err_msg = Some(msg);
        return Err(e);
    }
    match &obj.data {
        Some(data) => Ok(data),
        None => Err(TmError::invalid_profile(
            Some("data"),
            "is missing from the envelope",
        )),
    }
}

/// Field readers over one profile object, and the first error met.
struct Fields<'r, 'a>(&'r RawProfile<'a>, RefCell<Option<TmError>>);

impl<'a> Fields<'_, 'a> {
    /// The value read, or the type's empty value after keeping the first error.
    fn kept<T: Default>(&self, read: Result<T>) -> T {
        read.unwrap_or_else(|e| {
            self.1.borrow_mut().get_or_insert(e);
            T::default()
        })
    }

    fn get(&self, key: &str) -> Option<&Scalar<'a>> {
        self.0.get(key).filter(|v| **v != Scalar::Null)
    }

    fn wrong(&self, key: &str, expected: &str) -> TmError {
        let got = self.get(key).map_or("null", Scalar::kind);
        TmError::invalid_profile(Some(key), &format!("must be {expected}, not {got}"))
    }

    fn string_capped(&self, key: &str, cap: usize) -> Result<String> {
        match self.get(key) {
            None => Ok(String::new()),
            Some(Scalar::Str(s)) => check_length(key, s.to_string(), cap),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    fn string(&self, key: &str) -> Result<String> {
        self.string_capped(key, MAX_STRING_CHARS)
    }

    fn optional_string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.string(key).map(Some),
        }
    }

    /// `from_scene`/`from_code`: documented as strings, sent as numbers by some servers.
    fn code_string(&self, key: &str) -> Result<String> {
        match self.get(key) {
            Some(n @ (Scalar::Unsigned(_) | Scalar::Negative(_) | Scalar::Decimal(_))) => {
                match integer_of(n) {
                    Some(i) => Ok(i.to_string()),
                    None => Err(self.wrong(key, "a string or a non-negative whole number")),
                }
            }
            _ => self.string(key),
        }
    }

    fn integer(&self, key: &str) -> Result<u64> {
        let expected = "a whole number from 0 to 2^53-1 (or such a number as a string)";
        match self.get(key) {
            None => Ok(0),
            Some(n @ (Scalar::Unsigned(_) | Scalar::Negative(_) | Scalar::Decimal(_))) => {
                integer_of(n).ok_or_else(|| self.wrong(key, expected))
            }
            Some(Scalar::Str(s)) => {
                let t = s.trim();
                if t.is_empty() {
                    return Ok(0);
                }
                if !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(self.wrong(key, expected));
                }
                t.parse::<u64>()
                    .ok()
                    .filter(|i| *i <= MAX_SAFE_INTEGER)
                    .ok_or_else(|| self.wrong(key, expected))
            }
            Some(_) => Err(self.wrong(key, expected)),
        }
    }

    /// A Unix time in seconds; values above 10^11 are taken as milliseconds. A time still above 10^11
    /// seconds after that (past the year 5000) is refused, so normalised output is a fixed point.
    fn seconds(&self, key: &str) -> Result<u64> {
        let t = self.integer(key)?;
        let secs = if t > MILLISECONDS_THRESHOLD {
            t / 1000
        } else {
            t
        };
        if secs > MILLISECONDS_THRESHOLD {
            return Err(TmError::invalid_profile(
                Some(key),
                "is too large for a Unix time in seconds or milliseconds",
            ));
        }
        Ok(secs)
    }

    fn open_id(&self) -> Result<String> {
        let id = self.string_capped("open_id", MAX_OPEN_ID_CHARS)?;
        if id.is_empty() {
            return Err(TmError::invalid_profile(
                Some("open_id"),
                "is missing or empty",
            ));
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(TmError::invalid_profile(
                Some("open_id"),
                "may hold only the characters A-Z a-z 0-9 _ -",
            ));
        }
        Ok(id)
    }

    fn nick_name(&self) -> Result<String> {
        let raw = self.string_capped("nick_name", usize::MAX)?;
        let cleaned: String = raw.chars().filter(|c| !c.is_control()).collect();
        check_length("nick_name", cleaned, MAX_NICK_NAME_CHARS)
    }

    fn avatar_url(&self) -> Result<String> {
        let url = self.string("avatar_url")?;
        let lower = url.get(..8).unwrap_or(&url).to_ascii_lowercase();
        if url.is_empty() || lower.starts_with("https://") || lower.starts_with("http://") {
            Ok(url)
        } else {
            Err(TmError::invalid_profile(
                Some("avatar_url"),
                "must be empty or an https:// or http:// URL",
            ))
        }
    }

    fn gender(&self) -> Result<u8> {
        let g = match self.get("gender") {
            None => Some(0),
            Some(Scalar::Str(s)) => s.trim().parse::<u64>().ok(),
            Some(n) => integer_of(n),
        };
        match g {
            Some(g @ 0..=2) => Ok(g as u8),
            _ => Err(self.wrong("gender", "0, 1 or 2")),
        }
    }

    fn flag(&self, key: &str) -> Result<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(Scalar::Bool(b)) => Ok(*b),
            Some(n) => match integer_of(n) {
                Some(0) => Ok(false),
                Some(1) => Ok(true),
                _ => Err(self.wrong(key, "true, false, 0 or 1")),
            },
        }
    }
}

/// A JSON number as a safe non-negative integer (`12`, `12.0` and `-0` are; `-1`, `1.5`, `2^53` are not);
/// `None` for anything else.
fn integer_of(n: &Scalar) -> Option<u64> {
    match *n {
        Scalar::Unsigned(u) | Scalar::Decimal(Some(u)) => (u <= MAX_SAFE_INTEGER).then_some(u),
        _ => None,
    }
}

fn check_length(key: &str, s: String, cap: usize) -> Result<String> {
    let chars = s.chars().count();
    if chars > cap {
        return Err(TmError::invalid_profile(
            Some(key),
            &format!("has {chars} characters; the limit is {cap}"),
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests;
