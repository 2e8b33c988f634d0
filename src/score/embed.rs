//! The sentence-embedding scorer: a BERT-family encoder (all-MiniLM-L6-v2 and its kin) run with
//! candle, its token embeddings pooled and normalized exactly as sentence-transformers does for
//! the model (the pooling its `1_Pooling/config.json` names over the attention mask, then L2
//! normalization when `modules.json` lists a `Normalize` module; inputs cut at its
//! `max_seq_length`). A candidate's score is its relevance to the prompt: the cosine of the two
//! embeddings.

use super::bert::BertEncoder;
use super::bert_packed::{PackedBert, Precision};
use super::folder::ModelFolder;
use super::{Candidate, Result, ScoreError, Scored, Scorer, ScorerIdentity, text_hash};
use candle_core::{DType, Device, IndexOp, Tensor};
use candle_transformers::models::bert::Config;
use std::collections::HashMap;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// How token embeddings become one sentence embedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooling {
    /// The mean of the tokens the attention mask keeps.
    Mean,
    /// The first token (`[CLS]`).
    Cls,
}

impl Pooling {
    fn as_str(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
        }
    }
}

/// Texts per forward pass: sorted by length first, so a pass pads little.
const PASS: usize = 32;
/// Texts per forward pass on the CPU, where texts are packed without padding (see
/// [`PackedBert`]): a batch of the job's 32 candidates and their prompts at once.
const PACKED_PASS: usize = 64;

/// A BERT-family sentence encoder.
pub struct SentenceEmbedder {
    model: Encoder,
    tokenizer: Tokenizer,
    device: Device,
    pooling: Pooling,
    normalize: bool,
    lowercase: bool,
    max_tokens: usize,
}

/// The encoder a device runs best.
enum Encoder {
    /// On a GPU, or in half precision: texts padded to the longest of their pass, and masked.
    Padded(BertEncoder),
    /// On the CPU in f32: plain buffers, texts packed one after another without padding.
    Packed(Box<PackedBert>),
}

fn inference(e: impl std::fmt::Display) -> ScoreError {
    ScoreError::Inference(e.to_string())
}

impl SentenceEmbedder {
    /// Loads the encoder of `folder` (its weights already read: `weights`) onto `device`, in f32.
    pub fn load(folder: &ModelFolder, weights: Vec<u8>, device: Device) -> Result<Self> {
        Self::load_as(folder, weights, device, DType::F32, Precision::F32)
    }

    /// Loads the encoder with its weights and activations in `dtype` (f16 on a GPU), or on the
    /// CPU its matrix products in `precision` (int8); embeddings are pooled and normalized in
    /// f32 whatever the dtype.
    pub fn load_as(
        folder: &ModelFolder,
        weights: Vec<u8>,
        device: Device,
        dtype: DType,
        precision: Precision,
    ) -> Result<Self> {
        let config_path = folder.dir.join("config.json");
        let config: Config = serde_json::from_value(folder.config.clone()).map_err(|e| ScoreError::Model {
            path: config_path.clone(),
            message: format!("is not a BERT configuration candle reads: {e}"),
        })?;
        let (pooling, normalize) = sentence_transformers_modules(folder)?;
        let st_config = folder.optional_json("sentence_bert_config.json")?;
        let st = st_config.as_ref();
        let max_tokens = st
            .and_then(|c| c["max_seq_length"].as_u64())
            .map_or(config.max_position_embeddings, |n| n as usize)
            .min(config.max_position_embeddings);
        let lowercase = st.and_then(|c| c["do_lower_case"].as_bool()).unwrap_or(false);
        let tokenizer_path = folder.file("tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| ScoreError::Model { path: tokenizer_path.clone(), message: format!("cannot be read: {e}") })?;
        let pad_id = config.pad_token_id as u32;
        let pad_token = tokenizer.id_to_token(pad_id).unwrap_or_else(|| "[PAD]".into());
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
            .map_err(|e| ScoreError::Model { path: tokenizer_path.clone(), message: e.to_string() })?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id,
            pad_token,
            ..PaddingParams::default()
        }));
        let weights_path = folder.dir.join("model.safetensors");
        let vb = candle_nn::VarBuilder::from_buffered_safetensors(weights, dtype, &device)
            .map_err(|e| ScoreError::Model { path: weights_path.clone(), message: format!("cannot be read: {e}") })?;
        let model = BertEncoder::load(vb, &config).map_err(|e| ScoreError::Model {
            path: weights_path,
            message: format!("does not hold the BERT weights config.json describes: {e}"),
        })?;
        let model = if device.is_cpu() && dtype == DType::F32 {
            Encoder::Packed(Box::new(PackedBert::new(&model, precision).map_err(|e| ScoreError::Model {
                path: folder.dir.join("model.safetensors"),
                message: format!("cannot be laid out for the CPU: {e}"),
            })?))
        } else if precision != Precision::F32 {
            return Err(ScoreError::Unsupported("int8 runs on the CPU, with f32 weights, only".into()));
        } else {
            Encoder::Padded(model)
        };
        Ok(Self { model, tokenizer, device, pooling, normalize, lowercase, max_tokens })
    }

    /// What changes its embeddings besides the weights (int8 named only when used, so that f32
    /// scores kept before it existed keep their scorer).
    pub(crate) fn settings(&self) -> serde_json::Value {
        let mut settings = serde_json::json!({
            "pooling": self.pooling.as_str(),
            "normalize": self.normalize,
            "max_tokens": self.max_tokens,
            "lowercase": self.lowercase,
        });
        if matches!(&self.model, Encoder::Packed(p) if p.precision() == Precision::Int8) {
            settings["precision"] = "int8".into();
        }
        settings
    }

    /// One embedding per text, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|i| texts[*i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for pass in order.chunks(if matches!(self.model, Encoder::Packed(_)) { PACKED_PASS } else { PASS }) {
            let inputs: Vec<String> = pass
                .iter()
                .map(|i| if self.lowercase { texts[*i].to_lowercase() } else { texts[*i].to_owned() })
                .collect();
            for (i, v) in pass.iter().zip(self.forward(inputs)?) {
                out[*i] = v;
            }
        }
        Ok(out)
    }

    fn forward(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        let encodings = self.tokenizer.encode_batch(texts, true).map_err(inference)?;
        let model = match &self.model {
            Encoder::Packed(packed) => return self.forward_packed(packed, &encodings),
            Encoder::Padded(model) => model,
        };
        let (n, len) = (encodings.len(), encodings.first().map_or(0, tokenizers::Encoding::len));
        let flat = |f: fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            encodings.iter().flat_map(|e| f(e).iter().copied()).collect()
        };
        let ids = Tensor::from_vec(flat(tokenizers::Encoding::get_ids), (n, len), &self.device).map_err(inference)?;
        let mask = Tensor::from_vec(flat(tokenizers::Encoding::get_attention_mask), (n, len), &self.device)
            .map_err(inference)?;
        let types = ids.zeros_like().map_err(inference)?;
        let hidden = model.forward(&ids, &types, &mask).and_then(|h| h.to_dtype(DType::F32)).map_err(inference)?;
        let pooled = match self.pooling {
            Pooling::Mean => {
                let m = mask.to_dtype(DType::F32).and_then(|m| m.unsqueeze(2)).map_err(inference)?;
                let sum = hidden.broadcast_mul(&m).and_then(|h| h.sum(1)).map_err(inference)?;
                // sentence-transformers clamps the token count at 1e-9.
                let count = m.sum(1).and_then(|c| c.clamp(1e-9, f64::MAX)).map_err(inference)?;
                sum.broadcast_div(&count).map_err(inference)?
            }
            Pooling::Cls => hidden.i((.., 0)).map_err(inference)?,
        };
        let pooled = if self.normalize {
            // torch.nn.functional.normalize: x / max(||x||, 1e-12).
            let norm = pooled
                .sqr()
                .and_then(|s| s.sum_keepdim(1))
                .and_then(|s| s.sqrt())
                .and_then(|s| s.clamp(1e-12, f64::MAX))
                .map_err(inference)?;
            pooled.broadcast_div(&norm).map_err(inference)?
        } else {
            pooled
        };
        pooled.to_vec2::<f32>().map_err(inference)
    }

    /// [`Self::forward`] on the CPU: the texts' tokens without their padding, packed.
    fn forward_packed(&self, model: &PackedBert, encodings: &[tokenizers::Encoding]) -> Result<Vec<Vec<f32>>> {
        let texts: Vec<&[u32]> = encodings
            .iter()
            .map(|e| {
                let kept = e.get_attention_mask().iter().filter(|m| **m != 0).count();
                &e.get_ids()[..kept]
            })
            .collect();
        let width = model.hidden();
        model.forward_with(&texts, |hidden| self.pool(&texts, hidden, width)).map_err(inference)
    }

    /// Each text's embedding from the hidden states of `texts` packed one after another.
    fn pool(&self, texts: &[&[u32]], hidden: &[f32], width: usize) -> Vec<Vec<f32>> {
        let mut rows = hidden.chunks_exact(width.max(1));
        texts
            .iter()
            .map(|text| {
                let tokens: Vec<&[f32]> = rows.by_ref().take(text.len()).collect();
                let mut v = match self.pooling {
                    Pooling::Mean => mean(&tokens, width),
                    Pooling::Cls => tokens.first().map_or_else(|| vec![0.0; width], |t| t.to_vec()),
                };
                if self.normalize {
                    // torch.nn.functional.normalize: x / max(||x||, 1e-12).
                    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                    for x in &mut v {
                        *x /= norm;
                    }
                }
                v
            })
            .collect()
    }
}

/// The mean of `width`-wide token vectors, as sentence-transformers' mean pooling (the sum over
/// the tokens, divided by their count; zeros for no tokens).
fn mean(tokens: &[&[f32]], width: usize) -> Vec<f32> {
    let mut sum = vec![0.0f32; width];
    for t in tokens {
        for (s, x) in sum.iter_mut().zip(t.iter()) {
            *s += x;
        }
    }
    let count = (tokens.len() as f32).max(1e-9);
    sum.iter().map(|s| s / count).collect()
}

/// The pooling and normalization a sentence-transformers folder names (`modules.json` and the
/// pooling module's `config.json`); a plain encoder without them is mean-pooled and normalized,
/// as sentence-transformers builds one by default.
fn sentence_transformers_modules(folder: &ModelFolder) -> Result<(Pooling, bool)> {
    let Some(modules) = folder.optional_json("modules.json")? else { return Ok((Pooling::Mean, true)) };
    let list = modules.as_array().cloned().unwrap_or_default();
    let of_type = |suffix: &str| list.iter().find(|m| m["type"].as_str().is_some_and(|t| t.ends_with(suffix))).cloned();
    let normalize = of_type(".Normalize").is_some();
    let Some(pooling_module) = of_type(".Pooling") else { return Ok((Pooling::Mean, normalize)) };
    let path = pooling_module["path"].as_str().unwrap_or("1_Pooling");
    let config_name = format!("{path}/config.json");
    let Some(config) = folder.optional_json(&config_name)? else { return Ok((Pooling::Mean, normalize)) };
    let flag = |k: &str| config[k].as_bool().unwrap_or(false);
    let from_flags = || {
        let named = [
            ("pooling_mode_cls_token", "cls"),
            ("pooling_mode_mean_tokens", "mean"),
            ("pooling_mode_max_tokens", "max"),
            ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"),
            ("pooling_mode_weightedmean_tokens", "weightedmean"),
            ("pooling_mode_lasttoken", "lasttoken"),
        ];
        let on: Vec<&str> = named.iter().filter(|(k, _)| flag(k)).map(|(_, m)| *m).collect();
        on.join("+")
    };
    let mode = config["pooling_mode"].as_str().map_or_else(from_flags, str::to_owned);
    let pooling = match mode.as_str() {
        "mean" => Pooling::Mean,
        "cls" => Pooling::Cls,
        other => {
            return Err(ScoreError::Unsupported(format!(
                "{}: pooling `{other}` is not one Verdict runs yet (mean, cls)",
                folder.dir.join(config_name).display()
            )));
        }
    };
    Ok((pooling, normalize))
}

/// Prompt-response relevance from a sentence encoder.
pub(crate) struct RelevanceScorer {
    embedder: SentenceEmbedder,
    identity: ScorerIdentity,
    device: String,
}

impl RelevanceScorer {
    /// A scorer named `name` over `embedder`, with the weights' hash and the device in words.
    pub(crate) fn new(
        embedder: SentenceEmbedder,
        name: String,
        architecture: String,
        weights: String,
        device: String,
    ) -> Self {
        let mut settings = embedder.settings();
        settings["input"] = "prompt, candidate text".into();
        let identity = ScorerIdentity { name, kind: "relevance".into(), architecture, weights, settings };
        Self { embedder, identity, device }
    }
}

impl Scorer for RelevanceScorer {
    fn identity(&self) -> &ScorerIdentity {
        &self.identity
    }

    fn device(&self) -> &str {
        &self.device
    }

    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        // Each distinct text embedded once: a prompt with four candidates is one text.
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut texts: Vec<&str> = Vec::new();
        for c in batch {
            for t in [c.prompt, c.text] {
                index.entry(t).or_insert_with(|| {
                    texts.push(t);
                    texts.len() - 1
                });
            }
        }
        let vectors = self.embedder.embed(&texts)?;
        let hashes: Vec<String> = texts.iter().map(|t| text_hash(t)).collect();
        Ok(batch
            .iter()
            .map(|c| {
                let (p, t) = (index[c.prompt], index[c.text]);
                Scored {
                    score: cosine(&vectors[p], &vectors[t]),
                    detail: None,
                    embeddings: vec![(hashes[p].clone(), vectors[p].clone()), (hashes[t].clone(), vectors[t].clone())],
                }
            })
            .collect())
    }
}

/// The cosine of two vectors (0 when either is zero).
pub(crate) fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na * nb) }
}
