//! Browser tests of the `Sdk` class (src/exports.rs over core/src/flow.rs) called the way js-shim/install.js calls it, with an adapted
//! host from the JS fixtures: no network, so these cover the paths that need none.
#![cfg(target_arch = "wasm32")]

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use tmsdk_profile::encode_record;
use tmsdk_profile::JsHost;
use tmsdk_profile::JsSdk as Sdk;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/fixtures/web.js")]
extern "C" {
    #[wasm_bindgen(js_name = adaptedHost)]
    fn adapted_host(apis: JsValue, app_id: &str, user_info: JsValue) -> JsHost;
    #[wasm_bindgen(js_name = wxApis)]
    fn wx_apis(list: &str) -> JsValue;
    #[wasm_bindgen(js_name = callsOf)]
    fn calls_of(host: &JsValue) -> String;
    #[wasm_bindgen(js_name = storeIn)]
    fn store_in(host: &JsValue, key: &str, value: &str);
    #[wasm_bindgen(js_name = storedIn)]
    fn stored_in(host: &JsValue, key: &str) -> JsValue;
    #[wasm_bindgen(js_name = authorisedProfile)]
    fn authorised_profile() -> JsValue;
    #[wasm_bindgen(js_name = describeError)]
    fn describe_error(e: &JsValue) -> String;
}

const APP: &str = "wxa73fd8e544880e89";
const KEY: &str = "tmsdk.profile.v1.wxa73fd8e544880e89";
const STORAGE: &str = "getStorageSync,setStorageSync,removeStorageSync";

fn config(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn server() -> (&'static str, JsValue) {
    ("server", "https://api.example.com".into())
}

fn host(apis: &str) -> (JsHost, JsValue) {
    let h = adapted_host(wx_apis(apis), APP, JsValue::UNDEFINED);
    let js: JsValue = h.clone().into();
    (h, js)
}

/// What `updateUserProfile` gave, as the promise the shim makes of it (a reused record comes back as the
/// profile object itself).
fn settled(value: JsValue) -> Promise {
    Promise::resolve(&value)
}

async fn rejection(p: Promise) -> String {
    describe_error(&JsFuture::from(p).await.expect_err("should reject"))
}

#[wasm_bindgen_test]
fn bad_config_throws_invalid_config_naming_the_key() {
    let (h, _) = host(STORAGE);
    let e = Sdk::new(config(&[server(), ("profileTtl", (-1).into())]), h)
        .err()
        .map(JsValue::from)
        .expect("rejected");
    let d = describe_error(&e);
    assert!(
        d.contains(r#""code":"INVALID_CONFIG""#) && d.contains(r#""field":"profileTtl""#),
        "{d}"
    );
    let (h, _) = host(STORAGE);
    let e = Sdk::new(config(&[("profileTtl", 60.into())]), h)
        .err()
        .map(JsValue::from)
        .expect("rejected");
    assert!(describe_error(&e).contains(r#""field":"server""#));
}

#[wasm_bindgen_test]
async fn no_user_info_api_is_unsupported_after_no_host_call() {
    let (h, js) = host(STORAGE);
    let sdk = Sdk::new(config(&[server(), ("autoLogin", false.into())]), h).unwrap();
    let d = rejection(settled(sdk.update_user_profile(JsValue::UNDEFINED, None))).await;
    assert!(d.contains(r#""code":"UNSUPPORTED""#), "{d}");
    assert_eq!(
        calls_of(&js),
        "",
        "no session is sought before the user info"
    );
}

#[wasm_bindgen_test]
async fn the_no_login_build_rejects_both_calls() {
    let (h, js) = host(&format!("{STORAGE},getUserProfile"));
    let sdk = Sdk::new(config(&[("noLogin", true.into())]), h).unwrap();
    assert!(!sdk.auto_login());
    assert!(
        rejection(settled(sdk.update_user_profile(JsValue::UNDEFINED, None)))
            .await
            .contains("NO_LOGIN_SDK")
    );
    assert!(rejection(sdk.login()).await.contains("NO_LOGIN_SDK"));
    assert_eq!(calls_of(&js), "");
}

#[wasm_bindgen_test]
async fn a_fresh_authorised_record_is_reused_without_any_host_call() {
    let (h, js) = host(&format!("{STORAGE},getUserProfile"));
    let now = js_sys::Date::now();
    store_in(
        &js,
        KEY,
        &encode_record(APP, now, authorised_profile()).unwrap(),
    );
    let sdk = Sdk::new(config(&[server()]), h).unwrap();
    let p = JsFuture::from(settled(sdk.update_user_profile(JsValue::UNDEFINED, None)))
        .await
        .unwrap();
    assert_eq!(
        Reflect::get(&p, &"nick_name".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("小明")
    );
    assert_eq!(calls_of(&js), "");
    let cached = sdk.get_cached_profile();
    assert_eq!(
        Reflect::get(&cached, &"cachedAt".into()).unwrap().as_f64(),
        Some(now.floor())
    );
}

#[wasm_bindgen_test]
async fn deny_keeps_the_record_and_hands_it_back_as_cached() {
    let (h, js) = host(&format!("{STORAGE},getUserProfile"));
    let text = encode_record(APP, js_sys::Date::now(), authorised_profile()).unwrap();
    store_in(&js, KEY, &text);
    let sdk = Sdk::new(config(&[server(), ("autoLogin", false.into())]), h).unwrap();
    let options = config(&[("refresh", true.into())]);
    let e = JsFuture::from(settled(sdk.update_user_profile(options, None)))
        .await
        .expect_err("denied");
    assert!(describe_error(&e).contains(r#""code":"AUTH_DENIED""#));
    let cached = Reflect::get(&e, &"cached".into()).unwrap();
    assert_eq!(
        Reflect::get(&cached, &"nick_name".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("小明")
    );
    assert_eq!(
        stored_in(&js, KEY).as_string(),
        Some(text),
        "the record is intact"
    );
    assert_eq!(calls_of(&js), "getUserProfile");
}

#[wasm_bindgen_test]
async fn mini_game_path_falls_through_to_the_button_and_a_corrupt_record_is_removed() {
    let (h, js) = host(&format!(
        "{STORAGE},getSetting,getUserInfo,createUserInfoButton"
    ));
    store_in(&js, KEY, "{corrupt");
    let sdk = Sdk::new(config(&[server(), ("autoLogin", false.into())]), h).unwrap();
    assert!(sdk.get_cached_profile().is_null());
    assert_eq!(
        stored_in(&js, KEY).as_string().as_deref(),
        Some(""),
        "removed"
    );
    let d = rejection(settled(sdk.update_user_profile(JsValue::UNDEFINED, None))).await;
    assert!(d.contains(r#""code":"AUTH_DENIED""#), "{d}");
    assert_eq!(
        calls_of(&js),
        "getSetting,userInfoButton",
        "not authorised: straight to the button"
    );
}
