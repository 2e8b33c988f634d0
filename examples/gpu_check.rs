//! The GPU check's Rust side (`scripts/gpu-check`): built with `--features cuda` here, run on a
//! lent GPU machine that has no Rust toolchain and no FFmpeg (so it uses the scoring code that
//! decodes no media: the sentence encoder Verdict scores with, and candle's CLIP towers).
//!
//! ```text
//! gpu_check agree DIR PAIRS.jsonl [--tolerance T]    the encoder on the CPU (f32) and the GPU (f16):
//!                                                     relevance scores within T (default 0.01)
//! gpu_check minilm DIR PAIRS.jsonl --device D [--batch B] [--dtype f16|f32]   pairs a second
//! gpu_check clip --device D [--batch B] [--iters N] [--dtype f16|f32]   ViT-B/32 images and texts a second
//! ```
//! Each prints one JSON object. PAIRS.jsonl holds `{"prompt": .., "response": ..}` lines.

/// The app's allocator (src/main.rs): measured as the app runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "local-models")]
fn main() -> anyhow::Result<()> {
    run::main()
}

#[cfg(not(feature = "local-models"))]
fn main() {
    eprintln!("gpu_check needs the `local-models` feature");
    std::process::exit(2);
}

#[cfg(feature = "local-models")]
mod run {
    use anyhow::{Context, bail};
    use candle_core::{DType, Device, Tensor};
    use std::time::Instant;
    use verdict::score::{DeviceKind, ModelFolder, SentenceEmbedder};

    pub fn main() -> anyhow::Result<()> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
        let positional: Vec<&String> = {
            let mut out = Vec::new();
            let mut skip = false;
            for a in &args {
                if skip {
                    skip = false;
                } else if a.starts_with("--") {
                    skip = true;
                } else {
                    out.push(a);
                }
            }
            out
        };
        let device_kind = match opt("--device") {
            Some(d) => DeviceKind::parse(&d).with_context(|| format!("--device {d}: cpu, cuda or metal"))?,
            None => DeviceKind::Cpu,
        };
        let dtype = match opt("--dtype").as_deref() {
            None => None,
            Some("f16") => Some(DType::F16),
            Some("f32") => Some(DType::F32),
            Some(other) => bail!("--dtype {other}: f16 or f32"),
        };
        let batch: usize = opt("--batch").map_or(Ok(32), |b| b.parse()).context("--batch")?;
        match positional.first().map(|s| s.as_str()) {
            Some("agree") => {
                let (dir, pairs) = model_and_pairs(&positional)?;
                let tolerance: f32 = opt("--tolerance").map_or(Ok(0.01), |t| t.parse()).context("--tolerance")?;
                agree(&dir, &pairs, tolerance)
            }
            Some("minilm") => {
                let (dir, pairs) = model_and_pairs(&positional)?;
                let report = minilm(&dir, &pairs, device_kind, dtype, batch)?;
                println!("{}", report.0);
                Ok(())
            }
            Some("reward-agree") => {
                let (dir, pairs) = model_and_pairs(&positional)?;
                let tolerance: f32 = opt("--tolerance").map_or(Ok(0.05), |t| t.parse()).context("--tolerance")?;
                reward_agree(&dir, &pairs, device_kind, tolerance)
            }
            Some("clap-agree") => {
                let dir = positional.get(1).context("give the folder scripts/tiny_clap_models.py wrote")?;
                let tolerance: f32 = opt("--tolerance").map_or(Ok(0.02), |t| t.parse()).context("--tolerance")?;
                clap_agree(dir, opt("--model").as_deref().unwrap_or("clap"), device_kind, tolerance)
            }
            Some("clip") => {
                let iters: usize = opt("--iters").map_or(Ok(10), |n| n.parse()).context("--iters")?;
                clip(device_kind, dtype, batch, iters)
            }
            _ => bail!("usage: gpu_check agree|minilm|reward-agree|clap-agree|clip ... (see examples/gpu_check.rs)"),
        }
    }

    fn model_and_pairs(positional: &[&String]) -> anyhow::Result<(String, Vec<(String, String)>)> {
        let (Some(dir), Some(file)) = (positional.get(1), positional.get(2)) else {
            bail!("give the model folder and the pairs file")
        };
        let text = std::fs::read_to_string(file).with_context(|| (*file).clone())?;
        let mut pairs = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).with_context(|| format!("{file}: line {}", i + 1))?;
            let field = |k: &str| {
                v[k].as_str().map(str::to_owned).with_context(|| format!("{file}: line {}: field `{k}`", i + 1))
            };
            pairs.push((field("prompt")?, field("response")?));
        }
        Ok(((*dir).clone(), pairs))
    }

    fn open(kind: DeviceKind) -> anyhow::Result<Device> {
        Ok(match kind {
            DeviceKind::Cpu => Device::Cpu,
            DeviceKind::Cuda => Device::new_cuda(0)?,
            DeviceKind::Metal => Device::new_metal(0)?,
        })
    }

    fn default_dtype(kind: DeviceKind) -> DType {
        if kind == DeviceKind::Cpu { DType::F32 } else { DType::F16 }
    }

    /// Relevance scores of `pairs` with the encoder of `dir`, and the report line.
    fn minilm(
        dir: &str,
        pairs: &[(String, String)],
        kind: DeviceKind,
        dtype: Option<DType>,
        batch: usize,
    ) -> anyhow::Result<(serde_json::Value, Vec<f32>)> {
        let folder = ModelFolder::find(dir, &[])?;
        let weights = std::fs::read(folder.dir.join("model.safetensors"))?;
        let dtype = dtype.unwrap_or_else(|| default_dtype(kind));
        let embedder = SentenceEmbedder::load_as(&folder, weights, open(kind)?, dtype, verdict::score::Precision::F32)?;
        // Warm up (kernels compiled and loaded, buffers allocated), then time.
        let warm: Vec<&str> = pairs.iter().take(batch).map(|p| p.0.as_str()).collect();
        embedder.embed(&warm)?;
        let started = Instant::now();
        let mut scores = Vec::with_capacity(pairs.len());
        for chunk in pairs.chunks(batch) {
            let texts: Vec<&str> = chunk.iter().flat_map(|p| [p.0.as_str(), p.1.as_str()]).collect();
            let vectors = embedder.embed(&texts)?;
            for two in vectors.chunks(2) {
                scores.push(two[0].iter().zip(&two[1]).map(|(a, b)| a * b).sum::<f32>());
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let report = serde_json::json!({
            "what": "minilm", "device": kind.as_str(), "dtype": format!("{dtype:?}").to_lowercase(),
            "pairs": pairs.len(), "batch": batch, "seconds": seconds,
            "pairs_per_s": pairs.len() as f64 / seconds, "scores_head": &scores[..scores.len().min(8)],
        });
        Ok((report, scores))
    }

    fn agree(dir: &str, pairs: &[(String, String)], tolerance: f32) -> anyhow::Result<()> {
        let (cpu, cpu_scores) = minilm(dir, pairs, DeviceKind::Cpu, Some(DType::F32), 32)?;
        let (gpu, gpu_scores) = minilm(dir, pairs, DeviceKind::Cuda, Some(DType::F16), 32)?;
        let worst = cpu_scores.iter().zip(&gpu_scores).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        let same_order = cpu_scores
            .windows(2)
            .zip(gpu_scores.windows(2))
            .filter(|(c, _)| (c[0] - c[1]).abs() > 2.0 * tolerance)
            .all(|(c, g)| (c[0] < c[1]) == (g[0] < g[1]));
        let ok = worst <= tolerance && same_order;
        println!(
            "{}",
            serde_json::json!({"what": "agree", "pairs": pairs.len(), "largest_difference": worst,
                "tolerance": tolerance, "order_kept": same_order, "ok": ok, "cpu": cpu, "gpu": gpu})
        );
        if !ok {
            bail!("GPU and CPU scores differ by {worst} (tolerance {tolerance}), order kept: {same_order}");
        }
        Ok(())
    }

    /// A reward model's scores on the CPU in f32 (the plain-buffer path) against `kind`'s in its
    /// default precision (f16 on a GPU: `score::deberta` or `bert`, padded and masked).
    fn reward_agree(dir: &str, pairs: &[(String, String)], kind: DeviceKind, tolerance: f32) -> anyhow::Result<()> {
        use verdict::score::reward::RewardScorer;
        use verdict::score::{Candidate, Scorer};
        let folder = ModelFolder::find(dir, &[])?;
        let candidates: Vec<Candidate<'_>> = pairs.iter().map(|(p, r)| Candidate::new(p, r)).collect();
        let scores = |device: Device, dtype: DType| -> anyhow::Result<(Vec<f32>, String)> {
            let weights = std::fs::read(folder.dir.join("model.safetensors"))?;
            let mut scorer = RewardScorer::load_as(&folder, weights, device, dtype)?;
            let scored = scorer.score(&candidates)?;
            Ok((scored.iter().map(|s| s.score).collect(), scorer.device().to_owned()))
        };
        let (cpu, _) = scores(Device::Cpu, DType::F32)?;
        let (other, words) = scores(open(kind)?, default_dtype(kind))?;
        let worst = cpu.iter().zip(&other).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        let ok = worst <= tolerance;
        println!(
            "{}",
            serde_json::json!({"what": "reward-agree", "model": folder.architecture, "pairs": pairs.len(),
                "device": words, "largest_difference": worst, "tolerance": tolerance, "ok": ok,
                "cpu_head": &cpu[..cpu.len().min(8)], "device_head": &other[..other.len().min(8)]})
        );
        if !ok {
            bail!("reward scores on {words} differ from the CPU's by {worst} (tolerance {tolerance})");
        }
        Ok(())
    }

    /// A tiny CLAP's text-clip cosines (`scripts/tiny_clap_models.py`'s folder: the models `clap/`
    /// and `clap_fused/`, `audio/*.wav`, `reference.json`) on the CPU in f32 against `kind`'s in its
    /// default precision.
    fn clap_agree(dir: &str, which: &str, kind: DeviceKind, tolerance: f32) -> anyhow::Result<()> {
        use verdict::score::clap::Clap;
        let reference: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("{dir}/reference.json")).context("reference.json")?)?;
        let folder = ModelFolder::find(&format!("{dir}/{which}"), &[])?;
        let list = |key: &str, field: &str| -> Vec<String> {
            reference[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v[field].as_str().map(str::to_owned))
                .collect()
        };
        let (files, texts) = (list("clips", "file"), list("texts", "text"));
        let cosines = |device: Device, dtype: DType| -> anyhow::Result<Vec<f32>> {
            let weights = std::fs::read(folder.dir.join("model.safetensors"))?;
            let model = Clap::load_in(&folder, weights, (device, dtype), verdict::score::Precision::F32)?;
            let f = model.features();
            let seconds = f.read_seconds();
            let mut clips = Vec::new();
            for file in &files {
                // The fixtures' WAVs: a 44-byte header, then 16-bit mono samples at the model's
                // rate (read here: the GPU machine has no FFmpeg, which `score::sound` decodes with).
                let bytes = std::fs::read(format!("{dir}/{file}"))?;
                let keep = (seconds * f64::from(f.rate)) as usize;
                let samples = bytes.get(44..).context("a WAV file")?.chunks_exact(2);
                clips.push(samples.take(keep).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect());
            }
            let unit = |t: Tensor| -> anyhow::Result<Vec<Vec<f32>>> {
                Ok(t.to_vec2::<f32>()?
                    .into_iter()
                    .map(|r| {
                        let n = r.iter().map(|x| x * x).sum::<f32>().sqrt();
                        r.into_iter().map(|x| x / n).collect()
                    })
                    .collect())
            };
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let (a, t) = (unit(model.embed_clips(&clips)?)?, unit(model.embed_texts(&refs)?)?);
            Ok(t.iter().flat_map(|t| a.iter().map(move |a| a.iter().zip(t).map(|(x, y)| x * y).sum::<f32>())).collect())
        };
        let cpu = cosines(Device::Cpu, DType::F32)?;
        let other = cosines(open(kind)?, default_dtype(kind))?;
        let worst = cpu.iter().zip(&other).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        let ok = worst <= tolerance && cpu.len() == files.len() * texts.len() && !cpu.is_empty();
        println!(
            "{}",
            serde_json::json!({"what": "clap-agree", "model": which, "clips": files.len(), "texts": texts.len(),
                "device": format!("{} {:?}", kind.as_str(), default_dtype(kind)), "largest_difference": worst,
                "tolerance": tolerance, "ok": ok})
        );
        if !ok {
            bail!("CLAP cosines on {} differ from the CPU's by {worst} (tolerance {tolerance})", kind.as_str());
        }
        Ok(())
    }

    /// Throughput of ViT-B/32-shaped CLIP towers with random weights.
    fn clip(kind: DeviceKind, dtype: Option<DType>, batch: usize, iters: usize) -> anyhow::Result<()> {
        use candle_transformers::models::clip::{ClipConfig, ClipModel};
        let device = open(kind)?;
        let dtype = dtype.unwrap_or_else(|| default_dtype(kind));
        let varmap = candle_nn::VarMap::new();
        let vb = candle_nn::VarBuilder::from_varmap(&varmap, dtype, &device);
        let config = ClipConfig::vit_base_patch32();
        let model = ClipModel::new(vb, &config)?;
        let pixels = Tensor::randn(0f32, 1f32, (batch, 3, config.image_size, config.image_size), &Device::Cpu)?
            .to_dtype(dtype)?
            .to_device(&device)?;
        let ids: Vec<u32> = (0..batch * 77).map(|i| (i * 7919 % 49_000) as u32 + 1).collect();
        let ids = Tensor::from_vec(ids, (batch, 77), &device)?;
        let sync = |t: &Tensor| -> anyhow::Result<()> {
            // Reading a value back waits for the device to finish.
            t.flatten_all()?.get(0)?.to_dtype(DType::F32)?.to_scalar::<f32>()?;
            Ok(())
        };
        sync(&model.get_image_features(&pixels)?)?;
        sync(&model.get_text_features(&ids)?)?;
        let started = Instant::now();
        for _ in 0..iters {
            sync(&model.get_image_features(&pixels)?)?;
        }
        let image_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        for _ in 0..iters {
            sync(&model.get_text_features(&ids)?)?;
        }
        let text_s = started.elapsed().as_secs_f64();
        println!(
            "{}",
            serde_json::json!({"what": "clip", "device": kind.as_str(), "dtype": format!("{dtype:?}").to_lowercase(),
                "batch": batch, "iters": iters,
                "images_per_s": (batch * iters) as f64 / image_s, "texts_per_s": (batch * iters) as f64 / text_s})
        );
        Ok(())
    }
}
