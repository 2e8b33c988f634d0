//! Datasets and the import report: which source files a project holds, how far each import got
//! (the resume point), and what went wrong in which row.

use super::{NOW_SQL, Result, Store};
use crate::model::{DatasetId, Position, Severity};
use rusqlite::{OptionalExtension, params};

/// A dataset about to be imported.
#[derive(Debug, Clone)]
pub struct NewDataset {
    /// Shown to curators (the file stem).
    pub name: String,
    /// Absolute path of the source file.
    pub source_path: String,
    /// blake3 of the file's bytes, hex.
    pub content_hash: String,
    /// The file's size in bytes.
    pub source_size: Option<u64>,
    /// `jsonl`, `json`, `parquet` or `arrow`.
    pub format: String,
    /// The preset that reads it (`mapping` for a generic column mapping).
    pub preset: String,
    /// Hash of everything besides the bytes that changes what an import produces.
    pub options_key: String,
    /// Absolute media root.
    pub media_root: Option<String>,
    /// The column mapping, as TOML text.
    pub mapping: Option<String>,
    /// The source's top-level columns.
    pub columns: Vec<String>,
}

/// Where an import of a dataset stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetStatus {
    /// Started; `rows_done` source rows are stored. Running the import again resumes here.
    Importing {
        /// Source rows fully stored.
        rows_done: u64,
    },
    /// Every row was handled.
    Complete,
}

/// One line of the import report.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportIssue {
    /// 0-based source row (for a failure that ended the file early: the first row not read);
    /// `None` for a problem with the whole file. Shown through [`ImportIssue::position`].
    pub row_index: Option<u64>,
    /// The field (column or path inside the row).
    pub field: Option<String>,
    /// Error: row not imported. Warning: imported, but a part is missing.
    pub severity: Severity,
    /// What is wrong, in words.
    pub message: String,
}

impl ImportIssue {
    /// Where the issue is, as the curator finds it in a file of `format` (`datasets.format`):
    /// "line 7" in JSON Lines, "index 6" in JSON, "row 6" in Parquet and Arrow.
    pub fn position(&self, format: &str) -> Option<Position> {
        self.row_index.map(|row| Position::of(format, row))
    }

    /// The report line: `FILE POSITION field F: message`, the position as the file's `format`
    /// names it (`pairs.jsonl line 7 field chosen: missing required field`).
    pub fn line(&self, file: &str, format: &str) -> String {
        use std::fmt::Write as _;
        let mut s = file.to_owned();
        if let Some(position) = self.position(format) {
            let _ = write!(s, " {position}");
        }
        if let Some(field) = self.field.as_deref().filter(|f| !f.is_empty()) {
            let _ = write!(s, " field {field}");
        }
        let _ = write!(s, ": {}", self.message);
        s
    }
}

/// A dataset as stored.
#[derive(Debug, Clone)]
pub struct DatasetInfo {
    /// Its id.
    pub id: DatasetId,
    /// File stem.
    pub name: String,
    /// Source path at import time.
    pub source_path: String,
    /// Content hash of the source.
    pub content_hash: String,
    /// The source's size in bytes (`None` for datasets imported before migration 4).
    pub source_size: Option<u64>,
    /// The source's top-level columns, in its order.
    pub columns: Vec<String>,
    /// File format.
    pub format: String,
    /// Preset used.
    pub preset: String,
    /// Media root.
    pub media_root: Option<String>,
    /// Import state.
    pub status: DatasetStatus,
    /// Samples stored.
    pub sample_count: u64,
    /// Rows refused.
    pub error_count: u64,
    /// Rows imported with a problem.
    pub warning_count: u64,
    /// When the import started.
    pub imported_at: String,
    /// When it completed.
    pub finished_at: Option<String>,
    /// Marked as a reference set (an evaluation benchmark): never exported, compared with the rest
    /// by the contamination pass.
    pub reference: bool,
}

impl DatasetInfo {
    /// The source file as the report names it: its file name, with its folder's name when the folder
    /// is a Hugging Face `save_to_disk` folder (whose Arrow files are `data-0000N-of-0000M.arrow` in
    /// every split).
    pub fn file_label(source_path: &str) -> String {
        let path = std::path::Path::new(source_path);
        let name = path.file_name().map_or_else(|| source_path.to_owned(), |n| n.to_string_lossy().into_owned());
        match path.parent() {
            Some(dir) if dir.join("state.json").is_file() => {
                let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if folder.is_empty() { name } else { format!("{folder}/{name}") }
            }
            _ => name,
        }
    }
}

impl Store {
    /// Finds the dataset for this file and these options, or registers a new one.
    /// Returns its id and where its import stands, so a killed import resumes instead of repeating.
    pub fn begin_import(&mut self, new: &NewDataset) -> Result<(DatasetId, DatasetStatus)> {
        let existing = self
            .conn
            .query_row(
                "SELECT id, status, rows_done FROM datasets WHERE content_hash = ?1 AND options_key = ?2",
                params![new.content_hash, new.options_key],
                |r| Ok((r.get::<_, DatasetId>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if let Some((id, status, rows_done)) = existing {
            return Ok((id, parse_status(&status, rows_done)));
        }
        let columns = serde_json::to_string(&new.columns).unwrap_or_else(|_| "[]".into());
        self.conn
            .execute(
                &format!(
                    "INSERT INTO datasets (name, source_path, content_hash, format, preset, options_key, media_root,
                                           mapping, status, columns, source_size, imported_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'importing', ?9, ?10, {NOW_SQL})"
                ),
                params![
                    new.name,
                    new.source_path,
                    new.content_hash,
                    new.format,
                    new.preset,
                    new.options_key,
                    new.media_root,
                    new.mapping,
                    columns,
                    new.source_size.map(|s| s as i64)
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok((DatasetId(self.conn.last_insert_rowid()), DatasetStatus::Importing { rows_done: 0 }))
    }

    /// Whether a dataset might hold a file of `size` bytes: one of that size, or one whose size was
    /// not recorded. When not, the file is new to the project whatever its content hash, and an
    /// import need not wait for the hash to begin.
    pub fn may_hold_file(&self, size: u64) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM datasets WHERE source_size IS NULL OR source_size = ?1)",
                [size as i64],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The complete datasets of a file's bytes, whatever their options: (id, media root, options key).
    pub fn complete_datasets_with_hash(&self, content_hash: &str) -> Result<Vec<(DatasetId, Option<String>, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, media_root, options_key FROM datasets
                 WHERE content_hash = ?1 AND status = 'complete' ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([content_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// Whether any medium of a dataset was given as a path (resolved against its media root, or
    /// not found there): only then does the media root change what importing it produces.
    pub fn references_media_paths(&self, dataset: DatasetId) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM media m JOIN samples s ON s.id = m.sample_id
                                WHERE s.dataset_id = ?1 AND m.path IS NOT NULL)",
                [dataset],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Marks an import complete.
    pub fn finish_import(&mut self, id: DatasetId) -> Result<()> {
        self.conn
            .execute(&format!("UPDATE datasets SET status = 'complete', finished_at = {NOW_SQL} WHERE id = ?1"), [id])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Every dataset, in import order.
    pub fn datasets(&self) -> Result<Vec<DatasetInfo>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, name, source_path, content_hash, format, preset, media_root, status, rows_done,
                        sample_count, error_count, warning_count, imported_at, finished_at, source_size, columns, reference
                 FROM datasets ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DatasetInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    source_path: r.get(2)?,
                    content_hash: r.get(3)?,
                    source_size: r.get::<_, Option<i64>>(14)?.map(|s| s as u64),
                    columns: r
                        .get::<_, Option<String>>(15)?
                        .and_then(|c| serde_json::from_str(&c).ok())
                        .unwrap_or_default(),
                    format: r.get(4)?,
                    preset: r.get(5)?,
                    media_root: r.get(6)?,
                    status: parse_status(&r.get::<_, String>(7)?, r.get(8)?),
                    sample_count: r.get::<_, i64>(9)? as u64,
                    error_count: r.get::<_, i64>(10)? as u64,
                    warning_count: r.get::<_, i64>(11)? as u64,
                    imported_at: r.get(12)?,
                    finished_at: r.get(13)?,
                    reference: r.get(16)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }

    /// The import report of one dataset, first `limit` lines in row order.
    pub fn import_issues(&self, id: DatasetId, limit: usize) -> Result<Vec<ImportIssue>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT row_index, field, severity, message FROM import_issues
                 WHERE dataset_id = ?1 ORDER BY row_index IS NOT NULL, row_index, id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![id, limit as i64], |r| {
                Ok(ImportIssue {
                    row_index: r.get::<_, Option<i64>>(0)?.map(|v| v as u64),
                    field: r.get(1)?,
                    severity: r.get(2)?,
                    message: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }
}

fn parse_status(status: &str, rows_done: i64) -> DatasetStatus {
    if status == "complete" {
        DatasetStatus::Complete
    } else {
        DatasetStatus::Importing { rows_done: rows_done as u64 }
    }
}
