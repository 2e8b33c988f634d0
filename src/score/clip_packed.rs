//! CLIP's two towers (and `SigLIP`'s, `siglip_packed`) on the CPU in f32 over plain buffers
//! (`plain`), built from the towers `clip_net` loads (which a GPU keeps running). Texts are packed
//! one after another without padding, each attending only to itself and its earlier tokens (the
//! causal mask), and pooled at its last token (end of text); images are their patches cut out of
//! the pixels and projected by one matrix product (the patch convolution, whose stride is its
//! size), after the class token. Every projection is one `gemm` product over the batch's tokens
//! with its bias and residual added in it, attention runs text by text (image by image) on rayon's
//! threads, and the buffers are kept from pass to pass. Candle's tensors cost the same towers a
//! fresh allocation per operation, copies per reshape of the heads and a pass per bias and
//! residual, and padded texts pay for their padding: see `BENCHMARKS.md`, "CLIP on the CPU".

use super::clip_net::{Activation, Layer, TextTower, VisionTower};
use super::plain::{Dense, Mask, Norm, Precision, ROWS_PER_TASK, Work, attend, resize, values};
use candle_core::{Result, bail};
use rayon::prelude::*;
use std::sync::Mutex;
use verdict_kernels::rows::{self, Act};

/// One pre-norm layer: `x += attention(norm1(x))`, then `x += mlp(norm2(x))`.
pub(super) struct PreNormLayer {
    norm1: Norm,
    qkv: Dense,
    out: Dense,
    norm2: Norm,
    fc1: Dense,
    fc1_bias: Vec<f32>,
    fc2: Dense,
    act: Activation,
}

/// The layers of a tower and what they share.
pub(super) struct Stack {
    layers: Vec<PreNormLayer>,
    pub(super) width: usize,
    pub(super) heads: usize,
    buffers: Mutex<Buffers>,
}

/// A tower's buffers, kept from pass to pass (a fresh one costs its pages' first touch every pass).
#[derive(Default)]
struct Buffers {
    /// The layers' own.
    work: Work,
    /// The hidden states, `(tokens, width)`.
    x: Vec<f32>,
    /// The images' patches, `(patches, channels x patch x patch)`.
    patches: Vec<f32>,
    /// The patches embedded, `(patches, width)`.
    embedded: Vec<f32>,
}

/// A text tower and its projection, laid out for the CPU: token and position embeddings, the
/// layers, each text pooled at its last token, normalized and projected.
pub struct PackedText {
    /// `(vocab, width)`.
    pub(super) tokens: Vec<f32>,
    /// `(positions, width)`.
    pub(super) positions: Vec<f32>,
    pub(super) stack: Stack,
    pub(super) mask: Mask,
    pub(super) final_norm: Norm,
    pub(super) projection: Dense,
}

/// A vision tower laid out for the CPU: patches embedded by one product, the layers, and a pool.
pub struct PackedVision {
    /// The patch convolution as a linear layer over a patch's `channels x patch x patch` values.
    pub(super) patch_embedding: Dense,
    pub(super) channels: usize,
    pub(super) patch: usize,
    /// Patches a side.
    pub(super) grid: usize,
    /// The class token's embedding, before the patches (CLIP's).
    pub(super) class: Option<Vec<f32>>,
    /// `(tokens, width)`: the class token's (if any), then the patches'.
    pub(super) positions: Vec<f32>,
    pub(super) pre_norm: Option<Norm>,
    pub(super) stack: Stack,
    pub(super) pool: Pool,
}

/// How an image's tokens become its embedding.
pub(super) enum Pool {
    /// CLIP: the class token, normalized and projected.
    Class { norm: Norm, projection: Dense },
    /// `SigLIP`: every token normalized, then the attention-pooling head.
    Probe { norm: Norm, head: Box<super::siglip_packed::ProbeHead> },
}

impl PreNormLayer {
    /// `layer`, its four linear layers' products in `precision`.
    pub(super) fn new(layer: &Layer, precision: Precision) -> Result<Self> {
        Ok(Self {
            norm1: Norm::new(&layer.norm1)?,
            qkv: Dense::new(&layer.qkv, precision)?,
            out: Dense::new(&layer.out, precision)?,
            norm2: Norm::new(&layer.norm2)?,
            fc1: Dense::new(&layer.fc1, precision)?,
            fc1_bias: values(&layer.fc1_bias)?,
            fc2: Dense::new(&layer.fc2, precision)?,
            act: layer.act,
        })
    }

    /// The layer over the packed tokens `x` (`(tokens, width)`, in place); `spans` are each text's
    /// (image's) first token and length.
    fn forward(&self, x: &mut [f32], spans: &[(usize, usize)], heads: usize, mask: Mask, work: &mut Work) {
        let width = self.qkv.inputs;
        let tokens = x.len() / width.max(1);
        let Work { qkv, context, up, normed, quantized } = work;
        resize(normed, x.len());
        resize(qkv, tokens * self.qkv.outputs);
        resize(context, x.len());
        resize(up, tokens * self.fc1.outputs);
        self.norm1.apply_to(x, normed);
        self.qkv.apply(normed, qkv, false, quantized);
        attend(qkv, context, spans, (heads, width / heads.max(1)), mask);
        self.out.apply(context, x, true, quantized);
        self.norm2.apply_to(x, normed);
        self.fc1.apply(normed, up, false, quantized);
        bias_activation(self.act, up, &self.fc1_bias);
        self.fc2.apply(up, x, true, quantized);
    }
}

/// `x = act(x + bias)` over rows of `bias.len()` values, in place.
pub(super) fn bias_activation(act: Activation, x: &mut [f32], bias: &[f32]) {
    let act = match act {
        Activation::QuickGelu => Act::QuickGelu,
        Activation::Gelu => Act::Gelu,
        Activation::GeluTanh => Act::GeluTanh,
    };
    rows::bias_act_rows(x, bias, act);
}

impl Stack {
    /// The layers' products in `precision` (the embeddings, norms, attention and pooling stay in
    /// f32 whatever it is).
    pub(super) fn new(layers: &[Layer], width: usize, precision: Precision) -> Result<Self> {
        let heads = layers.first().map_or(1, |l| l.heads);
        if heads == 0 || !width.is_multiple_of(heads) {
            bail!("{heads} attention heads do not divide the width {width}");
        }
        let layers = layers.iter().map(|l| PreNormLayer::new(l, precision)).collect::<Result<_>>()?;
        Ok(Self { layers, width, heads, buffers: Mutex::new(Buffers::default()) })
    }

    fn buffers(&self) -> std::sync::MutexGuard<'_, Buffers> {
        self.buffers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn forward(&self, x: &mut [f32], spans: &[(usize, usize)], mask: Mask, work: &mut Work) {
        for layer in &self.layers {
            layer.forward(x, spans, self.heads, mask, work);
        }
    }
}

/// The rows `at` of `x` (rows of `width`), one after another.
fn rows_at(x: &[f32], width: usize, at: impl Iterator<Item = usize>) -> Vec<f32> {
    at.flat_map(|r| x[r * width..(r + 1) * width].iter().copied()).collect()
}

/// `norm`, then `projection`, of `pooled` (rows of the tower's width).
fn project(pooled: &mut [f32], norm: &Norm, projection: &Dense) -> Vec<f32> {
    norm.apply(pooled);
    let rows = pooled.len() / projection.inputs.max(1);
    let mut out = vec![0f32; rows * projection.outputs];
    projection.apply(pooled, &mut out, false, &mut verdict_kernels::int8::QuantizedRows::default());
    out
}

impl PackedText {
    /// The weights of `tower` (on any device, in any dtype), copied to the CPU in f32, its layers'
    /// products in `precision`.
    pub fn new(tower: &TextTower, precision: Precision) -> Result<Self> {
        let tokens = tower.tokens.embeddings();
        let (_, width) = tokens.dims2()?;
        Ok(Self {
            tokens: values(tokens)?,
            positions: values(&tower.positions)?,
            stack: Stack::new(&tower.layers, width, precision)?,
            mask: Mask::Causal,
            final_norm: Norm::new(&tower.final_norm)?,
            projection: Dense::new(&tower.projection, Precision::F32)?,
        })
    }

    /// The width of its embeddings.
    pub fn outputs(&self) -> usize {
        self.projection.outputs
    }

    /// [`Self::forward`] as a `(texts, outputs)` tensor on the CPU.
    pub fn embed(&self, texts: &[&[u32]]) -> Result<candle_core::Tensor> {
        let out = self.forward(texts)?;
        candle_core::Tensor::from_vec(out, (texts.len(), self.outputs()), &candle_core::Device::Cpu)
    }

    /// The projected (not normalized) embeddings of `texts` (each its token ids as the model
    /// reads them: for CLIP end of text last, no padding), `(texts, projection)` row by row.
    pub fn forward(&self, texts: &[&[u32]]) -> Result<Vec<f32>> {
        let width = self.stack.width;
        let (vocab, positions) = (self.tokens.len() / width, self.positions.len() / width);
        let mut tokens = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            if text.is_empty() || text.len() > positions {
                bail!("text {} has {} tokens, where the model takes 1 to {positions}", i + 1, text.len());
            }
            if let Some(id) = text.iter().find(|id| **id as usize >= vocab) {
                bail!("text {} has token id {id}, outside the model's vocabulary of {vocab}", i + 1);
            }
            tokens.extend(text.iter().enumerate().map(|(p, id)| (*id as usize, p)));
        }
        let mut buffers = self.stack.buffers();
        let Buffers { work, x, .. } = &mut *buffers;
        resize(x, tokens.len() * width);
        x.par_chunks_mut(width).zip(&tokens).with_min_len(ROWS_PER_TASK).for_each(|(row, &(id, p))| {
            let (t, pos) = (&self.tokens[id * width..(id + 1) * width], &self.positions[p * width..(p + 1) * width]);
            for ((v, a), b) in row.iter_mut().zip(t).zip(pos) {
                *v = a + b;
            }
        });
        let spans = spans(texts.iter().map(|t| t.len()));
        self.stack.forward(x, &spans, self.mask, work);
        let mut pooled = rows_at(x, width, spans.iter().map(|(from, n)| from + n - 1));
        Ok(project(&mut pooled, &self.final_norm, &self.projection))
    }
}

/// Each item's first token and length, items of `lengths` one after another.
fn spans(lengths: impl Iterator<Item = usize>) -> Vec<(usize, usize)> {
    lengths.scan(0, |at, n| Some((std::mem::replace(at, *at + n), n))).collect()
}

impl PackedVision {
    /// The weights of `tower` (on any device, in any dtype), copied to the CPU in f32, its layers'
    /// products in `precision` (the patch embedding and the projection in f32).
    pub fn new(tower: &VisionTower, precision: Precision) -> Result<Self> {
        let (width, channels, patch, patch_w) = tower.patch.weight().dims4()?;
        if patch != patch_w {
            bail!("a {patch} x {patch_w} patch: CLIP's are square");
        }
        let (places, _) = tower.positions.dims2()?;
        let grid = (places.saturating_sub(1) as f64).sqrt().round() as usize;
        if grid * grid + 1 != places {
            bail!("{places} position embeddings are not a square grid of patches and the class token");
        }
        let patch_embedding =
            Dense::from_weight(values(tower.patch.weight())?, None, (width, channels * patch * patch), Precision::F32);
        let pool = Pool::Class {
            norm: Norm::new(&tower.post_norm)?,
            projection: Dense::new(&tower.projection, Precision::F32)?,
        };
        Ok(Self {
            patch_embedding,
            channels,
            patch,
            grid,
            class: Some(values(&tower.class)?),
            positions: values(&tower.positions)?,
            pre_norm: Some(Norm::new(&tower.pre_norm)?),
            stack: Stack::new(&tower.layers, width, precision)?,
            pool,
        })
    }

    /// The width of its embeddings.
    pub fn outputs(&self) -> usize {
        match &self.pool {
            Pool::Class { projection, .. } => projection.outputs,
            Pool::Probe { head, .. } => head.outputs(),
        }
    }

    /// [`Self::forward`] of a `(images, channels, side, side)` tensor on the CPU, as an `(images,
    /// outputs)` tensor.
    pub fn embed(&self, pixels: &candle_core::Tensor) -> Result<candle_core::Tensor> {
        let images = pixels.dim(0)?;
        let out = self.forward(&pixels.to_dtype(candle_core::DType::F32)?.flatten_all()?.to_vec1()?)?;
        candle_core::Tensor::from_vec(out, (images, self.outputs()), pixels.device())
    }

    /// The (not normalized) embeddings of preprocessed images, `pixels` `(images, channels, side,
    /// side)` one after another; `(images, outputs)` row by row.
    pub fn forward(&self, pixels: &[f32]) -> Result<Vec<f32>> {
        let (width, p, grid, channels) = (self.stack.width, self.patch, self.grid, self.channels);
        let side = grid * p;
        let per_image = channels * side * side;
        if !pixels.len().is_multiple_of(per_image) {
            bail!("{} pixel values are not whole {channels} x {side} x {side} images", pixels.len());
        }
        let images = pixels.len() / per_image;
        let patch_len = channels * p * p;
        // Each patch's values in the convolution weight's order: channel, row, column.
        let mut buffers = self.stack.buffers();
        let Buffers { work, x, patches, embedded } = &mut *buffers;
        resize(patches, images * grid * grid * patch_len);
        patches.par_chunks_mut(patch_len).enumerate().for_each(|(k, out)| {
            let (image, place) = (k / (grid * grid), k % (grid * grid));
            let (top, left) = (place / grid * p, place % grid * p);
            for (c, out) in out.chunks_exact_mut(p * p).enumerate() {
                let plane = &pixels[image * per_image + c * side * side..][..side * side];
                for (y, out) in out.chunks_exact_mut(p).enumerate() {
                    out.copy_from_slice(&plane[(top + y) * side + left..][..p]);
                }
            }
        });
        resize(embedded, images * grid * grid * width);
        self.patch_embedding.apply(patches, embedded, false, &mut work.quantized);
        // Per image: the class token (if any), then its patches, each plus its position.
        let first = usize::from(self.class.is_some());
        let tokens = grid * grid + first;
        resize(x, images * tokens * width);
        x.par_chunks_mut(width).enumerate().with_min_len(ROWS_PER_TASK).for_each(|(r, row)| {
            let (image, place) = (r / tokens, r % tokens);
            let from = match &self.class {
                Some(class) if place == 0 => &class[..],
                _ => &embedded[(image * grid * grid + place - first) * width..][..width],
            };
            for ((v, a), b) in row.iter_mut().zip(from).zip(&self.positions[place * width..]) {
                *v = a + b;
            }
        });
        if let Some(norm) = &self.pre_norm {
            norm.apply(x);
        }
        let spans = spans(std::iter::repeat_n(tokens, images));
        self.stack.forward(x, &spans, Mask::None, work);
        match &self.pool {
            Pool::Class { norm, projection } => {
                let mut pooled = rows_at(x, width, spans.iter().map(|(from, _)| *from));
                Ok(project(&mut pooled, norm, projection))
            }
            Pool::Probe { norm, head } => {
                norm.apply(x);
                Ok(head.forward(x, images, self.stack.heads, work))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::clip_net::TowerSize;
    use candle_core::{DType, Device, Tensor};
    use candle_nn::{VarBuilder, VarMap};

    fn size(act: Activation) -> TowerSize {
        TowerSize { width: 32, inner: 64, layers: 2, heads: 4, eps: 1e-5, act }
    }

    /// The towers under `vb`, loaded once to create their variables (which `VarBuilder::get`
    /// makes zeros), the variables made random, then loaded again with them.
    fn random<T>(map: &VarMap, load: impl Fn(&VarBuilder) -> Result<T>) -> Result<T> {
        let vb = VarBuilder::from_varmap(map, DType::F32, &Device::Cpu);
        load(&vb)?;
        for var in map.all_vars() {
            var.set(&Tensor::randn(0f32, 0.2, var.shape(), &Device::Cpu)?)?;
        }
        load(&vb)
    }

    fn worst(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max)
    }

    #[test]
    fn packed_texts_give_what_the_padded_causal_tower_gives() -> Result<()> {
        for act in [Activation::QuickGelu, Activation::Gelu, Activation::GeluTanh] {
            let tower = random(&VarMap::new(), |vb| TextTower::load(vb, size(act), 60, 12, 16))?;
            let packed = PackedText::new(&tower, Precision::F32)?;
            let texts: [&[u32]; 3] = [&[1, 5, 9, 3, 7, 59], &[4, 8, 59], &[6, 1, 1, 9, 2, 3, 4, 5, 7, 59]];
            // Twice: the second pass reuses the buffers the first grew.
            for texts in [&texts[..], &texts[1..2]] {
                let got = packed.forward(texts)?;
                let len = texts.iter().map(|t| t.len()).max().unwrap_or(0);
                let ids: Vec<u32> =
                    texts.iter().flat_map(|t| t.iter().copied().chain(std::iter::repeat_n(0, len - t.len()))).collect();
                let ids = Tensor::from_vec(ids, (texts.len(), len), &Device::Cpu)?;
                let ends: Vec<usize> = texts.iter().map(|t| t.len() - 1).collect();
                let want = tower.forward(&ids, &ends)?.flatten_all()?.to_vec1::<f32>()?;
                assert!(worst(&got, &want) < 1e-5, "{act:?}: {}", worst(&got, &want));
                if texts.len() > 1 {
                    assert!(worst(&got[..16], &got[16..32]) > 0.01, "random weights give texts their own embeddings");
                }
            }
        }
        Ok(())
    }

    #[test]
    fn images_give_what_the_convolution_and_tower_give() -> Result<()> {
        // 12 x 12 images of 3 channels in 4 x 4 patches: a 3 x 3 grid.
        let tower = random(&VarMap::new(), |vb| VisionTower::load(vb, size(Activation::QuickGelu), 12, 4, 3, 16))?;
        let packed = PackedVision::new(&tower, Precision::F32)?;
        let pixels: Vec<f32> = (0..2 * 3 * 12 * 12).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
        let got = packed.forward(&pixels)?;
        let want = tower.forward(&Tensor::from_vec(pixels.clone(), (2, 3, 12, 12), &Device::Cpu)?)?;
        let want = want.flatten_all()?.to_vec1::<f32>()?;
        assert!(worst(&got, &want) < 1e-5, "{}", worst(&got, &want));
        // One image alone gives its row of the pair's.
        let first = packed.forward(&pixels[..3 * 12 * 12])?;
        assert!(worst(&first, &got[..16]) < 1e-5);
        assert!(worst(&got[..16], &got[16..]) > 0.01, "random weights give images their own embeddings");
        Ok(())
    }

    #[test]
    fn inputs_the_towers_cannot_take_are_errors() -> Result<()> {
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let text = PackedText::new(&TextTower::load(&vb.pp("t"), size(Activation::Gelu), 60, 12, 16)?, Precision::F32)?;
        let err = text.forward(&[&[1, 2], &[3, 60]]).expect_err("id 60 is past the vocabulary");
        assert!(err.to_string().contains("text 2 has token id 60"), "{err}");
        let err = text.forward(&[&[1; 13]]).expect_err("more tokens than positions");
        assert!(err.to_string().contains("13 tokens"), "{err}");
        assert!(text.forward(&[&[]]).is_err(), "an empty text has no end of text to pool");
        assert!(text.forward(&[])?.is_empty());
        let vision =
            PackedVision::new(&VisionTower::load(&vb.pp("v"), size(Activation::Gelu), 12, 4, 3, 16)?, Precision::F32)?;
        let err = vision.forward(&[0.0; 100]).expect_err("not whole images");
        assert!(err.to_string().contains("not whole 3 x 12 x 12 images"), "{err}");
        Ok(())
    }
}
