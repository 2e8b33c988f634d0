//! MinHash signatures over shingle hashes and LSH banding to find candidate pairs.
//!
//! The permutations are datasketch's `affine32` scheme (datasketch >= 2.0): each input hash is
//! pre-mixed once with `MurmurHash3`'s 32-bit finalizer, then permutation `k` maps it to
//! `a_k * h + b_k` modulo 2^32 (`a_k` odd, so each is a bijection). Given the same permutations,
//! the same input hashes and the same bands, datasketch's `MinHash`/`MinHashLSH` find the same
//! candidates; the benchmark hands it ours. Band parameters default to datasketch's own choice for
//! a threshold (the `(b, r)` that minimizes the false-positive and false-negative areas, equally
//! weighted).

use twox_hash::XxHash3_64;

/// The default number of permutations.
pub const DEFAULT_PERMUTATIONS: usize = 128;

/// The default seed of the permutations.
pub const DEFAULT_SEED: u64 = 1;

/// Permutations of the affine32 scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinHasher {
    /// Multipliers (odd).
    pub a: Vec<u32>,
    /// Offsets.
    pub b: Vec<u32>,
}

/// `MurmurHash3`'s 32-bit finalizer.
pub fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl MinHasher {
    /// `n` permutations drawn from `seed` (splitmix64).
    pub fn new(n: usize, seed: u64) -> Self {
        let mut state = seed;
        let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let x = splitmix64(&mut state);
            a.push((x as u32) | 1);
            b.push((x >> 32) as u32);
        }
        Self { a, b }
    }

    /// The number of permutations.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// The signature of a set of 64-bit shingle hashes (their low 32 bits enter, as a 32-bit
    /// `hashfunc` gives datasketch): the minimum of each permutation, `u32::MAX` for an empty set.
    pub fn signature_into(&self, shingles: &[u64], out: &mut [u32]) {
        let n = self.a.len();
        let out = &mut out[..n];
        out.fill(u32::MAX);
        let (a, b) = (&self.a[..n], &self.b[..n]);
        for s in shingles {
            let h = fmix32(*s as u32);
            // Written so that the compiler vectorizes it: lanes of multiply, add, min.
            for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
                *o = (*o).min(a.wrapping_mul(h).wrapping_add(*b));
            }
        }
    }

    /// The signature as a new vector.
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        let mut out = vec![0; self.a.len()];
        self.signature_into(shingles, &mut out);
        out
    }
}

/// The share of equal positions of two signatures: the Jaccard estimate.
pub fn estimate(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

/// Bands and rows per band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    /// Number of bands.
    pub bands: usize,
    /// Rows (permutations) per band.
    pub rows: usize,
}

impl Bands {
    /// datasketch's `_optimal_param(threshold, num_perm, 0.5, 0.5)`: the `(b, r)` with `b * r <=
    /// num_perm` that minimizes the equally weighted areas of false positives below the threshold
    /// and false negatives above it.
    pub fn optimal(threshold: f64, num_perm: usize) -> Self {
        let mut best = (f64::INFINITY, Self { bands: 1, rows: num_perm.max(1) });
        for b in 1..=num_perm {
            for r in 1..=num_perm / b {
                let p = |s: f64| 1.0 - (1.0 - s.powi(r as i32)).powi(b as i32);
                let fp = integrate(&p, 0.0, threshold);
                let fneg = integrate(&|s| 1.0 - p(s), threshold, 1.0);
                let error = 0.5 * fp + 0.5 * fneg;
                if error < best.0 {
                    best = (error, Self { bands: b, rows: r });
                }
            }
        }
        best.1
    }
}

/// Composite Simpson's rule with enough panels for these smooth curves.
fn integrate(f: &dyn Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    const PANELS: usize = 512;
    if hi <= lo {
        return 0.0;
    }
    let h = (hi - lo) / PANELS as f64;
    let mut sum = f(lo) + f(hi);
    for i in 1..PANELS {
        sum += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

/// Candidate pairs `(i, j)`, `i < j`, of signatures (`n` of `perms` values each, one after the
/// other in `signatures`) that agree on every row of at least one band; sorted, without repeats.
/// Items in `skip` (empty texts) take no part.
pub fn candidate_pairs(signatures: &[u32], perms: usize, bands: Bands, skip: &[bool]) -> Vec<(u32, u32)> {
    let n = signatures.len() / perms.max(1);
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(n);
    for band in 0..bands.bands {
        let (from, to) = (band * bands.rows, (band + 1) * bands.rows);
        if to > perms {
            break;
        }
        keyed.clear();
        for i in 0..n {
            if skip.get(i).copied().unwrap_or(false) {
                continue;
            }
            let rows = &signatures[i * perms + from..i * perms + to];
            let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
            keyed.push((XxHash3_64::oneshot(&bytes), i as u32));
        }
        keyed.sort_unstable();
        for run in keyed.chunk_by(|x, y| x.0 == y.0) {
            for (k, x) in run.iter().enumerate() {
                for y in &run[k + 1..] {
                    pairs.push((x.1.min(y.1), x.1.max(y.1)));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmix32_matches_murmur3() {
        // The finalizer as datasketch's `_fmix(hv, 32)` computes it.
        assert_eq!(fmix32(0), 0);
        assert_eq!(fmix32(1), 0x514e_28b7);
    }

    #[test]
    fn permutations_are_odd_and_seeded() {
        let h = MinHasher::new(64, 1);
        assert!(h.a.iter().all(|a| a % 2 == 1));
        assert_eq!(h, MinHasher::new(64, 1));
        assert_ne!(h, MinHasher::new(64, 2));
    }

    #[test]
    fn the_estimate_follows_the_jaccard_similarity() {
        let h = MinHasher::new(256, 7);
        let a: Vec<u64> = (0..1000).collect();
        let b: Vec<u64> = (250..1250).collect(); // 750 shared of 1250: 0.6
        let est = estimate(&h.signature(&a), &h.signature(&b));
        assert!((est - 0.6).abs() < 0.1, "{est}");
        assert!((estimate(&h.signature(&a), &h.signature(&a)) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn datasketch_picks_these_bands() {
        // datasketch 2.0's `MinHashLSH(threshold=t, num_perm=128)` `.b` and `.r`.
        assert_eq!(Bands::optimal(0.8, 128), Bands { bands: 9, rows: 13 });
        assert_eq!(Bands::optimal(0.5, 128), Bands { bands: 25, rows: 5 });
        assert_eq!(Bands::optimal(0.9, 128), Bands { bands: 5, rows: 25 });
        assert_eq!(Bands::optimal(0.7, 128), Bands { bands: 14, rows: 9 });
    }

    #[test]
    fn similar_sets_are_candidates_and_unrelated_ones_are_not() {
        let h = MinHasher::new(128, 1);
        let sets: Vec<Vec<u64>> = vec![(0..100).collect(), (0..98).collect(), (5000..5100).collect()];
        let sigs: Vec<u32> = sets.iter().flat_map(|s| h.signature(s)).collect();
        let pairs = candidate_pairs(&sigs, 128, Bands::optimal(0.8, 128), &[false; 3]);
        assert_eq!(pairs, [(0, 1)]);
    }
}
