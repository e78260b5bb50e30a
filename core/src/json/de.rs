//! Reading: a serde `Deserializer` over the lexer of `read.rs`. Objects read as structs keep the error of
//! their earliest field and read on (see the module's notes in `mod.rs`).

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::error::Error;
use super::read::{Malformed, Number, Read, Reader};

/// How deep arrays and objects read as values may nest: serde_json's recursion limit (it refuses the 128th
/// level), so a hostile text cannot exhaust the stack. Skipped values (unknown keys) nest without limit: they
/// are read without recursion.
const MAX_NESTING: usize = 127;

/// Reads one `T` from the whole of `text` with the core's JSON format; only whitespace may follow the value.
pub fn from_str<'a, T: de::Deserialize<'a>>(text: &'a str) -> Result<T, Error> {
    from_str_lenient(text, false).map(|(value, _)| value)
}

/// Reads one `T` from `text`; with `lenient`, a top-level struct whose fields broke rules is still given,
/// those fields read as absent, with the error of the earliest (`None` when none did). The text is read to
/// its end either way, so a text that is not JSON is always told as such.
pub(crate) fn from_str_lenient<'a, T: de::Deserialize<'a>>(
    text: &'a str,
    lenient: bool,
) -> Result<(T, Option<Error>), Error> {
    let mut de = Deserializer {
        reader: Reader::new(text),
        depth: 0,
        last_key_wins: false,
        absent: false,
        lenient,
        broken: None,
        broken_seeds: Vec::new(),
    };
    loop {
        let seeds = de.broken_seeds.len();
        match T::deserialize(&mut de).and_then(|value| de.end().map(|()| value)) {
            Ok(value) => return Ok((value, de.broken.take())),
            Err(e) => de.again(e, seeds)?,
        }
    }
}

/// Whether `text` is one JSON value: the first thing to say when a text also breaks a rule.
#[inline(never)]
fn is_json(text: &str) -> Result<(), Error> {
    let mut reader = Reader::new(text);
    match reader.skip().and_then(|()| reader.finish()) {
        Ok(()) => Ok(()),
        Err(Malformed) => Err(Error::syntax(reader.error())),
    }
}

/// The field names of a struct that derives `Deserialize`, in declaration order (from what the derive
/// passes to `deserialize_struct`).
pub(crate) fn field_names<'de, T: de::Deserialize<'de>>() -> &'static [&'static str] {
    let mut names = FieldNames(&[]);
    let _ = T::deserialize(&mut names);
    names.0
}

struct FieldNames(&'static [&'static str]);

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(Error::whole(String::new()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        self.0 = fields;
        Err(Error::whole(String::new()))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The deserializer over one text.
struct Deserializer<'de> {
    reader: Reader<'de>,
    /// Arrays and objects being read as values, around the reader.
    depth: usize,
    /// Each object keeps only the last value of a repeated key (the second pass after a duplicate).
    last_key_wins: bool,
    /// Reading a field that broke a rule again, as absent (`visit_none`, nothing read): the rules give
    /// their empty value for it, a type without one fails. The same code reads it as read the text, so
    /// this costs the wasm nothing per field type.
    absent: bool,
    /// The top-level struct is given even when fields broke rules (`from_str_lenient`).
    lenient: bool,
    /// Then, the error of its earliest such field.
    broken: Option<Error>,
    /// Values a `next_value_seed` caller found breaking a rule in an earlier reading of the text: where each
    /// starts, and its error. They read as absent, as `next_value` reads such a value in place.
    broken_seeds: Vec<(usize, Error)>,
}

impl<'de> Deserializer<'de> {
    /// After a reading failed with `e` (`seeds`: how many broken values it started with): gets ready to read
    /// the text again from the start when that is what `e` asks and the reading learnt what to do differently
    /// (the slow path of a rare text: each object keeping the last of a repeated key, or a broken value found
    /// by a `next_value_seed` caller read as absent); else the error to tell, a text that is not JSON first.
    #[inline(never)]
    fn again(&mut self, e: Error, seeds: usize) -> Result<(), Error> {
        let text = self.reader.text();
        let found = self.broken_seeds.len() > seeds;
        if !(e.is_again() && (found || !self.last_key_wins) && is_json(text).is_ok()) {
            return Err(is_json(text).err().unwrap_or(e));
        }
        self.last_key_wins |= !found;
        (self.reader.at, self.depth, self.absent, self.broken) = (0, 0, false, None);
        Ok(())
    }

    /// Only whitespace may follow the value.
    fn end(&mut self) -> Result<(), Error> {
        let end = self.reader.finish();
        self.read(end)
    }

    fn read<T>(&self, read: Read<T>) -> Result<T, Error> {
        read.map_err(|Malformed| Error::syntax(self.reader.error()))
    }

    fn malformed<T>(&self) -> Result<T, Error> {
        self.read(Err(Malformed))
    }

    /// Consumes `open` and counts one more level.
    fn enter(&mut self, open: u8) -> Result<(), Error> {
        if self.depth >= MAX_NESTING {
            return self.malformed();
        }
        let opened = self.reader.expect(open);
        self.read(opened)?;
        self.depth += 1;
        Ok(())
    }

    /// Enters an object read as a struct; anything else is refused (and skipped).
    #[inline(never)]
    fn begin_struct(&mut self) -> Result<(), Error> {
        if self.absent {
            return Err(Error::whole(String::new()));
        }
        if self.reader.peek_value() != Some(b'{') {
            let kind = self.kind_ahead()?;
            self.skip()?;
            return Err(Error::whole(format!("is {kind}, not a JSON object")));
        }
        self.enter(b'{')
    }

    /// What the next value is, as a message says it.
    fn kind_ahead(&mut self) -> Result<&'static str, Error> {
        Ok(match self.reader.peek_value() {
            Some(b'{') => "an object",
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            Some(b'-' | b'0'..=b'9') => "a number",
            _ => return self.malformed(),
        })
    }

    fn skip(&mut self) -> Result<(), Error> {
        let skipped = self.reader.skip();
        self.read(skipped)
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.absent {
            return visitor.visit_none();
        }
        match self.reader.peek_value() {
            Some(b'{') => {
                self.enter(b'{')?;
                let mut members = Members::new(self, &[]);
                let value = visitor
                    .visit_map(&mut members)
                    .and_then(|v| members.finish().map(|()| v));
                self.depth -= 1;
                value
            }
            Some(b'[') => {
                self.enter(b'[')?;
                let mut elements = Elements {
                    de: self,
                    first: true,
                    ended: false,
                };
                let value = visitor
                    .visit_seq(&mut elements)
                    .and_then(|v| elements.finish().map(|()| v));
                self.depth -= 1;
                value
            }
            Some(b'"') => match self.reader.string() {
                Ok(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
                Ok(Cow::Owned(s)) => visitor.visit_string(s),
                Err(Malformed) => self.malformed(),
            },
            Some(b't') => {
                let read = self.reader.literal("true");
                self.read(read)?;
                visitor.visit_bool(true)
            }
            Some(b'f') => {
                let read = self.reader.literal("false");
                self.read(read)?;
                visitor.visit_bool(false)
            }
            Some(b'n') => {
                let read = self.reader.literal("null");
                self.read(read)?;
                visitor.visit_unit()
            }
            Some(b'-' | b'0'..=b'9') => {
                let number = self.reader.number();
                match self.read(number)? {
                    Number::Unsigned(n) => visitor.visit_u64(n),
                    Number::Negative(n) => visitor.visit_i64(n),
                    // Exact for every whole value a rule accepts (up to 2^53); NaN says "no whole value".
                    Number::Decimal(Some(n)) => visitor.visit_f64(n as f64),
                    Number::Decimal(None) => visitor.visit_f64(f64::NAN),
                }
            }
            _ => self.malformed(),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.absent {
            return visitor.visit_none();
        }
        if self.reader.peek_value() == Some(b'n') {
            let read = self.reader.literal("null");
            self.read(read)?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.begin_struct()?;
        let mut members = Members::new(self, fields);
        let value = visitor
            .visit_map(&mut members)
            .and_then(|v| members.finish().map(|()| v));
        let kept = members.kept.take();
        self.depth -= 1;
        match (value, kept) {
            (Ok(value), None) => Ok(value),
            (Ok(value), Some((_, rule))) if self.lenient && self.depth == 0 => {
                self.broken = Some(rule);
                Ok(value)
            }
            (Ok(_), Some((_, rule))) => Err(rule),
            (Err(e), kept) => Err(earlier(fields, e, kept)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if !self.absent {
            self.skip()?;
        }
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map enum identifier
    }
}

/// The error to tell when a struct failed with `e` after keeping `kept`: a field missing is found at the
/// end, and an earlier field's error comes first.
#[inline(never)]
fn earlier(fields: &[&str], e: Error, kept: Option<(usize, Error)>) -> Error {
    match kept {
        Some((at, rule)) if e.syntax_error().is_none() && !e.is_again() => {
            let missing_at = position(fields, e.field().unwrap_or_default());
            if at <= missing_at {
                rule
            } else {
                e
            }
        }
        _ => e,
    }
}

/// Where `key` is in `fields` (past the end when it is not there).
fn position(fields: &[&str], key: &str) -> usize {
    fields.iter().position(|f| *f == key).unwrap_or(usize::MAX)
}

/// The members of one object, after its `{`.
struct Members<'d, 'de> {
    de: &'d mut Deserializer<'de>,
    /// The struct's fields in declaration order; empty when the object is read as a map.
    fields: &'static [&'static str],
    first: bool,
    ended: bool,
    /// The key whose value is next.
    key: Cow<'de, str>,
    /// The error of the earliest field that broke a rule so far, and that field's position.
    kept: Option<(usize, Error)>,
    /// When the last of a repeated key wins: the object's keys, and how many have been read.
    keys: Option<(Vec<Cow<'de, str>>, usize)>,
}

impl<'d, 'de> Members<'d, 'de> {
    fn new(de: &'d mut Deserializer<'de>, fields: &'static [&'static str]) -> Self {
        Members {
            de,
            fields,
            first: true,
            ended: false,
            key: Cow::Borrowed(""),
            kept: None,
            keys: None,
        }
    }

    /// Reads up to the next key and its `:`; `None` at the object's end.
    fn next_raw_key(&mut self) -> Result<Option<Cow<'de, str>>, Error> {
        if self.ended {
            return Ok(None);
        }
        let reader = &mut self.de.reader;
        match reader.peek_value() {
            Some(b'}') => {
                reader.at += 1;
                self.ended = true;
                return Ok(None);
            }
            Some(b',') if !self.first => reader.at += 1,
            Some(b'"') if self.first => {}
            _ => return self.de.malformed(),
        }
        self.first = false;
        if reader.peek_value() != Some(b'"') {
            return self.de.malformed();
        }
        let key = reader.string().and_then(|key| {
            reader.skip_whitespace();
            reader.expect(b':').map(|()| key)
        });
        self.de.read(key).map(Some)
    }

    /// The keys of the rest of this object, read ahead (the reader then comes back).
    fn keys_ahead(&mut self) -> Result<Vec<Cow<'de, str>>, Error> {
        let start = self.de.reader.at;
        let (first, ended) = (self.first, self.ended);
        let mut keys = Vec::new();
        while let Some(key) = self.next_raw_key()? {
            self.de.skip()?;
            keys.push(key);
        }
        self.de.reader.at = start;
        (self.first, self.ended) = (first, ended);
        Ok(keys)
    }

    /// Reads the next key into `self.key`: `false` at the object's end.
    #[inline(never)]
    fn next_key(&mut self) -> Result<bool, Error> {
        if self.de.last_key_wins && self.keys.is_none() {
            self.keys = Some((self.keys_ahead()?, 0));
        }
        loop {
            let Some(key) = self.next_raw_key()? else {
                return Ok(false);
            };
            if let Some((keys, read)) = &mut self.keys {
                *read += 1;
                if keys[*read..].contains(&key) {
                    // A later member gives this key again: that one is kept.
                    self.de.skip()?;
                    continue;
                }
            }
            self.key = key;
            return Ok(true);
        }
    }

    /// After the value of the current key failed with `e`: keeps a rule's error and puts the reader past
    /// the value, to read it again as absent; any other error is told at once.
    #[inline(never)]
    fn read_again_as_absent(&mut self, e: Error, (at, depth): (usize, usize)) -> Result<(), Error> {
        let e = self.locate(e);
        if !self.keeps(&e) {
            return Err(e);
        }
        self.keep(e);
        (self.de.reader.at, self.de.depth) = (at, depth);
        self.de.skip()?;
        self.de.absent = true;
        Ok(())
    }

    /// Whether `e`, from a value of this object, is a rule's (kept, the value read as absent) rather than one
    /// that ends the reading: only a struct's fields are read on, and never past a text that is not JSON.
    fn keeps(&self, e: &Error) -> bool {
        !self.fields.is_empty() && e.syntax_error().is_none() && !e.is_again()
    }

    /// What reading a value as absent gave: the value (the reader leaves the absent mode), or the kept error.
    fn read_as_absent<T>(&mut self, absent: Result<T, Error>) -> Result<T, Error> {
        match absent {
            Ok(value) => {
                self.de.absent = false;
                Ok(value)
            }
            Err(_) => Err(self.absent_failed()),
        }
    }

    /// The kept error, when a value read as absent failed too.
    #[inline(never)]
    fn absent_failed(&mut self) -> Error {
        self.de.absent = false;
        match self.kept.take() {
            Some((_, kept)) => kept,
            None => Error::whole(String::new()),
        }
    }

    /// Reads the object's remaining members, when a visitor stopped before its end.
    fn finish(&mut self) -> Result<(), Error> {
        while self.next_raw_key()?.is_some() {
            self.de.skip()?;
        }
        Ok(())
    }

    /// `e` from the value of the current key.
    fn locate(&self, e: Error) -> Error {
        let outer = self.fields.iter().copied().find(|f| *f == self.key);
        e.at(&self.key, outer)
    }

    /// Keeps `e` if its field comes before the one kept so far.
    fn keep(&mut self, e: Error) {
        let at = position(self.fields, &self.key);
        if self.kept.as_ref().is_none_or(|(kept_at, _)| at < *kept_at) {
            self.kept = Some((at, e));
        }
    }
}

impl<'de> MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.next_key()? {
            seed.deserialize(Key(&self.key)).map(Some)
        } else {
            Ok(None)
        }
    }

    /// As lenient as `next_value`: a seed cannot be used twice, so a value that breaks a rule ends this
    /// reading and is read as absent in the next (`from_str_lenient` reads the text again).
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let start = (self.de.reader.at, self.de.depth);
        let found = self.de.broken_seeds.iter().find(|(at, _)| *at == start.0);
        let Some((_, e)) = found.cloned() else {
            return seed.deserialize(&mut *self.de).map_err(|e| {
                let e = self.locate(e);
                if !self.keeps(&e) {
                    return e;
                }
                self.de.broken_seeds.push((start.0, e));
                Error::again()
            });
        };
        self.read_again_as_absent(e, start)?;
        let absent = seed.deserialize(&mut *self.de);
        self.read_as_absent(absent)
    }

    /// What the derive calls for each field: a value that breaks a rule is skipped and read as absent, its
    /// error kept, so that reading goes on to the object's end.
    fn next_value<V: de::Deserialize<'de>>(&mut self) -> Result<V, Error> {
        let start = (self.de.reader.at, self.de.depth);
        let e = match V::deserialize(&mut *self.de) {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        self.read_again_as_absent(e, start)?;
        let absent = V::deserialize(&mut *self.de);
        self.read_as_absent(absent)
    }
}

/// The elements of one array, after its `[`.
struct Elements<'d, 'de> {
    de: &'d mut Deserializer<'de>,
    first: bool,
    ended: bool,
}

impl Elements<'_, '_> {
    /// Before the next element: `false` at the array's end.
    fn more(&mut self) -> Result<bool, Error> {
        if self.ended {
            return Ok(false);
        }
        let reader = &mut self.de.reader;
        match reader.peek_value() {
            Some(b']') => {
                reader.at += 1;
                self.ended = true;
                return Ok(false);
            }
            Some(b',') if !self.first => reader.at += 1,
            Some(_) if self.first => {}
            _ => return self.de.malformed(),
        }
        self.first = false;
        Ok(true)
    }

    fn finish(&mut self) -> Result<(), Error> {
        while self.more()? {
            self.de.skip()?;
        }
        Ok(())
    }
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.more()? {
            seed.deserialize(&mut *self.de).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// An object's key, handed to the derive's field visitor (borrowed from the text when it has no escapes).
struct Key<'k, 'de>(&'k Cow<'de, str>);

impl<'de> de::Deserializer<'de> for Key<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Cow::Borrowed(key) => visitor.visit_borrowed_str(key),
            Cow::Owned(key) => visitor.visit_str(key),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Pair {
        a: u64,
        #[serde(default)]
        b: String,
    }

    #[test]
    fn a_struct_reads_its_fields_and_skips_the_rest() {
        let text = r#"{"x":[1,{"y":[]}],"a":7,"b":"t\n","z":{"a":1}}"#;
        assert_eq!(
            from_str::<Pair>(text),
            Ok(Pair {
                a: 7,
                b: "t\n".into()
            })
        );
        assert_eq!(field_names::<Pair>(), ["a", "b"]);
    }

    #[test]
    fn the_last_of_a_repeated_key_wins() {
        let pair: Pair = from_str(r#"{"a":1,"b":"x","a":2,"b":"y","b":"z"}"#).unwrap();
        assert_eq!(
            pair,
            Pair {
                a: 2,
                b: "z".into()
            }
        );
    }

    #[test]
    fn errors_name_their_field_and_syntax_comes_first() {
        let e = from_str::<Pair>(r#"{"b":"x","a":"7"}"#).unwrap_err();
        assert_eq!(e.field(), Some("a"));
        assert_eq!(e.problem(), "must be u64, not a string");
        let e = from_str::<Pair>(r#"{"b":"x"}"#).unwrap_err();
        assert_eq!((e.field(), e.problem()), (Some("a"), "is missing"));
        let e = from_str::<Pair>(r#"{"a":"7","b":"x",}"#).unwrap_err();
        assert!(e.syntax_error().is_some(), "{e}");
        let e = from_str::<Pair>("[1]").unwrap_err();
        assert_eq!(
            (e.field(), e.problem()),
            (None, "is an array, not a JSON object")
        );
    }

    #[test]
    fn values_nest_up_to_the_limit() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(from_str::<serde_json::Value>(&nested(MAX_NESTING)).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&nested(MAX_NESTING)).is_ok());
        let e = from_str::<serde_json::Value>(&nested(MAX_NESTING + 1)).unwrap_err();
        assert!(e.syntax_error().is_some());
        assert!(serde_json::from_str::<serde_json::Value>(&nested(MAX_NESTING + 1)).is_err());
        // Skipped, they nest without limit.
        assert!(from_str::<Pair>(&format!(r#"{{"x":{},"a":1}}"#, nested(10_000))).is_ok());
    }
}
