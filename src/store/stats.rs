//! `sample_stats` (migration 3): per-sample facts the sample list sorts by and the query language
//! filters on, kept next to `samples` in a narrow table. Import computes a row in Rust from the
//! sample it stores (the same values `sql/003_list.sql` backfills with SQL, which the tests
//! check); curation updates `current`, `flagged`, `edited` and `noted` in the action's transaction.

use super::PreparedSample;
use super::curation::CurationState;
use crate::model::{JudgmentDraft, JudgmentKind, JudgmentSource, SampleId};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// The bit of `kind` in `sample_stats.judgment_kinds`.
pub(crate) fn kind_bit(kind: JudgmentKind) -> i64 {
    kind.bit()
}

/// A label in short, as the sample list shows it: `A>B` (position letters) for a pairwise
/// preference, else the kind (`tie`, `both_bad`, `ranking`, `ratings`, `correction`).
pub(crate) fn summary(kind: JudgmentKind, chosen: Option<u32>, rejected: Option<u32>) -> String {
    match (kind, chosen, rejected) {
        (JudgmentKind::Pairwise, Some(c @ 0..=25), Some(r @ 0..=25)) => {
            format!("{}>{}", char::from(b'A' + c as u8), char::from(b'A' + r as u8))
        }
        _ => kind.as_str().to_owned(),
    }
}

/// Length in characters as SQLite's `length()` counts it: up to the first NUL. One pass that
/// counts, per chunk, the bytes that start a character (not 0b10xxxxxx) and the NUL bytes, with
/// byte-wide counters so the loop vectorizes: `chars()` decoding, or a separate search for NUL,
/// made the stats row a measurable part of an import.
pub(super) fn sql_len(text: &str) -> i64 {
    let bytes = text.as_bytes();
    let mut chars = 0usize;
    for (i, chunk) in bytes.chunks(255).enumerate() {
        let (starts, nuls) =
            chunk.iter().fold((0u8, 0u8), |(s, z), b| (s + u8::from(b & 0xC0 != 0x80), z + u8::from(*b == 0)));
        if nuls > 0 {
            let end = i * 255 + chunk.iter().position(|b| *b == 0).unwrap_or(chunk.len());
            return bytes[i * 255..end].iter().filter(|b| *b & 0xC0 != 0x80).count() as i64 + chars as i64;
        }
        chars += usize::from(starts);
    }
    chars as i64
}

/// The sample's original judgments (a Verdict export read back also carries curators' and models').
fn originals(s: &PreparedSample) -> impl Iterator<Item = &JudgmentDraft> {
    s.judgments.iter().filter(|j| j.source == JudgmentSource::Original)
}

/// The original label: the `overall` judgment, else the first naming a pair (as
/// `Store::current_label` picks it), else the first.
fn original_label(s: &PreparedSample) -> Option<&JudgmentDraft> {
    originals(s)
        .find(|j| j.label == "overall")
        .or_else(|| originals(s).find(|j| j.chosen.is_some()))
        .or_else(|| originals(s).next())
}

/// The position on one side (chosen or rejected) of the first original pairwise, correction or
/// ranking judgment whose position names a stored response.
fn side(s: &PreparedSample, pick: impl Fn(&JudgmentDraft) -> Option<u32>) -> Option<usize> {
    originals(s)
        .filter(|j| matches!(j.kind, JudgmentKind::Pairwise | JudgmentKind::Correction | JudgmentKind::Ranking))
        .filter_map(|j| pick(j).map(|p| p as usize))
        .find(|p| *p < s.responses.len())
}

/// Inserts the `sample_stats` row of a sample just stored under `sample_id`, with the curation
/// columns of the state it arrived with, if any (as [`update_curation`] sets them).
pub(crate) fn insert(tx: &Transaction<'_>, sample_id: i64, dataset: i64, s: &PreparedSample) -> rusqlite::Result<()> {
    let len = |pos: Option<usize>| pos.and_then(|p| s.responses.get(p)).and_then(|r| r.text.as_deref()).map(sql_len);
    let model = |pos: usize| s.responses.get(pos).and_then(|r| r.model.as_deref());
    let mut models: Option<String> = None;
    for m in s.responses.iter().filter_map(|r| r.model.as_deref()) {
        match &mut models {
            None => models = Some(m.to_owned()),
            Some(all) => {
                all.push('\u{1f}');
                all.push_str(m);
            }
        }
    }
    let kinds = originals(s).fold(0, |bits, j| bits | kind_bit(j.kind));
    let original = original_label(s).map(|j| summary(j.kind, j.chosen, j.rejected)).unwrap_or_default();
    let curation = s.curation.as_ref();
    let curated = curation.and_then(|c| c.judgment).and_then(|i| s.judgments.get(i));
    let current = curated.map(|j| summary(j.kind, j.chosen, j.rejected));
    let (orig_chosen, orig_rejected) = (len(side(s, |j| j.chosen)), len(side(s, |j| j.rejected)));
    let in_range = |p: Option<u32>| p.map(|p| p as usize).filter(|p| *p < s.responses.len());
    let (len_chosen, len_rejected, cur_kinds) = match curated {
        Some(j) if names_sides(j.kind) => (len(in_range(j.chosen)), len(in_range(j.rejected)), kind_bit(j.kind)),
        Some(j) => (None, None, kind_bit(j.kind)),
        None => (orig_chosen, orig_rejected, kinds),
    };
    tx.prepare_cached(
        "INSERT INTO sample_stats (sample_id, dataset_id, row_index, modality, n_responses, len_prompt, len_a, len_b,
                                   len_chosen, len_rejected, model_a, model_b, models, judgment_kinds, original, current,
                                   flagged, edited, noted, excluded, orig_len_chosen, orig_len_rejected, orig_kinds)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, coalesce(?16, ?15), ?17, ?18, ?19,
                 ?20, ?21, ?22, ?23)",
    )?
    .execute(params![
        sample_id,
        dataset,
        s.row_index as i64,
        s.modality,
        s.responses.len() as i64,
        sql_len(&s.prompt),
        len(Some(0)),
        len(Some(1)),
        len_chosen,
        len_rejected,
        model(0),
        model(1),
        models,
        cur_kinds,
        original,
        current,
        curation.is_some_and(|c| c.flag.is_some()),
        current.is_some(),
        curation.is_some_and(|c| c.note.is_some()),
        curation.is_some_and(|c| c.excluded.is_some()),
        orig_chosen,
        orig_rejected,
        kinds,
    ])?;
    Ok(())
}

/// Whether a label of this kind has a chosen and a rejected side (a tie's pair has neither).
fn names_sides(kind: JudgmentKind) -> bool {
    matches!(kind, JudgmentKind::Pairwise | JudgmentKind::Correction | JudgmentKind::Ranking)
}

/// Brings a sample's curation columns in line with its new curation state: the label in force
/// (its summary, its chosen and rejected lengths, its kind), flagged, edited, noted, excluded.
pub(crate) fn update_curation(conn: &Connection, sample: SampleId, state: &CurationState) -> rusqlite::Result<()> {
    let label: Option<(JudgmentKind, Option<u32>, Option<u32>)> = match state.judgment_id {
        Some(id) => conn
            .prepare_cached("SELECT kind, chosen, rejected FROM judgments WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?,
        None => None,
    };
    let current = label.map(|(k, c, r)| summary(k, c, r));
    conn.prepare_cached(
        "UPDATE sample_stats SET current = coalesce(?2, original), flagged = ?3, edited = ?4, noted = ?5, excluded = ?6,
             len_chosen = CASE WHEN ?2 IS NULL THEN orig_len_chosen
                 ELSE (SELECT length(text) FROM responses WHERE sample_id = ?1 AND position = ?7) END,
             len_rejected = CASE WHEN ?2 IS NULL THEN orig_len_rejected
                 ELSE (SELECT length(text) FROM responses WHERE sample_id = ?1 AND position = ?8) END,
             judgment_kinds = coalesce(?9, orig_kinds)
         WHERE sample_id = ?1",
    )?
    .execute(params![
        sample,
        current,
        state.flag.is_some(),
        state.judgment_id.is_some(),
        state.note.is_some(),
        state.excluded.is_some(),
        label.filter(|l| names_sides(l.0)).and_then(|l| l.1),
        label.filter(|l| names_sides(l.0)).and_then(|l| l.2),
        label.map(|l| kind_bit(l.0)),
    ])?;
    // The scorers' margins follow the label in force too.
    super::scores::refresh_margins(conn, sample, state.judgment_id)
}
