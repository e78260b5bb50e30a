//! The backend wire protocol (docs/contract.md, Wire protocol) and the reading of host results (Flow, step 3): request bodies,
//! the classification of HTTP answers, `request:fail …` messages and `wx.*` `errMsg`s. Pure Rust.

use std::borrow::Cow;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, Result, TmError};
use crate::host::{HostFailure, HostResult, LoginReply, UserInfoReply};
use crate::json::{self, RawJson};
use crate::profile::{self, given, Given, Profile, MAX_STRING_CHARS};

/// Path of the login endpoint, appended to `config.server`.
pub const LOGIN_PATH: &str = "/v1/login";
/// Path of the profile endpoint, appended to `config.server`.
pub const PROFILE_PATH: &str = "/v1/profile";
/// The `err` (and HTTP status) that means "session expired: log in again".
pub const UNAUTHORIZED: i64 = 401;
/// Path of the avatar upload (`wx.uploadFile`, multipart field `file`); `GET` of `<path>/<sha256>.jpg` serves
/// a stored avatar.
pub const AVATAR_PATH: &str = "/v1/avatar";
/// Path of the fill-in endpoint: the nickname and avatar the player filled in (头像昵称填写).
pub const FILL_PATH: &str = "/v1/profile/fill";
/// The largest avatar upload, in bytes (2 MiB); a larger one is answered HTTP 413, `err` [`ERR_AVATAR_TOO_LARGE`].
pub const MAX_AVATAR_BYTES: usize = 2 * 1024 * 1024;
/// The largest avatar accepted, in pixels on either side.
pub const MAX_AVATAR_PIXELS: u32 = 4096;
/// The `err` of an upload that is not a PNG, JPEG or WebP image that decodes within the pixel limit.
pub const ERR_AVATAR_NOT_IMAGE: i64 = 41010;
/// The `err` of an upload over [`MAX_AVATAR_BYTES`].
pub const ERR_AVATAR_TOO_LARGE: i64 = 41011;
/// The `err` of a fill-in whose `avatar_url` is not an avatar this user uploaded.
pub const ERR_AVATAR_NOT_OWNED: i64 = 41012;
/// The `err` (WeChat's own code) of content WeChat's security check found risky.
pub const ERR_CONTENT_RISKY: i64 = 87014;

/// Body of `POST /v1/profile/fill`: what the player filled in; either may be absent, not both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FillRequest<'a> {
    /// The game's appId.
    pub app_id: Cow<'a, str>,
    /// The nickname typed into `<input type="nickname">`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<Cow<'a, str>>,
    /// An avatar URL `POST /v1/avatar` gave this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<Cow<'a, str>>,
}

impl FillRequest<'_> {
    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        // Cannot fail: strings.
        json::to_string(self).unwrap_or_default()
    }
}

/// What `POST /v1/avatar` answers in the envelope's `data`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AvatarAnswer {
    /// Where the stored avatar is served (`https://…/v1/avatar/<sha256>.jpg`).
    pub avatar_url: String,
}

/// Body of `POST /v1/login`: what the SDK writes and tmsdk-server reads (`Json<LoginRequest>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LoginRequest<'a> {
    /// The game's appId.
    pub app_id: Cow<'a, str>,
    /// The code from `wx.login`.
    pub code: Cow<'a, str>,
    /// `wx.getLaunchOptionsSync().scene` (0 when unknown).
    #[serde(default)]
    pub scene: u64,
    /// `wx.getLaunchOptionsSync().query.channelCode` ("" when absent).
    #[serde(default)]
    pub channel: Cow<'a, str>,
}

/// Body of `POST /v1/profile`: what the SDK writes and tmsdk-server reads (`Json<ProfileRequest>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProfileRequest<'a> {
    /// The game's appId.
    pub app_id: Cow<'a, str>,
    /// `rawData`.
    pub raw_data: Cow<'a, str>,
    /// `signature`.
    pub signature: Cow<'a, str>,
    /// `encryptedData`.
    pub encrypted_data: Cow<'a, str>,
    /// `iv`.
    pub iv: Cow<'a, str>,
    /// `userInfo`, written as the JSON text the host gave (never parsed; `null` when absent). A server does
    /// not read it: it is unsigned, and the signed `raw_data` holds the same.
    #[serde(skip_deserializing)]
    pub user_info: RawJson,
}

impl<'a> ProfileRequest<'a> {
    /// The body for `info`.
    pub fn new(app_id: &'a str, info: &'a UserInfoReply) -> Self {
        ProfileRequest {
            app_id: Cow::Borrowed(app_id),
            raw_data: Cow::Borrowed(&info.raw_data),
            signature: Cow::Borrowed(&info.signature),
            encrypted_data: Cow::Borrowed(&info.encrypted_data),
            iv: Cow::Borrowed(&info.iv),
            user_info: RawJson(info.user_info.as_deref().unwrap_or("null").to_string()),
        }
    }

    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        // Cannot fail: strings and the host's JSON text.
        json::to_string(self).unwrap_or_default()
    }
}

impl LoginRequest<'_> {
    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        // Cannot fail: strings and a whole number.
        json::to_string(self).unwrap_or_default()
    }
}

/// The SkyRiver envelope of every backend answer: `{err, msg, data}`. tmsdk-server writes it
/// ([`Envelope::ok`], [`Envelope::refusal`]); the SDK reads it (`err` an integer, `null` or absent for 0;
/// `msg` any string, cut to 256 characters; `data` the profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Envelope<T> {
    /// 0 for success, else the refusal's code; `None` when the answer has no `err` key.
    #[serde(default, deserialize_with = "envelope_err")]
    pub err: Option<i64>,
    /// A message for people.
    #[serde(default, deserialize_with = "envelope_msg")]
    pub msg: String,
    /// The answer's data, when it has some.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub data: Option<T>,
}

impl<T> Envelope<T> {
    /// `{err: 0, msg: "ok", data}`.
    pub fn ok(data: T) -> Self {
        Envelope {
            err: Some(0),
            msg: "ok".to_string(),
            data: Some(data),
        }
    }

    /// `{err, msg}`: the request is refused.
    pub fn refusal(err: i64, msg: &str) -> Self {
        Envelope {
            err: Some(err),
            msg: msg.to_string(),
            data: None,
        }
    }

    /// The `SERVER` error of an envelope with `err != 0`, carrying `err` and `msg`.
    pub(crate) fn refused(&self) -> Option<TmError> {
        let err = self.err.filter(|e| *e != 0)?;
        let msg = &self.msg;
        let mut e = TmError::new(
            ErrorCode::Server,
            format!(
                "The backend refused the request (err {err}: \"{msg}\"). Check the backend's logs; \
                 the error's serverErr and msg carry its answer."
            ),
        )
        .with_server_err(err);
        e.err_msg = Some(msg.clone());
        Some(e)
    }
}

/// `err`: an integer; `null` → 0.
fn envelope_err<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    match given(d)? {
        Given::Absent => Ok(None),
        Given::Null => Ok(Some(0)),
        Given::Whole(n) if n <= i64::MAX as u64 => Ok(Some(n as i64)),
        Given::Negative(n) => Ok(Some(n)),
        other => Err(de::Error::custom(format_args!(
            "is {}; the envelope's err must be an integer",
            other.kind()
        ))),
    }
}

/// `msg`: a string, cut to 256 characters; anything else → "".
fn envelope_msg<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(match given(d)? {
        Given::Str(s) => s.chars().take(MAX_STRING_CHARS).collect(),
        _ => String::new(),
    })
}

/// `data`: `null` is no data.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// How one backend answer reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A valid profile.
    Profile(Box<Profile>),
    /// HTTP 401 or `err == 401`: the session is gone; log in again and retry once. The error is what to
    /// report if the retry is unauthorised too.
    Unauthorized(TmError),
    /// Any other failure.
    Failed(TmError),
}

/// Which request an answer is for: the hint of an HTTP 401 depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/login`.
    Login,
    /// `POST /v1/profile`, first attempt.
    Profile,
    /// `POST /v1/profile` again, after a 401 and a new login.
    ProfileRetry,
    /// `POST /v1/avatar` (an upload) or `POST /v1/profile/fill`, first attempt.
    Fill,
    /// The same again, after a 401 and a new login.
    FillRetry,
}

/// Reads a backend answer: HTTP status first (any status lands in `success` in WeChat), then the envelope
/// and the profile rules.
pub fn read_answer(status: u16, body: &str, app_id: &str, endpoint: Endpoint) -> Answer {
    if status == UNAUTHORIZED as u16 {
        return Answer::Unauthorized(http_error(status, endpoint));
    }
    if !(200..300).contains(&status) {
        return Answer::Failed(http_error(status, endpoint));
    }
    match profile::parse_boxed(body, app_id) {
        Ok(p) => Answer::Profile(p),
        Err(e) if e.code == ErrorCode::Server && e.server_err == Some(UNAUTHORIZED) => {
            Answer::Unauthorized(e)
        }
        Err(e) => Answer::Failed(e),
    }
}

fn http_error(status: u16, endpoint: Endpoint) -> TmError {
    let hint = match (status, endpoint) {
        (401, Endpoint::Login) => {
            "it refused the login; check the backend's /v1/login and the game's appId"
        }
        (401, Endpoint::Profile | Endpoint::Fill) => {
            "it refused the session token; the SDK logs in again and retries once"
        }
        (401, Endpoint::ProfileRetry | Endpoint::FillRetry) => {
            "the session was refused twice; check the backend's /v1/login and token checks"
        }
        (404, _) => "check config.server: the backend has no such route",
        (500..=599, _) => "the backend failed; check its logs",
        _ => "check the backend and config.server",
    };
    TmError::new(
        ErrorCode::Http,
        format!("The backend answered HTTP {status}: {hint}."),
    )
    .with_status(status)
}

/// How the avatar upload's answer reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Uploaded {
    /// The stored avatar's URL.
    Url(String),
    /// HTTP 401 or `err == 401`: log in again and upload once more.
    Unauthorized(TmError),
    /// Any other failure.
    Failed(TmError),
}

/// Reads the answer of `POST /v1/avatar` (`wx.uploadFile`'s `statusCode` and `data`): `{ avatar_url }` in the
/// envelope. HTTP 413 and the image refusals are `INVALID_AVATAR`.
pub fn read_upload(status: u16, body: &str, endpoint: Endpoint) -> Uploaded {
    if status == UNAUTHORIZED as u16 {
        return Uploaded::Unauthorized(http_error(status, endpoint));
    }
    if status == 413 {
        let e = TmError::new(ErrorCode::Http, "").with_server_err(ERR_AVATAR_TOO_LARGE);
        return Uploaded::Failed(fill_refusal(e).with_status(status));
    }
    if !(200..300).contains(&status) {
        return Uploaded::Failed(http_error(status, endpoint));
    }
    let envelope = match json::from_str::<Envelope<AvatarAnswer>>(body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return Uploaded::Failed(TmError::new(
                ErrorCode::Server,
                "The backend's answer to the avatar upload is not { err, msg, data: { avatar_url } }. Check                  config.server and the backend's /v1/avatar.",
            ))
        }
    };
    if let Some(refused) = envelope.refused() {
        return if refused.server_err == Some(UNAUTHORIZED) {
            Uploaded::Unauthorized(refused)
        } else {
            Uploaded::Failed(fill_refusal(refused))
        };
    }
    match envelope.data {
        Some(AvatarAnswer { avatar_url })
            if avatar_url.starts_with("https://") || avatar_url.starts_with("http://") =>
        {
            Uploaded::Url(avatar_url)
        }
        _ => Uploaded::Failed(TmError::new(
            ErrorCode::Server,
            "The backend's answer to the avatar upload has no http(s) avatar_url. Check the backend's /v1/avatar.",
        )),
    }
}

/// A refusal of the fill-in in the player's terms: WeChat's content check (`err` 87014) is
/// `CONTENT_RISKY`, an avatar the backend refused (41010 not an image, 41011 too large, 41012 not this
/// player's) is `INVALID_AVATAR`; `serverErr`, `errMsg` and `status` are kept. Any other error is unchanged.
pub fn fill_refusal(e: TmError) -> TmError {
    let (code, message) = match e.server_err {
        Some(ERR_CONTENT_RISKY) => (
            ErrorCode::ContentRisky,
            "WeChat's content check refused what the player filled in; nothing was saved. Ask the player for              another nickname or avatar.",
        ),
        Some(ERR_AVATAR_NOT_IMAGE | ERR_AVATAR_TOO_LARGE) => (
            ErrorCode::InvalidAvatar,
            "The avatar is not a PNG, JPEG or WebP image of at most 2 MiB and 4096 × 4096 pixels; nothing was              saved. Ask the player to choose another one.",
        ),
        Some(ERR_AVATAR_NOT_OWNED) => (
            ErrorCode::InvalidAvatar,
            "The backend did not take the avatar as this player's upload; nothing was saved. Upload it again.",
        ),
        _ => return e,
    };
    TmError {
        code,
        message: message.to_string(),
        ..e
    }
}

/// Whether `text` contains `needle` (non-empty): a byte search, smaller in wasm than `str::contains`, whose
/// searcher brings a panicking slice and with it Unicode formatting tables.
fn mentions(text: &str, needle: &str) -> bool {
    text.as_bytes()
        .windows(needle.len().max(1))
        .any(|w| w == needle.as_bytes())
}

/// Reads a `wx.request` failure (`request:fail …`): `TIMEOUT` when it says timeout, else `NETWORK`.
pub fn request_failure(err_msg: &str) -> TmError {
    let lower = err_msg.to_ascii_lowercase();
    let e = if mentions(&lower, "timeout") || mentions(&lower, "timed out") {
        TmError::new(
            ErrorCode::Timeout,
            "The backend did not answer in time. Check the network and the backend, or raise config.timeout.",
        )
    } else {
        TmError::new(
            ErrorCode::Network,
            "The request to the backend failed before any HTTP answer. Check the network, config.server and \
             WeChat's request domain list (request合法域名).",
        )
    };
    e.with_err_msg(err_msg)
}

/// WeChat's `errno` when the player declined the game's privacy guide.
pub const ERRNO_PRIVACY_DENIED: i64 = 104;
/// WeChat's `errno` when the game's privacy guide does not declare the API.
pub const ERRNO_PRIVACY_NOT_DECLARED: i64 = 112;

/// Reads a failed `wx.*` user-info call (`errMsg`, `errno`): `PRIVACY_DENIED` / `PRIVACY_NOT_DECLARED` (WeChat's
/// privacy agreement), `AUTH_DENIED` (the user refused), `TAP_REQUIRED` (not called from a tap) or
/// `HOST_ERROR`, keeping WeChat's text.
pub fn host_failure(failure: &HostFailure) -> TmError {
    let err_msg = failure.err_msg.as_str();
    let lower = err_msg.to_ascii_lowercase();
    let e = if failure.errno == Some(ERRNO_PRIVACY_NOT_DECLARED)
        || mentions(&lower, "not declared in the privacy agreement")
    {
        TmError::new(
            ErrorCode::PrivacyNotDeclared,
            "WeChat refused user info because the game's privacy guide does not declare it. In the MP console,              declare user info under 设置 → 服务内容声明 → 用户隐私保护指引, publish it, and try again.",
        )
    } else if failure.errno == Some(ERRNO_PRIVACY_DENIED)
        || mentions(&lower, "privacy permission is not authorized")
    {
        TmError::new(
            ErrorCode::PrivacyDenied,
            "The player declined the game's privacy guide, so WeChat gives no user info. Let them play on, and              ask again later from a tap (WeChat shows its privacy popup again).",
        )
    } else if mentions(&lower, "auth deny") || mentions(&lower, "auth denied") {
        TmError::new(
            ErrorCode::AuthDenied,
            "The user refused to share their profile. Let them play on, and ask again later from a tap.",
        )
    } else if mentions(&lower, "tap gesture") || mentions(&lower, "user tap") {
        TmError::new(
            ErrorCode::TapRequired,
            "WeChat only shows the profile popup from a tap: call updateUserProfile directly inside the tap \
             handler, with no await, timer or promise before it.",
        )
    } else {
        TmError::new(
            ErrorCode::HostError,
            "A WeChat API failed; errMsg has WeChat's own words. Check the base library version and the game's \
             privacy settings.",
        )
    };
    e.with_err_msg(err_msg)
}

/// A failed `/v1/login` request: a transport failure (`NETWORK`, `TIMEOUT`) keeps its code, saying it happened
/// while logging in (a player offline at first launch is not a refused login); anything else is
/// `LOGIN_FAILED`.
pub fn login_request_failed(cause: TmError) -> TmError {
    match cause.code {
        ErrorCode::Network | ErrorCode::Timeout => TmError {
            message: format!("While logging in: {}", cause.message),
            ..cause
        },
        _ => login_failed(&cause),
    }
}

/// `getUserInfo:fail scope unauthorized`: on the `getSetting` path, fall through to the button.
pub fn is_scope_unauthorized(err_msg: &str) -> bool {
    mentions(&err_msg.to_ascii_lowercase(), "scope unauthorized")
}

/// Whether a host result's `errMsg` is a success (`"getUserInfo:ok"`); a missing `errMsg` counts as one.
pub fn is_ok_message(err_msg: Option<&str>) -> bool {
    err_msg.is_none_or(|m| m.ends_with(":ok"))
}

/// Reads a user-info outcome (`getUserProfile`, `getUserInfo`, a button tap): a failure, or a success
/// object whose `errMsg` is not `…:ok`, becomes the typed error of [`host_failure`].
pub fn read_user_info(outcome: HostResult<UserInfoReply>) -> Result<UserInfoReply> {
    let reply = outcome.map_err(|f| host_failure(&f))?;
    if !is_ok_message(reply.err_msg.as_deref()) {
        return Err(host_failure(&HostFailure {
            err_msg: reply.err_msg.unwrap_or_default(),
            errno: reply.errno,
        }));
    }
    Ok(reply)
}

/// Reads a `wx.login` outcome: its non-empty `code`, else `LOGIN_FAILED`.
pub fn read_login(outcome: HostResult<LoginReply>) -> Result<String> {
    let reply = outcome.map_err(|f| login_failed(&host_failure(&f)))?;
    match reply.code {
        Some(code) if !code.is_empty() => Ok(code),
        _ => Err(login_failed(
            &TmError::new(ErrorCode::HostError, "wx.login gave no code")
                .with_err_msg(reply.err_msg.unwrap_or_default()),
        )),
    }
}

/// `LOGIN_FAILED` for a failed `wx.login` or `/v1/login`, keeping the cause's details.
pub fn login_failed(cause: &TmError) -> TmError {
    let mut e = TmError::new(
        ErrorCode::LoginFailed,
        format!(
            "Silent login failed ({}: {}). Check config.server and the backend's /v1/login; the user can try again.",
            cause.code, cause.message
        ),
    );
    e.err_msg = cause.err_msg.clone();
    e.status = cause.status;
    e.server_err = cause.server_err;
    e.field = cause.field.clone();
    e
}

/// Checks that a login answer carries a session token.
pub fn require_session(profile: Profile) -> Result<Profile> {
    if profile.jwt.is_empty() {
        return Err(TmError::invalid_profile(
            Some("jwt"),
            "is empty in the /v1/login answer; the backend must return a session token",
        ));
    }
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const APP: &str = "wx1";

    #[test]
    fn request_bodies_have_the_wire_names() {
        let login = LoginRequest {
            app_id: APP.into(),
            code: "c0de".into(),
            scene: 1044,
            channel: "ch-1".into(),
        };
        assert_eq!(
            login.to_json(),
            r#"{"app_id":"wx1","code":"c0de","scene":1044,"channel":"ch-1"}"#
        );
        let info = UserInfoReply {
            err_msg: Some("getUserProfile:ok".into()),
            errno: None,
            raw_data: "{\"nickName\":\"Ann\"}".into(),
            signature: "sig".into(),
            encrypted_data: "enc".into(),
            iv: "iv".into(),
            user_info: Some(json!({"nickName": "Ann"}).to_string()),
        };
        assert_eq!(
            ProfileRequest::new(APP, &info).to_json(),
            r#"{"app_id":"wx1","raw_data":"{\"nickName\":\"Ann\"}","signature":"sig","encrypted_data":"enc","iv":"iv","user_info":{"nickName":"Ann"}}"#
        );
    }

    #[test]
    fn answers_read_status_then_envelope() {
        let ok = json!({"err": 0, "msg": "ok", "data": {"open_id": "o1"}}).to_string();
        assert!(
            matches!(read_answer(200, &ok, APP, Endpoint::Profile), Answer::Profile(p) if p.open_id == "o1")
        );
        let Answer::Failed(e) = read_answer(500, &ok, APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!((e.code, e.status), (ErrorCode::Http, Some(500)));
        let Answer::Unauthorized(e) = read_answer(401, "", APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!((e.code, e.status), (ErrorCode::Http, Some(401)));
        let Answer::Unauthorized(e) = read_answer(
            200,
            r#"{"err":401,"msg":"expired"}"#,
            APP,
            Endpoint::Profile,
        ) else {
            panic!()
        };
        assert_eq!((e.code, e.server_err), (ErrorCode::Server, Some(401)));
        let Answer::Failed(e) = read_answer(200, r#"{"err":5,"msg":"no"}"#, APP, Endpoint::Profile)
        else {
            panic!()
        };
        assert_eq!((e.code, e.server_err), (ErrorCode::Server, Some(5)));
        let Answer::Failed(e) = read_answer(204, "", APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!(e.code, ErrorCode::InvalidProfile);
        let Answer::Failed(e) = read_answer(302, "", APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!(e.code, ErrorCode::Http);
    }

    #[test]
    fn a_401_hint_says_which_refusal_it_was() {
        let message = |endpoint| match read_answer(401, "", APP, endpoint) {
            Answer::Unauthorized(e) => e.message,
            other => panic!("{other:?}"),
        };
        assert!(!message(Endpoint::Login).contains("twice"));
        assert!(message(Endpoint::Login).contains("refused the login"));
        assert!(!message(Endpoint::Profile).contains("twice"));
        assert!(message(Endpoint::ProfileRetry).contains("refused twice"));
    }

    #[test]
    fn user_info_and_login_replies_are_read_by_their_errmsg() {
        let ok = UserInfoReply {
            err_msg: Some("getUserInfo:ok".into()),
            ..UserInfoReply::default()
        };
        assert!(read_user_info(Ok(ok)).is_ok());
        let denied = UserInfoReply {
            err_msg: Some("getUserInfo:fail auth deny".into()),
            ..UserInfoReply::default()
        };
        assert_eq!(
            read_user_info(Ok(denied)).unwrap_err().code,
            ErrorCode::AuthDenied
        );
        assert_eq!(
            read_user_info(Err(HostFailure::new("getUserProfile:fail auth deny")))
                .unwrap_err()
                .code,
            ErrorCode::AuthDenied
        );
        assert_eq!(
            read_login(Ok(LoginReply {
                code: Some("c".into()),
                err_msg: None
            })),
            Ok("c".to_string())
        );
        for reply in [
            Ok(LoginReply {
                code: Some(String::new()),
                err_msg: None,
            }),
            Ok(LoginReply {
                code: None,
                err_msg: Some("login:ok".into()),
            }),
            Err(HostFailure::new("login:fail network")),
        ] {
            assert_eq!(read_login(reply).unwrap_err().code, ErrorCode::LoginFailed);
        }
    }

    #[test]
    fn request_failures_tell_timeout_from_network() {
        assert_eq!(
            request_failure("request:fail timeout").code,
            ErrorCode::Timeout
        );
        assert_eq!(
            request_failure("request:fail socket time out timed out").code,
            ErrorCode::Timeout
        );
        let e = request_failure("request:fail url not in domain list");
        assert_eq!(e.code, ErrorCode::Network);
        assert_eq!(
            e.err_msg.as_deref(),
            Some("request:fail url not in domain list")
        );
    }

    #[test]
    fn host_messages_are_classified_and_kept() {
        let code = |m: &str| {
            let e = host_failure(&HostFailure::new(m));
            assert_eq!(e.err_msg.as_deref(), Some(m));
            e.code
        };
        assert_eq!(code("getUserProfile:fail auth deny"), ErrorCode::AuthDenied);
        assert_eq!(code("getUserInfo:fail auth denied"), ErrorCode::AuthDenied);
        assert_eq!(
            code("getUserProfile:fail can only be invoked by user TAP gesture"),
            ErrorCode::TapRequired
        );
        assert_eq!(
            code("getUserProfile:fail desc length does not meet the requirements"),
            ErrorCode::HostError
        );
        assert_eq!(
            code("getUserInfo:fail game appid no privacy api permission"),
            ErrorCode::HostError
        );
        assert!(is_scope_unauthorized("getUserInfo:fail scope unauthorized"));
        assert!(!is_scope_unauthorized("getUserInfo:fail auth deny"));
    }

    #[test]
    fn privacy_failures_are_told_apart_by_errmsg_or_errno() {
        let by_message = |m: &str| host_failure(&HostFailure::new(m)).code;
        assert_eq!(
            by_message("getUserProfile:fail privacy permission is not authorized"),
            ErrorCode::PrivacyDenied
        );
        assert_eq!(
            by_message("getUserInfo:fail api scope is not declared in the privacy agreement"),
            ErrorCode::PrivacyNotDeclared
        );
        let by_errno = |errno| {
            host_failure(&HostFailure {
                err_msg: "getUserInfo:fail".into(),
                errno: Some(errno),
            })
        };
        assert_eq!(by_errno(104).code, ErrorCode::PrivacyDenied);
        let e = by_errno(112);
        assert_eq!(e.code, ErrorCode::PrivacyNotDeclared);
        assert!(e.message.contains("用户隐私保护指引"), "{}", e.message);
        assert_eq!(e.err_msg.as_deref(), Some("getUserInfo:fail"));
        assert_eq!(by_errno(1).code, ErrorCode::HostError);
        // A tap result reports the failure in the reply itself.
        let tapped = UserInfoReply {
            err_msg: Some("getUserInfo:fail".into()),
            errno: Some(104),
            ..UserInfoReply::default()
        };
        assert_eq!(
            read_user_info(Ok(tapped)).unwrap_err().code,
            ErrorCode::PrivacyDenied
        );
    }

    #[test]
    fn a_transport_failure_while_logging_in_keeps_its_code() {
        let e = login_request_failed(request_failure("request:fail timeout"));
        assert_eq!(e.code, ErrorCode::Timeout);
        assert!(e.message.starts_with("While logging in"), "{}", e.message);
        let e = login_request_failed(request_failure(
            "request:fail net::ERR_INTERNET_DISCONNECTED",
        ));
        assert_eq!(e.code, ErrorCode::Network);
        let refused = TmError::new(ErrorCode::Server, "refused").with_server_err(40029);
        let e = login_request_failed(refused);
        assert_eq!(
            (e.code, e.server_err),
            (ErrorCode::LoginFailed, Some(40029))
        );
    }

    #[test]
    fn ok_messages() {
        assert!(is_ok_message(Some("getUserInfo:ok")));
        assert!(is_ok_message(None));
        assert!(!is_ok_message(Some("getUserInfo:fail auth deny")));
    }

    #[test]
    fn login_failures_keep_the_cause() {
        let cause = request_failure("request:fail timeout");
        let e = login_failed(&cause);
        assert_eq!(e.code, ErrorCode::LoginFailed);
        assert_eq!(e.err_msg.as_deref(), Some("request:fail timeout"));
        assert!(e.message.contains("TIMEOUT"), "{}", e.message);
        assert!(require_session(Profile::default()).is_err());
    }
}
