//! Cleaning: duplicates (exact and near, in images, video, audio and text), contamination by a
//! reference set, and consistency and media checks.
//!
//! The algorithms, without storage: perceptual hashes of images (`phash`), pairs within a Hamming
//! radius through multi-index hashing (`hamming`), text normalization and shingles (`text`),
//! MinHash and LSH banding (`minhash`), sequences of frame hashes and audio fingerprints compared
//! at their best alignment (`sequence`). The passes over a project:
//! media fingerprinted once per content (`media_pass`), texts signed once (`text_pass`), groups per
//! kind (`dedup`); semantic near-duplicates of prompts from a scorer's kept embeddings (`semantic`). The consistency and media checks, with their full decode of every media item
//! (`checks`). Decisions over a whole queue of results, counted first, then applied as one operation
//! (`decide`).

pub mod checks;
pub mod contamination;
pub mod decide;
pub mod dedup;
pub mod hamming;
pub mod keep;
pub mod media_pass;
pub mod minhash;
pub mod phash;
pub mod pool;
pub mod semantic;
pub mod sequence;
pub mod text;
pub mod text_pass;

/// Why a cleaning pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    /// The project file failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A thread or file could not be used.
    #[error("{0}")]
    Io(String),
    /// What was asked does not apply.
    #[error("{0}")]
    Invalid(String),
    /// Cancelled: what was fingerprinted so far is kept, no groups were replaced.
    #[error("cancelled")]
    Cancelled,
}

impl From<crate::jobs::Interrupted> for CleanError {
    fn from(_: crate::jobs::Interrupted) -> Self {
        CleanError::Cancelled
    }
}
