//! The command line: a thin front end over the core. Data goes to stdout; progress, logs and
//! errors to stderr. Exit codes: 0 success, 1 failure (one line saying why), 2 usage error.

/// Prints data on stdout like `println!`, through [`out::write`]: a reader that closed the pipe
/// (`verdict info P | head`) ends the process quietly instead of panicking.
macro_rules! outln {
    () => {
        $crate::cli::out::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` through [`out::write`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!($($arg)*))
    };
}

mod check;
mod clean;
mod datasets;
mod export;
mod history;
mod import;
mod info;
mod label;
mod out;
mod progress;
mod score;
mod search;
mod show;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Verdict: curate multimodal preference data (RLHF/DPO) offline.
#[derive(Debug, Parser)]
#[command(name = "verdict", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import dataset files (JSONL, JSON, Parquet, Arrow) into a project.
    Import(import::ImportArgs),
    /// Export the cleaned subset for a trainer (TRL, LLaMA-Factory, ms-swift, OpenRLHF), in each
    /// dataset's own schema, or in Verdict's lossless format.
    Export(export::ExportArgs),
    /// Per dataset: rows, modalities, judgment kinds, media problems, import errors.
    Info {
        /// The project file.
        project: PathBuf,
        /// How many import report lines to list per dataset.
        #[arg(long, default_value_t = 10)]
        errors: usize,
        /// One JSON line per dataset (counts, status, report lines with their positions).
        #[arg(long)]
        json: bool,
    },
    /// One sample as text: its candidates, media, judgments, the label in force, flag, note and exclusion.
    Show {
        /// The project file.
        project: PathBuf,
        /// The sample: its id, or the source's own id (as the app's sample header shows them).
        id: String,
        /// Print it as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Relabel, flag, exclude or note every sample a query matches, as one undoable operation.
    Label(label::LabelArgs),
    /// Remove a dataset with its samples and their curation (asks for --yes; cannot be undone).
    RemoveDataset(datasets::RemoveArgs),
    /// Point a dataset's media at the folder they moved to, without importing again.
    Relink(datasets::RelinkArgs),
    /// Undo the curator's latest operation (or --op N), from the app or the command line.
    Undo(label::UndoArgs),
    /// Redo what the curator's latest undo undid (or --op N).
    Redo(label::UndoArgs),
    /// The project's operations, newest first (or one sample's changes with --sample).
    History(history::HistoryArgs),
    /// The dataset layouts Verdict recognizes, and the columns each expects.
    Presets,
    /// Find duplicates: exact and near-duplicate images, video, audio, prompts and responses, and
    /// samples asking the same question (groups kept in the project; --exclude acts on them).
    Dedup(clean::DedupArgs),
    /// The duplicate groups the last `verdict dedup` found (one JSON object per group with --json).
    Dups(clean::DupsArgs),
    /// Samples that nearly duplicate a member of a reference set (an evaluation benchmark), by
    /// image, by prompt or both.
    Contamination(clean::ContaminationArgs),
    /// Consistency and media checks: opposite labels, chosen equal to rejected, empty or cut-off
    /// responses, placeholder counts, ratings against the label, images a curator can't judge, and
    /// media that does not decode in full (marked failed). Findings listed, counts per check last.
    Check(check::CheckArgs),
    /// Samples matching a query (fields such as `modality:image`, `len_chosen>500`, free text).
    Search(search::SearchArgs),
    /// Score every candidate with a local model (a folder, or org/name in the Hugging Face cache):
    /// model judgments that never change a label, kept by content so nothing is scored twice.
    Score(score::ScoreArgs),
    /// The scorers of a project: identity, device, samples judged, agreement with the labels.
    Scorers(score::ScorersArgs),
    /// The pairs a scorer disagrees with most confidently: margin and the probability the label is right.
    Suspects(score::SuspectsArgs),
    /// Open the desktop app on a project (created if it does not exist).
    Open {
        /// The project file.
        project: PathBuf,
    },
    /// Render the app on a project (and sample) in a window and save it as a PNG.
    Screenshot {
        /// The project file.
        project: PathBuf,
        /// Where to write the PNG.
        #[arg(long)]
        out: PathBuf,
        /// The sample to show (default: the first).
        #[arg(long)]
        sample: Option<i64>,
        /// Window size, `WIDTHxHEIGHT`.
        #[arg(long, default_value = "1400x900", value_parser = parse_size)]
        size: (f32, f32),
    },
}

fn parse_size(s: &str) -> Result<(f32, f32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("{s}: expected WIDTHxHEIGHT, e.g. 1400x900"))?;
    let num = |t: &str| t.trim().parse::<u16>().ok().filter(|n| *n >= 200).map(f32::from);
    match (num(w), num(h)) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(format!("{s}: width and height must be whole numbers of at least 200")),
    }
}

/// What the command line asks of the desktop app. The binary hands these to `ui`; the CLI itself
/// never depends on the UI layer.
#[derive(Debug, Clone, PartialEq)]
pub enum GuiRequest {
    /// Open the app, on this project or the last one.
    Open(Option<PathBuf>),
    /// Render the app on a project and save a PNG.
    Screenshot {
        /// The project.
        project: PathBuf,
        /// The PNG to write.
        out: PathBuf,
        /// The sample to show.
        sample: Option<i64>,
        /// Window size in points.
        size: [f32; 2],
    },
}

/// Runs the command line and returns the process exit code; `gui` opens the desktop app.
pub fn main(gui: impl FnOnce(GuiRequest) -> anyhow::Result<()>) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match run(cli, gui) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, gui: impl FnOnce(GuiRequest) -> anyhow::Result<()>) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => gui(GuiRequest::Open(None)).map(|()| ExitCode::SUCCESS),
        Some(Command::Open { project }) => gui(GuiRequest::Open(Some(project))).map(|()| ExitCode::SUCCESS),
        Some(Command::Screenshot { project, out, sample, size }) => {
            gui(GuiRequest::Screenshot { project, out: out.clone(), sample, size: [size.0, size.1] })?;
            eprintln!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Import(args)) => import::run(&args),
        Some(Command::Export(args)) => export::run(&args),
        Some(Command::Info { project, errors, json }) => info::run(&project, errors, json).map(|()| ExitCode::SUCCESS),
        Some(Command::Show { project, id, json }) => show::run(&project, &id, json).map(|()| ExitCode::SUCCESS),
        Some(Command::Label(args)) => label::run_label(&args),
        Some(Command::RemoveDataset(args)) => datasets::run_remove(&args),
        Some(Command::Relink(args)) => datasets::run_relink(&args),
        Some(Command::Undo(args)) => label::run_undo(&args, false),
        Some(Command::Redo(args)) => label::run_undo(&args, true),
        Some(Command::History(args)) => history::run(&args).map(|()| ExitCode::SUCCESS),
        Some(Command::Search(args)) => search::run(&args),
        Some(Command::Dedup(args)) => clean::run_dedup(&args),
        Some(Command::Dups(args)) => clean::run_dups(&args),
        Some(Command::Contamination(args)) => clean::run_contamination(&args),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::Score(args)) => score::run_score(&args),
        Some(Command::Scorers(args)) => score::run_scorers(&args),
        Some(Command::Suspects(args)) => score::run_suspects(&args),
        Some(Command::Presets) => {
            info::presets();
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Opens an existing project (never creates one by accident on a typo).
fn open_existing(project: &std::path::Path) -> anyhow::Result<crate::store::Store> {
    if !project.exists() {
        anyhow::bail!(
            "no project file at {} (create one with `verdict import FILE --project {}`)",
            project.display(),
            project.display()
        );
    }
    Ok(crate::store::Store::open(project)?)
}
