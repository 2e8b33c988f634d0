//! A BERT-family encoder: the weights and `config.json` of Hugging Face's `BertModel` (as
//! `candle_transformers`' `bert` reads them), texts padded and masked, as a GPU runs them best (on
//! the CPU in f32, `bert_packed` runs the same weights without padding). The query, key and
//! value projections are one matrix product, the query's `1/sqrt(d)` folded into its weights; the
//! attention mask and softmax, and the feed-forward block's bias and GELU, are one in-place pass
//! each (`cpu_ops`). Outputs match `candle_transformers`' `BertModel` within float rounding (test
//! below) and sentence-transformers' within 1e-4 (`tests/score_minilm.rs`).

use super::cpu_ops::{bias_gelu, masked_softmax};
use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};
use candle_transformers::models::bert::{Config, HiddenAct};

/// Attention scores computed at a time on the CPU, at most (see [`attend`]).
const SCORES: usize = 1 << 21;

/// The encoder: embeddings, then `num_hidden_layers` layers.
pub struct BertEncoder {
    pub(super) embeddings: Embeddings,
    pub(super) layers: Vec<Layer>,
    pub(super) heads: usize,
    pub(super) head_dim: usize,
    /// The first token's position: 0, or `RoBERTa`'s `pad_token_id + 1`.
    pub(super) first_position: u32,
}

pub(super) struct Embeddings {
    pub(super) word: Embedding,
    pub(super) position: Embedding,
    pub(super) token_type: Embedding,
    pub(super) norm: LayerNorm,
}

pub(super) struct Layer {
    /// Query (scaled by `1/sqrt(d)`), key and value, one after the other.
    pub(super) qkv: Linear,
    pub(super) attention_out: Linear,
    pub(super) attention_norm: LayerNorm,
    /// The feed-forward block's first projection, without its bias (added with the activation).
    pub(super) up: Linear,
    pub(super) up_bias: Tensor,
    pub(super) act: HiddenAct,
    pub(super) down: Linear,
    pub(super) norm: LayerNorm,
}

impl BertEncoder {
    /// Loads the encoder from `vb`: its tensors at the top level, or under `bert.` or the config's
    /// `model_type` (as `candle_transformers`' `BertModel::load` finds them).
    pub fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let word = "embeddings.word_embeddings.weight";
        let vb = if vb.contains_tensor(word) {
            vb
        } else if vb.contains_tensor(&format!("bert.{word}")) {
            vb.pp("bert")
        } else {
            match &config.model_type {
                Some(t) if vb.contains_tensor(&format!("{t}.{word}")) => vb.pp(t),
                _ => vb,
            }
        };
        let hidden = config.hidden_size;
        let heads = config.num_attention_heads.max(1);
        let head_dim = hidden / heads;
        let e = vb.pp("embeddings");
        let embeddings = Embeddings {
            word: embedding(config.vocab_size, hidden, e.pp("word_embeddings"))?,
            position: embedding(config.max_position_embeddings, hidden, e.pp("position_embeddings"))?,
            token_type: embedding(config.type_vocab_size, hidden, e.pp("token_type_embeddings"))?,
            norm: layer_norm(hidden, config.layer_norm_eps, e.pp("LayerNorm"))?,
        };
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&vb.pp(format!("encoder.layer.{i}")), config, head_dim))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { embeddings, layers, heads, head_dim, first_position: 0 })
    }

    /// The encoder with `RoBERTa`'s positions: the first token at `pad_token_id + 1` (padding,
    /// masked, where it falls).
    pub fn with_first_position(self, first_position: u32) -> Self {
        Self { first_position, ..self }
    }

    /// The last hidden states, `(batch, tokens, hidden)`, of token ids and types `(batch,
    /// tokens)`; `mask` (1 for a token, 0 for padding) as the tokenizer gives it.
    pub fn forward(&self, ids: &Tensor, types: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (_, len) = ids.dims2()?;
        let e = &self.embeddings;
        let first = self.first_position;
        let positions = Tensor::arange(first, first + len as u32, ids.device())?;
        let x =
            (e.word.forward(ids)? + e.token_type.forward(types)?)?.broadcast_add(&e.position.forward(&positions)?)?;
        let mut x = e.norm.forward(&x)?;
        let mask = additive_mask(mask, x.dtype())?;
        for layer in &self.layers {
            x = layer.forward(&x, &mask, self.heads, self.head_dim)?;
        }
        Ok(x)
    }
}

/// `(batch, tokens)`: 0 where a token counts, the dtype's lowest value where it is padding (as
/// transformers' extended attention mask).
pub(super) fn additive_mask(mask: &Tensor, dtype: DType) -> Result<Tensor> {
    let lowest = match dtype {
        DType::F16 => -65504.0,
        DType::BF16 => -3.389_531_389_251_535_5e38,
        DType::F64 => f64::MIN,
        _ => f64::from(f32::MIN),
    };
    mask.to_dtype(DType::F32)?.affine(-lowest, lowest)?.to_dtype(dtype)
}

impl Layer {
    fn load(vb: &VarBuilder, config: &Config, head_dim: usize) -> Result<Self> {
        let hidden = config.hidden_size;
        let attention = vb.pp("attention");
        let part = |name: &str| -> Result<(Tensor, Tensor)> {
            let p = attention.pp("self").pp(name);
            Ok((p.get((hidden, hidden), "weight")?, p.get(hidden, "bias")?))
        };
        let scale = 1.0 / (head_dim.max(1) as f64).sqrt();
        let (qw, qb) = part("query")?;
        let (kw, kb) = part("key")?;
        let (vw, vb_) = part("value")?;
        let qkv = Linear::new(
            Tensor::cat(&[&(qw * scale)?, &kw, &vw], 0)?,
            Some(Tensor::cat(&[&(qb * scale)?, &kb, &vb_], 0)?),
        );
        let out = attention.pp("output");
        let intermediate = vb.pp("intermediate").pp("dense");
        let up_weight = intermediate.get((config.intermediate_size, hidden), "weight")?;
        let up_bias = intermediate.get(config.intermediate_size, "bias")?;
        Ok(Self {
            qkv,
            attention_out: linear(hidden, hidden, out.pp("dense"))?,
            attention_norm: layer_norm(hidden, config.layer_norm_eps, out.pp("LayerNorm"))?,
            up: Linear::new(up_weight, None),
            up_bias,
            act: config.hidden_act,
            down: linear(config.intermediate_size, hidden, vb.pp("output").pp("dense"))?,
            norm: layer_norm(hidden, config.layer_norm_eps, vb.pp("output").pp("LayerNorm"))?,
        })
    }

    fn forward(&self, x: &Tensor, mask: &Tensor, heads: usize, head_dim: usize) -> Result<Tensor> {
        let (batch, len, hidden) = x.dims3()?;
        // (3, batch, heads, tokens, head_dim) in one copy.
        let qkv =
            self.qkv.forward(x)?.reshape((batch, len, 3, heads, head_dim))?.permute((2, 0, 3, 1, 4))?.contiguous()?;
        let (query, key, value) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        let context =
            attend(&query, &key, &value, mask)?.transpose(1, 2)?.contiguous()?.reshape((batch, len, hidden))?;
        self.feed_forward(&context, x)
    }

    /// The output projection, the residual and norm, the feed-forward block and its residual and
    /// norm, after attention gave `context` for the layer's input `x`.
    fn feed_forward(&self, context: &Tensor, x: &Tensor) -> Result<Tensor> {
        let attended = self.attention_norm.forward(&(self.attention_out.forward(context)? + x)?)?;
        let up = self.up.forward(&attended)?;
        let up = match self.act {
            HiddenAct::Gelu => bias_gelu(up, &self.up_bias)?,
            HiddenAct::GeluApproximate => up.broadcast_add(&self.up_bias)?.gelu()?,
            HiddenAct::Relu => up.broadcast_add(&self.up_bias)?.relu()?,
        };
        self.norm.forward(&(self.down.forward(&up)? + attended)?)
    }
}

/// `softmax(q k^T + mask) v`, `(batch, heads, tokens, head_dim)`. On the CPU a few items at a
/// time, so that their scores (`heads x tokens^2` each) stay under [`SCORES`] values: 32 texts of
/// 256 tokens would make a 100 MB score tensor, allocated afresh and its pages cleared by the
/// kernel on every layer. Items never see each other, so the result is the same.
fn attend(q: &Tensor, k: &Tensor, v: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let (batch, heads, len, _) = q.dims4()?;
    let per = (SCORES / (heads * len * len).max(1)).max(1);
    let one = |q: &Tensor, k: &Tensor, v: &Tensor, mask: &Tensor| masked_softmax(q.matmul(&k.t()?)?, mask)?.matmul(v);
    if batch <= per || !q.device().is_cpu() {
        return one(q, k, v, mask);
    }
    let parts = (0..batch)
        .step_by(per)
        .map(|from| {
            let n = per.min(batch - from);
            one(&q.narrow(0, from, n)?, &k.narrow(0, from, n)?, &v.narrow(0, from, n)?, &mask.narrow(0, from, n)?)
        })
        .collect::<Result<Vec<_>>>()?;
    Tensor::cat(&parts, 0)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use candle_core::Device;
    use candle_transformers::models::bert::BertModel;

    /// A small random BERT, its tensors named as Hugging Face names them (under `bert.`).
    pub(in crate::score) fn random_bert(config: &Config) -> candle_nn::VarMap {
        let map = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        // BertModel's loader creates every tensor it asks for; random init by the var map.
        BertModel::load(vb.pp("bert"), config).expect("a random BERT");
        map
    }

    /// A BERT of 2 layers, 4 heads, 48 wide.
    pub(in crate::score) fn small_config() -> Config {
        Config {
            vocab_size: 50,
            hidden_size: 48,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            intermediate_size: 96,
            max_position_embeddings: 40,
            ..Config::default()
        }
    }

    #[test]
    fn the_encoder_gives_what_candles_bert_gives() -> Result<()> {
        let config = small_config();
        let map = random_bert(&config);
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let ours = BertEncoder::load(vb.clone(), &config)?;
        let theirs = BertModel::load(vb.pp("bert"), &config)?;
        let ids = Tensor::new(&[[1u32, 5, 9, 3, 7, 2], [4, 8, 2, 0, 0, 0]], &Device::Cpu)?;
        let mask = Tensor::new(&[[1u32, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]], &Device::Cpu)?;
        let types = ids.zeros_like()?;
        let a = ours.forward(&ids, &types, &mask)?;
        let b = theirs.forward(&ids, &types, Some(&mask))?;
        assert_eq!(a.dims(), b.dims());
        let diff = (a - b)?.abs()?.flatten_all()?.max(0)?;
        assert!(diff.to_scalar::<f32>()? < 1e-5, "{diff}");
        Ok(())
    }

    #[test]
    fn attention_in_slices_of_the_batch_is_attention_over_it_whole() -> Result<()> {
        let dev = Device::Cpu;
        // 4 heads x 600^2 scores an item: over half of SCORES, so one item a slice.
        let (batch, heads, len, width) = (3, 4, 600, 8);
        assert!(heads * len * len > SCORES / 2);
        let q = Tensor::randn(0f32, 1.0, (batch, heads, len, width), &dev)?;
        let k = Tensor::randn(0f32, 1.0, (batch, heads, len, width), &dev)?;
        let v = Tensor::randn(0f32, 1.0, (batch, heads, len, width), &dev)?;
        let keep: Vec<f32> =
            (0..batch * len).map(|i| if i % len < len - 100 * (i / len) { 1.0 } else { 0.0 }).collect();
        let keep = Tensor::from_vec(keep, (batch, len), &dev)?;
        let mask = additive_mask(&keep, DType::F32)?;
        let sliced = attend(&q, &k, &v, &mask)?;
        let scores = q.matmul(&k.t()?)?;
        let whole =
            candle_nn::ops::softmax_last_dim(&scores.broadcast_add(&mask.unsqueeze(1)?.unsqueeze(1)?)?)?.matmul(&v)?;
        assert_eq!(sliced.dims(), whole.dims());
        let diff = (sliced - whole)?.abs()?.flatten_all()?.max(0)?;
        assert!(diff.to_scalar::<f32>()? < 1e-5, "{diff}");
        Ok(())
    }
}
