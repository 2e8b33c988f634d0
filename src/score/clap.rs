//! CLAP (`ClapModel`, e.g. laion/clap-htsat-unfused or -fused): text-audio agreement. The text
//! tower is a `RoBERTa` (`bert.rs`'s encoder with `RoBERTa`'s positions), pooled at `<s>` through
//! its pooler (dense, tanh) and projected; the audio tower is HTSAT (`clap_audio.rs`, with
//! `clap_fusion.rs` for a fused model) over the log-mel features of `clap_features.rs`. Texts are
//! cut by the tokenizer to `max_position_embeddings - pad_token_id - 1` tokens (512 for `RoBERTa`'s
//! 514), `</s>` kept. Candle's tensors on any device, f16 on a GPU; on the CPU in f32 the text
//! tower (`bert_packed`) and the audio tower's Swin layers (`clap_swin::PlainBlock`) run over
//! plain buffers. Embeddings come out in f32. In int8 (on the CPU, f32 weights) both towers'
//! layers' linear products run in int8 (the audio tower's merges too); the embeddings, the pooler,
//! the projections and the audio tower's patch embedding and fusion stay in f32.

use super::bert::BertEncoder;
use super::bert_packed::PackedBert;
use super::clap_audio::{AudioTower, Projection};
use super::clap_features::ClapFeatures;
use super::folder::ModelFolder;
use super::image_text::{inference, model_error};
use super::plain::Precision;
use super::{Result, ScoreError};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder, linear};
use candle_transformers::models::bert::{Config, HiddenAct};
use tokenizers::{Tokenizer, TruncationParams};

/// A CLAP model on a device.
pub struct Clap {
    text: BertEncoder,
    /// The text tower over plain buffers, texts packed without padding (on the CPU in f32).
    packed: Option<PackedBert>,
    pooler: Linear,
    text_projection: Projection,
    audio: AudioTower,
    features: ClapFeatures,
    tokenizer: Tokenizer,
    pad_id: u32,
    max_tokens: usize,
    device: Device,
    dtype: DType,
    precision: Precision,
}

fn usize_of(c: &serde_json::Value, key: &str, default: usize) -> usize {
    c[key].as_u64().map_or(default, |n| n as usize)
}

/// The text tower's configuration, as `bert.rs` reads it.
fn text_config(t: &serde_json::Value, config_path: &std::path::Path) -> Result<Config> {
    let hidden_act = match t["hidden_act"].as_str().unwrap_or("gelu") {
        "gelu" => HiddenAct::Gelu,
        "relu" => HiddenAct::Relu,
        "gelu_new" | "gelu_pytorch_tanh" => HiddenAct::GeluApproximate,
        other => {
            return Err(ScoreError::Unsupported(format!(
                "{}: text_config.hidden_act `{other}` is not run (gelu, relu and gelu_new are)",
                config_path.display()
            )));
        }
    };
    Ok(Config {
        vocab_size: usize_of(t, "vocab_size", 50_265),
        hidden_size: usize_of(t, "hidden_size", 768),
        num_hidden_layers: usize_of(t, "num_hidden_layers", 12),
        num_attention_heads: usize_of(t, "num_attention_heads", 12),
        intermediate_size: usize_of(t, "intermediate_size", 3072),
        hidden_act,
        max_position_embeddings: usize_of(t, "max_position_embeddings", 514),
        type_vocab_size: usize_of(t, "type_vocab_size", 1),
        layer_norm_eps: t["layer_norm_eps"].as_f64().unwrap_or(1e-12),
        pad_token_id: usize_of(t, "pad_token_id", 1),
        ..Config::default()
    })
}

impl Clap {
    /// Loads the CLAP model of `folder` (its weights already read) onto `device` in `dtype`, its
    /// layers' products in `precision` (int8: on the CPU in f32 only).
    pub fn load_in(
        folder: &ModelFolder,
        weights: Vec<u8>,
        (device, dtype): (Device, DType),
        precision: Precision,
    ) -> Result<Self> {
        let config_path = folder.dir.join("config.json");
        if precision == Precision::Int8 && !(device.is_cpu() && dtype == DType::F32) {
            return Err(ScoreError::Unsupported(format!(
                "{}: CLAP runs in int8 on the CPU in f32 weights only",
                folder.dir.display()
            )));
        }
        let c = &folder.config;
        let (t, a) = (&c["text_config"], &c["audio_config"]);
        let text_config = text_config(t, &config_path)?;
        let pad = text_config.pad_token_id;
        let max_tokens = text_config.max_position_embeddings.saturating_sub(pad + 1).max(2);
        let projection_dim = usize_of(c, "projection_dim", 512);
        let act = c["projection_hidden_act"].as_str().unwrap_or("relu");
        let preprocessor = folder.dir.join("preprocessor_config.json");
        let features = match std::fs::read(&preprocessor) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| model_error(&preprocessor, format!("is not JSON: {e}")))
                .and_then(|v| ClapFeatures::from_config(&v).map_err(|e| model_error(&preprocessor, e)))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // transformers' defaults are the fused extractor's: name what is missing.
                return Err(model_error(
                    &preprocessor,
                    "is missing: CLAP's feature extractor (sample rate, mel bins, clip length) is read from it".into(),
                ));
            }
            Err(e) => return Err(model_error(&preprocessor, format!("cannot be read: {e}"))),
        };
        let fused = a["enable_fusion"].as_bool() == Some(true);
        if fused != (features.channels() == 4) {
            return Err(model_error(
                &preprocessor,
                format!(
                    "truncation `{}` does not suit a model with enable_fusion {fused}: a fused model reads `fusion`'s \
                     four channels, an unfused one `rand_trunc`'s one",
                    features.settings()["truncation"].as_str().unwrap_or("?")
                ),
            ));
        }
        if features.mels != usize_of(a, "num_mel_bins", 64) {
            return Err(model_error(
                &preprocessor,
                format!(
                    "feature_size {} is not audio_config.num_mel_bins {}",
                    features.mels,
                    usize_of(a, "num_mel_bins", 64)
                ),
            ));
        }
        let weights_path = folder.dir.join("model.safetensors");
        let vb = VarBuilder::from_buffered_safetensors(weights, dtype, &device)
            .map_err(|e| model_error(&weights_path, format!("cannot be read: {e}")))?;
        let wrong = |e: candle_core::Error| {
            model_error(&weights_path, format!("does not hold the CLAP weights config.json describes: {e}"))
        };
        let tv = vb.pp("text_model");
        let text = BertEncoder::load(tv.clone(), &text_config).map_err(wrong)?.with_first_position(pad as u32 + 1);
        let packed = (device.is_cpu() && dtype == DType::F32)
            .then(|| PackedBert::new(&text, precision))
            .transpose()
            .map_err(wrong)?;
        let hidden = text_config.hidden_size;
        let pooler = linear(hidden, hidden, tv.pp("pooler").pp("dense")).map_err(wrong)?;
        let text_projection = Projection::load(&vb.pp("text_projection"), hidden, projection_dim, act)?;
        let audio = AudioTower::load(&vb, a, (features.frames(), projection_dim), precision).map_err(|e| match e {
            ScoreError::Inference(m) => model_error(&weights_path, format!("does not hold the CLAP weights: {m}")),
            ScoreError::Unsupported(m) => ScoreError::Unsupported(format!("{}: {m}", config_path.display())),
            other => other,
        })?;
        let tokenizer_path = folder.file("tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| model_error(&tokenizer_path, format!("cannot be read: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
            .map_err(|e| model_error(&tokenizer_path, e.to_string()))?;
        tokenizer.with_padding(None);
        Ok(Self {
            text,
            packed,
            pooler,
            text_projection,
            audio,
            features,
            tokenizer,
            pad_id: pad as u32,
            max_tokens,
            device,
            dtype,
            precision,
        })
    }

    /// The feature extractor: the rate clips are read at and how long they are.
    pub fn features(&self) -> &ClapFeatures {
        &self.features
    }

    /// The projected (not normalized) embeddings of `texts`, `(n, projection)` in f32.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Tensor> {
        let encodings = self.tokenizer.encode_batch(texts.to_vec(), true).map_err(inference)?;
        let first = match &self.packed {
            Some(packed) => {
                let ids: Vec<&[u32]> = encodings.iter().map(tokenizers::Encoding::get_ids).collect();
                let h = packed.hidden();
                let firsts = packed
                    .forward_with(&ids, |x| {
                        let mut at = 0;
                        let mut out = Vec::with_capacity(ids.len() * h);
                        for text in &ids {
                            out.extend_from_slice(&x[at * h..(at + 1) * h]);
                            at += text.len();
                        }
                        out
                    })
                    .map_err(inference)?;
                Tensor::from_vec(firsts, (ids.len(), h), &self.device).map_err(inference)?
            }
            None => self.first_tokens(&encodings)?,
        };
        let project = || -> candle_core::Result<Tensor> {
            let pooled = self.pooler.forward(&first)?.tanh()?;
            self.text_projection.forward(&pooled)?.to_dtype(DType::F32)
        };
        project().map_err(inference)
    }

    /// The last hidden state of each text's first token (`<s>`), `(n, hidden)`: the texts padded
    /// to the longest and masked, on candle's tensors.
    fn first_tokens(&self, encodings: &[tokenizers::Encoding]) -> Result<Tensor> {
        let len = encodings.iter().map(tokenizers::Encoding::len).max().unwrap_or(1).max(1);
        let mut ids = Vec::with_capacity(len * encodings.len());
        let mut mask = Vec::with_capacity(len * encodings.len());
        for e in encodings {
            let own = e.get_ids();
            ids.extend_from_slice(own);
            ids.extend(std::iter::repeat_n(self.pad_id, len - own.len()));
            mask.extend((0..len).map(|i| u32::from(i < own.len())));
        }
        let shape = (encodings.len(), len);
        let run = || -> candle_core::Result<Tensor> {
            let ids = Tensor::from_vec(ids, shape, &self.device)?;
            let mask = Tensor::from_vec(mask, shape, &self.device)?;
            let hidden = self.text.forward(&ids, &ids.zeros_like()?, &mask)?;
            hidden.narrow(1, 0, 1)?.squeeze(1)
        };
        run().map_err(inference)
    }

    /// The projected (not normalized) embeddings of clips (mono, at the extractor's rate),
    /// `(n, projection)` in f32.
    pub fn embed_clips(&self, clips: &[Vec<f32>]) -> Result<Tensor> {
        use rayon::prelude::*;
        let extracted: Vec<_> = clips.par_iter().map(|c| self.features.extract(c)).collect();
        let mut values = Vec::new();
        let mut longer = Vec::with_capacity(clips.len());
        for f in extracted {
            let f = f.map_err(ScoreError::Inference)?;
            values.extend(f.values);
            longer.push(f.longer);
        }
        self.embed_features(values, &longer)
    }

    /// The projected embeddings of clips' features: `channels x frames x mels` values each, one
    /// `longer` flag each.
    pub fn embed_features(&self, features: Vec<f32>, longer: &[bool]) -> Result<Tensor> {
        let f = &self.features;
        let shape = (longer.len(), f.channels(), self.audio.time(), f.mels);
        Tensor::from_vec(self.audio.stretched(features, f.mels), shape, &self.device)
            .and_then(|t| t.to_dtype(self.dtype))
            .and_then(|t| self.audio.forward(&t, longer))
            .and_then(|t| t.to_dtype(DType::F32))
            .map_err(inference)
    }

    /// What changes its embeddings besides the weights.
    pub fn settings(&self) -> serde_json::Value {
        let mut settings = serde_json::json!({
            "max_tokens": self.max_tokens,
            "text_pool": "pooler at <s>",
            "audio": self.features.settings(),
        });
        if self.precision == Precision::Int8 {
            settings["precision"] = "int8".into();
        }
        settings
    }

    /// Where it runs.
    pub fn device(&self) -> &Device {
        &self.device
    }
}
