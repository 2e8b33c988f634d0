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
        let (a, b, out) = (&self.a[..n], &self.b[..n], &mut out[..n]);
        let mixed: Vec<u32> = shingles.iter().map(|s| fmix32(*s as u32)).collect();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            #[allow(unsafe_code)]
            // SAFETY: `sign_avx2` only requires AVX2, which the CPU was just found to have.
            unsafe {
                sign_avx2(a, b, &mixed, out);
            }
            return;
        }
        sign_lanes(a, b, &mixed, out);
    }
    /// The signature as a new vector.
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        let mut out = vec![0; self.a.len()];
        self.signature_into(shingles, &mut out);
        out
    }
}

/// Permutations a block of the signature holds in registers while every shingle passes.
const LANES: usize = 32;

/// The signature of pre-mixed hashes: for each block of [`LANES`] permutations, the running
/// minima stay in registers while every hash passes (multiply, add, min a lane each), and are
/// written once; the rest, when the count is not a multiple of [`LANES`], one by one.
#[inline(always)]
#[allow(clippy::inline_always, reason = "inlined into the AVX2 copy, so that it is compiled with AVX2")]
fn sign_lanes(a: &[u32], b: &[u32], mixed: &[u32], out: &mut [u32]) {
    let blocks = out.len() / LANES * LANES;
    for ((o, a), b) in out[..blocks].chunks_exact_mut(LANES).zip(a.chunks_exact(LANES)).zip(b.chunks_exact(LANES)) {
        let mut acc = [u32::MAX; LANES];
        for &h in mixed {
            for ((m, a), b) in acc.iter_mut().zip(a).zip(b) {
                *m = (*m).min(a.wrapping_mul(h).wrapping_add(*b));
            }
        }
        o.copy_from_slice(&acc);
    }
    for ((o, a), b) in out[blocks..].iter_mut().zip(&a[blocks..]).zip(&b[blocks..]) {
        *o = mixed.iter().fold(u32::MAX, |m, h| m.min(a.wrapping_mul(*h).wrapping_add(*b)));
    }
}

/// [`sign_lanes`] compiled with AVX2 (`vpmulld`, 8 lanes a register): the release build targets
/// baseline x86-64, whose SSE2 has no 32-bit lane multiply; chosen at run time where the CPU has it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sign_avx2(a: &[u32], b: &[u32], mixed: &[u32], out: &mut [u32]) {
    sign_lanes(a, b, mixed, out);
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
    let perms = perms.max(1);
    candidate_pairs_by(signatures.len() / perms, bands, skip, |i| &signatures[i * perms..(i + 1) * perms])
}

/// [`candidate_pairs`] of `n` signatures, signature `i` given by `signature(i)`.
pub fn candidate_pairs_by<'a>(
    n: usize,
    bands: Bands,
    skip: &[bool],
    signature: impl Fn(usize) -> &'a [u32],
) -> Vec<(u32, u32)> {
    let mut bytes: Vec<u8> = Vec::with_capacity(bands.rows * 4);
    pairs_by_key(n, bands.bands, skip, |i, band| {
        signature(i).get(band * bands.rows..(band + 1) * bands.rows).map(|rows| band_key(rows, &mut bytes))
    })
}

/// The key of one band's rows: XXH3 of their little-endian bytes (`bytes` is scratch space).
fn band_key(rows: &[u32], bytes: &mut Vec<u8>) -> u64 {
    bytes.clear();
    bytes.extend(rows.iter().flat_map(|v| v.to_le_bytes()));
    XxHash3_64::oneshot(bytes)
}

/// Pairs `(i, j)`, `i < j`, of the `n` items that share the key of at least one of `bands` bands
/// (`key(i, band)`; `None` takes no part); sorted, without repeats. Items in `skip` take no part.
fn pairs_by_key(
    n: usize,
    bands: usize,
    skip: &[bool],
    mut key: impl FnMut(usize, usize) -> Option<u64>,
) -> Vec<(u32, u32)> {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(n);
    for band in 0..bands {
        keyed.clear();
        for i in 0..n {
            if skip.get(i).copied().unwrap_or(false) {
                continue;
            }
            if let Some(k) = key(i, band) {
                keyed.push((k, i as u32));
            }
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

/// The LSH band keys of signatures, `bands.bands` a signature: all that the candidate search
/// needs, 72 bytes a text at threshold 0.8 and 128 permutations where its signature takes 512 (the
/// signatures themselves are kept in the project, not in memory). The same candidates as
/// [`candidate_pairs`] of the signatures.
#[derive(Debug, Clone)]
pub struct BandKeys {
    bands: Bands,
    keys: Vec<u64>,
    scratch: Vec<u8>,
}

impl BandKeys {
    /// No signatures yet, keyed by `bands`.
    pub fn new(bands: Bands) -> Self {
        Self { bands, keys: Vec::new(), scratch: Vec::new() }
    }

    /// The number of signatures keyed.
    pub fn len(&self) -> usize {
        self.keys.len() / self.bands.bands.max(1)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Appends the keys of a signature (rows past its end count as zeros).
    pub fn push(&mut self, signature: &[u32]) {
        let at = self.keys.len();
        self.keys.resize(at + self.bands.bands, 0);
        self.set(at / self.bands.bands.max(1), signature);
    }

    /// Replaces signature `i`'s keys with those of `signature`.
    pub fn set(&mut self, i: usize, signature: &[u32]) {
        let (b, r) = (self.bands.bands, self.bands.rows);
        for band in 0..b {
            self.keys[i * b + band] = match signature.get(band * r..(band + 1) * r) {
                Some(rows) => band_key(rows, &mut self.scratch),
                None => {
                    let mut rows = vec![0u32; r];
                    let from = (band * r).min(signature.len());
                    rows[..signature.len() - from].copy_from_slice(&signature[from..]);
                    band_key(&rows, &mut self.scratch)
                }
            };
        }
    }

    /// [`candidate_pairs`] of the signatures keyed.
    pub fn candidate_pairs(&self, skip: &[bool]) -> Vec<(u32, u32)> {
        let b = self.bands.bands;
        pairs_by_key(self.len(), b, skip, |i, band| Some(self.keys[i * b + band]))
    }
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
    fn band_keys_find_what_the_signatures_find() {
        let h = MinHasher::new(128, 1);
        let n = 3000;
        let sets: Vec<Vec<u64>> = (0..n as u64)
            .map(|i| if i % 1000 == 999 { (0..100).collect() } else { (i * 200..i * 200 + 100).collect() })
            .collect();
        let flat: Vec<u32> = sets.iter().flat_map(|s| h.signature(s)).collect();
        let bands = Bands::optimal(0.8, 128);
        let mut keys = BandKeys::new(bands);
        for s in &sets {
            keys.push(&h.signature(s));
        }
        assert_eq!(keys.len(), n);
        let mut skip = vec![false; n];
        let pairs = keys.candidate_pairs(&skip);
        assert_eq!(pairs, candidate_pairs(&flat, 128, bands, &skip));
        assert!(pairs.contains(&(999, 1999)) && pairs.contains(&(1999, 2999)), "{pairs:?}");
        // A signature keyed again; a skipped one takes no part.
        keys.set(3, &flat[..128]);
        assert!(keys.candidate_pairs(&skip).contains(&(0, 3)));
        skip[999] = true;
        assert!(!keys.candidate_pairs(&skip).iter().any(|&(a, b)| a == 999 || b == 999));
        // A short signature counts as one padded with zeros.
        let mut short = BandKeys::new(bands);
        short.push(&flat[..100]);
        let mut padded = flat[..100].to_vec();
        padded.resize(128, 0);
        let mut full = BandKeys::new(bands);
        full.push(&padded);
        assert_eq!(short.keys, full.keys);
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
    fn the_lanes_give_the_plain_minima() {
        // The block-wise (and, where the CPU has it, AVX2) signature against the definition, with
        // permutation counts that leave a remainder after the blocks.
        for n in [1, 31, 32, 45, 128, 130] {
            let h = MinHasher::new(n, 3);
            for set in [vec![], vec![7u64], (0..300u64).map(|x| x.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect()] {
                let want: Vec<u32> = (0..n)
                    .map(|k| {
                        set.iter()
                            .map(|s| h.a[k].wrapping_mul(fmix32(*s as u32)).wrapping_add(h.b[k]))
                            .min()
                            .unwrap_or(u32::MAX)
                    })
                    .collect();
                assert_eq!(h.signature(&set), want, "{n} permutations, {} shingles", set.len());
                let mut plain = vec![0; n];
                let mixed: Vec<u32> = set.iter().map(|s| fmix32(*s as u32)).collect();
                sign_lanes(&h.a, &h.b, &mixed, &mut plain);
                assert_eq!(plain, want);
            }
        }
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
