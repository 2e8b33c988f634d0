//! The audio-text agreement scorer (CLAP): how well a text agrees with an audio clip, as the
//! cosine of the normalized text and audio embeddings (the logit scales left out, as for
//! image-text agreement).
//!
//! - A generated-audio candidate (its own clip, a text-to-audio set): the prompt against its
//!   clips, the mean; the detail `{"prompt": [{"text", "score", "min"}], "clips": n}`.
//! - A text candidate of a sample with audio (audio captioning, audio questions): the candidate
//!   sentence by sentence against the sample's clips, its worst sentence the score.
//!
//! Each clip is decoded, mixed down to one channel and resampled to the model's rate (`sound`),
//! its first `max_length_s` seconds read (CLAP's extractor crops a longer clip at random; Verdict
//! at its start, so that a clip scores the same every time). A candidate with no audio to compare
//! with (an image, a video: CLAP reads sound alone) or whose audio does not decode scores NaN with
//! the reason: the job leaves it unscored and counts it.

use super::agreement::{Sides, agree, normalized};
use super::clap::Clap;
use super::media::{CandidateMedia, MediaData};
use super::sound::mono_at;
use super::{Candidate, Result, Scored, Scorer, ScorerIdentity};
use crate::model::MediaKind;

/// Texts or clips per forward pass.
const PASS: usize = 16;

/// The audio-text scorer over a CLAP model.
pub struct AudioTextScorer {
    model: Clap,
    identity: ScorerIdentity,
    device: String,
}

impl AudioTextScorer {
    /// A scorer named `name` over `model`.
    pub fn new(model: Clap, name: String, architecture: String, weights: String, device: String) -> Self {
        let mut settings = model.settings();
        settings["sentences"] = "split, worst".into();
        settings["pooling"] = "mean over clips".into();
        settings["similarity"] = "cosine".into();
        let identity = ScorerIdentity { name, kind: "audio_text".into(), architecture, weights, settings };
        Self { model, identity, device }
    }
}

impl Sides for AudioTextScorer {
    type Item = Vec<f32>;
    const COUNT: &'static str = "clips";

    fn items(&self, media: &[CandidateMedia]) -> Result<Vec<Vec<f32>>, String> {
        let f = self.model.features();
        let seconds = f.read_seconds();
        let mut out = Vec::new();
        for m in media {
            if let (MediaData::Bytes(b), MediaKind::Audio) = (&m.data, m.kind) {
                let clip = mono_at(b, m.mime, f.rate, seconds)?;
                if clip.is_empty() {
                    return Err("the audio clip holds no sound".into());
                }
                out.push(clip);
            }
        }
        if out.is_empty() {
            return Err("no audio to compare with (an audio-text model reads sound only)".into());
        }
        Ok(out)
    }

    fn text_vectors(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for pass in texts.chunks(PASS) {
            out.extend(normalized(&self.model.embed_texts(pass)?)?);
        }
        Ok(out)
    }

    fn item_vectors(&self, items: &[Vec<f32>]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(items.len());
        for pass in items.chunks(PASS) {
            out.extend(normalized(&self.model.embed_clips(pass)?)?);
        }
        Ok(out)
    }
}

impl Scorer for AudioTextScorer {
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
        agree(&*self, batch, true)
    }
}
