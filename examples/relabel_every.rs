//! Benchmark setup: a curator's work on a large project, through the store's own curation API.
//! Swaps the label of every `EVERY`th sample and flags every `10 * EVERY`th one (offset by 1), so
//! that an export has curator labels to resolve and flagged samples to leave out.
//!
//! ```text
//! cargo run --release --example relabel_every -- PROJECT.verdict 100
//! {"swapped":10000,"flagged":1000,"seconds":1.2}
//! ```

use std::process::ExitCode;
use verdict::model::SampleId;
use verdict::store::{CurationAction, Store};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(project), Some(every)) = (args.first(), args.get(1).and_then(|e| e.parse::<i64>().ok())) else {
        eprintln!("usage: relabel_every PROJECT.verdict EVERY");
        return ExitCode::from(2);
    };
    let started = std::time::Instant::now();
    let result = (|| -> Result<(u64, u64), verdict::store::StoreError> {
        let mut store = Store::open(std::path::Path::new(project))?;
        let max: i64 =
            store.conn().query_row("SELECT coalesce(max(id), 0) FROM samples", [], |r| r.get(0)).unwrap_or(0);
        let (mut swapped, mut flagged) = (0, 0);
        for id in (every..=max).step_by(every as usize) {
            store.apply(&verdict::store::Actor::new("bench", "test"), SampleId(id), &CurationAction::Swap)?;
            swapped += 1;
        }
        for id in (1 + every..=max).step_by(10 * every as usize) {
            store.apply(
                &verdict::store::Actor::new("bench", "test"),
                SampleId(id),
                &CurationAction::Flag("bench".into()),
            )?;
            flagged += 1;
        }
        Ok((swapped, flagged))
    })();
    match result {
        Ok((swapped, flagged)) => {
            let seconds = started.elapsed().as_secs_f64();
            println!("{}", serde_json::json!({"swapped": swapped, "flagged": flagged, "seconds": seconds}));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("relabel_every: {e}");
            ExitCode::FAILURE
        }
    }
}
