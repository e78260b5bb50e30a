//! The field rules of a profile (docs/contract.md, Profile), as `deserialize_with` functions of the derived
//! [`Profile`](super::Profile): each reads whatever JSON value the backend sent, accepts the documented type
//! drift (numbers as strings, codes as numbers, 0/1 flags), normalises it, or refuses it saying what it
//! must be. They work with any serde format; the core's own names the field at fault.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{
    MAX_NICK_NAME_CHARS, MAX_OPEN_ID_CHARS, MAX_SAFE_INTEGER, MAX_STRING_CHARS,
    MILLISECONDS_THRESHOLD,
};

/// A JSON value as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Given<'de> {
    /// No value: a field that broke a rule is read again as absent (see `json::de`). Always the empty value.
    Absent,
    /// `null`: the type's empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A non-negative whole number (exactly; possibly beyond 2^53).
    Whole(u64),
    /// A negative whole number.
    Negative(i64),
    /// Any other number: a fraction, or one beyond 64 bits.
    OtherNumber,
    /// A string.
    Str(Cow<'de, str>),
    /// An array (its content read and dropped).
    Array,
    /// An object (its content read and dropped).
    Object,
}

impl Given<'_> {
    /// What the value is, as an error message says it.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Given::Absent | Given::Null => "null",
            Given::Bool(_) => "a boolean",
            Given::Whole(_) | Given::Negative(_) | Given::OtherNumber => "a number",
            Given::Str(_) => "a string",
            Given::Array => "an array",
            Given::Object => "an object",
        }
    }

    /// A safe non-negative integer (`12`, `12.0` and `-0` are; `-1`, `1.5`, `2^53` are not).
    fn safe_integer(&self) -> Option<u64> {
        match *self {
            Given::Whole(n) if n <= MAX_SAFE_INTEGER => Some(n),
            _ => None,
        }
    }
}

struct GivenVisitor;

impl<'de> Visitor<'de> for GivenVisitor {
    type Value = Given<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Given<'de>, E> {
        Ok(Given::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Given<'de>, E> {
        Ok(match u64::try_from(v) {
            Ok(n) => Given::Whole(n),
            Err(_) => Given::Negative(v),
        })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Given<'de>, E> {
        Ok(Given::Whole(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Given<'de>, E> {
        // NaN and fractions fail the first test; the bound keeps the cast exact.
        Ok(
            if v >= 0.0 && v.fract() == 0.0 && v < 18_446_744_073_709_551_616.0 {
                Given::Whole(v as u64)
            } else {
                Given::OtherNumber
            },
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Given<'de>, E> {
        Ok(Given::Str(Cow::Owned(v.to_string())))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Given<'de>, E> {
        Ok(Given::Str(Cow::Borrowed(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Given<'de>, E> {
        Ok(Given::Str(Cow::Owned(v)))
    }

    fn visit_none<E: de::Error>(self) -> Result<Given<'de>, E> {
        Ok(Given::Absent)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Given<'de>, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Given<'de>, E> {
        Ok(Given::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Given<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Given::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Given<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Given::Object)
    }
}

/// Reads any JSON value.
pub(crate) fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Given<'de>, D::Error> {
    d.deserialize_any(GivenVisitor)
}

fn wrong<E: de::Error>(expected: &str, got: &Given) -> E {
    E::custom(format_args!("must be {expected}, not {}", got.kind()))
}

fn check_length<E: de::Error>(s: String, cap: usize) -> Result<String, E> {
    // A string has at most as many characters as bytes: most are short enough not to be counted.
    if s.len() <= cap {
        return Ok(s);
    }
    let chars = s.chars().count();
    if chars > cap {
        return Err(E::custom(format_args!(
            "has {chars} characters; the limit is {cap}"
        )));
    }
    Ok(s)
}

fn capped<E: de::Error>(value: Given, cap: usize) -> Result<String, E> {
    match value {
        Given::Absent | Given::Null => Ok(String::new()),
        Given::Str(s) => check_length(s.into_owned(), cap),
        other => Err(wrong("a string", &other)),
    }
}

/// A string of at most 256 characters; `null` or absent → "".
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    capped(given(d)?, MAX_STRING_CHARS)
}

/// `lst`, `xh_uid`: present only when the backend sends them (`null` → absent).
pub(crate) fn optional_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match given(d)? {
        Given::Absent | Given::Null => Ok(None),
        other => capped(other, MAX_STRING_CHARS).map(Some),
    }
}

/// `open_id`: required, non-empty, at most 128 of `[A-Za-z0-9_-]`.
pub(crate) fn open_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = given(d)?;
    if value == Given::Absent {
        return Ok(String::new());
    }
    let id = capped::<D::Error>(value, MAX_OPEN_ID_CHARS)?;
    if id.is_empty() {
        return Err(de::Error::custom("is missing or empty"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(de::Error::custom(
            "may hold only the characters A-Z a-z 0-9 _ -",
        ));
    }
    Ok(id)
}

/// `nick_name`: control characters removed, then at most 64 characters.
pub(crate) fn nick_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = capped::<D::Error>(given(d)?, usize::MAX)?;
    let cleaned: String = raw.chars().filter(|c| !c.is_control()).collect();
    check_length(cleaned, MAX_NICK_NAME_CHARS)
}

/// `avatar_url`: empty or `http(s)://` (any case).
pub(crate) fn avatar_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let url = string(d)?;
    let lower = url.get(..8).unwrap_or(&url).to_ascii_lowercase();
    if url.is_empty() || lower.starts_with("https://") || lower.starts_with("http://") {
        Ok(url)
    } else {
        Err(de::Error::custom(
            "must be empty or an https:// or http:// URL",
        ))
    }
}

/// `gender`: 0, 1 or 2, or one of them as a string.
pub(crate) fn gender<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let value = given(d)?;
    let g = match &value {
        Given::Absent | Given::Null => Some(0),
        Given::Str(s) => s.trim().parse::<u64>().ok(),
        other => other.safe_integer(),
    };
    match g {
        Some(g @ 0..=2) => Ok(g as u8),
        _ => Err(wrong("0, 1 or 2", &value)),
    }
}

/// A whole number from 0 to 2^53−1, or such a number as a string (blank → 0).
pub(crate) fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let expected = "a whole number from 0 to 2^53-1 (or such a number as a string)";
    let value = given(d)?;
    match &value {
        Given::Absent | Given::Null => Ok(0),
        Given::Str(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(0);
            }
            if !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(wrong(expected, &value));
            }
            t.parse::<u64>()
                .ok()
                .filter(|i| *i <= MAX_SAFE_INTEGER)
                .ok_or_else(|| wrong(expected, &value))
        }
        other => other.safe_integer().ok_or_else(|| wrong(expected, other)),
    }
}

/// A Unix time in seconds; values above 10^11 are milliseconds. A time still above 10^11 seconds after that
/// (past the year 5000) is refused, so normalised output is a fixed point.
pub(crate) fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let t = integer(d)?;
    let secs = if t > MILLISECONDS_THRESHOLD {
        t / 1000
    } else {
        t
    };
    if secs > MILLISECONDS_THRESHOLD {
        return Err(de::Error::custom(
            "is too large for a Unix time in seconds or milliseconds",
        ));
    }
    Ok(secs)
}

/// `from_scene` / `from_code`: documented as strings, sent as numbers by some servers.
pub(crate) fn code_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match given(d)? {
        number @ (Given::Whole(_) | Given::Negative(_) | Given::OtherNumber) => {
            match number.safe_integer() {
                Some(i) => Ok(i.to_string()),
                None => Err(wrong("a string or a non-negative whole number", &number)),
            }
        }
        other => capped(other, MAX_STRING_CHARS),
    }
}

/// `is_new`: a boolean, or 0 / 1.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match given(d)? {
        Given::Absent | Given::Null => Ok(false),
        Given::Bool(b) => Ok(b),
        other => match other.safe_integer() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(wrong("true, false, 0 or 1", &other)),
        },
    }
}
