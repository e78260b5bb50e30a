//! What the shipped wasm exports: the `Sdk` class behind `wx.tmSDK`, `parseProfile`, and the two hooks the
//! shim registers (error class, panic handler). Nothing else: test-only exports live in
//! `test_exports.rs`, behind the `test-exports` feature.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::convert::{self, json_text, to_argument, to_input, to_js, JsTmError};
use crate::host::{opened_popup, WasmHost};
use crate::js_host::JsHost;
use tmsdk_core::CacheRecord;
use tmsdk_core::Call;
use tmsdk_core::Input;
use tmsdk_core::Profile;
use tmsdk_core::ShareTag;
use tmsdk_core::TmError;

#[wasm_bindgen(inline_js = "export function fresh(o) { return { ...o }; }
export function cachedView(profile, cachedAt, expiresAt, placeholder) {
  return { profile, cachedAt, expiresAt, placeholder };
}
export function isPlain(o) {
  if (o === null || typeof o !== 'object') return false;
  const p = Object.getPrototypeOf(o);
  return p === null || Object.getPrototypeOf(p) === null;
}
export function tagged(o, key, value) {
  try {
    const copy = { ...o };
    if (value !== undefined) copy[key] = value;
    return copy;
  } catch {
    return o;
  }
}")]
extern "C" {
    /// A shallow copy of a profile object: every field is a primitive, so the copy is fresh and independent.
    /// Object spread keeps the engine's fast property layout (`Object.assign` onto `{}` loses it).
    fn fresh(object: &JsValue) -> JsValue;
    /// `getCachedProfile()`'s object, built in JS: no key string crosses the boundary.
    #[wasm_bindgen(js_name = cachedView)]
    fn cached_view(
        profile: &JsValue,
        cached_at: f64,
        expires_at: f64,
        placeholder: bool,
    ) -> JsValue;
    /// Whether a value is a plain object (`{}` or `Object.create(null)`, of any realm): what a share object is.
    #[wasm_bindgen(js_name = isPlain)]
    fn is_plain(object: &JsValue) -> bool;
    /// A copy of a share object with `key` set to `value` (when there is one), or the object itself when it
    /// cannot be copied (a throwing getter): a share is never stopped by the SDK.
    fn tagged(object: &JsValue, key: &str, value: Option<String>) -> JsValue;
}

thread_local! {
    static PANIC_HANDLER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Runs once when the module is instantiated: on a panic, tells the shim's panic handler before the wasm call
/// aborts with a `RuntimeError`, so the shim can reject what is in flight with `INTERNAL` and start again
/// from a fresh state.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        #[cfg(feature = "test-exports")]
        crate::test_exports::record_panic(&message);
        PANIC_HANDLER.with(|h| {
            if let Some(handler) = h.try_borrow().ok().as_ref().and_then(|h| h.as_ref()) {
                let _ = handler.call1(&JsValue::NULL, &JsValue::from_str(&message));
            }
        });
    }));
}

/// Registers the function called with the message of a Rust panic (the shim's recovery).
#[wasm_bindgen(js_name = setPanicHandler)]
pub fn set_panic_handler(handler: Function) {
    PANIC_HANDLER.with(|h| *h.borrow_mut() = Some(handler));
}

/// Registers the JS class used for every error this module throws (the shim's `TmSdkError`).
#[wasm_bindgen(js_name = setErrorClass)]
pub fn set_error_class(class: Function) {
    convert::set_error_class(class);
}

/// `parseProfile(body, appId)`: a backend answer (its text or the parsed object; envelope or bare profile)
/// as the normalised profile object, or a `TmSdkError` (`INVALID_PROFILE` naming the field, `SERVER` for
/// `err != 0`, `INVALID_OPTIONS` for arguments of the wrong type).
#[wasm_bindgen(js_name = parseProfile)]
pub fn parse_profile(body: JsValue, app_id: JsValue) -> Result<JsValue, JsTmError> {
    // A parsed body goes back to text, so the same size cap and parser apply.
    let text = match body.as_string() {
        Some(text) => Some(text),
        None if body.is_object() => Some(json_text(&body).ok_or_else(|| {
            TmError::invalid_profile(
                None,
                "is not plain JSON data (functions, symbols and cycles are not allowed)",
            )
        })?),
        None => None,
    };
    let p = tmsdk_core::parse_text(text.as_deref(), app_id.as_string().as_deref())?;
    Ok(to_js(&p))
}

/// `wx.tmSDK.isPlaceholderProfile(profile)`: whether `profile` is WeChat's anonymous "微信用户".
#[wasm_bindgen(js_name = isPlaceholderProfile)]
pub fn is_placeholder_profile(profile: JsValue) -> bool {
    tmsdk_core::is_placeholder(&to_input(&profile, &["nick_name"]))
}

/// `wx.tmSDK.inRegion(profile, regions)`: whether `login_province` is one of `regions` (first two characters);
/// `INVALID_OPTIONS` unless `regions` is an array of strings.
#[wasm_bindgen(js_name = inRegion)]
pub fn in_region(profile: JsValue, regions: JsValue) -> Result<bool, JsTmError> {
    let entries: Option<Vec<Input>> = Array::is_array(&regions).then(|| {
        Array::from(&regions)
            .iter()
            .map(|v| to_input(&v, &[]))
            .collect()
    });
    Ok(tmsdk_core::in_region(
        &to_input(&profile, &["login_province"]),
        entries.as_deref(),
    )?)
}

/// One installed SDK: what `wx.tmSDK`'s members call.
#[wasm_bindgen(js_name = Sdk)]
pub struct JsSdk {
    sdk: tmsdk_core::Sdk<WasmHost>,
    /// The record a cache hit or `getCachedProfile()` last answered, and a private JS object of its profile:
    /// the next answer for the same record is a copy of that object, nothing converted again.
    last_record: RefCell<Option<(Rc<CacheRecord>, JsValue)>>,
}

#[wasm_bindgen(js_class = Sdk)]
impl JsSdk {
    /// Validates `config` (`INVALID_CONFIG` naming the key) and binds the adapted `host`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, host: JsHost) -> Result<JsSdk, JsTmError> {
        let button_style = convert::get(&config, "userInfoButton");
        let host = WasmHost::new(host, button_style);
        let app_id = host.app_id();
        let sdk = tmsdk_core::Sdk::new(to_argument(&config), app_id.as_deref(), host)?;
        Ok(JsSdk {
            sdk,
            last_record: RefCell::new(None),
        })
    }

    /// Whether `install` should log in at once (`autoLogin`, and not the no-login build).
    #[wasm_bindgen(getter, js_name = autoLogin)]
    pub fn auto_login(&self) -> bool {
        self.sdk.auto_login()
    }

    /// `wx.tmSDK.updateUserProfile(options)`; `popup` is a `getUserProfile` call the shim already opened
    /// while the wasm loaded. A reused record comes back as the profile object itself, not a promise: nothing
    /// is left to settle, so the shim resolves it without tracking a call in flight.
    #[wasm_bindgen(js_name = updateUserProfile)]
    pub fn update_user_profile(&self, options: JsValue, popup: Option<Promise>) -> JsValue {
        let options = to_argument(&options);
        match self.sdk.update_or_reuse(options, popup.map(opened_popup)) {
            Ok(call) => to_promise(call).into(),
            Err(record) => self.record_to_js(&record),
        }
    }

    /// `wx.tmSDK.updateUserInfo(result)` (SkyRiver's call): what the game's own user-info button (or
    /// `getUserInfo`) handed it, posted with the session; the verified profile, cached. Its `userInfo`
    /// object is forwarded as JSON text, unread.
    #[wasm_bindgen(js_name = updateUserInfo)]
    pub fn update_user_info(&self, result: JsValue) -> Promise {
        let user_info = if result.is_object() {
            json_text(&convert::get(&result, "userInfo"))
        } else {
            None
        };
        to_promise(self.sdk.update_user_info(to_argument(&result), user_info))
    }

    /// `wx.tmSDK.fillUserProfile({ avatarPath, nickName })`: what the player filled in (头像昵称填写), uploaded
    /// and checked by the backend; the new profile, cached.
    #[wasm_bindgen(js_name = fillUserProfile)]
    pub fn fill_user_profile(&self, options: JsValue) -> Promise {
        to_promise(self.sdk.fill_user_profile(to_argument(&options)))
    }

    /// `wx.tmSDK.login()`.
    pub fn login(&self) -> Promise {
        to_promise(self.sdk.login())
    }

    /// `wx.tmSDK.getCachedProfile()`: `{ profile, cachedAt, expiresAt }` (epoch ms) or `null`.
    #[wasm_bindgen(js_name = getCachedProfile)]
    pub fn get_cached_profile(&self) -> JsValue {
        let Some((record, expires_at)) = self.sdk.cached_record() else {
            return JsValue::NULL;
        };
        let object = self.record_to_js(&record);
        cached_view(
            &object,
            record.cached_at as f64,
            expires_at as f64,
            record.profile.is_placeholder(),
        )
    }

    /// `wx.tmSDK.clearProfileCache()`.
    #[wasm_bindgen(js_name = clearProfileCache)]
    pub fn clear_profile_cache(&self) {
        self.sdk.clear_profile_cache();
    }

    /// `wx.tmSDK.deleteProfile()`: resolves with `undefined` once the backend erased the player.
    #[wasm_bindgen(js_name = deleteProfile)]
    pub fn delete_profile(&self) -> Promise {
        match self.sdk.delete_profile() {
            Call::Ready(Ok(())) => Promise::resolve(&JsValue::UNDEFINED),
            Call::Ready(Err(e)) => Promise::reject(&JsTmError(e).into()),
            Call::InFlight(flight) => future_to_promise(async move {
                flight.wait().await.map_err(JsTmError)?;
                Ok(JsValue::UNDEFINED)
            }),
        }
    }

    /// `wx.tmSDK.share(options)` and the wrapped share APIs: a copy of a plain share object with the share
    /// code in its `path` (when it has a string one) or its `query`, the share counted. Anything else comes
    /// back as it was, uncounted. Never throws.
    pub fn share(&self, object: JsValue) -> JsValue {
        if !is_plain(&object) {
            return object;
        }
        let path = convert::string_at(&object, "path");
        let query = convert::string_at(&object, "query");
        match self.sdk.share(path.as_deref(), query.as_deref()) {
            ShareTag::Path(path) => tagged(&object, "path", Some(path)),
            ShareTag::Query(query) => tagged(&object, "query", Some(query)),
            ShareTag::Untagged => tagged(&object, "query", None),
        }
    }

    /// The game is in the foreground: the host's show event (`onShow` / `onAppShow`), and the shim's timer
    /// every `CHECKPOINT_MS` (`js-shim/defaults.js`) while it stays there.
    pub fn shown(&self) {
        self.sdk.shown();
    }

    /// The host's hide event (`onHide` / `onAppHide`).
    pub fn hidden(&self) {
        self.sdk.hidden();
    }

    /// What `install` hooks: 1 the share APIs (`trackShares`), 2 the show and hide events (`trackPlayTime`),
    /// or'ed (`js-shim/defaults.js` keeps the two bits, checked against the core's).
    #[wasm_bindgen(getter)]
    pub fn tracking(&self) -> u8 {
        self.sdk.tracking()
    }
}

impl JsSdk {
    /// A fresh JS object for the profile of `record`: a copy of the one built for this very record (the same
    /// text in storage), so nothing is converted again.
    fn record_to_js(&self, record: &Rc<CacheRecord>) -> JsValue {
        if let Some((known, object)) = self.last_record.borrow().as_ref() {
            if Rc::ptr_eq(known, record) {
                return fresh(object);
            }
        }
        let object = to_js(&record.profile);
        let copy = fresh(&object);
        self.last_record.replace(Some((record.clone(), object)));
        copy
    }
}

/// A call's outcome as a promise of a fresh profile object for each caller.
fn to_promise(call: Call<Profile>) -> Promise {
    match call {
        Call::Ready(Ok(profile)) => Promise::resolve(&to_js(&profile)),
        Call::Ready(Err(e)) => Promise::reject(&JsTmError(e).into()),
        // Each caller gets its own promise and its own object of the one shared result.
        Call::InFlight(flight) => future_to_promise(async move {
            let profile = flight.wait().await.map_err(JsTmError)?;
            Ok(to_js(&profile))
        }),
    }
}
