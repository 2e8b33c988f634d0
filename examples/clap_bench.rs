//! CLAP encoding speed on the CPU: a CLAP model folder (the benchmark's is shaped as
//! laion/clap-htsat-unfused with random weights, made by `scripts/peer_clap.py make`) encodes
//! `--batch` clips of 10 s at 48 kHz and `--batch` captions, `--runs` times after one warm-up,
//! and prints one JSON line with each run's seconds: `clips` (log-mel features, then the HTSAT
//! tower and projection), `audio_model` (the tower alone, features made beforehand), `texts`
//! (tokenizing and the `RoBERTa` tower). The same inputs as `scripts/peer_clap.py bench`. Threads:
//! candle's CPU kernels read `RAYON_NUM_THREADS` (the driver, `scripts/bench_clap.sh`, sets it).
//!
//! With `--int8` both towers' layers' products run in int8 (`Precision::Int8`).
//!
//!     cargo run --release --example clap_bench -- DIR [--batch 8] [--runs 3] [--int8]

/// The app's allocator (src/main.rs): measured as the app runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;
use verdict::score::clap::Clap;
use verdict::score::{ModelFolder, Precision};

/// The benchmark's captions: 8 to 40 words.
fn texts(n: usize) -> Vec<String> {
    let words =
        ["a", "dog", "barks", "while", "the", "rain", "falls", "on", "an", "old", "roof", "and", "birds", "sing"];
    (0..n)
        .map(|i| (0..8 + i % 33).map(|j| words[(i * 7 + j * 3) % words.len()]).collect::<Vec<_>>().join(" "))
        .collect()
}

/// The benchmark's clips: `seconds` at `rate`, three tones per clip (the peer makes the same).
fn clips(n: usize, rate: u32, seconds: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|k| {
            (0..rate as usize * seconds)
                .map(|i| {
                    let t = i as f64 / f64::from(rate);
                    let f = 110.0 * (k % 7 + 1) as f64;
                    (0.3 * (std::f64::consts::TAU * f * t).sin()
                        + 0.2 * (std::f64::consts::TAU * 2.5 * f * t).sin()
                        + 0.1 * (std::f64::consts::TAU * 7.0 * f * t).sin()) as f32
                })
                .collect()
        })
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().ok_or("usage: clap_bench DIR [--batch N] [--runs N] [--int8]")?;
    let opt = |name: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (batch, runs) = (opt("--batch", 8), opt("--runs", 3));
    let folder = ModelFolder::open(std::path::Path::new(dir), "bench".into())?;
    let weights = std::fs::read(folder.dir.join("model.safetensors"))?;
    let on = (candle_core::Device::Cpu, candle_core::DType::F32);
    let int8 = args.iter().any(|a| a == "--int8");
    let model = Clap::load_in(&folder, weights, on, if int8 { Precision::Int8 } else { Precision::F32 })?;
    let texts = texts(batch);
    let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let clips = clips(batch, model.features().rate, 10);
    let extracted: Vec<_> = clips.iter().map(|c| model.features().extract(c).expect("features")).collect();
    let longer: Vec<bool> = extracted.iter().map(|f| f.longer).collect();
    let features: Vec<f32> = extracted.into_iter().flat_map(|f| f.values).collect();
    let (mut t_clips, mut t_model, mut t_texts) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=runs {
        let clock = Instant::now();
        let audio = model.embed_clips(&clips)?.to_vec2::<f32>()?;
        let with_features = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let tower = model.embed_features(features.clone(), &longer)?.to_vec2::<f32>()?;
        let tower_only = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let text = model.embed_texts(&text_refs)?.to_vec2::<f32>()?;
        let text_time = clock.elapsed().as_secs_f64();
        assert_eq!((audio.len(), tower.len(), text.len()), (batch, batch, batch));
        if run > 0 {
            t_clips.push(with_features);
            t_model.push(tower_only);
            t_texts.push(text_time);
        }
    }
    let line = serde_json::json!({
        "impl": if int8 { "verdict-int8" } else { "verdict" },
        "batch": batch,
        "threads": std::env::var("RAYON_NUM_THREADS").ok(),
        "clips": t_clips.clone(),
        "audio_model": t_model.clone(),
        "texts": t_texts.clone(),
        "median": {"clips": median(&mut t_clips), "audio_model": median(&mut t_model), "texts": median(&mut t_texts)},
    });
    println!("{line}");
    Ok(())
}
