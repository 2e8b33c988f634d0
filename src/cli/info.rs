//! `verdict info` and `verdict presets`.

use crate::ingest::presets;
use crate::store::{DatasetStatus, ImportIssue};
use std::fmt::Write as _;
use std::path::Path;

/// One import report line: `FILE row N field F: message`.
pub(super) fn issue_line(file: &str, issue: &ImportIssue) -> String {
    let mut s = file.to_owned();
    if let Some(row) = issue.row_index {
        let _ = write!(s, " row {row}");
    }
    if let Some(field) = issue.field.as_deref().filter(|f| !f.is_empty()) {
        let _ = write!(s, " field {field}");
    }
    let _ = write!(s, ": {}", issue.message);
    s
}

pub(super) fn run(project: &Path, max_issues: usize) -> anyhow::Result<()> {
    let store = super::open_existing(project)?;
    let summaries = store.dataset_summaries()?;
    outln!("project {}: {} datasets, {} samples", project.display(), summaries.len(), store.sample_count()?);
    for d in summaries {
        let i = &d.info;
        let status = match i.status {
            DatasetStatus::Complete => "complete".to_owned(),
            DatasetStatus::Importing { rows_done } => {
                format!("interrupted after {rows_done} rows: import again to resume")
            }
        };
        outln!();
        outln!("dataset {} {} ({}, {}) {status}", i.id, i.name, i.preset, i.format);
        outln!("  source       {}", i.source_path);
        outln!("  blake3       {}", i.content_hash);
        if let Some(root) = &i.media_root {
            outln!("  media root   {root}");
        }
        outln!("  imported     {}", i.finished_at.as_deref().unwrap_or(&i.imported_at));
        outln!("  samples      {}", i.sample_count);
        outln!("  modalities   {}", join(d.modalities.iter().map(|(m, n)| format!("{m} {n}"))));
        outln!("  judgments    {}", join(d.judgment_kinds.iter().map(|(k, label, n)| format!("{k}/{label} {n}"))));
        outln!("  media        {}", join(d.media_status.iter().map(|(s, n)| format!("{s} {n}"))));
        for (sample, field, error) in &d.media_failures {
            outln!("    sample {sample} {field}: {error}");
        }
        outln!("  import report {} errors, {} warnings", i.error_count, i.warning_count);
        for issue in store.import_issues(i.id, max_issues)? {
            outln!("    {} {}", issue.severity, issue_line(&i.name, &issue));
        }
    }
    Ok(())
}

fn join(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.collect();
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

pub(super) fn presets() {
    outln!("Presets, in detection order (the first whose columns match is used; force one with --preset NAME):");
    for p in presets::all() {
        outln!();
        outln!("{:<24}{}", p.name, p.dataset);
        outln!("{:<24}expects: {}", "", p.expects);
    }
    outln!();
    outln!(
        "{:<24}any other layout, described by a TOML column mapping: verdict import FILE --map MAPPING.toml",
        "mapping"
    );
}
