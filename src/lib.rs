//! tmsdk-profile: `wx.tmSDK.updateUserProfile` as WebAssembly. This package is the thin `#[wasm_bindgen]`
//! binding over the pure rules of `tmsdk-core` (the `core/` crate), and is what `wasm-pack` builds. Modules:
//! - `exports`: the shipped exports (`Sdk`, `parseProfile`, the shim's two hooks);
//! - `host`: [`tmsdk_core::Host`] over the JS adapter of `js-shim/host.js` (all wx shapes live there);
//! - `js_host`: the adapter's bindings, each under `catch` (`host` and `storage` call through them);
//! - `storage`: wx storage, `localStorage` or memory;
//! - `convert`: JS values ↔ the core's types;
//! - `test_exports`: exports only tests call (feature `test-exports`).
//!
//! Everything is compiled for `wasm32` only; natively the package is empty and the core is tested on its own.
#![deny(missing_docs)]

#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(target_arch = "wasm32")]
mod exports;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod js_host;
#[cfg(target_arch = "wasm32")]
mod storage;
#[cfg(all(target_arch = "wasm32", feature = "test-exports"))]
mod test_exports;

// What the browser tests (`tests/web.rs`, `tests/web_flow.rs`) call besides the JS exports.
#[cfg(target_arch = "wasm32")]
pub use exports::{parse_profile, set_error_class, JsSdk};
#[cfg(target_arch = "wasm32")]
pub use js_host::JsHost;
#[cfg(all(target_arch = "wasm32", feature = "test-exports"))]
pub use test_exports::*;

/// The allocator: Talc instead of std's dlmalloc, 5.7 KB smaller in the wasm (1.8 KB brotli) and faster (see the
/// docs/decisions.md, Size and speed).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
