//! The image-text agreement scorer (CLIP, `SigLIP`): how well a candidate's text agrees with the
//! sample's images, as the cosine of the normalized text and image embeddings (the models' logit
//! scale and bias are left out: a cosine reads the same across models and is what the margin and
//! Bradley-Terry fit take).
//!
//! - A long answer is scored sentence by sentence: split after `.`, `!`, `?` (and `。！？`) or at a
//!   line break; the candidate's score is its worst sentence's (the hallucination signal), each
//!   sentence's score in the detail (`{"sentences": [{"text", "score", "min"}], "images": n}`).
//! - An image list: per sentence the mean over its images (the lowest image's in `min`).
//! - A video (file or frame folder): `frames` frames sampled evenly over it (a folder with fewer
//!   frames: all), scored as an image list.
//! - A generated-media candidate (its own images, a text-to-image set): the prompt against each of
//!   its images, the mean.
//!
//! A candidate whose media do not decode (or are audio only) scores NaN with the reason in the
//! detail: the job leaves it unscored and counts it.

use super::agreement::{Sides, agree, normalized};
use super::media::{CandidateMedia, MediaData, sampled_frames};
use super::preprocess::Preprocess;
use super::{Candidate, Result, ScoreError, Scored, Scorer, ScorerIdentity};
use crate::media::{ImageLimits, decode_image};
use crate::model::MediaKind;
use candle_core::{Device, Tensor};
use image::RgbImage;

/// Frames sampled from a video by default.
pub const DEFAULT_FRAMES: usize = 8;

/// Texts or images per forward pass.
const PASS: usize = 32;

pub(crate) fn inference(e: impl std::fmt::Display) -> ScoreError {
    ScoreError::Inference(e.to_string())
}

pub(crate) fn model_error(path: &std::path::Path, message: String) -> ScoreError {
    ScoreError::Model { path: path.to_owned(), message }
}

/// A text and image encoder pair (CLIP, `SigLIP`).
pub trait TextImageModel: Send {
    /// Embeddings of `texts` (one row each, not normalized).
    fn embed_texts(&self, texts: &[&str]) -> Result<Tensor>;
    /// Embeddings of preprocessed images `(n, 3, size, size)` (not normalized).
    fn embed_images(&self, pixels: &Tensor) -> Result<Tensor>;
    /// How an image becomes pixels.
    fn preprocess(&self) -> &Preprocess;
    /// The side of the square images the vision tower takes.
    fn image_size(&self) -> usize;
    /// Where it runs.
    fn device(&self) -> &Device;
    /// What changes its embeddings besides the weights.
    fn settings(&self) -> serde_json::Value;
}

/// Normalized embeddings of `texts`, `PASS` at a time.
pub fn text_vectors(model: &dyn TextImageModel, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
    let mut out = Vec::with_capacity(texts.len());
    for pass in texts.chunks(PASS) {
        out.extend(normalized(&model.embed_texts(pass)?)?);
    }
    Ok(out)
}

/// Normalized embeddings of `images`, `PASS` at a time.
pub fn image_vectors(model: &dyn TextImageModel, images: &[RgbImage]) -> Result<Vec<Vec<f32>>> {
    let size = model.image_size();
    let mut out = Vec::with_capacity(images.len());
    for pass in images.chunks(PASS) {
        let mut pixels = Vec::with_capacity(pass.len() * 3 * size * size);
        for img in pass {
            let p = model.preprocess().apply(img);
            if p.len() != 3 * size * size {
                return Err(ScoreError::Inference(format!(
                    "the image processor makes {} values of an image, the model takes 3x{size}x{size}: \
                     preprocessor_config.json and config.json disagree",
                    p.len()
                )));
            }
            pixels.extend(p);
        }
        let t = Tensor::from_vec(pixels, (pass.len(), 3, size, size), model.device()).map_err(inference)?;
        out.extend(normalized(&model.embed_images(&t)?)?);
    }
    Ok(out)
}

/// The image-text scorer over a [`TextImageModel`].
pub struct ImageTextScorer {
    model: Box<dyn TextImageModel>,
    identity: ScorerIdentity,
    device: String,
    frames: usize,
    split: bool,
    limits: ImageLimits,
}

impl ImageTextScorer {
    /// A scorer named `name` over `model`.
    pub fn new(
        model: Box<dyn TextImageModel>,
        name: String,
        architecture: String,
        weights: String,
        device: String,
    ) -> Self {
        let mut settings = model.settings();
        settings["frames"] = DEFAULT_FRAMES.into();
        settings["sentences"] = "split, worst".into();
        settings["pooling"] = "mean over images and frames".into();
        settings["similarity"] = "cosine".into();
        let identity = ScorerIdentity { name, kind: "image_text".into(), architecture, weights, settings };
        Self { model, identity, device, frames: DEFAULT_FRAMES, split: true, limits: ImageLimits::default() }
    }

    /// The images of `media` (a video's sampled frames), or why they cannot be had.
    fn images_of(&self, media: &[CandidateMedia]) -> Result<Vec<RgbImage>, String> {
        let mut out = Vec::new();
        for m in media {
            match (&m.data, m.kind) {
                (MediaData::Bytes(b), MediaKind::Image) => {
                    let img = decode_image(b, &self.limits).map_err(|e| e.to_string())?;
                    out.push(image::DynamicImage::ImageRgba8(img).to_rgb8());
                }
                (MediaData::Bytes(_), MediaKind::Video) | (MediaData::Frames(_), _) => {
                    out.extend(sampled_frames(m, self.frames, &self.limits)?);
                }
                _ => {}
            }
        }
        if out.is_empty() {
            return Err("no image or video to compare with (audio is not read by an image-text model)".into());
        }
        Ok(out)
    }
}

impl Scorer for ImageTextScorer {
    fn identity(&self) -> &ScorerIdentity {
        &self.identity
    }

    fn device(&self) -> &str {
        &self.device
    }

    fn reads_media(&self) -> bool {
        true
    }

    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        agree(&*self, batch, self.split)
    }
}

impl Sides for ImageTextScorer {
    type Item = RgbImage;
    const COUNT: &'static str = "images";

    fn items(&self, media: &[CandidateMedia]) -> Result<Vec<RgbImage>, String> {
        self.images_of(media)
    }

    fn text_vectors(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        text_vectors(self.model.as_ref(), texts)
    }

    fn item_vectors(&self, items: &[RgbImage]) -> Result<Vec<Vec<f32>>> {
        image_vectors(self.model.as_ref(), items)
    }
}
