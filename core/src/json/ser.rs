//! Writing: a serde `Serializer` that writes what serde_json writes, byte for byte, for the values the core
//! writes (structs of strings, whole numbers, booleans, options, sequences and raw JSON text). Floats, tuples
//! and maps are refused: none of the core's types has one, and float formatting would cost several KB of wasm.

use serde::ser::{self, Impossible, Serialize};

use super::error::Error;

/// The struct name (and field name) by which a value asks to be written as the JSON text it holds: the
/// same token serde_json's `RawValue` uses, so serde_json writes it the same way.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// JSON text written as it is (it must be JSON): the host's own text of a value the core forwards unread.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawJson(pub String);

impl Serialize for RawJson {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeStruct;
        let mut raw = serializer.serialize_struct(RAW_TOKEN, 1)?;
        raw.serialize_field(RAW_TOKEN, self.0.as_str())?;
        raw.end()
    }
}

/// `value` as JSON text, written by the core's JSON format (what serde_json writes, byte for byte).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    // A profile's keys and punctuation take about 450 bytes: one allocation for the usual case.
    let mut out = String::with_capacity(1024);
    value.serialize(&mut Writer {
        out: &mut out,
        raw: false,
    })?;
    Ok(out)
}

struct Writer<'o> {
    out: &'o mut String,
    /// Inside a raw value: the next string is JSON text, written as it is.
    raw: bool,
}

fn unsupported(what: &str) -> Error {
    ser::Error::custom(format_args!(
        "{what} are not written by the core's JSON format"
    ))
}

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters as `\n`-style or `\u00XX` escapes,
/// everything else as is (serde_json's output). Slices with `get`: every cut is at an ASCII byte, and a
/// panicking slice would pull Unicode formatting tables into the wasm.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    // Most strings need no escape: one tight scan, then one copy.
    if !bytes.iter().any(|b| *b < 0x20 || *b == b'"' || *b == b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut run = 0;
    for (i, b) in bytes.iter().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(run..i).unwrap_or_default());
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
        run = i + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// Appends `n` in decimal.
fn write_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[at..] {
        out.push(*d as char);
    }
}

impl<'w> ser::Serializer for &'w mut Writer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Elements<'w>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Members<'w>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        if v < 0 {
            self.out.push('-');
        }
        write_u64(self.out, v.unsigned_abs());
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        write_u64(self.out, v);
        Ok(())
    }

    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        Err(unsupported("floats"))
    }

    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        Err(unsupported("floats"))
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        if self.raw {
            self.out.push_str(v);
        } else {
            write_str(self.out, v);
        }
        Ok(())
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(unsupported("bytes"))
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push_str("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(unsupported("enum variants with data"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Elements<'w>, Error> {
        self.out.push('[');
        Ok(Elements {
            writer: Writer {
                out: &mut *self.out,
                raw: false,
            },
            first: true,
        })
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(unsupported("sequences"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(unsupported("sequences"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(unsupported("enum variants with data"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(unsupported("maps"))
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Members<'w>, Error> {
        let raw = name == RAW_TOKEN;
        if !raw {
            self.out.push('{');
        }
        Ok(Members {
            writer: Writer {
                out: &mut *self.out,
                raw,
            },
            first: true,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(unsupported("enum variants with data"))
    }
}

/// The elements of one array being written (the pending events of the player's figures).
pub(crate) struct Elements<'o> {
    writer: Writer<'o>,
    first: bool,
}

impl ser::SerializeSeq for Elements<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !self.first {
            self.writer.out.push(',');
        }
        self.first = false;
        value.serialize(&mut self.writer)
    }

    fn end(self) -> Result<(), Error> {
        self.writer.out.push(']');
        Ok(())
    }
}

/// The members of one struct being written (or the text of a raw value).
pub(crate) struct Members<'o> {
    writer: Writer<'o>,
    first: bool,
}

impl Members<'_> {
    /// `,"key":` (nothing inside a raw value).
    #[inline(never)]
    fn key(&mut self, key: &str) {
        if !self.writer.raw {
            if !self.first {
                self.writer.out.push(',');
            }
            write_str(self.writer.out, key);
            self.writer.out.push(':');
        }
        self.first = false;
    }
}

impl ser::SerializeStruct for Members<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.key(key);
        value.serialize(&mut self.writer)
    }

    fn end(self) -> Result<(), Error> {
        if !self.writer.raw {
            self.writer.out.push('}');
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Sample<'a> {
        s: &'a str,
        n: u64,
        i: i64,
        b: bool,
        o: Option<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        raw: RawJson,
        inner: Inner,
    }

    #[derive(Serialize)]
    struct Inner {
        k: &'static str,
    }

    #[test]
    fn writes_what_serde_json_writes() {
        for s in [
            "",
            "plain",
            "q\"b\\s/",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "微信用户 😀",
        ] {
            for (n, i) in [(0, 0), (7, -7), (1 << 53, i64::MIN), (u64::MAX, i64::MAX)] {
                let sample = Sample {
                    s,
                    n,
                    i,
                    b: n % 2 == 0,
                    o: None,
                    skipped: None,
                    raw: RawJson(r#"{"nickName":"小明","x":[1,2.5]}"#.into()),
                    inner: Inner { k: s },
                };
                assert_eq!(
                    to_string(&sample).unwrap(),
                    serde_json::to_string(&sample).unwrap()
                );
            }
        }
    }

    #[test]
    fn sequences_are_written_as_serde_json_writes_them() {
        for list in [
            vec![],
            vec![Inner { k: "a" }],
            vec![Inner { k: "a" }, Inner { k: "\"b\"" }],
        ] {
            assert_eq!(
                to_string(&list).unwrap(),
                serde_json::to_string(&list).unwrap()
            );
        }
        assert_eq!(to_string(&vec![1u64, 2]).unwrap(), "[1,2]");
    }

    #[test]
    fn floats_tuples_and_maps_are_refused() {
        assert!(to_string(&1.5f64).is_err());
        assert!(
            to_string(&[1u8]).is_err(),
            "an array of fixed size is a tuple"
        );
        assert!(to_string(&std::collections::BTreeMap::<u8, u8>::new()).is_err());
    }
}
