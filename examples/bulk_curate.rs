//! Benchmark: one bulk action over every sample of a project and its undo, through the store's
//! write path (`Store::curate`, `Store::undo`), as the app's bulk job and `verdict label` run it.
//! Prints one JSON line per step with its wall time; run it under `/usr/bin/time -v` for peak RSS.
//!
//! ```text
//! cargo run --release --example bulk_curate -- PROJECT.verdict [exclude|flag|swap]
//! {"step":"open","seconds":0.01}
//! {"step":"exclude","samples":1000000,"seconds":6.1}
//! {"step":"undo","samples":1000000,"seconds":7.0}
//! ```
//!
//! It changes the project (and restores it with the undo): run it on a copy.

use std::process::ExitCode;
use std::time::Instant;
use verdict::jobs::Progress;
use verdict::store::{Actor, CurationAction, SortKey, Store};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(project) = args.first() else {
        eprintln!("usage: bulk_curate PROJECT.verdict [exclude|flag|swap]");
        return ExitCode::from(2);
    };
    let action = match args.get(1).map_or("exclude", String::as_str) {
        "exclude" => CurationAction::Exclude("duplicate".into()),
        "flag" => CurationAction::Flag("bench".into()),
        "swap" => CurationAction::Swap,
        other => {
            eprintln!("bulk_curate: unknown action {other}");
            return ExitCode::from(2);
        }
    };
    let step = |name: &str, samples: Option<usize>, t: Instant| {
        let mut line = serde_json::json!({"step": name, "seconds": t.elapsed().as_secs_f64()});
        if let Some(n) = samples {
            line["samples"] = n.into();
        }
        println!("{line}");
    };
    let result = (|| -> Result<(), verdict::store::StoreError> {
        let t = Instant::now();
        let mut store = Store::open(std::path::Path::new(project))?;
        step("open", None, t);
        let t = Instant::now();
        let ids = store.matching_ids(&verdict::query::compile("").expect("empty query"), SortKey::Id, false)?;
        step("ids", Some(ids.len()), t);
        let actor = Actor::new("bench", "bench");
        let t = Instant::now();
        let done = store.curate(&actor, &ids, &action, None, &mut Progress::silent())?;
        step(&action.name(), Some(done.changes.samples.len()), t);
        let t = Instant::now();
        let undone = store.undo(&actor, None)?;
        step("undo", Some(undone.changes.samples.len()), t);
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bulk_curate: {e}");
            ExitCode::FAILURE
        }
    }
}
