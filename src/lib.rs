//! tmsdk-profile: `wx.tmSDK.updateUserProfile` as a Rust/WebAssembly core.
//!
//! The pure modules ([`input`], [`options`], [`config`], [`profile`], [`cache`], [`error`], [`protocol`],
//! [`launch`], [`region`], and [`json`], their JSON reader and writer) hold every rule and have no wasm imports. [`flow`] orders the steps over the [`host::Host`]
//! trait, so the whole flow runs natively against a fake host. `wasm` (only on `wasm32`) is the thin
//! `#[wasm_bindgen]` layer. The contract they implement is `docs/contract.md`.
#![deny(missing_docs)]

pub mod cache;
pub mod config;
pub mod error;
pub mod flight;
pub mod flow;
pub mod host;
pub mod input;
pub mod json;
pub mod launch;
pub mod options;
pub mod profile;
pub mod protocol;
pub mod region;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
