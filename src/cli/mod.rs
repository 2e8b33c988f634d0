//! The command line: a thin front end over the core. Data goes to stdout; progress, logs and
//! errors to stderr. Exit codes: 0 success, 1 failure (one line saying why), 2 usage error.

mod import;
mod info;
mod progress;
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
    /// Per dataset: rows, modalities, judgment kinds, media problems, import errors.
    Info {
        /// The project file.
        project: PathBuf,
        /// How many import report lines to list per dataset.
        #[arg(long, default_value_t = 10)]
        errors: usize,
    },
    /// One sample as text.
    Show {
        /// The project file.
        project: PathBuf,
        /// The sample id (as `verdict info` and the app show it).
        id: i64,
    },
    /// The dataset layouts Verdict recognizes, and the columns each expects.
    Presets,
    /// Samples matching a query (fields such as `modality:image`, `len_chosen>500`, free text).
    Search(search::SearchArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => {
            // The desktop app arrives with the review workspace; until then, say what there is.
            use clap::CommandFactory;
            Cli::command().print_help()?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Import(args)) => import::run(&args),
        Some(Command::Info { project, errors }) => info::run(&project, errors).map(|()| ExitCode::SUCCESS),
        Some(Command::Show { project, id }) => show::run(&project, id).map(|()| ExitCode::SUCCESS),
        Some(Command::Search(args)) => search::run(&args),
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
