//! Curators' actions on one sample or many: pick, swap, tie, both bad, rank, rate, flag, note,
//! exclude. Each call is one operation (one undo step) through [`Store::transact`], whatever the
//! number of samples; a sample the action cannot apply to (nothing to swap, one candidate) is left
//! as it is and counted with the reason.

use super::bulk_state::StateField;
use super::curation::{CurationState, Label, NewJudgment, NewRating, label_in};
use super::ops::{Actor, Changes, OpSpec, OpTx};
use super::{Result, Store, StoreError};
use crate::jobs::Progress;
use crate::model::{JudgmentKind, SampleId, canonical_exclusion, canonical_flag};
use rusqlite::OptionalExtension;

/// Where a ranking move takes a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankMove {
    /// One place better.
    Up,
    /// One place worse.
    Down,
    /// First.
    Best,
    /// Last.
    Worst,
}

/// What a curator does to a sample.
#[derive(Debug, Clone, PartialEq)]
pub enum CurationAction {
    /// This candidate (position) is the best: with two candidates it is preferred over the other;
    /// with more, it takes the chosen place of the pair in force (or the top of the ranking).
    Pick(u32),
    /// The current preference, reversed.
    Swap,
    /// The compared pair is equally good.
    Tie,
    /// Neither of the compared pair is acceptable.
    BothBad,
    /// Moves a candidate in the ranking in force (or the order shown: chosen first, rejected last).
    Move(u32, RankMove),
    /// A whole ranking, best first.
    Rank(Vec<u32>),
    /// Corrects one rating: the candidate (`None`: the whole sample), the aspect, the new value.
    Rate {
        /// The rated candidate.
        response: Option<u32>,
        /// The aspect (`Helpfulness`, `overall`, ...).
        aspect: String,
        /// The new value.
        value: f64,
    },
    /// Flag the sample ("look again"), with a reason.
    Flag(String),
    /// Remove the flag.
    Unflag,
    /// Set (or, with empty text, clear) the curator's note.
    Note(String),
    /// Mark the sample excluded from the cleaned set, with a reason.
    Exclude(String),
    /// Remove the exclusion mark.
    Include,
}

impl CurationAction {
    /// Its name in the audit log and the history.
    pub fn name(&self) -> String {
        match self {
            CurationAction::Pick(p) => format!("pick_{}", position_letter(*p).to_ascii_lowercase()),
            CurationAction::Swap => "swap".into(),
            CurationAction::Tie => "tie".into(),
            CurationAction::BothBad => "both_bad".into(),
            CurationAction::Move(_, m) => {
                format!(
                    "move_{}",
                    match m {
                        RankMove::Up => "up",
                        RankMove::Down => "down",
                        RankMove::Best => "best",
                        RankMove::Worst => "worst",
                    }
                )
            }
            CurationAction::Rank(_) => "rank".into(),
            CurationAction::Rate { .. } => "rate".into(),
            CurationAction::Flag(_) => "flag".into(),
            CurationAction::Unflag => "unflag".into(),
            CurationAction::Note(_) => "note".into(),
            CurationAction::Exclude(_) => "exclude".into(),
            CurationAction::Include => "include".into(),
        }
    }

    /// What it says beyond its name (reason, note, ranking), for the operation's record.
    fn detail(&self) -> serde_json::Value {
        match self {
            CurationAction::Flag(r) => serde_json::json!({"reason": canonical_flag(r)}),
            CurationAction::Exclude(r) => serde_json::json!({"reason": canonical_exclusion(r)}),
            CurationAction::Note(t) => serde_json::json!({"note": t.trim()}),
            CurationAction::Pick(p) => serde_json::json!({"candidate": p}),
            CurationAction::Move(p, m) => serde_json::json!({"candidate": p, "to": m}),
            CurationAction::Rank(r) => serde_json::json!({"ranking": r}),
            CurationAction::Rate { response, aspect, value } => {
                serde_json::json!({"candidate": response, "aspect": aspect, "value": value})
            }
            _ => serde_json::json!({}),
        }
    }

    fn changes_label(&self) -> bool {
        !matches!(
            self,
            CurationAction::Flag(_)
                | CurationAction::Unflag
                | CurationAction::Note(_)
                | CurationAction::Exclude(_)
                | CurationAction::Include
        )
    }
}

/// A candidate's letter as curators see it: A for position 0, ..., Z, then `#27`.
pub fn position_letter(p: u32) -> String {
    if p < 26 { char::from(b'A' + p as u8).to_string() } else { format!("#{}", p + 1) }
}

/// What a curation call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Curated {
    /// What changed (and the operation, when anything did).
    pub changes: Changes,
    /// Samples left as they were, by reason, with up to 5 example ids each.
    pub skipped: Vec<Skipped>,
}

/// Samples an action left as they were, for one reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Why (`already so`, `nothing to swap`, ...).
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The first few.
    pub examples: Vec<SampleId>,
}

impl Curated {
    /// Samples left as they were, in all.
    pub fn skipped_count(&self) -> u64 {
        self.skipped.iter().map(|s| s.count).sum()
    }

    fn skip(&mut self, sample: SampleId, reason: String) {
        match self.skipped.iter_mut().find(|s| s.reason == reason) {
            Some(s) => {
                s.count += 1;
                if s.examples.len() < 5 {
                    s.examples.push(sample);
                }
            }
            None => self.skipped.push(Skipped { reason, count: 1, examples: vec![sample] }),
        }
    }
}

impl Store {
    /// Applies `action` to one sample as one operation. An action that cannot apply to it
    /// (nothing to swap, no such candidate) is an error saying why; one that changes nothing
    /// (already so) returns empty changes.
    pub fn apply(&mut self, actor: &Actor, sample: SampleId, action: &CurationAction) -> Result<Changes> {
        let exists: Option<i64> = self
            .conn
            .query_row("SELECT 1 FROM samples WHERE id = ?1", [sample], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("no sample with id {sample}")));
        }
        let done = self.curate(actor, &[sample], action, None, &mut Progress::silent())?;
        match done.skipped.first() {
            Some(s) if s.reason != ALREADY => Err(StoreError::Refused(format!("sample {sample}: {}", s.reason))),
            _ => Ok(done.changes),
        }
    }

    /// Applies `action` to every sample of `ids` as one operation (one undo step). `query` is
    /// recorded with it (the filter that chose the samples). Progress counts samples; a cancel
    /// leaves nothing changed.
    pub fn curate(
        &mut self,
        actor: &Actor,
        ids: &[SampleId],
        action: &CurationAction,
        query: Option<&str>,
        progress: &mut Progress,
    ) -> Result<Curated> {
        let mut detail = action.detail();
        if let (Some(q), Some(obj)) = (query, detail.as_object_mut()) {
            obj.insert("query".into(), q.into());
        }
        let mut spec = OpSpec::edit(action.name(), detail);
        progress.phase("applying", "samples", Some(ids.len() as u64), 0);
        let mut out = Curated::default();
        if let Some((field, value)) = state_only(action) {
            // Flags, notes and exclusions: a few set-based statements, whatever the number of
            // samples, which check their samples themselves.
            spec.checked = false;
            let ((changed, missing), changes) =
                self.transact(actor, &spec, |tx| tx.set_field_many(ids, field, value.as_deref(), progress))?;
            progress.finish(ids.len() as u64);
            let mut changed = changed.into_iter().peekable();
            let mut missing = missing.into_iter().peekable();
            let mut sorted = ids.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            for id in sorted {
                while changed.next_if(|c| *c < id).is_some() {}
                while missing.next_if(|c| *c < id).is_some() {}
                if missing.next_if_eq(&id).is_some() {
                    out.skip(id, "there is no such sample".into());
                } else if changed.next_if_eq(&id).is_none() {
                    out.skip(id, ALREADY.into());
                }
            }
            out.changes = changes;
            return Ok(out);
        }
        let ((), changes) = self.transact(actor, &spec, |tx| {
            for (i, &sample) in ids.iter().enumerate() {
                if i % 1024 == 0 {
                    progress.tick(i as u64).map_err(|_| StoreError::Cancelled)?;
                }
                let before = tx.state(sample)?;
                match next_state(tx, sample, &before, action)? {
                    Ok(after) => {
                        if !tx.set_state(sample, &before, &after)? {
                            tx.skip(1);
                            out.skip(sample, ALREADY.into());
                        }
                    }
                    Err(reason) => {
                        tx.skip(1);
                        out.skip(sample, reason);
                    }
                }
            }
            progress.finish(ids.len() as u64);
            Ok(())
        })?;
        out.changes = changes;
        Ok(out)
    }
}

/// The state field an action sets and its value, for actions that change no label. Reasons are
/// stored in their one spelling (`model::canonical_reason`), whichever front end typed them.
fn state_only(action: &CurationAction) -> Option<(StateField, Option<String>)> {
    let text = |t: String, default: &str| Some(t).filter(|t| !t.is_empty()).or(Some(default.into()));
    Some(match action {
        CurationAction::Flag(r) => (StateField::Flag, text(canonical_flag(r), "flagged")),
        CurationAction::Unflag => (StateField::Flag, None),
        CurationAction::Note(t) => (StateField::Note, Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
        CurationAction::Exclude(r) => (StateField::Excluded, text(canonical_exclusion(r), "excluded")),
        CurationAction::Include => (StateField::Excluded, None),
        _ => return None,
    })
}

/// The reason a sample already in the asked state is skipped.
pub const ALREADY: &str = "already so";

/// The state `action` leads to from `before`, or why it does not apply.
fn next_state(
    tx: &mut OpTx<'_>,
    sample: SampleId,
    before: &CurationState,
    action: &CurationAction,
) -> Result<Result<CurationState, String>> {
    let mut after = before.clone();
    match action {
        state if state_only(state).is_some() => return Ok(Err("not a label".into())),
        label_action => {
            debug_assert!(label_action.changes_label());
            let n: i64 = tx
                .conn()
                .prepare_cached("SELECT count(*) FROM responses WHERE sample_id = ?1")
                .and_then(|mut s| s.query_row([sample], |r| r.get(0)))
                .map_err(|e| tx.err(e))?;
            let current = label_in(tx.conn(), sample, before.judgment_id).map_err(|e| tx.err(e))?;
            let new = match relabel(tx, sample, n as u32, current.as_ref(), label_action)? {
                Ok(new) => new,
                Err(reason) => return Ok(Err(reason)),
            };
            // A curator's label that already says so is not a change; the same as the source's
            // label is: the curator confirms it (and it counts as reviewed).
            if before.judgment_id.is_some() && current.as_ref().is_some_and(|c| same_label(c, &new)) {
                return Ok(Err(ALREADY.into()));
            }
            let id = tx.insert_judgment(
                sample,
                &NewJudgment {
                    kind: new.kind,
                    label: &new.label,
                    chosen: new.chosen,
                    rejected: new.rejected,
                    ranking: new.ranking.as_deref(),
                    ratings: &new.ratings,
                },
            )?;
            after.judgment_id = Some(id);
        }
    }
    Ok(Ok(after))
}

/// A label about to be recorded.
struct Relabel {
    kind: JudgmentKind,
    label: String,
    chosen: Option<u32>,
    rejected: Option<u32>,
    ranking: Option<Vec<u32>>,
    ratings: Vec<NewRating>,
}

impl Relabel {
    fn pair(kind: JudgmentKind, chosen: u32, rejected: u32) -> Self {
        Self {
            kind,
            label: "overall".into(),
            chosen: Some(chosen),
            rejected: Some(rejected),
            ranking: None,
            ratings: Vec::new(),
        }
    }

    fn ranking(order: Vec<u32>) -> Self {
        Self {
            kind: JudgmentKind::Ranking,
            label: "overall".into(),
            chosen: order.first().copied(),
            rejected: order.last().copied(),
            ranking: Some(order),
            ratings: Vec::new(),
        }
    }
}

fn same_label(current: &Label, new: &Relabel) -> bool {
    new.kind != JudgmentKind::Ratings
        && current.kind == new.kind
        && current.chosen == new.chosen
        && current.rejected == new.rejected
        && (new.kind != JudgmentKind::Ranking || Some(&current.ranking) == new.ranking.as_ref())
}

/// The pair a tie, both-bad or pick is about: the label's chosen and rejected, else A and B.
fn compared(current: Option<&Label>, n: u32) -> Option<(u32, u32)> {
    match current {
        Some(Label { chosen: Some(c), rejected: Some(r), .. }) if c != r && *c < n && *r < n => Some((*c, *r)),
        _ => (n >= 2).then_some((0, 1)),
    }
}

/// The label `action` records, or why it cannot.
fn relabel(
    tx: &OpTx<'_>,
    sample: SampleId,
    n: u32,
    current: Option<&Label>,
    action: &CurationAction,
) -> Result<Result<Relabel, String>> {
    let two = |what: &str| format!("it has {n} candidate{}: nothing to {what}", if n == 1 { "" } else { "s" });
    let is_ranking = current.is_some_and(|c| c.kind == JudgmentKind::Ranking && !c.ranking.is_empty());
    Ok(Ok(match action {
        CurationAction::Pick(p) | CurationAction::Move(p, _) if *p >= n => {
            return Ok(Err(format!("it has no candidate {}", position_letter(*p))));
        }
        CurationAction::Pick(_) if n < 2 => return Ok(Err(two("compare"))),
        CurationAction::Pick(p) if is_ranking => {
            let mut order = base_order(tx, n, current)?;
            order.retain(|x| x != p);
            order.insert(0, *p);
            Relabel::ranking(order)
        }
        CurationAction::Pick(p) => {
            let (c, r) = compared(current, n).unwrap_or((0, 1));
            let other = if *p == r { c } else { r };
            Relabel::pair(JudgmentKind::Pairwise, *p, other)
        }
        CurationAction::Swap => match current {
            Some(Label { kind: JudgmentKind::Ranking, ranking, .. }) if !ranking.is_empty() => {
                let mut order = ranking.clone();
                order.reverse();
                Relabel::ranking(order)
            }
            Some(Label { chosen: Some(c), rejected: Some(r), kind, .. })
                if c != r && !matches!(kind, JudgmentKind::Tie | JudgmentKind::BothBad) =>
            {
                Relabel::pair(JudgmentKind::Pairwise, *r, *c)
            }
            _ => return Ok(Err("it has no preference to swap".into())),
        },
        CurationAction::Tie | CurationAction::BothBad => {
            let Some((c, r)) = compared(current, n) else { return Ok(Err(two("compare"))) };
            let kind = if *action == CurationAction::Tie { JudgmentKind::Tie } else { JudgmentKind::BothBad };
            // Symmetric: recorded in position order, however the pair was ordered before.
            Relabel::pair(kind, c.min(r), c.max(r))
        }
        CurationAction::Move(_, _) if n < 2 => return Ok(Err(two("rank"))),
        CurationAction::Move(p, to) => {
            let mut order = base_order(tx, n, current)?;
            let Some(i) = order.iter().position(|x| x == p) else { return Ok(Err("not in the ranking".into())) };
            let j = match to {
                RankMove::Up => i.saturating_sub(1),
                RankMove::Down => (i + 1).min(order.len() - 1),
                RankMove::Best => 0,
                RankMove::Worst => order.len() - 1,
            };
            let item = order.remove(i);
            order.insert(j, item);
            Relabel::ranking(order)
        }
        CurationAction::Rank(order) => {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if order.len() < 2 || sorted.len() != order.len() || sorted.last().is_some_and(|m| *m >= n) {
                return Ok(Err(format!("a ranking names each of its {n} candidates at most once")));
            }
            Relabel::ranking(order.clone())
        }
        CurationAction::Rate { response, aspect, value } => {
            if response.is_some_and(|p| p >= n) {
                return Ok(Err(format!("it has no candidate {}", position_letter(response.unwrap_or(0)))));
            }
            if !value.is_finite() {
                return Ok(Err("a rating is a finite number".into()));
            }
            rated(tx, sample, current, *response, aspect, *value)?
        }
        CurationAction::Flag(_)
        | CurationAction::Unflag
        | CurationAction::Note(_)
        | CurationAction::Exclude(_)
        | CurationAction::Include => return Ok(Err("not a label".into())),
    }))
}

/// The order a ranking move starts from: the ranking in force (completed with the candidates it
/// leaves out), else by the ratings in force (best mean first), else the chosen first and the
/// rejected last with the others in between, else position order.
fn base_order(tx: &OpTx<'_>, n: u32, current: Option<&Label>) -> Result<Vec<u32>> {
    let mut order: Vec<u32> = match current {
        Some(l) if l.kind == JudgmentKind::Ranking && !l.ranking.is_empty() => l.ranking.clone(),
        Some(l) if l.kind == JudgmentKind::Ratings => {
            let mut stmt = tx
                .conn()
                .prepare_cached(
                    "SELECT response_pos FROM ratings WHERE judgment_id = ?1 AND response_pos IS NOT NULL
                     AND value IS NOT NULL GROUP BY response_pos ORDER BY avg(value) DESC, response_pos",
                )
                .map_err(|e| tx.err(e))?;
            stmt.query_map([l.judgment_id], |r| r.get::<_, u32>(0))
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(|e| tx.err(e))?
        }
        Some(Label { chosen: Some(c), rejected: Some(r), .. }) if c != r => {
            let mut o = vec![*c];
            o.extend((0..n).filter(|p| p != c && p != r));
            o.push(*r);
            o
        }
        _ => (0..n).collect(),
    };
    order.retain(|p| *p < n);
    let mut seen = Vec::with_capacity(order.len());
    order.retain(|p| {
        let fresh = !seen.contains(p);
        seen.push(*p);
        fresh
    });
    for p in 0..n {
        if !order.contains(&p) {
            order.push(p);
        }
    }
    Ok(order)
}

/// A ratings judgment: the ratings in force (the label's, when it is ratings; else the first
/// original ratings judgment's) with one corrected or added.
fn rated(
    tx: &OpTx<'_>,
    sample: SampleId,
    current: Option<&Label>,
    response: Option<u32>,
    aspect: &str,
    value: f64,
) -> Result<Relabel> {
    let base: Option<(i64, String)> = match current {
        Some(l) if l.kind == JudgmentKind::Ratings => tx
            .conn()
            .query_row("SELECT id, label FROM judgments WHERE id = ?1", [l.judgment_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional(),
        _ => tx
            .conn()
            .query_row(
                "SELECT id, label FROM judgments WHERE sample_id = ?1 AND source = 'original' AND kind = 'ratings'
                 ORDER BY label != 'overall', id LIMIT 1",
                [sample],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional(),
    }
    .map_err(|e| tx.err(e))?;
    let mut ratings: Vec<NewRating> = match &base {
        Some((id, _)) => {
            let mut stmt = tx
                .conn()
                .prepare_cached(
                    "SELECT response_pos, aspect, value, raw, rationale, critique FROM ratings
                     WHERE judgment_id = ?1 ORDER BY id",
                )
                .map_err(|e| tx.err(e))?;
            stmt.query_map([id], |r| {
                Ok(NewRating {
                    response: r.get(0)?,
                    aspect: r.get(1)?,
                    value: r.get(2)?,
                    raw: r.get(3)?,
                    rationale: r.get(4)?,
                    critique: r.get(5)?,
                })
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(|e| tx.err(e))?
        }
        None => Vec::new(),
    };
    let raw = format_value(value);
    match ratings.iter_mut().find(|r| r.response == response && r.aspect.eq_ignore_ascii_case(aspect)) {
        Some(r) => {
            r.value = Some(value);
            r.raw = raw;
        }
        None => ratings.push(NewRating {
            response,
            aspect: aspect.to_owned(),
            value: Some(value),
            raw,
            rationale: None,
            critique: None,
        }),
    }
    Ok(Relabel {
        kind: JudgmentKind::Ratings,
        label: base.map_or_else(|| "overall".to_owned(), |(_, label)| label),
        chosen: None,
        rejected: None,
        ranking: None,
        ratings,
    })
}

/// A rating as a curator typed it: `4`, not `4.0`.
fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { v.to_string() }
}
