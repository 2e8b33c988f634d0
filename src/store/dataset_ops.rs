//! Managing a project's datasets: remove one, point its media at the folder they moved to, and
//! reopen one whose file grew so that an import adds only the appended rows. Removing and
//! relinking are operations of the one write path ([`Store::transact`]), recorded in `ops` as
//! final (they cannot be undone: a removed dataset's rows are gone, and a relink is redone by
//! relinking again).

use super::ops::{Actor, ChangeKinds, Changes, OpSpec, OpTx};
use super::{Result, Store, StoreError};
use crate::jobs::Progress;
use crate::model::{DatasetId, MediaKind, ProbeStatus};
use rusqlite::{OptionalExtension, params};
use std::collections::HashSet;

/// A complete dataset imported from a given file with given options, as an import that finds the
/// file grown sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    /// The dataset.
    pub id: DatasetId,
    /// blake3 of the bytes it was imported from.
    pub content_hash: String,
    /// How many bytes that was (`None` before migration 4).
    pub source_size: Option<u64>,
    /// Source rows read.
    pub rows_done: u64,
    /// `jsonl`, `json`, `parquet`, `arrow`.
    pub format: String,
}

/// A media item a relink reads: (media row id, the path as the source wrote it, its kind).
pub type MediaPath = (i64, String, MediaKind);

/// Where a relink found one media item: resolved (with what a probe of it said), or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Relinked {
    /// The media row.
    pub media_id: i64,
    /// The absolute path inside the new root; `None`: not found there.
    pub resolved_path: Option<String>,
    /// ok, failed or unresolved.
    pub status: ProbeStatus,
    /// Why it failed or was not found.
    pub error: Option<String>,
}

/// What a removal took away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Samples removed with the dataset.
    pub samples: u64,
    /// Embedded media no other sample used, removed with it.
    pub blobs: u64,
    /// The operation, in the history.
    pub changes: Changes,
}

impl Store {
    /// The complete dataset imported from `source_path` with `options_key`, newest first.
    pub fn imported_file(&self, source_path: &str, options_key: &str) -> Result<Option<ImportedFile>> {
        self.conn
            .query_row(
                "SELECT id, content_hash, source_size, rows_done, format FROM datasets
                 WHERE source_path = ?1 AND options_key = ?2 AND status = 'complete' ORDER BY id DESC LIMIT 1",
                params![source_path, options_key],
                |r| {
                    Ok(ImportedFile {
                        id: r.get(0)?,
                        content_hash: r.get(1)?,
                        source_size: r.get::<_, Option<i64>>(2)?.map(|s| s as u64),
                        rows_done: r.get::<_, i64>(3)? as u64,
                        format: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Reopens a complete dataset whose file grew: it now stands for the file's new bytes
    /// (`content_hash`, `size`) and resumes from the rows it has, so the import adds only the
    /// appended rows. Killed midway, importing the file again resumes like any interrupted import.
    pub fn reopen_for_append(&mut self, id: DatasetId, content_hash: &str, size: u64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE datasets SET content_hash = ?2, source_size = ?3, status = 'importing', finished_at = NULL
                 WHERE id = ?1 AND status = 'complete'",
                params![id, content_hash, size as i64],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Removes a dataset with its samples, their curation and audit rows, their full-text index
    /// entries and the embedded media no other sample uses: one final operation (it cannot be
    /// undone). Cancelling through `progress` before the commit leaves everything as it was.
    pub fn remove_dataset(&mut self, actor: &Actor, id: DatasetId, progress: &mut Progress) -> Result<Removed> {
        let name: Option<String> = self
            .conn
            .query_row("SELECT name FROM datasets WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        let Some(name) = name else { return Err(StoreError::NotFound(format!("no dataset {id}"))) };
        let spec = OpSpec {
            undoable: false,
            ..OpSpec::edit("remove_dataset", serde_json::json!({"dataset": id, "name": name}))
        };
        let (removed, changes) = self.transact(actor, &spec, |tx| {
            let run = |tx: &OpTx<'_>, sql: &str| tx.conn().execute(sql, [id]).map_err(|e| tx.err(e));
            progress.phase("removing", "steps", Some(4), 0);
            let samples =
                run(tx, "DELETE FROM sample_fts WHERE rowid IN (SELECT id FROM samples WHERE dataset_id = ?1)")?;
            progress.tick(1).map_err(|_| StoreError::Cancelled)?;
            let blobs = dataset_blobs(tx, id)?;
            progress.tick(2).map_err(|_| StoreError::Cancelled)?;
            run(tx, "DELETE FROM datasets WHERE id = ?1")?;
            progress.tick(3).map_err(|_| StoreError::Cancelled)?;
            let freed = remove_unused_blobs(tx, &blobs)?;
            // Operations whose every audit row went with the samples have nothing left to undo or
            // redo: an undo reaches past them instead of "undoing" nothing.
            tx.conn()
                .execute(
                    "UPDATE ops SET state = CASE state WHEN 'undone' THEN 'discarded' ELSE 'final' END
                     WHERE kind = 'edit' AND state IN ('done', 'undone', 'blocked') AND audit_first IS NOT NULL
                       AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.id BETWEEN ops.audit_first AND ops.audit_last)",
                    [],
                )
                .map_err(|e| tx.err(e))?;
            progress.finish(4);
            tx.changed(ChangeKinds::DATASETS);
            Ok(Removed { samples: samples as u64, blobs: freed, changes: Changes::default() })
        })?;
        Ok(Removed { changes, ..removed })
    }

    /// The media of a dataset given as paths (what a relink resolves again).
    pub fn dataset_media_paths(&self, id: DatasetId) -> Result<Vec<MediaPath>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT m.id, m.path, m.kind FROM media m JOIN samples s ON s.id = m.sample_id
                 WHERE s.dataset_id = ?1 AND m.path IS NOT NULL AND m.blob_hash IS NULL AND m.url IS NULL
                 ORDER BY m.id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// Points a dataset's media at `root` (the folder they moved to) with where each was found:
    /// one final operation. The dataset remembers the new root.
    pub fn relink_media(&mut self, actor: &Actor, id: DatasetId, root: &str, found: &[Relinked]) -> Result<Changes> {
        let spec = OpSpec {
            undoable: false,
            ..OpSpec::edit(
                "relink_media",
                serde_json::json!({"dataset": id, "media_root": root, "media": found.len(),
                                   "found": found.iter().filter(|f| f.resolved_path.is_some()).count()}),
            )
        };
        let ((), changes) = self.transact(actor, &spec, |tx| {
            tx.conn()
                .execute("UPDATE datasets SET media_root = ?2 WHERE id = ?1", params![id, root])
                .map_err(|e| tx.err(e))?;
            let mut stmt = tx
                .conn()
                .prepare(
                    "UPDATE media SET resolved_path = ?2, probe_status = ?3, probe_error = ?4
                     WHERE id = ?1 AND sample_id IN (SELECT id FROM samples WHERE dataset_id = ?5)",
                )
                .map_err(|e| tx.err(e))?;
            for f in found {
                stmt.execute(params![f.media_id, f.resolved_path, f.status, f.error, id]).map_err(|e| tx.err(e))?;
            }
            drop(stmt);
            tx.changed(ChangeKinds::DATASETS);
            Ok(())
        })?;
        Ok(changes)
    }
}

/// The embedded media a dataset's samples name (in media and in `{"$blob": hash}` extras).
fn dataset_blobs(tx: &OpTx<'_>, id: DatasetId) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    let mut stmt = tx
        .conn()
        .prepare(
            "SELECT DISTINCT m.blob_hash FROM media m JOIN samples s ON s.id = m.sample_id
             WHERE s.dataset_id = ?1 AND m.blob_hash IS NOT NULL",
        )
        .map_err(|e| tx.err(e))?;
    let hashes = stmt.query_map([id], |r| r.get::<_, String>(0)).map_err(|e| tx.err(e))?;
    for h in hashes {
        out.insert(h.map_err(|e| tx.err(e))?);
    }
    extras_blobs(tx, Some(id), &mut out)?;
    Ok(out)
}

/// Adds the blobs named in samples' extras (of one dataset, or all) to `out`.
fn extras_blobs(tx: &OpTx<'_>, dataset: Option<DatasetId>, out: &mut HashSet<String>) -> Result<()> {
    let mut stmt = tx
        .conn()
        .prepare("SELECT extras FROM samples WHERE (?1 IS NULL OR dataset_id = ?1) AND extras LIKE '%\"$blob\"%'")
        .map_err(|e| tx.err(e))?;
    let rows = stmt.query_map([dataset], |r| r.get::<_, String>(0)).map_err(|e| tx.err(e))?;
    for extras in rows {
        let extras = extras.map_err(|e| tx.err(e))?;
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&extras) {
            collect_blob_refs(&v, out);
        }
    }
    Ok(())
}

fn collect_blob_refs(v: &serde_json::Value, out: &mut HashSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (1, Some(serde_json::Value::String(h))) = (m.len(), m.get("$blob")) {
                out.insert(h.clone());
            }
            m.values().for_each(|x| collect_blob_refs(x, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| collect_blob_refs(x, out)),
        _ => {}
    }
}

/// Deletes the blobs of `candidates` that no remaining sample names; returns how many.
fn remove_unused_blobs(tx: &OpTx<'_>, candidates: &HashSet<String>) -> Result<u64> {
    if candidates.is_empty() {
        return Ok(0);
    }
    let mut still = HashSet::new();
    extras_blobs(tx, None, &mut still)?;
    let mut used =
        tx.conn().prepare("SELECT EXISTS (SELECT 1 FROM media WHERE blob_hash = ?1)").map_err(|e| tx.err(e))?;
    let mut delete = tx.conn().prepare("DELETE FROM blobs WHERE hash = ?1").map_err(|e| tx.err(e))?;
    let mut freed = 0;
    for h in candidates {
        if still.contains(h) || used.query_row([h], |r| r.get::<_, bool>(0)).map_err(|e| tx.err(e))? {
            continue;
        }
        freed += delete.execute([h]).map_err(|e| tx.err(e))? as u64;
    }
    Ok(freed)
}
