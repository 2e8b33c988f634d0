//! Export: the cleaned subset out, in the formats trainers read as they are (TRL, LLaMA-Factory,
//! ms-swift, OpenRLHF), each dataset in its own source schema (`original`), or Verdict's own
//! lossless JSONL (`verdict`).
//!
//! One pass over the selected samples in id order, a chunk at a time ([`Store::full_samples`]):
//! each sample's current label ([`label`]) becomes pairs, its media are placed ([`media`]), a
//! target builds one row per pair ([`targets`]), and a sink writes it ([`sink`]). Everything lands
//! in a staging folder and is renamed into place at the end, the manifest last ([`outdir`]).
//! Nothing in the data depends on the clock: the same project and options give the same bytes.

mod arrow_write;
mod forms;
mod json_write;
pub mod label;
mod manifest;
pub mod media;
pub mod options;
mod original;
mod outdir;
mod pipeline;
pub mod reasons;
mod sink;
pub mod split;
pub mod targets;
mod verdict_format;

pub use manifest::{Counts, LeftOut, Position};
pub use options::{ExportOptions, FileFormat, Form, MediaMode, PairMode, Split, Target, TiesMode};
/// For the UI's tests, which hold a running export's folder.
#[cfg(test)]
pub(crate) use outdir::OutDir;
pub use outdir::{EarlierExport, OutDirError, SURVEY_LIMIT, Survey, survey};
pub use verdict_format::VERSION as VERDICT_FORMAT_VERSION;

use crate::jobs::{Interrupted, Progress};
use crate::store::{Store, StoreError};
use std::path::PathBuf;
use std::time::Duration;

/// Why an export could not run or finish (samples it cannot write are not errors: they are
/// counted and listed in the manifest).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The options contradict each other.
    #[error("{0}")]
    Options(String),
    /// The filter does not parse (the message is the parser's, with its position).
    #[error("the filter (--where): {0}")]
    Query(crate::query::QueryError),
    /// The output folder cannot take the export.
    #[error(transparent)]
    OutDir(#[from] OutDirError),
    /// Writing a file failed.
    #[error("{0}")]
    Write(String),
    /// The project file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `original` needs the source file, and it moved or changed.
    #[error("{0}")]
    Source(String),
    /// Cancel was asked: nothing was written under a final name.
    #[error("export cancelled; nothing was written")]
    Cancelled,
}

impl From<crate::query::QueryError> for ExportError {
    fn from(e: crate::query::QueryError) -> Self {
        ExportError::Query(e)
    }
}

impl From<Interrupted> for ExportError {
    fn from(_: Interrupted) -> Self {
        ExportError::Cancelled
    }
}

/// What an export did.
#[derive(Debug, Clone)]
pub struct ExportReport {
    /// The folder written.
    pub out: PathBuf,
    /// The files written, relative to `out` (`media/` as one entry), the manifest last.
    pub files: Vec<String>,
    /// What went in and out.
    pub counts: Counts,
    /// The first samples left out, with why.
    pub left_out: Vec<LeftOut>,
    /// Distinct media files written into `media/`, and their bytes.
    pub media_files: u64,
    /// Their bytes.
    pub media_bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// The first rows of an export exactly as they would be written, and its counts.
#[derive(Debug, Clone)]
pub struct Preview {
    /// Rows as JSON text (Parquet rows too; embedded bytes shown as their size).
    pub rows: Vec<String>,
    /// What the export would write and leave out.
    pub counts: Counts,
    /// The first samples it would leave out.
    pub left_out: Vec<LeftOut>,
}

/// Runs an export of the project into `options.out`.
pub fn run(store: &Store, options: &ExportOptions, progress: &mut Progress) -> Result<ExportReport, ExportError> {
    options.validate().map_err(ExportError::Options)?;
    check_margin_scorer(store, options)?;
    let started = std::time::Instant::now();
    let compiled = crate::query::compile(&options.query)?;
    let out = outdir::OutDir::prepare(&options.out, options.force)?;
    let ids = store.matching_ids(&compiled, crate::store::SortKey::Id, false)?;
    let mut report = if options.target == Target::Original {
        original::run(store, options, &ids, out, progress)?
    } else {
        pipeline::run(store, options, &ids, pipeline::Mode::Write(out), progress)?.into_report()
    };
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Refuses a `--margin-from` scorer the project does not know, naming those it knows.
fn check_margin_scorer(store: &Store, options: &ExportOptions) -> Result<(), ExportError> {
    let Some(name) = &options.margin_from else { return Ok(()) };
    if store.scorer(Some(name))?.is_some() {
        return Ok(());
    }
    let known: Vec<String> = store.scorers()?.into_iter().map(|s| s.name).collect();
    Err(ExportError::Options(if known.is_empty() {
        format!("--margin-from {name}: no scorer has scored this project (run `verdict score P --model DIR` first)")
    } else {
        format!("--margin-from {name}: no scorer `{name}` in this project (known: {})", known.join(", "))
    }))
}

/// The first `rows` rows the export would write, and its counts, without writing anything.
pub fn preview(
    store: &Store,
    options: &ExportOptions,
    rows: usize,
    progress: &mut Progress,
) -> Result<Preview, ExportError> {
    options.validate().map_err(ExportError::Options)?;
    check_margin_scorer(store, options)?;
    let compiled = crate::query::compile(&options.query)?;
    let ids = store.matching_ids(&compiled, crate::store::SortKey::Id, false)?;
    if options.target == Target::Original {
        return original::preview(store, options, &ids, rows, progress);
    }
    let done = pipeline::run(store, options, &ids, pipeline::Mode::Preview(rows), progress)?;
    Ok(done.into_preview())
}
