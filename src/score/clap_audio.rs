//! CLAP's audio tower (HTSAT, transformers' `ClapAudioEncoder`; a fused model's feature fusion in
//! `clap_fusion`) on candle's tensors: the log-mel features stretched in time to the spectrogram
//! image's width (bicubic, corners aligned, four taps a row on the plain features) and normalized
//! by the batch norm's running statistics, folded into a square image (`freq_ratio` bands of mel
//! rows, each a stretch of time), cut into patches and projected; then Swin stages (`clap_swin`:
//! attention within windows, every other layer's windows shifted), the grid halved between stages
//! by merging each 2 x 2 of patches. The last layer norm's tokens are averaged and projected
//! (linear, `ReLU`, linear). On the CPU in f32 the Swin layers run over plain buffers
//! (`clap_swin::PlainBlock`); in int8 their and the merges' linear products run in int8, the patch
//! embedding, the fusion and the projection stay in f32.

use super::clap_swin::{Block, PlainBlock, PlainWork, Product};
use super::image_text::inference;
use super::plain::Precision;
use super::{Result, ScoreError};
use candle_core::{DType, Module, Tensor};
use candle_nn::{LayerNorm, Linear, VarBuilder, layer_norm, linear, linear_no_bias};

/// The audio tower and its projection.
pub struct AudioTower {
    /// The batch norm folded into a scale and a shift per mel bin.
    scale: Tensor,
    shift: Tensor,
    /// Per row of the image's time, the features' frames it is made of and their weights
    /// (bicubic), where the features have fewer frames than the image.
    stretch: Option<Vec<[(usize, f32); 4]>>,
    /// Frames of the features, and of the image's time (`spec_size * freq_ratio`).
    frames: usize,
    time: usize,
    freq_ratio: usize,
    patch: usize,
    /// `(patch * patch, width)` and its bias.
    patch_weight: Tensor,
    patch_bias: Tensor,
    patch_norm: Option<LayerNorm>,
    /// A fused model's feature fusion (its features have four channels).
    fusion: Option<super::clap_fusion::Fusion>,
    grid: usize,
    stages: Vec<Stage>,
    norm: LayerNorm,
    projection: Projection,
    /// The plain layers' buffers, kept from pass to pass.
    buffers: std::sync::Mutex<PlainWork>,
}

/// CLAP's projection of a tower's pooled output: linear, `ReLU` (or GELU), linear.
pub struct Projection {
    first: Linear,
    second: Linear,
    gelu: bool,
}

impl Projection {
    /// The projection under `vb` (`linear1`, `linear2`), `act` its activation's name.
    pub fn load(vb: &VarBuilder, hidden: usize, out: usize, act: &str) -> Result<Self> {
        let gelu = match act {
            "relu" => false,
            "gelu" => true,
            other => return Err(ScoreError::Unsupported(format!("projection_hidden_act `{other}` is not run"))),
        };
        Ok(Self {
            first: linear(hidden, out, vb.pp("linear1")).map_err(inference)?,
            second: linear(out, out, vb.pp("linear2")).map_err(inference)?,
            gelu,
        })
    }

    /// `x` projected.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.first.forward(x)?;
        let h = if self.gelu { h.gelu_erf()? } else { h.relu()? };
        self.second.forward(&h)
    }
}

/// A stage's Swin layers: on candle's tensors, or over plain buffers (the CPU in f32).
enum Layers {
    Candle(Vec<Block>),
    Plain(Vec<PlainBlock>),
}

struct Stage {
    blocks: Layers,
    merge: Option<(LayerNorm, Product)>,
    side: usize,
}

fn usize_of(c: &serde_json::Value, key: &str, default: usize) -> usize {
    c[key].as_u64().map_or(default, |n| n as usize)
}

/// A config value given as a number or a pair of equal numbers.
fn square(config: &serde_json::Value, key: &str, default: usize) -> Result<usize> {
    match &config[key] {
        serde_json::Value::Array(values) => {
            let nums: Vec<u64> = values.iter().filter_map(serde_json::Value::as_u64).collect();
            match nums.as_slice() {
                [first, second] if first == second => Ok(*first as usize),
                _ => Err(ScoreError::Unsupported(format!("audio_config.{key} {values:?}: only square values are run"))),
            }
        }
        value => Ok(value.as_u64().map_or(default, |n| n as usize)),
    }
}

fn list(c: &serde_json::Value, key: &str, default: &[usize]) -> Vec<usize> {
    c[key].as_array().map_or_else(
        || default.to_vec(),
        |a| a.iter().filter_map(serde_json::Value::as_u64).map(|n| n as usize).collect(),
    )
}

/// torch's bicubic weight (`A = -0.75`) at distance `x`.
fn cubic(x: f64) -> f64 {
    const A: f64 = -0.75;
    let x = x.abs();
    if x <= 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    } else {
        0.0
    }
}

/// torch's `interpolate(mode="bicubic", align_corners=True)` along one axis, `from` values to
/// `to`: per output, its four neighbours (clamped to the ends) and their weights.
pub(crate) fn bicubic_taps(from: usize, to: usize) -> Vec<[(usize, f32); 4]> {
    let scale = if to > 1 { (from as f32 - 1.0) / (to as f32 - 1.0) } else { 0.0 };
    (0..to)
        .map(|i| {
            let src = scale * i as f32;
            let floor = src.floor();
            let t = f64::from(src - floor);
            let weights = [cubic(t + 1.0), cubic(t), cubic(1.0 - t), cubic(2.0 - t)];
            std::array::from_fn(|k| {
                let j = (floor as i64 - 1 + k as i64).clamp(0, from as i64 - 1) as usize;
                (j, weights[k] as f32)
            })
        })
        .collect()
}

impl AudioTower {
    /// The tower under `vb` (`audio_model.audio_encoder` and `audio_projection`) for
    /// `audio_config` `c`, reading `frames x mels` features; `projection` wide; the Swin layers'
    /// and merges' products in `precision`.
    pub fn load(
        vb: &VarBuilder,
        config: &serde_json::Value,
        (frames, projection): (usize, usize),
        precision: Precision,
    ) -> Result<Self> {
        let unsupported = |what: String| ScoreError::Unsupported(format!("CLAP audio_config: {what}"));
        let fused = config["enable_fusion"].as_bool() == Some(true);
        if fused && config["fusion_type"].as_str() == Some("channel_map") {
            return Err(unsupported(
                "fusion_type `channel_map`: transformers' model runs attentional feature fusion (aff_2d) only".into(),
            ));
        }
        let mels = usize_of(config, "num_mel_bins", 64);
        let spec = usize_of(config, "spec_size", 256);
        let window = usize_of(config, "window_size", 8);
        let patch = square(config, "patch_size", 4)?;
        let stride = square(config, "patch_stride", 4)?;
        let width = usize_of(config, "patch_embeds_hidden_size", 96);
        let depths = list(config, "depths", &[2, 2, 6, 2]);
        let heads = list(config, "num_attention_heads", &[4, 8, 16, 32]);
        let eps = config["layer_norm_eps"].as_f64().unwrap_or(1e-5);
        let ratio = config["mlp_ratio"].as_f64().unwrap_or(4.0);
        let act = config["hidden_act"].as_str().unwrap_or("gelu");
        if act != "gelu" {
            return Err(unsupported(format!("hidden_act `{act}` is not run (gelu is)")));
        }
        let freq_ratio = spec / mels.max(1);
        if mels == 0 || !spec.is_multiple_of(mels) || spec / freq_ratio != mels {
            return Err(unsupported(format!("spec_size {spec} is not a multiple of num_mel_bins {mels}")));
        }
        if patch != stride || !spec.is_multiple_of(patch) || usize_of(config, "patch_embed_input_channels", 1) != 1 {
            return Err(unsupported(format!(
                "patches of {patch} with stride {stride} over {spec}: patches that tile the image, one channel, are run"
            )));
        }
        if depths.is_empty() || depths.len() != heads.len() || config["qkv_bias"].as_bool() == Some(false) {
            return Err(unsupported("depths and num_attention_heads must pair up, with query-key-value biases".into()));
        }
        let spec_width = spec * freq_ratio;
        if frames > spec_width {
            return Err(unsupported(format!(
                "the features' {frames} frames are more than the spectrogram image's {spec_width}: \
                 preprocessor_config.json and config.json disagree"
            )));
        }
        let dev = vb.device().clone();
        // The CPU in f32 lays the Swin layers out over plain buffers (int8 needs them).
        let plain = dev.is_cpu() && vb.dtype() == DType::F32;
        let encoder = vb.pp("audio_model").pp("audio_encoder");
        let bn = encoder.pp("batch_norm");
        let get = |name: &str| bn.get(mels, name).and_then(|t| t.to_dtype(DType::F32)).map_err(inference);
        let (weight, bias, mean, var) = (get("weight")?, get("bias")?, get("running_mean")?, get("running_var")?);
        let scale = (weight / (var + 1e-5).map_err(inference)?.sqrt().map_err(inference)?).map_err(inference)?;
        let shift = (bias - (&mean * &scale).map_err(inference)?).map_err(inference)?;
        let dtype = vb.dtype();
        let stretch = (frames < spec_width).then(|| bicubic_taps(frames, spec_width));
        let pe = encoder.pp("patch_embed");
        let patch_weight = pe
            .pp("proj")
            .get((width, 1, patch, patch), "weight")
            .and_then(|t| t.reshape((width, patch * patch))?.t())
            .map_err(inference)?;
        let patch_bias = pe.pp("proj").get(width, "bias").map_err(inference)?;
        let patch_norm = if config["enable_patch_layer_norm"].as_bool() == Some(false) {
            None
        } else {
            Some(layer_norm(width, 1e-5, pe.pp("norm")).map_err(inference)?)
        };
        let fusion = fused
            .then(|| super::clap_fusion::Fusion::load(&pe, width, patch, usize_of(config, "aff_block_r", 4)))
            .transpose()?;
        let grid = spec / patch;
        let mut stages = Vec::with_capacity(depths.len());
        let (mut dim, mut side) = (width, grid);
        for (i, (&depth, &h)) in depths.iter().zip(&heads).enumerate() {
            if dim % h != 0 {
                return Err(unsupported(format!("stage {i}: {dim} channels do not split into {h} heads")));
            }
            // transformers' `set_shift_and_window_size`: a grid no wider than a window is one window.
            let (win, shifted) = if side <= window { (side, false) } else { (window, true) };
            if win != window || side % win != 0 {
                return Err(unsupported(format!(
                    "stage {i}: a {side}-wide grid with windows of {window} (transformers' model cannot run it either)"
                )));
            }
            let layer = encoder.pp(format!("layers.{i}"));
            let blocks = (0..depth)
                .map(|j| {
                    let shift = if shifted && j % 2 == 1 { window / 2 } else { 0 };
                    Block::load(&layer.pp(format!("blocks.{j}")), (dim, h, eps, ratio), (side, win, shift), &dev)
                })
                .collect::<Result<Vec<_>>>()?;
            let blocks = if plain {
                let laid = blocks.iter().map(|b| PlainBlock::new(b, precision)).collect::<candle_core::Result<_>>();
                Layers::Plain(laid.map_err(inference)?)
            } else {
                Layers::Candle(blocks)
            };
            let merge = if i + 1 < depths.len() {
                let m = layer.pp("downsample");
                Some((
                    layer_norm(4 * dim, 1e-5, m.pp("norm")).map_err(inference)?,
                    linear_no_bias(4 * dim, 2 * dim, m.pp("reduction"))
                        .and_then(|l| Product::new(l, precision))
                        .map_err(inference)?,
                ))
            } else {
                None
            };
            stages.push(Stage { blocks, merge, side });
            if i + 1 < depths.len() {
                dim *= 2;
                side = side.div_ceil(2);
            }
        }
        let hidden = usize_of(config, "hidden_size", dim);
        if hidden != dim {
            return Err(unsupported(format!("hidden_size {hidden} is not the last stage's width {dim}")));
        }
        let norm = layer_norm(dim, 1e-5, encoder.pp("norm")).map_err(inference)?;
        let act = config["projection_hidden_act"].as_str().unwrap_or("relu");
        let projection = Projection::load(&vb.pp("audio_projection"), dim, projection, act)?;
        let (scale, shift) = (scale.to_dtype(dtype).map_err(inference)?, shift.to_dtype(dtype).map_err(inference)?);
        Ok(Self {
            scale,
            shift,
            stretch,
            frames,
            time: spec_width,
            freq_ratio,
            patch,
            patch_weight,
            patch_bias,
            patch_norm,
            fusion,
            grid,
            stages,
            norm,
            projection,
            buffers: std::sync::Mutex::default(),
        })
    }

    /// Clips' features, `frames x mels` values per clip and channel, stretched in time to the
    /// image's rows (bicubic, four taps a row). The batch norm that follows scales and shifts each
    /// mel bin alike in every frame, and the taps' weights sum to 1: stretching first is the same.
    pub fn stretched(&self, features: Vec<f32>, mels: usize) -> Vec<f32> {
        let Some(taps) = &self.stretch else { return features };
        let per = self.frames * mels;
        let mut out = Vec::with_capacity(features.len() / per * self.time * mels);
        for plane in features.chunks_exact(per) {
            for row in taps {
                out.extend((0..mels).map(|m| row.iter().map(|&(j, w)| w * plane[j * mels + m]).sum::<f32>()));
            }
        }
        out
    }

    /// Rows of time the tower reads: [`Self::stretched`]'s.
    pub fn time(&self) -> usize {
        self.time
    }

    /// The projected embeddings `(clips, projection)` of stretched features `(clips, channels,
    /// time, mels)`; `longer`: which clips' crops a fused model fuses.
    pub fn forward(&self, features: &Tensor, longer: &[bool]) -> candle_core::Result<Tensor> {
        let x = features.broadcast_mul(&self.scale)?.broadcast_add(&self.shift)?;
        let (clips, channels, time, mels) = x.dims4()?;
        // The image: `freq_ratio` bands of mel rows, each a stretch of time along the columns.
        let r = self.freq_ratio;
        let images = x.reshape((clips, channels, r, time / r, mels))?.permute((0, 1, 2, 4, 3))?.reshape((
            clips,
            channels,
            r * mels,
            time / r,
        ))?;
        let (g, p) = (self.grid, self.patch);
        let patches = images
            .narrow(1, 0, 1)?
            .reshape((clips, g, p, g, p))?
            .permute((0, 1, 3, 2, 4))?
            .reshape((clips, g * g, p * p))?
            .contiguous()?;
        let mut x = patches
            .reshape((clips * g * g, p * p))?
            .matmul(&self.patch_weight)?
            .broadcast_add(&self.patch_bias)?
            .reshape((clips, g * g, ()))?;
        if let Some(fusion) = &self.fusion {
            let rows: Vec<Tensor> = (0..clips)
                .map(|i| {
                    let one = x.narrow(0, i, 1)?;
                    if longer.get(i) == Some(&true) {
                        fusion.fuse(&one, &images.narrow(0, i, 1)?.narrow(1, 1, 3)?, g)
                    } else {
                        Ok(one)
                    }
                })
                .collect::<candle_core::Result<_>>()?;
            x = Tensor::cat(&rows, 0)?;
        }
        if let Some(n) = &self.patch_norm {
            x = n.forward(&x)?;
        }
        for stage in &self.stages {
            match &stage.blocks {
                Layers::Candle(blocks) => {
                    for block in blocks {
                        x = block.forward(&x, stage.side)?;
                    }
                }
                Layers::Plain(blocks) => {
                    let mut rows = x.flatten_all()?.to_vec1::<f32>()?;
                    let mut buffers = self.buffers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    for block in blocks {
                        block.forward(&mut rows, &mut buffers);
                    }
                    x = Tensor::from_vec(rows, x.dims(), x.device())?;
                }
            }
            if let Some((norm, reduction)) = &stage.merge {
                x = merge(&x, stage.side, norm, reduction)?;
            }
        }
        let pooled = self.norm.forward(&x)?.mean(1)?;
        self.projection.forward(&pooled)
    }
}

/// Each 2 x 2 of patches of the `side x side` grid `x` `(clips, side^2, c)` as one of `4c`
/// channels (in transformers' order: top left, bottom left, top right, bottom right), normed
/// and reduced to `2c`.
fn merge(x: &Tensor, side: usize, norm: &LayerNorm, reduction: &Product) -> candle_core::Result<Tensor> {
    let (clips, _, c) = x.dims3()?;
    let mut grid = x.reshape((clips, side, side, c))?;
    if side % 2 == 1 {
        grid = grid.pad_with_zeros(1, 0, 1)?.pad_with_zeros(2, 0, 1)?;
    }
    let half = side.div_ceil(2);
    let merged = grid
        .reshape((clips, half, 2, half, 2, c))?
        .permute((0, 1, 3, 4, 2, 5))?
        .reshape((clips, half * half, 4 * c))?
        .contiguous()?;
    reduction.forward(&norm.forward(&merged)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bicubic_stretching_keeps_the_ends_and_a_straight_line() {
        let taps = bicubic_taps(5, 9);
        let line: Vec<f32> = (0..5).map(|i| i as f32 * 2.0).collect();
        // The ends land on samples; inside, where no neighbour is clamped, a line stays a line.
        for i in [0, 2, 3, 4, 5, 8] {
            let v: f32 = taps[i].iter().map(|&(j, w)| w * line[j]).sum();
            assert!((v - i as f32).abs() < 1e-5, "{i}: {v}");
        }
        // Every row's weights sum to 1 (so the batch norm after it commutes with it), and the same
        // length is the identity.
        for row in bicubic_taps(1001, 1024) {
            assert!((row.iter().map(|t| t.1).sum::<f32>() - 1.0).abs() < 1e-6, "{row:?}");
        }
        for (i, row) in bicubic_taps(4, 4).iter().enumerate() {
            let v: f32 = row.iter().filter(|t| t.0 == i).map(|t| t.1).sum();
            assert!((v - 1.0).abs() < 1e-7 && row.iter().all(|t| t.0 == i || t.1.abs() < 1e-7), "{row:?}");
        }
    }
}
