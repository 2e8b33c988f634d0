//! The floor for the Parquet import benchmark: read a file once and blake3-hash its bytes, streaming
//! through a 1 MiB buffer. An import can be no faster than this (it reads and hashes the file too).
//!
//! ```text
//! cargo run --release --example hash_floor -- FILE
//! {"file":"FILE","bytes":123,"seconds":0.05,"mb_per_s":2460.0,"blake3":"…"}
//! ```
//! MB is 10^6 bytes.

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: hash_floor FILE");
        return ExitCode::from(2);
    };
    match run(std::path::Path::new(&path)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hash_floor: {}: {e}", path.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}

fn run(path: &std::path::Path) -> std::io::Result<serde_json::Value> {
    let started = Instant::now();
    let mut file = std::fs::File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    let hash = hasher.finalize();
    let seconds = started.elapsed().as_secs_f64();
    let mb_per_s = if seconds > 0.0 { bytes as f64 / 1e6 / seconds } else { 0.0 };
    Ok(serde_json::json!({
        "file": path.to_string_lossy(),
        "bytes": bytes,
        "seconds": (seconds * 1e6).round() / 1e6,
        "mb_per_s": (mb_per_s * 10.0).round() / 10.0,
        "blake3": hash.to_hex().as_str(),
    }))
}
