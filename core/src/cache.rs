//! The cache record (docs/contract.md, Cache record) and the reuse decision (Flow, step 2). The clock is passed in, so the
//! decision is a pure function of (record, policy, now).

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::json;
use crate::profile::{given, Given, Profile};

/// The record format version written in `"v"`.
pub const RECORD_VERSION: u64 = 1;
/// How far in the future a record's `cached_at` may lie (clock skew) and still be trusted, in ms.
pub const FUTURE_TOLERANCE_MS: u64 = 5 * 60 * 1000;
/// Records longer than this are corrupt (a valid one is far smaller).
pub const MAX_RECORD_BYTES: usize = 128 * 1024;

/// The storage key of an app's record: `tmsdk.profile.v1.<appId>`.
pub fn storage_key(app_id: &str) -> String {
    format!("tmsdk.profile.v{RECORD_VERSION}.{app_id}")
}

/// One cached profile: `{"v":1,"app_id":…,"cached_at":<ms>,"profile":{…}}`. Its `profile.jwt` is the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRecord {
    #[serde(deserialize_with = "version")]
    v: u64,
    /// The app the record belongs to.
    #[serde(deserialize_with = "app")]
    pub app_id: String,
    /// When the profile was received, epoch milliseconds.
    #[serde(deserialize_with = "timestamp")]
    pub cached_at: u64,
    /// The validated profile.
    pub profile: Profile,
}

// The record's own fields read through the profile rules' reader of any JSON value (`given`): one reader for
// every field keeps the wasm small. A field read as absent (after another broke) is refused: a record is
// whole or corrupt.

/// `v`: only [`RECORD_VERSION`] is read.
fn version<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match given(d)? {
        Given::Whole(RECORD_VERSION) => Ok(RECORD_VERSION),
        _ => Err(de::Error::custom("is not this version of the record")),
    }
}

/// `app_id`: a string.
fn app<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match given(d)? {
        Given::Str(app) => Ok(app.into_owned()),
        _ => Err(de::Error::custom("must be a string")),
    }
}

/// `cached_at`: a whole number of milliseconds.
fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match given(d)? {
        Given::Whole(at) => Ok(at),
        _ => Err(de::Error::custom("must be a whole number of milliseconds")),
    }
}

/// Why a stored value is not a usable record; the caller treats it as absent and removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorruptRecord {
    /// Not a JSON object, or too large.
    NotARecord,
    /// A `v` other than [`RECORD_VERSION`].
    WrongVersion,
    /// An `app_id` other than the configured one.
    OtherApp,
    /// `cached_at` missing or not a whole number of milliseconds.
    BadTimestamp,
    /// The profile fails the Profile rules.
    BadProfile,
}

impl CorruptRecord {
    /// The variant's name, as JS sees it.
    pub const fn as_str(&self) -> &'static str {
        match self {
            CorruptRecord::NotARecord => "NotARecord",
            CorruptRecord::WrongVersion => "WrongVersion",
            CorruptRecord::OtherApp => "OtherApp",
            CorruptRecord::BadTimestamp => "BadTimestamp",
            CorruptRecord::BadProfile => "BadProfile",
        }
    }
}

impl CacheRecord {
    /// A record of `profile` for `app_id`, received at `cached_at` (epoch ms).
    pub fn new(app_id: &str, cached_at: u64, profile: Profile) -> Self {
        CacheRecord {
            v: RECORD_VERSION,
            app_id: app_id.to_string(),
            cached_at,
            profile,
        }
    }

    /// The JSON string stored under [`storage_key`].
    pub fn to_json(&self) -> String {
        // Cannot fail: a record holds only strings, whole numbers and a boolean.
        json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored string back, checking version, app, timestamp and every profile rule.
    pub fn parse(text: &str, app_id: &str) -> Result<CacheRecord, CorruptRecord> {
        if text.len() > MAX_RECORD_BYTES {
            return Err(CorruptRecord::NotARecord);
        }
        let record = json::from_str::<CacheRecord>(text).map_err(|e| {
            if e.syntax_error().is_some() {
                return CorruptRecord::NotARecord;
            }
            match e.outer_field().or(e.field()) {
                Some("v") => CorruptRecord::WrongVersion,
                Some("app_id") => CorruptRecord::OtherApp,
                Some("cached_at") => CorruptRecord::BadTimestamp,
                Some("profile") => CorruptRecord::BadProfile,
                _ => CorruptRecord::NotARecord,
            }
        })?;
        if record.app_id != app_id {
            return Err(CorruptRecord::OtherApp);
        }
        if record.profile.checked_for(app_id).is_err() {
            return Err(CorruptRecord::BadProfile);
        }
        Ok(record)
    }

    /// When the record stops being reused, epoch ms (`cached_at` when the TTL is 0).
    pub fn expires_at(&self, ttl_secs: u64) -> u64 {
        self.cached_at.saturating_add(ttl_secs.saturating_mul(1000))
    }
}

/// What `updateUserProfile` does with the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Resolve with the cached profile at once: no popup, no request.
    Reuse,
    /// Ask the user, for this reason.
    Prompt(PromptReason),
}

/// Why the cache cannot be reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptReason {
    /// The caller passed `refresh: true`.
    Refresh,
    /// No usable record (none, corrupt, or another app's: [`CacheRecord::parse`] refuses those).
    NoRecord,
    /// `profileTtl` is 0: never reuse.
    TtlZero,
    /// The record is older than `profileTtl`.
    Expired,
    /// The record claims a time more than 5 minutes ahead of the clock.
    FromFuture,
    /// The record has no nickname or avatar: the user never authorised.
    NotAuthorised,
}

impl PromptReason {
    /// The variant's name, as JS sees it.
    pub const fn as_str(self) -> &'static str {
        match self {
            PromptReason::Refresh => "Refresh",
            PromptReason::NoRecord => "NoRecord",
            PromptReason::TtlZero => "TtlZero",
            PromptReason::Expired => "Expired",
            PromptReason::FromFuture => "FromFuture",
            PromptReason::NotAuthorised => "NotAuthorised",
        }
    }
}

/// Decides whether to reuse `record` (read with [`CacheRecord::parse`], so it is this app's) at `now_ms`
/// (epoch ms) with a TTL of `ttl_secs` seconds.
pub fn decide(record: Option<&CacheRecord>, ttl_secs: u64, now_ms: u64, refresh: bool) -> Decision {
    use PromptReason::*;
    let reason = match record {
        _ if refresh => Refresh,
        None => NoRecord,
        Some(_) if ttl_secs == 0 => TtlZero,
        Some(r) if r.cached_at > now_ms.saturating_add(FUTURE_TOLERANCE_MS) => FromFuture,
        Some(r) if now_ms >= r.expires_at(ttl_secs) => Expired,
        Some(r) if !r.profile.is_authorised() => NotAuthorised,
        Some(_) => return Decision::Reuse,
    };
    Decision::Prompt(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    const APP: &str = "wxapp";
    const HOUR_MS: u64 = 3_600_000;
    const T0: u64 = 1_700_000_000_000;

    fn authorised() -> Profile {
        Profile {
            open_id: "o1".into(),
            app_id: APP.into(),
            nick_name: "Ann".into(),
            avatar_url: "https://a/b".into(),
            jwt: "token".into(),
            ..Profile::default()
        }
    }

    fn record(at: u64) -> CacheRecord {
        CacheRecord::new(APP, at, authorised())
    }

    #[test]
    fn key_is_per_app() {
        assert_eq!(storage_key("wx1"), "tmsdk.profile.v1.wx1");
    }

    #[test]
    fn record_json_has_the_documented_shape_and_round_trips() {
        let r = record(T0);
        let text = r.to_json();
        assert!(
            text.starts_with(
                r#"{"v":1,"app_id":"wxapp","cached_at":1700000000000,"profile":{"pid":"""#
            ),
            "{text}"
        );
        assert_eq!(CacheRecord::parse(&text, APP), Ok(r));
    }

    #[test]
    fn corrupt_records_are_told_apart() {
        let good = record(T0).to_json();
        assert_eq!(
            CacheRecord::parse("not json", APP),
            Err(CorruptRecord::NotARecord)
        );
        assert_eq!(
            CacheRecord::parse("[]", APP),
            Err(CorruptRecord::NotARecord)
        );
        assert_eq!(CacheRecord::parse("", APP), Err(CorruptRecord::NotARecord));
        assert_eq!(
            CacheRecord::parse(&good.replace(r#""v":1"#, r#""v":2"#), APP),
            Err(CorruptRecord::WrongVersion)
        );
        assert_eq!(
            CacheRecord::parse(&good, "wxother"),
            Err(CorruptRecord::OtherApp)
        );
        let bad_time = good.replace("1700000000000", "-5");
        assert_eq!(
            CacheRecord::parse(&bad_time, APP),
            Err(CorruptRecord::BadTimestamp)
        );
        let bad_profile = good.replace(r#""open_id":"o1""#, r#""open_id":"""#);
        assert_eq!(
            CacheRecord::parse(&bad_profile, APP),
            Err(CorruptRecord::BadProfile)
        );
        let no_profile = r#"{"v":1,"app_id":"wxapp","cached_at":1}"#;
        assert_eq!(
            CacheRecord::parse(no_profile, APP),
            Err(CorruptRecord::BadProfile)
        );
        let huge = format!("{} {}", good, " ".repeat(MAX_RECORD_BYTES));
        assert_eq!(
            CacheRecord::parse(&huge, APP),
            Err(CorruptRecord::NotARecord)
        );
    }

    #[test]
    fn a_fresh_authorised_record_is_reused() {
        assert_eq!(
            decide(Some(&record(T0)), 3600, T0 + HOUR_MS - 1, false),
            Decision::Reuse
        );
        assert_eq!(decide(Some(&record(T0)), 3600, T0, false), Decision::Reuse);
    }

    #[test]
    fn refresh_missing_record_and_other_app_prompt() {
        let r = record(T0);
        assert_eq!(
            decide(Some(&r), 3600, T0, true),
            Decision::Prompt(PromptReason::Refresh)
        );
        assert_eq!(
            decide(None, 3600, T0, false),
            Decision::Prompt(PromptReason::NoRecord)
        );
    }

    /// Every reason is reachable from what storage holds (text → parse → decide): no dead variant.
    #[test]
    fn every_prompt_reason_is_reachable_from_stored_text() {
        let decide_text = |text: Option<String>, ttl: u64, now: u64, refresh: bool| {
            let record = text.and_then(|t| CacheRecord::parse(&t, APP).ok());
            decide(record.as_ref(), ttl, now, refresh)
        };
        let good = record(T0).to_json();
        let mut unauthorised = record(T0);
        unauthorised.profile.nick_name.clear();
        let other_app = CacheRecord::new("wxother", T0, authorised()).to_json();
        let reached = |reason: PromptReason| -> Decision {
            match reason {
                PromptReason::Refresh => decide_text(Some(good.clone()), 3600, T0, true),
                PromptReason::NoRecord => decide_text(Some(other_app.clone()), 3600, T0, false),
                PromptReason::TtlZero => decide_text(Some(good.clone()), 0, T0, false),
                PromptReason::Expired => decide_text(Some(good.clone()), 1, T0 + 1000, false),
                PromptReason::FromFuture => decide_text(
                    Some(good.clone()),
                    3600,
                    T0 - FUTURE_TOLERANCE_MS - 1,
                    false,
                ),
                PromptReason::NotAuthorised => {
                    decide_text(Some(unauthorised.to_json()), 3600, T0, false)
                }
            }
        };
        for reason in [
            PromptReason::Refresh,
            PromptReason::NoRecord,
            PromptReason::TtlZero,
            PromptReason::Expired,
            PromptReason::FromFuture,
            PromptReason::NotAuthorised,
        ] {
            assert_eq!(
                reached(reason),
                Decision::Prompt(reason),
                "{}",
                reason.as_str()
            );
        }
        assert_eq!(decide_text(Some(good), 3600, T0, false), Decision::Reuse);
    }

    #[test]
    fn ttl_expiry_is_exclusive_and_zero_never_reuses() {
        let r = record(T0);
        assert_eq!(
            decide(Some(&r), 3600, T0 + HOUR_MS, false),
            Decision::Prompt(PromptReason::Expired)
        );
        assert_eq!(
            decide(Some(&r), 0, T0, false),
            Decision::Prompt(PromptReason::TtlZero)
        );
        assert_eq!(
            decide(Some(&r), 0, T0 - 1000, false),
            Decision::Prompt(PromptReason::TtlZero)
        );
        assert_eq!(r.expires_at(3600), T0 + HOUR_MS);
        assert_eq!(r.expires_at(u64::MAX), u64::MAX);
    }

    #[test]
    fn records_from_the_future_are_not_trusted_beyond_five_minutes() {
        let r = record(T0 + FUTURE_TOLERANCE_MS);
        assert_eq!(decide(Some(&r), 3600, T0, false), Decision::Reuse);
        let r = record(T0 + FUTURE_TOLERANCE_MS + 1);
        assert_eq!(
            decide(Some(&r), 3600, T0, false),
            Decision::Prompt(PromptReason::FromFuture)
        );
    }

    #[test]
    fn unauthorised_records_prompt() {
        let mut r = record(T0);
        r.profile.avatar_url.clear();
        assert_eq!(
            decide(Some(&r), 3600, T0, false),
            Decision::Prompt(PromptReason::NotAuthorised)
        );
        r.profile.avatar_url = "https://a".into();
        r.profile.nick_name.clear();
        assert_eq!(
            decide(Some(&r), 3600, T0, false),
            Decision::Prompt(PromptReason::NotAuthorised)
        );
    }
}
