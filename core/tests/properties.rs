//! Property tests of the pure core (native only): no input panics, parse → serialise → parse is stable,
//! the core's JSON reader and writer agree with serde_json, and the cache decision never turns a stale
//! record fresh again as the clock moves forward.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tmsdk_core::Config;
use tmsdk_core::Input;
use tmsdk_core::UpdateOptions;
use tmsdk_core::{decide, CacheRecord, Decision, PromptReason};
use tmsdk_core::{parse_body, Profile};
use tmsdk_core::{Body, RecordBody, Scalar, FIELD_NAMES};

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

/// Our reading of one value against serde_json's.
fn same_scalar(ours: Option<&Scalar>, theirs: Option<&Value>) -> Result<(), String> {
    let agree = match (ours, theirs) {
        (None, None) => true,
        (Some(Scalar::Null), Some(Value::Null)) => true,
        (Some(Scalar::Bool(a)), Some(Value::Bool(b))) => a == b,
        (Some(Scalar::Unsigned(a)), Some(Value::Number(n))) => n.as_u64() == Some(*a),
        (Some(Scalar::Negative(a)), Some(Value::Number(n))) => {
            n.as_i64() == Some(*a) && n.as_u64().is_none()
        }
        (Some(Scalar::Decimal(exact)), Some(Value::Number(n))) => {
            // Ours is the exact decimal value; serde_json's a float. They agree on every whole value that
            // fits; a float may also land on a whole number for a decimal that is not one (a fraction below
            // the float's precision), which only happens from 2^52 on or with more than 15 digits.
            let f = n.as_f64().unwrap_or(f64::NAN);
            let whole_float = f.is_finite() && f >= 0.0 && f.fract() == 0.0;
            n.is_f64()
                && match exact {
                    Some(v) => *v as f64 == f,
                    None => !whole_float || f >= 4_503_599_627_370_496.0 || f == 0.0,
                }
        }
        (Some(Scalar::Str(a)), Some(Value::String(b))) => a == b,
        (Some(Scalar::Array), Some(Value::Array(_)))
        | (Some(Scalar::Object), Some(Value::Object(_))) => true,
        _ => false,
    };
    if agree {
        Ok(())
    } else {
        Err(format!("{ours:?} vs serde_json's {theirs:?}"))
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Our reading of a body against serde_json's: every key the rules read, at every level.
fn same_body(ours: &Body, theirs: &Value) -> Result<(), String> {
    match (ours, theirs) {
        (Body::Object(raw), Value::Object(map)) => {
            for (i, name) in FIELD_NAMES.iter().enumerate() {
                same_scalar(raw.fields[i].as_ref(), map.get(*name))
                    .map_err(|e| format!("{name}: {e}"))?;
            }
            same_scalar(raw.err.as_ref(), map.get("err")).map_err(|e| format!("err: {e}"))?;
            same_scalar(raw.msg.as_ref(), map.get("msg")).map_err(|e| format!("msg: {e}"))?;
            match (&raw.data, map.get("data")) {
                (None, None) => Ok(()),
                (Some(body), Some(value)) => same_body(body, value),
                (a, b) => Err(format!("data: {a:?} vs serde_json's {b:?}")),
            }
        }
        (Body::Other(kind), value) if *kind == kind_of(value) => Ok(()),
        (a, b) => Err(format!("{a:?} vs serde_json's {b:?}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_json_reader_accepts_and_reads_what_serde_json_does(text in json_like_text()) {
        let theirs = serde_json::from_str::<Value>(&text);
        let ours = Body::parse(&text);
        // The one difference by design: serde_json refuses a number beyond a float's range; the core reads
        // it as a number, as JSON.parse does (it is no whole number the rules accept either way).
        if theirs.as_ref().is_err_and(|e| e.to_string().contains("number out of range")) {
            return Ok(());
        }
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: ours {:?}, serde_json {:?}", text, ours, theirs);
        if let (Ok(body), Ok(value)) = (&ours, &theirs) {
            prop_assert!(same_body(body, value).is_ok(), "{:?}: {:?}", text, same_body(body, value));
        }
        prop_assert_eq!(RecordBody::parse(&text).is_ok(), ours.is_ok(), "record reader on {:?}", text);
    }

    #[test]
    fn the_json_writer_writes_what_serde_json_reads_back(value in valid_profile()) {
        let profile = Profile::from_value(&value, APP).expect("generated profiles are valid");
        let text = profile.to_json();
        let read: Value = serde_json::from_str(&text).expect("the writer writes JSON");
        // serde_json's own text for each member, in the documented order: byte for byte ours.
        let members: Vec<String> = FIELD_NAMES
            .iter()
            .filter_map(|k| read.get(*k).map(|v| format!("{}:{}", Value::from(*k), v)))
            .collect();
        prop_assert_eq!(format!("{{{}}}", members.join(",")), text);
    }

    #[test]
    fn no_text_body_panics(body in "\\PC{0,200}") {
        let _ = parse_body(&body, APP);
        let _ = CacheRecord::parse(&body, APP);
    }

    #[test]
    fn no_json_value_panics(value in json_value()) {
        let _ = Profile::from_value(&value, APP);
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
        let first = Profile::from_value(&value, APP).expect("generated profiles are valid");
        let again = parse_body(&first.to_json(), APP).expect("its own output parses");
        prop_assert_eq!(&first, &again);
        let enveloped = json!({"err": 0, "msg": "ok", "data": first.to_value()}).to_string();
        prop_assert_eq!(&first, &parse_body(&enveloped, APP).unwrap());
    }

    #[test]
    fn accepted_arbitrary_profiles_are_fixed_points(value in json_value()) {
        if let Ok(first) = Profile::from_value(&value, APP) {
            let again = Profile::from_value(&first.to_value(), APP).expect("normalised output is valid");
            prop_assert_eq!(first, again);
        }
    }

    #[test]
    fn record_parse_serialise_parse_is_stable(value in valid_profile(), cached_at in 0u64..=(1 << 53)) {
        let record = CacheRecord::new(APP, cached_at, Profile::from_value(&value, APP).unwrap());
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
