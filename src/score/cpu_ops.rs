//! Passes of the encoders (BERT's and CLIP's) done in place, in one sweep each, on the CPU: `gelu(x + bias)`
//! or CLIP's `quick_gelu(x + bias)` after a feed-forward block's first projection, and `softmax(scores + mask)` over attention
//! rows. Candle makes each of them several passes that each allocate a new tensor (the bias added,
//! then GELU; the mask added, then max, exp, sum and divide), and its GELU calls an exact scalar
//! `erff` per element: a quarter of a `MiniLM` forward pass on the CPU (`perf`, `BENCHMARKS.md`).
//!
//! Here the loops are compiled for the CPU's widest vectors at run time (`pulp`'s dispatch: AVX-512,
//! AVX2 or SSE2) and split over rayon's threads. GELU's `erf` is the polynomial `PyTorch`'s CPU GELU
//! uses (Abramowitz and Stegun 7.1.26, absolute error under 5e-7 in f32), over an exp of Cephes'
//! form (range reduction by ln 2, a degree-6 polynomial; relative error about 1e-7). Other devices
//! and dtypes get the same results from Candle's own ops.

use candle_core::{CpuStorage, DType, InplaceOp2, Layout, Result, Tensor, bail};
use rayon::prelude::*;

/// Elements a rayon task handles at least.
const TASK: usize = 1 << 15;

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

#[derive(Clone, Copy)]
enum Act {
    Gelu,
    QuickGelu,
    GeluTanh,
}

/// `x = act(x + bias)`.
struct BiasAct(Act);

impl InplaceOp2 for BiasAct {
    fn name(&self) -> &'static str {
        match self.0 {
            Act::Gelu => "verdict-bias-gelu",
            Act::QuickGelu => "verdict-bias-quick-gelu",
            Act::GeluTanh => "verdict-bias-gelu-tanh",
        }
    }

    fn cpu_fwd(&self, s1: &mut CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<()> {
        let bias = slice(self.name(), s2, l2)?;
        let x = slice_mut(self.name(), s1, l1)?;
        let n = bias.len();
        if n == 0 || !x.len().is_multiple_of(n) || l1.dims().last() != Some(&n) {
            bail!("{}: x {:?} does not end in the bias' {n}", self.name(), l1.dims());
        }
        bias_act_rows(x, bias, self.0);
        Ok(())
    }
}

/// `x = act(x + bias)` row by row, `x` rows of `bias.len()` values, on rayon's threads.
fn bias_act_rows(x: &mut [f32], bias: &[f32], act: Act) {
    let n = bias.len().max(1);
    x.par_chunks_mut(TASK.div_ceil(n) * n).for_each(|rows| {
        pulp::Arch::new().dispatch(BiasActRows { rows, bias, act });
    });
}

/// `x = gelu(x + bias)` (erf form) over rows of `bias.len()` values, in place, on rayon's threads.
pub fn bias_gelu_rows(x: &mut [f32], bias: &[f32]) {
    bias_act_rows(x, bias, Act::Gelu);
}

/// `x = quick_gelu(x + bias)` (CLIP's) over rows of `bias.len()` values, in place, on rayon's
/// threads.
pub fn bias_quick_gelu_rows(x: &mut [f32], bias: &[f32]) {
    bias_act_rows(x, bias, Act::QuickGelu);
}

/// `x = gelu_tanh(x + bias)` (GELU's tanh approximation, `SigLIP`'s and some BERTs') over rows of
/// `bias.len()` values, in place, on rayon's threads.
pub fn bias_gelu_tanh_rows(x: &mut [f32], bias: &[f32]) {
    bias_act_rows(x, bias, Act::GeluTanh);
}

/// `rows = softmax(rows)`, each row `k` values, on the calling thread (compiled for the CPU's
/// widest vectors).
pub fn softmax_rows(rows: &mut [f32], k: usize) {
    struct Rows<'a>(&'a mut [f32], usize);
    impl pulp::WithSimd for Rows<'_> {
        type Output = ();
        #[allow(
            clippy::inline_always,
            reason = "inlined into pulp's function compiled for the CPU's vector extensions"
        )]
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _simd: S) {
            // No mask: `softmax_row` adds nothing from an empty one.
            for row in self.0.chunks_exact_mut(self.1.max(1)) {
                softmax_row(row, &[]);
            }
        }
    }
    pulp::Arch::new().dispatch(Rows(rows, k));
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
        let rows_per_task = TASK.div_ceil(k);
        scores.par_chunks_mut(rows_per_task * k).enumerate().for_each(|(t, rows)| {
            let kernel = SoftmaxRows { rows, mask, k, first_row: t * rows_per_task, rows_per_item: h * q };
            pulp::Arch::new().dispatch(kernel);
        });
        Ok(())
    }
}

/// The loops, as pulp's `WithSimd`: `with_simd` is inlined into a function compiled for the
/// CPU's vector extensions (a closure is not always inlined there, and then runs as plain SSE2).
struct BiasActRows<'a> {
    rows: &'a mut [f32],
    bias: &'a [f32],
    act: Act,
}

impl pulp::WithSimd for BiasActRows<'_> {
    type Output = ();

    #[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        for row in self.rows.chunks_exact_mut(self.bias.len()) {
            match self.act {
                Act::Gelu => row.iter_mut().zip(self.bias).for_each(|(v, b)| *v = gelu(*v + *b)),
                Act::QuickGelu => row.iter_mut().zip(self.bias).for_each(|(v, b)| *v = quick_gelu(*v + *b)),
                Act::GeluTanh => row.iter_mut().zip(self.bias).for_each(|(v, b)| *v = gelu_tanh(*v + *b)),
            }
        }
    }
}

struct SoftmaxRows<'a> {
    rows: &'a mut [f32],
    mask: &'a [f32],
    k: usize,
    first_row: usize,
    rows_per_item: usize,
}

impl pulp::WithSimd for SoftmaxRows<'_> {
    type Output = ();

    #[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let k = self.k;
        for (r, row) in self.rows.chunks_exact_mut(k).enumerate() {
            let item = (self.first_row + r) / self.rows_per_item;
            softmax_row(row, &self.mask[item * k..(item + 1) * k]);
        }
    }
}

/// Lanes the reductions keep apart (so that they vectorize: float sums and maxima are not
/// reordered by the compiler on its own).
pub(super) const LANES: usize = 16;

/// `row = softmax(row + mask)`.
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
fn softmax_row(row: &mut [f32], mask: &[f32]) {
    for (v, m) in row.iter_mut().zip(mask) {
        *v += *m;
    }
    let mut lanes = [f32::NEG_INFINITY; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for c in &mut chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l = if *v > *l { *v } else { *l };
        }
    }
    let max = chunks.remainder().iter().chain(&lanes).fold(f32::NEG_INFINITY, |a, v| if *v > a { *v } else { a });
    let mut sums = [0f32; LANES];
    let mut chunks = row.chunks_exact_mut(LANES);
    for c in &mut chunks {
        for (s, v) in sums.iter_mut().zip(c) {
            *v = exp(*v - max);
            *s += *v;
        }
    }
    let mut sum = 0f32;
    for v in chunks.into_remainder() {
        *v = exp(*v - max);
        sum += *v;
    }
    let scale = 1.0 / (sum + sums.iter().sum::<f32>());
    for v in row.iter_mut() {
        *v *= scale;
    }
}

/// GELU, erf form: `x/2 (1 + erf(x / sqrt 2))`.
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// CLIP's quick GELU: `x * sigmoid(1.702 x)`.
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
pub fn quick_gelu(x: f32) -> f32 {
    x / (1.0 + exp(-1.702 * x))
}

/// GELU's tanh approximation, `x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (`PyTorch`'s
/// `gelu(approximate="tanh")`, `gelu_pytorch_tanh`), written as `x sigmoid(2u)`, which it equals,
/// so that it is one [`exp`] and vectorizes.
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
pub fn gelu_tanh(x: f32) -> f32 {
    // 2 sqrt(2/pi).
    const TWICE_ROOT_TWO_OVER_PI: f32 = 1.595_769;
    x / (1.0 + exp(-TWICE_ROOT_TWO_OVER_PI * (x + 0.044_715 * x * x * x)))
}

/// `erf` by Abramowitz and Stegun 7.1.26 (as `PyTorch`'s vectorized CPU `erf`): absolute error < 1.5e-7
/// in exact arithmetic, < 5e-7 in f32 (4.5e-7 at worst over [-10, 10]: the test).
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let abs = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * abs);
    let poly = (((1.061_405_4 * t - 1.453_152) * t + 1.421_413_8) * t - 0.284_496_74) * t + 0.254_829_6;
    (1.0 - poly * t * exp(-abs * abs)).copysign(x)
}

/// e^x (Cephes' `expf` scheme, without branches so that it vectorizes): `x = n ln 2 + r`,
/// `e^r` by a polynomial, `2^n` put into the exponent bits. 0 below -87.3 (no subnormals, as
/// softmax's padding and erf's tails want), at most e^88 above.
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // round(x / ln 2) by adding 1.5 * 2^23: exact for |x / ln 2| < 2^22, and the sum's low bits are
    // then the integer itself (integer arithmetic on the bits, which vectorizes where a float to
    // integer conversion with Rust's saturation does not).
    const ROUND: f32 = 12_582_912.0;
    let tiny = x < -87.3;
    let x = x.clamp(-87.3, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let whole = shifted - ROUND;
    let rest = x - whole * 0.693_359_4 + whole * 2.121_944_4e-4;
    let poly = ((((1.987_569_1e-4 * rest + 1.398_2e-3) * rest + 8.333_452e-3) * rest + 4.166_579_6e-2) * rest
        + 0.166_666_65)
        * rest
        + 0.5;
    let two_n = f32::from_bits((shifted.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127)) << 23);
    let value = (poly * rest * rest + rest + 1.0) * two_n;
    if tiny { 0.0 } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

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
