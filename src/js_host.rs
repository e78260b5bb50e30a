//! The bindings of the adapted host that `js-shim/host.js` builds around `wx` (or any wx-like object), bound
//! by shape. Every binding catches a JS exception (`catch`): an exception thrown through wasm frames would
//! abandon them half-way (borrows held, tasks never finished), which is how a module dies. `host` and
//! `storage` both call through here.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

/// What a binding gives: the value, or the JS exception it caught.
pub(crate) type Caught<T> = Result<T, JsValue>;

#[wasm_bindgen]
extern "C" {
    /// The adapted host (see `js-shim/host.js`).
    #[derive(Clone)]
    pub type JsHost;

    /// The platform's code (`tmsdk_core::Platform::code`): a number, which costs the wasm less than a name.
    #[wasm_bindgen(method, structural, catch, js_name = platform)]
    pub(crate) fn platform(this: &JsHost) -> Caught<u32>;
    #[wasm_bindgen(method, structural, catch, js_name = has)]
    pub(crate) fn has(this: &JsHost, api: &str) -> Caught<bool>;
    #[wasm_bindgen(method, structural, catch, js_name = getUserProfile)]
    pub(crate) fn get_user_profile(this: &JsHost, options: &JsValue) -> Caught<Promise>;
    #[wasm_bindgen(method, structural, catch, js_name = getSetting)]
    pub(crate) fn get_setting(this: &JsHost) -> Caught<Promise>;
    #[wasm_bindgen(method, structural, catch, js_name = getUserInfo)]
    pub(crate) fn get_user_info(this: &JsHost, options: &JsValue) -> Caught<Promise>;
    #[wasm_bindgen(method, structural, catch, js_name = userInfoButton)]
    pub(crate) fn user_info_button(this: &JsHost, options: &JsValue) -> Caught<Promise>;
    /// `force`: Douyin's `tt.login({ force })`; `None` elsewhere (`wx.login({})`).
    #[wasm_bindgen(method, structural, catch, js_name = login)]
    pub(crate) fn login(this: &JsHost, force: Option<bool>) -> Caught<Promise>;
    #[wasm_bindgen(method, structural, catch, js_name = launchOptions)]
    pub(crate) fn launch_options(this: &JsHost) -> Caught<JsValue>;
    #[wasm_bindgen(method, structural, catch, js_name = appId)]
    pub(crate) fn app_id(this: &JsHost) -> Caught<Option<String>>;
    #[wasm_bindgen(method, structural, catch, js_name = request)]
    pub(crate) fn request(this: &JsHost, options: &JsValue) -> Caught<Promise>;
    #[wasm_bindgen(method, structural, catch, js_name = uploadFile)]
    pub(crate) fn upload_file(this: &JsHost, options: &JsValue) -> Caught<Promise>;
    #[wasm_bindgen(method, structural, catch, js_name = fileSize)]
    pub(crate) fn file_size(this: &JsHost, path: &str) -> Caught<Option<f64>>;
    #[wasm_bindgen(method, structural, catch, js_name = storageGet)]
    pub(crate) fn storage_get(this: &JsHost, key: &JsValue) -> Caught<JsValue>;
    #[wasm_bindgen(method, structural, catch, js_name = storageSet)]
    pub(crate) fn storage_set(this: &JsHost, key: &JsValue, value: &str) -> Caught<()>;
    #[wasm_bindgen(method, structural, catch, js_name = storageRemove)]
    pub(crate) fn storage_remove(this: &JsHost, key: &JsValue) -> Caught<()>;
    #[wasm_bindgen(method, structural, catch, js_name = warn)]
    pub(crate) fn warn(this: &JsHost, message: &str) -> Caught<()>;
}

impl JsHost {
    /// Whether `wx[api]` is a function (a throwing check reads as "no").
    pub(crate) fn has_api(&self, api: &str) -> bool {
        self.has(api).unwrap_or(false)
    }
}
