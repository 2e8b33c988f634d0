//! Readers: turn a source file into rows of [`Value`], one at a time, in bounded memory.
//!
//! Every reader pushes rows into a callback (`for_each`) and can skip the first rows cheaply, which
//! is how an interrupted import resumes. A reader holds only its path, so it can be run twice:
//! once to peek at the first rows (preset detection), once for the import.

mod arrow_rows;
mod arrow_time;
mod json;
mod jsonl;
mod parquet;

pub use arrow_rows::{column_values, record_batch_rows};

use crate::model::Value;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// One source row.
#[derive(Debug)]
pub struct RawRow {
    /// 0-based index among the file's rows (for JSONL: the line number minus one); what the
    /// project stores as `row_index`, shown to curators as a [`crate::model::Position`].
    pub index: u64,
    /// The key, when the file is a JSON object keyed by id.
    pub key: Option<String>,
    /// The row, or why it could not be parsed.
    pub value: Result<Value, String>,
}

/// A file-level failure of a reader.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ReadError {
    /// What went wrong (a place inside the row's text, such as a JSON line and column, is in
    /// the words; the row is in `row`).
    pub message: String,
    /// The first row the failure kept from being read (0-based, like [`RawRow::index`]), when
    /// the reader got that far: rows before it were read, it and the rest of the file were not.
    pub row: Option<u64>,
}

impl ReadError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), row: None }
    }

    /// A failure that stopped reading at `row`: the rest of the file is not read.
    pub(crate) fn at(row: u64, message: impl Into<String>) -> Self {
        Self { message: format!("{}; the rest of the file is not read", message.into()), row: Some(row) }
    }
}

/// The file formats Verdict reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// A JSON array of objects, or an object keyed by id.
    Json,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC (HF `save_to_disk` writes the stream format).
    Arrow,
}

impl Format {
    /// Its name in the project file.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
        }
    }

    /// Decides the format from the first bytes, then the extension.
    pub fn detect(path: &Path) -> Result<Format, ReadError> {
        use std::io::Read;
        let mut head = [0u8; 4096];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| ReadError::new(format!("cannot read {}: {e}", path.display())))?;
        let head = &head[..n];
        if head.starts_with(b"PAR1") {
            return Ok(Format::Parquet);
        }
        if head.starts_with(b"ARROW1") || head.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
            return Ok(Format::Arrow);
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let first = text.iter().copied().find(|b| !b.is_ascii_whitespace());
        match (first, ext.as_str()) {
            (_, "jsonl" | "ndjson") => Ok(Format::Jsonl),
            (Some(b'{'), _) if looks_like_jsonl(path) => Ok(Format::Jsonl),
            (Some(b'[' | b'{'), _) => Ok(Format::Json),
            (None, _) => Err(ReadError::new("the file is empty")),
            _ => Err(ReadError::new(
                "not a dataset file: expected JSON, JSON Lines, Parquet or Arrow (the first bytes are none of these)",
            )),
        }
    }
}

/// A `{`-file is JSONL when its first line is a complete object and the next non-blank line (if
/// any) starts another. Whole lines are read: a first row with an embedded image can be megabytes.
fn looks_like_jsonl(path: &Path) -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut reader = std::io::BufReader::new(file);
    let mut next_line = |line: &mut Vec<u8>| loop {
        line.clear();
        match reader.read_until(b'\n', line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line.iter().all(u8::is_ascii_whitespace) => {}
            Ok(_) => return true,
        }
    };
    let mut line = Vec::new();
    if !next_line(&mut line) {
        return false;
    }
    let first = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&line);
    if serde_json::from_slice::<serde::de::IgnoredAny>(first).is_err() {
        return false;
    }
    !next_line(&mut line) || line.iter().copied().find(|b| !b.is_ascii_whitespace()) == Some(b'{')
}

/// Reads rows from one file.
pub struct Reader {
    path: PathBuf,
    format: Format,
    bytes_read: Arc<AtomicU64>,
}

impl Reader {
    /// A reader for `path` in `format`.
    pub fn new(path: &Path, format: Format) -> Self {
        Self { path: path.to_owned(), format, bytes_read: Arc::default() }
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Bytes consumed so far by the running `for_each` (JSON formats), for progress estimates.
    pub fn bytes_read(&self) -> Arc<AtomicU64> {
        self.bytes_read.clone()
    }

    /// Column names from the file's schema, when it has one (Parquet, Arrow).
    pub fn schema_columns(&self) -> Result<Option<Vec<String>>, ReadError> {
        match self.format {
            Format::Parquet => parquet::columns(&self.path).map(Some),
            Format::Arrow => parquet::arrow_columns(&self.path).map(Some),
            Format::Jsonl | Format::Json => Ok(None),
        }
    }

    /// Number of rows, when the file says (Parquet).
    pub fn total_rows(&self) -> Option<u64> {
        match self.format {
            Format::Parquet => parquet::row_count(&self.path).ok(),
            _ => None,
        }
    }

    /// Pushes every row from `skip` on into `sink`, until it returns `Break` or the file ends.
    pub fn for_each(&self, skip: u64, sink: &mut dyn FnMut(RawRow) -> ControlFlow<()>) -> Result<(), ReadError> {
        match self.format {
            Format::Jsonl => jsonl::for_each(&self.path, skip, &self.bytes_read, sink),
            Format::Json => json::for_each(&self.path, skip, &self.bytes_read, sink),
            Format::Parquet => parquet::for_each(&self.path, skip, sink),
            Format::Arrow => parquet::arrow_for_each(&self.path, skip, sink),
        }
    }

    /// The first `n` rows that parse, for detection.
    pub fn peek(&self, n: usize) -> Result<Vec<RawRow>, ReadError> {
        let mut rows = Vec::new();
        let mut seen = 0usize;
        let result = self.for_each(0, &mut |row| {
            seen += 1;
            if row.value.is_ok() {
                rows.push(row);
            }
            if rows.len() >= n || seen >= n * 10 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        // A file that breaks after some good rows is still a dataset: the import reports the break.
        match result {
            Err(e) if rows.is_empty() => Err(e),
            _ => Ok(rows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(name: &str, body: &[u8]) -> Result<Format, ReadError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, body).expect("write");
        Format::detect(&path)
    }

    #[test]
    fn json_lines_in_a_json_file_are_detected_even_with_long_rows() {
        let long = format!("{{\"prompt\": \"{}\", \"chosen\": \"a\", \"rejected\": \"b\"}}\n", "x".repeat(100_000));
        let body = format!("{long}{long}");
        assert_eq!(detect("rows.json", body.as_bytes()).expect("detects"), Format::Jsonl);
        assert_eq!(detect("one.json", long.as_bytes()).expect("detects"), Format::Jsonl);
        assert_eq!(detect("pretty.json", b"{\n  \"k\": {\"a\": 1}\n}\n").expect("detects"), Format::Json);
        assert_eq!(detect("list.json", b"  [ {\"a\": 1} ]").expect("detects"), Format::Json);
        assert!(detect("empty.json", b"  \n").is_err());
        assert!(detect("pic.json", b"\x89PNG\r\n").expect_err("not data").message.contains("not a dataset"));
    }
}
