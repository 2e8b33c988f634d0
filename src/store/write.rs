//! Writing imported samples: one transaction per batch, with the dataset's resume point moved in
//! the same transaction, so a kill at any moment leaves either the whole batch or none of it. Each
//! sample's `sample_stats` row (store/stats.rs) is written with it.

use super::fts_side::FtsDoc;
use super::{ImportIssue, NOW_SQL, Result, Store};
use crate::model::{
    CurationDraft, DatasetId, JudgmentDraft, MediaKind, MediaRole, ProbeFacts, ProbeStatus, ResponseDraft, Severity,
    Turn,
};
use rusqlite::{Transaction, params};

/// Embedded bytes for the blob table.
#[derive(Debug, Clone)]
pub struct StoredBlob {
    /// blake3, hex.
    pub hash: String,
    /// The bytes; `None` when an earlier batch of this import already carried them.
    pub bytes: Option<Vec<u8>>,
}

/// A media item after resolution and probing.
#[derive(Debug, Clone)]
pub struct PreparedMedia {
    /// Why it is attached.
    pub role: MediaRole,
    /// What it is.
    pub kind: MediaKind,
    /// For candidates: the response position.
    pub response: Option<u32>,
    /// Source field.
    pub field: String,
    /// Embedded bytes.
    pub blob: Option<StoredBlob>,
    /// File name given next to embedded bytes.
    pub name: Option<String>,
    /// Reference as written.
    pub path: Option<String>,
    /// Absolute path inside the media root.
    pub resolved_path: Option<String>,
    /// Remote reference.
    pub url: Option<String>,
    /// Probe state.
    pub probe_status: ProbeStatus,
    /// Why the probe or resolution failed.
    pub probe_error: Option<String>,
    /// What the probe found.
    pub facts: ProbeFacts,
}

/// A sample ready for the store.
#[derive(Debug, Clone)]
pub struct PreparedSample {
    /// 0-based source row.
    pub row_index: u64,
    /// Index within the row.
    pub sub_index: u32,
    /// The source's id.
    pub source_key: Option<String>,
    /// The prompt.
    pub prompt: String,
    /// Earlier turns.
    pub context: Vec<Turn>,
    /// `text`, `image`, `images`, `video`, `audio`, `mixed`, or `gen-*` for media candidates.
    pub modality: String,
    /// Unmapped columns as JSON text.
    pub extras: Option<String>,
    /// Binary values of unmapped columns, referenced from `extras` as `{"$blob": hash}`.
    pub extra_blobs: Vec<StoredBlob>,
    /// Candidates.
    pub responses: Vec<ResponseDraft>,
    /// Media.
    pub media: Vec<PreparedMedia>,
    /// Judgments: the dataset's own, and for a Verdict export read back also curators' and models'.
    pub judgments: Vec<JudgmentDraft>,
    /// The curation state it arrives with (a Verdict export read back); `None`: uncurated.
    pub curation: Option<CurationDraft>,
}

/// What one batch adds.
#[derive(Debug, Default)]
pub struct ImportBatch {
    /// Samples to insert.
    pub samples: Vec<PreparedSample>,
    /// Report lines.
    pub issues: Vec<ImportIssue>,
    /// The resume point after this batch (source rows fully handled).
    pub rows_done: u64,
}

impl Store {
    /// Stores one batch and moves the dataset's resume point, atomically.
    /// Samples already present (same row and sub-index) are skipped, so replaying a batch is harmless.
    /// The new samples' text goes into `sample_fts` in the same transaction, unless `fts` is
    /// [`FtsWrite::Defer`]: it is then returned, for a side indexer (`store/fts_side.rs`).
    pub fn write_import_batch(&mut self, dataset: DatasetId, batch: &ImportBatch, fts: FtsWrite) -> Result<Written> {
        let path = self.path.clone();
        let wrap = |source| super::StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&wrap)?;
        let now: String = tx.query_row(&format!("SELECT {NOW_SQL}"), [], |r| r.get(0)).map_err(&wrap)?;
        let mut written = Written::default();
        for sample in &batch.samples {
            match insert_sample(&tx, dataset, sample, &now, fts).map_err(&wrap)? {
                Inserted::AlreadyStored => {}
                Inserted::Indexed => written.inserted += 1,
                Inserted::Deferred(doc) => {
                    written.inserted += 1;
                    written.deferred.push(doc);
                }
            }
        }
        let (mut errors, mut warnings) = (0i64, 0i64);
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO import_issues (dataset_id, row_index, field, severity, message) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&wrap)?;
            for issue in &batch.issues {
                stmt.execute(params![
                    dataset,
                    issue.row_index.map(|r| r as i64),
                    issue.field,
                    issue.severity,
                    issue.message
                ])
                .map_err(&wrap)?;
                match issue.severity {
                    Severity::Error => errors += 1,
                    Severity::Warning => warnings += 1,
                }
            }
        }
        tx.prepare_cached(
            "UPDATE datasets SET rows_done = ?2, sample_count = sample_count + ?3,
                                 error_count = error_count + ?4, warning_count = warning_count + ?5
             WHERE id = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![dataset, batch.rows_done as i64, written.inserted as i64, errors, warnings])
        })
        .map_err(&wrap)?;
        tx.commit().map_err(&wrap)?;
        Ok(written)
    }
}

/// Where a batch's text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FtsWrite {
    /// Into `sample_fts`, in the batch's transaction.
    Inline,
    /// Back to the caller, as [`Written::deferred`].
    Defer,
}

/// What a batch added.
#[derive(Debug, Default)]
pub struct Written {
    /// New samples.
    pub inserted: u64,
    /// Their text, with [`FtsWrite::Defer`].
    pub deferred: Vec<FtsDoc>,
}

/// What [`insert_sample`] did.
enum Inserted {
    /// The sample was stored already (a replayed batch).
    AlreadyStored,
    /// Stored, its text indexed.
    Indexed,
    /// Stored; its text is for the caller to index.
    Deferred(FtsDoc),
}

/// Inserts one sample with its children.
fn insert_sample(
    tx: &Transaction<'_>,
    dataset: DatasetId,
    s: &PreparedSample,
    now: &str,
    fts: FtsWrite,
) -> rusqlite::Result<Inserted> {
    // Blobs first, even when the sample turns out to be stored already: a later sample of this
    // import may reference them without carrying the bytes again.
    for blob in s.media.iter().filter_map(|m| m.blob.as_ref()).chain(&s.extra_blobs) {
        insert_blob(tx, blob)?;
    }
    let context = if s.context.is_empty() { None } else { serde_json::to_string(&s.context).ok() };
    let changed = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO samples (dataset_id, row_index, sub_index, source_key, prompt, context, modality, extras)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![dataset, s.row_index as i64, s.sub_index, s.source_key, s.prompt, context, s.modality, s.extras])?;
    if changed == 0 {
        return Ok(Inserted::AlreadyStored);
    }
    let sample_id = tx.last_insert_rowid();

    let mut stmt = tx.prepare_cached(
        "INSERT INTO responses (sample_id, position, text, model, field, meta) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut fts_responses = String::new();
    for (pos, r) in s.responses.iter().enumerate() {
        let meta = r.meta.as_ref().map(serde_json::Value::to_string);
        stmt.execute(params![sample_id, pos as i64, r.text, r.model, r.field, meta])?;
        if let Some(text) = &r.text {
            if !fts_responses.is_empty() {
                fts_responses.push('\n');
            }
            fts_responses.push_str(text);
        }
    }

    for (pos, m) in s.media.iter().enumerate() {
        insert_media(tx, sample_id, pos, m)?;
    }

    let mut jstmt = tx.prepare_cached(
        "INSERT INTO judgments (sample_id, source, author, label, kind, chosen, rejected, ranking, detail, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut rstmt = tx.prepare_cached(
        "INSERT INTO ratings (judgment_id, response_pos, aspect, value, raw, rationale, critique)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    // The curation state names its judgment by index: the row id it got, once inserted.
    let curated = s.curation.as_ref().and_then(|c| c.judgment);
    let mut current_judgment = None;
    for (index, j) in s.judgments.iter().enumerate() {
        let ranking = if j.ranking.is_empty() { None } else { serde_json::to_string(&j.ranking).ok() };
        let detail = j.detail.as_ref().map(serde_json::Value::to_string);
        jstmt.execute(params![
            sample_id,
            j.source,
            j.author,
            j.label,
            j.kind,
            j.chosen,
            j.rejected,
            ranking,
            detail,
            j.created_at.as_deref().unwrap_or(now)
        ])?;
        let judgment_id = tx.last_insert_rowid();
        if curated == Some(index) {
            current_judgment = Some(judgment_id);
        }
        for r in &j.ratings {
            rstmt.execute(params![judgment_id, r.response, r.aspect, r.value, r.raw, r.rationale, r.critique])?;
        }
    }
    if let Some(c) = &s.curation {
        tx.prepare_cached(
            "INSERT INTO curation (sample_id, judgment_id, flag, note, excluded, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            sample_id,
            current_judgment,
            // The one spelling of a listed reason, as every curation write stores it.
            c.flag.as_deref().map(crate::model::canonical_flag),
            c.note,
            c.excluded.as_deref().map(crate::model::canonical_exclusion),
            c.updated_at.as_deref().unwrap_or(now)
        ])?;
    }

    super::stats::insert(tx, sample_id, dataset.0, s)?;
    if fts == FtsWrite::Defer {
        return Ok(Inserted::Deferred(FtsDoc { rowid: sample_id, prompt: s.prompt.clone(), responses: fts_responses }));
    }
    super::fts_side::insert_doc(
        &mut tx.prepare_cached(super::fts_side::FTS_INSERT)?,
        sample_id,
        &s.prompt,
        &fts_responses,
    )?;
    Ok(Inserted::Indexed)
}

fn insert_media(tx: &Transaction<'_>, sample_id: i64, pos: usize, m: &PreparedMedia) -> rusqlite::Result<()> {
    let f = &m.facts;
    tx.prepare_cached(
        "INSERT INTO media (sample_id, position, role, kind, response_pos, field, blob_hash, name, path, resolved_path,
                            url, probe_status, probe_error, width, height, duration_s, fps, frame_count, sample_rate,
                            channels, codec)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        sample_id,
        pos as i64,
        m.role,
        m.kind,
        m.response,
        m.field,
        m.blob.as_ref().map(|b| &b.hash),
        m.name,
        m.path,
        m.resolved_path,
        m.url,
        m.probe_status,
        m.probe_error,
        f.width,
        f.height,
        f.duration_s,
        f.fps,
        f.frame_count.map(|c| c as i64),
        f.sample_rate,
        f.channels,
        f.codec
    ])?;
    Ok(())
}

fn insert_blob(tx: &Transaction<'_>, blob: &StoredBlob) -> rusqlite::Result<()> {
    let Some(bytes) = &blob.bytes else { return Ok(()) };
    // The row goes in with a zeroblob of the right size and the bytes are written into its pages:
    // binding them would copy them twice more (into the statement, then into the record) on the
    // writer's thread, the import's critical path.
    let inserted = tx
        .prepare_cached("INSERT OR IGNORE INTO blobs (hash, size, bytes) VALUES (?1, ?2, zeroblob(?2))")?
        .execute(params![blob.hash, bytes.len() as i64])?;
    if inserted == 1 {
        let rowid = tx.last_insert_rowid();
        tx.blob_open(rusqlite::MAIN_DB, "blobs", "bytes", rowid, false)?.write_at(bytes, 0)?;
    }
    Ok(())
}
