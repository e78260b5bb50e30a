//! Property tests of the pure core (native only): no input panics, parse → serialise → parse is stable,
//! the core's JSON format reads and writes what serde_json does (for any value, and for the derived types),
//! and the cache decision never turns a stale record fresh again as the clock moves forward.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tmsdk_core::{
    decide, from_json, parse_body, to_json, CacheRecord, Config, Decision, Envelope, Input,
    LoginRequest, Platform, Profile, PromptReason, Scene, UpdateOptions,
};

const APP: &str = "wxprop";

/// Keys the rules look at, plus hostile ones, so generated objects hit real code paths.
const KEYS: &[&str] = &[
    "pid",
    "app_id",
    "open_id",
    "union_id",
    "nick_name",
    "avatar_url",
    "gender",
    "city",
    "gold",
    "share_new",
    "last_login_time",
    "login_times",
    "from_scene",
    "from_code",
    "is_new",
    "jwt",
    "lst",
    "xh_uid",
    "err",
    "msg",
    "data",
    "__proto__",
    "constructor",
    "refresh",
    "fresh",
    "desc",
    "lang",
    "server",
    "appId",
    "profileTtl",
    "timeout",
    "noLogin",
    "autoLogin",
    "userInfoButton",
    "wasmPath",
    "host",
    "v",
    "cached_at",
    "profile",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|u| json!(u)),
        any::<f64>()
            .prop_filter("JSON has no NaN/inf", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        // Whole numbers written as floats ("12.0"), which the rules accept.
        (0u32..3000).prop_map(|n| json!(f64::from(n))),
        "\\PC{0,40}".prop_map(Value::String),
        "[0-9]{1,18}".prop_map(Value::String),
        prop_oneof![Just(APP), Just("wxother"), Just(""), Just("o_A-1")].prop_map(|s| json!(s)),
        prop_oneof![Just("https://x/y"), Just("javascript:x"), Just("Ann\u{7}")]
            .prop_map(|s| json!(s)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..12).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn input_leaf() -> impl Strategy<Value = Input> {
    prop_oneof![
        Just(Input::Undefined),
        Just(Input::Null),
        Just(Input::Array),
        Just(Input::Function),
        any::<bool>().prop_map(Input::Bool),
        any::<f64>().prop_map(Input::Number),
        "\\PC{0,40}".prop_map(Input::String),
        prop_oneof![
            Just("https://a.b"),
            Just("http://127.0.0.1:1/"),
            Just("zh_CN"),
            Just("wx1")
        ]
        .prop_map(Input::str),
    ]
}

fn input_value() -> impl Strategy<Value = Input> {
    input_leaf().prop_recursive(2, 24, 8, |inner| {
        prop::collection::vec((prop::sample::select(KEYS), inner), 0..10)
            .prop_map(|kv| Input::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
    })
}

/// A valid profile object with arbitrary field values of accepted shapes.
fn valid_profile() -> impl Strategy<Value = Value> {
    (
        "[A-Za-z0-9_-]{1,128}",
        "\\PC{0,64}",
        prop_oneof![Just(String::new()), "https://[a-z]{1,10}/[a-z0-9]{0,20}"],
        0u8..=2,
        (0u64..=(1 << 53) - 1, 0u64..=100_000_000_000_000),
        prop_oneof![any::<u32>().prop_map(|n| json!(n)), "[0-9]{0,6}".prop_map(Value::String)],
        any::<bool>(),
        prop::option::of("\\PC{0,30}"),
    )
        .prop_map(|(open_id, nick, avatar, gender, (n, time), scene, is_new, lst)| {
            let mut v = json!({"open_id": open_id, "app_id": APP, "nick_name": nick, "avatar_url": avatar,
                "gender": gender, "login_times": n, "last_login_time": time, "from_scene": scene, "is_new": is_new});
            if let Some(lst) = lst {
                v["lst"] = json!(lst);
            }
            v
        })
}

fn authorised_record(cached_at: u64) -> CacheRecord {
    let profile = Profile {
        open_id: "o".into(),
        nick_name: "n".into(),
        avatar_url: "https://a".into(),
        ..Profile::default()
    };
    CacheRecord::new(APP, cached_at, profile)
}

/// Text near JSON: a generated value's text, often damaged (a byte cut, doubled or replaced by a JSON
/// character), or a soup of JSON's own characters.
fn json_like_text() -> impl Strategy<Value = String> {
    let damaged = (
        json_value(),
        any::<prop::sample::Index>(),
        0u8..4,
        prop::sample::select(
            &[
                "\\", "\"", ",", ":", "[", "]", "{", "}", "-", ".", "e", "0", " ", "\\u",
                "\\ud800", "\u{1}",
            ][..],
        ),
    )
        .prop_map(|(value, at, how, piece)| {
            let text = value.to_string();
            let chars: Vec<char> = text.chars().collect();
            let i = at.index(chars.len() + 1);
            let (head, tail): (String, String) =
                (chars[..i].iter().collect(), chars[i..].iter().collect());
            match how {
                0 => text,
                1 => format!("{head}{}", tail.chars().skip(1).collect::<String>()),
                2 => format!("{head}{piece}{tail}"),
                _ => format!(
                    "{head}{}{}",
                    tail.chars().skip(1).collect::<String>(),
                    piece
                ),
            }
        });
    prop_oneof![
        3 => damaged,
        1 => "[\\[\\]{}\",:0-9eE.+\\- tfrulnsa\\\\]{0,40}",
    ]
}

/// Our reading of a JSON text (as any value) against serde_json's. Numbers: ours are exact whole numbers
/// where the text is one that fits 64 bits, and `null` (NaN) for any other number, which no rule accepts;
/// serde_json's are floats. A float may land on a whole number for a decimal that is not one (a fraction
/// below its precision), which only happens from 2^52 on or with more than 15 digits; and from 2^53 on
/// serde_json's float may be one step off the correctly rounded value (its default parser is not exact),
/// where no rule accepts the number anyway.
fn same_value(ours: &Value, theirs: &Value) -> Result<(), String> {
    let agree = match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) if b.is_f64() => {
            let f = b.as_f64().unwrap_or(f64::NAN);
            let a = a.as_f64().unwrap_or(f64::NAN);
            a == f || (f.abs() >= 9_007_199_254_740_992.0 && ((a - f) / f).abs() < 1e-15)
        }
        (Value::Null, Value::Number(b)) if b.is_f64() => {
            let f = b.as_f64().unwrap_or(f64::NAN);
            let whole = f.is_finite() && f >= 0.0 && f.fract() == 0.0;
            !whole || f >= 4_503_599_627_370_496.0 || f == 0.0
        }
        (Value::Array(a), Value::Array(b)) => {
            return if a.len() == b.len() {
                a.iter().zip(b).try_for_each(|(x, y)| same_value(x, y))
            } else {
                Err(format!("{ours} vs serde_json's {theirs}"))
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            if a.keys().ne(b.keys()) {
                return Err(format!("keys of {ours} vs serde_json's {theirs}"));
            }
            return a
                .iter()
                .try_for_each(|(k, v)| same_value(v, &b[k]).map_err(|e| format!("{k}: {e}")));
        }
        (a, b) => a == b,
    };
    if agree {
        Ok(())
    } else {
        Err(format!("{ours} vs serde_json's {theirs}"))
    }
}

/// Whether serde_json refused `text` only where the core's format reads on by design: a number beyond a
/// float's range (a number for the core, as for `JSON.parse`; no whole number the rules accept) and a field
/// given twice (the last wins, as in `JSON.parse`).
fn refused_by_design(theirs: &serde_json::Error) -> bool {
    let e = theirs.to_string();
    e.contains("number out of range") || e.contains("duplicate field")
}

/// Whether `text` holds a number with more significant digits than a double keeps (17). serde_json rounds
/// it to a double, the core values its digits: "167596413651068.9921" is the whole number 167596413651069
/// to serde_json (and `JSON.parse`) and a fraction to the core, which then takes no whole number from it.
fn has_number_beyond_double_precision(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|token| {
            let digits: String = token.chars().filter(char::is_ascii_digit).collect();
            digits.trim_start_matches('0').len()
        })
        .any(|significant| significant > 17)
}

#[test]
fn a_fraction_read_as_whole_by_serde_json_is_a_difference_by_design() {
    // Found by the property below.
    let text = "167596413651068.9921";
    let theirs: Value = serde_json::from_str(text).unwrap();
    assert_eq!(theirs.as_f64(), Some(167_596_413_651_069.0));
    assert_eq!(
        from_json::<Value>(text).unwrap(),
        Value::Null,
        "the core reads a fraction"
    );
    assert!(same_value(&Value::Null, &theirs).is_err());
    assert!(has_number_beyond_double_precision(text));
    assert!(!has_number_beyond_double_precision(
        "[1.5, 12345678901234567, \"abc\"]"
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_json_format_accepts_and_reads_what_serde_json_does(text in json_like_text()) {
        let theirs = serde_json::from_str::<Value>(&text);
        let ours = from_json::<Value>(&text);
        if theirs.as_ref().is_err_and(refused_by_design) {
            return Ok(());
        }
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: ours {:?}, serde_json {:?}", text, ours, theirs);
        if let (Ok(ours), Ok(theirs)) = (&ours, &theirs) {
            prop_assert!(
                same_value(ours, theirs).is_ok() || has_number_beyond_double_precision(&text),
                "{:?}: {:?}", text, same_value(ours, theirs)
            );
        }
    }

    #[test]
    fn the_derived_types_read_the_same_through_both_formats(text in json_like_text()) {
        // The rules are serde's own: a text is a profile (or an envelope of one) for both formats or for neither,
        // the same profile, wherever the reference reads the text as the core does.
        // serde_json also reads a struct from an array (its fields in order); the core's format only from an
        // object, which is what a profile is.
        // Only texts that are JSON to serde_json itself: when it skips a value it does not check every
        // escape (a lone surrogate passes), which its own reading of the value refuses, as the core does.
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            return Ok(());
        };
        if value.is_array() || value["data"].is_array() {
            return Ok(());
        }
        let theirs = serde_json::from_str::<Envelope<Profile>>(&text);
        if theirs.as_ref().is_err_and(refused_by_design) {
            return Ok(());
        }
        let ours = from_json::<Envelope<Profile>>(&text);
        prop_assert_eq!(ours.as_ref().ok(), theirs.as_ref().ok(), "{:?}: ours {:?}, serde_json {:?}", text, ours, theirs);
        let theirs = serde_json::from_str::<Profile>(&text);
        if !theirs.as_ref().is_err_and(refused_by_design) {
            let ours = from_json::<Profile>(&text);
            prop_assert_eq!(ours.as_ref().ok(), theirs.as_ref().ok(), "{:?}: ours {:?}, serde_json {:?}", text, ours, theirs);
        }
    }

    #[test]
    fn the_json_format_writes_what_serde_json_writes(value in valid_profile(), cached_at in any::<u64>(),
                                                     code in "\\PC{0,20}", scene in any::<u64>()) {
        let profile = parse_body(&value.to_string(), APP).expect("generated profiles are valid");
        prop_assert_eq!(to_json(&profile).unwrap(), serde_json::to_string(&profile).unwrap());
        let record = CacheRecord::new(APP, cached_at, profile.clone());
        prop_assert_eq!(record.to_json(), serde_json::to_string(&record).unwrap());
        let envelope = Envelope::ok(profile);
        prop_assert_eq!(to_json(&envelope).unwrap(), serde_json::to_string(&envelope).unwrap());
        // The sharer and Douyin's anonymous code are written only when there is one: against serde_json.
        let sharer = if scene % 2 == 0 { String::new() } else { code.clone() };
        let anonymous = if scene % 3 == 0 { String::new() } else { code.clone() };
        // A scene is a number, or Douyin's string.
        let scene = if scene % 5 == 0 { Scene::Text(code.clone().into()) } else { Scene::Number(scene) };
        let login = LoginRequest { app_id: APP.into(), code: code.into(), anonymous_code: anonymous.into(), scene, channel: "c".into(), sharer: sharer.into() };
        prop_assert_eq!(login.to_json(), serde_json::to_string(&login).unwrap());
    }

    #[test]
    fn no_text_body_panics(body in "\\PC{0,200}") {
        let _ = parse_body(&body, APP);
        let _ = CacheRecord::parse(&body, APP);
    }

    #[test]
    fn no_json_value_panics(value in json_value()) {
        let _ = parse_body(&value.to_string(), APP);
        let text = value.to_string();
        let _ = parse_body(&text, APP);
        let _ = CacheRecord::parse(&text, APP);
        let wrapped = json!({"err": 0, "data": value}).to_string();
        let _ = parse_body(&wrapped, APP);
    }

    #[test]
    fn no_js_input_panics(input in input_value(), host_app in prop::option::of("\\PC{0,20}")) {
        let _ = UpdateOptions::parse(&input);
        let _ = Config::parse(&input, host_app.as_deref());
    }

    #[test]
    fn no_clock_or_ttl_panics(cached_at in any::<u64>(), now in any::<u64>(), ttl in any::<u64>(), refresh in any::<bool>()) {
        let r = authorised_record(cached_at);
        let _ = decide(Some(&r), ttl, now, refresh);
        let _ = r.expires_at(ttl);
    }

    #[test]
    fn profile_parse_serialise_parse_is_stable(value in valid_profile()) {
        let first = parse_body(&value.to_string(), APP).expect("generated profiles are valid");
        let again = parse_body(&first.to_json(), APP).expect("its own output parses");
        prop_assert_eq!(&first, &again);
        let enveloped = json!({"err": 0, "msg": "ok", "data": serde_json::to_value(&first).unwrap()}).to_string();
        prop_assert_eq!(&first, &parse_body(&enveloped, APP).unwrap());
    }

    #[test]
    fn accepted_arbitrary_profiles_are_fixed_points(value in json_value()) {
        if let Ok(first) = parse_body(&value.to_string(), APP) {
            let again = parse_body(&first.to_json(), APP).expect("normalised output is valid");
            prop_assert_eq!(first, again);
        }
    }

    #[test]
    fn record_parse_serialise_parse_is_stable(value in valid_profile(), cached_at in 0u64..=(1 << 53)) {
        let record = CacheRecord::new(APP, cached_at, parse_body(&value.to_string(), APP).unwrap());
        let text = record.to_json();
        let back = CacheRecord::parse(&text, APP).expect("its own record parses");
        prop_assert_eq!(&back, &record);
        prop_assert_eq!(back.to_json(), text);
    }

    #[test]
    fn a_stale_record_never_becomes_fresh_again(
        cached_at in 0u64..4_000_000_000_000,
        ttl in 0u64..100_000_000,
        mut times in prop::collection::vec(0u64..4_100_000_000_000, 3),
    ) {
        times.sort_unstable();
        let r = authorised_record(cached_at);
        let fresh: Vec<bool> = times.iter().map(|&t| decide(Some(&r), ttl, t, false) == Decision::Reuse).collect();
        prop_assert!(!(fresh[0] && !fresh[1] && fresh[2]), "fresh at {:?}: {:?}", times, fresh);
    }

    #[test]
    fn once_expired_always_expired(cached_at in 0u64..4_000_000_000_000, ttl in 1u64..100_000_000,
                                   t in 0u64..4_100_000_000_000, later in 0u64..1_000_000_000_000) {
        let r = authorised_record(cached_at);
        if decide(Some(&r), ttl, t, false) == Decision::Prompt(PromptReason::Expired) {
            prop_assert_eq!(decide(Some(&r), ttl, t + later, false), Decision::Prompt(PromptReason::Expired));
        }
    }

    #[test]
    fn reuse_only_within_the_ttl_window(cached_at in 0u64..4_000_000_000_000, ttl in 0u64..100_000_000,
                                        now in 0u64..4_100_000_000_000) {
        let r = authorised_record(cached_at);
        if decide(Some(&r), ttl, now, false) == Decision::Reuse {
            prop_assert!(ttl > 0);
            prop_assert!(now < cached_at + ttl * 1000);
            prop_assert!(cached_at <= now + 5 * 60 * 1000);
        }
    }
}

proptest! {
    /// Messages are written for WeChat; on QQ "WeChat" becomes "QQ" and `wx.` at the start of a word `qq.`,
    /// nothing else (a model written with `str` methods, against the byte walk).
    #[test]
    fn a_message_names_the_platform_by_the_two_replacements(text in "[WwxeChatQq. 微]{0,30}|\\PC{0,40}") {
        let mut expected = String::new();
        let mut rest = text.as_str();
        while let Some(c) = rest.chars().next() {
            let word_start = !expected.ends_with(|p: char| p.is_ascii_alphanumeric());
            if let Some(after) = rest.strip_prefix("WeChat") {
                expected.push_str("QQ");
                rest = after;
            } else if let Some(after) = rest.strip_prefix("wx.").filter(|_| word_start) {
                expected.push_str("qq.");
                rest = after;
            } else {
                expected.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        let named = Platform::Qq.name_in(&text);
        prop_assert_eq!(named.is_some(), expected != text);
        prop_assert_eq!(named.unwrap_or_else(|| text.clone()), expected);
        prop_assert_eq!(Platform::WeChat.name_in(&text), None);
    }
}
