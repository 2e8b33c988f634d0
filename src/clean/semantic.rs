//! Semantic near-duplicates of prompts: the prompt embeddings a sentence-embedding scorer kept
//! (`embeddings`, by the prompt text's hash) grouped where their cosine reaches a threshold. Not all
//! pairs: random-hyperplane LSH (Charikar's sign projections) puts each normalized vector in one bucket per
//! table by the signs of `BITS` random projections, and only vectors sharing a bucket in some table
//! are compared, by the exact cosine, as the MinHash pass checks its candidates by exact Jaccard.
//! Two vectors at angle θ share a bit with probability 1 − θ/π: at cosine 0.95 (θ ≈ 18°) that is
//! 0.90, a 12-bit bucket 0.28, and one of 16 tables 0.995. Groups are components of the accepted
//! pairs, stored as kind `semantic` (query field `dup:semantic`). Reads the store only: the
//! scorer's embeddings, never the `score` module.

use super::CleanError;
use crate::jobs::Progress;
use crate::model::union_find::Components;
use crate::model::{DatasetId, SampleId};
use crate::store::{DupMember, Store};
use std::collections::{HashMap, HashSet};

/// Random projections per bucket key.
const BITS: usize = 12;
/// Hash tables (independent sets of projections).
const TABLES: usize = 16;

/// How the semantic pass runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SemanticOptions {
    /// The scorer whose embeddings are compared (`None`: the one that ran last).
    pub scorer: Option<String>,
    /// Prompts whose embeddings reach this cosine are near duplicates.
    pub cosine: f64,
    /// The seed of the random projections.
    pub seed: u64,
}

impl Default for SemanticOptions {
    fn default() -> Self {
        Self { scorer: None, cosine: 0.95, seed: 0x5eed }
    }
}

/// What the pass found.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SemanticReport {
    /// The scorer whose embeddings were used.
    pub scorer: String,
    /// Prompts with an embedding (outside reference sets).
    pub embedded: u64,
    /// Candidate pairs the buckets proposed, and those the exact cosine accepted.
    pub candidates: u64,
    /// Pairs at or above the threshold.
    pub pairs: u64,
    /// Groups stored.
    pub groups: u64,
    /// Samples in them.
    pub samples: u64,
}

/// Groups the prompts by their embeddings and stores the groups of kind `semantic`.
pub fn run(
    store: &mut Store,
    options: &SemanticOptions,
    progress: &mut Progress,
) -> Result<SemanticReport, CleanError> {
    if !(options.cosine > 0.0 && options.cosine <= 1.0) {
        return Err(CleanError::Invalid(format!("--cosine {}: a similarity above 0 and at most 1", options.cosine)));
    }
    let Some(scorer) = store.scorer(options.scorer.as_deref())? else {
        return Err(CleanError::Invalid(match &options.scorer {
            Some(n) => format!("--semantic: no scorer `{n}` in this project: `verdict scorers P` lists them"),
            None => "--semantic compares the prompt embeddings a sentence-embedding scorer keeps, and this project \
                     has none: run `verdict score P --model all-MiniLM-L6-v2` (or another BERT-family encoder) first"
                .into(),
        }));
    };
    let reference: HashSet<DatasetId> = store.reference_datasets()?.into_iter().collect();
    progress.phase("reading embeddings", "samples", None, 0);
    let rows: Vec<(SampleId, Vec<f32>)> = store
        .prompt_embeddings(scorer.id)?
        .into_iter()
        .filter(|(_, d, _)| !reference.contains(d))
        .map(|(s, _, v)| (s, normalized(v)))
        .collect();
    if rows.is_empty() {
        return Err(CleanError::Invalid(format!(
            "--semantic: the scorer `{}` kept no prompt embeddings in this project (only sentence-embedding \
             scorers keep them): score with a BERT-family encoder such as all-MiniLM-L6-v2",
            scorer.name
        )));
    }
    let dim = rows[0].1.len();
    if let Some((s, v)) = rows.iter().find(|(_, v)| v.len() != dim) {
        return Err(CleanError::Invalid(format!(
            "sample {s}: an embedding of {} values where the others have {dim}",
            v.len()
        )));
    }
    progress.phase("grouping by meaning", "samples", Some(rows.len() as u64), 0);
    let planes = hyperplanes(options.seed, TABLES * BITS, dim);
    let mut uf = Components::new(rows.len());
    let mut report =
        SemanticReport { scorer: scorer.name.clone(), embedded: rows.len() as u64, ..SemanticReport::default() };
    let mut best = vec![0.0f64; rows.len()];
    for t in 0..TABLES {
        let mut buckets: HashMap<u16, Vec<u32>> = HashMap::new();
        for (i, (_, v)) in rows.iter().enumerate() {
            let mut key = 0u16;
            for b in 0..BITS {
                let plane = &planes[(t * BITS + b) * dim..(t * BITS + b + 1) * dim];
                if dot(plane, v) >= 0.0 {
                    key |= 1 << b;
                }
            }
            buckets.entry(key).or_default().push(i as u32);
        }
        for members in buckets.values() {
            for (k, &a) in members.iter().enumerate() {
                for &b in &members[k + 1..] {
                    if uf.find(a) == uf.find(b) && best[a as usize] > 0.0 && best[b as usize] > 0.0 {
                        continue;
                    }
                    report.candidates += 1;
                    let c = f64::from(dot(&rows[a as usize].1, &rows[b as usize].1));
                    if c >= options.cosine {
                        report.pairs += 1;
                        uf.union(a, b);
                        best[a as usize] = best[a as usize].max(c);
                        best[b as usize] = best[b as usize].max(c);
                    }
                }
            }
        }
        progress.tick((t as u64 + 1) * rows.len() as u64 / TABLES as u64)?;
    }
    let mut by_root: HashMap<u32, Vec<u32>> = HashMap::new();
    for i in 0..rows.len() as u32 {
        by_root.entry(uf.find(i)).or_default().push(i);
    }
    let mut groups: Vec<Vec<DupMember>> = by_root
        .into_values()
        .filter(|m| m.len() > 1)
        .map(|m| {
            m.into_iter()
                .map(|i| DupMember { sample: rows[i as usize].0, response: None, score: Some(best[i as usize]) })
                .collect::<Vec<_>>()
        })
        .collect();
    for g in &mut groups {
        g.sort_by_key(|m| m.sample);
    }
    groups.sort_by_key(|g| g[0].sample);
    report.groups = groups.len() as u64;
    report.samples = groups.iter().map(|g| g.len() as u64).sum();
    let settings = serde_json::to_value(options).unwrap_or_default();
    store.record_run("semantic", &settings, false)?;
    store.replace_dup_groups_of(&[("semantic", groups)], &settings)?;
    store.record_run("semantic", &settings, true)?;
    progress.finish(rows.len() as u64);
    Ok(report)
}

fn normalized(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `n` random directions of `dim` values (standard normal, by Box-Muller from a splitmix64
/// stream): the signs of their dot products are the bits.
fn hyperplanes(seed: u64, n: usize, dim: usize) -> Vec<f32> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n * dim)
        .map(|_| {
            let (u, v) = (next().max(f64::MIN_POSITIVE), next());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bits_of_close_vectors_mostly_agree_and_of_opposite_ones_never() {
        let dim = 16;
        let planes = hyperplanes(7, 256, dim);
        let a = normalized((0..dim).map(|i| (i as f32).sin()).collect());
        let b = normalized(a.iter().enumerate().map(|(i, x)| x + 0.05 * (i as f32).cos()).collect());
        let c: Vec<f32> = a.iter().map(|x| -x).collect();
        let agree = |x: &[f32], y: &[f32]| {
            (0..256)
                .filter(|k| {
                    (dot(&planes[k * dim..(k + 1) * dim], x) >= 0.0) == (dot(&planes[k * dim..(k + 1) * dim], y) >= 0.0)
                })
                .count()
        };
        assert!(agree(&a, &b) > 230, "{}", agree(&a, &b));
        assert_eq!(agree(&a, &c), 0);
    }
}
