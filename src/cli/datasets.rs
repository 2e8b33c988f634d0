//! `verdict remove-dataset` and `verdict relink`: dataset management through the write path.

use super::label::CuratorArg;
use super::progress::with_bar;
use crate::model::DatasetId;
use crate::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `verdict remove-dataset`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The project file.
    project: PathBuf,
    /// The dataset: its id or its name (`verdict info` lists them).
    dataset: String,
    /// Remove it (without this, say what would go and change nothing).
    #[arg(long)]
    yes: bool,
    /// Print the outcome as one JSON line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    curator: CuratorArg,
}

/// Arguments of `verdict relink`.
#[derive(Debug, clap::Args)]
pub struct RelinkArgs {
    /// The project file.
    project: PathBuf,
    /// The dataset: its id or its name.
    dataset: String,
    /// The folder its media moved to (relative paths resolve here, as `--media-root` does at import).
    folder: PathBuf,
    /// Print the outcome as one JSON line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    curator: CuratorArg,
}

/// A dataset named by id or name.
pub(super) fn resolve(store: &Store, which: &str) -> anyhow::Result<(DatasetId, String, u64)> {
    let datasets = store.datasets()?;
    let by_id = which.parse::<i64>().ok().and_then(|n| datasets.iter().find(|d| d.id.0 == n));
    let by_name: Vec<_> = datasets.iter().filter(|d| d.name == which).collect();
    let d = match (by_id, by_name.as_slice()) {
        (Some(d), _) => d,
        (None, [d]) => *d,
        (None, []) => anyhow::bail!("no dataset `{which}` (verdict info lists them)"),
        (None, many) => {
            let ids: Vec<String> = many.iter().map(|d| d.id.to_string()).collect();
            anyhow::bail!("{} datasets are named `{which}` (ids {}): name one by its id", many.len(), ids.join(", "))
        }
    };
    Ok((d.id, d.name.clone(), d.sample_count))
}

pub(super) fn run_remove(args: &RemoveArgs) -> anyhow::Result<ExitCode> {
    let mut store = super::open_existing(&args.project)?;
    let (id, name, samples) = resolve(&store, &args.dataset)?;
    if !args.yes {
        eprintln!(
            "would remove dataset {id} ({name}) with its {}, their labels, flags, notes and history; \
             it cannot be undone: run again with --yes",
            crate::model::words::plural(samples, "sample")
        );
        return Ok(ExitCode::from(2));
    }
    let removed = with_bar(&name, |progress| store.remove_dataset(&args.curator.actor(), id, progress))?;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({"dataset": id, "name": name, "samples": removed.samples, "blobs": removed.blobs,
                               "op": removed.changes.op})
        );
    } else {
        outln!(
            "removed dataset {id} ({name}): {}, {} embedded media no other sample used",
            crate::model::words::plural(removed.samples, "sample"),
            removed.blobs
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run_relink(args: &RelinkArgs) -> anyhow::Result<ExitCode> {
    let mut store = super::open_existing(&args.project)?;
    let (id, name, _) = resolve(&store, &args.dataset)?;
    let s = with_bar(&name, |progress| {
        crate::ingest::relink::relink_media(&mut store, &args.curator.actor(), id, &args.folder, progress)
    })?;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({"dataset": id, "name": name, "media": s.media, "found": s.found,
                               "failed": s.failed, "missing": s.missing})
        );
    } else {
        outln!(
            "dataset {id} ({name}): {} of {} media found in {} ({} unreadable, {} not there)",
            s.found,
            s.media,
            args.folder.display(),
            s.failed,
            s.missing
        );
    }
    Ok(if s.media > 0 && s.found == 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
