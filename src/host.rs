//! The wasm implementation of [`tmsdk_core::Host`] over the adapter object that `js-shim/host.js` builds
//! around `wx` (bound in `js_host`). Every callback API is a promise there; storage calls are synchronous and
//! may throw. This file owns the wx shapes: the option objects sent, the result objects read.
//!
//! The host is not trusted: every binding catches a JS exception, and [`WasmHost`] turns one into an `Err` or
//! an absent value.

use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::convert::{describe, get, json_text, non_negative, to_reply};
use crate::js_host::{Caught, JsHost};
use crate::storage::{JsText, Storage, StorageKey};
use tmsdk_core::Lang;
use tmsdk_core::Platform;
use tmsdk_core::{
    Host, HostFailure, HostFuture, HostResult, LaunchValues, LoginReply, Request, Response, Stored,
    Upload, UserInfoReply,
};

/// `wx` as a [`Host`].
pub struct WasmHost {
    js: JsHost,
    storage: Storage,
    /// `config.userInfoButton`, passed to the adapter as is (`undefined`: full-screen, transparent).
    button_style: JsValue,
}

impl WasmHost {
    /// Wraps the adapter; `button_style` is `config.userInfoButton`.
    pub fn new(js: JsHost, button_style: JsValue) -> WasmHost {
        let storage = Storage::for_host(&js);
        WasmHost {
            js,
            storage,
            button_style,
        }
    }

    /// `wx.getAccountInfoSync().miniProgram.appId`, when the host has it.
    pub fn app_id(&self) -> Option<String> {
        self.js.app_id().ok().flatten()
    }
}

/// A promise the host returned (or the exception it threw) as a future of its outcome.
fn outcome<T: 'static>(
    call: Caught<Promise>,
    read: impl FnOnce(JsValue) -> T + 'static,
) -> HostFuture<HostResult<T>> {
    Box::pin(async move {
        let promise = call.map_err(|e| failure(&e))?;
        JsFuture::from(promise)
            .await
            .map(read)
            .map_err(|e| failure(&e))
    })
}

/// A `fail` result (or a thrown value) as a [`HostFailure`]: its text, WeChat's `errno` and Douyin's `errNo`.
fn failure(e: &JsValue) -> HostFailure {
    HostFailure {
        err_msg: describe(e),
        errno: whole_at(e, "errno"),
        err_no: whole_at(e, "errNo"),
    }
}

fn whole_at(target: &JsValue, key: &str) -> Option<i64> {
    get(target, key)
        .as_f64()
        .filter(|n| n.fract() == 0.0 && n.abs() < 1e15)
        .map(|n| n as i64)
}

fn user_info_reply(res: JsValue) -> UserInfoReply {
    UserInfoReply {
        user_info: json_text(&get(&res, "userInfo")),
        ..to_reply(&res)
    }
}

/// The options object of a `wx` user-info call (`getUserProfile`, `getUserInfo`, the button's).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserInfoOptions<'a> {
    lang: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    desc: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    with_credentials: Option<bool>,
    /// `config.userInfoButton`, handed over as the object it is.
    #[serde(
        with = "serde_wasm_bindgen::preserve",
        skip_serializing_if = "JsValue::is_undefined"
    )]
    style: JsValue,
}

impl UserInfoOptions<'_> {
    fn new(lang: Lang) -> Self {
        UserInfoOptions {
            lang: lang.as_str(),
            desc: None,
            with_credentials: None,
            style: JsValue::UNDEFINED,
        }
    }
}

/// The options object of `wx.request`: JSON text (a POST, or the erasure's DELETE), the answer asked for as
/// text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestOptions<'a> {
    url: &'a str,
    method: &'static str,
    data: &'a str,
    header: RequestHeader,
    timeout: u32,
    data_type: &'static str,
    response_type: &'static str,
}

#[derive(Serialize)]
struct RequestHeader {
    #[serde(rename = "content-type")]
    content_type: &'static str,
    #[serde(rename = "Authorization", skip_serializing_if = "Option::is_none")]
    authorization: Option<String>,
}

/// The options object of `wx.uploadFile`: the file in the multipart field `file`, the session as a bearer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UploadOptions<'a> {
    url: &'a str,
    file_path: &'a str,
    name: &'static str,
    header: UploadHeader,
    timeout: u32,
}

#[derive(Serialize)]
struct UploadHeader {
    #[serde(rename = "Authorization")]
    authorization: String,
}

/// `options` as the JS object a `wx` call takes (serde-wasm-bindgen; strings, booleans and small numbers
/// always serialise).
fn to_options(options: &impl Serialize) -> JsValue {
    serde_wasm_bindgen::to_value(options).unwrap_or(JsValue::UNDEFINED)
}

impl Host for WasmHost {
    type Text = JsText;
    type Key = StorageKey;

    fn storage_key(&self, name: String) -> StorageKey {
        StorageKey::new(name)
    }

    fn platform(&self) -> Platform {
        Platform::from_code(self.js.platform().unwrap_or(0))
    }

    fn has_user_profile(&self) -> bool {
        self.js.has_api("getUserProfile")
    }

    fn has_user_info(&self) -> bool {
        self.js.has_api("getSetting") && self.js.has_api("getUserInfo")
    }

    fn has_user_info_button(&self) -> bool {
        self.js.has_api("createUserInfoButton")
    }

    fn get_user_profile(&self, desc: &str, lang: Lang) -> HostFuture<HostResult<UserInfoReply>> {
        let options = to_options(&UserInfoOptions {
            desc: Some(desc),
            ..UserInfoOptions::new(lang)
        });
        // Called now, not when the future is first polled: WeChat shows the popup only inside the tap.
        outcome(self.js.get_user_profile(&options), user_info_reply)
    }

    fn user_info_authorised(&self) -> HostFuture<HostResult<bool>> {
        outcome(self.js.get_setting(), |setting| {
            get(&get(&setting, "authSetting"), "scope.userInfo").as_bool() == Some(true)
        })
    }

    fn get_user_info(&self, lang: Lang) -> HostFuture<HostResult<UserInfoReply>> {
        let options = to_options(&UserInfoOptions {
            with_credentials: Some(true),
            ..UserInfoOptions::new(lang)
        });
        outcome(self.js.get_user_info(&options), user_info_reply)
    }

    fn user_info_button(&self, lang: Lang) -> HostFuture<HostResult<UserInfoReply>> {
        let options = to_options(&UserInfoOptions {
            style: self.button_style.clone(),
            ..UserInfoOptions::new(lang)
        });
        outcome(self.js.user_info_button(&options), user_info_reply)
    }

    fn login(&self, force: Option<bool>) -> HostFuture<HostResult<LoginReply>> {
        outcome(self.js.login(force), |res| to_reply::<LoginReply>(&res))
    }

    fn launch_values(&self) -> LaunchValues {
        to_reply(&self.js.launch_options().unwrap_or(JsValue::UNDEFINED))
    }

    fn request(&self, request: Request) -> HostFuture<HostResult<Response>> {
        let options = to_options(&RequestOptions {
            url: &request.url,
            method: request.method.as_str(),
            data: &request.body,
            header: RequestHeader {
                content_type: "application/json",
                authorization: request.bearer.as_ref().map(|jwt| format!("Bearer {jwt}")),
            },
            timeout: request.timeout_ms,
            data_type: "text",
            response_type: "text",
        });
        outcome(self.js.request(&options), response)
    }

    fn has_upload_file(&self) -> bool {
        self.js.has_api("uploadFile")
    }

    fn upload_file(&self, upload: Upload) -> HostFuture<HostResult<Response>> {
        let options = to_options(&UploadOptions {
            url: &upload.url,
            file_path: &upload.file_path,
            name: "file",
            header: UploadHeader {
                authorization: format!("Bearer {}", upload.bearer),
            },
            timeout: upload.timeout_ms,
        });
        outcome(self.js.upload_file(&options), response)
    }

    fn file_size(&self, path: &str) -> Option<u64> {
        // A size that is not a non-negative number (or a throwing statSync) reads as unknown.
        self.js
            .file_size(path)
            .ok()
            .flatten()
            .filter(|n| *n >= 0.0)
            .map(|n| n as u64)
    }

    fn storage_get(&self, key: &StorageKey) -> Stored<JsText> {
        self.storage.get(key)
    }

    fn storage_set(&self, key: &StorageKey, value: &str) -> HostResult<()> {
        self.storage.set(key, value)
    }

    fn storage_remove(&self, key: &StorageKey) {
        self.storage.remove(key)
    }

    fn warn(&self, message: &str) {
        let _ = self.js.warn(message);
    }

    fn now_ms(&self) -> u64 {
        non_negative(js_sys::Date::now())
    }

    fn spawn(&self, task: HostFuture<()>) {
        wasm_bindgen_futures::spawn_local(task);
    }
}

/// A `wx.request` or `wx.uploadFile` result: its status, and its `data` as text (some hosts parse JSON
/// despite dataType "text": it is turned back into text for the core to check).
fn response(res: JsValue) -> Response {
    let data = get(&res, "data");
    let body = data
        .as_string()
        .unwrap_or_else(|| json_text(&data).unwrap_or_default());
    Response {
        body,
        ..to_reply(&res)
    }
}

/// A `getUserProfile` promise the shim opened itself, read like one this host opens.
pub fn opened_popup(promise: Promise) -> HostFuture<HostResult<UserInfoReply>> {
    outcome(Ok(promise), user_info_reply)
}
