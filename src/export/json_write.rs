//! Rows as JSON text, byte for byte what `serde_json::to_writer` writes for a [`Value`], with a
//! faster string escaper: text rows are almost all plain characters, so the scan looks at eight
//! bytes at a time for the few that need escaping (`"`, `\`, control characters) and copies the
//! runs between them whole. `serde_json`'s own loop looks at each byte and was a fifth of a large
//! text export's CPU.

use crate::model::Value;

/// Appends `v` as compact JSON.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Str(s) => write_str(out, s),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Map(m) => {
            out.push(b'{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, item);
            }
            out.push(b'}');
        }
        // Kept exactly as read (an integer beyond i64, a decimal): valid JSON number text.
        Value::Number(n) => out.extend_from_slice(n.as_bytes()),
        // Numbers and bytes are rare in rows: serde_json writes them, so they stay identical.
        Value::Int(_) | Value::Float(_) | Value::Bytes(_) => {
            let _ = serde_json::to_writer(&mut *out, v);
        }
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `w` is below 0x20, or is `"` or `\`.
fn needs_escape(w: u64) -> bool {
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let control = w.wrapping_sub(LO * 0x20) & !w & HI;
    (control | zero(w ^ (LO * u64::from(b'"'))) | zero(w ^ (LO * u64::from(b'\\')))) != 0
}

fn escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends `s` as a JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if i + 8 <= bytes.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[i..i + 8]);
            if !needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if escape(b) {
            out.extend_from_slice(&bytes[start..i]);
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xF)]);
                }
            }
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_serde_json_writes() {
        let mut tricky =
            String::from("plain text long enough for words \"quoted\" \\ back\nslash\t\r\u{8}\u{c}\u{1}\u{1f}");
        tricky.push_str("é中文 \u{7f} / end");
        for s in [String::new(), "a".into(), "\"".into(), "12345678\"".into(), "1234567\n8".into(), tricky] {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            assert_eq!(String::from_utf8(out).expect("utf8"), serde_json::to_string(&s).expect("json"), "{s:?}");
        }
        let v: Value =
            serde_json::from_str(r#"{"a":[1,2.5,-3,null,true,false,{"b":"c\nd"}],"e":{},"f":[],"g":1e300,"h":0.1}"#)
                .expect("json");
        let mut out = Vec::new();
        write_value(&mut out, &v);
        assert_eq!(String::from_utf8(out).expect("utf8"), serde_json::to_string(&v).expect("json"));
        let bytes = Value::Bytes(vec![1, 2, 3]);
        let mut out = Vec::new();
        write_value(&mut out, &bytes);
        assert_eq!(String::from_utf8(out).expect("utf8"), serde_json::to_string(&bytes).expect("json"));
    }

    #[test]
    fn every_byte_position_of_an_escape_is_found() {
        for pos in 0..24 {
            for c in ['"', '\\', '\n', '\u{0}', '\u{1f}'] {
                let mut s: String = "x".repeat(24);
                s.replace_range(pos..=pos, &c.to_string());
                let mut out = Vec::new();
                write_str(&mut out, &s);
                assert_eq!(String::from_utf8(out).expect("utf8"), serde_json::to_string(&s).expect("json"));
            }
        }
    }
}
