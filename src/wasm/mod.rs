//! The wasm binding: thin, and only on `wasm32`. Module map:
//! - `exports`: the shipped exports (`Sdk`, `parseProfile`, the shim's two hooks);
//! - `host`: [`crate::host::Host`] over the JS adapter of `js-shim/host.js` (all wx shapes live there);
//! - `storage`: wx storage, `localStorage` or memory;
//! - `convert`: JS values ↔ the pure core's types;
//! - `test_exports`: exports only tests call (feature `test-exports`).

pub mod convert;
pub mod exports;
pub mod host;
pub mod storage;
#[cfg(feature = "test-exports")]
pub mod test_exports;

/// The allocator: Talc instead of std's dlmalloc, 5.7 KB smaller in the wasm (1.8 KB brotli) and faster (see the
/// README, Performance).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
