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

pub mod device;
#[cfg(feature = "local-models")]
mod embed;
pub mod folder;
pub mod job;
pub mod load;
#[cfg(feature = "local-models")]
mod reward;
pub mod suspects;

pub use device::DeviceKind;
pub use folder::ModelFolder;
pub use job::{ScoreOptions, ScoreReport, run};
pub use load::load;

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

/// One candidate to score: the sample's prompt and one candidate response (images later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The prompt.
    pub prompt: &'a str,
    /// The candidate's text.
    pub text: &'a str,
}

impl Candidate<'_> {
    /// The blake3 of what a scorer reads, hex: scores are kept under it, so the same prompt and
    /// candidate are scored once whichever samples hold them. Each part is length-prefixed, so no
    /// two candidates share a key.
    pub fn content_hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        for part in [self.prompt, self.text] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
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

/// A model that scores candidates.
pub trait Scorer: Send {
    /// Who it is.
    fn identity(&self) -> &ScorerIdentity;

    /// Where it runs, in words: `cpu f32`, `cuda:0 f32`.
    fn device(&self) -> &str;

    /// Scores `batch`, one [`Scored`] per candidate in order.
    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashes_tell_where_the_prompt_ends() {
        let a = Candidate { prompt: "ab", text: "c" };
        let b = Candidate { prompt: "a", text: "bc" };
        assert_ne!(a.content_hash(), b.content_hash());
        assert_eq!(a.content_hash(), Candidate { prompt: "ab", text: "c" }.content_hash());
        assert_eq!(a.content_hash().len(), 64);
    }
}
