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
