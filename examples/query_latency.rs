//! Query latency on a project: how long the sample list's queries take, printed as Markdown tables
//! for BENCHMARKS.md. Opening the project first brings its schema up to date (the time is printed,
//! so a first run on an older project also measures its migration).
//!
//! ```text
//! cargo run --release --example query_latency -- PROJECT [--runs N]
//! ```
//!
//! For each query: the number of matches, then the median (and slowest) of N runs (default 5) of
//! `Store::count_matching` and of `Store::matching_ids` in id order and sorted by `len_a`. Then
//! every sort key over all samples, both directions, `Store::list_rows` for 100 ids, and
//! `Store::overview` (the statistics panel).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;
use std::time::{Duration, Instant};
use verdict::model::SampleId;
use verdict::query::compile;
use verdict::store::{SortKey, Store};

/// The queries of the table: the GUI's filters, one FTS word that is rare and one that is common.
const QUERIES: &[&str] = &[
    "",
    "modality:text",
    "judgment:pairwise",
    "model:gpt",
    "len_chosen>500",
    "longer:chosen",
    "-longer:chosen",
    "len_a>300 len_b<700",
    "current:a",
    "is:flagged",
    "key:t00000500",
    "jacket",
    "the",
    "jacket len_chosen>500",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(project) = args.first() else {
        eprintln!("usage: query_latency PROJECT [--runs N]");
        return ExitCode::from(2);
    };
    let runs = args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(5);
    match run(std::path::Path::new(project), runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("query_latency: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Median and slowest of `runs` runs of `f`, and its last result.
fn time<T>(runs: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(Duration, Duration, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = Some(f()?);
        times.push(t.elapsed());
    }
    times.sort();
    let out = last.ok_or_else(|| anyhow::anyhow!("no run"))?;
    Ok((times[times.len() / 2], times[times.len() - 1], out))
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

fn run(path: &std::path::Path, runs: usize) -> anyhow::Result<()> {
    let before = probe_version(path);
    let t = Instant::now();
    let store = Store::open(path)?;
    let opened = t.elapsed();
    println!(
        "Opened `{}` (schema {} -> {}) in {:.2} s; {} samples; {runs} runs per figure, median (slowest) in ms.\n",
        path.display(),
        before.map_or_else(|| "?".into(), |v| v.to_string()),
        store.schema_version()?,
        opened.as_secs_f64(),
        store.sample_count()?
    );

    println!("| query | matches | count | ids, id order | ids, by len_a |");
    println!("|---|---:|---:|---:|---:|");
    for q in QUERIES {
        let compiled = compile(q)?;
        let (count_med, count_max, n) = time(runs, || Ok(store.count_matching(&compiled)?))?;
        let (ids_med, ids_max, ids) = time(runs, || Ok(store.matching_ids(&compiled, SortKey::Id, false)?))?;
        let (len_med, len_max, _) = time(runs, || Ok(store.matching_ids(&compiled, SortKey::LenA, false)?))?;
        anyhow::ensure!(ids.len() as u64 == n, "{q}: count {n} but {} ids", ids.len());
        let shown = if q.is_empty() { "(empty)".to_owned() } else { format!("`{q}`") };
        println!(
            "| {shown} | {n} | {} ({}) | {} ({}) | {} ({}) |",
            ms(count_med),
            ms(count_max),
            ms(ids_med),
            ms(ids_max),
            ms(len_med),
            ms(len_max)
        );
    }

    println!("\n| sort key (all samples) | ascending | descending |");
    println!("|---|---:|---:|");
    let all = compile("")?;
    let mut some_ids: Vec<SampleId> = Vec::new();
    for &key in SortKey::ALL {
        let (asc_med, asc_max, ids) = time(runs, || Ok(store.matching_ids(&all, key, false)?))?;
        let (desc_med, desc_max, _) = time(runs, || Ok(store.matching_ids(&all, key, true)?))?;
        if key == SortKey::LenA {
            some_ids = ids.iter().step_by((ids.len() / 100).max(1)).take(100).copied().collect();
        }
        println!("| {} | {} ({}) | {} ({}) |", key.label(), ms(asc_med), ms(asc_max), ms(desc_med), ms(desc_max));
    }

    let (rows_med, rows_max, rows) = time(runs, || Ok(store.list_rows(&some_ids)?))?;
    println!(
        "\n`list_rows` for {} ids spread over the file: {:.2} ms median ({:.2} slowest).",
        rows.len(),
        rows_med.as_secs_f64() * 1000.0,
        rows_max.as_secs_f64() * 1000.0
    );
    // What the statistics panel computes (G), with its scatter bound.
    let (o_med, o_max, o) = time(runs, || Ok(store.overview(4000)?))?;
    println!(
        "`overview` (the statistics panel) over {} samples: {} ms median ({} ms slowest).",
        o.samples,
        ms(o_med),
        ms(o_max)
    );
    Ok(())
}

/// The schema version before opening (read with a plain connection that migrates nothing).
fn probe_version(path: &std::path::Path) -> Option<i64> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.pragma_query_value(None, "user_version", |r| r.get(0)).ok()
}
