//! Exports that only tests call, compiled in only with the `test-exports` feature (the test builds of
//! `scripts/test.sh`): the pure rules reachable from JS, and a panic on purpose. The shipped wasm has none.

use std::cell::RefCell;

use js_sys::Object;
use wasm_bindgen::prelude::*;

use crate::convert::{json_text, non_negative, set, to_argument, to_js, JsTmError};
use tmsdk_core::Config;
use tmsdk_core::UpdateOptions;
use tmsdk_core::{CacheRecord, Decision};
use tmsdk_core::{ErrorCode, TmError};

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Called by the panic hook: keeps the message for [`take_panic_message`].
pub(crate) fn record_panic(message: &str) {
    LAST_PANIC.with(|p| {
        if let Ok(mut slot) = p.try_borrow_mut() {
            *slot = Some(message.to_string());
        }
    });
}

/// Panics on purpose, so tests can check that a Rust panic surfaces as `INTERNAL` and that the SDK keeps
/// working afterwards.
#[wasm_bindgen(js_name = debugPanic)]
pub fn debug_panic(message: &str) {
    panic!("debugPanic: {message}");
}

/// The message of the last Rust panic, once; `undefined` when there was none since the last call.
#[wasm_bindgen(js_name = takePanicMessage)]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

/// Every error code, in the documented order.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect()
}

/// Validates `updateUserProfile`'s options: `{ refresh, desc, lang }` (lang `undefined` when not given).
#[wasm_bindgen(js_name = parseOptions)]
pub fn parse_options(options: JsValue) -> Result<JsValue, JsTmError> {
    let parsed = UpdateOptions::parse(to_argument(&options))?;
    let out = Object::new();
    set(&out, "refresh", &parsed.refresh.into());
    set(&out, "desc", &JsValue::from_str(&parsed.desc));
    set(&out, "lang", &parsed.lang.map(|l| l.as_str()).into());
    Ok(out.into())
}

/// Validates `install`'s config; `hostAppId` is `wx.getAccountInfoSync().miniProgram.appId` when known.
#[wasm_bindgen(js_name = parseConfig)]
pub fn parse_config(config: JsValue, host_app_id: Option<String>) -> Result<JsValue, JsTmError> {
    let c = Config::parse(to_argument(&config), host_app_id.as_deref())?;
    let out = Object::new();
    set(&out, "server", &c.server.into());
    set(&out, "appId", &c.app_id.into());
    set(&out, "profileTtl", &(c.profile_ttl_secs as f64).into());
    set(&out, "noLogin", &c.no_login.into());
    set(&out, "autoLogin", &c.auto_login.into());
    set(&out, "lang", &c.lang.as_str().into());
    set(&out, "timeout", &c.timeout_ms.into());
    Ok(out.into())
}

/// The storage key of an app's cache record.
#[wasm_bindgen(js_name = storageKey)]
pub fn storage_key(app_id: &str) -> String {
    tmsdk_core::storage_key(app_id)
}

/// The cache record string for `profile` (validated again), received at `cachedAt` epoch ms.
#[wasm_bindgen(js_name = encodeRecord)]
pub fn encode_record(app_id: &str, cached_at: f64, profile: JsValue) -> Result<String, JsTmError> {
    let text = json_text(&profile).ok_or_else(|| {
        TmError::invalid_profile(
            None,
            "is not plain JSON data (functions, symbols and cycles are not allowed)",
        )
    })?;
    let p = tmsdk_core::parse_body(&text, app_id)?;
    Ok(CacheRecord::new(app_id, non_negative(cached_at), p).to_json())
}

/// Reads a stored value: `null` when absent, `{ corrupt: true, reason }` when it must be removed, else
/// `{ profile, cachedAt, expiresAt }` (epoch ms).
#[wasm_bindgen(js_name = readRecord)]
pub fn read_record(stored: JsValue, app_id: &str, ttl_secs: f64) -> JsValue {
    match stored_record(&stored, app_id) {
        StoredRecord::Absent => JsValue::NULL,
        StoredRecord::Corrupt(reason) => {
            let out = Object::new();
            set(&out, "corrupt", &true.into());
            set(&out, "reason", &reason.into());
            out.into()
        }
        StoredRecord::Valid(r) => {
            let out = Object::new();
            set(&out, "profile", &to_js(&r.profile));
            set(&out, "cachedAt", &(r.cached_at as f64).into());
            set(
                &out,
                "expiresAt",
                &(r.expires_at(non_negative(ttl_secs)) as f64).into(),
            );
            out.into()
        }
    }
}

/// The reuse decision for a stored value at `now` (epoch ms): `{ reuse, reason }`, `reason` being
/// `undefined` on reuse or the `PromptReason` name.
#[wasm_bindgen(js_name = decideCache)]
pub fn decide_cache(
    stored: JsValue,
    app_id: &str,
    ttl_secs: f64,
    now: f64,
    refresh: bool,
) -> JsValue {
    let record = match stored_record(&stored, app_id) {
        StoredRecord::Valid(r) => Some(*r),
        _ => None,
    };
    let decision = tmsdk_core::decide(
        record.as_ref(),
        non_negative(ttl_secs),
        non_negative(now),
        refresh,
    );
    let out = Object::new();
    set(&out, "reuse", &(decision == Decision::Reuse).into());
    if let Decision::Prompt(reason) = decision {
        set(&out, "reason", &reason.as_str().into());
    }
    out.into()
}

enum StoredRecord {
    Absent,
    Corrupt(String),
    Valid(Box<CacheRecord>),
}

/// WeChat's `getStorageSync` gives `""` for a missing key; browsers give `null`.
fn stored_record(stored: &JsValue, app_id: &str) -> StoredRecord {
    match stored.as_string() {
        _ if stored.is_undefined() || stored.is_null() => StoredRecord::Absent,
        Some(s) if s.is_empty() => StoredRecord::Absent,
        Some(s) => match CacheRecord::parse(&s, app_id) {
            Ok(r) => StoredRecord::Valid(Box::new(r)),
            Err(reason) => StoredRecord::Corrupt(reason.as_str().to_string()),
        },
        None => StoredRecord::Corrupt("NotARecord".to_string()),
    }
}
