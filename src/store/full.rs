//! Whole samples read in bulk: a few range queries per chunk of ids instead of four queries per
//! sample, so a job that walks the whole project (export; later scoring and deduplication) reads a
//! million samples in seconds. Chunks are read in id order and assembled in Rust.

use super::curation::CurationState;
use super::read::{JudgmentView, MEDIA_COLUMNS, RatingView, ResponseView, SampleView, media_view};
use super::{Result, Store, StoreError};
use crate::model::{DatasetId, SampleId};
use rusqlite::types::Value as SqlValue;

/// A sample's curation state as stored, with the time it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurationRecord {
    /// The state (current curator judgment, flag, note).
    pub state: CurationState,
    /// When it last changed (ISO-8601 UTC).
    pub updated_at: String,
}

/// A sample with everything about it: its text, candidates, media, every judgment with its
/// ratings, and its curation state.
#[derive(Debug, Clone)]
pub struct FullSample {
    /// The sample (judgments originals first, then curator and model ones in the order recorded).
    pub sample: SampleView,
    /// Its curation state; `None` when no curator ever acted on it.
    pub curation: Option<CurationRecord>,
}

/// A chunk of ids, as the SQL sees it: a dense id range (filtered in Rust) or an explicit list.
struct Chunk<'a> {
    ids: &'a [SampleId],
    dense: bool,
    /// The ids are exactly `ids[0]..=ids[len - 1]`: an id's index is its offset.
    contiguous: bool,
}

impl Chunk<'_> {
    /// The condition on `column` and its parameters.
    fn condition(&self, column: &str) -> (String, Vec<SqlValue>) {
        let (first, last) = (self.ids[0].0, self.ids[self.ids.len() - 1].0);
        if self.dense {
            (format!("{column} BETWEEN ?1 AND ?2"), vec![SqlValue::Integer(first), SqlValue::Integer(last)])
        } else {
            let list = serde_json::to_string(&self.ids.iter().map(|i| i.0).collect::<Vec<_>>()).unwrap_or_default();
            (format!("{column} IN (SELECT value FROM json_each(?1))"), vec![SqlValue::Text(list)])
        }
    }

    /// The index of `id` in the chunk, if it is one of its ids.
    fn index(&self, id: i64) -> Option<usize> {
        if self.contiguous {
            let offset = usize::try_from(id - self.ids[0].0).ok()?;
            return (offset < self.ids.len()).then_some(offset);
        }
        self.ids.binary_search(&SampleId(id)).ok()
    }
}

impl Store {
    /// The samples with these ids (ascending, as [`Store::matching_ids`] returns them in id
    /// order), whole, in that order. Ids with no sample are skipped.
    pub fn full_samples(&self, ids: &[SampleId]) -> Result<Vec<FullSample>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids must be ascending");
        let span = ids[ids.len() - 1].0 - ids[0].0 + 1;
        // A range scan reads every sample in the span: worth it while most of them are wanted.
        let chunk = Chunk { ids, dense: span <= 2 * ids.len() as i64, contiguous: span == ids.len() as i64 };
        let mut slots: Vec<Option<FullSample>> = vec![None; ids.len()];
        self.read_heads(&chunk, &mut slots)?;
        self.read_responses(&chunk, &mut slots)?;
        self.read_media(&chunk, &mut slots)?;
        self.read_judgments(&chunk, &mut slots)?;
        self.read_curation(&chunk, &mut slots)?;
        Ok(slots.into_iter().flatten().collect())
    }

    pub(super) fn each_row(
        &self,
        sql: &str,
        params: &[SqlValue],
        mut f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            f(r).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn read_heads(&self, chunk: &Chunk<'_>, slots: &mut [Option<FullSample>]) -> Result<()> {
        let (cond, params) = chunk.condition("s.id");
        let sql = format!(
            "SELECT s.id, s.dataset_id, s.row_index, s.sub_index, s.source_key, s.prompt, s.context, s.modality, s.extras
             FROM samples s WHERE {cond} ORDER BY s.id"
        );
        let mut names: Vec<(i64, String)> = Vec::new();
        self.each_row("SELECT id, name FROM datasets ORDER BY id", &[], |r| {
            names.push((r.get(0)?, r.get(1)?));
            Ok(())
        })?;
        self.each_row(&sql, &params, |r| {
            let id: i64 = r.get(0)?;
            let Some(i) = chunk.index(id) else { return Ok(()) };
            let dataset: i64 = r.get(1)?;
            let name = names.binary_search_by_key(&dataset, |n| n.0).map(|k| names[k].1.clone()).unwrap_or_default();
            let context: Option<String> = r.get(6)?;
            slots[i] = Some(FullSample {
                sample: SampleView {
                    id: SampleId(id),
                    dataset_id: DatasetId(dataset),
                    dataset_name: name,
                    row_index: r.get::<_, i64>(2)? as u64,
                    sub_index: r.get(3)?,
                    source_key: r.get(4)?,
                    prompt: r.get(5)?,
                    context: context.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default(),
                    modality: r.get(7)?,
                    extras: r.get(8)?,
                    responses: Vec::new(),
                    media: Vec::new(),
                    judgments: Vec::new(),
                },
                curation: None,
            });
            Ok(())
        })
    }

    fn read_responses(&self, chunk: &Chunk<'_>, slots: &mut [Option<FullSample>]) -> Result<()> {
        let (cond, params) = chunk.condition("sample_id");
        let sql = format!(
            "SELECT sample_id, position, text, model, field, meta FROM responses WHERE {cond}
             ORDER BY sample_id, position"
        );
        self.each_row(&sql, &params, |r| {
            if let Some(s) = slot(chunk, slots, r.get(0)?) {
                s.sample.responses.push(ResponseView {
                    position: r.get(1)?,
                    text: r.get(2)?,
                    model: r.get(3)?,
                    field: r.get(4)?,
                    meta: r.get(5)?,
                });
            }
            Ok(())
        })
    }

    fn read_media(&self, chunk: &Chunk<'_>, slots: &mut [Option<FullSample>]) -> Result<()> {
        let (cond, params) = chunk.condition("sample_id");
        let sql = format!("SELECT sample_id, {MEDIA_COLUMNS} FROM media WHERE {cond} ORDER BY sample_id, position");
        self.each_row(&sql, &params, |r| {
            if let Some(s) = slot(chunk, slots, r.get(0)?) {
                s.sample.media.push(media_view(r, 1)?);
            }
            Ok(())
        })
    }

    fn read_judgments(&self, chunk: &Chunk<'_>, slots: &mut [Option<FullSample>]) -> Result<()> {
        let (cond, params) = chunk.condition("sample_id");
        // In the index's order (no sort in SQL); each sample's judgments are put originals first
        // in Rust below.
        let sql = format!(
            "SELECT id, sample_id, source, author, label, kind, chosen, rejected, ranking, detail, created_at
             FROM judgments WHERE {cond} ORDER BY sample_id"
        );
        let mut any = false;
        self.each_row(&sql, &params, |r| {
            let Some(s) = slot(chunk, slots, r.get(1)?) else { return Ok(()) };
            let ranking: Option<String> = r.get(8)?;
            any = true;
            s.sample.judgments.push(JudgmentView {
                id: r.get(0)?,
                source: r.get(2)?,
                author: r.get(3)?,
                label: r.get(4)?,
                kind: r.get(5)?,
                chosen: r.get(6)?,
                rejected: r.get(7)?,
                ranking: ranking.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
                detail: r.get(9)?,
                ratings: Vec::new(),
                created_at: r.get(10)?,
            });
            Ok(())
        })?;
        if !any {
            return Ok(());
        }
        // (judgment id, slot index, index in the sample's judgments), for the ratings below.
        let mut owners: Vec<(i64, usize, usize)> = Vec::new();
        for (i, s) in slots.iter_mut().enumerate() {
            let Some(s) = s else { continue };
            let judgments = &mut s.sample.judgments;
            if judgments.len() > 1 {
                judgments.sort_by_key(|j| (j.source != crate::model::JudgmentSource::Original, j.id));
            }
            owners.extend(judgments.iter().enumerate().map(|(k, j)| (j.id, i, k)));
        }
        owners.sort_unstable();
        let (cond, params) = chunk.condition("j.sample_id");
        let sql = format!(
            "SELECT r.judgment_id, r.response_pos, r.aspect, r.value, r.raw, r.rationale, r.critique
             FROM ratings r JOIN judgments j ON j.id = r.judgment_id WHERE {cond} ORDER BY r.judgment_id, r.id"
        );
        self.each_row(&sql, &params, |r| {
            let jid: i64 = r.get(0)?;
            let Ok(k) = owners.binary_search_by_key(&jid, |o| o.0) else { return Ok(()) };
            let (_, i, j) = owners[k];
            if let Some(s) = slots[i].as_mut() {
                s.sample.judgments[j].ratings.push(RatingView {
                    response: r.get(1)?,
                    aspect: r.get(2)?,
                    value: r.get(3)?,
                    raw: r.get(4)?,
                    rationale: r.get(5)?,
                    critique: r.get(6)?,
                });
            }
            Ok(())
        })
    }

    fn read_curation(&self, chunk: &Chunk<'_>, slots: &mut [Option<FullSample>]) -> Result<()> {
        let (cond, params) = chunk.condition("sample_id");
        let sql = format!("SELECT sample_id, judgment_id, flag, note, updated_at, excluded FROM curation WHERE {cond}");
        self.each_row(&sql, &params, |r| {
            if let Some(s) = slot(chunk, slots, r.get(0)?) {
                s.curation = Some(CurationRecord {
                    state: CurationState {
                        judgment_id: r.get(1)?,
                        flag: r.get(2)?,
                        note: r.get(3)?,
                        excluded: r.get(5)?,
                    },
                    updated_at: r.get(4)?,
                });
            }
            Ok(())
        })
    }
}

fn slot<'s>(chunk: &Chunk<'_>, slots: &'s mut [Option<FullSample>], id: i64) -> Option<&'s mut FullSample> {
    chunk.index(id).and_then(|i| slots[i].as_mut())
}

impl Store {
    /// The sample ids of a dataset, ascending (which is source-row order: imports append rows
    /// in order, and a resumed import goes on where it stopped).
    pub fn dataset_sample_ids(&self, dataset: DatasetId) -> Result<Vec<SampleId>> {
        let mut ids = Vec::new();
        self.each_row(
            "SELECT id FROM samples WHERE dataset_id = ?1 ORDER BY id",
            &[SqlValue::Integer(dataset.0)],
            |r| {
                ids.push(SampleId(r.get(0)?));
                Ok(())
            },
        )?;
        Ok(ids)
    }
}

/// Whole samples in chunks, read ahead on a `read-ahead` thread with its own connection inside one
/// read transaction (one snapshot of the project however long the job takes, and the reading runs
/// beside the caller's work on the other core). An in-memory project is read inline.
pub struct ReadAhead<'a> {
    inner: ReadAheadInner<'a>,
}

enum ReadAheadInner<'a> {
    Thread { rx: std::sync::mpsc::Receiver<Result<Vec<FullSample>>>, handle: Option<std::thread::JoinHandle<()>> },
    Inline { store: &'a Store, ids: Vec<SampleId>, chunk: usize, next: usize },
}

impl Store {
    /// [`Store::full_samples`] of `ids` (ascending), `chunk` at a time, read ahead.
    pub fn read_ahead(&self, ids: Vec<SampleId>, chunk: usize) -> ReadAhead<'_> {
        let chunk = chunk.max(1);
        if self.path.as_os_str() == ":memory:" {
            return ReadAhead { inner: ReadAheadInner::Inline { store: self, ids, chunk, next: 0 } };
        }
        let path = self.path.clone();
        // Two chunks in flight: the reader stays one ahead without holding the project in memory.
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let spawned = std::thread::Builder::new().name("read-ahead".into()).spawn(move || {
            let store = match Store::open(&path) {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            if let Err(e) = store.conn.execute_batch("BEGIN") {
                let _ = tx.send(Err(store.err(e)));
                return;
            }
            for c in ids.chunks(chunk) {
                let batch = store.full_samples(c);
                let failed = batch.is_err();
                if tx.send(batch).is_err() || failed {
                    break;
                }
            }
            let _ = store.conn.execute_batch("COMMIT");
        });
        match spawned {
            Ok(handle) => ReadAhead { inner: ReadAheadInner::Thread { rx, handle: Some(handle) } },
            Err(e) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let _ = tx.send(Err(StoreError::NotFound(format!("cannot start the read-ahead thread: {e}"))));
                ReadAhead { inner: ReadAheadInner::Thread { rx, handle: None } }
            }
        }
    }
}

impl Iterator for ReadAhead<'_> {
    type Item = Result<Vec<FullSample>>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            ReadAheadInner::Thread { rx, .. } => rx.recv().ok(),
            ReadAheadInner::Inline { store, ids, chunk, next } => {
                let c = ids.get(*next..)?.chunks(*chunk).next()?;
                *next += c.len();
                Some(store.full_samples(c))
            }
        }
    }
}

impl Drop for ReadAhead<'_> {
    fn drop(&mut self) {
        if let ReadAheadInner::Thread { rx, handle } = &mut self.inner {
            // Closing the channel ends the reader at its next send.
            drop(std::mem::replace(rx, std::sync::mpsc::sync_channel(0).1));
            if let Some(h) = handle.take() {
                let _ = h.join();
            }
        }
    }
}
