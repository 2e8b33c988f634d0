//! `SigLIP` (`SiglipModel`): on the CPU in f32 its towers over plain buffers (`siglip_packed`),
//! elsewhere candle-transformers'. Texts padded to the model's `max_position_embeddings` with
//! its pad token (as `SigLIP` was trained and as its processor pads, `padding="max_length"`), read at
//! the last position; images through the attention-pooling head; both L2-normalized.

use super::clip_packed::{PackedText, PackedVision};
use super::folder::ModelFolder;
use super::image_text::{TextImageModel, inference, model_error};
use super::plain::Precision;
use super::preprocess::Preprocess;
use super::spiece;
use super::{Result, ScoreError};
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::siglip;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// A `SigLIP` model on a device.
pub struct Siglip {
    towers: Towers,
    tokenizer: Tokenizer,
    /// Made from `spiece.model`: texts go in through [`spiece::prepare`].
    sentencepiece: bool,
    max_tokens: usize,
    image_size: usize,
    preprocess: Preprocess,
    device: Device,
    dtype: DType,
    precision: Precision,
}

/// The towers a device runs best.
enum Towers {
    /// On a GPU, in half precision, or with an activation the CPU towers do not run.
    Candle(Box<siglip::Model>),
    /// On the CPU in f32: plain buffers.
    Packed { text: Box<PackedText>, vision: Box<PackedVision> },
}

impl Siglip {
    /// Loads the `SigLIP` model of `folder` (its weights already read) onto `device`, in f32.
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
        let config: siglip::Config = serde_json::from_value(folder.config.clone()).map_err(|e| ScoreError::Model {
            path: config_path.clone(),
            message: format!("is not a SigLIP configuration: {e}"),
        })?;
        let weights_path = folder.dir.join("model.safetensors");
        let vb = candle_nn::VarBuilder::from_buffered_safetensors(weights, dtype, &device)
            .map_err(|e| model_error(&weights_path, format!("cannot be read: {e}")))?;
        let wrong = |e: candle_core::Error| {
            model_error(&weights_path, format!("does not hold the SigLIP weights config.json describes: {e}"))
        };
        let packed = if device.is_cpu() && dtype == DType::F32 {
            super::siglip_packed::load(&vb, &config, precision).map_err(wrong)?
        } else {
            None
        };
        if packed.is_none() && precision == Precision::Int8 {
            return Err(ScoreError::Unsupported(format!(
                "{}: int8 runs SigLIP on the CPU in f32 weights with the activations its CPU towers run \
                 (gelu_pytorch_tanh, gelu_new, gelu): score it without int8",
                config_path.display()
            )));
        }
        let towers = match packed {
            Some((text, vision)) => Towers::Packed { text: Box::new(text), vision: Box::new(vision) },
            None => Towers::Candle(Box::new(siglip::Model::new(&config, vb).map_err(wrong)?)),
        };
        let (mut tokenizer, tokenizer_path, sentencepiece) = tokenizer(folder)?;
        let max_tokens = config.text_config.max_position_embeddings;
        let pad_id = config.text_config.pad_token_id;
        let pad_token = tokenizer.id_to_token(pad_id).unwrap_or_else(|| "<pad>".into());
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
            .map_err(|e| model_error(&tokenizer_path, e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::Fixed(max_tokens),
            pad_id,
            pad_token,
            ..PaddingParams::default()
        }));
        let image_size = config.vision_config.image_size;
        let preprocess = Preprocess::from_folder(folder, Preprocess::siglip(image_size as u32))?;
        Ok(Self { towers, tokenizer, sentencepiece, max_tokens, image_size, preprocess, device, dtype, precision })
    }

    /// Each text's token ids as the model reads them: `</s>` after the text, padded (or cut) to
    /// the model's length.
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let encodings = if self.sentencepiece {
            self.tokenizer.encode_batch(texts.iter().map(|t| spiece::prepare(t)).collect(), true)
        } else {
            self.tokenizer.encode_batch(texts.to_vec(), true)
        }
        .map_err(inference)?;
        Ok(encodings.iter().map(|e| e.get_ids().to_vec()).collect())
    }
}

/// The folder's `tokenizer.json`, else a tokenizer made from its `spiece.model` as transformers'
/// `SiglipTokenizer` reads it (the google/siglip-* folders ship no `tokenizer.json`); with the
/// file it was read from and whether it is the latter.
fn tokenizer(folder: &ModelFolder) -> Result<(Tokenizer, std::path::PathBuf, bool)> {
    let json = folder.dir.join("tokenizer.json");
    let model = folder.dir.join("spiece.model");
    if !json.is_file() && model.is_file() {
        return Ok((spiece::siglip_tokenizer(folder)?, model, true));
    }
    let json = folder.file("tokenizer.json")?;
    let tokenizer = Tokenizer::from_file(&json).map_err(|e| model_error(&json, format!("cannot be read: {e}")))?;
    Ok((tokenizer, json, false))
}

impl TextImageModel for Siglip {
    fn embed_texts(&self, texts: &[&str]) -> Result<Tensor> {
        let ids = self.token_ids(texts)?;
        match &self.towers {
            Towers::Candle(model) => {
                let ids =
                    Tensor::from_vec(ids.concat(), (texts.len(), self.max_tokens), &self.device).map_err(inference)?;
                model.get_text_features(&ids).and_then(|t| t.to_dtype(DType::F32)).map_err(inference)
            }
            Towers::Packed { text, .. } => {
                let ids: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
                text.embed(&ids).map_err(inference)
            }
        }
    }

    fn embed_images(&self, pixels: &Tensor) -> Result<Tensor> {
        match &self.towers {
            Towers::Candle(model) => pixels
                .to_dtype(self.dtype)
                .and_then(|p| model.get_image_features(&p))
                .and_then(|t| t.to_dtype(DType::F32))
                .map_err(inference),
            Towers::Packed { vision, .. } => vision.embed(pixels).map_err(inference),
        }
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
        let mut settings = serde_json::json!({"max_tokens": self.max_tokens, "text_pool": "last, padded to max", "image": self.preprocess.settings()});
        if self.sentencepiece {
            settings["tokenizer"] = "spiece.model".into();
        }
        if self.precision == Precision::Int8 {
            settings["precision"] = "int8".into();
        }
        settings
    }
}
