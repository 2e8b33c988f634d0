//! Contamination: the samples of other datasets that nearly duplicate a member of a reference set
//! (an evaluation benchmark imported like any dataset) by image, by prompt or both. The reference
//! set is marked as such in the project: never exported, never grouped as duplicates.
//!
//! A prompt match alone needs a prompt of at least [`MIN_PROMPT_WORDS`] words on both sides:
//! "Describe the image." is in every benchmark and every training set without leaking anything.

use super::media_pass::fingerprint_media;
use super::text_pass::{CHUNK, Corpus};
use super::{CleanError, dedup::DedupOptions, hamming};
use crate::jobs::Progress;
use crate::model::{DatasetId, MediaKind, SampleId};
use crate::store::{ContaminationHit, Store};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Prompts shorter than this (in words, normalized) do not match by prompt alone.
pub const MIN_PROMPT_WORDS: u32 = 6;

/// Marks `reference` as a reference set, compares every other (non-reference) sample with its
/// members, stores and returns the hits (by contaminated sample, then reference member).
pub fn run(
    store: &mut Store,
    reference: DatasetId,
    options: &DedupOptions,
    progress: &mut Progress,
) -> Result<Vec<ContaminationHit>, CleanError> {
    store.set_reference(reference, true)?;
    let run = format!("contamination:{reference}");
    let settings = serde_json::json!({
        "reference": reference, "images": options.images, "prompts": options.prompts, "radius": options.radius,
        "threshold": options.threshold, "shingle": options.shingle, "perms": options.perms,
        "min_prompt_words": MIN_PROMPT_WORDS,
    });
    store.record_run(&run, &settings, false)?;
    let references: HashSet<DatasetId> = store.reference_datasets()?.into_iter().collect();
    let mut dataset_of: HashMap<SampleId, DatasetId> = HashMap::new();
    store.sample_rows(|s, d, _| {
        dataset_of.insert(s, d);
    })?;
    let is_ref = |s: &SampleId| dataset_of.get(s) == Some(&reference);
    let is_other = |s: &SampleId| dataset_of.get(s).is_some_and(|d| !references.contains(d));
    let mut found: BTreeMap<(SampleId, SampleId), Found> = BTreeMap::new();
    if options.images {
        fingerprint_media(store, &[MediaKind::Image], progress)?;
        progress.phase("comparing images", "images", None, 0);
        let samples = store.sample_fingerprints(MediaKind::Image, "phash")?;
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut hashes: Vec<u64> = Vec::new();
        let mut users: Vec<(Vec<SampleId>, Vec<SampleId>)> = Vec::new();
        for s in &samples {
            let (r, o) = (is_ref(&s.sample), is_other(&s.sample));
            if !r && !o {
                continue;
            }
            for (content, print) in &s.items {
                let (Some(content), Some(print)) = (content, print) else { continue };
                let next = hashes.len() as u32;
                let i = *index.entry(content.as_str()).or_insert_with(|| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&print[..8]);
                    hashes.push(u64::from_be_bytes(b));
                    users.push((Vec::new(), Vec::new()));
                    next
                });
                let u = &mut users[i as usize];
                if r { u.0.push(s.sample) } else { u.1.push(s.sample) }
            }
        }
        let mut cross = |a: usize, b: usize, d: f64| {
            for r in &users[a].0 {
                for o in &users[b].1 {
                    let e = found.entry((*o, *r)).or_default();
                    e.image = Some(e.image.map_or(d, |x: f64| x.min(d)));
                }
            }
        };
        for i in 0..hashes.len() {
            cross(i, i, 0.0);
        }
        for (a, b, d) in hamming::pairs_within(&hashes, options.radius) {
            cross(a as usize, b as usize, f64::from(d));
            cross(b as usize, a as usize, f64::from(d));
        }
    }
    if options.prompts {
        progress.phase("comparing prompts", "samples", Some(dataset_of.len() as u64), 0);
        let mut corpus = Corpus::new(options.text());
        let mut after = SampleId(0);
        loop {
            let chunk = store.prompts_after(after, CHUNK)?;
            let Some(last) = chunk.last() else { break };
            after = last.0;
            for (s, text) in &chunk {
                if is_ref(s) || is_other(s) {
                    corpus.add(store, (*s, None), text)?;
                }
            }
            corpus.keep(store)?;
        }
        let mut by_text: Vec<(Vec<SampleId>, Vec<SampleId>)> = vec![(Vec::new(), Vec::new()); corpus.first.len()];
        for ((s, _), i) in &corpus.places {
            let u = &mut by_text[*i as usize];
            if is_ref(s) { u.0.push(*s) } else { u.1.push(*s) }
        }
        let long = |i: usize| corpus.words[i] >= MIN_PROMPT_WORDS;
        let mut pairs: Vec<(usize, usize, f64)> =
            (0..by_text.len()).filter(|i| !corpus.first[*i].1).map(|i| (i, i, 0.0)).collect();
        for (a, b, sim) in corpus.near_pairs(store)? {
            pairs.push((a as usize, b as usize, 1.0 - sim));
            pairs.push((b as usize, a as usize, 1.0 - sim));
        }
        for (a, b, d) in pairs {
            for r in &by_text[a].0 {
                for o in &by_text[b].1 {
                    let e = found.entry((*o, *r)).or_default();
                    if e.prompt.is_none_or(|x| d < x) {
                        e.prompt = Some(d);
                        e.prompt_long = long(a) && long(b);
                    }
                }
            }
        }
    }
    let hits: Vec<ContaminationHit> = found
        .into_iter()
        .filter_map(|((sample, reference), f)| {
            // A short prompt counts only together with its image.
            let prompt = f.prompt.filter(|_| f.prompt_long || f.image.is_some());
            let (by, distance) = match (f.image, prompt) {
                (Some(i), Some(p)) => ("both", i.min(p)),
                (Some(i), None) => ("image", i),
                (None, Some(p)) => ("prompt", p),
                (None, None) => return None,
            };
            Some(ContaminationHit { sample, reference, by: by.into(), distance })
        })
        .collect();
    store.replace_contamination(reference, &hits)?;
    store.record_run(&run, &settings, true)?;
    Ok(hits)
}

/// What matched between a sample and a reference member.
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    image: Option<f64>,
    prompt: Option<f64>,
    prompt_long: bool,
}
