//! The field rules of a profile (docs/contract.md, Profile), as plain functions: each takes whatever value
//! the backend (or WeChat) sent, as a [`Given`], accepts the documented type drift (numbers as strings, codes
//! as numbers, 0/1 flags), normalises it, or refuses it saying what it must be. `read` holds them as the
//! `deserialize_with` functions of the derived [`Profile`](super::Profile), thin over the rules, for any
//! serde format (the core's own names the field at fault); tmsdk-server calls the rules directly.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{
    MAX_NICK_NAME_CHARS, MAX_OPEN_ID_CHARS, MAX_SAFE_INTEGER, MAX_STRING_CHARS,
    MILLISECONDS_THRESHOLD,
};

/// A value as the rules see it: what kind of JSON value it is, and the value where a rule reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Given<'de> {
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
    pub fn kind(&self) -> &'static str {
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

/// What a value must be, when a rule refuses it ("must be a string, not a number").
pub type Problem = String;

fn wrong(expected: &str, got: &Given) -> Problem {
    format!("must be {expected}, not {}", got.kind())
}

fn check_length(s: String, cap: usize) -> Result<String, Problem> {
    // A string has at most as many characters as bytes: most are short enough not to be counted.
    if s.len() <= cap {
        return Ok(s);
    }
    let chars = s.chars().count();
    if chars > cap {
        return Err(format!("has {chars} characters; the limit is {cap}"));
    }
    Ok(s)
}

fn capped(value: Given, cap: usize) -> Result<String, Problem> {
    match value {
        Given::Absent | Given::Null => Ok(String::new()),
        Given::Str(s) => check_length(s.into_owned(), cap),
        other => Err(wrong("a string", &other)),
    }
}

/// A string of at most 256 characters; `null` or absent → "".
pub fn string(value: Given) -> Result<String, Problem> {
    capped(value, MAX_STRING_CHARS)
}

/// `lst`, `xh_uid`: present only when the backend sends them (`null` → absent).
pub fn optional_string(value: Given) -> Result<Option<String>, Problem> {
    match value {
        Given::Absent | Given::Null => Ok(None),
        other => capped(other, MAX_STRING_CHARS).map(Some),
    }
}

/// `open_id`: required, non-empty, at most 128 of `[A-Za-z0-9_-]` (absent reads as "": whether it is
/// required is the struct's to say).
pub fn open_id(value: Given) -> Result<String, Problem> {
    if value == Given::Absent {
        return Ok(String::new());
    }
    let id = capped(value, MAX_OPEN_ID_CHARS)?;
    if id.is_empty() {
        return Err("is missing or empty".into());
    }
    if !is_code(&id, MAX_OPEN_ID_CHARS) {
        return Err("may hold only the characters A-Z a-z 0-9 _ -".into());
    }
    Ok(id)
}

/// Whether `text` is 1 to `max_chars` of `[A-Za-z0-9_-]`: the shape of an openid, a share code and an event
/// id, which go into URLs and queries as they are.
pub fn is_code(text: &str, max_chars: usize) -> bool {
    !text.is_empty()
        && text.len() <= max_chars
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `nick_name`: control characters removed, then at most 64 characters.
pub fn nick_name(value: Given) -> Result<String, Problem> {
    let raw = capped(value, usize::MAX)?;
    let cleaned: String = raw.chars().filter(|c| !c.is_control()).collect();
    check_length(cleaned, MAX_NICK_NAME_CHARS)
}

/// `avatar_url`: empty or `http(s)://` (any case).
pub fn avatar_url(value: Given) -> Result<String, Problem> {
    let url = string(value)?;
    let lower = url.get(..8).unwrap_or(&url).to_ascii_lowercase();
    if url.is_empty() || lower.starts_with("https://") || lower.starts_with("http://") {
        Ok(url)
    } else {
        Err("must be empty or an https:// or http:// URL".into())
    }
}

/// `gender`: 0, 1 or 2, or one of them as a string.
pub fn gender(value: Given) -> Result<u8, Problem> {
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
pub fn integer(value: Given) -> Result<u64, Problem> {
    let expected = "a whole number from 0 to 2^53-1 (or such a number as a string)";
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
pub fn seconds(value: Given) -> Result<u64, Problem> {
    let t = integer(value)?;
    let secs = if t > MILLISECONDS_THRESHOLD {
        t / 1000
    } else {
        t
    };
    if secs > MILLISECONDS_THRESHOLD {
        return Err("is too large for a Unix time in seconds or milliseconds".into());
    }
    Ok(secs)
}

/// `from_scene` / `from_code`: documented as strings, sent as numbers by some servers.
pub fn code_string(value: Given) -> Result<String, Problem> {
    match value {
        number @ (Given::Whole(_) | Given::Negative(_) | Given::OtherNumber) => {
            match number.safe_integer() {
                Some(i) => Ok(i.to_string()),
                None => Err(wrong("a string or a non-negative whole number", &number)),
            }
        }
        other => capped(other, MAX_STRING_CHARS),
    }
}

/// The longest share code.
pub const MAX_SHARE_CODE_CHARS: usize = 32;

/// `share_code`: present only when the backend sends one (`null` → absent); at most 32 of `[A-Za-z0-9_-]`, so
/// it goes into a share's query as it is.
pub fn share_code(value: Given) -> Result<Option<String>, Problem> {
    let code = match value {
        Given::Absent | Given::Null => return Ok(None),
        Given::Str(s) => s,
        other => return Err(wrong("a string", &other)),
    };
    if !is_code(&code, MAX_SHARE_CODE_CHARS) {
        return Err("must be 1 to 32 of A-Z a-z 0-9 _ -".into());
    }
    Ok(Some(code.into_owned()))
}

/// `is_new`: a boolean, or 0 / 1.
pub fn flag(value: Given) -> Result<bool, Problem> {
    match value {
        Given::Absent | Given::Null => Ok(false),
        Given::Bool(b) => Ok(b),
        other => match other.safe_integer() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(wrong("true, false, 0 or 1", &other)),
        },
    }
}

/// The rules as `deserialize_with` functions of the derived [`Profile`](super::Profile): each reads the value
/// as a [`Given`] and applies its rule, with any serde format.
pub(crate) mod read {
    use serde::de::{Deserializer, Error};

    use super::{given, Given, Problem};

    /// Reads the value and applies `rule`; a refusal becomes the format's error.
    fn with<'de, D: Deserializer<'de>, T>(
        d: D,
        rule: fn(Given<'de>) -> Result<T, Problem>,
    ) -> Result<T, D::Error> {
        rule(given(d)?).map_err(D::Error::custom)
    }

    macro_rules! adapters {
        ($($name:ident -> $t:ty),* $(,)?) => {$(
            pub(crate) fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                with(d, super::$name)
            }
        )*};
    }

    adapters! {
        string -> String, optional_string -> Option<String>, open_id -> String, nick_name -> String,
        avatar_url -> String, gender -> u8, integer -> u64, seconds -> u64, code_string -> String,
        flag -> bool, share_code -> Option<String>,
    }
}
