//! The JSON lexer (RFC 8259) under the core's serde format: strings (borrowed from the text when they have no
//! escapes), numbers valued from their decimal digits (no float parsing: its tables were the largest data in
//! the wasm), literals, and values skipped without recursion. The same texts are accepted and refused as by
//! serde_json (the differential property test in `core/tests/properties.rs`).

use std::borrow::Cow;

/// Where a text stopped being JSON: 1-based line and column (the column in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError {
    /// The line, from 1.
    pub line: usize,
    /// The column on that line, from 1.
    pub column: usize,
}

/// A JSON number, valued exactly from its digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Number {
    /// A whole number that fits in a `u64`.
    Unsigned(u64),
    /// A negative whole number that fits in an `i64`.
    Negative(i64),
    /// Any other number (a fraction, an exponent, or beyond 64 bits): its exact value when that is a whole
    /// number that fits in a `u64` (`12.0`, `1.2e1`, `-0.0`), else `None`.
    Decimal(Option<u64>),
}

/// A reader over one JSON text.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    text: &'a str,
    /// The byte offset of the next byte to read.
    pub(crate) at: usize,
}

/// The text is not JSON where the reader stopped ([`Reader::error`] says where).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// What a read gives.
pub(crate) type Read<T> = Result<T, Malformed>;

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Reader { text, at: 0 }
    }

    /// The whole text being read.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// Where the reader stopped, for an error message.
    pub(crate) fn error(&self) -> SyntaxError {
        let before = &self.text.as_bytes()[..self.at.min(self.text.len())];
        let line = 1 + before.iter().filter(|b| **b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|b| **b != b'\n').count();
        SyntaxError { line, column }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    pub(crate) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    pub(crate) fn peek_value(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.peek()
    }

    pub(crate) fn expect(&mut self, byte: u8) -> Read<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    pub(crate) fn literal(&mut self, word: &str) -> Read<()> {
        if self.text.as_bytes()[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// Checks that only whitespace is left.
    pub(crate) fn finish(&mut self) -> Read<()> {
        match self.peek_value() {
            None => Ok(()),
            Some(_) => Err(Malformed),
        }
    }

    /// Skips one scalar (a string, number or literal).
    fn skip_scalar(&mut self) -> Read<()> {
        match self.peek_value().ok_or(Malformed)? {
            b'"' => self.string().map(drop),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => Err(Malformed),
        }
    }

    /// Skips one value of any kind.
    pub(crate) fn skip(&mut self) -> Read<()> {
        match self.peek_value().ok_or(Malformed)? {
            b'[' | b'{' => self.skip_nested(),
            _ => self.skip_scalar(),
        }
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
                _ => self.skip_scalar()?,
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
    pub(crate) fn string(&mut self) -> Read<Cow<'a, str>> {
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
    /// `Negative`; any other is a [`Number::Decimal`], valued from its digits: exact, and without float
    /// parsing, whose tables were the largest data in the wasm. Any magnitude is a number, as in `JSON.parse`.
    pub(crate) fn number(&mut self) -> Read<Number> {
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
                    return Ok(Number::Unsigned(n));
                }
                if n != 0 && n <= 1 << 63 {
                    return Ok(Number::Negative((n as i64).wrapping_neg()));
                }
            }
        }
        // The digits of integer and fraction as one run, scaled by 10^scale.
        let run = || bytes[int.clone()].iter().chain(&bytes[fraction.clone()]);
        let leading = run().take_while(|d| **d == b'0').count();
        let trailing = run().rev().take_while(|d| **d == b'0').count();
        let total = int.len() + fraction.len();
        if leading == total {
            return Ok(Number::Decimal(Some(0))); // zero, whatever its sign and exponent
        }
        let scale = exponent.unwrap_or(0) - fraction.len() as i64 + trailing as i64;
        let significant = total - leading - trailing;
        if negative || scale < 0 || significant as i64 + scale > 20 {
            return Ok(Number::Decimal(None));
        }
        let mut value = Some(0u64);
        for d in run().skip(leading).take(significant) {
            value = value.and_then(|v| v.checked_mul(10)?.checked_add(u64::from(d - b'0')));
        }
        for _ in 0..scale {
            value = value.and_then(|v| v.checked_mul(10));
        }
        Ok(Number::Decimal(value))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Read<Number> {
        let mut r = Reader::new(text);
        let n = r.number()?;
        r.finish().map(|_| n)
    }

    fn skips(text: &str) -> bool {
        let mut r = Reader::new(text);
        r.skip().and_then(|_| r.finish()).is_ok()
    }

    #[test]
    fn numbers_are_classified_as_serde_json_classifies_them() {
        assert_eq!(number("12"), Ok(Number::Unsigned(12)));
        assert_eq!(number("-7"), Ok(Number::Negative(-7)));
        assert_eq!(
            number("-9223372036854775808"),
            Ok(Number::Negative(i64::MIN))
        );
        assert_eq!(
            number("18446744073709551615"),
            Ok(Number::Unsigned(u64::MAX))
        );
        assert_eq!(number("18446744073709551616"), Ok(Number::Decimal(None)));
        assert_eq!(number("-9223372036854775809"), Ok(Number::Decimal(None)));
        assert_eq!(number("-0"), Ok(Number::Decimal(Some(0))));
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
            assert_eq!(number(text), Ok(Number::Decimal(value)), "{text}");
        }
    }

    #[test]
    fn strings_unescape_and_borrow_when_they_can() {
        let mut r = Reader::new(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#);
        assert_eq!(r.string().unwrap(), "a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}");
        let mut r = Reader::new(r#""plain""#);
        assert!(matches!(r.string(), Ok(Cow::Borrowed("plain"))));
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
            assert!(!skips(bad), "{bad:?} should be refused");
        }
        let mut r = Reader::new("{\n  \"a\": x}");
        assert!(r.skip().is_err());
        assert_eq!(r.error(), SyntaxError { line: 2, column: 8 });
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursion() {
        let nested = |n: usize| format!("{}1{}", "[{\"a\":".repeat(n), "}]".repeat(n));
        assert!(skips(&nested(50_000)));
        assert!(!skips(&"[".repeat(100_000)), "unclosed");
    }
}
