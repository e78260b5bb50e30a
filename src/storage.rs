//! Where the cache record lives: `wx` sync storage when the host has it, the browser's `localStorage`
//! (through gloo-storage) when a window exists, memory otherwise (SPEC §4).

use std::cell::RefCell;
use std::collections::HashMap;

use gloo_storage::{LocalStorage, Storage as _};
use wasm_bindgen::JsValue;

use crate::host::Host;

/// A stored value as read.
pub enum Stored {
    /// Nothing under the key (or the read failed).
    Absent,
    /// A string.
    Text(String),
    /// Something that is not a string: a corrupt record.
    Other,
}

/// One of the three backends.
pub enum Storage {
    /// `wx.get/set/removeStorageSync` through the host adapter.
    Host(Host),
    /// `window.localStorage`.
    Local,
    /// A map that lives as long as the SDK instance.
    Memory(RefCell<HashMap<String, String>>),
}

impl Storage {
    /// Picks the backend for `host`.
    pub fn for_host(host: &Host) -> Storage {
        if host.has("getStorageSync") && host.has("setStorageSync") && host.has("removeStorageSync")
        {
            let adapter: &JsValue = host.as_ref();
            Storage::Host(adapter.clone().into())
        } else if has_local_storage() {
            Storage::Local
        } else {
            Storage::Memory(RefCell::new(HashMap::new()))
        }
    }

    /// Reads `key`; a read that throws reads as absent (the record is then rewritten, not lost twice).
    pub fn get(&self, key: &str) -> Stored {
        match self {
            Storage::Host(host) => match host.storage_get(key) {
                Ok(v) if v.is_undefined() || v.is_null() => Stored::Absent,
                Ok(v) => match v.as_string() {
                    Some(s) if s.is_empty() => Stored::Absent,
                    Some(s) => Stored::Text(s),
                    None => Stored::Other,
                },
                Err(_) => Stored::Absent,
            },
            Storage::Local => match LocalStorage::raw().get_item(key) {
                Ok(Some(s)) => Stored::Text(s),
                _ => Stored::Absent,
            },
            Storage::Memory(map) => map
                .borrow()
                .get(key)
                .cloned()
                .map_or(Stored::Absent, Stored::Text),
        }
    }

    /// Writes `key`; `Err` carries the host's message (quota, 1 MB per key …).
    pub fn set(&self, key: &str, value: &str) -> Result<(), String> {
        match self {
            Storage::Host(host) => host.storage_set(key, value).map_err(|e| describe(&e)),
            Storage::Local => LocalStorage::raw()
                .set_item(key, value)
                .map_err(|e| describe(&e)),
            Storage::Memory(map) => {
                map.borrow_mut().insert(key.to_string(), value.to_string());
                Ok(())
            }
        }
    }

    /// Removes `key`; failures are ignored (the record is checked again on every read).
    pub fn remove(&self, key: &str) {
        match self {
            Storage::Host(host) => {
                let _ = host.storage_remove(key);
            }
            Storage::Local => {
                let _ = LocalStorage::raw().remove_item(key);
            }
            Storage::Memory(map) => {
                map.borrow_mut().remove(key);
            }
        }
    }
}

fn has_local_storage() -> bool {
    // gloo's LocalStorage::raw() throws without a window: check first.
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .is_some()
}

/// The text of a thrown JS value (`errMsg`, `message`, or the value itself).
pub fn describe(e: &JsValue) -> String {
    for key in ["errMsg", "message"] {
        if let Some(s) = js_sys::Reflect::get(e, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
        {
            return s;
        }
    }
    e.as_string().unwrap_or_else(|| "unknown error".to_string())
}
