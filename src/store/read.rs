//! Reading: summaries for `verdict info` and whole samples for `verdict show` (and later the UI).

use super::{DatasetInfo, Result, Store, StoreError};
use crate::model::{
    DatasetId, JudgmentKind, JudgmentSource, MediaKind, MediaRole, ProbeFacts, ProbeStatus, SampleId, Turn,
};
use rusqlite::{OptionalExtension, params};

/// Counts that describe one dataset.
#[derive(Debug, Clone)]
pub struct DatasetSummary {
    /// The dataset.
    pub info: DatasetInfo,
    /// Samples per modality.
    pub modalities: Vec<(String, u64)>,
    /// Original judgments per (kind, label).
    pub judgment_kinds: Vec<(JudgmentKind, String, u64)>,
    /// Media items per probe status.
    pub media_status: Vec<(ProbeStatus, u64)>,
    /// The first few media problems: (sample id, its 0-based source row, field, error).
    pub media_failures: Vec<(SampleId, u64, String, String)>,
}

/// A candidate response.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResponseView {
    /// Position (0-based).
    pub position: u32,
    /// Text, if any.
    pub text: Option<String>,
    /// Generating model.
    pub model: Option<String>,
    /// Source field.
    pub field: String,
    /// Extra facts (JSON text).
    #[serde(serialize_with = "json_text")]
    pub meta: Option<String>,
}

/// A media item.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MediaView {
    /// Position in the sample.
    pub position: u32,
    /// Role.
    pub role: MediaRole,
    /// Kind.
    pub kind: MediaKind,
    /// For candidates: the response position.
    pub response: Option<u32>,
    /// Source field.
    pub field: String,
    /// Content hash of embedded bytes.
    pub blob_hash: Option<String>,
    /// The file name given next to embedded bytes.
    pub name: Option<String>,
    /// Reference as written.
    pub path: Option<String>,
    /// Resolved absolute path.
    pub resolved_path: Option<String>,
    /// URL, never fetched.
    pub url: Option<String>,
    /// Probe state.
    pub probe_status: ProbeStatus,
    /// Probe or resolution error.
    pub probe_error: Option<String>,
    /// Probe facts.
    pub facts: ProbeFacts,
}

/// One rating.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RatingView {
    /// Rated response position, `None` for the whole sample.
    pub response: Option<u32>,
    /// Aspect.
    pub aspect: String,
    /// Numeric value.
    pub value: Option<f64>,
    /// Raw value.
    pub raw: String,
    /// Rationale.
    pub rationale: Option<String>,
    /// Critique.
    pub critique: Option<String>,
}

/// A judgment with its ratings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JudgmentView {
    /// Its row id (a curation state names the current curator judgment by it).
    pub id: i64,
    /// Whose.
    pub source: JudgmentSource,
    /// Curator or model name.
    pub author: Option<String>,
    /// Label.
    pub label: String,
    /// Shape.
    pub kind: JudgmentKind,
    /// Preferred position.
    pub chosen: Option<u32>,
    /// Dispreferred position.
    pub rejected: Option<u32>,
    /// Positions best first.
    pub ranking: Vec<u32>,
    /// Source's own words (JSON text).
    #[serde(serialize_with = "json_text")]
    pub detail: Option<String>,
    /// Ratings.
    pub ratings: Vec<RatingView>,
    /// When recorded.
    pub created_at: String,
}

/// A whole sample.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SampleView {
    /// Id.
    pub id: SampleId,
    /// Dataset.
    pub dataset_id: DatasetId,
    /// Dataset name.
    pub dataset_name: String,
    /// Source row.
    pub row_index: u64,
    /// Index within the row.
    pub sub_index: u32,
    /// Source id.
    pub source_key: Option<String>,
    /// Prompt.
    pub prompt: String,
    /// Earlier turns.
    pub context: Vec<Turn>,
    /// Modality.
    pub modality: String,
    /// Unmapped columns (JSON text).
    #[serde(serialize_with = "json_text")]
    pub extras: Option<String>,
    /// Candidates.
    pub responses: Vec<ResponseView>,
    /// Media.
    pub media: Vec<MediaView>,
    /// Judgments, originals first.
    pub judgments: Vec<JudgmentView>,
}

/// The media columns [`media_view`] reads, in its order.
pub(super) const MEDIA_COLUMNS: &str =
    "position, role, kind, response_pos, field, blob_hash, name, path, resolved_path, url,
     probe_status, probe_error, width, height, duration_s, fps, frame_count, sample_rate, channels, codec";

/// A media row selected as [`MEDIA_COLUMNS`], starting at column `at`.
pub(super) fn media_view(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<MediaView> {
    Ok(MediaView {
        position: r.get(at)?,
        role: r.get(at + 1)?,
        kind: r.get(at + 2)?,
        response: r.get(at + 3)?,
        field: r.get(at + 4)?,
        blob_hash: r.get(at + 5)?,
        name: r.get(at + 6)?,
        path: r.get(at + 7)?,
        resolved_path: r.get(at + 8)?,
        url: r.get(at + 9)?,
        probe_status: r.get(at + 10)?,
        probe_error: r.get(at + 11)?,
        facts: ProbeFacts {
            width: r.get(at + 12)?,
            height: r.get(at + 13)?,
            duration_s: r.get(at + 14)?,
            fps: r.get(at + 15)?,
            frame_count: r.get::<_, Option<i64>>(at + 16)?.map(|v| v as u64),
            sample_rate: r.get(at + 17)?,
            channels: r.get(at + 18)?,
            codec: r.get(at + 19)?,
        },
    })
}

impl Store {
    /// Counts per dataset for `verdict info`.
    pub fn dataset_summaries(&self) -> Result<Vec<DatasetSummary>> {
        self.datasets()?.into_iter().map(|info| self.summarize(info)).collect()
    }

    fn summarize(&self, info: DatasetInfo) -> Result<DatasetSummary> {
        let id = info.id;
        let modalities = self.pairs(
            "SELECT modality, count(*) FROM samples WHERE dataset_id = ?1 GROUP BY modality ORDER BY 2 DESC",
            id,
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
        )?;
        let judgment_kinds = self.pairs(
            "SELECT j.kind, j.label, count(*) FROM judgments j JOIN samples s ON s.id = j.sample_id
             WHERE s.dataset_id = ?1 AND j.source = 'original' GROUP BY j.kind, j.label ORDER BY 3 DESC",
            id,
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)),
        )?;
        let media_status = self.pairs(
            "SELECT m.probe_status, count(*) FROM media m JOIN samples s ON s.id = m.sample_id
             WHERE s.dataset_id = ?1 GROUP BY m.probe_status ORDER BY 2 DESC",
            id,
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
        )?;
        let media_failures = self.pairs(
            "SELECT m.sample_id, s.row_index, m.field, coalesce(m.probe_error, m.probe_status) FROM media m
             JOIN samples s ON s.id = m.sample_id
             WHERE s.dataset_id = ?1 AND m.probe_status IN ('failed', 'unresolved') ORDER BY m.sample_id LIMIT 5",
            id,
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?, r.get(3)?)),
        )?;
        Ok(DatasetSummary { info, modalities, judgment_kinds, media_status, media_failures })
    }

    fn pairs<T>(
        &self,
        sql: &str,
        id: DatasetId,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([id], map).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }

    /// Number of samples in the project.
    pub fn sample_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM samples", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Where sample `id`'s row is in its source file, as an editor names it (line from 1 for
    /// JSON Lines, index for JSON, row for Parquet); `.k` for the k-th sample of a row that holds
    /// several is the caller's to add.
    pub fn sample_position(&self, id: SampleId) -> Result<crate::model::Position> {
        self.conn
            .prepare_cached(
                "SELECT d.format, s.row_index FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?1",
            )
            .and_then(|mut st| st.query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).optional())
            .map_err(|e| self.err(e))?
            .map(|(format, row)| crate::model::Position::of(&format, row as u64))
            .ok_or_else(|| StoreError::NotFound(format!("no sample with id {id}")))
    }

    /// One whole sample.
    pub fn sample(&self, id: SampleId) -> Result<SampleView> {
        let head = self
            .conn
            .prepare_cached(
                "SELECT s.dataset_id, d.name, s.row_index, s.sub_index, s.source_key, s.prompt, s.context, s.modality, s.extras
                 FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?1",
            )
            .and_then(|mut st| {
                st.query_row([id], |r| {
                    Ok((
                        r.get::<_, DatasetId>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.err(e))?
            .ok_or_else(|| StoreError::NotFound(format!("no sample with id {id}")))?;
        let (dataset_id, dataset_name, row_index, sub_index, source_key, prompt, context, modality, extras) = head;
        let context = context.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default();
        Ok(SampleView {
            id,
            dataset_id,
            dataset_name,
            row_index: row_index as u64,
            sub_index,
            source_key,
            prompt,
            context,
            modality,
            extras,
            responses: self.responses(id)?,
            media: self.media(id)?,
            judgments: self.judgments(id)?,
        })
    }

    fn responses(&self, id: SampleId) -> Result<Vec<ResponseView>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT position, text, model, field, meta FROM responses WHERE sample_id = ?1 ORDER BY position",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(ResponseView {
                    position: r.get(0)?,
                    text: r.get(1)?,
                    model: r.get(2)?,
                    field: r.get(3)?,
                    meta: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }

    fn media(&self, id: SampleId) -> Result<Vec<MediaView>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {MEDIA_COLUMNS} FROM media WHERE sample_id = ?1 ORDER BY position"))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([id], |r| media_view(r, 0)).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }

    fn judgments(&self, id: SampleId) -> Result<Vec<JudgmentView>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, source, author, label, kind, chosen, rejected, ranking, detail, created_at
                 FROM judgments WHERE sample_id = ?1 ORDER BY source != 'original', id",
            )
            .map_err(|e| self.err(e))?;
        let heads = stmt
            .query_map([id], |r| {
                let ranking: Option<String> = r.get(7)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    JudgmentView {
                        id: r.get(0)?,
                        source: r.get(1)?,
                        author: r.get(2)?,
                        label: r.get(3)?,
                        kind: r.get(4)?,
                        chosen: r.get(5)?,
                        rejected: r.get(6)?,
                        ranking: ranking.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
                        detail: r.get(8)?,
                        ratings: Vec::new(),
                        created_at: r.get(9)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        let mut rstmt = self
            .conn
            .prepare_cached(
                "SELECT response_pos, aspect, value, raw, rationale, critique FROM ratings WHERE judgment_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(heads.len());
        for (jid, mut view) in heads {
            view.ratings = rstmt
                .query_map(params![jid], |r| {
                    Ok(RatingView {
                        response: r.get(0)?,
                        aspect: r.get(1)?,
                        value: r.get(2)?,
                        raw: r.get(3)?,
                        rationale: r.get(4)?,
                        critique: r.get(5)?,
                    })
                })
                .and_then(Iterator::collect)
                .map_err(|e| self.err(e))?;
            out.push(view);
        }
        Ok(out)
    }

    /// The first `n` bytes of an embedded media item (enough to tell its file type).
    pub fn blob_prefix(&self, hash: &str, n: usize) -> Result<Vec<u8>> {
        self.conn
            .query_row("SELECT substr(bytes, 1, ?2) FROM blobs WHERE hash = ?1", params![hash, n as i64], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?
            .ok_or_else(|| StoreError::NotFound(format!("no blob {hash}")))
    }

    /// The bytes of an embedded media item.
    pub fn blob(&self, hash: &str) -> Result<Vec<u8>> {
        self.conn
            .query_row("SELECT bytes FROM blobs WHERE hash = ?1", [hash], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?
            .ok_or_else(|| StoreError::NotFound(format!("no blob {hash}")))
    }
}

/// JSON text written as the JSON it holds (as a string when it does not parse).
#[allow(clippy::ref_option)]
fn json_text<S: serde::Serializer>(text: &Option<String>, s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::Serialize;
    match text.as_deref().map(|t| serde_json::from_str::<serde_json::Value>(t).map_err(|_| t)) {
        None => s.serialize_none(),
        Some(Ok(v)) => v.serialize(s),
        Some(Err(t)) => t.serialize(s),
    }
}

impl Store {
    /// The samples whose source id is `key`, with their dataset's name.
    pub fn samples_with_key(&self, key: &str) -> Result<Vec<(SampleId, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.id, d.name FROM samples s JOIN datasets d ON d.id = s.dataset_id
                 WHERE s.dataset_id IN (SELECT id FROM datasets) AND s.source_key = ?1 ORDER BY s.id LIMIT 50",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(|e| self.err(e))
    }

    /// Whether a sample with this id exists.
    pub fn has_sample(&self, id: SampleId) -> Result<bool> {
        self.conn
            .query_row("SELECT count(*) FROM samples WHERE id = ?1", [id], |r| r.get::<_, i64>(0))
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }
}
