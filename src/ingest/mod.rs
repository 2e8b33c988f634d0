//! Importing datasets: read a file (JSONL, JSON, Parquet, Arrow) row by row, map each row through
//! a preset or a column mapping into samples, resolve and probe media, and store the result in
//! batches, each one transaction that also moves the dataset's resume point.
//!
//! Three threads: `import-read` parses, maps, hashes and probes; the caller's thread writes SQLite;
//! `fts-side` indexes the text of the batches the writer hands it (FTS5 is most of the work of a
//! text import), and its index is grafted onto the project's when the import ends
//! (`store/fts_side.rs`). Bounded channels between them keep memory flat however large the file is.
//!
//! Bad rows never stop an import: each becomes a line of the import report (file, position, field:
//! the row a reader gave it, shown as [`crate::model::Position`]).
//! Re-running an import of the same file with the same options adds nothing; re-running one that
//! was killed resumes after the last committed batch.

pub mod mapping;
pub mod media_ref;
pub mod prepare;
pub mod presets;
pub mod readers;
pub mod relink;

use crate::jobs::{Interrupted, Progress};
use crate::model::{Position, Severity, Value};
use crate::store::{
    DatasetStatus, FtsWrite, ImportBatch, ImportIssue, NewDataset, PreparedSample, SideIndexer, Store, StoreError,
};
use media_ref::MediaRoot;
use prepare::Preparer;
use presets::row::{PresetOptions, Row};
use presets::{Columns, Preset};
use readers::{Format, RawRow, Reader};
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

/// What the caller chooses about an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Force a preset instead of detecting one.
    pub preset: Option<String>,
    /// Where relative media paths resolve (default: the data file's folder).
    pub media_root: Option<PathBuf>,
    /// A generic column mapping (TOML) for layouts no preset knows.
    pub mapping: Option<PathBuf>,
    /// Turns an id into a media path, `{id}` replaced (HA-DPO `image_id`).
    pub id_pattern: Option<String>,
}

/// How an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Imported from the first row.
    Imported,
    /// An earlier, interrupted import was completed from this row on.
    Resumed {
        /// The first row read this time.
        from_row: u64,
    },
    /// The same file with the same options was already imported: nothing added.
    AlreadyImported,
    /// The file grew since it was imported (rows appended to a JSON Lines file): only the rows
    /// from this one on were added, to the same dataset.
    Appended {
        /// The first new row.
        from_row: u64,
    },
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// The dataset.
    pub dataset_id: crate::model::DatasetId,
    /// The source file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// The preset (or `mapping`) that read it.
    pub preset: String,
    /// How it ended.
    pub outcome: ImportOutcome,
    /// Rows read in this run.
    pub rows_read: u64,
    /// Samples added in this run.
    pub samples_added: u64,
    /// Rows refused in this run.
    pub errors: u64,
    /// Rows imported with a missing or unreadable part in this run.
    pub warnings: u64,
    /// Wall time of this run.
    pub elapsed: Duration,
}

/// Why an import could not run at all (bad rows are not errors: they go to the report).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file cannot be read as a dataset.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// `--preset` names no preset.
    #[error("unknown preset {0:?} (`verdict presets` lists them)")]
    UnknownPreset(String),
    /// No preset matches the columns.
    #[error(
        "{path}: no preset recognizes the columns [{columns}]; force one with --preset NAME or describe the layout with --map FILE (`verdict presets` lists what each expects)"
    )]
    NotRecognized {
        /// The file.
        path: PathBuf,
        /// Its columns.
        columns: String,
    },
    /// The column mapping is invalid.
    #[error("mapping {path}: {message}")]
    Mapping {
        /// The mapping file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The project file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Cancel was asked; the import can be resumed by running it again.
    #[error("import cancelled; run it again to resume")]
    Cancelled,
}

impl From<Interrupted> for IngestError {
    fn from(_: Interrupted) -> Self {
        IngestError::Cancelled
    }
}

/// Reads rows into samples: a built-in preset or a user's column mapping.
pub enum Mapper {
    /// A built-in layout.
    Preset(&'static Preset),
    /// A generic column mapping.
    Mapping(Box<mapping::Mapping>),
}

impl Mapper {
    /// Its name as stored in the project.
    pub fn name(&self) -> &str {
        match self {
            Mapper::Preset(p) => p.name,
            Mapper::Mapping(_) => "mapping",
        }
    }

    fn map(&self, row: &mut Row<'_>) -> presets::row::FieldResult<Vec<crate::model::SampleDraft>> {
        match self {
            Mapper::Preset(p) => p.map(row),
            Mapper::Mapping(m) => m.map(row),
        }
    }
}

/// Rows per batch, and the most bytes (text and embedded media) one batch may carry: one
/// transaction each, so also the granularity of resuming.
const BATCH_ROWS: usize = 20_000;
const BATCH_BYTES: usize = 16 << 20;

fn file_err(path: &Path, message: impl Into<String>) -> IngestError {
    IngestError::File { path: path.to_owned(), message: message.into() }
}

/// Detects the columns of a file from its schema or its first rows.
pub fn columns_of(reader: &Reader, path: &Path) -> Result<Columns, IngestError> {
    let schema = reader.schema_columns().map_err(|e| file_err(path, e.message))?;
    let peeked = reader.peek(20).map_err(|e| file_err(path, e.message))?;
    let mut names: Vec<String> = schema.unwrap_or_default();
    let mut first = None;
    for row in &peeked {
        if row.key.is_some() && !names.iter().any(|n| n == "$key") {
            names.push("$key".into());
        }
        if let Ok(Value::Map(m)) = &row.value {
            names.extend(m.keys().cloned());
            first.get_or_insert_with(|| m.clone());
        }
    }
    if first.is_none() && reader.format() != Format::Parquet && reader.format() != Format::Arrow {
        let why = match reader.peek(1) {
            Ok(rows) if rows.is_empty() => "no rows: the file holds no JSON object".to_owned(),
            _ => "not a dataset: none of the first rows is a JSON object".to_owned(),
        };
        let first_error = first_row_error(reader);
        return Err(file_err(
            path,
            match first_error {
                Some(e) => format!("{why} ({e})"),
                None => why,
            },
        ));
    }
    names.sort();
    names.dedup();
    Ok(Columns::new(names, first.unwrap_or_default()))
}

fn first_row_error(reader: &Reader) -> Option<String> {
    let mut err = None;
    let _ = reader.for_each(0, &mut |row| {
        err = match row.value {
            Err(e) => Some(e),
            Ok(v) => Some(format!(
                "{} is a {}, expected an object",
                Position::of(reader.format().as_str(), row.index),
                v.type_name()
            )),
        };
        ControlFlow::Break(())
    });
    err
}

/// Chooses how rows are read: the mapping, the forced preset, or the detected one.
pub fn choose_mapper(options: &ImportOptions, columns: &Columns, path: &Path) -> Result<Mapper, IngestError> {
    if let Some(map_path) = &options.mapping {
        return mapping::Mapping::load(map_path).map(|m| Mapper::Mapping(Box::new(m)));
    }
    if let Some(name) = &options.preset {
        return presets::by_name(name).map(Mapper::Preset).ok_or_else(|| IngestError::UnknownPreset(name.clone()));
    }
    presets::detect(columns).map(Mapper::Preset).ok_or_else(|| IngestError::NotRecognized {
        path: path.to_owned(),
        columns: columns.names().filter(|n| *n != "$key").collect::<Vec<_>>().join(", "),
    })
}

/// The layout a file would be imported with (the detected preset's name), without importing it:
/// what the app shows for confirmation when a file is dropped on it.
pub fn detect_layout(path: &Path) -> Result<String, IngestError> {
    let path = dataset_files(path)?.into_iter().next().unwrap_or_else(|| path.to_owned());
    let format = Format::detect(&path).map_err(|e| file_err(&path, e.message))?;
    let reader = Reader::new(&path, format);
    let columns = columns_of(&reader, &path)?;
    choose_mapper(&ImportOptions::default(), &columns, &path).map(|m| m.name().to_owned())
}

/// The data files a path stands for: the file itself, or for a Hugging Face `save_to_disk` folder
/// the Arrow files its `state.json` lists, in order.
pub fn dataset_files(path: &Path) -> Result<Vec<PathBuf>, IngestError> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let state = path.join("state.json");
    let text = std::fs::read_to_string(&state).map_err(|_| {
        file_err(
            path,
            "is a directory and not a Hugging Face save_to_disk folder (no state.json); give the data files inside it",
        )
    })?;
    let parsed: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| file_err(&state, format!("malformed JSON: {e}")))?;
    let files: Vec<PathBuf> = parsed["_data_files"]
        .as_array()
        .map(|list| list.iter().filter_map(|f| f["filename"].as_str()).map(|name| path.join(name)).collect())
        .unwrap_or_default();
    if files.is_empty() {
        return Err(file_err(&state, "lists no `_data_files`"));
    }
    Ok(files)
}

/// blake3 of a file; `tick` hears the bytes hashed so far and may stop it.
pub fn hash_file(path: &Path, tick: &mut dyn FnMut(u64) -> Result<(), Interrupted>) -> Result<String, IngestError> {
    let mut file = std::fs::File::open(path).map_err(|e| file_err(path, format!("cannot open: {e}")))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| file_err(path, format!("read error: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        tick(done)?;
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// The dataset an import writes into.
enum Target {
    /// Known before reading: the file was hashed first (it may resume or repeat an import).
    Known(crate::model::DatasetId),
    /// The file's size matches no dataset of the project, so it is new whatever its hash: reading
    /// starts at once while a thread hashes the file, and the dataset is created with that hash
    /// before the first batch is stored.
    Hashing(Box<NewDataset>),
}

/// Imports one file into the project.
pub fn import_file(
    store: &mut Store,
    path: &Path,
    options: &ImportOptions,
    progress: &mut Progress,
) -> Result<ImportSummary, IngestError> {
    let started = Instant::now();
    let path = path.canonicalize().map_err(|e| file_err(path, format!("cannot open: {e}")))?;
    if path.is_dir() {
        return Err(file_err(&path, "is a directory; give the data file inside it"));
    }
    let format = Format::detect(&path).map_err(|e| file_err(&path, e.message))?;
    let reader = Reader::new(&path, format);
    let columns = columns_of(&reader, &path)?;
    let mapper = choose_mapper(options, &columns, &path)?;

    let root_dir = match &options.media_root {
        Some(r) => r.clone(),
        None => path.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let root = MediaRoot::new(&root_dir)
        .map_err(|e| file_err(&path, format!("media root {} is not usable: {e}", root_dir.display())))?;

    let mapping_text = match &mapper {
        Mapper::Mapping(m) => Some(m.source_text().to_owned()),
        Mapper::Preset(_) => None,
    };
    // Everything besides the bytes that changes what the import produces; the media root given as
    // stored in `datasets.media_root`.
    let options_key_for = |root: &str| {
        prepare::hash_hex(
            format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                mapper.name(),
                root,
                mapping_text.as_deref().unwrap_or(""),
                options.id_pattern.as_deref().unwrap_or("")
            )
            .as_bytes(),
        )
    };
    let media_root = root.path().to_string_lossy().into_owned();
    let options_key = options_key_for(&media_root);
    let file_size = std::fs::metadata(&path).map_err(|e| file_err(&path, format!("cannot open: {e}")))?.len();
    let mut new = NewDataset {
        name: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        source_path: path.to_string_lossy().into_owned(),
        content_hash: String::new(),
        source_size: Some(file_size),
        format: format.as_str().to_owned(),
        preset: mapper.name().to_owned(),
        options_key,
        media_root: Some(media_root),
        mapping: mapping_text.clone(),
        columns: columns.names().map(str::to_owned).collect(),
    };
    let mut summary = ImportSummary {
        dataset_id: crate::model::DatasetId(0),
        path: path.clone(),
        format,
        preset: mapper.name().to_owned(),
        outcome: ImportOutcome::Imported,
        rows_read: 0,
        samples_added: 0,
        errors: 0,
        warnings: 0,
        elapsed: Duration::ZERO,
    };
    let grown = grown_file(store, &path, &new, progress)?;
    let (target, skip) = match grown {
        Grown::Yes { dataset_id, hash, from_row } => {
            store.reopen_for_append(dataset_id, &hash, file_size)?;
            summary.dataset_id = dataset_id;
            summary.outcome = ImportOutcome::Appended { from_row };
            (Target::Known(dataset_id), from_row)
        }
        Grown::No { hash } => {
            // Hashed first when it may repeat or resume an import (and never twice: looking for
            // a grown file may have hashed it already).
            let hash = match hash {
                Some(h) => Some(h),
                None if store.may_hold_file(file_size)? => {
                    progress.phase("hashing", "bytes", Some(file_size), 0);
                    let h = hash_file(&path, &mut |done| progress.tick(done))?;
                    progress.finish(file_size);
                    Some(h)
                }
                None => None,
            };
            match hash {
                Some(h) => {
                    new.content_hash = h;
                    let Some(known) = known_target(store, &new, &options_key_for, &mut summary)? else {
                        summary.elapsed = started.elapsed();
                        return Ok(summary);
                    };
                    known
                }
                None => (Target::Hashing(Box::new(new)), 0),
            }
        }
    };

    let preset_options = PresetOptions { id_pattern: options.id_pattern.clone() };
    progress.phase("importing", "rows", reader.total_rows(), skip);
    if skip > 0 {
        // An interrupted import may have committed samples whose text the side indexer had not
        // yet handed back (`store/fts_side.rs`).
        store.index_missing(summary.dataset_id)?;
    }
    store.begin_bulk()?;
    let ran =
        run_pipeline(store, &reader, &mapper, &preset_options, root, skip, target, progress, file_size, &mut summary);
    // Everyday settings come back even when the import was cancelled or failed.
    let restored = store.end_bulk();
    ran?;
    restored?;
    if summary.outcome != ImportOutcome::AlreadyImported {
        store.finish_import(summary.dataset_id)?;
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The dataset of a file whose hash is known: an earlier import of it to resume, or a new one
/// (with the rows to skip); `None` when the project already holds it complete (`summary` says so).
fn known_target(
    store: &mut Store,
    new: &NewDataset,
    options_key_for: &dyn Fn(&str) -> String,
    summary: &mut ImportSummary,
) -> Result<Option<(Target, u64)>, IngestError> {
    if let Some(dataset_id) = same_bytes_other_root(store, new, options_key_for)? {
        summary.dataset_id = dataset_id;
        summary.outcome = ImportOutcome::AlreadyImported;
        return Ok(None);
    }
    let (dataset_id, status) = store.begin_import(new)?;
    summary.dataset_id = dataset_id;
    Ok(match status {
        DatasetStatus::Complete => {
            summary.outcome = ImportOutcome::AlreadyImported;
            None
        }
        DatasetStatus::Importing { rows_done: 0 } => Some((Target::Known(dataset_id), 0)),
        DatasetStatus::Importing { rows_done } => {
            summary.outcome = ImportOutcome::Resumed { from_row: rows_done };
            Some((Target::Known(dataset_id), rows_done))
        }
    })
}

/// What looking for a grown file found.
enum Grown {
    /// The file is `dataset_id`'s grown: its hash now, and the first new row.
    Yes { dataset_id: crate::model::DatasetId, hash: String, from_row: u64 },
    /// It is not; `hash` is the file's, when looking had to hash it.
    No { hash: Option<String> },
}

/// The dataset this file grew from: imported complete from the same path with the same options,
/// from bytes that are exactly the start of the file now, ending with a whole line (rows were
/// appended to a JSON Lines file; nothing before them changed). Returns it, the file's hash now
/// and the first row to read. A file rewritten in place, a JSON array or a Parquet file is not a
/// grown file: it imports as a new dataset, as before.
fn grown_file(store: &Store, path: &Path, new: &NewDataset, progress: &mut Progress) -> Result<Grown, IngestError> {
    let not = Grown::No { hash: None };
    let Some(old) = store.imported_file(&new.source_path, &new.options_key)? else { return Ok(not) };
    let size = new.source_size.unwrap_or(0);
    let Some(old_size) = old.source_size.filter(|s| *s > 0 && *s < size) else { return Ok(not) };
    if old.format != "jsonl" || new.format != "jsonl" {
        return Ok(not);
    }
    progress.phase("hashing", "bytes", Some(size), 0);
    let (prefix, whole, ends_line) = hash_file_and_prefix(path, old_size, &mut |done| progress.tick(done))?;
    progress.finish(size);
    if prefix != old.content_hash || !ends_line {
        // The old bytes must end a line (or the new ones go on with a line break): otherwise
        // the last old row was rewritten or continued, not followed by new rows.
        return Ok(Grown::No { hash: Some(whole) });
    }
    if store.complete_datasets_with_hash(&whole)?.iter().any(|(_, _, key)| *key == new.options_key) {
        // The grown file was imported as it is now already.
        return Ok(Grown::No { hash: Some(whole) });
    }
    Ok(Grown::Yes { dataset_id: old.id, hash: whole, from_row: old.rows_done })
}

/// The blake3 of the file's first `prefix` bytes and of the whole file, in one read, and whether
/// a line ends at the prefix (its last byte is a line break, or the byte after it is).
fn hash_file_and_prefix(
    path: &Path,
    prefix: u64,
    tick: &mut dyn FnMut(u64) -> Result<(), Interrupted>,
) -> Result<(String, String, bool), IngestError> {
    let mut file = std::fs::File::open(path).map_err(|e| file_err(path, format!("cannot open: {e}")))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    let mut last_byte = 0u8;
    let mut at_prefix = None;
    loop {
        let n = file.read(&mut buf).map_err(|e| file_err(path, format!("read error: {e}")))?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        if at_prefix.is_none() && done + n as u64 > prefix {
            let cut = (prefix - done) as usize;
            hasher.update(&chunk[..cut]);
            let last = if cut > 0 { chunk[cut - 1] } else { last_byte };
            let next = chunk[cut];
            at_prefix = Some((hasher.finalize().to_hex().to_string(), last == b'\n' || next == b'\n'));
            hasher.update(&chunk[cut..]);
        } else {
            hasher.update(chunk);
        }
        last_byte = chunk[n - 1];
        done += n as u64;
        tick(done)?;
    }
    let (prefix_hash, ends_line) = at_prefix.unwrap_or_default();
    Ok((prefix_hash, hasher.finalize().to_hex().to_string(), ends_line))
}

/// A complete dataset of the same bytes, read the same way, from another media root that never
/// mattered: none of its media was given as a path (all embedded, or URLs). Importing the file
/// again from its new folder would only add the same samples twice.
fn same_bytes_other_root(
    store: &Store,
    new: &NewDataset,
    options_key_for: &dyn Fn(&str) -> String,
) -> Result<Option<crate::model::DatasetId>, IngestError> {
    for (id, root, key) in store.complete_datasets_with_hash(&new.content_hash)? {
        let same_but_root = key != new.options_key && key == options_key_for(root.as_deref().unwrap_or(""));
        if same_but_root && !store.references_media_paths(id)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The dataset of a [`Target::Hashing`] import, once its hash is in: `None` when the project
/// already holds the file complete (another import of the same bytes finished meanwhile).
fn create_target(
    store: &mut Store,
    mut new: NewDataset,
    hash: &std::sync::mpsc::Receiver<Result<String, IngestError>>,
    summary: &mut ImportSummary,
) -> Result<Option<crate::model::DatasetId>, IngestError> {
    new.content_hash = hash.recv().map_err(|_| file_err(&summary.path, "the hashing thread stopped"))??;
    let (dataset_id, status) = store.begin_import(&new)?;
    summary.dataset_id = dataset_id;
    if status == DatasetStatus::Complete {
        summary.outcome = ImportOutcome::AlreadyImported;
        return Ok(None);
    }
    // A partial import of the same bytes (started meanwhile by another process) is harmless:
    // samples already stored are skipped by row.
    Ok(Some(dataset_id))
}

#[allow(clippy::too_many_arguments)]
fn run_pipeline(
    store: &mut Store,
    reader: &Reader,
    mapper: &Mapper,
    options: &PresetOptions,
    root: MediaRoot,
    skip: u64,
    target: Target,
    progress: &mut Progress,
    file_size: u64,
    summary: &mut ImportSummary,
) -> Result<(), IngestError> {
    // Each batch travels with how far into the file the reader was when it cut it, so the row
    // total of a JSON file can be estimated from the bytes per row so far.
    let (tx, rx) = sync_channel::<(ImportBatch, u64)>(1);
    let bytes_read = reader.bytes_read();
    let estimate_total = reader.total_rows().is_none();
    let path = summary.path.clone();
    let cancel = progress.cancel_token().clone();
    // Set when the writer stops on an error, so the hashing thread stops too instead of finishing a
    // file nobody waits for (a cancel stops it through the cancel token).
    let abandoned = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| -> Result<(), IngestError> {
        let (mut dataset, mut pending, hash) = match target {
            Target::Known(id) => (Some(id), None, None),
            Target::Hashing(new) => {
                let (hash_tx, hash_rx) = sync_channel(1);
                let (path, abandoned) = (&path, &abandoned);
                std::thread::Builder::new()
                    .name("import-hash".into())
                    .spawn_scoped(scope, move || {
                        let stop = |_| {
                            if cancel.is_cancelled() || abandoned.load(Ordering::Relaxed) {
                                Err(Interrupted)
                            } else {
                                Ok(())
                            }
                        };
                        let _ = hash_tx.send(hash_file(path, &mut { stop }));
                    })
                    .map_err(|e| file_err(path, format!("cannot start the hashing thread: {e}")))?;
                (None, Some(*new), Some(hash_rx))
            }
        };
        let producer = std::thread::Builder::new()
            .name("import-read".into())
            .spawn_scoped(scope, move || {
                let mut preparer = Preparer::new(Some(root));
                let mut batch = ImportBatch { rows_done: skip, ..ImportBatch::default() };
                let mut batch_bytes = 0usize;
                let result = reader.for_each(skip, &mut |raw| {
                    let index = raw.index;
                    batch_bytes += map_row(mapper, options, &mut preparer, raw, &mut batch);
                    batch.rows_done = index + 1;
                    if batch.samples.len() >= BATCH_ROWS || batch_bytes >= BATCH_BYTES {
                        batch_bytes = 0;
                        let full = std::mem::replace(
                            &mut batch,
                            ImportBatch { rows_done: index + 1, ..ImportBatch::default() },
                        );
                        if tx.send((full, bytes_read.load(Ordering::Relaxed))).is_err() {
                            return ControlFlow::Break(());
                        }
                    }
                    ControlFlow::Continue(())
                });
                if let Err(e) = result {
                    // The file ends in an unreadable part: rows before it are kept, the rest is reported.
                    // Pinned to the row it stopped at, so the report names its line, index or row.
                    batch.issues.push(ImportIssue {
                        row_index: e.row,
                        field: None,
                        severity: Severity::Error,
                        message: e.message,
                    });
                }
                let _ = tx.send((batch, bytes_read.load(Ordering::Relaxed)));
            })
            .map_err(|e| file_err(&path, format!("cannot start the reader thread: {e}")))?;

        // FTS5 is most of an import's work: a side thread indexes the batches it has room for.
        let side = store.start_side_indexer();
        let mut outcome = Ok(());
        // The dataset, created once the hash is in (an import with nothing to store creates it too).
        let mut resolve = |store: &mut Store, summary: &mut ImportSummary| match (pending.take(), &hash) {
            (Some(new), Some(hash)) => create_target(store, new, hash, summary),
            _ => Ok(None),
        };
        for (batch, read) in &rx {
            let dataset_id = match dataset {
                Some(id) => id,
                None => match resolve(store, summary) {
                    Ok(Some(id)) => *dataset.insert(id),
                    Ok(None) => break,
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                },
            };
            summary.rows_read = batch.rows_done.saturating_sub(skip);
            for issue in &batch.issues {
                match issue.severity {
                    Severity::Error => summary.errors += 1,
                    Severity::Warning => summary.warnings += 1,
                }
            }
            let fts = if side.as_ref().is_some_and(SideIndexer::has_room) { FtsWrite::Defer } else { FtsWrite::Inline };
            match store.write_import_batch(dataset_id, &batch, fts) {
                Ok(written) => {
                    summary.samples_added += written.inserted;
                    if let Some(side) = &side
                        && !written.deferred.is_empty()
                    {
                        // A failed side thread hands the batch back: `finish_side_index` indexes it.
                        let _ = side.give(written.deferred);
                    }
                }
                Err(e) => {
                    outcome = Err(e.into());
                    break;
                }
            }
            if estimate_total && read > 0 && batch.rows_done > 0 {
                let per_row = read as f64 / batch.rows_done as f64;
                progress.set_total(Some((file_size as f64 / per_row) as u64));
            }
            if let Err(e) = progress.tick(batch.rows_done) {
                outcome = Err(e.into());
                break;
            }
        }
        if outcome.is_err() {
            abandoned.store(true, Ordering::Relaxed);
        }
        drop(rx);
        let _ = producer.join();
        if outcome.is_ok() && dataset.is_none() && summary.outcome != ImportOutcome::AlreadyImported {
            match resolve(store, summary) {
                Ok(id) => dataset = id,
                Err(e) => outcome = Err(e),
            }
        }
        // Also after a cancel or an error: what was committed gets indexed.
        let indexed = finish_side_index(store, side, dataset);
        if outcome.is_ok() {
            outcome = indexed;
        }
        if outcome.is_ok() && summary.outcome != ImportOutcome::AlreadyImported {
            progress.finish(skip + summary.rows_read);
        }
        outcome
    })
}

/// Grafts the side index onto the project's; when the side indexer failed, or its index cannot
/// be grafted, indexes here whatever of the dataset is missing from the index.
fn finish_side_index(
    store: &Store,
    side: Option<SideIndexer>,
    dataset: Option<crate::model::DatasetId>,
) -> Result<(), IngestError> {
    let Some(side) = side else { return Ok(()) };
    let grafted = side.finish().ok().map(|path| store.graft_side_index(&path));
    if let Some(dataset) = dataset
        && !matches!(grafted, Some(Ok(())))
    {
        store.index_missing(dataset)?;
    }
    Ok(())
}

/// Maps one source row into the batch. Returns the text and embedded bytes it added (for batch sizing).
fn map_row(
    mapper: &Mapper,
    options: &PresetOptions,
    preparer: &mut Preparer,
    raw: RawRow,
    batch: &mut ImportBatch,
) -> usize {
    let index = raw.index;
    let error = |field: Option<String>, message: String| ImportIssue {
        row_index: Some(index),
        field,
        severity: Severity::Error,
        message,
    };
    let fields = match raw.value {
        Ok(Value::Map(m)) => m,
        Ok(other) => {
            batch.issues.push(error(None, format!("expected an object, found a {}", other.type_name())));
            return 0;
        }
        Err(message) => {
            batch.issues.push(error(None, message));
            return 0;
        }
    };
    let mut row = Row::new(fields, raw.key.clone(), options);
    let drafts = match mapper.map(&mut row) {
        Ok(d) => d,
        Err(e) => {
            batch.issues.push(error(Some(e.field), e.message));
            return 0;
        }
    };
    let (extras, warnings) = row.into_extras();
    for w in warnings {
        batch.issues.push(ImportIssue {
            row_index: Some(index),
            field: Some(w.field),
            severity: Severity::Warning,
            message: w.message,
        });
    }
    let mut bytes = 0usize;
    let last = drafts.len().saturating_sub(1);
    let mut extras = Some(extras);
    for (i, mut draft) in drafts.into_iter().enumerate() {
        // Before the media: a sample whose binary extras cannot be read is not stored, and its
        // media must not count as sent to the store.
        let mut extra_blobs = Vec::new();
        if !draft.blob_files.is_empty()
            && let Err(e) = preparer.blob_files(std::mem::take(&mut draft.blob_files), &mut extra_blobs)
        {
            batch.issues.push(error(Some(e.field), e.message));
            continue;
        }
        let media: Vec<_> = draft.media.drain(..).map(|m| preparer.media(index, m, &mut batch.issues)).collect();
        bytes += media.iter().filter_map(|m| m.blob.as_ref()?.bytes.as_ref().map(Vec::len)).sum::<usize>();
        bytes +=
            draft.prompt.len() + draft.responses.iter().filter_map(|r| r.text.as_ref().map(String::len)).sum::<usize>();
        // The row's leftover columns go to every sample it yields; the last one takes them.
        let mut all_extras =
            if i == last { extras.take().unwrap_or_default() } else { extras.clone().unwrap_or_default() };
        all_extras.extend(draft.extras);
        let extras_json = preparer.extras(all_extras, &mut extra_blobs);
        bytes += extra_blobs.iter().filter_map(|b| b.bytes.as_ref().map(Vec::len)).sum::<usize>();
        batch.samples.push(PreparedSample {
            row_index: index,
            sub_index: draft.sub_index,
            source_key: draft.source_key.or_else(|| raw.key.clone()),
            prompt: draft.prompt,
            context: draft.context,
            modality: prepare::modality(&media),
            extras: extras_json,
            extra_blobs,
            responses: draft.responses,
            media,
            judgments: draft.judgments,
            curation: draft.curation,
        });
    }
    bytes
}
