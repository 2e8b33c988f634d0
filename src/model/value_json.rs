//! JSON text to [`Value`] with every integer exact.
//!
//! `serde_json` (without `arbitrary_precision`, which would make every number a string first and
//! slow every import) reads an integer beyond i64 and u64 as an f64, losing its digits. Such
//! numbers are rare, so the common case stays `serde_json`'s: the visitor in `value.rs` notes when
//! it was handed an f64 as large as 2^63 (only then can digits have been lost), and only that text
//! is read a second time here, by a small parser that keeps integers beyond i64 as
//! [`Value::Number`] text. `serde_json` has already accepted the text by then, so the second parser
//! only meets valid JSON, and the errors a curator sees are `serde_json`'s words.

use super::Value;
use super::value::Map;
use std::cell::Cell;

thread_local! {
    /// Set by the visitor when `serde_json` gave it an f64 that may have been a larger integer.
    static INEXACT: Cell<bool> = const { Cell::new(false) };
}

/// Called by the visitor for an f64 of magnitude 2^63 or more.
pub(super) fn note_inexact() {
    INEXACT.with(|f| f.set(true));
}

/// Parses `text`; see the module docs.
pub(super) fn parse(text: &[u8]) -> Result<Value, serde_json::Error> {
    INEXACT.with(|f| f.set(false));
    let fast: Value = serde_json::from_slice(text)?;
    if !INEXACT.with(Cell::get) {
        return Ok(fast);
    }
    let mut exact = Exact { s: text, i: 0 };
    // serde_json accepted the text, so this parse succeeds; were it ever to fail, serde_json's
    // value is still the best there is.
    Ok(exact.value().unwrap_or(fast))
}

/// A recursive-descent parser over text `serde_json` has accepted (its depth limit bounds the
/// recursion).
struct Exact<'a> {
    s: &'a [u8],
    i: usize,
}

impl Exact<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek() == Some(b)).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Option<Value> {
        self.s[self.i..].starts_with(word).then(|| {
            self.i += word.len();
            v
        })
    }

    fn value(&mut self) -> Option<Value> {
        self.ws();
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(Value::Str),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            _ => self.number(),
        }
    }

    fn array(&mut self) -> Option<Value> {
        self.i += 1;
        let mut out = Vec::new();
        if self.eat(b']').is_some() {
            return Some(Value::List(out));
        }
        loop {
            out.push(self.value()?);
            if self.eat(b',').is_none() {
                self.eat(b']')?;
                return Some(Value::List(out));
            }
        }
    }

    fn object(&mut self) -> Option<Value> {
        self.i += 1;
        let mut out = Map::new();
        if self.eat(b'}').is_some() {
            return Some(Value::Map(out));
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.eat(b':')?;
            // As the serde visitor does: a repeated key keeps its first place and its last value.
            out.insert(key, self.value()?);
            if self.eat(b',').is_none() {
                self.eat(b'}')?;
                return Some(Value::Map(out));
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        let digits = |p: &mut Self| {
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.i += 1;
            }
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        digits(self);
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.i += 1;
            digits(self);
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            digits(self);
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        if !integer {
            return text.parse().ok().map(Value::Float);
        }
        Some(match text.parse::<i64>() {
            // serde_json reads `-0` as the float -0.0.
            Ok(0) if text.starts_with('-') => Value::Float(-0.0),
            Ok(i) => Value::Int(i),
            // JSON integers are written canonically (no `+`, no leading zeros): the text is the number.
            Err(_) => Value::Number(text.to_owned()),
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let hex = self.s.get(self.i..self.i + 4)?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    }

    /// A string at `"`; the text between escapes is copied in runs.
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        let mut run = self.i;
        loop {
            match self.peek()? {
                b'"' => {
                    out.extend_from_slice(&self.s[run..self.i]);
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    out.extend_from_slice(&self.s[run..self.i]);
                    self.i += 1;
                    let esc = self.peek()?;
                    self.i += 1;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    run = self.i;
                }
                _ => self.i += 1,
            }
        }
    }

    /// The character of a `\uXXXX` escape (after the `u`), a surrogate pair joined.
    fn unicode(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                return None;
            }
            self.i += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            return char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
        }
        char::from_u32(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_i64_keep_their_digits_and_everything_else_reads_as_serde_json_reads_it() {
        let text = r#"{"a": 18446744073709551615, "b": 123456789012345678901234567890, "c": -99999999999999999999,
            "d": [1, -2, 2.5, 1e300, -0, true, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00 y"], "e": {}, "f": [],
            "a": 7, "g": 9223372036854775807, "h": 1.8446744073709552e19}"#;
        let v = Value::parse_json(text).expect("parses");
        let m = v.as_map().expect("object");
        assert_eq!(m["a"], Value::Int(7), "a repeated key keeps its last value");
        assert_eq!(m.get_index(0).map(|(k, _)| k.as_str()), Some("a"), "and its first place");
        assert_eq!(m["b"], Value::Number("123456789012345678901234567890".into()));
        assert_eq!(m["c"], Value::Number("-99999999999999999999".into()));
        assert_eq!(m["g"], Value::Int(i64::MAX));
        assert_eq!(m["h"], Value::Float(1.844_674_407_370_955_2e19), "a float literal stays a float");
        // Everything but the big integers is what serde_json reads.
        let mut serde: Value = serde_json::from_str(text).expect("serde_json parses");
        if let Value::Map(sm) = &mut serde {
            sm.insert("b".into(), m["b"].clone());
            sm.insert("c".into(), m["c"].clone());
        }
        assert_eq!(v, serde);
        assert_eq!(
            serde_json::to_string(&m["d"]).expect("json"),
            r#"[1,-2,2.5,1e+300,-0.0,true,null,"x\"\\/\b\f\n\r\té😀 y"]"#
        );
    }

    #[test]
    fn u64_beyond_i64_needs_no_second_parse_and_round_trips() {
        let v = Value::parse_json("[18446744073709551615, 9223372036854775808]").expect("parses");
        assert_eq!(
            v,
            Value::List(vec![
                Value::Number("18446744073709551615".into()),
                Value::Number("9223372036854775808".into())
            ])
        );
        let big = r#"{"n":123456789012345678901234567890,"m":[-99999999999999999999,18446744073709551615]}"#;
        let v = Value::parse_json(big).expect("parses");
        assert_eq!(serde_json::to_string(&v).expect("json"), big);
    }

    #[test]
    fn errors_are_serde_jsons_even_on_text_the_exact_parser_would_read() {
        let err = Value::parse_json("{\"n\": 123456789012345678901234567890,}").expect_err("trailing comma");
        assert!(err.to_string().contains("trailing comma"), "{err}");
    }
}
