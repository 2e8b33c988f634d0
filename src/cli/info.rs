//! `verdict info` and `verdict presets`.

use crate::ingest::presets;
use crate::model::Position;
use crate::model::words::plural;
use crate::store::{DatasetInfo, DatasetStatus, DatasetSummary, ImportIssue};
use std::path::Path;

pub(super) fn run(project: &Path, max_issues: usize, json: bool) -> anyhow::Result<()> {
    let store = super::open_existing(project)?;
    let summaries = store.dataset_summaries()?;
    if json {
        for d in &summaries {
            let issues = store.import_issues(d.info.id, max_issues)?;
            outln!("{}", serde_json::to_string(&dataset_json(d, &issues))?);
        }
        return Ok(());
    }
    outln!(
        "project {}: {}, {}",
        project.display(),
        plural(summaries.len() as u64, "dataset"),
        plural(store.sample_count()? as u64, "sample")
    );
    for d in summaries {
        let i = &d.info;
        let status = match i.status {
            DatasetStatus::Complete => "complete".to_owned(),
            DatasetStatus::Importing { rows_done } => {
                format!("interrupted after {}: import again to resume", plural(rows_done, "row"))
            }
        };
        outln!();
        let reference = if i.reference { ", a reference set: never exported" } else { "" };
        outln!("dataset {} {} ({}, {}) {status}{reference}", i.id, i.name, i.preset, i.format);
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
        let file = DatasetInfo::file_label(&i.source_path);
        for (sample, row, field, error) in &d.media_failures {
            outln!("    sample {sample} ({file} {}) {field}: {error}", Position::of(&i.format, *row));
        }
        outln!("  import report {}, {}", plural(i.error_count, "error"), plural(i.warning_count, "warning"));
        for issue in store.import_issues(i.id, max_issues)? {
            outln!("    {} {}", issue.severity, issue.line(&file, &i.format));
        }
    }
    Ok(())
}

/// One dataset as a JSON line: what the text form says, with positions as `{"line": 7}`,
/// `{"index": 6}` or `{"row": 6}`.
fn dataset_json(d: &DatasetSummary, issues: &[ImportIssue]) -> serde_json::Value {
    let i = &d.info;
    let (status, rows_done) = match i.status {
        DatasetStatus::Complete => ("complete", None),
        DatasetStatus::Importing { rows_done } => ("interrupted", Some(rows_done)),
    };
    let file = DatasetInfo::file_label(&i.source_path);
    serde_json::json!({
        "dataset": i.id,
        "name": i.name,
        "preset": i.preset,
        "format": i.format,
        "source": i.source_path,
        "blake3": i.content_hash,
        "media_root": i.media_root,
        "status": status,
        "reference": i.reference,
        "rows_done": rows_done,
        "imported_at": i.imported_at,
        "finished_at": i.finished_at,
        "samples": i.sample_count,
        "modalities": d.modalities.iter().map(|(m, n)| serde_json::json!({"modality": m, "samples": n})).collect::<Vec<_>>(),
        "judgments": d.judgment_kinds.iter().map(|(k, label, n)| serde_json::json!({"kind": k, "label": label, "count": n})).collect::<Vec<_>>(),
        "media": d.media_status.iter().map(|(s, n)| serde_json::json!({"status": s, "count": n})).collect::<Vec<_>>(),
        "media_failures": d.media_failures.iter().map(|(sample, row, field, error)| serde_json::json!({
            "sample": sample, "file": file, "position": Position::of(&i.format, *row), "field": field, "error": error,
        })).collect::<Vec<_>>(),
        "errors": i.error_count,
        "warnings": i.warning_count,
        "issues": issues.iter().map(|x| serde_json::json!({
            "severity": x.severity, "file": file, "position": x.position(&i.format), "field": x.field, "message": x.message,
        })).collect::<Vec<_>>(),
    })
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
