//! The host as the flow sees it: a Rust trait with pure types, so the whole flow runs natively against a fake
//! host (with a fake clock) and in wasm against WeChat's `wx` (`src/host.rs`). The wx shapes (option
//! objects, `errMsg` result objects, `statusCode`/`data`) stay behind the trait; the rules that read what a
//! host gave live in pure modules ([`crate::protocol`], [`crate::launch`]).
//!
//! Hosts are not trusted: an implementation turns every exception of the platform into an
//! `Err(HostFailure)`, never a panic.

use std::future::Future;
use std::pin::Pin;

use serde::Deserialize;

use crate::input::{launch_query, status_code, text, text_or_empty, whole, Input, LaunchQuery};
use crate::lang::Lang;
use crate::platform::Platform;

/// A future a host hands back: single-threaded, like JS promises.
pub type HostFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A host call that failed: the platform's `errMsg` (or an exception's `message`), WeChat's `errno` and
/// Douyin's `errNo`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostFailure {
    /// `errMsg`, `message`, or the thrown value as text.
    pub err_msg: String,
    /// WeChat's `errno`, when the failure carried a whole number.
    pub errno: Option<i64>,
    /// Douyin's `errNo`, when the failure carried a whole number: kept on the error the caller gets. Its
    /// numbers are Douyin's own (21101 …), never read as WeChat's privacy `errno`.
    pub err_no: Option<i64>,
}

impl HostFailure {
    /// A failure with a message and no number.
    pub fn new(err_msg: impl Into<String>) -> Self {
        HostFailure {
            err_msg: err_msg.into(),
            ..HostFailure::default()
        }
    }
}

/// The outcome of a host call.
pub type HostResult<T> = std::result::Result<T, HostFailure>;

/// What a user-info API gave on success (`getUserProfile`, `getUserInfo`, the button's tap): its fields as
/// strings, and `userInfo` as JSON data. `err_msg` is kept: a tap result reports a refusal in it. Read from
/// the host's result object through serde; a field of another type than WeChat's reads as absent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserInfoReply {
    /// `errMsg` (`"getUserProfile:ok"`, `"getUserInfo:fail auth deny"` …), if the host gave one.
    #[serde(deserialize_with = "text")]
    pub err_msg: Option<String>,
    /// WeChat's `errno` beside a failing `errMsg` (a button's tap result reports failures this way).
    #[serde(deserialize_with = "whole")]
    pub errno: Option<i64>,
    /// `rawData`: the JSON text WeChat signed.
    #[serde(deserialize_with = "text_or_empty")]
    pub raw_data: String,
    /// `signature` = sha1(rawData + session_key).
    #[serde(deserialize_with = "text_or_empty")]
    pub signature: String,
    /// `encryptedData`.
    #[serde(deserialize_with = "text_or_empty")]
    pub encrypted_data: String,
    /// `iv`.
    #[serde(deserialize_with = "text_or_empty")]
    pub iv: String,
    /// `userInfo`, as JSON text (`None` when absent): forwarded as is, never read. A host hands over valid
    /// JSON (`JSON.stringify`'s output); the host's binding writes it, serde skips it.
    #[serde(skip)]
    pub user_info: Option<String>,
}

/// What `wx.login` gave on success, read through serde like [`UserInfoReply`].
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LoginReply {
    /// `code` ("" when it was not a string; on Douyin, for a player not logged in to Douyin).
    #[serde(deserialize_with = "text_or_empty")]
    pub code: String,
    /// Douyin's `anonymousCode` (the device, logged in or not; "" elsewhere).
    #[serde(deserialize_with = "text_or_empty")]
    pub anonymous_code: String,
    /// `errMsg`, kept for the error when there is no code.
    #[serde(deserialize_with = "text")]
    pub err_msg: Option<String>,
}

/// `wx.getLaunchOptionsSync()` as the launch rule reads it (see [`crate::launch`]), read through serde.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct LaunchValues {
    /// `scene`, as given.
    pub scene: Input,
    /// The keys of `query` the SDK reads (each `undefined` when `query` is not an object).
    #[serde(deserialize_with = "launch_query")]
    pub query: LaunchQuery,
}

/// The HTTP method of a [`Request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `POST`: every endpoint but the erasure.
    Post,
    /// `DELETE`: `DELETE /v1/profile`, the player's erasure.
    Delete,
}

impl Method {
    /// The method's name, as `wx.request` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One request to the backend.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `POST`, or `DELETE` for the erasure.
    pub method: Method,
    /// `config.server` + the endpoint path.
    pub url: String,
    /// The JSON body, as text ("" with `DELETE`).
    pub body: String,
    /// The session token, sent as `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// `config.timeout`, ms.
    pub timeout_ms: u32,
}

/// One `wx.uploadFile` to the backend: the file in the multipart field `file`.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// `config.server` + the endpoint path.
    pub url: String,
    /// The local file (a temporary path WeChat gave).
    pub file_path: String,
    /// The session token, sent as `Authorization: Bearer …`.
    pub bearer: String,
    /// `config.timeout`, ms.
    pub timeout_ms: u32,
}

/// The backend's answer: any HTTP status (WeChat lands every status in `success`), the body as text. Its
/// status is read from `wx.request`'s result (`statusCode`) through serde; the host's binding writes the body.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Response {
    /// The HTTP status (0 when the host gave none).
    #[serde(rename = "statusCode", deserialize_with = "status_code")]
    pub status: u16,
    /// The body as text.
    #[serde(skip)]
    pub body: String,
}

/// A string as the host's storage holds it. The flow compares it with the text of the last record it
/// validated and reads it into Rust only when they differ, so a cache hit copies nothing (in wasm the text
/// stays a JS string, compared with `===`).
pub trait StoredText: Clone + PartialEq + 'static {
    /// The text, in Rust.
    fn to_text(&self) -> String;
}

impl StoredText for String {
    fn to_text(&self) -> String {
        self.clone()
    }
}

/// A stored value as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored<T = String> {
    /// Nothing under the key (WeChat's `""`, the browser's `null`), or the read failed.
    Absent,
    /// A string.
    Text(T),
    /// Something that is not a string: a corrupt record.
    Other,
}

/// Everything the flow asks of its platform.
pub trait Host {
    /// How the host hands over a stored string.
    type Text: StoredText;
    /// A storage key as the host keeps it, made once per key by [`Host::storage_key`] (in wasm a JS string, so
    /// a cache hit passes no text across).
    type Key: 'static;
    /// The host's form of the storage key `name`.
    fn storage_key(&self, name: String) -> Self::Key;
    /// The platform the host belongs to: what the messages name. WeChat unless the host says otherwise.
    fn platform(&self) -> Platform {
        Platform::WeChat
    }
    /// Whether `wx.getUserProfile` exists.
    fn has_user_profile(&self) -> bool;
    /// Whether `wx.getSetting` and `wx.getUserInfo` both exist.
    fn has_user_info(&self) -> bool;
    /// Whether `wx.createUserInfoButton` exists.
    fn has_user_info_button(&self) -> bool;
    /// Opens `wx.getUserProfile({ desc, lang })` **now** (WeChat shows it only inside the tap); the future
    /// reads its outcome.
    fn get_user_profile(&self, desc: &str, lang: Lang) -> HostFuture<HostResult<UserInfoReply>>;
    /// `wx.getSetting()`: whether `authSetting["scope.userInfo"]` is `true`.
    fn user_info_authorised(&self) -> HostFuture<HostResult<bool>>;
    /// `wx.getUserInfo({ withCredentials: true, lang })`.
    fn get_user_info(&self, lang: Lang) -> HostFuture<HostResult<UserInfoReply>>;
    /// A `wx.createUserInfoButton` with the configured style: the first tap's result; the button is
    /// destroyed whatever the tap gave.
    fn user_info_button(&self, lang: Lang) -> HostFuture<HostResult<UserInfoReply>>;
    /// `wx.login()`; with `force`, Douyin's `tt.login({ force })` (`false`: silent, never Douyin's login
    /// dialog; `true`: the dialog for a player not logged in to Douyin).
    fn login(&self, force: Option<bool>) -> HostFuture<HostResult<LoginReply>>;
    /// `wx.getLaunchOptionsSync()`; absent values when the host has none or it throws.
    fn launch_values(&self) -> LaunchValues;
    /// `wx.request`: `Ok` for any HTTP answer, `Err(errMsg)` when none came (`request:fail …`).
    fn request(&self, request: Request) -> HostFuture<HostResult<Response>>;
    /// Whether `wx.uploadFile` exists.
    fn has_upload_file(&self) -> bool;
    /// The size in bytes of the local file at `path` (`wx.getFileSystemManager().statSync(path).size`), or
    /// `None` when the host cannot tell (no file system manager, or the call throws).
    fn file_size(&self, path: &str) -> Option<u64>;
    /// `wx.uploadFile`: `Ok` for any HTTP answer (its `data` as the body), `Err(errMsg)` when none came
    /// (`uploadFile:fail …`).
    fn upload_file(&self, upload: Upload) -> HostFuture<HostResult<Response>>;
    /// Reads `key` from the host's storage; a read that throws reads as [`Stored::Absent`].
    fn storage_get(&self, key: &Self::Key) -> Stored<Self::Text>;
    /// Writes `key`; `Err` carries the host's message (quota, 1 MB per key …).
    fn storage_set(&self, key: &Self::Key, value: &str) -> HostResult<()>;
    /// Removes `key`; failures are ignored (the record is checked again on every read).
    fn storage_remove(&self, key: &Self::Key);
    /// `console.warn(message)`; a failing console is ignored.
    fn warn(&self, message: &str);
    /// The clock, epoch milliseconds.
    fn now_ms(&self) -> u64;
    /// Runs `task` to completion in the background (a JS microtask queue, a test executor).
    fn spawn(&self, task: HostFuture<()>);
}
