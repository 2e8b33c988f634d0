//! What the scoring models (`score/`) leave in the project (migration 10): the scorers by identity
//! and name, scores by the content hash of what was scored, the embeddings made on the way, the
//! model judgments (source `model`, author the scorer's name: one ratings judgment per sample with
//! a rating per scored candidate) and, per scorer and sample, the margin of the pair the label in
//! force names (`score_margins`). Model judgments are written through [`Store::transact`] and never
//! become the label in force ([`super::in_force`] and [`super::curation::label_in`] read only
//! curators' and original judgments); [`refresh_margins`] follows the label wherever it changes.

use super::curation::{Label, NewJudgment, NewRating, label_in};
use super::ops::{Actor, ChangeKinds, Changes, OpKind, OpSpec};
use super::{NOW_SQL, Result, Store};
use crate::model::{JudgmentKind, Position, SampleId};
use crate::query::Compiled;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::collections::HashMap;

/// A scorer as the project knows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScorerRow {
    /// Its row id.
    pub id: i64,
    /// Its name: `--scorer NAME`, `score:NAME`, and the author of its judgments.
    pub name: String,
    /// What it scores (`relevance`: prompt-response cosine of sentence embeddings).
    pub kind: String,
    /// The architecture `config.json` names.
    pub architecture: String,
    /// blake3 of its weights file.
    pub weights: String,
    /// Its settings (pooling, normalization, max tokens, input).
    pub settings: serde_json::Value,
    /// Where its model was loaded from last.
    pub model_path: Option<String>,
    /// The device of its last run (`cpu f32`).
    pub device: Option<String>,
    /// When it first scored here, and last (ISO-8601 UTC).
    pub created_at: String,
    /// Its last run.
    pub used_at: String,
    /// Samples it has judged.
    pub judged: u64,
    /// Samples whose label in force names a pair it scored both sides of.
    pub pairs: u64,
    /// Of those, pairs it agrees with (chosen scored above rejected).
    pub agree: u64,
    /// Pairs it disagrees with (rejected scored above chosen).
    pub disagree: u64,
}

/// A scorer's identity and where it ran, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScorer<'a> {
    /// Its name.
    pub name: &'a str,
    /// What it scores.
    pub kind: &'a str,
    /// The architecture `config.json` names.
    pub architecture: &'a str,
    /// blake3 of its weights.
    pub weights: &'a str,
    /// Its settings, as JSON.
    pub settings: &'a serde_json::Value,
    /// Where the model was loaded from.
    pub model_path: Option<&'a str>,
    /// The device it runs on.
    pub device: &'a str,
}

/// What a sample gives a scorer: its prompt and its candidates' texts.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreInput {
    /// The sample.
    pub sample: SampleId,
    /// Its prompt.
    pub prompt: String,
    /// Each candidate's position and text (`None`: media only).
    pub candidates: Vec<(u32, Option<String>)>,
}

/// A media item of a sample, as a scorer that reads media finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreMediaRow {
    /// The sample.
    pub sample: SampleId,
    /// Its order within the sample.
    pub position: u32,
    /// Why it is there (`input`, `retrieved`, `candidate`).
    pub role: crate::model::MediaRole,
    /// What it is.
    pub kind: crate::model::MediaKind,
    /// For a candidate's own media: the response position it belongs to.
    pub response_pos: Option<u32>,
    /// Embedded bytes (their hash is the content hash).
    pub blob_hash: Option<String>,
    /// A referenced file (or frame folder), resolved.
    pub resolved_path: Option<String>,
    /// Its content hash when the media pass has set it.
    pub content: Option<String>,
    /// The source's reference, for messages (a path, a URL never fetched).
    pub reference: Option<String>,
}

/// One batch of a scoring job's results, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreBatch {
    /// Scores made now, by content hash, with their detail (JSON text).
    pub scores: Vec<(String, f64, Option<String>)>,
    /// Embeddings made now, by the text's hash.
    pub embeddings: Vec<(String, Vec<f32>)>,
    /// Per sample, each scored candidate's position and score.
    pub judgments: Vec<(SampleId, Vec<(u32, f64)>)>,
}

/// A pair under the label in force with a scorer's margin, placed as `show` names it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MarginRow {
    /// The sample.
    pub sample: SampleId,
    /// Its dataset's name.
    pub dataset: String,
    /// Its row in its file (`line 7`, `row 6`).
    pub position: Position,
    /// The source's own id.
    pub key: Option<String>,
    /// The label in force in short (`A>B`, `ranking`).
    pub label: String,
    /// The position the label prefers.
    pub chosen: u32,
    /// The position it rejects.
    pub rejected: u32,
    /// score(chosen) - score(rejected).
    pub margin: f64,
}

const SCORER_COLUMNS: &str = "s.id, s.name, s.kind, s.architecture, s.weights, s.settings, s.model_path, s.device,
    s.created_at, s.used_at,
    (SELECT count(*) FROM judgments j WHERE j.author = s.name AND j.source = 'model'),
    (SELECT count(*) FROM score_margins m WHERE m.scorer_id = s.id),
    (SELECT count(*) FROM score_margins m WHERE m.scorer_id = s.id AND m.margin > 0),
    (SELECT count(*) FROM score_margins m WHERE m.scorer_id = s.id AND m.margin < 0)";

fn scorer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScorerRow> {
    let count = |i: usize| r.get::<_, i64>(i).map(|n| n as u64);
    Ok(ScorerRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        architecture: r.get(3)?,
        weights: r.get(4)?,
        settings: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or(serde_json::Value::Null),
        model_path: r.get(6)?,
        device: r.get(7)?,
        created_at: r.get(8)?,
        used_at: r.get(9)?,
        judged: count(10)?,
        pairs: count(11)?,
        agree: count(12)?,
        disagree: count(13)?,
    })
}

/// The pair a label names: a preference's or correction's chosen and rejected, a ranking's best
/// and worst. Ties, both-bad and ratings name none.
pub(crate) fn pair_of(label: &Label) -> Option<(u32, u32)> {
    let pair = match label.kind {
        JudgmentKind::Pairwise | JudgmentKind::Correction => (label.chosen?, label.rejected?),
        JudgmentKind::Ranking => match (label.ranking.first(), label.ranking.last()) {
            (Some(best), Some(worst)) => (*best, *worst),
            _ => (label.chosen?, label.rejected?),
        },
        JudgmentKind::Ratings | JudgmentKind::Tie | JudgmentKind::BothBad => return None,
    };
    (pair.0 != pair.1).then_some(pair)
}

/// Writes a sample's margins again, one per scorer that judged it, for the label in force
/// (`judgment_id`: the curation state's curator judgment, `None`: the original). Called wherever
/// the label in force is written (`stats::update_curation`) and where a model judgment is added.
pub(crate) fn refresh_margins(conn: &Connection, sample: SampleId, judgment_id: Option<i64>) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM score_margins WHERE sample_id = ?1")?.execute([sample])?;
    let scored: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM judgments WHERE sample_id = ?1 AND source = 'model')")?
        .query_row([sample], |r| r.get(0))?;
    if !scored {
        return Ok(());
    }
    let Some((chosen, rejected)) = label_in(conn, sample, judgment_id)?.as_ref().and_then(pair_of) else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO score_margins (scorer_id, sample_id, chosen, rejected, margin)
         SELECT s.id, ?1, ?2, ?3, c.value - r.value
         FROM scorers s JOIN judgments j ON j.author = s.name AND j.source = 'model' AND j.sample_id = ?1
         JOIN ratings c ON c.judgment_id = j.id AND c.response_pos = ?2
         JOIN ratings r ON r.judgment_id = j.id AND r.response_pos = ?3
         WHERE c.value IS NOT NULL AND r.value IS NOT NULL",
    )?
    .execute(params![sample, chosen, rejected])?;
    Ok(())
}

impl Store {
    /// Every scorer of the project with its counts, the most recently used first.
    pub fn scorers(&self) -> Result<Vec<ScorerRow>> {
        let sql = format!("SELECT {SCORER_COLUMNS} FROM scorers s ORDER BY s.used_at DESC, s.id DESC");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        stmt.query_map([], scorer_row).and_then(Iterator::collect).map_err(|e| self.err(e))
    }

    /// The scorer named `name`, or (`None`) the most recently used one.
    pub fn scorer(&self, name: Option<&str>) -> Result<Option<ScorerRow>> {
        let sql = match name {
            Some(_) => format!("SELECT {SCORER_COLUMNS} FROM scorers s WHERE s.name = ?1"),
            None => format!("SELECT {SCORER_COLUMNS} FROM scorers s ORDER BY s.used_at DESC, s.id DESC LIMIT 1"),
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        match name {
            Some(n) => stmt.query_row([n], scorer_row),
            None => stmt.query_row([], scorer_row),
        }
        .optional()
        .map_err(|e| self.err(e))
    }

    /// The scorer with these weights and settings, whatever its name.
    pub fn scorer_by_identity(&self, weights: &str, settings: &serde_json::Value) -> Result<Option<ScorerRow>> {
        let sql = format!("SELECT {SCORER_COLUMNS} FROM scorers s WHERE s.weights = ?1 AND s.settings = ?2");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row(params![weights, settings.to_string()], scorer_row).optional())
            .map_err(|e| self.err(e))
    }

    /// Records a scorer's run: a new scorer, or a known one's device, model path and time. The
    /// caller has checked that name and identity belong together (see `score::job`).
    pub fn record_scorer(&mut self, new: &NewScorer<'_>) -> Result<ScorerRow> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO scorers (name, kind, architecture, weights, settings, model_path, device, created_at, used_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, {NOW_SQL}, {NOW_SQL})
                     ON CONFLICT (name) DO UPDATE SET model_path = excluded.model_path, device = excluded.device,
                         used_at = excluded.used_at"
                ),
                params![
                    new.name,
                    new.kind,
                    new.architecture,
                    new.weights,
                    new.settings.to_string(),
                    new.model_path,
                    new.device
                ],
            )
            .map_err(|e| self.err(e))?;
        self.scorer(Some(new.name))?.ok_or_else(|| super::StoreError::NotFound(format!("scorer {}", new.name)))
    }

    /// The samples matching `q` that have a candidate with text and no judgment of `scorer` yet,
    /// in id order, and how many matching samples it has judged already.
    pub fn samples_to_score(&self, scorer: &str, q: &Compiled) -> Result<(Vec<SampleId>, u64)> {
        let judged = "EXISTS (SELECT 1 FROM judgments j WHERE j.author = ? AND j.source = 'model' AND j.sample_id = st.sample_id)";
        let mut p = q.params.clone();
        p.push(rusqlite::types::Value::Text(scorer.to_owned()));
        let todo_sql = format!(
            "SELECT st.sample_id FROM sample_stats st WHERE ({}) AND NOT {judged}
             AND EXISTS (SELECT 1 FROM responses r WHERE r.sample_id = st.sample_id AND r.text IS NOT NULL)
             ORDER BY st.sample_id",
            q.condition
        );
        let todo = self
            .conn
            .prepare(&todo_sql)
            .and_then(|mut st| st.query_map(params_from_iter(&p), |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))?;
        let done_sql = format!("SELECT count(*) FROM sample_stats st WHERE ({}) AND {judged}", q.condition);
        let done: i64 = self
            .conn
            .prepare(&done_sql)
            .and_then(|mut st| st.query_row(params_from_iter(&p), |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        Ok((todo, done as u64))
    }

    /// The prompts and candidate texts of `ids`, in their order.
    pub fn score_inputs(&self, ids: &[SampleId]) -> Result<Vec<ScoreInput>> {
        let mut prompt =
            self.conn.prepare_cached("SELECT prompt FROM samples WHERE id = ?1").map_err(|e| self.err(e))?;
        let mut responses = self
            .conn
            .prepare_cached("SELECT position, text FROM responses WHERE sample_id = ?1 ORDER BY position")
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(p) = prompt.query_row([id], |r| r.get(0)).optional().map_err(|e| self.err(e))? else { continue };
            let candidates = responses
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(Iterator::collect)
                .map_err(|e| self.err(e))?;
            out.push(ScoreInput { sample: *id, prompt: p, candidates });
        }
        Ok(out)
    }

    /// The media of `ids` (every role), by sample and position.
    pub fn score_media(&self, ids: &[SampleId]) -> Result<Vec<ScoreMediaRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT sample_id, position, role, kind, response_pos, blob_hash, resolved_path, content,
                        COALESCE(path, url, name) FROM media WHERE sample_id = ?1 ORDER BY position",
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for id in ids {
            let rows = stmt
                .query_map([id], |r| {
                    Ok(ScoreMediaRow {
                        sample: r.get(0)?,
                        position: r.get(1)?,
                        role: r.get(2)?,
                        kind: r.get(3)?,
                        response_pos: r.get(4)?,
                        blob_hash: r.get(5)?,
                        resolved_path: r.get(6)?,
                        content: r.get(7)?,
                        reference: r.get(8)?,
                    })
                })
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(|e| self.err(e))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// The scores `scorer` has for these contents.
    pub fn known_scores(&self, scorer: i64, contents: &[&str]) -> Result<HashMap<String, f64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT score FROM scores WHERE scorer_id = ?1 AND content = ?2")
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for c in contents {
            if let Some(s) = stmt.query_row(params![scorer, c], |r| r.get(0)).optional().map_err(|e| self.err(e))? {
                out.insert((*c).to_owned(), s);
            }
        }
        Ok(out)
    }

    /// Writes a batch of a scorer's results as one operation of the write path: the new scores
    /// and embeddings, one model judgment per sample (skipping a sample another run judged
    /// meanwhile) and its margins. Not undoable: model judgments are facts about the model, and
    /// they change no curation state.
    pub fn write_scores(&mut self, scorer: &ScorerRow, origin: &'static str, batch: &ScoreBatch) -> Result<Changes> {
        let actor = Actor::new(scorer.name.clone(), origin);
        let spec = OpSpec {
            kind: OpKind::Edit,
            action: "score".into(),
            target: None,
            detail: serde_json::json!({"of": scorer.name, "device": scorer.device}),
            undoable: false,
            checked: true,
        };
        let ((), changes) = self.transact(&actor, &spec, |tx| {
            let conn = tx.conn();
            let mut put_score = conn
                .prepare_cached("INSERT OR IGNORE INTO scores (scorer_id, content, score, detail) VALUES (?1, ?2, ?3, ?4)")
                .map_err(|e| tx.err(e))?;
            for (content, score, detail) in &batch.scores {
                put_score.execute(params![scorer.id, content, score, detail]).map_err(|e| tx.err(e))?;
            }
            let mut put_vector = conn
                .prepare_cached("INSERT OR IGNORE INTO embeddings (scorer_id, content, vector) VALUES (?1, ?2, ?3)")
                .map_err(|e| tx.err(e))?;
            for (content, vector) in &batch.embeddings {
                let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
                put_vector.execute(params![scorer.id, content, bytes]).map_err(|e| tx.err(e))?;
            }
            drop((put_score, put_vector));
            for (sample, scores) in &batch.judgments {
                let judged: bool = tx
                    .conn()
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM judgments WHERE author = ?1 AND source = 'model' AND sample_id = ?2)",
                    )
                    .and_then(|mut st| st.query_row(params![scorer.name, sample], |r| r.get(0)))
                    .map_err(|e| tx.err(e))?;
                if judged {
                    tx.skip(1);
                    continue;
                }
                let ratings: Vec<NewRating> = scores
                    .iter()
                    .map(|(pos, score)| NewRating {
                        response: Some(*pos),
                        aspect: scorer.name.clone(),
                        value: Some(*score),
                        raw: score.to_string(),
                        rationale: None,
                        critique: None,
                    })
                    .collect();
                let judgment = NewJudgment {
                    kind: JudgmentKind::Ratings,
                    label: &scorer.name,
                    chosen: None,
                    rejected: None,
                    ranking: None,
                    ratings: &ratings,
                };
                tx.insert_model_judgment(*sample, &judgment)?;
                let state = tx.state(*sample)?;
                refresh_margins(tx.conn(), *sample, state.judgment_id).map_err(|e| tx.err(e))?;
            }
            tx.changed(ChangeKinds::JUDGMENTS);
            Ok(())
        })?;
        Ok(changes)
    }

    /// A scorer's pairs under the label in force, the most confident disagreement first (the
    /// lowest margin), `limit` of them (`None`: all).
    pub fn margins(&self, scorer: i64, limit: Option<usize>) -> Result<Vec<MarginRow>> {
        self.margins_from(scorer, 0, limit)
    }

    /// [`Store::margins`] from the `offset`-th pair on (the suspects queue, a page at a time).
    pub fn margins_from(&self, scorer: i64, offset: u64, limit: Option<usize>) -> Result<Vec<MarginRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.sample_id, d.name, d.format, s.row_index, s.source_key, st.current, m.chosen, m.rejected, m.margin
                 FROM score_margins m JOIN samples s ON s.id = m.sample_id JOIN datasets d ON d.id = s.dataset_id
                 JOIN sample_stats st ON st.sample_id = m.sample_id
                 WHERE m.scorer_id = ?1 ORDER BY m.margin, m.sample_id LIMIT ?2 OFFSET ?3",
            )
            .map_err(|e| self.err(e))?;
        let limit = limit.map_or(-1, |n| n as i64);
        stmt.query_map(params![scorer, limit, offset as i64], |r| {
            let format: String = r.get(2)?;
            Ok(MarginRow {
                sample: r.get(0)?,
                dataset: r.get(1)?,
                position: Position::of(&format, r.get::<_, i64>(3)?.max(0) as u64),
                key: r.get(4)?,
                label: r.get(5)?,
                chosen: r.get(6)?,
                rejected: r.get(7)?,
                margin: r.get(8)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// A scorer's margin of each of `ids` that has one (the `scored` keep policy).
    pub fn sample_margins(&self, scorer: i64, ids: &[SampleId]) -> Result<HashMap<SampleId, f64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT margin FROM score_margins WHERE scorer_id = ?1 AND sample_id = ?2")
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::with_capacity(ids.len());
        for id in ids {
            if let Some(m) = stmt.query_row(params![scorer, id], |r| r.get(0)).optional().map_err(|e| self.err(e))? {
                out.insert(*id, m);
            }
        }
        Ok(out)
    }

    /// Every margin of a scorer (to fit its temperature).
    pub fn margin_values(&self, scorer: i64) -> Result<Vec<f64>> {
        self.conn
            .prepare_cached("SELECT margin FROM score_margins WHERE scorer_id = ?1")
            .and_then(|mut st| st.query_map([scorer], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))
    }

    /// For a judge (`score::served`): the pairs it was asked in both orders and how many of them
    /// it answered differently with the order, summed over its scores' detail (each pair counted at
    /// its first candidate, `order.pairs` and `order.flipped`).
    pub fn judge_order_flips(&self, scorer: i64) -> Result<(u64, u64)> {
        self.conn
            .prepare_cached(
                "SELECT coalesce(sum(json_extract(detail, '$.order.pairs')), 0),
                        coalesce(sum(json_extract(detail, '$.order.flipped')), 0)
                 FROM scores WHERE scorer_id = ?1 AND json_valid(detail)",
            )
            .and_then(|mut st| st.query_row([scorer], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))))
            .map_err(|e| self.err(e))
    }

    /// The stored score of one content (see `score::Candidate::content_hash`) with its detail
    /// (JSON text), by scorer name.
    pub fn score_of(&self, scorer: &str, content: &str) -> Result<Option<(f64, Option<String>)>> {
        self.conn
            .prepare_cached(
                "SELECT c.score, c.detail FROM scores c JOIN scorers s ON s.id = c.scorer_id
                 WHERE s.name = ?1 AND c.content = ?2",
            )
            .and_then(|mut st| st.query_row(params![scorer, content], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.err(e))
    }

    /// A scorer's margin for one sample under the label in force, and the pairs ahead of it in
    /// the suspects order (its index in [`Store::margins`]).
    pub fn margin_rank(&self, scorer: i64, sample: SampleId) -> Result<Option<(f64, u64)>> {
        self.conn
            .prepare_cached(
                "SELECT m.margin, (SELECT count(*) FROM score_margins o WHERE o.scorer_id = ?1
                     AND (o.margin < m.margin OR (o.margin = m.margin AND o.sample_id < m.sample_id)))
                 FROM score_margins m WHERE m.scorer_id = ?1 AND m.sample_id = ?2",
            )
            .and_then(|mut st| {
                st.query_row(params![scorer, sample], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))).optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Each sample whose prompt `scorer` embedded (kept by the blake3 of the prompt's text, as
    /// `score::text_hash` names it), with its dataset and the vector, in id order.
    pub fn prompt_embeddings(&self, scorer: i64) -> Result<Vec<(SampleId, crate::model::DatasetId, Vec<f32>)>> {
        let mut vector = self
            .conn
            .prepare_cached("SELECT vector FROM embeddings WHERE scorer_id = ?1 AND content = ?2")
            .map_err(|e| self.err(e))?;
        let mut samples =
            self.conn.prepare("SELECT id, dataset_id, prompt FROM samples ORDER BY id").map_err(|e| self.err(e))?;
        let mut rows = samples.query([]).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let prompt: String = r.get(2).map_err(|e| self.err(e))?;
            let hash = blake3::hash(prompt.as_bytes()).to_hex().to_string();
            let bytes: Option<Vec<u8>> =
                vector.query_row(params![scorer, hash], |v| v.get(0)).optional().map_err(|e| self.err(e))?;
            if let Some(b) = bytes {
                let v = b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
                out.push((r.get(0).map_err(|e| self.err(e))?, r.get(1).map_err(|e| self.err(e))?, v));
            }
        }
        Ok(out)
    }

    /// A stored embedding, by scorer and the text's hash.
    pub fn embedding(&self, scorer: i64, content: &str) -> Result<Option<Vec<f32>>> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT vector FROM embeddings WHERE scorer_id = ?1 AND content = ?2")
            .and_then(|mut st| st.query_row(params![scorer, content], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        Ok(bytes.map(|b| b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()))
    }
}
