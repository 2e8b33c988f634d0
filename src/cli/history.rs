//! `verdict history`: the project's operations, newest first, or what happened to one sample.

use std::path::PathBuf;

/// Arguments of `verdict history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The project file.
    project: PathBuf,
    /// One sample's changes instead (its id, or the source's own id as `verdict show` takes it).
    #[arg(long)]
    sample: Option<String>,
    /// At most this many operations.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &HistoryArgs) -> anyhow::Result<()> {
    let store = super::open_existing(&args.project)?;
    if let Some(which) = &args.sample {
        let id = super::show::resolve(&store, which)?;
        for c in store.sample_history(id)? {
            if args.json {
                outln!("{}", serde_json::to_string(&c)?);
            } else {
                let op = c.op.map(|o| format!("#{o} ")).unwrap_or_default();
                outln!("{op}{} {} {}: {}", c.at, c.curator, c.action.replace('_', " "), c.changes.join("; "));
            }
        }
        return Ok(());
    }
    for e in store.history(args.limit)? {
        if args.json {
            outln!("{}", serde_json::to_string(&e)?);
        } else {
            outln!("#{} {} {} ({}) {}", e.op.id, e.op.at, e.op.curator, e.op.origin, e.summary);
        }
    }
    Ok(())
}
