//! JS ↔ Rust conversions for the binding layer: JS values become the pure [`Input`], results become plain
//! JS objects, [`TmError`]s become real JS errors. No rule lives here.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use tmsdk_core::Input;
use tmsdk_core::Profile;
use tmsdk_core::TmError;

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the JS class used for every error this module throws (the shim's `TmSdkError`).
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// A JS clock value or duration as a whole number (negative or NaN values read as 0).
pub fn non_negative(n: f64) -> u64 {
    if n.is_finite() && n > 0.0 {
        n as u64
    } else {
        0
    }
}

/// Reads a JS value into the pure [`Input`], following only `keys` of an object (one level deep).
pub fn to_input(value: &JsValue, keys: &[&str]) -> Input {
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

/// Sets a data property on an object this module created.
pub fn set(target: &Object, key: &str, value: &JsValue) {
    // Defining a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// `target[key]`; `undefined` when `target` is not an object or the getter throws.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key]` when it is a string.
pub fn string_at(target: &JsValue, key: &str) -> Option<String> {
    get(target, key).as_string()
}

/// The text of a thrown JS value (`errMsg`, `message`, or the value itself).
pub fn describe(e: &JsValue) -> String {
    for key in ["errMsg", "message"] {
        if let Some(s) = string_at(e, key) {
            return s;
        }
    }
    e.as_string().unwrap_or_else(|| "unknown error".to_string())
}

/// A JS value as JSON text, through `JSON.stringify` (functions and symbols drop out, cycles fail;
/// `undefined` has none).
pub fn json_text(value: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
}

/// A profile as a fresh plain JS object: written as JSON text in Rust, parsed by the engine's `JSON.parse`.
/// One string crosses instead of a property set per field, which is several times faster (see the README,
/// Performance).
pub fn to_js(profile: &Profile) -> JsValue {
    js_sys::JSON::parse(&profile.to_json()).unwrap_or(JsValue::UNDEFINED)
}

/// Builds the JS error for `e`: the registered class (else `Error` named `TmSdkError`), with details set.
pub fn to_js_error(e: &TmError) -> JsValue {
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
