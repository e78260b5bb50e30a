//! The core's own JSON reader and writer (RFC 8259), just what the profile rules need: read a text in one
//! pass, scalars as [`Scalar`]s, arrays and nested objects skipped, object keys handed to the caller; write
//! strings, integers and booleans. It replaces serde / serde_json in the shipped wasm, where they were the
//! largest code after the rules themselves (see the README, Performance). The same text is accepted and
//! refused as serde_json does: a differential property test holds the two together (tests/properties.rs).

use std::borrow::Cow;

use crate::profile::raw::Scalar;

/// Where a text stopped being JSON: 1-based line and column (the column in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError {
    /// The line, from 1.
    pub line: usize,
    /// The column on that line, from 1.
    pub column: usize,
}

/// A reader over one JSON text.
pub struct Reader<'a> {
    text: &'a str,
    at: usize,
}

/// The text is not JSON where the reader stopped ([`Reader::error`] says where).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// What a read gives.
pub type Read<T> = Result<T, Malformed>;

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Reader { text, at: 0 }
    }

    /// Where the reader stopped, for an error message.
    pub fn error(&self) -> SyntaxError {
        let before = &self.text.as_bytes()[..self.at.min(self.text.len())];
        let line = 1 + before.iter().filter(|b| **b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|b| **b != b'\n').count();
        SyntaxError { line, column }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    pub fn peek_value(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.peek()
    }

    fn expect(&mut self, byte: u8) -> Read<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    fn literal(&mut self, word: &str) -> Read<()> {
        if self.text.as_bytes()[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// Checks that only whitespace is left.
    pub fn finish(&mut self) -> Read<()> {
        match self.peek_value() {
            None => Ok(()),
            Some(_) => Err(Malformed),
        }
    }

    /// Reads one value: a scalar as itself, an array or object skipped (as [`Scalar::Array`] /
    /// [`Scalar::Object`]).
    pub fn scalar(&mut self) -> Read<Scalar<'a>> {
        match self.peek_value().ok_or(Malformed)? {
            b'"' => self.string().map(Scalar::Str),
            b'[' => self.skip_nested().map(|_| Scalar::Array),
            b'{' => self.skip_nested().map(|_| Scalar::Object),
            b't' => self.literal("true").map(|_| Scalar::Bool(true)),
            b'f' => self.literal("false").map(|_| Scalar::Bool(false)),
            b'n' => self.literal("null").map(|_| Scalar::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Malformed),
        }
    }

    /// Reads an object, calling `each(reader, key)` with the reader before the key's value, which `each`
    /// must read. Call it where [`Reader::peek_value`] gave `{`.
    pub fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, Cow<'a, str>) -> Read<()>,
    ) -> Read<()> {
        self.expect(b'{')?;
        if self.peek_value() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            if self.peek_value() != Some(b'"') {
                return Err(Malformed);
            }
            let key = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            each(self, key)?;
            match self.peek_value() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Malformed),
            }
        }
    }

    /// Skips one value of any kind.
    pub fn skip(&mut self) -> Read<()> {
        self.scalar().map(|_| ())
    }

    /// Skips an array or object, nested ones included, without recursion: like serde_json's skipping, any
    /// depth is read (the body's size cap bounds the work).
    fn skip_nested(&mut self) -> Read<()> {
        // Each open bracket pushes its closer.
        let mut closers: Vec<u8> = Vec::new();
        loop {
            // At the start of a value.
            match self.peek_value().ok_or(Malformed)? {
                open @ (b'[' | b'{') => {
                    self.at += 1;
                    closers.push(if open == b'[' { b']' } else { b'}' });
                    let close = *closers.last().ok_or(Malformed)?;
                    if self.peek_value() == Some(close) {
                        self.at += 1;
                        closers.pop();
                    } else {
                        if close == b'}' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                _ => {
                    self.scalar()?;
                }
            }
            // After a value: a comma (then the next value), or closers.
            loop {
                let Some(&close) = closers.last() else {
                    return Ok(());
                };
                match self.peek_value().ok_or(Malformed)? {
                    b',' => {
                        self.at += 1;
                        if close == b'}' {
                            self.member_key()?;
                        }
                        break;
                    }
                    b if b == close => {
                        self.at += 1;
                        closers.pop();
                    }
                    _ => return Err(Malformed),
                }
            }
        }
    }

    /// Inside an object being skipped: `"key":`.
    fn member_key(&mut self) -> Read<()> {
        if self.peek_value() != Some(b'"') {
            return Err(Malformed);
        }
        self.string()?;
        self.skip_whitespace();
        self.expect(b':')
    }

    /// Reads a string; borrowed from the text when it has no escapes.
    fn string(&mut self) -> Read<Cow<'a, str>> {
        self.expect(b'"')?;
        let bytes = self.text.as_bytes();
        let start = self.at;
        loop {
            match bytes.get(self.at).copied().ok_or(Malformed)? {
                b'"' => {
                    let s = self.text.get(start..self.at).ok_or(Malformed)?;
                    self.at += 1;
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => break,
                0..=0x1f => return Err(Malformed),
                _ => self.at += 1,
            }
        }
        let mut out = String::with_capacity(self.at - start + 16);
        out.push_str(self.text.get(start..self.at).ok_or(Malformed)?);
        loop {
            let run = self.at;
            loop {
                match bytes.get(self.at).copied().ok_or(Malformed)? {
                    b'"' | b'\\' => break,
                    0..=0x1f => return Err(Malformed),
                    _ => self.at += 1,
                }
            }
            out.push_str(self.text.get(run..self.at).ok_or(Malformed)?);
            if bytes[self.at] == b'"' {
                self.at += 1;
                return Ok(Cow::Owned(out));
            }
            self.at += 1; // the backslash
            let escaped = bytes.get(self.at).copied().ok_or(Malformed)?;
            self.at += 1;
            out.push(match escaped {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => self.unicode_escape()?,
                _ => return Err(Malformed),
            });
        }
    }

    fn hex4(&mut self) -> Read<u32> {
        let digits = self
            .text
            .as_bytes()
            .get(self.at..self.at + 4)
            .ok_or(Malformed)?;
        let mut n = 0;
        for d in digits {
            n = n * 16 + (*d as char).to_digit(16).ok_or(Malformed)?;
        }
        self.at += 4;
        Ok(n)
    }

    /// After `\u`: one code point, a surrogate pair taking two escapes. A lone surrogate is refused.
    fn unicode_escape(&mut self) -> Read<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                self.literal("\\u")?;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(Malformed);
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(Malformed),
            n => n,
        };
        char::from_u32(code).ok_or(Malformed)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. A whole number that fits is `Unsigned` /
    /// `Negative`; any other is a [`Scalar::Decimal`], valued from its digits: exact, and without float
    /// parsing, whose tables were the largest data in the wasm. Any magnitude is a number, as in `JSON.parse`.
    fn number(&mut self) -> Read<Scalar<'a>> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let int = self.digits();
        let bytes = self.text.as_bytes();
        if int.is_empty() || (int.len() > 1 && bytes[int.start] == b'0') {
            return Err(Malformed);
        }
        let mut fraction = self.at..self.at;
        if self.peek() == Some(b'.') {
            self.at += 1;
            fraction = self.digits();
            if fraction.is_empty() {
                return Err(Malformed);
            }
        }
        let mut exponent: Option<i64> = None;
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            let sign = match self.peek() {
                Some(b'-') => {
                    self.at += 1;
                    -1
                }
                Some(b'+') => {
                    self.at += 1;
                    1
                }
                _ => 1,
            };
            let digits = self.digits();
            if digits.is_empty() {
                return Err(Malformed);
            }
            // Saturates far beyond any value that can still be a u64.
            let magnitude = bytes[digits]
                .iter()
                .fold(0i64, |e, d| (e * 10 + i64::from(d - b'0')).min(1 << 40));
            exponent = Some(sign * magnitude);
        }
        let whole = fraction.is_empty() && exponent.is_none();
        if whole {
            if let Some(n) = decimal_u64(&bytes[int.clone()]) {
                if !negative {
                    return Ok(Scalar::Unsigned(n));
                }
                if n != 0 && n <= 1 << 63 {
                    return Ok(Scalar::Negative((n as i64).wrapping_neg()));
                }
            }
        }
        // The digits of integer and fraction as one run, scaled by 10^scale.
        let run = || bytes[int.clone()].iter().chain(&bytes[fraction.clone()]);
        let leading = run().take_while(|d| **d == b'0').count();
        let trailing = run().rev().take_while(|d| **d == b'0').count();
        let total = int.len() + fraction.len();
        if leading == total {
            return Ok(Scalar::Decimal(Some(0))); // zero, whatever its sign and exponent
        }
        let scale = exponent.unwrap_or(0) - fraction.len() as i64 + trailing as i64;
        let significant = total - leading - trailing;
        if negative || scale < 0 || significant as i64 + scale > 20 {
            return Ok(Scalar::Decimal(None));
        }
        let mut value = Some(0u64);
        for d in run().skip(leading).take(significant) {
            value = value.and_then(|v| v.checked_mul(10)?.checked_add(u64::from(d - b'0')));
        }
        for _ in 0..scale {
            value = value.and_then(|v| v.checked_mul(10));
        }
        Ok(Scalar::Decimal(value))
    }

    /// The run of ASCII digits at the reader, consumed.
    fn digits(&mut self) -> std::ops::Range<usize> {
        let from = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        from..self.at
    }
}

/// ASCII digits as a u64, `None` when they do not fit.
fn decimal_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters as `\n`-style or `\u00XX` escapes,
/// everything else as is (serde_json's output, byte for byte). Slices with `get`: every cut is at an ASCII
/// byte, and a panicking slice would pull Unicode formatting tables into the wasm.
pub fn write_str(out: &mut String, s: &str) {
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
pub fn write_u64(out: &mut String, mut n: u64) {
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

/// Writes one JSON object, member by member, in the order given.
pub struct ObjectWriter<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> ObjectWriter<'o> {
    /// Opens an object at the end of `out`.
    pub fn new(out: &'o mut String) -> Self {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    /// `"key":`, returning the text to append the member's value to (which must be JSON).
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(':');
        self.out
    }

    /// `"key":"value"`.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        write_str(self.key(key), value);
        self
    }

    /// `"key":123`.
    pub fn u64(&mut self, key: &str, value: u64) -> &mut Self {
        write_u64(self.key(key), value);
        self
    }

    /// `"key":true`.
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    /// `"key":` then `json`, which must already be JSON text.
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key).push_str(json);
        self
    }

    /// Closes the object.
    pub fn close(&mut self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> Result<Scalar<'_>, SyntaxError> {
        let mut r = Reader::new(text);
        let v = r.scalar().map_err(|_| r.error())?;
        r.finish().map_err(|_| r.error())?;
        Ok(v)
    }

    #[test]
    fn scalars_read_as_serde_json_classifies_them() {
        assert_eq!(scalar(" 12 "), Ok(Scalar::Unsigned(12)));
        assert_eq!(scalar("-7"), Ok(Scalar::Negative(-7)));
        assert_eq!(
            scalar("-9223372036854775808"),
            Ok(Scalar::Negative(i64::MIN))
        );
        assert_eq!(
            scalar("18446744073709551615"),
            Ok(Scalar::Unsigned(u64::MAX))
        );
        assert_eq!(scalar("18446744073709551616"), Ok(Scalar::Decimal(None)));
        assert_eq!(scalar("-9223372036854775809"), Ok(Scalar::Decimal(None)));
        assert_eq!(scalar("-0"), Ok(Scalar::Decimal(Some(0))));
        assert_eq!(scalar("true"), Ok(Scalar::Bool(true)));
        assert_eq!(scalar("null"), Ok(Scalar::Null));
        assert_eq!(scalar("[1,[2,{\"a\":[]}],{}]"), Ok(Scalar::Array));
        assert_eq!(scalar("{\"a\":{\"b\":[1]}}"), Ok(Scalar::Object));
        assert_eq!(
            scalar(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#),
            Ok(Scalar::Str("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}".into()))
        );
    }

    #[test]
    fn decimals_are_valued_exactly_from_their_digits() {
        for (text, value) in [
            ("1.5e2", Some(150)),
            ("12.0", Some(12)),
            ("1.2e1", Some(12)),
            ("0.00120e4", Some(12)),
            ("1200e-2", Some(12)),
            ("-0.0", Some(0)),
            ("0e-99999999999999999999", Some(0)),
            ("9007199254740993.0", Some(9007199254740993)),
            ("1.8446744073709551615e19", Some(u64::MAX)),
            ("1.8446744073709551616e19", None),
            ("1.5", None),
            ("-12.0", None),
            ("1e-1", None),
            ("3.00000000000000000001", None),
            ("1e400", None),
            ("1e99999999999999999999", None),
            ("-1e400", None),
        ] {
            assert_eq!(scalar(text), Ok(Scalar::Decimal(value)), "{text}");
        }
    }

    #[test]
    fn malformed_text_is_refused_with_its_position() {
        for bad in [
            "",
            "01",
            "-01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "-",
            "+1",
            "tru",
            "nul",
            "\"a",
            "\"\u{1}\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "[1,]",
            "[1 2]",
            "{\"a\"}",
            "{\"a\":1,}",
            "{a:1}",
            "[",
            "{\"a\":[}",
            "1 2",
            "NaN",
            "[1}",
            "{\"a\":1]",
        ] {
            assert!(scalar(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            scalar("{\n  \"a\": x}"),
            Err(SyntaxError { line: 2, column: 8 })
        );
    }

    #[test]
    fn deep_nesting_is_read_without_recursion() {
        let nested = |n: usize| format!("{}1{}", "[{\"a\":".repeat(n), "}]".repeat(n));
        assert_eq!(scalar(&nested(50_000)), Ok(Scalar::Array));
        assert!(scalar(&"[".repeat(100_000)).is_err(), "unclosed");
    }

    #[test]
    fn objects_hand_each_key_to_the_caller() {
        let mut r = Reader::new(r#"{"a":1,"b\n":{"x":[1]},"a":"two"}"#);
        let mut seen = Vec::new();
        r.object(|r, key| {
            let v = r.scalar()?;
            seen.push((key.into_owned(), v.kind()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                ("a".to_string(), "a number"),
                ("b\n".to_string(), "an object"),
                ("a".to_string(), "a string")
            ]
        );
    }

    #[test]
    fn the_writer_escapes_as_serde_json_does() {
        for s in [
            "",
            "plain",
            "q\"b\\s/",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "微信用户 😀",
        ] {
            let mut out = String::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
        for n in [0, 7, 10, 1 << 53, u64::MAX] {
            let mut out = String::new();
            write_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
        let mut out = String::new();
        ObjectWriter::new(&mut out)
            .str("a", "x")
            .u64("n", 3)
            .bool("b", false)
            .raw("r", "null")
            .close();
        assert_eq!(out, r#"{"a":"x","n":3,"b":false,"r":null}"#);
    }
}
