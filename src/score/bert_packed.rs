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
pub use super::plain::Precision;
use super::plain::{Dense, Limits, Mask, Norm, ROWS_PER_TASK, Work, attend, packed_tokens, resize, values};
use candle_core::Result;
use candle_transformers::models::bert::HiddenAct;
use rayon::prelude::*;
use std::sync::Mutex;
use verdict_kernels::rows::{self, Act};

/// The encoder's weights as plain f32 vectors, and buffers kept from pass to pass.
pub struct PackedBert {
    /// `(vocab, hidden)`.
    word: Vec<f32>,
    /// `(positions, hidden)`: the position embeddings with token type 0's added.
    position_and_type: Vec<f32>,
    /// `(types - 1, hidden)`: each further token type's embedding less type 0's.
    type_deltas: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    head_dim: usize,
    precision: Precision,
    buffers: Mutex<Buffers>,
}

/// The layers' buffers and the hidden states, kept from pass to pass (a fresh one costs its pages'
/// first touch every pass).
#[derive(Default)]
struct Buffers {
    work: Work,
    states: Vec<f32>,
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

impl PackedBert {
    /// The weights of `encoder` (on any device, in any dtype), copied to the CPU in f32, its linear
    /// layers' quantized for `precision`.
    pub fn new(encoder: &BertEncoder, precision: Precision) -> Result<Self> {
        let e = &encoder.embeddings;
        let word = e.word.embeddings();
        let (_, hidden) = word.dims2()?;
        let types = e.token_type.embeddings();
        let token_type = types.get(0)?;
        // RoBERTa's positions start past the padding's: a text's first token reads that row.
        let positions = e.position.embeddings();
        let first = (encoder.first_position as usize).min(positions.dim(0)?);
        let positions = positions.narrow(0, first, positions.dim(0)? - first)?;
        let position_and_type = values(&positions.broadcast_add(&token_type)?)?;
        let further = types.dim(0)?.saturating_sub(1);
        let type_deltas = values(&types.narrow(0, 1, further)?.broadcast_sub(&token_type)?)?;
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
            type_deltas,
            norm: Norm::new(&e.norm)?,
            layers,
            hidden,
            heads: encoder.heads,
            head_dim: encoder.head_dim,
            precision,
            buffers: Mutex::new(Buffers::default()),
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
    #[cfg(test)]
    pub fn forward(&self, texts: &[&[u32]]) -> Result<Vec<f32>> {
        self.forward_with(texts, <[f32]>::to_vec)
    }

    /// What `read` makes of the last hidden states of `texts`, as [`Self::forward`] gives them,
    /// read where they lie (their buffer is kept for the next pass).
    pub fn forward_with<R>(&self, texts: &[&[u32]], read: impl FnOnce(&[f32]) -> R) -> Result<R> {
        self.forward_typed_with(texts, &[], read)
    }

    /// [`Self::forward_with`] with each text's token types (`types[i]` as long as `texts[i]`; none
    /// given: all 0), as a pair encoding gives them to a cross-encoder.
    pub fn forward_typed_with<R>(
        &self,
        texts: &[&[u32]],
        types: &[&[u32]],
        read: impl FnOnce(&[f32]) -> R,
    ) -> Result<R> {
        let h = self.hidden;
        let limits = Limits {
            vocab: self.word.len() / h,
            positions: Some(self.position_and_type.len() / h),
            types: self.type_deltas.len() / h + 1,
        };
        let tokens = packed_tokens(texts, types, &limits)?;
        let mut buffers = self.buffers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Buffers { work, states: x } = &mut *buffers;
        resize(x, tokens.len() * h);
        x.par_chunks_mut(h).zip(&tokens).with_min_len(ROWS_PER_TASK).for_each(|(row, &(id, p, t))| {
            let (w, pt) = (&self.word[id * h..(id + 1) * h], &self.position_and_type[p * h..(p + 1) * h]);
            for ((v, a), b) in row.iter_mut().zip(w).zip(pt) {
                *v = a + b;
            }
            if t > 0 {
                for (v, d) in row.iter_mut().zip(&self.type_deltas[(t - 1) * h..t * h]) {
                    *v += d;
                }
            }
        });
        self.norm.apply(x);
        let spans: Vec<(usize, usize)> =
            texts.iter().scan(0, |at, t| Some((std::mem::replace(at, *at + t.len()), t.len()))).collect();
        for layer in &self.layers {
            layer.forward(x, &spans, self.heads, self.head_dim, work);
        }
        Ok(read(x))
    }
}

impl Layer {
    /// One layer over the packed tokens `x` (`(tokens, hidden)`, in place); `spans` are the texts'
    /// first token and length.
    fn forward(&self, x: &mut [f32], spans: &[(usize, usize)], heads: usize, head_dim: usize, work: &mut Work) {
        let hidden = heads * head_dim;
        let tokens = x.len() / hidden.max(1);
        let Work { qkv, context, up, quantized, .. } = work;
        resize(qkv, tokens * 3 * hidden);
        resize(context, tokens * hidden);
        resize(up, tokens * self.up.outputs);
        self.qkv.apply(x, qkv, false, quantized);
        attend(qkv, context, spans, (heads, head_dim), Mask::None);
        self.attention_out.apply(context, x, true, quantized);
        self.attention_norm.apply(x);
        self.up.apply(x, up, false, quantized);
        let act = match self.act {
            HiddenAct::Gelu => Act::Gelu,
            HiddenAct::GeluApproximate => Act::GeluTanh,
            HiddenAct::Relu => Act::Relu,
        };
        rows::bias_act_rows(up, &self.up_bias, act);
        self.down.apply(up, x, true, quantized);
        self.norm.apply(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::bert::tests::{random_bert, small_config};
    use candle_core::{DType, Device, Tensor};
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
    fn token_types_give_what_the_padded_encoder_gives_with_them() -> Result<()> {
        let (config, encoder, packed) = small(Precision::F32)?;
        // Pairs as a cross-encoder reads them: the second segment's tokens of type 1.
        let texts: [&[u32]; 2] = [&[1, 5, 9, 2, 7, 3, 2], &[4, 8, 2, 6, 2]];
        let types: [&[u32]; 2] = [&[0, 0, 0, 0, 1, 1, 1], &[0, 0, 0, 1, 1]];
        let h = config.hidden_size;
        let states = packed.forward_typed_with(&texts, &types, <[f32]>::to_vec)?;
        let untyped = packed.forward(&texts)?;
        let mut at = 0;
        for (text, t) in texts.iter().zip(types) {
            let n = text.len();
            let ids = Tensor::from_vec(text.to_vec(), (1, n), &Device::Cpu)?;
            let kinds = Tensor::from_vec(t.to_vec(), (1, n), &Device::Cpu)?;
            let want = encoder.forward(&ids, &kinds, &ids.ones_like()?)?.flatten_all()?.to_vec1::<f32>()?;
            let got = &states[at * h..(at + n) * h];
            let diff = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(diff < 1e-5, "text at token {at}: {diff}");
            let moved = got.iter().zip(&untyped[at * h..(at + n) * h]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(moved > 1e-3, "the token types change the states");
            at += n;
        }
        let err = packed.forward_typed_with(&texts, &[&[0, 1], &[0; 5]], <[f32]>::len).expect_err("too few types");
        assert!(err.to_string().contains("text 1 has 7 tokens and 2 token types"), "{err}");
        let err = packed.forward_typed_with(&texts[..1], &[&[0, 0, 0, 0, 2, 2, 2]], <[f32]>::len).expect_err("type 2");
        assert!(err.to_string().contains("token type 2, where the model has 2"), "{err}");
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
}
