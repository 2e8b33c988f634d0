//! A reproducible train/test split by group: samples that share a prompt (with its context) and
//! input media always land on the same side, so the test set never holds a near copy of a training
//! prompt. The side is a hash of the group and the seed, so it does not depend on the order or
//! the number of samples exported.

use super::options::Split;
use crate::model::MediaRole;
use crate::store::SampleView;

/// Which file a sample's rows go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// `train.*`
    Train,
    /// `test.*`
    Test,
}

impl Side {
    /// The file stem.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Train => "train",
            Side::Test => "test",
        }
    }
}

/// The side of `s` under `split` (always `Train` without one).
pub fn side(split: Option<&Split>, s: &SampleView) -> Side {
    let Some(split) = split else { return Side::Train };
    let mut h = blake3::Hasher::new();
    h.update(&split.seed.to_le_bytes());
    for t in &s.context {
        h.update(t.role.as_bytes()).update(&[0]).update(t.content.as_bytes()).update(&[0]);
    }
    h.update(s.prompt.as_bytes()).update(&[0]);
    for m in s.media.iter().filter(|m| m.role != MediaRole::Candidate) {
        let id = m.blob_hash.as_deref().or(m.resolved_path.as_deref()).or(m.path.as_deref()).or(m.url.as_deref());
        h.update(id.unwrap_or_default().as_bytes()).update(&[0]);
    }
    let bytes = h.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&bytes.as_bytes()[..8]);
    // The top 53 bits as a fraction in [0, 1).
    let unit = (u64::from_le_bytes(head) >> 11) as f64 / (1u64 << 53) as f64;
    if unit < split.test { Side::Test } else { Side::Train }
}
