//! `SigLIP`'s towers on the CPU in f32 over plain buffers, with `clip_packed`'s layers and patch
//! embedding (`SigLIP`'s layers are CLIP's, named alike, with GELU's tanh form), loaded by name
//! from its weights. The text tower runs without a mask over texts padded to the model's length
//! (as `SigLIP` was trained and reads them), pooled at the last position and projected by its
//! head; the vision tower has no class token: every token is normalized, then the
//! attention-pooling head lets a learned probe attend over the image's tokens (`PyTorch`'s
//! `nn.MultiheadAttention`), followed by a residual MLP. The arithmetic is candle-transformers'
//! `siglip::Model`'s (which a GPU runs), and the tests hold the two together.

use super::clip_net::{self, Activation, TowerSize};
use super::clip_packed::{PackedText, PackedVision, Pool, Stack, bias_activation};
use super::plain::{Dense, Mask, Norm, Precision, Work, resize, values};
use candle_core::Result;
use candle_nn::VarBuilder;
use candle_transformers::models::siglip::{Config, TextConfig, VisionConfig};
use rayon::prelude::*;

/// The vision tower's attention-pooling head.
pub struct ProbeHead {
    /// The probe's query, projected, scaled by `1/sqrt(head width)`: `(width)`.
    query: Vec<f32>,
    /// The keys' and values' projections, joined: `(2 width, width)`.
    key_value: Dense,
    out: Dense,
    norm: Norm,
    /// The MLP's first projection without its bias (added with the activation).
    fc1: Dense,
    fc1_bias: Vec<f32>,
    fc2: Dense,
    act: Activation,
}

/// The activations the CPU towers run, by candle's name for them; others stay on candle's path.
fn activation(act: candle_nn::Activation) -> Option<Activation> {
    match act {
        candle_nn::Activation::GeluPytorchTanh | candle_nn::Activation::NewGelu => Some(Activation::GeluTanh),
        candle_nn::Activation::Gelu => Some(Activation::Gelu),
        _ => None,
    }
}

/// Both towers of the `SigLIP` under `vb` (a `SiglipModel`'s weights on the CPU in f32), their
/// layers' products in `precision`, or `None` where a tower's activation is one the CPU towers do
/// not run.
pub fn load(vb: &VarBuilder, config: &Config, precision: Precision) -> Result<Option<(PackedText, PackedVision)>> {
    let (Some(text_act), Some(vision_act)) =
        (activation(config.text_config.hidden_act), activation(config.vision_config.hidden_act))
    else {
        return Ok(None);
    };
    let text = text(&vb.pp("text_model"), &config.text_config, text_act, precision)?;
    Ok(Some((text, vision(&vb.pp("vision_model"), &config.vision_config, vision_act, precision)?)))
}

fn text(t: &VarBuilder, c: &TextConfig, act: Activation, precision: Precision) -> Result<PackedText> {
    let w = c.hidden_size;
    let size = TowerSize {
        width: w,
        inner: c.intermediate_size,
        layers: c.num_hidden_layers,
        heads: c.num_attention_heads,
        eps: c.layer_norm_eps,
        act,
    };
    let e = t.pp("embeddings");
    Ok(PackedText {
        tokens: values(&e.pp("token_embedding").get((c.vocab_size, w), "weight")?)?,
        positions: values(&e.pp("position_embedding").get((c.max_position_embeddings, w), "weight")?)?,
        stack: Stack::new(&clip_net::layers(t, size)?, w, precision)?,
        mask: Mask::None,
        final_norm: Norm::new(&candle_nn::layer_norm(w, c.layer_norm_eps, t.pp("final_layer_norm"))?)?,
        projection: Dense::new(&candle_nn::linear(w, w, t.pp("head"))?, Precision::F32)?,
    })
}

fn vision(tower: &VarBuilder, c: &VisionConfig, act: Activation, precision: Precision) -> Result<PackedVision> {
    let (w, patch, channels) = (c.hidden_size, c.patch_size, c.num_channels);
    let size = TowerSize {
        width: w,
        inner: c.intermediate_size,
        layers: c.num_hidden_layers,
        heads: c.num_attention_heads,
        eps: c.layer_norm_eps,
        act,
    };
    let grid = c.image_size / patch.max(1);
    let embeddings = tower.pp("embeddings");
    let conv = embeddings.pp("patch_embedding");
    let patch_embedding = Dense::from_weight(
        values(&conv.get((w, channels, patch, patch), "weight")?)?,
        Some(values(&conv.get(w, "bias")?)?),
        (w, channels * patch * patch),
        Precision::F32,
    );
    let norm = Norm::new(&candle_nn::layer_norm(w, c.layer_norm_eps, tower.pp("post_layernorm"))?)?;
    Ok(PackedVision {
        patch_embedding,
        channels,
        patch,
        grid,
        class: None,
        positions: values(&embeddings.pp("position_embedding").get((grid * grid, w), "weight")?)?,
        pre_norm: None,
        stack: Stack::new(&clip_net::layers(tower, size)?, w, precision)?,
        pool: Pool::Probe { norm, head: Box::new(ProbeHead::load(&tower.pp("head"), size)?) },
    })
}

impl ProbeHead {
    fn load(h: &VarBuilder, size: TowerSize) -> Result<Self> {
        let TowerSize { width: w, inner, heads, eps, act, .. } = size;
        let attention = h.pp("attention");
        let in_weight = values(&attention.get((3 * w, w), "in_proj_weight")?)?;
        let in_bias = values(&attention.get(3 * w, "in_proj_bias")?)?;
        let probe = values(&h.get((1, 1, w), "probe")?)?;
        let scale = 1.0 / ((w / heads.max(1)).max(1) as f32).sqrt();
        let query = (0..w)
            .map(|o| {
                let row = &in_weight[o * w..(o + 1) * w];
                (row.iter().zip(&probe).map(|(a, b)| a * b).sum::<f32>() + in_bias[o]) * scale
            })
            .collect();
        let key_value =
            Dense::from_weight(in_weight[w * w..].to_vec(), Some(in_bias[w..].to_vec()), (2 * w, w), Precision::F32);
        let mlp = h.pp("mlp");
        let fc1 = candle_nn::linear(w, inner, mlp.pp("fc1"))?;
        let fc1_bias = fc1.bias().map_or_else(|| Ok(vec![0.0; inner]), values)?;
        Ok(Self {
            query,
            key_value,
            out: Dense::new(&candle_nn::linear(w, w, attention.pp("out_proj"))?, Precision::F32)?,
            norm: Norm::new(&candle_nn::layer_norm(w, eps, h.pp("layernorm"))?)?,
            fc1: Dense::from_weight(values(fc1.weight())?, None, (inner, w), Precision::F32),
            fc1_bias,
            fc2: Dense::new(&candle_nn::linear(inner, w, mlp.pp("fc2"))?, Precision::F32)?,
            act,
        })
    }

    /// The width of its output.
    pub(super) fn outputs(&self) -> usize {
        self.out.outputs
    }

    /// Each image's embedding from its tokens (`x`: `images` runs of equally many token rows,
    /// normalized), `(images, width)` row by row.
    pub(super) fn forward(&self, x: &[f32], images: usize, heads: usize, work: &mut Work) -> Vec<f32> {
        let w = self.out.outputs;
        let tokens = x.len() / (w * images).max(1);
        let head_width = w / heads.max(1);
        let Work { qkv: kv, context, up, quantized, .. } = work;
        resize(kv, x.len() * 2);
        self.key_value.apply(x, kv, false, quantized);
        // The probe attends over each image's tokens, head by head.
        resize(context, images * w);
        context.par_chunks_mut(w).enumerate().for_each(|(image, context)| {
            let rows = &kv[image * tokens * 2 * w..(image + 1) * tokens * 2 * w];
            let mut scores = vec![0f32; tokens];
            for h in 0..heads {
                let at = h * head_width;
                let query = &self.query[at..at + head_width];
                for (score, row) in scores.iter_mut().zip(rows.chunks_exact(2 * w)) {
                    *score = query.iter().zip(&row[at..at + head_width]).map(|(a, b)| a * b).sum();
                }
                verdict_kernels::rows::softmax_rows(&mut scores, tokens);
                let out = &mut context[at..at + head_width];
                out.fill(0.0);
                for (p, row) in scores.iter().zip(rows.chunks_exact(2 * w)) {
                    for (o, v) in out.iter_mut().zip(&row[w + at..w + at + head_width]) {
                        *o += p * v;
                    }
                }
            }
        });
        let mut pooled = vec![0f32; images * w];
        self.out.apply(context, &mut pooled, false, quantized);
        // pooled += mlp(norm(pooled)).
        let mut normed = pooled.clone();
        self.norm.apply(&mut normed);
        resize(up, images * self.fc1.outputs);
        self.fc1.apply(&normed, up, false, quantized);
        bias_activation(self.act, up, &self.fc1_bias);
        self.fc2.apply(up, &mut pooled, true, quantized);
        pooled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Tensor};
    use candle_nn::VarMap;
    use candle_transformers::models::siglip;

    fn config() -> Config {
        let text_config = TextConfig {
            vocab_size: 60,
            hidden_size: 32,
            intermediate_size: 64,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            max_position_embeddings: 8,
            hidden_act: candle_nn::Activation::GeluPytorchTanh,
            layer_norm_eps: 1e-6,
            pad_token_id: 1,
            bos_token_id: 49406,
            eos_token_id: 49407,
        };
        let vision_config = VisionConfig {
            hidden_size: 32,
            intermediate_size: 64,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            num_channels: 3,
            image_size: 12,
            patch_size: 4,
            hidden_act: candle_nn::Activation::GeluPytorchTanh,
            layer_norm_eps: 1e-6,
        };
        Config { text_config, vision_config }
    }

    fn worst(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max)
    }

    #[test]
    fn the_cpu_towers_give_what_candles_siglip_gives() -> Result<()> {
        let config = config();
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        // Candle's model creates every variable (VarBuilder::get makes some zeros), then all are
        // made random and both are loaded from them.
        siglip::Model::new(&config, vb.clone())?;
        for var in map.all_vars() {
            var.set(&Tensor::randn(0f32, 0.2, var.shape(), &Device::Cpu)?)?;
        }
        let theirs = siglip::Model::new(&config, vb.clone())?;
        let (text, vision) = load(&vb, &config, Precision::F32)?.expect("GELU's tanh form runs on the CPU towers");
        // Texts padded to the model's 8 positions with its pad token.
        let texts: [&[u32]; 3] = [&[5, 9, 3, 7, 2, 1, 1, 1], &[4, 8, 2, 1, 1, 1, 1, 1], &[6, 1, 9, 2, 3, 4, 5, 7]];
        let got = text.forward(&texts)?;
        let ids = Tensor::from_vec(texts.concat(), (3, 8), &Device::Cpu)?;
        let want = theirs.get_text_features(&ids)?.flatten_all()?.to_vec1::<f32>()?;
        assert!(worst(&got, &want) < 1e-5, "texts: {}", worst(&got, &want));
        assert!(worst(&got[..32], &got[32..64]) > 0.01, "random weights give texts their own embeddings");
        let pixels: Vec<f32> = (0..2 * 3 * 12 * 12).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
        let got = vision.forward(&pixels)?;
        let want = theirs.get_image_features(&Tensor::from_vec(pixels, (2, 3, 12, 12), &Device::Cpu)?)?;
        let want = want.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(vision.outputs(), 32);
        assert!(worst(&got, &want) < 1e-5, "images: {}", worst(&got, &want));
        assert!(worst(&got[..32], &got[32..]) > 0.01, "random weights give images their own embeddings");
        Ok(())
    }

    #[test]
    fn activations_the_cpu_towers_do_not_run_leave_the_model_to_candle() -> Result<()> {
        let mut config = config();
        config.vision_config.hidden_act = candle_nn::Activation::Silu;
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        assert!(load(&vb, &config, Precision::F32)?.is_none());
        Ok(())
    }
}
