//! DeBERTa-v2/v3's encoder on the CPU in f32 over plain buffers, as `bert_packed` runs BERT: the
//! pairs' tokens packed one after another without padding, each projection one `gemm` product
//! over all of them with its bias and residual added in it, attention text by text on rayon's
//! threads, and the buffers kept from pass to pass.
//!
//! `DeBERTa`'s attention adds to each query-key score two terms of the pair's relative distance
//! (bucketed on a log scale past half the buckets): the query against the key projection of that
//! distance's embedding (c2p) and the key against its query projection (p2c). Those projections of
//! the (normalized) relative embeddings depend on the weights alone, so they are made once at
//! load, scaled as the scores are, where `transformers` and candle make them every pass; and a
//! text of `n` tokens reads only the `2n - 1` distances (fewer once bucketed) it has, not all of
//! them. The last layer runs its queries, output and feed-forward for each text's first token
//! only: the pooler reads nothing else.
//!
//! A DeBERTa-v2's convolution layer beside the first layer runs here too (`deberta_conv`).
//! Candle's `DebertaV2Model` (kept for the shape this does not take: an embedding projection)
//! allocates a zeroed buffer per operation and pads every pair of
//! a pass to the longest: on a base-sized model about half `PyTorch`'s speed on the CPU, a sixth of
//! it in the kernel zeroing pages. Gives what it gives within float rounding (tests below).

use super::deberta_conv::{ConvShape, PackedConv};
use super::plain::{
    Dense, Limits, Norm, Precision, ROWS_PER_TASK, Strided, Work, matmul, packed_tokens, resize, values,
};
use candle_core::{DType, Module, Result, Tensor, bail};
use candle_nn::VarBuilder;
use candle_transformers::models::debertav2::{Config, HiddenAct};
use rayon::prelude::*;
use std::sync::Mutex;
use verdict_kernels::rows::{self, Act};

/// `DeBERTa`'s encoder as plain f32 vectors, and buffers kept from pass to pass.
pub struct PackedDeberta {
    /// `(vocab, hidden)`.
    word: Vec<f32>,
    /// `(positions, hidden)`, where the model adds absolute positions (`position_biased_input`).
    positions: Option<Vec<f32>>,
    /// `(types, hidden)`, where the model has token types.
    types: Option<Vec<f32>>,
    norm: Norm,
    layers: Vec<Layer>,
    /// DeBERTa-v2's convolution beside the first layer, where the model has one.
    conv: Option<PackedConv>,
    relative: Option<Relative>,
    hidden: usize,
    heads: usize,
    head_dim: usize,
    buffers: Mutex<Buffers>,
}

#[derive(Default)]
struct Buffers {
    work: Work,
    states: Vec<f32>,
    /// The first tokens' states, context and feed-forward rows in the last layer.
    first: Vec<f32>,
    first_context: Vec<f32>,
    first_up: Vec<f32>,
    /// The embeddings' output, which the convolution reads after the first layer.
    embedded: Vec<f32>,
    /// The convolution's input windows, `(tokens, kernel x hidden)`, and its output.
    windows: Vec<f32>,
    convolved: Vec<f32>,
}

/// How relative distances become rows of the relative embeddings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Relative {
    /// Distances from `-span` to `span - 1` have rows of their own (`2 span` rows).
    pub(super) span: usize,
    /// Log buckets: `(position_buckets, max_relative_positions)`; none: distances as they are.
    buckets: Option<(i64, i64)>,
    pub(super) c2p: bool,
    pub(super) p2c: bool,
}

impl Relative {
    /// The relative attention `config` describes (none: the model has none), and the scale of
    /// its scores, `1 / sqrt(head dim x scale factor)`.
    pub(super) fn of(config: &Config, head_dim: usize) -> (Option<Self>, f32) {
        let has = |kind: &str| config.pos_att_type.iter().any(|s| s == kind);
        let (c2p, p2c) = (has("c2p"), has("p2c"));
        let scale_factor = 1 + usize::from(c2p) + usize::from(p2c);
        #[allow(clippy::cast_precision_loss, reason = "a head's width")]
        let inverse_scale = 1.0 / ((head_dim * scale_factor) as f32).sqrt();
        let relative = config.relative_attention.then(|| {
            let max_relative = if config.max_relative_positions < 1 {
                i64::try_from(config.max_position_embeddings).unwrap_or(i64::MAX)
            } else {
                config.max_relative_positions as i64
            };
            let buckets = config.position_buckets.filter(|b| *b > 0).map(|b| b as i64);
            let span = usize::try_from(buckets.unwrap_or(max_relative)).unwrap_or(0);
            Relative { span, buckets: buckets.map(|b| (b, max_relative)), c2p, p2c }
        });
        (relative, inverse_scale)
    }

    /// The relative embeddings as the encoder hands them to every layer (normalized where the
    /// model says so), `(2 span, hidden)` in f32, read from `vb` (the `deberta` prefix) in any
    /// dtype.
    pub(super) fn table(&self, vb: &VarBuilder, config: &Config) -> Result<Tensor> {
        let h = config.hidden_size;
        let table = vb.get((2 * self.span, h), "encoder.rel_embeddings.weight")?.to_dtype(DType::F32)?;
        if config.norm_rel_ebd.as_deref().is_some_and(|n| n.contains("layer_norm")) {
            let w = vb.get(h, "encoder.LayerNorm.weight")?.to_dtype(DType::F32)?;
            let b = vb.get(h, "encoder.LayerNorm.bias")?.to_dtype(DType::F32)?;
            candle_nn::LayerNorm::new(w, b, config.layer_norm_eps).forward(&table)
        } else {
            Ok(table)
        }
    }

    /// Each distance's row, from `-(longest - 1)` to `longest - 1`.
    pub(super) fn rows(&self, longest: usize) -> Vec<usize> {
        let reach = i64::try_from(longest).unwrap_or(i64::MAX) - 1;
        (-reach..=reach).map(|d| distance_row(self, d)).collect()
    }
}

struct Layer {
    /// Query, key and value projections, one product; the query's rows scaled by `1 / sqrt(head
    /// dim x scale factor)`.
    qkv: Dense,
    /// `(2 span, hidden)`: the relative embeddings through the key projection (c2p).
    pos_key: Vec<f32>,
    /// `(2 span, hidden)`: through the query projection, scaled as the query is (p2c).
    pos_query: Vec<f32>,
    attention_out: Dense,
    attention_norm: Norm,
    up: Dense,
    up_bias: Vec<f32>,
    act: Act,
    down: Dense,
    norm: Norm,
}

/// The activation kernel of `DeBERTa`'s `hidden_act`.
pub(super) fn act(act: HiddenAct) -> Act {
    match act {
        HiddenAct::Gelu => Act::Gelu,
        HiddenAct::GeluApproximate => Act::GeluTanh,
        HiddenAct::Relu => Act::Relu,
    }
}

/// `relative`'s row for the distance `d` (query position less key position), as
/// `transformers`' `make_log_bucket_position` and the clamp of `disentangled_att_bias` give it,
/// in f32 as they compute it.
fn distance_row(relative: &Relative, d: i64) -> usize {
    let bucketed = match relative.buckets {
        Some((size, max)) if size > 0 && max > 0 => {
            let mid = size / 2;
            let abs = if d < mid && d > -mid { mid - 1 } else { d.abs() };
            if abs <= mid {
                d
            } else {
                #[allow(clippy::cast_precision_loss, reason = "positions and buckets are far below 2^24")]
                let (abs, mid, max) = (abs as f32, mid as f32, max as f32);
                let log = ((abs / mid).ln() / ((max - 1.0) / mid).ln() * (mid - 1.0)).ceil() + mid;
                #[allow(clippy::cast_possible_truncation, reason = "a bucket within i64, made whole by ceil")]
                let log = log as i64;
                log * d.signum()
            }
        }
        _ => d,
    };
    let span = i64::try_from(relative.span).unwrap_or(i64::MAX);
    usize::try_from((bucketed + span).clamp(0, 2 * span - 1)).unwrap_or(0)
}

impl PackedDeberta {
    /// Why the model of `config` is not laid out here (candle's model runs it then), if it is not.
    pub fn unsupported(config: &Config) -> Option<String> {
        let head_dim = config.attention_head_size.unwrap_or(config.hidden_size / config.num_attention_heads.max(1));
        if config.embedding_size.is_some_and(|e| e != config.hidden_size) {
            Some("an embedding projection".into())
        } else if let Err(why) = ConvShape::of(config) {
            Some(why)
        } else if head_dim * config.num_attention_heads != config.hidden_size {
            Some("heads that do not span the hidden size".into())
        } else {
            None
        }
    }

    /// The encoder of `config` read from `vb` (the `deberta` prefix of a checkpoint), in f32, its
    /// linear layers' products in `precision`.
    pub fn load(vb: &VarBuilder, config: &Config, precision: Precision) -> Result<Self> {
        if let Some(why) = Self::unsupported(config) {
            bail!("a DeBERTa with {why} runs on candle's model");
        }
        let h = config.hidden_size;
        let heads = config.num_attention_heads;
        let head_dim = h / heads;
        let get = |shape: (usize, usize), name: &str| values(&vb.get(shape, name)?);
        let norm =
            |name: &str| -> Result<Norm> { Norm::new(&candle_nn::layer_norm(h, config.layer_norm_eps, vb.pp(name))?) };
        let word = get((config.vocab_size, h), "embeddings.word_embeddings.weight")?;
        let positions = config
            .position_biased_input
            .then(|| get((config.max_position_embeddings, h), "embeddings.position_embeddings.weight"))
            .transpose()?;
        let types = (config.type_vocab_size > 0)
            .then(|| get((config.type_vocab_size, h), "embeddings.token_type_embeddings.weight"))
            .transpose()?;
        let (relative, inverse_scale) = Relative::of(config, head_dim);
        let (c2p, p2c) = relative.map_or((false, false), |r| (r.c2p, r.p2c));
        // The relative embeddings as the encoder hands them to every layer.
        let rel_embeddings = relative.map(|r| r.table(vb, config)).transpose()?;
        let share = config.share_att_key.unwrap_or(false);
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let vb = vb.pp(format!("encoder.layer.{i}"));
                let linear = |name: &str, inputs: usize, outputs: usize| {
                    candle_nn::linear(inputs, outputs, vb.pp(name)).and_then(|l| {
                        Ok((values(l.weight())?, l.bias().map(values).transpose()?.unwrap_or_default(), l))
                    })
                };
                let (mut query_w, mut query_b, query) = linear("attention.self.query_proj", h, h)?;
                let (key_w, key_b, key) = linear("attention.self.key_proj", h, h)?;
                let (value_w, value_b, _) = linear("attention.self.value_proj", h, h)?;
                for x in query_w.iter_mut().chain(&mut query_b) {
                    *x *= inverse_scale;
                }
                let qkv = Dense::from_weight(
                    [query_w, key_w, value_w].concat(),
                    Some([query_b, key_b, value_b].concat()),
                    (3 * h, h),
                    precision,
                );
                let (mut pos_key, mut pos_query) = (Vec::new(), Vec::new());
                if let Some(table) = &rel_embeddings {
                    let projected = |own: &str, shared: &candle_nn::Linear| -> Result<Vec<f32>> {
                        if share {
                            values(&shared.forward(table)?)
                        } else {
                            values(&linear(own, h, h)?.2.forward(table)?)
                        }
                    };
                    if c2p {
                        pos_key = projected("attention.self.pos_key_proj", &key)?;
                    }
                    if p2c {
                        pos_query = projected("attention.self.pos_query_proj", &query)?;
                        for x in &mut pos_query {
                            *x *= inverse_scale;
                        }
                    }
                }
                let (up, up_bias, _) = linear("intermediate.dense", h, config.intermediate_size)?;
                Ok(Layer {
                    qkv,
                    pos_key,
                    pos_query,
                    attention_out: Dense::new(&candle_nn::linear(h, h, vb.pp("attention.output.dense"))?, precision)?,
                    attention_norm: Norm::new(&candle_nn::layer_norm(
                        h,
                        config.layer_norm_eps,
                        vb.pp("attention.output.LayerNorm"),
                    )?)?,
                    up: Dense::from_weight(up, None, (config.intermediate_size, h), precision),
                    up_bias,
                    act: act(config.hidden_act),
                    down: Dense::new(
                        &candle_nn::linear(config.intermediate_size, h, vb.pp("output.dense"))?,
                        precision,
                    )?,
                    norm: Norm::new(&candle_nn::layer_norm(h, config.layer_norm_eps, vb.pp("output.LayerNorm"))?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let conv = ConvShape::of(config)
            .map_err(candle_core::Error::msg)?
            .map(|shape| PackedConv::load(vb, config, shape, precision))
            .transpose()?;
        Ok(Self {
            word,
            positions,
            types,
            norm: norm("embeddings.LayerNorm")?,
            layers,
            conv,
            relative,
            hidden: h,
            heads,
            head_dim,
            buffers: Mutex::new(Buffers::default()),
        })
    }

    /// The width of its hidden states.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The last hidden state of each text's first token (`[CLS]`), `(texts, hidden)` row by row,
    /// of `texts` (token ids, no padding) with their token types (`types[i]` as long as
    /// `texts[i]`; none given: all 0). A model without token types (DeBERTa-v3) ignores them, as
    /// `transformers` does.
    pub fn first_tokens(&self, texts: &[&[u32]], types: &[&[u32]]) -> Result<Vec<f32>> {
        let types = if self.types.is_some() { types } else { &[] };
        let h = self.hidden;
        if let Some(i) = texts.iter().position(|t| t.is_empty()) {
            bail!("text {} has no tokens", i + 1);
        }
        let limits = Limits {
            vocab: self.word.len() / h,
            positions: self.positions.as_ref().map(|p| p.len() / h),
            types: self.types.as_ref().map_or(1, |t| t.len() / h),
        };
        let tokens = packed_tokens(texts, types, &limits)?;
        let mut buffers = self.buffers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Buffers { work, states: x, first, first_context, first_up, embedded, windows, convolved } = &mut *buffers;
        resize(x, tokens.len() * h);
        x.par_chunks_mut(h).zip(&tokens).with_min_len(ROWS_PER_TASK).for_each(|(row, &(id, p, t))| {
            row.copy_from_slice(&self.word[id * h..(id + 1) * h]);
            if let Some(positions) = &self.positions {
                row.iter_mut().zip(&positions[p * h..(p + 1) * h]).for_each(|(v, a)| *v += a);
            }
            if let Some(types) = &self.types {
                row.iter_mut().zip(&types[t * h..(t + 1) * h]).for_each(|(v, a)| *v += a);
            }
        });
        self.norm.apply(x);
        let spans: Vec<(usize, usize)> =
            texts.iter().scan(0, |at, t| Some((std::mem::replace(at, *at + t.len()), t.len()))).collect();
        let longest = spans.iter().map(|s| s.1).max().unwrap_or(0);
        // Each distance's row of the relative embeddings, from `-(longest - 1)` up.
        let rows: Vec<usize> = self.relative.as_ref().map_or_else(Vec::new, |r| r.rows(longest));
        let relative = self.relative.map(|r| (r, rows.as_slice()));
        let shape = (self.heads, self.head_dim);
        let (mut last, mut earlier) = self.layers.split_last().map_or((None, &[][..]), |(l, e)| (Some(l), e));
        if let Some(conv) = &self.conv {
            embedded.clone_from(x);
            if earlier.is_empty() {
                // The convolution reads the first layer's whole output: no first-token shortcut.
                (last, earlier) = (None, &self.layers[..]);
            }
            let Some((first_layer, rest)) = earlier.split_first() else {
                bail!("a convolution with no layer before it");
            };
            first_layer.forward(x, &spans, shape, relative, work);
            conv.apply(embedded, x, &spans, (windows, convolved), &mut work.quantized);
            earlier = rest;
        }
        for layer in earlier {
            layer.forward(x, &spans, shape, relative, work);
        }
        // The last layer: keys and values of every token, the rest for the first tokens only.
        resize(first, spans.len() * h);
        for ((from, _), row) in spans.iter().zip(first.chunks_exact_mut(h)) {
            row.copy_from_slice(&x[from * h..(from + 1) * h]);
        }
        if let Some(layer) = last {
            let Work { qkv, quantized, .. } = work;
            resize(qkv, x.len() * 3);
            layer.qkv.apply(x, qkv, false, quantized);
            resize(first_context, spans.len() * h);
            layer.attend(qkv, first_context, &spans, shape, relative, true);
            layer.finish(first, first_context, first_up, quantized);
        }
        Ok(first.clone())
    }
}

impl Layer {
    /// One layer over the packed tokens `x` (`(tokens, hidden)`, in place); `spans` are the texts'
    /// first token and length.
    fn forward(
        &self,
        x: &mut [f32],
        spans: &[(usize, usize)],
        shape: (usize, usize),
        relative: Option<(Relative, &[usize])>,
        work: &mut Work,
    ) {
        let Work { qkv, context, up, quantized, .. } = work;
        resize(qkv, x.len() * 3);
        resize(context, x.len());
        self.qkv.apply(x, qkv, false, quantized);
        self.attend(qkv, context, spans, shape, relative, false);
        self.finish(x, context, up, quantized);
    }

    /// The attention's output, its norm and the feed-forward block over the rows of `x` and their
    /// `context`, `x` in place.
    fn finish(
        &self,
        x: &mut [f32],
        context: &[f32],
        up: &mut Vec<f32>,
        quantized: &mut verdict_kernels::int8::QuantizedRows,
    ) {
        self.attention_out.apply(context, x, true, quantized);
        self.attention_norm.apply(x);
        resize(up, x.len() / self.up.inputs * self.up.outputs);
        self.up.apply(x, up, false, quantized);
        rows::bias_act_rows(up, &self.up_bias, self.act);
        self.down.apply(up, x, true, quantized);
        self.norm.apply(x);
    }

    /// `context = softmax(q k^T + c2p + p2c) v` for each text and head, the queries, keys and
    /// values read from the rows of `qkv`; with `first_only`, for each text's first query alone,
    /// one row of `context` a text.
    fn attend(
        &self,
        qkv: &[f32],
        context: &mut [f32],
        spans: &[(usize, usize)],
        (heads, head_dim): (usize, usize),
        relative: Option<(Relative, &[usize])>,
        first_only: bool,
    ) {
        let hidden = heads * head_dim;
        let row = 3 * hidden;
        let mut parts = Vec::with_capacity(spans.len());
        let mut rest = context;
        for &(_, n) in spans {
            let (part, after) = rest.split_at_mut(if first_only { hidden } else { n * hidden });
            parts.push(part);
            rest = after;
        }
        let init = || (Vec::new(), Vec::new(), Vec::new());
        parts.into_par_iter().zip(spans).for_each_init(init, |(scores, c2p, p2c), (context, &(from, n))| {
            let queries = if first_only { 1 } else { n };
            resize(scores, queries * n);
            let text = &qkv[from * row..(from + n) * row];
            // The relative embeddings' rows this text's distances reach: `lo..lo + cols`.
            let window = relative.map(|(r, rows)| {
                let zero = rows.len() / 2;
                let used = &rows[zero + 1 - n..zero + n];
                let lo = used.iter().copied().min().unwrap_or(0);
                (r, rows, zero, lo, used.iter().copied().max().unwrap_or(0) + 1 - lo)
            });
            for h in 0..heads {
                let at = h * head_dim;
                let query = Strided { data: &text[at..], row_stride: row, col_stride: 1 };
                let keys_t = Strided { data: &text[hidden + at..], row_stride: 1, col_stride: row };
                matmul(scores, n, (queries, n, head_dim), query, keys_t, false, 1);
                if let Some((r, rows, zero, lo, cols)) = window {
                    if r.c2p {
                        resize(c2p, queries * cols);
                        let pos_key_t =
                            Strided { data: &self.pos_key[lo * hidden + at..], row_stride: 1, col_stride: hidden };
                        matmul(c2p, cols, (queries, cols, head_dim), query, pos_key_t, false, 1);
                    }
                    if r.p2c {
                        resize(p2c, n * cols);
                        let keys = Strided { data: &text[hidden + at..], row_stride: row, col_stride: 1 };
                        let pos_query_t =
                            Strided { data: &self.pos_query[lo * hidden + at..], row_stride: 1, col_stride: hidden };
                        matmul(p2c, cols, (n, cols, head_dim), keys, pos_query_t, false, 1);
                    }
                    for (i, scores) in scores.chunks_exact_mut(n).enumerate() {
                        for (j, s) in scores.iter_mut().enumerate() {
                            // The row of distance i - j, within the window.
                            let c = rows[zero + i - j] - lo;
                            if r.c2p {
                                *s += c2p[i * cols + c];
                            }
                            if r.p2c {
                                *s += p2c[j * cols + c];
                            }
                        }
                    }
                }
                rows::softmax_rows(scores, n);
                let probabilities = Strided { data: scores, row_stride: n, col_stride: 1 };
                let values = Strided { data: &text[2 * hidden + at..], row_stride: row, col_stride: 1 };
                matmul(&mut context[at..], hidden, (queries, head_dim, n), probabilities, values, false, 1);
            }
        });
    }
}

#[cfg(test)]
pub(in crate::score) mod tests {
    use super::*;
    use candle_core::{Device, Tensor};
    use candle_transformers::models::debertav2::DebertaV2Model;

    /// A small `DeBERTa` of 2 layers, 4 heads, 32 wide, with `overrides` over DeBERTa-v3's settings.
    pub(in crate::score) fn config(overrides: &serde_json::Value) -> Config {
        let mut c = serde_json::json!({
            "vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 48, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0, "max_position_embeddings": 64, "type_vocab_size": 0,
            "initializer_range": 0.02, "layer_norm_eps": 1e-7, "relative_attention": true,
            "max_relative_positions": -1, "position_buckets": 8, "norm_rel_ebd": "layer_norm",
            "share_att_key": true, "pos_att_type": ["p2c", "c2p"], "position_biased_input": false,
            "pad_token_id": 0,
        });
        for (k, v) in overrides.as_object().into_iter().flatten() {
            c[k] = v.clone();
        }
        serde_json::from_value(c).expect("a DeBERTa configuration")
    }

    /// Texts of 1 to 30 tokens (past the buckets' exact half and the relative span), types 0 then 1.
    fn texts() -> Vec<(Vec<u32>, Vec<u32>)> {
        [1, 3, 7, 12, 30]
            .iter()
            .map(|&n| {
                let ids = (0..n).map(|i| (i * 7 + n) % 39 + 1).collect();
                let types = (0..n).map(|i| u32::from(i >= n / 2)).collect();
                (ids, types)
            })
            .collect()
    }

    /// The first tokens' states packed here and from candle's model text by text agree within 1e-5.
    /// Layer norms start at 1 and 0: moves them, so that a misplaced norm shows.
    pub(in crate::score) fn move_norms(map: &candle_nn::VarMap) -> Result<()> {
        for (name, var) in map.data().lock().expect("the var map").iter() {
            if name.contains("LayerNorm") {
                let moved = (var.as_tensor() + Tensor::randn(0f32, 0.3, var.dims(), &Device::Cpu)?)?;
                var.set(&moved)?;
            }
        }
        Ok(())
    }

    fn agrees_with_candle(overrides: &serde_json::Value) -> Result<()> {
        let config = config(overrides);
        let map = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        // Candle's loader creates every tensor it asks for; random init by the var map.
        DebertaV2Model::load(vb.pp("deberta"), &config)?;
        move_norms(&map)?;
        let theirs = DebertaV2Model::load(vb.pp("deberta"), &config)?;
        let ours = PackedDeberta::load(&vb.pp("deberta"), &config, Precision::F32)?;
        let texts = texts();
        let ids: Vec<&[u32]> = texts.iter().map(|t| t.0.as_slice()).collect();
        let types: Vec<&[u32]> = texts.iter().map(|t| t.1.as_slice()).collect();
        let typed = config.type_vocab_size > 0;
        let got = ours.first_tokens(&ids, if typed { &types } else { &[] })?;
        let h = config.hidden_size;
        assert_eq!(got.len(), texts.len() * h);
        for (i, (id, ty)) in texts.iter().enumerate() {
            let n = id.len();
            let input = Tensor::from_vec(id.clone(), (1, n), &Device::Cpu)?;
            let kinds = if typed { Tensor::from_vec(ty.clone(), (1, n), &Device::Cpu)? } else { input.zeros_like()? };
            let want = theirs.forward(&input, Some(kinds), Some(input.ones_like()?))?;
            let want = want.get(0)?.get(0)?.to_vec1::<f32>()?;
            let diff = got[i * h..(i + 1) * h].iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(diff < 1e-5, "text {} of {n} tokens: {diff} from candle's DeBERTa ({overrides})", i + 1);
        }
        // Again, fewer and shorter: the buffers the first pass grew are reused.
        let again = ours.first_tokens(&ids[1..3], if typed { &types[1..3] } else { &[] })?;
        assert_eq!(again, got[h..3 * h]);
        Ok(())
    }

    #[test]
    fn deberta_v3_shaped_log_buckets_shared_keys() -> Result<()> {
        agrees_with_candle(&serde_json::json!({}))
    }

    /// DeBERTa-v2's shape: own position projections, absolute positions, token types, distances
    /// clamped at 6 without buckets, the relative embeddings not normalized.
    pub(in crate::score) fn v2_shaped() -> serde_json::Value {
        serde_json::json!({
            "position_buckets": -1, "max_relative_positions": 6, "share_att_key": false,
            "position_biased_input": true, "type_vocab_size": 2, "norm_rel_ebd": "none",
        })
    }

    #[test]
    fn deberta_v2_shaped_own_position_projections_absolute_positions_and_types() -> Result<()> {
        agrees_with_candle(&v2_shaped())
    }

    #[test]
    fn one_relative_term_or_none() -> Result<()> {
        agrees_with_candle(&serde_json::json!({ "pos_att_type": ["c2p"], "max_relative_positions": 20 }))?;
        agrees_with_candle(&serde_json::json!({ "pos_att_type": "p2c", "hidden_act": "relu" }))?;
        agrees_with_candle(&serde_json::json!({ "relative_attention": false, "position_biased_input": true }))
    }

    #[test]
    fn int8_states_stay_close_to_f32_ones() -> Result<()> {
        let config = config(&serde_json::json!({}));
        let map = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        DebertaV2Model::load(vb.pp("deberta"), &config)?;
        let exact = PackedDeberta::load(&vb.pp("deberta"), &config, Precision::F32)?;
        let int8 = PackedDeberta::load(&vb.pp("deberta"), &config, Precision::Int8)?;
        let texts = texts();
        let ids: Vec<&[u32]> = texts.iter().map(|t| t.0.as_slice()).collect();
        let (a, b) = (exact.first_tokens(&ids, &[])?, int8.first_tokens(&ids, &[])?);
        for (i, (x, y)) in a.chunks(exact.hidden()).zip(b.chunks(int8.hidden())).enumerate() {
            let dot: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
            let norms = x.iter().map(|p| p * p).sum::<f32>().sqrt() * y.iter().map(|q| q * q).sum::<f32>().sqrt();
            assert!(dot / norms > 0.99, "text {}: cosine {} between int8 and f32 states", i + 1, dot / norms);
            let moved = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
            assert!(moved > 0.0, "text {}: int8 gave f32's states exactly: not quantized", i + 1);
        }
        Ok(())
    }

    #[test]
    fn log_buckets_are_transformers() {
        // transformers' make_log_bucket_position(d, 256, 512) + 256, clamped: DeBERTa-v3-base.
        let r = Relative { span: 256, buckets: Some((256, 512)), c2p: true, p2c: true };
        let rows: Vec<usize> = [-600, -511, -200, -129, -128, -127, -1, 0, 1, 127, 128, 129, 200, 511, 600]
            .iter()
            .map(|d| distance_row(&r, *d))
            .collect();
        // Printed by transformers 5.24 for these distances.
        assert_eq!(rows, [0, 1, 87, 127, 128, 129, 255, 256, 257, 383, 384, 385, 425, 511, 511]);
        // Odd about distance 0 (p2c reads the distance j - i as c2p reads i - j), never decreasing.
        let all: Vec<i64> = (-2000..=2000).map(|d| distance_row(&r, d) as i64 - 256).collect();
        assert!(all.windows(2).all(|w| w[0] <= w[1]));
        assert!((1..2000).all(|d| all[2000 + d] == -all[2000 - d] || all[2000 - d] == -256));
    }

    #[test]
    fn inputs_the_model_cannot_take_are_errors() -> Result<()> {
        let short = config(&serde_json::json!({ "position_biased_input": true, "max_position_embeddings": 8 }));
        let map = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        DebertaV2Model::load(vb.pp("deberta"), &short)?;
        let ours = PackedDeberta::load(&vb.pp("deberta"), &short, Precision::F32)?;
        let err = ours.first_tokens(&[&[1, 2], &[3, 40]], &[]).expect_err("id 40 is past the vocabulary");
        assert!(err.to_string().contains("text 2 has token id 40"), "{err}");
        let err = ours.first_tokens(&[&[1; 9]], &[]).expect_err("more tokens than positions");
        assert!(err.to_string().contains("9 tokens, more than the model's 8 positions"), "{err}");
        // Token types where the model has none are ignored.
        assert_eq!(ours.first_tokens(&[&[1, 2]], &[&[0, 1]])?, ours.first_tokens(&[&[1, 2]], &[])?);
        let typed = config(&serde_json::json!({ "type_vocab_size": 2 }));
        let map = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        DebertaV2Model::load(vb.pp("deberta"), &typed)?;
        let ours = PackedDeberta::load(&vb.pp("deberta"), &typed, Precision::F32)?;
        let err = ours.first_tokens(&[&[1, 2]], &[&[0, 2]]).expect_err("type 2 of 2");
        assert!(err.to_string().contains("text 1 has token type 2, where the model has 2"), "{err}");
        let err = ours.first_tokens(&[&[1, 2]], &[&[0]]).expect_err("too few types");
        assert!(err.to_string().contains("text 1 has 2 tokens and 1 token types"), "{err}");
        assert!(ours.first_tokens(&[], &[])?.is_empty());
        let projected = Config { embedding_size: Some(16), ..short };
        assert_eq!(PackedDeberta::unsupported(&projected).as_deref(), Some("an embedding projection"));
        Ok(())
    }
}
