//! Browser tests: the wasm exports called with JS values the way the shim and game code pass them, in
//! headless Chromium (`wasm-pack test --headless --chrome`).
#![cfg(target_arch = "wasm32")]

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use tmsdk_profile::*;
use tmsdk_profile::{parse_profile, set_error_class};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/fixtures/web.js")]
extern "C" {
    #[wasm_bindgen(js_name = errorClass)]
    fn error_class() -> Function;
    #[wasm_bindgen(js_name = isFixtureError)]
    fn is_fixture_error(e: &JsValue) -> bool;
    #[wasm_bindgen(js_name = describeError)]
    fn describe_error(e: &JsValue) -> String;
    #[wasm_bindgen(js_name = seedProfile)]
    fn seed_profile() -> JsValue;
    #[wasm_bindgen(js_name = seedEnvelopeText)]
    fn seed_envelope_text() -> String;
    #[wasm_bindgen(js_name = authorisedProfile)]
    fn authorised_profile() -> JsValue;
    #[wasm_bindgen(js_name = optionsWithThrowingGetter)]
    fn options_with_throwing_getter() -> JsValue;
    #[wasm_bindgen(js_name = optionsWithSymbol)]
    fn options_with_symbol() -> JsValue;
    #[wasm_bindgen(js_name = optionsWithBigInt)]
    fn options_with_big_int() -> JsValue;
    #[wasm_bindgen(js_name = optionsAsClassInstance)]
    fn options_as_class_instance() -> JsValue;
    #[wasm_bindgen(js_name = wxLikeHost)]
    fn wx_like_host() -> JsValue;
    #[wasm_bindgen(js_name = keysOf)]
    fn keys_of(o: &JsValue) -> String;
    #[wasm_bindgen(js_name = typesOf)]
    fn types_of(o: &JsValue) -> String;
    #[wasm_bindgen(js_name = isPlainObject)]
    fn is_plain_object(o: &JsValue) -> bool;
    #[wasm_bindgen(js_name = prototypeIsClean)]
    fn prototype_is_clean() -> bool;
    #[wasm_bindgen(js_name = toJson)]
    fn to_json(v: &JsValue) -> String;
}

const APP: &str = "wxa73fd8e544880e89";

fn js_object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn get(o: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(o, &JsValue::from_str(key)).unwrap()
}

fn parse(body: &str, app_id: &str) -> Result<JsValue, JsValue> {
    parse_profile(body.into(), app_id.into()).map_err(JsValue::from)
}

#[wasm_bindgen_test]
fn parse_profile_refuses_arguments_that_are_not_strings() {
    assert_error(
        parse_profile(JsValue::from(5), APP.into()).unwrap_err(),
        "INVALID_OPTIONS",
        Some("body"),
    );
    assert_error(
        parse_profile("{}".into(), JsValue::NULL).unwrap_err(),
        "INVALID_OPTIONS",
        Some("appId"),
    );
}

/// `e` (a `JsTmError` an export returns, or a `JsValue` thrown) seen from JS.
fn assert_error(e: impl Into<JsValue>, code: &str, field: Option<&str>) {
    let d = describe_error(&e.into());
    assert!(d.contains(r#""isError":true"#), "{d}");
    assert!(d.contains(r#""name":"TmSdkError""#), "{d}");
    assert!(d.contains(&format!(r#""code":"{code}""#)), "{d}");
    assert!(d.contains(r#""hasMessage":true"#), "{d}");
    if let Some(f) = field {
        assert!(d.contains(&format!(r#""field":"{f}""#)), "{d}");
    }
}

#[wasm_bindgen_test]
fn options_default_when_undefined() {
    let o = parse_options(JsValue::UNDEFINED).unwrap();
    assert_eq!(to_json(&o), r#"{"refresh":false,"desc":"更新用户信息"}"#);
}

#[wasm_bindgen_test]
fn options_accept_the_fresh_alias_and_class_instances() {
    let o = parse_options(js_object(&[("fresh", true.into())])).unwrap();
    assert_eq!(get(&o, "refresh"), JsValue::TRUE);
    let o = parse_options(options_as_class_instance()).unwrap();
    assert_eq!(to_json(&o), r#"{"refresh":true,"desc":"排行榜"}"#);
}

#[wasm_bindgen_test]
fn bad_options_throw_a_real_error_naming_the_key() {
    let e = parse_options(js_object(&[("desc", 5.into())])).unwrap_err();
    assert_error(e, "INVALID_OPTIONS", Some("desc"));
    let e = parse_options(js_object(&[("refresh", "yes".into())])).unwrap_err();
    assert_error(e, "INVALID_OPTIONS", Some("refresh"));
    let e = parse_options(js_object(&[("desc", "x".repeat(31).into())])).unwrap_err();
    assert_error(e, "INVALID_OPTIONS", Some("desc"));
}

#[wasm_bindgen_test]
fn hostile_option_values_are_typed_errors_not_crashes() {
    assert_error(
        parse_options(options_with_throwing_getter()).unwrap_err(),
        "INVALID_OPTIONS",
        Some("refresh"),
    );
    assert_error(
        parse_options(options_with_symbol()).unwrap_err(),
        "INVALID_OPTIONS",
        Some("desc"),
    );
    assert_error(
        parse_options(options_with_big_int()).unwrap_err(),
        "INVALID_OPTIONS",
        Some("refresh"),
    );
    assert_error(
        parse_options("refresh".into()).unwrap_err(),
        "INVALID_OPTIONS",
        Some("options"),
    );
}

#[wasm_bindgen_test]
fn errors_use_the_registered_class() {
    set_error_class(error_class());
    let e = JsValue::from(parse_options(js_object(&[("lang", "fr".into())])).unwrap_err());
    assert!(is_fixture_error(&e));
    assert_error(e, "INVALID_OPTIONS", Some("lang"));
}

#[wasm_bindgen_test]
fn config_defaults_and_host_app_id() {
    let c = parse_config(
        js_object(&[
            ("server", "https://api.example.com/".into()),
            ("host", wx_like_host()),
        ]),
        Some("wxhost".into()),
    )
    .unwrap();
    assert_eq!(
        to_json(&c),
        r#"{"server":"https://api.example.com","appId":"wxhost","profileTtl":604800,"noLogin":false,"autoLogin":true,"lang":"zh_CN","timeout":10000}"#
    );
}

#[wasm_bindgen_test]
fn bad_config_names_the_key() {
    let e = parse_config(js_object(&[("appId", "wx1".into())]), None).unwrap_err();
    assert_error(e, "INVALID_CONFIG", Some("server"));
    let e = parse_config(js_object(&[("server", "https://a".into())]), None).unwrap_err();
    assert_error(e, "INVALID_CONFIG", Some("appId"));
    let e = parse_config(
        js_object(&[
            ("server", "https://a".into()),
            ("appId", "wx1".into()),
            ("profileTtl", (-1).into()),
        ]),
        None,
    )
    .unwrap_err();
    assert_error(e, "INVALID_CONFIG", Some("profileTtl"));
    let e = parse_config(
        js_object(&[("noLogin", true.into()), ("host", "wx".into())]),
        Some("wx1".into()),
    )
    .unwrap_err();
    assert_error(e, "INVALID_CONFIG", Some("host"));
}

#[wasm_bindgen_test]
fn the_seed_envelope_becomes_a_plain_object_with_documented_types_in_order() {
    let p = parse(&seed_envelope_text(), APP).unwrap();
    assert!(is_plain_object(&p));
    assert_eq!(
        keys_of(&p),
        r#"["pid","app_id","open_id","union_id","nick_name","avatar_url","gender","city","province","country","language","gold","diamond","share_new","share_times","online_days","online_duration","last_login_time","login_times","from_scene","from_code","is_new","ofp","jwt","login_province","login_city","login_district"]"#
    );
    let types = types_of(&p);
    for (k, t) in [
        ("gender", "number"),
        ("is_new", "boolean"),
        ("last_login_time", "number"),
        ("from_scene", "string"),
    ] {
        assert!(types.contains(&format!(r#""{k}":"{t}""#)), "{types}");
    }
    assert_eq!(get(&p, "last_login_time").as_f64(), Some(1_551_690_740.0));
}

#[wasm_bindgen_test]
fn prototype_keys_never_reach_js() {
    let body = r#"{"open_id":"abc","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":1}}}"#;
    let p = parse(body, APP).unwrap();
    assert!(is_plain_object(&p));
    assert!(prototype_is_clean());
    assert!(!keys_of(&p).contains("proto") && !keys_of(&p).contains("constructor"));
}

#[wasm_bindgen_test]
fn server_and_profile_errors_carry_their_details() {
    let e = parse(r#"{"err":1001,"msg":"小程序session解析错误"}"#, APP).unwrap_err();
    assert_error(e.clone(), "SERVER", None);
    let d = describe_error(&e);
    assert!(
        d.contains(r#""serverErr":1001"#) && d.contains("小程序session解析错误"),
        "{d}"
    );
    assert_error(
        parse("{not json", APP).unwrap_err(),
        "INVALID_PROFILE",
        None,
    );
    let other_app = r#"{"open_id":"abc","app_id":"wxother"}"#;
    assert_error(
        parse(other_app, APP).unwrap_err(),
        "INVALID_PROFILE",
        Some("app_id"),
    );
}

#[wasm_bindgen_test]
fn records_round_trip_through_storage_strings() {
    let text = encode_record(APP, 1_700_000_000_000.0, authorised_profile()).unwrap();
    assert!(
        text.starts_with(r#"{"v":1,"app_id":"wxa73fd8e544880e89","cached_at":1700000000000,"#),
        "{text}"
    );
    let r = read_record(text.into(), APP, 3600.0);
    assert_eq!(get(&r, "cachedAt").as_f64(), Some(1_700_000_000_000.0));
    assert_eq!(get(&r, "expiresAt").as_f64(), Some(1_700_003_600_000.0));
    assert_eq!(
        get(&get(&r, "profile"), "nick_name").as_string().as_deref(),
        Some("小明")
    );
    assert_eq!(storage_key(APP), "tmsdk.profile.v1.wxa73fd8e544880e89");
}

#[wasm_bindgen_test]
fn absent_and_corrupt_stored_values_are_told_apart() {
    assert!(read_record("".into(), APP, 60.0).is_null());
    assert!(read_record(JsValue::NULL, APP, 60.0).is_null());
    assert!(read_record(JsValue::UNDEFINED, APP, 60.0).is_null());
    for bad in [
        JsValue::from_str("{garbage"),
        JsValue::from(42),
        seed_profile(),
    ] {
        let r = read_record(bad, APP, 60.0);
        assert_eq!(get(&r, "corrupt"), JsValue::TRUE, "{}", to_json(&r));
    }
}

#[wasm_bindgen_test]
fn encode_record_refuses_a_profile_that_breaks_the_rules() {
    let mut bad = seed_profile();
    js_sys::Reflect::set(&bad, &"avatar_url".into(), &"javascript:alert(1)".into()).unwrap();
    assert_error(
        encode_record(APP, 1.0, bad.clone()).unwrap_err(),
        "INVALID_PROFILE",
        Some("avatar_url"),
    );
    bad = JsValue::from(7);
    assert_error(
        encode_record(APP, 1.0, bad).unwrap_err(),
        "INVALID_PROFILE",
        None,
    );
}

#[wasm_bindgen_test]
fn the_cache_decision_from_js_values() {
    let t0 = 1_700_000_000_000.0;
    let text: JsValue = encode_record(APP, t0, authorised_profile()).unwrap().into();
    let d = |now: f64, refresh: bool, ttl: f64| {
        to_json(&decide_cache(text.clone(), APP, ttl, now, refresh))
    };
    assert_eq!(d(t0 + 1000.0, false, 60.0), r#"{"reuse":true}"#);
    assert_eq!(
        d(t0 + 1000.0, true, 60.0),
        r#"{"reuse":false,"reason":"Refresh"}"#
    );
    assert_eq!(
        d(t0 + 60_000.0, false, 60.0),
        r#"{"reuse":false,"reason":"Expired"}"#
    );
    assert_eq!(d(t0, false, 0.0), r#"{"reuse":false,"reason":"TtlZero"}"#);
    assert_eq!(
        d(t0 - 600_000.0, false, 60.0),
        r#"{"reuse":false,"reason":"FromFuture"}"#
    );
    let seed: JsValue = encode_record(APP, t0, seed_profile()).unwrap().into();
    assert_eq!(
        to_json(&decide_cache(seed, APP, 60.0, t0, false)),
        r#"{"reuse":false,"reason":"NotAuthorised"}"#
    );
    assert_eq!(
        to_json(&decide_cache("junk".into(), APP, 60.0, t0, false)),
        r#"{"reuse":false,"reason":"NoRecord"}"#
    );
}

#[wasm_bindgen_test]
fn error_codes_are_the_spec_list() {
    let codes = error_codes();
    assert_eq!(codes.len(), tmsdk_core::ErrorCode::ALL.len());
    for (js, code) in codes.iter().zip(tmsdk_core::ErrorCode::ALL) {
        assert_eq!(js, code.as_str());
    }
    assert_eq!(codes.first().map(String::as_str), Some("INVALID_CONFIG"));
    assert_eq!(codes.last().map(String::as_str), Some("INTERNAL"));
}
