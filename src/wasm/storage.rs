//! Where the cache record lives in wasm: `wx` sync storage when the host has it, the browser's `localStorage`
//! (through gloo-storage) when a window exists, memory otherwise (docs/contract.md, "Runtimes").

use std::cell::RefCell;
use std::collections::HashMap;

use gloo_storage::{LocalStorage, Storage as _};

use crate::host::{HostFailure, HostResult, Stored};
use crate::wasm::convert::describe;
use crate::wasm::host::JsHost;

/// One of the three backends.
pub enum Storage {
    /// `wx.get/set/removeStorageSync` through the host adapter.
    Wx(JsHost),
    /// `window.localStorage`.
    Local,
    /// A map that lives as long as the SDK instance.
    Memory(RefCell<HashMap<String, String>>),
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
            Storage::Memory(RefCell::new(HashMap::new()))
        }
    }

    /// Reads `key`; a read that throws reads as absent (the record is then rewritten, not lost twice).
    pub fn get(&self, key: &str) -> Stored {
        match self {
            Storage::Wx(host) => match host.storage_get(key) {
                Ok(v) if v.is_undefined() || v.is_null() => Stored::Absent,
                Ok(v) => match v.as_string() {
                    // WeChat's getStorageSync gives "" for a missing key.
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
    pub fn set(&self, key: &str, value: &str) -> HostResult<()> {
        match self {
            Storage::Wx(host) => host
                .storage_set(key, value)
                .map_err(|e| HostFailure::new(describe(&e))),
            Storage::Local => LocalStorage::raw()
                .set_item(key, value)
                .map_err(|e| HostFailure::new(describe(&e))),
            Storage::Memory(map) => {
                map.borrow_mut().insert(key.to_string(), value.to_string());
                Ok(())
            }
        }
    }

    /// Removes `key`; failures are ignored (the record is checked again on every read).
    pub fn remove(&self, key: &str) {
        match self {
            Storage::Wx(host) => {
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
