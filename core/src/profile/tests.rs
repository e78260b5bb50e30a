use super::*;
use crate::answer::{parse_body, parse_text};
use crate::error::ErrorCode;
use serde_json::{json, Value};

/// The rules over a JSON value (as the server's tests hold profiles).
fn from_value(value: &Value, app_id: &str) -> Result<Profile> {
    parse_body(&value.to_string(), app_id)
}

fn to_value(profile: &Profile) -> Value {
    serde_json::to_value(profile).unwrap()
}

const APP: &str = "wxa73fd8e544880e89";

/// The documented sample (SkyRiver's docs), plus the 2023 fields.
fn seed_sample() -> Value {
    json!({"pid":"","app_id":"wxa73fd8e544880e89","open_id":"oc7L942AwAqIiBabNYb_cLl7mRsQ","union_id":"",
        "nick_name":"","avatar_url":"","gender":0,"city":"广州","province":"广东省","country":"中国",
        "language":"zh_CN","gold":0,"diamond":0,"share_new":0,"share_times":0,"online_days":0,
        "online_duration":0,"last_login_time":1551690740,"login_times":1,"from_scene":"1044",
        "from_code":"ball-resurrection-1","is_new":false,"ofp":"","jwt":"","login_province":"广东省",
        "login_city":"广州市","login_district":"海珠区",
        "lst":"xh_a4ff9b7fa6de6e89a993fb53ce6c5333","xh_uid":"oZ4B96SuSjhET6CS7v3jTcY_be6Q"})
}

fn with(key: &str, value: Value) -> Value {
    let mut v = seed_sample();
    v[key] = value;
    v
}

fn rejects(value: Value, field: &str) {
    let e = from_value(&value, APP).expect_err("should be rejected");
    assert_eq!(e.code, ErrorCode::InvalidProfile);
    assert_eq!(e.field.as_deref(), Some(field), "{}", e.message);
}

#[test]
fn the_seed_sample_parses_to_every_documented_field_in_order() {
    let p = from_value(&seed_sample(), APP).unwrap();
    assert_eq!(p.open_id, "oc7L942AwAqIiBabNYb_cLl7mRsQ");
    assert_eq!(p.last_login_time, 1_551_690_740);
    assert_eq!(p.from_scene, "1044");
    assert_eq!(p.xh_uid.as_deref(), Some("oZ4B96SuSjhET6CS7v3jTcY_be6Q"));
    let text = p.to_json();
    let documented = "pid app_id open_id union_id nick_name avatar_url gender city province country language gold \
         diamond share_new share_times online_days online_duration last_login_time login_times from_scene from_code \
         is_new ofp jwt login_province login_city login_district lst xh_uid";
    let positions: Vec<usize> = documented
        .split_whitespace()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(to_value(&p).as_object().unwrap().len(), 29);
}

#[test]
fn serialised_order_is_the_documented_order_not_alphabetical() {
    let text = from_value(&seed_sample(), APP).unwrap().to_json();
    assert!(
        text.starts_with(r#"{"pid":"","app_id":"wxa73fd8e544880e89","open_id":"#),
        "{text}"
    );
}

#[test]
fn lst_and_xh_uid_appear_only_when_sent() {
    let mut v = seed_sample();
    v.as_object_mut().unwrap().remove("lst");
    v["xh_uid"] = Value::Null;
    let out = to_value(&from_value(&v, APP).unwrap());
    assert!(out.get("lst").is_none() && out.get("xh_uid").is_none());
    rejects(with("lst", json!(5)), "lst");
}

#[test]
fn missing_or_null_fields_take_empty_values() {
    let p = from_value(&json!({"open_id": "abc", "nick_name": null}), APP).unwrap();
    assert_eq!(
        p,
        Profile {
            open_id: "abc".into(),
            ..Profile::default()
        }
    );
}

#[test]
fn open_id_is_required_non_empty_short_and_plain() {
    rejects(json!({}), "open_id");
    rejects(with("open_id", json!("")), "open_id");
    rejects(with("open_id", json!(null)), "open_id");
    rejects(with("open_id", json!(12345)), "open_id");
    rejects(with("open_id", json!("a b")), "open_id");
    rejects(with("open_id", json!("o/../x")), "open_id");
    rejects(with("open_id", json!("x".repeat(129))), "open_id");
    assert!(from_value(&with("open_id", json!("A-z_09".repeat(21))), APP).is_ok());
}

#[test]
fn another_apps_profile_is_rejected_and_empty_app_id_accepted() {
    rejects(with("app_id", json!("wx0000000000000000")), "app_id");
    assert!(from_value(&with("app_id", json!("")), APP).is_ok());
}

#[test]
fn numeric_strings_are_numbers_and_numbers_are_scene_strings() {
    let p = from_value(
        &json!({"open_id":"a","gold":"12","diamond":" 7 ","share_new":"","from_scene":1044,"from_code":7}),
        APP,
    )
    .unwrap();
    assert_eq!((p.gold, p.diamond, p.share_new), (12, 7, 0));
    assert_eq!((p.from_scene.as_str(), p.from_code.as_str()), ("1044", "7"));
    rejects(with("from_scene", json!(1.5)), "from_scene");
    rejects(with("from_scene", json!(true)), "from_scene");
}

#[test]
fn integers_are_whole_non_negative_and_safe() {
    assert_eq!(
        from_value(&with("login_times", json!(3.0)), APP)
            .unwrap()
            .login_times,
        3
    );
    let max = from_value(&with("gold", json!(9007199254740991u64)), APP).unwrap();
    assert_eq!(max.gold, MAX_SAFE_INTEGER);
    rejects(with("gold", json!(9007199254740992u64)), "gold");
    rejects(with("gold", json!("9007199254740992")), "gold");
    rejects(with("share_times", json!(-1)), "share_times");
    rejects(with("online_days", json!(1.5)), "online_days");
    rejects(with("online_duration", json!("1e3")), "online_duration");
    rejects(with("login_times", json!("-2")), "login_times");
    rejects(with("login_times", json!(true)), "login_times");
    rejects(with("diamond", json!([1])), "diamond");
    rejects(with("share_new", json!(1e300)), "share_new");
}

#[test]
fn last_login_time_in_milliseconds_becomes_seconds() {
    let ms = from_value(&with("last_login_time", json!(1_551_690_740_123u64)), APP).unwrap();
    assert_eq!(ms.last_login_time, 1_551_690_740);
    let s = from_value(&with("last_login_time", json!(100_000_000_000u64)), APP).unwrap();
    assert_eq!(s.last_login_time, 100_000_000_000);
    rejects(
        with("last_login_time", json!(100_000_000_001_000_000u64)),
        "last_login_time",
    );
    let str_ms = from_value(&with("last_login_time", json!("1551690740999")), APP).unwrap();
    assert_eq!(str_ms.last_login_time, 1_551_690_740);
}

#[test]
fn gender_is_zero_one_or_two_as_number_or_string() {
    for (input, want) in [
        (json!(0), 0),
        (json!(2), 2),
        (json!("1"), 1),
        (json!(null), 0),
    ] {
        assert_eq!(
            from_value(&with("gender", input), APP).unwrap().gender,
            want
        );
    }
    for bad in [json!(3), json!(-1), json!("male"), json!(1.5), json!(true)] {
        rejects(with("gender", bad), "gender");
    }
}

#[test]
fn is_new_is_a_boolean_or_zero_or_one() {
    assert!(from_value(&with("is_new", json!(1)), APP).unwrap().is_new);
    assert!(!from_value(&with("is_new", json!(0)), APP).unwrap().is_new);
    for bad in [json!(2), json!("true"), json!("1")] {
        rejects(with("is_new", bad), "is_new");
    }
}

#[test]
fn strings_are_capped_and_nick_name_loses_control_characters() {
    assert!(from_value(&with("city", json!("城".repeat(256))), APP).is_ok());
    rejects(with("city", json!("城".repeat(257))), "city");
    rejects(with("jwt", json!("x".repeat(300))), "jwt");
    rejects(with("nick_name", json!("n".repeat(65))), "nick_name");
    rejects(with("nick_name", json!({"a": 1})), "nick_name");
    let p = from_value(
        &with("nick_name", json!("Ann\u{0}\u{7}\n\u{1b}[31m\u{9f}ie")),
        APP,
    )
    .unwrap();
    assert_eq!(p.nick_name, "Ann[31mie");
    // 64 visible characters plus control characters is within the cap once cleaned.
    let padded = format!("{}\u{1}\u{2}", "名".repeat(64));
    assert_eq!(
        from_value(&with("nick_name", json!(padded)), APP)
            .unwrap()
            .nick_name
            .chars()
            .count(),
        64
    );
}

#[test]
fn avatar_url_must_be_http_or_https() {
    for ok in [
        "",
        "https://thirdwx.qlogo.cn/x/132",
        "http://a.b/c",
        "HTTPS://A.B/",
    ] {
        assert!(
            from_value(&with("avatar_url", json!(ok)), APP).is_ok(),
            "{ok}"
        );
    }
    for bad in [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "//evil.example/x",
        "ftp://a/b",
        "https:/x",
    ] {
        rejects(with("avatar_url", json!(bad)), "avatar_url");
    }
}

#[test]
fn prototype_keys_and_unknown_fields_never_reach_the_output() {
    let body = r#"{"open_id":"abc","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},
        "prototype":1,"extra":"drop me"}"#;
    let out = to_value(&parse_body(body, APP).unwrap());
    let obj = out.as_object().unwrap();
    for k in ["__proto__", "constructor", "prototype", "extra", "polluted"] {
        assert!(!obj.contains_key(k), "{k}");
    }
    assert_eq!(obj.len(), 27);
}

#[test]
fn bodies_over_64_kib_are_rejected_without_parsing() {
    let body = format!(
        "{{\"open_id\":\"a\",\"pad\":\"{}\"}}",
        "x".repeat(MAX_BODY_BYTES)
    );
    let e = parse_body(&body, APP).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidProfile);
    assert!(e.message.contains("bytes"), "{}", e.message);
    // Not even valid JSON: the size check comes first.
    let junk = "{".repeat(MAX_BODY_BYTES + 1);
    assert!(parse_body(&junk, APP)
        .unwrap_err()
        .message
        .contains("bytes"));
}

#[test]
fn envelopes_are_unwrapped_and_server_errors_carry_err_and_msg() {
    let ok = json!({"err": 0, "msg": "请求成功", "data": seed_sample()}).to_string();
    assert_eq!(
        parse_body(&ok, APP).unwrap().open_id,
        "oc7L942AwAqIiBabNYb_cLl7mRsQ"
    );
    let bare = seed_sample().to_string();
    assert_eq!(
        parse_body(&bare, APP).unwrap(),
        parse_body(&ok, APP).unwrap()
    );

    let e = parse_body(
        r#"{"err": 1001, "msg": "小程序session解析错误", "data": null}"#,
        APP,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Server);
    assert_eq!(e.server_err, Some(1001));
    assert_eq!(e.err_msg.as_deref(), Some("小程序session解析错误"));

    let missing = parse_body(r#"{"err": 0, "msg": "ok"}"#, APP).unwrap_err();
    assert_eq!(missing.field.as_deref(), Some("data"));
    let bad_err = parse_body(r#"{"err": "0", "data": {}}"#, APP).unwrap_err();
    assert_eq!(bad_err.field.as_deref(), Some("err"));
}

#[test]
fn malformed_bodies_are_invalid_profile() {
    for body in [
        "",
        "not json",
        "[1,2]",
        "null",
        "\"s\"",
        "{\"open_id\":",
        "{\"err\":0,\"data\":[]}",
    ] {
        assert_eq!(
            parse_body(body, APP).unwrap_err().code,
            ErrorCode::InvalidProfile,
            "{body}"
        );
    }
}

#[test]
fn authorised_means_nick_name_and_avatar() {
    let mut p = from_value(&seed_sample(), APP).unwrap();
    assert!(!p.is_authorised());
    p.nick_name = "Ann".into();
    assert!(!p.is_authorised());
    p.avatar_url = "https://a/b".into();
    assert!(p.is_authorised());
}

#[test]
fn parse_text_names_the_argument_that_is_not_a_string() {
    let e = parse_text(None, Some("wx1")).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidOptions, Some("body"))
    );
    let e = parse_text(Some("{}"), None).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidOptions, Some("appId"))
    );
    let p = parse_text(Some(r#"{"open_id":"o1"}"#), Some("wx1")).unwrap();
    assert_eq!(p.open_id, "o1");
}

#[test]
fn a_refusal_is_told_before_its_data_and_a_bad_err_before_both() {
    // data first in the text, and broken: the envelope's refusal still wins.
    let e = parse_body(r#"{"data":{"open_id":"o c"},"err":1001,"msg":"busy"}"#, APP).unwrap_err();
    assert_eq!((e.code, e.server_err), (ErrorCode::Server, Some(1001)));
    let e = parse_body(r#"{"data":{"open_id":"o c"},"err":"1001"}"#, APP).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidProfile, Some("err"))
    );
    let e = parse_body(r#"{"data":{"open_id":"o c"},"err":0}"#, APP).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("open_id"));
}

#[test]
fn the_earliest_field_in_documented_order_is_told_and_syntax_before_any() {
    // gender comes after open_id in the text but before is_new in the documented order.
    let body = r#"{"open_id":"o","is_new":"yes","gender":9}"#;
    assert_eq!(
        parse_body(body, APP).unwrap_err().field.as_deref(),
        Some("gender")
    );
    let missing = r#"{"err":0,"data":{"gender":9,"nick_name":"n"}}"#;
    assert_eq!(
        parse_body(missing, APP).unwrap_err().field.as_deref(),
        Some("open_id")
    );
    let broken = r#"{"err":0,"data":{"open_id":"o c"}"#;
    let e = parse_body(broken, APP).unwrap_err();
    assert!(e.message.contains("not valid JSON"), "{}", e.message);
    // A key given twice keeps its last value, as JSON.parse does.
    let twice = r#"{"open_id":"o c","gender":"x","open_id":"o1","gender":1}"#;
    let p = parse_body(twice, APP).unwrap();
    assert_eq!((p.open_id.as_str(), p.gender), ("o1", 1));
}

#[test]
fn the_placeholder_is_exactly_weixin_yonghu() {
    let nick = |n: &str| Input::object([("nick_name", Input::str(n))]);
    assert!(is_placeholder(&nick("微信用户")));
    assert!(!is_placeholder(&nick("微信用户 ")));
    assert!(!is_placeholder(&nick("小明")));
    assert!(!is_placeholder(&Input::Null));
    assert!(!is_placeholder(&Input::object([])));
}

#[test]
fn a_repaired_profile_keeps_every_good_field_and_empties_the_broken_ones() {
    let stored = Profile {
        open_id: "o1".into(),
        nick_name: "字".repeat(65),
        avatar_url: "javascript:alert(1)".into(),
        city: "广州".into(),
        gender: 9,
        ..Profile::default()
    };
    let (repaired, broken) = stored.repaired();
    assert_eq!(
        (
            repaired.nick_name.as_str(),
            repaired.avatar_url.as_str(),
            repaired.gender
        ),
        ("", "", 0)
    );
    assert_eq!(
        (repaired.open_id.as_str(), repaired.city.as_str()),
        ("o1", "广州")
    );
    let e = broken.expect("the earliest broken field is told");
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidProfile, Some("nick_name"))
    );
    assert_eq!(
        repaired.repaired(),
        (repaired.clone(), None),
        "a repaired profile is whole"
    );
}

/// Four fields with their rules, read by the derive (which calls `next_value`).
#[derive(Debug, PartialEq, serde::Deserialize)]
struct Derived {
    #[serde(deserialize_with = "rules::read::open_id")]
    open_id: String,
    #[serde(default, deserialize_with = "rules::read::nick_name")]
    nick_name: String,
    #[serde(default, deserialize_with = "rules::read::gender")]
    gender: u8,
    #[serde(default, deserialize_with = "rules::read::avatar_url")]
    avatar_url: String,
}

/// The same fields read by a hand-written visitor through `next_value_seed`, as the derive does (a field
/// given twice is refused, a missing one takes its default, `open_id` is required).
#[derive(Debug, PartialEq)]
struct Seeded(Derived);

impl<'de> serde::Deserialize<'de> for Seeded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::{DeserializeSeed, Error, IgnoredAny, MapAccess, Visitor};
        use std::marker::PhantomData;

        // Each rule as a seed.
        macro_rules! seed {
            ($name:ident, $t:ty, $rule:path) => {
                struct $name;
                impl<'de> DeserializeSeed<'de> for $name {
                    type Value = $t;
                    fn deserialize<D: serde::Deserializer<'de>>(
                        self,
                        d: D,
                    ) -> std::result::Result<$t, D::Error> {
                        $rule(d)
                    }
                }
            };
        }
        seed!(OpenId, String, rules::read::open_id);
        seed!(NickName, String, rules::read::nick_name);
        seed!(Gender, u8, rules::read::gender);
        seed!(AvatarUrl, String, rules::read::avatar_url);

        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Seeded;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Seeded, A::Error> {
                fn once<T, E: Error>(
                    slot: &mut Option<T>,
                    value: T,
                    name: &'static str,
                ) -> std::result::Result<(), E> {
                    if slot.replace(value).is_some() {
                        return Err(E::duplicate_field(name));
                    }
                    Ok(())
                }
                let (mut open_id, mut nick_name, mut gender, mut avatar_url) =
                    (None, None, None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "open_id" => once(&mut open_id, map.next_value_seed(OpenId)?, "open_id")?,
                        "nick_name" => {
                            once(&mut nick_name, map.next_value_seed(NickName)?, "nick_name")?
                        }
                        "gender" => once(&mut gender, map.next_value_seed(Gender)?, "gender")?,
                        "avatar_url" => once(
                            &mut avatar_url,
                            map.next_value_seed(AvatarUrl)?,
                            "avatar_url",
                        )?,
                        _ => {
                            map.next_value_seed(PhantomData::<IgnoredAny>)?;
                        }
                    }
                }
                Ok(Seeded(Derived {
                    open_id: open_id.ok_or_else(|| A::Error::missing_field("open_id"))?,
                    nick_name: nick_name.unwrap_or_default(),
                    gender: gender.unwrap_or_default(),
                    avatar_url: avatar_url.unwrap_or_default(),
                }))
            }
        }
        const FIELDS: &[&str] = &["open_id", "nick_name", "gender", "avatar_url"];
        d.deserialize_struct("Derived", FIELDS, Fields)
    }
}

/// The error a reading ended with, as told.
fn told<T>(read: &std::result::Result<T, json::Error>) -> Option<String> {
    read.as_ref().err().map(|e| e.to_string())
}

#[test]
fn a_reader_calling_next_value_seed_reads_as_leniently_as_the_derive() {
    let texts = [
        r#"{"open_id":"o","nick_name":"n","gender":1,"avatar_url":"https://a/b"}"#,
        // One field breaks a rule: read as absent, its error kept.
        r#"{"open_id":"o","gender":"x","nick_name":"n"}"#,
        // Two, the later one in documented order first in the text: gender's error is told.
        r#"{"avatar_url":"ftp://a","open_id":"o","gender":7}"#,
        // A missing required field comes before a later broken one.
        r#"{"avatar_url":"ftp://a","gender":1}"#,
        // A broken open_id has no empty value: the whole struct fails with its error.
        r#"{"open_id":"","gender":"x"}"#,
        // The last of a repeated key wins, even after a broken one.
        r#"{"gender":"x","open_id":"o","gender":2,"avatar_url":"ftp://a","avatar_url":""}"#,
        // Unknown keys are skipped; nesting inside them does not matter.
        r#"{"x":{"gender":"x"},"open_id":"o","y":[1,{"a":"b"}],"gender":"9"}"#,
        // Not JSON: told as such first.
        r#"{"open_id":"o","gender":"x",}"#,
    ];
    for text in texts {
        let derived = json::from_str_lenient::<Derived>(text, true);
        let seeded = json::from_str_lenient::<Seeded>(text, true);
        assert_eq!(
            derived
                .as_ref()
                .ok()
                .map(|(v, e)| (v, e.as_ref().map(|e| e.to_string()))),
            seeded
                .as_ref()
                .ok()
                .map(|(v, e)| (&v.0, e.as_ref().map(|e| e.to_string()))),
            "lenient: {text}"
        );
        assert_eq!(told(&derived), told(&seeded), "lenient: {text}");
        let (derived, seeded) = (
            json::from_str::<Derived>(text),
            json::from_str::<Seeded>(text),
        );
        assert_eq!(
            derived.as_ref().ok(),
            seeded.as_ref().ok().map(|s| &s.0),
            "strict: {text}"
        );
        assert_eq!(told(&derived), told(&seeded), "strict: {text}");
    }
    // And leniency is real for both: a broken gender reads as 0 with its error.
    let (seeded, broken) = json::from_str_lenient::<Seeded>(texts[1], true).unwrap();
    assert_eq!((seeded.0.gender, seeded.0.nick_name.as_str()), (0, "n"));
    assert_eq!(broken.unwrap().field(), Some("gender"));
}
