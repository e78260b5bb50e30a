//! tmsdk-profile: `wx.tmSDK.updateUserProfile` as WebAssembly. This package is the thin `#[wasm_bindgen]`
//! binding over the pure rules of `tmsdk-core` (the `core/` crate), and is what `wasm-pack` builds. Modules:
//! - `exports`: the shipped exports (`Sdk`, `parseProfile`, the shim's two hooks);
//! - `host`: [`tmsdk_core::Host`] over the JS adapter of `js-shim/host.js` (all wx shapes live there);
//! - `storage`: wx storage, `localStorage` or memory;
//! - `convert`: JS values ↔ the core's types;
//! - `test_exports`: exports only tests call (feature `test-exports`).
//!
//! Everything is compiled for `wasm32` only; natively the package is empty and the core is tested on its own.
#![deny(missing_docs)]

#[cfg(target_arch = "wasm32")]
pub mod convert;
#[cfg(target_arch = "wasm32")]
pub mod exports;
#[cfg(target_arch = "wasm32")]
pub mod host;
#[cfg(target_arch = "wasm32")]
pub mod storage;
#[cfg(all(target_arch = "wasm32", feature = "test-exports"))]
pub mod test_exports;

/// The allocator: Talc instead of std's dlmalloc, 5.7 KB smaller in the wasm (1.8 KB brotli) and faster (see the
/// README, Performance).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
