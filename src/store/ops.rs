//! The one write path: every change a user makes to a project is an operation, run by
//! [`Store::transact`]. It opens the write transaction (`BEGIN IMMEDIATE`, so what the operation
//! reads cannot change under it), records the operation in `ops` (one row: one undo step, whether
//! it touched one sample or a million), lets the caller change samples through [`OpTx`] (each
//! change writes the curation row, the list facts and an audit row with the state before and
//! after), and returns what changed ([`Changes`]) so front ends refresh from that. An operation
//! that changes nothing leaves no trace. Undo and redo (`undo.rs`) are operations too.
//!
//! Learned from anki's `rslib` (`collection/transact.rs`, `ops.rs`): one entry point, undo data
//! recorded by the same code that makes the change, and a summary of changes for the UI.

use super::curation::CurationState;
use super::{NOW_SQL, Result, Store, StoreError};
use crate::model::{JudgmentSource, OpId, SampleId};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

/// Who makes a change, and from which front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The curator's name (the app asks once; the CLI takes `--curator`, else `$VERDICT_CURATOR`, else the user).
    pub curator: String,
    /// Where the change comes from: `app`, `cli`, `test`, ...
    pub origin: &'static str,
}

impl Actor {
    /// `curator` acting from `origin`.
    pub fn new(curator: impl Into<String>, origin: &'static str) -> Self {
        Self { curator: curator.into(), origin }
    }
}

/// What kinds of state an operation changed (a bit set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeKinds(u8);

impl ChangeKinds {
    /// The label in force (a curator judgment set or cleared).
    pub const LABEL: Self = Self(1);
    /// A flag set or cleared.
    pub const FLAG: Self = Self(2);
    /// A note written or cleared.
    pub const NOTE: Self = Self(4);
    /// An exclusion mark set or cleared.
    pub const EXCLUSION: Self = Self(8);
    /// Datasets added, removed or relinked (the whole list may change).
    pub const DATASETS: Self = Self(16);
    /// Model judgments added (a scoring model's scores; the label in force stays).
    pub const JUDGMENTS: Self = Self(32);

    /// Whether any of `other`'s kinds are in this set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether nothing changed.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds that differ between two states.
    pub fn between(before: &CurationState, after: &CurationState) -> Self {
        let mut k = Self::default();
        if before.judgment_id != after.judgment_id {
            k |= Self::LABEL;
        }
        if before.flag != after.flag {
            k |= Self::FLAG;
        }
        if before.note != after.note {
            k |= Self::NOTE;
        }
        if before.excluded != after.excluded {
            k |= Self::EXCLUSION;
        }
        k
    }
}

impl std::ops::BitOr for ChangeKinds {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for ChangeKinds {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

/// What an operation changed: front ends refresh from this instead of by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The operation (one undo step); `None` when nothing changed and nothing was recorded.
    pub op: Option<OpId>,
    /// The samples whose curation state changed, in the order they were changed.
    pub samples: Vec<SampleId>,
    /// The kinds of state that changed.
    pub kinds: ChangeKinds,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty() && self.kinds.is_empty()
    }
}

/// What kind of operation a row of `ops` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// A change a user made.
    Edit,
    /// The undo of an edit.
    Undo,
    /// The redo of an undone edit.
    Redo,
}

impl OpKind {
    /// Its name in `ops.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Edit => "edit",
            OpKind::Undo => "undo",
            OpKind::Redo => "redo",
        }
    }
}

/// An operation about to run.
#[derive(Debug, Clone)]
pub struct OpSpec {
    /// Edit, undo or redo.
    pub kind: OpKind,
    /// Its action name (`swap`, `exclude`, `remove_dataset`, `undo`, ...).
    pub action: String,
    /// For undo and redo: the edit.
    pub target: Option<OpId>,
    /// Facts about it worth keeping (the reason, the note, the query it ran over), as JSON.
    pub detail: serde_json::Value,
    /// Whether it can be undone (a removed dataset cannot).
    pub undoable: bool,
    /// Whether SQLite checks its writes' foreign keys (and runs their cascades). Set-based
    /// operations over many samples turn this off: they check their samples against
    /// `sample_stats` once (a narrow table) instead of SQLite looking each audit and curation row's
    /// sample up in `samples` (the wide one; a third of a 1M bulk action's time), and they only
    /// write rows that name samples and judgments that exist. Never off for an operation that
    /// deletes.
    pub checked: bool,
}

impl OpSpec {
    /// An undoable edit named `action`.
    pub fn edit(action: impl Into<String>, detail: serde_json::Value) -> Self {
        Self { kind: OpKind::Edit, action: action.into(), target: None, detail, undoable: true, checked: true }
    }
}

/// The transaction an operation runs in, with what it has changed so far.
pub struct OpTx<'a> {
    tx: Transaction<'a>,
    op: OpId,
    action: String,
    curator: String,
    now: String,
    changes: Changes,
    skipped: u64,
    /// An edit's state was set (undo, redo): committed even when no sample changed.
    marked: bool,
    path: std::path::PathBuf,
}

impl OpTx<'_> {
    /// The connection, for reads inside the transaction (and writes of rows that are not
    /// curation state, such as a curator judgment: see [`OpTx::insert_judgment`]).
    pub fn conn(&self) -> &rusqlite::Connection {
        &self.tx
    }

    /// This operation's id.
    pub fn op(&self) -> OpId {
        self.op
    }

    /// Who acts.
    pub fn curator(&self) -> &str {
        &self.curator
    }

    /// The operation's action name (what its audit rows say).
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The operation's time (ISO-8601 UTC), written on everything it writes.
    pub fn now(&self) -> &str {
        &self.now
    }

    /// Records samples a set-based statement changed.
    pub(crate) fn note_changed(&mut self, samples: &[SampleId], field: super::bulk_state::StateField) {
        use super::bulk_state::StateField;
        self.changes.samples.extend_from_slice(samples);
        if !samples.is_empty() {
            self.changes.kinds |= match field {
                StateField::Flag => ChangeKinds::FLAG,
                StateField::Note => ChangeKinds::NOTE,
                StateField::Excluded => ChangeKinds::EXCLUSION,
            };
        }
    }

    /// Records samples a restore changed (any of their state, the label when `labels`).
    pub(crate) fn note_restored(&mut self, samples: &[SampleId], labels: bool) {
        self.changes.samples.extend_from_slice(samples);
        if !samples.is_empty() {
            self.changes.kinds |= ChangeKinds::FLAG | ChangeKinds::NOTE | ChangeKinds::EXCLUSION;
        }
        if labels {
            self.changes.kinds |= ChangeKinds::LABEL;
        }
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// A sample's curation state now.
    pub fn state(&self, sample: SampleId) -> Result<CurationState> {
        super::curation::state_in(&self.tx, sample).map_err(|e| self.err(e))
    }

    /// Sets a sample's curation state from `before` (what it is now) to `after`, with the
    /// audit row undo reads. Nothing is written when they are equal.
    pub fn set_state(&mut self, sample: SampleId, before: &CurationState, after: &CurationState) -> Result<bool> {
        let kinds = ChangeKinds::between(before, after);
        if kinds.is_empty() {
            return Ok(false);
        }
        super::curation::write_state(&self.tx, self.op, &self.now, sample, &self.curator, &self.action, before, after)
            .map_err(|e| self.err(e))?;
        self.changes.samples.push(sample);
        self.changes.kinds |= kinds;
        Ok(true)
    }

    /// Counts samples the operation left as they were (nothing to do for them, or changed later).
    pub fn skip(&mut self, n: u64) {
        self.skipped += n;
    }

    /// Sets the state of the edit `target` (`done`, `undone`, `blocked`), with what keeps it
    /// `blocked` (`detail.blocked`, removed in any other state). Committed with the operation; or,
    /// when the operation changes no sample (an undo that can restore nothing), committed alone,
    /// the operation's own row left out: it is not an undo step.
    pub(crate) fn set_op_state(&mut self, target: OpId, state: &str, blocked: Option<&str>) -> Result<()> {
        self.tx
            .execute(
                "UPDATE ops SET state = ?2, detail = CASE WHEN ?3 IS NOT NULL THEN json_set(detail, '$.blocked', ?3)
                     WHEN state = 'blocked' THEN json_remove(detail, '$.blocked') ELSE detail END
                 WHERE id = ?1",
                params![target, state, blocked],
            )
            .map_err(|e| self.err(e))?;
        self.marked = true;
        Ok(())
    }

    /// Records a change that is not a sample's curation state (datasets added or removed).
    pub fn changed(&mut self, kinds: ChangeKinds) {
        self.changes.kinds |= kinds;
    }

    /// Adds a curator judgment (never changed afterwards: a trigger refuses updates) and returns its id.
    pub fn insert_judgment(&mut self, sample: SampleId, new: &super::curation::NewJudgment<'_>) -> Result<i64> {
        super::curation::insert_judgment(&self.tx, sample, JudgmentSource::Curator, &self.curator, &self.now, new)
            .map_err(|e| self.err(e))
    }

    /// Adds a model judgment, its author the acting scorer's name, and returns its id. It changes
    /// no curation state: the label in force never is a model's (`store::in_force`), and a trigger
    /// refuses updates of it. The sample counts as changed, so front ends show it.
    pub fn insert_model_judgment(&mut self, sample: SampleId, new: &super::curation::NewJudgment<'_>) -> Result<i64> {
        let id =
            super::curation::insert_judgment(&self.tx, sample, JudgmentSource::Model, &self.curator, &self.now, new)
                .map_err(|e| self.err(e))?;
        self.changes.samples.push(sample);
        self.changes.kinds |= ChangeKinds::JUDGMENTS;
        Ok(id)
    }
}

impl Store {
    /// Runs one operation: `f` makes its changes through the [`OpTx`]; on `Ok` they are committed
    /// together with the operation's row, on `Err` (a cancelled bulk action included) nothing
    /// stays. An operation that changed nothing is not recorded (`Changes::op` is `None`).
    pub fn transact<T>(
        &mut self,
        actor: &Actor,
        spec: &OpSpec,
        f: impl FnOnce(&mut OpTx<'_>) -> Result<T>,
    ) -> Result<(T, Changes)> {
        if spec.checked {
            return self.transact_in(actor, spec, f);
        }
        // Only takes effect outside a transaction: off for this one, on again whatever happens.
        self.conn.pragma_update(None, "foreign_keys", "OFF").map_err(|e| self.err(e))?;
        let result = self.transact_in(actor, spec, f);
        let restored = self.conn.pragma_update(None, "foreign_keys", "ON").map_err(|e| self.err(e));
        let value = result?;
        restored?;
        Ok(value)
    }

    fn transact_in<T>(
        &mut self,
        actor: &Actor,
        spec: &OpSpec,
        f: impl FnOnce(&mut OpTx<'_>) -> Result<T>,
    ) -> Result<(T, Changes)> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(&wrap)?;
        let now: String = tx.query_row(&format!("SELECT {NOW_SQL}"), [], |r| r.get(0)).map_err(&wrap)?;
        tx.execute(
            "INSERT INTO ops (kind, action, target, curator, origin, detail, state, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                spec.kind.as_str(),
                spec.action,
                spec.target,
                actor.curator,
                actor.origin,
                spec.detail.to_string(),
                if spec.undoable { "done" } else { "final" },
                now,
            ],
        )
        .map_err(&wrap)?;
        let op = OpId(tx.last_insert_rowid());
        let audit_start: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) FROM audit_log", [], |r| r.get(0)).map_err(&wrap)?;
        let mut otx = OpTx {
            tx,
            op,
            action: spec.action.clone(),
            curator: actor.curator.clone(),
            now,
            changes: Changes::default(),
            skipped: 0,
            marked: false,
            path: self.path.clone(),
        };
        let value = f(&mut otx)?;
        let OpTx { tx, mut changes, skipped, marked, .. } = otx;
        if changes.is_empty() {
            if marked {
                // Only an edit's state changed: that stays, without a row for this operation.
                tx.execute("DELETE FROM ops WHERE id = ?1", [op]).map_err(&wrap)?;
                tx.commit().map_err(&wrap)?;
            } else {
                tx.rollback().map_err(&wrap)?;
            }
            return Ok((value, changes));
        }
        tx.execute(
            "UPDATE ops SET samples = ?2, skipped = ?3, audit_first = ?4 + 1,
                 audit_last = (SELECT coalesce(max(id), ?4) FROM audit_log) WHERE id = ?1",
            params![op, changes.samples.len() as i64, skipped as i64, audit_start],
        )
        .map_err(&wrap)?;
        if spec.kind == OpKind::Edit {
            // A new edit ends what this curator could redo, as in any editor.
            tx.execute(
                "UPDATE ops SET state = 'discarded' WHERE curator = ?1 AND kind = 'edit' AND state = 'undone'",
                [&actor.curator],
            )
            .map_err(&wrap)?;
        }
        tx.commit().map_err(&wrap)?;
        changes.op = Some(op);
        Ok((value, changes))
    }

    /// The newest operation's id (0 when there is none): a front end compares it with the last it
    /// saw to learn that another connection changed the project.
    pub fn latest_op(&self) -> Result<OpId> {
        self.conn.query_row("SELECT coalesce(max(id), 0) FROM ops", [], |r| r.get(0)).map(OpId).map_err(|e| self.err(e))
    }

    /// SQLite's data version of this connection: it changes when another connection commits.
    pub fn data_version(&self) -> Result<i64> {
        self.conn.pragma_query_value(None, "data_version", |r| r.get(0)).map_err(|e| self.err(e))
    }

    /// The samples that operations after `since` changed, at most `limit` of them (`None`: more).
    pub fn changed_since(&self, since: OpId, limit: usize) -> Result<Option<Vec<SampleId>>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT sample_id FROM audit_log
                 WHERE id > (SELECT coalesce(max(audit_last), 0) FROM ops WHERE id <= ?1) LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let ids = stmt
            .query_map(params![since, limit as i64 + 1], |r| r.get::<_, SampleId>(0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(|e| self.err(e))?;
        Ok((ids.len() <= limit).then_some(ids))
    }

    /// One operation's row.
    pub(crate) fn op_row(&self, id: OpId) -> Result<Option<OpRow>> {
        self.conn.query_row(OP_ROW_SQL, [id], op_row).optional().map_err(|e| self.err(e))
    }
}

/// The columns [`op_row`] reads, in its order.
pub(crate) const OP_ROW_SQL: &str = "SELECT id, kind, action, target, curator, origin, detail, samples, skipped, state, created_at FROM ops WHERE id = ?1";

/// A row of `ops`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OpRow {
    /// Its id.
    pub id: OpId,
    /// `edit`, `undo` or `redo`.
    pub kind: String,
    /// The action.
    pub action: String,
    /// For undo and redo: the edit.
    pub target: Option<OpId>,
    /// Who.
    pub curator: String,
    /// From where (`app`, `cli`).
    pub origin: String,
    /// The reason, note, query, ... as JSON.
    pub detail: serde_json::Value,
    /// Samples it changed.
    pub samples: u64,
    /// Samples it left as they were.
    pub skipped: u64,
    /// For edits: `done`, `undone`, `discarded` (undone, no redo any more), `blocked` (an undo
    /// could restore none of its samples: passed over by undo, `detail.blocked` says why) or
    /// `final` (no undo).
    pub state: String,
    /// When (ISO-8601 UTC).
    pub at: String,
}

/// Maps a row of [`OP_ROW_SQL`]'s columns.
pub(crate) fn op_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OpRow> {
    Ok(OpRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        action: r.get(2)?,
        target: r.get(3)?,
        curator: r.get(4)?,
        origin: r.get(5)?,
        detail: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or(serde_json::Value::Null),
        samples: r.get::<_, i64>(7)? as u64,
        skipped: r.get::<_, i64>(8)? as u64,
        state: r.get(9)?,
        at: r.get(10)?,
    })
}
