//! The consistency and media checks' tables: the findings of the latest `verdict check` (replaced
//! by each run, together with the probe status of the media it found bad, in one transaction),
//! the media it decodes with their probed facts, cached decode verdicts per content, and each
//! sample's input media keys. Derived data, written in plain transactions, never through the
//! curation write path.

use super::{Result, Store};
use crate::model::{MediaKind, MediaRole, ProbeStatus, SampleId};
use rusqlite::{OptionalExtension, params};

/// What the check writes before the reason of media it marks failed, so that a later run can
/// tell its own marks (which it lifts once the media decodes) from the import's probe failures.
pub const CHECK_FAILED_PREFIX: &str = "does not decode: ";

/// A media item as the checks see it: where it is and what its probe said.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckMedia {
    /// The `media` row.
    pub id: i64,
    /// Its sample.
    pub sample: SampleId,
    /// What it is.
    pub kind: MediaKind,
    /// Input, retrieved or candidate.
    pub role: MediaRole,
    /// The source field (`image`, `images[2]`).
    pub field: String,
    /// The probe's status.
    pub probe_status: ProbeStatus,
    /// Why the probe failed.
    pub probe_error: Option<String>,
    /// Declared frames (video), when the container says.
    pub frame_count: Option<u64>,
    /// Declared length in seconds (video, audio).
    pub duration_s: Option<f64>,
}

/// A finding to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    /// The sample it is about.
    pub sample: SampleId,
    /// One of [`crate::model::CHECK_KINDS`].
    pub kind: &'static str,
    /// The media item to blame, if one.
    pub media: Option<i64>,
    /// The response to blame, if one (its position).
    pub response: Option<u32>,
    /// The other sample involved (an opposite label).
    pub other: Option<SampleId>,
    /// What is wrong, in words.
    pub detail: String,
}

/// A stored finding with its media item's field and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFinding {
    /// The sample.
    pub sample: SampleId,
    /// The check kind.
    pub kind: String,
    /// The media item: its row id, source field and kind.
    pub media: Option<(i64, String, MediaKind)>,
    /// The response position.
    pub response: Option<u32>,
    /// The other sample.
    pub other: Option<SampleId>,
    /// In words.
    pub detail: String,
}

impl Store {
    /// Every media item with bytes to read (embedded, or a resolved file or folder), by id.
    pub fn check_media(&self) -> Result<Vec<CheckMedia>> {
        let mut out = Vec::new();
        self.each_row(
            "SELECT id, sample_id, kind, role, field, probe_status, probe_error, frame_count, duration_s FROM media
             WHERE blob_hash IS NOT NULL OR resolved_path IS NOT NULL ORDER BY id",
            &[],
            |r| {
                out.push(CheckMedia {
                    id: r.get(0)?,
                    sample: r.get(1)?,
                    kind: r.get(2)?,
                    role: r.get(3)?,
                    field: r.get(4)?,
                    probe_status: r.get(5)?,
                    probe_error: r.get(6)?,
                    frame_count: r.get::<_, Option<i64>>(7)?.and_then(|n| u64::try_from(n).ok()),
                    duration_s: r.get(8)?,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The stored result of `algo` on `content`: its value, or the error it gave; `None` when
    /// `content` was never run through `algo`.
    #[allow(clippy::type_complexity)]
    pub fn fingerprint_of(&self, content: &str, algo: &str) -> Result<Option<(Option<Vec<u8>>, Option<String>)>> {
        self.conn
            .prepare_cached("SELECT value, error FROM fingerprints WHERE content = ?1 AND algo = ?2")
            .and_then(|mut s| s.query_row(params![content, algo], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.err(e))
    }

    /// The input media of the samples `first..=last`, each as the key that says what it is: its
    /// content hash once known (embedded bytes: their hash), else its file, URL or path as
    /// written; in sample and media order.
    pub fn input_media_keys(&self, first: SampleId, last: SampleId) -> Result<Vec<(SampleId, MediaKind, String)>> {
        let mut out = Vec::new();
        self.each_row(
            "SELECT sample_id, kind, coalesce(content, blob_hash, 'file:' || resolved_path, 'url:' || url,
                    'path:' || path, 'field:' || field)
             FROM media WHERE sample_id BETWEEN ?1 AND ?2 AND role = 'input' ORDER BY sample_id, position",
            &[first.0.into(), last.0.into()],
            |r| {
                out.push((r.get(0)?, r.get(1)?, r.get(2)?));
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Replaces every finding with `findings` and, in the same transaction, marks the media
    /// items in `bad` (id, reason) failed with the reason after [`CHECK_FAILED_PREFIX`] (where
    /// their probe had passed: an import's own failure keeps its message), and lifts the marks of
    /// an earlier run from media that are not bad any more.
    pub fn replace_check_findings(&mut self, findings: &[NewFinding], bad: &[(i64, String)]) -> Result<()> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        let write = |tx: &rusqlite::Transaction<'_>| -> rusqlite::Result<()> {
            tx.execute("DELETE FROM check_findings", [])?;
            let mut put = tx.prepare_cached(
                "INSERT INTO check_findings (sample_id, kind, media_id, response, other_id, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for f in findings {
                put.execute(params![f.sample, f.kind, f.media, f.response, f.other, f.detail])?;
            }
            let ids = serde_json::to_string(&bad.iter().map(|b| b.0).collect::<Vec<_>>()).unwrap_or_default();
            tx.execute(
                "UPDATE media SET probe_status = 'ok', probe_error = NULL
                 WHERE probe_status = 'failed' AND substr(probe_error, 1, ?1) = ?2
                   AND id NOT IN (SELECT value FROM json_each(?3))",
                params![CHECK_FAILED_PREFIX.chars().count() as i64, CHECK_FAILED_PREFIX, ids],
            )?;
            let mut mark = tx.prepare_cached(
                "UPDATE media SET probe_status = 'failed', probe_error = ?2
                 WHERE id = ?1 AND (probe_status IN ('ok', 'pending') OR substr(probe_error, 1, ?3) = ?4)",
            )?;
            for (id, reason) in bad {
                let reason = format!("{CHECK_FAILED_PREFIX}{reason}");
                mark.execute(params![id, reason, CHECK_FAILED_PREFIX.chars().count() as i64, CHECK_FAILED_PREFIX])?;
            }
            Ok(())
        };
        write(&tx).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// The stored findings (of `kind`, or all), by sample, each sample's in the order the run
    /// wrote them (its kinds' order).
    pub fn check_findings(&self, kind: Option<&str>) -> Result<Vec<StoredFinding>> {
        let mut out = Vec::new();
        self.each_row(
            "SELECT f.sample_id, f.kind, f.media_id, m.field, m.kind, f.response, f.other_id, f.detail
             FROM check_findings f LEFT JOIN media m ON m.id = f.media_id
             WHERE ?1 IS NULL OR f.kind = ?1 ORDER BY f.sample_id, f.id",
            &[kind.map_or(rusqlite::types::Value::Null, |k| k.to_owned().into())],
            |r| {
                let media = match (r.get::<_, Option<i64>>(2)?, r.get::<_, Option<String>>(3)?, r.get(4)?) {
                    (Some(id), Some(field), Some(kind)) => Some((id, field, kind)),
                    _ => None,
                };
                out.push(StoredFinding {
                    sample: r.get(0)?,
                    kind: r.get(1)?,
                    media,
                    response: r.get(5)?,
                    other: r.get(6)?,
                    detail: r.get(7)?,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }
}
