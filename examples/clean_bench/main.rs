//! The cleaning benchmarks' Rust side (issue 16), driven by `scripts/bench_clean.sh`: the library's
//! own functions (`verdict::clean`) on inputs read straight from files, each phase timed, one JSON
//! object printed per run.
//!
//! ```text
//! cargo run --release --example clean_bench -- images DIR [--radius 10] [--hashes OUT.tsv] [--pairs OUT.tsv]
//! cargo run --release --example clean_bench -- hamming --n 1000000 [--radius 6,10,12] [--runs 3] [--seed 0]
//! cargo run --release --example clean_bench -- text FILE.jsonl [--threshold 0.8] [--groups OUT.tsv] [--signatures N OUT.tsv]
//! cargo run --release --example clean_bench -- word-chars > word-chars.json
//! ```
//!
//! - `images`: every JPEG/PNG of DIR (sorted by name) read and hashed with `clean::phash::phash_bytes`
//!   on one thread per core, then `clean::hamming::pairs_within` and groups (union-find): files
//!   on disk to groups, as imagededup's `encode_images` + `find_duplicates` do.
//! - `hamming`: `pairs_within` over N random 64-bit hashes with planted clusters (10 % near copies
//!   of earlier hashes, 1-12 bits away), for each radius.
//! - `text`: the text pass of `verdict dedup` without the project file: each line's text (a JSON
//!   object's `text` or a JSON string) normalized, equal texts counted once (4,096 lines at a time,
//!   normalized and signed on every core by `clean::text_pass::{normalize_all, sign_into}`), word
//!   sets, MinHash signatures (datasketch's affine32 scheme, 128 permutations from seed 1), LSH bands chosen as
//!   datasketch does for the threshold, every candidate pair checked by its exact Jaccard
//!   similarity, groups of lines by union-find. Texts are read again from the file (by offset) for
//!   the exact check, as the pass reads them again from the project.
//! - `word-chars`: the characters `clean::text::words` takes into words, as code point ranges
//!   (`{"word": [[lo, hi], ...], "split": [...]}`: letters and digits, and the characters that are
//!   words of their own), so that the Python peers shingle exactly as Verdict does.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod images;
mod text;

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("images") => images::run(&args[1..]),
        Some("hamming") => hamming(&args[1..]),
        Some("text") => text::run(&args[1..]),
        Some("word-chars") => {
            word_chars();
            Ok(())
        }
        _ => Err("usage: clean_bench images DIR | hamming --n N | text FILE.jsonl (see the file's docs)".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clean_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Union-find with path halving (the groups: connected components of the near pairs).
pub(crate) struct UnionFind(Vec<u32>);

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        Self((0..n as u32).collect())
    }

    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = p;
            x = p;
        }
        x
    }

    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb) as usize] = ra.min(rb);
        }
    }
}

/// The value after `--name`, if given.
pub(crate) fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

/// The value after `--name` parsed, or `default`.
pub(crate) fn opt_parse<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match opt(args, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{name} {v}: not a valid value")),
    }
}

/// Code point ranges of the characters for which `pick` holds.
fn ranges(pick: impl Fn(char) -> bool) -> Vec<[u32; 2]> {
    let mut out: Vec<[u32; 2]> = Vec::new();
    for c in (0..=0x10_FFFFu32).filter_map(char::from_u32).filter(|c| pick(*c)) {
        let c = c as u32;
        match out.last_mut() {
            Some(last) if last[1] + 1 == c => last[1] = c,
            _ => out.push([c, c]),
        }
    }
    out
}

fn word_chars() {
    let split = verdict::query::is_split_char;
    let json = serde_json::json!({
        "word": ranges(|c| c.is_alphanumeric() && !split(c)),
        "split": ranges(split),
    });
    println!("{json}");
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` random hashes, a tenth of them near copies (1-12 bits flipped) of an earlier one.
fn planted_hashes(n: usize, seed: u64) -> Vec<u64> {
    let mut s = seed;
    let mut out: Vec<u64> = Vec::with_capacity(n);
    for i in 0..n {
        let r = splitmix64(&mut s);
        if i >= 10 && r.is_multiple_of(10) {
            let mut h = out[(splitmix64(&mut s) % i as u64) as usize];
            let flips = 1 + splitmix64(&mut s) % 12;
            for _ in 0..flips {
                h ^= 1 << (splitmix64(&mut s) % 64);
            }
            out.push(h);
        } else {
            out.push(splitmix64(&mut s));
        }
    }
    out
}

fn hamming(args: &[String]) -> Result<(), String> {
    let n: usize = opt_parse(args, "--n", 1_000_000)?;
    let runs: usize = opt_parse(args, "--runs", 3)?;
    let seed: u64 = opt_parse(args, "--seed", 0)?;
    let radii: Vec<u32> = opt(args, "--radius")
        .unwrap_or("6,10,12")
        .split(',')
        .map(|r| r.trim().parse().map_err(|_| format!("--radius {r}: not a number")))
        .collect::<Result<_, _>>()?;
    let hashes = planted_hashes(n, seed);
    for radius in radii {
        let mut times = Vec::with_capacity(runs);
        let mut pairs = 0;
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            let found = verdict::clean::hamming::pairs_within(&hashes, radius);
            times.push(start.elapsed().as_secs_f64());
            pairs = found.len();
        }
        times.sort_by(f64::total_cmp);
        let json = serde_json::json!({
            "what": "hamming", "n": n, "radius": radius, "pairs": pairs,
            "median_s": times[times.len() / 2], "min_s": times[0], "max_s": times[times.len() - 1],
            "runs": times.len(),
            "threads": std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        });
        println!("{json}");
    }
    Ok(())
}
