//! A Swin layer of CLAP's audio tower (transformers' `ClapAudioLayer`): attention within windows
//! of the patch grid with a learned bias per relative position, its windows shifted by half a
//! window in every other layer (cyclically: the grid's tokens gathered in shifted window order, a
//! mask keeping apart what the shift brought together, and gathered back), then the feed-forward
//! block; each with its layer norm before it and its residual. `Block` runs on candle's tensors
//! (a GPU, f16); on the CPU in f32 its weights are laid out over plain buffers (`PlainBlock`: the
//! windows gathered row by row, attention window by window on rayon with the bias added in place,
//! the linear products `plain::Dense`'s, in int8 where asked).

use super::Result;
use super::image_text::inference;
use super::plain::{Dense, Norm, Precision, Work, attend_biased, resize, values};
use candle_core::{Device, Module, Tensor};
use candle_nn::{LayerNorm, Linear, VarBuilder, layer_norm, linear};
use rayon::prelude::*;
use verdict_kernels::int8::QuantizedRows;
use verdict_kernels::rows::{Act, bias_act_rows};

/// One layer's weights and its windows.
pub(super) struct Block {
    before: LayerNorm,
    /// Query (scaled by `1/sqrt(d)`), key and value in one product.
    qkv: Linear,
    out: Linear,
    after: LayerNorm,
    /// The feed-forward block's first projection without its bias (added with the GELU, in one
    /// pass on the CPU: `cpu_ops::bias_gelu`).
    up: Linear,
    up_bias: Tensor,
    down: Linear,
    heads: usize,
    window: usize,
    shift: usize,
    /// The relative position bias `(heads, window^2, window^2)`; in a shifted layer, with the
    /// mask added (0 or -100 between positions the shift brought together): `(windows, heads,
    /// window^2, window^2)`.
    bias: Tensor,
    /// The grid's tokens in window order, the cyclic shift included: `order[k]` is the token at
    /// window position `k`; `back` the inverse.
    order: Tensor,
    back: Tensor,
}

/// A linear layer of the tower outside its Swin layers (a merge's reduction): candle's, or in
/// int8 the plain-buffer kernels' (CPU, f32 only).
pub(super) enum Product {
    Candle(Linear),
    Int8(Dense),
}

/// `x` `(.., rows, width)` through `linear` as one 2-D product (candle's 3-D `Linear` runs a
/// product per leading index).
fn flat(linear: &Linear, x: &Tensor) -> candle_core::Result<Tensor> {
    let mut dims = x.dims().to_vec();
    let last = dims.len() - 1;
    let rows = x.elem_count() / dims[last].max(1);
    let y = linear.forward(&x.reshape((rows, dims[last]))?)?;
    dims[last] = y.dim(1)?;
    y.reshape(dims)
}

impl Product {
    /// `linear` in `precision`.
    pub(super) fn new(linear: Linear, precision: Precision) -> candle_core::Result<Self> {
        Ok(match precision {
            Precision::F32 => Self::Candle(linear),
            Precision::Int8 => Self::Int8(Dense::new(&linear, Precision::Int8)?),
        })
    }

    /// `x` `(.., rows, width)` through the layer as one 2-D product (candle's 3-D `Linear` runs a
    /// product per leading index).
    pub(super) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut dims = x.dims().to_vec();
        let last = dims.len() - 1;
        let rows = x.elem_count() / dims[last].max(1);
        match self {
            Self::Candle(linear) => flat(linear, x),
            Self::Int8(dense) => {
                let values = x.flatten_all()?.to_vec1::<f32>()?;
                let mut out = vec![0f32; rows * dense.outputs];
                dense.apply(&values, &mut out, false, &mut QuantizedRows::default());
                dims[last] = dense.outputs;
                Tensor::from_vec(out, dims, x.device())
            }
        }
    }
}

/// For each pair of positions in a window, the index of their relative position in the bias
/// table (transformers' `create_relative_position_index`).
fn relative_index(window: usize) -> Vec<u32> {
    let n = window * window;
    let mut out = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            let dh = (i / window + window - 1 - j / window) as u32;
            let dw = (i % window + window - 1 - j % window) as u32;
            out.push(dh * (2 * window as u32 - 1) + dw);
        }
    }
    out
}

/// The shifted-window mask over a `side x side` grid: per window, -100 between positions the
/// cyclic shift brought from different regions, else 0.
fn shift_mask(side: usize, window: usize, shift: usize) -> Vec<f32> {
    let region = |i: usize| usize::from(i >= side - window) + usize::from(i >= side - shift);
    let per_side = side / window;
    let n = window * window;
    let mut out = Vec::with_capacity(per_side * per_side * n * n);
    for wy in 0..per_side {
        for wx in 0..per_side {
            let label = |k: usize| region(wy * window + k / window) * 3 + region(wx * window + k % window);
            for i in 0..n {
                for j in 0..n {
                    out.push(if label(i) == label(j) { 0.0 } else { -100.0 });
                }
            }
        }
    }
    out
}

/// The tokens of a `side x side` grid (row by row) in window order after a cyclic shift by
/// `shift` (torch's `roll(-shift)` on both axes): windows row by row, each one's positions row by
/// row.
fn window_order(side: usize, window: usize, shift: usize) -> Vec<u32> {
    let per = side / window;
    let mut out = Vec::with_capacity(side * side);
    for wy in 0..per {
        for wx in 0..per {
            for iy in 0..window {
                for ix in 0..window {
                    let (y, x) = ((wy * window + iy + shift) % side, (wx * window + ix + shift) % side);
                    out.push((y * side + x) as u32);
                }
            }
        }
    }
    out
}

/// Query (scaled by `scale`), key and value under `vb` as one linear layer.
fn fused_qkv(vb: &VarBuilder, dim: usize, scale: f64) -> candle_core::Result<Linear> {
    let part = |name: &str| -> candle_core::Result<(Tensor, Tensor)> {
        Ok((vb.pp(name).get((dim, dim), "weight")?, vb.pp(name).get(dim, "bias")?))
    };
    let (qw, qb) = part("query")?;
    let (kw, kb) = part("key")?;
    let (vw, vb_) = part("value")?;
    Ok(Linear::new(Tensor::cat(&[&(qw * scale)?, &kw, &vw], 0)?, Some(Tensor::cat(&[&(qb * scale)?, &kb, &vb_], 0)?)))
}

impl Block {
    /// The layer under `vb`: `dim` channels in `heads` heads, layer norms' `eps`, the feed-forward
    /// block `ratio` times as wide; over a `side`-wide grid in windows of `window`, shifted by
    /// `shift`.
    pub(super) fn load(
        vb: &VarBuilder,
        (dim, heads, eps, ratio): (usize, usize, f64, f64),
        (side, window, shift): (usize, usize, usize),
        dev: &Device,
    ) -> Result<Self> {
        let a = vb.pp("attention");
        let qkv = fused_qkv(&a.pp("self"), dim, 1.0 / ((dim / heads) as f64).sqrt()).map_err(inference)?;
        let n = window * window;
        let table = a
            .pp("self")
            .get(((2 * window - 1) * (2 * window - 1), heads), "relative_position_bias_table")
            .map_err(inference)?;
        let index = Tensor::from_vec(relative_index(window), n * n, dev).map_err(inference)?;
        let bias = table
            .index_select(&index, 0)
            .and_then(|t| t.reshape((n, n, heads))?.permute((2, 0, 1))?.contiguous())
            .map_err(inference)?;
        let per = side / window;
        let bias = if shift > 0 {
            Tensor::from_vec(shift_mask(side, window, shift), (per * per, 1, n, n), dev)
                .and_then(|m| m.to_dtype(vb.dtype())?.broadcast_add(&bias.unsqueeze(0)?)?.contiguous())
                .map_err(inference)?
        } else {
            bias
        };
        let order = window_order(side, window, shift);
        let mut back = vec![0u32; order.len()];
        for (k, &token) in order.iter().enumerate() {
            back[token as usize] = k as u32;
        }
        let (order, back) = (
            Tensor::from_vec(order, side * side, dev).map_err(inference)?,
            Tensor::from_vec(back, side * side, dev).map_err(inference)?,
        );
        let inner = (ratio * dim as f64) as usize;
        Ok(Self {
            before: layer_norm(dim, eps, vb.pp("layernorm_before")).map_err(inference)?,
            qkv,
            out: linear(dim, dim, a.pp("output").pp("dense")).map_err(inference)?,
            after: layer_norm(dim, eps, vb.pp("layernorm_after")).map_err(inference)?,
            up: Linear::new(vb.pp("intermediate").pp("dense").get((inner, dim), "weight").map_err(inference)?, None),
            up_bias: vb.pp("intermediate").pp("dense").get(inner, "bias").map_err(inference)?,
            down: linear(inner, dim, vb.pp("output").pp("dense")).map_err(inference)?,
            heads,
            window,
            shift,
            bias,
            order,
            back,
        })
    }

    /// The layer over the `side x side` grid `input` `(clips, side^2, c)`.
    pub(super) fn forward(&self, input: &Tensor, side: usize) -> candle_core::Result<Tensor> {
        let (clips, tokens, channels) = input.dims3()?;
        let per = side / self.window;
        let (windows, area) = (clips * per * per, self.window * self.window);
        // Shifted and cut into windows in one gather.
        let parted = self.before.forward(input)?.index_select(&self.order, 1)?.reshape((windows, area, channels))?;
        let head_dim = channels / self.heads;
        let qkv = flat(&self.qkv, &parted)?
            .reshape((windows, area, 3, self.heads, head_dim))?
            .permute((2, 0, 3, 1, 4))?
            .contiguous()?;
        let (query, key, value) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        let scores = query.matmul(&key.t()?)?;
        let scores = if self.shift > 0 {
            scores
                .reshape((clips, per * per, self.heads, area, area))?
                .broadcast_add(&self.bias)?
                .reshape((windows, self.heads, area, area))?
        } else {
            scores.broadcast_add(&self.bias)?
        };
        let attended = candle_nn::ops::softmax_last_dim(&scores)?.matmul(&value)?;
        let attended = flat(&self.out, &attended.transpose(1, 2)?.reshape((windows, area, channels))?)?;
        // Back to the grid's order, the shift undone, in one gather.
        let attended = (input + attended.reshape((clips, tokens, channels))?.index_select(&self.back, 1)?)?;
        let up = flat(&self.up, &self.after.forward(&attended)?)?;
        let fed = flat(&self.down, &super::cpu_ops::bias_gelu(up, &self.up_bias)?)?;
        attended + fed
    }
}

/// A Swin layer laid out over plain f32 rows on the CPU: [`Block`]'s weights, its products in
/// `plain::Dense` (int8 where asked), the relative bias (and mask) as `groups` tables of `heads x
/// n x n`, the grid's window order as row indices.
pub(super) struct PlainBlock {
    before: Norm,
    qkv: Dense,
    out: Dense,
    after: Norm,
    up: Dense,
    up_bias: Vec<f32>,
    down: Dense,
    heads: usize,
    area: usize,
    bias: Vec<f32>,
    groups: usize,
    order: Vec<u32>,
}

/// The plain layers' buffers, kept from layer to layer: `Work`'s, and the windows' rows.
#[derive(Default)]
pub(super) struct PlainWork {
    work: Work,
    parted: Vec<f32>,
}

impl PlainBlock {
    /// `block`'s weights, its products in `precision`.
    pub(super) fn new(block: &Block, precision: Precision) -> candle_core::Result<Self> {
        let area = block.window * block.window;
        let bias = values(&block.bias)?;
        let groups = bias.len() / (block.heads * area * area).max(1);
        Ok(Self {
            before: Norm::new(&block.before)?,
            qkv: Dense::new(&block.qkv, precision)?,
            out: Dense::new(&block.out, precision)?,
            after: Norm::new(&block.after)?,
            up: Dense::new(&block.up, precision)?,
            up_bias: values(&block.up_bias)?,
            down: Dense::new(&block.down, precision)?,
            heads: block.heads,
            area,
            bias,
            groups,
            order: block.order.to_vec1()?,
        })
    }

    /// The layer over `x`, clips' grids one after another (`(clips * side^2, c)` rows), in place.
    pub(super) fn forward(&self, x: &mut [f32], buffers: &mut PlainWork) {
        let c = self.qkv.inputs;
        let grid = self.order.len() * c;
        let tokens = x.len() / c.max(1);
        let PlainWork { work: Work { qkv, context, up, normed, quantized }, parted } = buffers;
        resize(normed, x.len());
        resize(parted, x.len());
        self.before.apply_to(x, normed);
        // Shifted and cut into windows: each clip's rows gathered in window order.
        parted.par_chunks_mut(grid).zip(normed.par_chunks(grid)).for_each(|(dst, src)| {
            for (row, &t) in dst.chunks_exact_mut(c).zip(&self.order) {
                let t = t as usize;
                row.copy_from_slice(&src[t * c..(t + 1) * c]);
            }
        });
        resize(qkv, tokens * self.qkv.outputs);
        self.qkv.apply(parted, qkv, false, quantized);
        let spans: Vec<(usize, usize)> = (0..tokens / self.area.max(1)).map(|w| (w * self.area, self.area)).collect();
        resize(context, x.len());
        attend_biased(qkv, context, &spans, (self.heads, c / self.heads.max(1)), (&self.bias, self.groups));
        self.out.apply(context, parted, false, quantized);
        // Back to the grid's order, the shift undone, added to the residual.
        x.par_chunks_mut(grid).zip(parted.par_chunks(grid)).for_each(|(dst, src)| {
            for (row, &t) in src.chunks_exact(c).zip(&self.order) {
                let t = t as usize;
                dst[t * c..(t + 1) * c].iter_mut().zip(row).for_each(|(v, a)| *v += a);
            }
        });
        self.after.apply_to(x, normed);
        resize(up, tokens * self.up.outputs);
        self.up.apply(normed, up, false, quantized);
        bias_act_rows(up, &self.up_bias, Act::Gelu);
        self.down.apply(up, x, true, quantized);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;
    use candle_nn::VarMap;

    /// A layer of random weights over an 8-wide grid in windows of 4 (shifted by 2 or not): 16
    /// channels in 2 heads.
    fn random_block(shift: usize) -> Block {
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let load = || Block::load(&vb, (16, 2, 1e-5, 2.0), (8, 4, shift), &Device::Cpu).expect("loads");
        load();
        for var in map.all_vars() {
            var.set(&Tensor::randn(0f32, 0.5, var.shape(), &Device::Cpu).expect("random")).expect("sets");
        }
        load()
    }

    #[test]
    fn the_plain_layer_gives_what_the_candle_layer_gives() {
        for shift in [0, 2] {
            let block = random_block(shift);
            let input = Tensor::randn(0f32, 1.0, (3, 64, 16), &Device::Cpu).expect("input");
            let want = block.forward(&input, 8).expect("candle").flatten_all().expect("flat");
            let want = want.to_vec1::<f32>().expect("values");
            let mut buffers = PlainWork::default();
            let mut got = input.flatten_all().expect("flat").to_vec1::<f32>().expect("values");
            PlainBlock::new(&block, Precision::F32).expect("lays out").forward(&mut got, &mut buffers);
            let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-4, "shift {shift}: off by {worst}");
            // The same buffers again (a second pass reuses them) and in int8: near, not equal.
            let mut again = input.flatten_all().expect("flat").to_vec1::<f32>().expect("values");
            PlainBlock::new(&block, Precision::F32).expect("lays out").forward(&mut again, &mut buffers);
            assert_eq!(again, got, "shift {shift}: a second pass over kept buffers");
            let mut int8 = input.flatten_all().expect("flat").to_vec1::<f32>().expect("values");
            PlainBlock::new(&block, Precision::Int8).expect("lays out").forward(&mut int8, &mut buffers);
            let (dot, norms) = int8
                .iter()
                .zip(&want)
                .fold((0f32, (0f32, 0f32)), |(d, (p, q)), (a, b)| (d + a * b, (p + a * a, q + b * b)));
            let cosine = dot / (norms.0.sqrt() * norms.1.sqrt());
            let moved = int8.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(cosine > 0.999 && moved > 1e-4, "shift {shift}: int8 cosine {cosine}, moved {moved}");
        }
    }

    #[test]
    fn window_order_is_torchs_roll_then_partition() {
        // A 4-wide grid in windows of 2: unshifted, the first window is tokens 0, 1, 4, 5.
        assert_eq!(window_order(4, 2, 0)[..4], [0, 1, 4, 5]);
        // Shifted by 1: the first window starts at (1, 1); the last wraps round to (0, 0).
        let shifted = window_order(4, 2, 1);
        assert_eq!(shifted[..4], [5, 6, 9, 10]);
        assert_eq!(shifted[12..], [15, 12, 3, 0]);
        let mut sorted = shifted.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..16).collect::<Vec<u32>>(), "every token once");
    }

    #[test]
    fn the_shift_mask_parts_only_the_windows_the_shift_wrapped() {
        // A 4-wide grid in windows of 2, shifted by 1: the first window is whole, the last one
        // holds four regions.
        let m = shift_mask(4, 2, 1);
        assert_eq!(m.len(), 4 * 16);
        assert!(m[..16].iter().all(|&v| v == 0.0));
        let last = &m[48..];
        assert_eq!(last.iter().filter(|&&v| v == 0.0).count(), 4, "{last:?}");
        // Relative positions: a window's corners are the table's ends.
        let index = relative_index(2);
        assert_eq!(index[0], 4);
        assert_eq!(index[3], 0);
        assert_eq!(index[3 * 4], 8);
    }
}
