//! Near-duplicate prompts and responses: each text normalized (NFKC, case and space folded) and
//! keyed exactly; each distinct text's MinHash signature computed once per settings and kept in the
//! project; LSH bands give candidate pairs, each checked by the exact Jaccard similarity of its two
//! shingle sets before it counts. Texts equal after normalization are one text.

use super::CleanError;
use super::minhash::{Bands, MinHasher, candidate_pairs};
use super::text::{exact_key, jaccard, normalize, shingle_hashes};
use crate::jobs::Progress;
use crate::model::union_find::Components;
use crate::model::{DatasetId, SampleId};
use crate::store::{DupMember, Store};
use std::collections::HashMap;

/// How texts are compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextSettings {
    /// Jaccard similarity at or above which two texts are near duplicates.
    pub threshold: f64,
    /// Words per shingle.
    pub shingle: usize,
    /// MinHash permutations.
    pub perms: usize,
}

impl TextSettings {
    /// The key signatures are stored under: what changes them.
    pub fn params_key(&self) -> String {
        format!("w{}-p{}-s{}", self.shingle, self.perms, super::minhash::DEFAULT_SEED)
    }
}

/// What the text pass found.
#[derive(Debug, Default)]
pub struct TextResult {
    /// Each sample's prompt component (samples with equal or near prompts share one).
    pub prompt_component: HashMap<SampleId, u32>,
    /// Prompt groups: samples whose prompts are equal or near, each with its closest similarity.
    pub prompt_groups: Vec<Vec<DupMember>>,
    /// Response groups: responses of two or more samples that are equal or near.
    pub response_groups: Vec<Vec<DupMember>>,
}

/// Where a text is: a sample's prompt (`None`) or one of its responses.
pub(super) type Place = (SampleId, Option<u32>);

/// Distinct texts with their signatures, and where each occurs.
pub(super) struct Corpus {
    settings: TextSettings,
    params: String,
    hasher: MinHasher,
    index: HashMap<[u8; 16], u32>,
    signatures: Vec<u32>,
    /// Per distinct text: the first place it occurs (to read it again for the exact check) and
    /// whether it is empty (no shingles: never near anything).
    pub(super) first: Vec<(Place, bool)>,
    /// Per distinct text: its number of words.
    pub(super) words: Vec<u32>,
    pub(super) places: Vec<(Place, u32)>,
    /// Signatures computed now, to keep.
    new: Vec<([u8; 16], Vec<u8>)>,
}

/// Texts read per query.
pub(super) const CHUNK: usize = 4096;

impl Corpus {
    pub(super) fn new(settings: TextSettings) -> Self {
        Self {
            settings,
            params: settings.params_key(),
            hasher: MinHasher::new(settings.perms, super::minhash::DEFAULT_SEED),
            index: HashMap::new(),
            signatures: Vec::new(),
            first: Vec::new(),
            words: Vec::new(),
            places: Vec::new(),
            new: Vec::new(),
        }
    }

    /// Adds a text where it occurs: a new distinct text takes its kept signature, or gets one.
    pub(super) fn add(&mut self, store: &Store, place: Place, text: &str) -> Result<(), CleanError> {
        let normalized = normalize(text);
        let key = exact_key(&normalized);
        let next = self.first.len() as u32;
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            let perms = self.settings.perms;
            match store.text_signature(&self.params, &key)?.filter(|s| s.len() == perms * 4) {
                Some(sig) => {
                    self.signatures.extend(sig.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
                }
                None => {
                    let shingles = shingle_hashes(&normalized, self.settings.shingle);
                    let start = self.signatures.len();
                    self.signatures.resize(start + perms, 0);
                    self.hasher.signature_into(&shingles, &mut self.signatures[start..]);
                    self.new.push((key, self.signatures[start..].iter().flat_map(|v| v.to_le_bytes()).collect()));
                }
            }
            self.first.push((place, normalized.is_empty()));
            self.words.push(if normalized.is_empty() { 0 } else { normalized.split(' ').count() as u32 });
        }
        self.places.push((place, i));
        Ok(())
    }

    /// Keeps the signatures computed since the last call.
    pub(super) fn keep(&mut self, store: &mut Store) -> Result<(), CleanError> {
        if !self.new.is_empty() {
            store.put_text_signatures(&self.params, &std::mem::take(&mut self.new))?;
        }
        Ok(())
    }

    /// Verified near pairs of distinct texts, `(a, b, similarity)`.
    pub(super) fn near_pairs(&self, store: &Store) -> Result<Vec<(u32, u32, f64)>, CleanError> {
        let skip: Vec<bool> = self.first.iter().map(|(_, empty)| *empty).collect();
        let bands = Bands::optimal(self.settings.threshold, self.settings.perms);
        let candidates = candidate_pairs(&self.signatures, self.settings.perms, bands, &skip);
        let mut shingles: HashMap<u32, Vec<u64>> = HashMap::new();
        let mut out = Vec::new();
        for (a, b) in candidates {
            for x in [a, b] {
                if let std::collections::hash_map::Entry::Vacant(slot) = shingles.entry(x) {
                    let ((sample, response), _) = self.first[x as usize];
                    let text = store.text_at(sample, response)?.unwrap_or_default();
                    slot.insert(shingle_hashes(&normalize(&text), self.settings.shingle));
                }
            }
            let sim = jaccard(&shingles[&a], &shingles[&b]);
            if sim >= self.settings.threshold {
                out.push((a, b, sim));
            }
        }
        Ok(out)
    }
}

/// Runs the text pass over the samples in `rows` (not reference sets). Prompts always (the sample
/// pass needs their components); responses when asked.
pub fn text_components(
    store: &mut Store,
    settings: &TextSettings,
    prompts: bool,
    responses: bool,
    rows: &HashMap<SampleId, (DatasetId, i64), impl std::hash::BuildHasher>,
    progress: &mut Progress,
) -> Result<TextResult, CleanError> {
    let mut result = TextResult::default();
    progress.phase("hashing prompts", "samples", Some(rows.len() as u64), 0);
    let mut corpus = Corpus::new(*settings);
    let mut after = SampleId(0);
    let mut done = 0u64;
    loop {
        let chunk = store.prompts_after(after, CHUNK)?;
        let Some(last) = chunk.last() else { break };
        after = last.0;
        for (s, text) in &chunk {
            if rows.contains_key(s) {
                corpus.add(store, (*s, None), text)?;
            }
        }
        corpus.keep(store)?;
        done += chunk.len() as u64;
        progress.tick(done)?;
    }
    let pairs = corpus.near_pairs(store)?;
    let (component, groups) = components(&corpus, &pairs);
    for ((sample, _), i) in &corpus.places {
        result.prompt_component.insert(*sample, component[*i as usize]);
    }
    if prompts {
        result.prompt_groups = groups;
    }
    if responses {
        progress.phase("hashing responses", "responses", None, 0);
        let mut corpus = Corpus::new(*settings);
        let mut after = (SampleId(0), 0u32);
        let mut done = 0u64;
        loop {
            let chunk = store.responses_after(after, CHUNK)?;
            let Some(last) = chunk.last() else { break };
            after = (last.0, last.1);
            for (s, pos, text) in &chunk {
                if rows.contains_key(s) {
                    corpus.add(store, (*s, Some(*pos)), text)?;
                }
            }
            corpus.keep(store)?;
            done += chunk.len() as u64;
            progress.tick(done)?;
        }
        let pairs = corpus.near_pairs(store)?;
        result.response_groups = components(&corpus, &pairs).1;
    }
    Ok(result)
}

/// Each distinct text's component, and the groups: places whose texts share a component, over two
/// or more samples, in place order, each with its closest similarity (1 where the text itself is
/// shared).
fn components(corpus: &Corpus, pairs: &[(u32, u32, f64)]) -> (Vec<u32>, Vec<Vec<DupMember>>) {
    let n = corpus.first.len();
    let mut uf = Components::new(n);
    let mut best = vec![0f64; n];
    for &(a, b, sim) in pairs {
        uf.union(a, b);
        best[a as usize] = best[a as usize].max(sim);
        best[b as usize] = best[b as usize].max(sim);
    }
    let mut uses = vec![0u32; n];
    for (_, i) in &corpus.places {
        uses[*i as usize] += 1;
    }
    let component: Vec<u32> = (0..n as u32).map(|i| uf.find(i)).collect();
    let mut by_component: HashMap<u32, Vec<(Place, u32)>> = HashMap::new();
    for (place, i) in &corpus.places {
        if corpus.first[*i as usize].1 {
            continue;
        }
        by_component.entry(component[*i as usize]).or_default().push((*place, *i));
    }
    let mut groups: Vec<Vec<DupMember>> = by_component
        .into_values()
        .filter(|m| {
            let first = m[0].0.0;
            m.iter().any(|((s, _), _)| *s != first)
        })
        .map(|mut m| {
            m.sort_by_key(|(p, _)| *p);
            m.into_iter()
                .map(|((sample, response), i)| {
                    let score = if uses[i as usize] > 1 { 1.0 } else { best[i as usize] };
                    DupMember { sample, response, score: Some(score) }
                })
                .collect()
        })
        .collect();
    groups.sort_by_key(|g| (g[0].sample, g[0].response));
    (component, groups)
}
