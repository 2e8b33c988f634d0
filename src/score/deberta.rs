//! DeBERTa-v2/v3's encoder over candle's tensors, padded and masked, in the device's precision:
//! what a GPU runs (f16 there; on the CPU in f32 `deberta_packed` runs the same weights without
//! padding). As there, the query's scale is folded into its weights and into the relative
//! embeddings' query projection, both projections are made once at load, and a pass reads only
//! the relative distances its padded length reaches: c2p and p2c are products against that window
//! of rows, picked per (query, key) pair by one `index_select` over a `length x length` index
//! (candle's `DebertaV2Model` gathers with a `batch x heads x length x length` one, and builds its
//! masks in f32, so it cannot run in f16). The attention's scores are summed and normalized in
//! f32 whatever the dtype. DeBERTa-v2's convolution layer runs as candle's `conv1d` over the masked
//! embeddings. Matches candle's model within float rounding (tests below; the convolution against
//! `deberta_packed`); in f16 `transformers`' logits within half precision's tolerance
//! (`tests/score_reward.rs`).

use super::bert::additive_mask;
use super::cpu_ops::masked_softmax;
use super::deberta_conv::{ConvShape, PaddedConv};
use super::deberta_packed::Relative;
use candle_core::{DType, Device, Module, Result, Tensor, bail};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};
use candle_transformers::models::debertav2::{Config, HiddenAct};

/// The encoder: embeddings, then its layers.
pub struct Deberta {
    word: Embedding,
    positions: Option<Embedding>,
    types: Option<Embedding>,
    norm: LayerNorm,
    layers: Vec<Layer>,
    /// DeBERTa-v2's convolution beside the first layer, where the model has one.
    conv: Option<PaddedConv>,
    relative: Option<Relative>,
    heads: usize,
    head_dim: usize,
}

struct Layer {
    /// Query (scaled), key and value, one after the other.
    qkv: Linear,
    /// `(2 span, hidden)`: the relative embeddings through the key projection (c2p).
    pos_key: Option<Tensor>,
    /// The same through the query projection, scaled as the query is (p2c).
    pos_query: Option<Tensor>,
    attention_out: Linear,
    attention_norm: LayerNorm,
    up: Linear,
    act: HiddenAct,
    down: Linear,
    norm: LayerNorm,
}

/// The relative window of a pass: its first row, its width, and for c2p and p2c the positions
/// in the flattened `(length, width)` products that each `(query, key)` pair reads.
struct Window {
    first: usize,
    width: usize,
    c2p: Tensor,
    p2c: Tensor,
}

impl Deberta {
    /// The encoder of `config` read from `vb` (the `deberta` prefix of a checkpoint), in `vb`'s
    /// dtype on its device; the relative projections are made in f32 and then stored in it.
    pub fn load(vb: &VarBuilder, config: &Config) -> Result<Self> {
        if let Some(why) = super::deberta_packed::PackedDeberta::unsupported(config) {
            bail!("a DeBERTa with {why} is not laid out here");
        }
        let h = config.hidden_size;
        let heads = config.num_attention_heads;
        let head_dim = h / heads;
        let eps = config.layer_norm_eps;
        let emb = vb.pp("embeddings");
        let (relative, inverse_scale) = Relative::of(config, head_dim);
        let scale = f64::from(inverse_scale);
        let table = relative.map(|r| r.table(vb, config)).transpose()?;
        let share = config.share_att_key.unwrap_or(false);
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let vb = vb.pp(format!("encoder.layer.{i}"));
                let attention = vb.pp("attention.self");
                let part = |name: &str| -> Result<(Tensor, Tensor)> {
                    Ok((attention.pp(name).get((h, h), "weight")?, attention.pp(name).get(h, "bias")?))
                };
                let (qw, qb) = part("query_proj")?;
                let (kw, kb) = part("key_proj")?;
                let (vw, vb_) = part("value_proj")?;
                // A projection of the relative embeddings, in f32, then in the weights' dtype.
                let project = |(w, b): (&Tensor, &Tensor), times: f64| -> Result<Tensor> {
                    let table = table.as_ref().expect("projections only with relative attention");
                    let f32 = Linear::new(w.to_dtype(DType::F32)?, Some(b.to_dtype(DType::F32)?));
                    (f32.forward(table)? * times)?.to_dtype(w.dtype())
                };
                let (mut pos_key, mut pos_query) = (None, None);
                if let Some(r) = relative {
                    if r.c2p {
                        let own = if share { None } else { Some(part("pos_key_proj")?) };
                        let (w, b) = own.as_ref().map_or((&kw, &kb), |(w, b)| (w, b));
                        pos_key = Some(project((w, b), 1.0)?);
                    }
                    if r.p2c {
                        let own = if share { None } else { Some(part("pos_query_proj")?) };
                        let (w, b) = own.as_ref().map_or((&qw, &qb), |(w, b)| (w, b));
                        pos_query = Some(project((w, b), scale)?);
                    }
                }
                let qkv = Linear::new(
                    Tensor::cat(&[&(&qw * scale)?, &kw, &vw], 0)?,
                    Some(Tensor::cat(&[&(&qb * scale)?, &kb, &vb_], 0)?),
                );
                Ok(Layer {
                    qkv,
                    pos_key,
                    pos_query,
                    attention_out: linear(h, h, vb.pp("attention.output.dense"))?,
                    attention_norm: layer_norm(h, eps, vb.pp("attention.output.LayerNorm"))?,
                    up: linear(h, config.intermediate_size, vb.pp("intermediate.dense"))?,
                    act: config.hidden_act,
                    down: linear(config.intermediate_size, h, vb.pp("output.dense"))?,
                    norm: layer_norm(h, eps, vb.pp("output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            word: embedding(config.vocab_size, h, emb.pp("word_embeddings"))?,
            positions: config
                .position_biased_input
                .then(|| embedding(config.max_position_embeddings, h, emb.pp("position_embeddings")))
                .transpose()?,
            types: (config.type_vocab_size > 0)
                .then(|| embedding(config.type_vocab_size, h, emb.pp("token_type_embeddings")))
                .transpose()?,
            norm: layer_norm(h, eps, emb.pp("LayerNorm"))?,
            layers,
            conv: ConvShape::of(config)
                .map_err(candle_core::Error::msg)?
                .map(|shape| PaddedConv::load(vb, config, shape))
                .transpose()?,
            relative,
            heads,
            head_dim,
        })
    }

    /// The last hidden states, `(batch, tokens, hidden)`, of token ids and types `(batch,
    /// tokens)` (types ignored where the model has none); `mask` (1 for a token, 0 for padding)
    /// as the tokenizer gives it.
    pub fn forward(&self, ids: &Tensor, types: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (_, len) = ids.dims2()?;
        let mut x = self.word.forward(ids)?;
        if let Some(positions) = &self.positions {
            let at = Tensor::arange(0u32, u32::try_from(len).unwrap_or(u32::MAX), ids.device())?;
            x = x.broadcast_add(&positions.forward(&at)?)?;
        }
        if let Some(kinds) = &self.types {
            x = (x + kinds.forward(types)?)?;
        }
        let x = self.norm.forward(&x)?;
        let multiplier = mask.to_dtype(x.dtype())?.unsqueeze(2)?;
        let embedded = x.broadcast_mul(&multiplier)?;
        // The attention's scores are summed and normalized in f32 (below).
        let additive = additive_mask(mask, DType::F32)?;
        let window = self.relative.map(|r| window(&r, len, ids.device())).transpose()?;
        let mut x = embedded.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x, &additive, window.as_ref(), (self.heads, self.head_dim))?;
            if let (0, Some(conv)) = (i, &self.conv) {
                x = conv.forward(&embedded, &x, &multiplier)?;
            }
        }
        Ok(x)
    }
}

/// The rows of the relative embeddings a pass of `len` tokens reads, and where each pair finds its
/// row in the flattened c2p (`(query, row)`) and p2c (`(key, row)`) products.
fn window(relative: &Relative, len: usize, device: &Device) -> Result<Window> {
    let rows = relative.rows(len.max(1));
    let first = rows.iter().copied().min().unwrap_or(0);
    let width = rows.iter().copied().max().unwrap_or(0) + 1 - first;
    let zero = rows.len() / 2;
    let index = |flat: &dyn Fn(usize, usize, usize) -> usize| -> Result<Tensor> {
        let mut out = Vec::with_capacity(len * len);
        for i in 0..len {
            for j in 0..len {
                let row = rows[zero + i - j] - first;
                out.push(u32::try_from(flat(i, j, row)).unwrap_or(u32::MAX));
            }
        }
        Tensor::from_vec(out, len * len, device)
    };
    // c2p[i, j] = C[i, row(i - j)]; p2c[i, j] = P[j, row(i - j)].
    let c2p = index(&|i, _, row| i * width + row)?;
    let p2c = index(&|_, j, row| j * width + row)?;
    Ok(Window { first, width, c2p, p2c })
}

impl Layer {
    fn forward(
        &self,
        x: &Tensor,
        mask: &Tensor,
        window: Option<&Window>,
        (heads, d): (usize, usize),
    ) -> Result<Tensor> {
        let (batch, len, hidden) = x.dims3()?;
        let qkv = self.qkv.forward(x)?.reshape((batch, len, 3, heads, d))?.permute((2, 0, 3, 1, 4))?.contiguous()?;
        let (query, key, value) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        // The three terms summed and the softmax taken in f32: in f16 their sum loses as much as
        // the rest of the model together (the tests' f16 logits: twice PyTorch's f16 error).
        let dtype = query.dtype();
        let mut scores = query.matmul(&key.t()?)?.to_dtype(DType::F32)?;
        if let Some(w) = window {
            // `(heads, d, width)`: a projection's window of rows, per head, transposed.
            let rows_t = |table: &Tensor| -> Result<Tensor> {
                table.narrow(0, w.first, w.width)?.reshape((w.width, heads, d))?.permute((1, 2, 0))?.unsqueeze(0)
            };
            // `(batch, heads, len, width)` flattened per item and head, picked by `index`.
            let pick = |products: &Tensor, index: &Tensor| -> Result<Tensor> {
                products
                    .contiguous()?
                    .reshape((batch * heads, len * w.width))?
                    .index_select(index, 1)?
                    .reshape((batch, heads, len, len))?
                    .to_dtype(DType::F32)
            };
            if let Some(pos_key) = &self.pos_key {
                scores = (scores + pick(&query.broadcast_matmul(&rows_t(pos_key)?)?, &w.c2p)?)?;
            }
            if let Some(pos_query) = &self.pos_query {
                scores = (scores + pick(&key.broadcast_matmul(&rows_t(pos_query)?)?, &w.p2c)?)?;
            }
        }
        let context = masked_softmax(scores.contiguous()?, mask)?.to_dtype(dtype)?.matmul(&value)?;
        let context = context.transpose(1, 2)?.contiguous()?.reshape((batch, len, hidden))?;
        let attended = self.attention_norm.forward(&(self.attention_out.forward(&context)? + x)?)?;
        let up = self.up.forward(&attended)?;
        let up = match self.act {
            HiddenAct::Gelu => up.gelu_erf()?,
            HiddenAct::GeluApproximate => up.gelu()?,
            HiddenAct::Relu => up.relu()?,
        };
        self.norm.forward(&(self.down.forward(&up)? + attended)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::deberta_packed::tests::{config, v2_shaped};
    use candle_transformers::models::debertav2::DebertaV2Model;

    /// The padded, masked batch gives what candle's model gives each text alone, in f32; in f16
    /// within half precision's reach of it.
    fn agrees_with_candle(overrides: &serde_json::Value) -> Result<()> {
        let config = config(overrides);
        let map = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let theirs = DebertaV2Model::load(vb.pp("deberta"), &config)?;
        let ours = Deberta::load(&vb.pp("deberta"), &config)?;
        let lengths = [1usize, 3, 12, 30];
        let len = 30;
        let text =
            |n: usize| -> Vec<u32> { (0..n).map(|i| u32::try_from((i * 7 + n) % 39 + 1).unwrap_or(1)).collect() };
        let kinds = |n: usize| -> Vec<u32> { (0..len).map(|i| u32::from(i >= n / 2 && i < n)).collect() };
        let mut ids = Vec::new();
        let (mut types, mut mask) = (Vec::new(), Vec::new());
        for &n in &lengths {
            let mut t = text(n);
            t.resize(len, 0);
            ids.extend(t);
            types.extend(kinds(n));
            mask.extend((0..len).map(|i| u32::from(i < n)));
        }
        let shape = (lengths.len(), len);
        let (ids, types, mask) = (
            Tensor::from_vec(ids, shape, &Device::Cpu)?,
            Tensor::from_vec(types, shape, &Device::Cpu)?,
            Tensor::from_vec(mask, shape, &Device::Cpu)?,
        );
        let typed = config.type_vocab_size > 0;
        let types = if typed { types } else { ids.zeros_like()? };
        let got = ours.forward(&ids, &types, &mask)?;
        let half_vb = VarBuilder::from_varmap(&map, DType::F16, &Device::Cpu);
        let half = Deberta::load(&half_vb.pp("deberta"), &config)?.forward(&ids, &types, &mask)?;
        for (b, &n) in lengths.iter().enumerate() {
            let one = ids.get(b)?.narrow(0, 0, n)?.unsqueeze(0)?;
            let one_types = types.get(b)?.narrow(0, 0, n)?.unsqueeze(0)?;
            let want = theirs.forward(&one, Some(one_types), Some(one.ones_like()?))?.get(0)?;
            let ours = got.get(b)?.narrow(0, 0, n)?;
            let diff = (&ours - &want)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?;
            assert!(diff < 1e-5, "text {} of {n} tokens: {diff} from candle's DeBERTa ({overrides})", b + 1);
            let half = half.get(b)?.narrow(0, 0, n)?.to_dtype(DType::F32)?;
            let diff = (&half - &want)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?;
            assert!(diff < 5e-2, "text {} of {n} tokens in f16: {diff} from candle's f32 ({overrides})", b + 1);
        }
        Ok(())
    }

    /// With DeBERTa-v2's convolution layer (which candle's model does not run): the padded batch
    /// gives each text's first token what the packed encoder gives it, in f32.
    fn conv_agrees_with_the_packed_encoder(overrides: &serde_json::Value) -> Result<()> {
        use crate::score::deberta_packed::PackedDeberta;
        use crate::score::plain::Precision;
        let config = config(overrides);
        let map = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        // The loader creates every tensor it asks for (random weights); then the norms are moved.
        Deberta::load(&vb.pp("deberta"), &config)?;
        crate::score::deberta_packed::tests::move_norms(&map)?;
        let packed = PackedDeberta::load(&vb.pp("deberta"), &config, Precision::F32)?;
        let lengths = [1usize, 2, 7, 20];
        let len = 20;
        let texts: Vec<Vec<u32>> = lengths
            .iter()
            .map(|&n| (0..n).map(|i| u32::try_from((i * 5 + n) % 39 + 1).unwrap_or(1)).collect())
            .collect();
        let mut ids = Vec::new();
        let mut mask = Vec::new();
        for t in &texts {
            ids.extend(t.iter().copied().chain(std::iter::repeat(0)).take(len));
            mask.extend((0..len).map(|i| u32::from(i < t.len())));
        }
        let ids = Tensor::from_vec(ids, (lengths.len(), len), &Device::Cpu)?;
        let mask = Tensor::from_vec(mask, (lengths.len(), len), &Device::Cpu)?;
        let padded = Deberta::load(&vb.pp("deberta"), &config)?.forward(&ids, &ids.zeros_like()?, &mask)?;
        let refs: Vec<&[u32]> = texts.iter().map(Vec::as_slice).collect();
        let firsts = packed.first_tokens(&refs, &[])?;
        let h = config.hidden_size;
        for (b, n) in lengths.iter().enumerate() {
            let want = &firsts[b * h..(b + 1) * h];
            let got: Vec<f32> = padded.get(b)?.get(0)?.to_vec1()?;
            let diff = got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0f32, f32::max);
            assert!(diff < 1e-5, "text {} of {n} tokens: {diff} from the packed encoder ({overrides})", b + 1);
        }
        Ok(())
    }

    #[test]
    fn deberta_v2_convolution_padded_batch() -> Result<()> {
        conv_agrees_with_the_packed_encoder(&serde_json::json!({ "conv_kernel_size": 3, "conv_act": "gelu" }))?;
        conv_agrees_with_the_packed_encoder(&serde_json::json!({ "conv_kernel_size": 5, "num_hidden_layers": 1 }))
    }

    #[test]
    fn deberta_v3_shaped_padded_batch() -> Result<()> {
        agrees_with_candle(&serde_json::json!({}))
    }

    #[test]
    fn deberta_v2_shaped_padded_batch() -> Result<()> {
        agrees_with_candle(&v2_shaped())?;
        agrees_with_candle(&serde_json::json!({ "pos_att_type": ["c2p"], "hidden_act": "relu" }))?;
        agrees_with_candle(&serde_json::json!({ "relative_attention": false, "position_biased_input": true }))
    }
}
