//! The host, bound by shape: the adapter object that `js-shim/host.js` builds around `wx` (or any wx-like
//! object). Every callback API is a promise here; storage calls are synchronous and may throw.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The adapted host (see `js-shim/host.js`).
    pub type Host;

    /// Whether `wx[api]` is a function.
    #[wasm_bindgen(method, structural)]
    pub fn has(this: &Host, api: &str) -> bool;

    /// `wx.getUserProfile(options)`; called synchronously, so it must run inside the caller's tap.
    #[wasm_bindgen(method, structural, js_name = getUserProfile)]
    pub fn get_user_profile(this: &Host, options: &JsValue) -> Promise;

    /// `wx.getSetting()`.
    #[wasm_bindgen(method, structural, js_name = getSetting)]
    pub fn get_setting(this: &Host) -> Promise;

    /// `wx.getUserInfo(options)`.
    #[wasm_bindgen(method, structural, js_name = getUserInfo)]
    pub fn get_user_info(this: &Host, options: &JsValue) -> Promise;

    /// `wx.createUserInfoButton(…)`: resolves with the first `onTap` result; the button is destroyed then.
    #[wasm_bindgen(method, structural, js_name = userInfoButton)]
    pub fn user_info_button(this: &Host, options: &JsValue) -> Promise;

    /// `wx.login()`.
    #[wasm_bindgen(method, structural)]
    pub fn login(this: &Host) -> Promise;

    /// `wx.getLaunchOptionsSync()`, or `undefined`.
    #[wasm_bindgen(method, structural, js_name = launchOptions)]
    pub fn launch_options(this: &Host) -> JsValue;

    /// `wx.getAccountInfoSync().miniProgram.appId`, when the host has it.
    #[wasm_bindgen(method, structural, js_name = appId)]
    pub fn app_id(this: &Host) -> Option<String>;

    /// `wx.request(options)`: resolves with the success result (any HTTP status), rejects with the fail one.
    #[wasm_bindgen(method, structural)]
    pub fn request(this: &Host, options: &JsValue) -> Promise;

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
    #[wasm_bindgen(method, structural)]
    pub fn warn(this: &Host, message: &str);
}
