//! tmsdk-core: the rules of tmsdk-profile, in pure Rust. Option and config validation, the profile rules,
//! the cache record and its reuse decision, the backend wire protocol, the error taxonomy, and the whole
//! `updateUserProfile` flow over the [`Host`] trait. No wasm crate is compiled for it: the wasm binding
//! (the `tmsdk-profile` package) and the backend (`tmsdk-server`) both depend on it, so neither can drift
//! from the other. The modules are private; their API is re-exported here. The contract they implement is
//! `docs/contract.md`.
#![deny(missing_docs, missing_debug_implementations)]

mod answer;
mod cache;
mod config;
mod error;
mod failure;
mod fill;
mod flight;
mod flow;
mod host;
mod input;
mod json;
mod lang;
mod launch;
mod options;
mod pending;
mod platform;
mod play;
mod profile;
mod region;
mod share;
mod tap;
mod wire;
mod wx_failure;

pub use answer::{parse_body, parse_text};
pub use cache::{
    decide, storage_key, CacheRecord, CorruptRecord, Decision, PromptReason, FUTURE_TOLERANCE_MS,
    MAX_RECORD_BYTES, RECORD_VERSION,
};
pub use config::{
    Config, ConfigInput, DEFAULT_PROFILE_TTL_SECS, DEFAULT_TIMEOUT_MS, MAX_APP_ID_CHARS,
    MAX_PROFILE_TTL_SECS, MAX_TIMEOUT_MS,
};
pub use error::{ErrorCode, Result, TmError};
pub use failure::Failure;
pub use fill::{FillInput, FillOptions};
pub use flight::{Flight, Wait};
pub use flow::{CachedProfile, Call, OpenedPopup, Outcome, Sdk, TRACKS_PLAY_TIME, TRACKS_SHARES};
pub use host::{
    Host, HostFailure, HostFuture, HostResult, LaunchValues, LoginReply, Method, Request, Response,
    Stored, StoredText, Upload, UserInfoReply,
};
pub use input::{read_reply, Argument, Input, LaunchQuery};
pub use json::{
    from_str as from_json, to_string as to_json, Error as JsonError, RawJson, SyntaxError,
};
pub use lang::Lang;
pub use launch::Launch;
pub use options::{OptionsInput, UpdateOptions, DEFAULT_DESC, MAX_DESC_CHARS};
pub use pending::{events_key, Pending, MAX_PENDING, PENDING_VERSION};
pub use platform::Platform;
pub use play::{Segment, CHECKPOINT_MS};
/// The profile's field rules as plain functions over a [`rules::Given`] value.
pub use profile::rules;
pub use profile::{
    is_placeholder, Profile, MAX_BODY_BYTES, MAX_NICK_NAME_CHARS, MAX_OPEN_ID_CHARS,
    MAX_SAFE_INTEGER, MAX_STRING_CHARS, MILLISECONDS_THRESHOLD, PLACEHOLDER_NICK_NAME,
};
pub use region::{in_region, REGION_PREFIX_CHARS};
pub use share::{tag_path, tag_query, tag_share, ShareTag, SHARE_PARAM};
pub use tap::read_tap;
pub use wire::{
    AvatarAnswer, Envelope, Event, EventsRequest, FillRequest, LoginRequest, ProfileRequest, Scene,
    AVATAR_PATH, ERR_AVATAR_NOT_IMAGE, ERR_AVATAR_NOT_OWNED, ERR_AVATAR_TOO_LARGE,
    ERR_CONTENT_RISKY, EVENTS_PATH, FILL_PATH, LOGIN_PATH, MAX_AVATAR_BYTES, MAX_AVATAR_PIXELS,
    MAX_EVENTS, MAX_EVENT_ID_CHARS, MAX_PLAY_SECONDS, MAX_SHARES_A_DAY, PROFILE_PATH, UNAUTHORIZED,
};

#[cfg(test)]
mod shim_defaults {
    //! The JS shim keeps the defaults of a call made before the wasm is ready and the play-time checkpoint's
    //! period (`js-shim/defaults.js`); they must be the core's.

    #[test]
    fn shim_defaults_are_the_cores() {
        let shim = include_str!("../../js-shim/defaults.js");
        let expected = format!(
            "export const EARLY_DEFAULTS = Object.freeze({{ desc: \"{}\", lang: \"{}\" }});",
            crate::DEFAULT_DESC,
            crate::Lang::default().as_str()
        );
        let checkpoint = format!("export const CHECKPOINT_MS = {};", crate::CHECKPOINT_MS);
        let shares = format!("export const TRACKS_SHARES = {};", crate::TRACKS_SHARES);
        let play = format!(
            "export const TRACKS_PLAY_TIME = {};",
            crate::TRACKS_PLAY_TIME
        );
        for line in [expected, checkpoint, shares, play] {
            assert!(
                shim.lines().any(|l| l == line),
                "js-shim/defaults.js must hold the line\n{line}"
            );
        }
    }
}
