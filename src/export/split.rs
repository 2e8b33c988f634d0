//! A reproducible train/test split by group: samples that share a prompt (with its context) and
//! input media, and the members of every duplicate group the cleaning passes found (near-duplicate
//! images, video, audio, prompts, responses, the same question), always land on the same side, so
//! the test set never holds a near copy of a training sample. The side is a hash of the group's
//! key and the seed, so it does not depend on the order or the number of samples exported.
//!
//! A group's key is the smallest exact key (blake3 of context, prompt and media) among its members
//! in the whole project, so a member's side is the same whichever members an export selects.

use super::options::Split;
use crate::model::union_find::Components;
use crate::model::{MediaRole, SampleId, Turn};
use crate::store::{DupGroup, SampleView, Store, StoreError};
use std::collections::HashMap;

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

/// A sample's exact key: its earlier turns, prompt and input media.
pub type Key = [u8; 32];

/// The exact key of a sample's parts.
pub fn exact_key(context: &[Turn], prompt: &str, media: &[&str]) -> Key {
    let mut h = blake3::Hasher::new();
    for t in context {
        h.update(t.role.as_bytes()).update(&[0]).update(t.content.as_bytes()).update(&[0]);
    }
    h.update(prompt.as_bytes()).update(&[0]);
    for m in media {
        h.update(m.as_bytes()).update(&[0]);
    }
    *h.finalize().as_bytes()
}

fn key_of_view(s: &SampleView) -> Key {
    let media: Vec<&str> = s
        .media
        .iter()
        .filter(|m| m.role != MediaRole::Candidate)
        .map(|m| {
            m.blob_hash
                .as_deref()
                .or(m.resolved_path.as_deref())
                .or(m.path.as_deref())
                .or(m.url.as_deref())
                .unwrap_or("")
        })
        .collect();
    exact_key(&s.context, &s.prompt, &media)
}

/// The group keys of the samples in duplicate groups (and of those sharing an exact key with
/// one): samples not here are their own group, keyed by their exact key.
#[derive(Debug, Default)]
pub struct SplitGroups {
    group_key: HashMap<SampleId, Key>,
    /// Each stored duplicate group's members, to count the pairs an export puts on both sides.
    groups: Vec<Vec<SampleId>>,
}

impl SplitGroups {
    /// Reads the project's duplicate groups and the exact keys of their members and of `ids`.
    pub fn load(store: &Store, ids: &[SampleId]) -> Result<Self, StoreError> {
        let groups: Vec<DupGroup> = store.dup_groups(None)?;
        if groups.is_empty() {
            return Ok(Self::default());
        }
        let mut members: Vec<SampleId> = groups.iter().flat_map(|g| g.members.iter().map(|m| m.sample)).collect();
        members.sort_unstable();
        members.dedup();
        let mut everyone = members.clone();
        everyone.extend_from_slice(ids);
        everyone.sort_unstable();
        everyone.dedup();
        let idents = store.split_identities(&everyone)?;
        let index: HashMap<SampleId, u32> = idents.iter().enumerate().map(|(i, s)| (s.0, i as u32)).collect();
        let keys: Vec<Key> = idents
            .iter()
            .map(|(_, context, prompt, media)| {
                let media: Vec<&str> = media.iter().map(String::as_str).collect();
                exact_key(context, prompt, &media)
            })
            .collect();
        let mut uf = Components::new(idents.len());
        let mut first_with_key: HashMap<Key, u32> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            let first = *first_with_key.entry(*k).or_insert(i as u32);
            uf.union(first, i as u32);
        }
        let mut stored = Vec::with_capacity(groups.len());
        for g in &groups {
            let ids: Vec<SampleId> = g.members.iter().map(|m| m.sample).collect();
            let mut it = ids.iter().filter_map(|s| index.get(s));
            if let Some(first) = it.next() {
                for other in it {
                    uf.union(*first, *other);
                }
            }
            stored.push(ids);
        }
        // The smallest key of each component names it; only samples in a component of two or more
        // need an entry (alone, their own key is the smallest).
        let mut smallest: HashMap<u32, Key> = HashMap::new();
        let mut size: HashMap<u32, u32> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            let root = uf.find(i as u32);
            *size.entry(root).or_default() += 1;
            smallest.entry(root).and_modify(|s| *s = (*s).min(*k)).or_insert(*k);
        }
        let mut group_key = HashMap::new();
        for (i, (sample, ..)) in idents.iter().enumerate() {
            let root = uf.find(i as u32);
            if size[&root] > 1 {
                group_key.insert(*sample, smallest[&root]);
            }
        }
        Ok(Self { group_key, groups: stored })
    }

    /// The side of `s` under `split` (always `Train` without one).
    pub fn side(&self, split: Option<&Split>, s: &SampleView) -> Side {
        let Some(split) = split else { return Side::Train };
        let key = self.group_key.get(&s.id).copied().unwrap_or_else(|| key_of_view(s));
        let mut h = blake3::Hasher::new();
        h.update(&split.seed.to_le_bytes()).update(&key);
        let mut head = [0u8; 8];
        head.copy_from_slice(&h.finalize().as_bytes()[..8]);
        // The top 53 bits as a fraction in [0, 1).
        let unit = (u64::from_le_bytes(head) >> 11) as f64 / (1u64 << 53) as f64;
        if unit < split.test { Side::Test } else { Side::Train }
    }

    /// Pairs of members of one duplicate group written to different sides, given each written
    /// sample's side.
    pub fn pairs_across(&self, written: &HashMap<SampleId, Side>) -> u64 {
        self.groups
            .iter()
            .map(|g| {
                let (mut train, mut test) = (0u64, 0u64);
                for s in g {
                    match written.get(s) {
                        Some(Side::Train) => train += 1,
                        Some(Side::Test) => test += 1,
                        None => {}
                    }
                }
                train * test
            })
            .sum()
    }

    /// The number of stored duplicate groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }
}
