//! The scoring benchmark's Verdict side (`scripts/bench_score.sh`): loads a scorer with
//! `score::load` and scores (prompt, response) pairs read from a JSON-lines file with
//! `Scorer::score`, `--batch` pairs a call as the scoring job does, with no project around it.
//! Prints one JSON line: the load and scoring times, pairs per second, and the first scores (so the
//! driver can check them against the peers').
//!
//! ```text
//! cargo run --release --example score_bench -- --model DIR --pairs PAIRS.jsonl [--batch 32]
//! {"tool":"verdict","pairs":10000,"load_s":0.1,"score_s":50.2,"pairs_per_s":199.2,"first":[...]}
//! ```
//! Each line of PAIRS.jsonl is `{"prompt": "...", "response": "..."}`. Threads: candle and the
//! tokenizer use rayon's pool (`RAYON_NUM_THREADS`).

/// The app's allocator (src/main.rs): measured as the app runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;
use std::time::Instant;
use verdict::score::load::LoadOptions;
use verdict::score::{Candidate, DeviceKind};

struct Args {
    model: String,
    pairs: std::path::PathBuf,
    batch: usize,
    int8: bool,
}

fn args() -> Result<Args, String> {
    let mut model = None;
    let mut pairs = None;
    let mut batch = 32;
    let mut int8 = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--model" => model = Some(value()?),
            "--pairs" => pairs = Some(value()?.into()),
            "--batch" => batch = value()?.parse().map_err(|e| format!("--batch: {e}"))?,
            "--int8" => int8 = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args { model: model.ok_or("--model is required")?, pairs: pairs.ok_or("--pairs is required")?, batch, int8 })
}

fn main() -> ExitCode {
    match args().and_then(|a| run(&a)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("score_bench: {e}");
            eprintln!("usage: score_bench --model DIR --pairs PAIRS.jsonl [--batch N] [--int8]");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(&args.pairs).map_err(|e| format!("{}: {e}", args.pairs.display()))?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{} line {}: {e}", args.pairs.display(), i + 1))?;
        let field = |k: &str| {
            v[k].as_str().map(str::to_owned).ok_or(format!("{} line {}: no `{k}` text", args.pairs.display(), i + 1))
        };
        pairs.push((field("prompt")?, field("response")?));
    }
    let started = Instant::now();
    let options = LoadOptions {
        model: args.model.clone(),
        name: Some("bench".into()),
        device: Some(DeviceKind::Cpu),
        caches: Some(Vec::new()),
        int8: args.int8,
    };
    let (mut scorer, _) = verdict::score::load(&options).map_err(|e| e.to_string())?;
    let load_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut scores = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(args.batch.max(1)) {
        let batch: Vec<Candidate<'_>> = chunk.iter().map(|(p, r)| Candidate::new(p, r)).collect();
        scores.extend(scorer.score(&batch).map_err(|e| e.to_string())?.into_iter().map(|s| s.score));
    }
    let score_s = started.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "tool": if args.int8 { "verdict-int8" } else { "verdict" },
        "device": scorer.device(),
        "pairs": pairs.len(),
        "batch": args.batch,
        "load_s": load_s,
        "score_s": score_s,
        "pairs_per_s": pairs.len() as f64 / score_s,
        "first": scores.iter().take(16).collect::<Vec<_>>(),
    }))
}
