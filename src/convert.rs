//! JS ↔ Rust conversions for the binding layer. What JS hands in is read once into a guarded snapshot (the
//! pure [`Input`], every read under `catch`) and from there by the core's own serde reader into its derived
//! types; what Rust hands to JS goes out through serde-wasm-bindgen's serialiser (error details, `wx` call
//! options) or as JSON text (profiles); [`Failure`]s become real JS errors. No rule lives here.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use serde::de::DeserializeOwned;
use tmsdk_core::Profile;
use tmsdk_core::{read_reply, Argument, Input};
use tmsdk_core::{Failure, TmError};

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

/// Reads a JS value into the pure [`Input`] (a guarded snapshot), following only `keys` of an object (one
/// level deep); a key whose getter throws reads as an unusable value, not as a crash.
pub fn to_input(value: &JsValue, keys: &[&str]) -> Input {
    match snapshot(value, 0) {
        Input::Object(_) => Input::Object(
            keys.iter()
                .map(|&k| {
                    let v = Reflect::get(value, &JsValue::from_str(k))
                        .map(|v| snapshot(&v, 0))
                        .unwrap_or_else(|_| Input::Other("a value whose getter throws".into()));
                    (k.to_string(), v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// A JS value as a guarded snapshot ([`Input`]): primitives as they are; arrays, functions, symbols and
/// bigints by their kind; objects with their own string keys `depth` levels deep (else none). Every read of
/// the caller's object is under `catch`, and each getter runs once: a key whose getter throws is left out.
fn snapshot(value: &JsValue, depth: u8) -> Input {
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
        let mut fields = Vec::new();
        if depth > 0 {
            let keys = Reflect::own_keys(value.unchecked_ref()).unwrap_or_else(|_| Array::new());
            for key in keys.iter().filter_map(|k| k.as_string()) {
                if let Ok(v) = Reflect::get(value, &JsValue::from_str(&key)) {
                    fields.push((key, snapshot(&v, depth - 1)));
                }
            }
        }
        Input::Object(fields)
    } else {
        // A symbol or a bigint (a bigint would otherwise read as a number).
        Input::Other(format!(
            "a {}",
            value.js_typeof().as_string().unwrap_or_default()
        ))
    }
}

/// Reads a JS argument (`install`'s config, `updateUserProfile`'s options) into the core's derived `T`: a
/// snapshot of its known keys (one read each, under `catch`), read by the core's own reader. A key whose
/// getter throws, or whose value is not data, is [`Argument::Unreadable`].
pub fn to_argument<T: DeserializeOwned + Default>(value: &JsValue) -> Argument<T> {
    if value.is_undefined() || value.is_null() {
        return Argument::Keys(T::default());
    }
    if !value.is_object() || value.is_function() || Array::is_array(value) {
        return Argument::NotAnObject(to_input(value, &[]));
    }
    let mut fields = Vec::new();
    for &key in Argument::<T>::keys() {
        match Reflect::get(value, &JsValue::from_str(key)) {
            Err(e) => {
                return Argument::Unreadable {
                    key: key.to_string(),
                    what: format!("has a getter that throws ({})", describe(&e)),
                }
            }
            Ok(v) if v.is_undefined() => {}
            Ok(v) => fields.push((key.to_string(), snapshot(&v, 0))),
        }
    }
    Argument::from_input(&Input::Object(fields))
}

/// Reads a host's result object into the core's derived reply type `T`: a snapshot of `T`'s fields, one level
/// deep (the launch options' `query`), read by the core's own reader. A field that cannot be read is left
/// out (absent), as is every field of a result that is not an object.
pub fn to_reply<T: DeserializeOwned + Default>(value: &JsValue) -> T {
    if !value.is_object() {
        return T::default();
    }
    let mut fields = Vec::new();
    for &key in Argument::<T>::keys() {
        if let Ok(v) = Reflect::get(value, &JsValue::from_str(key)) {
            if !v.is_undefined() {
                fields.push((key.to_string(), snapshot(&v, 1)));
            }
        }
    }
    read_reply(&Input::Object(fields))
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

// JSON text ↔ JS values: the one pair of helpers every crossing as text uses.

/// A JS value as JSON text, through `JSON.stringify` (functions and symbols drop out, cycles fail;
/// `undefined` has none).
pub fn json_text(value: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
}

/// JSON text (which the core wrote) as a fresh JS value, through the engine's `JSON.parse`.
pub fn from_json_text(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// A profile as a fresh plain JS object: written as JSON text in Rust, parsed by the engine's `JSON.parse`.
/// One string crosses instead of a property set per field, which is several times faster (see docs/decisions.md,
/// Performance; serde-wasm-bindgen's serialiser sets each field through its own call).
pub fn to_js(profile: &Profile) -> JsValue {
    from_json_text(&profile.to_json())
}

/// Builds the JS error for `failure`: `new TmSdkError(message, details)` with the registered class (else an
/// `Error` named `TmSdkError` with the details assigned), the details being the error serialised by
/// serde-wasm-bindgen (code, field, errMsg, status, serverErr: what applies), and `cached`, the previous
/// profile, as [`to_js`] makes it.
pub fn to_js_error(failure: &Failure) -> JsValue {
    let e = &failure.error;
    let message = JsValue::from_str(&e.message);
    // Serialising strings and small numbers cannot fail.
    let details = serde_wasm_bindgen::to_value(e).unwrap_or_else(|_| Object::new().into());
    if let Some(cached) = &failure.cached {
        set(details.unchecked_ref(), "cached", &to_js(cached));
    }
    let constructed = ERROR_CLASS.with(|c| {
        c.borrow()
            .as_ref()
            .and_then(|class| Reflect::construct(class, &Array::of2(&message, &details)).ok())
    });
    constructed.unwrap_or_else(|| {
        let err = js_sys::Error::new(&e.message);
        err.set_name("TmSdkError");
        Object::assign(
            err.unchecked_ref::<Object>(),
            details.unchecked_ref::<Object>(),
        );
        err.into()
    })
}

/// The error a binding throws or rejects with: a [`Failure`] on its way to JS, so that `?` converts a core
/// result in an export returning `Result<T, JsTmError>`.
#[derive(Debug)]
pub struct JsTmError(pub Failure);

impl From<TmError> for JsTmError {
    fn from(e: TmError) -> Self {
        JsTmError(e.into())
    }
}

impl From<Failure> for JsTmError {
    fn from(failure: Failure) -> Self {
        JsTmError(failure)
    }
}

impl From<JsTmError> for JsValue {
    fn from(e: JsTmError) -> Self {
        to_js_error(&e.0)
    }
}
