//! Curation state changed for many samples at once, in a few set-based statements instead of a
//! handful per sample: a flag, a note or an exclusion over a million samples, and undo and redo
//! (which only restore recorded states). The samples go through `op_scratch` (migration 5: a table
//! that is empty outside an operation's transaction), and the statements write exactly what
//! [`super::curation::write_state`] writes row by row: the `curation` rows, the `sample_stats`
//! facts and one audit row per changed sample. Part of [`OpTx`]: the one write path.

use super::ops::OpTx;
use super::{Result, StoreError};
use crate::jobs::Progress;
use crate::model::SampleId;
use rusqlite::params;

/// A field of the curation state that a bulk action sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateField {
    /// `flag`.
    Flag,
    /// `note`.
    Note,
    /// `excluded`.
    Excluded,
}

impl StateField {
    fn column(self) -> &'static str {
        match self {
            StateField::Flag => "flag",
            StateField::Note => "note",
            StateField::Excluded => "excluded",
        }
    }

    fn stats_column(self) -> &'static str {
        match self {
            StateField::Flag => "flagged",
            StateField::Note => "noted",
            StateField::Excluded => "excluded",
        }
    }
}

/// A curation state as JSON text, as `CurationState` serializes it, from four SQL expressions.
fn state_json(judgment: &str, flag: &str, note: &str, excluded: &str) -> String {
    format!("json_object('judgment_id', {judgment}, 'flag', {flag}, 'note', {note}, 'excluded', {excluded})")
}

/// The current state of `c.*` (a curation row, joined with LEFT JOIN) as JSON.
fn current_json() -> String {
    state_json("c.judgment_id", "c.flag", "c.note", "c.excluded")
}

const CHUNK: usize = 50_000;

/// An audit row a restore left as it was (its id, its sample): a later change is in the way.
pub(crate) type LeftAsIs = (i64, SampleId);

impl OpTx<'_> {
    fn run(&self, sql: &str, p: impl rusqlite::Params) -> Result<usize> {
        self.conn().prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(|e| self.err(e))
    }

    /// Fills `op_scratch` with `ids` (50,000 at a time, ticking `progress`).
    fn fill_scratch(&self, ids: &[SampleId], progress: &mut Progress) -> Result<()> {
        self.run("DELETE FROM op_scratch", [])?;
        for (i, chunk) in ids.chunks(CHUNK).enumerate() {
            progress.tick((i * CHUNK) as u64).map_err(|_| StoreError::Cancelled)?;
            let list = serde_json::to_string(&chunk.iter().map(|s| s.0).collect::<Vec<_>>()).unwrap_or_default();
            self.run("INSERT OR IGNORE INTO op_scratch (sample_id) SELECT value FROM json_each(?1)", [list])?;
        }
        Ok(())
    }

    /// The samples left in `op_scratch`, in id order, then empties it.
    fn drain_scratch(&self) -> Result<Vec<SampleId>> {
        let ids = self
            .conn()
            .prepare_cached("SELECT sample_id FROM op_scratch ORDER BY sample_id")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<SampleId>>>())
            .map_err(|e| self.err(e))?;
        self.run("DELETE FROM op_scratch", [])?;
        Ok(ids)
    }

    /// Sets `field` to `value` on every sample of `ids` that does not already have it, in a few
    /// set-based statements; returns the samples changed and the ids that name no sample (in id
    /// order). The others count as skipped. Safe with foreign keys off: only samples found in
    /// `sample_stats` (one row per sample) are written.
    pub fn set_field_many(
        &mut self,
        ids: &[SampleId],
        field: StateField,
        value: Option<&str>,
        progress: &mut Progress,
    ) -> Result<(Vec<SampleId>, Vec<SampleId>)> {
        let col = field.column();
        self.fill_scratch(ids, progress)?;
        let missing: Vec<SampleId> = self
            .conn()
            .prepare_cached(
                "SELECT sample_id FROM op_scratch s
                 WHERE NOT EXISTS (SELECT 1 FROM sample_stats st WHERE st.sample_id = s.sample_id) ORDER BY sample_id",
            )
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<SampleId>>>())
            .map_err(|e| self.err(e))?;
        for chunk in missing.chunks(CHUNK) {
            let list = serde_json::to_string(&chunk.iter().map(|s| s.0).collect::<Vec<_>>()).unwrap_or_default();
            self.run("DELETE FROM op_scratch WHERE sample_id IN (SELECT value FROM json_each(?1))", [list])?;
        }
        // Already so (no curation row reads as every field NULL).
        self.run(
            &format!(
                "DELETE FROM op_scratch WHERE (SELECT c.{col} FROM curation c WHERE c.sample_id = op_scratch.sample_id) IS ?1"
            ),
            [value],
        )?;
        let (j, f, n, x) = ("c.judgment_id", "c.flag", "c.note", "c.excluded");
        let after = match field {
            StateField::Flag => state_json(j, "?5", n, x),
            StateField::Note => state_json(j, f, "?5", x),
            StateField::Excluded => state_json(j, f, n, "?5"),
        };
        let (op, now) = (self.op(), self.now().to_owned());
        self.run(
            &format!(
                "INSERT INTO audit_log (sample_id, curator, action, before, after, created_at, op_id)
                 SELECT s.sample_id, ?1, ?2, {}, {after}, ?3, ?4
                 FROM op_scratch s LEFT JOIN curation c ON c.sample_id = s.sample_id ORDER BY s.sample_id",
                current_json()
            ),
            params![self.curator(), self.action(), now, op, value],
        )?;
        self.run(
            &format!(
                "INSERT INTO curation (sample_id, {col}, updated_at) SELECT sample_id, ?1, ?2 FROM op_scratch WHERE true
                 ON CONFLICT (sample_id) DO UPDATE SET {col} = excluded.{col}, updated_at = excluded.updated_at"
            ),
            params![value, now],
        )?;
        self.run(
            &format!(
                "UPDATE sample_stats SET {} = ?1 WHERE sample_id IN (SELECT sample_id FROM op_scratch)",
                field.stats_column()
            ),
            [value.is_some()],
        )?;
        let changed = self.drain_scratch()?;
        self.note_changed(&changed, field);
        self.skip((ids.len() - changed.len()) as u64);
        Ok((changed, missing))
    }

    /// Restores, for each audit row of operation `rows`, the state it started from where the
    /// sample is still in the state it led to. Returns the samples restored and those left (the
    /// audit row's id with its sample), in id order.
    pub(crate) fn restore_many(
        &mut self,
        rows: crate::model::OpId,
        progress: &mut Progress,
    ) -> Result<(Vec<SampleId>, Vec<LeftAsIs>)> {
        let field = |k: &str| format!("json_extract(a.after, '$.{k}')");
        let before = |k: &str| format!("json_extract(a.before, '$.{k}')");
        let (first, last): (Option<i64>, Option<i64>) = self
            .conn()
            .query_row("SELECT audit_first, audit_last FROM ops WHERE id = ?1", [rows], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        let (first, last) = (first.unwrap_or(1), last.unwrap_or(0));
        self.run("DELETE FROM op_scratch", [])?;
        progress.tick(0).map_err(|_| StoreError::Cancelled)?;
        self.run(
            &format!(
                "INSERT INTO op_scratch (sample_id, state, judgment_id, flag, note, excluded, label_changed)
                 SELECT a.sample_id, a.before, {bj}, {bf}, {bn}, {bx}, {bj} IS NOT {aj}
                 FROM audit_log a LEFT JOIN curation c ON c.sample_id = a.sample_id
                 WHERE a.id BETWEEN ?1 AND ?2
                   AND {aj} IS c.judgment_id AND {af} IS c.flag AND {an} IS c.note AND {ax} IS c.excluded",
                bj = before("judgment_id"),
                bf = before("flag"),
                bn = before("note"),
                bx = before("excluded"),
                aj = field("judgment_id"),
                af = field("flag"),
                an = field("note"),
                ax = field("excluded"),
            ),
            [first, last],
        )?;
        let left: Vec<LeftAsIs> = self
            .conn()
            .prepare_cached(
                "SELECT a.id, a.sample_id FROM audit_log a WHERE a.id BETWEEN ?1 AND ?2
                 AND a.sample_id NOT IN (SELECT sample_id FROM op_scratch) ORDER BY a.id",
            )
            .and_then(|mut s| s.query_map([first, last], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(|e| self.err(e))?;
        progress.tick(1).map_err(|_| StoreError::Cancelled)?;
        let (op, now) = (self.op(), self.now().to_owned());
        self.run(
            &format!(
                "INSERT INTO audit_log (sample_id, curator, action, before, after, created_at, op_id)
                 SELECT s.sample_id, ?1, ?2, {}, s.state, ?3, ?4
                 FROM op_scratch s LEFT JOIN curation c ON c.sample_id = s.sample_id ORDER BY s.sample_id",
                current_json()
            ),
            params![self.curator(), self.action(), now, op],
        )?;
        self.run(
            "INSERT INTO curation (sample_id, judgment_id, flag, note, excluded, updated_at)
             SELECT s.sample_id, s.judgment_id, s.flag, s.note, s.excluded, ?1 FROM op_scratch s WHERE true
             ON CONFLICT (sample_id) DO UPDATE SET judgment_id = excluded.judgment_id, flag = excluded.flag,
                 note = excluded.note, excluded = excluded.excluded, updated_at = excluded.updated_at",
            [&now],
        )?;
        self.run(
            "UPDATE sample_stats SET flagged = s.flag IS NOT NULL, noted = s.note IS NOT NULL,
                 excluded = s.excluded IS NOT NULL
             FROM op_scratch s WHERE sample_stats.sample_id = s.sample_id",
            [],
        )?;
        // The label's facts (summary, sides, kinds) as curation.rs computes them, for the few
        // samples whose label changed.
        let relabeled: Vec<SampleId> = self
            .conn()
            .prepare_cached("SELECT sample_id FROM op_scratch WHERE label_changed ORDER BY sample_id")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        for (i, id) in relabeled.iter().enumerate() {
            if i % 1024 == 0 {
                progress.tick(2 + i as u64).map_err(|_| StoreError::Cancelled)?;
            }
            let state = self.state(*id)?;
            super::stats::update_curation(self.conn(), *id, &state).map_err(|e| self.err(e))?;
        }
        let restored = self.drain_scratch()?;
        self.note_restored(&restored, !relabeled.is_empty());
        self.skip(left.len() as u64);
        Ok((restored, left))
    }
}
