//! Where the cache record lives in wasm: `wx` sync storage when the host has it, the browser's `localStorage`
//! (through gloo-storage) when a window exists, memory otherwise (docs/contract.md, "Runtimes").

use std::cell::RefCell;

use gloo_storage::{LocalStorage, Storage as _};
use wasm_bindgen::prelude::*;

use crate::convert::describe;
use crate::js_host::JsHost;
use tmsdk_core::{HostFailure, HostResult, Stored, StoredText};

#[wasm_bindgen]
extern "C" {
    /// `window.localStorage`, bound by shape.
    type WebStorage;
    /// `localStorage.getItem(key)`, kept a JS string (no copy into wasm).
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item_js(this: &WebStorage, key: &JsValue) -> Result<JsValue, JsValue>;
}

/// A storage key, in Rust and as the JS string made from it once: a read passes the JS string, so no text is
/// decoded on the way (JavaScriptCore without JIT spent a third of a cache hit decoding the key).
pub struct StorageKey {
    name: String,
    js: JsValue,
}

impl StorageKey {
    /// The key `name`.
    pub fn new(name: String) -> StorageKey {
        let js = JsValue::from_str(&name);
        StorageKey { name, js }
    }
}

/// A stored string, left in JS: compared with `===`, copied into Rust only when the flow reads it.
#[derive(Clone)]
pub struct JsText(JsValue);

impl PartialEq for JsText {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl StoredText for JsText {
    fn to_text(&self) -> String {
        self.0.as_string().unwrap_or_default()
    }
}

/// A JS value read from storage: absent (`""` is WeChat's value for a missing key, `null` the browser's),
/// a string, or something else (a corrupt record).
fn stored(value: JsValue) -> Stored<JsText> {
    if value.is_undefined() || value.is_null() {
        Stored::Absent
    } else if value.is_string() {
        if value.unchecked_ref::<js_sys::JsString>().length() == 0 {
            Stored::Absent
        } else {
            Stored::Text(JsText(value))
        }
    } else {
        Stored::Other
    }
}

/// One of the three backends.
pub enum Storage {
    /// `wx.get/set/removeStorageSync` through the host adapter.
    Wx(JsHost),
    /// `window.localStorage`.
    Local,
    /// Key–value pairs that live as long as the SDK instance. A list, not a hash map: an instance stores one
    /// key, and a hasher would cost the wasm about 1.5 KB.
    Memory(RefCell<Vec<(String, JsValue)>>),
}

impl Storage {
    /// Picks the backend for `host`.
    pub fn for_host(host: &JsHost) -> Storage {
        if host.has_api("getStorageSync")
            && host.has_api("setStorageSync")
            && host.has_api("removeStorageSync")
        {
            Storage::Wx(host.clone())
        } else if has_local_storage() {
            Storage::Local
        } else {
            Storage::Memory(RefCell::new(Vec::new()))
        }
    }

    /// Reads `key`; a read that throws reads as absent (the record is then rewritten, not lost twice).
    pub fn get(&self, key: &StorageKey) -> Stored<JsText> {
        match self {
            Storage::Wx(host) => host.storage_get(&key.js).map_or(Stored::Absent, stored),
            Storage::Local => LocalStorage::raw()
                .unchecked_ref::<WebStorage>()
                .get_item_js(&key.js)
                .map_or(Stored::Absent, stored),
            Storage::Memory(pairs) => pairs
                .borrow()
                .iter()
                .find(|(k, _)| *k == key.name)
                .map_or(Stored::Absent, |(_, v)| stored(v.clone())),
        }
    }

    /// Writes `key`; `Err` carries the host's message (quota, 1 MB per key …).
    pub fn set(&self, key: &StorageKey, value: &str) -> HostResult<()> {
        let key_js = &key.js;
        let key = key.name.as_str();
        match self {
            Storage::Wx(host) => host
                .storage_set(key_js, value)
                .map_err(|e| HostFailure::new(describe(&e))),
            Storage::Local => LocalStorage::raw()
                .set_item(key, value)
                .map_err(|e| HostFailure::new(describe(&e))),
            Storage::Memory(pairs) => {
                let mut pairs = pairs.borrow_mut();
                pairs.retain(|(k, _)| k != key);
                pairs.push((key.to_string(), JsValue::from_str(value)));
                Ok(())
            }
        }
    }

    /// Removes `key`; failures are ignored (the record is checked again on every read).
    pub fn remove(&self, key: &StorageKey) {
        let key_js = &key.js;
        let key = key.name.as_str();
        match self {
            Storage::Wx(host) => {
                let _ = host.storage_remove(key_js);
            }
            Storage::Local => {
                let _ = LocalStorage::raw().remove_item(key);
            }
            Storage::Memory(pairs) => pairs.borrow_mut().retain(|(k, _)| k != key),
        }
    }
}

fn has_local_storage() -> bool {
    // gloo's LocalStorage::raw() throws without a window: check first.
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .is_some()
}
