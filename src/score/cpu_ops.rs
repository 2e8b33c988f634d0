//! Candle's side of the in-place CPU passes (`verdict_kernels::rows`) for the encoders run on
//! candle's tensors (`bert.rs`, `clip_net.rs`): `gelu(x + bias)` or CLIP's `quick_gelu(x + bias)`
//! after a feed-forward block's first projection, and `softmax(scores + mask)` over attention rows,
//! each one sweep over the tensor's own storage. Candle makes each of them several passes that each
//! allocate a new tensor (the bias added, then GELU; the mask added, then max, exp, sum and
//! divide), and its GELU calls an exact scalar `erff` per element: a quarter of a `MiniLM` forward
//! pass on the CPU (`perf`, `BENCHMARKS.md`). Other devices and dtypes get the same results from
//! candle's own ops.

use candle_core::{CpuStorage, DType, InplaceOp2, Layout, Result, Tensor, bail};
use verdict_kernels::rows::{self, Act};

/// `gelu(x + bias)`, GELU in its erf form; `x` of shape `(..., n)`, `bias` of shape `(n)`. Done in
/// place when `x` is a contiguous f32 tensor on the CPU (as a linear layer's output is).
pub fn bias_gelu(x: Tensor, bias: &Tensor) -> Result<Tensor> {
    if fits_in_place(&x) && fits_in_place(bias) {
        x.inplace_op2(bias, &BiasAct(Act::Gelu))?;
        Ok(x)
    } else {
        x.broadcast_add(bias)?.gelu_erf()
    }
}

/// `quick_gelu(x + bias)`, CLIP's activation `z * sigmoid(1.702 z)`, as [`bias_gelu`] does GELU.
pub fn bias_quick_gelu(x: Tensor, bias: &Tensor) -> Result<Tensor> {
    if fits_in_place(&x) && fits_in_place(bias) {
        x.inplace_op2(bias, &BiasAct(Act::QuickGelu))?;
        Ok(x)
    } else {
        let z = x.broadcast_add(bias)?;
        &z * candle_nn::ops::sigmoid(&(&z * 1.702)?)?
    }
}

/// `softmax(scores + mask)` over the last dimension: `scores` of shape `(b, h, q, k)`, `mask` of
/// shape `(b, k)`, added to each row of its batch item (0 where a token counts, a large negative
/// number where it is padding). Done in place when both are contiguous f32 tensors on the CPU.
pub fn masked_softmax(scores: Tensor, mask: &Tensor) -> Result<Tensor> {
    if fits_in_place(&scores) && fits_in_place(mask) {
        scores.inplace_op2(mask, &MaskedSoftmax)?;
        Ok(scores)
    } else {
        let mask = mask.unsqueeze(1)?.unsqueeze(1)?;
        candle_nn::ops::softmax_last_dim(&scores.broadcast_add(&mask)?)
    }
}

fn fits_in_place(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32 && t.is_contiguous()
}

/// The contiguous f32 elements of a storage.
fn slice<'a>(name: &str, s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((from, to))) => Ok(&v[from..to]),
        _ => bail!("{name}: a contiguous f32 tensor is needed"),
    }
}

fn slice_mut<'a>(name: &str, s: &'a mut CpuStorage, l: &Layout) -> Result<&'a mut [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((from, to))) => Ok(&mut v[from..to]),
        _ => bail!("{name}: a contiguous f32 tensor is needed"),
    }
}

/// `x = act(x + bias)`.
struct BiasAct(Act);

impl InplaceOp2 for BiasAct {
    fn name(&self) -> &'static str {
        match self.0 {
            Act::Gelu => "verdict-bias-gelu",
            Act::QuickGelu => "verdict-bias-quick-gelu",
            Act::GeluTanh => "verdict-bias-gelu-tanh",
            Act::Relu => "verdict-bias-relu",
        }
    }

    fn cpu_fwd(&self, s1: &mut CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<()> {
        let bias = slice(self.name(), s2, l2)?;
        let x = slice_mut(self.name(), s1, l1)?;
        let n = bias.len();
        if n == 0 || !x.len().is_multiple_of(n) || l1.dims().last() != Some(&n) {
            bail!("{}: x {:?} does not end in the bias' {n}", self.name(), l1.dims());
        }
        rows::bias_act_rows(x, bias, self.0);
        Ok(())
    }
}

struct MaskedSoftmax;

impl InplaceOp2 for MaskedSoftmax {
    fn name(&self) -> &'static str {
        "verdict-masked-softmax"
    }

    fn cpu_fwd(&self, s1: &mut CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<()> {
        let mask = slice(self.name(), s2, l2)?;
        let scores = slice_mut(self.name(), s1, l1)?;
        let (&[b, h, q, k], &[mb, mk]) = (l1.dims(), l2.dims()) else {
            bail!(
                "{}: scores (b, h, q, k) and a mask (b, k) are needed, not {:?} and {:?}",
                self.name(),
                l1.dims(),
                l2.dims()
            );
        };
        if (mb, mk) != (b, k) || k == 0 {
            bail!("{}: a mask of {:?} does not fit scores of {:?}", self.name(), l2.dims(), l1.dims());
        }
        rows::masked_softmax_rows(scores, mask, k, h * q);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use verdict_kernels::rows::{erf, exp, gelu_tanh};

    #[test]
    fn exp_and_erf_are_close_to_the_exact_ones() {
        for i in -20_000..=20_000 {
            let x = i as f32 * 0.004; // -80 .. 80
            let (e, want) = (exp(x), x.exp());
            assert!(((e - want) / want).abs() < 3e-7, "exp({x}) = {e}, not {want}");
            let x = i as f32 * 0.0005; // -10 .. 10
            let want = candle_core::cpu::erf::erf_f64(f64::from(x));
            assert!((f64::from(erf(x)) - want).abs() < 5e-7, "erf({x}) = {}, not {want}", erf(x));
        }
        // Exactly 0 below the range, exactly +-1 far out (bit patterns: no tolerance meant).
        assert_eq!(exp(-87.4).to_bits(), 0f32.to_bits());
        assert_eq!(exp(f32::MIN).to_bits(), 0f32.to_bits());
        assert!(exp(-87.2) > 0.0 && exp(88.0).is_finite());
        assert_eq!(erf(20.0).to_bits(), 1f32.to_bits());
        assert_eq!(erf(-20.0).to_bits(), (-1f32).to_bits());
    }

    #[test]
    fn gelu_tanh_is_the_tanh_formula() {
        for i in -40_000..=40_000 {
            let x = f64::from(i) * 0.0005; // -20 .. 20
            let want = 0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044_715 * x * x * x)).tanh());
            let got = f64::from(gelu_tanh(x as f32));
            assert!((got - want).abs() <= 1e-6 * want.abs().max(1.0), "gelu_tanh({x}) = {got}, not {want}");
        }
    }

    #[test]
    fn the_in_place_passes_give_what_candles_ops_give() -> Result<()> {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 3.0, (3, 5, 1000), &dev)?;
        let bias = Tensor::randn(0f32, 1.0, 1000, &dev)?;
        let want_gelu = x.broadcast_add(&bias)?.gelu_erf()?;
        let got = bias_gelu(x.copy()?, &bias)?;
        let diff = (got - &want_gelu)?.abs()?.flatten_all()?.max(0)?;
        assert!(diff.to_scalar::<f32>()? < 1e-6, "{diff}");

        let scores = Tensor::randn(0f32, 4.0, (3, 4, 7, 9), &dev)?;
        let keep = Tensor::new(
            &[[1f32; 9], [1., 1., 1., 1., 1., 0., 0., 0., 0.], [1., 0., 0., 0., 0., 0., 0., 0., 0.]],
            &dev,
        )?;
        let mask = keep.affine(-f64::from(f32::MIN), f64::from(f32::MIN))?;
        let want = candle_nn::ops::softmax_last_dim(&scores.broadcast_add(&mask.unsqueeze(1)?.unsqueeze(1)?)?)?;
        let got = masked_softmax(scores.copy()?, &mask)?;
        let diff = (&got - &want)?.abs()?.flatten_all()?.max(0)?;
        assert!(diff.to_scalar::<f32>()? < 1e-6, "{diff}");
        // Padding gets nothing.
        let last = got.get(2)?.flatten_to(1)?.to_vec2::<f32>()?;
        for row in last {
            assert!((row[0] - 1.0).abs() < 1e-6 && row[1..].iter().all(|v| *v == 0.0), "{row:?}");
        }
        let want = x.broadcast_add(&bias)?;
        let want = (&want * candle_nn::ops::sigmoid(&(&want * 1.702)?)?)?;
        let got = bias_quick_gelu(x.copy()?, &bias)?;
        let diff = (got - &want)?.abs()?.flatten_all()?.max(0)?;
        assert!(diff.to_scalar::<f32>()? < 1e-5, "{diff}");

        // Other dtypes take candle's ops.
        let wide = bias_gelu(x.to_dtype(DType::F64)?, &bias.to_dtype(DType::F64)?)?;
        let diff = (wide.to_dtype(DType::F32)? - &want_gelu)?.abs()?.flatten_all()?;
        assert!(diff.max(0)?.to_scalar::<f32>()? < 1e-5);
        Ok(())
    }
}
