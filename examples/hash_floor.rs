//! The floor for the Parquet import benchmark: read a file once and blake3-hash its bytes, streaming
//! through a 1 MiB buffer. An import can be no faster than this (it reads and hashes the file too).
//!
//! ```text
//! cargo run --release --example hash_floor -- FILE
//! {"file":"FILE","bytes":123,"seconds":0.05,"mb_per_s":2460.0,"blake3":"…"}
//! ```
//! MB is 10^6 bytes.

#[path = "common/floor_report.rs"]
mod floor_report;

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
    Ok(floor_report::report(path, bytes, started.elapsed().as_secs_f64(), &hasher.finalize()))
}
