//! `verdict import`.

use super::progress::with_bar;
use crate::ingest::{ImportOptions, ImportOutcome, import_file};
use crate::model::words::plural;
use crate::model::{Position, Severity};
use crate::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `verdict import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Dataset files (JSONL, JSON, Parquet, Arrow), or Hugging Face `save_to_disk` folders.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The project file (created if missing).
    #[arg(long, short, default_value = "project.verdict")]
    project: PathBuf,
    /// Force a preset instead of detecting it (`verdict presets` lists them).
    #[arg(long)]
    preset: Option<String>,
    /// Folder that relative media paths resolve against (default: the data file's folder).
    #[arg(long)]
    media_root: Option<PathBuf>,
    /// A column mapping (TOML) for layouts no preset knows.
    #[arg(long = "map")]
    mapping: Option<PathBuf>,
    /// Pattern turning an id into a media path, `{id}` replaced (HA-DPO `image_id`; default `{id}.jpg`).
    #[arg(long)]
    id_pattern: Option<String>,
}

pub(super) fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    if args.preset.is_some() && args.mapping.is_some() {
        anyhow::bail!("--preset and --map exclude each other: a mapping replaces the preset");
    }
    let mut store = Store::open(&args.project)?;
    let options = ImportOptions {
        preset: args.preset.clone(),
        media_root: args.media_root.clone(),
        mapping: args.mapping.clone(),
        id_pattern: args.id_pattern.clone(),
    };
    let mut failed = 0;
    let mut files = Vec::new();
    for arg in &args.files {
        match crate::ingest::dataset_files(arg) {
            Ok(found) => files.extend(found),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    for file in &files {
        let label = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let result = with_bar(&label, |progress| import_file(&mut store, file, &options, progress));
        match result {
            Ok(s) => {
                let what = match s.outcome {
                    ImportOutcome::Imported => "imported".to_owned(),
                    ImportOutcome::Resumed { from_row } => {
                        format!("resumed at {}", Position::of(s.format.as_str(), from_row))
                    }
                    ImportOutcome::AlreadyImported => "already imported, nothing added".to_owned(),
                    ImportOutcome::Appended { from_row } => {
                        format!(
                            "grew since it was imported: the rows from {} on appended",
                            Position::of(s.format.as_str(), from_row)
                        )
                    }
                };
                outln!(
                    "{}: {what} as dataset {} (preset {}, {}): {} read, {} added, {}, {} in {:.2} s",
                    file.display(),
                    s.dataset_id,
                    s.preset,
                    s.format.as_str(),
                    plural(s.rows_read, "row"),
                    plural(s.samples_added, "sample"),
                    plural(s.errors, "error"),
                    plural(s.warnings, "warning"),
                    s.elapsed.as_secs_f64()
                );
                if s.errors + s.warnings > 0 {
                    for issue in store.import_issues(s.dataset_id, 5)? {
                        let level = if issue.severity == Severity::Error { "error" } else { "warning" };
                        eprintln!("  {level}: {}", issue.line(&file.display().to_string(), s.format.as_str()));
                    }
                    eprintln!("  full report: verdict info {}", args.project.display());
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
