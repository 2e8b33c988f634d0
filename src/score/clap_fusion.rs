//! The feature fusion of a fused CLAP (`enable_fusion`, e.g. laion/clap-htsat-fused), as
//! transformers' `ClapAudioPatchEmbed` and `ClapAudioAFFBlock` run it for a clip longer than the
//! model's length: its three crops (channels 1 to 3 of the features, laid out as images) are cut
//! into patches `patch` high and three patches wide and projected (`mel_conv2d`), the three crops'
//! columns side by side and zeros after them, then fused with the shrunk whole clip's patch
//! embeddings by attentional feature fusion: a weight per position and channel from a local
//! branch (two 1 x 1 convolutions with batch norms) and a global one (the same over the mean of
//! all positions), `2 * global * w + 2 * local * (1 - w)`. Batch norms are folded into the
//! convolutions before them; positions are tokens, so the 1 x 1 convolutions are linear layers.

use super::Result;
use super::image_text::inference;
use candle_core::{DType, Module, Tensor};
use candle_nn::{Linear, VarBuilder};

/// The fusion's weights.
pub struct Fusion {
    /// `(patch * 3 patch, width)` and its bias: the crops' patches projected.
    local_weight: Tensor,
    local_bias: Tensor,
    patch: usize,
    local_att: (Linear, Linear),
    global_att: (Linear, Linear),
}

/// A 1 x 1 convolution `from -> to` under `conv` with the batch norm under `norm` folded in.
fn folded(conv: &VarBuilder, norm: &VarBuilder, from: usize, to: usize) -> candle_core::Result<Linear> {
    let weight = conv.get((to, from, 1, 1), "weight")?.reshape((to, from))?.to_dtype(DType::F32)?;
    let bias = conv.get(to, "bias")?.to_dtype(DType::F32)?;
    let get = |name: &str| norm.get(to, name).and_then(|t| t.to_dtype(DType::F32));
    let scale = (get("weight")? / (get("running_var")? + 1e-5)?.sqrt()?)?;
    let weight = weight.broadcast_mul(&scale.unsqueeze(1)?)?;
    let bias = ((bias - get("running_mean")?)? * &scale)?.add(&get("bias")?)?;
    let dtype = conv.dtype();
    Ok(Linear::new(weight.to_dtype(dtype)?, Some(bias.to_dtype(dtype)?)))
}

impl Fusion {
    /// The fusion under the patch embedding `vb`: `width` channels, patches of `patch`, the AFF
    /// block's channels divided by `ratio` inside.
    pub fn load(vb: &VarBuilder, width: usize, patch: usize, ratio: usize) -> Result<Self> {
        let load = || -> candle_core::Result<Self> {
            let conv = vb.pp("mel_conv2d");
            let local_weight =
                conv.get((width, 1, patch, 3 * patch), "weight")?.reshape((width, 3 * patch * patch))?.t()?;
            let local_bias = conv.get(width, "bias")?;
            let inner = width / ratio.max(1);
            let f = vb.pp("fusion_model");
            let (l, g) = (f.pp("local_att"), f.pp("global_att"));
            Ok(Self {
                local_weight,
                local_bias,
                patch,
                local_att: (
                    folded(&l.pp("0"), &l.pp("1"), width, inner)?,
                    folded(&l.pp("3"), &l.pp("4"), inner, width)?,
                ),
                global_att: (
                    folded(&g.pp("1"), &g.pp("2"), width, inner)?,
                    folded(&g.pp("4"), &g.pp("5"), inner, width)?,
                ),
            })
        };
        load().map_err(inference)
    }

    /// The fused patch embeddings of `global` `(clips, grid^2, width)` with the clips' crops,
    /// `crops` `(clips, 3, side, side)` images.
    pub fn fuse(&self, global: &Tensor, crops: &Tensor, grid: usize) -> candle_core::Result<Tensor> {
        let (clips, _, side, _) = crops.dims4()?;
        let p = self.patch;
        let wide = (side - 3 * p) / (3 * p) + 1;
        let patches = crops
            .narrow(3, 0, wide * 3 * p)?
            .reshape((clips, 3, grid, p, wide, 3 * p))?
            .permute((0, 2, 1, 4, 3, 5))?
            .reshape((clips, grid, 3 * wide, 3 * p * p))?
            .contiguous()?;
        let local = patches.broadcast_matmul(&self.local_weight)?.broadcast_add(&self.local_bias)?;
        let local = local.pad_with_zeros(2, 0, grid.saturating_sub(3 * wide))?.narrow(2, 0, grid)?;
        let width = local.dim(3)?;
        let local = local.reshape((clips, grid * grid, width))?;
        let sum = (global + &local)?;
        let att = |(first, second): &(Linear, Linear), x: &Tensor| second.forward(&first.forward(x)?.relu()?);
        let weight = candle_nn::ops::sigmoid(
            &att(&self.local_att, &sum)?.broadcast_add(&att(&self.global_att, &sum.mean_keepdim(1)?)?)?,
        )?;
        let kept = (global * &weight)?;
        let taken = (local * weight.affine(-1.0, 1.0)?)?;
        (kept + taken)? * 2.0
    }
}
