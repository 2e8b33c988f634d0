//! JSON: an array of rows, or an object keyed by id (HA-DPO's desc data), streamed element by
//! element so a large file is never held whole.
//!
//! JSON has no line structure to recover at: a syntax error ends the file. Rows before it are
//! kept and the error names the line and column. Each element is read as its raw text and then
//! parsed by [`Value::parse_json`], so integers beyond i64 keep their digits (and elements before
//! a resume point are never built).

use super::{RawRow, ReadError};
use crate::model::Value;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use std::io::Read;
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
    let reader =
        CountingReader { inner: std::io::BufReader::with_capacity(1 << 20, file), count: bytes_read, total: 0 };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut rows = 0u64;
    let visitor = RowsVisitor { skip, sink, rows: &mut rows };
    // Text after the array or object would be left out silently: `end` refuses it.
    match de.deserialize_any(visitor).and_then(|()| de.end()) {
        Ok(()) => Ok(()),
        // The sink asked to stop: not an error.
        Err(e) if e.to_string().starts_with(STOP) => Ok(()),
        // The element being read when it failed is index `rows`; the line and column are the
        // text's, which an editor shows.
        Err(e) => Err(ReadError::at(
            rows,
            format!("malformed JSON at line {} column {}: {}", e.line(), e.column(), strip_position(&e.to_string())),
        )),
    }
}

const STOP: &str = "verdict: stop reading";

fn strip_position(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}

struct CountingReader<'a, R> {
    inner: R,
    count: &'a AtomicU64,
    total: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        self.count.store(self.total, Ordering::Relaxed);
        Ok(n)
    }
}

struct RowsVisitor<'a, 'b> {
    skip: u64,
    sink: &'a mut dyn FnMut(RawRow) -> ControlFlow<()>,
    rows: &'b mut u64,
}

impl RowsVisitor<'_, '_> {
    /// Hands on one element, read as its text: parsed (with every integer exact) only from the
    /// resume point on.
    fn push(&mut self, key: Option<String>, raw: &RawValue) -> ControlFlow<()> {
        let index = *self.rows;
        *self.rows += 1;
        if index < self.skip {
            return ControlFlow::Continue(());
        }
        // The text was accepted as JSON while it was read: this parse does not fail.
        let value = Value::parse_json(raw.get()).map_err(|e| format!("malformed JSON: {e}"));
        (self.sink)(RawRow { index, key, value })
    }
}

impl<'de> Visitor<'de> for RowsVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of rows or an object keyed by id")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Box<RawValue>>()? {
            if self.push(None, &v).is_break() {
                return Err(serde::de::Error::custom(STOP));
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let v = map.next_value::<Box<RawValue>>()?;
            if self.push(Some(key), &v).is_break() {
                return Err(serde::de::Error::custom(STOP));
            }
        }
        Ok(())
    }
}
