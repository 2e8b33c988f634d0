//! Near-duplicate prompts and responses: each text normalized (NFKC, case and space folded) and
//! keyed exactly; each distinct text's MinHash signature computed once per settings and kept in the
//! project (a chunk of texts is normalized and signed on every core); LSH bands give candidate
//! pairs, each checked by the exact Jaccard similarity of its two shingle sets before it counts.
//! Texts equal after normalization are one text.

use super::CleanError;
use super::minhash::{BandKeys, Bands, MinHasher};
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
    /// Each distinct text's LSH band keys (its signature is kept in the project, not here).
    keys: BandKeys,
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
            keys: BandKeys::new(Bands::optimal(settings.threshold, settings.perms)),
            first: Vec::new(),
            words: Vec::new(),
            places: Vec::new(),
            new: Vec::new(),
        }
    }

    /// Adds a text where it occurs: a new distinct text takes its kept signature, or gets one.
    pub(super) fn add(&mut self, store: &Store, place: Place, text: &str) -> Result<(), CleanError> {
        self.add_chunk(store, &[(place, text)])
    }

    /// Adds texts where they occur, in order, as [`Corpus::add`] one by one would; normalizing and
    /// signing run on every core.
    pub(super) fn add_chunk(&mut self, store: &Store, items: &[(Place, &str)]) -> Result<(), CleanError> {
        let texts: Vec<&str> = items.iter().map(|(_, t)| *t).collect();
        let keyed = normalize_all(&texts);
        let perms = self.settings.perms;
        // New distinct texts: (item, its index); their kept signatures, one query per batch.
        let mut fresh: Vec<(usize, u32)> = Vec::new();
        for (k, ((place, _), (normalized, key))) in items.iter().zip(&keyed).enumerate() {
            let next = self.first.len() as u32;
            let i = *self.index.entry(*key).or_insert(next);
            if i == next {
                fresh.push((k, i));
                self.first.push((*place, normalized.is_empty()));
                self.words.push(if normalized.is_empty() { 0 } else { normalized.split(' ').count() as u32 });
            }
            self.places.push((*place, i));
        }
        let keys: Vec<[u8; 16]> = fresh.iter().map(|(k, _)| keyed[*k].1).collect();
        let kept = store.text_signatures_of(&self.params, &keys)?;
        let mut unsigned: Vec<(usize, u32)> = Vec::new();
        for &(k, i) in &fresh {
            match kept.get(&keyed[k].1).filter(|s| s.len() == perms * 4) {
                Some(sig) => {
                    let values: Vec<u32> =
                        sig.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
                    self.keys.push(&values);
                }
                None => {
                    self.keys.push(&[]);
                    unsigned.push((k, i));
                }
            }
        }
        let pending: Vec<&str> = unsigned.iter().map(|(k, _)| keyed[*k].0.as_str()).collect();
        let signed = sign_all(&self.hasher, self.settings.shingle, &pending);
        for ((k, i), sig) in unsigned.iter().zip(signed.chunks_exact(perms.max(1))) {
            self.keys.set(*i as usize, sig);
            self.new.push((keyed[*k].1, sig.iter().flat_map(|v| v.to_le_bytes()).collect()));
        }
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
        let candidates = self.keys.candidate_pairs(&skip);
        // Each text's shingles are made once, on its first candidate pair, and dropped after its
        // last: what is held is the texts whose pairs are still to come, not every candidate.
        let mut last = vec![usize::MAX; self.first.len()];
        for (k, &(a, b)) in candidates.iter().enumerate() {
            last[a as usize] = k;
            last[b as usize] = k;
        }
        let mut shingles: HashMap<u32, Vec<u64>> = HashMap::new();
        let mut out = Vec::new();
        for (k, &(a, b)) in candidates.iter().enumerate() {
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
            for x in [a, b] {
                if last[x as usize] == k {
                    shingles.remove(&x);
                }
            }
        }
        Ok(out)
    }
}

/// `f` of each item, in order, the items split evenly over the cores (inline when few).
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8);
    if threads < 2 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Each text's normalized form and exact key, computed on every core.
pub fn normalize_all(texts: &[&str]) -> Vec<(String, [u8; 16])> {
    par_map(texts, |t| {
        let normalized = normalize(t);
        let key = exact_key(&normalized);
        (normalized, key)
    })
}

/// The signatures of normalized texts' `shingle`-word shingle sets, one after the other
/// (`hasher.len()` values each), computed on every core.
pub fn sign_all(hasher: &MinHasher, shingle: usize, normalized: &[&str]) -> Vec<u32> {
    let mut out = vec![0; normalized.len() * hasher.len()];
    sign_into(hasher, shingle, normalized, &mut out);
    out
}

/// [`sign_all`] into `out` (`hasher.len()` values a text): each core signs its share of the texts
/// straight into its share of `out`, no signature allocated apart and copied.
pub fn sign_into(hasher: &MinHasher, shingle: usize, normalized: &[&str], out: &mut [u32]) {
    let perms = hasher.len().max(1);
    let sign = |texts: &[&str], out: &mut [u32]| {
        for (text, sig) in texts.iter().zip(out.chunks_exact_mut(perms)) {
            hasher.signature_into(&shingle_hashes(text, shingle), sig);
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8);
    if threads < 2 || normalized.len() < 64 {
        sign(normalized, out);
        return;
    }
    let part = normalized.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for (texts, out) in normalized.chunks(part).zip(out.chunks_mut(part * perms)) {
            scope.spawn(move || sign(texts, out));
        }
    });
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
    // The prompts' corpus (its signatures: 512 bytes a distinct prompt) is dropped before the
    // responses' is built: both at once held ~300 MB more at 500k prompts.
    {
        let mut corpus = Corpus::new(*settings);
        let mut after = SampleId(0);
        let mut done = 0u64;
        loop {
            let chunk = store.prompts_after(after, CHUNK)?;
            let Some(last) = chunk.last() else { break };
            after = last.0;
            let items: Vec<(Place, &str)> = chunk
                .iter()
                .filter(|(s, _)| rows.contains_key(s))
                .map(|(s, text)| ((*s, None), text.as_str()))
                .collect();
            corpus.add_chunk(store, &items)?;
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
            let items: Vec<(Place, &str)> = chunk
                .iter()
                .filter(|(s, _, _)| rows.contains_key(s))
                .map(|(s, pos, text)| ((*s, Some(*pos)), text.as_str()))
                .collect();
            corpus.add_chunk(store, &items)?;
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
