//! `original`: each dataset written back in its own schema and file type. The source file is
//! read again (it must still have the bytes it was imported from: its blake3 is checked first) and
//! every selected row is written as it was, every column included, with the curator's label
//! applied to the fields that carry it:
//! - an index label (`preference: 2`, `overall_response`, `better_response_id`) is set to the
//!   new winner, in its own base and type;
//! - a label carried by which field holds which answer (`chosen`/`rejected`, LLaVA turns, RLHF-V's
//!   JSON `text`) swaps the two answers (and `chosen_*`/`rejected_*` companions such as reasons
//!   and scores);
//! - a tie sets `is_tie` where the source has one (`--ties keep`).
//!
//! A relabel the schema cannot carry (a curator's pick among rated completions) leaves the sample
//! out, counted, rather than writing a label the curator overruled. Rows nobody selected, and rows
//! whose samples were left out, are not written. JSON Lines rows nobody edited are copied byte for
//! byte; Parquet and Arrow files keep their schema (and its metadata) and untouched columns as read.

mod edit;
mod rows;

use super::label::{self, NoPair};
use super::manifest::{self, Counts, LISTED_MAX, LeftOut, MediaSummary, Position};
use super::options::{ExportOptions, TiesMode};
use super::outdir::OutDir;
use super::{ExportError, ExportReport, Preview};
use crate::jobs::Progress;
use crate::model::{JudgmentKind, JudgmentSource, SampleId, Value};
use crate::store::{DatasetInfo, FullSample, JudgmentView, Store};
use edit::Edit;
use std::collections::HashSet;
use std::path::Path;

/// What happens to one source row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RowPlan {
    /// The 0-based source row.
    pub row: u64,
    /// Edits to make (empty: the row as it was).
    pub edits: Vec<Edit>,
}

/// What happens to one sample.
enum Decision {
    Keep { edits: Vec<Edit>, curator: bool },
    Leave { reason: &'static str, detail: Option<String> },
}

/// Index-label columns, tried before any other detail key that could hold the winner.
const INDEX_LABELS: &[&str] =
    &["preference", "overall_response", "overall_image", "overall_audio", "overall_video", "better_response_id"];

/// What one sample becomes in its source schema.
fn decide(s: &FullSample, options: &ExportOptions, dataset: &DatasetInfo) -> Decision {
    if dataset.reference {
        return Decision::Leave { reason: "reference_set", detail: None };
    }
    if let Some(reason) = s.curation.as_ref().and_then(|c| c.state.excluded.clone())
        && !options.include_excluded
    {
        return Decision::Leave { reason: "excluded", detail: Some(reason) };
    }
    if let Some(flag) = s.curation.as_ref().and_then(|c| c.state.flag.clone())
        && !options.include_flagged
    {
        return Decision::Leave { reason: "flagged", detail: Some(flag) };
    }
    let original = label::original(s);
    let curator = s
        .curation
        .as_ref()
        .and_then(|c| c.state.judgment_id)
        .and_then(|id| s.sample.judgments.iter().find(|j| j.id == id && j.source == JudgmentSource::Curator));
    let keep_ties = options.ties == TiesMode::Keep;
    let Some(curator) = curator else {
        // The dataset's own label stands: written as it is, ties aside.
        return match original.map(|o| o.kind) {
            Some(JudgmentKind::Tie) if !keep_ties => Decision::Leave { reason: NoPair::Tie.as_str(), detail: None },
            Some(JudgmentKind::BothBad) if !keep_ties => {
                Decision::Leave { reason: NoPair::BothBad.as_str(), detail: None }
            }
            _ => Decision::Keep { edits: Vec::new(), curator: false },
        };
    };
    let cannot = |what: &str| Decision::Leave {
        reason: "cannot_express:curator_label_in_source_schema",
        detail: Some(what.to_owned()),
    };
    let Some(original) = original.filter(|o| o.chosen.is_some() && o.rejected.is_some()) else {
        return cannot("the source states no pair this label could replace (ratings or a ranking)");
    };
    let (Some(oc), Some(or)) = (original.chosen, original.rejected) else { return cannot("no pair") };
    let tie_column = dataset.columns.iter().any(|c| c == "is_tie").then_some("is_tie");
    match curator.kind {
        JudgmentKind::Tie | JudgmentKind::BothBad if !keep_ties => Decision::Leave {
            reason: if curator.kind == JudgmentKind::Tie { NoPair::Tie.as_str() } else { NoPair::BothBad.as_str() },
            detail: None,
        },
        JudgmentKind::Tie => match tie_column {
            Some(col) => Decision::Keep { edits: vec![Edit::SetFlag(col.into(), true)], curator: true },
            None => cannot("the source has no tie field"),
        },
        JudgmentKind::BothBad => cannot("the source has no way to say both answers are bad"),
        JudgmentKind::Pairwise | JudgmentKind::Correction => {
            let (Some(c), Some(r)) = (curator.chosen, curator.rejected) else { return cannot("no pair") };
            let mut edits = Vec::new();
            if original.kind == JudgmentKind::Tie
                && let Some(col) = tie_column
            {
                edits.push(Edit::SetFlag(col.into(), false));
            }
            if (c, r) == (oc, or) {
                return Decision::Keep { edits, curator: true };
            }
            if (c, r) != (or, oc) {
                return cannot("the label compares other responses than the source's pair");
            }
            match reverse(s, original, c, dataset) {
                Some(more) => {
                    edits.extend(more);
                    Decision::Keep { edits, curator: true }
                }
                None => cannot("no field carries this label"),
            }
        }
        JudgmentKind::Ranking | JudgmentKind::Ratings => cannot("a curator ranking or rating"),
    }
}

/// The edits that make the source prefer position `winner` over the other of its pair.
fn reverse(s: &FullSample, original: &JudgmentView, winner: u32, dataset: &DatasetInfo) -> Option<Vec<Edit>> {
    let oc = original.chosen?;
    // An index label: the detail keeps the raw value of a source column that names the winner.
    if s.sample.responses.len() == 2
        && let Some(detail) = original.detail.as_deref().and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        && let Some(obj) = detail.as_object()
    {
        let mut keys: Vec<&String> = obj.keys().filter(|k| dataset.columns.contains(k)).collect();
        keys.sort_by_key(|k| INDEX_LABELS.iter().position(|l| l == k).unwrap_or(usize::MAX));
        for key in keys {
            let raw = &obj[key.as_str()];
            let as_int = raw.as_i64().or_else(|| raw.as_str().and_then(|t| t.trim().parse().ok()));
            let Some(v) = as_int else { continue };
            let base = v - i64::from(oc);
            if base == 0 || base == 1 {
                let new = i64::from(winner) + base;
                let value = if raw.is_string() { Value::Str(new.to_string()) } else { Value::Int(new) };
                return Some(vec![Edit::Set(key.clone(), value)]);
            }
        }
    }
    // Else the fields that hold the two answers trade places.
    let field = |pos: u32| s.sample.responses.get(pos as usize).map(|r| r.field.clone()).filter(|f| !f.is_empty());
    let (a, b) = (field(oc)?, field(original.rejected?)?);
    if a == b {
        return None;
    }
    let mut edits = vec![Edit::Swap(a.clone(), b.clone())];
    // Companions named after the answers (`chosen_reason` / `rejected_reason`) go with them.
    for col in &dataset.columns {
        if let Some(rest) = col.strip_prefix(&format!("{a}_")) {
            let other = format!("{b}_{rest}");
            if dataset.columns.contains(&other) {
                edits.push(Edit::SwapValues(col.clone(), other));
            }
        }
    }
    Some(edits)
}

/// The selected sample ids of one dataset, in row order.
fn dataset_ids(store: &Store, dataset: &DatasetInfo, selected: &[SampleId]) -> Result<Vec<SampleId>, ExportError> {
    Ok(store.dataset_sample_ids(dataset.id)?.into_iter().filter(|id| selected.binary_search(id).is_ok()).collect())
}

/// Decisions for a dataset's selected samples, grouped into row plans, in row order; samples
/// left out are counted (with their row's siblings: a row holds its pairs together).
struct Planner<'a> {
    store: &'a Store,
    options: &'a ExportOptions,
    dataset: &'a DatasetInfo,
    counts: Counts,
    left_out: Vec<LeftOut>,
    curator_rows: u64,
}

impl<'a> Planner<'a> {
    fn new(store: &'a Store, options: &'a ExportOptions, dataset: &'a DatasetInfo) -> Self {
        Self { store, options, dataset, counts: Counts::default(), left_out: Vec::new(), curator_rows: 0 }
    }

    /// Adds this dataset's counts (`rows` written to `file`) and left-out samples to the export's.
    fn add_to(self, counts: &mut Counts, left_out: &mut Vec<LeftOut>, file: &str, rows: u64) {
        counts.rows_written += rows;
        counts.rows_per_file.insert(file.to_owned(), rows);
        counts.samples_written += self.counts.samples_written;
        counts.curator_labels += self.curator_rows;
        counts.original_labels += rows - self.curator_rows;
        for (reason, n) in self.counts.left_out {
            *counts.left_out.entry(reason).or_default() += n;
        }
        left_out.extend(self.left_out);
    }

    fn leave(&mut self, s: &FullSample, reason: &str, detail: Option<String>) {
        self.counts.leave(reason);
        if self.left_out.len() < LISTED_MAX {
            self.left_out.push(LeftOut {
                sample: s.sample.id.0,
                file: super::pipeline::file_name_of(&self.dataset.source_path),
                position: Position::of(&self.dataset.format, s.sample.row_index),
                reason: reason.to_owned(),
                detail,
            });
        }
    }

    /// The row plans of `ids` (one dataset's, in row order).
    fn plans(&mut self, ids: &[SampleId]) -> Result<Vec<RowPlan>, ExportError> {
        let mut plans = Vec::new();
        let mut group: Vec<FullSample> = Vec::new();
        for chunk in ids.chunks(512) {
            for s in self.store.full_samples(chunk)? {
                if group.first().is_some_and(|g| g.sample.row_index != s.sample.row_index) {
                    let done = std::mem::take(&mut group);
                    plans.extend(self.row(&done));
                }
                group.push(s);
            }
        }
        plans.extend(self.row(&group));
        Ok(plans)
    }

    /// The plan for one source row's samples, or `None` when any of them is left out.
    fn row(&mut self, samples: &[FullSample]) -> Option<RowPlan> {
        let first = samples.first()?;
        let mut edits = Vec::new();
        let mut curator = false;
        let mut leaving = Vec::new();
        for s in samples {
            match decide(s, self.options, self.dataset) {
                Decision::Keep { edits: e, curator: c } => {
                    edits.extend(e);
                    curator |= c;
                }
                Decision::Leave { reason, detail } => leaving.push((s, reason, detail)),
            }
        }
        if leaving.is_empty() {
            self.counts.samples_written += samples.len() as u64;
            self.curator_rows += u64::from(curator);
            return Some(RowPlan { row: first.sample.row_index, edits });
        }
        let left: HashSet<i64> = leaving.iter().map(|(s, _, _)| s.sample.id.0).collect();
        for (s, reason, detail) in leaving {
            self.leave(s, reason, detail);
        }
        for s in samples.iter().filter(|s| !left.contains(&s.sample.id.0)) {
            self.leave(s, "cannot_express:pair_shares_its_row_with_a_pair_left_out", None);
        }
        None
    }
}

/// The output file name for each dataset: the source's own, made unique.
fn output_names(datasets: &[&DatasetInfo]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    datasets
        .iter()
        .map(|d| {
            let name = super::pipeline::file_name_of(&d.source_path);
            let clean: String =
                name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
            let clean = clean.trim_start_matches('.').to_owned();
            let (stem, ext) =
                clean.rsplit_once('.').map_or((clean.clone(), String::new()), |(s, e)| (s.to_owned(), format!(".{e}")));
            let mut candidate = if stem.is_empty() { format!("dataset-{}{ext}", d.id.0) } else { clean.clone() };
            let mut n = 2;
            while !taken.insert(candidate.clone()) || candidate == "manifest.json" {
                candidate = format!("{stem}-{n}{ext}");
                n += 1;
            }
            candidate
        })
        .collect()
}

/// Checks that the source still holds the bytes the dataset was imported from.
fn verify_source(d: &DatasetInfo, progress: &mut Progress) -> Result<(), ExportError> {
    let path = Path::new(&d.source_path);
    let gone = |why: String| {
        ExportError::Source(format!(
            "dataset {} ({}): {why}; `--format original` rewrites the source file, so it must be there as imported. \
             hint: put the file back, or use `--format verdict` (lossless, from the project alone)",
            d.name, d.source_path
        ))
    };
    let meta = std::fs::metadata(path).map_err(|e| gone(format!("cannot read the source file: {e}")))?;
    if d.source_size.is_some_and(|s| s != meta.len()) {
        return Err(gone(format!("the source file changed size since the import ({} bytes now)", meta.len())));
    }
    progress.phase(&format!("verifying {}", d.name), "bytes", Some(meta.len()), 0);
    let hash = crate::ingest::hash_file(path, &mut |done| progress.tick(done)).map_err(|e| match e {
        crate::ingest::IngestError::Cancelled => ExportError::Cancelled,
        other => gone(other.to_string()),
    })?;
    if hash != d.content_hash {
        return Err(gone("the source file's bytes changed since the import (its blake3 differs)".into()));
    }
    Ok(())
}

/// The datasets with selected samples, and their selected ids.
fn selected_datasets<'d>(
    store: &Store,
    datasets: &'d [DatasetInfo],
    ids: &[SampleId],
) -> Result<Vec<(&'d DatasetInfo, Vec<SampleId>)>, ExportError> {
    let mut out = Vec::new();
    for d in datasets {
        let mine = dataset_ids(store, d, ids)?;
        if !mine.is_empty() {
            out.push((d, mine));
        }
    }
    Ok(out)
}

/// Writes every dataset's selected rows into `out`.
pub(super) fn run(
    store: &Store,
    options: &ExportOptions,
    ids: &[SampleId],
    out: OutDir,
    progress: &mut Progress,
) -> Result<ExportReport, ExportError> {
    let datasets = store.datasets()?;
    let selected = selected_datasets(store, &datasets, ids)?;
    let names = output_names(&selected.iter().map(|(d, _)| *d).collect::<Vec<_>>());
    let mut counts = Counts { samples_matched: ids.len() as u64, ..Counts::default() };
    let mut left_out = Vec::new();
    let mut files = Vec::new();
    for ((dataset, mine), name) in selected.iter().zip(&names) {
        verify_source(dataset, progress)?;
        let mut planner = Planner::new(store, options, dataset);
        let plans = planner.plans(mine)?;
        let written = rows::write(dataset, &plans, &out.staged(name), progress)?;
        planner.add_to(&mut counts, &mut left_out, name, written);
        files.push(name.clone());
    }
    left_out.truncate(LISTED_MAX);
    files.push("manifest.json".into());
    let media = MediaSummary {
        mode: "source".into(),
        paths: manifest::media_paths(options.target, super::MediaMode::Copy, out.dir(), false),
        ..MediaSummary::default()
    };
    let sources: serde_json::Value = selected
        .iter()
        .zip(&names)
        .map(|((d, _), n)| (n.clone(), serde_json::json!({"dataset": d.id.0, "preset": d.preset, "format": d.format})))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let text =
        manifest::render(store, options, &counts, &left_out, &media, &files, &serde_json::json!({"files": sources}))?;
    let path = out.staged("manifest.json");
    std::fs::write(&path, text).map_err(|e| ExportError::Write(format!("{}: {e}", path.display())))?;
    let dir = out.dir().to_owned();
    out.commit(&files)?;
    Ok(ExportReport {
        out: dir,
        files,
        counts,
        left_out,
        media_files: 0,
        media_bytes: 0,
        elapsed: std::time::Duration::ZERO,
    })
}

/// The counts, and the first `n` rows as they would be written (read from the sources).
pub(super) fn preview(
    store: &Store,
    options: &ExportOptions,
    ids: &[SampleId],
    n: usize,
    progress: &mut Progress,
) -> Result<Preview, ExportError> {
    let datasets = store.datasets()?;
    let selected = selected_datasets(store, &datasets, ids)?;
    let names = output_names(&selected.iter().map(|(d, _)| *d).collect::<Vec<_>>());
    let mut counts = Counts { samples_matched: ids.len() as u64, ..Counts::default() };
    let mut left_out = Vec::new();
    let mut shown = Vec::new();
    for ((dataset, mine), name) in selected.iter().zip(&names) {
        let mut planner = Planner::new(store, options, dataset);
        let plans = planner.plans(mine)?;
        planner.add_to(&mut counts, &mut left_out, name, plans.len() as u64);
        if shown.len() < n {
            let want = n - shown.len();
            match rows::first_rows(dataset, &plans, want) {
                Ok(rows) => shown.extend(rows),
                Err(e) => shown.push(format!("({name}: {e})")),
            }
        }
    }
    progress.finish(ids.len() as u64);
    left_out.truncate(LISTED_MAX);
    Ok(Preview { rows: shown, counts, left_out })
}
