//! Curation state: a sample's current curator judgment, flag, note and exclusion mark, and the
//! append-only audit log of how it changed. Original judgments are never touched: a curator's
//! label is a new judgment with source `curator`, and the state names it. The state is written
//! only through an operation ([`super::ops::OpTx::set_state`]), which writes the `curation` row,
//! the sample's list facts (`sample_stats`) and an audit row with the state before and after, in
//! the operation's transaction.

use super::{Result, Store};
use crate::model::{JudgmentKind, JudgmentSource, OpId, SampleId};
use rusqlite::{Connection, OptionalExtension, params};

/// A sample's curation state: what undo and redo restore.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CurationState {
    /// The current curator judgment; `None`: the original stands.
    pub judgment_id: Option<i64>,
    /// The flag reason, when flagged ("look again").
    pub flag: Option<String>,
    /// The curator's note.
    pub note: Option<String>,
    /// The exclusion reason, when excluded ("not in the cleaned set"; absent in rows written
    /// before migration 5).
    #[serde(default)]
    pub excluded: Option<String>,
}

/// The label a sample carries now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Whose it is.
    pub source: JudgmentSource,
    /// Its shape.
    pub kind: JudgmentKind,
    /// Preferred response position.
    pub chosen: Option<u32>,
    /// Dispreferred response position.
    pub rejected: Option<u32>,
    /// For a ranking: positions best first.
    pub ranking: Vec<u32>,
    /// Its judgment's row id.
    pub judgment_id: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// The operation it belongs to.
    pub op: Option<OpId>,
    /// Who acted.
    pub curator: String,
    /// What they did (`pick_a`, `swap`, `flag`, `exclude`, `undo`, ...).
    pub action: String,
    /// The state before.
    pub before: CurationState,
    /// The state after.
    pub after: CurationState,
    /// When (ISO-8601 UTC).
    pub at: String,
}

/// A curator judgment about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJudgment<'a> {
    /// Its shape.
    pub kind: JudgmentKind,
    /// Its label (`overall`, or the ratings' label).
    pub label: &'a str,
    /// Preferred position.
    pub chosen: Option<u32>,
    /// Dispreferred position.
    pub rejected: Option<u32>,
    /// For a ranking: positions best first.
    pub ranking: Option<&'a [u32]>,
    /// For ratings: every rating the judgment holds.
    pub ratings: &'a [NewRating],
}

/// One rating of a curator's ratings judgment.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRating {
    /// The rated response (`None`: the whole sample).
    pub response: Option<u32>,
    /// The aspect.
    pub aspect: String,
    /// The value.
    pub value: Option<f64>,
    /// As written.
    pub raw: String,
    /// The rater's rationale.
    pub rationale: Option<String>,
    /// The rater's critique.
    pub critique: Option<String>,
}

fn to_json(s: &CurationState) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "{}".into())
}

pub(crate) fn parse_state(text: &str) -> CurationState {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) fn state_in(conn: &Connection, sample: SampleId) -> rusqlite::Result<CurationState> {
    Ok(conn
        .prepare_cached("SELECT judgment_id, flag, note, excluded FROM curation WHERE sample_id = ?1")?
        .query_row([sample], |r| {
            Ok(CurationState { judgment_id: r.get(0)?, flag: r.get(1)?, note: r.get(2)?, excluded: r.get(3)? })
        })
        .optional()?
        .unwrap_or_default())
}

/// The label in force: the curator judgment `judgment_id` names, else the original one that
/// states the sample's label (`overall`, else the first naming a pair, else the first). The same
/// rule as [`super::label::in_force`] over a loaded sample.
pub(crate) fn label_in(
    conn: &Connection,
    sample: SampleId,
    judgment_id: Option<i64>,
) -> rusqlite::Result<Option<Label>> {
    let row = |r: &rusqlite::Row<'_>| {
        let ranking: Option<String> = r.get(4)?;
        Ok(Label {
            source: r.get(0)?,
            kind: r.get(1)?,
            chosen: r.get(2)?,
            rejected: r.get(3)?,
            ranking: ranking.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
            judgment_id: r.get(5)?,
        })
    };
    match judgment_id {
        Some(id) => conn
            .prepare_cached("SELECT source, kind, chosen, rejected, ranking, id FROM judgments WHERE id = ?1")?
            .query_row([id], row)
            .optional(),
        None => conn
            .prepare_cached(
                "SELECT source, kind, chosen, rejected, ranking, id FROM judgments
                 WHERE sample_id = ?1 AND source = 'original'
                 ORDER BY label != 'overall', label != 'overall' AND chosen IS NULL, id LIMIT 1",
            )?
            .query_row([sample], row)
            .optional(),
    }
}

impl Store {
    /// The sample's curation state.
    pub fn curation_state(&self, sample: SampleId) -> Result<CurationState> {
        state_in(&self.conn, sample).map_err(|e| self.err(e))
    }

    /// The label the sample carries now: the curator's latest, else the original.
    pub fn current_label(&self, sample: SampleId) -> Result<Option<Label>> {
        let state = self.curation_state(sample)?;
        label_in(&self.conn, sample, state.judgment_id).map_err(|e| self.err(e))
    }

    /// The audit log of one sample, oldest first.
    pub fn audit_log(&self, sample: SampleId) -> Result<Vec<AuditEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT op_id, curator, action, before, after, created_at FROM audit_log WHERE sample_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([sample], |r| {
                Ok(AuditEntry {
                    op: r.get(0)?,
                    curator: r.get(1)?,
                    action: r.get(2)?,
                    before: parse_state(&r.get::<_, String>(3)?),
                    after: parse_state(&r.get::<_, String>(4)?),
                    at: r.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }
}

/// Writes a sample's new curation state, its list facts and the audit row (op `op`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_state(
    conn: &Connection,
    op: OpId,
    now: &str,
    sample: SampleId,
    curator: &str,
    action: &str,
    before: &CurationState,
    after: &CurationState,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO curation (sample_id, judgment_id, flag, note, excluded, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (sample_id) DO UPDATE SET judgment_id = excluded.judgment_id, flag = excluded.flag,
             note = excluded.note, excluded = excluded.excluded, updated_at = excluded.updated_at",
    )?
    .execute(params![sample, after.judgment_id, after.flag, after.note, after.excluded, now])?;
    super::stats::update_curation(conn, sample, after)?;
    conn.prepare_cached(
        "INSERT INTO audit_log (sample_id, curator, action, before, after, created_at, op_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![sample, curator, action, to_json(before), to_json(after), now, op])?;
    Ok(())
}

/// Migration 7's step: the flag and exclusion reasons in `curation` in their one spelling (a
/// listed reason however it was typed; any other trimmed, its whitespace collapsed). The audit
/// log keeps what was written.
pub(crate) fn respell_reasons(conn: &Connection) -> rusqlite::Result<()> {
    type Spelling = fn(&str) -> String;
    let columns: [(&str, Spelling); 2] =
        [("flag", crate::model::canonical_flag), ("excluded", crate::model::canonical_exclusion)];
    for (col, canonical) in columns {
        let typed: Vec<String> = conn
            .prepare(&format!("SELECT DISTINCT {col} FROM curation WHERE {col} IS NOT NULL"))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for text in typed {
            let spelled = canonical(&text);
            if spelled != text && !spelled.is_empty() {
                conn.execute(&format!("UPDATE curation SET {col} = ?1 WHERE {col} = ?2"), params![spelled, text])?;
            }
        }
    }
    Ok(())
}

/// Records a curator's or a model's judgment (and its ratings) and returns its id; `author` is
/// the curator's or the scorer's name. Original judgments come only from an import.
pub(crate) fn insert_judgment(
    conn: &Connection,
    sample: SampleId,
    source: JudgmentSource,
    author: &str,
    now: &str,
    new: &NewJudgment<'_>,
) -> rusqlite::Result<i64> {
    debug_assert!(source != JudgmentSource::Original, "original judgments come from an import");
    let ranking = new.ranking.map(|r| serde_json::to_string(r).unwrap_or_default());
    conn.prepare_cached(
        "INSERT INTO judgments (sample_id, source, author, label, kind, chosen, rejected, ranking, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![sample, source, author, new.label, new.kind, new.chosen, new.rejected, ranking, now])?;
    let id = conn.last_insert_rowid();
    for r in new.ratings {
        conn.prepare_cached(
            "INSERT INTO ratings (judgment_id, response_pos, aspect, value, raw, rationale, critique)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![id, r.response, r.aspect, r.value, r.raw, r.rationale, r.critique])?;
    }
    Ok(id)
}
