//! `verdict check`: the consistency and media checks from the command line. Every finding is
//! listed with its sample's dataset and source position (as `show` names them), the check and
//! what is wrong; the counts per check come last. Findings are data, not failure: the exit code
//! is 0 whatever is found.

use super::progress::with_bar;
use crate::clean::checks::{self, CheckOptions, CheckReport};
use crate::model::{CHECK_KINDS, SampleId};
use crate::store::{SamplePlace, StoredFinding};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `verdict check`.
#[derive(Debug, clap::Args)]
#[command(after_help = "The checks: opposite_labels (the same prompt and media labelled the other way in another \
sample), chosen_equals_rejected, empty_response, truncated_response (stops mid-sentence, or at a length limit many \
responses of its dataset share), placeholder_count (<image>, <video>, <audio> tokens that do not match the media), \
ratings_contradict (the rejected response rated higher), blank_image, tiny_image, extreme_aspect (cleanvision's \
rules), bad_media (does not decode in full: marked failed, so `media:failed` finds it and exports leave its sample \
out). Each run replaces the findings of the one before.\n\nExamples:\n  verdict check p.verdict\n  \
verdict check p.verdict --kind bad_media --json")]
pub struct CheckArgs {
    /// The project file.
    project: PathBuf,
    /// Chosen and rejected whose word 3-shingles have at least this Jaccard similarity are nearly
    /// equal.
    #[arg(long, default_value_t = 0.9)]
    near_equal: f64,
    /// An image with a side under this many pixels is tiny.
    #[arg(long, default_value_t = 32)]
    min_side: u32,
    /// An image whose shorter side over its longer is under this has an extreme aspect ratio
    /// (cleanvision's default).
    #[arg(long, default_value_t = 0.35)]
    min_aspect: f64,
    /// An image whose histogram's entropy is under this many bits is blank or nearly uniform
    /// (cleanvision's low-information default; flat drawings and mostly white pages fall under it
    /// too: lower it for charts and documents).
    #[arg(long, default_value_t = 3.0)]
    min_entropy: f64,
    /// List only the findings of this check (every check runs and every finding is kept).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(CHECK_KINDS))]
    kind: Option<String>,
    /// One JSON object per finding, then one with the counts.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    if !(args.near_equal > 0.0 && args.near_equal <= 1.0) {
        anyhow::bail!("--near-equal {}: a Jaccard similarity above 0 and at most 1, e.g. 0.9", args.near_equal);
    }
    let mut store = super::open_existing(&args.project)?;
    let options = CheckOptions {
        near_equal: args.near_equal,
        min_side: args.min_side,
        min_aspect: args.min_aspect,
        min_entropy: args.min_entropy,
        ..CheckOptions::default()
    };
    let name = args.project.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let report = with_bar(&name, |p| checks::run(&mut store, &options, p))?;
    let findings = store.check_findings(args.kind.as_deref())?;
    let ids: Vec<SampleId> = findings.iter().map(|f| f.sample).collect();
    let places = store.sample_places(&ids)?;
    for f in &findings {
        let place = places.get(&f.sample);
        if args.json {
            outln!("{}", finding_json(f, place));
        } else {
            outln!("{}", finding_line(f, place));
        }
    }
    if args.json {
        outln!("{}", counts_json(&report));
    } else {
        eprintln!("{}", summary_line(&report));
        for (kind, n) in &report.counts {
            outln!("{kind}: {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn finding_json(f: &StoredFinding, place: Option<&SamplePlace>) -> serde_json::Value {
    let mut out = serde_json::json!({
        "sample": f.sample,
        "dataset": place.map(|p| p.dataset_name.clone()),
        "position": place.map(|p| p.position.to_string()),
        "key": place.and_then(|p| p.key.clone()),
        "kind": f.kind,
        "detail": f.detail,
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(r) = f.response {
            obj.insert("response".into(), crate::store::position_letter(r).into());
        }
        if let Some((id, field, kind)) = &f.media {
            obj.insert("media".into(), serde_json::json!({"id": id, "field": field, "kind": kind}));
        }
        if let Some(other) = f.other {
            obj.insert("other".into(), other.0.into());
        }
    }
    out
}

fn finding_line(f: &StoredFinding, place: Option<&SamplePlace>) -> String {
    let at = match place {
        Some(p) => {
            let key = p.key.as_ref().map_or_else(String::new, |k| format!(", key {k}"));
            format!(" ({} {}{key})", p.dataset_name, p.position)
        }
        None => String::new(),
    };
    format!("sample {}{at}: {}: {}", f.sample, f.kind, f.detail)
}

fn counts_json(report: &CheckReport) -> serde_json::Value {
    let counts: serde_json::Map<String, serde_json::Value> =
        report.counts.iter().map(|(k, n)| ((*k).to_owned(), (*n).into())).collect();
    serde_json::json!({
        "counts": counts,
        "findings": report.total(),
        "samples": report.samples,
        "media": report.media,
    })
}

fn summary_line(report: &CheckReport) -> String {
    use crate::model::words::plural;
    let m = &report.media;
    format!(
        "checked {} and {} ({} decoded now, {} decoded before, {} not decoding in full): {}",
        plural(report.samples, "sample"),
        plural(m.items, "media item"),
        m.decoded,
        m.already,
        m.failed,
        plural(report.total(), "finding")
    )
}
