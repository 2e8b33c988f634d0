//! Where a row is in its source file, named as the curator's tools name it: an editor's line
//! number for JSON Lines (from 1), the array index for JSON (from 0), the row for Parquet and
//! Arrow (from 0, as pandas, pyarrow and `datasets` count). The import report, `verdict info` and
//! the export's manifest all say positions through this one type, so a JSONL report never says
//! "row 6" where the editor shows line 7.

use serde::Serialize;

/// A position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// JSON Lines: the line number, from 1.
    Line(u64),
    /// JSON: the index in the array (or of the key in an object), from 0.
    Index(u64),
    /// Parquet / Arrow: the row, from 0.
    Row(u64),
}

impl Position {
    /// The position of source row `row` (0-based, as the project stores it) in a file of
    /// `format` (`jsonl`, `json`, `parquet`, `arrow`: `datasets.format`).
    pub fn of(format: &str, row: u64) -> Self {
        match format {
            "jsonl" => Position::Line(row + 1),
            "json" => Position::Index(row),
            _ => Position::Row(row),
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Index(n) => write!(f, "index {n}"),
            Position::Row(n) => write!(f, "row {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_as_editors_show_them() {
        assert_eq!(Position::of("jsonl", 6).to_string(), "line 7");
        assert_eq!(Position::of("json", 6).to_string(), "index 6");
        assert_eq!(Position::of("parquet", 6).to_string(), "row 6");
        assert_eq!(Position::of("arrow", 0).to_string(), "row 0");
        assert_eq!(serde_json::to_string(&Position::Line(7)).expect("json"), r#"{"line":7}"#);
    }
}
