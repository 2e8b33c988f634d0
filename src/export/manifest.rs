//! `manifest.json`: what an export is and how it was made: Verdict's version, the project and
//! each source file with its hash, the options and the query, the counts in and out, what was
//! left out and why, how many labels came from curators, and the media mode. Only `exported_at`
//! depends on the clock.

use super::options::ExportOptions;
use crate::store::{DatasetInfo, Store};
use serde::Serialize;
use std::collections::BTreeMap;

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
        "file_format": if options.target == super::Target::Original { "source" } else { options.effective_file_format().as_str() },
        "options": {
            "where": options.query,
            "include_flagged": options.include_flagged,
            "include_excluded": options.include_excluded,
            "pairs": options.pairs.as_str(),
            "aspect": options.aspect,
            "ties": options.ties.as_str(),
            "split": split,
            "media": media.mode,
            "force": options.force,
        },
        "invocation": options.invocation,
        "sources": sources,
        "counts": counts,
        "left_out_listed": left_out.len(),
        "left_out": left_out,
        "media": media,
        "target_details": extra,
        "files": files,
    });
    Ok(serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n")
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
