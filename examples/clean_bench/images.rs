//! `clean_bench images DIR`: perceptual hashes of a folder of images, then pairs and groups.

use crate::{opt, opt_parse};
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use verdict::clean::{hamming, phash};
use verdict::media::ImageLimits;

/// The images of `dir` (not its subfolders), sorted by name, as imagededup's `encode_images` lists them.
fn list(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png" | "webp" | "bmp" | "gif")
            })
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Each file's hash (`None` where it cannot be read or decoded), on one thread per core.
fn hash_all(files: &[PathBuf]) -> Vec<Option<u64>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let next = AtomicUsize::new(0);
    let mut out = vec![None; files.len()];
    let parts: Vec<Vec<(usize, Option<u64>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let limits = ImageLimits::default();
                    let mut mine = Vec::new();
                    // One buffer a thread for the files' bytes: no fresh pages for every file.
                    let mut bytes = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        bytes.clear();
                        let read = std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes));
                        let hash = read.ok().and_then(|_| phash::phash_bytes(&bytes, &limits).ok());
                        mine.push((i, hash));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    for (i, h) in parts.into_iter().flatten() {
        out[i] = h;
    }
    out
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let dir = PathBuf::from(args.first().ok_or("images DIR: the folder of images")?);
    let radius: u32 = opt_parse(args, "--radius", phash::DEFAULT_RADIUS)?;
    let start = Instant::now();
    let files = list(&dir)?;
    let hashes = hash_all(&files);
    let hash_s = start.elapsed().as_secs_f64();
    let ok: Vec<usize> = (0..files.len()).filter(|i| hashes[*i].is_some()).collect();
    let values: Vec<u64> = ok.iter().filter_map(|i| hashes[*i]).collect();
    let t = Instant::now();
    let pairs = hamming::pairs_within(&values, radius);
    let pairs_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut uf = crate::UnionFind::new(values.len());
    for &(a, b, _) in &pairs {
        uf.union(a, b);
    }
    let members: std::collections::HashSet<u32> = pairs.iter().flat_map(|&(a, b, _)| [a, b]).collect();
    let groups: std::collections::HashSet<u32> = members.iter().map(|&x| uf.find(x)).collect();
    let groups_s = t.elapsed().as_secs_f64();
    let total_s = start.elapsed().as_secs_f64();
    let name =
        |i: u32| files[ok[i as usize]].file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if let Some(path) = opt(args, "--hashes") {
        let mut out = String::new();
        for (f, h) in files.iter().zip(&hashes) {
            let n = f.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let _ = writeln!(out, "{n}\t{}", h.map_or_else(|| "-".to_owned(), phash::to_hex));
        }
        std::fs::write(path, out).map_err(|e| format!("{path}: {e}"))?;
    }
    if let Some(path) = opt(args, "--pairs") {
        let mut out = String::new();
        for &(a, b, d) in &pairs {
            let _ = writeln!(out, "{}\t{}\t{d}", name(a), name(b));
        }
        std::fs::write(path, out).map_err(|e| format!("{path}: {e}"))?;
    }
    let json = serde_json::json!({
        "what": "images", "files": files.len(), "failed": files.len() - ok.len(), "radius": radius,
        "hash_s": hash_s, "pairs_s": pairs_s, "groups_s": groups_s, "total_s": total_s,
        "pairs": pairs.len(), "groups": groups.len(), "in_groups": members.len(),
        "threads": std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    });
    println!("{json}");
    Ok(())
}
