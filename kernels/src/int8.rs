//! Int8 matrix products on the CPU, for the sentence encoder's opt-in `int8` precision: weights
//! quantized once per output channel, activations per row as each product needs them (dynamic
//! quantization, as ONNX Runtime's and `PyTorch`'s `quantize_dynamic` do for BERT), the integer
//! products by AVX-512 VNNI (`vpdpbusd`: 64 multiply-adds of u8 by i8 an instruction, four times
//! an f32 FMA's 16), then scaled back to f32.
//!
//! A row `x` becomes `u = round(x / s) + z` in 0..=255 over its own range (`s = (max - min) / 255`,
//! 0 within the range, `z` where 0 falls: asymmetric, so a GELU's mostly positive outputs keep
//! all 256 steps; VNNI wants this side unsigned); a weight row `w_j` becomes `round(w_j / t_j)`
//! with `t_j = max_i (|w_j,2i| + |w_j,2i+1|) / 127`, its largest pair of neighbouring inputs, so
//! that `|q_2i| + |q_2i+1| <= 128` (below). Then `x . w_j ~ s t_j (sum u w_q - z sum w_q)`: the
//! weight's sums are kept per column.
//! CPUs without AVX-512 VNNI but with AVX2 take an AVX2 kernel: `vpmaddubsw` (u8 by i8, each two
//! neighbouring products summed in 16 bits) then `vpmaddwd` by ones into 32-bit sums, 32
//! multiply-adds for two multiplying instructions where an f32 FMA does 8. Its 16-bit sums would
//! saturate with 8-bit weights at full range (`2 x 255 x 127 > 2^15`): the pair bound keeps them
//! exact, at about a third of a bit of the weights (ONNX Runtime's answer on such CPUs,
//! `reduce_range`, drops a whole one). Every kernel takes the same weights, so scores do not
//! depend on the CPU: other architectures take a portable loop, slowly, and each kernel gives its
//! integers.

use rayon::prelude::*;

/// Columns a packed panel holds: four AVX-512 vectors of sixteen 32-bit sums.
const PANEL: usize = 64;
/// Bytes of a panel for four consecutive inputs (`k`): 64 columns x 4.
const STEP: usize = PANEL * 4;
/// Rows the kernel keeps in registers (6 rows x 4 vectors = 24 of the 32 registers).
const TILE_ROWS: usize = 6;
/// Rows a rayon task takes.
const ROWS_PER_TASK: usize = 8 * TILE_ROWS;

/// A weight matrix `W` of shape `(outputs, inputs)`, as stored, quantized per output and laid out
/// for the kernel: panels of 64 outputs, in each panel the inputs four at a time, for each four
/// the 64 outputs' four values (what one `vpdpbusd` per 16 outputs takes).
pub struct QuantizedWeight {
    packed: Vec<i8>,
    /// Per output (padded with zeros to whole panels): `t_j`.
    scales: Vec<f32>,
    /// Per output (padded): `sum_k w_q[j][k]`.
    sums: Vec<i32>,
    inputs: usize,
    outputs: usize,
}

/// Inputs rounded up to a multiple of 4 (the packed layout's and the activations' row length).
fn padded(inputs: usize) -> usize {
    inputs.div_ceil(4) * 4
}

impl QuantizedWeight {
    /// `weight`: `outputs` rows of `inputs` values.
    ///
    /// # Panics
    /// When `weight` does not hold `outputs x inputs` values.
    pub fn new(weight: &[f32], outputs: usize, inputs: usize) -> Self {
        assert_eq!(weight.len(), outputs * inputs, "a weight of {outputs} x {inputs}");
        let panels = outputs.div_ceil(PANEL);
        let steps = padded(inputs) / 4;
        let mut packed = vec![0i8; panels * steps * STEP];
        let mut scales = vec![0f32; panels * PANEL];
        let mut sums = vec![0i32; panels * PANEL];
        for (j, row) in weight.chunks_exact(inputs.max(1)).enumerate().take(outputs) {
            // Each output's scale from its largest pair of neighbouring inputs (the pairs the AVX2
            // kernel sums in 16 bits): `|q_2i| + |q_2i+1| <= 127 + 2 x 0.5`.
            let max = row.chunks(2).fold(0f32, |m, pair| m.max(pair.iter().map(|v| v.abs()).sum()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            scales[j] = scale;
            let mut sum = 0i32;
            for (k, v) in row.iter().enumerate() {
                let q = round(v / scale).clamp(-127, 127);
                sum += q;
                packed[index(j, k, steps)] = i8::try_from(q).expect("clamped to -127..=127");
            }
            sums[j] = sum;
        }
        Self { packed, scales, sums, inputs, outputs }
    }

    /// The quantized value of output `j`, input `k`.
    fn value(&self, j: usize, k: usize) -> i32 {
        i32::from(self.packed[index(j, k, padded(self.inputs) / 4)])
    }
}

/// Where output `j`, input `k` sits in the packed layout of `steps` fours of inputs.
fn index(j: usize, k: usize, steps: usize) -> usize {
    (j / PANEL) * steps * STEP + (k / 4) * STEP + (j % PANEL) * 4 + k % 4
}

/// `x` to the nearest integer, ties to even (`x` within +-2^22).
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
fn round(x: f32) -> i32 {
    // Adding 1.5 * 2^23 leaves the rounded integer in the low mantissa bits (integer arithmetic on
    // the bits vectorizes where a saturating float to integer conversion does not).
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC).to_bits().cast_signed() - MAGIC.to_bits().cast_signed()
}

/// Rows of activations quantized for a product: `u` per value (rows padded to a multiple of 4
/// inputs with their zero point), a scale and a zero point per row. Kept between products to
/// reuse its buffers.
#[derive(Default)]
pub struct QuantizedRows {
    data: Vec<u8>,
    scales: Vec<f32>,
    zeros: Vec<i32>,
    stride: usize,
}

impl QuantizedRows {
    /// Quantizes `x`, rows of `inputs` values, on rayon's threads.
    pub fn quantize(&mut self, x: &[f32], inputs: usize) {
        let stride = padded(inputs);
        let rows = x.len() / inputs.max(1);
        self.stride = stride;
        self.data.resize(rows * stride, 0);
        self.scales.resize(rows, 0.0);
        self.zeros.resize(rows, 0);
        self.data[..rows * stride]
            .par_chunks_mut(stride.max(1) * ROWS_PER_TASK)
            .zip(self.scales.par_chunks_mut(ROWS_PER_TASK))
            .zip(self.zeros.par_chunks_mut(ROWS_PER_TASK))
            .zip(x.par_chunks(inputs.max(1) * ROWS_PER_TASK))
            .for_each(|(((out, scales), zeros), x)| {
                pulp::Arch::new().dispatch(QuantizeRows { x, out, scales, zeros, inputs, stride });
            });
    }

    fn rows(&self) -> usize {
        self.scales.len()
    }
}

struct QuantizeRows<'a> {
    x: &'a [f32],
    out: &'a mut [u8],
    scales: &'a mut [f32],
    zeros: &'a mut [i32],
    inputs: usize,
    stride: usize,
}

impl pulp::WithSimd for QuantizeRows<'_> {
    type Output = ();

    #[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let rows = self.x.chunks_exact(self.inputs.max(1)).zip(self.out.chunks_exact_mut(self.stride.max(1)));
        for (((x, out), scale), zero) in rows.zip(self.scales.iter_mut()).zip(self.zeros.iter_mut()) {
            // The row's range, 0 within it (so that 0 is exact).
            let (mut low, mut high) = ([0f32; crate::rows::LANES], [0f32; crate::rows::LANES]);
            let mut chunks = x.chunks_exact(low.len());
            for c in &mut chunks {
                for ((l, h), v) in low.iter_mut().zip(high.iter_mut()).zip(c) {
                    *l = l.min(*v);
                    *h = h.max(*v);
                }
            }
            let min = chunks.remainder().iter().chain(&low).fold(0f32, |m, v| m.min(*v));
            let max = chunks.remainder().iter().chain(&high).fold(0f32, |m, v| m.max(*v));
            let s = if max > min { (max - min) / 255.0 } else { 1.0 };
            let inverse = 1.0 / s;
            let z = round(-min * inverse).clamp(0, 255);
            for (o, v) in out.iter_mut().zip(x) {
                *o = u8::try_from((round(v * inverse) + z).clamp(0, 255)).unwrap_or(u8::MAX);
            }
            out[x.len()..].fill(u8::try_from(z).unwrap_or(0));
            *scale = s;
            *zero = z;
        }
    }
}

/// Whether this CPU runs the products with AVX-512 VNNI (else AVX2 or the portable loop).
pub fn accelerated() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Which loop computes the products on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// AVX-512 VNNI: 64 multiply-adds of u8 by i8 an instruction, about twice f32's rate.
    Vnni,
    /// AVX2: `vpmaddubsw` and `vpmaddwd`, 32 multiply-adds for two instructions, the weights
    /// quantized so that its 16-bit pair sums cannot saturate.
    Avx2,
    /// One value at a time (other CPUs), slowly.
    Portable,
}

impl Kernel {
    /// The fastest this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if accelerated() {
                return Self::Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Portable
    }
}

/// `dst = x W^T` (or with `accumulate`, `dst += x W^T`), `x` quantized rows, `dst` as many rows of
/// `w.outputs()` values; on rayon's threads.
///
/// # Panics
/// When the shapes do not agree.
pub fn matmul(x: &QuantizedRows, w: &QuantizedWeight, dst: &mut [f32], accumulate: bool) {
    matmul_with(Kernel::detect(), x, w, dst, accumulate);
}

/// [`matmul`] by `kernel`, which the CPU must run.
fn matmul_with(kernel: Kernel, x: &QuantizedRows, w: &QuantizedWeight, dst: &mut [f32], accumulate: bool) {
    let n = w.outputs;
    assert_eq!(x.stride, padded(w.inputs), "activations of {} inputs for a weight of {}", x.stride, w.inputs);
    assert_eq!(dst.len(), x.rows() * n, "{} rows of {n} outputs", x.rows());
    if n == 0 {
        return;
    }
    dst.par_chunks_mut(n * ROWS_PER_TASK).enumerate().for_each(|(task, dst)| {
        let first = task * ROWS_PER_TASK;
        let rows = dst.len() / n;
        let rows = Rows {
            data: &x.data[first * x.stride..(first + rows) * x.stride],
            stride: x.stride,
            scales: &x.scales[first..first + rows],
            zeros: &x.zeros[first..first + rows],
        };
        match kernel {
            #[cfg(target_arch = "x86_64")]
            Kernel::Vnni => vnni::rows(&rows, w, dst, accumulate),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => avx2::rows(&rows, w, dst, accumulate),
            _ => portable_rows(&rows, w, dst, accumulate),
        }
    });
}

/// Some of the quantized rows.
struct Rows<'a> {
    data: &'a [u8],
    stride: usize,
    scales: &'a [f32],
    zeros: &'a [i32],
}

impl Rows<'_> {
    /// Checks that these rows, `weight` and `dst` hold what a kernel reads and writes: the bound
    /// its raw loads and stores rely on.
    ///
    /// # Panics
    /// When they do not.
    fn check(&self, weight: &QuantizedWeight, dst: &[f32]) {
        let (outputs, rows, stride) = (weight.outputs, self.scales.len(), self.stride);
        assert!(self.data.len() >= rows * stride && self.zeros.len() >= rows && dst.len() >= rows * outputs);
        assert!(stride.is_multiple_of(4) && weight.packed.len() >= outputs.div_ceil(PANEL) * (stride / 4) * STEP);
    }
}

impl QuantizedWeight {
    /// Output `j`'s value from its integer sum `sum` over a row of scale `s` and zero point `z`.
    fn scaled(&self, j: usize, sum: i32, s: f32, z: i32) -> f32 {
        (sum - z * self.sums[j]) as f32 * (s * self.scales[j])
    }
}

/// What the kernel computes, one value at a time.
fn portable_rows(a: &Rows, w: &QuantizedWeight, dst: &mut [f32], accumulate: bool) {
    let n = w.outputs;
    let rows = a.data.chunks_exact(a.stride).zip(a.scales).zip(a.zeros);
    for (((row, s), z), out) in rows.zip(dst.chunks_exact_mut(n)) {
        for (j, o) in out.iter_mut().enumerate() {
            let sum: i32 = row[..w.inputs].iter().enumerate().map(|(k, q)| i32::from(*q) * w.value(j, k)).sum();
            let v = w.scaled(j, sum, *s, *z);
            *o = if accumulate { *o + v } else { v };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    #![allow(unsafe_code, reason = "AVX-512 VNNI intrinsics, and the raw loads and stores they take")]

    use super::{PANEL, QuantizedWeight, Rows, STEP, TILE_ROWS};
    use std::arch::x86_64::{
        __m512i, _mm512_add_ps, _mm512_cvtepi32_ps, _mm512_dpbusd_epi32, _mm512_loadu_epi32, _mm512_loadu_ps,
        _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps, _mm512_mul_ps, _mm512_mullo_epi32, _mm512_set1_epi32,
        _mm512_set1_ps, _mm512_setzero_si512, _mm512_sub_epi32,
    };

    /// [`super::portable_rows`] with VNNI. The caller checked that the CPU has AVX-512 F, BW and
    /// VNNI ([`super::accelerated`]).
    pub(super) fn rows(input: &Rows, weight: &QuantizedWeight, dst: &mut [f32], accumulate: bool) {
        input.check(weight, dst);
        // SAFETY: `accelerated()` found the target features on this CPU (the caller's check), and
        // `check` keeps every load and store within the slices (see `tile`).
        unsafe { rows_vnni(input, weight, dst, accumulate) }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    fn rows_vnni(input: &Rows, weight: &QuantizedWeight, dst: &mut [f32], accumulate: bool) {
        let rows = input.scales.len();
        for panel in 0..weight.outputs.div_ceil(PANEL) {
            let mut first = 0;
            while first < rows {
                let mut tile = Tile { input, weight, dst: &mut *dst, panel, first, accumulate };
                first += match rows - first {
                    1 => compute::<1>(&mut tile),
                    2 => compute::<2>(&mut tile),
                    3 => compute::<3>(&mut tile),
                    4 => compute::<4>(&mut tile),
                    5 => compute::<5>(&mut tile),
                    _ => compute::<TILE_ROWS>(&mut tile),
                };
            }
        }
    }

    /// Rows `first..first + R` of the product, columns of panel `panel`.
    struct Tile<'a> {
        input: &'a Rows<'a>,
        weight: &'a QuantizedWeight,
        dst: &'a mut [f32],
        panel: usize,
        first: usize,
        accumulate: bool,
    }

    /// Computes a tile; returns its rows, `R`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    fn compute<const R: usize>(tile: &mut Tile) -> usize {
        let stride = tile.input.stride;
        let steps = stride / 4;
        let outputs = tile.weight.outputs;
        let panel = &tile.weight.packed[tile.panel * steps * STEP..(tile.panel + 1) * steps * STEP];
        let input = &tile.input.data[tile.first * stride..(tile.first + R) * stride];
        let mut sums: [[__m512i; 4]; R] = [[_mm512_setzero_si512(); 4]; R];
        let (panel, input) = (panel.as_ptr(), input.as_ptr());
        for step in 0..steps {
            // SAFETY: `panel` holds `steps` fours of STEP = 4 x 64 bytes (four unaligned 64-byte
            // loads at `step`), `input` holds R rows of `stride` = 4 `steps` bytes (4 bytes at
            // `step` in each): raw reads, so that the loop has no bounds checks and its sums stay
            // in registers.
            unsafe {
                let four = panel.add(step * STEP);
                let wv = [
                    _mm512_loadu_epi32(four.cast()),
                    _mm512_loadu_epi32(four.add(64).cast()),
                    _mm512_loadu_epi32(four.add(128).cast()),
                    _mm512_loadu_epi32(four.add(192).cast()),
                ];
                for (row, sum) in sums.iter_mut().enumerate() {
                    let xv = _mm512_set1_epi32(input.add(row * stride + step * 4).cast::<i32>().read_unaligned());
                    for (part, wv) in sum.iter_mut().zip(wv) {
                        *part = _mm512_dpbusd_epi32(*part, xv, wv);
                    }
                }
            }
        }
        let first_col = tile.panel * PANEL;
        for (offset, sum) in sums.iter().enumerate() {
            let row = tile.first + offset;
            let out = &mut tile.dst[row * outputs..(row + 1) * outputs];
            let row_scale = _mm512_set1_ps(tile.input.scales[row]);
            let zero = _mm512_set1_epi32(tile.input.zeros[row]);
            for (vector, part) in sum.iter().enumerate() {
                let col = first_col + vector * 16;
                if col >= outputs {
                    break;
                }
                let live = (outputs - col).min(16);
                let mask: u16 = if live == 16 { u16::MAX } else { (1u16 << live) - 1 };
                // SAFETY: `scales` and `sums` are padded to whole panels (64 values past
                // `col`'s panel start); `out[col..]` holds `live` values, and the masked load and
                // store touch only those.
                unsafe {
                    let comp = _mm512_mullo_epi32(zero, _mm512_loadu_epi32(tile.weight.sums[col..].as_ptr()));
                    let scale = _mm512_mul_ps(row_scale, _mm512_loadu_ps(tile.weight.scales[col..].as_ptr()));
                    let mut value = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(*part, comp)), scale);
                    let ptr = out[col..].as_mut_ptr();
                    if tile.accumulate {
                        value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, ptr));
                    }
                    _mm512_mask_storeu_ps(ptr, mask, value);
                }
            }
        }
        R
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    #![allow(unsafe_code, reason = "AVX2 intrinsics, and the raw loads and stores they take")]

    use super::{PANEL, QuantizedWeight, Rows, STEP};
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_add_ps, _mm256_cvtepi32_ps, _mm256_loadu_ps, _mm256_loadu_si256,
        _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_mul_ps, _mm256_mullo_epi32, _mm256_set1_epi16,
        _mm256_set1_epi32, _mm256_set1_ps, _mm256_setzero_si256, _mm256_storeu_ps, _mm256_storeu_si256,
        _mm256_sub_epi32,
    };

    /// Outputs a block holds: a quarter of a panel, two vectors of eight outputs.
    const BLOCK: usize = 16;
    /// Rows the kernel keeps in registers (5 rows x 2 vectors = 10 of the 16 registers, the
    /// rest for the two weight vectors, the row's four values, the ones and a product).
    const TILE_ROWS: usize = 5;

    /// [`super::portable_rows`] with AVX2, the same integers (the weights' pair bound keeps its
    /// 16-bit sums from saturating). The caller checked that the CPU has AVX2
    /// ([`super::Kernel::detect`]).
    pub(super) fn rows(input: &Rows, weight: &QuantizedWeight, dst: &mut [f32], accumulate: bool) {
        input.check(weight, dst);
        // SAFETY: `Kernel::detect` found AVX2 on this CPU (the caller's check), and `check` keeps
        // every load within the slices (see `compute`).
        unsafe { rows_avx2(input, weight, dst, accumulate) }
    }

    #[target_feature(enable = "avx2")]
    fn rows_avx2(input: &Rows, weight: &QuantizedWeight, dst: &mut [f32], accumulate: bool) {
        let rows = input.scales.len();
        for block in 0..weight.outputs.div_ceil(BLOCK) {
            let mut first = 0;
            while first < rows {
                let tile = Tile { input, weight, block, first };
                first += match rows - first {
                    1 => finish(&tile, &compute::<1>(&tile), dst, accumulate),
                    2 => finish(&tile, &compute::<2>(&tile), dst, accumulate),
                    3 => finish(&tile, &compute::<3>(&tile), dst, accumulate),
                    4 => finish(&tile, &compute::<4>(&tile), dst, accumulate),
                    _ => finish(&tile, &compute::<TILE_ROWS>(&tile), dst, accumulate),
                };
            }
        }
    }

    /// Rows `first..` of the product, the outputs of block `block`.
    struct Tile<'a> {
        input: &'a Rows<'a>,
        weight: &'a QuantizedWeight,
        block: usize,
        first: usize,
    }

    /// The integer sums of a tile: per row, the block's 16 outputs.
    ///
    /// Per four inputs, the row's four values broadcast against eight outputs' four weights
    /// (32 bytes): `vpmaddubsw` multiplies u8 by i8 and adds neighbours into 16 bits, which the
    /// weights' pair bound keeps from saturating (`255 x 128 < 2^15`), and `vpmaddwd` by ones adds
    /// those pairs into the 32-bit sums: 32 multiply-adds for two multiplying instructions, where
    /// an f32 FMA does 8.
    #[target_feature(enable = "avx2")]
    fn compute<const R: usize>(tile: &Tile) -> [[i32; BLOCK]; R] {
        let stride = tile.input.stride;
        let steps = stride / 4;
        let (panel, quarter) = (tile.block * BLOCK / PANEL, tile.block % (PANEL / BLOCK));
        let panel = &tile.weight.packed[panel * steps * STEP..(panel + 1) * steps * STEP];
        let input = &tile.input.data[tile.first * stride..(tile.first + R) * stride];
        let mut sums: [[__m256i; 2]; R] = [[_mm256_setzero_si256(); 2]; R];
        let ones = _mm256_set1_epi16(1);
        let (panel, input) = (panel.as_ptr(), input.as_ptr());
        for step in 0..steps {
            // SAFETY: `panel` holds `steps` fours of STEP = 4 x 64 bytes, of which this block's
            // are the 64 at `quarter * 64` (two 32-byte loads); `input` holds R rows of `stride` =
            // 4 `steps` bytes (4 at `step` in each): raw reads, so that the loop has no bounds
            // checks and its sums stay in registers.
            unsafe {
                let four = panel.add(step * STEP + quarter * 64);
                let w = [_mm256_loadu_si256(four.cast()), _mm256_loadu_si256(four.add(32).cast())];
                for (row, sum) in sums.iter_mut().enumerate() {
                    let x = _mm256_set1_epi32(input.add(row * stride + step * 4).cast::<i32>().read_unaligned());
                    for (part, w) in sum.iter_mut().zip(w) {
                        *part = _mm256_add_epi32(*part, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), ones));
                    }
                }
            }
        }
        let mut out = [[0i32; BLOCK]; R];
        for (o, sum) in out.iter_mut().zip(&sums) {
            for (part, v) in sum.iter().enumerate() {
                // SAFETY: `o[part * 8..]` holds 8 values; an unaligned store.
                unsafe { _mm256_storeu_si256(o[part * 8..].as_mut_ptr().cast(), *v) };
            }
        }
        out
    }

    /// Scales a tile's sums back to f32 into `dst` (or adds them to it); returns its rows.
    #[target_feature(enable = "avx2")]
    fn finish(tile: &Tile, sums: &[[i32; BLOCK]], dst: &mut [f32], accumulate: bool) -> usize {
        let (outputs, first_col) = (tile.weight.outputs, tile.block * BLOCK);
        let live = BLOCK.min(outputs.saturating_sub(first_col));
        for (offset, sum) in sums.iter().enumerate() {
            let row = tile.first + offset;
            let (s, z) = (tile.input.scales[row], tile.input.zeros[row]);
            let out = &mut dst[row * outputs..(row + 1) * outputs];
            if live < BLOCK {
                for (o, sum) in sum.iter().enumerate().take(live) {
                    let j = first_col + o;
                    let v = tile.weight.scaled(j, *sum, s, z);
                    out[j] = if accumulate { out[j] + v } else { v };
                }
                continue;
            }
            let out = &mut out[first_col..first_col + BLOCK];
            let (weight_sums, weight_scales) =
                (&tile.weight.sums[first_col..first_col + BLOCK], &tile.weight.scales[first_col..first_col + BLOCK]);
            for part in 0..2 {
                let at = part * 8;
                // SAFETY: each slice holds BLOCK = 16 values, 8 at `at`: unaligned loads and a store.
                unsafe {
                    let comp =
                        _mm256_mullo_epi32(_mm256_set1_epi32(z), _mm256_loadu_si256(weight_sums[at..].as_ptr().cast()));
                    let scale = _mm256_mul_ps(_mm256_set1_ps(s), _mm256_loadu_ps(weight_scales[at..].as_ptr()));
                    let integers = _mm256_sub_epi32(_mm256_loadu_si256(sum[at..].as_ptr().cast()), comp);
                    let mut value = _mm256_mul_ps(_mm256_cvtepi32_ps(integers), scale);
                    if accumulate {
                        value = _mm256_add_ps(value, _mm256_loadu_ps(out[at..].as_ptr()));
                    }
                    _mm256_storeu_ps(out[at..].as_mut_ptr(), value);
                }
            }
        }
        sums.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic spread of values in -1..1.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 20_001) as f32 / 10_000.0 - 1.0
            })
            .collect()
    }

    /// The kernels this CPU runs, the fastest first.
    fn kernels() -> Vec<Kernel> {
        let mut out = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if accelerated() {
                out.push(Kernel::Vnni);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                out.push(Kernel::Avx2);
            }
        }
        out.push(Kernel::Portable);
        assert_eq!(out[0], Kernel::detect());
        out
    }

    #[test]
    fn the_product_is_close_to_the_f32_one_and_each_kernel_gives_the_portable_loops_integers() {
        for kernel in kernels() {
            products_by(kernel);
        }
    }

    fn products_by(by: Kernel) {
        // Odd sizes: rows not a multiple of the tile or the task, inputs not of 4, outputs not of 16.
        for (m, k, n) in [(1, 3, 5), (7, 9, 70), (53, 384, 130), (100, 40, 64), (4, 1536, 384)] {
            let x = values(m * k, 1);
            let weight = values(n * k, 2);
            let q = QuantizedWeight::new(&weight, n, k);
            let mut rows = QuantizedRows::default();
            rows.quantize(&x, k);
            let mut got = vec![0.5f32; m * n];
            matmul_with(by, &rows, &q, &mut got, true);
            let mut portable = vec![0.5f32; m * n];
            let all = Rows { data: &rows.data, stride: rows.stride, scales: &rows.scales, zeros: &rows.zeros };
            portable_rows(&all, &q, &mut portable, true);
            for i in 0..m {
                for j in 0..n {
                    let exact: f32 = (0..k).map(|c| x[i * k + c] * weight[j * k + c]).sum::<f32>() + 0.5;
                    let (kernel, loop_) = (got[i * n + j], portable[i * n + j]);
                    // Same integer sums, scaled the same way: equal up to the last bit or two.
                    assert!(
                        (kernel - loop_).abs() <= 1e-5 * loop_.abs().max(1.0),
                        "{by:?} {m}x{k}x{n} at {i},{j}: {kernel} vs {loop_}"
                    );
                    // Quantization error: about sqrt(k) half-steps of 1/127 of each side's range.
                    assert!(
                        (kernel - exact).abs() < 0.02 * (k as f32).sqrt(),
                        "{by:?} {m}x{k}x{n} at {i},{j}: {kernel} vs {exact}"
                    );
                }
            }
            let mut fresh = vec![9.0f32; m * n];
            matmul_with(by, &rows, &q, &mut fresh, false);
            assert!(fresh.iter().zip(&got).all(|(f, g)| (f + 0.5 - g).abs() < 1e-4));
        }
    }

    #[test]
    fn sums_at_the_avx2_kernels_bound_do_not_saturate() {
        // Every activation at its row's top (u = 255) against weights whose neighbours are both
        // their row's largest: the AVX2 kernel's 16-bit pair sums at their largest, 255 x 128.
        let (rows_in, inputs, outputs) = (3, 64, 24);
        let x = vec![1.0f32; rows_in * inputs];
        // Outputs of all ones and of all minus ones, in turn.
        let weight: Vec<f32> = (0..outputs * inputs).map(|i| if (i / inputs) % 2 == 0 { 1.0 } else { -1.0 }).collect();
        for by in kernels() {
            let q = QuantizedWeight::new(&weight, outputs, inputs);
            let mut quantized = QuantizedRows::default();
            quantized.quantize(&x, inputs);
            let mut got = vec![0f32; rows_in * outputs];
            matmul_with(by, &quantized, &q, &mut got, false);
            for (i, v) in got.iter().enumerate() {
                let (row, out) = (i / outputs, i % outputs);
                let want = if out % 2 == 0 { inputs as f32 } else { -(inputs as f32) };
                // Each weight off by at most half its step (saturated sums would be off by half).
                let bound = inputs as f32 * q.scales[out] / 2.0 + 1e-3;
                assert!((v - want).abs() <= bound, "{by:?} at {row}, {out}: {v}, want {want}");
            }
        }
    }

    #[test]
    fn rows_of_zeros_and_a_single_large_value_survive() {
        let k = 8;
        let x = [[0f32; 8], [0.0, 0.0, 1000.0, 0.0, 0.0, 0.0, 0.0, -0.001]].concat();
        let w = values(3 * k, 3);
        let q = QuantizedWeight::new(&w, 3, k);
        let mut rows = QuantizedRows::default();
        rows.quantize(&x, k);
        let mut out = vec![0f32; 6];
        matmul(&rows, &q, &mut out, false);
        assert!(out[..3].iter().all(|v| *v == 0.0), "{out:?}");
        for j in 0..3 {
            // The row's tiny value rounds to 0; the large one is exact, and the weight is off by at
            // most half its step (1/127 of its row's largest pair of neighbours).
            let want = 1000.0 * w[j * k + 2];
            let step = q.scales[j];
            let largest = w[j * k..(j + 1) * k].iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(step <= 2.0 * largest / 127.0, "output {j}: a step of {step} for a largest weight {largest}");
            assert!((out[3 + j] - want).abs() <= 1000.0 * step / 2.0 + 1e-3, "{} vs {want}", out[3 + j]);
        }
    }
}
