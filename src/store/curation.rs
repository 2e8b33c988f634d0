//! Curation: curators relabel samples (pick A or B, swap, tie, both bad), flag them and take
//! notes. Each action is one transaction that writes the new state and an append-only audit row
//! with the state before and after; original judgments are never touched (a curator's label is a
//! new judgment with source `curator`). Undo and redo restore a recorded state and are logged too.
//! The sample's `sample_stats` row (current label, flagged, edited, noted) moves in the same transaction.

use super::{NOW_SQL, Result, Store, StoreError};
use crate::model::{JudgmentKind, JudgmentSource, SampleId};
use rusqlite::{OptionalExtension, Transaction, params};

/// What a curator does to a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurationAction {
    /// Response A (position 0) is better than B.
    PickA,
    /// Response B (position 1) is better than A.
    PickB,
    /// The current preference, reversed.
    Swap,
    /// A and B are equally good.
    Tie,
    /// Neither A nor B is acceptable.
    BothBad,
    /// Flag the sample, with a reason.
    Flag(String),
    /// Remove the flag.
    Unflag,
    /// Set (or, with empty text, clear) the curator's note.
    Note(String),
}

impl CurationAction {
    /// Its name in the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            CurationAction::PickA => "pick_a",
            CurationAction::PickB => "pick_b",
            CurationAction::Swap => "swap",
            CurationAction::Tie => "tie",
            CurationAction::BothBad => "both_bad",
            CurationAction::Flag(_) => "flag",
            CurationAction::Unflag => "unflag",
            CurationAction::Note(_) => "note",
        }
    }
}

/// A sample's curation state: what undo and redo restore.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CurationState {
    /// The current curator judgment; `None`: the original stands.
    pub judgment_id: Option<i64>,
    /// The flag reason, when flagged.
    pub flag: Option<String>,
    /// The curator's note.
    pub note: Option<String>,
}

/// The label a sample carries now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// Whose it is.
    pub source: JudgmentSource,
    /// Its shape.
    pub kind: JudgmentKind,
    /// Preferred response position.
    pub chosen: Option<u32>,
    /// Dispreferred response position.
    pub rejected: Option<u32>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who acted.
    pub curator: String,
    /// What they did (`pick_a`, `swap`, `flag`, `undo`, ...).
    pub action: String,
    /// The state before.
    pub before: CurationState,
    /// The state after.
    pub after: CurationState,
    /// When (ISO-8601 UTC).
    pub at: String,
}

/// An action as applied, for an undo stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The sample.
    pub sample: SampleId,
    /// Its audit row.
    pub audit_id: i64,
    /// The state before (what undo restores).
    pub before: CurationState,
    /// The state after (what redo restores).
    pub after: CurationState,
}

fn to_json(s: &CurationState) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "{}".into())
}

fn state_in(conn: &rusqlite::Connection, sample: SampleId) -> rusqlite::Result<CurationState> {
    Ok(conn
        .query_row("SELECT judgment_id, flag, note FROM curation WHERE sample_id = ?1", [sample], |r| {
            Ok(CurationState { judgment_id: r.get(0)?, flag: r.get(1)?, note: r.get(2)? })
        })
        .optional()?
        .unwrap_or_default())
}

fn label_in(
    conn: &rusqlite::Connection,
    sample: SampleId,
    judgment_id: Option<i64>,
) -> rusqlite::Result<Option<Label>> {
    let row = |r: &rusqlite::Row<'_>| {
        Ok(Label { source: r.get(0)?, kind: r.get(1)?, chosen: r.get(2)?, rejected: r.get(3)? })
    };
    match judgment_id {
        Some(id) => {
            conn.query_row("SELECT source, kind, chosen, rejected FROM judgments WHERE id = ?1", [id], row).optional()
        }
        // The original overall judgment, else the first original one that names a pair.
        None => conn
            .query_row(
                "SELECT source, kind, chosen, rejected FROM judgments
                 WHERE sample_id = ?1 AND source = 'original' AND (label = 'overall' OR chosen IS NOT NULL)
                 ORDER BY label != 'overall', id LIMIT 1",
                [sample],
                row,
            )
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

    /// Applies one action by `curator`, durably, with its audit row.
    pub fn apply(&mut self, sample: SampleId, curator: &str, action: &CurationAction) -> Result<Applied> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&wrap)?;
        let responses: i64 = tx
            .query_row("SELECT count(*) FROM responses WHERE sample_id = ?1", [sample], |r| r.get(0))
            .map_err(&wrap)?;
        if responses == 0 {
            return Err(StoreError::NotFound(format!("no sample with id {sample} (or it has no responses)")));
        }
        let before = state_in(&tx, sample).map_err(&wrap)?;
        let mut after = before.clone();
        let pair = |kind, chosen, rejected| (kind, Some(chosen), Some(rejected));
        let new_label = match action {
            CurationAction::PickA | CurationAction::PickB | CurationAction::Tie | CurationAction::BothBad
                if responses < 2 =>
            {
                return Err(StoreError::NotFound(format!("sample {sample} has one response: nothing to compare")));
            }
            CurationAction::PickA => Some(pair(JudgmentKind::Pairwise, 0, 1)),
            CurationAction::PickB => Some(pair(JudgmentKind::Pairwise, 1, 0)),
            CurationAction::Tie => Some(pair(JudgmentKind::Tie, 0, 1)),
            CurationAction::BothBad => Some(pair(JudgmentKind::BothBad, 0, 1)),
            CurationAction::Swap => {
                let current = label_in(&tx, sample, before.judgment_id).map_err(&wrap)?;
                match current {
                    Some(Label { chosen: Some(c), rejected: Some(r), .. }) => Some(pair(JudgmentKind::Pairwise, r, c)),
                    _ => return Err(StoreError::NotFound(format!("sample {sample} has no preference to swap"))),
                }
            }
            CurationAction::Flag(reason) => {
                after.flag = Some(reason.trim().to_owned()).filter(|r| !r.is_empty()).or(Some("flagged".into()));
                None
            }
            CurationAction::Unflag => {
                after.flag = None;
                None
            }
            CurationAction::Note(text) => {
                after.note = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
                None
            }
        };
        if let Some((kind, chosen, rejected)) = new_label {
            tx.execute(
                &format!(
                    "INSERT INTO judgments (sample_id, source, author, label, kind, chosen, rejected, created_at)
                     VALUES (?1, 'curator', ?2, 'overall', ?3, ?4, ?5, {NOW_SQL})"
                ),
                params![sample, curator, kind, chosen, rejected],
            )
            .map_err(&wrap)?;
            after.judgment_id = Some(tx.last_insert_rowid());
        }
        let audit_id = write_state(&tx, sample, curator, action.name(), &before, &after).map_err(&wrap)?;
        tx.commit().map_err(&wrap)?;
        Ok(Applied { sample, audit_id, before, after })
    }

    /// Restores a recorded state (undo restores `before`, redo `after`), logged as `undo`/`redo`.
    pub fn restore(&mut self, sample: SampleId, curator: &str, state: &CurationState, redo: bool) -> Result<Applied> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&wrap)?;
        if let Some(id) = state.judgment_id {
            let owner: Option<SampleId> = tx
                .query_row("SELECT sample_id FROM judgments WHERE id = ?1 AND source = 'curator'", [id], |r| r.get(0))
                .optional()
                .map_err(&wrap)?;
            if owner != Some(sample) {
                return Err(StoreError::NotFound(format!(
                    "judgment {id} is not a curator judgment of sample {sample}"
                )));
            }
        }
        let before = state_in(&tx, sample).map_err(&wrap)?;
        let action = if redo { "redo" } else { "undo" };
        let audit_id = write_state(&tx, sample, curator, action, &before, state).map_err(&wrap)?;
        tx.commit().map_err(&wrap)?;
        Ok(Applied { sample, audit_id, before, after: state.clone() })
    }

    /// The audit log of one sample, oldest first.
    pub fn audit_log(&self, sample: SampleId) -> Result<Vec<AuditEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT curator, action, before, after, created_at FROM audit_log WHERE sample_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let parse = |t: String| serde_json::from_str(&t).unwrap_or_default();
        let rows = stmt
            .query_map([sample], |r| {
                Ok(AuditEntry {
                    curator: r.get(0)?,
                    action: r.get(1)?,
                    before: parse(r.get(2)?),
                    after: parse(r.get(3)?),
                    at: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }
}

fn write_state(
    tx: &Transaction<'_>,
    sample: SampleId,
    curator: &str,
    action: &str,
    before: &CurationState,
    after: &CurationState,
) -> rusqlite::Result<i64> {
    tx.execute(
        &format!(
            "INSERT INTO curation (sample_id, judgment_id, flag, note, updated_at) VALUES (?1, ?2, ?3, ?4, {NOW_SQL})
             ON CONFLICT (sample_id) DO UPDATE SET judgment_id = excluded.judgment_id, flag = excluded.flag,
                 note = excluded.note, updated_at = excluded.updated_at"
        ),
        params![sample, after.judgment_id, after.flag, after.note],
    )?;
    super::stats::update_curation(tx, sample, after)?;
    tx.execute(
        &format!(
            "INSERT INTO audit_log (sample_id, curator, action, before, after, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, {NOW_SQL})"
        ),
        params![sample, curator, action, to_json(before), to_json(after)],
    )?;
    Ok(tx.last_insert_rowid())
}
