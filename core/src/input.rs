//! A pure view of the JS values the SDK is handed — `install(config)`, `updateUserProfile(options)` and the
//! host's replies — so that their rules can live (and be tested) in Rust without wasm imports. The binding
//! reads a JS value into an [`Input`] once, every read under `catch` (a guarded snapshot of the known keys);
//! a serde `Deserializer` over that snapshot then reads it into the core's derived types: an argument's known
//! keys ([`Argument::from_input`]; each key's value an [`Input`]), a host's reply ([`read_reply`]). Native
//! callers and the binding go through the same reader.

use std::fmt;

use serde::de::value::{Error as ValueError, SeqDeserializer};
use serde::de::{
    self, DeserializeOwned, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::{Deserialize, Deserializer};

use crate::error::TmError;
use crate::json::field_names;

/// A JS value as the validation rules see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Input {
    /// `undefined`, or a key that is not there.
    #[default]
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (any JS number, including NaN and the infinities).
    Number(f64),
    /// A string.
    String(String),
    /// A plain object (or any non-callable, non-array object), with the known keys it has.
    Object(Vec<(String, Input)>),
    /// An array.
    Array,
    /// A function.
    Function,
    /// Anything else (symbol, bigint), by its `typeof`.
    Other(String),
}

impl Input {
    /// What the value is, as an error message says it: "a string", "null", "an array" …
    pub fn describe(&self) -> &str {
        match self {
            Input::Undefined => "undefined",
            Input::Null => "null",
            Input::Bool(_) => "a boolean",
            Input::Number(n) if n.is_nan() => "NaN",
            Input::Number(_) => "a number",
            Input::String(_) => "a string",
            Input::Object(_) => "an object",
            Input::Array => "an array",
            Input::Function => "a function",
            Input::Other(kind) => kind,
        }
    }

    /// `true` for `undefined` and `null`: a key given either way takes its default.
    pub fn is_absent(&self) -> bool {
        matches!(self, Input::Undefined | Input::Null)
    }

    /// The value of `key` in an object; `Undefined` when the key is missing or `self` is not an object.
    pub fn get(&self, key: &str) -> &Input {
        match self {
            // The last pair wins, as with duplicate keys in JSON.
            Input::Object(fields) => fields
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&Input::Undefined),
            _ => &Input::Undefined,
        }
    }

    /// An object built from `(key, value)` pairs (handy for tests and fixtures).
    pub fn object<'a>(fields: impl IntoIterator<Item = (&'a str, Input)>) -> Input {
        Input::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    /// A string value.
    pub fn str(s: &str) -> Input {
        Input::String(s.to_string())
    }
}

/// A value read through serde: `null`/`undefined` → `Null` (a key that is not there stays `Undefined`, the
/// field's default), numbers → `Number`, strings → `String`; arrays and objects are shapes only (the rules
/// never look inside them), their content skipped.
impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Input, D::Error> {
        deserializer.deserialize_any(InputVisitor)
    }
}

struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = Input;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JS value")
    }

    fn visit_unit<E>(self) -> Result<Input, E> {
        Ok(Input::Null)
    }

    /// An absent value (a key the snapshot does not have), as its field's default.
    fn visit_none<E>(self) -> Result<Input, E> {
        Ok(Input::Undefined)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Input, D::Error> {
        Input::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Input, E> {
        Ok(Input::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Input, E> {
        Ok(Input::Number(n as f64))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Input, E> {
        Ok(Input::Number(n as f64))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Input, E> {
        Ok(Input::Number(n))
    }

    fn visit_str<E>(self, s: &str) -> Result<Input, E> {
        Ok(Input::String(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Input, E> {
        Ok(Input::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Input, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Input::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Input::Object(Vec::new()))
    }
}

/// A JS argument (`install`'s config, `updateUserProfile`'s options) as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Argument<T> {
    /// An object, or nothing (`undefined`, `null`: every key absent), its known keys read into `T`.
    Keys(T),
    /// A value of another kind: a string, a number, an array, a function …
    NotAnObject(Input),
    /// A known key whose value is not plain data: a function, a symbol, a bigint, or a getter that throws.
    Unreadable {
        /// The key.
        key: String,
        /// What its value is, as the error says it ("is a function", "has a getter that throws (…)").
        what: String,
    },
}

impl<T> Argument<T> {
    /// The keys read, or the argument's own error: `not_an_object` is given what the value is ("a string"),
    /// `unreadable` the key and the problem, phrased the same for every argument.
    pub(crate) fn into_keys(
        self,
        not_an_object: impl FnOnce(&str) -> TmError,
        unreadable: impl FnOnce(&str, &str) -> TmError,
    ) -> Result<T, TmError> {
        match self {
            Argument::Keys(keys) => Ok(keys),
            Argument::NotAnObject(other) => Err(not_an_object(other.describe())),
            Argument::Unreadable { key, what } => Err(unreadable(
                &key,
                &format!("{what}, which cannot be read; pass plain data"),
            )),
        }
    }
}

impl<T: DeserializeOwned + Default> Argument<T> {
    /// The keys the rules read: `T`'s field names (the binding reads only these from a JS object).
    pub fn keys() -> &'static [&'static str] {
        field_names::<T>()
    }

    /// Reads an [`Input`] the way the binding reads a JS value: only the known keys; a function or other
    /// non-data value at one of them is [`Argument::Unreadable`].
    pub fn from_input(input: &Input) -> Argument<T> {
        match input {
            Input::Undefined | Input::Null => Argument::Keys(T::default()),
            Input::Object(fields) => {
                for &key in Self::keys() {
                    if let v @ (Input::Function | Input::Other(_)) = input.get(key) {
                        return Argument::Unreadable {
                            key: key.to_string(),
                            what: format!("is {}", v.describe()),
                        };
                    }
                }
                let read: Result<T, ValueError> = T::deserialize(Object(fields));
                read.map_or_else(
                    |e| Argument::NotAnObject(Input::Other(e.to_string())),
                    Argument::Keys,
                )
            }
            other => Argument::NotAnObject(other.clone()),
        }
    }
}

impl<T: DeserializeOwned + Default> From<&Input> for Argument<T> {
    fn from(input: &Input) -> Self {
        Argument::from_input(input)
    }
}

/// Reads a host's reply (`wx.login`'s result, a user-info result, the launch options, a request's result) —
/// the snapshot of its known keys — into the derived reply type `T`. A key whose value is not plain data reads
/// as absent; a reply that is not an object reads as `T::default()`.
pub fn read_reply<T: DeserializeOwned + Default>(reply: &Input) -> T {
    let Input::Object(fields) = reply else {
        return T::default();
    };
    let read: Result<T, ValueError> = T::deserialize(Object(fields));
    read.unwrap_or_default()
}

/// The value of `key` in a snapshot's fields when it is plain data (the last pair wins, as with duplicate keys
/// in JSON); `Undefined` otherwise.
fn data_at<'a>(fields: &'a [(String, Input)], key: &str) -> &'a Input {
    match fields.iter().rev().find(|(k, _)| k == key) {
        Some((_, Input::Function | Input::Other(_))) | None => &Input::Undefined,
        Some((_, v)) => v,
    }
}

/// An object of the snapshot as a serde `Deserializer`. A derived struct reads it as a sequence in the order
/// of its own fields, each looked up by name (an absent one reads as `none`, the field's default): one small
/// reader per type, where a map would link key matching and duplicate checks for each. Any other reader (an
/// `Input`, the launch query's) gets a map of its plain-data entries.
struct Object<'a>(&'a [(String, Input)]);

impl<'de> Deserializer<'de> for Object<'_> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_map(Entries {
            fields: self.0.iter(),
            value: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        names: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_seq(InOrder {
            names: names.iter(),
            fields: self.0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// A struct's fields, in its order, from a snapshot's object.
struct InOrder<'a> {
    names: std::slice::Iter<'static, &'static str>,
    fields: &'a [(String, Input)],
}

impl<'de> SeqAccess<'de> for InOrder<'_> {
    type Error = ValueError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        match self.names.next() {
            Some(name) => seed
                .deserialize(Shape(data_at(self.fields, name)))
                .map(Some),
            None => Ok(None),
        }
    }
}

/// A snapshot's plain-data entries as a serde map.
struct Entries<'a> {
    fields: std::slice::Iter<'a, (String, Input)>,
    value: Option<&'a Input>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = ValueError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        let Some((key, value)) = self
            .fields
            .find(|(_, v)| !matches!(v, Input::Function | Input::Other(_)))
        else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(key.as_str().into_deserializer()).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        // Serde asks for a value only after its key: `take` always finds one.
        seed.deserialize(Shape(self.value.take().unwrap_or(&Input::Undefined)))
    }
}

/// An [`Input`] of plain data as a serde `Deserializer`.
#[derive(Clone, Copy)]
struct Shape<'a>(&'a Input);

impl<'de> IntoDeserializer<'de, ValueError> for Shape<'_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for Shape<'_> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let empty: [(); 0] = [];
        match self.0 {
            Input::Undefined => visitor.visit_none(),
            Input::Null => visitor.visit_unit(),
            Input::Bool(b) => visitor.visit_bool(*b),
            Input::Number(n) => visitor.visit_f64(*n),
            Input::String(s) => visitor.visit_str(s),
            Input::Array => visitor.visit_seq(SeqDeserializer::new(empty.into_iter())),
            // An object's keys are those the snapshot kept (none, unless the binding followed them); a
            // nested value that is not data reads as absent.
            Input::Object(fields) => Object(fields).deserialize_any(visitor),
            Input::Function | Input::Other(_) => Err(de::Error::custom(format!(
                "{} is not plain data",
                self.0.describe()
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// A reply field kept when it is a string (a host's odd value reads as absent, as WeChat's typings allow).
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Input::deserialize(d)? {
        Input::String(s) => Some(s),
        _ => None,
    })
}

/// A reply field kept when it is a whole number WeChat could send (`errno`, `statusCode`).
pub(crate) fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Input::deserialize(d)? {
        Input::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(n as i64),
        _ => None,
    })
}

/// A reply field that is text, `""` when it is not.
pub(crate) fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    text(d).map(Option::unwrap_or_default)
}

/// An HTTP status (`statusCode`): a whole number up to 999, else 0 (none given).
pub(crate) fn status_code<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    Ok(whole(d)?
        .filter(|s| (0..=999).contains(s))
        .map_or(0, |s| s as u16))
}

/// The keys of the launch options' `query` the SDK reads: SkyRiver's channel and the share that brought the
/// player. Each `undefined` when absent or when `query` is not an object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LaunchQuery {
    /// `query.channelCode`, as given.
    pub channel_code: Input,
    /// `query.tmsdk_s`, as given: the share code of the player whose share opened the game.
    pub sharer: Input,
}

/// Reads the launch options' `query` into its [`LaunchQuery`].
pub(crate) fn launch_query<'de, D: Deserializer<'de>>(d: D) -> Result<LaunchQuery, D::Error> {
    struct Query;
    impl<'de> Visitor<'de> for Query {
        type Value = LaunchQuery;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("the launch query")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LaunchQuery, A::Error> {
            let mut query = LaunchQuery::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "channelCode" => query.channel_code = map.next_value()?,
                    "tmsdk_s" => query.sharer = map.next_value()?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(query)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LaunchQuery, A::Error> {
            InputVisitor.visit_seq(seq).map(|_| LaunchQuery::default())
        }

        fn visit_unit<E>(self) -> Result<LaunchQuery, E> {
            Ok(LaunchQuery::default())
        }

        fn visit_none<E>(self) -> Result<LaunchQuery, E> {
            Ok(LaunchQuery::default())
        }

        fn visit_bool<E>(self, _: bool) -> Result<LaunchQuery, E> {
            Ok(LaunchQuery::default())
        }

        fn visit_i64<E>(self, _: i64) -> Result<LaunchQuery, E> {
            Ok(LaunchQuery::default())
        }

        fn visit_u64<E>(self, _: u64) -> Result<LaunchQuery, E> {
            Ok(LaunchQuery::default())
        }

        fn visit_f64<E>(self, _: f64) -> Result<LaunchQuery, E> {
            Ok(LaunchQuery::default())
        }

        fn visit_str<E>(self, _: &str) -> Result<LaunchQuery, E> {
            Ok(LaunchQuery::default())
        }
    }
    d.deserialize_any(Query)
}

/// Reads an optional boolean: absent → `None`, a boolean → `Some`, anything else → `Err(description)`.
pub(crate) fn optional_bool(value: &Input) -> Result<Option<bool>, String> {
    match value {
        v if v.is_absent() => Ok(None),
        Input::Bool(b) => Ok(Some(*b)),
        other => Err(format!("must be a boolean, not {}", other.describe())),
    }
}

/// Reads an optional string: absent → `None`, a string → `Some`, anything else → `Err(description)`.
pub(crate) fn optional_string(value: &Input) -> Result<Option<&str>, String> {
    match value {
        v if v.is_absent() => Ok(None),
        Input::String(s) => Ok(Some(s)),
        other => Err(format!("must be a string, not {}", other.describe())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_reads_known_keys_and_defaults_to_undefined() {
        let o = Input::object([("a", Input::Bool(true))]);
        assert_eq!(o.get("a"), &Input::Bool(true));
        assert_eq!(o.get("b"), &Input::Undefined);
        assert_eq!(Input::Null.get("a"), &Input::Undefined);
    }

    #[test]
    fn describe_names_every_kind() {
        assert_eq!(Input::Number(f64::NAN).describe(), "NaN");
        assert_eq!(Input::Number(1.0).describe(), "a number");
        assert_eq!(Input::Array.describe(), "an array");
        assert_eq!(Input::Other("symbol".into()).describe(), "symbol");
    }

    use crate::{ConfigInput, LaunchValues, LoginReply, OptionsInput, Response, UserInfoReply};

    #[test]
    fn an_arguments_keys_are_its_fields_as_js_spells_them() {
        assert_eq!(
            Argument::<OptionsInput>::keys(),
            ["refresh", "fresh", "desc", "lang"]
        );
        let config = Argument::<ConfigInput>::keys();
        assert_eq!(config.len(), 12);
        assert!(config.contains(&"profileTtl") && config.contains(&"userInfoButton"));
        assert!(config.contains(&"trackShares") && config.contains(&"trackPlayTime"));
    }

    #[test]
    fn an_argument_reads_known_keys_only_and_shapes_not_contents() {
        let given = Input::object([
            ("desc", Input::str("x")),
            ("refresh", Input::object([("deep", Input::Function)])),
            ("lang", Input::Null),
            ("unknown", Input::Function),
        ]);
        let Argument::Keys(o) = Argument::<OptionsInput>::from_input(&given) else {
            panic!("an object is read into its keys")
        };
        assert_eq!(o.desc, Input::str("x"));
        assert_eq!(o.refresh, Input::Object(vec![]));
        assert_eq!(o.lang, Input::Null);
        assert_eq!(o.fresh, Input::Undefined, "a missing key keeps the default");
        assert_eq!(
            Argument::<OptionsInput>::from_input(&Input::Null),
            Argument::Keys(OptionsInput::default())
        );
        assert_eq!(
            Argument::<OptionsInput>::from_input(&Input::Array),
            Argument::NotAnObject(Input::Array)
        );
    }

    #[test]
    fn a_known_key_that_is_not_data_is_unreadable() {
        let given = Input::object([("desc", Input::Other("a bigint".into()))]);
        assert_eq!(
            Argument::<OptionsInput>::from_input(&given),
            Argument::Unreadable {
                key: "desc".into(),
                what: "is a bigint".into()
            }
        );
        let given = Input::object([("host", Input::Function)]);
        let Argument::Unreadable { key, .. } = Argument::<ConfigInput>::from_input(&given) else {
            panic!("a function is not data")
        };
        assert_eq!(key, "host");
    }

    #[test]
    fn host_replies_keep_the_types_wechat_sends_and_drop_the_rest() {
        let login: LoginReply =
            crate::from_json(r#"{"code":"0a1","errMsg":"login:ok","extra":[1]}"#).unwrap();
        assert_eq!(login.code, "0a1");
        assert_eq!(login.err_msg.as_deref(), Some("login:ok"));
        let odd: LoginReply = crate::from_json(r#"{"code":12345,"errMsg":null}"#).unwrap();
        assert_eq!(odd, LoginReply::default());

        let info: UserInfoReply = crate::from_json(
            r#"{"rawData":"{}","signature":"s","iv":7,"errno":103,"userInfo":{"nickName":"n"}}"#,
        )
        .unwrap();
        assert_eq!(
            (info.raw_data.as_str(), info.signature.as_str()),
            ("{}", "s")
        );
        assert_eq!(info.iv, "", "a number where text belongs reads as absent");
        assert_eq!(info.errno, Some(103));
        assert_eq!(
            info.user_info, None,
            "userInfo is the binding's to write as text"
        );
        let fraction: UserInfoReply = crate::from_json(r#"{"errno":1.5}"#).unwrap();
        assert_eq!(fraction.errno, None);

        let launch: LaunchValues =
            crate::from_json(r#"{"scene":1044,"query":{"a":[1],"channelCode":"ch-1"}}"#).unwrap();
        assert_eq!(
            (launch.scene, launch.query.channel_code),
            (Input::Number(1044.0), Input::str("ch-1"))
        );
        for query in [r#""ch-1""#, "[1]", "null", "7", "{}"] {
            let text = format!(r#"{{"scene":"1001","query":{query}}}"#);
            let launch: LaunchValues = crate::from_json(&text).unwrap();
            assert_eq!(launch.query, LaunchQuery::default(), "{text}");
            assert_eq!(launch.scene, Input::str("1001"), "{text}");
        }

        for (text, status) in [
            (r#"{"statusCode":200,"data":"x"}"#, 200),
            (r#"{"statusCode":1000}"#, 0),
            (r#"{"statusCode":"200"}"#, 0),
            (r#"{}"#, 0),
        ] {
            let r: Response = crate::from_json(text).unwrap();
            assert_eq!((r.status, r.body.as_str()), (status, ""), "{text}");
        }
    }

    #[test]
    fn host_replies_read_from_a_snapshot_as_from_json() {
        let query = Input::object([
            ("a", Input::Array),
            ("f", Input::Function),
            ("channelCode", Input::str("ch-1")),
            ("tmsdk_s", Input::str("Ab_9")),
        ]);
        let launch: LaunchValues = read_reply(&Input::object([
            ("scene", Input::Number(1044.0)),
            ("query", query),
        ]));
        assert_eq!(
            (launch.scene, launch.query.channel_code, launch.query.sharer),
            (
                Input::Number(1044.0),
                Input::str("ch-1"),
                Input::str("Ab_9")
            )
        );
        let login: LoginReply = read_reply(&Input::object([
            ("code", Input::Function),
            ("errMsg", Input::str("login:ok")),
        ]));
        assert_eq!(
            (login.code.as_str(), login.err_msg.as_deref()),
            ("", Some("login:ok")),
            "a key that is not data reads as absent, the others stay"
        );
        let info: UserInfoReply = read_reply(&Input::object([
            ("errno", Input::Number(103.0)),
            ("iv", Input::Number(7.0)),
        ]));
        assert_eq!((info.errno, info.iv.as_str()), (Some(103), ""));
        let r: Response = read_reply(&Input::object([("statusCode", Input::Number(404.0))]));
        assert_eq!(r.status, 404);
        assert_eq!(
            read_reply::<Response>(&Input::str("x")),
            Response::default()
        );
    }

    #[test]
    fn optional_readers_accept_absent_and_reject_wrong_types() {
        assert_eq!(optional_bool(&Input::Null), Ok(None));
        assert_eq!(optional_bool(&Input::Bool(false)), Ok(Some(false)));
        assert_eq!(
            optional_bool(&Input::str("true")),
            Err("must be a boolean, not a string".to_string())
        );
        assert_eq!(optional_string(&Input::Undefined), Ok(None));
        assert_eq!(optional_string(&Input::str("x")), Ok(Some("x")));
        assert!(optional_string(&Input::Number(1.0)).is_err());
    }
}
