//! A backend answer read in one pass, straight into the profile's fields: no JSON tree is built, strings
//! without escapes are borrowed from the text, and unknown keys are skipped unread. The rules then run over
//! what was read (`Profile::from_raw`). A key given twice keeps its last value, as a JSON object does.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One JSON value as the profile rules see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A non-negative integer that fits in a `u64`.
    Unsigned(u64),
    /// A negative integer.
    Negative(i64),
    /// Any other number.
    Float(f64),
    /// A string, borrowed from the text when it has no escapes.
    Str(Cow<'a, str>),
    /// An array (its content is skipped).
    Array,
    /// An object (its content is skipped).
    Object,
}

impl Scalar<'_> {
    /// What the value is, as an error message says it.
    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Unsigned(_) | Scalar::Negative(_) | Scalar::Float(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Unsigned(n))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(if n >= 0 {
            Scalar::Unsigned(n as u64)
        } else {
            Scalar::Negative(n)
        })
    }
    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(n))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// An object's key, borrowed from the text when it has no escapes.
struct Key<'a>(Cow<'a, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(s.to_string())))
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

/// A stored cache record read in one pass: its four keys as given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawRecord<'a> {
    /// `v`.
    pub v: Option<Scalar<'a>>,
    /// `app_id`.
    pub app_id: Option<Scalar<'a>>,
    /// `cached_at`.
    pub cached_at: Option<Scalar<'a>>,
    /// `profile`.
    pub profile: Option<Body<'a>>,
}

/// A stored value: a record object, or anything else.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordBody<'a> {
    /// An object.
    Object(RawRecord<'a>),
    /// Anything else.
    Other,
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = RecordBody<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a cache record")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawRecord::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match key.as_ref() {
                "v" => raw.v = Some(map.next_value()?),
                "app_id" => raw.app_id = Some(map.next_value()?),
                "cached_at" => raw.cached_at = Some(map.next_value()?),
                "profile" => raw.profile = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(RecordBody::Object(raw))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RecordBody::Other)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(RecordBody::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(RecordBody::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(RecordBody::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(RecordBody::Other)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(RecordBody::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RecordBody::Other)
    }
}

impl<'de> Deserialize<'de> for RecordBody<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RecordVisitor)
    }
}

/// The profile's field names, in the documented order (and the order of [`RawProfile::fields`]).
pub const FIELD_NAMES: [&str; 29] = [
    "pid",
    "app_id",
    "open_id",
    "union_id",
    "nick_name",
    "avatar_url",
    "gender",
    "city",
    "province",
    "country",
    "language",
    "gold",
    "diamond",
    "share_new",
    "share_times",
    "online_days",
    "online_duration",
    "last_login_time",
    "login_times",
    "from_scene",
    "from_code",
    "is_new",
    "ofp",
    "jwt",
    "login_province",
    "login_city",
    "login_district",
    "lst",
    "xh_uid",
];

/// A JSON object read for the profile rules: each known field as given (`None` when absent), and the
/// envelope's keys.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawProfile<'a> {
    /// The profile's fields, in the order of [`FIELD_NAMES`].
    pub fields: [Option<Scalar<'a>>; 29],
    /// The envelope's `err`, when the key is there.
    pub err: Option<Scalar<'a>>,
    /// The envelope's `msg`, when the key is there.
    pub msg: Option<Scalar<'a>>,
    /// The envelope's `data`, when the key is there.
    pub data: Option<Body<'a>>,
}

impl<'a> RawProfile<'a> {
    /// The value of `key`, if it is a known field that was given (`null` included).
    pub fn get(&self, key: &str) -> Option<&Scalar<'a>> {
        FIELD_NAMES
            .iter()
            .position(|k| *k == key)
            .and_then(|i| self.fields[i].as_ref())
    }
}

/// A JSON value where a profile may be: an object, read as a [`RawProfile`], or anything else.
#[derive(Debug, Clone, PartialEq)]
pub enum Body<'a> {
    /// An object.
    Object(Box<RawProfile<'a>>),
    /// Anything else, by its kind ("an array", "null" …).
    Other(&'static str),
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Body<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = Box::<RawProfile>::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if let Some(i) = FIELD_NAMES.iter().position(|k| *k == key) {
                raw.fields[i] = Some(map.next_value()?);
            } else {
                match key.as_ref() {
                    "err" => raw.err = Some(map.next_value()?),
                    "msg" => raw.msg = Some(map.next_value()?),
                    "data" => raw.data = Some(map.next_value()?),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        Ok(Body::Object(raw))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Body::Other("null"))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Body::Other("null"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Body::Other("a boolean"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Body::Other("a number"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Body::Other("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Body::Other("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Body::Other("a string"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Body::Other("an array"))
    }
}

impl<'de> Deserialize<'de> for Body<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BodyVisitor)
    }
}
