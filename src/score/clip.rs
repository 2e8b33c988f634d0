//! CLIP (`CLIPModel`) with candle: the text tower pooled at each text's end-of-text token (as
//! transformers does), the vision tower at its class token, each projected and L2-normalized.
//! Texts are cut at the model's `max_position_embeddings` (77 for `OpenAI`'s CLIP) by the
//! tokenizer, end-of-text kept.

use super::folder::ModelFolder;
use super::image_text::{TextImageModel, inference, model_error};
use super::preprocess::Preprocess;
use super::{Result, ScoreError};
use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_transformers::models::clip::text_model::{Activation, ClipTextConfig, ClipTextTransformer};
use candle_transformers::models::clip::vision_model::{ClipVisionConfig, ClipVisionTransformer};
use tokenizers::{Tokenizer, TruncationParams};

/// A CLIP model on a device.
pub struct Clip {
    text: ClipTextTransformer,
    vision: ClipVisionTransformer,
    text_projection: candle_nn::Linear,
    visual_projection: candle_nn::Linear,
    tokenizer: Tokenizer,
    pad_id: u32,
    max_tokens: usize,
    image_size: usize,
    preprocess: Preprocess,
    device: Device,
}

fn usize_of(c: &serde_json::Value, key: &str, default: usize) -> usize {
    c[key].as_u64().map_or(default, |n| n as usize)
}

impl Clip {
    /// Loads the CLIP model of `folder` (its weights already read) onto `device`.
    pub fn load(folder: &ModelFolder, weights: Vec<u8>, device: Device) -> Result<Self> {
        let config_path = folder.dir.join("config.json");
        let c = &folder.config;
        let (t, v) = (&c["text_config"], &c["vision_config"]);
        for (part, key) in [(t, "text_config"), (v, "vision_config")] {
            let act = part["hidden_act"].as_str().unwrap_or("quick_gelu");
            if act != "quick_gelu" {
                return Err(ScoreError::Unsupported(format!(
                    "{}: {key}.hidden_act `{act}`: Verdict's CLIP runs quick_gelu (OpenAI's CLIP)",
                    config_path.display()
                )));
            }
        }
        let projection_dim = usize_of(c, "projection_dim", 512);
        let text_config = ClipTextConfig {
            vocab_size: usize_of(t, "vocab_size", 49408),
            embed_dim: usize_of(t, "hidden_size", 512),
            activation: Activation::QuickGelu,
            intermediate_size: usize_of(t, "intermediate_size", 2048),
            max_position_embeddings: usize_of(t, "max_position_embeddings", 77),
            pad_with: None,
            num_hidden_layers: usize_of(t, "num_hidden_layers", 12),
            num_attention_heads: usize_of(t, "num_attention_heads", 8),
            projection_dim,
        };
        let vision_config = ClipVisionConfig {
            embed_dim: usize_of(v, "hidden_size", 768),
            activation: Activation::QuickGelu,
            intermediate_size: usize_of(v, "intermediate_size", 3072),
            num_hidden_layers: usize_of(v, "num_hidden_layers", 12),
            num_attention_heads: usize_of(v, "num_attention_heads", 12),
            projection_dim,
            num_channels: usize_of(v, "num_channels", 3),
            image_size: usize_of(v, "image_size", 224),
            patch_size: usize_of(v, "patch_size", 32),
        };
        for eps in [&t["layer_norm_eps"], &v["layer_norm_eps"]] {
            if eps.as_f64().is_some_and(|e| (e - 1e-5).abs() > 1e-12) {
                return Err(ScoreError::Unsupported(format!(
                    "{}: layer_norm_eps {eps}: candle's CLIP runs 1e-5",
                    config_path.display()
                )));
            }
        }
        let weights_path = folder.dir.join("model.safetensors");
        let vb = candle_nn::VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| model_error(&weights_path, format!("cannot be read: {e}")))?;
        let wrong = |e: candle_core::Error| {
            model_error(&weights_path, format!("does not hold the CLIP weights config.json describes: {e}"))
        };
        let text = ClipTextTransformer::new(vb.pp("text_model"), &text_config).map_err(wrong)?;
        let vision = ClipVisionTransformer::new(vb.pp("vision_model"), &vision_config).map_err(wrong)?;
        let text_projection =
            candle_nn::linear_no_bias(text_config.embed_dim, projection_dim, vb.pp("text_projection"))
                .map_err(wrong)?;
        let visual_projection =
            candle_nn::linear_no_bias(vision_config.embed_dim, projection_dim, vb.pp("visual_projection"))
                .map_err(wrong)?;
        let tokenizer_path = folder.file("tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| model_error(&tokenizer_path, format!("cannot be read: {e}")))?;
        let max_tokens = text_config.max_position_embeddings;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
            .map_err(|e| model_error(&tokenizer_path, e.to_string()))?;
        tokenizer.with_padding(None);
        let pad_id = t["pad_token_id"].as_u64().map_or(49407, |n| n as u32);
        let preprocess = Preprocess::from_folder(folder, Preprocess::clip(vision_config.image_size as u32))?;
        Ok(Self {
            text,
            vision,
            text_projection,
            visual_projection,
            tokenizer,
            pad_id,
            max_tokens,
            image_size: vision_config.image_size,
            preprocess,
            device,
        })
    }

    /// The projected (not normalized) embeddings of already preprocessed images,
    /// `(n, 3, size, size)`.
    pub fn image_features(&self, pixels: &Tensor) -> Result<Tensor> {
        pixels.apply(&self.vision).and_then(|h| h.apply(&self.visual_projection)).map_err(inference)
    }

    /// The projected (not normalized) embeddings of token ids `(n, len)`, each read at its
    /// end-of-text position (`ends[i]`).
    pub fn text_features(&self, ids: &Tensor, ends: &[usize]) -> Result<Tensor> {
        let hidden = self.text.forward_with_mask(ids, usize::MAX).map_err(inference)?;
        let rows: Vec<Tensor> = ends
            .iter()
            .enumerate()
            .map(|(i, e)| hidden.i((i, *e)))
            .collect::<candle_core::Result<_>>()
            .map_err(inference)?;
        let pooled = Tensor::stack(&rows, 0).map_err(inference)?;
        self.text_projection.forward(&pooled).map_err(inference)
    }

    /// Token ids of `texts`, padded to the longest, with each one's end-of-text position.
    pub fn tokenize(&self, texts: &[&str]) -> Result<(Tensor, Vec<usize>)> {
        let encodings = self.tokenizer.encode_batch(texts.to_vec(), true).map_err(inference)?;
        let len = encodings.iter().map(tokenizers::Encoding::len).max().unwrap_or(1).max(1);
        let mut ids = Vec::with_capacity(len * encodings.len());
        let mut ends = Vec::with_capacity(encodings.len());
        for e in &encodings {
            let own = e.get_ids();
            ids.extend_from_slice(own);
            ids.extend(std::iter::repeat_n(self.pad_id, len - own.len()));
            ends.push(own.len().saturating_sub(1));
        }
        let ids = Tensor::from_vec(ids, (encodings.len(), len), &self.device).map_err(inference)?;
        Ok((ids, ends))
    }
}

impl TextImageModel for Clip {
    fn embed_texts(&self, texts: &[&str]) -> Result<Tensor> {
        let (ids, ends) = self.tokenize(texts)?;
        self.text_features(&ids, &ends)
    }

    fn embed_images(&self, pixels: &Tensor) -> Result<Tensor> {
        self.image_features(pixels)
    }

    fn preprocess(&self) -> &Preprocess {
        &self.preprocess
    }

    fn image_size(&self) -> usize {
        self.image_size
    }

    fn device(&self) -> &Device {
        &self.device
    }

    fn settings(&self) -> serde_json::Value {
        serde_json::json!({"max_tokens": self.max_tokens, "text_pool": "end of text", "image": self.preprocess.settings()})
    }
}
