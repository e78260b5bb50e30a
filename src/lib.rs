//! tmsdk-profile: `wx.tmSDK.updateUserProfile` as a Rust/WebAssembly core.
//!
//! The pure modules ([`options`], [`config`], [`profile`], [`cache`], [`error`]) hold every rule and have no
//! wasm imports; `bindings` is the thin `#[wasm_bindgen]` layer that exposes them to JS.
#![deny(missing_docs)]

pub mod cache;
pub mod config;
pub mod error;
pub mod flow;
pub mod host;
pub mod input;
pub mod options;
pub mod profile;
pub mod protocol;
pub mod storage;

pub mod bindings;
