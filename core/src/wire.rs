//! The wire protocol between the SDK and its backend (docs/contract.md, Wire protocol): the paths, the
//! `err` codes, the request bodies and the `{ err, msg, data }` envelope — the types tmsdk-server reads and
//! writes too. Reading a whole answer is `answer`'s job.

use std::borrow::Cow;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, TmError};
use crate::host::UserInfoReply;
use crate::json::{self, RawJson};
use crate::profile::rules::is_code;
use crate::profile::{given, Given, MAX_STRING_CHARS};

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
    /// The code from `wx.login` ("" from a Douyin player not logged in to Douyin, who has only an
    /// anonymous code).
    #[serde(default)]
    pub code: Cow<'a, str>,
    /// Douyin's `anonymousCode` from `tt.login` ("" elsewhere; not written then).
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub anonymous_code: Cow<'a, str>,
    /// `wx.getLaunchOptionsSync().scene`: a number (0 when unknown), or Douyin's string as given.
    #[serde(default)]
    pub scene: Scene<'a>,
    /// `wx.getLaunchOptionsSync().query.channelCode` ("" when absent).
    #[serde(default)]
    pub channel: Cow<'a, str>,
    /// The launch query's `tmsdk_s`: the share code of the player whose share brought this one ("" when
    /// absent; not written then).
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub sharer: Cow<'a, str>,
}

/// A launch scene as the login body carries it: WeChat's and QQ's number, or Douyin's string (`"023001"`:
/// its leading zeros are part of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scene<'a> {
    /// A scene number (0 when unknown).
    Number(u64),
    /// Douyin's scene, as given.
    Text(Cow<'a, str>),
}

impl Default for Scene<'_> {
    fn default() -> Self {
        Scene::Number(0)
    }
}

impl std::fmt::Display for Scene<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scene::Number(n) => write!(f, "{n}"),
            Scene::Text(t) => f.write_str(t),
        }
    }
}

/// Path of the events endpoint: shares and play time the SDK counted (docs/contract.md, the player's figures).
pub const EVENTS_PATH: &str = "/v1/events";
/// The most events one request carries.
pub const MAX_EVENTS: usize = 100;
/// The longest play segment, and the most play counted per player and day, in seconds.
pub const MAX_PLAY_SECONDS: u64 = 86_400;
/// The most shares counted per player and day.
pub const MAX_SHARES_A_DAY: u64 = 100;
/// The longest event id.
pub const MAX_EVENT_ID_CHARS: usize = 64;

/// Body of `POST /v1/events`: the events the SDK holds, each under an id the server remembers (a repeat is
/// acknowledged and not counted).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EventsRequest {
    /// The game's appId.
    pub app_id: String,
    /// At most [`MAX_EVENTS`].
    pub events: Vec<Event>,
}

impl EventsRequest {
    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        // Cannot fail: strings and whole numbers.
        json::to_string(self).unwrap_or_default()
    }
}

/// One event: a share asked for, or a segment of foreground play. Written by the SDK; tmsdk-server reads the
/// body field by field to name what is wrong (`routes/events.rs`), so there is no derived reader (serde's
/// internally tagged reading would cost the wasm kilobytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Event {
    /// The share sheet was asked for (`share_times`).
    Share {
        /// 1–64 of `[A-Za-z0-9_-]`.
        id: String,
    },
    /// Time in the foreground (`online_duration`).
    Play {
        /// 1–64 of `[A-Za-z0-9_-]`.
        id: String,
        /// 1–86,400.
        seconds: u64,
    },
}

impl Event {
    /// The event's id.
    pub fn id(&self) -> &str {
        match self {
            Event::Share { id } | Event::Play { id, .. } => id,
        }
    }

    /// What is wrong with the event, if anything: the field and the problem.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        if !is_code(self.id(), MAX_EVENT_ID_CHARS) {
            return Some(("id", "must be 1 to 64 of A-Z a-z 0-9 _ -"));
        }
        match self {
            Event::Play { seconds, .. } if !(1..=MAX_PLAY_SECONDS).contains(seconds) => {
                Some(("seconds", "must be a whole number from 1 to 86400"))
            }
            _ => None,
        }
    }
}

/// Body of `POST /v1/profile`: what the SDK writes and tmsdk-server reads (`Json<ProfileRequest>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProfileRequest<'a> {
    /// The game's appId.
    pub app_id: Cow<'a, str>,
    /// `rawData`; absent (empty) from a caller that has only `encryptedData`, `iv` and `signature` (SkyRiver's
    /// `updateUserInfo`): the server then takes the decryption and the watermark as the proof.
    #[serde(default)]
    pub raw_data: Cow<'a, str>,
    /// `signature` (of `rawData`; unchecked without it).
    #[serde(default)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const APP: &str = "wx1";

    #[test]
    fn events_are_written_by_kind_and_say_what_is_wrong() {
        let body = EventsRequest {
            app_id: APP.into(),
            events: vec![
                Event::Share { id: "s-1".into() },
                Event::Play {
                    id: "p_1".into(),
                    seconds: 125,
                },
            ],
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body.to_json()).unwrap(),
            json!({"app_id": "wx1", "events": [
                {"kind": "share", "id": "s-1"},
                {"kind": "play", "id": "p_1", "seconds": 125}
            ]})
        );
        assert!(body.events.iter().all(|e| e.problem().is_none()));
        let bad = |e: Event| e.problem().map(|(field, _)| field);
        assert_eq!(bad(Event::Share { id: "".into() }), Some("id"));
        assert_eq!(bad(Event::Share { id: "a b".into() }), Some("id"));
        assert_eq!(bad(Event::Share { id: "x".repeat(65) }), Some("id"));
        assert_eq!(bad(Event::Share { id: "x".repeat(64) }), None);
        for seconds in [0, 86_401] {
            assert_eq!(
                bad(Event::Play {
                    id: "p".into(),
                    seconds
                }),
                Some("seconds")
            );
        }
    }

    #[test]
    fn request_bodies_have_the_wire_names() {
        let login = LoginRequest {
            app_id: APP.into(),
            code: "c0de".into(),
            scene: Scene::Number(1044),
            channel: "ch-1".into(),
            ..LoginRequest::default()
        };
        assert_eq!(
            login.to_json(),
            r#"{"app_id":"wx1","code":"c0de","scene":1044,"channel":"ch-1"}"#
        );
        // Douyin's anonymous code, when there is one; a login without a code reads as "".
        let douyin = LoginRequest {
            anonymous_code: "anon".into(),
            ..login.clone()
        };
        assert_eq!(
            douyin.to_json(),
            r#"{"app_id":"wx1","code":"c0de","anonymous_code":"anon","scene":1044,"channel":"ch-1"}"#
        );
        let read: LoginRequest =
            crate::from_json(r#"{"app_id":"tt1","anonymous_code":"a"}"#).unwrap();
        assert_eq!(
            (read.code.as_ref(), read.anonymous_code.as_ref()),
            ("", "a")
        );
        assert_eq!(read.scene, Scene::Number(0));
        // Douyin's scene is a string, kept with its zeros; both shapes read back.
        let douyin = LoginRequest {
            scene: Scene::Text("023001".into()),
            ..douyin
        };
        let text = douyin.to_json();
        assert!(text.contains(r#""scene":"023001""#), "{text}");
        let read: LoginRequest = crate::from_json(&text).unwrap();
        assert_eq!((read.scene.to_string(), read), ("023001".into(), douyin));
        let read: LoginRequest = crate::from_json(&login.to_json()).unwrap();
        assert_eq!(read.scene.to_string(), "1044");
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
}
