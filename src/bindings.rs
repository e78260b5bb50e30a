//! The thin `#[wasm_bindgen]` layer: converts JS values to the pure core's types and back. No rule lives
//! here. Errors cross as real JS `Error` objects (instances of the shim's `TmSdkError` once it has called
//! [`set_error_class`]) with `.code` and the details of SPEC §8.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::cache::{self, CacheRecord, Decision};
use crate::config::Config;
use crate::error::{ErrorCode, TmError};
use crate::input::Input;
use crate::options::UpdateOptions;
use crate::profile::{self, Profile};

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    static PANIC_HANDLER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Keys read from `updateUserProfile`'s options object.
pub(crate) const OPTION_KEYS: &[&str] = &["refresh", "fresh", "desc", "lang"];
/// Keys read from `install`'s config object.
pub(crate) const CONFIG_KEYS: &[&str] = &[
    "server",
    "appId",
    "profileTtl",
    "noLogin",
    "autoLogin",
    "lang",
    "timeout",
    "userInfoButton",
    "wasmPath",
    "host",
];

/// Runs once when the module is instantiated: on a panic, records the message and tells the shim's panic
/// handler, before the wasm call aborts with a `RuntimeError`, so the shim can reject what is in flight with
/// `INTERNAL` and start again from a fresh state.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        LAST_PANIC.with(|p| {
            if let Ok(mut slot) = p.try_borrow_mut() {
                *slot = Some(message.clone());
            }
        });
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

/// Panics on purpose, so tests (and developers) can check that a Rust panic surfaces as `INTERNAL` and
/// that the SDK keeps working afterwards.
#[wasm_bindgen(js_name = debugPanic)]
pub fn debug_panic(message: &str) {
    panic!("debugPanic: {message}");
}

/// Registers the JS class used for every error this module throws (the shim's `TmSdkError`).
#[wasm_bindgen(js_name = setErrorClass)]
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// The message of the last Rust panic, once; `undefined` when there was none since the last call.
#[wasm_bindgen(js_name = takePanicMessage)]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

/// Every error code, in the order of SPEC §8.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect()
}

/// Validates `updateUserProfile`'s options: `{ refresh, desc, lang }` (lang `undefined` when not given).
#[wasm_bindgen(js_name = parseOptions)]
pub fn parse_options(options: JsValue) -> Result<JsValue, JsValue> {
    let parsed =
        UpdateOptions::parse(&to_input(&options, OPTION_KEYS)).map_err(|e| to_js_error(&e))?;
    let out = Object::new();
    set(&out, "refresh", &parsed.refresh.into());
    set(&out, "desc", &parsed.desc.into());
    set(&out, "lang", &parsed.lang.map(|l| l.as_str()).into());
    Ok(out.into())
}

/// Validates `install`'s config; `hostAppId` is `wx.getAccountInfoSync().miniProgram.appId` when known.
#[wasm_bindgen(js_name = parseConfig)]
pub fn parse_config(config: JsValue, host_app_id: Option<String>) -> Result<JsValue, JsValue> {
    let c = Config::parse(&to_input(&config, CONFIG_KEYS), host_app_id.as_deref())
        .map_err(|e| to_js_error(&e))?;
    let out = Object::new();
    set(&out, "server", &c.server.into());
    set(&out, "appId", &c.app_id.into());
    set(&out, "profileTtl", &(c.profile_ttl_secs as f64).into());
    set(&out, "noLogin", &c.no_login.into());
    set(&out, "autoLogin", &c.auto_login.into());
    set(&out, "lang", &c.lang.as_str().into());
    set(&out, "timeout", &c.timeout_ms.into());
    Ok(out.into())
}

/// Parses a backend answer (envelope or bare profile) into the normalised profile object.
#[wasm_bindgen(js_name = parseProfile)]
pub fn parse_profile(body: &str, app_id: &str) -> Result<JsValue, JsValue> {
    let p = profile::parse_body(body, app_id).map_err(|e| to_js_error(&e))?;
    Ok(to_js(&p))
}

/// The storage key of an app's cache record.
#[wasm_bindgen(js_name = storageKey)]
pub fn storage_key(app_id: &str) -> String {
    cache::storage_key(app_id)
}

/// The cache record string for `profile` (validated again), received at `cachedAt` epoch ms.
#[wasm_bindgen(js_name = encodeRecord)]
pub fn encode_record(app_id: &str, cached_at: f64, profile: JsValue) -> Result<String, JsValue> {
    let value = json_of(&profile).ok_or_else(|| {
        to_js_error(&TmError::invalid_profile(
            None,
            "is not plain JSON data (functions, symbols and cycles are not allowed)",
        ))
    })?;
    let p = Profile::from_value(&value, app_id).map_err(|e| to_js_error(&e))?;
    Ok(CacheRecord::new(app_id, non_negative(cached_at), p).to_json())
}

/// Reads a stored value: `null` when absent, `{ corrupt: true, reason }` when it must be removed, else
/// `{ profile, cachedAt, expiresAt }` (epoch ms).
#[wasm_bindgen(js_name = readRecord)]
pub fn read_record(stored: JsValue, app_id: &str, ttl_secs: f64) -> JsValue {
    match stored_record(&stored, app_id) {
        StoredRecord::Absent => JsValue::NULL,
        StoredRecord::Corrupt(reason) => {
            let out = Object::new();
            set(&out, "corrupt", &true.into());
            set(&out, "reason", &reason.into());
            out.into()
        }
        StoredRecord::Valid(r) => {
            let out = Object::new();
            set(&out, "profile", &to_js(&r.profile));
            set(&out, "cachedAt", &(r.cached_at as f64).into());
            set(
                &out,
                "expiresAt",
                &(r.expires_at(non_negative(ttl_secs)) as f64).into(),
            );
            out.into()
        }
    }
}

/// The reuse decision for a stored value at `now` (epoch ms): `{ reuse, reason }`, `reason` being
/// `undefined` on reuse or the `PromptReason` name.
#[wasm_bindgen(js_name = decideCache)]
pub fn decide_cache(
    stored: JsValue,
    app_id: &str,
    ttl_secs: f64,
    now: f64,
    refresh: bool,
) -> JsValue {
    let record = match stored_record(&stored, app_id) {
        StoredRecord::Valid(r) => Some(*r),
        _ => None,
    };
    let decision = cache::decide(
        record.as_ref(),
        app_id,
        non_negative(ttl_secs),
        non_negative(now),
        refresh,
    );
    let out = Object::new();
    set(&out, "reuse", &(decision == Decision::Reuse).into());
    if let Decision::Prompt(reason) = decision {
        set(&out, "reason", &reason.as_str().into());
    }
    out.into()
}

enum StoredRecord {
    Absent,
    Corrupt(String),
    Valid(Box<CacheRecord>),
}

/// WeChat's `getStorageSync` gives `""` for a missing key; browsers give `null`.
fn stored_record(stored: &JsValue, app_id: &str) -> StoredRecord {
    match stored.as_string() {
        _ if stored.is_undefined() || stored.is_null() => StoredRecord::Absent,
        Some(s) if s.is_empty() => StoredRecord::Absent,
        Some(s) => match CacheRecord::parse(&s, app_id) {
            Ok(r) => StoredRecord::Valid(Box::new(r)),
            Err(reason) => StoredRecord::Corrupt(reason.as_str().to_string()),
        },
        None => StoredRecord::Corrupt("NotARecord".to_string()),
    }
}

/// A JS clock value or duration as a whole number (negative or NaN values read as 0).
pub(crate) fn non_negative(n: f64) -> u64 {
    if n.is_finite() && n > 0.0 {
        n as u64
    } else {
        0
    }
}

/// Reads a JS value into the pure [`Input`], following only `keys` of an object (one level deep).
pub(crate) fn to_input(value: &JsValue, keys: &[&str]) -> Input {
    to_input_at(value, keys, true)
}

fn to_input_at(value: &JsValue, keys: &[&str], follow: bool) -> Input {
    if value.is_undefined() {
        Input::Undefined
    } else if value.is_null() {
        Input::Null
    } else if let Some(b) = value.as_bool() {
        Input::Bool(b)
    } else if let Some(n) = value.as_f64() {
        Input::Number(n)
    } else if let Some(s) = value.as_string() {
        Input::String(s)
    } else if Array::is_array(value) {
        Input::Array
    } else if value.is_function() {
        Input::Function
    } else if value.is_object() {
        let fields = if follow {
            keys.iter()
                .map(|k| {
                    // A throwing getter reads as an unusable value, not as a crash.
                    let v = Reflect::get(value, &JsValue::from_str(k))
                        .map(|v| to_input_at(&v, &[], false))
                        .unwrap_or_else(|_| {
                            Input::Other("a value whose getter throws".to_string())
                        });
                    (k.to_string(), v)
                })
                .collect()
        } else {
            Vec::new()
        };
        Input::Object(fields)
    } else {
        Input::Other(value.js_typeof().as_string().unwrap_or_default())
    }
}

pub(crate) fn set(target: &Object, key: &str, value: &JsValue) {
    // Defining a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// A JS value as JSON data, through `JSON.stringify` (functions and symbols drop out, cycles fail).
pub(crate) fn json_of(value: &JsValue) -> Option<serde_json::Value> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
}

/// A serialisable value as a plain JS object (structs become objects, `None` fields are skipped).
pub(crate) fn to_js<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new())
        .unwrap_or(JsValue::UNDEFINED)
}

/// Builds the JS error for `e`: the registered class (else `Error` named `TmSdkError`), with details set.
pub(crate) fn to_js_error(e: &TmError) -> JsValue {
    let message = JsValue::from_str(&e.message);
    let constructed = ERROR_CLASS.with(|c| {
        c.borrow()
            .as_ref()
            .and_then(|class| Reflect::construct(class, &Array::of1(&message)).ok())
    });
    let error: JsValue = match constructed {
        Some(err) => err,
        None => {
            let err = js_sys::Error::new(&e.message);
            err.set_name("TmSdkError");
            err.into()
        }
    };
    let obj: &Object = error.unchecked_ref();
    set(obj, "code", &e.code.as_str().into());
    let details: [(&str, JsValue); 4] = [
        ("field", e.field.clone().into()),
        ("errMsg", e.err_msg.clone().into()),
        ("status", e.status.into()),
        ("serverErr", e.server_err.map(|s| s as f64).into()),
    ];
    for (key, value) in details {
        if !value.is_undefined() {
            set(obj, key, &value);
        }
    }
    if let Some(cached) = &e.cached {
        set(obj, "cached", &to_js(cached.as_ref()));
    }
    error
}
