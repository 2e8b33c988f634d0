//! Pairs of 64-bit hashes within a Hamming radius, found through multi-index hashing (Norouzi et
//! al.), never by comparing all pairs: each hash is cut into four 16-bit chunks; two hashes within
//! `r` bits agree within `r / 4` bits on at least one chunk (pigeonhole), so each hash looks only in
//! the buckets of its chunks' neighbours within `r / 4` bits. A bucket table per chunk is a sorted
//! array with 65,537 offsets (256 KiB: it stays in the cache). A pair is reported from the first
//! chunk that finds it. The work is split over the available cores.

/// Chunks per hash.
const CHUNKS: usize = 4;
const CHUNK_BITS: u32 = 16;

/// A pair `(i, j)`, `i < j`, and its distance in bits.
pub type Near = (u32, u32, u8);

fn chunk(h: u64, c: usize) -> usize {
    ((h >> (c as u32 * CHUNK_BITS)) & 0xffff) as usize
}

/// Every pair of `hashes` within `radius` bits, sorted.
pub fn pairs_within(hashes: &[u64], radius: u32) -> Vec<Near> {
    let n = hashes.len();
    let per_chunk = radius / CHUNKS as u32;
    let masks: Vec<usize> = (0..1usize << CHUNK_BITS).filter(|m| m.count_ones() <= per_chunk).collect();
    // Beyond this the index visits more than a plain scan would.
    if n < 64 || masks.len() * CHUNKS * (1 + n / 65_536) >= n / 2 {
        return brute_force(hashes, radius);
    }
    let tables: Vec<(Vec<u32>, Vec<u32>)> = (0..CHUNKS).map(|c| table(hashes, c)).collect();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8);
    // Later hashes have fewer partners after them: interleave so the threads share the work evenly.
    let mut out: Vec<Near> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (tables, masks) = (&tables, &masks);
                std::thread::Builder::new()
                    .name(format!("near-hash-{t}"))
                    .spawn_scoped(scope, move || {
                        let mut found = Vec::new();
                        let mut i = t;
                        while i < n {
                            probe(hashes, tables, masks, i, radius, per_chunk, &mut found);
                            i += threads;
                        }
                        found
                    })
                    .expect("spawns a hashing thread")
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    out.sort_unstable();
    out
}

/// Bucket offsets (65,537) and the ids sorted by chunk `c`.
fn table(hashes: &[u64], c: usize) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; (1 << CHUNK_BITS) + 1];
    for h in hashes {
        offsets[chunk(*h, c) + 1] += 1;
    }
    for k in 1..offsets.len() {
        offsets[k] += offsets[k - 1];
    }
    let mut next = offsets.clone();
    let mut ids = vec![0u32; hashes.len()];
    for (i, h) in hashes.iter().enumerate() {
        let slot = &mut next[chunk(*h, c)];
        ids[*slot as usize] = i as u32;
        *slot += 1;
    }
    (offsets, ids)
}

fn probe(
    hashes: &[u64],
    tables: &[(Vec<u32>, Vec<u32>)],
    masks: &[usize],
    i: usize,
    radius: u32,
    per_chunk: u32,
    found: &mut Vec<Near>,
) {
    let h = hashes[i];
    for (c, (offsets, ids)) in tables.iter().enumerate() {
        let key = chunk(h, c);
        for m in masks {
            let bucket = key ^ m;
            let (from, to) = (offsets[bucket] as usize, offsets[bucket + 1] as usize);
            for &j in &ids[from..to] {
                if (j as usize) <= i {
                    continue;
                }
                let x = h ^ hashes[j as usize];
                let d = x.count_ones();
                // Reported by the first chunk within `per_chunk`: skip when an earlier one was.
                if d <= radius && (0..c).all(|e| (chunk(x, e) as u64).count_ones() > per_chunk) {
                    found.push((i as u32, j, d as u8));
                }
            }
        }
    }
}

/// All pairs compared (small inputs and radii too wide for the index).
pub fn brute_force(hashes: &[u64], radius: u32) -> Vec<Near> {
    let mut out = Vec::new();
    for (i, a) in hashes.iter().enumerate() {
        for (j, b) in hashes.iter().enumerate().skip(i + 1) {
            let d = (a ^ b).count_ones();
            if d <= radius {
                out.push((i as u32, j as u32, d as u8));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(state: &mut u64) -> u64 {
        *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        *state
    }

    #[test]
    fn the_index_finds_exactly_what_all_pairs_find() {
        let mut s = 42;
        let mut hashes: Vec<u64> = (0..3000).map(|_| lcg(&mut s)).collect();
        // Plant near copies at 0..12 bits.
        for k in 0..400 {
            let base = hashes[k];
            let mut h = base;
            for b in 0..(k % 13) {
                h ^= 1 << ((b * 7 + k) % 64);
            }
            hashes.push(h);
        }
        for radius in [0, 3, 8, 10, 12] {
            assert_eq!(pairs_within(&hashes, radius), brute_force(&hashes, radius), "radius {radius}");
        }
    }
}
