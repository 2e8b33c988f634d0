//! Undo, redo and the history, over the operations in the project file (so they outlive the app
//! and work from the CLI). Each curator has a stack: undo takes their latest edit still done,
//! redo the edit their latest undo undid; a new edit ends what they could redo. An undo restores a
//! sample only where it is still as the edit left it: a sample changed later (by another window,
//! the CLI, another curator) is left as it is and named. When no sample is left to restore, the
//! undo is refused, naming the later changes, and the edit is marked `blocked`: the next undo
//! passes over it to the edit before (undoing it by number tries again, for when the later change
//! has been undone since). Redo is the undo of the undo, under the same rule (a redo with nothing
//! to restore is refused and marks nothing: a new edit ends it).

use super::curation::{CurationState, label_in};
use super::ops::{Actor, Changes, OP_ROW_SQL, OpKind, OpRow, OpSpec, OpTx, op_row};
use super::{Result, Store, StoreError};
use crate::jobs::Progress;
use crate::model::{JudgmentKind, OpId, SampleId};
use rusqlite::{OptionalExtension, params};
use std::fmt::Write as _;

/// A sample an undo or redo left as it was, because a later change is in the way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    /// The sample.
    pub sample: SampleId,
    /// The later change: its operation, who, what and when.
    pub later_op: Option<OpId>,
    /// Who made it.
    pub later_curator: String,
    /// What it was.
    pub later_action: String,
    /// When.
    pub later_at: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sample {} was changed later ({} by {} at {}",
            self.sample, self.later_action, self.later_curator, self.later_at
        )?;
        if let Some(op) = self.later_op {
            write!(f, ", operation #{op}")?;
        }
        f.write_str(")")
    }
}

/// What an undo or redo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undone {
    /// The edit undone or redone (as it was before).
    pub target: OpRow,
    /// What changed.
    pub changes: Changes,
    /// Samples left as they were, the first 20.
    pub conflicts: Vec<Conflict>,
    /// Samples left as they were, in all.
    pub conflicts_total: u64,
}

/// A line of the project's history: an operation and what it did, in words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    /// The operation.
    #[serde(flatten)]
    pub op: OpRow,
    /// What it did, in words.
    pub summary: String,
}

/// A line of one sample's history: what one operation changed on it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SampleChange {
    /// The operation.
    pub op: Option<OpId>,
    /// Who.
    pub curator: String,
    /// The action.
    pub action: String,
    /// When.
    pub at: String,
    /// The state before and after.
    pub before: CurationState,
    /// The state after.
    pub after: CurationState,
    /// What changed, in words: `label from A>B to B>A`, `flagged: wrong label`, ...
    pub changes: Vec<String>,
}

impl HistoryEntry {
    /// The entry of an operation.
    pub fn of(op: OpRow) -> Self {
        Self { summary: op_summary(&op), op }
    }
}

const CONFLICTS_KEPT: usize = 20;

impl Store {
    /// The edit `curator` would undo next, and the one they would redo next.
    pub fn undo_redo_targets(&self, curator: &str) -> Result<(Option<OpRow>, Option<OpRow>)> {
        let undo = self.latest_done(curator)?.map(|id| self.op_row(id)).transpose()?.flatten();
        let redo = self.latest_undone(curator)?.map(|id| self.op_row(id)).transpose()?.flatten();
        Ok((undo, redo))
    }

    fn latest_done(&self, curator: &str) -> Result<Option<OpId>> {
        self.conn
            .query_row(
                "SELECT max(id) FROM ops WHERE curator = ?1 AND kind = 'edit' AND state = 'done'",
                [curator],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    fn latest_undone(&self, curator: &str) -> Result<Option<OpId>> {
        self.conn
            .query_row(
                "SELECT e.id FROM ops u JOIN ops e ON e.id = u.target
                 WHERE u.kind = 'undo' AND u.curator = ?1 AND e.state = 'undone' ORDER BY u.id DESC LIMIT 1",
                [curator],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Undoes an edit: `op`, or else `actor`'s latest edit still done.
    pub fn undo(&mut self, actor: &Actor, op: Option<OpId>) -> Result<Undone> {
        let target = match op {
            Some(id) => self.op_row(id)?.ok_or_else(|| StoreError::NotFound(format!("no operation #{id}")))?,
            None => match self.latest_done(&actor.curator)? {
                Some(id) => self.op_row(id)?.ok_or_else(|| StoreError::NotFound(format!("no operation #{id}")))?,
                None => return Err(StoreError::Refused(self.nothing_to("undo", &actor.curator, "done")?)),
            },
        };
        if target.kind != OpKind::Edit.as_str() {
            return Err(StoreError::Refused(format!(
                "operation #{} is an {}: undo the edit it acted on, or redo it",
                target.id, target.kind
            )));
        }
        match target.state.as_str() {
            // A blocked edit is tried again when named: the later change may be undone by now.
            "done" => {}
            "blocked" if op.is_some() => {}
            "final" => {
                return Err(StoreError::Refused(format!(
                    "operation #{} ({}) cannot be undone",
                    target.id, target.action
                )));
            }
            _ => {
                return Err(StoreError::Refused(format!(
                    "operation #{} ({}) is already undone",
                    target.id, target.action
                )));
            }
        }
        let spec = OpSpec {
            kind: OpKind::Undo,
            action: "undo".into(),
            target: Some(target.id),
            detail: serde_json::json!({"of": target.action}),
            undoable: true,
            // It restores states its audit rows recorded: their samples and judgments exist
            // (audit rows go with their samples).
            checked: false,
        };
        let rows = target.id;
        self.replay(actor, &spec, target, rows, "undone")
    }

    /// Redoes an undone edit: `op`, or else the one `actor`'s latest undo undid.
    pub fn redo(&mut self, actor: &Actor, op: Option<OpId>) -> Result<Undone> {
        let id = match op {
            Some(id) => id,
            None => match self.latest_undone(&actor.curator)? {
                Some(id) => id,
                None => return Err(StoreError::Refused(self.nothing_to("redo", &actor.curator, "undone")?)),
            },
        };
        let target = self.op_row(id)?.ok_or_else(|| StoreError::NotFound(format!("no operation #{id}")))?;
        if target.state != "undone" {
            let why = if target.state == "discarded" { "a later edit ended its redo" } else { "it is not undone" };
            return Err(StoreError::Refused(format!(
                "operation #{} ({}) cannot be redone: {why}",
                target.id, target.action
            )));
        }
        let undo: OpId = self
            .conn
            .query_row("SELECT max(id) FROM ops WHERE kind = 'undo' AND target = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?
            .flatten()
            .ok_or_else(|| StoreError::NotFound(format!("no undo of operation #{id}")))?;
        let spec = OpSpec {
            kind: OpKind::Redo,
            action: "redo".into(),
            target: Some(target.id),
            detail: serde_json::json!({"of": target.action}),
            undoable: true,
            // It restores states its audit rows recorded: their samples and judgments exist
            // (audit rows go with their samples).
            checked: false,
        };
        // Redo is the undo of that undo: its rows led from the edit's results back to what was before.
        self.replay(actor, &spec, target, undo, "done")
    }

    fn nothing_to(&self, what: &str, curator: &str, state: &str) -> Result<String> {
        if what == "undo"
            && let Some((id, action, why)) = self
                .conn
                .query_row(
                    "SELECT id, action, coalesce(json_extract(detail, '$.blocked'), 'changed later') FROM ops
                     WHERE curator = ?1 AND kind = 'edit' AND state = 'blocked' ORDER BY id DESC LIMIT 1",
                    [curator],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
                )
                .optional()
                .map_err(|e| self.err(e))?
        {
            return Ok(format!(
                "nothing to undo by {curator}: #{id} ({}) cannot be undone, {why}; name it to try again",
                action.replace('_', " ")
            ));
        }
        let other: Option<(i64, String, String)> = self
            .conn
            .query_row(
                &format!(
                    "SELECT id, curator, action FROM ops WHERE kind = 'edit' AND state = '{state}' ORDER BY id DESC LIMIT 1"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(match other {
            Some((id, by, action)) => format!(
                "nothing to {what} by {curator}; the latest operation to {what} is #{id} ({action} by {by}): name it to {what} it"
            ),
            None => format!("nothing to {what}"),
        })
    }

    /// Restores, for each audit row of operation `rows`, the state it started from where the sample
    /// is still in the state it led to; marks the edit `target` as `new_state`. An undo that can
    /// restore nothing marks it `blocked` instead (committed, though refused).
    fn replay(&mut self, actor: &Actor, spec: &OpSpec, target: OpRow, rows: OpId, new_state: &str) -> Result<Undone> {
        let mut conflicts = Vec::new();
        let mut total = 0u64;
        let undo = spec.kind == OpKind::Undo;
        let ((), changes) = self.transact(actor, spec, |tx| {
            let (restored, left) = tx.restore_many(rows, &mut Progress::silent())?;
            total = left.len() as u64;
            for (audit_id, sample) in left.into_iter().take(CONFLICTS_KEPT) {
                conflicts.push(later_change(tx, sample, audit_id)?);
            }
            if !restored.is_empty() {
                tx.set_op_state(target.id, new_state, None)?;
            } else if undo {
                // Nothing of it can come back: passed over from now on, so that the next undo
                // reaches the edit before it (a refusal that stays `done` would be met by every
                // undo after it).
                tx.set_op_state(target.id, "blocked", Some(&blocked_by(&conflicts, total)))?;
            }
            Ok(())
        })?;
        if changes.is_empty() {
            let verb = if undo { "undo" } else { "redo" };
            let mut msg = format!("cannot {verb} operation #{} ({}): ", target.id, target.action.replace('_', " "));
            if conflicts.is_empty() {
                msg.push_str(if undo { "none of its samples is left" } else { "it changed nothing" });
            } else {
                let named: Vec<String> = conflicts.iter().take(3).map(ToString::to_string).collect();
                msg.push_str(&named.join("; "));
                if total > 3 {
                    let _ = write!(msg, "; and {} more", total - 3);
                }
            }
            if undo {
                let _ = write!(
                    msg,
                    ". It is passed over: the next undo takes the edit before it; undo #{} by number to try again",
                    target.id
                );
            }
            return Err(StoreError::Refused(msg));
        }
        Ok(Undone { target, changes, conflicts, conflicts_total: total })
    }

    /// The project's operations, newest first, `limit` of them.
    pub fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>> {
        let sql = OP_ROW_SQL.replace("WHERE id = ?1", "ORDER BY id DESC LIMIT ?1");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let ops = stmt
            .query_map([limit as i64], op_row)
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(|e| self.err(e))?;
        Ok(ops.into_iter().map(HistoryEntry::of).collect())
    }

    /// What happened to one sample, oldest first, in words.
    pub fn sample_history(&self, sample: SampleId) -> Result<Vec<SampleChange>> {
        let log = self.audit_log(sample)?;
        let mut out = Vec::with_capacity(log.len());
        for e in log {
            let changes = describe(&self.conn, sample, &e.before, &e.after).map_err(|err| self.err(err))?;
            out.push(SampleChange {
                op: e.op,
                curator: e.curator,
                action: e.action,
                at: e.at,
                before: e.before,
                after: e.after,
                changes,
            });
        }
        Ok(out)
    }
}

/// What keeps an edit from being undone, in words: `changed later by bob (tie, operation #25)`.
fn blocked_by(conflicts: &[Conflict], total: u64) -> String {
    let mut who: Vec<&str> = Vec::new();
    for c in conflicts {
        if !who.contains(&c.later_curator.as_str()) {
            who.push(&c.later_curator);
        }
    }
    match conflicts {
        [] => "none of its samples is left".into(),
        [c] if total == 1 => {
            let op = c.later_op.map(|op| format!(", operation #{op}")).unwrap_or_default();
            format!("changed later by {} ({}{op})", c.later_curator, c.later_action.replace('_', " "))
        }
        _ => format!("{} samples changed later by {}", thousands(total), who.join(", ")),
    }
}

impl Undone {
    /// What the undo (or redo) did, in words, naming its samples: `Undid pick B on sample 24`,
    /// `Redid exclude (duplicate) on 1,204 samples`; and the samples a later change kept as they
    /// are, with that change.
    pub fn describe(&self, redo: bool) -> String {
        let mut s = self.headline(redo);
        match (&self.conflicts[..], self.conflicts_total) {
            (_, 0) => {}
            ([c], 1) => {
                let _ = write!(s, "; left as it is: {c}");
            }
            (cs, n) => {
                let named: Vec<String> = cs.iter().take(3).map(ToString::to_string).collect();
                let _ = write!(s, "; {} samples left as they are, changed later: {}", thousands(n), named.join("; "));
                if n > 3 {
                    let _ = write!(s, "; and {} more", thousands(n - 3));
                }
            }
        }
        s
    }

    /// What it did and on which samples: `Undid pick B on sample 24`, `Redid exclude (duplicate)
    /// on 1,204 samples`.
    pub fn headline(&self, redo: bool) -> String {
        let verb = if redo { "Redid" } else { "Undid" };
        format!("{verb} {} on {}", action_words(&self.target), samples_words(&self.changes.samples))
    }
}

/// An edit's action in words, with its reason: `pick B`, `exclude (duplicate)`.
fn action_words(op: &OpRow) -> String {
    let mut s = match op.action.strip_prefix("pick_") {
        Some(letter) => format!("pick {}", letter.to_uppercase()),
        None => op.action.replace('_', " "),
    };
    if let Some(r) = op.detail.get("reason").and_then(|v| v.as_str()).filter(|r| !r.is_empty()) {
        let _ = write!(s, " ({r})");
    }
    s
}

/// `sample 24`, `samples 3, 4 and 7`, `1,204 samples`.
fn samples_words(samples: &[SampleId]) -> String {
    match samples {
        [] => "no sample".into(),
        [one] => format!("sample {one}"),
        few if few.len() <= 5 => {
            let mut ids: Vec<String> = few.iter().map(ToString::to_string).collect();
            let last = ids.pop().unwrap_or_default();
            format!("samples {} and {last}", ids.join(", "))
        }
        many => format!("{} samples", thousands(many.len() as u64)),
    }
}

/// Thousands separated: 1,204.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn later_change(tx: &OpTx<'_>, sample: SampleId, after_audit: i64) -> Result<Conflict> {
    let later = tx
        .conn()
        .query_row(
            "SELECT op_id, curator, action, created_at FROM audit_log WHERE sample_id = ?1 AND id > ?2
             ORDER BY id DESC LIMIT 1",
            params![sample, after_audit],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(|e| tx.err(e))?;
    let (later_op, later_curator, later_action, later_at) =
        later.unwrap_or((None, "another connection".into(), "a change".into(), String::new()));
    Ok(Conflict { sample, later_op, later_curator, later_action, later_at })
}

/// An operation in words: `exclude (duplicate): 1204 samples, 3 left as they were`.
fn op_summary(op: &OpRow) -> String {
    let detail = |k: &str| op.detail.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    let mut s = match op.kind.as_str() {
        "undo" => format!("undo of #{}", op.target.map_or(0, |t| t.0)),
        "redo" => format!("redo of #{}", op.target.map_or(0, |t| t.0)),
        _ => op.action.replace('_', " "),
    };
    if let Some(of) = detail("of") {
        let _ = write!(s, " ({})", of.replace('_', " "));
    }
    if let Some(r) = detail("reason") {
        let _ = write!(s, " ({r})");
    }
    if let Some(n) = detail("note") {
        let _ = write!(s, ": \"{n}\"");
    }
    // Dataset operations name the dataset, not samples (their samples are gone or untouched).
    match op.action.as_str() {
        "remove_dataset" => {
            let _ = write!(s, " {} ({})", op.detail["dataset"], detail("name").unwrap_or("?"));
            s.push_str(" [final]");
            return s;
        }
        "relink_media" => {
            let _ = write!(
                s,
                " of dataset {} to {}: {} of {} found [final]",
                op.detail["dataset"],
                detail("media_root").unwrap_or("?"),
                op.detail["found"],
                op.detail["media"]
            );
            return s;
        }
        _ => {}
    }
    let _ = write!(s, ": {} sample{}", op.samples, if op.samples == 1 { "" } else { "s" });
    if op.skipped > 0 {
        let _ = write!(s, ", {} left as they were", op.skipped);
    }
    if let Some(q) = detail("query") {
        let _ = write!(s, ", where {q}");
    }
    match op.state.as_str() {
        "undone" => s.push_str(" [undone]"),
        "discarded" => s.push_str(" [undone, no redo]"),
        "blocked" => {
            let _ = write!(s, " [cannot be undone: {}]", detail("blocked").unwrap_or("changed later"));
        }
        _ => {}
    }
    s
}

/// The label a state gives, in short: `A>B`, `C>A>B`, `tie A=B`, `both bad A,B`, `ratings`.
pub(crate) fn label_words(
    conn: &rusqlite::Connection,
    sample: SampleId,
    judgment: Option<i64>,
) -> rusqlite::Result<String> {
    use super::curate::position_letter as l;
    let Some(label) = label_in(conn, sample, judgment)? else { return Ok("none".into()) };
    Ok(match (label.kind, label.chosen, label.rejected) {
        (JudgmentKind::Ranking, ..) if !label.ranking.is_empty() => {
            label.ranking.iter().map(|p| l(*p)).collect::<Vec<_>>().join(">")
        }
        (JudgmentKind::Tie, Some(c), Some(r)) => format!("tie {}={}", l(c), l(r)),
        (JudgmentKind::BothBad, Some(c), Some(r)) => format!("both bad {},{}", l(c), l(r)),
        (JudgmentKind::Pairwise | JudgmentKind::Correction, Some(c), Some(r)) => format!("{}>{}", l(c), l(r)),
        (kind, ..) => kind.as_str().replace('_', " "),
    })
}

/// What changed between two states, in words.
fn describe(
    conn: &rusqlite::Connection,
    sample: SampleId,
    before: &CurationState,
    after: &CurationState,
) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    if before.judgment_id != after.judgment_id {
        let from = label_words(conn, sample, before.judgment_id)?;
        let to = label_words(conn, sample, after.judgment_id)?;
        let whose = if after.judgment_id.is_none() { " (the original)" } else { "" };
        out.push(format!("label from {from} to {to}{whose}"));
    }
    let text = |label: &str, b: &Option<String>, a: &Option<String>, out: &mut Vec<String>| match (b, a) {
        (_, Some(a)) if b.as_ref() != Some(a) => out.push(format!("{label}: {a}")),
        (Some(_), None) => out.push(format!("{label} removed")),
        _ => {}
    };
    text("flagged", &before.flag, &after.flag, &mut out);
    text("note", &before.note, &after.note, &mut out);
    text("excluded", &before.excluded, &after.excluded, &mut out);
    Ok(out)
}
