//! `verdict export`: the cleaned subset out, for a trainer.

use super::progress::BarSink;
use crate::export::{self, ExportOptions, FileFormat, Form, MediaMode, PairMode, Split, Target, TiesMode};
use crate::jobs::{CancelToken, Progress};
use crate::model::words::plural;
use clap::builder::PossibleValuesParser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> PossibleValuesParser {
    PossibleValuesParser::new(all.iter().map(|v| name(*v)))
}

/// Arguments of `verdict export`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
verdict export p.verdict --out out/trl                      # TRL JSONL, media copied into out/trl/media/\n  \
verdict export p.verdict --format llamafactory --out out/lf --split test=0.05 --seed 7\n  \
verdict export p.verdict --format trl --file-format parquet --out out/trl-pq --where 'modality:image'\n  \
verdict export p.verdict --format original --out out/cleaned  # each dataset in its own schema\n\n\
Left out by default, and counted in manifest.json: samples marked excluded (--include-excluded), flagged \
samples (--include-flagged), ties and both-bad \
(--ties keep writes them where the format can say so), samples whose media are missing, and samples the \
format cannot express (video in TRL, images in OpenRLHF, a system message or earlier turns in a string form).\n\n\
--form (trl, openrlhf): auto writes message lists when a selected sample has a system message or earlier turns \
(TRL: or images), else strings; strings and messages force one. manifest.json names each file's form.")]
pub struct ExportArgs {
    /// The project file.
    project: PathBuf,
    /// The folder to write into (created; must be empty unless --force).
    #[arg(long)]
    out: PathBuf,
    /// The format a trainer reads.
    #[arg(long, default_value = "trl", value_parser = names(Target::ALL, Target::as_str))]
    format: String,
    /// The data file type (`original` keeps each source's own; `verdict` is always JSONL).
    #[arg(long, default_value = "jsonl", value_parser = names(FileFormat::ALL, FileFormat::as_str))]
    file_format: String,
    /// Which samples, in the query language of `verdict search` (default: all).
    #[arg(long = "where", default_value = "")]
    query: String,
    /// Write flagged samples too.
    #[arg(long)]
    include_flagged: bool,
    /// Write samples marked excluded too.
    #[arg(long)]
    include_excluded: bool,
    /// Rankings and ratings to pairs.
    #[arg(long, default_value = "best-worst", value_parser = names(PairMode::ALL, PairMode::as_str))]
    pairs: String,
    /// The rated aspect that orders responses (default: an overall rating, else the mean of the aspects).
    #[arg(long)]
    aspect: Option<String>,
    /// Write each pair's margin from this scorer's scores (`verdict scorers` lists them):
    /// score(chosen) - score(rejected) under the label in force, null where it scored neither.
    #[arg(long, value_name = "SCORER")]
    margin_from: Option<String>,
    /// Ties and both-bad: left out and counted (drop), or written where the format can say so (keep).
    #[arg(long, default_value = "drop", value_parser = names(TiesMode::ALL, TiesMode::as_str))]
    ties: String,
    /// TRL and OpenRLHF: strings, or lists of {role, content} messages (auto: messages where a sample has a system
    /// message or earlier turns, or for TRL images).
    #[arg(long, default_value = "auto", value_parser = names(Form::ALL, Form::as_str))]
    form: String,
    /// A reproducible split, e.g. test=0.05 (samples sharing a prompt and media stay together).
    #[arg(long)]
    split: Option<String>,
    /// The split's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Media: copy into DIR/media (default for JSONL), link, embed (default for Parquet), reference.
    #[arg(long, value_parser = names(MediaMode::ALL, MediaMode::as_str))]
    media: Option<String>,
    /// Replace an earlier export in a non-empty --out (other files there are left alone).
    #[arg(long)]
    force: bool,
    /// Write nothing: print the counts and the first rows as they would be written.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

fn parse<T>(ok: Option<T>, what: &str, v: &str) -> anyhow::Result<T> {
    ok.ok_or_else(|| anyhow::anyhow!("--{what}: unknown value {v}"))
}

impl ExportArgs {
    fn options(&self) -> anyhow::Result<ExportOptions> {
        let mut o = ExportOptions::new(parse(Target::parse(&self.format), "format", &self.format)?, &self.out);
        o.file_format = parse(FileFormat::parse(&self.file_format), "file-format", &self.file_format)?;
        o.query.clone_from(&self.query);
        o.include_flagged = self.include_flagged;
        o.include_excluded = self.include_excluded;
        o.pairs = parse(PairMode::parse(&self.pairs), "pairs", &self.pairs)?;
        o.aspect.clone_from(&self.aspect);
        o.margin_from.clone_from(&self.margin_from);
        o.ties = parse(TiesMode::parse(&self.ties), "ties", &self.ties)?;
        o.form = parse(Form::parse(&self.form), "form", &self.form)?;
        o.split = self.split.as_deref().map(|s| Split::parse(s, self.seed)).transpose().map_err(anyhow::Error::msg)?;
        o.media = match &self.media {
            Some(m) => Some(parse(MediaMode::parse(m), "media", m)?),
            None => None,
        };
        o.force = self.force;
        o.invocation = std::env::args().collect();
        Ok(o)
    }
}

pub(super) fn run(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let options = args.options()?;
    let store = super::open_existing(&args.project)?;
    let sink = Arc::new(BarSink::new("export"));
    let mut progress = Progress::new(sink.clone(), CancelToken::new());
    if args.dry_run {
        let preview = export::preview(&store, &options, 3, &mut progress);
        sink.clear();
        let preview = preview?;
        if args.json {
            outln!(
                "{}",
                serde_json::json!({"dry_run": true, "counts": preview.counts, "left_out": preview.left_out, "rows": preview.rows})
            );
        } else {
            for row in &preview.rows {
                outln!("{row}");
            }
            describe(&preview.counts, &preview.left_out, "would write", options.target);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let result = export::run(&store, &options, &mut progress);
    sink.clear();
    let report = result?;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({
                "out": report.out.display().to_string(), "files": report.files, "counts": report.counts,
                "left_out": report.left_out, "media_files": report.media_files, "media_bytes": report.media_bytes,
                "seconds": report.elapsed.as_secs_f64(),
            })
        );
    } else {
        let secs = report.elapsed.as_secs_f64();
        outln!(
            "wrote {} from {} to {} in {secs:.2} s ({:.0} rows/s): {}",
            plural(report.counts.rows_written as u64, "row"),
            plural(report.counts.samples_written as u64, "sample"),
            report.out.display(),
            report.counts.rows_written as f64 / secs.max(1e-9),
            report.files.join(", ")
        );
        describe(&report.counts, &report.left_out, "wrote", options.target);
    }
    Ok(ExitCode::SUCCESS)
}

/// The counts on stderr: per file, labels, what was left out and why in words (the first few
/// missing media listed).
fn describe(counts: &export::Counts, left_out: &[export::LeftOut], verb: &str, target: Target) {
    let files: Vec<String> = counts.rows_per_file.iter().map(|(f, n)| format!("{f}: {n}")).collect();
    eprintln!(
        "{} matched; {verb} {} ({}); labels: {} from curators, {} original",
        plural(counts.samples_matched, "sample"),
        plural(counts.rows_written, "row"),
        files.join(", "),
        counts.curator_labels,
        counts.original_labels
    );
    if counts.placeholders_repaired > 0 {
        eprintln!(
            "  {} had their media placeholders added or removed to match their media",
            plural(counts.placeholders_repaired, "row")
        );
    }
    if !counts.left_out.is_empty() {
        eprintln!("  left out {}:", plural(counts.left_out_total(), "sample"));
        for (reason, n) in &counts.left_out {
            eprintln!("    {}: {n}", export::reasons::in_words(reason, target));
        }
        for l in left_out.iter().filter(|l| l.reason == "missing_media").take(5) {
            eprintln!("      {}", export::reasons::left_out_line(l, target));
        }
    }
    for (what, n) in &counts.notes {
        eprintln!("  note: {what}: {n}");
    }
}
