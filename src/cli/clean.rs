//! `verdict dedup`, `verdict dups` and `verdict contamination`: the cleaning passes from the
//! command line, and their groups and hits listed for scripts (`--json`, one object per line).

use super::label::CuratorArg;
use super::progress::with_bar;
use crate::clean::dedup::{self, DedupOptions};
use crate::clean::keep::{KeepPolicy, exclude_duplicates};
use crate::clean::semantic::SemanticOptions;
use crate::clean::{CleanError, contamination};
use crate::model::SampleId;
use crate::query::DUP_KINDS as KINDS;
use crate::store::{Curated, CurationAction, DupGroup, SamplePlace};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// How close is near, for `dedup` and `contamination`.
#[derive(Debug, clap::Args)]
pub struct NearArgs {
    /// Images (and video frames) within this many bits of 64 are near duplicates.
    #[arg(long, default_value_t = crate::clean::phash::DEFAULT_RADIUS, value_parser = clap::value_parser!(u32).range(0..=32))]
    radius: u32,
    /// Texts at or above this Jaccard similarity of their word sets are near duplicates.
    #[arg(long, default_value_t = 0.8)]
    threshold: f64,
}

impl NearArgs {
    /// The pass options with these distances (every kind on).
    fn options(&self) -> anyhow::Result<DedupOptions> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            anyhow::bail!("--threshold {}: a Jaccard similarity above 0 and at most 1, e.g. 0.8", self.threshold);
        }
        Ok(DedupOptions { radius: self.radius, threshold: self.threshold, ..DedupOptions::default() })
    }
}

/// Arguments of `verdict dedup`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Without --images, --video, --audio or --text every pass runs. Groups are kept in the project: \
`verdict dups P` lists them, the query fields dup:KIND and dup:extra find their members.\n\n\
Examples:\n  verdict dedup p.verdict\n  verdict dedup p.verdict --images --radius 6\n  \
verdict dedup p.verdict --text prompts --threshold 0.9\n  verdict dedup p.verdict --exclude --kind sample --keep longest"
)]
pub struct DedupArgs {
    /// The project file.
    project: PathBuf,
    /// Near-duplicate images (perceptual hashes).
    #[arg(long)]
    images: bool,
    /// Near-duplicate videos (files and frame folders).
    #[arg(long)]
    video: bool,
    /// Near-duplicate audio (acoustic fingerprints).
    #[arg(long)]
    audio: bool,
    /// Near-duplicate text: prompts, responses (may be given twice).
    #[arg(long, value_parser = ["prompts", "responses"])]
    text: Vec<String>,
    /// Prompts near in meaning: the prompt embeddings a sentence-embedding scorer kept (`verdict
    /// score`), compared by cosine; groups of kind `semantic`. Alone unless other passes are named.
    #[arg(long)]
    semantic: bool,
    /// The scorer whose embeddings --semantic compares (default: the one that ran last).
    #[arg(long, requires = "semantic")]
    scorer: Option<String>,
    /// --semantic: prompts whose embeddings reach this cosine are near duplicates.
    #[arg(long, default_value_t = 0.95)]
    cosine: f64,
    #[command(flatten)]
    near: NearArgs,
    /// Then exclude every group member but its keeper, reason `duplicate` (one undoable operation).
    #[arg(long)]
    exclude: bool,
    /// The kind of group --exclude acts on.
    #[arg(long, default_value = "sample", value_parser = clap::builder::PossibleValuesParser::new(KINDS))]
    kind: String,
    /// Which member of a group stays: first (import order), longest, curated, rated, or scored
    /// (scored:NAME; without a name the scorer that ran last): the member whose label the scorer
    /// backs most, the largest margin score(chosen) - score(rejected).
    #[arg(long, default_value = "first")]
    keep: String,
    /// Print the counts (and the exclusion) as one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    curator: CuratorArg,
}

/// Arguments of `verdict dups`.
#[derive(Debug, clap::Args)]
pub struct DupsArgs {
    /// The project file.
    project: PathBuf,
    /// Only groups of this kind.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(KINDS))]
    kind: Option<String>,
    /// One JSON object per group: kind, distance or similarity, members (keeper first).
    #[arg(long)]
    json: bool,
}

/// Arguments of `verdict contamination`.
#[derive(Debug, clap::Args)]
pub struct ContaminationArgs {
    /// The project file.
    project: PathBuf,
    /// The reference set (an evaluation benchmark imported as a dataset): its id or name. It is
    /// marked as a reference set: never exported, never a duplicate of its own members.
    #[arg(long)]
    reference: String,
    #[command(flatten)]
    near: NearArgs,
    /// Then exclude every contaminated sample, reason `contamination` (one undoable operation).
    #[arg(long)]
    exclude: bool,
    /// Instead: the dataset is a reference set no more (it is exported again; its hits are dropped;
    /// exclusions already made stay, `verdict undo` takes them back).
    #[arg(long, conflicts_with = "exclude")]
    forget: bool,
    /// One JSON object per hit.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    curator: CuratorArg,
}

pub(super) fn run_dedup(args: &DedupArgs) -> anyhow::Result<ExitCode> {
    let near = args.near.options()?;
    let policy = KeepPolicy::parse(&args.keep)?;
    let mut store = super::open_existing(&args.project)?;
    let named = args.images || args.video || args.audio || !args.text.is_empty();
    let all = !named && !args.semantic;
    let options = DedupOptions {
        images: all || args.images,
        video: all || args.video,
        audio: all || args.audio,
        prompts: all || args.text.iter().any(|t| t == "prompts"),
        responses: all || args.text.iter().any(|t| t == "responses"),
        ..near
    };
    let name = args.project.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let semantic = if args.semantic {
        let o = SemanticOptions { scorer: args.scorer.clone(), cosine: args.cosine, ..SemanticOptions::default() };
        Some(with_bar(&name, |p| crate::clean::semantic::run(&mut store, &o, p)).map_err(cancelled)?)
    } else {
        None
    };
    let report = if all || named {
        with_bar(&name, |p| dedup::run(&mut store, &options, p)).map_err(cancelled)?
    } else {
        dedup::DedupReport::default()
    };
    let excluded = if args.exclude {
        let (ids, curated) =
            with_bar(&name, |p| exclude_duplicates(&mut store, &args.curator.actor(), &args.kind, &policy, p))?;
        Some((ids, curated))
    } else {
        None
    };
    if args.json {
        let mut out = serde_json::to_value(&report)?;
        if let (Some((ids, curated)), Some(obj)) = (&excluded, out.as_object_mut()) {
            obj.insert("excluded".into(), exclusion_json(&args.kind, ids, curated));
        }
        if let (Some(s), Some(obj)) = (&semantic, out.as_object_mut()) {
            obj.insert("semantic".into(), serde_json::to_value(s)?);
        }
        outln!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(s) = &semantic {
        outln!(
            "semantic ({}): {} group{}, {} samples, of {} prompts with an embedding ({} pairs compared, {} near)",
            s.scorer,
            s.groups,
            if s.groups == 1 { "" } else { "s" },
            s.samples,
            s.embedded,
            s.candidates,
            s.pairs
        );
    }
    let m = &report.media;
    if all || named {
        outln!(
            "media: {} items, {} fingerprinted now, {} already, {} could not be decoded",
            m.items,
            m.fingerprinted,
            m.already,
            m.failed
        );
        for (kind, c) in &report.kinds {
            outln!(
                "{kind}: {} group{}, {} samples ({} beyond the first of each)",
                c.groups,
                if c.groups == 1 { "" } else { "s" },
                c.samples,
                c.extra
            );
        }
    }
    if let Some((ids, curated)) = excluded {
        outln!("{}", exclusion_line(&args.kind, "duplicate", &ids, &curated));
    }
    Ok(ExitCode::SUCCESS)
}

fn exclusion_json(kind: &str, ids: &[SampleId], curated: &Curated) -> serde_json::Value {
    serde_json::json!({
        "kind": kind, "samples": ids.len(), "changed": curated.changes.samples.len(),
        "skipped": curated.skipped, "op": curated.changes.op,
    })
}

fn exclusion_line(kind: &str, reason: &str, ids: &[SampleId], curated: &Curated) -> String {
    let mut line = format!(
        "excluded {} sample{} ({reason}, {kind})",
        curated.changes.samples.len(),
        if curated.changes.samples.len() == 1 { "" } else { "s" }
    );
    let left = curated.skipped_count();
    if left > 0 {
        let _ = write!(line, "; {left} of {} left as they were (already excluded)", ids.len());
    }
    if let Some(op) = curated.changes.op {
        let _ = write!(line, "; `verdict undo` (operation #{op}) takes it back");
    }
    line
}

fn cancelled(e: CleanError) -> anyhow::Error {
    anyhow::Error::new(e)
}

/// A member as scripts read it.
fn member_json(
    sample: SampleId,
    response: Option<u32>,
    score: Option<f64>,
    place: Option<&SamplePlace>,
) -> serde_json::Value {
    let mut m = serde_json::json!({
        "sample": sample,
        "dataset": place.map(|p| p.dataset_name.clone()),
        "position": place.map(|p| p.position.to_string()),
        "key": place.and_then(|p| p.key.clone()),
    });
    if let Some(obj) = m.as_object_mut() {
        if let Some(r) = response {
            obj.insert("response".into(), crate::store::position_letter(r).into());
        }
        obj.insert("score".into(), score.into());
    }
    m
}

/// `distance` (bits, images) or `similarity` (the rest): the group's weakest link.
fn group_measure(g: &DupGroup) -> (&'static str, Option<f64>) {
    let scores = g.members.iter().filter_map(|m| m.score);
    if g.kind == "image" { ("distance", scores.reduce(f64::max)) } else { ("similarity", scores.reduce(f64::min)) }
}

pub(super) fn run_dups(args: &DupsArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(&args.project)?;
    let groups = store.dup_groups(args.kind.as_deref())?;
    let ids: Vec<SampleId> = groups.iter().flat_map(|g| g.members.iter().map(|m| m.sample)).collect();
    let places = store.sample_places(&ids)?;
    if groups.is_empty() && !args.json {
        eprintln!(
            "no duplicate groups{}: run `verdict dedup` first",
            args.kind.as_ref().map_or(String::new(), |k| format!(" of kind {k}"))
        );
    }
    for g in &groups {
        let (measure, value) = group_measure(g);
        if args.json {
            let members: Vec<serde_json::Value> =
                g.members.iter().map(|m| member_json(m.sample, m.response, m.score, places.get(&m.sample))).collect();
            outln!("{}", serde_json::json!({"group": g.id, "kind": g.kind, measure: value, "members": members}));
        } else {
            let what = value.map_or_else(String::new, |v| {
                if measure == "distance" {
                    format!(", within {v:.0} bits")
                } else {
                    format!(", similarity {v:.2} or more")
                }
            });
            outln!("group {} ({}, {} members{what}):", g.id, g.kind, g.members.len());
            for (i, m) in g.members.iter().enumerate() {
                outln!(
                    "  {}{}",
                    if i == 0 { "keep " } else { "     " },
                    describe(m.sample, m.response, places.get(&m.sample))
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(sample: SampleId, response: Option<u32>, place: Option<&SamplePlace>) -> String {
    let mut s = format!("sample {sample}");
    if let Some(r) = response {
        let _ = write!(s, " response {}", crate::store::position_letter(r));
    }
    if let Some(p) = place {
        let _ = write!(s, " ({} {}", p.dataset_name, p.position);
        if let Some(k) = &p.key {
            let _ = write!(s, ", key {k}");
        }
        s.push(')');
    }
    s
}

pub(super) fn run_contamination(args: &ContaminationArgs) -> anyhow::Result<ExitCode> {
    let options = args.near.options()?;
    let mut store = super::open_existing(&args.project)?;
    let (reference, name, _) = super::datasets::resolve(&store, &args.reference)?;
    if args.forget {
        store.set_reference(reference, false)?;
        store.replace_contamination(reference, &[])?;
        eprintln!("{name} is a reference set no more: it is exported again, its contamination hits are dropped");
        return Ok(ExitCode::SUCCESS);
    }
    let hits = with_bar(&name, |p| contamination::run(&mut store, reference, &options, p)).map_err(cancelled)?;
    let ids: Vec<SampleId> = hits.iter().flat_map(|h| [h.sample, h.reference]).collect();
    let places = store.sample_places(&ids)?;
    for h in &hits {
        if args.json {
            let mut sample = member_json(h.sample, None, None, places.get(&h.sample));
            let reference = member_json(h.reference, None, None, places.get(&h.reference));
            if let Some(obj) = sample.as_object_mut() {
                obj.remove("score");
                obj.insert("by".into(), h.by.clone().into());
                obj.insert("distance".into(), h.distance.into());
                let mut r = reference;
                if let Some(o) = r.as_object_mut() {
                    o.remove("score");
                }
                obj.insert("reference".into(), r);
            }
            outln!("{sample}");
        } else {
            let d = if h.by == "prompt" {
                format!("similarity {:.2}", 1.0 - h.distance)
            } else {
                format!("{:.0} bits", h.distance)
            };
            outln!(
                "{} matches reference {} by {} ({d})",
                describe(h.sample, None, places.get(&h.sample)),
                describe(h.reference, None, places.get(&h.reference)),
                h.by
            );
        }
    }
    let mut distinct: Vec<SampleId> = hits.iter().map(|h| h.sample).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if !args.json {
        eprintln!(
            "{} sample{} of other datasets match{} {name} (marked as a reference set: never exported)",
            distinct.len(),
            if distinct.len() == 1 { "" } else { "s" },
            if distinct.len() == 1 { "es" } else { "" }
        );
    }
    if args.exclude && !distinct.is_empty() {
        let curated = with_bar(&name, |p| {
            store.curate(
                &args.curator.actor(),
                &distinct,
                &CurationAction::Exclude("contamination".into()),
                Some(&format!("contaminated reference {name}")),
                p,
            )
        })?;
        let line = exclusion_line("contamination", "contamination", &distinct, &curated);
        if args.json {
            eprintln!("{line}");
        } else {
            outln!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
