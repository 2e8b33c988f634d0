//! Pairs of 64-bit hashes within a Hamming radius, found through multi-index hashing (Norouzi et
//! al.), never by comparing all pairs: each hash is cut into four 16-bit chunks. With the radius
//! `r = 4q + a` (`a < 4`), two hashes within `r` bits agree within `q` bits on one of the first
//! `a + 1` chunks or within `q - 1` bits on one of the others (else they would differ in at least
//! `(a + 1)(q + 1) + (3 - a)q = r + 1` bits), so each hash looks only in the buckets of its chunks'
//! neighbours within those bounds (at radius 10: 137 buckets for each of three chunks and 17 for
//! the fourth). A bucket table per chunk is a sorted array with 65,537 offsets (256 KiB: it stays in
//! the cache) and the hashes themselves in bucket order; each bucket is compared with its
//! neighbouring buckets as a whole, both in the cache, instead of hash by hash (a million hashes
//! would then miss the cache on every one of ~430 buckets each). A pair is reported from the first
//! chunk that finds it. The work is split over the available cores, one chunk at a time.

/// Chunks per hash.
const CHUNKS: usize = 4;
const CHUNK_BITS: u32 = 16;

/// A pair `(i, j)`, `i < j`, and its distance in bits.
pub type Near = (u32, u32, u8);

fn chunk(h: u64, c: usize) -> usize {
    ((h >> (c as u32 * CHUNK_BITS)) & 0xffff) as usize
}

/// Per chunk, the most bits it may differ by for a pair to be looked for through it (`None`: the
/// chunk is not probed).
fn bounds(radius: u32) -> [Option<u32>; CHUNKS] {
    let (q, a) = (radius / CHUNKS as u32, radius as usize % CHUNKS);
    std::array::from_fn(|c| if c <= a { Some(q) } else { q.checked_sub(1) })
}

/// One chunk's index: bucket offsets (65,537), and the ids and hashes sorted by the chunk.
struct Table {
    offsets: Vec<u32>,
    ids: Vec<u32>,
    values: Vec<u64>,
}

/// Every pair of `hashes` within `radius` bits, sorted.
pub fn pairs_within(hashes: &[u64], radius: u32) -> Vec<Near> {
    let n = hashes.len();
    let bounds = bounds(radius);
    let masks: Vec<Vec<usize>> = bounds
        .iter()
        .map(|b| b.map_or_else(Vec::new, |b| (0..1usize << CHUNK_BITS).filter(|m| m.count_ones() <= b).collect()))
        .collect();
    // Beyond this the index visits more than a plain scan would.
    let probes: usize = masks.iter().map(Vec::len).sum();
    if n < 64 || probes * (1 + n / 65_536) >= n / 2 {
        return brute_force(hashes, radius);
    }
    index_pairs(hashes, radius, &bounds, &masks)
}

fn index_pairs(hashes: &[u64], radius: u32, bounds: &[Option<u32>; CHUNKS], masks: &[Vec<usize>]) -> Vec<Near> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8);
    let mut out: Vec<Near> = Vec::new();
    for (c, masks) in masks.iter().enumerate() {
        if masks.is_empty() {
            continue;
        }
        let table = table(hashes, c);
        // Bucket against bucket: all hashes of one bucket compared with all of a neighbouring one
        // while both are in the cache (probing hash by hash would miss the cache on every bucket).
        // The threads take every `threads`-th bucket.
        let found: Vec<Vec<Near>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let table = &table;
                    std::thread::Builder::new()
                        .name(format!("near-hash-{t}"))
                        .spawn_scoped(scope, move || {
                            let mut found = Vec::new();
                            for key in (t..1 << CHUNK_BITS).step_by(threads) {
                                join(table, key, masks, c, bounds, radius, &mut found);
                            }
                            found
                        })
                        .expect("spawns a hashing thread")
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        out.extend(found.into_iter().flatten());
    }
    out.sort_unstable();
    out
}

fn table(hashes: &[u64], c: usize) -> Table {
    let mut offsets = vec![0u32; (1 << CHUNK_BITS) + 1];
    for h in hashes {
        offsets[chunk(*h, c) + 1] += 1;
    }
    for k in 1..offsets.len() {
        offsets[k] += offsets[k - 1];
    }
    let mut next = offsets.clone();
    let mut ids = vec![0u32; hashes.len()];
    let mut values = vec![0u64; hashes.len()];
    for (i, h) in hashes.iter().enumerate() {
        let slot = &mut next[chunk(*h, c)];
        ids[*slot as usize] = i as u32;
        values[*slot as usize] = *h;
        *slot += 1;
    }
    Table { offsets, ids, values }
}

/// The pairs between bucket `key` of chunk `c` and each bucket within the chunk's bound of it that
/// comes after it (each pair of buckets is joined once, from the lower key), that no earlier chunk
/// finds.
fn join(
    table: &Table,
    key: usize,
    masks: &[usize],
    c: usize,
    bounds: &[Option<u32>; CHUNKS],
    radius: u32,
    found: &mut Vec<Near>,
) {
    let span = |b: usize| table.offsets[b] as usize..table.offsets[b + 1] as usize;
    let mine = span(key);
    if mine.is_empty() {
        return;
    }
    let (my_ids, my_values) = (&table.ids[mine.clone()], &table.values[mine]);
    let mut check = |i: u32, j: u32, x: u64| {
        let d = x.count_ones();
        // Reported by the first chunk within its bound: skip when an earlier one was.
        if d <= radius && !(0..c).any(|e| bounds[e].is_some_and(|b| (chunk(x, e) as u64).count_ones() <= b)) {
            found.push((i.min(j), i.max(j), d as u8));
        }
    };
    for m in masks {
        let other = key ^ m;
        if other < key {
            continue;
        }
        if other == key {
            for (k, (&i, &h)) in my_ids.iter().zip(my_values).enumerate() {
                for (&j, &v) in my_ids[k + 1..].iter().zip(&my_values[k + 1..]) {
                    check(i, j, h ^ v);
                }
            }
            continue;
        }
        let theirs = span(other);
        let (their_ids, their_values) = (&table.ids[theirs.clone()], &table.values[theirs]);
        for (&i, &h) in my_ids.iter().zip(my_values) {
            for (&j, &v) in their_ids.iter().zip(their_values) {
                check(i, j, h ^ v);
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
        // Plant near copies at 0..16 bits, the flipped bits spread over the chunks in every way.
        for k in 0..800 {
            let base = hashes[k % 300];
            let mut h = base;
            for b in 0..(k % 17) {
                h ^= 1 << ((b * 7 + k * 3) % 64);
            }
            hashes.push(h);
        }
        for radius in 0..=16 {
            let want = brute_force(&hashes, radius);
            // The index itself at every radius (pairs_within scans all pairs where that is cheaper).
            let b = bounds(radius);
            let masks: Vec<Vec<usize>> = b
                .iter()
                .map(|b| {
                    b.map_or_else(Vec::new, |b| (0..1usize << CHUNK_BITS).filter(|m| m.count_ones() <= b).collect())
                })
                .collect();
            assert_eq!(index_pairs(&hashes, radius, &b, &masks), want, "radius {radius}");
            assert_eq!(pairs_within(&hashes, radius), want, "radius {radius}");
        }
    }

    #[test]
    fn chunk_bounds_follow_the_radius() {
        assert_eq!(bounds(10), [Some(2), Some(2), Some(2), Some(1)]);
        assert_eq!(bounds(12), [Some(3), Some(2), Some(2), Some(2)]);
        assert_eq!(bounds(2), [Some(0), Some(0), Some(0), None]);
        assert_eq!(bounds(0), [Some(0), None, None, None]);
    }
}
