//! JSON Lines: one object per line; a bad line is a bad row, never a bad file.

use super::{RawRow, ReadError};
use crate::model::Value;
use std::io::BufRead;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

pub(super) fn for_each(
    path: &Path,
    skip: u64,
    bytes_read: &AtomicU64,
    sink: &mut dyn FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let file = std::fs::File::open(path).map_err(|e| ReadError::new(format!("cannot open {}: {e}", path.display())))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(4096);
    let mut index = 0u64;
    let mut total = 0u64;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(|e| ReadError::at(index, format!("read error: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        total += n as u64;
        bytes_read.store(total, Ordering::Relaxed);
        let this = index;
        index += 1;
        if this < skip {
            continue;
        }
        let text = trim(&line);
        let text = if this == 0 { text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text) } else { text };
        if text.is_empty() {
            continue;
        }
        // The line is the row's position (the report says "line N"): serde_json's own "at line 1"
        // would only confuse, its column is what helps.
        let value = Value::parse_json(text).map_err(|e| malformed(&e));
        if sink(RawRow { index: this, key: None, value }).is_break() {
            return Ok(());
        }
    }
}

/// "malformed JSON at column C: WHAT", from `serde_json`'s "WHAT at line 1 column C".
fn malformed(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = text.find(" at line ").map_or(text.as_str(), |i| &text[..i]);
    format!("malformed JSON at column {}: {what}", e.column())
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() { s = rest } else { break }
    }
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() { s = rest } else { break }
    }
    s
}
