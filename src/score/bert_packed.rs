//! A BERT-family encoder's forward pass on the CPU in f32, over plain buffers: the texts' tokens
//! packed one after another without padding, every projection one matrix product over all of
//! them (`gemm`, the kernels candle's own CPU matrix products use) with its bias and residual
//! added in the same product, attention text by text on rayon's threads straight from the
//! projections' rows, and layer norm, GELU and softmax as one in-place pass each.
//!
//! Candle's tensors cost a forward pass a fresh zeroed allocation per operation, a copy per
//! reshape of the heads, a pass per bias and residual added, and single-threaded stretches
//! (`perf` on the scoring benchmark: a third of the time besides the matrix products, and the
//! cores idle a quarter of it). Here the intermediate buffers are kept from pass to pass and
//! nothing is copied. Built from a loaded [`BertEncoder`] (which keeps the padded, masked path a
//! GPU wants) and gives what it gives within float rounding (tests below).

use super::bert::BertEncoder;
use super::cpu_ops;
use super::int8::{self, QuantizedRows, QuantizedWeight};
use candle_core::{DType, Result, Tensor, bail};
use candle_nn::LayerNorm;
use candle_transformers::models::bert::HiddenAct;
use rayon::prelude::*;
use std::sync::Mutex;

/// Rows a rayon task takes at least in the row-wise passes (norms, bias fills).
const ROWS_PER_TASK: usize = 32;

/// The encoder's weights as plain f32 vectors, and buffers kept from pass to pass.
pub struct PackedBert {
    /// `(vocab, hidden)`.
    word: Vec<f32>,
    /// `(positions, hidden)`: the position embeddings with token type 0's added.
    position_and_type: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    head_dim: usize,
    precision: Precision,
    work: Mutex<Work>,
}

/// A linear layer: `y = x W^T + b`, `W` of shape `(outputs, inputs)` as stored, or quantized.
struct Dense {
    weight: Weight,
    bias: Option<Vec<f32>>,
    inputs: usize,
    outputs: usize,
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
    /// [`int8`]): about twice as fast on a CPU with AVX-512 VNNI, embeddings within about 1 % of
    /// f32's.
    Int8,
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

struct Layer {
    qkv: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    up: Dense,
    up_bias: Vec<f32>,
    act: HiddenAct,
    down: Dense,
    norm: Norm,
}

/// A pass's intermediate buffers: `(tokens, 3 hidden)`, `(tokens, hidden)`, `(tokens,
/// intermediate)`, and a product's input quantized (in int8).
#[derive(Default)]
struct Work {
    qkv: Vec<f32>,
    context: Vec<f32>,
    up: Vec<f32>,
    quantized: QuantizedRows,
}

fn values(t: &Tensor) -> Result<Vec<f32>> {
    t.to_dtype(DType::F32)?.flatten_all()?.to_vec1()
}

impl PackedBert {
    /// The weights of `encoder` (on any device, in any dtype), copied to the CPU in f32, its linear
    /// layers' quantized for `precision`.
    pub fn new(encoder: &BertEncoder, precision: Precision) -> Result<Self> {
        let e = &encoder.embeddings;
        let word = e.word.embeddings();
        let (_, hidden) = word.dims2()?;
        let token_type = e.token_type.embeddings().get(0)?;
        let position_and_type = values(&e.position.embeddings().broadcast_add(&token_type)?)?;
        let layers = encoder
            .layers
            .iter()
            .map(|l| {
                Ok(Layer {
                    qkv: Dense::new(&l.qkv, precision)?,
                    attention_out: Dense::new(&l.attention_out, precision)?,
                    attention_norm: Norm::new(&l.attention_norm)?,
                    up: Dense::new(&l.up, precision)?,
                    up_bias: values(&l.up_bias)?,
                    act: l.act,
                    down: Dense::new(&l.down, precision)?,
                    norm: Norm::new(&l.norm)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            word: values(word)?,
            position_and_type,
            norm: Norm::new(&e.norm)?,
            layers,
            hidden,
            heads: encoder.heads,
            head_dim: encoder.head_dim,
            precision,
            work: Mutex::new(Work::default()),
        })
    }

    /// The precision of its matrix products.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The width of its hidden states (a token's row in [`Self::forward`]'s output).
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The last hidden states of `texts` (each its token ids, no padding) one after another,
    /// `(total tokens, hidden)` row by row. Token types are all 0.
    pub fn forward(&self, texts: &[&[u32]]) -> Result<Vec<f32>> {
        let h = self.hidden;
        let (vocab, positions) = (self.word.len() / h, self.position_and_type.len() / h);
        let mut tokens = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            if text.len() > positions {
                bail!("text {} has {} tokens, more than the model's {positions} positions", i + 1, text.len());
            }
            if let Some(id) = text.iter().find(|id| **id as usize >= vocab) {
                bail!("text {} has token id {id}, outside the model's vocabulary of {vocab}", i + 1);
            }
            tokens.extend(text.iter().enumerate().map(|(p, id)| (*id as usize, p)));
        }
        let mut x = vec![0f32; tokens.len() * h];
        x.par_chunks_mut(h).zip(&tokens).with_min_len(ROWS_PER_TASK).for_each(|(row, &(id, p))| {
            let (w, pt) = (&self.word[id * h..(id + 1) * h], &self.position_and_type[p * h..(p + 1) * h]);
            for ((v, a), b) in row.iter_mut().zip(w).zip(pt) {
                *v = a + b;
            }
        });
        self.norm.apply(&mut x);
        let spans: Vec<(usize, usize)> =
            texts.iter().scan(0, |at, t| Some((std::mem::replace(at, *at + t.len()), t.len()))).collect();
        let mut work = self.work.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for layer in &self.layers {
            layer.forward(&mut x, &spans, self.heads, self.head_dim, &mut work);
        }
        Ok(x)
    }
}

impl Dense {
    fn new(linear: &candle_nn::Linear, precision: Precision) -> Result<Self> {
        let (outputs, inputs) = linear.weight().dims2()?;
        let bias = linear.bias().map(values).transpose()?;
        let weight = values(linear.weight())?;
        let weight = match precision {
            Precision::F32 => Weight::F32(weight),
            Precision::Int8 => Weight::Int8(QuantizedWeight::new(&weight, outputs, inputs)),
        };
        Ok(Self { weight, bias, inputs, outputs })
    }

    /// `out = x W^T + b`, or with `residual` `out += x W^T + b`; `x` rows of `inputs` values,
    /// `out` as many rows of `outputs`; `quantized` holds `x` quantized when the weight is.
    fn apply(&self, x: &[f32], out: &mut [f32], residual: bool, quantized: &mut QuantizedRows) {
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
    fn new(norm: &LayerNorm) -> Result<Self> {
        if !norm.remove_mean() {
            bail!("an RMS norm where BERT has a layer norm");
        }
        let weight = values(norm.weight())?;
        let bias = norm.bias().map_or_else(|| Ok(vec![0.0; weight.len()]), values)?;
        Ok(Self { weight, bias, eps: norm.eps() as f32 })
    }

    /// Each row of `x` (rows of the norm's width) normalized in place.
    fn apply(&self, x: &mut [f32]) {
        let n = self.weight.len().max(1);
        x.par_chunks_mut(n * ROWS_PER_TASK).for_each(|rows| pulp::Arch::new().dispatch(NormRows { rows, norm: self }));
    }
}

struct NormRows<'a> {
    rows: &'a mut [f32],
    norm: &'a Norm,
}

impl pulp::WithSimd for NormRows<'_> {
    type Output = ();

    #[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Norm { weight, bias, eps } = self.norm;
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

/// The sum of `f(v)` over `row`, kept in [`cpu_ops::LANES`] partial sums (so that it vectorizes).
#[allow(clippy::inline_always, reason = "inlined into pulp's function compiled for the CPU's vector extensions")]
#[inline(always)]
fn lane_sum(row: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0f32; cpu_ops::LANES];
    let mut chunks = row.chunks_exact(cpu_ops::LANES);
    for c in &mut chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += f(*v);
        }
    }
    chunks.remainder().iter().map(|v| f(*v)).sum::<f32>() + lanes.iter().sum::<f32>()
}

impl Layer {
    /// One layer over the packed tokens `x` (`(tokens, hidden)`, in place); `spans` are the texts'
    /// first token and length.
    fn forward(&self, x: &mut [f32], spans: &[(usize, usize)], heads: usize, head_dim: usize, work: &mut Work) {
        let hidden = heads * head_dim;
        let tokens = x.len() / hidden.max(1);
        let Work { qkv, context, up, quantized } = work;
        resize(qkv, tokens * 3 * hidden);
        resize(context, tokens * hidden);
        resize(up, tokens * self.up.outputs);
        self.qkv.apply(x, qkv, false, quantized);
        attend(qkv, context, spans, heads, head_dim);
        self.attention_out.apply(context, x, true, quantized);
        self.attention_norm.apply(x);
        self.up.apply(x, up, false, quantized);
        match self.act {
            HiddenAct::Gelu => cpu_ops::bias_gelu_rows(up, &self.up_bias),
            HiddenAct::GeluApproximate => bias_rows(up, &self.up_bias, |v| {
                0.5 * v * (1.0 + ((2.0 / std::f32::consts::PI).sqrt() * (v + 0.044_715 * v * v * v)).tanh())
            }),
            HiddenAct::Relu => bias_rows(up, &self.up_bias, |v| v.max(0.0)),
        }
        self.down.apply(up, x, true, quantized);
        self.norm.apply(x);
    }
}

/// `x = f(x + bias)` over rows of `bias.len()` values.
fn bias_rows(x: &mut [f32], bias: &[f32], f: impl Fn(f32) -> f32 + Sync) {
    let n = bias.len().max(1);
    x.par_chunks_mut(n * ROWS_PER_TASK).for_each(|rows| {
        for row in rows.chunks_exact_mut(n) {
            row.iter_mut().zip(bias).for_each(|(v, b)| *v = f(*v + b));
        }
    });
}

/// `v` at `len` values (its contents are overwritten before they are read).
fn resize(v: &mut Vec<f32>, len: usize) {
    v.truncate(len);
    v.resize(len, 0.0);
}

/// `context = softmax(q k^T) v` for each text and head, reading queries, keys and values from the
/// rows of `qkv` (`(tokens, 3 hidden)`: query, key, value, each `heads` slices of `head_dim`)
/// and writing each head's slice of `context`'s rows (`(tokens, hidden)`). Texts run on rayon's
/// threads, heads one after another within a text.
fn attend(qkv: &[f32], context: &mut [f32], spans: &[(usize, usize)], heads: usize, head_dim: usize) {
    let hidden = heads * head_dim;
    let row = 3 * hidden;
    let mut parts = Vec::with_capacity(spans.len());
    let mut rest = context;
    for &(_, n) in spans {
        let (part, after) = rest.split_at_mut(n * hidden);
        parts.push(part);
        rest = after;
    }
    parts.into_par_iter().zip(spans).for_each_init(Vec::new, |scores, (context, &(from, n))| {
        resize(scores, n * n);
        let text = &qkv[from * row..(from + n) * row];
        for h in 0..heads {
            let at = h * head_dim;
            let query = Strided { data: &text[at..], row_stride: row, col_stride: 1 };
            // k^T: element (i, j) is key j's value i.
            let keys_t = Strided { data: &text[hidden + at..], row_stride: 1, col_stride: row };
            matmul(scores, n, (n, n, head_dim), query, keys_t, false, 1);
            cpu_ops::softmax_rows(scores, n);
            let probabilities = Strided { data: scores, row_stride: n, col_stride: 1 };
            let values = Strided { data: &text[2 * hidden + at..], row_stride: row, col_stride: 1 };
            matmul(&mut context[at..], hidden, (n, head_dim, n), probabilities, values, false, 1);
        }
    });
}

/// A matrix read from a slice: element `(i, j)` at `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy)]
struct Strided<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
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
fn matmul(
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
    use crate::score::bert::tests::{random_bert, small_config};
    use candle_core::Device;
    use candle_nn::VarBuilder;
    use candle_transformers::models::bert::Config;

    /// `bert`'s small random encoder, and the same laid out here in `precision`.
    fn small(precision: Precision) -> Result<(Config, BertEncoder, PackedBert)> {
        let config = small_config();
        let map = random_bert(&config);
        let encoder = BertEncoder::load(VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu), &config)?;
        let packed = PackedBert::new(&encoder, precision)?;
        Ok((config, encoder, packed))
    }

    #[test]
    fn packed_texts_give_what_the_padded_masked_encoder_gives() -> Result<()> {
        let (config, encoder, packed) = small(Precision::F32)?;
        let texts: [&[u32]; 4] = [&[1, 5, 9, 3, 7, 2], &[4, 8, 2], &[6, 1, 1, 9, 2, 3, 4, 5, 7], &[3]];
        let h = config.hidden_size;
        // Twice: the second pass reuses (shorter) buffers the first grew.
        for texts in [&texts[..], &texts[1..2]] {
            let states = packed.forward(texts)?;
            assert_eq!(states.len(), texts.iter().map(|t| t.len()).sum::<usize>() * h);
            let mut at = 0;
            for text in texts {
                // Each text padded to 9 tokens, beside the longest: the same states.
                let n = text.len();
                let mut padded = text.to_vec();
                padded.resize(9, 0);
                let mask: Vec<u32> = (0..9).map(|i| u32::from(i < n)).collect();
                let ids =
                    Tensor::from_vec([padded.as_slice(), &[6, 1, 1, 9, 2, 3, 4, 5, 7]].concat(), (2, 9), &Device::Cpu)?;
                let mask = Tensor::from_vec([mask.as_slice(), &[1; 9]].concat(), (2, 9), &Device::Cpu)?;
                let want = encoder.forward(&ids, &ids.zeros_like()?, &mask)?.get(0)?.narrow(0, 0, n)?;
                let want = want.flatten_all()?.to_vec1::<f32>()?;
                let got = &states[at * h..(at + n) * h];
                let diff = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                assert!(diff < 1e-5, "text at token {at}: {diff}");
                at += n;
            }
        }
        Ok(())
    }

    #[test]
    fn token_ids_and_lengths_the_model_cannot_take_are_errors() -> Result<()> {
        let (config, _, packed) = small(Precision::F32)?;
        let err = packed.forward(&[&[1, 2], &[3, 50]]).expect_err("id 50 is past the vocabulary");
        assert!(err.to_string().contains("text 2 has token id 50"), "{err}");
        let long = vec![1u32; config.max_position_embeddings + 1];
        let err = packed.forward(&[&long]).expect_err("more tokens than positions");
        assert!(err.to_string().contains("41 tokens"), "{err}");
        assert!(packed.forward(&[])?.is_empty());
        Ok(())
    }

    #[test]
    fn int8_states_stay_close_to_f32_ones() -> Result<()> {
        // The same weights laid out both ways.
        let (_, encoder, exact) = small(Precision::F32)?;
        let int8 = PackedBert::new(&encoder, Precision::Int8)?;
        assert_eq!(int8.precision(), Precision::Int8);
        let texts: [&[u32]; 3] = [&[1, 5, 9, 3, 7, 2], &[4, 8, 2], &[6, 1, 1, 9, 2, 3, 4, 5, 7]];
        let (a, b) = (exact.forward(&texts)?, int8.forward(&texts)?);
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.chunks(exact.hidden()).zip(b.chunks(int8.hidden())).enumerate() {
            let dot: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
            let norms = x.iter().map(|p| p * p).sum::<f32>().sqrt() * y.iter().map(|q| q * q).sum::<f32>().sqrt();
            assert!(dot / norms > 0.99, "token {i}: cosine {} between int8 and f32 states", dot / norms);
            let moved = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
            assert!(moved > 0.0, "token {i}: int8 gave f32's states exactly: not quantized");
        }
        Ok(())
    }

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
