//! Transformer pieces over plain f32 buffers on the CPU, shared by the encoders laid out for it
//! (`bert_packed`, `clip_packed`, `siglip_packed`): linear layers whose products are one `gemm` call each (the
//! kernels candle's own CPU matrix products use) with the bias and a residual added in the same
//! product, or in int8 (`int8`); layer norm in place; attention text by text (or image by image) on
//! rayon's threads, read straight from the joined query/key/value rows, with a causal mask where a
//! model wants one. Buffers are the callers', kept from pass to pass.

use candle_core::{DType, Result, Tensor, bail};
use candle_nn::LayerNorm;
use rayon::prelude::*;
use verdict_kernels::int8::{self, QuantizedRows, QuantizedWeight};
use verdict_kernels::rows;

/// Rows a rayon task takes at least in the row-wise passes (norms, bias fills).
pub(super) const ROWS_PER_TASK: usize = 32;

/// A linear layer: `y = x W^T + b`, `W` of shape `(outputs, inputs)` as stored, or quantized.
pub(super) struct Dense {
    weight: Weight,
    bias: Option<Vec<f32>>,
    pub(super) inputs: usize,
    pub(super) outputs: usize,
}

enum Weight {
    F32(Vec<f32>),
    Int8(QuantizedWeight),
}

/// The precision of the encoder's matrix products (everything else is f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// f32 throughout: what sentence-transformers gives, within float rounding.
    F32,
    /// The linear layers' products in int8 (weights per output, activations per token; see
    /// [`int8`]): about twice as fast on a CPU with AVX-512 VNNI, 1.5 times with AVX2 alone,
    /// embeddings within about 1 % of f32's.
    Int8,
}

/// A layer norm over rows of `weight.len()` values.
pub(super) struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

/// A pass's intermediate buffers: `(tokens, 3 hidden)`, `(tokens, hidden)`, `(tokens,
/// intermediate)`, and a product's input quantized (in int8).
#[derive(Default)]
pub(super) struct Work {
    pub(super) qkv: Vec<f32>,
    pub(super) context: Vec<f32>,
    pub(super) up: Vec<f32>,
    /// A pre-norm layer's normalized input (`(tokens, hidden)`).
    pub(super) normed: Vec<f32>,
    pub(super) quantized: QuantizedRows,
}

/// A tensor's values in f32, row by row (copied to the CPU).
pub(super) fn values(t: &Tensor) -> Result<Vec<f32>> {
    t.to_dtype(DType::F32)?.flatten_all()?.to_vec1()
}

impl Dense {
    pub(super) fn new(linear: &candle_nn::Linear, precision: Precision) -> Result<Self> {
        let (outputs, inputs) = linear.weight().dims2()?;
        let bias = linear.bias().map(values).transpose()?;
        Ok(Self::from_weight(values(linear.weight())?, bias, (outputs, inputs), precision))
    }

    /// The layer of `weight`, `(outputs, inputs)` row by row, and `bias`.
    pub(super) fn from_weight(
        weight: Vec<f32>,
        bias: Option<Vec<f32>>,
        (outputs, inputs): (usize, usize),
        precision: Precision,
    ) -> Self {
        let weight = match precision {
            Precision::F32 => Weight::F32(weight),
            Precision::Int8 => Weight::Int8(QuantizedWeight::new(&weight, outputs, inputs)),
        };
        Self { weight, bias, inputs, outputs }
    }

    /// `out = x W^T + b`, or with `residual` `out += x W^T + b`; `x` rows of `inputs` values,
    /// `out` as many rows of `outputs`; `quantized` holds `x` quantized when the weight is.
    pub(super) fn apply(&self, x: &[f32], out: &mut [f32], residual: bool, quantized: &mut QuantizedRows) {
        let (n, k) = (self.outputs, self.inputs);
        let rows = x.len() / k.max(1);
        debug_assert_eq!(out.len(), rows * n);
        if let Some(bias) = &self.bias {
            out.par_chunks_mut(n * ROWS_PER_TASK).for_each(|chunk| {
                for row in chunk.chunks_exact_mut(n) {
                    if residual {
                        row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
                    } else {
                        row.copy_from_slice(bias);
                    }
                }
            });
        }
        let accumulate = residual || self.bias.is_some();
        match &self.weight {
            Weight::F32(weight) => {
                let weight_t = Strided { data: weight, row_stride: 1, col_stride: k };
                let x = Strided { data: x, row_stride: k, col_stride: 1 };
                matmul(out, n, (rows, n, k), x, weight_t, accumulate, rayon::current_num_threads());
            }
            Weight::Int8(weight) => {
                quantized.quantize(x, k);
                int8::matmul(quantized, weight, out, accumulate);
            }
        }
    }
}

impl Norm {
    pub(super) fn new(norm: &LayerNorm) -> Result<Self> {
        if !norm.remove_mean() {
            bail!("an RMS norm where BERT has a layer norm");
        }
        let weight = values(norm.weight())?;
        let bias = norm.bias().map_or_else(|| Ok(vec![0.0; weight.len()]), values)?;
        Ok(Self { weight, bias, eps: norm.eps() as f32 })
    }

    /// Each row of `x` (rows of the norm's width) normalized in place.
    pub(super) fn apply(&self, x: &mut [f32]) {
        rows::layer_norm_rows(x, &self.weight, &self.bias, self.eps);
    }

    /// Each row of `x` normalized into the same row of `out` (as long as `x`).
    pub(super) fn apply_to(&self, x: &[f32], out: &mut [f32]) {
        out.copy_from_slice(x);
        self.apply(out);
    }
}

/// A model's limits on the texts it reads: its vocabulary, its positions (none: relative
/// positions only) and its token types.
pub(super) struct Limits {
    pub(super) vocab: usize,
    pub(super) positions: Option<usize>,
    pub(super) types: usize,
}

/// The tokens of `texts` one after another, each as (id, position in its text, type), with
/// `types[i]` as long as `texts[i]` (none given: all 0); an error naming the text (counted from
/// 1) that the model cannot read.
pub(super) fn packed_tokens(texts: &[&[u32]], types: &[&[u32]], limits: &Limits) -> Result<Vec<(usize, usize, usize)>> {
    let Limits { vocab, positions, types: type_count } = *limits;
    if !types.is_empty() && types.len() != texts.len() {
        bail!("{} texts with {} lists of token types", texts.len(), types.len());
    }
    let mut tokens = Vec::with_capacity(texts.iter().map(|t| t.len()).sum());
    for (i, text) in texts.iter().enumerate() {
        if let Some(positions) = positions.filter(|p| text.len() > *p) {
            bail!("text {} has {} tokens, more than the model's {positions} positions", i + 1, text.len());
        }
        if let Some(id) = text.iter().find(|id| **id as usize >= vocab) {
            bail!("text {} has token id {id}, outside the model's vocabulary of {vocab}", i + 1);
        }
        let text_types = types.get(i).copied().unwrap_or(&[]);
        if !types.is_empty() && text_types.len() != text.len() {
            bail!("text {} has {} tokens and {} token types", i + 1, text.len(), text_types.len());
        }
        if let Some(t) = text_types.iter().find(|t| **t as usize >= type_count) {
            bail!("text {} has token type {t}, where the model has {type_count}", i + 1);
        }
        tokens.extend(
            text.iter().enumerate().map(|(p, id)| (*id as usize, p, text_types.get(p).map_or(0, |t| *t as usize))),
        );
    }
    Ok(tokens)
}

/// `v` at `len` values (its contents are overwritten before they are read).
pub(super) fn resize(v: &mut Vec<f32>, len: usize) {
    v.truncate(len);
    v.resize(len, 0.0);
}

/// Whether a token attends to the tokens after it in its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mask {
    /// Every token of its text (BERT, an image's patches).
    None,
    /// Only itself and the tokens before it (CLIP's text tower).
    Causal,
}

/// `context = softmax(q k^T) v` for each text and head, reading queries, keys and values from the
/// rows of `qkv` (`(tokens, 3 hidden)`: query, key, value, each `heads` slices of `head_dim`)
/// and writing each head's slice of `context`'s rows (`(tokens, hidden)`). Texts run on rayon's
/// threads, heads one after another within a text. The query's scale is the caller's (folded
/// into its weights).
pub(super) fn attend(
    qkv: &[f32],
    context: &mut [f32],
    spans: &[(usize, usize)],
    (heads, head_dim): (usize, usize),
    mask: Mask,
) {
    attend_with(qkv, context, spans, (heads, head_dim), |scores, _, _, n| {
        if mask == Mask::Causal {
            for (i, scores) in scores.chunks_exact_mut(n).enumerate() {
                scores[i + 1..].fill(f32::NEG_INFINITY);
            }
        }
    });
}

/// [`attend`] over spans of `n` tokens each with an additive bias on the scores before the
/// softmax (a Swin window's relative position bias, and the shifted windows' mask): `bias` holds
/// `groups` tables of `heads x n x n`, and span `s` takes table `s % groups`.
pub(super) fn attend_biased(
    qkv: &[f32],
    context: &mut [f32],
    spans: &[(usize, usize)],
    (heads, head_dim): (usize, usize),
    (bias, groups): (&[f32], usize),
) {
    attend_with(qkv, context, spans, (heads, head_dim), |scores, s, h, n| {
        let at = ((s % groups.max(1)) * heads + h) * n * n;
        scores.iter_mut().zip(&bias[at..at + n * n]).for_each(|(v, b)| *v += b);
    });
}

/// The attention of [`attend`], `adjust(scores, span, head, n)` applied to each span's and head's
/// `n x n` scores before the softmax.
fn attend_with(
    qkv: &[f32],
    context: &mut [f32],
    spans: &[(usize, usize)],
    (heads, head_dim): (usize, usize),
    adjust: impl Fn(&mut [f32], usize, usize, usize) + Sync,
) {
    let hidden = heads * head_dim;
    let row = 3 * hidden;
    let mut parts = Vec::with_capacity(spans.len());
    let mut rest = context;
    for &(_, n) in spans {
        let (part, after) = rest.split_at_mut(n * hidden);
        parts.push(part);
        rest = after;
    }
    parts.into_par_iter().zip(spans).enumerate().for_each_init(Vec::new, |scores, (s, (context, &(from, n)))| {
        resize(scores, n * n);
        let text = &qkv[from * row..(from + n) * row];
        for h in 0..heads {
            let at = h * head_dim;
            let query = Strided { data: &text[at..], row_stride: row, col_stride: 1 };
            // k^T: element (i, j) is key j's value i.
            let keys_t = Strided { data: &text[hidden + at..], row_stride: 1, col_stride: row };
            matmul(scores, n, (n, n, head_dim), query, keys_t, false, 1);
            adjust(scores, s, h, n);
            rows::softmax_rows(scores, n);
            let probabilities = Strided { data: scores, row_stride: n, col_stride: 1 };
            let values = Strided { data: &text[2 * hidden + at..], row_stride: row, col_stride: 1 };
            matmul(&mut context[at..], hidden, (n, head_dim, n), probabilities, values, false, 1);
        }
    });
}

/// A matrix read from a slice: element `(i, j)` at `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy)]
pub(super) struct Strided<'a> {
    pub(super) data: &'a [f32],
    pub(super) row_stride: usize,
    pub(super) col_stride: usize,
}

impl Strided<'_> {
    /// Whether a `rows x cols` matrix lies within the slice.
    fn holds(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.row_stride + (cols - 1) * self.col_stride < self.data.len()
    }
}

/// `dst = lhs rhs` (or with `accumulate`, `dst += lhs rhs`) for `(m, n, k)`: `lhs` `m x k`, `rhs`
/// `k x n`, `dst` `m x n` with rows `dst_row` apart, by `gemm` on `threads` of rayon's threads.
///
/// # Panics
/// When a matrix does not lie within its slice (a bug in the caller).
#[allow(unsafe_code, reason = "gemm takes raw pointers and strides; the bounds are checked here")]
pub(super) fn matmul(
    dst: &mut [f32],
    dst_row: usize,
    (m, n, k): (usize, usize, usize),
    lhs: Strided,
    rhs: Strided,
    accumulate: bool,
    threads: usize,
) {
    let out = Strided { data: dst, row_stride: dst_row, col_stride: 1 };
    assert!(out.holds(m, n) && lhs.holds(m, k) && rhs.holds(k, n), "matmul: a matrix outside its slice");
    if m == 0 || n == 0 {
        return;
    }
    let parallelism = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    let stride = |s: usize| isize::try_from(s).expect("a stride within isize");
    // SAFETY: the assert above keeps every element gemm reads (lhs, rhs, and dst when it
    // accumulates) or writes (dst) within its slice; `dst` is borrowed mutably and the others
    // shared, so they do not overlap and nothing else touches `dst` meanwhile.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            stride(dst_row),
            accumulate,
            lhs.data.as_ptr(),
            stride(lhs.col_stride),
            stride(lhs.row_stride),
            rhs.data.as_ptr(),
            stride(rhs.col_stride),
            stride(rhs.row_stride),
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp, reason = "small integers and halves: every product and sum is exact in f32")]
    fn products_with_strides_and_accumulation() {
        // lhs 2x3 row-major, rhs 3x2 read transposed from a 2x3 row-major matrix.
        let lhs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let w = [1.0, 0.0, -1.0, 2.0, 1.0, 0.5];
        let mut dst = [10.0, 20.0, 0.0, 30.0, 40.0, 0.0];
        let l = Strided { data: &lhs, row_stride: 3, col_stride: 1 };
        let r = Strided { data: &w, row_stride: 1, col_stride: 3 };
        matmul(&mut dst, 3, (2, 2, 3), l, r, true, 1);
        // x W^T: [1*1+3*-1, 2+2+1.5; 4-6, 8+5+3] = [-2, 5.5; -2, 16], added to 10, 20 / 30, 40.
        assert_eq!(dst, [8.0, 25.5, 0.0, 28.0, 56.0, 0.0]);
        matmul(&mut dst, 3, (2, 2, 3), l, r, false, 1);
        assert_eq!(dst, [-2.0, 5.5, 0.0, -2.0, 16.0, 0.0]);
    }
}
