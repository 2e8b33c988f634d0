//! Row-wise passes over f32 rows, each in place in one sweep (candle makes each of them several
//! passes that each allocate a new tensor, and its GELU calls an exact scalar `erff` per element):
//! `act(x + bias)` after a feed-forward block's first projection, `softmax(scores + mask)` over
//! attention rows, layer norm.
//!
//! The loops are compiled for the CPU's widest vectors at run time (`pulp`'s dispatch: AVX-512,
//! AVX2 or SSE2) and split over rayon's threads. GELU's `erf` is the polynomial `PyTorch`'s CPU GELU
//! uses (Abramowitz and Stegun 7.1.26, absolute error under 5e-7 in f32), over an exp of Cephes'
//! form (range reduction by ln 2, a degree-6 polynomial; relative error about 1e-7).

use rayon::prelude::*;

/// Elements a rayon task handles at least in the activation and softmax passes.
const TASK: usize = 1 << 15;
/// Rows a rayon task takes at least in the layer norm.
const NORM_ROWS_PER_TASK: usize = 32;

/// An activation applied after a bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// GELU, erf form ([`gelu`]).
    Gelu,
    /// CLIP's quick GELU ([`quick_gelu`]).
    QuickGelu,
    /// GELU's tanh approximation ([`gelu_tanh`]), `SigLIP`'s and some BERTs'.
    GeluTanh,
    /// `max(x, 0)`.
    Relu,
}

/// `x = act(x + bias)` row by row, `x` rows of `bias.len()` values, in place, on rayon's threads.
pub fn bias_act_rows(x: &mut [f32], bias: &[f32], act: Act) {
    let n = bias.len().max(1);
    x.par_chunks_mut(TASK.div_ceil(n) * n).for_each(|rows| {
        pulp::Arch::new().dispatch(BiasActRows { rows, bias, act });
    });
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

/// `scores = softmax(scores + mask)` over rows of `k` values, on rayon's threads: `scores` items of
/// `rows_per_item` rows each (heads x queries), `mask` one row of `k` per item, added to each of
/// its item's rows (0 where a token counts, a large negative number where it is padding).
///
/// # Panics
/// When `mask` holds fewer rows than `scores` has items.
pub fn masked_softmax_rows(scores: &mut [f32], mask: &[f32], k: usize, rows_per_item: usize) {
    let (k, rows_per_item) = (k.max(1), rows_per_item.max(1));
    assert!(
        mask.len() >= (scores.len() / k).div_ceil(rows_per_item) * k,
        "a mask of {} values for {} rows of {k} in items of {rows_per_item}",
        mask.len(),
        scores.len() / k
    );
    let rows_per_task = TASK.div_ceil(k);
    scores.par_chunks_mut(rows_per_task * k).enumerate().for_each(|(t, rows)| {
        let kernel = SoftmaxRows { rows, mask, k, first_row: t * rows_per_task, rows_per_item };
        pulp::Arch::new().dispatch(kernel);
    });
}

/// Each row of `x` (rows of `weight.len()` values) normalized in place: `(x - mean) / sqrt(var +
/// eps) * weight + bias`, on rayon's threads.
pub fn layer_norm_rows(x: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let n = weight.len().max(1);
    x.par_chunks_mut(n * NORM_ROWS_PER_TASK)
        .for_each(|rows| pulp::Arch::new().dispatch(NormRows { rows, weight, bias, eps }));
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
                Act::Relu => row.iter_mut().zip(self.bias).for_each(|(v, b)| *v = (*v + *b).max(0.0)),
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
pub const LANES: usize = 16;

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

struct NormRows<'a> {
    rows: &'a mut [f32],
    weight: &'a [f32],
    bias: &'a [f32],
    eps: f32,
}

impl pulp::WithSimd for NormRows<'_> {
    type Output = ();

    #[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self { weight, bias, eps, .. } = self;
        let n = weight.len();
        for row in self.rows.chunks_exact_mut(n) {
            let mean = lane_sum(row, |v| v) / n as f32;
            let var = lane_sum(row, |v| (v - mean) * (v - mean)) / n as f32;
            let scale = 1.0 / (var + eps).sqrt();
            for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
                *v = (*v - mean) * scale * w + b;
            }
        }
    }
}

/// The sum of `f(v)` over `row`, kept in [`LANES`] partial sums (so that it vectorizes).
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
fn lane_sum(row: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0f32; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for c in &mut chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += f(*v);
        }
    }
    chunks.remainder().iter().map(|v| f(*v)).sum::<f32>() + lanes.iter().sum::<f32>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_norm_and_relu_give_the_formulas() {
        let (n, rows) = (37, 70); // rows past one task, a width that is no multiple of the lanes
        let x: Vec<f32> = (0..n * rows).map(|i| ((i * 7919) % 1000) as f32 / 100.0 - 5.0).collect();
        let weight: Vec<f32> = (0..n).map(|j| 0.5 + j as f32 / 10.0).collect();
        let bias: Vec<f32> = (0..n).map(|j| j as f32 / 20.0 - 1.0).collect();
        let mut normed = x.clone();
        layer_norm_rows(&mut normed, &weight, &bias, 1e-5);
        for (row, got) in x.chunks_exact(n).zip(normed.chunks_exact(n)) {
            let mean = row.iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64;
            let var = row.iter().map(|v| (f64::from(*v) - mean).powi(2)).sum::<f64>() / n as f64;
            for (j, (v, g)) in row.iter().zip(got).enumerate() {
                let want = (f64::from(*v) - mean) / (var + 1e-5).sqrt() * f64::from(weight[j]) + f64::from(bias[j]);
                assert!((f64::from(*g) - want).abs() < 1e-5, "row value {v}: {g}, not {want}");
            }
        }
        let mut relu = x.clone();
        bias_act_rows(&mut relu, &bias, Act::Relu);
        for (i, (v, g)) in x.iter().zip(&relu).enumerate() {
            assert_eq!(g.to_bits(), (v + bias[i % n]).max(0.0).to_bits(), "at {i}");
        }
    }

    #[test]
    fn each_item_of_a_masked_softmax_takes_its_own_mask_row() {
        // 2 items of 3 rows of 4; the second item's mask hides its last two tokens.
        let mut scores: Vec<f32> = (0..24).map(|i| (i % 5) as f32).collect();
        let mask = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, f32::MIN, f32::MIN];
        let plain = scores.clone();
        masked_softmax_rows(&mut scores, &mask, 4, 3);
        for (r, (row, from)) in scores.chunks_exact(4).zip(plain.chunks_exact(4)).enumerate() {
            let kept = if r < 3 { 4 } else { 2 };
            let total: f32 = from[..kept].iter().map(|v| v.exp()).sum();
            for (k, (g, v)) in row.iter().zip(from).enumerate() {
                let want = if k < kept { v.exp() / total } else { 0.0 };
                assert!((g - want).abs() < 1e-6, "row {r}, token {k}: {g}, not {want}");
            }
        }
    }
}
