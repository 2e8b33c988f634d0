//! CLIP's two towers with candle's tensors: what a GPU runs (in half precision), and where the CPU's
//! towers (`clip_packed`, over plain buffers) take their weights from. Written here rather than
//! taken from candle-transformers: each layer's query, key and value projections are one matrix
//! product (their weights joined at load, the query's scale folded into its weights), every
//! projection runs on the whole batch's tokens as one `(batch x tokens, width)` product, and the
//! MLP's bias and activation are one in-place pass on the CPU (`cpu_ops`). The arithmetic is
//! transformers' `CLIPTextTransformer` and `CLIPVisionTransformer` (pre-norm layers, quick GELU, a
//! causal mask for text, the class token for images).

use candle_core::{D, IndexOp, Module, Result, Tensor};
use candle_nn::{LayerNorm, Linear, VarBuilder};

/// A tower's MLP activation (`hidden_act`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `x * sigmoid(1.702 x)`: the CLIP of `OpenAI`.
    QuickGelu,
    /// GELU, erf form: the CLIPs converted from `open_clip` (LAION's).
    Gelu,
    /// GELU's tanh approximation (`gelu_pytorch_tanh`): `SigLIP`'s.
    GeluTanh,
}

/// One pre-norm transformer layer.
pub(super) struct Layer {
    pub(super) norm1: LayerNorm,
    pub(super) qkv: Linear,
    pub(super) out: Linear,
    pub(super) norm2: LayerNorm,
    /// The MLP's first projection without its bias (added with the activation).
    pub(super) fc1: Linear,
    pub(super) fc1_bias: Tensor,
    pub(super) fc2: Linear,
    pub(super) heads: usize,
    pub(super) act: Activation,
}

fn linear(vb: &VarBuilder, input: usize, output: usize) -> Result<Linear> {
    Ok(Linear::new(vb.get((output, input), "weight")?, Some(vb.get(output, "bias")?)))
}

impl Layer {
    fn load(vb: &VarBuilder, size: TowerSize) -> Result<Self> {
        let TowerSize { width, inner, heads, eps, act, .. } = size;
        let attn = vb.pp("self_attn");
        let part = |name: &str| -> Result<(Tensor, Tensor)> {
            let p = attn.pp(name);
            Ok((p.get((width, width), "weight")?, p.get(width, "bias")?))
        };
        let (q, k, v) = (part("q_proj")?, part("k_proj")?, part("v_proj")?);
        // The attention's 1/sqrt(head width) folded into the query's weights.
        let scale = ((width / heads.max(1)).max(1) as f64).powf(-0.5);
        let (qw, qb) = ((q.0 * scale)?, (q.1 * scale)?);
        let qkv = Linear::new(Tensor::cat(&[&qw, &k.0, &v.0], 0)?, Some(Tensor::cat(&[&qb, &k.1, &v.1], 0)?));
        let fc1 = vb.pp("mlp").pp("fc1");
        Ok(Self {
            norm1: candle_nn::layer_norm(width, eps, vb.pp("layer_norm1"))?,
            qkv,
            out: linear(&attn.pp("out_proj"), width, width)?,
            norm2: candle_nn::layer_norm(width, eps, vb.pp("layer_norm2"))?,
            fc1: Linear::new(fc1.get((inner, width), "weight")?, None),
            fc1_bias: fc1.get(inner, "bias")?,
            fc2: linear(&vb.pp("mlp").pp("fc2"), inner, width)?,
            heads,
            act,
        })
    }

    /// `x`: `(batch, tokens, width)`; `mask`: added to the attention scores `(tokens, tokens)`.
    fn forward(&self, x: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let (batch, tokens, width) = x.dims3()?;
        let rows = batch * tokens;
        let head_width = width / self.heads;
        let normed = self.norm1.forward(x)?.reshape((rows, width))?;
        let qkv =
            self.qkv.forward(&normed)?.reshape((batch, tokens, 3, self.heads, head_width))?.permute((2, 0, 3, 1, 4))?;
        let qkv = qkv.contiguous()?;
        let (query, key, value) = (qkv.i(0)?, qkv.i(1)?, qkv.i(2)?);
        let scores = query.matmul(&key.t()?)?;
        let scores = match mask {
            Some(m) => scores.broadcast_add(m)?,
            None => scores,
        };
        let attended = candle_nn::ops::softmax_last_dim(&scores)?.matmul(&value)?;
        let attended = attended.transpose(1, 2)?.reshape((rows, width))?;
        let x = (x + self.out.forward(&attended)?.reshape((batch, tokens, width))?)?;
        let inner = self.fc1.forward(&self.norm2.forward(&x)?.reshape((rows, width))?)?;
        let inner = match self.act {
            Activation::QuickGelu => super::cpu_ops::bias_quick_gelu(inner, &self.fc1_bias)?,
            Activation::Gelu => super::cpu_ops::bias_gelu(inner, &self.fc1_bias)?,
            // Candle's `gelu` is the tanh approximation (`gelu_erf` the exact one).
            Activation::GeluTanh => inner.broadcast_add(&self.fc1_bias)?.gelu()?,
        };
        x + self.fc2.forward(&inner)?.reshape((batch, tokens, width))?
    }
}

/// The sizes of one tower.
#[derive(Debug, Clone, Copy)]
pub struct TowerSize {
    /// Hidden width.
    pub width: usize,
    /// MLP width.
    pub inner: usize,
    /// Layers.
    pub layers: usize,
    /// Attention heads.
    pub heads: usize,
    /// Layer-norm epsilon.
    pub eps: f64,
    /// The MLP's activation.
    pub act: Activation,
}

pub(super) fn layers(vb: &VarBuilder, size: TowerSize) -> Result<Vec<Layer>> {
    (0..size.layers).map(|i| Layer::load(&vb.pp("encoder").pp("layers").pp(i), size)).collect()
}

/// CLIP's text tower and projection.
pub struct TextTower {
    pub(super) tokens: candle_nn::Embedding,
    pub(super) positions: Tensor,
    pub(super) layers: Vec<Layer>,
    pub(super) final_norm: LayerNorm,
    pub(super) projection: Linear,
}

impl TextTower {
    /// The tower under `text_model` and `text_projection` of `vb`.
    pub fn load(
        vb: &VarBuilder,
        size: TowerSize,
        vocab: usize,
        max_positions: usize,
        projection: usize,
    ) -> Result<Self> {
        let t = vb.pp("text_model");
        let e = t.pp("embeddings");
        Ok(Self {
            tokens: candle_nn::embedding(vocab, size.width, e.pp("token_embedding"))?,
            positions: e.pp("position_embedding").get((max_positions, size.width), "weight")?,
            layers: layers(&t, size)?,
            final_norm: candle_nn::layer_norm(size.width, size.eps, t.pp("final_layer_norm"))?,
            projection: Linear::new(vb.pp("text_projection").get((projection, size.width), "weight")?, None),
        })
    }

    /// Projected embeddings of `ids` `(n, len)`, each read at its end-of-text position `ends[i]`.
    pub fn forward(&self, ids: &Tensor, ends: &[usize]) -> Result<Tensor> {
        let (_, s) = ids.dims2()?;
        let x = self.tokens.forward(ids)?.broadcast_add(&self.positions.narrow(0, 0, s)?)?;
        let mask: Vec<f32> = (0..s).flat_map(|i| (0..s).map(move |j| if j > i { f32::MIN } else { 0.0 })).collect();
        // In the model's precision (f16 on a GPU, where f32::MIN becomes -inf: still masked).
        let mask = Tensor::from_vec(mask, (s, s), ids.device())?.to_dtype(x.dtype())?;
        let mut x = x;
        for layer in &self.layers {
            x = layer.forward(&x, Some(&mask))?;
        }
        let x = self.final_norm.forward(&x)?;
        let rows: Vec<Tensor> = ends.iter().enumerate().map(|(i, e)| x.i((i, *e))).collect::<Result<_>>()?;
        self.projection.forward(&Tensor::stack(&rows, 0)?)
    }
}

/// CLIP's vision tower and projection.
pub struct VisionTower {
    pub(super) patch: candle_nn::Conv2d,
    pub(super) class: Tensor,
    pub(super) positions: Tensor,
    pub(super) pre_norm: LayerNorm,
    pub(super) layers: Vec<Layer>,
    pub(super) post_norm: LayerNorm,
    pub(super) projection: Linear,
}

impl VisionTower {
    /// The type its weights are in (its input must be).
    pub fn dtype(&self) -> candle_core::DType {
        self.class.dtype()
    }

    /// The tower under `vision_model` and `visual_projection` of `vb`.
    pub fn load(
        vb: &VarBuilder,
        size: TowerSize,
        image: usize,
        patch: usize,
        channels: usize,
        projection: usize,
    ) -> Result<Self> {
        let v = vb.pp("vision_model");
        let e = v.pp("embeddings");
        let grid = image / patch;
        let conv = candle_nn::Conv2dConfig { stride: patch, ..Default::default() };
        Ok(Self {
            patch: candle_nn::conv2d_no_bias(channels, size.width, patch, conv, e.pp("patch_embedding"))?,
            class: e.get(size.width, "class_embedding")?,
            positions: e.pp("position_embedding").get((grid * grid + 1, size.width), "weight")?,
            // transformers' spelling.
            pre_norm: candle_nn::layer_norm(size.width, size.eps, v.pp("pre_layrnorm"))?,
            layers: layers(&v, size)?,
            post_norm: candle_nn::layer_norm(size.width, size.eps, v.pp("post_layernorm"))?,
            projection: Linear::new(vb.pp("visual_projection").get((projection, size.width), "weight")?, None),
        })
    }

    /// Projected embeddings of preprocessed images `(n, channels, image, image)`.
    pub fn forward(&self, pixels: &Tensor) -> Result<Tensor> {
        let b = pixels.dim(0)?;
        let patches = self.patch.forward(pixels)?.flatten_from(2)?.transpose(1, 2)?;
        let width = self.class.dim(D::Minus1)?;
        let class = self.class.reshape((1, 1, width))?.broadcast_as((b, 1, width))?;
        let x = Tensor::cat(&[&class, &patches], 1)?.broadcast_add(&self.positions)?;
        let mut x = self.pre_norm.forward(&x)?;
        for layer in &self.layers {
            x = layer.forward(&x, None)?;
        }
        let pooled = self.post_norm.forward(&x.i((.., 0))?)?;
        self.projection.forward(&pooled)
    }
}
