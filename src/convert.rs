//! JS ↔ Rust conversions for the binding layer: JS objects become the core's derived types through
//! serde-wasm-bindgen (after a guarded copy), other JS values the pure [`Input`], results plain JS objects,
//! [`TmError`]s real JS errors. No rule lives here.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use serde::de::DeserializeOwned;
use tmsdk_core::Profile;
use tmsdk_core::{Argument, Input};
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

/// A JS value as plain data, or what it is when it is not: primitives as they are; arrays as empty ones;
/// objects as empty ones too, or, `depth` levels deep, as a copy of their own string keys whose values are
/// plain data (others left out). `None` for `undefined`. The rules look at a nested value's kind only, so
/// no getter of the caller's runs more than once, and every read is under `catch`.
fn plain(value: &JsValue, depth: u8) -> Result<Option<JsValue>, String> {
    if value.is_undefined() {
        Ok(None)
    } else if value.is_null()
        || value.is_string()
        || value.as_bool().is_some()
        || value.as_f64().is_some()
    {
        Ok(Some(value.clone()))
    } else if Array::is_array(value) {
        Ok(Some(Array::new().into()))
    } else if value.is_function() {
        Err("is a function".to_string())
    } else if value.is_object() {
        let copy = Object::new();
        if depth > 0 {
            let keys = Reflect::own_keys(value.unchecked_ref()).unwrap_or_else(|_| Array::new());
            for key in keys.iter().filter_map(|k| k.as_string()) {
                if let Ok(Some(v)) = read_key(value, &key, depth - 1) {
                    set(&copy, &key, &v);
                }
            }
        }
        Ok(Some(copy.into()))
    } else {
        // A symbol or a bigint (a bigint would otherwise read as a number).
        Err(format!(
            "is a {}",
            value.js_typeof().as_string().unwrap_or_default()
        ))
    }
}

/// `value[key]` as plain data (see [`plain`]); a getter that throws is said so.
fn read_key(value: &JsValue, key: &str, depth: u8) -> Result<Option<JsValue>, String> {
    Reflect::get(value, &JsValue::from_str(key))
        .map_err(|e| format!("has a getter that throws ({})", describe(&e)))
        .and_then(|v| plain(&v, depth))
}

/// Reads a JS argument (`install`'s config, `updateUserProfile`'s options) into the core's derived `T`:
/// a copy of its known keys as plain data, deserialised by serde-wasm-bindgen (whose reader calls getters
/// without `catch`, so it only ever reads the copy). A key whose getter throws or whose value is not data
/// is [`Argument::Unreadable`].
pub fn to_argument<T: DeserializeOwned + Default>(value: &JsValue) -> Argument<T> {
    if value.is_undefined() || value.is_null() {
        return Argument::Keys(T::default());
    }
    if !value.is_object() || value.is_function() || Array::is_array(value) {
        return Argument::NotAnObject(to_input(value, &[]));
    }
    let copy = Object::new();
    for &key in Argument::<T>::keys() {
        match read_key(value, key, 0) {
            Ok(Some(v)) => set(&copy, key, &v),
            Ok(None) => {}
            Err(what) => {
                return Argument::Unreadable {
                    key: key.to_string(),
                    what,
                }
            }
        }
    }
    serde_wasm_bindgen::from_value(copy.into()).map_or_else(
        // A copy of plain data always reads; should it not, the caller still gets a typed error.
        |e| Argument::NotAnObject(Input::Other(e.to_string())),
        Argument::Keys,
    )
}

/// Reads a host's result object into the core's derived reply type `T`: a copy of `T`'s fields as plain
/// data, one level deep (the launch options' `query`), deserialised by serde-wasm-bindgen. A field that
/// cannot be read is left out (absent), as is every field of a result that is not an object.
pub fn to_reply<T: DeserializeOwned + Default>(value: &JsValue) -> T {
    if !value.is_object() {
        return T::default();
    }
    let copy = Object::new();
    for &key in Argument::<T>::keys() {
        if let Ok(Some(v)) = read_key(value, key, 1) {
            set(&copy, key, &v);
        }
    }
    // A copy of plain data always reads.
    serde_wasm_bindgen::from_value(copy.into()).unwrap_or_default()
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
/// One string crosses instead of a property set per field, which is several times faster (see the README,
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
