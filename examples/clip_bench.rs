//! CLIP and `SigLIP` encoding speed on the CPU (issue 17, "Speed"): a CLIP or `SigLIP` model folder
//! (the benchmark's are ViT-B/32-shaped and SigLIP-base-shaped with random weights, made by
//! `scripts/peer_clip.py make` and `make-siglip`) encodes `--batch`
//! images and `--batch` texts, `--runs` times after one warm-up, and prints one JSON line with
//! each run's seconds: `images` (preprocessing of 640x480 images to 224x224 pixels, then the
//! vision tower and projection), `image_model` (the forward pass alone), `texts` (tokenizing and
//! the text tower). The same inputs as `scripts/peer_clip.py bench`. Threads: candle's CPU
//! kernels read `RAYON_NUM_THREADS` (the driver, `scripts/bench_clip.sh`, sets it).
//!
//! With `--int8` the towers' layers run their products in int8 (`verdict score --int8`).
//!
//!     cargo run --release --example clip_bench -- DIR [--batch 32] [--runs 5] [--int8]

/// The app's allocator (src/main.rs): measured as the app runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;
use verdict::score::clip::Clip;
use verdict::score::image_text::{TextImageModel, image_vectors, text_vectors};
use verdict::score::siglip::Siglip;
use verdict::score::{ModelFolder, Precision};

/// The benchmark's texts: captions of 8 to 40 words.
fn texts(n: usize) -> Vec<String> {
    let words =
        ["a", "photo", "of", "the", "red", "car", "parked", "near", "an", "old", "house", "with", "green", "trees"];
    (0..n)
        .map(|i| (0..8 + i % 33).map(|j| words[(i * 7 + j * 3) % words.len()]).collect::<Vec<_>>().join(" "))
        .collect()
}

/// The benchmark's images: 640x480, a deterministic pattern (the peer makes the same bytes).
fn images(n: usize) -> Vec<image::RgbImage> {
    (0..n)
        .map(|k| {
            image::RgbImage::from_fn(640, 480, |x, y| {
                let k = k as u32;
                image::Rgb([
                    ((x * 3 + y + k * 11) % 256) as u8,
                    ((x + y * 5 + k * 7) % 256) as u8,
                    ((x * y + k) % 256) as u8,
                ])
            })
        })
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().ok_or("usage: clip_bench DIR [--batch N] [--runs N] [--int8]")?;
    let opt = |name: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (batch, runs) = (opt("--batch", 32), opt("--runs", 5));
    let int8 = args.iter().any(|a| a == "--int8");
    let precision = if int8 { Precision::Int8 } else { Precision::F32 };
    let folder = ModelFolder::open(std::path::Path::new(dir), "bench".into())?;
    let weights = std::fs::read(folder.dir.join("model.safetensors"))?;
    let on = (candle_core::Device::Cpu, candle_core::DType::F32);
    let model: Box<dyn TextImageModel> = if folder.architecture == "SiglipModel" {
        Box::new(Siglip::load_in(&folder, weights, on, precision)?)
    } else {
        Box::new(Clip::load_in(&folder, weights, on, precision)?)
    };
    let model = model.as_ref();
    let texts = texts(batch);
    let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let images = images(batch);
    let size = model.image_size();
    let pixels: Vec<f32> = images.iter().flat_map(|i| model.preprocess().apply(i)).collect();
    let pixels = candle_core::Tensor::from_vec(pixels, (batch, 3, size, size), &candle_core::Device::Cpu)?;
    let (mut t_images, mut t_model, mut t_texts) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=runs {
        let clock = Instant::now();
        let image_out = image_vectors(model, &images)?;
        let with_preprocessing = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let model_out = model.embed_images(&pixels)?.to_vec2::<f32>()?;
        let forward_only = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let text_out = text_vectors(model, &text_refs)?;
        let text_time = clock.elapsed().as_secs_f64();
        assert_eq!((image_out.len(), model_out.len(), text_out.len()), (batch, batch, batch));
        if run > 0 {
            t_images.push(with_preprocessing);
            t_model.push(forward_only);
            t_texts.push(text_time);
        }
    }
    let line = serde_json::json!({
        "impl": if int8 { "verdict-int8" } else { "verdict" },
        "batch": batch,
        "threads": std::env::var("RAYON_NUM_THREADS").ok(),
        "images": t_images.clone(),
        "image_model": t_model.clone(),
        "texts": t_texts.clone(),
        "median": {"images": median(&mut t_images), "image_model": median(&mut t_model), "texts": median(&mut t_texts)},
    });
    println!("{line}");
    Ok(())
}
