//! `clean_bench text FILE.jsonl`: near-duplicate texts by MinHash LSH, as `verdict dedup`'s text
//! pass finds them (its `normalize_all` and `sign_into` on each chunk), over the lines of a file.

use crate::{opt, opt_parse};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::time::Instant;
use verdict::clean::minhash::{BandKeys, Bands, DEFAULT_SEED, MinHasher};
use verdict::clean::text::{jaccard, normalize, shingle_hashes};
use verdict::clean::text_pass::{normalize_all, sign_into};

/// Lines read and signed at a time (the pass reads 4,096 texts per query).
const CHUNK: usize = 4096;

#[derive(serde::Deserialize)]
struct Row {
    text: String,
}

/// The text of one line: a JSON string, or an object's `text`.
fn text_of(line: &[u8], number: usize) -> Result<String, String> {
    let line = line.trim_ascii();
    if line.first() == Some(&b'"') {
        serde_json::from_slice::<String>(line)
    } else {
        serde_json::from_slice::<Row>(line).map(|r| r.text)
    }
    .map_err(|e| format!("line {}: {e}", number + 1))
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let path = args.first().ok_or("text FILE.jsonl: one JSON object with `text` (or a JSON string) a line")?;
    let threshold: f64 = opt_parse(args, "--threshold", 0.8)?;
    let perms: usize = opt_parse(args, "--perms", verdict::clean::minhash::DEFAULT_PERMUTATIONS)?;
    let shingle: usize = opt_parse(args, "--shingle", 1)?;
    let hasher = MinHasher::new(perms, DEFAULT_SEED);
    let bands = Bands::optimal(threshold, perms);
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    // `--signatures N OUT`: the first N distinct texts' signatures are written out (to compare with
    // datasketch's); only the band keys of the rest are held, as the pass holds them.
    let signatures_out = match args.iter().position(|a| a == "--signatures") {
        Some(i) => {
            let count: usize = args.get(i + 1).and_then(|v| v.parse().ok()).ok_or("--signatures N OUT")?;
            Some((count, args.get(i + 2).ok_or("--signatures N OUT")?))
        }
        None => None,
    };
    let kept_signatures = signatures_out.map_or(0, |(count, _)| count);

    // Sign: each distinct normalized text once, a chunk of lines at a time (normalized and signed
    // on every core, as the pass does with each chunk it reads from the project). Lines are read
    // and their JSON parsed on a thread of their own, a chunk or two ahead of the signing.
    let start = Instant::now();
    let mut spans: Vec<(u64, u32)> = Vec::new();
    let mut index: HashMap<[u8; 16], u32> = HashMap::new();
    let mut keys = BandKeys::new(bands);
    let mut kept: Vec<Vec<u32>> = Vec::new();
    let mut first: Vec<u32> = Vec::new();
    let mut empty: Vec<bool> = Vec::new();
    let mut of_line: Vec<u32> = Vec::new();
    std::thread::scope(|scope| -> Result<(), String> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(Vec<String>, Vec<(u64, u32)>), String>>(2);
        let file = &file;
        scope.spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 20, file);
            let (mut line, mut offset, mut number) = (Vec::new(), 0u64, 0usize);
            loop {
                let (mut texts, mut chunk_spans) = (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK));
                while texts.len() < CHUNK {
                    line.clear();
                    let n = match reader.read_until(b'\n', &mut line) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) => return drop(tx.send(Err(format!("{path}: {e}")))),
                    };
                    match text_of(&line, number) {
                        Ok(text) => texts.push(text),
                        Err(e) => return drop(tx.send(Err(e))),
                    }
                    chunk_spans.push((offset, n as u32));
                    offset += n as u64;
                    number += 1;
                }
                if texts.is_empty() || tx.send(Ok((texts, chunk_spans))).is_err() {
                    return;
                }
            }
        });
        let mut signed = Vec::new();
        for chunk in rx {
            let (texts, chunk_spans) = chunk?;
            let number0 = spans.len();
            spans.extend(chunk_spans);
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let keyed = normalize_all(&refs);
            let mut unsigned: Vec<&str> = Vec::new();
            for (k, (normalized, key)) in keyed.iter().enumerate() {
                let next = first.len() as u32;
                let i = *index.entry(*key).or_insert(next);
                if i == next {
                    unsigned.push(normalized);
                    first.push((number0 + k) as u32);
                    empty.push(normalized.is_empty());
                }
                of_line.push(i);
            }
            signed.resize(unsigned.len() * perms, 0);
            sign_into(&hasher, shingle, &unsigned, &mut signed);
            for sig in signed.chunks_exact(perms.max(1)) {
                if kept.len() < kept_signatures {
                    kept.push(sig.to_vec());
                }
                keys.push(sig);
            }
        }
        Ok(())
    })?;
    let sign_s = start.elapsed().as_secs_f64();

    let t = Instant::now();
    let candidates = keys.candidate_pairs(&empty);
    let candidates_s = t.elapsed().as_secs_f64();

    // The exact check: both texts read again and their word sets compared (each text's set made
    // on its first pair and dropped after its last, as the pass does).
    let t = Instant::now();
    let mut last = vec![usize::MAX; first.len()];
    for (k, &(a, b)) in candidates.iter().enumerate() {
        last[a as usize] = k;
        last[b as usize] = k;
    }
    let mut sets: HashMap<u32, Vec<u64>> = HashMap::new();
    let mut near = Vec::new();
    let mut buf = Vec::new();
    for (k, &(a, b)) in candidates.iter().enumerate() {
        for x in [a, b] {
            if let Entry::Vacant(slot) = sets.entry(x) {
                let number = first[x as usize] as usize;
                let (at, len) = spans[number];
                buf.resize(len as usize, 0);
                file.read_exact_at(&mut buf, at).map_err(|e| format!("{path}: {e}"))?;
                slot.insert(shingle_hashes(&normalize(&text_of(&buf, number)?), shingle));
            }
        }
        if jaccard(&sets[&a], &sets[&b]) >= threshold {
            near.push((a, b));
        }
        for x in [a, b] {
            if last[x as usize] == k {
                sets.remove(&x);
            }
        }
    }
    let verify_s = t.elapsed().as_secs_f64();

    // Groups of lines: lines whose texts are equal or linked by near pairs.
    let t = Instant::now();
    let mut uf = crate::UnionFind::new(first.len());
    for &(a, b) in &near {
        uf.union(a, b);
    }
    let mut by_root: HashMap<u32, Vec<u32>> = HashMap::new();
    for (number, &i) in of_line.iter().enumerate() {
        if !empty[i as usize] {
            by_root.entry(uf.find(i)).or_default().push(number as u32);
        }
    }
    let mut groups: Vec<Vec<u32>> = by_root.into_values().filter(|g| g.len() > 1).collect();
    groups.sort_unstable_by_key(|g| g[0]);
    let groups_s = t.elapsed().as_secs_f64();
    let total_s = start.elapsed().as_secs_f64();

    if let Some(out_path) = opt(args, "--groups") {
        let mut out = String::new();
        for g in &groups {
            for m in g {
                let _ = writeln!(out, "{}\t{}", m + 1, g[0] + 1);
            }
        }
        std::fs::write(out_path, out).map_err(|e| format!("{out_path}: {e}"))?;
    }
    if let Some((count, out_path)) = signatures_out {
        let mut out = String::new();
        for (number, &d) in of_line.iter().enumerate().take(count) {
            let Some(sig) = kept.get(d as usize) else { break };
            let values: Vec<String> = sig.iter().map(u32::to_string).collect();
            let _ = writeln!(out, "{}\t{}", number + 1, values.join(","));
        }
        std::fs::write(out_path, out).map_err(|e| format!("{out_path}: {e}"))?;
    }
    let json = serde_json::json!({
        "what": "text", "lines": spans.len(), "distinct": first.len(),
        "empty": empty.iter().filter(|e| **e).count(), "threshold": threshold, "perms": perms,
        "bands": bands.bands, "rows": bands.rows,
        "candidates": candidates.len(), "near_pairs": near.len(), "groups": groups.len(),
        "in_groups": groups.iter().map(Vec::len).sum::<usize>(),
        "sign_s": sign_s, "candidates_s": candidates_s, "verify_s": verify_s, "groups_s": groups_s,
        "total_s": total_s,
    });
    println!("{json}");
    Ok(())
}
