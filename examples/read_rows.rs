//! How fast the readers turn a file into rows of `Value`, alone (no preset, no store): the part of
//! a JSON Lines or JSON import that exact integers (`Value::parse_json`) and raw JSON elements could
//! slow. Reads the file RUNS times (default 5) and prints the median and the fastest run.
//!
//! ```text
//! cargo run --release --example read_rows -- FILE [RUNS]
//! {"file":"FILE","format":"jsonl","rows":200000,"bytes":323443357,"runs":5,"median_s":0.71,"best_s":0.70,"mb_per_s":455.0}
//! ```
//! MB is 10^6 bytes; `mb_per_s` is of the median run.

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Instant;
use verdict::ingest::readers::{Format, Reader};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: read_rows FILE [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.next().and_then(|r| r.to_str()?.parse().ok()).unwrap_or(5).max(1);
    let path = std::path::PathBuf::from(path);
    let format = match Format::detect(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("read_rows: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let reader = Reader::new(&path, format);
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0u64;
    for _ in 0..runs {
        let started = Instant::now();
        let mut n = 0u64;
        let mut bad = 0u64;
        if let Err(e) = reader.for_each(0, &mut |row| {
            n += 1;
            bad += u64::from(row.value.is_err());
            // Keep the value alive until here so it is built and dropped as in an import.
            std::hint::black_box(&row.value);
            ControlFlow::Continue(())
        }) {
            eprintln!("read_rows: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        if bad > 0 {
            eprintln!("read_rows: {bad} rows did not parse");
        }
        rows = n;
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "{}",
        serde_json::json!({
            "file": path.display().to_string(), "format": format.as_str(), "rows": rows, "bytes": bytes,
            "runs": runs, "median_s": median, "best_s": times[0], "mb_per_s": bytes as f64 / 1e6 / median,
        })
    );
    ExitCode::SUCCESS
}
