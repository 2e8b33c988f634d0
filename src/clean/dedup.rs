//! The duplicate passes: media fingerprinted (`media_pass`), then grouped per kind and stored.
//!
//! - `image`, `video`, `audio`: samples whose input media of that kind are the same set up to
//!   near duplicates (contents linked by near pairs form components; a sample's key is its sorted
//!   components). The same image under different prompts is such a group: reuse.
//! - `prompt`: samples whose prompts are the same after normalization or near duplicates by
//!   MinHash LSH, each candidate pair checked by its exact Jaccard similarity.
//! - `response`: responses (of different samples) that are the same or near duplicates.
//! - `sample`: samples whose prompt and media are the same or near: the same question asked twice,
//!   the kind excluded by default. Samples cut from one source row (HA-DPO's several pairs) are
//!   one sample here.
//!
//! Reference sets take no part (they are compared with the rest by the contamination pass). Every
//! group lists its members in import order, so the first is the keeper unless a policy says
//! otherwise. The groups are a function of the stored fingerprints and the settings: a pass killed
//! and run again ends with the same groups.

use super::media_pass::{MediaPassReport, fingerprint_media};
use super::text_pass::{TextSettings, text_components};
use super::{CleanError, hamming, sequence};
use crate::jobs::Progress;
use crate::model::union_find::Components;
use crate::model::{DatasetId, MediaKind, SampleId};
use crate::store::{DupMember, Store};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What to look for, and how close is near.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DedupOptions {
    /// Near-duplicate images.
    pub images: bool,
    /// Near-duplicate videos (files and frame folders).
    pub video: bool,
    /// Near-duplicate audio.
    pub audio: bool,
    /// Near-duplicate prompts.
    pub prompts: bool,
    /// Near-duplicate responses.
    pub responses: bool,
    /// Image (and video frame) hashes within this many bits are near.
    pub radius: u32,
    /// Texts at or above this Jaccard similarity are near.
    pub threshold: f64,
    /// Videos and audio whose best alignment covers this share of the shorter are near.
    pub coverage: f64,
    /// Words per shingle.
    pub shingle: usize,
    /// MinHash permutations.
    pub perms: usize,
}

impl Default for DedupOptions {
    fn default() -> Self {
        Self {
            images: true,
            video: true,
            audio: true,
            prompts: true,
            responses: true,
            radius: super::phash::DEFAULT_RADIUS,
            threshold: 0.8,
            coverage: sequence::DEFAULT_COVERAGE,
            shingle: 1,
            perms: super::minhash::DEFAULT_PERMUTATIONS,
        }
    }
}

impl DedupOptions {
    /// The text settings of these options.
    pub fn text(&self) -> TextSettings {
        TextSettings { threshold: self.threshold, shingle: self.shingle, perms: self.perms }
    }
}

/// What a dedup run found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DedupReport {
    /// The media pass.
    pub media: MediaPassReport,
    /// Per kind: groups and the samples in them.
    pub kinds: BTreeMap<String, KindCount>,
}

/// Groups of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindCount {
    /// Groups.
    pub groups: u64,
    /// Samples in them.
    pub samples: u64,
    /// Samples that are not their group's first (what excluding by `first` would exclude).
    pub extra: u64,
}

/// The kinds of groups, in the order passes run and reports list them.
pub const KINDS: &[&str] = &["image", "video", "audio", "prompt", "response", "sample"];

/// Each sample's media key for one kind, and that kind's groups.
type MediaGroups = (Vec<(SampleId, MediaKey)>, Vec<Vec<DupMember>>);

/// A sample's near-duplicate key for one media kind: its media components, sorted; a sample with
/// media that has no fingerprint has a key of its own (`-id`), equal to no other.
type MediaKey = Vec<i64>;

/// Runs the passes `options` ask for, then the sample pass over what they found.
pub fn run(store: &mut Store, options: &DedupOptions, progress: &mut Progress) -> Result<DedupReport, CleanError> {
    let mut kinds = Vec::new();
    if options.images {
        kinds.push(MediaKind::Image);
    }
    if options.video {
        kinds.extend([MediaKind::Video, MediaKind::Frames]);
    }
    if options.audio {
        kinds.push(MediaKind::Audio);
    }
    let settings = serde_json::to_value(options).unwrap_or_default();
    store.record_run("dedup", &settings, false)?;
    let mut report = DedupReport { media: fingerprint_media(store, &kinds, progress)?, ..DedupReport::default() };
    let reference: HashSet<DatasetId> = store.reference_datasets()?.into_iter().collect();
    // Each sample's media key per kind, for the sample pass.
    let mut media_keys: HashMap<SampleId, Vec<(u8, MediaKey)>> = HashMap::new();
    let mut rows: HashMap<SampleId, (DatasetId, i64)> = HashMap::new();
    store.sample_rows(|s, d, row| {
        if !reference.contains(&d) {
            rows.insert(s, (d, row));
        }
    })?;
    // Every media kind is grouped (over what is fingerprinted: cheap) because the sample pass needs
    // each sample's media keys; only the kinds asked for are fingerprinted first and recorded. The
    // groups of every kind are written together at the end, in one transaction: a cancelled pass
    // leaves the previous groups whole.
    let mut found: Vec<(&'static str, Vec<Vec<DupMember>>)> = Vec::new();
    for (tag, kind, on) in [(0u8, "image", options.images), (1, "video", options.video), (2, "audio", options.audio)] {
        progress.phase(&format!("grouping {kind}"), "samples", None, 0);
        let (keyed, groups) = media_pass_groups(store, kind, options, &rows)?;
        for (s, key) in keyed {
            media_keys.entry(s).or_default().push((tag, key));
        }
        if on {
            found.push((kind, groups));
        }
        progress.tick(0)?;
    }
    if options.prompts || options.responses {
        let text = text_components(store, &options.text(), options.prompts, options.responses, &rows, progress)?;
        if options.prompts {
            progress.phase("grouping samples", "samples", None, 0);
            let groups = sample_groups(&rows, &text.prompt_component, &media_keys);
            found.push(("prompt", text.prompt_groups));
            found.push(("sample", groups));
        }
        if options.responses {
            found.push(("response", text.response_groups));
        }
    }
    progress.tick(0)?;
    store.replace_dup_groups_of(&found, &settings)?;
    for (kind, groups) in &found {
        count(kind, groups, &mut report);
    }
    store.record_run("dedup", &settings, true)?;
    Ok(report)
}

/// Counts the groups of `kind` into the report.
fn count(kind: &str, groups: &[Vec<DupMember>], report: &mut DedupReport) {
    let samples: u64 = groups.iter().map(|g| g.iter().map(|m| m.sample).collect::<HashSet<_>>().len() as u64).sum();
    report.kinds.insert(
        kind.to_owned(),
        KindCount { groups: groups.len() as u64, samples, extra: samples - groups.len() as u64 },
    );
}

/// For one media kind: each sample with media of it and its key (the sorted components of its
/// media contents: contents linked by near pairs form a component), and the groups: per
/// component, the samples that hold one of its contents, when there are two or more. A member's
/// score is the largest distance (images) or smallest similarity (video, audio) of the links that
/// join its content to the component: 0 bits or 1.0 where the content itself is shared.
fn media_pass_groups(
    store: &Store,
    kind: &str,
    options: &DedupOptions,
    rows: &HashMap<SampleId, (DatasetId, i64)>,
) -> Result<MediaGroups, CleanError> {
    let mut samples = Vec::new();
    let media_kinds: &[MediaKind] = match kind {
        "image" => &[MediaKind::Image],
        "video" => &[MediaKind::Video, MediaKind::Frames],
        _ => &[MediaKind::Audio],
    };
    for mk in media_kinds {
        let algo = super::media_pass::algo_of(*mk);
        samples.extend(store.sample_fingerprints(*mk, algo)?.into_iter().filter(|s| rows.contains_key(&s.sample)));
    }
    samples.sort_by_key(|s| s.sample);
    // Distinct contents, each with its fingerprint and how many samples hold it.
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut prints: Vec<Vec<u8>> = Vec::new();
    let mut holders: Vec<u32> = Vec::new();
    for s in &samples {
        let mut mine: HashSet<&str> = HashSet::new();
        for (content, print) in &s.items {
            let (Some(content), Some(print)) = (content, print) else { continue };
            let next = prints.len() as u32;
            let i = *index.entry(content.clone()).or_insert_with(|| {
                prints.push(print.clone());
                holders.push(0);
                next
            });
            if mine.insert(content) {
                holders[i as usize] += 1;
            }
        }
    }
    let distance = kind == "image";
    let pairs: Vec<(u32, u32, f64)> = match kind {
        "image" => {
            let hashes: Vec<u64> = prints.iter().map(|p| u64_be(p)).collect();
            hamming::pairs_within(&hashes, options.radius).into_iter().map(|(a, b, d)| (a, b, f64::from(d))).collect()
        }
        "video" => {
            let seqs: Vec<Vec<u64>> = prints.iter().map(|p| p.chunks_exact(8).map(u64_be).collect()).collect();
            sequence::near_videos(&seqs, options.radius, options.coverage)
        }
        _ => {
            let seqs: Vec<Vec<u32>> = prints
                .iter()
                .map(|p| p.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
                .collect();
            sequence::near_audio(&seqs, options.coverage)
        }
    };
    let mut uf = Components::new(prints.len());
    let exact = if distance { 0.0 } else { 1.0 };
    let mut link: Vec<Option<f64>> = holders.iter().map(|h| (*h > 1).then_some(exact)).collect();
    for (a, b, score) in &pairs {
        uf.union(*a, *b);
        for x in [a, b] {
            let l = &mut link[*x as usize];
            *l = Some(match *l {
                Some(old) if distance => old.min(*score),
                Some(old) => old.max(*score),
                None => *score,
            });
        }
    }
    let mut keys = Vec::with_capacity(samples.len());
    let mut by_component: BTreeMap<u32, Vec<(SampleId, f64)>> = BTreeMap::new();
    for s in &samples {
        let complete = s.items.iter().all(|(c, p)| c.is_some() && p.is_some());
        let mut key: MediaKey = if complete {
            s.items.iter().filter_map(|(c, _)| c.as_ref()).map(|c| i64::from(uf.find(index[c]))).collect()
        } else {
            vec![-s.sample.0]
        };
        key.sort_unstable();
        for (c, p) in &s.items {
            let (Some(c), Some(_)) = (c, p) else { continue };
            let i = index[c];
            let Some(score) = link[i as usize] else { continue };
            let members = by_component.entry(uf.find(i)).or_default();
            match members.iter_mut().find(|(m, _)| *m == s.sample) {
                Some((_, old)) => *old = if distance { old.min(score) } else { old.max(score) },
                None => members.push((s.sample, score)),
            }
        }
        keys.push((s.sample, key));
    }
    let mut groups: Vec<Vec<DupMember>> = by_component
        .into_values()
        .filter(|m| m.len() > 1)
        .map(|m| {
            m.into_iter().map(|(sample, score)| DupMember { sample, response: None, score: Some(score) }).collect()
        })
        .collect();
    groups.sort_by_key(|g| g[0].sample);
    Ok((keys, groups))
}

fn u64_be(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

/// A sample's question: its prompt component and its media keys by kind.
type SampleKey = (u32, Vec<(u8, MediaKey)>);

/// The same question: equal prompt components and equal media keys of every kind. Samples of one
/// source row count once (the first).
fn sample_groups(
    rows: &HashMap<SampleId, (DatasetId, i64)>,
    prompt_key: &HashMap<SampleId, u32>,
    media_keys: &HashMap<SampleId, Vec<(u8, MediaKey)>>,
) -> Vec<Vec<DupMember>> {
    let mut by_key: HashMap<SampleKey, Vec<SampleId>> = HashMap::new();
    for s in rows.keys() {
        let Some(p) = prompt_key.get(s) else { continue };
        let mut media = media_keys.get(s).cloned().unwrap_or_default();
        media.sort();
        by_key.entry((*p, media)).or_default().push(*s);
    }
    let mut groups: Vec<Vec<DupMember>> = by_key
        .into_values()
        .filter_map(|mut members| {
            members.sort_unstable();
            let mut seen_rows = HashSet::new();
            members.retain(|s| seen_rows.insert(rows[s]));
            (members.len() > 1)
                .then(|| members.into_iter().map(|sample| DupMember { sample, response: None, score: None }).collect())
        })
        .collect();
    groups.sort_by_key(|g: &Vec<DupMember>| g[0].sample);
    groups
}
