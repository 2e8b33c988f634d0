//! The reward scorer: a sequence-classification head over a text encoder, run with candle, that
//! reads a (prompt, response) pair and gives one scalar. Two families:
//! `DebertaV2ForSequenceClassification` (DeBERTa-v2/v3, as the public
//! `OpenAssistant/reward-model-deberta-v3-*` reward models are: context pooler over `[CLS]`, then
//! the classifier) and `BertForSequenceClassification` (cross-encoders such as
//! `cross-encoder/ms-marco-MiniLM-L-6-v2`: BERT, its pooler (dense + tanh over `[CLS]`), then the
//! classifier).
//!
//! On the CPU in f32 the encoders run over plain buffers, the pairs packed without padding, each
//! token with its type (the response's are 1): a BERT cross-encoder in `bert_packed`, `DeBERTa` in
//! `deberta_packed`. Elsewhere (a GPU, in f16) over padded, masked batches of candle's tensors:
//! `bert` and `deberta`; a DeBERTa-v2 with an embedding projection on candle-transformers' model
//! in f32 (refused where it also has a convolution layer, which that model does not run). A
//! DeBERTa-v2's convolution layer (xlarge, xxlarge) runs in both of Verdict's own layouts.
//!
//! Input as those models are used with `transformers`: the tokenizer's pair encoding of (prompt,
//! response), with the response's token types where the model has them, cut to the model's max
//! length from the response's end so the question stays whole; where the prompt alone does not
//! fit, both are cut longest-first. An empty response is encoded as the prompt alone, as the
//! `transformers` tokenizer does with an empty second text. With one label the score is its logit;
//! with more, the log-odds of the label that means "good" (`positive`, `pos`, `good`, `yes`,
//! `relevant`, `chosen`, or `LABEL_1` of two): its logit less the log-sum-exp of the others, which
//! is the logit difference for two labels. A model with several labels and none of those is
//! refused, naming its labels.

use super::bert_packed::{PackedBert, Precision};
use super::deberta::Deberta;
use super::deberta_packed::PackedDeberta;
use super::folder::ModelFolder;
use super::{Candidate, Result, ScoreError, Scored, Scorer, ScorerIdentity};
use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use candle_transformers::models::{bert, debertav2};
use tokenizers::{
    EncodeInput, Encoding, PaddingParams, PaddingStrategy, Tokenizer, TruncationParams, TruncationStrategy,
};

/// Pairs per forward pass: sorted by length first, so a pass pads little.
const PASS: usize = 16;

/// Label names that mean "the response is good", lowercase.
const GOOD_LABELS: &[&str] = &["positive", "pos", "good", "yes", "relevant", "chosen", "preferred"];

fn inference(e: impl std::fmt::Display) -> ScoreError {
    ScoreError::Inference(e.to_string())
}

/// The encoder and its classification head.
enum Head {
    /// Candle's model: a DeBERTa-v2 with an embedding projection, in f32.
    CandleDeberta(Box<debertav2::DebertaV2SeqClassificationModel>),
    /// Padded and masked, in the device's precision (a GPU's).
    Deberta(Box<DebertaHead<Deberta>>),
    /// On the CPU in f32: the pairs packed without padding, over plain buffers.
    PackedDeberta(Box<DebertaHead<PackedDeberta>>),
    Bert(Box<BertHead<super::bert::BertEncoder>>),
    /// On the CPU in f32: the pairs packed without padding, over plain buffers.
    PackedBert(Box<BertHead<PackedBert>>),
}

/// BERT, its pooler (dense + tanh over `[CLS]`) and the classifier.
struct BertHead<E> {
    model: E,
    pooler: Linear,
    classifier: Linear,
}

impl Head {
    /// Logits, `(pairs, labels)`, of the pairs' encodings (padded alike).
    fn forward(&self, encodings: &[Encoding], device: &Device) -> candle_core::Result<Tensor> {
        // Ids, token types and attention mask, `(pairs, length)` each.
        let padded = || -> candle_core::Result<(Tensor, Tensor, Tensor)> {
            let (n, len) = (encodings.len(), encodings.first().map_or(0, Encoding::len));
            let tensor = |f: fn(&Encoding) -> &[u32]| {
                Tensor::from_vec(encodings.iter().flat_map(|e| f(e).iter().copied()).collect(), (n, len), device)
            };
            Ok((tensor(Encoding::get_ids)?, tensor(Encoding::get_type_ids)?, tensor(Encoding::get_attention_mask)?))
        };
        match self {
            Head::CandleDeberta(m) => {
                let (ids, types, mask) = padded()?;
                m.forward(&ids, Some(types), Some(mask))
            }
            Head::Deberta(d) => {
                let (ids, types, mask) = padded()?;
                let hidden = d.model.forward(&ids, &types, &mask)?;
                d.classify(&hidden.i((.., 0))?.contiguous()?)
            }
            Head::Bert(b) => {
                let (ids, types, mask) = padded()?;
                let hidden = b.model.forward(&ids, &types, &mask)?;
                b.classify(&hidden.i((.., 0))?.contiguous()?)
            }
            Head::PackedDeberta(d) => {
                let (ids, types) = unpadded(encodings);
                let cls = d.model.first_tokens(&ids, &types)?;
                d.classify(&Tensor::from_vec(cls, (ids.len(), d.model.hidden()), device)?)
            }
            Head::PackedBert(b) => {
                let (ids, types) = unpadded(encodings);
                let h = b.model.hidden();
                let cls = b.model.forward_typed_with(&ids, &types, |states| {
                    let mut at = 0;
                    let mut cls = Vec::with_capacity(ids.len() * h);
                    for text in &ids {
                        cls.extend_from_slice(&states[at * h..(at + 1) * h]);
                        at += text.len();
                    }
                    cls
                })?;
                b.classify(&Tensor::from_vec(cls, (ids.len(), h), device)?)
            }
        }
    }
}

impl<E> BertHead<E> {
    /// The logits of `[CLS]`'s last hidden states, `(pairs, hidden)`.
    fn classify(&self, cls: &Tensor) -> candle_core::Result<Tensor> {
        self.classifier.forward(&self.pooler.forward(cls)?.tanh()?)
    }
}

/// `DeBERTa`, its context pooler (dense and activation over `[CLS]`) and the classifier.
struct DebertaHead<E> {
    model: E,
    pooler: Linear,
    pooler_act: debertav2::HiddenAct,
    classifier: Linear,
}

impl<E> DebertaHead<E> {
    /// The logits of `[CLS]`'s last hidden states, `(pairs, hidden)`.
    fn classify(&self, cls: &Tensor) -> candle_core::Result<Tensor> {
        let pooled = self.pooler.forward(cls)?;
        let pooled = match self.pooler_act {
            debertav2::HiddenAct::Gelu => pooled.gelu_erf()?,
            debertav2::HiddenAct::GeluApproximate => pooled.gelu()?,
            debertav2::HiddenAct::Relu => pooled.relu()?,
        };
        self.classifier.forward(&pooled)
    }
}

/// Each pair's tokens without its padding, and their types.
fn unpadded(encodings: &[Encoding]) -> (Vec<&[u32]>, Vec<&[u32]>) {
    let kept = |e: &Encoding| e.get_attention_mask().iter().filter(|m| **m != 0).count();
    let ids = encodings.iter().map(|e| &e.get_ids()[..kept(e)]).collect();
    let types = encodings.iter().map(|e| &e.get_type_ids()[..kept(e)]).collect();
    (ids, types)
}

/// Which logit is the score.
#[derive(Debug, Clone, PartialEq)]
enum Pick {
    /// The only one.
    Single,
    /// The log-odds of label `index` (named `name`) against the others.
    LogOdds { index: usize, name: String },
}

/// A sequence-classification reward model.
pub struct RewardScorer {
    head: Head,
    /// Truncates the response only.
    tokenizer: Tokenizer,
    /// Truncates longest-first, for a prompt that alone does not fit.
    fallback: Tokenizer,
    pick: Pick,
    labels: usize,
    device: Device,
    identity: ScorerIdentity,
    words: String,
}

/// The tokenizer's input for a pair; an empty response is left out, as `transformers` does.
fn input<'a>(c: &Candidate<'a>) -> EncodeInput<'a> {
    if c.text.is_empty() { c.prompt.into() } else { (c.prompt, c.text).into() }
}

fn model_error(path: &std::path::Path, message: impl Into<String>) -> ScoreError {
    ScoreError::Model { path: path.to_owned(), message: message.into() }
}

/// `config.json`'s labels, by index: `id2label`, else `num_labels` unnamed ones (`LABEL_i`),
/// else the two `transformers` gives a config that names none.
fn labels(folder: &ModelFolder) -> Result<Vec<String>> {
    let path = folder.dir.join("config.json");
    if let Some(map) = folder.config["id2label"].as_object() {
        let mut out = vec![None; map.len()];
        for (k, v) in map {
            let i: usize = k.parse().map_err(|_| model_error(&path, format!("id2label: key `{k}` is not an index")))?;
            let slot = out
                .get_mut(i)
                .ok_or_else(|| model_error(&path, format!("id2label: index {i} is past its {} labels", map.len())))?;
            *slot = Some(v.as_str().unwrap_or_default().to_owned());
        }
        return out
            .into_iter()
            .enumerate()
            .map(|(i, l)| l.ok_or_else(|| model_error(&path, format!("id2label: no label {i}"))))
            .collect();
    }
    let n = folder.config["num_labels"].as_u64().map_or(2, |n| n as usize);
    Ok((0..n).map(|i| format!("LABEL_{i}")).collect())
}

fn pick(folder: &ModelFolder, labels: &[String]) -> Result<Pick> {
    if labels.len() == 1 {
        return Ok(Pick::Single);
    }
    let good: Vec<usize> =
        (0..labels.len()).filter(|i| GOOD_LABELS.contains(&labels[*i].to_lowercase().as_str())).collect();
    let index = match good[..] {
        [i] => Some(i),
        [] if labels.len() == 2 && labels[1] == "LABEL_1" => Some(1),
        _ => None,
    };
    index.map(|index| Pick::LogOdds { index, name: labels[index].clone() }).ok_or_else(|| {
        ScoreError::Unsupported(format!(
            "{}: a classifier with {} labels ({}) and none that means a good response ({}, or LABEL_1 of two): \
             Verdict scores with one logit, or the log-odds of such a label",
            folder.dir.join("config.json").display(),
            labels.len(),
            labels.join(", "),
            GOOD_LABELS.join(", ")
        ))
    })
}

/// The longest input the model reads: the tokenizer's `model_max_length`, within the position
/// embeddings' reach.
fn max_tokens(folder: &ModelFolder) -> Result<usize> {
    let positions = folder.config["max_position_embeddings"].as_u64().map_or(512, |n| n as usize);
    let tokenizer_max = folder
        .optional_json("tokenizer_config.json")?
        .and_then(|c| c["model_max_length"].as_u64())
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    Ok(tokenizer_max.map_or(positions, |n| n.min(positions)))
}

/// DeBERTa-v2's configuration with what `transformers` defaults filled in where `config.json`
/// leaves it out (candle's `Config` requires them).
fn deberta_config(folder: &ModelFolder) -> Result<debertav2::Config> {
    let mut config = serde_json::json!({
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "type_vocab_size": 0,
        "initializer_range": 0.02, "layer_norm_eps": 1e-7, "relative_attention": false,
        "max_relative_positions": -1, "position_biased_input": true, "pos_att_type": [],
        "pooler_dropout": 0.0, "pooler_hidden_act": "gelu", "hidden_act": "gelu",
        "max_position_embeddings": 512, "pad_token_id": 0,
    });
    for (k, v) in folder.config.as_object().into_iter().flatten() {
        if !v.is_null() {
            config[k] = v.clone();
        }
    }
    if config["pooler_hidden_size"].is_null() {
        config["pooler_hidden_size"] = config["hidden_size"].clone();
    }
    serde_json::from_value(config).map_err(|e| {
        model_error(&folder.dir.join("config.json"), format!("is not a DeBERTa-v2 configuration candle reads: {e}"))
    })
}

fn tokenizer(folder: &ModelFolder, max_tokens: usize, strategy: TruncationStrategy, pad_id: u32) -> Result<Tokenizer> {
    let path = folder.file("tokenizer.json")?;
    let mut tokenizer = Tokenizer::from_file(&path).map_err(|e| model_error(&path, format!("cannot be read: {e}")))?;
    let pad_token = tokenizer.id_to_token(pad_id).unwrap_or_else(|| "[PAD]".into());
    tokenizer
        .with_truncation(Some(TruncationParams { max_length: max_tokens, strategy, ..TruncationParams::default() }))
        .map_err(|e| model_error(&path, e.to_string()))?;
    tokenizer.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        pad_id,
        pad_token,
        ..PaddingParams::default()
    }));
    Ok(tokenizer)
}

impl RewardScorer {
    /// Loads the reward model of `folder` (its weights already read: `weights`, blake3 `hash`)
    /// onto `device` (described by `words`), as the scorer `name`.
    /// `dtype` is the weights' and activations' type: f16 on a GPU, but f32 for a DeBERTa-v2 with
    /// an embedding projection (`super::device::reward_dtype`); `precision` the encoder's matrix
    /// products on the CPU (int8 there only, over plain buffers, and named in the settings).
    pub(crate) fn load(
        folder: &ModelFolder,
        weights: Vec<u8>,
        hash: String,
        (device, dtype, precision): (Device, DType, Precision),
        name: String,
        words: String,
    ) -> Result<Self> {
        let weights_path = folder.dir.join("model.safetensors");
        let config_path = folder.dir.join("config.json");
        let labels = labels(folder)?;
        let pick = pick(folder, &labels)?;
        let max_tokens = max_tokens(folder)?;
        if dtype != super::device::reward_dtype(&folder.architecture, &folder.config, dtype) {
            return Err(ScoreError::Unsupported(format!(
                "{}: a {} head with an embedding projection runs in f32 only (candle's DeBERTa builds f32 \
                 masks of its own)",
                config_path.display(),
                folder.architecture
            )));
        }
        let packed = device.is_cpu() && dtype == DType::F32;
        if precision == Precision::Int8 && !packed {
            return Err(ScoreError::Unsupported("int8 runs reward models on the CPU in f32 weights only".into()));
        }
        let vb = VarBuilder::from_buffered_safetensors(weights, dtype, &device)
            .map_err(|e| model_error(&weights_path, format!("cannot be read: {e}")))?;
        let wrong_weights = |e: candle_core::Error| {
            model_error(&weights_path, format!("does not hold the weights config.json describes: {e}"))
        };
        let (head, pad_id) = if folder.architecture.starts_with("DebertaV2") {
            let mut config = deberta_config(folder)?;
            config.id2label = Some((0..labels.len()).map(|i| (i as u32, labels[i].clone())).collect());
            let pad = config.pad_token_id.unwrap_or(0);
            let unsupported = PackedDeberta::unsupported(&config);
            if let (Precision::Int8, Some(why)) = (precision, &unsupported) {
                return Err(ScoreError::Unsupported(format!(
                    "{}: int8 runs DeBERTa over plain buffers, which do not take {why}: score it without int8",
                    config_path.display()
                )));
            }
            if let (Some(why), true) = (&unsupported, config.conv_kernel_size.unwrap_or(0) > 0) {
                // candle-transformers' model would take it, and it does not run the convolution (it panics).
                return Err(ScoreError::Unsupported(format!(
                    "{}: a DeBERTa-v2 with a convolution layer (conv_kernel_size) and {why} is not one Verdict runs",
                    config_path.display()
                )));
            }
            let pooled = config.pooler_hidden_size.unwrap_or(config.hidden_size);
            let pooler_and_classifier = |vb: &VarBuilder| -> candle_core::Result<(Linear, Linear)> {
                Ok((
                    candle_nn::linear(config.hidden_size, pooled, vb.pp("pooler.dense"))?,
                    candle_nn::linear(pooled, labels.len(), vb.pp("classifier"))?,
                ))
            };
            let pooler_act = config.pooler_hidden_act.unwrap_or(debertav2::HiddenAct::Gelu);
            let head = if unsupported.is_some() {
                let model = debertav2::DebertaV2SeqClassificationModel::load(vb.pp("deberta"), &config, None)
                    .map_err(wrong_weights)?;
                Head::CandleDeberta(Box::new(model))
            } else if packed {
                let model = PackedDeberta::load(&vb.pp("deberta"), &config, precision).map_err(wrong_weights)?;
                let (pooler, classifier) = pooler_and_classifier(&vb).map_err(wrong_weights)?;
                Head::PackedDeberta(Box::new(DebertaHead { model, pooler, pooler_act, classifier }))
            } else {
                let model = Deberta::load(&vb.pp("deberta"), &config).map_err(wrong_weights)?;
                let (pooler, classifier) = pooler_and_classifier(&vb).map_err(wrong_weights)?;
                Head::Deberta(Box::new(DebertaHead { model, pooler, pooler_act, classifier }))
            };
            (head, pad)
        } else {
            let config: bert::Config = serde_json::from_value(folder.config.clone())
                .map_err(|e| model_error(&config_path, format!("is not a BERT configuration candle reads: {e}")))?;
            let h = config.hidden_size;
            let model = super::bert::BertEncoder::load(vb.pp("bert"), &config).map_err(wrong_weights)?;
            let pooler = candle_nn::linear(h, h, vb.pp("bert.pooler.dense")).map_err(wrong_weights)?;
            let classifier = candle_nn::linear(h, labels.len(), vb.pp("classifier")).map_err(wrong_weights)?;
            let head = if packed {
                let model = PackedBert::new(&model, precision).map_err(wrong_weights)?;
                Head::PackedBert(Box::new(BertHead { model, pooler, classifier }))
            } else {
                Head::Bert(Box::new(BertHead { model, pooler, classifier }))
            };
            (head, config.pad_token_id)
        };
        let pad_id = u32::try_from(pad_id).map_err(|_| model_error(&config_path, "pad_token_id is too large"))?;
        let tokenizer_only_second = tokenizer(folder, max_tokens, TruncationStrategy::OnlySecond, pad_id)?;
        let fallback = tokenizer(folder, max_tokens, TruncationStrategy::LongestFirst, pad_id)?;
        let mut settings = serde_json::json!({
            "input": "pair (prompt, candidate text)",
            "max_tokens": max_tokens,
            "truncation": "the candidate's end (longest-first when the prompt alone does not fit)",
            "label": match &pick {
                Pick::Single => labels[0].clone(),
                Pick::LogOdds { name, .. } => format!("{name} (log-odds)"),
            },
        });
        // Named only when used, so that f32 scorers keep the identity they had.
        if precision == Precision::Int8 {
            settings["precision"] = "int8".into();
        }
        let identity = ScorerIdentity {
            name,
            kind: "reward".into(),
            architecture: folder.architecture.clone(),
            weights: hash,
            settings,
        };
        Ok(Self {
            head,
            tokenizer: tokenizer_only_second,
            fallback,
            pick,
            labels: labels.len(),
            device,
            identity,
            words,
        })
    }

    /// Loads `folder`'s reward model onto `device` in `dtype`, named after the folder: what a GPU
    /// runs (f16) checked on the CPU.
    pub fn load_as(folder: &ModelFolder, weights: Vec<u8>, device: Device, dtype: DType) -> Result<Self> {
        let hash = blake3::hash(&weights).to_hex().to_string();
        let precision = if dtype == DType::F16 { "f16" } else { "f32" };
        let words = format!("{} {precision}", if device.is_cpu() { "cpu" } else { "gpu" });
        Self::load(folder, weights, hash, (device, dtype, Precision::F32), folder.name.clone(), words)
    }

    /// The encodings of `pairs`, padded together: response-only truncation, and for the pairs whose
    /// prompt alone does not fit (the tokenizer refuses the batch then), longest-first.
    fn encode(&self, pairs: &[Candidate<'_>]) -> Result<Vec<Encoding>> {
        if let Ok(encodings) = self.tokenizer.encode_batch(pairs.iter().map(input).collect::<Vec<_>>(), true) {
            return Ok(encodings);
        }
        let mut encodings = Vec::with_capacity(pairs.len());
        for c in pairs {
            let e = match self.tokenizer.encode(input(c), true) {
                Ok(e) => e,
                Err(_) => self.fallback.encode(input(c), true).map_err(inference)?,
            };
            encodings.push(e);
        }
        let padding = self.tokenizer.get_padding().cloned().unwrap_or_default();
        tokenizers::pad_encodings(&mut encodings, &padding).map_err(inference)?;
        Ok(encodings)
    }

    /// The logits of `pairs`, one row each.
    fn logits(&self, pairs: &[Candidate<'_>]) -> Result<Vec<Vec<f32>>> {
        let encodings = self.encode(pairs)?;
        let logits = self.head.forward(&encodings, &self.device).map_err(inference)?;
        let logits = logits.to_dtype(DType::F32).and_then(|l| l.to_vec2::<f32>()).map_err(inference)?;
        if logits.first().is_some_and(|row| row.len() != self.labels) {
            return Err(ScoreError::Inference(format!(
                "the classifier gave {} logits, not {}",
                logits[0].len(),
                self.labels
            )));
        }
        Ok(logits)
    }

    fn scalar(&self, logits: &[f32]) -> f32 {
        match &self.pick {
            Pick::Single => logits[0],
            Pick::LogOdds { index, .. } => {
                let others: Vec<f32> = (0..logits.len()).filter(|i| i != index).map(|i| logits[i]).collect();
                let top = others.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let lse = top + others.iter().map(|x| (x - top).exp()).sum::<f32>().ln();
                logits[*index] - lse
            }
        }
    }
}

impl Scorer for RewardScorer {
    fn identity(&self) -> &ScorerIdentity {
        &self.identity
    }

    fn device(&self) -> &str {
        &self.words
    }

    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by_key(|i| batch[*i].prompt.len() + batch[*i].text.len());
        let mut out: Vec<Option<Scored>> = vec![None; batch.len()];
        for pass in order.chunks(PASS) {
            let pairs: Vec<Candidate<'_>> = pass.iter().map(|i| batch[*i]).collect();
            for (i, row) in pass.iter().zip(self.logits(&pairs)?) {
                let detail = (self.labels > 1).then(|| serde_json::json!({ "logits": row }));
                out[*i] = Some(Scored { score: self.scalar(&row), detail, embeddings: Vec::new() });
            }
        }
        Ok(out.into_iter().map(|s| s.expect("every candidate is in one pass")).collect())
    }
}
