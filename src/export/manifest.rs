//! `manifest.json`: what an export is and how it was made: Verdict's version, the project and
//! each source file with its hash, the options and the query, the counts in and out, what was
//! left out and why, how many labels came from curators, and the media mode. Only `exported_at`
//! depends on the clock.

use super::options::{ExportOptions, MediaMode, Target};
use crate::store::{DatasetInfo, Store};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// How many samples the manifest lists one by one (the counts cover all of them).
pub const LISTED_MAX: usize = 1000;

/// Counts in and out.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Samples the filter matched.
    pub samples_matched: u64,
    /// Samples with at least one row written.
    pub samples_written: u64,
    /// Rows written (pairs; samples for `verdict`; source rows for `original`).
    pub rows_written: u64,
    /// Rows per data file.
    pub rows_per_file: BTreeMap<String, u64>,
    /// Rows whose label is a curator's.
    pub curator_labels: u64,
    /// Rows whose label is the dataset's own.
    pub original_labels: u64,
    /// Rows whose media placeholders were added or removed to match their media.
    pub placeholders_repaired: u64,
    /// Samples left out, by reason (`flagged`, `tie`, `missing_media`, `cannot_express:video`, ...).
    pub left_out: BTreeMap<String, u64>,
    /// With a split: pairs of members of one duplicate group (`verdict dedup`) written to different
    /// sides (0: every group is kept on one side).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_pairs_across_split: Option<u64>,
    /// Facts about what was written that are not a sample left out (media the target has no
    /// place for, media that could not be copied into a lossless export), by kind.
    pub notes: BTreeMap<String, u64>,
}

impl Counts {
    /// Counts one sample left out for `reason`.
    pub fn leave(&mut self, reason: &str) {
        *self.left_out.entry(reason.to_owned()).or_default() += 1;
    }

    /// Counts one note.
    pub fn note(&mut self, what: &str) {
        *self.notes.entry(what.to_owned()).or_default() += 1;
    }

    /// Samples left out, all reasons.
    pub fn left_out_total(&self) -> u64 {
        self.left_out.values().sum()
    }
}

/// Where a sample came from: the model's one way of naming positions (line, index, row).
pub use crate::model::Position;

/// A sample left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    /// Its id in the project.
    pub sample: i64,
    /// Its dataset's source file (name).
    pub file: String,
    /// Where in that file.
    pub position: Position,
    /// Why (the reason the counts use).
    pub reason: String,
    /// The field and what is wrong with it, when one is to blame (a missing media file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sample {} ({} {}): {}", self.sample, self.file, self.position, self.reason)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

/// A source file of the project.
#[derive(Debug, Clone, Serialize)]
struct Source {
    dataset: i64,
    name: String,
    path: String,
    blake3: String,
    format: String,
    preset: String,
}

impl From<&DatasetInfo> for Source {
    fn from(d: &DatasetInfo) -> Self {
        Self {
            dataset: d.id.0,
            name: d.name.clone(),
            path: d.source_path.clone(),
            blake3: d.content_hash.clone(),
            format: d.format.clone(),
            preset: d.preset.clone(),
        }
    }
}

/// What the manifest says about media.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MediaSummary {
    /// copy, link, embed or reference.
    pub mode: String,
    /// Distinct files written into `media/`.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Of those, hard links (`link`).
    pub linked: u64,
    /// The folder relative media paths resolve against and how the target is told
    /// ([`media_paths`]); written as the manifest's `media_paths`.
    #[serde(skip)]
    pub paths: serde_json::Value,
}

/// The manifest's `media_paths`: the folder the rows' relative media paths resolve against
/// (`relative_to`, null when no row has one) and how the target is told, in one sentence.
/// `relative`: whether files were written into `media/` (rows then name them relative to `dir`).
pub fn media_paths(target: Target, mode: MediaMode, dir: &Path, relative: bool) -> serde_json::Value {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let d = dir.display();
    if !relative {
        let how = match (target, mode) {
            (Target::Original, _) => {
                "media stay as each source wrote them: its relative paths resolve against that dataset's media root \
                 (--media-root at import, by default the source file's folder)"
                    .to_owned()
            }
            (_, MediaMode::Reference) => "media are absolute paths to the source files: nothing to set".to_owned(),
            (_, MediaMode::Embed) => "images are embedded in the rows: nothing to set".to_owned(),
            _ => "no row names a media file".to_owned(),
        };
        return serde_json::json!({"relative_to": null, "how": how});
    }
    let how = match target {
        Target::Trl => format!(
            "TRL: images are paths relative to {d}, which HF datasets opens from the working directory: load the \
             data file with {d} as the working directory, or export Parquet (--file-format parquet), which embeds them"
        ),
        Target::LlamaFactory => format!(
            "LLaMA-Factory resolves media paths against media_dir, which defaults to dataset_dir: set dataset_dir \
             (or media_dir) to {d}"
        ),
        Target::Swift => format!(
            "ms-swift resolves a relative path against the working directory, else against ROOT_IMAGE_DIR (its one \
             variable, used for videos and audio too): run it from {d} or set ROOT_IMAGE_DIR={d}"
        ),
        Target::Verdict => {
            format!("verdict import resolves them against the data file's folder (its default --media-root), {d}")
        }
        Target::OpenRlhf | Target::Original => format!("relative to {d}"),
    };
    let how = if mode == MediaMode::Reference {
        format!("source files are absolute paths; embedded media have none and were copied into media/: {how}")
    } else {
        how
    };
    serde_json::json!({"relative_to": d.to_string(), "how": how})
}

/// Builds the manifest's JSON text.
pub fn render(
    store: &Store,
    options: &ExportOptions,
    counts: &Counts,
    left_out: &[LeftOut],
    media: &MediaSummary,
    files: &[String],
    extra: &serde_json::Value,
) -> Result<String, crate::store::StoreError> {
    let sources: Vec<Source> = store.datasets()?.iter().map(Source::from).collect();
    let project = store.path().canonicalize().unwrap_or_else(|_| store.path().to_owned());
    let split = options.split.map(|s| serde_json::json!({"test": s.test, "seed": s.seed}));
    let manifest = serde_json::json!({
        "verdict_version": env!("CARGO_PKG_VERSION"),
        "exported_at": now_utc(),
        "project": project.display().to_string(),
        "target": options.target.as_str(),
        "file_format": if options.target == Target::Original { "source" } else { options.effective_file_format().as_str() },
        "options": {
            "where": options.query,
            "include_flagged": options.include_flagged,
            "include_excluded": options.include_excluded,
            "pairs": options.pairs.as_str(),
            "aspect": options.aspect,
            "ties": options.ties.as_str(),
            "form": options.form.as_str(),
            "split": split,
            "media": media.mode,
            "force": options.force,
            "margin_from": options.margin_from,
        },
        "margin_scorer": match &options.margin_from {
            Some(name) => store.scorer(Some(name))?.map(|s| serde_json::json!({
                "name": s.name, "kind": s.kind, "architecture": s.architecture, "weights": s.weights,
                "settings": s.settings, "model_path": s.model_path,
            })),
            None => None,
        },
        "invocation": options.invocation,
        "sources": sources,
        "counts": counts,
        "left_out_listed": left_out.len(),
        "left_out": left_out,
        "media": media,
        "media_paths": media.paths,
        "target_details": extra,
        "cleaning": cleaning(store)?,
        "files": files,
    });
    Ok(serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n")
}

/// The cleaning the project has had: the duplicate and contamination runs with their settings,
/// the duplicate groups by kind, and the reference sets (never exported).
fn cleaning(store: &Store) -> Result<serde_json::Value, crate::store::StoreError> {
    let mut groups = std::collections::BTreeMap::<String, u64>::new();
    for g in store.dup_groups(None)? {
        *groups.entry(g.kind).or_default() += 1;
    }
    let datasets = store.datasets()?;
    let references: Vec<serde_json::Value> =
        datasets.iter().filter(|d| d.reference).map(|d| serde_json::json!({"dataset": d.id, "name": d.name})).collect();
    Ok(serde_json::json!({
        "runs": store.clean_runs()?,
        "duplicate_groups": groups,
        "reference_sets": references,
        "contaminated_samples": store.contamination(None)?.iter().map(|h| h.sample).collect::<std::collections::BTreeSet<_>>().len(),
    }))
}

/// The current time, ISO-8601 UTC with seconds.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_as_a_date() {
        let now = now_utc();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.starts_with("20") && now.ends_with('Z'), "{now}");
    }
}
