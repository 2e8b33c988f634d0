//! DeBERTa-v2's convolution layer (`conv_kernel_size`, in the xlarge and xxlarge models): after
//! the first layer, `LayerNorm(first layer's output + act(conv1d(embeddings)))`, the convolution
//! over each text's tokens with zeros past its ends, as `transformers`' `ConvLayer`. Its shape as
//! the configuration gives it, and the layer in both of Verdict's `DeBERTa` layouts: over plain
//! buffers (`deberta_packed`, the CPU in f32 or int8) and over padded tensors (`deberta`, a GPU
//! or half precision). candle-transformers' `DeBERTa` does not run it.

use super::plain::{Dense, Norm, Precision, resize, values};
use candle_core::{Module, Result, Tensor};
use candle_nn::{LayerNorm, VarBuilder};
use candle_transformers::models::debertav2::Config;
use rayon::prelude::*;
use verdict_kernels::rows::{self, Act};

/// The convolution's width and activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConvShape {
    pub(super) kernel: usize,
    pub(super) act: ConvAct,
}

/// The activations `conv_act` names that are run here (`transformers`' default: `tanh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ConvAct {
    Tanh,
    Gelu,
    GeluTanh,
    Relu,
}

impl ConvShape {
    /// The convolution `config` describes (none: the model has none), or what of it is not run
    /// here.
    pub(super) fn of(config: &Config) -> std::result::Result<Option<Self>, String> {
        let kernel = config.conv_kernel_size.unwrap_or(0);
        if kernel == 0 {
            return Ok(None);
        }
        if kernel.is_multiple_of(2) {
            return Err(format!("a convolution of even width ({kernel})"));
        }
        if config.conv_groups.unwrap_or(1) != 1 {
            return Err("a grouped convolution (conv_groups)".into());
        }
        let act = match config.conv_act.as_deref().unwrap_or("tanh") {
            "tanh" => ConvAct::Tanh,
            "gelu" => ConvAct::Gelu,
            "gelu_new" | "gelu_pytorch_tanh" => ConvAct::GeluTanh,
            "relu" => ConvAct::Relu,
            other => return Err(format!("a convolution activation {other:?}")),
        };
        Ok(Some(Self { kernel, act }))
    }
}

/// [`ConvShape`] over plain buffers: the convolution one product over each token's window of
/// embeddings.
pub(super) struct PackedConv {
    /// `(hidden, kernel x hidden)`: each output's weights, the window's positions one after another.
    dense: Dense,
    bias: Vec<f32>,
    shape: ConvShape,
    norm: Norm,
}

impl PackedConv {
    pub(super) fn load(vb: &VarBuilder, config: &Config, shape: ConvShape, precision: Precision) -> Result<Self> {
        let (h, k) = (config.hidden_size, shape.kernel);
        let vb = vb.pp("encoder.conv");
        // PyTorch's `(out, in, kernel)`, laid out as `(out, kernel, in)`.
        let weight = values(&vb.get((h, h, k), "conv.weight")?)?;
        let mut windowed = vec![0f32; h * k * h];
        for (o, out) in windowed.chunks_exact_mut(k * h).enumerate() {
            for (d, at) in out.chunks_exact_mut(h).enumerate() {
                for (i, w) in at.iter_mut().enumerate() {
                    *w = weight[(o * h + i) * k + d];
                }
            }
        }
        Ok(Self {
            dense: Dense::from_weight(windowed, None, (h, k * h), precision),
            bias: values(&vb.get(h, "conv.bias")?)?,
            shape,
            norm: Norm::new(&candle_nn::layer_norm(h, config.layer_norm_eps, vb.pp("LayerNorm"))?)?,
        })
    }

    /// `x = LayerNorm(x + act(conv(embedded)))`, `x` the first layer's output, in place.
    pub(super) fn apply(
        &self,
        embedded: &[f32],
        x: &mut [f32],
        spans: &[(usize, usize)],
        (windows, convolved): (&mut Vec<f32>, &mut Vec<f32>),
        quantized: &mut verdict_kernels::int8::QuantizedRows,
    ) {
        let h = self.bias.len();
        let k = self.shape.kernel;
        let reach = k / 2;
        resize(windows, x.len() * k);
        resize(convolved, x.len());
        let tokens = spans.iter().flat_map(|&(from, n)| (0..n).map(move |t| (from, n, t)));
        windows.par_chunks_mut(k * h).zip(tokens.collect::<Vec<_>>()).for_each(|(window, (from, n, t))| {
            for (d, part) in window.chunks_exact_mut(h).enumerate() {
                match (t + d).checked_sub(reach).filter(|at| *at < n) {
                    Some(at) => part.copy_from_slice(&embedded[(from + at) * h..(from + at + 1) * h]),
                    None => part.fill(0.0),
                }
            }
        });
        self.dense.apply(windows, convolved, false, quantized);
        match self.shape.act {
            ConvAct::Tanh => convolved.par_chunks_mut(h).for_each(|row| {
                row.iter_mut().zip(&self.bias).for_each(|(v, b)| *v = (*v + b).tanh());
            }),
            ConvAct::Gelu => rows::bias_act_rows(convolved, &self.bias, Act::Gelu),
            ConvAct::GeluTanh => rows::bias_act_rows(convolved, &self.bias, Act::GeluTanh),
            ConvAct::Relu => rows::bias_act_rows(convolved, &self.bias, Act::Relu),
        }
        x.par_iter_mut().zip(convolved.par_iter()).for_each(|(v, c)| *v += c);
        self.norm.apply(x);
    }
}

/// [`ConvShape`] over padded tensors: candle's `conv1d` over the masked embeddings (zeros past
/// each text's end, as the padding gives them).
pub(super) struct PaddedConv {
    kernel: candle_nn::Conv1d,
    act: ConvAct,
    norm: LayerNorm,
}

impl PaddedConv {
    /// The convolution of `shape` read from `vb` (the `deberta` prefix), in `vb`'s dtype.
    pub(super) fn load(vb: &VarBuilder, config: &Config, shape: ConvShape) -> Result<Self> {
        let (h, vb) = (config.hidden_size, vb.pp("encoder.conv"));
        let padding = candle_nn::Conv1dConfig { padding: shape.kernel / 2, ..Default::default() };
        Ok(Self {
            kernel: candle_nn::conv1d(h, h, shape.kernel, padding, vb.pp("conv"))?,
            act: shape.act,
            norm: candle_nn::layer_norm(h, config.layer_norm_eps, vb.pp("LayerNorm"))?,
        })
    }

    /// `LayerNorm(x + act(conv(embedded)))` masked, `x` the first layer's output.
    pub(super) fn forward(&self, embedded: &Tensor, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let convolved = self.kernel.forward(&embedded.transpose(1, 2)?.contiguous()?)?.transpose(1, 2)?;
        let convolved = convolved.broadcast_mul(mask)?;
        let convolved = match self.act {
            ConvAct::Tanh => convolved.tanh()?,
            ConvAct::Gelu => convolved.gelu_erf()?,
            ConvAct::GeluTanh => convolved.gelu()?,
            ConvAct::Relu => convolved.relu()?,
        };
        self.norm.forward(&(x + convolved)?)?.broadcast_mul(mask)
    }
}
