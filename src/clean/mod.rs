//! Cleaning: duplicates (exact and near, in images, video, audio and text), contamination by a
//! reference set, and consistency and media checks. The algorithms live here without storage:
//! perceptual hashes of images (`phash`), pairs within a Hamming radius through multi-index
//! hashing (`hamming`), text normalization and shingles (`text`), MinHash and LSH banding
//! (`minhash`), and groups from pairs (`groups`).

pub mod groups;
pub mod hamming;
pub mod minhash;
pub mod phash;
pub mod sequence;
pub mod text;
