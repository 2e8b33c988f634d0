//! A second floor for the Parquet import benchmark: read a file once, blake3-hash its bytes, and
//! store them durably in a fresh SQLite file, with the settings `verdict import` uses for a project
//! nobody else has open (16 KiB pages, rollback journal, `synchronous=FULL`, 16 MiB page cache) and
//! a commit every 16 MiB, like the importer's batches. The bytes go in as 1 MiB blobs keyed by their
//! blake3. An import that keeps a file's embedded media in the project does at least this; the
//! read+hash floor (`hash_floor`) writes nothing.
//!
//! ```text
//! cargo run --release --example store_floor -- FILE OUT.db
//! {"file":"FILE","bytes":123,"seconds":0.3,"mb_per_s":410.0,"blake3":"…"}
//! ```
//! MB is 10^6 bytes. OUT.db is replaced.

#[path = "common/floor_report.rs"]
mod floor_report;

use rusqlite::{Connection, params};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const CHUNK: usize = 1 << 20;
const COMMIT_BYTES: usize = 16 << 20;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [file, out] = args.as_slice() else {
        eprintln!("usage: store_floor FILE OUT.db");
        return ExitCode::from(2);
    };
    match run(Path::new(file), Path::new(out)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("store_floor: {}: {e}", file.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}

fn run(path: &Path, out: &Path) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = out.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    let started = Instant::now();
    let mut conn = Connection::open(out)?;
    conn.pragma_update(None, "page_size", 16384)?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -16384)?;
    conn.execute_batch("CREATE TABLE blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, bytes BLOB NOT NULL)")?;

    let mut file = std::fs::File::open(path)?;
    let mut whole = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut bytes = 0u64;
    let mut tx = conn.transaction()?;
    let mut pending = 0usize;
    loop {
        let n = read_full(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        whole.update(chunk);
        let key = blake3::hash(chunk).to_hex().to_string();
        tx.prepare_cached("INSERT OR IGNORE INTO blobs (hash, size, bytes) VALUES (?1, ?2, ?3)")?
            .execute(params![key, n as i64, chunk])?;
        bytes += n as u64;
        pending += n;
        if pending >= COMMIT_BYTES {
            tx.commit()?;
            tx = conn.transaction()?;
            pending = 0;
        }
    }
    tx.commit()?;
    drop(conn);
    Ok(floor_report::report(path, bytes, started.elapsed().as_secs_f64(), &whole.finalize()))
}

/// Fills `buf` unless the file ends first; returns how much was read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
