//! Scoring: a local model scores every candidate, and the pairs whose label it disagrees with most
//! confidently become suspects.
//!
//! Models are folders in the Hugging Face layout (`config.json`, `model.safetensors`,
//! `tokenizer.json`), from a path or `org/name` in the local Hugging Face cache, never the network
//! (`folder`); the architecture comes from `config.json` and picks the scorer (`load`). A scorer is
//! known by its identity: a name, the blake3 of its weights and its settings ([`ScorerIdentity`]).
//! It runs on a device (`device`: the CPU always, CUDA or Metal when built with them) and scores a
//! batch of [`Candidate`]s to a [`Scored`] each ([`Scorer`]). The sentence-embedding scorer
//! (`embed`, BERT family such as all-MiniLM-L6-v2) scores prompt-response relevance: the cosine
//! of the two embeddings, pooled and normalized as sentence-transformers does. The reward scorer
//! (`reward`: DeBERTa-v2/v3 reward models, BERT cross-encoders) reads each (prompt, response)
//! pair and gives the classifier's logit.
//!
//! The job (`job::run`) scores what a query selects in batches, with progress and Cancel, and
//! writes model judgments through the store's write path; what is scored (by content hash) is never
//! scored again, so a cancelled or killed job resumes. `suspects` turns the margins the store keeps
//! per pair into Bradley-Terry probabilities that the label is right. Uses `model`, `jobs`,
//! `query` and `store` only; the export reads scores from the store, never from here.

#[cfg(feature = "local-models")]
mod agreement;
#[cfg(feature = "local-models")]
pub mod audio_text;
#[cfg(feature = "local-models")]
mod bert;
#[cfg(feature = "local-models")]
mod bert_packed;
#[cfg(feature = "local-models")]
pub mod clap;
#[cfg(feature = "local-models")]
mod clap_audio;
#[cfg(feature = "local-models")]
pub mod clap_features;
#[cfg(feature = "local-models")]
mod clap_fusion;
#[cfg(feature = "local-models")]
mod clap_swin;
#[cfg(feature = "local-models")]
pub mod clip;
#[cfg(feature = "local-models")]
mod clip_net;
#[cfg(feature = "local-models")]
mod clip_packed;
#[cfg(feature = "local-models")]
mod cpu_ops;
#[cfg(feature = "local-models")]
mod deberta;
#[cfg(feature = "local-models")]
mod deberta_conv;
#[cfg(feature = "local-models")]
mod deberta_packed;
pub mod device;
#[cfg(feature = "local-models")]
mod embed;
pub mod folder;
#[cfg(feature = "local-models")]
pub mod image_text;
#[cfg(feature = "local-models")]
pub mod job;
pub mod load;
pub mod media;
#[cfg(feature = "local-models")]
mod plain;
#[cfg(feature = "local-models")]
pub mod preprocess;
#[cfg(feature = "local-models")]
pub mod reward;
pub mod served;
#[cfg(feature = "local-models")]
pub mod siglip;
#[cfg(feature = "local-models")]
mod siglip_packed;
pub mod sound;
#[cfg(feature = "local-models")]
pub mod spiece;
pub mod suspects;

#[cfg(feature = "local-models")]
pub use bert_packed::Precision;
pub use device::DeviceKind;
#[cfg(feature = "local-models")]
pub use embed::SentenceEmbedder;
pub use folder::ModelFolder;
pub use job::{ScoreOptions, ScoreReport, run};
pub use load::load;
pub use media::{CandidateMedia, MediaData};

/// Why scoring failed.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The project file failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The `--where` query does not compile.
    #[error("--where: {0}")]
    Query(#[from] crate::query::QueryError),
    /// No model where the user pointed.
    #[error("{0}")]
    NotFound(String),
    /// A model folder's file is missing or wrong.
    #[error("{path}: {message}")]
    Model {
        /// The file (or folder) at fault.
        path: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// An architecture no scorer of this build runs.
    #[error("{0}")]
    Unsupported(String),
    /// The device asked for cannot be used.
    #[error("{0}")]
    Device(String),
    /// The model failed while scoring.
    #[error("scoring failed: {0}")]
    Inference(String),
    /// Name and identity do not belong together in this project.
    #[error("{0}")]
    Identity(String),
    /// Cancelled: what was written so far stays, and a new run resumes after it.
    #[error("cancelled")]
    Cancelled,
}

impl From<crate::jobs::Interrupted> for ScoreError {
    fn from(_: crate::jobs::Interrupted) -> Self {
        ScoreError::Cancelled
    }
}

/// `Result` with a [`ScoreError`].
pub type Result<T, E = ScoreError> = std::result::Result<T, E>;

/// Who a scorer is: results are kept under it, and a scorer with other weights or settings is
/// another scorer.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorerIdentity {
    /// The name curators type (`--scorer`, `score:NAME`), the author of its judgments.
    pub name: String,
    /// What it scores (`relevance`, `reward`).
    pub kind: String,
    /// The architecture `config.json` names (`BertModel`).
    pub architecture: String,
    /// blake3 of the weights file, hex.
    pub weights: String,
    /// Everything else that changes its scores (pooling, normalization, max tokens, input).
    pub settings: serde_json::Value,
}

/// One candidate to score: the sample's prompt and one candidate response, with the media a
/// scorer that reads media compares it with (empty for a text scorer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The prompt.
    pub prompt: &'a str,
    /// The candidate's text (empty for a media-only candidate).
    pub text: &'a str,
    /// The sample's input media, in order: its image, image list, video or frame folder.
    pub media: &'a [CandidateMedia],
    /// The candidate's own media when the candidate is media (a text-to-image set's image): the
    /// prompt is scored against these.
    pub own_media: &'a [CandidateMedia],
}

impl<'a> Candidate<'a> {
    /// A text candidate: `text` answering `prompt`, no media.
    pub fn new(prompt: &'a str, text: &'a str) -> Self {
        Self { prompt, text, media: &[], own_media: &[] }
    }

    /// The blake3 of what a scorer reads, hex: scores are kept under it, so the same prompt and
    /// candidate are scored once whichever samples hold them. Each part is length-prefixed, so no
    /// two candidates share a key; media add their content hashes (input media, then the
    /// candidate's own, told apart), so a text candidate's key is the same whatever media scorers
    /// exist.
    pub fn content_hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        for part in [self.prompt, self.text] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        for (tag, list) in [(b"media", self.media), (b"owned", self.own_media)] {
            if !list.is_empty() {
                h.update(tag);
                h.update(&(list.len() as u64).to_le_bytes());
                for m in list {
                    h.update(m.kind.as_str().as_bytes());
                    h.update(m.content.as_bytes());
                }
            }
        }
        h.finalize().to_hex().to_string()
    }
}

/// The blake3 of a text, hex: how embeddings are kept.
pub fn text_hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// What a scorer says of one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The score: higher is better.
    pub score: f32,
    /// Detail beside the score, kept with it as JSON (a scorer that scores sentence by sentence
    /// puts each sentence's score here); `None` for a scorer that has none.
    pub detail: Option<serde_json::Value>,
    /// Embeddings made on the way, by [`text_hash`] (the prompt's and the candidate's for the
    /// sentence-embedding scorer), kept for semantic near-duplicates.
    pub embeddings: Vec<(String, Vec<f32>)>,
}

impl Scored {
    /// A candidate whose media did not decode, for `why`: a NaN score and the reason in the
    /// detail, which the job leaves unscored and reports ([`Scorer::score`]).
    pub fn media_failed(why: &str) -> Self {
        Self { score: f32::NAN, detail: Some(serde_json::json!({"media_error": why})), embeddings: Vec::new() }
    }
}

/// A model that scores candidates.
pub trait Scorer: Send {
    /// Who it is.
    fn identity(&self) -> &ScorerIdentity;

    /// Where it runs, in words: `cpu f32`, `cuda:0 f32`.
    fn device(&self) -> &str;

    /// Whether it reads the samples' media: the job then fills [`Candidate::media`] and
    /// [`Candidate::own_media`] and scores only candidates that have media to compare with.
    fn reads_media(&self) -> bool {
        false
    }

    /// Whether, reading media, it also scores a candidate without any (a served scorer sends the
    /// sample's images where it has them and the text alone otherwise).
    fn media_optional(&self) -> bool {
        false
    }

    /// Scores `batch`, one [`Scored`] per candidate in order. A scorer that reads media returns
    /// a NaN score for a candidate whose media does not decode (with the reason in `detail` as
    /// `{"media_error": ...}`): the job leaves that candidate unscored and counts it, and goes on.
    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>>;

    /// Whether it judges a sample's candidates against each other (a chat model judging pairs):
    /// then the job gives it whole samples ([`Scorer::score_samples`]), and a score is kept under
    /// the content of the whole sample ([`compared_hash`]), since it depends on the rivals.
    fn compares(&self) -> bool {
        false
    }

    /// Scores whole samples, one [`Scored`] per candidate of each, in order. By default each
    /// sample's candidates are scored as one batch.
    fn score_samples(&mut self, samples: &[Vec<Candidate<'_>>]) -> Result<Vec<Vec<Scored>>> {
        samples.iter().map(|s| self.score(s)).collect()
    }
}

/// The key of candidate `index` of a sample scored by a scorer that compares (a judge): the
/// blake3 of every candidate's content hash in order and the index, hex. The same sample content
/// anywhere gets the same scores, and a candidate against other rivals is another content.
pub fn compared_hash(candidates: &[Candidate<'_>], index: usize) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"compared");
    h.update(&(index as u64).to_le_bytes());
    for c in candidates {
        h.update(c.content_hash().as_bytes());
    }
    h.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashes_tell_where_the_prompt_ends() {
        let a = Candidate::new("ab", "c");
        let b = Candidate::new("a", "bc");
        assert_ne!(a.content_hash(), b.content_hash());
        assert_eq!(a.content_hash(), Candidate::new("ab", "c").content_hash());
        assert_eq!(a.content_hash().len(), 64);
    }

    #[test]
    fn media_change_the_content_hash_and_where_they_sit_counts() {
        let image = |c: &str| CandidateMedia {
            kind: crate::model::MediaKind::Image,
            content: c.into(),
            data: MediaData::Bytes(std::sync::Arc::from(&b"x"[..])),
            mime: None,
        };
        let (one, two) = ([image("aa")], [image("bb")]);
        let text = Candidate::new("p", "t");
        let with = Candidate { media: &one, ..text };
        assert_ne!(text.content_hash(), with.content_hash());
        assert_ne!(with.content_hash(), Candidate { media: &two, ..text }.content_hash());
        assert_ne!(with.content_hash(), Candidate { own_media: &one, ..text }.content_hash());
        // Only the content hash counts, not where the bytes came from.
        let same = [CandidateMedia { data: MediaData::Bytes(std::sync::Arc::from(&b"y"[..])), ..image("aa") }];
        assert_eq!(with.content_hash(), Candidate { media: &same, ..text }.content_hash());
    }
}
