//! A backend answer read in one pass, straight into the profile's fields: no JSON tree is built, strings
//! without escapes are borrowed from the text, and unknown keys are skipped unread. The rules then run over
//! what was read (`Profile::from_raw`). A key given twice keeps its last value, as a JSON object does.

use std::borrow::Cow;

use crate::json::{Malformed, Read, Reader, SyntaxError};

/// How many bodies may nest (`{"data":{"data":…}}`) before the text is refused: serde_json's recursion limit,
/// which the reader keeps so a hostile answer cannot exhaust the stack.
pub const MAX_BODY_NESTING: usize = 127;

/// Reads all of `text` with `read`; only whitespace may follow the value.
fn whole<'a, T>(
    text: &'a str,
    read: impl FnOnce(&mut Reader<'a>) -> Read<T>,
) -> Result<T, SyntaxError> {
    let mut reader = Reader::new(text);
    match read(&mut reader).and_then(|value| reader.finish().map(|_| value)) {
        Ok(value) => Ok(value),
        Err(Malformed) => Err(reader.error()),
    }
}

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
    /// Any other number (a fraction, an exponent, or a whole number beyond 64 bits): its exact value when
    /// that is a whole number that fits in a `u64` (`12.0`, `1.2e1`, `-0.0`), else `None`. Read from the
    /// decimal digits, never through a float (see `json::Reader`).
    Decimal(Option<u64>),
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
            Scalar::Unsigned(_) | Scalar::Negative(_) | Scalar::Decimal(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
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

impl<'a> RecordBody<'a> {
    /// Reads a stored text: an object's four keys (others skipped), or `Other`.
    pub fn parse(text: &'a str) -> Result<RecordBody<'a>, SyntaxError> {
        whole(text, read_record)
    }
}

fn read_record<'a>(r: &mut Reader<'a>) -> Read<RecordBody<'a>> {
    if r.peek_value() != Some(b'{') {
        return r.skip().map(|_| RecordBody::Other);
    }
    let mut raw = RawRecord::default();
    r.object(|r, key| {
        match key.as_ref() {
            "v" => raw.v = Some(r.scalar()?),
            "app_id" => raw.app_id = Some(r.scalar()?),
            "cached_at" => raw.cached_at = Some(r.scalar()?),
            "profile" => raw.profile = Some(read_body(r, 1)?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(RecordBody::Object(raw))
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

/// The position of `key` in [`FIELD_NAMES`]: a `match`, which the compiler turns into a switch on the
/// length and one comparison (a scan of the list took a tenth of a parse).
pub fn field_index(key: &str) -> Option<usize> {
    Some(match key {
        "pid" => 0,
        "app_id" => 1,
        "open_id" => 2,
        "union_id" => 3,
        "nick_name" => 4,
        "avatar_url" => 5,
        "gender" => 6,
        "city" => 7,
        "province" => 8,
        "country" => 9,
        "language" => 10,
        "gold" => 11,
        "diamond" => 12,
        "share_new" => 13,
        "share_times" => 14,
        "online_days" => 15,
        "online_duration" => 16,
        "last_login_time" => 17,
        "login_times" => 18,
        "from_scene" => 19,
        "from_code" => 20,
        "is_new" => 21,
        "ofp" => 22,
        "jwt" => 23,
        "login_province" => 24,
        "login_city" => 25,
        "login_district" => 26,
        "lst" => 27,
        "xh_uid" => 28,
        _ => return None,
    })
}

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
        field_index(key).and_then(|i| self.fields[i].as_ref())
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

impl<'a> Body<'a> {
    /// Reads a whole text: an object's known keys (others skipped), or what stands in its place.
    pub fn parse(text: &'a str) -> Result<Body<'a>, SyntaxError> {
        whole(text, |r| read_body(r, 0))
    }
}

/// `nesting`: how many bodies enclose this one.
fn read_body<'a>(r: &mut Reader<'a>, nesting: usize) -> Read<Body<'a>> {
    if r.peek_value() != Some(b'{') {
        return r.scalar().map(|other| Body::Other(other.kind()));
    }
    if nesting >= MAX_BODY_NESTING {
        return Err(Malformed);
    }
    let mut raw = Box::<RawProfile>::default();
    r.object(|r, key| {
        if let Some(i) = field_index(&key) {
            raw.fields[i] = Some(r.scalar()?);
        } else {
            match key.as_ref() {
                "err" => raw.err = Some(r.scalar()?),
                "msg" => raw.msg = Some(r.scalar()?),
                "data" => raw.data = Some(read_body(r, nesting + 1)?),
                _ => r.skip()?,
            }
        }
        Ok(())
    })?;
    Ok(Body::Object(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_index_is_the_position_in_field_names() {
        for (i, name) in FIELD_NAMES.iter().enumerate() {
            assert_eq!(field_index(name), Some(i), "{name}");
        }
        assert_eq!(field_index("err"), None);
        assert_eq!(field_index("open_ids"), None);
    }
}
