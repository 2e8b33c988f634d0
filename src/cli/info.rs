//! `verdict info` and `verdict presets`.

use crate::ingest::presets;
use crate::model::Position;
use crate::store::{DatasetStatus, ImportIssue};
use std::fmt::Write as _;
use std::path::Path;

/// One import report line: `FILE POSITION field F: message`, the position as the file's
/// `format` names it (`line 7`, `index 6`, `row 6`).
pub(super) fn issue_line(file: &str, format: &str, issue: &ImportIssue) -> String {
    let mut s = file.to_owned();
    if let Some(position) = issue.position(format) {
        let _ = write!(s, " {position}");
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
        let file = file_label(&i.source_path);
        for (sample, row, field, error) in &d.media_failures {
            outln!("    sample {sample} ({file} {}) {field}: {error}", Position::of(&i.format, *row));
        }
        outln!("  import report {} errors, {} warnings", i.error_count, i.warning_count);
        for issue in store.import_issues(i.id, max_issues)? {
            outln!("    {} {}", issue.severity, issue_line(&file, &i.format, &issue));
        }
    }
    Ok(())
}

/// The source file as the report names it: its file name, with its folder's name when the folder
/// is a Hugging Face `save_to_disk` folder (whose Arrow files are `data-0000N-of-0000M.arrow` in
/// every split).
fn file_label(source_path: &str) -> String {
    let path = Path::new(source_path);
    let name = path.file_name().map_or_else(|| source_path.to_owned(), |n| n.to_string_lossy().into_owned());
    match path.parent() {
        Some(dir) if dir.join("state.json").is_file() => {
            let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if folder.is_empty() { name } else { format!("{folder}/{name}") }
        }
        _ => name,
    }
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
