//! CLIP (`CLIPModel`): on the CPU in f32 its towers over plain buffers (`clip_packed`), texts
//! packed without padding; elsewhere candle's (`clip_net`), texts padded to the longest of a pass.
//! The text tower is pooled at each text's end-of-text token (as transformers does), the vision
//! tower at its class token, each projected and L2-normalized.
//! Texts are cut at the model's `max_position_embeddings` (77 for `OpenAI`'s CLIP) by the
//! tokenizer, end-of-text kept.

use super::clip_net::{Activation, TextTower, TowerSize, VisionTower};
use super::clip_packed::{PackedText, PackedVision};
use super::folder::ModelFolder;
use super::image_text::{TextImageModel, inference, model_error};
use super::plain::Precision;
use super::preprocess::Preprocess;
use super::{Result, ScoreError};
use candle_core::{DType, Device, Tensor};
use tokenizers::{Tokenizer, TruncationParams};

/// A CLIP model on a device.
pub struct Clip {
    towers: Towers,
    tokenizer: Tokenizer,
    pad_id: u32,
    max_tokens: usize,
    image_size: usize,
    preprocess: Preprocess,
    device: Device,
    precision: Precision,
}

/// The towers a device runs best.
enum Towers {
    /// On a GPU, or in half precision: candle's tensors, texts padded to the longest of a pass.
    Candle { text: Box<TextTower>, vision: Box<VisionTower> },
    /// On the CPU in f32: plain buffers, texts packed one after another without padding.
    Packed { text: Box<PackedText>, vision: Box<PackedVision> },
}

fn usize_of(c: &serde_json::Value, key: &str, default: usize) -> usize {
    c[key].as_u64().map_or(default, |n| n as usize)
}

impl Clip {
    /// Loads the CLIP model of `folder` (its weights already read) onto `device`, in f32.
    pub fn load(folder: &ModelFolder, weights: Vec<u8>, device: Device) -> Result<Self> {
        Self::load_in(folder, weights, (device, DType::F32), Precision::F32)
    }

    /// Loads it with its weights and activations in `dtype` (f16 on a GPU), the towers' layers'
    /// products in `precision` (int8: on the CPU in f32 only, where the towers run over plain
    /// buffers); embeddings come out in f32 whatever the dtype.
    pub fn load_in(
        folder: &ModelFolder,
        weights: Vec<u8>,
        (device, dtype): (Device, DType),
        precision: Precision,
    ) -> Result<Self> {
        let config_path = folder.dir.join("config.json");
        let c = &folder.config;
        let (t, v) = (&c["text_config"], &c["vision_config"]);
        let act = |part: &serde_json::Value, key: &str| match part["hidden_act"].as_str().unwrap_or("quick_gelu") {
            "quick_gelu" => Ok(Activation::QuickGelu),
            "gelu" => Ok(Activation::Gelu),
            "gelu_pytorch_tanh" | "gelu_new" => Ok(Activation::GeluTanh),
            other => Err(ScoreError::Unsupported(format!(
                "{}: {key}.hidden_act `{other}`: Verdict's CLIP runs `quick_gelu` (OpenAI's), `gelu` (LAION's) \
                 and `gelu_pytorch_tanh`",
                config_path.display()
            ))),
        };
        let (text_act, vision_act) = (act(t, "text_config")?, act(v, "vision_config")?);
        let projection_dim = usize_of(c, "projection_dim", 512);
        let eps = |part: &serde_json::Value| part["layer_norm_eps"].as_f64().unwrap_or(1e-5);
        let text_size = TowerSize {
            width: usize_of(t, "hidden_size", 512),
            inner: usize_of(t, "intermediate_size", 2048),
            layers: usize_of(t, "num_hidden_layers", 12),
            heads: usize_of(t, "num_attention_heads", 8),
            eps: eps(t),
            act: text_act,
        };
        let vision_size = TowerSize {
            width: usize_of(v, "hidden_size", 768),
            inner: usize_of(v, "intermediate_size", 3072),
            layers: usize_of(v, "num_hidden_layers", 12),
            heads: usize_of(v, "num_attention_heads", 12),
            eps: eps(v),
            act: vision_act,
        };
        let max_tokens = usize_of(t, "max_position_embeddings", 77);
        let image_size = usize_of(v, "image_size", 224);
        let weights_path = folder.dir.join("model.safetensors");
        let vb = candle_nn::VarBuilder::from_buffered_safetensors(weights, dtype, &device)
            .map_err(|e| model_error(&weights_path, format!("cannot be read: {e}")))?;
        let wrong = |e: candle_core::Error| {
            model_error(&weights_path, format!("does not hold the CLIP weights config.json describes: {e}"))
        };
        let text = TextTower::load(&vb, text_size, usize_of(t, "vocab_size", 49408), max_tokens, projection_dim)
            .map_err(wrong)?;
        let vision = VisionTower::load(
            &vb,
            vision_size,
            image_size,
            usize_of(v, "patch_size", 32),
            usize_of(v, "num_channels", 3),
            projection_dim,
        )
        .map_err(wrong)?;
        let towers = if device.is_cpu() && dtype == DType::F32 {
            let text = Box::new(PackedText::new(&text, precision).map_err(wrong)?);
            Towers::Packed { text, vision: Box::new(PackedVision::new(&vision, precision).map_err(wrong)?) }
        } else if precision == Precision::Int8 {
            return Err(ScoreError::Unsupported("int8 runs CLIP on the CPU in f32 weights only".into()));
        } else {
            Towers::Candle { text: Box::new(text), vision: Box::new(vision) }
        };
        let tokenizer_path = folder.file("tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| model_error(&tokenizer_path, format!("cannot be read: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
            .map_err(|e| model_error(&tokenizer_path, e.to_string()))?;
        tokenizer.with_padding(None);
        let pad_id = t["pad_token_id"].as_u64().map_or(49407, |n| n as u32);
        let preprocess = Preprocess::from_folder(folder, Preprocess::clip(image_size as u32))?;
        Ok(Self { towers, tokenizer, pad_id, max_tokens, image_size, preprocess, device, precision })
    }

    /// The projected (not normalized) embeddings of already preprocessed images,
    /// `(n, 3, size, size)`.
    pub fn image_features(&self, pixels: &Tensor) -> Result<Tensor> {
        match &self.towers {
            Towers::Candle { vision, .. } => pixels
                .to_dtype(vision.dtype())
                .and_then(|p| vision.forward(&p))
                .and_then(|t| t.to_dtype(DType::F32))
                .map_err(inference),
            Towers::Packed { vision, .. } => vision.embed(pixels).map_err(inference),
        }
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
        match &self.towers {
            Towers::Candle { text, .. } => {
                let (ids, ends) = self.tokenize(texts)?;
                text.forward(&ids, &ends).and_then(|t| t.to_dtype(DType::F32)).map_err(inference)
            }
            Towers::Packed { text, .. } => {
                let encodings = self.tokenizer.encode_batch(texts.to_vec(), true).map_err(inference)?;
                let ids: Vec<&[u32]> = encodings.iter().map(tokenizers::Encoding::get_ids).collect();
                text.embed(&ids).map_err(inference)
            }
        }
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
        let mut settings = serde_json::json!({"max_tokens": self.max_tokens, "text_pool": "end of text", "image": self.preprocess.settings()});
        if self.precision == Precision::Int8 {
            settings["precision"] = "int8".into();
        }
        settings
    }
}
