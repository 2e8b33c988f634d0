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

use super::media::{CandidateMedia, MediaData, sampled_frames};
use super::preprocess::Preprocess;
use super::{Candidate, Result, ScoreError, Scored, Scorer, ScorerIdentity};
use crate::media::{ImageLimits, decode_image};
use crate::model::MediaKind;
use candle_core::{Device, Tensor};
use image::RgbImage;
use std::collections::HashMap;

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

/// L2-normalized rows of `t`, as vectors.
fn normalized(t: &Tensor) -> Result<Vec<Vec<f32>>> {
    let rows = t.to_vec2::<f32>().map_err(inference)?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            let n = r.iter().map(|x| x * x).sum::<f32>().sqrt();
            if n > 0.0 {
                for x in &mut r {
                    *x /= n;
                }
            }
            r
        })
        .collect())
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

/// The sentences of `text`: split after `.`, `!`, `?`, `。`, `！`, `？` followed by a space or the
/// end, and at line breaks; a piece with no letter or digit joins the one before.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        let next = chars.get(i + 1).map(|x| x.1);
        let end = match c {
            '\n' => Some(at),
            '.' | '!' | '?' => next.is_none_or(char::is_whitespace).then_some(at + c.len_utf8()),
            '。' | '！' | '？' => Some(at + c.len_utf8()),
            _ => None,
        };
        if let Some(end) = end {
            push_sentence(&mut out, text, start, end);
            start = end;
        }
    }
    push_sentence(&mut out, text, start, text.len());
    out
}

fn push_sentence<'a>(out: &mut Vec<&'a str>, text: &'a str, start: usize, end: usize) {
    let piece = text[start..end].trim();
    if piece.is_empty() {
        return;
    }
    if !piece.chars().any(char::is_alphanumeric)
        && let Some(last) = out.last_mut()
    {
        // Glue the stray punctuation back: the previous sentence runs to here.
        let from = last.as_ptr() as usize - text.as_ptr() as usize;
        *last = text[from..end].trim();
        return;
    }
    out.push(piece);
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

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// What one candidate asks of the model: texts against images, by index into the batch's lists.
struct Plan {
    texts: Vec<usize>,
    images: Vec<usize>,
    /// Sentence by sentence (a candidate's text), or the prompt against its own media.
    sentences: bool,
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
        let mut texts: Vec<&str> = Vec::new();
        let mut text_index: HashMap<&str, usize> = HashMap::new();
        let mut images: Vec<RgbImage> = Vec::new();
        let mut image_index: HashMap<String, Vec<usize>> = HashMap::new();
        let mut plans: Vec<Result<Plan, String>> = Vec::with_capacity(batch.len());
        for c in batch {
            let (media, pieces, sentences) = if c.own_media.is_empty() {
                let pieces = if self.split { sentences(c.text) } else { vec![c.text.trim()] };
                (c.media, pieces, true)
            } else {
                (c.own_media, vec![c.prompt], false)
            };
            let key = media.iter().fold(String::new(), |mut k, m| {
                k.push_str(m.kind.as_str());
                k.push(':');
                k.push_str(&m.content);
                k.push(';');
                k
            });
            let found = match image_index.get(&key) {
                Some(ix) => Ok(ix.clone()),
                None => self.images_of(media).map(|imgs| {
                    let ix: Vec<usize> = (images.len()..images.len() + imgs.len()).collect();
                    images.extend(imgs);
                    image_index.insert(key, ix.clone());
                    ix
                }),
            };
            plans.push(found.map(|image_ix| {
                let pieces = if pieces.is_empty() { vec![""] } else { pieces };
                let text_ix = pieces
                    .into_iter()
                    .map(|p| {
                        *text_index.entry(p).or_insert_with(|| {
                            texts.push(p);
                            texts.len() - 1
                        })
                    })
                    .collect();
                Plan { texts: text_ix, images: image_ix, sentences }
            }));
        }
        let text_vecs = text_vectors(self.model.as_ref(), &texts)?;
        let image_vecs = image_vectors(self.model.as_ref(), &images)?;
        Ok(plans
            .into_iter()
            .map(|plan| match plan {
                Err(e) => Scored::media_failed(&e),
                Ok(p) => {
                    let per_text: Vec<(f32, f32)> = p
                        .texts
                        .iter()
                        .map(|t| {
                            let sims: Vec<f32> =
                                p.images.iter().map(|i| dot(&text_vecs[*t], &image_vecs[*i])).collect();
                            let mean = sims.iter().sum::<f32>() / sims.len() as f32;
                            (mean, sims.iter().copied().fold(f32::INFINITY, f32::min))
                        })
                        .collect();
                    let score = per_text.iter().map(|s| s.0).fold(f32::INFINITY, f32::min);
                    let list: Vec<serde_json::Value> = p
                        .texts
                        .iter()
                        .zip(&per_text)
                        .map(|(t, (mean, min))| serde_json::json!({"text": texts[*t], "score": mean, "min": min}))
                        .collect();
                    let key = if p.sentences { "sentences" } else { "prompt" };
                    Scored {
                        score,
                        detail: Some(serde_json::json!({key: list, "images": p.images.len()})),
                        embeddings: Vec::new(),
                    }
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_split_into_sentences_and_stray_punctuation_stays_with_its_sentence() {
        assert_eq!(
            sentences("The cat sits on the mat. It is green! Is there a dog?"),
            ["The cat sits on the mat.", "It is green!", "Is there a dog?"]
        );
        assert_eq!(sentences("Version 1.5 is out.\nSee 3.2 ..."), ["Version 1.5 is out.", "See 3.2 ..."]);
        assert_eq!(sentences("猫がいる。犬もいる。"), ["猫がいる。", "犬もいる。"]);
        assert_eq!(sentences("  "), Vec::<&str>::new());
        assert_eq!(sentences("Wow! !!"), ["Wow! !!"]);
    }
}
