//! The host, bound by shape: the adapter object that `js-shim/host.js` builds around `wx` (or any wx-like
//! object). Every callback API is a promise here; storage calls are synchronous and may throw.
//!
//! The host is not trusted: every binding catches a JS exception (`catch`), and the inherent methods turn
//! one into a rejected promise or an absent value. An exception thrown through wasm frames would abandon
//! them half-way (borrows held, tasks never finished), which is how a module dies.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

type Caught<T> = Result<T, JsValue>;

#[wasm_bindgen]
extern "C" {
    /// The adapted host (see `js-shim/host.js`).
    pub type Host;

    /// Whether `wx[api]` is a function.
    #[wasm_bindgen(method, structural, catch, js_name = has)]
    fn raw_has(this: &Host, api: &str) -> Caught<bool>;

    /// `wx.getUserProfile(options)`; called synchronously, so it must run inside the caller's tap.
    #[wasm_bindgen(method, structural, catch, js_name = getUserProfile)]
    fn raw_get_user_profile(this: &Host, options: &JsValue) -> Caught<Promise>;

    /// `wx.getSetting()`.
    #[wasm_bindgen(method, structural, catch, js_name = getSetting)]
    fn raw_get_setting(this: &Host) -> Caught<Promise>;

    /// `wx.getUserInfo(options)`.
    #[wasm_bindgen(method, structural, catch, js_name = getUserInfo)]
    fn raw_get_user_info(this: &Host, options: &JsValue) -> Caught<Promise>;

    /// `wx.createUserInfoButton(…)`: resolves with the first `onTap` result; the button is destroyed then.
    #[wasm_bindgen(method, structural, catch, js_name = userInfoButton)]
    fn raw_user_info_button(this: &Host, options: &JsValue) -> Caught<Promise>;

    /// `wx.login()`.
    #[wasm_bindgen(method, structural, catch, js_name = login)]
    fn raw_login(this: &Host) -> Caught<Promise>;

    /// `wx.getLaunchOptionsSync()`, or `undefined`.
    #[wasm_bindgen(method, structural, catch, js_name = launchOptions)]
    fn raw_launch_options(this: &Host) -> Caught<JsValue>;

    /// `wx.getAccountInfoSync().miniProgram.appId`, when the host has it.
    #[wasm_bindgen(method, structural, catch, js_name = appId)]
    fn raw_app_id(this: &Host) -> Caught<Option<String>>;

    /// `wx.request(options)`: resolves with the success result (any HTTP status), rejects with the fail one.
    #[wasm_bindgen(method, structural, catch, js_name = request)]
    fn raw_request(this: &Host, options: &JsValue) -> Caught<Promise>;

    /// `wx.getStorageSync(key)`.
    #[wasm_bindgen(method, structural, catch, js_name = storageGet)]
    pub fn storage_get(this: &Host, key: &str) -> Result<JsValue, JsValue>;

    /// `wx.setStorageSync(key, value)`.
    #[wasm_bindgen(method, structural, catch, js_name = storageSet)]
    pub fn storage_set(this: &Host, key: &str, value: &str) -> Result<(), JsValue>;

    /// `wx.removeStorageSync(key)`.
    #[wasm_bindgen(method, structural, catch, js_name = storageRemove)]
    pub fn storage_remove(this: &Host, key: &str) -> Result<(), JsValue>;

    /// `console.warn(message)`.
    #[wasm_bindgen(method, structural, catch, js_name = warn)]
    fn raw_warn(this: &Host, message: &str) -> Caught<()>;
}

/// A synchronous throw from a promise-returning host method reads as a rejection.
fn settle(call: Caught<Promise>) -> Promise {
    call.unwrap_or_else(|e| Promise::reject(&e))
}

impl Host {
    /// Whether `wx[api]` is a function.
    pub fn has(&self, api: &str) -> bool {
        self.raw_has(api).unwrap_or(false)
    }

    /// `wx.getUserProfile(options)`; called synchronously, so it must run inside the caller's tap.
    pub fn get_user_profile(&self, options: &JsValue) -> Promise {
        settle(self.raw_get_user_profile(options))
    }

    /// `wx.getSetting()`.
    pub fn get_setting(&self) -> Promise {
        settle(self.raw_get_setting())
    }

    /// `wx.getUserInfo(options)`.
    pub fn get_user_info(&self, options: &JsValue) -> Promise {
        settle(self.raw_get_user_info(options))
    }

    /// `wx.createUserInfoButton(…)`: the first `onTap` result; the button is destroyed then.
    pub fn user_info_button(&self, options: &JsValue) -> Promise {
        settle(self.raw_user_info_button(options))
    }

    /// `wx.login()`.
    pub fn login(&self) -> Promise {
        settle(self.raw_login())
    }

    /// `wx.getLaunchOptionsSync()`, or `undefined`.
    pub fn launch_options(&self) -> JsValue {
        self.raw_launch_options().unwrap_or(JsValue::UNDEFINED)
    }

    /// `wx.getAccountInfoSync().miniProgram.appId`, when the host has it.
    pub fn app_id(&self) -> Option<String> {
        self.raw_app_id().ok().flatten()
    }

    /// `wx.request(options)`: resolves with the success result (any HTTP status), rejects with the fail one.
    pub fn request(&self, options: &JsValue) -> Promise {
        settle(self.raw_request(options))
    }

    /// `console.warn(message)`; a failing console is ignored.
    pub fn warn(&self, message: &str) {
        let _ = self.raw_warn(message);
    }
}
